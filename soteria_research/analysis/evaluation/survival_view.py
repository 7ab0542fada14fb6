"""A survival cross-check: the cause-specific hazards of charge and withdrawal in the programme.

Each case is split at its force's start date, so "in the programme" can switch on part-way
through an investigation (calendar time); Cox models stratified by force.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import ModelError, ParameterError
from ..cox import fit_cox
from ..timeline import time_to_outcome
from .exposure import check_exposure, start_dates_for
from .narrative import outcome_label
from .panel import _check_level, _check_outcomes

#: An outcome on day d happened during that day: half a day keeps every interval open.
_DAY_OFFSET = 0.5


@dataclass(frozen=True)
class ProgrammeHazards:
    """Cause-specific hazard ratios of being in the programme, with their caveats.

    Attributes
    ----------
    hazard_ratios : DataFrame
        One row per outcome and term: ``outcome, term, estimate`` (hazard ratio),
        ``ci_low, ci_high, log_hr, se, p, n, n_events``; ``term == "in_programme"`` is the
        cross-check, the others are adjustments.
    notes : tuple of str
    text : str
    """

    hazard_ratios: pd.DataFrame
    notes: tuple[str, ...]
    text: str
    exposure: str

    def programme(self) -> pd.DataFrame:
        """Only the ``in_programme`` rows."""
        return self.hazard_ratios[self.hazard_ratios["term"].eq("in_programme")].reset_index(drop=True)


def split_at_start(cases: pd.DataFrame, *, start_dates: Mapping[str, object] | None = None,
                   exposure: str = "open", extract_date: object = None,
                   columns: Sequence[str] = ()) -> pd.DataFrame:
    """Counting-process rows ``(start, stop]`` in days since recording, split at joining.

    With ``exposure="open"`` a case recorded before its force's start date and still open on
    it gives two rows: ``(0, s]`` out of the programme and ``(s, stop]`` in it, the outcome on
    the second; ``s`` is the start date in days since recording. With ``"recorded"`` every
    case is one row, in the programme when recorded on or after the start date.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], start="2021-10-01", end="2022-03-31",
    ...                        scale=0.2, seed=1)
    >>> rows = split_at_start(cases)
    >>> len(rows) > len(cases), bool((rows["start"] < rows["stop"]).all())
    (True, True)
    """
    check_exposure(exposure)
    start = cases["force"].map(start_dates_for(cases, start_dates))
    tte = time_to_outcome(cases, extract_date=extract_date)
    stop = tte["days"].to_numpy(float) + _DAY_OFFSET
    joins = (start - cases["recorded_date"]).dt.days.to_numpy(float)
    split = (joins > 0) & (joins < stop) if exposure == "open" else np.zeros(len(stop), bool)
    pieces = np.where(split, 2, 1)
    row = np.repeat(np.arange(len(stop)), pieces)
    second = np.zeros(len(row), dtype=bool)
    second[np.cumsum(pieces)[split] - 1] = True
    first_of_split = np.repeat(split, pieces) & ~second
    frame = pd.DataFrame({
        "force": cases["force"].to_numpy()[row],
        "start": np.where(second, joins[row], 0.0),
        "stop": np.where(first_of_split, joins[row], stop[row]),
        "outcome": np.where(first_of_split, "censored", tte["outcome"].to_numpy()[row]),
        "in_programme": np.where(second | (joins[row] <= 0), 1.0, 0.0),
    })
    first_day = cases["recorded_date"].min()
    frame["calendar_years"] = ((cases["recorded_date"] - first_day).dt.days.to_numpy()[row]
                               / 365.25)
    for column in columns:
        frame[column] = cases[column].to_numpy()[row]
    return frame


def programme_hazards(
    cases: pd.DataFrame,
    *,
    outcomes: str | Sequence[str] = ("charge", "victim_withdrawal"),
    start_dates: Mapping[str, object] | None = None,
    exposure: str = "open",
    covariates: Sequence[str] | None = None,
    trend: bool = True,
    level: float = 0.95,
    extract_date: object = None,
) -> ProgrammeHazards:
    """Cause-specific Cox models of each outcome with an "in the programme" indicator.

    Each model is stratified by force (each force its own baseline hazard), clusters its
    standard errors by force, and by default adjusts for a linear calendar trend in the
    recording date, so the indicator is read within forces and beside the national trend.

    Parameters
    ----------
    cases : DataFrame
        Canonical cases.
    outcomes : str or list of str
        Competing outcomes to model (default charge and victim withdrawal).
    start_dates : mapping, optional
        As :func:`programme_start_dates`.
    exposure : {"open", "recorded"}
        ``"open"`` (default here): time-varying, a case still open on the start date is in
        the programme from that day on. ``"recorded"``: fixed at recording, in the
        programme when recorded on or after the start date (the difference-in-differences
        rule).
    covariates : list of str, optional
        Further columns of ``cases`` to adjust for (numeric or categorical).
    trend : bool
        Adjust for years since the first recorded date (a linear calendar trend).
    level : float
        Confidence level.
    extract_date : date-like, optional
        View the data as they stood on this date.

    Returns
    -------
    ProgrammeHazards

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham", "cumbria"], scale=0.2, seed=5)
    >>> view = programme_hazards(cases)
    >>> view.programme()["outcome"].tolist()
    ['charge', 'victim_withdrawal']
    """
    level = _check_level(level)
    outcomes = _check_outcomes(outcomes)
    covariates = list(covariates or [])
    missing = [c for c in covariates if c not in cases.columns]
    if missing:
        raise ParameterError(f"covariates {missing} are not columns of cases.")
    rows = split_at_start(cases, start_dates=start_dates, exposure=exposure,
                          extract_date=extract_date, columns=covariates)
    terms = ["in_programme", *(["calendar_years"] if trend else []), *covariates]
    tables = []
    for outcome in outcomes:
        fit = fit_cox(rows, duration="stop", entry="start", event="outcome", cause=outcome,
                      covariates=terms, strata="force", cluster="force")
        if not fit.diagnostics.converged:  # where it stopped is not an estimate
            raise ModelError(
                f"programme_hazards: the Cox model of {outcome!r} did not converge ("
                + "; ".join(fit.diagnostics.notes or ["no convergence"]) + f") with the "
                f"terms {terms}: too few events for them. Leave out covariates or the trend, "
                "or pool more forces.")
        tables.append(fit.hazard_ratios(level=level).assign(outcome=outcome))
    table = pd.concat(tables, ignore_index=True)
    table = table[["outcome", *[c for c in table.columns if c != "outcome"]]]
    notes = [
        "A cross-check, not the headline: the Cox models compare cases at the same number of "
        "days since recording, within each force, in and out of the programme"
        + (", beside a straight-line calendar trend" if trend else "")
        + "; anything else that changed when a force joined is counted as the programme.",
        "Exposure: " + ("a case still open on its force's start date counts as in the "
                        "programme from that day on (time-varying)." if exposure == "open" else
                        "a case counts as in the programme when recorded on or after its "
                        "force's start date."),
        "A hazard ratio above 1 means the outcome came sooner or more often; it is not a "
        "difference in the share of cases with that outcome.",
    ]
    programme = table[table["term"].eq("in_programme")]
    findings = "; ".join(
        f"{outcome_label(r['outcome'])}: hazard ratio {r['estimate']:.2f} ({r['ci_low']:.2f} "
        f"to {r['ci_high']:.2f})" for _, r in programme.iterrows())
    text = (f"In the programme ({level:.0%} intervals, clustered by force): {findings}. "
            + " ".join(notes))
    return ProgrammeHazards(hazard_ratios=table, notes=tuple(notes), text=text,
                            exposure=exposure)
