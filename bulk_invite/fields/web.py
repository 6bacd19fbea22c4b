"""URLs and JSON text: webhook and redirect addresses, ``additional_data``."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from urllib.parse import urlsplit

from ..settings import is_loopback_host
from .base import FieldResult, fail, show

_SPACE = re.compile(r"\s")


def normalize_url(raw: str) -> FieldResult[str]:
    """An absolute ``https://`` URL (plain http only for a loopback host)."""
    return _normalize_url(raw.strip())


@lru_cache(maxsize=1024)
def _normalize_url(text: str) -> FieldResult[str]:
    if not text:
        return None, ()
    scheme, host = "", None
    try:
        parts = urlsplit(text)  # raises ValueError on a broken IPv6 host ("https://[abc")
        scheme, host = parts.scheme.lower(), parts.hostname
        parts.port  # noqa: B018  # raises ValueError on a malformed port
    except ValueError:
        host = None
    if scheme not in ("http", "https") or not host or _SPACE.search(text):
        return fail(
            "url_invalid",
            f"{show(text)} is not a complete web address; write it in full, starting with "
            "https://, e.g. https://example.com/qualiphy-hook.",
        )
    if scheme == "http" and not is_loopback_host(host):
        return fail(
            "url_not_https",
            f"{show(text)} uses plain http; patient events must travel over https, so use "
            "the https:// address.",
        )
    return text, ()


def normalize_json(raw: str) -> FieldResult[str]:
    """JSON text (for ``additional_data``), re-serialized compactly."""
    return _normalize_json(raw.strip())


@lru_cache(maxsize=1024)
def _normalize_json(text: str) -> FieldResult[str]:
    if not text:
        return None, ()
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        where = f" (at character {exc.pos + 1})" if isinstance(exc, json.JSONDecodeError) else ""
        return fail(
            "json_invalid",
            f"{show(text)} is not valid JSON{where}; write it like "
            '{"order_id": "A123"}, with double quotes around names and text.',
        )
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")), ()


def _reject_constant(name: str) -> object:
    """NaN and Infinity are not JSON, though Python's parser accepts them."""
    raise ValueError(name)
