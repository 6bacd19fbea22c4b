"""The clinic's exam catalog: fetched from ``/api/exam_list``, cached, and used by validation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from .atomic import atomic_output
from .errors import InputFileError


@dataclass(frozen=True, slots=True)
class Exam:
    """One exam the clinic offers."""

    id: int
    title: str
    rx_type: int

    @property
    def is_rx(self) -> bool:
        """True for prescription exams (``rx_type`` 2): at most one per invite."""
        return self.rx_type == 2


def parse_exam_list(data: Any) -> list[Exam]:
    """The ``exams`` of an ``/api/exam_list`` reply; entries without an integer id are skipped."""
    items = data.get("exams") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputFileError("The exam list reply has no 'exams' list.")
    exams = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), int):
            rx = item.get("rx_type")
            exams.append(Exam(item["id"], str(item.get("title") or ""), rx if rx == 2 else 1))
    return exams


def catalog_path(base_url: str, *, sandbox: bool = False) -> Path:
    """Where ``bulk-invite exams --save`` keeps the catalog of ``base_url``."""
    root = Path(platformdirs.user_state_dir("bulk-invite", appauthor=False))
    if sandbox:
        return root / "sandbox-exams.json"
    digest = hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:12]
    return root / f"exams-{digest}.json"


def save_catalog(exams: list[Exam], path: Path) -> Path:
    """Write the catalog as JSON (0600, atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"exams": [{"id": e.id, "title": e.title, "rx_type": e.rx_type} for e in exams]}
    with atomic_output(path) as handle:
        handle.write(json.dumps(body, indent=1).encode())
    return path


def load_catalog(path: Path) -> dict[int, int] | None:
    """Exam ID → rx_type from a saved catalog, or None when there is none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise InputFileError(
            f"The saved exam catalog {path} is damaged: run `bulk-invite exams --save` again."
        ) from None
    return as_mapping(parse_exam_list(data))


def as_mapping(exams: list[Exam]) -> dict[int, int]:
    """Exam ID → rx_type."""
    return {e.id: e.rx_type for e in exams}


def describe(catalog: Mapping[int, int]) -> str:
    """A short count for summaries: how many exams, how many Rx."""
    rx = sum(1 for v in catalog.values() if v == 2)
    return f"{len(catalog)} exams ({rx} Rx)"
