"""The tables a report computes from its cases, each computed once.

A report reads some of its computed tables more than once (the funnel in the key messages and
in its own section), and the national overview's are the national tables the run-level
protection has computed already: ``run_pattern.solve_run`` registers the nation's figures of
every linked table, so that a force's hidden cell is never the only one in its national line.
The national preparation saves those tables in the run folder (:data:`TABLES_DIR`) and the
overview reads them (``ReportContext.table``) rather than computing them again: about 20 s of
a 43-force run at full size (``docs/methods.md`` §8).

Each table is computed by one function here (:func:`compute`), by the preparation and by a
report alike, so what the overview prints is the table the run protected.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

__all__ = ["NATIONAL_NAMES", "OWN_DIR", "OWN_NAMES", "TABLES_DIR", "compute", "load",
           "national_tables", "own_tables", "save"]

#: The run folder's directory of the national tables the preparation computed
#: (``<name>.pickle``: pickled, not Parquet, so each comes back exactly as computed, its
#: ``attrs`` included: Parquet keeps them as JSON, and a note's windows keyed by days came
#: back keyed by text). The folder is the run's private working folder, written by the run.
TABLES_DIR = "national_tables"
#: The computed tables by name (the linked tables' names; ``cohort_rates`` is the trend
#: table's outcomes by financial year, before its year totals).
_TIMING = ("timeliness", "cps_timeliness", "suspect_timeliness", "suspects_arrested",
           "prosecution_decisions")


def _demographic_names() -> tuple[str, ...]:
    from ..analysis.demographics import DIMENSIONS

    return tuple(f"demographics_{dimension}" for dimension in DIMENSIONS)


#: The run folder's directory of each force's own tables (``<force>/<name>.pickle``), which
#: the run-level protection registers and the force's report reads.
OWN_DIR = "own_tables"
#: A force report's own tables, as its notebook shows them (``pillars`` on the force's cases
#: alone). ``device_request_counts`` is ``device_requests`` without its hazard ratio (a model
#: fit per force, left to the report, which runs in parallel with the others): what the
#: run's protection needs of it.
OWN_NAMES = ("withdrawal_timing", "withdrawal_stage", "repeat_suspects", "earlier_allegations",
             "device_request_counts", "officer_caseload")
NATIONAL_NAMES = ("headline", "outcome_mix", "funnel", "cohort_rates", *_demographic_names(),
                  *_TIMING)


def compute(name: str, cases: pd.DataFrame, *, by: str | None = None,
            extract_date=None, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The table ``name`` of ``cases``. ``by``: ``"force"`` gives the headline and the
    demographic tables a force column (a force report's, as the run's linked tables have
    one); the others are of ``cases`` as a whole. The own tables (:data:`OWN_NAMES`, and
    ``device_requests``) are a force report's, of the cases as a whole whatever ``by``;
    ``counts``: for ``device_requests``, its ``device_request_counts`` computed already, so
    that only the hazard ratio is fitted.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.05, seed=1)
    >>> compute("funnel", cases)["stage"].iloc[0]
    'recorded'
    """
    from ..analysis.demographics import outcome_shares
    from . import sections_timeliness as timing
    from .national import linked_cohort_rates, linked_funnel, linked_outcome_mix
    from .sections_breakdowns import WITHIN_DAYS, linked_headline

    extract = pd.Timestamp(extract_date) if extract_date not in (None, "") else None
    if name in (*OWN_NAMES, "device_requests"):
        return _own(name, cases, counts)
    if name == "headline":
        return linked_headline(cases, by=by, extract_date=extract)
    if name == "outcome_mix":
        return linked_outcome_mix(cases)
    if name == "funnel":
        return linked_funnel(cases)
    if name == "cohort_rates":
        return linked_cohort_rates(cases)
    if name.startswith("demographics_"):
        return outcome_shares(cases, name.removeprefix("demographics_"), by=by,
                              within_days=WITHIN_DAYS, extract_date=extract)
    tables = {"timeliness": timing.timeliness_table, "cps_timeliness": timing.cps_table,
              "suspect_timeliness": timing.suspect_table,
              "suspects_arrested": timing.arrests_table,
              "prosecution_decisions": timing.decisions_table}
    if name not in tables:
        from ..errors import ParameterError

        raise ParameterError(f"No computed table {name!r}: one of "
                             f"{', '.join((*NATIONAL_NAMES, *OWN_NAMES, 'device_requests'))}.")
    return tables[name](cases, extract_date=extract)


def _own(name: str, cases: pd.DataFrame, counts: pd.DataFrame | None) -> pd.DataFrame:
    """A force report's own table ``name`` of ``cases`` (see :func:`compute`)."""
    from ..analysis import pillars

    if name == "withdrawal_timing":
        return pillars.withdrawal_timing(cases)
    if name == "withdrawal_stage":
        return pillars.withdrawal_stage(cases).round({"median_days": 0})
    if name == "repeat_suspects":
        return pillars.repeat_suspects(cases)
    if name == "earlier_allegations":
        return pillars.earlier_allegation_outcomes(cases)
    if name == "officer_caseload":
        return pillars.officer_caseload(cases).round({"mean": 0, "median": 0, "p90": 0})
    if name == "device_request_counts":
        return pillars.device_requests(cases, hazard_ratio=False)
    if counts is None:  # device_requests
        return pillars.device_requests(cases)
    table = counts.copy()
    # the one figure hazard_ratio=False leaves empty: device_requests fits it for the cases
    # as a whole just so (tests/test_shared_preparation.py checks the tables are equal)
    row = table["measure"].eq("withdrawal_hazard_ratio")
    table.loc[row, ["estimate", "ci_low", "ci_high"]] = pillars._withdrawal_hazard_ratio(
        cases, 0.95, None)
    return table


def own_tables(cases: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every table of :data:`OWN_NAMES` of one force's ``cases`` (its report's)."""
    return {name: compute(name, cases) for name in OWN_NAMES}


def national_tables(cases: pd.DataFrame, extract_date=None) -> dict[str, pd.DataFrame]:
    """Every table of :data:`NATIONAL_NAMES` of all of ``cases`` (the national overview's)."""
    return {name: compute(name, cases, extract_date=extract_date) for name in NATIONAL_NAMES}


def _where(folder: str | os.PathLike, force: str | None) -> Path:
    return Path(folder) / (TABLES_DIR if force is None else Path(OWN_DIR) / force)


def save(tables: dict[str, pd.DataFrame], folder: str | os.PathLike,
         force: str | None = None) -> None:
    """Save ``tables`` in ``folder``'s :data:`TABLES_DIR` (the national tables), or
    :data:`OWN_DIR` under ``force`` (a force's own tables), replacing any saved before."""
    where = _where(folder, force)
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    for name, frame in tables.items():
        temporary = where / f".{name}.pickle.tmp"
        frame.to_pickle(temporary)
        os.replace(temporary, where / f"{name}.pickle")


def load(folder: str | os.PathLike, name: str, force: str | None = None
         ) -> pd.DataFrame | None:
    """The table ``name`` saved in ``folder`` (a force's own with ``force``; None where the
    run saved none)."""
    path = _where(folder, force) / f"{name}.pickle"
    return pd.read_pickle(path) if path.is_file() else None
