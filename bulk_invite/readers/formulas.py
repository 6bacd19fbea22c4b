"""Find formula cells saved without a value (calamine reads them as empty) in small XLSX sheets."""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

from defusedxml import ElementTree

#: Sheets whose XML is larger than this are not scanned (the scan holds the XML in memory).
MAX_SCAN_BYTES = 32 << 20
_PREFIX = re.compile(rb"<(\w+:)?worksheet[\s>]")
_REF = re.compile(rb'\sr="([A-Z]+[0-9]+)"')
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip path of the named worksheet, through workbook.xml and its relationships."""
    workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rel_id = next(
        (
            el.get(f"{_REL_NS}id")
            for el in workbook.iter()
            if _local(el.tag) == "sheet" and el.get("name") == sheet
        ),
        None,
    )
    if rel_id is None:
        return None
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for el in rels.iter():
        if _local(el.tag) == "Relationship" and el.get("Id") == rel_id:
            target = str(el.get("Target", ""))
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    return None


def uncached_formula_cells(path: Path, sheet: str) -> list[str]:
    """References (``B7``) of formula cells with no cached value; [] when unknown or too big."""
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_part(zf, sheet)
            if part is None or zf.getinfo(part).file_size > MAX_SCAN_BYTES:
                return []
            data = zf.read(part)
    except (KeyError, ValueError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        # The scan only adds a note; calamine has already read the file.
        return []
    return _scan(data)


def _scan(data: bytes) -> list[str]:
    """Byte searches, not an XML parse: ten times faster, and cells never nest."""
    match = _PREFIX.search(data)
    prefix = (match.group(1) if match else None) or b""
    c_open, c_close = b"<" + prefix + b"c ", b"</" + prefix + b"c>"
    f_open, v_open = b"<" + prefix + b"f", b"<" + prefix + b"v>"
    found: list[str] = []
    pos = 0
    while (at := data.find(f_open, pos)) != -1:
        pos = at + len(f_open)
        if data[pos : pos + 1] not in (b" ", b">", b"/"):
            continue  # another element, such as <filterColumn>
        c_start = data.rfind(c_open, 0, at)
        c_end = data.find(c_close, at)
        if c_start == -1 or c_end == -1 or data.rfind(c_close, 0, at) > c_start:
            continue
        cell = data[c_start:c_end]
        v_at = cell.find(v_open)
        if v_at == -1 or cell.startswith(b"</", v_at + len(v_open)):
            ref = _REF.search(cell[: cell.find(b">")])
            found.append(ref.group(1).decode("ascii") if ref else "?")
        pos = c_end
    return found
