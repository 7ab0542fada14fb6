"""What drives charge and victim withdrawal: cause-specific hazard ratios (a rate) beside
Fine–Gray subdistribution hazard ratios (a probability), with the proportional-hazards test.

Age and report delay enter as documented bands (``covariates.AGE_BANDS``, ``DELAY_BANDS``),
whose cuts are where their effects change (a child victim; a non-recent report); an event of
the investigation (a device request) is time-varying, counting only from its day. The
cause-specific models are stratified by the officer in charge (each officer's cases have their
own baseline hazard), so a ratio compares cases of the same officer: officers differ in how
fast they work and how often their victims withdraw, and an officer who requests devices
sooner would otherwise lend the request their own lower withdrawal rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from ..errors import ParameterError, SoteriaError
from .competing_risks import fit_fine_gray
from .covariates import age_band, delay_band, reference_levels
from .cox import fit_cox
from .episodes import split_episodes
from .model_results import HazardModelResults, _check_level
from .outcomes import check_outcome
from .timeline import time_to_outcome

__all__ = [
    "DRIVER_COVARIATES",
    "MEANING",
    "STRATA",
    "TIME_VARYING",
    "DriverModels",
    "driver_frame",
    "drivers",
]

#: Strata of the cause-specific driver models: the officer in charge (see the module docstring).
STRATA = "officer_id"
#: The stratum of a case with no officer recorded (those cases share one baseline hazard).
NO_OFFICER = "(no officer recorded)"
#: Case-level covariates of the driver models, all known at recording.
DRIVER_COVARIATES = ("relationship", "offence_group", "domestic_abuse", "victim_mental_health",
                     "third_party_report", "victim_age_band", "report_delay_band")
#: Events of the investigation in the driver models, as time-varying covariates: name -> date
#: column. Add ``{"arrested": "arrest_date"}`` to study arrest (it lies on the way to charge,
#: so it explains a charge rather than predicting it).
TIME_VARYING = {"device_requested": "device_requested_date"}
#: What each model's ratios mean, in words a report can show.
MEANING = {
    "cause_specific": (
        "Cause-specific hazard ratio (a rate): among cases still open, how fast cases of this "
        "kind reach the outcome, against the comparison group. Above 1 means faster while "
        "open. It does not say that more of them end this way: a factor that also speeds up "
        "other outcomes can leave fewer reaching this one."),
    "fine_gray": (
        "Subdistribution hazard ratio (Fine–Gray; a probability): whether more cases of this "
        "kind end with the outcome over time, the other outcomes competing. Above 1 means a "
        "higher share reach it (a higher cumulative incidence). Events during the "
        "investigation, such as a device request, are left out of this model: for something "
        "that changes during the investigation it has no such reading."),
}
_FLAGS = ("domestic_abuse", "victim_mental_health", "victim_disability", "victim_substance_use",
          "third_party_report")


@dataclass
class DriverModels:
    """Driver models of each outcome, as one tidy table and the checks that go with it.

    Attributes
    ----------
    table : DataFrame
        ``outcome, model, term, reference, estimate, ci_low, ci_high, p, n, n_events``: one
        row per outcome, model (``cause_specific`` or ``fine_gray``) and term; ``reference``
        says what the term is compared against; ``n``/``n_events`` count the cases and
        events in the term's category (for a time-varying term, cases that had the event
        while open and outcomes after it). ``attrs["df_resid"]``: the smallest events minus
        terms over the models.
    ph_tests : DataFrame
        ``outcome, term, chisq, df, p``: the proportional-hazards test (R's ``cox.zph``, KM
        time) of each cause-specific model, per term and ``GLOBAL``.
    meaning : dict
        Model -> what its ratios mean, in words (:data:`MEANING`).
    fits : dict
        ``(outcome, model)`` -> the fitted results.
    notes : list of str
        What could not be fitted or was left out, in plain words.
    """

    table: pd.DataFrame
    ph_tests: pd.DataFrame
    meaning: dict[str, str]
    fits: dict[tuple[str, str], HazardModelResults] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def ph_summary(self, threshold: float = 0.01) -> str:
        """The proportional-hazards test in a sentence: which terms' ratios drift over time."""
        if self.ph_tests.empty:
            return "The proportional-hazards test could not be run."
        drifting = self.ph_tests[self.ph_tests["term"].ne("GLOBAL")
                                 & self.ph_tests["p"].lt(threshold)]
        if drifting.empty:
            return (f"The proportional-hazards test (p < {threshold:g}) finds no term whose "
                    "cause-specific hazard ratio drifts with time since recording.")
        listed = "; ".join(f"{o.replace('_', ' ')}: {', '.join(part['term'])}"
                           for o, part in drifting.groupby("outcome", sort=False))
        return ("The proportional-hazards test (p < " f"{threshold:g}) finds these "
                f"cause-specific hazard ratios drift with time since recording, so each is an "
                f"average over follow-up: {listed}.")


def driver_frame(cases: pd.DataFrame, *, extract_date: object = None,
                 tte: pd.DataFrame | None = None) -> pd.DataFrame:
    """The time-to-event frame with the driver covariates coded: ``victim_age_band``,
    ``report_delay_band`` (:func:`~soteria_research.analysis.covariates.age_band`,
    :func:`~soteria_research.analysis.covariates.delay_band`) and 0/1 flags.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.1, seed=1)
    >>> driver_frame(cases)["report_delay_band"].cat.categories[0]
    'under_7_days'
    """
    frame = (time_to_outcome(cases, extract_date=extract_date) if tte is None else tte).copy()
    frame["victim_age_band"] = age_band(frame["victim_age"])
    frame["report_delay_band"] = delay_band(frame["report_delay_days"])
    for column in _FLAGS:
        frame[column] = frame[column].astype(bool).astype(np.int64)
    return frame


def _term_members(frame: pd.DataFrame, term: str) -> pd.Series:
    if "[T." in term:
        column, level = term.split("[T.", 1)
        return frame[column].astype(str).eq(level.rstrip("]"))
    if term in frame.columns:
        return frame[term].eq(1)
    return pd.Series(True, index=frame.index)


def _term_counts(cases_frame: pd.DataFrame, split: pd.DataFrame | None, terms: Sequence[str],
                 outcome: str, time_varying: Sequence[str]) -> pd.DataFrame:
    """Cases and events behind each term: its category, or for a time-varying term the cases
    that had the event while open and the outcomes that came after it."""
    rows = {}
    is_event = cases_frame["outcome"].eq(outcome)
    for term in terms:  # one per model term (a dozen), not per case
        if split is not None and term in time_varying:
            on = split[term].eq(1)
            rows[term] = (int(split.loc[on, "case"].nunique()),
                          int((on & split["outcome"].eq(outcome)).sum()))
            continue
        members = _term_members(cases_frame, term)
        rows[term] = (int(members.sum()), int((members & is_event).sum()))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["n", "n_events"])


def _tidy(fit: HazardModelResults, level: float, counts: pd.DataFrame, outcome: str,
          model: str) -> pd.DataFrame:
    table = fit.hazard_ratios(level)[["term", "reference", "estimate", "ci_low", "ci_high",
                                      "p"]]
    table = table.join(counts, on="term")
    table.insert(0, "outcome", outcome)
    table.insert(1, "model", model)
    return table


def _usable(fitter, label: str, notes: list[str]):
    """The fit ``fitter()`` returns, or None with a note saying why the table leaves it out:
    too few cases or events to fit it, or a fit that did not converge (a small force's
    categories with no event send a coefficient off, and where the fit stopped is not an
    estimate to publish)."""
    try:
        fit = fitter()
    except (SoteriaError, ValueError, ArithmeticError) as error:
        notes.append(f"{label}: too few cases or events to estimate the model here ({error})")
        return None
    if not fit.diagnostics.converged:
        notes.append(f"{label}: " + "; ".join(fit.diagnostics.notes or ["did not converge"]))
        return None
    return fit


def drivers(
    cases: pd.DataFrame,
    *,
    outcomes: Sequence[str] = ("charge", "victim_withdrawal"),
    covariates: Sequence[str] = DRIVER_COVARIATES,
    time_varying: Mapping[str, str] = TIME_VARYING,
    models: Sequence[str] = ("cause_specific", "fine_gray"),
    reference: Mapping[str, object] | None = None,
    level: float = 0.95,
    extract_date: object = None,
    strata: str | None = STRATA,
) -> DriverModels:
    """Driver models of each outcome: cause-specific Cox (time-varying events as episodes,
    stratified by officer) and Fine–Gray (baseline covariates), each against one documented
    reference per covariate.

    The two answer different questions and can disagree: a stranger case may reach a charge
    *faster* while open (cause-specific ratio above 1) yet *less often* end in charge,
    because far more stranger cases end with no suspect identified (subdistribution ratio
    below 1). :data:`MEANING` says which is which; report both.

    Parameters
    ----------
    cases : DataFrame
        The canonical, validated ``cases`` frame.
    outcomes : sequence of str
        Outcomes of the registry to model.
    covariates : sequence of str
        Baseline covariates: columns of :func:`driver_frame`. Categorical ones are compared
        with their reference level (``covariates.REFERENCE_LEVELS``, or ``reference``).
    time_varying : mapping
        Covariate name -> date column: events during the investigation, in the cause-specific
        models only, as 0 before their day and 1 from it.
    models : sequence of str
        Any of ``"cause_specific"``, ``"fine_gray"``.
    reference : mapping, optional
        Reference level per categorical covariate, over the project's defaults.
    level : float
        Confidence level of the intervals.
    extract_date : date-like, optional
        View the data as they stood on this date.
    strata : str or None
        Column of the cause-specific models' strata (default the officer in charge,
        ``officer_id``; cases with none share the stratum :data:`NO_OFFICER`). None, or a
        column the cases do not have, fits one baseline hazard. The Fine–Gray models are not
        stratified (``fit_fine_gray`` has no strata).

    Returns
    -------
    DriverModels
        ``table``, ``ph_tests``, ``meaning``, ``fits``, ``notes``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham", "gwent"], scale=0.2, seed=1)
    >>> result = drivers(cases, outcomes=["victim_withdrawal"])
    >>> result.table["model"].unique().tolist()
    ['cause_specific', 'fine_gray']
    >>> result.table.set_index("term").loc["relationship[T.stranger]", "reference"].iloc[0]
    'against acquaintance or friend'
    """
    level = _check_level(level)
    outcomes = [check_outcome(o, parameter="outcomes") for o in outcomes]
    unknown_models = [m for m in models if m not in MEANING]
    if unknown_models:
        raise ParameterError(f"models={list(models)!r}: {unknown_models} not known; use "
                             f"{list(MEANING)}.")
    reference_levels(reference)
    frame = driver_frame(cases, extract_date=extract_date)
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise ParameterError(f"covariates {missing} are not columns of the driver frame; use "
                             f"some of {list(DRIVER_COVARIATES)} or other columns of "
                             "driver_frame(cases).")
    absent = [c for c in time_varying.values() if c not in cases.columns]
    if absent:
        raise ParameterError(f"time_varying names date column(s) {absent} that the cases "
                             "frame does not have.")
    notes = []
    complete = frame[list(covariates)].notna().all(axis=1)
    if not complete.all():
        notes.append(f"{int((~complete).sum())} cases with a missing covariate left out.")
    frame = frame.loc[complete]
    stratify = strata is not None and strata in cases.columns
    if stratify:
        frame[strata] = (cases.loc[frame.index, strata].astype("string")
                         .fillna(NO_OFFICER).astype(object))
    used = [c for c in covariates if frame[c].nunique(dropna=True) > 1]
    if len(used) < len(covariates):
        notes.append("Left out for having one value only here: "
                     + ", ".join(c for c in covariates if c not in used) + ".")
    event_days = pd.DataFrame(
        {name: (pd.to_datetime(cases.loc[frame.index, column])
                - cases.loc[frame.index, "recorded_date"]).dt.days.astype(float)
         for name, column in time_varying.items()}, index=frame.index)
    split = split_episodes(frame, event_days) if len(time_varying) else None
    tv_used = [c for c in time_varying if split is not None and split[c].nunique() > 1]
    parts, ph, fits = [], [], {}
    for outcome in outcomes:  # two outcomes, two models: four fits
        label = outcome.replace("_", " ")
        if "cause_specific" in models:
            data = split if split is not None else frame.assign(
                start=0.0, stop=frame["days"].where(frame["days"] > 0, 0.5))
            fit = _usable(partial(fit_cox, data, duration="stop", entry="start",
                                  event="outcome", cause=outcome, covariates=[*used, *tv_used],
                                  reference=reference, strata=strata if stratify else None),
                          f"{label} (cause-specific)", notes)
            if fit is not None:
                fits[(outcome, "cause_specific")] = fit
                counts = _term_counts(frame, split, fit.params.index, outcome, tv_used)
                tidy = _tidy(fit, level, counts, outcome, "cause_specific")
                unknown = ~np.isfinite(tidy[["estimate", "ci_low", "ci_high"]].astype(float)
                                       ).all(axis=1)
                if unknown.any():  # separation: within officers, a term's ratio is unbounded
                    tidy.loc[unknown, ["estimate", "ci_low", "ci_high", "p"]] = np.nan
                    notes.append(f"{label} (cause-specific): no finite ratio "
                                 "for " + ", ".join(tidy.loc[unknown, "term"]) + " (too few "
                                 "cases of the same officer differ in it); left blank.")
                parts.append(tidy)
                try:
                    ph.append(fit.check_proportional_hazards().assign(outcome=outcome))
                except (SoteriaError, ValueError, ArithmeticError, np.linalg.LinAlgError):
                    notes.append(f"{outcome}: the proportional-hazards test could not be run.")
        if "fine_gray" in models:
            fit = _usable(partial(fit_fine_gray, frame, cause=outcome, covariates=used,
                                  reference=reference), f"{label} (Fine–Gray)", notes)
            if fit is not None:
                fits[(outcome, "fine_gray")] = fit
                counts = _term_counts(frame, None, fit.params.index, outcome, [])
                parts.append(_tidy(fit, level, counts, outcome, "fine_gray"))
    columns = ["outcome", "model", "term", "reference", "estimate", "ci_low", "ci_high", "p",
               "n", "n_events"]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    table.attrs["df_resid"] = min((int(f.n_events) - len(f.params) for f in fits.values()),
                                  default=0)
    ph_tests = (pd.concat(ph, ignore_index=True)[["outcome", "term", "chisq", "df", "p"]]
                if ph else pd.DataFrame(columns=["outcome", "term", "chisq", "df", "p"]))
    if stratify and "cause_specific" in models:
        notes.append("Cause-specific models compare cases of the same officer (stratified by "
                     "officer in charge); the Fine–Gray models compare all cases.")
    if tv_used and "fine_gray" in models:
        notes.append("Time-varying events (" + ", ".join(tv_used) + ") are in the "
                     "cause-specific models only.")
    return DriverModels(table=table[columns], ph_tests=ph_tests,
                        meaning={m: MEANING[m] for m in models}, fits=fits, notes=notes)
