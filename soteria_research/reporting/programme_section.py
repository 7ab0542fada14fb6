"""The reports' "Before and after joining Soteria" section: numbers, protection and words.

A force report shows the force's own quarterly cohorts (the share of cases charged within
:data:`WITHIN_DAYS` days, cohorts with full follow-up only: ``analysis.evaluation.
cohort_outcomes``) by quarters since joining, beside the national staggered
difference-in-differences event study (``analysis.evaluation.staggered_did``), with a paragraph
written from the numbers that says what each can and cannot show. The national overview shows
the overall and by-wave effects and the event study with the design's limits (its ``text``).

The national estimation is done once per run by :func:`prepare_programme` (called from
``national.prepare_national``) and saved beside the other national artefacts; a report whose
shared folder lacks them (a notebook run on its own, an older run folder) computes it from the
national cases it can read. Nothing here plots; figures are in ``figures_programme``.

Disclosure control (``reporting/disclosure/legacy.py``): the event-study and wave estimates
are differences of shares, so each row carries the cases and charges of the cohorts it rests
on (``n``, ``n_events``) and is protected as a model output (``kind="model"``: a row
resting on fewer cases or charges than the threshold is hidden, counts rounded). A force's
quarterly cohorts are protected as rates (``n`` charged of ``n_cohort``) with its financial
year and before/after phase as parent keys, so a hidden quarter cannot be recovered from the
financial-year trend table or from the pooled before/after figures published beside it.
"""

from __future__ import annotations

import json
import re
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SoteriaError
from .takeaway import MINUS

__all__ = [
    "COHORT_COLUMNS", "EFFECT_COLUMNS", "EVENT_COLUMNS", "ForceProgramme", "NationalProgramme",
    "force_cohorts", "force_paragraph", "force_section", "national_programme",
    "national_section", "prepare_programme", "programme_for",
]

#: Outcome, window and period of the section (the headline's window: ``national.WITHIN_DAYS``).
OUTCOME = "charge"
WITHIN_DAYS = 365
FREQ = "Q"
#: Wild cluster bootstrap draws: enough for 95% intervals, quick for a report run.
N_BOOT = 199
#: Files the national estimation leaves in the run's shared folder.
EVENT_FILE = "programme_event_study.parquet"
EFFECTS_FILE = "programme_effects.parquet"
INFO_FILE = "programme.json"

WAVE_LABELS = {"pilot_2021": "pilot (2021)", "pathfinder_2021": "pathfinder (2021-22)",
               "expansion_2022": "expansion (2022)", "national_2023": "national roll-out (2023)"}
#: Display columns of the tables the notebooks show (``report.show(..., columns=...)``). The
#: national tables leave out the cases and charges each estimate rests on (they are checked,
#: not shown): for a wave of one force they would repeat that force's own quarterly counts,
#: which its report may hide.
EFFECT_COLUMNS = {"wave": "Wave", "first_period": "Joined (quarter)",
                  "estimate": "Change in share charged within 365 days",
                  "ci_low": "95% interval from", "ci_high": "to", "n_forces": "Forces"}
EVENT_COLUMNS = {"quarters_since_joining": "Quarters since joining", "kind": "Estimate of",
                 "estimate": "Difference in share charged", "ci_low": "95% interval from",
                 "ci_high": "to", "n_forces": "Forces"}
COHORT_COLUMNS = {"phase": "Cohorts recorded", "n_cohort": "Cases",
                  "n": "Charged within 365 days", "estimate": "Share charged",
                  "ci_low": "95% interval from", "ci_high": "to"}
PHASES = ("before joining", "after joining")
_NO_CASES_WORDS = "too few cases to publish"


def wave_label(wave: str) -> str:
    """Plain label of a wave code (or of several joined by " + ")."""
    return " + ".join(WAVE_LABELS.get(w, w.replace("_", " ")) for w in str(wave).split(" + "))


def readable(text: str, names: dict[str, str] | None = None) -> str:
    """The evaluation's own paragraph as the report prints the rest: wave and force codes
    (``pathfinder_2021``, ``city_of_london``) as their names, ``p < 0.001`` for
    ``p = 0.000``, and the minus sign of the other sections.

    Examples
    --------
    >>> readable("By wave: pathfinder_2021: -0.2 (-3.0 to +2.6), p = 0.000; left out: "
    ...          "city_of_london.", {"city_of_london": "City of London"})
    'By wave: pathfinder (2021-22): −0.2 (−3.0 to +2.6), p < 0.001; left out: City of London.'
    """
    codes = {**{code: wave_label(code) for code in WAVE_LABELS}, **(names or {})}
    for code in sorted(codes, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(code)}\b", lambda _, name=codes[code]: name, text)
    text = re.sub(r"p = 0\.0+\b", "p < 0.001", text)
    return re.sub(r"(?<![\w.-])-(?=\d)", MINUS, text)


def _forces(k) -> str:
    return "" if pd.isna(k) else f"{int(k)} force{'' if int(k) == 1 else 's'}"


def _points(value: float) -> str:
    """Percentage points with their sign, the minus as the other sections print it."""
    text = f"{100 * value:+.1f}"
    if float(text) == 0:
        return "0.0"
    return text.replace("-", MINUS)


def _share(value: float) -> str:
    return f"{100 * value:.1f}%"


def _interval(row) -> str:
    """``+2.5 percentage points (+1.0 to +4.0)``; says so when the interval has no width
    (one joining force against too few comparison forces for the bootstrap to vary)."""
    if float(row["ci_high"]) - float(row["ci_low"]) < 1e-9:
        return (f"{_points(row['estimate'])} percentage points (no usable interval: too few "
                "forces to estimate one, so read it as descriptive)")
    return (f"{_points(row['estimate'])} percentage points ({_points(row['ci_low'])} to "
            f"{_points(row['ci_high'])})")


def _p_value(p: float) -> str:
    """A p-value as read: ``p < 0.001`` rather than ``p = 0.000``."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.05 else f"p = {p:.2f}"


def _visible(row: pd.Series | None, columns=("estimate", "ci_low", "ci_high")) -> bool:
    return row is not None and all(pd.notna(row.get(c)) and not isinstance(row.get(c), str)
                                   for c in columns)


# --------------------------------------------------------------------------------------------
# The national staggered comparison, once per run
# --------------------------------------------------------------------------------------------
@dataclass
class NationalProgramme:
    """The national staggered difference-in-differences of the share charged within a year.

    Attributes
    ----------
    event_study : DataFrame
        ``staggered_did(...).event_study`` (``periods_since_joining, kind, estimate, se,
        ci_low, ci_high, band_low, band_high, n_forces, n_waves``) plus ``n`` and
        ``n_events``: the cases and charges of the joining forces' cohorts at that many
        quarters since joining (what each estimate rests on, for disclosure control).
    effects : DataFrame
        ``wave`` ("all waves" first, then each wave as ``by_wave``), ``first_period,
        estimate, se, ci_low, ci_high, n_forces, n, n_events`` (the wave's cohorts
        after joining that entered the comparison).
    text : str
        The result's own paragraph (``ProgrammeEffects.text``), or why there is none.
    notes : list of str
        The limits of the design (``ProgrammeEffects.notes``).
    error : str
        Empty when estimated; otherwise the reason the data cannot support the design.
    roles : dict
        Force code -> ``"estimated"`` (its wave has an effect), ``"comparison"`` (joined
        after the last complete cohort, or in the last wave: a comparison only) or
        ``"excluded: <reason>"``.
    df_resid : int
        Cases in the comparison's cohorts less the number of force × quarter cells: the
        residual degrees of freedom of the cell-means model the estimates are linear in.
    """

    event_study: pd.DataFrame
    effects: pd.DataFrame
    text: str
    notes: list[str] = field(default_factory=list)
    error: str = ""
    roles: dict[str, str] = field(default_factory=dict)
    df_resid: int = 0
    last_period: str = ""
    placebo_p: float = float("nan")

    @property
    def ok(self) -> bool:
        return not self.error


def _empty_national(error: str) -> NationalProgramme:
    event = pd.DataFrame(columns=["periods_since_joining", "kind", "estimate", "se", "ci_low",
                                  "ci_high", "band_low", "band_high", "n_forces", "n_waves",
                                  "n", "n_events"])
    effects = pd.DataFrame(columns=["wave", "first_period", "estimate", "se", "ci_low",
                                    "ci_high", "n_forces", "n", "n_events"])
    return NationalProgramme(event, effects, text=error, error=error)


def followed_years(cases: pd.DataFrame, *, extract_date=None) -> pd.DataFrame:
    """The cases of the financial years the headline's shares count
    (``cohorts.followed_cohorts``): the programme's quarters stop where the trend table's years
    do, so its cohorts before and after joining add up to those years (less the transfers
    within the year, which ``censor_transfers`` leaves out), and no complete quarter after
    the last year is a count no table prints (docs/methods.md section 8)."""
    from ..analysis.cohorts import followed_cohorts

    keep, _ = followed_cohorts(cases, days=WITHIN_DAYS, extract_date=extract_date)
    return cases[keep.to_numpy()]


def national_programme(cases: pd.DataFrame, *, seed: int = 0, extract_date=None,
                       n_boot: int = N_BOOT) -> NationalProgramme:
    """``staggered_did`` of the share charged within a year, with the counts each estimate
    rests on; a :class:`NationalProgramme` whose ``error`` says why when the data cannot
    support the design (one force, too short a period, every force joining at once).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham", "cumbria", "kent"], scale=0.05, seed=3)
    >>> national_programme(cases).ok
    True
    """
    from ..analysis.evaluation import cohort_outcomes, staggered_did, start_dates_for

    if cases.empty:
        return _empty_national("There are no cases to compare.")
    cases = followed_years(cases, extract_date=extract_date)
    try:
        result = staggered_did(cases, outcome=OUTCOME, within_days=WITHIN_DAYS, freq=FREQ,
                               n_boot=n_boot, seed=int(seed), extract_date=extract_date,
                               censor_transfers=True)
    except SoteriaError as error:
        return _empty_national(str(error))
    start = start_dates_for(cases)
    cohorts = cohort_outcomes(cases, within_days=WITHIN_DAYS, freq=FREQ, outcomes=OUTCOME,
                              extract_date=extract_date, medians=False, censor_transfers=True)
    excluded = dict(zip(result.excluded["force"], result.excluded["reason"], strict=True))
    cohorts = cohorts[~cohorts["force"].isin(excluded)]
    joined = start.dt.to_period(FREQ).astype(str)
    cohorts = cohorts.assign(joined=cohorts["force"].map(joined))
    gt = result.group_time
    effect_cells = gt[gt["kind"].eq("effect")]

    def rests_on(part: pd.DataFrame) -> tuple[int, int]:
        return int(part["n_cohort"].sum()), int(part["n"].sum())

    event = result.event_study.copy()
    counts = []
    for e in event["periods_since_joining"]:
        groups = set(gt.loc[gt["periods_since_joining"].eq(e), "first_period"])
        counts.append(rests_on(cohorts[cohorts["joined"].isin(groups)
                                       & cohorts["periods_since_joining"].eq(e)]))
    event["n"], event["n_events"] = zip(*counts) if counts else ((), ())
    by_wave = result.by_wave.copy()
    counts = []
    for first in by_wave["first_period"]:
        periods = set(effect_cells.loc[effect_cells["first_period"].eq(first), "period"])
        counts.append(rests_on(cohorts[cohorts["joined"].eq(first)
                                       & cohorts["cohort"].isin(periods)]))
    by_wave["n"], by_wave["n_events"] = zip(*counts)
    head = result.overall[result.overall["aggregation"].eq("group")].iloc[[0]]
    head = head.assign(wave="all waves", first_period="",
                       n=int(by_wave["n"].sum()),
                       n_events=int(by_wave["n_events"].sum()))
    columns = ["wave", "first_period", "estimate", "se", "ci_low", "ci_high", "n_forces",
               "n", "n_events"]
    effects = pd.concat([head[columns], by_wave[columns]], ignore_index=True)
    treated_groups = set(by_wave["first_period"])
    roles = {}
    for force in map(str, start.index):
        if force in excluded:
            roles[force] = f"excluded: {excluded[force]}"
        else:
            roles[force] = "estimated" if joined[force] in treated_groups else "comparison"
    used = cohorts[cohorts["cohort"].isin(set(gt["period"]) | set(gt["first_period"]))]
    return NationalProgramme(
        event_study=event.reset_index(drop=True), effects=effects, text=result.text,
        notes=list(result.notes), roles=roles,
        df_resid=int(used["n_cohort"].sum() - len(used)),
        last_period=str(cohorts["cohort"].max()) if len(cohorts) else "",
        placebo_p=float(result.placebo_test.get("p", np.nan)))


def save_national_programme(result: NationalProgramme, folder: str | Path) -> None:
    """Write the national estimation to the run's shared folder (Parquet and JSON)."""
    from .national import _write_parquet
    from .provenance import write_json

    folder = Path(folder)
    _write_parquet(result.event_study, folder / EVENT_FILE)
    _write_parquet(result.effects, folder / EFFECTS_FILE)
    write_json(folder / INFO_FILE, {
        "text": result.text, "notes": result.notes, "error": result.error,
        "roles": result.roles, "df_resid": result.df_resid, "last_period": result.last_period,
        "placebo_p": None if not np.isfinite(result.placebo_p) else result.placebo_p,
        "outcome": OUTCOME, "within_days": WITHIN_DAYS, "freq": FREQ, "n_boot": N_BOOT})


def load_national_programme(folder: str | Path) -> NationalProgramme | None:
    """The saved national estimation, or None when the folder has none."""
    folder = Path(folder)
    if not (folder / INFO_FILE).exists():
        return None
    info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    p = info.get("placebo_p")
    return NationalProgramme(
        event_study=pd.read_parquet(folder / EVENT_FILE),
        effects=pd.read_parquet(folder / EFFECTS_FILE), text=info["text"],
        notes=list(info["notes"]), error=info["error"], roles=dict(info["roles"]),
        df_resid=int(info["df_resid"]), last_period=info["last_period"],
        placebo_p=float("nan") if p is None else float(p))


def prepare_programme(cases: pd.DataFrame, params, folder: str | Path) -> list[str]:
    """The run's national estimation, saved once for every report (``prepare_national``).

    Returns notes for the run (empty, or why it could not be done); never raises, so the
    evaluation cannot stop a report run.
    """
    extract = pd.Timestamp(params.extract_date) if params.extract_date else None
    try:
        result = national_programme(cases, seed=params.seed, extract_date=extract)
    except Exception as error:  # noqa: BLE001 (recorded: a national model must not stop the run)
        result = _empty_national(f"The national comparison failed: {error}")
    save_national_programme(result, folder)
    return [f"Programme evaluation not estimated: {result.error}"] if result.error else []


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def programme_for(report) -> NationalProgramme:
    """The run's national estimation for a report: saved by the run, or computed here (once
    per report) from the national cases when the shared folder has none."""
    if report in _CACHE:
        return _CACHE[report]
    result = load_national_programme(report.folder)
    if result is None:
        result = national_programme(report.national_cases, seed=report.params.seed,
                                    extract_date=report.params.extract_date)
    _CACHE[report] = result
    return result


def protect_national(report, result: NationalProgramme):
    """The event study and the wave effects through disclosure control (``kind="model"``).

    Returns ``(event_study, effects)`` as protected tables. A row whose cohorts hold fewer
    cases or charges than the threshold is hidden whole; ``quarters_since_joining`` is a
    text key so that it is never hidden with the numbers.
    """
    event = result.event_study.copy()
    event.insert(0, "quarters_since_joining",
                 event.pop("periods_since_joining").astype(int).astype(str))
    event["kind"] = event["kind"].map({"placebo": "placebo (before joining)",
                                       "anticipation": "left out (anticipation)",
                                       "effect": "effect (after joining)"}).fillna(event["kind"])
    effects = result.effects.copy()
    effects["wave"] = effects["wave"].map(wave_label)
    for table in (event, effects):  # how many forces is public: words, never a count cell
        table["n_forces"] = table["n_forces"].map(_forces)
    # ``n`` and ``n_events`` are protect_model's default per-row counts (``counts=`` would be
    # taken by DisclosureControl.protect itself and not reach it).
    options = dict(kind="model", df_resid=result.df_resid, decimals=4)
    return (report.protect(event, name="programme_event_study", **options),
            report.protect(effects, name="programme_effects", **options))


# --------------------------------------------------------------------------------------------
# One force: its own cohorts, before and after
# --------------------------------------------------------------------------------------------
def force_cohorts(cases: pd.DataFrame, force: str, *, extract_date=None,
                  cluster: str = "officer_id") -> pd.DataFrame:
    """One force's quarterly cohorts: share charged within :data:`WITHIN_DAYS` days.

    ``cohort_outcomes`` (cohorts with full follow-up only, up to the end of the last
    financial year followed, :func:`followed_years`; cases transferred within the window left
    out, as in the headline) for the force, with ``financial_year`` and ``phase`` ("before
    joining"/"after joining", the main exposure rule: recorded on or after the start date)
    as the keys disclosure control needs. Empty (same columns) when no cohort has had the
    full window.

    Intervals allow for one officer's cases being alike, as every other share of the report
    does: each quarter's ``design_effect`` (``attrition.design_effects`` over the cases of
    ``cohort_members``, clustered by ``cluster``) and a Wilson interval at the effective
    sample size. ``attrs["phase_design_effect"]`` holds the design effect of each phase's
    quarters together, for :func:`_pooled` (one officer's cases span quarters).
    """
    from statsmodels.stats.proportion import proportion_confint

    from ..analysis.attrition import design_effects
    from ..analysis.evaluation import cohort_members, cohort_outcomes
    from ..analysis.timeline import financial_year

    columns = ["cohort", "financial_year", "phase", "periods_since_joining", "n", "n_cohort",
               "estimate", "ci_low", "ci_high", "design_effect"]
    mine = cases[cases["force"].eq(force)]
    if not mine.empty:
        mine = followed_years(mine, extract_date=extract_date)
    if mine.empty:
        return pd.DataFrame(columns=columns)
    options = dict(within_days=WITHIN_DAYS, freq=FREQ, outcomes=OUTCOME,
                   extract_date=extract_date, censor_transfers=True)
    table = cohort_outcomes(mine, medians=False, **options)
    table = table.assign(financial_year=financial_year(table["cohort_start"]).to_numpy(),
                         phase=np.where(table["in_programme"], PHASES[1], PHASES[0]))
    members = cohort_members(mine, **options)
    counted = members["counted"].to_numpy()
    members = members[counted]
    officers = (pd.Series(mine[cluster].to_numpy()[counted], index=members.index)
                if cluster in mine.columns else None)  # by position: any index will do
    flag = members[OUTCOME]
    by_quarter = design_effects(flag, [members["cohort"]], officers)
    phase = members["cohort"].map(table.set_index("cohort")["phase"])
    by_phase = design_effects(flag, [phase], officers)
    table["design_effect"] = table["cohort"].map(by_quarter).fillna(1.0).to_numpy()
    effective = table["design_effect"].to_numpy(dtype=float)
    low, high = proportion_confint(table["n"].to_numpy() / effective,
                                   table["n_cohort"].to_numpy() / effective, method="wilson")
    table["ci_low"], table["ci_high"] = low, high
    out = table[columns].reset_index(drop=True)
    out.attrs["phase_design_effect"] = {str(k): float(v) for k, v in by_phase.items()}
    return out


@dataclass
class ForceProgramme:
    """What the force section shows, protected, and the paragraph written from it.

    ``cohorts`` and ``pooled`` are protected tables (``.frame`` numeric with NaN where hidden);
    ``raw_cohorts`` is the unprotected frame (never displayed; kept for the tests);
    ``event_study``/``effects`` are the protected national tables.
    """

    force: str
    name: str
    start: pd.Timestamp | None
    wave: str
    cohorts: object
    pooled: object
    event_study: object
    effects: object
    national: NationalProgramme
    raw_cohorts: pd.DataFrame
    difference: dict
    text: str


def _pooled(cohorts: pd.DataFrame) -> pd.DataFrame:
    """Each phase's quarters together: cases, charges, share and a Wilson interval at the
    effective sample size (the phase's design effect, ``force_cohorts``; 1 where unknown)."""
    from statsmodels.stats.proportion import proportion_confint

    sums = cohorts.groupby("phase")[["n", "n_cohort"]].sum().reindex(list(PHASES)).dropna()
    sums = sums.astype(int)
    effects = cohorts.attrs.get("phase_design_effect", {})
    effect = np.array([max(1.0, float(effects.get(p, 1.0))) for p in sums.index])
    low, high = proportion_confint(sums["n"].to_numpy() / effect,
                                   sums["n_cohort"].to_numpy() / effect, method="wilson")
    return pd.DataFrame({"phase": sums.index, "n": sums["n"].to_numpy(),
                         "n_cohort": sums["n_cohort"].to_numpy(),
                         "estimate": (sums["n"] / sums["n_cohort"]).to_numpy(),
                         "ci_low": low, "ci_high": high, "design_effect": effect})


def _difference(pooled: pd.DataFrame) -> dict:
    """After minus before (Newcombe's hybrid score interval, each phase at its effective
    sample size: its counts over its design effect), from the protected pooled rows; empty
    when either is hidden or missing."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    rows = pooled.set_index("phase")
    if not set(PHASES) <= set(rows.index) or rows[["n", "n_cohort"]].isna().any().any():
        return {}
    after, before = rows.loc[PHASES[1]], rows.loc[PHASES[0]]
    d_after, d_before = (float(row.get("design_effect", 1.0)) for row in (after, before))
    low, high = confint_proportions_2indep(after["n"] / d_after, after["n_cohort"] / d_after,
                                           before["n"] / d_before,
                                           before["n_cohort"] / d_before, method="newcomb",
                                           compare="diff")
    return {"estimate": after["n"] / after["n_cohort"] - before["n"] / before["n_cohort"],
            "ci_low": float(low), "ci_high": float(high)}


def force_section(report) -> ForceProgramme:
    """Everything the force report's "Before and after joining Soteria" section shows."""
    from ..analysis.evaluation import programme_start_dates
    from ..data.dictionary import load_dictionary
    from .national import share_of

    force = report.force
    starts = programme_start_dates()
    start = starts.get(force)
    start = None if start is None or pd.isna(start) else pd.Timestamp(start)
    waves = load_dictionary().forces.set_index("code")["soteria_wave"]
    raw = force_cohorts(report.cases, force, extract_date=report.params.extract_date) \
        if start is not None else force_cohorts(report.cases.iloc[0:0], force)
    # the intervals are Wilson intervals at n / design_effect cases: recomputed so from the
    # published counts under a rounding profile; the design effect is never published
    cohorts = report.protect(raw, name="programme_force_cohorts", kind="rates",
                             counts=["n", "n_cohort"], rates=share_of("n", "n_cohort"),
                             keys=["periods_since_joining"], columns_add_up=False,
                             design_effect="design_effect")
    pooled_raw = _pooled(raw) if len(raw) else pd.DataFrame(
        columns=["phase", "n", "n_cohort", "estimate", "ci_low", "ci_high", "design_effect"])
    pooled = report.protect(pooled_raw, name="programme_force_before_after", kind="rates",
                            counts=["n", "n_cohort"], rates=share_of("n", "n_cohort"),
                            columns_add_up=False, design_effect="design_effect")
    # before and after together are the trend table's years together: hidden where the
    # run's trends hide a year of this force (``same_quantity``, applied by report.protect)
    difference = {}
    if len(pooled_raw):
        shown = pooled_raw.copy()
        hidden = pooled.frame.set_index("phase")[["n", "n_cohort"]].isna().any(axis=1)
        shown.loc[shown["phase"].map(hidden).fillna(True).astype(bool), ["n", "n_cohort"]] = np.nan
        difference = _difference(shown)
    national = programme_for(report)
    if getattr(report, "force_only", None) is not None:
        # the data hold this force alone: "every force joined in the same period" is true of
        # one force but tells a reader nothing; say what is missing instead
        national = _empty_national(one_force_reason(report.name,
                                                    report.force_only.doc is not None))
    event_study, effects = protect_national(report, national)
    wave = str(waves.get(force, ""))
    text = force_paragraph(
        name=report.name, force=force, start=start, wave=wave, cohorts=cohorts.frame,
        pooled=pooled.frame, difference=difference, national=national,
        national_effects=effects.frame, extract_date=report.extract_date,
        threshold=report.disclosure_threshold)
    return ForceProgramme(force=force, name=report.name, start=start, wave=wave,
                          cohorts=cohorts, pooled=pooled, event_study=event_study,
                          effects=effects, national=national, raw_cohorts=raw,
                          difference=difference, text=text)


def one_force_reason(name: str, benchmarks: bool = False) -> str:
    """Why a report on one force's data has no national staggered comparison."""
    words = (f"the data hold {name}'s cases alone, and the comparison needs the cases of many "
             "forces that joined at different times (a run on national data, "
             "`soteria report --forces all`).")
    if benchmarks:
        words += (" The benchmark file carries national headline figures, not this "
                  "comparison: read it in the national overview of the run that wrote the "
                  "file.")
    return words


def day(value) -> str:
    """A date as readers write it: 1 July 2023."""
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%B %Y}"


def _quarter(day: pd.Timestamp) -> str:
    return str(day.to_period(FREQ))


def force_paragraph(*, name: str, force: str, start, wave: str, cohorts: pd.DataFrame,
                    pooled: pd.DataFrame, difference: dict, national: NationalProgramme,
                    national_effects: pd.DataFrame, extract_date=None,
                    threshold: int | None = None) -> str:
    """The plain-language paragraph of a force's section, from protected numbers only.

    Says what the force's own before/after shows (or why there is none yet: no start date,
    no cohort with full follow-up, none after joining, none before), that it has no
    comparison group, and what the national staggered comparison says for the force's wave.
    """
    parts: list[str] = []
    within = f"within {WITHIN_DAYS} days"
    if start is None:
        return (f"{name} has no Operation Soteria start date in the data dictionary, so its "
                "cases cannot be placed before or after joining.")
    parts.append(f"{name} joined Operation Soteria on {day(start)}"
                 + (f" with the {wave_label(wave)} wave." if wave else "."))
    has = set(cohorts["phase"]) if len(cohorts) else set()
    joined_q = _quarter(start)
    own = False
    if not has:
        parts.append(
            f"No quarter of recording in this report has yet had {WITHIN_DAYS} days of "
            "follow-up" + (f" by the extract date ({day(extract_date)})" if extract_date else "")
            + ", so nothing can be said yet about outcomes before and after joining: the "
            "report period is too short or too recent for this section.")
    elif PHASES[1] not in has:
        last = cohorts["cohort"].iloc[-1]
        ready = (start.to_period(FREQ).end_time.normalize()
                 + pd.Timedelta(days=WITHIN_DAYS) + pd.Timedelta(days=1))
        parts.append(
            f"The last quarter of recording with {WITHIN_DAYS} days of follow-up is {last}, "
            f"before {name} joined (in {joined_q}), so no cases recorded after joining can be "
            "judged yet: this report cannot say whether outcomes changed after joining. "
            f"The first quarter after joining completes its year of follow-up on {day(ready)}.")
        own = True
    elif PHASES[0] not in has:
        parts.append(
            f"Every quarter with {WITHIN_DAYS} days of follow-up in this report was recorded "
            f"after {name} joined, so there is no 'before' to compare with in this report's "
            "period.")
        own = True
    else:
        own = True
    rows = pooled.set_index("phase") if len(pooled) else pd.DataFrame()
    described = []
    for phase in PHASES:
        if phase not in has:
            continue
        part = cohorts[cohorts["phase"].eq(phase)]
        span = (part["cohort"].iloc[0] if len(part) == 1
                else f"{part['cohort'].iloc[0]} to {part['cohort'].iloc[-1]}")
        row = rows.loc[phase] if phase in rows.index else None
        quarters = f"{len(part)} quarter{'s' if len(part) > 1 else ''}"
        if _visible(row):
            described.append(f"of cases recorded in the {quarters} {phase} ({span}), "
                             f"{_share(row['estimate'])} were charged or summonsed {within} "
                             f"({_share(row['ci_low'])} to {_share(row['ci_high'])})")
        else:
            described.append(f"the {quarters} {phase} ({span}) hold {_NO_CASES_WORDS}"
                             + (f" (fewer than {threshold} cases or charges)" if threshold
                                else ""))
    if described:
        sentence = "; ".join(described)
        parts.append(sentence[0].upper() + sentence[1:] + (
            f": a difference of {_points(difference['estimate'])} percentage points "
            f"({_points(difference['ci_low'])} to {_points(difference['ci_high'])}; 95% "
            "intervals throughout, allowing for one officer's cases being alike)."
            if difference else "."))
    if own:
        parts.append(
            f"This is {name}'s own before and after, with no comparison group: it cannot "
            "separate Soteria from anything else that changed over the same time, such as "
            "national trends in charging, changes in recording or the mix of cases reported, "
            "and one force's quarters also vary by chance, more so in a small force.")
    parts.append(_national_words(name, force, wave, national, national_effects))
    return " ".join(p for p in parts if p)


def _national_words(name: str, force: str, wave: str, national: NationalProgramme,
                    effects: pd.DataFrame) -> str:
    if not national.ok:
        return ("The national staggered comparison, which is the design that can speak to "
                f"cause, could not be estimated from these data: {national.error}")
    rows = effects.reset_index(drop=True)
    head = rows.iloc[0] if len(rows) else None
    words = ("The design that can speak to cause is the national staggered comparison (right "
             "panel): each wave's change from its last quarter before joining against the "
             "change, over the same quarters, in forces that had not yet joined. ")
    if _visible(head):
        words += (f"Across the waves it estimates, the share charged within {WITHIN_DAYS} days "
                  f"changed by {_interval(head)}. ")
    else:
        words += f"Its overall estimate rests on {_NO_CASES_WORDS}. "
    p = national.placebo_p
    if np.isfinite(p) and p < 0.05:
        words += (f"But before joining its placebo estimates already differ from zero (joint "
                  f"test {_p_value(p)}): the joining forces were changing differently before "
                  "they joined, so its effects are not reliable either. ")
    elif np.isfinite(p):
        words += (f"Its placebo estimates before joining are compatible with zero (joint test "
                  f"{_p_value(p)}), as the design needs, though that cannot prove it. ")
    role = national.roles.get(force, "")
    if role == "estimated":
        mine = rows[rows["wave"].astype(str).str.contains(wave_label(wave), regex=False)]
        row = mine.iloc[0] if len(mine) else None
        words += (f"For the {wave_label(wave)} wave, {name}'s own, "
                  + (f"it is {_interval(row)}" if _visible(row)
                     else f"the estimate rests on {_NO_CASES_WORDS}")
                  + f": the wave's average, not {name}'s own effect.")
    elif role == "comparison":
        words += (f"{name}'s wave has no estimate of its own yet: it joined after the last "
                  f"quarter with {WITHIN_DAYS} days of follow-up"
                  + (f" ({national.last_period})" if national.last_period else "")
                  + " or joined last, when no force was left that had not joined, so it serves "
                  "only as a comparison for the earlier waves.")
    elif role.startswith("excluded"):
        # the reason may hold its own parentheses: after a colon, not inside another pair
        words += (f"{name} was left out of the national comparison: "
                  f"{role.split(': ', 1)[-1].rstrip('.')}.")
    else:
        words += f"{name} is not in the national comparison's data."
    return words


# --------------------------------------------------------------------------------------------
# The national overview
# --------------------------------------------------------------------------------------------
@dataclass
class NationalSection:
    """The national overview's section: protected tables and the paragraph."""

    event_study: object
    effects: object
    national: NationalProgramme
    text: str


def national_section(report) -> NationalSection:
    """Overall and by-wave effects and the event study, protected, with the design's limits.

    The paragraph is the result's own ``text`` when every estimate it quotes is published;
    otherwise the numbers are left out and only its limits (``notes``) are printed.
    """
    national = programme_for(report)
    event_study, effects = protect_national(report, national)
    threshold = report.disclosure_threshold
    caution = (" Each estimate is a difference of shares: the cases and charges of the cohorts "
               "it rests on are checked like any count, and an estimate resting on fewer than "
               f"{threshold} of either is hidden; the counts themselves are not shown, since for "
               "a wave of one force they would repeat that force's own figures."
               if threshold else "")
    if not national.ok:
        text = ("The staggered comparison could not be estimated from these data: "
                f"{national.error}")
    elif effects.frame[["estimate", "ci_low", "ci_high"]].isna().any().any():
        text = (f"Some of the estimates rest on {_NO_CASES_WORDS} and are hidden. "
                + " ".join(national.notes))
    else:
        text = national.text
    text = readable(text, getattr(report, "force_names", {}))
    return NationalSection(event_study=event_study, effects=effects, national=national,
                           text=text + caution)
