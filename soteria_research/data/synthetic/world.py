"""The world outside the cases: forces, how many crimes each records on each day, and when the
programme starts. Volumes follow the published national series per offence group, with a
summer peak, the spring 2020 lockdown dip and forces growing at different rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import ParameterError
from .config import OFFENCE_GROUPS, SyntheticConfig, _financial_year_start

#: Growth of a force's volume is measured from this date (its share is the drawn one here).
GROWTH_ORIGIN = pd.Timestamp("2021-10-01")


def financial_year(dates: np.ndarray) -> np.ndarray:
    """First calendar year of the financial year (April-March) of each ``datetime64[D]``."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (dates.astype("datetime64[M]").astype(np.int64) % 12) + 1
    return year - (month < 4)


def financial_year_label(first_year) -> np.ndarray:
    """'2019/20' for 2019."""
    first = np.asarray(first_year, dtype=np.int64)
    return np.char.add(np.char.add(first.astype(str), "/"), np.char.zfill(((first + 1) % 100).astype(str), 2))


def yearly_volume(config: SyntheticConfig, group: str, first_years: np.ndarray) -> np.ndarray:
    """National crimes recorded in each financial year (scale 1), clamped to the series' ends."""
    series = {_financial_year_start(k): float(v) for k, v in config.recorded_per_year[group].items()}
    years = np.array(sorted(series))
    values = np.array([series[y] for y in years])
    index = np.clip(np.searchsorted(years, first_years, side="right") - 1, 0, len(years) - 1)
    return np.where(first_years < years[0], values[0], values[index])


def seasonal_multiplier(config: SyntheticConfig, days: np.ndarray) -> np.ndarray:
    """Relative recording rate on each day: the yearly cycle times any dips."""
    days = np.asarray(days, dtype="datetime64[D]")
    day_of_year = (days - days.astype("datetime64[Y]")).astype(np.int64)
    phase = 2 * np.pi * (day_of_year - config.seasonal_peak_day) / 365.25
    multiplier = 1.0 + config.seasonal_amplitude * np.cos(phase)
    for first, last, factor in config.volume_dips:
        inside = (days >= np.datetime64(str(first), "D")) & (days <= np.datetime64(str(last), "D"))
        multiplier = np.where(inside, multiplier * float(factor), multiplier)
    return multiplier


def expected_volumes(config: SyntheticConfig, force_table: pd.DataFrame, start: pd.Timestamp,
                     end: pd.Timestamp, scale: float) -> np.ndarray:
    """Expected crimes recorded per force, day in ``[start, end]`` and offence group.

    Each financial year's national total per offence group is shared between forces and days
    in proportion to population x rate multiplier x the force's growth x season x dips, with
    the force's rape-share shift moving volume between the two groups; so national totals
    follow ``recorded_per_year`` whichever forces or days are asked for.

    Returns
    -------
    ndarray
        Shape (forces, days, 2), groups in the order of ``OFFENCE_GROUPS``.
    """
    first_fy = int(financial_year(np.array([start.date()], dtype="datetime64[D]"))[0])
    last_fy = int(financial_year(np.array([end.date()], dtype="datetime64[D]"))[0])
    days = np.arange(np.datetime64(f"{first_fy}-04-01"), np.datetime64(f"{last_fy + 1}-04-01"))
    fy = financial_year(days)
    years_on = (days - np.datetime64(GROWTH_ORIGIN.date(), "D")).astype(np.int64) / 365.25
    base = (force_table["population_2011"] * force_table["rate_multiplier"]).to_numpy(float)
    growth = np.exp(np.outer(force_table["growth_per_year"].to_numpy(float), years_on))
    shape = base[:, None] * growth * seasonal_multiplier(config, days)[None, :]
    shift = force_table["mix_rape_share"].to_numpy(float)
    expected = np.empty((len(force_table), days.size, len(OFFENCE_GROUPS)))
    for g, group in enumerate(OFFENCE_GROUPS):  # a loop over the two offence groups
        weight = shape * np.exp((0.5 if group == "rape" else -0.5) * shift)[:, None]
        totals = np.bincount(fy - first_fy, weights=weight.sum(axis=0))
        national = yearly_volume(config, group, np.arange(first_fy, last_fy + 1)) * scale
        expected[:, :, g] = weight * (national / totals)[fy - first_fy][None, :]
    inside = (days >= np.datetime64(start.date(), "D")) & (days <= np.datetime64(end.date(), "D"))
    return expected[:, inside, :]


def programme_steps(config: SyntheticConfig, force_table: pd.DataFrame, origin: pd.Timestamp) -> np.ndarray:
    """Days from ``origin`` on which each force's programme reaches each ramp step (inf: never).

    Shape (forces, steps); step k gives k/steps of the full effect (see
    :meth:`SyntheticConfig.programme_ramp`).
    """
    ramp = config.programme_ramp()["days_from_start"].to_numpy(float)
    start = force_table["soteria_start"]
    offset = (start - origin).dt.days.to_numpy(dtype=float, na_value=np.inf)
    return offset[:, None] + ramp[None, :]


def check_dates(start, end, extract_date):
    """Parse and check the recording window and the extract date."""
    try:
        start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        extract_ts = pd.Timestamp(extract_date if extract_date is not None else end).normalize()
    except (ValueError, TypeError) as error:
        raise ParameterError(f"start, end and extract_date must be ISO dates (YYYY-MM-DD): {error}") from None
    if end_ts < start_ts:
        raise ParameterError(f"end ({end_ts.date()}) is before start ({start_ts.date()}).")
    if extract_ts < end_ts:
        raise ParameterError(
            f"extract_date ({extract_ts.date()}) is before end ({end_ts.date()}): nothing can be "
            "recorded after the extract; set end on or before the extract date.")
    if start_ts < pd.Timestamp("2000-01-01"):
        raise ParameterError("start must be on or after 2000-01-01 (the dictionary's minimum).")
    return start_ts, end_ts, extract_ts


def select_forces(force_table: pd.DataFrame, forces) -> np.ndarray:
    """Row numbers of the requested force codes (all when ``None``)."""
    codes = force_table["force"].tolist()
    if forces is None:
        return np.arange(len(codes))
    if isinstance(forces, str):
        forces = [forces]
    unknown = [f for f in forces if f not in codes]
    if unknown:
        raise ParameterError(
            f"Unknown force code(s) {unknown}; use codes from data_dictionaries/forces.csv such "
            "as 'durham', 'city_of_london', 'metropolitan'.")
    if not forces:
        raise ParameterError("forces is empty: give at least one force code, or None for all 43.")
    return np.array(sorted({codes.index(f) for f in forces}))
