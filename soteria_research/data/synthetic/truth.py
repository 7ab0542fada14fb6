"""What the synthetic data should show: the true hazard ratios of the generator, and true
outcome probabilities, programme, force and device effects computed by Monte Carlo from the
model itself (every case followed to its outcome; counterfactual worlds with common random
numbers, so a difference between two runs is a causal effect with small Monte Carlo error).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ...errors import ParameterError
from ..dictionary import load_dictionary
from .config import CASE_MIX, CAUSES, RELATIONSHIPS, STAGES, TRANSITIONS, SyntheticConfig
from .course import Baseline, code_labels, outcome_details
from .simulate import World, draw_world, run_course
from .world import expected_volumes, financial_year, financial_year_label

#: Outcomes whose probabilities the truth reports: the competing risks, then the two halves of
#: `other` (dictionary outcome groups), then `open` (no outcome yet).
PROBABILITY_OUTCOMES = CAUSES + ("out_of_court", "prevented_or_npi", "open")
DEFAULT_WINDOWS = (30, 90, 365, 730)


def baseline_cumulative_hazard(days, cause: str, config: SyntheticConfig | None = None) -> np.ndarray:
    """The true baseline cumulative hazard ``H0_k(t)`` of one transition at ``days`` since recording.

    For a transition that needs an earlier event (charge needs a referral, for example) this
    is the baseline integrated from recording, as if at risk throughout.

    Examples
    --------
    >>> from soteria_research.data.synthetic import baseline_cumulative_hazard
    >>> float(baseline_cumulative_hazard(7, "victim_withdrawal")) > 0
    True
    """
    config = config or SyntheticConfig()
    if cause not in TRANSITIONS:
        raise ParameterError(f"Unknown transition {cause!r}; use one of {list(TRANSITIONS)}.")
    return Baseline(config.baseline_knots, config.baseline_hazard[cause]).cumulative(days)


@dataclass(eq=False, repr=False)
class GroundTruth:
    """The truth of a synthetic world, as tidy frames.

    Parameter frames (exact, instant):

    - ``hazard_ratios``: ``cause, covariate, kind, log_hr, hazard_ratio``. ``kind`` is
      ``covariate`` (baseline covariates of :func:`model_covariates`, outcomes only),
      ``stage`` (baseline covariates on the stages: ``cause`` is then ``interview``,
      ``referral`` or ``device_request``), ``time_varying`` (``device_requested``,
      ``interviewed``, ``referred``: from the event on; charge is at risk only after referral,
      so it has no ``referred`` row), ``programme`` (the full programme effect on every
      transition), ``force`` (``force[<code>]``, each force against the national baseline 0)
      and ``frailty`` (``suspect_frailty`` and ``officer_effect``: the log-HR per standard
      deviation of the random effect, i.e. its SD on the log-hazard scale).
    - ``forces``: per force its population, soteria wave and start, rate multiplier, growth,
      case-mix log-odds shifts ``mix_<item>``, expected rape share and log HR per outcome.
    - ``programme``: per transition the full log HR, with the rule and ramp;
      ``programme_ramp``: the ramp steps.
    - ``device``: per outcome the true log HR after a device request.

    Monte Carlo frames (computed on first access from ``n_sim`` worlds at ``scale``, each
    case followed to its outcome; ``mc_se`` is the Monte Carlo standard error, treating cases
    as independent, which slightly understates it where suspects and officers share effects):

    - ``outcome_probabilities``: ``force`` (code or ``all``), ``cohort`` (financial year of
      recording or ``all``), ``offence_group`` (or ``all``), ``outcome``, ``within_days``
      (``inf``: eventually), ``probability``, ``mc_se``, ``n``. Transfers are independent
      censoring: these are the cumulative incidences an Aalen-Johansen estimate targets.
    - ``programme_effect``: per ``force`` (code, ``wave:<wave>``, or ``treated``: forces whose
      programme started by the period's end) and ``period`` (quarter of recording, or
      ``after_start``: every quarter from the start's), the probability of each outcome within
      ``window_days`` with the programme (``p_treated``) and without it (``p_untreated``,
      same random numbers), ``difference``, ``ratio``, ``mc_se`` (of the difference),
      ``ratio_se``, ``quarters_since_start``, ``n``.
    - ``force_effects``: per force and outcome within ``window_days``: ``p_own`` (the force's
      cases with its own effects), ``p_national_mix`` (the same cases with effects drawn from
      the national mix of forces), ``ratio`` (the indirectly standardised ratio's truth),
      ``ratio_se``, ``n``.
    - ``device_effect``: by offence group, the probability of each outcome within each window
      with the device effect and without it (same random numbers).
    - ``case_mix``: per force the share of each case-mix item in the simulated cases.
    - ``covariate_effects(within_days)``: each binary baseline covariate's marginal effect on
      the probability of each outcome within the window (all cases set to the level vs the
      reference, same random numbers).
    """

    config: SyntheticConfig
    hazard_ratios: pd.DataFrame
    forces: pd.DataFrame
    programme: pd.DataFrame
    programme_ramp: pd.DataFrame
    device: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        s = self.settings
        return (f"GroundTruth({len(self.hazard_ratios)} hazard ratios, {len(self.forces)} forces; Monte Carlo: "
                f"{s.get('n_sim')} world(s) at scale {s.get('scale')}, {s.get('start')} to {s.get('end')})")

    # -- the Monte Carlo worlds --------------------------------------------------------------
    @cached_property
    def _worlds(self) -> list[World]:
        s = self.settings
        return [draw_world(forces=s["forces"], start=s["start"], end=s["end"], scale=s["scale"],
                           seed=s["seed"] + i, config=self.config) for i in range(s["n_sim"])]

    def _outcomes(self, variant: str) -> list[dict]:
        cache = self.__dict__.setdefault("_outcome_cache", {})
        if variant not in cache:
            config = {"base": self.config,
                      "programme_off": self.config.counterfactual(programme=False),
                      "device_off": self.config.counterfactual(device=False),
                      "national_mix": self.config.counterfactual(force_effects="national_mix")}[variant]
            cache[variant] = [_followed(world, config) for world in self._worlds]
        return cache[variant]

    def _cases(self) -> pd.DataFrame:
        """Per simulated case: force, recording date, cohort, quarter, offence group."""
        cache = self.__dict__
        if "_case_frame" not in cache:
            frames = []
            for world in self._worlds:
                dates = np.datetime64(world.start.date(), "D") + world.recorded.astype("timedelta64[D]")
                frames.append(pd.DataFrame({
                    "force": world.force_table["force"].to_numpy(dtype=object)[world.force_index],
                    "cohort": financial_year_label(financial_year(dates)),
                    "quarter": _quarter(dates).astype(np.int64),
                    "offence_group": np.where(world.crimes["rape"], "rape", "other_sexual"),
                }))
            frame = pd.concat(frames, ignore_index=True)
            # Labels like 2022Q3 from the few distinct quarters, not one string per case.
            labels = {q: f"{q // 4}Q{q % 4 + 1}" for q in np.unique(frame["quarter"])}
            frame["period"] = frame["quarter"].map(labels)
            cache["_case_frame"] = frame
        return cache["_case_frame"]

    # -- the frames ----------------------------------------------------------------------------
    @cached_property
    def outcome_probabilities(self) -> pd.DataFrame:
        cases = self._cases()
        followed = _stack(self._outcomes("base"))
        windows = [float(w) for w in self.settings["windows"]] + [np.inf]
        reached = {(o, w): _reached(followed, o, w) for w in windows for o in PROBABILITY_OUTCOMES}
        frames = []
        for keys in (["force", "cohort", "offence_group"], ["force", "cohort"], ["force", "offence_group"],
                     ["force"], ["cohort", "offence_group"], ["cohort"], ["offence_group"], []):
            if keys:
                grouped = cases.groupby(keys, sort=True)
                codes, groups = grouped.ngroup().to_numpy(), grouped.size().reset_index()[keys]
            else:
                codes, groups = np.zeros(len(cases), dtype=np.int64), pd.DataFrame(index=[0])
            n = np.bincount(codes, minlength=len(groups)).astype(float)
            for key in ("force", "cohort", "offence_group"):
                if key not in keys:
                    groups[key] = "all"
            for (outcome, within), hit in reached.items():
                frames.append(groups.assign(outcome=outcome, within_days=within, n=n,
                                            probability=np.bincount(codes, weights=hit, minlength=len(groups)) / n))
        table = pd.concat(frames, ignore_index=True)
        table["mc_se"] = np.sqrt(table["probability"] * (1 - table["probability"]) / table["n"])
        table["n"] = table["n"].astype(np.int64)
        return (table[["force", "cohort", "offence_group", "outcome", "within_days", "probability", "mc_se", "n"]]
                .sort_values(["force", "cohort", "offence_group", "outcome", "within_days"])
                .reset_index(drop=True))

    @cached_property
    def programme_effect(self) -> pd.DataFrame:
        window = float(self.settings["programme_window"])
        cases = self._cases()
        on, off = _stack(self._outcomes("base")), _stack(self._outcomes("programme_off"))
        starts = self.forces.set_index("force")["soteria_start"]
        waves = self.forces.set_index("force")["soteria_wave"]
        start_quarter = pd.Series(_quarter(starts.to_numpy(dtype="datetime64[D]")), index=starts.index)
        since = cases["quarter"] - cases["force"].map(start_quarter)  # NaN: never starts
        started = (since >= 0).to_numpy()  # started by the end of the quarter of recording
        base = cases.assign(wave="wave:" + cases["force"].map(waves),
                            treated=np.where(started, "treated", None), after=np.where(since >= 0, "after_start", None))
        groupings = {(level, key): _grouping(base, [level, key])
                     for level in ("force", "wave", "treated") for key in ("period", "after")}
        frames = []
        for outcome in ("charge", "victim_withdrawal", "evidential_difficulty"):
            t, u = _reached(on, outcome, window), _reached(off, outcome, window)
            for (level, key), grouping in groupings.items():
                frame = _paired_by(t, u, grouping).rename(columns={level: "force", key: "period"})
                frame["outcome"] = outcome
                frames.append(frame)
        table = pd.concat(frames, ignore_index=True)
        table["window_days"] = window
        wave_quarter = self.forces.assign(q=start_quarter.to_numpy()).groupby("soteria_wave")["q"].min()
        first = table["force"].map(start_quarter).fillna(table["force"].str.removeprefix("wave:").map(wave_quarter))
        quarter = cases.drop_duplicates("period").set_index("period")["quarter"]
        table["quarters_since_start"] = (table["period"].map(quarter) - first).astype(float)
        columns = ["force", "period", "window_days", "outcome", "p_treated", "p_untreated", "difference",
                   "ratio", "mc_se", "ratio_se", "quarters_since_start", "n"]
        return table[columns].sort_values(["outcome", "force", "period"]).reset_index(drop=True)

    @cached_property
    def force_effects(self) -> pd.DataFrame:
        window = float(self.settings["force_window"])
        cases = self._cases()
        own, mix = _stack(self._outcomes("base")), _stack(self._outcomes("national_mix"))
        grouping = _grouping(cases, ["force"])
        frames = [_paired_by(_reached(own, outcome, window), _reached(mix, outcome, window), grouping)
                  .assign(outcome=outcome) for outcome in CAUSES]
        table = pd.concat(frames, ignore_index=True).rename(
            columns={"p_treated": "p_own", "p_untreated": "p_national_mix"})
        table["within_days"] = window
        return table[["force", "outcome", "within_days", "p_own", "p_national_mix", "ratio", "ratio_se", "n"]]

    @cached_property
    def device_effect(self) -> pd.DataFrame:
        cases = self._cases()
        on, off = _stack(self._outcomes("base")), _stack(self._outcomes("device_off"))
        groupings = [_grouping(cases, ["offence_group"]), _grouping(cases, [])]
        frames = []
        for w in list(self.settings["windows"]) + [np.inf]:
            for outcome in CAUSES:
                t, u = _reached(on, outcome, w), _reached(off, outcome, w)
                frames += [_paired_by(t, u, grouping).assign(outcome=outcome, within_days=float(w))
                           for grouping in groupings]
        table = pd.concat(frames, ignore_index=True).rename(
            columns={"p_treated": "p_with_effect", "p_untreated": "p_without_effect"})
        table["offence_group"] = table["offence_group"].fillna("all")
        return table[["offence_group", "outcome", "within_days", "p_with_effect", "p_without_effect",
                      "difference", "mc_se", "ratio", "ratio_se", "n"]]

    def covariate_effects(self, within_days: float = 365, covariates=None) -> pd.DataFrame:
        """True effect of each baseline covariate on the probability of each outcome in a window.

        Every case of the Monte Carlo world is set to the covariate's level (``p_level``) and
        to its reference (``p_reference``: 0, or the reference category, which for the
        relationship also sets how soon a suspect can be named), with the same random
        numbers: a marginal (population-averaged) causal contrast, with ``log_odds_ratio``
        its log odds ratio. A cause-specific hazard ratio can point the other way (strangers:
        a higher charge hazard once referred, but few named, so fewer charges).

        Parameters
        ----------
        within_days : float
            The window (days since recording; ``inf``: eventually).
        covariates : list of str, optional
            Baseline covariates (names of ``model_covariates``); default every binary one.

        Returns
        -------
        DataFrame
            ``covariate, outcome, within_days, p_level, p_reference, difference, mc_se,
            log_odds_ratio, n``.
        """
        names = [c for c in self.config.log_hazard_ratios if c != "recorded_years_since_2019"]
        names = names if covariates is None else list(covariates)
        cache = self.__dict__.setdefault("_covariate_cache", {})
        frames = []
        for name in names:
            if name not in self.config.log_hazard_ratios or name == "recorded_years_since_2019":
                raise ParameterError(f"{name!r} is not a binary baseline covariate of the generator.")
            if name not in cache:
                cache[name] = tuple(
                    _stack([_followed(world, self.config, **_intervene(world, name, on)) for world in self._worlds])
                    for on in (True, False))
            level, reference = cache[name]
            everyone = _grouping(pd.DataFrame(index=range(len(level["time"]))), [])
            for outcome in CAUSES:
                frames.append(_paired_by(_reached(level, outcome, within_days), _reached(reference, outcome, within_days),
                                         everyone).assign(covariate=name, outcome=outcome))
        table = pd.concat(frames, ignore_index=True).rename(
            columns={"p_treated": "p_level", "p_untreated": "p_reference"})
        table["within_days"] = float(within_days)
        with np.errstate(divide="ignore"):
            table["log_odds_ratio"] = (np.log(table["p_level"] / (1 - table["p_level"]))
                                       - np.log(table["p_reference"] / (1 - table["p_reference"])))
        return table[["covariate", "outcome", "within_days", "p_level", "p_reference", "difference", "mc_se",
                      "log_odds_ratio", "n"]]

    @cached_property
    def case_mix(self) -> pd.DataFrame:
        frames = []
        for world in self._worlds:
            crimes = world.crimes
            rape = crimes["rape"]
            frames.append(pd.DataFrame({
                "force": world.force_table["force"].to_numpy(dtype=object)[world.force_index],
                "rape_share": rape,
                "child_victim": crimes["victim_age"] < 18,
                "partner": crimes["relationship"] == 0,
                "domestic_abuse": crimes["domestic_abuse"],
                "non_recent": crimes["non_recent"],
            }))
        cases = pd.concat(frames, ignore_index=True)
        grouped = cases.groupby("force")
        share = grouped[list(CASE_MIX)].mean().reset_index().melt(id_vars="force", var_name="item",
                                                                    value_name="share")
        share["n"] = share["force"].map(grouped.size())
        share["mc_se"] = np.sqrt(share["share"] * (1 - share["share"]) / share["n"])
        return share[["force", "item", "share", "mc_se", "n"]]


def _quarter(dates: np.ndarray) -> np.ndarray:
    """Quarters since year 0 (``year * 4 + quarter - 1``); NaN for a missing date."""
    months = np.asarray(dates, dtype="datetime64[M]")
    index = months.astype(np.int64) + 1970 * 12  # months since year 0 (NaT: a huge negative)
    return np.where(np.isnat(months), np.nan, index // 3)


def _followed(world: World, config: SyntheticConfig, **intervention) -> dict:
    """Outcome and time of each case followed to its end, with the `other` outcome's group."""
    course = run_course(world, config, **intervention)
    details = outcome_details(np.random.default_rng(world.seeds["afterwards"]), config, course,
                              course["named"], world.people["suspect_age"])
    group_of = load_dictionary().outcome_group_map
    groups = np.array([group_of.get(label, "open") for label in code_labels(config)], dtype=object)[details["code"]]
    return dict(cause=course["cause"], time=course["time"], group=groups)


def _intervene(world: World, covariate: str, on: bool) -> dict:
    """Every case set to ``covariate``'s level (on) or to its reference (off)."""
    design = world.design.copy()
    if "[" not in covariate:
        design[covariate] = float(on)
        return dict(design=design)
    field_name, level = covariate[:-1].split("[", 1)
    columns = [c for c in design.columns if c.startswith(field_name + "[")]
    design[columns] = 0.0
    design[covariate] = float(on)
    if field_name != "relationship":
        return dict(design=design)
    reference = [r for r in RELATIONSHIPS if f"relationship[{r}]" not in design.columns][0]
    relationship = np.full(world.n, RELATIONSHIPS.index(level if on else reference))
    return dict(design=design, relationship=relationship)


def _stack(runs: list[dict]) -> dict:
    return {key: np.concatenate([run[key] for run in runs]) for key in runs[0]}


def _reached(followed: dict, outcome: str, within: float) -> np.ndarray:
    """True when the case's outcome is ``outcome`` within ``within`` days (open: none by then)."""
    by_then = followed["time"] <= within
    if outcome == "open":
        return ~by_then
    if outcome in CAUSES:
        return by_then & (followed["cause"] == CAUSES.index(outcome))
    return by_then & (followed["group"] == outcome)


def _grouping(cases: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Group number of each case by ``keys`` (-1: a key is missing), and the groups' keys."""
    if not keys:
        return np.zeros(len(cases), dtype=np.int64), pd.DataFrame(index=[0])
    grouped = cases.groupby(keys, sort=True, dropna=True)
    return grouped.ngroup().fillna(-1).to_numpy(np.int64), grouped.size().reset_index()[keys]


def _paired_by(t: np.ndarray, u: np.ndarray, grouping: tuple[np.ndarray, pd.DataFrame]) -> pd.DataFrame:
    """Shares of two paired 0/1 outcomes per group, their difference and ratio with MC errors.

    ``t`` and ``u`` are the same cases in two worlds with common random numbers, so the
    difference's error uses their covariance.
    """
    codes, groups = grouping
    keep = codes >= 0
    size = len(groups)

    def count(values):
        return np.bincount(codes[keep], weights=values[keep], minlength=size)

    n = np.bincount(codes[keep], minlength=size).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_t, p_u, both = count(t) / n, count(u) / n, count(t & u) / n
        var_t, var_u, cov = p_t * (1 - p_t) / n, p_u * (1 - p_u) / n, (both - p_t * p_u) / n
        ratio = p_t / p_u
        ratio_var = var_t / p_u**2 + p_t**2 * var_u / p_u**4 - 2 * p_t * cov / p_u**3
    out = groups.copy()
    out["p_treated"], out["p_untreated"] = p_t, p_u
    out["difference"] = p_t - p_u
    with np.errstate(divide="ignore", invalid="ignore"):
        # the squared difference of two 0/1 outcomes is 1 where they differ: exactly 0 if never
        var_difference = (count(t != u) / n - (p_t - p_u) ** 2) / n
    out["mc_se"] = np.sqrt(np.maximum(var_difference, 0))
    out["ratio"] = ratio
    out["ratio_se"] = np.sqrt(np.maximum(ratio_var, 0))
    out["n"] = n.astype(np.int64)
    return out


# ------------------------------------------------------------------------------------------
# the parameter frames
# ------------------------------------------------------------------------------------------
def _hazard_ratios(config: SyntheticConfig, force_table: pd.DataFrame) -> pd.DataFrame:
    rows = [dict(cause=cause, covariate=covariate, kind="covariate", log_hr=float(effects[cause]))
            for covariate, effects in config.log_hazard_ratios.items() for cause in CAUSES]
    rows += [dict(cause=stage, covariate=covariate, kind="stage",
                  log_hr=float(config.stage_log_hazard_ratios.get(covariate, {}).get(stage, 0.0)))
             for covariate in config.log_hazard_ratios for stage in STAGES]
    for covariate, effects in (("device_requested", config.device_effect),
                               ("interviewed", config.after_interview), ("referred", config.after_referral)):
        rows += [dict(cause=cause, covariate=covariate, kind="time_varying", log_hr=float(effects.get(cause, 0.0)))
                 for cause in CAUSES
                 if not (covariate == "referred" and cause == "charge")
                 and not (covariate in ("interviewed", "referred") and cause == "no_suspect")]
    rows += [dict(cause=k, covariate="programme", kind="programme",
                  log_hr=float(config.programme_effect.get(k, 0.0))) for k in TRANSITIONS]
    rows += [dict(cause=cause, covariate=f"force[{code}]", kind="force", log_hr=float(value))
             for cause in CAUSES for code, value in zip(force_table["force"], force_table[f"log_hr_{cause}"])]
    for name, loadings in (("suspect_frailty", config.suspect_frailty), ("officer_effect", config.officer_effect)):
        rows += [dict(cause=k, covariate=name, kind="frailty", log_hr=float(loadings.get(k, 0.0)))
                 for k in TRANSITIONS]
    truth = pd.DataFrame(rows)
    truth["hazard_ratio"] = np.exp(truth["log_hr"])
    return truth


def _force_frame(config: SyntheticConfig, force_table: pd.DataFrame, start, end) -> pd.DataFrame:
    table = force_table.copy()
    expected = expected_volumes(config, force_table, pd.Timestamp(start), pd.Timestamp(end), 1.0)
    per_force = expected.sum(axis=1)
    table["expected_per_year"] = per_force.sum(axis=1) / (expected.shape[1] / 365.25)
    table["rape_share"] = per_force[:, 0] / per_force.sum(axis=1)
    return table


def ground_truth(config: SyntheticConfig | None = None, *, forces=None, start: str = "2019-04-01",
                 end: str = "2024-03-31", scale: float = 1.0, n_sim: int = 1, seed: int = 20_261_202,
                 windows=DEFAULT_WINDOWS, programme_window: float = 365,
                 force_window: float = 365) -> GroundTruth:
    """The truth of the synthetic world: hazard ratios, forces, programme, device, probabilities.

    Every hazard is cause-specific and proportional, in days since recording::

        h_k(t) = h0_k(t) * exp(x @ beta_k + force_k + a_k * z_suspect + b_k * z_officer
                               + programme_k * fraction(t) + device_k * requested(t)
                               + interviewed_k * interviewed(t) + referred_k * referred(t))

    for the outcomes k (charge, victim_withdrawal, evidential_difficulty, no_suspect, other)
    and, without force or time-varying terms, for the stages (interview: the first arrest or
    interview; referral: file to the CPS; device_request). Who is at risk: charge only after
    referral; evidential difficulty and other only once a suspect is named; no suspect only
    while none is; an interview only after naming; a referral only after an interview;
    withdrawal and a device request throughout. All while the case is open. Transfers
    (outcome 20) are independent censoring at a constant rate.

    The programme rule (``config.programme_rule``): ``calendar`` (default) — from the force's
    ``soteria_start`` the programme multiplies the hazards of every open case, whenever it was
    recorded, so ``fraction(t)`` is time-varying; ``recorded`` — only cases recorded on or after
    the start, for their whole course. With a ramp, ``fraction`` rises in equal steps to 1
    over ``programme_ramp_days`` (``programme_ramp``). Values are settings, not findings.

    Parameters
    ----------
    config : SyntheticConfig, optional
        Defaults to ``SyntheticConfig()``.
    forces, start, end : optional
        The world the Monte Carlo frames describe (all forces, April 2019 - March 2024).
    scale, n_sim, seed : optional
        Monte Carlo size: ``n_sim`` worlds at ``scale`` (seeds ``seed``, ``seed + 1``...).
        At scale 1 a force-year has 100-25,000 cases; ``mc_se`` says how precise each value is.
    windows : sequence of int
        Days for ``outcome_probabilities`` and ``device_effect`` (plus ``inf``).
    programme_window, force_window : float
        Days of the window of ``programme_effect`` and ``force_effects``.

    Returns
    -------
    GroundTruth
        Parameter frames at once; Monte Carlo frames on first access (seconds at scale 0.05,
        about ten seconds for the first at scale 1).

    Examples
    --------
    >>> from soteria_research.data.synthetic import ground_truth
    >>> truth = ground_truth()
    >>> hr = truth.hazard_ratios
    >>> row = hr.query("cause == 'charge' and covariate == 'relationship[stranger]'")
    >>> bool(row["log_hr"].iloc[0] > 0)
    True
    >>> small = ground_truth(forces=["durham"], start="2022-04-01", end="2022-09-30", scale=0.5)
    >>> p = small.outcome_probabilities.query("force == 'all' and cohort == 'all' and "
    ...     "offence_group == 'all' and within_days == inf")
    >>> round(float(p.query("outcome != 'open' and outcome not in ['out_of_court', "
    ...     "'prevented_or_npi']")["probability"].sum()), 6)
    1.0
    """
    config = config or SyntheticConfig()
    config.check()
    if int(n_sim) < 1 or not np.isfinite(scale) or scale <= 0:
        raise ParameterError("n_sim must be at least 1 and scale a positive number.")
    force_table = config.force_table(load_dictionary().forces)
    if config.force_effect_mode == "none":
        for cause in CAUSES:
            force_table[f"log_hr_{cause}"] = 0.0
    programme = pd.DataFrame({"cause": list(TRANSITIONS),
                              "log_hr": [float(config.programme_effect.get(k, 0.0)) for k in TRANSITIONS]})
    programme["hazard_ratio"] = np.exp(programme["log_hr"])
    programme["rule"] = config.programme_rule
    programme["ramp_days"] = float(config.programme_ramp_days)
    programme["ramp_steps"] = int(config.programme_ramp_steps) if config.programme_ramp_days > 0 else 1
    device = pd.DataFrame({"cause": list(CAUSES),
                           "log_hr": [float(config.device_effect.get(k, 0.0)) for k in CAUSES]})
    device["hazard_ratio"] = np.exp(device["log_hr"])
    settings = dict(forces=forces, start=start, end=end, scale=float(scale), n_sim=int(n_sim), seed=int(seed),
                    windows=tuple(windows), programme_window=programme_window, force_window=force_window)
    return GroundTruth(config=config, hazard_ratios=_hazard_ratios(config, force_table),
                       forces=_force_frame(config, force_table, start, end), programme=programme,
                       programme_ramp=config.programme_ramp(), device=device, settings=settings)
