"""Protected tables as a reader sees them: plain headings and labels, shares as percentages
with one decimal everywhere, hidden cells as ``[c]``, and the same table as CSV and as a sheet
of the report's Excel workbook.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from ..disclosure import MARKER

__all__ = ["DISPLAY_DECIMALS", "displayed", "format_count", "format_share", "html_table",
           "spreadsheet_safe", "write_csv", "write_workbook"]

#: Decimals of every percentage in every report (one look across tables, text and CSV).
DISPLAY_DECIMALS = 1


def format_share(value) -> str:
    """A share as a percentage with :data:`DISPLAY_DECIMALS` decimals (``[c]`` when hidden)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MARKER
    if isinstance(value, str):
        return value
    return f"{100 * float(value):.{DISPLAY_DECIMALS}f}%"


def format_count(value) -> str:
    """A count with thousands separators (``[c]`` when hidden)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MARKER
    if isinstance(value, str):
        return value
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"


def _label_values(view: pd.DataFrame, label_columns: Sequence[str]) -> pd.DataFrame:
    from ..figures import label, term_label

    for column in label_columns:
        if column in view.columns:
            convert = term_label if column == "term" else label
            view[column] = view[column].map(
                lambda v, convert=convert: convert(v) if isinstance(v, str) else v)
    return view


def displayed(frame: pd.DataFrame, mask: pd.DataFrame | None, *, columns: Mapping[str, str],
              percent: Sequence[str] = (), label_columns: Sequence[str] = ()) -> pd.DataFrame:
    """The table as text: chosen columns renamed, codes as labels, shares as percentages,
    counts with separators, and ``[c]`` in every cell disclosure control hid.

    A cell left empty by the analysis (not hidden) is shown as ``–`` ("not applicable"), so a
    blank can never be read as a hidden zero.
    """
    chosen = [c for c in columns if c in frame.columns] or list(frame.columns)
    view = frame[chosen].copy()
    hidden = (mask[chosen].astype(bool) if mask is not None and set(chosen) <= set(mask.columns)
              else pd.DataFrame(False, index=view.index, columns=chosen))
    view = _label_values(view, label_columns)
    for column in chosen:
        values = view[column]
        if column in percent:
            text = values.map(lambda v: "–" if pd.isna(v) else format_share(v))
        elif pd.api.types.is_numeric_dtype(values):
            text = values.map(lambda v: "–" if pd.isna(v) else format_count(v))
        else:
            text = values.map(lambda v: "–" if v is None or (not isinstance(v, str)
                                                             and pd.isna(v)) else str(v))
        view[column] = text.where(~hidden[column].to_numpy(), MARKER)
    return view.rename(columns=dict(columns)).reset_index(drop=True)


def html_table(view: pd.DataFrame, *, caption: str = "", download: str | None = None) -> str:
    """A plain, accessible HTML table (right-aligned numbers) with a caption and a link to the
    same table as CSV."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in view.columns)
    rows = []
    for values in view.itertuples(index=False):
        cells = []
        for i, value in enumerate(values):
            text = escape(str(value))
            numeric = i > 0 and bool(re.fullmatch(r"[\d,.\-–%\[\]c ]+", str(value)))
            cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    link = (f' <a class="download" href="{escape(download)}" download>Download (CSV)</a>'
            if download else "")
    caption_html = (f"<caption>{escape(caption)}{link}</caption>" if caption or link else "")
    return (f'<table class="soteria-table">{caption_html}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe (OWASP).

    Examples
    --------
    >>> spreadsheet_safe(pd.DataFrame({"a": ["=1+1", "ok", "-3 days"]}))["a"].tolist()
    ["'=1+1", 'ok', "'-3 days"]
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return out


def write_csv(view: pd.DataFrame, path: str | Path) -> Path:
    """Write a displayed table as UTF-8 CSV (with BOM, so Excel reads the accents), atomically."""
    from .. import provenance

    text = spreadsheet_safe(view).to_csv(index=False, lineterminator="\n")
    return provenance.write_atomic(path, ("\ufeff" + text).encode("utf-8"))


def write_workbook(sheets: Mapping[str, pd.DataFrame], notes: pd.DataFrame,
                   path: str | Path) -> Path:
    """One Excel workbook: a Notes sheet first (definitions, disclosure rules, provenance),
    then one sheet per table, each exactly the displayed table."""
    import io

    from .. import provenance

    buffer = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        spreadsheet_safe(notes).to_excel(writer, sheet_name="Notes", index=False)
        for name, view in sheets.items():
            sheet = _sheet_name(name, used)
            spreadsheet_safe(view).to_excel(writer, sheet_name=sheet, index=False)
    return provenance.write_atomic(path, buffer.getvalue())


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31]
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f"_{n}"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def numeric_mask(frame: pd.DataFrame) -> pd.DataFrame:
    """All-False mask (nothing hidden) shaped like ``frame``."""
    return pd.DataFrame(np.zeros(frame.shape, dtype=bool), columns=frame.columns)
