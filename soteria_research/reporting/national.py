"""The national work of a report run, done once and read by every report: validated cases as
Parquet, headline figures of every force, peer groups, case-mix-adjusted force effects.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ParameterError, SoteriaError
from . import provenance, shared_cases
from .disclosure.profiles import MARKER
from .disclosure.text import period_text, safe_text
from .parameters import NATIONAL, ReportParameters
from .takeaway import TABLES_DIR, Takeaway, format_share, share_mask

#: Follow-up window of the headline outcome shares, in days.
WITHIN_DAYS = 365
#: Time-to-outcome curves show the latest financial-year cohort followed this long.
CURVE_DAYS = 730
#: Peers shown beside a force.
N_PEERS = 5
#: Outcomes whose case-mix-adjusted force effects are computed nationally.
EFFECT_OUTCOMES = ("charged", "withdrawn")
LINKED_FILE = "linked_disclosure.json"
#: What each headline figure estimates, written beside it in ``metrics.json`` so a reader (or
#: the truth audit, ``reporting/audit.py``) can tell exactly which quantity it is: ``kind``
#: ``share_within_days`` is the share of cases recorded from ``recorded_from`` to
#: ``recorded_to`` (each followed ``within_days`` days, transfers in the window left out) with
#: ``outcome`` within ``within_days`` of recording; ``snapshot`` the share of all recorded cases
#: in that state at the extract date; ``count`` a count of records.
HEADLINE_ESTIMANDS = {
    "recorded": {"kind": "count"},
    "charged_within": {"kind": "share_within_days", "outcome": "charge"},
    "withdrawn_within": {"kind": "share_within_days", "outcome": "victim_withdrawal"},
    "evidential_within": {"kind": "share_within_days", "outcome": "evidential_difficulty"},
    "still_open": {"kind": "snapshot", "outcome": "open"},
}

# A model message's error detail in parentheses, e.g. "(shape mismatch: value array of shape
# (8,) ...)": the shape is a count of cases.
_ERROR_DETAIL = re.compile(r"\s*\((?:[^()]|\([^()]*\))*\)(?=\s*$)")

__all__ = ["FUNNEL_PROTECTION", "NationalArtefacts", "ReportContext", "open_report", "prepare_national", "share_of"]


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


def _validation_summary(report, cases: pd.DataFrame) -> dict:
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
    effects), the linked disclosure pattern, and the national programme evaluation
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

    def keep(batch: pd.DataFrame) -> None:
        batch = _select_period(batch, params)
        files.write(batch)
        parts.append(batch.drop(columns=list(ID_COLUMNS)))

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
    validation = _validation_summary(report, cases)
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
    _write_parquet(comparison.most_similar(cases, k=N_PEERS), folder / "peers.parquet")
    # One case-mix model at a time: each holds a design matrix of the whole country. Force
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
    notes += _protect_linked(cases, params, folder, by_force, effects_frame)
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
    from .sections_breakdowns import linked_demographics, linked_headline

    headline = linked_headline(cases, by="force", extract_date=extract)
    tables: dict[str, tuple[pd.DataFrame, dict]] = {
        "headline_recorded": (_recorded_rows(headline), {"counts": ["count"]}),
        "headline": (_share_rows(headline), {"by": ["measure"], "counts": ["count", "n"],
                                             "rates": share_of("count", "n")}),
        "outcome_mix": (linked_outcome_mix(cases, by="force"),
                        {"counts": ["n"], "rates": dict.fromkeys(("share", "ci_low", "ci_high"),
                                                                 ("n", None))}),
        "funnel": (linked_funnel(cases, by="force"), FUNNEL_PROTECTION),
        # n_cohort is left out (a force report's slice then has none): the outcomes partition
        # each cohort, so it is the total the protection already takes as known, and as a
        # repeated denominator it made the protection fail (all withheld, 11 minutes) on all
        # 43 forces at scale 0.1; without it, 2 seconds and a third of the cells hidden.
        "cohort_trends": (linked_cohort_rates(cases, by="force").drop(columns="n_cohort"),
                          {"counts": ["n"], "rates": dict.fromkeys(
                              ("estimate", "ci_low", "ci_high"), ("n", None))}),
        **linked_demographics(cases, by="force", extract_date=extract),
    }
    for outcome in EFFECT_OUTCOMES:
        part = effects[effects["outcome"].eq(outcome)] if len(effects) else effects
        if len(part):
            frame = part.drop(columns=["outcome", "national_rate", "adjusted_rate",
                                       "expected_variance"], errors="ignore")
            tables[f"force_effects_{outcome}"] = (
                frame.reset_index(drop=True),
                {"counts": ["observed", "n"],
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


#: How the funnel is protected (``protect(..., **FUNNEL_PROTECTION)``): the share of the
#: previous stage rests on the previous stage's count (``n_previous``, never shown), so it is
#: hidden with it; printed beside a hidden previous count it gave that count back (issue 16).
FUNNEL_PROTECTION = {"counts": ["n", "n_previous"],
                     "rates": {"share_of_previous": ("n", "n_previous")}}


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
                    headline: pd.DataFrame, effects: pd.DataFrame) -> list[str]:
    from .disclosure import protect_linked
    from .disclosure.linked_shares import shares_over_published_totals
    from .sections_timeliness import linked_tables as timeliness_tables

    tables = _linked_tables(cases, headline, effects, _extract_arg(params))
    tables.update(timeliness_tables(cases, extract_date=_extract_arg(params)))
    linked = protect_linked(tables, profile=params.disclosure)
    # the outcome mix's shares are of the crimes recorded, published in the headline: from
    # the published counts, so they do not give the rounded total back (issue 16, item 11)
    shares_over_published_totals(linked, "outcome_mix", numerator="n",
                                 total_table="headline_recorded", total_column="count",
                                 keys=["force", "offence_group"])
    linked.save(folder / LINKED_FILE)
    return []


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(temporary, index=False)
    os.replace(temporary, path)


# --------------------------------------------------------------------------------------------
# What a report notebook opens
# --------------------------------------------------------------------------------------------
class ReportContext:
    """Everything one report notebook reads: its cases, the national artefacts, the disclosure
    control every table and figure passes through, and the writers of its published files.

    Open it with :func:`open_report`.

    Attributes
    ----------
    params : ReportParameters
    cases : DataFrame
        This force's validated cases in the report period (all forces for the national report).
    national_cases : DataFrame
        Every force's cases (loaded on first use).
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
        self.cases = shared_cases.read_cases(folder, None if self.is_national else [params.force])
        self._national_cases = self.cases if self.is_national else None
        self._tte: pd.DataFrame | None = None
        self.validation = json.loads((folder / "validation.json").read_text(encoding="utf-8"))
        linked = folder / LINKED_FILE
        self.disclosure = DisclosureControl(
            profile=params.disclosure,
            linked=linked if linked.exists() else None,
            force=None if self.is_national else params.force,
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

    # -- data ---------------------------------------------------------------------------------
    @property
    def national_cases(self) -> pd.DataFrame:
        if self._national_cases is None:
            self._national_cases = shared_cases.read_cases(self.folder)
        return self._national_cases

    @property
    def extract_date(self) -> pd.Timestamp | None:
        if self.params.extract_date:
            return pd.Timestamp(self.params.extract_date)
        if self.cases.empty:
            return None
        return pd.Timestamp(self.cases["extract_date"].max())

    def artefact(self, name: str) -> pd.DataFrame:
        """A saved national table (``headline``, ``profile``, ``peers``, ``effects``)."""
        path = self.folder / f"{name}.parquet"
        if not path.exists():
            return pd.DataFrame()
        return pd.read_parquet(path)

    def peers(self) -> list[str]:
        """This force's most similar forces, most similar first."""
        if self.force_only is not None:
            return self.force_only.peers()
        peers = self.artefact("peers")
        if peers.empty:
            return []
        return peers.loc[peers["force"].eq(self.force)].sort_values("rank")["peer"].tolist()

    def peer_table(self) -> pd.DataFrame:
        """The most similar forces with their outcomes (``sections_breakdowns.peer_outcomes``)."""
        from .sections_breakdowns import peer_outcomes

        return peer_outcomes(self)

    def peer_profile_table(self) -> pd.DataFrame:
        """The most similar forces, with the features they were matched on and how alike they
        are (the share of all pairs of forces that are further apart)."""
        if self.force_only is not None:
            return self.force_only.peer_table()
        peers = self.artefact("peers")
        profile = self.artefact("profile").set_index("force")
        mine = peers[peers["force"].eq(self.force)].sort_values("rank")
        peer = mine["peer"]
        table = pd.DataFrame({
            "Most similar force": peer.map(self.force_names).to_numpy(),
            "Population (2011)": peer.map(profile["population"]).map("{:,.0f}".format).to_numpy(),
            "Rape share": peer.map(profile["rape_share"]).map(format_share).to_numpy(),
            "Partner or ex-partner share": peer.map(profile["partner_share"])
            .map(format_share).to_numpy(),
        })
        # A share of a force whose count of crimes is hidden gives its counts back (25% of 8
        # is 2), and 0% or 100% is an exact zero count (issue 16, item 9): shown as [c].
        linked = getattr(self.disclosure, "linked", None)
        if self.disclosure.profile.suppress:
            hidden = peer.map(lambda code: linked is None or "headline_recorded" not in
                              linked.names or bool(linked.slice("headline_recorded", code)
                                                   .mask["count"].any())).to_numpy()
            for column in ("Rape share", "Partner or ex-partner share"):
                extreme = table[column].isin(["0.0%", "100.0%"]).to_numpy()
                table.loc[hidden | extreme, column] = MARKER
        if "similarity" in mine.columns:
            table["More alike than this share of pairs of forces"] = (
                mine["similarity"].map(format_share).to_numpy())
        return table

    def differences(self) -> pd.DataFrame:
        """This force's outcome shares minus those of the rest of England and Wales (this
        force left out) and of its peers together, with 95% intervals (Newcombe).

        Columns ``measure`` (its label), ``comparator`` (its label), ``force_share,
        comparator_share, difference, ci_low, ci_high``.

        A measure is hidden ("[c]") wherever disclosure control hides this force's figure, or
        a peer's figure that the pooled peers would reveal.
        """
        from ..analysis import comparison

        columns = ["measure", "comparator", "force_share", "comparator_share", "difference",
                   "ci_low", "ci_high"]
        headline = self.artefact("headline")
        if self.force_only is not None:
            return self.force_only.differences(columns)
        if self.is_national or headline.empty:
            return pd.DataFrame(columns=columns)
        figures = headline[~headline["force"].eq(NATIONAL) & ~headline["measure"].eq("recorded")]
        peers = self.peers()
        table = comparison.force_differences(figures[["force", "measure", "count", "n"]],
                                             force=self.force, peers=peers or None)
        table = table[table["contrast"].eq("difference")].reset_index(drop=True)
        own = self.protected_headline().set_index("measure")
        hidden = own[["count", "n"]].isna().any(axis=1)
        mine = table["measure"].map(hidden).fillna(True).astype(bool)
        theirs = mine | (table["comparator"].eq("peers")
                         & table["measure"].isin(self._hidden_in_peers(peers)))
        table = table.astype({"share": object, "comparator_share": object, "estimate": object,
                              "ci_low": object, "ci_high": object})
        table.loc[mine, "share"] = "[c]"
        table.loc[theirs, ["comparator_share", "estimate", "ci_low", "ci_high"]] = "[c]"
        labels = headline.drop_duplicates("measure").set_index("measure")["label"]
        return pd.DataFrame({
            "measure": table["measure"].map(labels).to_numpy(),
            "comparator": table["comparator"].map(comparison.COMPARATORS).to_numpy(),
            "force_share": table["share"].to_numpy(),
            "comparator_share": table["comparator_share"].to_numpy(),
            "difference": table["estimate"].to_numpy(),
            "ci_low": table["ci_low"].to_numpy(),
            "ci_high": table["ci_high"].to_numpy(),
        })

    def force_effects(self, outcome: str = "charged") -> pd.DataFrame:
        """The national case-mix-adjusted force effects for one outcome (observed/expected)."""
        effects = self.artefact("effects")
        if effects.empty:
            return effects
        return effects[effects["outcome"].eq(outcome)].drop(columns="outcome").reset_index(
            drop=True)

    def effect_limits(self, outcome: str = "charged"):
        """The limits of the funnel plot of :meth:`force_effects` (``effect_funnel(...).limits``,
        every kind; draw ``method=effect_funnel(...).method``)."""
        return self.effect_funnel(outcome).limits

    def effect_funnel(self, outcome: str = "charged", protected=None):
        """Funnel plot of the case-mix-adjusted force effects (``comparison.ratio_funnel``).

        The limits, the over-dispersion test and the counts of forces outside come from every
        force's figures; with ``protected`` (what :meth:`protect` returned for
        :meth:`force_effects`) a force's point is left out wherever disclosure control hid its
        figures.
        """
        from ..analysis import comparison

        effects = self.force_effects(outcome)
        if effects.empty:
            return comparison.Funnel(
                points=effects, limits=pd.DataFrame(columns=["method", "level", "precision",
                                                             "lower", "upper"]),
                dispersion=pd.DataFrame(), flagged=pd.DataFrame(
                    {"method": [], "level": [], "n_above": [], "n_below": [], "n_outside": [],
                     "chosen": []}),
                method="binomial", note="Force effects could not be estimated.")
        funnel = comparison.ratio_funnel(effects)
        if protected is None or protected.frame.empty:
            return funnel
        hidden = protected.frame.set_index("force")[["observed", "expected", "estimate"]]
        hidden = hidden.isna().any(axis=1)
        points = funnel.points.copy()
        rows = points["force"].map(hidden).fillna(True).astype(bool)
        numbers = ["observed", "expected", "expected_variance", "estimate", "ci_low", "ci_high",
                   "n", "adjusted_rate", "precision", "z", "z_winsorised", "beyond_level"]
        numbers = [c for c in numbers if c in points.columns]
        points[numbers] = points[numbers].astype(float).mask(rows)
        points["position"] = points["position"].mask(rows)
        return replace(funnel, points=points)

    def shrunken_effects(self, outcome: str = "charged", protected=None) -> pd.DataFrame:
        """Force effects shrunk towards the national value (``comparison.shrunken_rates``,
        gamma-Poisson), with rank intervals from ``params.seed``; rows hidden where
        ``protected`` (what :meth:`protect` returned for :meth:`force_effects`) hides a force's
        figures, since a shrunken estimate would reveal them."""
        from ..analysis import comparison

        effects = self.force_effects(outcome)
        if len(effects) < 3:  # too few forces to estimate how much they differ
            return pd.DataFrame()
        try:
            table = comparison.shrunken_rates(effects, count="observed", expected="expected",
                                              seed=self.params.seed)
        except SoteriaError:  # no outcome at all, say: nothing to rank, the figure says so
            return pd.DataFrame()
        if protected is None or protected.frame.empty:
            return table
        hidden = protected.frame.set_index("force")[["observed", "expected"]].isna().any(axis=1)
        rows = table["force"].map(hidden).fillna(True).astype(bool)
        numbers = [c for c in table.columns if c not in ("force", "n_units")]
        table[numbers] = table[numbers].astype(float).mask(rows)
        return table

    def effects_view(self, protected, funnel=None):
        """Force effects after disclosure control, as a table: forces outside the funnel's
        chosen outer limits first (``funnel`` from :meth:`effect_funnel`; Poisson limits for
        chance alone when not given), hidden figures as [c]."""
        frame = protected.frame
        if frame.empty:
            return self._styled(pd.DataFrame({"Force effects": ["not estimated"]}),
                                name=protected.record.name)
        if funnel is None:
            from ..analysis import comparison

            funnel = comparison.ratio_funnel(frame.dropna(subset=["observed", "expected"]),
                                             variance=None, limits="poisson")
        points = funnel.points.set_index("force")
        outer = max(funnel.flagged["level"])
        level = frame["force"].map(points["beyond_level"])
        higher = frame["force"].map(points["estimate"]) > frame["force"].map(points["target"])
        position = pd.Series("within the limits", index=frame.index)
        for limit in sorted(funnel.flagged["level"].unique()):  # two levels
            outside = level.ge(limit)
            position[outside & higher] = f"higher than expected (beyond the {limit * 100:g}% limits)"
            position[outside & ~higher] = f"lower than expected (beyond the {limit * 100:g}% limits)"
        position[frame["observed"].isna()] = "[c]"
        shown = protected.display()
        view = pd.DataFrame({
            "Force": frame["force"].map(self.force_names).to_numpy(),
            # No "Cases" column: the cases in the model are the same count in the charge and
            # the withdrawal table, and each table's own protection could hide it in one and
            # print it in the other (one quantity, one decision: issue 16, item 7).
            "Observed": shown["observed"].to_numpy(),
            "Expected from case mix": shown["expected"].to_numpy(),
            "Observed / expected": shown["estimate"].to_numpy(),
            "95% interval from": shown["ci_low"].to_numpy(), "to": shown["ci_high"].to_numpy(),
            "Compared with the funnel limits": position.to_numpy(),
        })
        order = np.where(level.ge(outer), np.where(higher, 0, 1), np.where(level.notna(), 2, 3))
        view = view.assign(_order=order).sort_values(["_order", "Force"])
        caption = {"random_effects": "Limits allow for chance and the usual spread between "
                                     "forces (random effects).",
                   "binomial": "Limits for chance alone (exact binomial).",
                   "poisson": "Limits for chance alone (exact Poisson)."}[funnel.method]
        return self._styled(view.drop(columns="_order"), caption=caption,
                            name=protected.record.name)

    def outcome_mix_by_force(self) -> pd.DataFrame:
        """Outcome groups by force (and offence group): the linked table every force report
        shares."""
        return linked_outcome_mix(self.national_cases, by="force")

    # -- showing tables to readers ------------------------------------------------------------
    def protect(self, frame: pd.DataFrame, *, name: str, kind: str = "counts", **options):
        """Protect an output once (logged); draw figures from ``.frame``, pass it to :meth:`show`.

        An output with nothing in it (too little follow-up in a short period, say) is noted in
        :attr:`empty_outputs` with the sentence :meth:`show` prints instead of a table."""
        from .benchmarks import protect_empty

        if frame.empty:
            return protect_empty(self, frame, name=name, kind=kind, **options)
        return self.disclosure.protect(frame, name=name, kind=kind, **options)

    def show(self, frame, *, name: str | None = None, kind: str = "counts",
             columns: dict[str, str] | None = None, percent: Sequence[str] = (),
             **options):
        """Protect a table (disclosure control, logged), then present it for a police reader.

        ``frame`` is a raw analysis frame (protected here under ``name``) or what
        :meth:`protect` returned (shown as it is). Codes become their plain labels (stages,
        outcome groups), ``columns`` picks and renames columns (``{column: heading}``, in
        order), ``percent`` columns are shown as percentages, and suppressed cells read "[c]".
        Returns a pandas ``Styler``.
        """
        from .benchmarks import empty_sentence, note_withheld
        from .figures import label, term_label

        caption = options.pop("caption", "")
        if isinstance(frame, pd.DataFrame):
            if name is None:
                raise ParameterError("show() needs name= for a table it has to protect.")
            if frame.empty:
                frame = self.protect(frame, name=name, kind=kind, **options)
            else:
                shown = self.disclosure.show(frame, name=name, kind=kind, styled=False,
                                             **options)
                shown = self._hidden_where_hidden_elsewhere(name, shown)
        if not isinstance(frame, pd.DataFrame):
            name = name or frame.record.name
            if frame.frame.empty:  # a table (as callers expect) of the sentence saying why
                return self._styled(pd.DataFrame({"Nothing to show": [empty_sentence(
                    self, frame)]}), name=name)
            shown = frame.display()
            shown.attrs["disclosure"] = {"name": frame.record.name,
                                         "status": frame.record.status}
        note_withheld(self, shown)
        view = shown.copy()
        shares = share_mask(view, percent)
        if "caseload" in view.columns:
            view["caseload"] = view["caseload"].replace(CASELOADS)
        if "model" in view.columns:
            view["model"] = view["model"].replace(MODELS)
        for column in CODE_COLUMNS.intersection(view.columns):
            view[column] = view[column].map(lambda v: label(v) if isinstance(v, str) else v)
        if "term" in view.columns:
            view["term"] = view["term"].map(lambda v: term_label(v) if isinstance(v, str) else v)
        headings = dict(columns) if columns else {
            c: HEADINGS.get(c, c.replace("_", " ").capitalize()) for c in view.columns}
        chosen = [c for c in headings if c in view.columns]
        view = view[chosen].rename(columns=headings)
        return self._styled(view, name=name, caption=caption,
                            shares=shares[chosen].rename(columns=headings))

    def _linked_hidden(self, measure: str) -> bool:
        """Whether the run's linked headline hides this force's ``measure`` count."""
        linked = getattr(self.disclosure, "linked", None)
        if self.is_national or linked is None or not self.disclosure.profile.suppress:
            return False
        if measure == "recorded":
            if "headline_recorded" not in linked.names:
                return False
            return bool(linked.slice("headline_recorded", self.force).mask["count"].any())
        if "headline" not in linked.names:
            return False
        part = linked.slice("headline", self.force)
        return bool(part.mask["count"][part.frame["measure"].eq(measure).to_numpy()].any())

    def _hidden_where_hidden_elsewhere(self, name: str, shown: pd.DataFrame) -> pd.DataFrame:
        """One quantity, one decision (issue 16, item 7): a count that the run's linked tables
        hide (this force's recorded crimes, its open cases; the file's row total beside a
        hidden quarantine total, as the national overview hides it) is hidden here too, or
        printing it elsewhere would undo the secondary suppression."""
        if not self.disclosure.profile.suppress:
            return shown
        shown = shown.copy()
        if name == "data_quality" and {"rows", "n"} <= set(shown.columns):
            from .runner.record import published_validation

            label = shown["rows"].astype(str)
            # The whole file's totals exactly as run.json publishes them: one quantity, one
            # decision in every file of the run.
            totals = published_validation(self.validation, self.params.disclosure)
            for row, key in (("Rows in the file (all forces)", "n_input"),
                             ("Accepted (all forces)", "n_valid")):
                shown.loc[label.eq(row), "n"] = totals[key]
            if self._linked_hidden("recorded"):
                shown.loc[label.str.endswith(f"for {self.name}"), "n"] = MARKER
            quarantined = label.str.startswith("Quarantined for breaking")
            if (shown.loc[quarantined, "n"] == MARKER).any():
                shown.loc[label.eq("Rows in the file (all forces)"), "n"] = MARKER
        if name == "officer_caseload" and {"caseload", "cases"} <= set(shown.columns):
            for key, measure in (("all", "recorded"), ("open", "still_open")):
                if self._linked_hidden(measure):
                    shown.loc[shown["caseload"].eq(key), "cases"] = MARKER
        return shown

    def _styled(self, view: pd.DataFrame, *, name: str, percent: Sequence[str] = (),
                caption: str = "", shares: pd.DataFrame | None = None):
        """Format a protected view the one way every table is formatted (``takeaway``), keep it
        for the CSV and workbook, and return it with its download link; the disclosure rule
        is stated once, in :meth:`title`, not under each table."""
        from .takeaway import text_view

        view = view.reset_index(drop=True)
        if shares is None:
            shares = share_mask(view, percent)
        return self.takeaway.styled(text_view(view, shares), name=name, caption=caption)

    def protected_headline(self) -> pd.DataFrame:
        """This report's own headline figures after disclosure control (NaN where hidden).

        A force's figures use the run's linked pattern (protected with every force and the
        national totals together); the national figures are the published margins.
        """
        headline = self.artefact("headline")
        mine = headline[headline["force"].eq(self.force)].reset_index(drop=True)
        linked = getattr(self.disclosure, "linked", None)
        use_linked = (not self.is_national and linked is not None
                      and "headline" in linked.names)
        suffix = "" if use_linked else ("_national" if self.is_national else "_alone")
        return self._protect_headline(mine, suffix=suffix, linked=use_linked)

    def _protect_headline(self, frame: pd.DataFrame, *, suffix: str,
                          linked: bool = False) -> pd.DataFrame:
        # The count of crimes recorded and the outcome shares are protected as two tables: a
        # share needs its denominator, a count of crimes does not.
        dc = self.disclosure
        recorded = _recorded_rows(frame)
        shares = _share_rows(frame)
        if linked:  # the run's table has all, rape and other sexual offences: take all
            recorded = dc.protect(recorded.assign(offence_group="all"),
                                  name="headline_recorded").frame.drop(columns="offence_group")
            shares = dc.protect(shares.assign(offence_group="all"),
                                name="headline").frame.drop(columns="offence_group")
        else:
            recorded = dc.protect(recorded, name=f"headline_recorded{suffix}",
                                  counts=["count"], by=["force"]).frame
            shares = dc.protect(shares, name=f"headline{suffix}", kind="rates",
                                by=["measure"], counts=["count", "n"],
                                rates=share_of("count", "n")).frame
        recorded = recorded.assign(measure="recorded")
        protected = pd.concat([recorded, shares], ignore_index=True)
        labels = frame.drop_duplicates("measure").set_index("measure")["label"]
        protected["label"] = protected["measure"].map(labels)
        return protected

    def _hidden_in_peers(self, peers: list[str]) -> set[str]:
        """Measures for which some peer's count is hidden: a pooled figure would reveal it."""
        linked = getattr(self.disclosure, "linked", None)
        if linked is None or "headline" not in linked.names:
            return set()
        hidden: set[str] = set()
        for peer in peers:  # five peers at most
            part = linked.slice("headline", peer)
            rows = part.mask["count"].to_numpy() | part.mask["n"].to_numpy()
            if "offence_group" in part.frame.columns:
                rows &= part.frame["offence_group"].eq("all").to_numpy()
            hidden |= set(part.frame.loc[rows, "measure"])
            if "headline_recorded" in linked.names:
                recorded = linked.slice("headline_recorded", peer)
                rows = recorded.mask["count"].to_numpy()
                if "offence_group" in recorded.frame.columns:
                    rows &= recorded.frame["offence_group"].eq("all").to_numpy()
                if rows.any():
                    hidden.add("recorded")
        return hidden

    def headline_view(self):
        """Headline figures as a reader sees them: measures down, force / peers / nation across,
        each share with its 95% interval; protected before it is formatted."""

        columns: dict[str, dict[str, str]] = {}
        own = self.protected_headline()
        columns[self.name] = _headline_cells(own)
        labels = dict(zip(own["measure"], own["label"]))
        if self.force_only is not None:
            return self.force_only.headline_view(columns, labels)
        peers = self.peers()
        if peers:
            columns["Most similar forces (together)"] = _headline_cells(
                self.peer_headline(peers))
        if not self.is_national:
            headline = self.artefact("headline")
            national = headline[headline["force"].eq(NATIONAL)].reset_index(drop=True)
            protected = self._protect_headline(national, suffix="_national")
            columns["England and Wales"] = _headline_cells(protected)
        view = pd.DataFrame(columns)
        view.index = [labels.get(m, m) for m in view.index]
        view.index.name = "Measure"
        return self._styled(view.reset_index(), name="headline", caption=(
            "Shares with 95% intervals. " + self.headline_cohorts()))

    def peer_headline(self, peers: list[str], peer_cases: pd.DataFrame | None = None):
        """The pooled headline figures of ``peers`` after disclosure control (NaN where hidden,
        including any measure a hidden peer figure would be revealed through)."""
        from ..analysis import comparison

        if peer_cases is None:
            peer_cases = shared_cases.read_cases(self.folder, peers)
        pooled = comparison.headline_figures(peer_cases, within_days=WITHIN_DAYS,
                                             extract_date=self.params.extract_date)
        protected = self._protect_headline(pooled.assign(force="peers"), suffix="_peers")
        hidden = self._hidden_in_peers(peers)
        protected.loc[protected["measure"].isin(hidden),
                      ["count", "n", "estimate", "ci_low", "ci_high"]] = float("nan")
        return protected

    def headline_range(self) -> dict[str, str]:
        """First and last recorded day of the cases the headline shares count
        (``recorded_from``, ``recorded_to``; empty without cases)."""
        extract = self.extract_date
        if extract is None or self.cases.empty:
            return {"recorded_from": "", "recorded_to": ""}
        # The month of the first case, never its day (issue 16, item 4: a date of one case).
        first = self.params.period_start or (
            self.cases["recorded_date"].min().to_period("M").start_time)
        return {"recorded_from": _day(first),
                "recorded_to": _day(extract - pd.Timedelta(days=WITHIN_DAYS))}

    def headline_cohorts(self) -> str:
        """Which cases the headline shares count, in a sentence (dates, financial years and
        window)."""
        from ..analysis.cohorts import describe_cohorts, followed_cohorts
        from ..analysis.timeline import financial_year_bounds

        extract = self.extract_date
        if extract is None or self.cases.empty:
            return ""
        last = extract - pd.Timedelta(days=WITHIN_DAYS)
        first = self.cases["recorded_date"].min()
        if first > last:
            return (f"Not enough follow-up yet for outcome shares: they count cases followed for "
                    f"{WITHIN_DAYS} days from recording, and no case in this period has been "
                    f"followed that long by the extract date ({_day(extract)}).")
        _, whole = followed_cohorts(self.cases, days=WITHIN_DAYS,
                                    extract_date=self.params.extract_date)
        years = ""
        if whole:
            partly = " and part of the next" if last > financial_year_bounds(whole[-1])[1] else ""
            years = f" (financial years {describe_cohorts(whole)}{partly})"
        # from the requested start, never the first case's date (issue 16, item 4)
        start = _day(self.params.period_start)
        span = f"from {start} to {_day(last)}" if start else f"up to {_day(last)}"
        return (f"Outcome shares count cases recorded {span}"
                f"{years}, each followed for {WITHIN_DAYS} days from recording.")

    def incidence_view(self, times: Sequence[int] = (30, 90, 180, 365, 730)):
        """Cumulative incidence at a few days, one row per outcome (protected, then pivoted)."""
        from .figures import label

        table = self.incidence(times=list(times))
        protected = self.disclosure.protect(table, name="time_to_outcome_table", kind="curve")
        frame = protected.frame
        if frame.empty:
            view = pd.DataFrame({"Outcome": ["Too few cases to show safely"]})
            return self._styled(view, name="time_to_outcome")
        frame = frame.assign(column=frame["time"].map(lambda t: f"by day {t:g}"))
        view = frame.pivot_table(index="outcome", columns="column", values="cif",
                                 aggfunc="first", sort=False)
        view = view.reindex(columns=[f"by day {t:g}" for t in times if
                                     f"by day {t:g}" in view.columns])
        view = view.apply(lambda col: col.map(format_share))
        view.index = [label(o) for o in view.index]
        view.index.name = "Outcome"
        return self._styled(view.reset_index(), name="time_to_outcome",
                            caption="Share of cases with each outcome by each day.")

    # -- time to outcome and its drivers ------------------------------------------------------
    def time_to_outcome(self) -> pd.DataFrame:
        """The time-to-event frame of this report's cases (``timeline.time_to_outcome``)."""
        from ..analysis.timeline import time_to_outcome

        if self._tte is None:
            self._tte = time_to_outcome(self.cases, extract_date=self.params.extract_date)
        return self._tte

    def incidence(self, times=None) -> pd.DataFrame:
        """Aalen–Johansen cumulative incidence of each competing outcome (all times, or
        ``times``) for the latest financial-year cohort of recording followed for
        :data:`CURVE_DAYS` days (``cohorts.cohort_incidence``); the earliest cohort when none
        has been followed that long. ``attrs["note"]`` names the cohort."""
        from ..analysis.cohorts import cohort_incidence, cohort_table, latest_cohorts

        columns = ["cohort", "outcome", "time", "cif", "ci_low", "ci_high", "n_at_risk"]
        if self.cases.empty:
            return pd.DataFrame(columns=columns)
        extract = self.params.extract_date
        chosen = latest_cohorts(self.cases, horizon_days=CURVE_DAYS, extract_date=extract)
        if not chosen:
            chosen = cohort_table(self.cases, extract_date=extract)["cohort"].head(1).tolist()
        return cohort_incidence(self.cases, cohorts=chosen, times=times, extract_date=extract)

    def incidence_note(self) -> str:
        """Which cases the time-to-outcome curve describes, in a sentence."""
        frame = self.incidence(times=[0])
        return frame.attrs.get("note", "")

    def drivers(self) -> tuple[pd.DataFrame, str]:
        """Driver models of charge and of victim withdrawal (``analysis.drivers.drivers``):
        cause-specific hazard ratios (a rate; device request time-varying) beside Fine–Gray
        subdistribution hazard ratios (a probability), with counts per term.

        Returns the tidy frame (``outcome, model, term, reference, estimate, ci_low, ci_high,
        p, n, n_events``, where ``n``/``n_events`` count the cases and events in the term's
        category, which disclosure control needs) and a note: what each ratio means, the
        proportional-hazards test, and what could not be fitted.
        """
        from ..analysis.drivers import drivers

        result = drivers(self.cases, extract_date=self.params.extract_date)
        frame = result.table.copy()
        frame.attrs["df_resid"] = result.table.attrs.get("df_resid", 0)
        words = [f"**{'Rate' if model == 'cause_specific' else 'Probability'}.** {text}"
                 for model, text in result.meaning.items()]
        words.append(result.ph_summary())
        # Model messages are free text under the same rules as tables (issue 16, item 4): no
        # error detail (an array shape is the number of cases), no small count.
        words += [safe_text(_ERROR_DETAIL.sub("", note), profile=self.params.disclosure)
                  for note in result.notes]
        return frame, "\n\n".join(words)

    # -- words --------------------------------------------------------------------------------
    def title(self):
        """The report's title block (Markdown): force, period, extract date, safety profile."""
        from IPython.display import Markdown

        from .takeaway import disclosure_rule

        # The period asked for, never the dates of the first and last case (issue 16, item 4).
        period = period_text(self.params.period_start, self.params.period_end)
        heading = ("RASSO national overview: England and Wales" if self.is_national
                   else f"{self.name}: RASSO investigations deep-dive")
        return Markdown(
            f"# {heading}\n\n"
            f"**Crimes recorded:** {period} &nbsp;·&nbsp; **Data extracted:** "
            f"{_day(self.extract_date)} &nbsp;·&nbsp; **Disclosure profile:** "
            f"{self.params.disclosure}\n\n"
            "Rape and serious sexual offence (RASSO) investigations: where cases are lost, how "
            "long they take, and what makes a charge or a victim's withdrawal more likely. "
            "Figures for cases still under investigation are treated as open, not as failures."
            f"\n\n{disclosure_rule(self.disclosure.profile)}\n\n{self.takeaway.links()}"
        )

    def key_messages(self):
        """Three to six plain findings written by code from this report's protected figures
        (``reporting/key_messages.py``), for the top of the report."""
        from IPython.display import Markdown

        from .key_messages import key_messages_markdown

        return Markdown(key_messages_markdown(self))

    def notice(self):
        """A plain warning when most of this report's tables will be suppressed."""
        from IPython.display import Markdown

        threshold = self.disclosure_threshold
        n = len(self.cases)
        if self.is_national or threshold is None or n >= 20 * threshold:
            return Markdown("")
        return Markdown(
            f"> **Most figures in this report are hidden.** {self.name} recorded very few "
            f"crimes of this kind in the period (fewer than {20 * threshold}), so to protect "
            f"the people involved every table or figure built on fewer than {threshold} cases is "
            f"shown as [c] or left out."
            + ("" if self.force_only is not None and self.force_only.doc is None else
               " The national and most-similar-force figures are still shown for context.")
        )

    @property
    def disclosure_threshold(self) -> int | None:
        profile = getattr(self.disclosure, "profile", None)
        threshold = getattr(profile, "threshold", None)
        return int(threshold) if threshold else None

    def data_quality(self) -> pd.DataFrame:
        """Counts of rows read, accepted and quarantined for this force and the whole file."""
        v = self.validation
        rows = [
            ("Rows in the file (all forces)", v["n_input"]),
            ("Accepted (all forces)", v["n_valid"]),
        ]
        if not self.is_national:
            rows += [
                (f"Accepted for {self.name}", v["valid_by_force"].get(self.force, 0)),
                (f"In this report's period for {self.name}", len(self.cases)),
            ]
        return pd.DataFrame(rows, columns=["rows", "n"])

    def data_checks(self) -> pd.DataFrame:
        """Rows set aside by the data checks: all forces, this force, and per rule broken.

        These count rows of the input file that broke a data rule, printed as ``run.json``
        prints the file's totals (``runner.record.published_file_count``): zero set aside is 0.
        """
        from .runner.record import published_file_count

        v = self.validation
        rows = [("Set aside for breaking a data rule (all forces)", v["n_quarantined"])]
        if not self.is_national:
            rows.append((f"Set aside for {self.name}",
                         v["quarantined_by_force"].get(self.force, 0)))
        rows += [(f"Rule broken: {r['rule']} ({r['column']}), all forces", r["n_rows"])
                 for r in v["rule_counts"]]
        # Counted as run.json counts the file's totals: small counts hidden, others rounded,
        # a zero shown as 0 (it says nothing about anyone).
        return pd.DataFrame([(check, published_file_count(n, self.params.disclosure))
                             for check, n in rows], columns=["check", "n"])

    def rule_counts(self) -> pd.DataFrame:
        """Rows breaking each validation rule, whole file."""
        rules = pd.DataFrame(self.validation["rule_counts"], columns=["rule", "column", "n_rows"])
        return rules.rename(columns={"n_rows": "n"})

    def provenance(self):
        """Methods, caveats and provenance (Markdown) for the end of the report."""
        from IPython.display import Markdown

        env = provenance.environment()
        git = provenance.git_commit()
        data_sha = provenance.file_sha256(self.params.data) if self.params.data.exists() else "?"
        return Markdown(
            "**Methods.** Outcome shares count outcomes within "
            f"{WITHIN_DAYS} days of recording, among cases recorded at least {WITHIN_DAYS} days "
            "before the extract date, so open cases never count as failures. Time to outcome is "
            "the Aalen–Johansen cumulative incidence of each competing outcome (charge, victim "
            "withdrawal, evidential difficulty, no suspect, other), with open and transferred "
            "cases censored, for the latest financial year of recording followed for "
            f"{CURVE_DAYS} days, so it never mixes early and recent years. The stage funnel is "
            "the state at the extract date. Drivers are cause-specific hazard ratios (a rate "
            "among open cases; a device request counts from its day) beside Fine–Gray "
            "subdistribution hazard ratios (a probability), each against a named comparison "
            "group; they describe associations, not causes. Force effects are "
            "observed against expected from a national case-mix model; their funnel limits "
            "are exact binomial limits for chance alone or, when forces differ by more than "
            "chance (Spiegelhalter's over-dispersion test), random-effects limits that add the "
            "usual spread between forces; shrunken estimates and rank intervals are empirical "
            "Bayes. Most similar forces are the nearest in population and in the case mix on "
            "which forces truly differ.\n\n"
            "**Caveats.** Recorded crime reflects recording practice as well as offending; "
            "small numbers make estimates uncertain (see the intervals); synthetic data, when "
            "used, are not real cases.\n\n"
            f"**Provenance.** soteria-research {provenance.package_version()} "
            f"(commit {git['commit'] or 'not recorded'}), data dictionary "
            f"v{self.validation.get('dictionary_version') or provenance.dictionary_version()}, "
            f"data SHA-256 `{data_sha[:16]}…`, Python {env['python']}, pandas "
            f"{env.get('pandas')}, statsmodels {env.get('statsmodels')}; seed {self.params.seed}."
        )

    # -- published files ----------------------------------------------------------------------
    def metrics(self) -> dict:
        """Headline figures after disclosure control, as written to ``metrics.json``."""
        figures = published_figures(self.protected_headline())
        for measure, figure in figures.items():  # what each figure estimates (for the audit)
            estimand = dict(HEADLINE_ESTIMANDS.get(measure, {}))
            if estimand.get("kind") == "share_within_days":
                estimand["within_days"] = WITHIN_DAYS
            figure["estimand"] = estimand
        return {
            "force": self.force,
            "name": self.name,
            "disclosure_profile": self.params.disclosure,
            "within_days": WITHIN_DAYS,
            "cohorts": self.headline_cohorts(),
            **self.headline_range(),
            "period_start": _day(self.params.period_start),
            "period_end": _day(self.params.period_end),
            "extract_date": _day(self.extract_date),
            "figures": figures,
        }

    def write_outputs(self) -> list[Path]:
        """Write ``metrics.json`` and ``disclosure.json`` to the run's staging folder."""
        if self.params.output is None:
            return []
        out = Path(self.params.output)
        written = [provenance.write_json(out / "metrics.json", self.metrics())]
        written.append(Path(self.disclosure.write_log(out / "disclosure.json")))
        from .benchmarks import write_sections

        written.append(write_sections(self, out / "sections.json"))
        written += [out / TABLES_DIR / f"{name}.csv" for name in self.takeaway.tables]
        written.append(self.takeaway.write_workbook(self.workbook_notes()))
        return written

    def workbook_notes(self) -> pd.DataFrame:
        """The Notes sheet of ``tables.xlsx`` (``takeaway.workbook_notes``)."""
        from .takeaway import workbook_notes

        return workbook_notes(self, definitions=self.definitions(),
                              captions=self.takeaway.captions, sheets=list(self.takeaway.tables))

    def definitions(self) -> dict[str, str]:
        """What the report's measures mean, in a line each (for the workbook's notes)."""
        return {
            "Outcome shares within a year": (
                f"Outcomes within {WITHIN_DAYS} days of recording, among cases recorded at "
                f"least {WITHIN_DAYS} days before the extract date (open cases never count as "
                "failures); 95% Wilson intervals."),
            "Still open": "Cases with no outcome at the extract date, out of all cases.",
            "Stage funnel": "Cases that had reached each investigation stage by the extract "
                            "date (a snapshot, not the chance of reaching the next stage).",
            "Time to outcome": (
                "Aalen–Johansen cumulative incidence of each competing outcome, open and "
                "transferred cases censored, for the latest financial-year cohort followed for "
                f"{CURVE_DAYS} days."),
            "Trends": f"Outcomes within {WITHIN_DAYS} days by financial year of recording "
                      "(April to March); years without a full year of follow-up left out.",
            "Differences": "This force's share minus the comparator's, in percentage points, "
                           "95% Newcombe interval.",
            "Hazard ratios": "Cause-specific: a rate among open cases; Fine–Gray "
                             "subdistribution: a probability. Associations, not causes.",
            "Observed / expected": "A force's outcomes against those its case mix predicts "
                                   "from the national model.",
            "[c]": "Hidden by disclosure control (see Disclosure control below).",
        }


#: Columns holding codes that a reader should see as labels.
CODE_COLUMNS = frozenset({"stage", "outcome_group", "outcome", "measure", "allegation"})
CASELOADS = {"all": "All cases in the period", "open": "Cases open at the extract date"}
MODELS = {"cause_specific": "Rate (cause-specific hazard ratio)",
          "fine_gray": "Probability (subdistribution hazard ratio)"}
#: Plain headings for the columns analysis functions return (tables not given ``columns=``).
HEADINGS = {
    "n": "Cases", "n_total": "Out of", "estimate": "Estimate", "ci_low": "95% interval from",
    "ci_high": "to", "share": "Share", "n_withdrawals": "Withdrawals", "median_days": "Median days",
    "n_events": "Events", "n_suspects": "Suspects", "officers": "Officers", "cases": "Cases",
    "mean": "Mean", "median": "Median", "p90": "90th percentile", "max": "Largest",
    "stage": "Stage", "outcome_group": "Outcome", "outcome": "Outcome", "caseload": "Caseload",
    "measure": "Measure", "allegation": "Allegation", "within_days": "Within (days)",
    "label": "Outcome code", "force": "Force", "term": "Factor", "p": "p-value",
    "disclosure": "Disclosure", "comparator": "Compared with", "force_share": "This force",
    "comparator_share": "Them", "difference": "Difference",
}


def _fmt_count(value) -> str:
    return "[c]" if value is None or pd.isna(value) else f"{value:,.0f}"


def _fmt_share(estimate, low, high) -> str:
    if estimate is None or pd.isna(estimate):
        return "[c]"
    if pd.isna(low) or pd.isna(high):
        return format_share(estimate)
    return f"{format_share(estimate)} ({format_share(low)} to {format_share(high)})"


def _recorded_rows(headline: pd.DataFrame) -> pd.DataFrame:
    rows = headline[headline["measure"].eq("recorded")]
    group = ["offence_group"] if "offence_group" in rows.columns else []
    return rows[["force", *group, "count"]].reset_index(drop=True)


def _share_rows(headline: pd.DataFrame) -> pd.DataFrame:
    rows = headline[~headline["measure"].eq("recorded")]
    group = ["offence_group"] if "offence_group" in rows.columns else []
    return rows[["force", *group, "measure", "count", "n", "estimate", "ci_low", "ci_high"]] \
        .reset_index(drop=True)


def share_of(numerator: str, denominator: str) -> dict[str, tuple[str, str]]:
    """Disclosure ``rates=`` spec: estimate and its interval are ``numerator`` / ``denominator``."""
    return {column: (numerator, denominator) for column in ("estimate", "ci_low", "ci_high")}


def published_figures(protected: pd.DataFrame) -> dict:
    """Protected headline rows as ``metrics.json`` (and ``benchmarks.json``) publish them."""
    figures = {}
    for row in protected.itertuples(index=False):  # five measures
        if row.measure == "recorded":
            figures[row.measure] = {"label": row.label, "value": _published(row.count, 0)}
            continue
        figures[row.measure] = {
            "label": row.label,
            "count": _published(row.count, 0),
            "n": _published(row.n, 0),
            # no more precision than the HTML's 0.1%: four decimals with rounded counts
            # gave the exact counts back (issue 16, item 11)
            "value": _published(row.estimate, 3),
            "ci_low": _published(row.ci_low, 3),
            "ci_high": _published(row.ci_high, 3),
        }
    return figures


def _published(value, digits: int):
    """A protected number for metrics.json: "[c]" where disclosure control hid it."""
    if value is None or pd.isna(value):
        return "[c]"
    return int(round(float(value))) if digits == 0 else round(float(value), digits)


def _headline_cells(frame: pd.DataFrame) -> dict[str, str]:
    cells = {}
    for row in frame.itertuples(index=False):
        if row.measure == "recorded":
            cells[row.measure] = _fmt_count(row.count)
        else:
            cells[row.measure] = _fmt_share(row.estimate, row.ci_low, row.ci_high)
    return cells


def _day(value) -> str:
    if value is None or (not isinstance(value, (str, dt.date)) and pd.isna(value)):
        return ""
    return pd.Timestamp(value).date().isoformat()


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
