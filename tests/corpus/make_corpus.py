"""Write the corpus of broken and awkward extracts in tests/corpus/ (run from the repository root).

    python tests/corpus/make_corpus.py

Each file is small and made from six valid hand-made cases (tests/case_factory.py) with one
thing done to it, the way real exports go wrong. What the toolkit must do with each file is
written by hand in expectations.yaml, not produced by the code under test. The files are
committed; re-run this script only to change the corpus (Excel and Parquet bytes carry library
versions and times, so they differ from run to run while their content does not).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from case_factory import EVIDENTIAL, OPEN, WITHDRAWN_NO_SUSPECT, case  # noqa: E402

DATE_FIELDS = [
    "offence_start_date", "offence_end_date", "report_date", "recorded_date",
    "suspect_identified_date", "arrest_date", "interview_date", "file_to_cps_date",
    "cps_decision_date", "charge_date", "device_requested_date", "device_returned_date",
    "outcome_date", "court_outcome_date", "extract_date",
]


def base_rows() -> list[dict]:
    """Six valid cases: charged, open, withdrawn without a suspect, evidential, open, withdrawn."""
    return [
        case(),
        case(**OPEN),
        case(**WITHDRAWN_NO_SUSPECT),
        case(**EVIDENTIAL),
        case(**{**OPEN, "crime_ref": "CR-0005", "victim_id": "V-0005", "suspect_id": "S-0005"}),
        case(**{**WITHDRAWN_NO_SUSPECT, "crime_ref": "CR-0006", "victim_id": "V-0006"}),
    ]


def changed(rows: list[dict], index: int, **values) -> list[dict]:
    out = [dict(r) for r in rows]
    out[index].update(values)
    return out


def text_table(rows: list[dict], header: list[str] | None = None) -> tuple[list[str], list[list[str]]]:
    header = header or list(rows[0])
    keys = list(rows[0])
    return header, [[str(r[k]) for k in keys] for r in rows]


def write_text(name: str, header, body, *, delimiter=",", encoding="utf-8", newline="\n",
               quote_all=False, extra_lines=()) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline,
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(body)
    text = buffer.getvalue() + "".join(extra_lines)
    (HERE / name).write_bytes(text.encode(encoding))


def write_rows(name: str, rows: list[dict], **options) -> None:
    header, body = text_table(rows)
    write_text(name, header, body, **options)


def renamed(rows: list[dict], old: str, new: str) -> tuple[list[str], list[list[str]]]:
    header, body = text_table(rows)
    return [new if h == old else h for h in header], body


def typed_frame(rows: list[dict]) -> pd.DataFrame:
    """The cases with their dictionary types, as a Parquet export holds them."""
    frame = pd.DataFrame(rows).replace("", None)
    for name in DATE_FIELDS:
        frame[name] = pd.to_datetime(frame[name])
    for name in ("victim_age", "suspect_age"):
        frame[name] = pd.to_numeric(frame[name]).astype("Int64")
    for name in ("third_party_report", "domestic_abuse", "victim_mental_health",
                 "victim_disability", "victim_substance_use"):
        frame[name] = frame[name] == "true"
    return frame


def workbook(sheets: dict[str, list[list]]) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, table in sheets.items():
        sheet = book.create_sheet(title)
        for line in table:
            sheet.append(line)
    return book


def excel_table(rows: list[dict], *, dates_as=None) -> list[list]:
    """Header and rows as Excel cells: dates as date cells (or ``dates_as(text)``), numbers as numbers."""
    keys = list(rows[0])
    table = [keys]
    for r in rows:
        line = []
        for k in keys:
            value = r[k]
            if value == "":
                line.append(None)
            elif k in DATE_FIELDS:
                day = dt.date.fromisoformat(value)
                line.append(dates_as(day) if dates_as else dt.datetime(day.year, day.month, day.day))
            elif k in ("victim_age", "suspect_age"):
                line.append(int(value))
            else:
                line.append(value)
        table.append(line)
    return table


def make_csv_files(rows: list[dict]) -> None:
    write_rows("clean.csv", rows)
    write_rows("clean_crlf.csv", rows, newline="\r\n")
    (HERE / "bom_utf8.csv").write_bytes(codecs.BOM_UTF8 + (HERE / "clean.csv").read_bytes())
    write_rows("windows_1252.csv", changed(rows, 0, officer_id="O-Zoë"), encoding="cp1252")
    header, body = text_table(changed(rows, 0, officer_id="O-Zoë"))
    write_text("utf16_unicode_text.txt", header, body, delimiter="\t", encoding="utf-16", newline="\r\n")
    write_rows("semicolon.csv", rows, delimiter=";")
    write_rows("tab_delimited.tsv", rows, delimiter="\t")
    write_rows("pipe_delimited.txt", rows, delimiter="|")
    write_rows("trailing_empty_rows.csv", rows, extra_lines=["," * 35 + "\n"] * 3)
    header, body = text_table(rows)
    write_text("blank_lines.csv", header, body[:3], extra_lines=["\n"]
               + [",".join(line) + "\n" for line in body[3:]] + ["\n", "\n"])
    write_rows("quoted_fields.csv", rows, quote_all=True)
    write_rows("padded_values.csv", [{k: f"  {v} " if v else v for k, v in r.items()} for r in rows])
    (HERE / "empty.csv").write_bytes(b"")
    write_text("header_only.csv", list(rows[0]), [])
    (HERE / "just_a_newline.csv").write_bytes(b"\n")
    write_rows("missing_required_column.csv", [{k: v for k, v in r.items() if k != "victim_sex"} for r in rows])
    no_extract = [{k: v for k, v in r.items() if k != "extract_date"} for r in rows]
    write_rows("no_extract_date.csv", no_extract)
    write_rows("no_extract_date_given.csv", no_extract)
    write_rows("empty_row_in_middle.csv", rows[:3] + [dict.fromkeys(rows[0], "")] + rows[3:])
    write_rows("outcome_codes_padded.csv", changed(changed(changed(rows, 0, outcome_code="01"),
                                                           3, outcome_code="15 "), 1, outcome_code="0"))

    # rows that break one rule each
    write_rows("bad_dates.csv", changed(changed(rows, 0, report_date="2022-02-30"), 4, arrest_date="yesterday"))
    write_rows("unknown_codes.csv", changed(changed(rows, 1, force="gotham"), 3, offence_code="99Z"))
    write_rows("impossible_date_order.csv", changed(rows, 0, arrest_date="2022-05-01"))
    write_rows("date_after_extract.csv", changed(rows, 0, court_outcome_date="2024-06-01"))
    write_rows("out_of_range_ages.csv", changed(changed(rows, 0, victim_age="140"), 1, suspect_age="-3"))
    write_rows("bad_integers.csv", changed(changed(rows, 0, victim_age="thirty"), 1, suspect_age="24.5"))
    write_rows("bad_boolean.csv", changed(rows, 2, domestic_abuse="perhaps"))
    write_rows("duplicate_row.csv", rows + [rows[1]])
    write_rows("conflicting_duplicates.csv", rows + [dict(rows[1], victim_age="40")])
    write_rows("outcome_without_date.csv", changed(rows, 3, outcome_date=""))
    write_rows("outcome_19_fraud.csv", changed(rows, 3, outcome_code="19"))
    write_rows("placeholder_crime_ref.csv", changed(rows, 4, crime_ref="0"))

    # dates in another format
    uk = [{k: (dt.date.fromisoformat(v).strftime("%d/%m/%Y") if k in DATE_FIELDS and v else v)
           for k, v in r.items()} for r in rows]
    write_rows("uk_dates.csv", uk)
    write_rows("uk_dates_with_mapping.csv", uk)
    ambiguous = [dict(r, report_date=dt.date.fromisoformat(r["report_date"]).strftime("%d/%m/%Y"))
                 for r in rows]
    write_rows("ambiguous_report_dates.csv", ambiguous)
    serial = [dict(r, report_date=str((dt.date.fromisoformat(r["report_date"]) - dt.date(1899, 12, 30)).days))
              for r in rows]
    write_rows("excel_serial_report_dates.csv", serial)
    write_rows("one_serial_date.csv", changed(rows, 2, report_date=serial[2]["report_date"]))
    write_rows("two_rows_uk_dates.csv", [ambiguous[0], ambiguous[5]])
    write_rows("unreadable_report_dates.csv",
               [dict(r, report_date=t) for r, t in zip(rows, ["early May", "see notes", "tbc 2022",
                                                               "May 2022?", "spring", "unknown date"])])
    write_rows("mixed_date_formats.csv", changed(changed(rows, 1, report_date="03/05/2022"), 4, report_date="03/05/2022"))
    write_rows("iso_date_times.csv", [{k: (v + " 14:05:00" if k in DATE_FIELDS and v else v) for k, v in r.items()}
                                      for r in rows])
    write_rows("iso_date_times_zoned.csv", changed(rows, 1, report_date="2022-05-03T23:30:00+00:00",
                                                   recorded_date="2022-05-04T00:30:00+01:00"))

    # headers
    for name, old, new in [("header_outcome_code_capitals.csv", "outcome_code", "Outcome_Code"),
                           ("header_outcome_date_spaced.csv", "outcome_date", "Outcome Date"),
                           ("header_court_outcome_upper.csv", "court_outcome", "COURT_OUTCOME"),
                           ("header_synonym_date_charged.csv", "charge_date", "Date Charged"),
                           ("header_typo_ethnicity.csv", "suspect_ethnicity", "suspect_ethnicty"),
                           ("header_trailing_space.csv", "charge_date", "charge_date "),
                           ("header_near_miss_mapped.csv", "outcome_code", "Outcome_Code"),
                           ("header_near_miss_dropped.csv", "court_outcome", "COURT_OUTCOME")]:
        header, body = renamed(rows, old, new)
        write_text(name, header, body)
    header, body = text_table(rows)
    write_text("header_force_twice.csv", header + ["force"], [line + ["kent"] for line in body])
    write_text("header_force_twice_after_trim.csv", header + [" force"], [line + ["durham"] for line in body])
    write_text("unrelated_extra_columns.csv", header + ["victim_name", "Disclosure notes"],
               [line + ["SYNTHETIC", "none"] for line in body])

    # values
    placeholders = changed(changed(changed(rows, 0, suspect_id="-"), 2, suspect_id="#N/A"), 4, suspect_id="Unknown")
    placeholders = changed(changed(placeholders, 5, suspect_id="#N/A"), 3, suspect_id="S-0004")
    write_rows("placeholder_suspect_ids.csv", placeholders)
    write_rows("placeholders_everywhere.csv",
               changed(changed(changed(rows, 1, victim_age="N/K", offence_end_date="-"), 2, suspect_age="NULL",
                               court_outcome="n/a"), 5, suspect_sex="N/A", suspect_ethnicity="--"))
    write_rows("nul_byte_in_id.csv", changed(rows, 1, crime_ref="CR-00\x0002"))
    write_rows("control_characters.csv", changed(changed(rows, 2, victim_id="V-00\x0103"), 4, force="durham\x1b"))
    header, body = text_table(changed(changed(rows, 1, officer_id="O-Zoë"), 3, officer_id="O-ZOEMARKER"))
    clean = buffer_csv(header, body).encode("utf-8").replace(b"O-ZOEMARKER", b"O-Zo\xeb")  # one cp1252 byte
    (HERE / "mixed_encoding.csv").write_bytes(clean)
    write_rows("spreadsheet_errors.csv", changed(changed(rows, 0, victim_age="#REF!"), 4, victim_id="#VALUE!"))
    write_rows("formula_injection.csv", changed(changed(rows, 1, crime_ref="=HYPERLINK(\"http://x.test\",\"CR\")",
                                                        force="gotham"),
                                                3, victim_id="=cmd|' /C calc'!A0", offence_code="99Z"))
    header, body = text_table(rows)
    body[2][26] = "no, further action"  # an unquoted comma: one field too many
    write_text_raw("too_many_fields.csv", header, body)
    short = [",".join(line) for line in text_table(rows)[1]]
    short[4] = ",".join(text_table(rows)[1][4][:-1])  # the extract date cut off
    (HERE / "short_row.csv").write_text(",".join(header) + "\n" + "\n".join(short) + "\n", encoding="utf-8")
    (HERE / "cases.json").write_text('{"crime_ref": "CR-0001"}\n', encoding="utf-8")
    (HERE / "old_workbook.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    (HERE / "csv_renamed.xlsx").write_bytes((HERE / "clean.csv").read_bytes())


def buffer_csv(header, body) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue()


def write_text_raw(name: str, header, body) -> None:
    # Fields joined with commas and no quoting at all, as a careless export writes them.
    lines = [",".join(header)] + [",".join(line) for line in body]
    (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_excel_files(rows: list[dict]) -> None:
    workbook({"Cases": excel_table(rows)}).save(HERE / "clean.xlsx")
    formulas = excel_table(rows)
    age = formulas[0].index("victim_age")
    for r in (1, 3):  # never calculated: openpyxl writes formulas without values
        formulas[r][age] = f"=DATEDIF(DATE(1998,1,1),{chr(65 + 5)}{r + 1},\"Y\")"
    workbook({"Cases": formulas}).save(HERE / "formulas_not_calculated.xlsx")
    table = excel_table(rows)
    workbook({"2022 Q1": table[:5], "2022 Q2": [table[0]] + table[5:]}).save(HERE / "two_sheets.xlsx")
    workbook({"2022 Q1": table[:5], "2022 Q2": [table[0]] + table[5:]}).save(HERE / "two_sheets_pick_one.xlsx")
    workbook({"Cases": table, "Notes": [["Extract notes"], ["Run by the force analyst"]]}).save(
        HERE / "notes_sheet.xlsx")
    workbook({"Cases": excel_table(rows, dates_as=lambda d: (d - dt.date(1899, 12, 30)).days)}).save(
        HERE / "serial_date_cells.xlsx")
    errors = excel_table(rows)
    errors[1][errors[0].index("victim_age")] = "#REF!"
    errors[3][errors[0].index("suspect_id")] = "#N/A"  # a case without a suspect
    workbook({"Cases": errors}).save(HERE / "error_cells.xlsx")
    times = excel_table(rows, dates_as=lambda d: dt.datetime(d.year, d.month, d.day, 16, 45))
    workbook({"Cases": times}).save(HERE / "datetime_cells.xlsx")
    workbook({"Cases": [table[0]]}).save(HERE / "header_only.xlsx")
    numeric = excel_table(rows)
    code = numeric[0].index("outcome_code")
    for line in numeric[1:]:
        if line[code] not in (None, "1A"):
            line[code] = int(line[code])
    numeric[0][numeric[0].index("crime_ref")] = "crime_ref"
    for i, line in enumerate(numeric[1:], start=1):
        line[0] = 1000 + i
    workbook({"Cases": numeric}).save(HERE / "numeric_cells.xlsx")
    blank_tail = excel_table(rows) + [[None] * 36] * 2 + [[""] * 36]
    workbook({"Cases": blank_tail}).save(HERE / "trailing_blank_rows.xlsx")


def make_parquet_files(rows: list[dict]) -> None:
    frame = typed_frame(rows)
    frame.to_parquet(HERE / "clean.parquet", index=False)
    zoned = frame.copy()
    # Recorded late in the evening, UK summer time: 23:30 BST on 3 May is 22:30 UTC on 3 May;
    # 00:30 BST on 5 May is 23:30 UTC on 4 May, which a UTC date would put a day early.
    zoned["recorded_date"] = (zoned["recorded_date"] + pd.Timedelta(hours=23, minutes=30)).dt.tz_localize(
        "Europe/London").dt.tz_convert("UTC")
    zoned.loc[1, "recorded_date"] = pd.Timestamp("2022-05-04 23:30", tz="UTC")  # 00:30 BST on 5 May
    zoned.loc[1, "report_date"] = pd.Timestamp("2022-05-04")
    zoned.to_parquet(HERE / "timezone_aware.parquet", index=False)
    date32 = frame.copy()
    for name in DATE_FIELDS:
        date32[name] = date32[name].dt.date
    pq.write_table(pa.Table.from_pandas(date32, preserve_index=False), HERE / "date32_columns.parquet")
    categorical = frame.copy()
    for name in ("force", "offence_code", "victim_sex", "relationship", "outcome_code"):
        categorical[name] = categorical[name].astype("category")
    categorical.to_parquet(HERE / "categorical_codes.parquet", index=False)
    listed = frame.copy()
    listed["offence_code"] = [[code] for code in listed["offence_code"]]
    listed.to_parquet(HERE / "list_column.parquet", index=False)
    structured = frame.copy()
    structured["victim_age"] = [{"years": 24, "months": 3}] * len(structured)
    structured.to_parquet(HERE / "struct_column.parquet", index=False)
    dropped = frame.copy()
    dropped["previous_codes"] = [["19C", "17A"]] * len(dropped)
    dropped.to_parquet(HERE / "list_column_dropped.parquet", index=False)
    placeholders = frame.copy()
    placeholders.loc[0, "suspect_id"] = "-"
    placeholders.loc[2, "suspect_id"] = "#N/A"
    placeholders.loc[1, "crime_ref"] = "CR-00\x0002"
    placeholders.to_parquet(HERE / "placeholders_and_nul.parquet", index=False)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    names = table.column_names
    twice = pa.Table.from_arrays(table.columns + [table.column("force")], names=names + ["force"])
    pq.write_table(twice, HERE / "duplicate_columns.parquet")
    (HERE / "broken.parquet").write_bytes(b"PAR1 this is not a parquet file")


def main() -> None:
    rows = base_rows()
    make_csv_files(rows)
    make_excel_files(rows)
    make_parquet_files(rows)
    print(f"wrote {sum(1 for p in HERE.iterdir() if p.suffix not in ('.py', '.yaml'))} files to {HERE}")


if __name__ == "__main__":
    main()
