"""open_table on files from real writers: CSV encodings and delimiters, workbooks, bad files."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from bulk_invite.errors import InputFileError, UsageError
from bulk_invite.load import find_header, open_table
from bulk_invite.models import SourceRow, Table
from bulk_invite.readers import sniff
from bulk_invite.readers.text import sniff_delimiter
from bulk_invite.readers.workbook import cell_text, float_text

HEADER = ["First Name", "Last Name", "Email", "DOB", "Phone"]
JOSE = ["José", "Núñez", "jose@example.com", "1990-06-30", "5552223344"]


def write_csv(
    path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def rows_of(table: Table) -> list[SourceRow]:
    return list(table.rows)


def cells_by_number(table: Table) -> dict[int, tuple[str, ...]]:
    return {row.number: row.cells for row in table.rows}


def error_line(excinfo: pytest.ExceptionInfo[InputFileError]) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


# --- CSV and text ---------------------------------------------------------------------------


def test_csv_utf8_bom_never_sticks_to_first_header(tmp_path: Path) -> None:
    table = open_table(write_csv(tmp_path / "p.csv", [HEADER, JOSE], encoding="utf-8-sig"))
    assert table.headers[0] == "First Name"
    assert table.encoding == "utf-8-sig"


def test_csv_bom_is_dropped_even_when_utf8_is_forced(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [HEADER, JOSE], encoding="utf-8-sig")
    assert open_table(path, encoding="utf-8").headers[0] == "First Name"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("cp1252", "cp1252")],
)
def test_csv_encodings_are_detected_and_recorded(
    tmp_path: Path, encoding: str, expected: str
) -> None:
    table = open_table(write_csv(tmp_path / "p.csv", [HEADER, JOSE], encoding=encoding))
    assert table.encoding == expected
    assert table.headers == tuple(HEADER)
    assert rows_of(table) == [SourceRow(2, tuple(JOSE))]


def test_excel_unicode_text_utf16_tab_separated_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.txt", [HEADER, JOSE], encoding="utf-16", delimiter="\t")
    table = open_table(path)
    assert (table.format, table.encoding) == ("tsv", "utf-16")
    assert rows_of(table)[0].cells[:2] == ("José", "Núñez")


def test_bytes_valid_in_neither_utf8_nor_cp1252_fall_back_to_latin1(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"First Name,Last Name\r\nJos\xe9,A\x81b\r\n")
    table = open_table(path)
    assert table.encoding == "latin-1"
    assert rows_of(table)[0].cells == ("José", "A\x81b")


def test_encoding_override_wins_and_bad_bytes_name_the_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [HEADER, ["Ann", "Lee"], JOSE], encoding="cp1252")
    assert open_table(path, encoding="latin-1").encoding == "iso8859-1"
    with pytest.raises(InputFileError) as excinfo:
        rows_of(open_table(path, encoding="utf-8"))
    message = error_line(excinfo)
    assert '"p.csv"' in message and "utf-8" in message and "José" not in message


def test_unknown_encoding_name_is_a_usage_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [HEADER, JOSE])
    with pytest.raises(UsageError, match="not a known text encoding"):
        open_table(path, encoding="klingon-8")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = [HEADER, JOSE, ["Ann", "Lee, Jr.", "ann@example.com", "1/2/1980", "555 222 3344"]]
    table = open_table(write_csv(tmp_path / "p.txt", rows, delimiter=delimiter))
    assert table.headers == tuple(HEADER)
    assert [r.cells for r in table.rows] == [tuple(JOSE), tuple(rows[2])]


def test_semicolon_file_with_commas_inside_values_keeps_semicolons() -> None:
    sample = "Name;City;Note\nDoe, John;Paris;a,b,c\nRoe, Ann;Lyon;x\nPoe;Nice;y,z\n"
    assert sniff_delimiter(sample) == ";"


def test_csv_row_numbers_count_header_blank_lines_and_multiline_records(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        'First Name,Last Name,Note\nAnn,Lee,"two\nlines"\n\n,,\nBob,Ray,x\n', encoding="utf-8"
    )
    assert [r.number for r in open_table(path).rows] == [2, 5]


def test_csv_title_rows_above_the_header_are_skipped_with_a_note(tmp_path: Path) -> None:
    rows = [["Patient export 2024-06-01"], [], HEADER, JOSE]
    table = open_table(write_csv(tmp_path / "p.csv", rows))
    assert table.headers == tuple(HEADER)
    assert table.header_row == 3
    assert [r.number for r in table.rows] == [4]
    assert any("Row 3 is the header row" in note for note in table.notes)


def test_csv_cells_and_headers_are_stripped_and_leading_zeros_kept(tmp_path: Path) -> None:
    rows = [["  First Name ", " Zip\t"], ["  Ann\u00a0", " 02134 "]]
    table = open_table(write_csv(tmp_path / "p.csv", rows))
    assert table.headers == ("First Name", "Zip")
    assert rows_of(table) == [SourceRow(2, ("Ann", "02134"))]


def test_short_rows_are_padded_and_trailing_empty_columns_dropped(tmp_path: Path) -> None:
    rows = [[*HEADER, "", ""], ["Ann"], [*JOSE, "", "", ""]]
    table = open_table(write_csv(tmp_path / "p.csv", rows))
    assert table.headers == tuple(HEADER)
    assert rows_of(table) == [SourceRow(2, ("Ann", "", "", "", "")), SourceRow(3, tuple(JOSE))]


def test_extra_cells_beyond_the_header_are_kept_under_generated_headers(tmp_path: Path) -> None:
    rows = [["First Name", "", "Last Name"], ["Ann", "x", "Lee", "", "extra"], ["Bob", "", "Ray"]]
    table = open_table(write_csv(tmp_path / "p.csv", rows))
    assert table.headers == ("First Name", "column_2", "Last Name", "column_4", "column_5")
    assert [r.cells for r in table.rows] == [
        ("Ann", "x", "Lee", "", "extra"),
        ("Bob", "", "Ray", "", ""),
    ]


def test_rows_stream_as_a_one_pass_generator(tmp_path: Path) -> None:
    rows = [HEADER, *([JOSE] * 2000)]
    table = open_table(write_csv(tmp_path / "p.csv", rows))
    assert isinstance(table.rows, Iterator)
    assert sum(1 for _ in table.rows) == 2000
    assert list(table.rows) == []


def test_over_long_field_is_refused_naming_the_row(tmp_path: Path) -> None:
    rows = [HEADER, JOSE, ["Ann", "x" * 200_000]]
    with pytest.raises(InputFileError) as excinfo:
        open_table(write_csv(tmp_path / "p.csv", rows))
    assert "row 3" in error_line(excinfo)


def test_unclosed_quote_swallowing_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("First Name,Last Name\n" + '"Ann,Lee\n' + "Bob,Ray\n" * 20_000)
    with pytest.raises(InputFileError, match="row 2"):
        open_table(path)


def test_row_with_thousands_of_columns_is_refused(tmp_path: Path) -> None:
    rows = [HEADER, JOSE, ["x"] * 2000]
    with pytest.raises(InputFileError, match="row 3 has data in column 2000"):
        open_table(write_csv(tmp_path / "p.csv", rows))


def test_sheet_option_on_a_csv_is_ignored_with_a_note(tmp_path: Path) -> None:
    table = open_table(write_csv(tmp_path / "p.csv", [HEADER, JOSE]), sheet="Patients")
    assert table.sheet is None
    assert any("--sheet was ignored" in note for note in table.notes)


# --- XLSX, XLS, ODS -------------------------------------------------------------------------


def typed_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Patients"
    ws.append(["Patient export 2024-06-01"])
    ws.append([])
    ws.append(["First Name", "Phone", "Phone 2", "DOB", "Seen", "Consent", "Zip", "Ratio"])
    ws.append(
        [
            "Ann",
            5552223344,
            5552223344.0,
            dt.date(1990, 6, 30),
            dt.datetime(2024, 1, 2, 3, 4, 5),
            True,
            2134,
            1.2000000000000002,
        ]
    )
    ws["G4"].number_format = "00000"
    ws.append([])
    ws.append(["  Bob  ", None, None, dt.datetime(1985, 12, 25), None, False, None, 0.1 + 0.2])
    wb.save(path)
    return path


def test_xlsx_typed_cells_become_the_text_people_see(tmp_path: Path) -> None:
    table = open_table(typed_workbook(tmp_path / "p.xlsx"))
    assert (table.format, table.sheet, table.header_row) == ("xlsx", "Patients", 3)
    assert cells_by_number(table) == {
        4: ("Ann", "5552223344", "5552223344", "1990-06-30", "2024-01-02 03:04:05", "TRUE",
            "2134", "1.2"),
        6: ("Bob", "", "", "1985-12-25", "", "FALSE", "", "0.3"),
    }  # fmt: skip


def test_xlsx_rows_keep_excel_numbers_when_data_starts_at_c3(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["C3"], ws["D3"] = "First Name", "Last Name"
    ws["C5"], ws["D5"] = "Ann", "Lee"
    ws["C9"], ws["D9"] = "Bob", "Ray"
    wb.save(tmp_path / "p.xlsx")
    table = open_table(tmp_path / "p.xlsx")
    assert table.header_row == 3
    assert rows_of(table) == [SourceRow(5, ("Ann", "Lee")), SourceRow(9, ("Bob", "Ray"))]


def test_default_sheet_is_the_first_visible_one_with_data(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    hidden = wb.active
    assert hidden is not None
    hidden.title = "Lookup"
    hidden.append(["Code", "State"])
    hidden.append(["x", "NY"])
    hidden.sheet_state = "hidden"
    wb.create_sheet("Empty")
    patients = wb.create_sheet("Patients")
    patients.append(HEADER)
    patients.append(JOSE)
    wb.save(tmp_path / "p.xlsx")
    table = open_table(tmp_path / "p.xlsx")
    assert table.sheet == "Patients"
    assert table.headers == tuple(HEADER)
    assert any('"Lookup" (hidden)' in note for note in table.notes)


@pytest.fixture
def two_sheets(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title = "January"
    first.append(HEADER)
    first.append(JOSE)
    second = wb.create_sheet("February")
    second.append(HEADER)
    second.append(["Ann", "Lee", "ann@example.com", "1980-01-02", "5552223345"])
    wb.save(tmp_path / "two.xlsx")
    return tmp_path / "two.xlsx"


@pytest.mark.parametrize("wanted", ["February", "february ", "2"])
def test_sheet_is_chosen_by_name_or_one_based_number(two_sheets: Path, wanted: str) -> None:
    table = open_table(two_sheets, sheet=wanted)
    assert table.sheet == "February"
    assert rows_of(table)[0].cells[0] == "Ann"


def test_sheet_number_one_is_the_first_sheet(two_sheets: Path) -> None:
    assert open_table(two_sheets, sheet="1").sheet == "January"


@pytest.mark.parametrize("wanted", ["March", "0", "3"])
def test_unknown_sheet_error_lists_the_sheets(two_sheets: Path, wanted: str) -> None:
    with pytest.raises(InputFileError) as excinfo:
        open_table(two_sheets, sheet=wanted)
    assert '"January", "February"' in error_line(excinfo)


def test_formula_without_cached_value_reads_as_empty_and_is_noted(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["First Name", "Phone"])
    ws.append(["Ann", "=5550000000+2223344"])  # openpyxl stores no cached value
    wb.save(tmp_path / "p.xlsx")
    table = open_table(tmp_path / "p.xlsx")
    assert rows_of(table) == [SourceRow(2, ("Ann", ""))]
    assert any("1 formula cell(s) saved without a value (B2)" in note for note in table.notes)


def test_xlsxwriter_workbook_with_formula_reads_cached_values(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Export")
    date_format = wb.add_format({"num_format": "m/d/yyyy"})
    ws.write_row(0, 0, ["First Name", "Phone", "DOB", "Total"])
    ws.write_string(1, 0, "Ann")
    ws.write_number(1, 1, 5552223344)
    ws.write_datetime(1, 2, dt.datetime(1990, 6, 30), date_format)
    ws.write_formula(1, 3, "=1+2", None, 3)
    ws.write_string(3, 0, "Bob")
    wb.close()
    table = open_table(path)
    assert not any("formula" in note for note in table.notes)
    assert cells_by_number(table) == {
        2: ("Ann", "5552223344", "1990-06-30", "3"),
        4: ("Bob", "", "", ""),
    }


def test_xls_written_by_xlwt_is_read_by_content(tmp_path: Path) -> None:
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Patients")
    for col, value in enumerate(HEADER):
        ws.write(1, col, value)
    ws.write(2, 0, "Ann")
    ws.write(2, 4, 5552223344)
    ws.write(2, 3, dt.date(1990, 6, 30), xlwt.easyxf(num_format_str="M/D/YYYY"))
    wb.save(str(tmp_path / "p.xls"))
    table = open_table(tmp_path / "p.xls")
    assert (table.format, table.header_row) == ("xls", 2)
    assert rows_of(table) == [SourceRow(3, ("Ann", "", "", "1990-06-30", "5552223344"))]


def test_ods_written_by_odfpy_is_read(tmp_path: Path) -> None:
    pytest.importorskip("odf")
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table as OdsTable
    from odf.table import TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    sheet = OdsTable(name="Patients")
    values: list[list[object]] = [[], HEADER, ["Ann", "Lee", "a@example.com", dt.date(1990, 6, 30),
                                               5552223344.0]]  # fmt: skip
    for values_row in values:
        tr = TableRow()
        for value in values_row:
            if isinstance(value, float):
                tc = TableCell(valuetype="float", value=value)
            elif isinstance(value, dt.date):
                tc = TableCell(valuetype="date", datevalue=value.isoformat())
            else:
                tc = TableCell(valuetype="string")
            tc.addElement(P(text=str(value)))
            tr.addElement(tc)
        sheet.addElement(tr)
    doc.spreadsheet.addElement(sheet)
    doc.save(str(tmp_path / "p.ods"))
    table = open_table(tmp_path / "p.ods")
    assert (table.format, table.sheet, table.header_row) == ("ods", "Patients", 2)
    assert rows_of(table) == [
        SourceRow(3, ("Ann", "Lee", "a@example.com", "1990-06-30", "5552223344"))
    ]


@pytest.mark.parametrize("target", ["xls", "ods"])
def test_libreoffice_converted_workbooks_are_read(tmp_path: Path, target: str) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: no LibreOffice-written .xls/.ods")
    source = typed_workbook(tmp_path / "p.xlsx")
    subprocess.run(
        [soffice, "--headless", "--convert-to", target, "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    table = open_table(tmp_path / f"p.{target}")
    assert table.format == target
    assert cells_by_number(table)[4][:4] == ("Ann", "5552223344", "5552223344", "1990-06-30")


# --- Content over extension -----------------------------------------------------------------


def test_csv_named_xls_is_read_as_csv_with_a_note(tmp_path: Path) -> None:
    table = open_table(write_csv(tmp_path / "patients.xls", [HEADER, JOSE]))
    assert table.format == "csv"
    assert '"patients.xls" is really a CSV file; read it as CSV.' in table.notes


def test_xlsx_named_csv_is_read_as_xlsx_with_a_note(tmp_path: Path) -> None:
    path = typed_workbook(tmp_path / "p.xlsx").rename(tmp_path / "patients.csv")
    table = open_table(path)
    assert table.format == "xlsx"
    assert table.notes[0].startswith('"patients.csv" is really an Excel workbook (.xlsx)')


def test_unknown_extension_is_read_by_content_without_a_note(tmp_path: Path) -> None:
    table = open_table(write_csv(tmp_path / "patients.dat", [HEADER, JOSE]))
    assert (table.format, table.notes) == ("csv", ())


# --- Files that are not patient lists -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", '"scan.pdf" is a PDF document'),
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a PNG image"),
        ("blob.csv", bytes(range(256)) * 8, "binary data"),
        ("empty.csv", b"", '"empty.csv" is empty'),
        ("page.xls", b"<html><body><table><tr><td>x</td></tr></table>", "web page (HTML)"),
        ("blank.csv", b"\n\n,,,\n  ,\n", "every row is blank"),
        ("header.csv", b"First Name,Last Name,Email\n\n", "header row (row 1) but no data rows"),
    ],
)
def test_files_that_are_not_patient_lists_raise_one_clear_line(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputFileError) as excinfo:
        open_table(tmp_path / name)
    message = error_line(excinfo)
    assert expected in message and f'"{name}"' in message


def test_missing_file_and_folder_raise_input_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        open_table(tmp_path / "nope.csv")
    with pytest.raises(InputFileError, match="is a folder"):
        open_table(tmp_path)


def test_word_document_zip_is_named_as_such(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "list.xlsx", "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(InputFileError, match="is a Word document"):
        open_table(tmp_path / "list.xlsx")


def test_damaged_xlsx_is_refused_without_quoting_parser_text(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "p.xlsx", "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook>Jane Doe secret")
    with pytest.raises(InputFileError) as excinfo:
        open_table(tmp_path / "p.xlsx")
    message = error_line(excinfo)
    assert "damaged" in message and "Jane" not in message


def test_header_only_message_never_quotes_cells(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", [["Patient José Núñez export"], HEADER])
    with pytest.raises(InputFileError) as excinfo:
        open_table(path)
    assert "José" not in error_line(excinfo)


# --- Zip bombs ------------------------------------------------------------------------------


def test_zip_bomb_sheet_is_refused_before_any_parser_opens_it(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as entry:
            chunk = b"\0" * (1 << 20)
            for _ in range(256):
                entry.write(chunk)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(InputFileError, match="looks like a zip bomb"):
        open_table(path)


def test_zip_with_thousands_of_entries_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(sniff.MAX_ZIP_ENTRIES):
            zf.writestr(f"xl/media/{i}.bin", "")
    with pytest.raises(InputFileError, match=r"looks like a zip bomb.*parts"):
        open_table(path)


def test_zip_unpacking_past_the_total_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sniff, "MAX_ZIP_TOTAL_BYTES", 4096)
    with pytest.raises(InputFileError, match=r"looks like a zip bomb.*unpacks to more"):
        open_table(typed_workbook(tmp_path / "p.xlsx"))


# --- Pieces ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5552223344.0, "5552223344"),
        (2134.0, "2134"),
        (-3.0, "-3"),
        (1.5, "1.5"),
        (0.1 + 0.2, "0.3"),
        (1.2000000000000002, "1.2"),
        (5.55234e9, "5552340000"),
        (1e20, "1e+20"),
        (7, "7"),
        (True, "TRUE"),
        (False, "FALSE"),
        ("", ""),
        (None, ""),
        ("  x ", "x"),
        (dt.date(1990, 6, 30), "1990-06-30"),
        (dt.datetime(1990, 6, 30), "1990-06-30"),
        (dt.datetime(1990, 6, 30, 8, 5, 9, 999), "1990-06-30 08:05:09"),
        (dt.time(8, 5), "08:05:00"),
        (dt.timedelta(hours=26, minutes=3), "26:03:00"),
    ],
)
def test_cell_text_matches_what_excel_shows(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_float_text_keeps_fifteen_significant_digits() -> None:
    assert float_text(123456.789012345) == "123456.789012345"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["Patient export 2024-06-01"], HEADER, JOSE], 1),
        ([["Report", "June"], ["First", "Last", "Email"], ["a", "b", "c@d.e"]], 1),
        ([["Col A", "Col B"], ["x", "y"]], 0),
        ([["5552223344", "1990-06-30"], ["Ann", "Lee"]], 1),
        ([["only one cell"]], 0),
        ([["Ann", "ann@example.com"], ["x"]], 0),
    ],
)
def test_find_header_prefers_rows_naming_known_fields(rows: list[list[str]], expected: int) -> None:
    assert find_header(rows) == expected


def test_formula_scan_handles_prefixed_xml_shared_formulas_and_filters() -> None:
    from bulk_invite.readers.formulas import _scan

    xml = (
        b'<x:worksheet><x:c r="A1"><x:f>1+1</x:f><x:v>2</x:v></x:c>'
        b'<x:c r="B1" t="str"><x:f>1</x:f><x:v></x:v></x:c>'
        b'<x:c r="C1"><x:f t="shared" si="0"/></x:c><x:c r="D1"><x:v>4</x:v></x:c>'
        b"<x:autoFilter><x:filterColumn/></x:autoFilter></x:worksheet>"
    )
    assert _scan(xml) == ["B1", "C1"]


def test_header_detection_prefers_exact_column_names_over_data_with_header_words() -> None:
    from bulk_invite.load import find_header

    rows = [["Report", "Exam results"], ["First Name", "DOB"], ["Example Clinic", "Exam Room"]]
    assert find_header(rows) == 1


@pytest.mark.parametrize(
    "above",
    [["Ann", "Lee", "ann@example.com"], ["Ann", "Lee", "6/30/1990"],
     ["Ann", "Lee", "(555) 222-3344"], ["Ann", "Lee", "", "1990-06-30", ""]],
)  # fmt: skip
def test_rows_above_the_header_that_look_like_patients_stop_the_read(
    tmp_path: Path, above: list[str]
) -> None:
    rows = [["Patients, clinic A"], above, [], HEADER, JOSE]
    with pytest.raises(InputFileError) as excinfo:
        open_table(write_csv(tmp_path / "p.csv", rows))
    message = str(excinfo.value)
    assert "row 2, above the header row (row 4), looks like patient data" in message
    assert "\n" not in message
    assert all(cell not in message for cell in above if cell)


def test_two_tables_pasted_one_below_the_other_are_refused(tmp_path: Path) -> None:
    rows = [["Ann", "Lee", "ann@example.com", "1990-06-30", "5552223344"], HEADER, JOSE]
    with pytest.raises(InputFileError, match="row 1, above the header row"):
        open_table(write_csv(tmp_path / "p.csv", rows))


def test_title_rows_with_a_date_but_few_cells_are_still_skipped(tmp_path: Path) -> None:
    rows = [["Export", "2024-06-01"], ["Clinic A", "Page 1", "of 2"], HEADER, JOSE]
    table = open_table(write_csv(tmp_path / "p.csv", rows))
    assert table.header_row == 3
