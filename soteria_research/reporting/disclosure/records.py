"""What disclosure control did, for readers: protected tables, ``disclosure.json``, the appendix.

At the ``publication`` profile the log says how many cells of each output were hidden, never
which were small (primary) and which were hidden to protect them (secondary): a count of primary
cells per table would tell a reader that every hidden cell of a table is small.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import ParameterError
from .profiles import INTERNAL_LABEL, MARKER, DisclosureProfile

__all__ = ["OutputRecord", "ProtectedTable", "appendix", "caption", "json_default",
           "write_log"]


#: How every note explaining a choice of secondary cells begins (``legacy``, ``suppression``):
#: left out of the log at ``publication``.
WHY = "secondary suppression:"


@dataclass
class OutputRecord:
    """What disclosure control did to one output: the entry written to ``disclosure.json``."""

    name: str
    kind: str
    profile: str
    rules: list[str] = field(default_factory=list)
    n_cells: int = 0
    primary_suppressed: int = 0
    secondary_suppressed: int = 0
    derived_suppressed: int = 0
    rounded: int = 0
    rows_dropped: int = 0
    status: str = "pass"
    notes: list[str] = field(default_factory=list)
    #: Cells of a layout (a text view of tables protected already) that those tables hid.
    carried_suppressed: int = 0

    @property
    def suppressed(self) -> int:
        return self.primary_suppressed + self.secondary_suppressed + self.carried_suppressed

    def to_dict(self, detail: bool = True) -> dict:
        """The log entry; ``detail=False`` (publication) leaves out primary vs secondary, and
        the notes saying why secondary cells were chosen as they were: "1 small count is as
        large as a published total allows" beside a table with one small count says it is
        all of its line (issue 16: say what was hidden, not why)."""
        # a shallow copy (asdict deep-copies, and this runs for every output of a report)
        entry = {**vars(self), "rules": list(self.rules), "notes": list(self.notes),
                 "cells_suppressed": self.suppressed}
        if not detail:
            del entry["primary_suppressed"], entry["secondary_suppressed"]
            entry["notes"] = [note for note in self.notes if not note.startswith(WHY)]
        return entry


def _whole_numbers(values: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    given = numbers[~np.isnan(numbers)]
    # an infinite value (an interval without an upper end) is not a whole number, nor is one
    # beyond the integers a float holds exactly (the upper end of a hazard ratio under
    # separation, 1.4e21: every float that large is "whole")
    return bool(np.all(np.isfinite(given)) and np.all(given >= 0)
                and np.all(given < 2.0**53) and np.all(given == np.round(given)))


@dataclass
class ProtectedTable:
    """A protected output: numeric ``frame`` (NaN where hidden), ``mask`` and ``record``.

    ``mask`` has the frame's shape; True marks a cell hidden by disclosure control. ``counts``
    names the count columns (shown as whole numbers); when empty, whole-number columns are.
    """

    frame: pd.DataFrame
    mask: pd.DataFrame
    record: OutputRecord
    primary: pd.DataFrame | None = None
    counts: tuple[str, ...] = ()

    def display(self, marker: str = MARKER) -> pd.DataFrame:
        """The frame with ``marker`` ("[c]") in hidden cells and counts as whole numbers.

        Examples
        --------
        >>> frame = pd.DataFrame({"outcome": ["a", "b"], "n": [np.nan, 20.0]})
        >>> mask = pd.DataFrame({"outcome": [False, False], "n": [True, False]})
        >>> record = OutputRecord("t", "counts", "publication")
        >>> ProtectedTable(frame, mask, record).display()["n"].tolist()
        ['[c]', 20]
        """
        columns = {}
        hidden_any = self.mask.to_numpy().any(axis=0)
        for position, (column, values) in enumerate(self.frame.items()):
            whole = (column in self.counts if self.counts else
                     values.dtype.kind in "fiu" and _whole_numbers(values))
            if not hidden_any[position] and not whole:
                columns[column] = values.array
                continue
            if whole and _whole_numbers(values):
                values = values.astype("Int64")
            values = values.to_numpy(dtype=object, copy=True)
            values[pd.isna(values)] = np.nan
            values[self.mask.iloc[:, position].to_numpy()] = marker
            columns[column] = values
        shown = pd.DataFrame(columns, index=self.frame.index)
        shown.attrs = dict(self.frame.attrs)
        return shown

    def __iter__(self):
        # Lets callers write ``frame, record = protect(...)``.
        return iter((self.frame, self.record))


def json_default(value):
    """JSON for numpy and pandas scalars (NaN and NA as null)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def caption(profile: DisclosureProfile) -> str:
    """The line under every table saying what disclosure control did.

    Examples
    --------
    >>> from soteria_research.reporting.disclosure.profiles import get_profile
    >>> caption(get_profile("partner"))
    'Disclosure control (partner): counts under 10 and cells that would reveal them are shown as [c].'
    """
    p = profile
    if not p.suppress:
        return f"{INTERNAL_LABEL}: no disclosure control applied."
    text = (f"Disclosure control ({p.name}): counts under {p.threshold}"
            + (" and zeros" if p.zeros_disclosive else "")
            + f" and cells that would reveal them are shown as {MARKER}")
    return text + (f"; other counts rounded to the nearest {p.round_base}."
                   if p.round_base else ".")


def write_log(path: str | Path, profile: DisclosureProfile, records: list[OutputRecord], *,
              force: str | None = None, linked_tables: list[str] = ()) -> Path:
    """Write ``disclosure.json``: the profile, its rules and every output's record.

    At ``publication`` the records say how many cells were hidden, not why.
    """
    path = Path(path)
    if path.is_dir() or path.suffix != ".json":
        path = path / "disclosure.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    statuses = [r.status for r in records]
    detail = profile.name != "publication"
    payload = {
        "profile": asdict(profile),
        "label": profile.label,
        "force": force,
        "linked_tables": list(linked_tables),
        "status": ("internal" if not profile.suppress else
                   "suppressed" if any(s != "pass" for s in statuses) else "pass"),
        "outputs": [r.to_dict(detail=detail) for r in records],
    }
    path.write_text(json.dumps(payload, indent=2, default=json_default), encoding="utf-8")
    return path


def summary(records: list[OutputRecord]) -> pd.DataFrame:
    """One row per output: name, kind, status, cells hidden and rounded."""
    columns = ["name", "kind", "status", "n_cells", "cells_suppressed", "primary_suppressed",
               "secondary_suppressed", "derived_suppressed", "rounded", "rows_dropped"]
    return pd.DataFrame([r.to_dict() for r in records], columns=columns + ["rules"])[columns]


def appendix(profile: DisclosureProfile, records: list[OutputRecord]) -> str:
    """A short Markdown appendix: the rules, and what they did to this report."""
    p = profile
    table = summary(records)
    lines = ["## Disclosure control", ""]
    if not p.suppress:
        lines += [f"**{INTERNAL_LABEL}.** This report was built under the `internal` "
                  "profile: no cells were suppressed or rounded. It must not leave the "
                  "research team.", ""]
    else:
        lines += [
            f"This report was built under the `{p.name}` profile, using the rules UK "
            "trusted research environments apply to outputs (as in the SACRO project's "
            "ACRO checker):", "",
            f"- counts under {p.threshold}" + (" and zeros" if p.zeros_disclosive else "")
            + f" are suppressed and shown as {MARKER}, except zeros that cannot be anything "
            "else;",
            "- further cells are suppressed, at the least cost in figures hidden, so that no "
            "suppressed count can be worked out, or narrowed to a few values, from everything "
            "the run publishes (every force report, the national overview, the index and the "
            "metrics files together);",
            "- shares and intervals are computed from the published counts; those resting on a "
            f"suppressed count, or on a denominator of 0, are shown as {MARKER};",
            f"- survival and incidence curves show only steps resting on at least "
            f"{p.survival_threshold} events, and stop where fewer than "
            f"{p.survival_threshold} cases remain at risk;",
            f"- model terms resting on fewer than {p.threshold} cases are hidden, and "
            f"models with fewer than {p.min_dof} residual degrees of freedom withheld;",
        ]
        if p.round_base:
            lines.append(f"- all other counts are rounded to the nearest {p.round_base}, "
                         "so totals may not equal the sum of their parts.")
        lines.append("")
    if len(table):
        total = table[["cells_suppressed", "rounded", "rows_dropped"]].sum()
        withheld = ", ".join(table.loc[table["status"] == "withheld", "name"]) or "none"
        lines += [f"Outputs checked: {len(table)}; cells suppressed: "
                  f"{int(total['cells_suppressed'])}; counts rounded: "
                  f"{int(total['rounded'])}; curve steps merged or cut: "
                  f"{int(total['rows_dropped'])}. Withheld outputs: {withheld}.", "",
                  "Each output's record is in `disclosure.json` beside this report."]
    return "\n".join(lines)


def require_path(path, default) -> Path:
    """``path`` or ``default``; a ParameterError when neither is given."""
    path = path or default
    if path is None:
        raise ParameterError("write_log() needs a path (or DisclosureControl(log_path=)).")
    return Path(path)
