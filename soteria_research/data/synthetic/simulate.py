"""Synthetic RASSO cases for the 43 forces: the world, its people and each investigation's
course, followed to an extract date (or to the end), with the numbers an extract never shows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import ParameterError
from ..dictionary import load_dictionary
from .config import CAUSES, OFFENCE_GROUPS, RELATIONSHIPS, SyntheticConfig
from .course import (
    DECISIONS,
    code_labels,
    draw_latent,
    linear_predictors,
    naming_times,
    outcome_details,
    simulate_course,
)
from .crimes import draw_crimes
from .people import ETHNICITIES, SEXES, officers, random_effects, suspects
from .world import check_dates, expected_volumes, programme_steps, select_forces

_TREND_ORIGIN = pd.Timestamp("2019-04-01")
#: Independent random streams, one per part of the world, so that changing one part's settings
#: (or an effect size) leaves every other part's random numbers as they were.
_STREAMS = ("volume", "crimes", "people", "course", "afterwards", "mix", "pseudonyms")


# ------------------------------------------------------------------------------------------
# the covariates behind the hazards
# ------------------------------------------------------------------------------------------
def covariate_names(config: SyntheticConfig | None = None) -> list[str]:
    """Names of the baseline covariates that drive the hazards, in design-matrix order.

    Examples
    --------
    >>> covariate_names()[:2]
    ['offence_group[other_sexual]', 'relationship[partner_ex_partner]']
    """
    config = config or SyntheticConfig()
    return list(config.log_hazard_ratios)


def model_covariates(cases: pd.DataFrame, config: SyntheticConfig | None = None) -> pd.DataFrame:
    """The baseline covariates of the true hazards, coded from a canonical ``cases`` frame.

    One float column per covariate of ``ground_truth().hazard_ratios`` with kind
    ``covariate``, indexed like ``cases``:

    - ``offence_group[other_sexual]``: 1 for other sexual offences; reference ``rape``.
    - ``relationship[<code>]`` for ``partner_ex_partner``, ``family``, ``online_contact``,
      ``position_of_trust``, ``stranger``, ``unknown``; reference ``acquaintance_friend``.
    - ``domestic_abuse``, ``third_party_report``, ``victim_mental_health``,
      ``victim_disability``, ``victim_substance_use``: the boolean columns as 0/1.
    - ``non_recent``: 1 when ``report_date - offence_start_date >= 365`` days.
    - ``victim_under_18``: 1 when ``victim_age < 18`` (a missing age counts as 0).
    - ``victim_sex[male]``, ``victim_sex[not_stated]``; reference ``female``.
    - ``victim_ethnicity[<code>]`` for black, asian, mixed, other, not_stated; reference white.
    - ``recorded_years_since_2019``: ``(recorded_date - 2019-04-01).days / 365.25`` (a
      national trend, negative before April 2019).

    Events dated after recording (suspect named, arrest or interview, referral, device
    request) and the programme under the calendar rule are time-varying: they are not here
    (see ``Simulation.latent`` and ``ground_truth``).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases, model_covariates
    >>> cases = generate_cases(forces=["durham"], start="2022-04-01", end="2023-03-31", seed=1)
    >>> design = model_covariates(cases)
    >>> set(design["domestic_abuse"].unique()) <= {0.0, 1.0}
    True
    """
    config = config or SyntheticConfig()
    columns = {}
    for name in config.log_hazard_ratios:
        if "[" in name:
            field, level = name[:-1].split("[", 1)
            columns[name] = cases[field].eq(level)
        elif name == "non_recent":
            columns[name] = (cases["report_date"] - cases["offence_start_date"]).dt.days.ge(365)
        elif name == "victim_under_18":
            columns[name] = cases["victim_age"].lt(18).fillna(False)
        elif name == "recorded_years_since_2019":
            columns[name] = (cases["recorded_date"] - _TREND_ORIGIN).dt.days / 365.25
        else:
            columns[name] = cases[name].astype(bool)
    return pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in columns.items()}, index=cases.index)


def _design(crimes: dict, recorded_years: np.ndarray, config: SyntheticConfig) -> pd.DataFrame:
    age_seen = ~crimes["victim_age_missing"]
    values = {
        "offence_group[other_sexual]": ~crimes["rape"],
        "non_recent": crimes["non_recent"],
        "victim_under_18": age_seen & (crimes["victim_age"] < 18),
        "recorded_years_since_2019": recorded_years,
    }
    for name in ("domestic_abuse", "third_party_report", "victim_mental_health",
                 "victim_disability", "victim_substance_use"):
        values[name] = crimes[name]
    levels = {"relationship": RELATIONSHIPS, "victim_sex": SEXES, "victim_ethnicity": ETHNICITIES}
    names = list(config.log_hazard_ratios)
    # One float block filled column by column: a frame of separate columns would be copied
    # into a block (consolidated) on first use, doubling the time.
    matrix = np.empty((len(recorded_years), len(names)), order="F")  # columns contiguous
    for j, name in enumerate(names):
        field, _, level = name[:-1].partition("[") if "[" in name else (name, "", "")
        if name in values:
            matrix[:, j] = values[name]
        elif field in levels and level in levels[field]:
            matrix[:, j] = crimes[field] == levels[field].index(level)
        else:
            raise ParameterError(
                f"log_hazard_ratios has covariate {name!r} that the generator cannot code; "
                f"known: {sorted(values)} and relationship/victim_sex/victim_ethnicity[level].")
    return pd.DataFrame(matrix, columns=names, copy=False)


# ------------------------------------------------------------------------------------------
# the world before any effect acts, and the course given the effects
# ------------------------------------------------------------------------------------------
@dataclass
class World:
    """Everything random about a simulated world that no effect size changes.

    Two worlds drawn with the same seed and the same non-effect settings are identical; the
    course of each case then follows from the effects (:func:`run_course`).
    """

    config: SyntheticConfig
    force_table: pd.DataFrame
    selected: np.ndarray
    start: pd.Timestamp
    end: pd.Timestamp
    extract: pd.Timestamp
    n_days: int
    force_index: np.ndarray
    recorded: np.ndarray
    crimes: dict
    design: pd.DataFrame
    people: dict
    officer: np.ndarray
    z_suspect: np.ndarray
    z_officer: np.ndarray
    draws: object
    named: np.ndarray
    mix_force: np.ndarray
    seeds: dict

    @property
    def n(self) -> int:
        return int(self.force_index.size)


def draw_world(*, forces=None, start="2019-04-01", end="2024-03-31", extract_date=None,
               scale: float = 1.0, seed: int = 0, config: SyntheticConfig | None = None) -> World:
    """Draw the cases, people and latent random numbers of a world (see :func:`simulate`).

    Examples
    --------
    >>> world = draw_world(forces=["durham"], scale=0.01, seed=1)
    >>> world.n > 0
    True
    """
    config = config or SyntheticConfig()
    config.check()
    dictionary = load_dictionary()
    start_ts, end_ts, extract_ts = check_dates(start, end, extract_date)
    if not np.isfinite(scale) or scale <= 0:
        raise ParameterError(f"scale must be a positive number, got {scale!r}.")
    force_table = config.force_table(dictionary.forces)
    selected = select_forces(force_table, forces)
    seeds = dict(zip(_STREAMS, np.random.SeedSequence(seed).spawn(len(_STREAMS))))
    rng = {name: np.random.default_rng(s) for name, s in seeds.items()}

    # --- volumes: each day's expected count per force and offence group ------------------
    expected = expected_volumes(config, force_table, start_ts, end_ts, scale)
    counts = rng["volume"].poisson(expected[selected])
    n_days = expected.shape[1]
    cells = np.indices(counts.shape).reshape(3, -1)
    flat = counts.ravel()
    force_index = selected[np.repeat(cells[0], flat)]
    recorded = np.repeat(cells[1], flat).astype(np.int64)
    rape = np.repeat(cells[2], flat) == OFFENCE_GROUPS.index("rape")

    crimes = draw_crimes(rng["crimes"], config, force_table, force_index, recorded, rape)
    recorded_years = (recorded + (start_ts - _TREND_ORIGIN).days) / 365.25
    design = _design(crimes, recorded_years, config)

    draws = draw_latent(rng["course"], force_index.size)
    named = naming_times(config, crimes["relationship"], draws)
    people = suspects(rng["people"], config, force_index, recorded, crimes["relationship"],
                      crimes["victim_age_exact"], np.isfinite(named))
    officer = officers(rng["people"], config, force_index, n_days)
    z_suspect, z_officer = random_effects(rng["people"], people["suspect"], officer)
    national = expected.sum(axis=(1, 2))
    mix_force = rng["mix"].choice(len(force_table), size=force_index.size, p=national / national.sum())
    return World(config=config, force_table=force_table, selected=selected, start=start_ts, end=end_ts,
                 extract=extract_ts, n_days=n_days, force_index=force_index, recorded=recorded,
                 crimes=crimes, design=design, people=people, officer=officer, z_suspect=z_suspect,
                 z_officer=z_officer, draws=draws, named=named, mix_force=mix_force, seeds=seeds)


def run_course(world: World, config: SyntheticConfig | None = None, *,
               design: pd.DataFrame | None = None, relationship: np.ndarray | None = None) -> dict:
    """Each case's course in ``world`` under the effects of ``config`` (default the world's).

    ``config`` may differ from the world's only in effects (programme, device, force effects,
    start dates, stage effects, frailty loadings, log hazard ratios, baselines, suspect
    identification): the random numbers are the world's, so two configurations give a paired,
    causal contrast. ``design`` and ``relationship`` replace the cases' baseline covariates
    (an intervention on them; the relationship also sets when a suspect can be named).

    Examples
    --------
    >>> from soteria_research.data.synthetic import SyntheticConfig, draw_world, run_course
    >>> world = draw_world(forces=["durham"], start="2022-04-01", end="2022-06-30", seed=1)
    >>> on = run_course(world)
    >>> off = run_course(world, SyntheticConfig().counterfactual(device=False))
    >>> bool((on["device"] == off["device"]).all())  # same requests, other outcomes
    True
    """
    config = config or world.config
    config.check()
    table = config.force_table(load_dictionary().forces)
    effects = table[[f"log_hr_{k}" for k in CAUSES]].to_numpy(float)
    if config.force_effect_mode == "none":
        force_effects = np.zeros((world.n, len(CAUSES)))
    elif config.force_effect_mode == "national_mix":
        force_effects = effects[world.mix_force]
    else:
        force_effects = effects[world.force_index]
    design = world.design if design is None else design
    relationship = world.crimes["relationship"] if relationship is None else relationship
    named = naming_times(config, relationship, world.draws)
    linear = linear_predictors(config, design.to_numpy(float), list(design.columns), force_effects,
                               world.z_suspect, world.z_officer)
    steps = programme_steps(config, table, world.start)[world.force_index].T - world.recorded
    course = simulate_course(config, world.draws, named, linear, steps)
    course["named"] = named
    course["force_effects"] = force_effects
    course["programme_start"] = steps[0]
    course["force_table"] = table
    return course


# ------------------------------------------------------------------------------------------
# simulation
# ------------------------------------------------------------------------------------------
@dataclass
class Simulation:
    """A simulated extract with what a real one never shows.

    Attributes
    ----------
    cases : DataFrame
        The canonical cases frame (what :func:`generate_cases` returns).
    latent : DataFrame
        Per case, aligned with ``cases``, in continuous days since the start of the recording
        day: ``crime_ref``; ``latent_cause`` and ``latent_time`` (the outcome the case reaches
        if followed for ever, also beyond the extract); ``transfer_time``; ``censor_time``
        (the end of the extract day; inf with ``complete_follow_up``); ``time`` = the least of
        the three, ``event`` (0 censored, 1..5 in the order of ``CAUSES``) and ``outcome``
        (cause name or ``censored``). The stage times ``named_time``, ``interview_time``
        (first arrest or interview), ``referral_time`` and ``device_time`` are latent: each
        happened only if it is before ``latent_time`` (and is seen only before ``time``).
        ``programme_time`` is when the force's programme starts (negative: before recording;
        inf: never; the ramp steps follow it, see ``SyntheticConfig.programme_ramp``).
        ``suspect_effect`` and ``officer_effect`` are the standard-normal random effects and
        ``force_<outcome>`` the force log hazard ratio each case's hazards used.
    design : DataFrame
        The baseline covariates as the hazards used them (equals ``model_covariates(cases)``).
    forces : DataFrame
        The force table of the simulated forces (see ``SyntheticConfig.force_table``).
    config : SyntheticConfig
    """

    cases: pd.DataFrame
    latent: pd.DataFrame
    design: pd.DataFrame
    forces: pd.DataFrame
    config: SyntheticConfig


def generate_cases(
    *,
    forces: list[str] | tuple[str, ...] | None = None,
    start: str = "2019-04-01",
    end: str = "2024-03-31",
    extract_date: str | None = None,
    scale: float = 1.0,
    seed: int = 0,
    config: SyntheticConfig | None = None,
) -> pd.DataFrame:
    """Generate a canonical synthetic ``cases`` frame (one row per recorded RASSO crime).

    Parameters
    ----------
    forces : list of force codes, optional
        Forces to generate (``None``: all 43). Each keeps its national share of volume.
    start, end : str
        First and last recorded date (ISO).
    extract_date : str, optional
        When the extract is taken (default ``end``); later outcomes and stages are not seen.
    scale : float
        Volume multiplier: 1.0 follows the published national series (about 180,000-195,000
        crimes a year).
    seed : int
        Seed of every case-level draw.
    config : SyntheticConfig, optional
        Every number of the generator.

    Returns
    -------
    DataFrame
        Dictionary columns in dictionary order, with derived ``offence_group`` and
        ``outcome_group``. Use :func:`simulate` for the latent times too.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham", "city_of_london"], scale=0.1, seed=3)
    >>> counts = cases["force"].value_counts()
    >>> bool(counts["durham"] > counts.get("city_of_london", 0))
    True
    """
    world = draw_world(forces=forces, start=start, end=end, extract_date=extract_date, scale=scale,
                       seed=seed, config=config)
    return observe(world, run_course(world), latent=False).cases


def simulate(
    *,
    forces: list[str] | tuple[str, ...] | None = None,
    start: str = "2019-04-01",
    end: str = "2024-03-31",
    extract_date: str | None = None,
    scale: float = 1.0,
    seed: int = 0,
    config: SyntheticConfig | None = None,
    complete_follow_up: bool = False,
) -> Simulation:
    """Like :func:`generate_cases`, also returning the latent times, the design and the forces.

    With ``complete_follow_up=True`` every case is followed to its outcome: nothing is
    censored at the extract date (the frame's ``extract_date`` becomes its latest date), so
    ``cases`` shows each case's full stage history. Simulating ``config.counterfactual(...)``
    with the same seed gives the same cases and random numbers under other effects (common
    random numbers): compare the two runs case by case for a causal effect.

    Examples
    --------
    >>> from soteria_research.data.synthetic import SyntheticConfig, simulate
    >>> sim = simulate(forces=["cumbria"], start="2022-04-01", end="2023-03-31", seed=2)
    >>> bool((sim.latent["time"] > 0).all())
    True
    >>> world = dict(forces=["cumbria"], start="2022-04-01", end="2022-06-30", seed=2,
    ...              complete_follow_up=True)
    >>> on = simulate(**world)
    >>> off = simulate(**world, config=SyntheticConfig().counterfactual(device=False))
    >>> bool(on.cases["recorded_date"].equals(off.cases["recorded_date"]))
    True
    """
    world = draw_world(forces=forces, start=start, end=end, extract_date=extract_date, scale=scale,
                       seed=seed, config=config)
    return observe(world, run_course(world), complete_follow_up=complete_follow_up)


def observe(world: World, course: dict, *, complete_follow_up: bool = False, latent: bool = True) -> Simulation:
    """What the records show of each case's course by the extract date (or at the end).

    With ``latent=False`` only ``cases`` is built (``latent`` and ``design`` are None).

    Examples
    --------
    >>> from soteria_research.data.synthetic import draw_world, run_course
    >>> world = draw_world(forces=["durham"], scale=0.01, seed=1)
    >>> seen = observe(world, run_course(world))
    >>> len(seen.cases) == world.n
    True
    """
    config = world.config
    n = world.n
    recorded = world.recorded
    details = outcome_details(np.random.default_rng(world.seeds["afterwards"]), config, course,
                              course["named"], world.people["suspect_age"])
    time, cause, transfer = course["time"], course["cause"], course["transfer"]
    if complete_follow_up:
        censor = np.full(n, np.inf)
    else:
        censor = ((world.extract - world.start).days - recorded + 1).astype(float)
    horizon = np.minimum(transfer, censor)

    def seen(times: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(times) & (times < horizon), times, np.nan)

    seen_outcome = time < horizon
    seen_transfer = (transfer < censor) & (transfer <= time)
    code = np.where(seen_outcome, details["code"], np.where(seen_transfer, 1, 0))  # 1: "20", 0: open
    outcome_time = np.where(seen_outcome, time, np.where(seen_transfer, transfer, np.nan))
    charge_seen = seen_outcome & (cause == 0)
    requested = seen(details["device_requested"])
    dates = {
        "suspect_identified_date": seen(details["named"]),
        "arrest_date": seen(details["arrest"]),
        "interview_date": seen(details["interview"]),
        "file_to_cps_date": seen(details["referral"]),
        "cps_decision_date": seen(details["decision"]),
        "charge_date": np.where(charge_seen, time, np.nan),
        "device_requested_date": requested,
        "device_returned_date": np.where(np.isfinite(requested) & (details["device_returned"] < censor),
                                         details["device_returned"], np.nan),
        "outcome_date": outcome_time,
        "court_outcome_date": np.where(charge_seen & (details["verdict"] < censor), details["verdict"], np.nan),
    }
    decision = np.where(np.isfinite(dates["cps_decision_date"]), details["decision_result"], 0)
    court = np.where(np.isfinite(dates["court_outcome_date"]), details["court_outcome"], 0)
    extract = world.extract
    if complete_follow_up and n:
        latest = max(float(np.nanmax(np.where(np.isfinite(v), v + recorded, np.nan), initial=0.0))
                     for v in dates.values())
        extract = max(extract, world.start + pd.Timedelta(days=int(np.floor(latest))))
    people = dict(world.people, seen=np.isfinite(dates["suspect_identified_date"]))
    frame = _assemble(world, extract, people, dates, code, decision, court,
                      np.random.default_rng(world.seeds["pseudonyms"]))

    forces = course["force_table"].iloc[world.selected].reset_index(drop=True)
    if not latent:
        return Simulation(cases=frame, latent=None, design=None, forces=forces, config=config)
    event = np.where(time < np.minimum(transfer, censor), cause + 1, 0)
    latent_frame = pd.DataFrame({
        "crime_ref": frame["crime_ref"].to_numpy(),
        "latent_cause": np.asarray(CAUSES, dtype=object)[cause],
        "latent_time": time,
        "transfer_time": transfer,
        "censor_time": censor,
        "time": np.minimum(time, np.minimum(transfer, censor)),
        "event": event,
        "outcome": np.asarray(("censored",) + CAUSES, dtype=object)[event],
        "named_time": course["named"],
        "interview_time": course["interview"],
        "referral_time": course["referral"],
        "device_time": course["device"],
        "programme_time": course["programme_start"],
        "suspect_effect": world.z_suspect,
        "officer_effect": world.z_officer,
        **{f"force_{k}": course["force_effects"][:, i] for i, k in enumerate(CAUSES)},
    }, copy=False)
    design = pd.DataFrame(world.design.to_numpy(), columns=world.design.columns, index=frame.index, copy=True)
    return Simulation(cases=frame, latent=latent_frame, design=design, forces=forces, config=config)


def _pseudonyms(prefix: str, numbers: np.ndarray, rng, width: int = 9) -> np.ndarray:
    # A bijective affine scramble of 0..10**width-1: unique, and not in recording order.
    modulus = 10**width
    offset = int(rng.integers(0, modulus))
    if numbers.size and numbers.max() + 1 < numbers.size:  # fewer people than cases: label once
        return _scrambled_labels(prefix, np.arange(numbers.max() + 1), offset, width)[numbers]
    return _scrambled_labels(prefix, numbers, offset, width)


def _scrambled_labels(prefix: str, numbers: np.ndarray, offset: int, width: int) -> np.ndarray:
    modulus = 10**width
    scrambled = (numbers.astype(np.int64) * 387_420_489 + offset) % modulus
    # Build the ASCII bytes arithmetically: string formatting per element would be a loop.
    digits = np.empty((numbers.size, width), dtype=np.uint8)
    rest = scrambled.astype(np.uint32)  # below 10**9 < 2**32, and 32-bit division is faster
    for place in range(width - 1, -1, -1):  # a loop over digit places, not cases
        rest, digit = np.divmod(rest, np.uint32(10))
        digits[:, place] = digit + ord("0")
    head = np.broadcast_to(np.frombuffer(prefix.encode("ascii"), dtype=np.uint8), (numbers.size, len(prefix)))
    raw = np.ascontiguousarray(np.hstack([head, digits]))
    return raw.view(f"S{len(prefix) + width}").ravel().astype(f"U{len(prefix) + width}").astype(object)


def _assemble(world: World, extract_ts, people, dates, code, decision, court, rng) -> pd.DataFrame:
    dictionary = load_dictionary()
    crimes, recorded = world.crimes, world.recorded
    n = world.n
    base = np.datetime64(world.start.date(), "D")

    def day(offsets) -> np.ndarray:
        offsets = np.asarray(offsets, dtype=float)
        whole = np.where(np.isfinite(offsets), np.floor(offsets), 0).astype(np.int64)
        values = (base + whole.astype("timedelta64[D]")).astype("datetime64[ns]")
        return np.where(np.isfinite(offsets), values, np.datetime64("NaT"))

    def text(values, missing) -> np.ndarray:
        values = np.asarray(values, dtype=object)
        return np.where(missing, np.nan, values)

    report = recorded - crimes["report_lag"]
    offence_start = report - crimes["delay"]
    offence_end = np.where(crimes["ongoing"], offence_start + crimes["ongoing_days"], np.nan)
    has_suspect = people["seen"]
    sexes = np.asarray(SEXES, dtype=object)
    ethnicities = np.asarray(ETHNICITIES, dtype=object)
    relationships = np.asarray(RELATIONSHIPS, dtype=object)
    victim_age = pd.arrays.IntegerArray(crimes["victim_age"].astype(np.int64), crimes["victim_age_missing"].copy())
    suspect_age = pd.arrays.IntegerArray(np.maximum(people["suspect_age"], 0).astype(np.int64), ~has_suspect)
    labels = code_labels(world.config)
    groups = dictionary.outcome_group_map
    code_text = np.array([label or np.nan for label in labels], dtype=object)
    group_text = np.array([groups.get(label, "open") for label in labels], dtype=object)
    decisions = np.array([d or np.nan for d in DECISIONS], dtype=object)
    courts = np.array([np.nan, *world.config.court_outcome], dtype=object)

    # Dates live relative to the recording day; shift to the calendar.
    rel = {name: values + recorded for name, values in dates.items()}
    columns = {
        "crime_ref": _pseudonyms("CR", np.arange(n), rng),
        "force": world.force_table["force"].to_numpy(dtype=object)[world.force_index],
        "offence_code": crimes["offence_code"].astype(object),
        "offence_group": np.where(crimes["rape"], "rape", "other_sexual").astype(object),
        "offence_start_date": day(offence_start),
        "offence_end_date": day(offence_end),
        "report_date": day(report),
        "recorded_date": day(recorded),
        "third_party_report": crimes["third_party_report"],
        "domestic_abuse": crimes["domestic_abuse"],
        "victim_id": _pseudonyms("V", crimes["victim"], rng),
        "victim_age": victim_age,
        "victim_sex": sexes[crimes["victim_sex"]],
        "victim_ethnicity": ethnicities[crimes["victim_ethnicity"]],
        "victim_mental_health": crimes["victim_mental_health"],
        "victim_disability": crimes["victim_disability"],
        "victim_substance_use": crimes["victim_substance_use"],
        "suspect_id": text(_pseudonyms("S", np.maximum(people["suspect"], 0), rng), ~has_suspect),
        "suspect_age": suspect_age,
        "suspect_sex": text(sexes[people["suspect_sex"]], ~has_suspect),
        "suspect_ethnicity": text(ethnicities[people["suspect_ethnicity"]], ~has_suspect),
        "relationship": relationships[crimes["relationship"]],
        "officer_id": _pseudonyms("OF", world.officer, rng, width=7),
    }
    for name, offsets in rel.items():
        columns[name] = day(offsets)
    columns["cps_decision"] = decisions[decision]
    columns["outcome_code"] = code_text[code]
    columns["outcome_group"] = group_text[code]
    columns["court_outcome"] = courts[court]
    columns["extract_date"] = np.full(n, np.datetime64(extract_ts.date(), "D")).astype("datetime64[ns]")
    # copy=False keeps one block per column: consolidating 40 columns would double the time.
    return pd.DataFrame({name: columns[name] for name in dictionary.field_names}, copy=False)


def write_cases(cases: pd.DataFrame, path: str | Path) -> Path:
    """Write canonical cases to Parquet or CSV (ISO dates, empty for missing) by extension.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from soteria_research.data.synthetic import generate_cases, write_cases
    >>> cases = generate_cases(forces=["cumbria"], start="2023-01-01", end="2023-03-31", seed=1)
    >>> write_cases(cases, pathlib.Path(tempfile.mkdtemp()) / "cases.csv").name
    'cases.csv'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".pq", ".csv"):
        raise ParameterError(f"Cannot write {path}: use a .csv or .parquet file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Whole or not at all: an interrupted run must not leave a half-written file that make
    # (or a later session) would take for the finished data set.
    partial = path.with_name(f".{path.name}.partial")
    if suffix == ".csv":
        cases.to_csv(partial, index=False, date_format="%Y-%m-%d", lineterminator="\n")
    else:
        cases.to_parquet(partial, index=False)
    os.replace(partial, path)
    return path
