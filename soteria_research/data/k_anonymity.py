"""k-anonymity of a pseudonymised file over its quasi-identifiers, exactly as they are written.

Nothing is coarsened here: an exact age, a day or a month counts as it stands, so the figures
describe the file measured (read it back, or give the table that would be written).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..errors import ParameterError

__all__ = ["KAnonymityReport", "QUASI_IDENTIFIERS", "k_anonymity", "written_quasi_identifiers"]

#: What someone who knows a victim or suspect may know: their age, sex and ethnicity, the force
#: area, and when the offence happened and was reported (and so recorded). Each entry lists the
#: columns that can carry it in a written file; the first one present is used, as written.
QUASI_IDENTIFIERS = (
    ("victim_age_band", "victim_age"), ("victim_sex",), ("victim_ethnicity",),
    ("suspect_age_band", "suspect_age"), ("suspect_sex",), ("suspect_ethnicity",),
    ("force",), ("offence_start_date",), ("report_date",), ("recorded_date",),
)


def written_quasi_identifiers(columns: Iterable[str]) -> list[str]:
    """The :data:`QUASI_IDENTIFIERS` a written file carries, as it carries them.

    Examples
    --------
    >>> written_quasi_identifiers(["crime_ref", "victim_age_band", "victim_sex", "force"])
    ['victim_age_band', 'victim_sex', 'force']
    """
    present = set(columns)
    chosen = [next((c for c in options if c in present), None) for options in QUASI_IDENTIFIERS]
    return [c for c in chosen if c is not None]


@dataclass
class KAnonymityReport:
    """How identifiable rows are from their quasi-identifiers alone.

    ``k`` is the size of the smallest group of rows sharing the same quasi-identifier values:
    a row in a group of 1 is unique (re-identifiable by anyone who knows those facts).
    """

    quasi_identifiers: list[str]
    k: int
    n_rows: int
    n_groups: int
    n_unique: int
    below: pd.DataFrame = field(repr=False)
    smallest: pd.DataFrame = field(repr=False)

    def summary(self) -> str:
        lines = [f"k-anonymity over {', '.join(self.quasi_identifiers)}: k = {self.k} "
                 f"({self.n_groups} groups, {self.n_rows} rows)",
                 f"  unique rows: {self.n_unique} of {self.n_rows} "
                 f"({self.n_unique / max(self.n_rows, 1):.1%})"]
        for row in self.below.itertuples():
            lines.append(f"  groups smaller than {row.size_below}: {row.groups} "
                         f"({row.rows} rows, {row.share_of_rows:.1%})")
        return "\n".join(lines)


def k_anonymity(cases: pd.DataFrame, quasi_identifiers: Sequence[str] | None = None, *,
                n_smallest: int = 10) -> KAnonymityReport:
    """k-anonymity of a table over its quasi-identifiers, exactly as they are written.

    Nothing is coarsened here: an exact age, a day or a month counts as it stands, so the
    figures describe the file measured. Missing values form their own group.

    Parameters
    ----------
    cases : DataFrame
        The table as written (read the file back) or as it would be written.
    quasi_identifiers : list of str, optional
        Default: :func:`written_quasi_identifiers` of the table (age or age band, sex and
        ethnicity of victim and suspect, force, offence, report and recorded dates).

    Examples
    --------
    >>> cases = pd.DataFrame({"force": ["a", "a", "b"], "victim_sex": ["F", "F", "M"]})
    >>> k_anonymity(cases).k
    1
    """
    if quasi_identifiers is None:
        quasi_identifiers = written_quasi_identifiers(cases.columns)
    missing = [c for c in quasi_identifiers if c not in cases]
    if missing or not quasi_identifiers:
        raise ParameterError(f"k_anonymity: no column {missing or 'to measure'} in the table; "
                             f"columns: {list(cases.columns)}.")
    frame = _as_text(cases[list(quasi_identifiers)])
    sizes = frame.groupby(list(frame.columns)).size().rename("rows").reset_index()
    n_rows = len(frame)
    below = pd.DataFrame([
        {"size_below": limit, "groups": int((sizes["rows"] < limit).sum()),
         "rows": int(sizes.loc[sizes["rows"] < limit, "rows"].sum())}
        for limit in (2, 5, 10)])
    below["share_of_rows"] = below["rows"] / max(n_rows, 1)
    smallest = sizes.sort_values("rows", kind="stable").head(n_smallest).reset_index(drop=True)
    return KAnonymityReport(list(frame.columns), int(sizes["rows"].min()) if n_rows else 0,
                            n_rows, len(sizes), int((sizes["rows"] == 1).sum()), below, smallest)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Each value as a file shows it (ISO dates), missing values as ``(missing)``."""
    text = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            values = values.dt.strftime("%Y-%m-%d")
        shown = values.astype("string").str.strip()
        text[column] = shown.mask(shown.isna() | (shown == ""), "(missing)").astype(object)
    return pd.DataFrame(text, index=frame.index)
