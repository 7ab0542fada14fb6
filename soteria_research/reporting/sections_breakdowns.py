"""Report glue for the breakdowns a published series makes: rape against other sexual offences
(headline, funnel, outcome mix), victim demographics, financial-year trends with part-years and
the Soteria start, the outcome mix by force and the most similar forces' outcomes.

Every table here is protected before it is formatted. The force × category tables are the
run's linked tables (``national._linked_tables``): the offence split carries ``offence_group``
as one more key whose ``all`` row is the total of ``rape`` and ``other_sexual``, so the run
protects all three together across forces and a hidden rape figure cannot be recovered as all
minus other sexual offences, nor as the national total minus other forces. The national
overview's own tables (national totals, public margins of the linked tables) are protected
alone under ``<name>_national``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..analysis.demographics import (
    DIMENSIONS,
    OFFENCE_GROUPS,
    SHARE_OUTCOMES,
    by_offence_group,
    financial_year_labels,
    outcome_shares,
)
from .national import NATIONAL, WITHIN_DAYS, share_of
from .shared_cases import recorded_span
from .takeaway import format_share

__all__ = [
    "demographic_options",
    "demographics",
    "demographics_view",
    "headline_by_offence",
    "linked_demographics",
    "linked_headline",
    "offence_table",
    "outcome_mix_wide",
    "peer_outcomes",
    "soteria_marks",
    "protected_trends",
    "trend_rates",
    "trends_note",
    "with_year_totals",
    "year_totals_as_column",
    "year_labels",
]

MARKER = "[c]"
NO_CASES = "–"
#: Waves of the programme as a reader names them (data_dictionaries/forces.csv soteria_wave).
WAVES = {"pilot_2021": "Pilot", "pathfinder_2021": "Pathfinder forces",
         "expansion_2022": "Expansion forces", "national_2023": "National roll-out"}


# --------------------------------------------------------------------------------------------
# Tables the run protects once (linked across forces)
# --------------------------------------------------------------------------------------------
def linked_headline(cases: pd.DataFrame, by: str | None = None,
                    extract_date=None) -> pd.DataFrame:
    """Headline figures (``comparison.headline_figures``) for all sexual offences, rape and
    other sexual offences: the ``offence_group`` column, ``all`` first."""
    from ..analysis.comparison import headline_figures

    return by_offence_group(headline_figures, cases, by=[by] if by else [],
                            counts=("count", "n"), within_days=WITHIN_DAYS,
                            extract_date=extract_date)


def demographic_options() -> dict:
    """Disclosure options of a demographic table: the followed cases and each outcome's count
    are cells; each share and its interval is that count over the followed cases (the interval
    at the outcome's design effect). The outcome counts do not add up to the followed cases
    (not every outcome is shown)."""
    rates = {f"{outcome}_{part}": (f"n_{outcome}", "n_cohort")
             for outcome in SHARE_OUTCOMES for part in ("share", "low", "high")}
    # each outcome's interval allows for officer clustering at its own design effect, used to
    # recompute it from the published counts and not published
    deffs = {f"{outcome}_{part}": f"{outcome}_design_effect"
             for outcome in SHARE_OUTCOMES for part in ("share", "low", "high")}
    return {"counts": ["n_cohort", *[f"n_{o}" for o in SHARE_OUTCOMES]], "rates": rates,
            "columns_add_up": False, "design_effect": deffs}


def linked_demographics(cases: pd.DataFrame, by: str = "force",
                        extract_date=None) -> dict[str, tuple[pd.DataFrame, dict]]:
    """The demographic tables of every force, as the run protects them together."""
    return {f"demographics_{dimension}": (
        outcome_shares(cases, dimension, by=by, within_days=WITHIN_DAYS,
                       extract_date=extract_date), demographic_options())
        for dimension in DIMENSIONS}


def _protect(report, frame: pd.DataFrame, name: str, **options):
    """A force report's slice of the run's linked table ``name`` (its options used only when
    the run has none); the national overview's own table, protected alone."""
    if report.is_national:
        return report.protect(frame, name=f"{name}_national", **options)
    return report.protect(frame, name=name, **options)


# --------------------------------------------------------------------------------------------
# Formatting a protected table
# --------------------------------------------------------------------------------------------
def _hidden(protected, column: str) -> np.ndarray:
    mask = protected.mask
    if column not in mask.columns:
        return np.zeros(len(protected.frame), dtype=bool)
    return mask[column].to_numpy(dtype=bool)


def _count_text(value, hidden: bool) -> str:
    if hidden:
        return MARKER
    if value is None or pd.isna(value):
        return NO_CASES
    return f"{float(value):,.0f}"


def _share_text(value, low=np.nan, high=np.nan, hidden: bool = False) -> str:
    if hidden:
        return MARKER
    if value is None or pd.isna(value):
        return NO_CASES
    if pd.isna(low) or pd.isna(high):
        return f"{value:.1%}"
    return f"{value:.1%} ({low:.1%} to {high:.1%})"


def offence_table(protected, key: str, columns: Mapping[str, str],
                  percent: Sequence[str] = ()) -> pd.DataFrame:
    """A protected tidy table with an ``offence_group`` column, laid out for a reader: one row
    per ``key`` value (its plain label), and for each offence group its ``columns`` (counts, or
    ``percent`` columns as percentages); "[c]" where disclosure control hid a cell."""
    from .figures import label

    frame = protected.frame
    rows = list(dict.fromkeys(frame[key]))
    view = pd.DataFrame({label(key).capitalize() if key not in ("stage", "outcome_group")
                         else ("Stage" if key == "stage" else "Outcome"):
                         [label(r) for r in rows]})
    for group, group_label in OFFENCE_GROUPS.items():
        part = frame["offence_group"].eq(group).to_numpy()
        if not part.any():
            continue
        position = {value: i for i, value in enumerate(frame.loc[part, key])}
        for column, heading in columns.items():
            values = frame.loc[part, column].to_numpy()
            hidden = _hidden(protected, column)[part]
            texts = [(_share_text(v, hidden=h) if column in percent else _count_text(v, h))
                     for v, h in zip(values, hidden)]
            view[f"{group_label}: {heading}"] = [
                texts[position[r]] if r in position else NO_CASES for r in rows]
    return view


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------
def headline_by_offence(report) -> pd.DataFrame:
    """Headline figures for all sexual offences, rape and other sexual offences (columns),
    measures down; protected (the run's linked headline tables for a force), then formatted."""
    from .national import _recorded_rows, _share_rows

    by = None if report.is_national else "force"
    frame = report.table("headline")  # linked_headline(report.cases, by=by, ...)
    if by is None:
        frame.insert(0, "force", NATIONAL)
    recorded = _recorded_rows(frame)
    shares = _share_rows(frame)
    if report.is_national:  # no force column in the national tables protected alone
        recorded, shares = recorded.drop(columns="force"), shares.drop(columns="force")
    safe_recorded = _protect(report, recorded, "headline_recorded", counts=["count"])
    safe_shares = _protect(report, shares, "headline", kind="rates", by=["measure"],
                           counts=["count", "n"], rates=share_of("count", "n"),
                           columns_add_up=False,
                           design_effect="design_effect")
    labels = frame.drop_duplicates("measure").set_index("measure")["label"]
    columns: dict[str, list[str]] = {}
    for group, group_label in OFFENCE_GROUPS.items():
        cells = []
        rec = safe_recorded.frame["offence_group"].eq(group).to_numpy()
        cells.append(_count_text(safe_recorded.frame.loc[rec, "count"].iloc[0],
                                 bool(_hidden(safe_recorded, "count")[rec][0])))
        for measure in labels.index[1:]:
            rows = (safe_shares.frame["offence_group"].eq(group)
                    & safe_shares.frame["measure"].eq(measure)).to_numpy()
            row = safe_shares.frame.loc[rows].iloc[0]
            hidden = bool((_hidden(safe_shares, "estimate") | _hidden(safe_shares, "n"))[rows][0])
            cells.append(_share_text(row["estimate"], row["ci_low"], row["ci_high"], hidden))
        columns[group_label] = cells
    view = pd.DataFrame(columns)
    view.insert(0, "Measure", labels.tolist())
    return view


def demographics(report, dimension: str):
    """The protected outcome shares by one victim characteristic (``outcome_shares``): the
    run's linked table for a force, the national table protected alone for the overview."""
    frame = report.table(f"demographics_{dimension}")  # outcome_shares of report.cases
    protected = _protect(report, frame, f"demographics_{dimension}", **demographic_options())
    protected.frame.attrs.update(frame.attrs)
    return protected


def demographics_view(protected, dimension: str) -> pd.DataFrame:
    """A protected demographic table for a reader: every category, cases followed, and each
    outcome's share with its 95% Wilson interval ("[c]" where hidden)."""
    frame = protected.frame
    view = pd.DataFrame({DIMENSIONS[dimension]: frame["label"].to_numpy()})
    hidden_n = _hidden(protected, "n_cohort")
    view["Cases followed for a year"] = [_count_text(v, h)
                                         for v, h in zip(frame["n_cohort"], hidden_n)]
    for outcome, heading in SHARE_OUTCOMES.items():
        hidden = _hidden(protected, f"{outcome}_share") | _hidden(protected, f"n_{outcome}")
        view[f"{heading} within {WITHIN_DAYS} days"] = [
            _share_text(s, lo, hi, h) for s, lo, hi, h in zip(
                frame[f"{outcome}_share"], frame[f"{outcome}_low"], frame[f"{outcome}_high"],
                hidden)]
    return view


def outcome_mix_wide(report, protected) -> pd.DataFrame:
    """The outcome mix by force (all sexual offences) as a wide table: force names down,
    outcome groups across, each the share of the force's recorded crimes ("[c]" where hidden).

    ``protected`` is what ``report.protect(report.outcome_mix_by_force(), name="outcome_mix")``
    returned (the run's linked table).
    """
    from .figures import label

    frame = protected.frame
    keep = frame["offence_group"].eq("all").to_numpy() if "offence_group" in frame else \
        np.ones(len(frame), dtype=bool)
    part = frame.loc[keep]
    hidden_share = (_hidden(protected, "share") | _hidden(protected, "n"))[keep]
    forces = list(dict.fromkeys(part["force"]))
    outcomes = list(dict.fromkeys(part["outcome_group"]))
    cells = {(f, o): _share_text(s, hidden=h) for f, o, s, h in zip(
        part["force"], part["outcome_group"], part["share"], hidden_share)}
    totals = _recorded_by_force(report)
    names = report.force_names
    view = pd.DataFrame({"Force": [names.get(f, f) for f in forces],
                         "Crimes recorded": [totals.get(f, MARKER) for f in forces]})
    for outcome in outcomes:
        view[label(outcome)] = [cells[(f, outcome)] for f in forces]
    return view.sort_values("Force", kind="stable").reset_index(drop=True)


def _recorded_by_force(report) -> dict[str, str]:
    """Crimes recorded by each force (all sexual offences) as every force report publishes
    them: the run's linked ``headline_recorded`` table."""
    linked = getattr(report.disclosure, "linked", None)
    if linked is None or "headline_recorded" not in linked.names:
        return {}
    table = linked.table("headline_recorded")
    rows = _all_rows(table.frame)
    hidden = table.mask["count"].to_numpy(dtype=bool)
    return {force: _count_text(count, h) for force, count, h, keep in zip(
        table.frame["force"], table.frame["count"], hidden, rows) if keep}


def peer_outcomes(report) -> pd.DataFrame:
    """This force and its most similar forces with their outcomes: crimes recorded, and charge
    and victim withdrawal within a year (cases with a full year of follow-up) with 95%
    intervals, each force's figures exactly as its own report publishes them (the run's linked
    headline tables), and how alike each peer is."""
    columns = ["Force", "Crimes recorded", f"Charged within {WITHIN_DAYS} days",
               f"Victim withdrew within {WITHIN_DAYS} days",
               "More alike than this share of pairs of forces"]
    linked = getattr(report.disclosure, "linked", None)
    if report.is_national or linked is None or "headline" not in linked.names:
        return pd.DataFrame(columns=columns)
    peers = report.artefact("peers")
    mine = peers[peers["force"].eq(report.force)].sort_values("rank")
    similarity = (dict(zip(mine["peer"], mine["similarity"])) if "similarity" in mine.columns
                  else {})
    if mine.empty:
        # a table of the force alone under "the most similar forces" read as an error
        force_only = getattr(report, "force_only", None)
        named = [report.force_names.get(c, c) for c in force_only.peers()] if force_only else []
        why = (f"the data hold {report.name}'s cases alone, so no other force's figures are in "
               "them" + (f"; its most similar forces in the benchmark file ({', '.join(named)}) "
                         "are in the headline table, together" if named else "")
               if force_only is not None
               else f"no force in these data was matched to {report.name}")
        return pd.DataFrame({"Most similar forces": [f"None to show: {why}."]})
    rows = []
    for force in [report.force, *mine["peer"].tolist()]:
        recorded = linked.slice("headline_recorded", force)
        shares = linked.slice("headline", force)
        rec_all = _all_rows(recorded.frame)
        sh_all = _all_rows(shares.frame)
        cells = {}
        for measure in ("charged_within", "withdrawn_within"):
            at = sh_all & shares.frame["measure"].eq(measure).to_numpy()
            if not at.any():
                cells[measure] = NO_CASES
                continue
            row = shares.frame.loc[at].iloc[0]
            hidden = bool((shares.mask["estimate"] | shares.mask["n"]).to_numpy()[at][0])
            cells[measure] = _share_text(row["estimate"], row["ci_low"], row["ci_high"], hidden)
        name = report.force_names.get(force, force)
        rows.append([
            f"{name} (this force)" if force == report.force else name,
            _count_text(recorded.frame.loc[rec_all, "count"].iloc[0],
                        bool(recorded.mask["count"].to_numpy()[rec_all][0])),
            cells["charged_within"], cells["withdrawn_within"],
            "" if force == report.force or force not in similarity
            else format_share(similarity[force]),
        ])
    return pd.DataFrame(rows, columns=columns)


def _all_rows(frame: pd.DataFrame) -> np.ndarray:
    if "offence_group" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    return frame["offence_group"].eq("all").to_numpy()


# --------------------------------------------------------------------------------------------
# Trends: financial years, part-years and the programme's start
# --------------------------------------------------------------------------------------------
def trend_rates(cases: pd.DataFrame, by: str | None = None, *, within_days: int = WITHIN_DAYS,
                extract_date=None) -> pd.DataFrame:
    """Outcomes within ``within_days`` by financial year of recording
    (``attrition.cohort_rates(freq="FY")``, complete cohorts only, cases transferred within
    the window left out as in the headline's shares): charge, victim withdrawal, evidential
    difficulty, and every other outcome or open case together (``other_or_open``), each with
    ``n``, ``n_cohort`` and a Wilson interval.

    The rare outcomes are pooled because disclosure control hides a small cell together with
    the smallest cell beside it: a hidden "no suspect" count would otherwise take the charge
    count, the figure readers look for, with it.
    """
    from ..analysis import attrition
    from ..analysis.outcomes import competing_risks

    shown = list(SHARE_OUTCOMES)
    rest = [o for o in [*competing_risks(), "open"] if o not in shown]
    rates = attrition.cohort_rates(cases, within_days=within_days, freq="FY", by=by,
                                   extract_date=extract_date, pool={"other_or_open": rest},
                                   censor_transfers=True)
    keys = ([by] if by else []) + ["cohort"]
    order = {o: i for i, o in enumerate([*shown, "other_or_open"])}
    pooled = rates.assign(_o=rates["outcome"].map(order)).sort_values(
        [*keys, "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    pooled = pooled[[*keys, "outcome", "n", "n_cohort", "estimate", "ci_low", "ci_high",
                     "design_effect"]]
    pooled.attrs = dict(rates.attrs)
    return pooled


#: The ``outcome`` of a financial year's total row in the trend table as protected: the year's
#: cases followed for a year (``n_cohort``) as a count cell of its own (issue 16).
YEAR_TOTAL = "all"
TREND_SHARES = ("estimate", "ci_low", "ci_high")


def with_year_totals(rates: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The trend table as disclosure control protects it: each year's cases followed for a
    year as a row of its own (``outcome`` :data:`YEAR_TOTAL`, ``n`` = ``n_cohort``), and, with
    ``by``, every year of the table listed for every group (no cases: ``n`` 0).

    The four outcomes partition a year's cases, so whoever reads them has the year's total; the
    shares and their intervals give it too (a share of 0 has no design effect: its upper
    bound is ``z² / (n + z²)``). A total is therefore a published count: it must obey the
    threshold, and a small one must not follow from the national total less the other forces'
    (City of London's years of 1, 2 and 1 cases did; issue 16). Left as a repeated column it
    is only assumed known, never protected. A year missing for one force read as 0 (item 3).

    Examples
    --------
    >>> rates = pd.DataFrame({"force": ["a", "a", "b", "b"], "cohort": ["2020/21"] * 2
    ...                       + ["2021/22"] * 2, "outcome": ["charge", "other_or_open"] * 2,
    ...                       "n": [1, 2, 3, 4], "n_cohort": [3, 3, 7, 7],
    ...                       "estimate": [1 / 3, 2 / 3, 3 / 7, 4 / 7]})
    >>> table = with_year_totals(rates, by="force")
    >>> table[table["outcome"].eq("all")][["force", "cohort", "n"]].values.tolist()
    [['a', '2020/21', 3], ['a', '2021/22', 0], ['b', '2020/21', 0], ['b', '2021/22', 7]]
    """
    keys = ([by] if by else []) + ["cohort"]
    outcomes = list(dict.fromkeys(rates["outcome"]))
    totals = (rates.drop_duplicates(keys)[keys + ["n_cohort"]]
              .rename(columns={"n_cohort": "n"}).assign(outcome=YEAR_TOTAL))
    long = pd.concat([rates.drop(columns="n_cohort"), totals], ignore_index=True)
    order = [*outcomes, YEAR_TOTAL]
    if by:
        grid = pd.MultiIndex.from_product(
            [list(dict.fromkeys(rates[by])), sorted(dict.fromkeys(rates["cohort"])), order],
            names=[by, "cohort", "outcome"])
        long = (long.set_index([by, "cohort", "outcome"]).reindex(grid).reset_index())
        long["n"] = long["n"].fillna(0).astype(int)
        if "design_effect" in long:
            long["design_effect"] = long["design_effect"].fillna(1.0)
    rank = {o: i for i, o in enumerate(order)}
    long = (long.assign(_o=long["outcome"].map(rank)).sort_values([*keys, "_o"], kind="stable")
            .drop(columns="_o").reset_index(drop=True))
    long.attrs = dict(rates.attrs)
    return long


def year_totals_as_column(protected, effects: pd.DataFrame | None = None,
                          level: float = 0.95):
    """A protected :func:`with_year_totals` table back in the report's layout: each year's
    total as an ``n_cohort`` column beside its outcomes (hidden where the total is hidden),
    and the shares and Wilson intervals (at each row's design effect) computed from the
    *published* counts, hidden wherever the count or the year's total is.

    The shares then give neither a hidden total back nor the unrounded one. ``effects``: the
    unprotected table with its ``design_effect`` column (protection drops it: design effects
    are used, never published); default 1 (the plain Wilson interval)."""
    from .disclosure import ProtectedTable
    from .disclosure.rounding import wilson

    frame, mask = protected.frame, protected.mask
    if frame.empty or "outcome" not in frame or not frame["outcome"].eq(YEAR_TOTAL).any():
        return protected
    frame, mask = frame.reset_index(drop=True), mask.reset_index(drop=True)
    keys = [c for c in ("force", "cohort") if c in frame.columns]
    is_total = frame["outcome"].eq(YEAR_TOTAL).to_numpy()
    totals = frame.loc[is_total, keys].assign(
        n_cohort=pd.to_numeric(frame.loc[is_total, "n"], errors="coerce").to_numpy(),
        _hidden=mask.loc[is_total, "n"].to_numpy())
    rows = frame.loc[~is_total].reset_index(drop=True)
    hidden = mask.loc[~is_total].reset_index(drop=True)
    joined = rows[keys].merge(totals, on=keys, how="left")
    total = joined["n_cohort"].to_numpy(dtype=float)
    total_hidden = joined["_hidden"].fillna(True).to_numpy(dtype=bool)
    count = pd.to_numeric(rows["n"], errors="coerce").to_numpy(dtype=float)
    count_hidden = hidden["n"].to_numpy(dtype=bool)
    total[total_hidden] = np.nan
    count[count_hidden] = np.nan
    if effects is not None and "design_effect" in effects and "design_effect" not in rows:
        on = [c for c in [*keys, "outcome"] if c in effects.columns]
        rows = rows.merge(effects[[*on, "design_effect"]].drop_duplicates(on), on=on,
                          how="left")
        hidden["design_effect"] = False
    effect = (pd.to_numeric(rows["design_effect"], errors="coerce").to_numpy(dtype=float)
              if "design_effect" in rows else np.ones(len(rows)))
    effect = np.where(np.isfinite(effect) & (effect > 0), effect, 1.0)
    usable = np.isfinite(count) & np.isfinite(total) & (total > 0) & (count <= total)
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = wilson(count / effect, total / effect, level)
        values = {"estimate": count / total, "ci_low": low, "ci_high": high}
    position = list(rows.columns).index("n") + 1
    rows.insert(position, "n_cohort", total)
    hidden.insert(position, "n_cohort", total_hidden)
    newly = 0
    for column, value in values.items():
        if column in rows.columns:
            rows[column] = np.where(usable, value, np.nan)
            before = hidden[column].to_numpy(dtype=bool)
            hidden[column] = count_hidden | total_hidden
            newly += int((hidden[column].to_numpy() & ~before).sum())
    if newly:  # shares hidden with their year's total: counted in disclosure.json
        protected.record.derived_suppressed += newly
    rows.attrs = dict(protected.frame.attrs)
    return ProtectedTable(rows, hidden, protected.record, counts=("n", "n_cohort"))


def protected_trends(report):
    """The report's trend table (outcomes within a year by financial year), protected: the
    run's linked ``cohort_trends`` (``cohort_trends_national`` in the national overview,
    protected alone) with each year's total a count cell (:func:`with_year_totals`), in the
    report's layout (:func:`year_totals_as_column`)."""
    name = "cohort_trends_national" if report.is_national else "cohort_trends"
    rates = report.table("cohort_rates")  # national.linked_cohort_rates(report.cases)
    table = with_year_totals(rates) if len(report.cases) else rates
    if not report.is_national:  # the run's table has the offence groups' all-years rows too
        table = table.assign(offence_group="all")
    protected = report.protect(table, name=name, counts=["n"],
                               rates=dict.fromkeys(TREND_SHARES, ("n", None)),
                               design_effect="design_effect")
    years = ~protected.frame["cohort"].astype(str).eq(ALL_YEARS).to_numpy()
    if "offence_group" in protected.frame:
        years &= protected.frame["offence_group"].astype(str).eq("all").to_numpy()
    if not years.all():  # the run's all-years rows are the headline's figures, not shown here
        from .disclosure import ProtectedTable

        protected = ProtectedTable(protected.frame[years].reset_index(drop=True),
                                   protected.mask[years].reset_index(drop=True),
                                   protected.record, counts=protected.counts)
    return year_totals_as_column(protected, effects=table)


#: The ``cohort`` of the run's trend rows that add the financial years up: the headline's cases
#: followed a year and their outcomes (one cohort, protected with the years).
ALL_YEARS = "all"


def _all_years(cases: pd.DataFrame, by=None) -> pd.DataFrame:
    """The trend's years added up: each outcome's count and the cases (``outcome``
    :data:`YEAR_TOTAL`) over every year followed, per ``by`` group (one column)."""
    by = by[0] if isinstance(by, list | tuple) and by else by or None
    rates = trend_rates(cases, by=by)
    keys = [by] if by else []
    counts = rates.groupby([*keys, "outcome"], sort=False, as_index=False)["n"].sum()
    totals = (rates.drop_duplicates([*keys, "cohort"]).groupby(keys, sort=False)["n_cohort"]
              .sum() if keys else pd.Series([rates.drop_duplicates("cohort")["n_cohort"].sum()]))
    totals = (totals.rename("n").reset_index() if keys else totals.rename("n").to_frame())
    return pd.concat([counts, totals.assign(outcome=YEAR_TOTAL)], ignore_index=True)


def with_all_years(table: pd.DataFrame, cases: pd.DataFrame, by: str = "force") -> pd.DataFrame:
    """The run's trend table with its years added up (``cohort`` :data:`ALL_YEARS`), for all
    sexual offences, rape and other sexual offences (``offence_group``; the years themselves
    are of all offences): the headline's cases followed a year and their outcomes within it,
    the same cases (docs/methods.md section 8). Protected as one table, the years add up to
    the headline's figures and the offence groups to all offences, so no complement chosen
    for one is given back by the other."""
    from ..analysis.demographics import by_offence_group

    years = table.assign(offence_group="all")
    sums = by_offence_group(_all_years, cases, by=[by], counts=("n",)).assign(cohort=ALL_YEARS)
    for column in TREND_SHARES:
        if column in table:
            sums[column] = np.nan
    if "design_effect" in table:
        sums["design_effect"] = 1.0
    columns = [by, "offence_group", *[c for c in table.columns if c != by]]
    out = pd.concat([years[columns], sums.reindex(columns=columns)], ignore_index=True)
    out["n"] = out["n"].fillna(0).astype(int)
    out.attrs = dict(table.attrs)
    return out


def _coverage(report) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last day the report's data cover: the report period when given, otherwise
    the whole file's first and last recorded month (an extract starts and ends on a month, so a
    first crime on 2 April does not make April a part month)."""
    params = report.params
    start = pd.Timestamp(params.period_start) if params.period_start else None
    end = pd.Timestamp(params.period_end) if params.period_end else None
    if start is None or end is None:
        first, last = recorded_span(report.folder)
        if first is not None:
            if start is None:
                start = first.to_period("M").start_time
            if end is None:
                end = last.to_period("M").end_time.normalize()
    if params.extract_date:
        extract = pd.Timestamp(params.extract_date)
        end = extract if end is None else min(end, extract)
    return start, end


def year_labels(report, frame: pd.DataFrame) -> dict[str, str]:
    """Each financial year of ``frame["cohort"]`` as a reader sees it: "2019/20 (part)" where
    the data (or the report period) cover only part of its April–March."""
    start, end = _coverage(report)
    cohorts = list(dict.fromkeys(frame["cohort"].astype(str))) if len(frame) else []
    return financial_year_labels(cohorts, covered_from=start, covered_to=end)


def soteria_marks(report) -> list[tuple[pd.Timestamp, str]]:
    """When the programme started: the force's ``soteria_start`` (data_dictionaries/forces.csv),
    or for the national overview each wave's start."""
    from ..data.dictionary import load_dictionary

    forces = load_dictionary().forces
    forces = forces[forces["soteria_start"].notna()]
    if not report.is_national:
        row = forces[forces["code"].eq(report.force)]
        if row.empty:
            return []
        start = pd.Timestamp(row["soteria_start"].iloc[0])
        return [(start, f"Soteria from {start:%b %Y}")]
    marks = []
    for wave, part in forces.groupby("soteria_wave", sort=False):
        start = pd.Timestamp(part["soteria_start"].iloc[0])
        marks.append((start, f"{WAVES.get(wave, wave)} ({len(part)}) from {start:%b %Y}"))
    return sorted(marks)


def trends_note(report, cohorts: pd.DataFrame) -> str:
    """The sentence under the trend figure: which years, which are part-years, which left out."""
    labels = year_labels(report, cohorts)
    part = [label for label in labels.values() if label.endswith("(part)")]
    words = [f"Crimes recorded in each financial year (April to March), each followed for "
             f"{WITHIN_DAYS} days from recording (less those transferred to another body within "
             "that time, as in the headline); each panel has its own scale."]
    if part:
        words.append(f"{', '.join(part)}: the data cover only part of the year.")
    excluded = cohorts.attrs.get("excluded_cohorts", [])
    if excluded:
        words.append(f"Left out, not yet followed for {WITHIN_DAYS} days: "
                     f"{', '.join(excluded)}.")
    return " ".join(words)
