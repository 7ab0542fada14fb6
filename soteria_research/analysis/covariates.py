"""Case-level covariates as every model codes them: one reference level each, and the bands of
age and report delay. Each coefficient table names what a term is compared against.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..data.dictionary import load_dictionary
from ..errors import ParameterError

__all__ = [
    "AGE_BANDS",
    "DELAY_BANDS",
    "REFERENCE_LEVELS",
    "age_band",
    "delay_band",
    "reference_levels",
    "reference_phrase",
    "with_reference_levels",
]

#: Victim age bands: (code, first age, first age of the next band, label). The cut at 18 is
#: where the law and the investigation change (a child victim); the rest split adults into
#: groups of similar size. A missing age is its own band, so no case is dropped for it.
AGE_BANDS = (
    ("under_18", 0, 18, "under 18"),
    ("18_24", 18, 25, "18 to 24"),
    ("25_39", 25, 40, "25 to 39"),
    ("40_plus", 40, np.inf, "40 and over"),
)
#: Report delay (offence start to report) bands, in days: (code, from, to, label). A year or
#: more is "non-recent" (docs/domain.md section 1); a week separates the immediate reports.
DELAY_BANDS = (
    ("under_7_days", 0, 7, "reported within a week"),
    ("7_to_364_days", 7, 365, "reported after a week, within a year"),
    ("1_to_4_years", 365, 5 * 365, "reported 1 to 4 years later (non-recent)"),
    ("5_years_plus", 5 * 365, np.inf, "reported 5 or more years later (non-recent)"),
)
NOT_RECORDED = "not_recorded"

#: The reference level of each categorical covariate, used by every model (logistic, Cox,
#: cause-specific, Fine–Gray, drivers): the largest or most neutral group. Any other
#: categorical covariate takes its first level (its categorical order, else alphabetical).
#: A 0/1 flag is compared against cases without it; a number is per unit.
REFERENCE_LEVELS = {
    "relationship": "acquaintance_friend",
    "offence_group": "rape",
    "victim_sex": "female",
    "victim_ethnicity": "white",
    "victim_age_band": "25_39",
    "report_delay_band": "under_7_days",
}

_BAND_LABELS = {code: label for code, *_, label in (*AGE_BANDS, *DELAY_BANDS)}
_BAND_LABELS[NOT_RECORDED] = "not recorded"


def _bands(values: pd.Series, bands: tuple) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    edges = [start for _, start, _, _ in bands[1:]]
    position = np.searchsorted(np.asarray(edges, dtype=float), numbers, side="right")
    codes = np.array([code for code, *_ in bands], dtype=object)[np.minimum(position,
                                                                            len(bands) - 1)]
    codes = np.where(np.isnan(numbers), NOT_RECORDED, codes)
    order = [code for code, *_ in bands] + [NOT_RECORDED]
    return pd.Series(pd.Categorical(codes, categories=order), index=values.index)


def age_band(age: pd.Series) -> pd.Series:
    """Victim age as the bands of :data:`AGE_BANDS` (missing ages: ``not_recorded``).

    Examples
    --------
    >>> age_band(pd.Series([12, 18, 30, None, 61])).tolist()
    ['under_18', '18_24', '25_39', 'not_recorded', '40_plus']
    """
    return _bands(age, AGE_BANDS).rename("victim_age_band")


def delay_band(days: pd.Series) -> pd.Series:
    """Report delay in days as the bands of :data:`DELAY_BANDS`.

    Examples
    --------
    >>> delay_band(pd.Series([0, 6, 7, 364, 365, 2000])).tolist()
    ['under_7_days', 'under_7_days', '7_to_364_days', '7_to_364_days', '1_to_4_years', \
'5_years_plus']
    """
    return _bands(days, DELAY_BANDS).rename("report_delay_band")


def reference_levels(reference: Mapping[str, object] | None = None) -> dict[str, object]:
    """The project's reference levels with the caller's own (``reference=``) on top.

    Examples
    --------
    >>> reference_levels()["relationship"]
    'acquaintance_friend'
    >>> reference_levels({"relationship": "stranger"})["relationship"]
    'stranger'
    """
    if reference is not None and not isinstance(reference, Mapping):
        raise ParameterError(
            f"reference={reference!r} must map a covariate to its reference level, such as "
            "{'relationship': 'partner_ex_partner'}.")
    return {**REFERENCE_LEVELS, **dict(reference or {})}


def with_reference_levels(frame: pd.DataFrame, columns, reference: Mapping[str, object] | None
                          = None) -> pd.DataFrame:
    """``frame`` with each categorical column of ``columns`` made a pandas categorical whose
    first level is its reference (so treatment contrasts compare every level with it).

    A reference level the caller names that the column does not hold is an error; a project
    default that is absent (say, no white victims in a small force) falls back to the first
    level present.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"relationship": ["stranger", "acquaintance_friend"]})
    >>> list(with_reference_levels(frame, ["relationship"])["relationship"].cat.categories)
    ['acquaintance_friend', 'stranger']
    """
    wanted = reference_levels(reference)
    out = frame.copy(deep=False)
    for column in columns:
        if column not in out.columns:
            continue
        series = out[column]
        if not (isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == object
                or pd.api.types.is_string_dtype(series.dtype)):
            continue
        present = (list(series.cat.categories) if isinstance(series.dtype, pd.CategoricalDtype)
                   else sorted(pd.unique(series.dropna()), key=str))
        level = wanted.get(column)
        if level is not None and level not in present:
            if reference and column in reference:
                raise ParameterError(
                    f"reference[{column!r}]={level!r} is not a level of {column!r}; its levels "
                    f"are {[str(v) for v in present]}.")
            level = None
        if level is None:
            if isinstance(series.dtype, pd.CategoricalDtype):
                continue
            level = present[0] if present else None
        levels = [level] + [v for v in present if v != level] if level is not None else present
        out[column] = pd.Categorical(series.astype(object).where(series.notna()),
                                     categories=levels)
    return out


def _level_label(column: str, level: object) -> str:
    if str(level) in _BAND_LABELS and column in ("victim_age_band", "report_delay_band"):
        return _BAND_LABELS[str(level)]
    try:
        categories = dict(load_dictionary()[column].categories)
    except KeyError:
        categories = {}
    label = categories.get(str(level), str(level).replace("_", " "))
    return label[:1].lower() + label[1:] if label[:2] != label[:2].upper() else label


def reference_phrase(column: str, level: object | None = None, *, kind: str = "level") -> str:
    """What a coefficient is compared against, in words.

    ``kind`` is ``"level"`` (a level of a categorical covariate against ``level``), ``"flag"``
    (a 0/1 covariate, against cases without it) or ``"number"`` (per unit).

    Examples
    --------
    >>> reference_phrase("relationship", "acquaintance_friend")
    'against acquaintance or friend'
    >>> reference_phrase("domestic_abuse", kind="flag")
    'against cases without it'
    """
    if kind == "flag":
        return "against cases without it"
    if kind == "number":
        return "per one unit more"
    return f"against {_level_label(column, level)}"


def _column_of(term: str) -> tuple[str, bool]:
    """The data column a design column comes from, and whether it is a level of it."""
    base, sep, _ = term.partition("[T.")
    base = base.strip()
    if base.startswith("C(") and base.endswith(")"):
        base = base[2:-1].split(",")[0].strip()
    return base.strip("`"), bool(sep)


def term_references(data: pd.DataFrame, terms) -> dict[str, str]:
    """For each design column (``relationship[T.stranger]``, ``victim_age``), what its
    coefficient compares against, from the coded ``data`` (see :func:`reference_phrase`).

    The reference of a level is the first level of its column: the categorical order, else the
    alphabetical first (what treatment contrasts drop). Terms not read from one column
    (interactions, transforms) get an empty string.
    """
    out = {}
    for term in terms:
        column, is_level = _column_of(str(term))
        if column not in data.columns:
            out[term] = ""
            continue
        values = data[column]
        if is_level:
            if isinstance(values.dtype, pd.CategoricalDtype):
                first = values.cat.categories[0] if len(values.cat.categories) else None
            else:
                levels = sorted(pd.unique(values.dropna()), key=str)
                first = levels[0] if levels else None
            out[term] = reference_phrase(column, first)
        elif pd.api.types.is_bool_dtype(values.dtype) or bool(
                pd.Series(values).dropna().isin([0, 1]).all()):
            out[term] = reference_phrase(column, kind="flag")
        else:
            out[term] = reference_phrase(column, kind="number")
    return out
