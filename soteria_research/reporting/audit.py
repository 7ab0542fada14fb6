"""The truth audit: build the reports on a synthetic world whose truth is known, and check every
published figure that has a truth counterpart against it.

The audit (``make audit``, or :func:`truth_audit`) does what a run does — ``soteria report`` on
a case file, internal disclosure profile so nothing is hidden — on cases from
:func:`~soteria_research.data.synthetic.generate_cases`, then reads every figure of every
``metrics.json`` of the run and matches each to the generator's truth
(:func:`~soteria_research.data.synthetic.ground_truth`, ``outcome_probabilities``: force,
financial-year cohort, offence group, outcome, days since recording). A figure is matched only
when ``metrics.json`` says exactly what it estimates (``estimand``, ``recorded_from``,
``recorded_to``: :data:`~soteria_research.reporting.national.HEADLINE_ESTIMANDS`) and a truth
frame holds that quantity; every other published figure is listed with the reason it has no
counterpart. The report tables that ``metrics.json`` does not carry but whose estimand a truth
frame holds (the outcomes within a year by financial year of recording, and the time-to-outcome
table) are audited too, from the same functions the notebooks call, and marked as such.

The truth of a headline share pools cases recorded over several financial years, so it is the
case-weighted mean of the truths of its force × cohort × offence-group cells, weighted by the
cases the figure counts (counted here from the raw columns, not by the code under audit); a
share whose count differs from that count is reported in ``n_check``.

Why the audit world has no transfers (``transfer_rate = 0``): the truth treats a transfer to
another body as independent censoring (a world without transfers), while the shares count a
transfer as leaving the denominator (headline) or as its own outcome (cohort trends); with
transfers at the default rate these differ from the truth by about the share transferred
(about 1%), a difference of estimand, not of estimation, which at national scale is as large as
the interval. Without transfers every matched figure targets exactly its truth.

Days: the data hold dates, so "within t days" in a report is "before day t + 1" of the
generator's continuous time, and is matched to that truth (:data:`TRUTH_WINDOWS`).

Hazard ratios: the reports publish hazard ratios of a device request (drivers, and the digital
forensics table) but no truth frame holds them (they are conditional on the report's own
covariates, not on the generator's frailties and stages). What can be checked is the null: in a
world where the request and the programme have no effect
(``SyntheticConfig.counterfactual(programme=False, device=False)``) they should cover 1. These
are computed with the functions the reports call (``analysis.drivers.drivers``,
``analysis.pillars.device_requests``) on each report's cases. Requests in the generator are not
made at random (officers who act faster also request sooner and see fewer withdrawals; offence
and delay change how soon a request comes), so the ratios are adjusted for the case mix and
compared within each officer's cases (the cause-specific models are stratified by officer):
unadjusted, or adjusted without the officer strata, the national ratios missed 1 (withdrawal
0.97, 0.95 to 0.99; charge 1.07, 1.03 to 1.11, on eight forces at scale 1). The reports show
no programme effect, so none is audited here.

Standardised error: ``(estimate - truth) / sqrt(se**2 + q**2 / 12 + truth_se**2)``, ``se``
from the 95% interval (its width over 2 × 1.96, on the log scale for a ratio), ``truth_se`` the
Monte Carlo error of the truth, so a truth computed from few simulated cases does not pass for
a bias, and ``q`` the step to which the figure is printed (:data:`METRICS_QUANTUM` for
``metrics.json``, which prints shares to 0.1% as the HTML does; 0 for the report tables, read
unrounded): a printed 0.142 is the estimate to within ±0.0005, which at national scale is as
large as the interval's standard error (the rounding is uniform, variance ``q**2 / 12``).

Reading the summary: ``coverage`` is the share of intervals that contain the truth as
computed. That truth is a Monte Carlo estimate, and a metrics.json figure is printed rounded,
so even a correct 95% interval contains it less often than 95%: ``expected`` is the mean over
the figures of how often it would (``P(|N(0, σ²)| <= 1.96 se)`` with ``σ`` the standardised
error's denominator), and ``coverage`` is to be read beside it. ``within_z95`` is the share
with ``|z| <= 1.96``, which allows for both (95% for correct intervals), and ``sd_z`` the
spread of ``z`` (1 for correct intervals; below 1, intervals wider than they need be).

Examples
--------
>>> from soteria_research.reporting.audit import truth_audit
>>> audit = truth_audit(forces=["durham", "cumbria"], scale=0.1)   # doctest: +SKIP
>>> print(audit.render())                                          # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .parameters import NATIONAL
from .report_common import TABLE_DAYS  # the days of the reports' time-to-outcome table

__all__ = ["AuditWorld", "TruthAudit", "audit_metrics", "audit_report_tables",
           "null_hazard_ratios", "read_metrics", "truth_audit", "main"]

Z95 = 1.959963984540054
#: Truth windows. The data hold dates: a case recorded on day 0 whose outcome comes at time
#: 30.7 (days, continuous, as the generator runs) has its outcome dated day 30, and every
#: report counts it "within 30 days". So a report's "within t days" is the generator's "before
#: t + 1 days", and its truth is ``outcome_probabilities`` at ``t + 1`` (at day 30 the
#: difference is several standard errors at national scale).
TRUTH_WINDOWS = tuple(t + 1 for t in (*TABLE_DAYS, 365))
#: Competing outcomes of the reports (registry names), which the truth reports by name.
OUTCOMES = ("charge", "victim_withdrawal", "evidential_difficulty", "no_suspect", "other")
#: Rows of the cohort trends that pool outcomes: their truth is the sum of the outcomes' truths
#: (no transfers in the audit world; its Monte Carlo error is taken as if they were independent).
POOLED = {"other_or_open": ("no_suspect", "other", "open")}
#: Step to which ``metrics.json`` prints a share and its interval (three decimals:
#: ``report_common.published_figures``, no more precision than the HTML's 0.1%).
METRICS_QUANTUM = 0.001
#: The normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054
TABLE_COLUMNS = ["source", "report", "figure", "outcome", "cohorts", "within_days", "estimate",
                 "ci_low", "ci_high", "se", "truth", "truth_se", "z", "covered", "expected",
                 "degenerate", "n", "n_check"]


@dataclass(frozen=True)
class AuditWorld:
    """The synthetic world of an audit.

    ``forces`` (``None``: all 43) at ``scale``, recorded ``start`` to ``end`` and extracted on
    ``end``; the default end (30 March 2024) puts the last day a headline share counts,
    ``end`` minus 365 days, on 31 March 2023, so the headline pools whole financial years.
    The truth is computed from ``truth_n_sim`` Monte Carlo worlds at ``truth_scale`` (keep
    their product well above ``scale``: its error is ``truth_se``).
    """

    forces: tuple[str, ...] | None = ("durham", "cumbria", "northumbria")
    scale: float = 0.1
    seed: int = 5
    start: str = "2019-04-01"
    end: str = "2024-03-30"
    truth_scale: float = 1.0
    truth_n_sim: int = 1
    truth_seed: int = 20_261_202
    transfers: bool = False

    def config(self, *, null: bool = False):
        from ..data.synthetic import SyntheticConfig

        config = SyntheticConfig()
        if not self.transfers:
            config = replace(config, transfer_rate=0.0)
        if null:
            config = config.counterfactual(programme=False, device=False)
        return config

    def cases(self, *, null: bool = False) -> pd.DataFrame:
        from ..data.synthetic import generate_cases

        with np.errstate(divide="ignore"):  # no transfers: an infinite time to transfer
            return generate_cases(forces=None if self.forces is None else list(self.forces),
                                  start=self.start, end=self.end, scale=self.scale,
                                  seed=self.seed, config=self.config(null=null))

    def truth(self):
        from ..data.synthetic import ground_truth

        truth = ground_truth(self.config(), forces=None if self.forces is None else list(self.forces),
                             start=self.start, end=self.end, scale=self.truth_scale,
                             n_sim=self.truth_n_sim, seed=self.truth_seed, windows=TRUTH_WINDOWS)
        with np.errstate(divide="ignore"):  # computed now, where the warning is understood
            truth.outcome_probabilities  # noqa: B018
        return truth


@dataclass
class TruthAudit:
    """What :func:`truth_audit` found.

    Attributes
    ----------
    table : DataFrame
        One row per audited figure (:data:`TABLE_COLUMNS`): ``source`` (``metrics.json`` or
        the report table it comes from), ``report`` (force code or ``national``), ``figure``,
        ``outcome``, ``cohorts``, ``within_days``, the published ``estimate, ci_low, ci_high``,
        ``se`` (from the interval), ``truth``, ``truth_se`` (Monte Carlo), ``z`` (standardised
        error), ``covered`` (truth inside the interval), ``expected`` (how often a correct
        interval would contain this truth, given its Monte Carlo error and the printed
        precision: see the module's notes), ``degenerate`` (an interval of zero
        width, as the log(-log) interval of a cumulative incidence is before its first event:
        ``z`` is then not defined and left empty, and the figure counts as covered only if its
        truth is exactly the estimate), ``n`` and ``n_check`` (the cases the truth was weighted
        by, for a headline share).
    unmatched : DataFrame
        ``source, report, figure, reason``: published figures with no truth counterpart.
    null_ratios : DataFrame
        ``report, figure, estimate, ci_low, ci_high, se, z, covers_one``: hazard ratios of a
        device request in the world where neither it nor the programme has any effect.
    world : AuditWorld
    run_dir : Path or None
    """

    table: pd.DataFrame
    unmatched: pd.DataFrame
    null_ratios: pd.DataFrame
    world: AuditWorld
    run_dir: Path | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """Coverage of the 95% intervals, mean and largest |standardised error|, by source and
        overall (and for the null hazard ratios: how often they cover 1)."""
        rows = []
        for source, part in [*self.table.groupby("source", sort=False), ("all audited", self.table)]:
            rows.append({"set": source, "figures": len(part),
                         "coverage": part["covered"].mean() if len(part) else np.nan,
                         "expected": part["expected"].mean() if len(part) else np.nan,
                         "within_z95": part["z"].abs().le(Z95).mean() if len(part) else np.nan,
                         "mean_z": part["z"].mean() if len(part) else np.nan,
                         "sd_z": part["z"].std() if len(part) > 1 else np.nan,
                         "max_abs_z": part["z"].abs().max() if len(part) else np.nan,
                         "zero_width": int(part["degenerate"].sum())})
        null = self.null_ratios
        rows.append({"set": "null world: hazard ratios cover 1", "figures": len(null),
                     "coverage": null["covers_one"].mean() if len(null) else np.nan,
                     "expected": 0.95 if len(null) else np.nan,  # the truth, 1, is exact
                     "within_z95": null["z"].abs().le(Z95).mean() if len(null) else np.nan,
                     "mean_z": null["z"].mean() if len(null) else np.nan,
                     "sd_z": null["z"].std() if len(null) > 1 else np.nan,
                     "max_abs_z": null["z"].abs().max() if len(null) else np.nan,
                     "zero_width": 0})
        return pd.DataFrame(rows)

    def render(self, *, rows: int | None = None) -> str:
        """The audit as plain text: the summary, every audited figure (or the ``rows`` with the
        largest |standardised error|), the null hazard ratios and the unmatched figures."""
        def fmt(frame: pd.DataFrame) -> str:
            return frame.to_string(index=False, float_format=lambda v: f"{v:.4g}")

        table = self.table
        if rows is not None and len(table) > rows:  # every miss, then the largest |z|
            order = (~table["covered"]).astype(int) * 1e9 + table["z"].abs().fillna(1e9)
            table = table.reindex(order.sort_values(ascending=False).index[:rows])
        world = self.world
        parts = [
            f"Truth audit: forces {'all 43' if world.forces is None else ', '.join(world.forces)}"
            f", scale {world.scale:g}, seed {world.seed}, recorded {world.start} to {world.end}; "
            f"truth from {world.truth_n_sim} world(s) at scale {world.truth_scale:g}.",
            "", "Summary (coverage of the 95% intervals; z = standardised error):",
            fmt(self.summary()),
            "", ("Audited figures" + ("" if rows is None or len(self.table) <= rows
                                      else f" ({rows} of {len(self.table)}: the misses, then the largest |z|)")
                 + ":"),
            fmt(table.drop(columns=["n_check"])),
            "", "Device-request hazard ratios in a world where the request and the programme "
            "have no effect:", fmt(self.null_ratios),
            "", "Published figures without a truth counterpart:",
            fmt(self.unmatched) if len(self.unmatched) else "(none)",
        ]
        parts += [f"note: {n}" for n in self.notes]
        return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# Truth of a figure
# --------------------------------------------------------------------------------------------
def _financial_year(dates: pd.Series) -> pd.Series:
    """April-March financial year as "2022/23" (computed here, not by the code under audit)."""
    start = dates.dt.year - (dates.dt.month < 4).astype(int)
    return start.astype(str) + "/" + ((start + 1) % 100).map("{:02d}".format)


def _cell_truth(truth, outcome: str, within_days: float) -> pd.DataFrame:
    """Truth per force × cohort × offence group of one outcome within ``within_days`` whole
    days of recording, as the data count them (the generator's window ``within_days + 1``,
    see :data:`TRUTH_WINDOWS`)."""
    table = truth.outcome_probabilities
    rows = table[table["force"].ne("all") & table["cohort"].ne("all")
                 & table["offence_group"].ne("all") & table["outcome"].eq(outcome)
                 & table["within_days"].eq(float(within_days) + 1)]
    return rows.set_index(["force", "cohort", "offence_group"])[["probability", "mc_se"]]


def _weighted_truth(cells: pd.DataFrame, weights: pd.Series) -> tuple[float, float]:
    """Case-weighted mean of cell truths and its Monte Carlo error."""
    joined = cells.reindex(weights.index)
    if joined["probability"].isna().any():
        missing = list(joined.index[joined["probability"].isna()][:3])
        raise KeyError(f"no truth for the cells {missing}")
    w = weights.to_numpy(float) / weights.sum()
    return (float(np.sum(w * joined["probability"])),
            float(np.sqrt(np.sum(w**2 * joined["mc_se"] ** 2))))


def _se(low, high, *, log: bool = False) -> float:
    if log:
        return (math.log(high) - math.log(low)) / (2 * Z95)
    return (high - low) / (2 * Z95)


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


# --------------------------------------------------------------------------------------------
# metrics.json
# --------------------------------------------------------------------------------------------
def read_metrics(run_dir: str | os.PathLike) -> dict[str, dict]:
    """Every ``metrics.json`` of a run: report (force code or ``national``) -> its content."""
    run_dir = Path(run_dir)
    found = {}
    for path in sorted(run_dir.rglob("metrics.json")):
        content = json.loads(path.read_text(encoding="utf-8"))
        found[content.get("force") or content.get("report") or path.parent.name] = content
    return found


def audit_metrics(metrics: dict[str, dict], cases: pd.DataFrame, truth) -> tuple[
        list[dict], list[dict]]:
    """Match every figure of every ``metrics.json`` to its truth.

    Returns the audited rows and the unmatched figures (each with its reason).
    """
    audited, unmatched = [], []
    cases = cases.assign(cohort=_financial_year(cases["recorded_date"]))
    days_to_outcome = (cases["outcome_date"] - cases["recorded_date"]).dt.days
    for report, content in metrics.items():
        mine = cases if report == NATIONAL else cases[cases["force"].eq(report)]
        for name, figure in content.get("figures", {}).items():
            row = _audit_headline(report, name, figure, content, mine, days_to_outcome, truth)
            (audited if "truth" in row else unmatched).append(row)
        for entry in content.get("estimates", []):  # the newer format, when a report writes it
            estimand = entry.get("estimand", {})
            unmatched.append({"source": "metrics.json", "report": report,
                              "figure": f"{entry.get('output')}: {estimand}",
                              "reason": f"estimand kind {estimand.get('kind')!r} has no matcher "
                                        "in the audit yet"})
    return audited, unmatched


def _audit_headline(report, name, figure, content, cases, days_to_outcome, truth) -> dict:
    base = {"source": "metrics.json", "report": report, "figure": name}
    estimand = figure.get("estimand")
    if estimand is None:
        return {**base, "reason": "metrics.json does not say what this figure estimates "
                                  "(no estimand recorded)"}
    kind = estimand.get("kind")
    if kind == "count":
        return {**base, "reason": "a count of the records in the file: nothing is estimated "
                                  "(no interval), so there is no truth to compare with"}
    if kind == "snapshot":
        return {**base, "reason": "a snapshot at the extract date: each case is seen after its "
                                  "own follow-up (extract date minus recording), and no truth "
                                  "frame holds the chance of being open at each case's own "
                                  "follow-up"}
    if kind != "share_within_days":
        return {**base, "reason": f"estimand kind {kind!r} has no truth counterpart"}
    values = [_number(figure.get(k)) for k in ("value", "ci_low", "ci_high")]
    if any(v is None for v in values):
        return {**base, "reason": "hidden or missing in metrics.json (the audit runs the "
                                  "internal profile, so this should not happen)"}
    first, last = content.get("recorded_from"), content.get("recorded_to")
    if not first or not last:
        return {**base, "reason": "metrics.json does not record which cases the share counts "
                                  "(recorded_from, recorded_to)"}
    within = int(estimand["within_days"])
    outcome = estimand["outcome"]
    counted = cases["recorded_date"].between(pd.Timestamp(first), pd.Timestamp(last))
    transferred = cases["outcome_group"].eq("transferred") & days_to_outcome[cases.index].le(within)
    counted &= ~transferred
    weights = cases[counted].groupby(["force", "cohort", "offence_group"], observed=True).size()
    try:
        truth_value, truth_se = _weighted_truth(_cell_truth(truth, outcome, within), weights)
    except KeyError as error:
        return {**base, "reason": f"truth missing: {error}"}
    estimate, low, high = values
    cohorts = sorted(weights.index.get_level_values("cohort").unique())
    return _row(base, outcome=outcome, cohorts=_span(cohorts), within_days=within,
                estimate=estimate, low=low, high=high, truth=truth_value, truth_se=truth_se,
                n=_number(figure.get("n")), n_check=int(weights.sum()),
                quantum=METRICS_QUANTUM)


def _span(cohorts) -> str:
    cohorts = list(cohorts)
    return cohorts[0] if len(cohorts) == 1 else f"{cohorts[0]} to {cohorts[-1]}"


def _row(base, *, outcome, cohorts, within_days, estimate, low, high, truth, truth_se, n,
         n_check=None, quantum: float = 0.0) -> dict:
    se = _se(low, high)
    degenerate = not se > 0
    spread = math.sqrt(se**2 + quantum**2 / 12 + truth_se**2)
    z = math.nan if degenerate else (estimate - truth) / spread
    # How often a correct 95% interval would contain this truth: the truth is itself a Monte
    # Carlo estimate and the figure is printed rounded, so below 95% when either is coarse.
    expected = math.nan if degenerate else math.erf(Z95 * se / spread / math.sqrt(2))
    return {**base, "outcome": outcome, "cohorts": cohorts, "within_days": within_days,
            "estimate": estimate, "ci_low": low, "ci_high": high, "se": se, "truth": truth,
            "truth_se": truth_se, "z": z, "covered": bool(low <= truth <= high),
            "expected": expected, "degenerate": degenerate, "n": n, "n_check": n_check}


# --------------------------------------------------------------------------------------------
# Report tables metrics.json does not carry
# --------------------------------------------------------------------------------------------
def audit_report_tables(shared: str | os.PathLike, data: str | os.PathLike, reports,
                        truth) -> tuple[list[dict], list[dict]]:
    """The report tables with a truth counterpart that ``metrics.json`` does not carry, from
    the functions the notebooks call on each report's cases (``ReportContext`` opened on the
    run's shared folder): outcomes within a year by financial year of recording
    (``linked_cohort_rates``) and the time-to-outcome table (``ReportContext.incidence`` at
    :data:`TABLE_DAYS`)."""
    from .national import linked_cohort_rates, open_report
    from .parameters import ReportParameters

    audited, unmatched = [], []
    for report in reports:
        params = ReportParameters.validate(force=report, data=str(data), disclosure="internal",
                                           shared=str(shared))
        context = open_report(params)
        rates = linked_cohort_rates(context.cases)
        within = int(rates.attrs.get("within_days", 365))
        for row in rates.itertuples(index=False):
            base = {"source": "report: cohort trends", "report": report,
                    "figure": f"{row.outcome} within {within} days, {row.cohort}"}
            if row.outcome in POOLED:  # a pooled row: the sum of its outcomes' truths
                parts = [_cell_truth(truth, o, within) for o in POOLED[row.outcome]]
                cells = pd.DataFrame({"probability": sum(c["probability"] for c in parts),
                                      "mc_se": np.sqrt(sum(c["mc_se"] ** 2 for c in parts))})
                weights = _report_weights(context.cases, cohort=row.cohort, within_days=within)
                value, se = _weighted_truth(cells, weights)
                audited.append(_row(base, outcome=row.outcome, cohorts=row.cohort,
                                    within_days=within, estimate=row.estimate, low=row.ci_low,
                                    high=row.ci_high, truth=value, truth_se=se, n=row.n_cohort))
                continue
            if row.outcome not in (*OUTCOMES, "open"):
                unmatched.append({**base, "reason": f"{row.outcome!r} is not an outcome of the "
                                  "truth (transfers are independent censoring there; the "
                                  "audit world has none)"})
                continue
            cells = _cell_truth(truth, row.outcome, within)
            weights = _report_weights(context.cases, cohort=row.cohort, within_days=within)
            value, se = _weighted_truth(cells, weights)
            audited.append(_row(base, outcome=row.outcome, cohorts=row.cohort,
                                within_days=within, estimate=row.estimate, low=row.ci_low,
                                high=row.ci_high, truth=value, truth_se=se, n=row.n_cohort))
        table = context.incidence(times=list(TABLE_DAYS))
        for row in table.itertuples(index=False):
            base = {"source": "report: time to outcome", "report": report,
                    "figure": f"{row.outcome} by day {row.time:g}, {row.cohort}"}
            if row.outcome not in OUTCOMES or float(row.time) + 1 not in TRUTH_WINDOWS:
                unmatched.append({**base, "reason": "no truth for this outcome or day"})
                continue
            cells = _cell_truth(truth, row.outcome, float(row.time))
            weights = _report_weights(context.cases, cohort=row.cohort, within_days=None)
            value, se = _weighted_truth(cells, weights)
            audited.append(_row(base, outcome=row.outcome, cohorts=row.cohort,
                                within_days=float(row.time), estimate=row.cif, low=row.ci_low,
                                high=row.ci_high, truth=value, truth_se=se,
                                n=float(weights.sum())))
    return audited, unmatched


def _report_weights(cases: pd.DataFrame, *, cohort: str, within_days: int | None) -> pd.Series:
    """Cases of one financial year per truth cell; with ``within_days``, less those
    transferred within it (left out of the trend table's years as of the headline's shares,
    ``cohorts.followed_cases``; a curve keeps them, censored)."""
    from ..analysis.cohorts import transferred_within

    cases = cases.assign(cohort=_financial_year(cases["recorded_date"]))
    keep = cases["cohort"].eq(cohort)
    if within_days is not None:
        keep &= ~transferred_within(cases, days=within_days)
    part = cases[keep]
    return part.groupby(["force", "cohort", "offence_group"], observed=True).size()


# --------------------------------------------------------------------------------------------
# The null world: hazard ratios of a device request
# --------------------------------------------------------------------------------------------
def null_hazard_ratios(cases: pd.DataFrame, reports) -> pd.DataFrame:
    """Hazard ratios of a device request that the reports publish, on ``cases`` from a world
    where neither the request nor the programme has any effect: per report (force or
    ``national``), the cause-specific ratios of the driver models (``drivers``, charge and
    victim withdrawal) and the withdrawal ratio of the digital forensics table
    (``pillars.device_requests``). ``z`` is log(estimate) over its standard error (truth 1)."""
    from ..analysis import pillars
    from ..analysis.drivers import drivers

    rows = []
    for report in reports:
        mine = cases if report == NATIONAL else cases[cases["force"].eq(report)]
        mine = mine.reset_index(drop=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = drivers(mine).table
            device = pillars.device_requests(mine)
        terms = table[table["term"].eq("device_requested") & table["model"].eq("cause_specific")]
        found = [(f"drivers: {t.outcome} (cause-specific, time-varying)", t.estimate, t.ci_low,
                  t.ci_high) for t in terms.itertuples(index=False)]
        found += [("device requests: withdrawal hazard ratio", d.estimate, d.ci_low, d.ci_high)
                  for d in device[device["measure"].eq("withdrawal_hazard_ratio")]
                  .itertuples(index=False)]
        for figure, estimate, low, high in found:
            if not all(np.isfinite([estimate, low, high])) or low <= 0:
                continue
            se = _se(low, high, log=True)
            rows.append({"report": report, "figure": figure, "estimate": estimate,
                         "ci_low": low, "ci_high": high, "se": se,
                         "z": math.log(estimate) / se, "covers_one": bool(low <= 1 <= high)})
    return pd.DataFrame(rows, columns=["report", "figure", "estimate", "ci_low", "ci_high", "se",
                                       "z", "covers_one"])


# --------------------------------------------------------------------------------------------
# The whole audit
# --------------------------------------------------------------------------------------------
def truth_audit(world: AuditWorld | None = None, *, out: str | os.PathLike | None = None,
                kernel_name: str | None = None, workers: int | None = None,
                report_tables: bool = True, progress: bool = False, **world_options
                ) -> TruthAudit:
    """Build the reports of a synthetic world and audit their figures against its truth.

    Parameters
    ----------
    world : AuditWorld, optional
        The world (default :class:`AuditWorld` with ``world_options``: three forces at scale
        0.1).
    out : path, optional
        Folder for the case file and the run (default a temporary folder).
    kernel_name, workers, progress
        As :func:`~soteria_research.reporting.runner.run_reports`.
    report_tables : bool
        Also audit the report tables ``metrics.json`` does not carry.

    Returns
    -------
    TruthAudit
    """
    from .runner import run_reports

    world = world or AuditWorld(**world_options)
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="soteria-audit-"))
    out.mkdir(parents=True, exist_ok=True)
    cases = world.cases()
    data = out / "audit_cases.parquet"
    cases.to_parquet(data, index=False)
    result = run_reports(data, forces="all", out=out / "reports", run="audit",
                         disclosure="internal", kernel_name=kernel_name, workers=workers,
                         progress=progress, rerun=True)
    notes = [] if result.ok else [result.summary()]
    truth = world.truth()
    metrics = read_metrics(result.run_dir)
    audited, unmatched = audit_metrics(metrics, cases, truth)
    if report_tables:
        more, less = audit_report_tables(result.private_dir / "shared", data, metrics, truth)
        audited += more
        unmatched += less
    null = null_hazard_ratios(world.cases(null=True), list(metrics))
    table = pd.DataFrame(audited, columns=TABLE_COLUMNS)
    return TruthAudit(table=table,
                      unmatched=pd.DataFrame(unmatched, columns=["source", "report", "figure",
                                                                 "reason"]),
                      null_ratios=null, world=world, run_dir=result.run_dir, notes=notes)


def main(argv=None) -> int:
    """``python -m soteria_research.reporting.audit``: run the audit and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forces", default="all",
                        help="'all' (43 forces) or force codes separated by commas")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--truth-scale", type=float, default=1.0)
    parser.add_argument("--truth-n-sim", type=int, default=4)
    parser.add_argument("--out", default="reports/audit")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--rows", type=int, default=60,
                        help="audited figures to print: those with the largest |z|")
    args = parser.parse_args(argv)
    forces = None if args.forces == "all" else tuple(args.forces.split(","))
    world = AuditWorld(forces=forces, scale=args.scale, seed=args.seed,
                       truth_scale=args.truth_scale, truth_n_sim=args.truth_n_sim)
    audit = truth_audit(world, out=args.out, workers=args.workers, progress=True)
    print(audit.render(rows=args.rows))
    audit.table.to_csv(Path(args.out) / "truth_audit.csv", index=False)
    audit.unmatched.to_csv(Path(args.out) / "truth_audit_unmatched.csv", index=False)
    audit.null_ratios.to_csv(Path(args.out) / "truth_audit_null_ratios.csv", index=False)
    print(f"\nTables written to {args.out}/truth_audit*.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
