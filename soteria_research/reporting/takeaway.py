"""Take-away data and one look for the report notebooks (``reporting/national.py``).

Every table a report shows goes through :meth:`Takeaway.styled` AFTER disclosure control: its
cells are turned into the text a reader sees (shares as percentages with
:data:`DISPLAY_DECIMALS` decimals everywhere, counts with thousands separators, hidden cells as
``[c]``), the HTML table gets a "Download this table (CSV)" link, the same cells are written as
``tables/<name>.csv`` in the report's staging folder, and :meth:`Takeaway.write_workbook`
writes one Excel workbook (``tables.xlsx``: a Notes sheet, then a sheet per table). The runner
publishes both beside the report (``runner/execute.py``).

The files mirror the HTML cell by cell, so they can never show more than the report: a CSV is
written from the very text the table displays, never from the analysis frame. Numbers are
written as numbers (a spreadsheet can add them up), everything else as text made safe to open
in a spreadsheet with the project's helper (``data/spreadsheet_safe.py``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from .disclosure import MARKER

__all__ = ["DISPLAY_DECIMALS", "TABLES_DIR", "WORKBOOK", "Takeaway", "disclosure_rule",
           "format_number", "format_share", "number_cells", "share_mask", "text_view"]

#: Decimals of every percentage in every report (tables, key messages, CSV and workbook).
DISPLAY_DECIMALS = 1
#: Folder (inside the report's folder) of the tables as CSV.
TABLES_DIR = "tables"
#: The report's Excel workbook.
WORKBOOK = "tables.xlsx"
#: Typographic minus: a negative figure cannot be read as a spreadsheet formula.
MINUS = "\u2212"
#: Columns that always hold shares (0–1), whatever the table.
SHARE_COLUMNS = re.compile(r"^(share|cif$|force_share$|comparator_share$|difference$)")
#: Rows whose ``measure`` code ends like this hold a share in their estimate and interval.
SHARE_MEASURES = re.compile(r"(share|_within$|^still_open$)")
_NUMBER = re.compile(rf"^[-{MINUS}]?\d[\d,]*(\.\d+)?$")


def format_share(value) -> str:
    """A share (0–1) as a percentage with :data:`DISPLAY_DECIMALS` decimals.

    Examples
    --------
    >>> format_share(0.3571), format_share(-0.016), format_share(-0.0004), format_share(None)
    ('35.7%', '−1.6%', '0.0%', '[c]')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MARKER
    if isinstance(value, str):
        return value
    text = f"{100 * float(value):.{DISPLAY_DECIMALS}f}%"
    if text.startswith("-") and float(text[1:-1]) == 0:
        text = text[1:]  # a difference that rounds to zero is 0.0%, not −0.0%
    return _minus(text)


def format_number(value) -> str:
    """A count with thousands separators, any other number with two decimals.

    Examples
    --------
    >>> format_number(1234.0), format_number(0.8512), format_number(-2.5)
    ('1,234', '0.85', '−2.50')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        return value
    number = float(value)
    text = f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"
    return _minus(text)


def _minus(text: str) -> str:
    return MINUS + text[1:] if text.startswith("-") else text


def share_mask(frame: pd.DataFrame, percent: Iterable[str] = ()) -> pd.DataFrame:
    """Which cells of an analysis frame (raw column names) hold shares.

    A column named in ``percent``, or named like a share (``share``, ``share_of_…``, ``cif``),
    holds shares; so do the estimate and interval of a row whose ``measure`` code names a
    share (``request_share``, ``charged_within``), in a table that mixes shares with other
    measures (days, hazard ratios).
    """
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column in frame.columns:
        if column in set(percent) or SHARE_COLUMNS.match(str(column)):
            mask[column] = True
    if "measure" in frame.columns:
        rows = frame["measure"].map(lambda v: isinstance(v, str)
                                    and bool(SHARE_MEASURES.search(v))).to_numpy(bool)
        for column in ("estimate", "ci_low", "ci_high"):
            if column in mask.columns:
                mask.loc[rows, column] = True
    return mask


def text_view(view: pd.DataFrame, shares: pd.DataFrame | None = None) -> pd.DataFrame:
    """The table as the text a reader sees: shares (where ``shares`` is True) as percentages,
    other numbers with :func:`format_number`, text (``[c]``, labels) as it is, blanks empty."""
    view = view.reset_index(drop=True)
    if shares is None:
        shares = pd.DataFrame(False, index=view.index, columns=view.columns)
    shares = shares.reset_index(drop=True)
    out = pd.DataFrame(index=view.index)
    for position, column in enumerate(view.columns):
        values = view.iloc[:, position].tolist()
        share = shares.iloc[:, position].to_numpy(bool)
        out[column] = [_cell(v, s) for v, s in zip(values, share)]
    out.columns = view.columns
    return out


def _cell(value, share: bool) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.number)):
        return format_share(value) if share else format_number(value)
    return str(value)


def number_cells(text: pd.DataFrame) -> pd.DataFrame:
    """The displayed text with plain numbers as numbers (``1,234`` → 1234, ``−0.25`` → −0.25),
    for CSV and the workbook; percentages, ``[c]`` and labels stay text."""
    def convert(value):
        if isinstance(value, str) and _NUMBER.match(value):
            plain = value.replace(",", "").replace(MINUS, "-")
            return float(plain) if "." in plain else int(plain)
        return value

    out = text.copy().astype(object)
    for position in range(out.shape[1]):
        out.isetitem(position, out.iloc[:, position].map(convert).astype(object))
    return out


def disclosure_rule(profile) -> str:
    """The disclosure rule of a report, in one paragraph, stated once near its top."""
    if not getattr(profile, "suppress", True):
        return ("**INTERNAL – not for release.** No figure in this report is hidden by "
                "disclosure control.")
    zeros = " (and a zero, where it would say something about people)" \
        if profile.zeros_disclosive else ""
    rounding = (f" Other counts are rounded to the nearest {profile.round_base}."
                if profile.round_base else "")
    return (f"**Disclosure control ({profile.name}).** {MARKER} in a table marks a figure "
            f"hidden to protect the people involved: a count under {profile.threshold}{zeros}, "
            f"and any figure that would let one be worked out.{rounding} Shares are "
            f"percentages with {DISPLAY_DECIMALS} decimal throughout. This applies to every "
            "table, figure and download of this report; the appendix says what it changed.")


class Takeaway:
    """The tables one report has shown, as text, and their files.

    Parameters
    ----------
    output : path or None
        The report's staging folder (``params.output``); None writes nothing and links nothing.
    """

    def __init__(self, output: str | Path | None):
        self.output = Path(output) if output else None
        self.tables: dict[str, pd.DataFrame] = {}
        self.captions: dict[str, str] = {}

    def add(self, name: str, text: pd.DataFrame, caption: str = "") -> str:
        """Keep a displayed table; write its CSV now. Returns the name its file has.

        A table shown again under the same name (a cell run twice) replaces the first.
        """
        from ..data.spreadsheet_safe import write_csv

        name = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "table"
        self.tables[name] = text
        self.captions[name] = caption
        if self.output is not None:
            folder = self.output / TABLES_DIR
            folder.mkdir(parents=True, exist_ok=True)
            write_csv(number_cells(text), folder / f"{name}.csv")
        return name

    def styled(self, text: pd.DataFrame, *, name: str, caption: str = ""):
        """A ``Styler`` of the displayed table, with its caption and download link."""
        name = self.add(name, text, caption)
        link = ""
        if self.output is not None:
            link = (f' <a class="download" href="{TABLES_DIR}/{name}.csv" download>'
                    "Download this table (CSV)</a>")
        return (text.style.hide(axis="index")
                .set_caption(f"{escape(caption)}{link}".strip())
                .set_table_attributes(f'class="soteria-table" data-table="{name}"'))

    def links(self) -> str:
        """A Markdown line linking the workbook (empty when nothing is written)."""
        if self.output is None:
            return ""
        return (f"**Take the figures away:** every table below has a CSV download, and "
                f"[all tables in one Excel workbook]({WORKBOOK}) add notes on definitions, "
                "disclosure control and provenance.")

    def write_workbook(self, notes: pd.DataFrame) -> Path | None:
        """Write ``tables.xlsx``: a Notes sheet, then one sheet per table (as displayed; counts,
        ratios and single percentages as numbers, the percentages formatted as such)."""
        from openpyxl.styles import Font

        from ..data.spreadsheet_safe import neutralise_formulas
        from . import provenance

        if self.output is None:
            return None
        buffer = io.BytesIO()
        used: set[str] = set()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            sheets = {"Notes": notes, **self.tables}
            for name, table in sheets.items():
                sheet = _sheet_name(name, used)
                neutralise_formulas(number_cells(table.astype(object))).to_excel(
                    writer, sheet_name=sheet, index=False)
                worksheet = writer.sheets[sheet]
                for cell in worksheet[1]:
                    cell.font = Font(bold=True)
                _percentages_as_numbers(worksheet)
                for column in worksheet.columns:
                    width = max(len(str(c.value)) if c.value is not None else 0
                                for c in column)
                    worksheet.column_dimensions[column[0].column_letter].width = \
                        min(max(10, width + 2), 80)
        return provenance.write_atomic(self.output / WORKBOOK, buffer.getvalue())


_PERCENT = re.compile(rf"^([-{MINUS}]?\d+(?:\.\d+)?)%$")


def _percentages_as_numbers(worksheet) -> None:
    """A cell that is one percentage ("36.0%") becomes the number 0.36 shown as a percentage
    with :data:`DISPLAY_DECIMALS` decimals, so a spreadsheet can calculate with it and still
    shows what the report shows."""
    style = "0." + "0" * DISPLAY_DECIMALS + "%" if DISPLAY_DECIMALS else "0%"
    for row in worksheet.iter_rows(min_row=2):
        for cell in row:
            match = _PERCENT.match(cell.value) if isinstance(cell.value, str) else None
            if match:
                cell.value = float(match.group(1).replace(MINUS, "-")) / 100
                cell.number_format = style


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``, unique ignoring case."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f"_{n}"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def workbook_notes(report, *, definitions: Mapping[str, str],
                   captions: Mapping[str, str], sheets: Sequence[str]) -> pd.DataFrame:
    """The Notes sheet: what each table is, the measures' definitions, the disclosure rules
    applied, and provenance (package version, commit, data hash, parameters)."""
    from . import provenance

    profile = report.disclosure.profile
    params = report.params
    git = provenance.git_commit()
    data = Path(params.data)
    data_sha = provenance.file_sha256(data) if data.is_file() else "not recorded"
    env = provenance.environment()
    rows: list[tuple[str, str, str]] = [
        ("Report", "Name", report.name),
        ("Report", "Data extracted", _day(report.extract_date)),
        ("Report", "Written", dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")),
    ]
    rows += [("Definition", term, text) for term, text in definitions.items()]
    rows += [
        ("Disclosure control", "Profile", profile.name),
        ("Disclosure control", "Rule", re.sub(r"\*\*", "", disclosure_rule(profile))),
        ("Disclosure control", "Hidden cells", f"shown as {MARKER}"),
        ("Disclosure control", "Threshold", str(profile.threshold)),
        ("Disclosure control", "Zeros hidden", "yes" if profile.zeros_disclosive else "no"),
        ("Disclosure control", "Rounding base", str(profile.round_base or "none")),
        ("Disclosure control", "Survival curve threshold", str(profile.survival_threshold)),
        ("Disclosure control", "Model residual degrees of freedom at least",
         str(profile.min_dof)),
        ("Provenance", "Package", f"soteria-research {provenance.package_version()}"),
        ("Provenance", "Commit", str(git.get("commit") or "not recorded")),
        ("Provenance", "Data file", data.name),
        ("Provenance", "Data SHA-256", data_sha),
        ("Provenance", "Data dictionary", f"v{provenance.dictionary_version()}"),
        ("Provenance", "Python", str(env.get("python"))),
        ("Provenance", "pandas", str(env.get("pandas"))),
    ]
    for key, value in params.as_dict().items():
        if key in ("shared", "output"):
            continue
        shown = Path(str(value)).name if key == "data" and value else value
        rows.append(("Parameter", key, "" if shown is None else str(shown)))
    for sheet in sheets:
        caption = captions.get(sheet) or ""
        rows.append(("Table", sheet, f"{TABLES_DIR}/{sheet}.csv" + (f": {caption}" if caption
                                                                    else "")))
    return pd.DataFrame(rows, columns=["Section", "Item", "Note"])


def _day(value) -> str:
    if value is None or (not isinstance(value, (str, dt.date)) and pd.isna(value)):
        return ""
    return pd.Timestamp(value).date().isoformat()
