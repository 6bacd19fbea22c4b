"""CSV, TSV and text exports: encoding detection, delimiter sniffing and streamed records."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputFileError, UsageError
from .sniff import quoted, utf16_without_bom

#: The longest field accepted; a longer one is almost always an unclosed quote.
MAX_FIELD_CHARS = 128 * 1024
#: The longest physical line read; longer ones are refused before they fill memory.
MAX_LINE_CHARS = 4 << 20
#: Delimiters tried, in order of preference when several fit equally well.
DELIMITERS = (",", ";", "\t", "|")

_CHUNK = 1 << 20
_SAMPLE_CHARS = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(path: Path) -> str:
    """BOM → that; else UTF-16 by NUL pattern; else UTF-8 if valid; else cp1252; else latin-1."""
    with path.open("rb") as f:
        head = f.read(4096)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if b"\x00" in head:
        guess = utf16_without_bom(head)
        if guess:
            return guess
    for encoding in ("utf-8", "cp1252"):
        if _decodes(path, encoding):
            return encoding
    return "latin-1"


def _decodes(path: Path, encoding: str) -> bool:
    """True when the whole file decodes; read in chunks so a huge file never sits in memory."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def check_encoding_name(encoding: str) -> str:
    """The codec's canonical name, or UsageError for a name Python does not know."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise UsageError(
            f"--encoding {encoding!r} is not a known text encoding "
            "(try utf-8, utf-8-sig, utf-16, cp1252 or latin-1)."
        ) from None


def sniff_delimiter(sample: str, preferred: str = ",") -> str:
    """The delimiter that splits the most sample records into the same number (≥ 2) of fields."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end in the middle of a record
    text = "".join(lines)
    best, best_score = preferred, (0, 0, 0)
    for rank, delimiter in enumerate(sorted(DELIMITERS, key=lambda d: d != preferred)):
        try:
            counts = Counter(
                len(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter) if len(r) > 1
            )
        except csv.Error:
            continue
        if not counts:
            continue
        width, agreeing = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = (agreeing, width, -rank)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass(frozen=True)
class TextSource:
    """A delimited text file that can be read from the top more than once."""

    path: Path
    encoding: str
    delimiter: str

    @property
    def format(self) -> str:
        """``tsv`` for tab-separated files, ``csv`` for the rest."""
        return "tsv" if self.delimiter == "\t" else "csv"

    @property
    def rectangular(self) -> bool:
        """False: text records may have any number of fields."""
        return False

    def records(self, strip: bool = True) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(record number, cells)``; a quoted line break stays inside its record."""
        name = quoted(self.path)
        number = 0
        with self.path.open(encoding=self.encoding, newline="", errors="strict") as f:
            reader = csv.reader(_bounded_lines(f, name), delimiter=self.delimiter)
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise InputFileError(
                        f"{name} cannot be read as {self.encoding} text near row {number + 1}: "
                        "choose another --encoding (for example cp1252 or utf-16)."
                    ) from None
                except csv.Error:
                    raise InputFileError(
                        f"{name} row {number + 1} has an unclosed quote or a field longer than "
                        f"{MAX_FIELD_CHARS // 1024} KiB: fix the quoting in that row."
                    ) from None
                number += 1
                # The csv module's own limit is process-wide and may have been raised elsewhere.
                if sum(map(len, row)) > MAX_FIELD_CHARS and max(map(len, row)) > MAX_FIELD_CHARS:
                    raise InputFileError(
                        f"{name} row {number} has a field longer than {MAX_FIELD_CHARS // 1024} "
                        "KiB: fix the quoting in that row."
                    )
                if number == 1 and row:
                    row[0] = row[0].lstrip("\ufeff")
                yield number, list(map(str.strip, row)) if strip else row


def _bounded_lines(f: io.TextIOBase, name: str) -> Iterator[str]:
    """The file's lines, refusing one longer than ``MAX_LINE_CHARS`` before it is held whole."""
    for line_number, line in enumerate(iter(lambda: f.readline(MAX_LINE_CHARS), ""), start=1):
        if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise InputFileError(
                f"{name} line {line_number} is longer than {MAX_LINE_CHARS >> 20} million "
                "characters, so it is not a patient list row: check the file's line breaks."
            )
        yield line


def open_text(path: Path, encoding: str | None) -> TextSource:
    """Work out the encoding (unless given) and delimiter of a text export."""
    encoding = detect_encoding(path) if encoding is None else check_encoding_name(encoding)
    try:
        with path.open(encoding=encoding, newline="", errors="replace") as f:
            sample = f.read(_SAMPLE_CHARS)
    except UnicodeError:
        # A BOM-less UTF-16/32 override on bytes that cannot be UTF-16 at all.
        raise InputFileError(f"{quoted(path)} cannot be read as {encoding} text.") from None
    preferred = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    return TextSource(path, encoding, sniff_delimiter(sample, preferred))
