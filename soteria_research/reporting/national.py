"""The national work of a report run, done once and read by every report: validated cases as
Parquet, headline figures of every force, peer groups, case-mix-adjusted force effects.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ParameterError
from . import provenance, shared_cases
from .parameters import NATIONAL, ReportParameters
from .report_common import (  # noqa: F401 (re-exported: other modules import them from here)
    _ERROR_DETAIL,
    CASELOADS,
    CODE_COLUMNS,
    CURVE_DAYS,
    EFFECT_OUTCOMES,
    HEADINGS,
    HEADLINE_ESTIMANDS,
    LINKED_FILE,
    LINKED_VIEWS,
    MODELS,
    N_PEERS,
    WITHIN_DAYS,
    _day,
    _fmt_count,
    _fmt_share,
    _headline_cells,
    _published,
    _recorded_rows,
    _share_rows,
    published_figures,
    share_of,
)
from .report_data import ReportData
from .report_headline import ReportHeadline
from .report_models import ReportModels
from .report_narrative import ReportNarrative
from .report_tables import ReportTables
from .takeaway import Takeaway

__all__ = ["FUNNEL_PROTECTION", "OUTCOME_MIX_PROTECTION", "NationalArtefacts", "ReportContext", "open_report", "prepare_national", "share_of"]


@dataclass
class NationalArtefacts:
    """What :func:`prepare_national` left in the run's shared folder."""

    folder: Path
    forces_present: list[str]
    force_sizes: dict[str, int]
    validation_summary: dict
    reused: bool = False
    notes: list[str] = field(default_factory=list)


def _select_period(cases: pd.DataFrame, params: ReportParameters) -> pd.DataFrame:
    keep = pd.Series(True, index=cases.index)
    if params.period_start is not None:
        keep &= cases["recorded_date"].ge(pd.Timestamp(params.period_start))
    if params.period_end is not None:
        keep &= cases["recorded_date"].le(pd.Timestamp(params.period_end))
    if params.extract_date is not None:
        keep &= cases["recorded_date"].le(pd.Timestamp(params.extract_date))
    if keep.all():  # the usual case: no copy of a national frame
        return cases.reset_index(drop=True)
    return cases.loc[keep].reset_index(drop=True)


def _validation_summary(report, cases: pd.DataFrame, accepted: dict[str, int]) -> dict:
    """The file's validation counts for the reports: ``valid_by_force``, each force's cases in
    the report period (the forces of the national figures); ``accepted_by_force``, each
    force's accepted rows in the whole file, as the data-quality table's "Accepted for"
    says (the cases in the period are its next row)."""
    quarantine = getattr(report, "quarantine", None)
    by_force: dict[str, int] = {}
    if quarantine is not None and "force" in quarantine.columns and len(quarantine):
        by_force = {str(k): int(v) for k, v in quarantine["force"].value_counts().items()}
    rules = report.rule_counts
    return {
        "source": str(getattr(report, "source", "")),
        "n_input": int(report.n_input),
        "n_valid": int(report.n_valid),
        "n_quarantined": int(report.n_quarantined),
        "rule_counts": [
            {"rule": str(r.rule), "column": str(r.column), "n_rows": int(r.n_rows)}
            for r in rules.itertuples(index=False)
        ] if len(rules) else [],
        "quarantined_by_force": by_force,
        "valid_by_force": {str(k): int(v) for k, v in cases["force"].value_counts().items()},
        "accepted_by_force": dict(sorted(accepted.items())),
        "dictionary_version": str(getattr(report, "dictionary_version", "")),
    }


def _extract_arg(params: ReportParameters):
    return pd.Timestamp(params.extract_date) if params.extract_date else None


def prepare_national(
    params: ReportParameters,
    folder: str | os.PathLike,
    *,
    fingerprint: str | None = None,
    rerun: bool = False,
) -> NationalArtefacts:
    """Do a run's national work once and save it for the reports to read.

    Reads and validates ``params.data`` (rows that fail go to quarantine; counts are kept for
    the data-quality section), keeps the report period, and saves: ``cases/<force>.parquet``,
    ``validation.json``, ``headline.parquet`` (every force and the nation), ``profile.parquet``
    and ``peers.parquet`` (most-similar forces), ``effects.parquet`` (case-mix-adjusted force
    effects), the linked disclosure pattern (``LINKED_FILE``, and each force report's view of
    it in ``LINKED_VIEWS``), the run-level protection's pattern of each report's declared
    tables (``run_pattern.PATTERN_DIR``), and the national programme evaluation
    (``programme_section.prepare_programme``). When ``fingerprint`` matches the saved one the
    folder is reused as it is.

    Memory stays bounded at national scale: a Parquet file is validated in batches
    (:mod:`~soteria_research.data.chunked`), each batch's cases go straight to their force's
    file, the national work holds the cases without their identifiers, and the national models
    are fitted one at a time.

    Examples
    --------
    >>> from soteria_research.reporting.parameters import ReportParameters
    >>> from soteria_research.reporting.national import prepare_national
    >>> shared = prepare_national(ReportParameters.validate(), "/tmp/shared")  # doctest: +SKIP
    """
    from ..analysis import comparison
    from ..data import chunked
    from ..data.extract_view import as_extracted
    from .shared_cases import ID_COLUMNS, ForceFiles

    folder = Path(folder)
    stamp = folder / "fingerprint.json"
    if fingerprint and not rerun and stamp.exists():
        saved = json.loads(stamp.read_text(encoding="utf-8"))
        if saved.get("fingerprint") == fingerprint:
            return NationalArtefacts(folder, saved["forces_present"],
                                     saved["force_sizes"], saved["validation"], reused=True,
                                     notes=saved.get("notes", []))
    stamp.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cases.parquet").unlink(missing_ok=True)  # a folder from before per-force files
    shutil.rmtree(folder / "cases", ignore_errors=True)
    files = ForceFiles(folder)
    parts: list[pd.DataFrame] = []
    accepted: dict[str, int] = {}  # each force's accepted rows, whatever their period

    def keep(batch: pd.DataFrame) -> None:
        for force, n in batch["force"].value_counts().items():
            accepted[str(force)] = accepted.get(str(force), 0) + int(n)
        batch = _select_period(batch, params)
        if params.extract_date is not None:  # every table sees the data as of that date
            batch = as_extracted(batch, params.extract_date, source=str(params.data))
        files.write(batch)
        batch = batch.drop(columns=list(ID_COLUMNS))
        if "officer_id" in batch.columns:  # many cases per officer: one string per officer
            batch["officer_id"] = batch["officer_id"].astype("category")
        parts.append(batch)

    try:
        _, report = chunked.read_cases_in_chunks(params.data, extract_date=params.extract_date,
                                                 mapping=params.mapping,
                                                 chunk_rows=chunked.CHUNK_ROWS, on_cases=keep)
    except BaseException:
        files.abort()
        raise
    files.close()
    cases = pd.concat(parts, ignore_index=True) if len(parts) > 1 else next(iter(parts), None)
    parts.clear()
    if cases is None or cases.empty:
        raise ParameterError(
            f"No valid cases in {params.data} for the period {params.period_start or 'start'} to "
            f"{params.period_end or 'end'}: widen the period or check the file."
        )
    validation = _validation_summary(report, cases, accepted)
    del report
    if params.mapping is not None:
        validation["mapping_name"] = Path(params.mapping).name
        validation["mapping_sha256"] = provenance.file_sha256(params.mapping)
    if params.benchmarks is not None:
        from .benchmarks import keep_input

        keep_input(params.benchmarks, folder)
    provenance.write_json(folder / "validation.json", validation)

    extract = _extract_arg(params)
    national = comparison.headline_figures(cases, within_days=WITHIN_DAYS, extract_date=extract)
    national.insert(0, "force", NATIONAL)
    by_force = comparison.headline_figures(cases, by="force", within_days=WITHIN_DAYS,
                                           extract_date=extract)
    _write_parquet(pd.concat([national, by_force], ignore_index=True),
                   folder / "headline.parquet")
    _write_parquet(comparison.force_profile(cases), folder / "profile.parquet")
    peers = comparison.most_similar(cases, k=N_PEERS)
    _write_parquet(peers, folder / "peers.parquet")
    # One case-mix model at a time, each fitted on the country's distinct covariate patterns
    # (comparison.force_effects, grouped), not on a design matrix of every case. Force
    # effects compare forces: none for one force's file (its report does not show them).
    outcomes = EFFECT_OUTCOMES if cases["force"].nunique() > 1 else ()
    results = {outcome: _force_effects(cases, outcome, extract) for outcome in outcomes}

    notes = [result for result in results.values() if isinstance(result, str)]
    if not outcomes:
        notes.append("Case-mix-adjusted force effects compare forces: the data hold one.")
    effects = [result for result in results.values() if not isinstance(result, str)]
    effects_frame = pd.concat(effects, ignore_index=True) if effects else pd.DataFrame()
    if effects:
        _write_parquet(effects_frame, folder / "effects.parquet")
    notes += _protect_linked(cases, params, folder, by_force, effects_frame, peers)
    from .programme_section import prepare_programme  # the staggered programme evaluation

    notes += prepare_programme(cases, params, folder)

    sizes = {str(k): int(v) for k, v in cases["force"].value_counts().items()}
    present = sorted(sizes)
    provenance.write_json(stamp, {"fingerprint": fingerprint, "forces_present": present,
                                  "force_sizes": sizes, "validation": validation, "notes": notes})
    return NationalArtefacts(folder, present, sizes, validation, notes=notes)


def _force_effects(cases: pd.DataFrame, outcome: str, extract) -> pd.DataFrame | str:
    """One outcome's case-mix-adjusted force effects, or a note saying why there are none."""
    from ..analysis import comparison

    try:
        frame = comparison.force_effects(cases, outcome=outcome, within_days=WITHIN_DAYS,
                                         extract_date=extract)
    except Exception as error:  # noqa: BLE001 (recorded: a national model must not stop the run)
        return f"Case-mix-adjusted {outcome} effects not estimated: {error}"
    frame.insert(0, "outcome", outcome)
    frame["national_rate"] = frame.attrs["national_rate"]
    return frame


def _linked_tables(cases: pd.DataFrame, headline: pd.DataFrame,
                   effects: pd.DataFrame, extract=None) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Force × category tables that force reports and the national overview both publish.

    Each adds up across forces to a national figure someone can read, so each is protected once
    for the whole run: a force's hidden cell is never the only hidden one in its national line.
    The headline, funnel and outcome mix carry an ``offence_group`` key (all, rape, other
    sexual offences; ``all`` is their total), so a hidden rape figure cannot be had from all
    minus other either (``sections_breakdowns``).
    """
    from .sections_breakdowns import (
        linked_demographics,
        linked_headline,
        with_all_years,
        with_year_totals,
    )

    headline = linked_headline(cases, by="force", extract_date=extract)
    # The headline's national lines may rest on rounding (publication profile: 43 counts
    # rounded to 5 leave a hidden force's count a range tens wide), checked by the attacker
    # of protect(secondary="optimal_rounding"); otherwise the cheapest complement. Without it a
    # large force lost its charge share to protect City of London's (issue 16, item 12).
    tables: dict[str, tuple[pd.DataFrame, dict]] = {
        "headline_recorded": (_recorded_rows(headline), {"counts": ["count"],
                                                         "secondary": "optimal_rounding"}),
        "headline": (_share_rows(headline), {"by": ["measure"], "counts": ["count", "n"],
                                             "columns_add_up": False,
                                             "rates": share_of("count", "n"),
                                             "design_effect": "design_effect",
                                             "secondary": "optimal_rounding"}),
        "outcome_mix": (linked_outcome_mix(cases, by="force"), OUTCOME_MIX_PROTECTION),
        "funnel": (linked_funnel(cases, by="force"), FUNNEL_PROTECTION),
        # n_cohort as a repeated column made the protection fail (all withheld, 11 minutes)
        # on all 43 forces at scale 0.1, and left out it was only assumed known. Instead
        # each year's total is a row of its own (outcome "all"), protected as a count: the
        # outcomes and shares give it away, so a small one is hidden and never follows from
        # the national total less the other forces' (issue 16); every year is listed
        "cohort_trends": (with_all_years(with_year_totals(linked_cohort_rates(cases, by="force"),
                                                          by="force"), cases),
                          {"counts": ["n"], "rates": dict.fromkeys(
                              ("estimate", "ci_low", "ci_high"), ("n", None)),
                           "design_effect": "design_effect",
                           # its all-years rows are the headline's figures: left to the
                           # rounding like them where the attacker confirms it protects
                           "secondary": "optimal_rounding",
                           "headline_keys": ["cohort", "outcome"]}),
        **linked_demographics(cases, by="force", extract_date=extract),
    }
    for outcome in EFFECT_OUTCOMES:
        part = effects[effects["outcome"].eq(outcome)] if len(effects) else effects
        if len(part):
            frame = part.drop(columns=["outcome", "national_rate", "adjusted_rate",
                                       "expected_variance"], errors="ignore")
            tables[f"force_effects_{outcome}"] = (
                frame.reset_index(drop=True),
                {"counts": ["observed", "n"], "columns_add_up": False,
                 "rates": {**share_of("observed", "n"), "expected": (None, "n")}})
    return tables


def linked_outcome_mix(cases: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Outcome groups (``attrition.outcome_mix``, group level), as the linked table holds them:
    for all sexual offences, rape and other sexual offences (``offence_group``).

    ``n_total`` is left out: it repeats the crimes recorded, published in the headline, and as
    a repeated denominator it made the run's protection of the split fail (every cell
    withheld) on all 43 forces.
    """
    from ..analysis import attrition
    from ..analysis.demographics import by_offence_group

    return by_offence_group(attrition.outcome_mix, cases, by=[by] if by else [],
                            counts=("n", "n_total"), detail="group").drop(columns=["n_total"])


#: How the outcome mix is protected (``protect(..., **OUTCOME_MIX_PROTECTION)``): each
#: share and its interval rest on the count and the crimes recorded (the headline's, not in
#: this table).
OUTCOME_MIX_PROTECTION = {"counts": ["n"], "rates": dict.fromkeys(("share", "ci_low", "ci_high"),
                                                                   ("n", None))}

#: How the funnel is protected (``protect(..., **FUNNEL_PROTECTION)``): the share of the
#: previous stage rests on the previous stage's count (``n_previous``, never shown), so it is
#: hidden with it; printed beside a hidden previous count it gave that count back (issue 16).
FUNNEL_PROTECTION = {"counts": ["n", "n_previous"], "columns_add_up": False,
                     "rates": {"share_of_previous": ("n", "n_previous"),
                               # hidden with its own row's counts, too
                               "share_of_recorded": (None, None)},
                     # of the recorded count, in another row: from the published counts
                     "shares_of_row": {"share_of_recorded": ("n", "stage", "recorded")}}


def linked_funnel(cases: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """The stage funnel as reports publish it: counts, share of recorded and share of the
    previous stage, all as they stand at the extract date (a snapshot, without intervals).

    ``n_previous`` (the previous stage's count, which reports do not show) stays in so that
    disclosure control hides the share of the previous stage wherever that count is hidden:
    protect it with :data:`FUNNEL_PROTECTION`. One funnel each for all sexual offences, rape
    and other sexual offences (``offence_group``).
    """
    from ..analysis import attrition
    from ..analysis.demographics import by_offence_group

    return by_offence_group(attrition.funnel, cases, by=[by] if by else [],
                            counts=("n", "n_previous"))


def linked_cohort_rates(cases: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Outcomes within a year by financial year of recording (``attrition.cohort_rates``), as
    linked: charge, victim withdrawal, evidential difficulty, and the rest together
    (``sections_breakdowns.trend_rates``)."""
    from .sections_breakdowns import trend_rates

    return trend_rates(cases, by=by, within_days=WITHIN_DAYS)


def _protect_linked(cases: pd.DataFrame, params: ReportParameters, folder: Path,
                    headline: pd.DataFrame, effects: pd.DataFrame,
                    peers: pd.DataFrame | None = None) -> list[str]:
    """Protect the run's linked tables once and save them (``LINKED_FILE``), with each
    force's view of them when its ``peers`` (most similar forces) are given.

    Where the profile suppresses, the run-level protection of every declared table
    (``run_pattern.solve_run``) gives the linked file its pattern and values, and each report
    its view of the pattern of its own tables and the national figures (``PATTERN_DIR``).
    """
    from . import computed_tables
    from .disclosure import get_profile
    from .run_pattern import PATTERN_DIR, follow_run, save_own, solve_run

    tables, linked = protect_linked_tables(cases, params.disclosure, effects=effects,
                                           extract=_extract_arg(params))
    # an earlier run's pattern and national tables go first, so none outlives its run
    shutil.rmtree(folder / PATTERN_DIR, ignore_errors=True)
    shutil.rmtree(folder / computed_tables.TABLES_DIR, ignore_errors=True)
    shutil.rmtree(folder / computed_tables.OWN_DIR, ignore_errors=True)
    if get_profile(params.disclosure).suppress:
        # the national overview's tables, which the run's protection registers: computed
        # once, saved for the overview to read (ReportContext.table)
        national_tables = computed_tables.national_tables(cases, _extract_arg(params))
        computed_tables.save(national_tables, folder)
        run = solve_run(cases, params.disclosure, folder=folder,
                        extract_date=_extract_arg(params), linked_tables=tables,
                        national_tables=national_tables)
        follow_run(linked, run, exact_counts=not get_profile(params.disclosure).round_base)
        save_own(run, folder, sorted(map(str, cases["force"].unique())))
    if "cohort_trends" in linked.tables:  # a report lists every year, with cases or not
        linked.tables["cohort_trends"]["complete"] = True
    # an earlier run's views go before the new file is written, so none outlives its file
    shutil.rmtree(folder / LINKED_VIEWS, ignore_errors=True)
    linked.save(folder / LINKED_FILE)
    if peers is not None:
        save_linked_views(linked, folder, peers)
    return []


def protect_linked_tables(cases: pd.DataFrame, profile, *, effects: pd.DataFrame | None = None,
                          extract=None) -> tuple[dict[str, tuple[pd.DataFrame, dict]], object]:
    """The run's linked tables (``_linked_tables`` and the timeliness sections'), and their
    protection as a report run protects them: ``(tables, linked)``, the tables' true counts
    with their declared structure, and the ``LinkedProtection``.

    One quantity, one decision across the linked tables (crimes recorded in the headline and
    the funnel; the funnel's charged stage and the outcome mix's charges; cases still open in
    the headline and the outcome mix; the headline's figures within a year and the trend
    table's years together; the timeliness tables' funnel stages, and their cases that reached
    an outcome): decided while each table is protected
    (``linked_quantities.DECIDED_TOGETHER``), then checked and reconciled where that could not
    be (``LINKED_QUANTITIES``); each declared there, with why.
    """
    from .disclosure import get_profile, protect_linked
    from .linked_quantities import apply_linked_quantities, decided_together
    from .sections_timeliness import linked_tables as timeliness_tables

    tables = _linked_tables(cases, None, pd.DataFrame() if effects is None else effects,
                            extract)
    tables.update(timeliness_tables(cases, extract_date=extract))
    exact = not get_profile(profile).round_base
    linked = protect_linked(tables, profile=profile, declared=True,
                            decided=decided_together(exact_counts=exact))
    apply_linked_quantities(linked, exact_counts=exact)
    return tables, linked


def save_linked_views(linked, folder: Path, peers: pd.DataFrame) -> list[Path]:
    """Save each force's view of the run's linked tables (``LINKED_VIEWS/<force>.json``): the
    rows of the force and of its most similar forces, which is all a force report reads of
    them. A City of London report spent about a fifth of its disclosure control parsing and
    building every force's rows of the whole file (``benchmarks/bench_disclosure.py``)."""
    views = folder / LINKED_VIEWS
    shutil.rmtree(views, ignore_errors=True)  # views of another protection
    by = linked.by
    forces = sorted({str(row[entry["columns"].index(by)]) for entry in linked.tables.values()
                     for row in entry["rows"]})
    paths = []
    for force in forces:
        mine = peers.loc[peers["force"].astype(str).eq(force), "peer"].astype(str).tolist()
        paths.append(linked.view([force, *mine]).save(views / f"{force}.json"))
    return paths


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(temporary, index=False)
    os.replace(temporary, path)


# --------------------------------------------------------------------------------------------
# What a report notebook opens
# --------------------------------------------------------------------------------------------


def open_report(params: ReportParameters) -> ReportContext:
    """Open a report: read the run's national artefacts, or compute them here when the notebook
    runs on its own (``params.shared`` empty), into a folder beside the data.

    Examples
    --------
    >>> from soteria_research.reporting.parameters import ReportParameters
    >>> from soteria_research.reporting.national import open_report
    >>> report = open_report(ReportParameters.validate(force="durham"))  # doctest: +SKIP
    >>> report.cases["force"].unique().tolist()                          # doctest: +SKIP
    ['durham']
    """
    if params.shared is not None and (Path(params.shared) / "fingerprint.json").exists():
        return ReportContext(params, Path(params.shared))
    import tempfile

    folder = Path(params.shared) if params.shared else Path(tempfile.mkdtemp(prefix="soteria-"))
    data_sha = provenance.file_sha256(params.data) if Path(params.data).is_file() else ""
    prepare_national(params.replace(force=NATIONAL), folder,
                     fingerprint=provenance.fingerprint(data=data_sha, parameters=params.replace(
                         force=NATIONAL, shared="", output="").to_json()))
    return ReportContext(params, folder)


# The report object, assembled from its parts by job (each module says what it holds).


class ReportContext(ReportData, ReportHeadline, ReportModels, ReportTables,
                    ReportNarrative):
    """Everything one report notebook reads: its cases, the national artefacts, the disclosure
    control every table and figure passes through, and the writers of its published files.

    Open it with :func:`open_report`.

    Attributes
    ----------
    params : ReportParameters
    cases : DataFrame
        This force's validated cases in the report period (all forces for the national report),
        without the identifiers no report reads (``shared_cases.UNREAD_BY_REPORTS``: the crime
        reference and the victim's id).
    national_cases : DataFrame
        Every force's cases, the same columns (loaded on first use).
    disclosure : DisclosureControl
    """
    def __init__(self, params: ReportParameters, folder: Path):
        from ..data.dictionary import load_dictionary
        from .disclosure import DisclosureControl

        self.params = params
        self.folder = folder
        self.force = params.force
        forces = load_dictionary().forces.set_index("code")
        self.force_names = forces["name"].to_dict()
        self.is_national = params.force == NATIONAL
        self.name = ("England and Wales" if self.is_national
                     else self.force_names.get(params.force, params.force))
        self.cases = shared_cases.read_cases(folder, None if self.is_national else [params.force],
                                             exclude=shared_cases.UNREAD_BY_REPORTS)
        self._national_cases = self.cases if self.is_national else None
        self._tte: pd.DataFrame | None = None
        self._curves: dict[tuple, pd.DataFrame] = {}  # ReportModels.incidence_curve
        self._tables: dict[str, pd.DataFrame] = {}  # ReportData.table
        self.validation = json.loads((folder / "validation.json").read_text(encoding="utf-8"))
        linked = folder / LINKED_FILE
        view = folder / LINKED_VIEWS / f"{params.force}.json"
        if not self.is_national and linked.exists() and view.exists():
            linked = view  # its own rows and its peers': what a force report reads
        from .run_pattern import report_pattern

        self.disclosure = DisclosureControl(
            profile=params.disclosure,
            linked=linked if linked.exists() else None,
            force=None if self.is_national else params.force,
            declared=True,  # every table says which columns are keys, counts and rates
            # the run-level protection of every declared table: hidden where it hides
            run_pattern=report_pattern(folder, params.force),
        )
        from .benchmarks import ForceOnly

        #: A force's own file (one force in the data): national and peer figures come from a
        #: benchmark file, or are absent with a sentence saying why (reporting/benchmarks.py).
        self.force_only = ForceOnly.open(self)
        #: Outputs with nothing to show, and why (written to ``sections.json``).
        self.empty_outputs: dict[str, str] = {}
        #: Outputs whose every count disclosure control hid, and why.
        self.withheld_outputs: dict[str, str] = {}
        self.takeaway = Takeaway(params.output)
