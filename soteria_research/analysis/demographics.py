"""Breakdowns a published series makes: rape against other sexual offences, victim age band, sex
and ethnicity, and financial years labelled for the part of them the data cover.

Outcome shares here are the cohort shares of ``attrition.cohort_rates``: the crimes recorded in
financial years that have been followed for the whole window (365 days by default), pooled, so
open cases never count as failures (docs/domain.md §3). Every category of a code list is listed
whether or not it occurs, so a reader sees a zero (or a protected cell), never a silent gap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.dictionary import load_dictionary
from ..errors import ParameterError
from .attrition import _wilson, cohort_rates
from .timeline import financial_year_bounds

__all__ = [
    "AGE_BANDS",
    "DIMENSIONS",
    "OFFENCE_GROUPS",
    "SHARE_OUTCOMES",
    "breakdown_categories",
    "by_offence_group",
    "financial_year_labels",
    "outcome_shares",
    "victim_age_band",
]

#: Victim age bands (code, first age, first age of the next band, label). The cuts at 13 and
#: 16 are those of the offence code list (rape of a child under 13, under 16:
#: data_dictionaries/offence_codes.csv); 18 separates child from adult victims; adults in
#: groups as the published series show them.
AGE_BANDS = (
    ("0_12", 0, 13, "0–12"),
    ("13_15", 13, 16, "13–15"),
    ("16_17", 16, 18, "16–17"),
    ("18_24", 18, 25, "18–24"),
    ("25_34", 25, 35, "25–34"),
    ("35_49", 35, 50, "35–49"),
    ("50_plus", 50, np.inf, "50 and over"),
)
NOT_RECORDED = "not_recorded"
#: Offence groups of the split, ``all`` first (the total of the other two).
OFFENCE_GROUPS = {"all": "All sexual offences", "rape": "Rape",
                  "other_sexual": "Other sexual offences"}
#: The outcomes whose shares the demographic tables show (``attrition.cohort_rates`` names).
SHARE_OUTCOMES = {"charge": "Charged or summonsed", "victim_withdrawal": "Victim withdrawal",
                  "evidential_difficulty": "Evidential difficulty"}
#: Victim characteristics with a breakdown: column of the cases frame and its heading.
DIMENSIONS = {"victim_age_band": "Victim age", "victim_sex": "Victim sex",
              "victim_ethnicity": "Victim ethnic group"}
_CODELISTS = {"victim_sex": "sexes", "victim_ethnicity": "ethnicity_groups"}


def victim_age_band(ages: pd.Series) -> pd.Series:
    """Victim age at report as the bands of :data:`AGE_BANDS` (``not_recorded`` when missing).

    Examples
    --------
    >>> victim_age_band(pd.Series([0, 12, 13, 17, 18, 49, 50, None])).tolist()
    ['0_12', '0_12', '13_15', '16_17', '18_24', '35_49', '50_plus', 'not_recorded']
    """
    numbers = pd.to_numeric(ages, errors="coerce").astype(float).to_numpy()
    edges = np.array([start for _, start, _, _ in AGE_BANDS[1:]], dtype=float)
    codes = np.array([code for code, *_ in AGE_BANDS], dtype=object)
    position = np.searchsorted(edges, np.nan_to_num(numbers, nan=0.0), side="right")
    banded = np.where(np.isnan(numbers), NOT_RECORDED, codes[position])
    return pd.Series(banded, index=ages.index, dtype=object, name="victim_age_band")


def breakdown_categories(dimension: str) -> list[tuple[str, str]]:
    """Every category of a breakdown, in code-list order: ``[(code, label), ...]``.

    Examples
    --------
    >>> [code for code, _ in breakdown_categories("victim_sex")]
    ['female', 'male', 'not_stated']
    """
    if dimension == "victim_age_band":
        return [(code, label) for code, _, _, label in AGE_BANDS] + [
            (NOT_RECORDED, "Not recorded")]
    if dimension == "offence_group":
        return list(OFFENCE_GROUPS.items())[1:]
    if dimension not in _CODELISTS:
        raise ParameterError(f"dimension={dimension!r} is not one of {sorted(DIMENSIONS)}.")
    codes = load_dictionary().codelists[_CODELISTS[dimension]]
    return list(zip(codes["code"].astype(str), codes["label"].astype(str)))


def outcome_shares(
    cases: pd.DataFrame,
    dimension: str,
    *,
    by: str | Sequence[str] | None = None,
    within_days: int = 365,
    extract_date: object = None,
    level: float = 0.95,
    cluster: str | None = "officer_id",
    strata: str | None = "force",
) -> pd.DataFrame:
    """Share of cases with each outcome within ``within_days`` of recording, by a victim
    characteristic, among crimes recorded in financial years with full follow-up.

    The counts are those of ``attrition.cohort_rates(freq="FY", censor_transfers=True)``
    summed over the financial years it keeps (those followed for the whole window by the
    extract date), so each case counts once and every case had the same time to reach an
    outcome; cases transferred to another body within the window are left out, so the cases
    followed are those of the headline's shares (``cohorts.followed_cases``).

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated cases.
    dimension : {"victim_age_band", "victim_sex", "victim_ethnicity"}
        The breakdown; ages are banded with :func:`victim_age_band`.
    by : str or list of str, optional
        Further grouping (``"force"``); every group gets every category.
    cluster, strata : str or None
        As ``attrition.cohort_rates``: each interval is the Wilson interval at the effective
        number of cases (over the design effect of officer clustering, forces as strata).
        None: plain Wilson intervals.

    Returns
    -------
    DataFrame
        One row per group and category (every category of the code list, zero or not):
        the ``by`` columns, ``category``, ``label``, ``n_cohort`` (cases followed), for each
        outcome of :data:`SHARE_OUTCOMES` its count ``n_<outcome>``, and ``<outcome>_share``,
        ``<outcome>_low``, ``<outcome>_high`` (Wilson, at ``n_cohort /
        <outcome>_design_effect`` cases), ``<outcome>_design_effect``. ``attrs``: ``cohorts`` (the financial
        years pooled), ``within_days``, ``note``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.1, seed=1)
    >>> table = outcome_shares(cases, "victim_sex")
    >>> table["category"].tolist()
    ['female', 'male', 'not_stated']
    """
    by = [] if by is None else [by] if isinstance(by, str) else list(by)
    if dimension not in DIMENSIONS:
        raise ParameterError(f"dimension={dimension!r} is not one of {sorted(DIMENSIONS)}.")
    # a shallow copy: the columns set below replace the copy's own (pandas never writes a
    # whole-column assignment into the shared array), and a deep copy of a national frame is
    # some 300 MB per million cases
    frame = cases.copy(deep=False)
    if dimension == "victim_age_band":
        frame["victim_age_band"] = victim_age_band(cases["victim_age"])
    frame[dimension] = frame[dimension].astype(object).where(frame[dimension].notna(),
                                                             NOT_RECORDED)
    # every financial year followed for the window, pooled: each case counts once
    pooled = cohort_rates(frame, within_days=within_days, freq="FY", by=[*by, dimension],
                          extract_date=extract_date, cluster=cluster, strata=strata,
                          pool_cohorts=True, censor_transfers=True)
    wanted = breakdown_categories(dimension)
    codes = [code for code, _ in wanted]
    extra = sorted(set(pooled[dimension].astype(str)) - set(codes))
    codes += extra  # a code outside the list is shown, not dropped
    groups = (cases[by].drop_duplicates().sort_values(by).itertuples(index=False, name=None)
              if by else [()])
    index = pd.MultiIndex.from_tuples([(*g, c) for g in groups for c in codes],
                                      names=[*by, dimension]) if by else pd.Index(
        codes, name=dimension)
    counts = pooled.pivot_table(index=[*by, dimension], columns="outcome", values="n",
                                aggfunc="sum", fill_value=0)
    deffs = pooled.pivot_table(index=[*by, dimension], columns="outcome",
                               values="design_effect", aggfunc="first").reindex(index)
    followed = pooled[pooled["outcome"].eq("open")].set_index([*by, dimension])["n_cohort"] \
        if len(pooled) else pd.Series(dtype=float)
    counts = counts.reindex(index, fill_value=0)
    table = index.to_frame(index=False).rename(columns={dimension: "category"})
    labels = dict(wanted)
    table["label"] = table["category"].map(lambda c: labels.get(c, c))
    table["n_cohort"] = followed.reindex(index).fillna(0).astype(np.int64).to_numpy()
    for outcome in SHARE_OUTCOMES:
        column = counts[outcome] if outcome in counts.columns else pd.Series(0, index=index)
        table[f"n_{outcome}"] = column.to_numpy(dtype=np.int64)
    for outcome in SHARE_OUTCOMES:
        deff = (deffs[outcome].fillna(1.0).to_numpy(float) if outcome in deffs.columns
                else np.ones(len(table)))
        _, low, high = _wilson(table[f"n_{outcome}"] / deff, table["n_cohort"] / deff, level)
        share, _, _ = _wilson(table[f"n_{outcome}"], table["n_cohort"], level)
        table[f"{outcome}_share"], table[f"{outcome}_low"], table[f"{outcome}_high"] = (
            share, low, high)
        table[f"{outcome}_design_effect"] = deff
    cohorts = list(pooled.attrs.get("cohorts", []))
    table.attrs.update({
        "cohorts": cohorts, "within_days": within_days,
        "note": (f"Crimes recorded in the financial years {', '.join(cohorts)}, each followed "
                 f"for {within_days} days from recording." if cohorts else
                 f"No financial year has been followed for {within_days} days yet."),
    })
    return table


def by_offence_group(table_of, cases: pd.DataFrame, *, by: Sequence[str] = (),
                     counts: Sequence[str] = ("n",), **options) -> pd.DataFrame:
    """A table for all sexual offences, rape and other sexual offences, one under the other.

    ``table_of(cases, by=..., **options)`` is an analysis function returning a tidy frame
    (``attrition.funnel``, ``attrition.outcome_mix``, ``comparison.headline_figures``). The
    result has an ``offence_group`` column (``all``, ``rape``, ``other_sexual``, in that order)
    after the ``by`` columns. A group with no cases in a ``by`` group (a force with no rapes)
    is listed with zero ``counts`` and missing shares, so the split always lines up with the
    all-offences rows and adds up to them.

    Examples
    --------
    >>> from soteria_research.analysis.attrition import funnel
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.1, seed=1)
    >>> split = by_offence_group(funnel, cases).set_index(["offence_group", "stage"])["n"]
    >>> bool(split["all"].eq(split["rape"] + split["other_sexual"]).all())
    True
    """
    by = list(by)
    whole = table_of(cases, by=by or None, **options)
    keys = [c for c in whole.columns if not pd.api.types.is_numeric_dtype(whole[c])
            or c in by]
    parts = [whole.assign(offence_group="all")]
    for group in list(OFFENCE_GROUPS)[1:]:
        subset = cases[cases["offence_group"].eq(group)]
        part = table_of(subset, by=by or None, **options) if len(subset) else whole.iloc[:0]
        merged = whole[keys].merge(part, on=keys, how="left", validate="one_to_one",
                                   indicator="_found")
        absent = merged.pop("_found").eq("left_only").to_numpy()
        for column in whole.columns:
            if column in keys or column not in counts:
                continue
            # zero only where the group has no such row (no rapes in a force); a count the
            # table leaves empty (the first stage has no previous stage) stays empty: as a
            # 0 it made the funnel impossible to protect (every cell withheld; issue 16)
            fill = absent & whole[column].notna().to_numpy()
            merged[column] = merged[column].mask(fill, 0).astype(whole[column].dtype)
        parts.append(merged[whole.columns].assign(offence_group=group))
    frame = pd.concat(parts, ignore_index=True)
    order = [*by, "offence_group"] + [c for c in whole.columns if c not in by]
    frame = frame[order]
    position = frame.groupby("offence_group", sort=False).cumcount()
    group_order = frame["offence_group"].map({g: i for i, g in enumerate(OFFENCE_GROUPS)})
    if by:
        frame = frame.assign(_g=group_order, _p=position).sort_values(
            [*by, "_g", "_p"], kind="stable").drop(columns=["_g", "_p"])
    frame = frame.reset_index(drop=True)
    frame.attrs = dict(whole.attrs)
    return frame


def financial_year_labels(cohorts: Sequence[str], *, covered_from=None,
                          covered_to=None) -> dict[str, str]:
    """Each financial year's label for a reader: ``"2019/20 (part)"`` when the data cover only
    part of its April–March.

    ``covered_from``/``covered_to`` are the first and last days the data (or the report
    period) cover; None means "from before" / "to after" every year.

    Examples
    --------
    >>> financial_year_labels(["2019/20", "2020/21"], covered_from="2019-10-01")
    {'2019/20': '2019/20 (part)', '2020/21': '2020/21'}
    """
    start = None if covered_from is None else pd.Timestamp(covered_from).normalize()
    end = None if covered_to is None else pd.Timestamp(covered_to).normalize()
    labels = {}
    for cohort in cohorts:
        first, last = financial_year_bounds(cohort)
        part = (start is not None and start > first) or (end is not None and end < last)
        labels[cohort] = f"{cohort} (part)" if part else str(cohort)
    return labels
