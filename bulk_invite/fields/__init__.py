"""Per-field normalizers: raw cell text in, API-ready value and problems out."""
