"""Tell a file's real format from its bytes, and bound zip archives before any parser opens them."""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputFileError

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

#: Limits that a real patient workbook never comes near, but a zip bomb always does.
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_TOTAL_BYTES = 1 << 30
MAX_ZIP_RATIO = 200
ZIP_RATIO_MIN_BYTES = 1 << 20
#: How much of each zip part is read to find the end of its XML prolog.
XML_PROLOG_BYTES = 16 << 10
#: What reading a damaged, encrypted or exotic zip can raise (besides BadZipFile).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    RuntimeError,  # an encrypted part
    NotImplementedError,  # a compression method zipfile lacks
    ValueError,
    zlib.error,
)

#: How notes and messages name each format, and the short name used after "read it as".
LABELS = {
    "csv": ("a CSV file", "CSV"),
    "tsv": ("a tab-separated text file", "tab-separated text"),
    "xlsx": ("an Excel workbook (.xlsx)", ".xlsx"),
    "xlsm": ("an Excel macro-enabled workbook (.xlsm)", ".xlsm"),
    "xlsb": ("an Excel binary workbook (.xlsb)", ".xlsb"),
    "xls": ("an Excel 97-2003 workbook (.xls)", ".xls"),
    "ods": ("an OpenDocument spreadsheet (.ods)", ".ods"),
}

#: Which extensions each format family normally carries.
EXTENSIONS = {
    "text": {".csv", ".tsv", ".txt", ".tab"},
    "xlsx": {".xlsx", ".xlsm", ".xltx", ".xltm"},
    "xlsm": {".xlsx", ".xlsm", ".xltx", ".xltm"},
    "xlsb": {".xlsb"},
    "xls": {".xls", ".xlt"},
    "ods": {".ods", ".ots"},
}

#: Signatures of common files people pick by mistake, with what to call them.
_NOT_SPREADSHEETS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"{\\rtf", "an RTF document"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program"),
)

HINT = "export the list as .xlsx or .csv."


@dataclass(frozen=True, slots=True)
class Detected:
    """What a file really is: ``text`` or a workbook kind (xlsx, xlsm, xlsb, xls, ods)."""

    kind: str


def quoted(path: Path) -> str:
    """The file's name as messages show it."""
    return f'"{path.name}"'


def detect(path: Path) -> Detected:
    """Classify ``path`` by its content; raise InputFileError for anything that is not a table."""
    name = quoted(path)
    if not path.exists():
        raise InputFileError(f"{name} does not exist: check the path ({path}).")
    if path.is_dir():
        raise InputFileError(f"{name} is a folder, not a spreadsheet file.")
    try:
        with path.open("rb") as f:
            head = f.read(8192)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputFileError(f"{name} cannot be opened ({reason}).") from None
    if not head:
        raise InputFileError(f"{name} is empty (0 bytes): export the list again.")
    if head.startswith(ZIP_MAGIC):
        return Detected(_zip_kind(path))
    if head.startswith(OLE2_MAGIC):
        return Detected("xls")
    what = _known_non_spreadsheet(head)
    if what:
        raise InputFileError(f"{name} is {what}, not a spreadsheet: {HINT}")
    _refuse_markup(name, head)
    if _looks_binary(head):
        raise InputFileError(
            f"{name} is not a spreadsheet or text file (it holds binary data): {HINT}"
        )
    return Detected("text")


def _known_non_spreadsheet(head: bytes) -> str:
    for magic, what in _NOT_SPREADSHEETS:
        if head.startswith(magic):
            return what
    return ""


def _refuse_markup(name: str, head: bytes) -> None:
    """HTML pages and Excel 2003 XML saved as .xls are common exports the readers cannot take."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table")):
        raise InputFileError(
            f"{name} is a web page (HTML), not a spreadsheet: open it in Excel and save it "
            "as .xlsx, or export the list as .xlsx or .csv."
        )
    if start.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise InputFileError(
            f"{name} is an Excel 2003 XML spreadsheet: open it in Excel and save it as .xlsx."
        )


def _looks_binary(head: bytes) -> bool:
    """True for bytes no text export contains (UTF-16 text is told apart by its NUL pattern)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False
    if b"\x00" in head:
        return utf16_without_bom(head) is None
    controls = sum(1 for b in head if b < 0x20 and b not in b"\t\n\r\x0c")
    return controls > len(head) // 20


def utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when NULs fall on one side of every character, else None."""
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    half = len(head) // 2
    if half and odd > half * 0.3 and even == 0:
        return "utf-16-le"
    if half and even > half * 0.3 and odd == 0:
        return "utf-16-be"
    return None


def _zip_kind(path: Path) -> str:
    name = quoted(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            # Bounded reads: the zip-bomb check has not run yet, so no part is read whole here.
            if "mimetype" in names:
                mimetype = _head(zf, "mimetype", 200).strip()
                if mimetype == ODS_MIMETYPE:
                    return "ods"
                if mimetype.startswith(b"application/vnd.oasis.opendocument"):
                    raise InputFileError(
                        f"{name} is an OpenDocument file but not a spreadsheet: {HINT}"
                    )
            if "xl/workbook.xml" in names:
                types = _head(zf, "[Content_Types].xml", 1 << 20)
                return "xlsm" if b"macroEnabled" in types else "xlsx"
            if "xl/workbook.bin" in names:
                return "xlsb"
            if "word/document.xml" in names:
                raise InputFileError(f"{name} is a Word document, not a spreadsheet: {HINT}")
            if "ppt/presentation.xml" in names:
                raise InputFileError(f"{name} is a PowerPoint file, not a spreadsheet: {HINT}")
    except _ZIP_ERRORS as exc:
        raise InputFileError(
            f"{name} looks like a zip-based workbook but is damaged ({type(exc).__name__}): "
            "open it in Excel and save it again."
        ) from None
    raise InputFileError(f"{name} is a zip archive, not a spreadsheet: {HINT}")


def _head(zf: zipfile.ZipFile, member: str, limit: int) -> bytes:
    """At most ``limit`` bytes from the start of ``member`` (empty when it is absent)."""
    try:
        with zf.open(member) as handle:
            return handle.read(limit)
    except KeyError:
        return b""


def check_zip(path: Path) -> None:
    """Refuse a zip whose declared contents are far larger than any real workbook (a zip bomb)."""
    name = quoted(path)
    bomb = f"{name} looks like a zip bomb, so it was not opened"
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except _ZIP_ERRORS as exc:
        raise InputFileError(f"{name} is a damaged workbook ({type(exc).__name__}).") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise InputFileError(f"{bomb}: it holds {len(infos):,} parts (limit {MAX_ZIP_ENTRIES:,}).")
    total = 0
    for info in infos:
        total += info.file_size
        if total > MAX_ZIP_TOTAL_BYTES:
            limit = MAX_ZIP_TOTAL_BYTES >> 30
            raise InputFileError(f"{bomb}: it unpacks to more than {limit} GiB.")
        if info.file_size > ZIP_RATIO_MIN_BYTES and (
            info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)
        ):
            raise InputFileError(
                f"{bomb}: part {info.filename!r} is compressed more than {MAX_ZIP_RATIO}:1."
            )
    _refuse_doctypes(path, infos)


def _refuse_doctypes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse XML parts that declare a document type: the carrier of entity-expansion (billion
    laughs) and external-entity attacks. Office and LibreOffice never write one."""
    name = quoted(path)
    try:
        with zipfile.ZipFile(path) as zf:
            for info in infos:
                if info.is_dir():
                    continue
                with zf.open(info) as handle:
                    head = handle.read(XML_PROLOG_BYTES)
                if not _prolog_is_plain(head):
                    raise InputFileError(
                        f"{name} holds an XML document-type or entity declaration (part "
                        f"{info.filename!r}), which spreadsheets never contain and XML attacks "
                        "do, so it was not opened: open it in Excel and save it again."
                    )
    except _ZIP_ERRORS as exc:
        raise InputFileError(f"{name} is a damaged workbook ({type(exc).__name__}).") from None


def _prolog_is_plain(head: bytes) -> bool:
    """False when the XML prolog at the start of ``head`` has a ``<!DOCTYPE``/``<!ENTITY``, or
    is too long to see its end. Non-XML content passes. UTF-16 is read by dropping NUL bytes."""
    text = head.replace(b"\x00", b"")
    pos = 0
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if text.startswith(bom):
            pos = len(bom)
            break
    while True:
        while pos < len(text) and text[pos : pos + 1] in b" \t\r\n":
            pos += 1
        if text.startswith(b"<?", pos):
            end = text.find(b"?>", pos)
        elif text.startswith(b"<!--", pos):
            end = text.find(b"-->", pos)
        else:
            # A <!DOCTYPE, <!ENTITY or other declaration is refused; the root element, or
            # content that is not XML at all, ends the prolog.
            return not text.startswith(b"<!", pos)
        if end == -1:
            return len(head) < XML_PROLOG_BYTES  # a prolog longer than the scan hides its end
        pos = end + 2
