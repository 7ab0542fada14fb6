"""The run's artefacts as one report reads them: its cases, every force's cases, the
national artefacts (headline figures, peers, force effects), the data-quality figures and
the provenance of the run.

Part of :class:`~soteria_research.reporting.national.ReportContext` (a mixin: it reads the
attributes ``ReportContext.__init__`` sets: ``params``, ``folder``, ``force``, ``cases``,
``disclosure``, ``takeaway``...). See ``docs/methods.md``, "Adding a section to a report".
"""

from __future__ import annotations

import pandas as pd

from . import provenance, shared_cases
from .report_common import (
    CURVE_DAYS,
    WITHIN_DAYS,
)

__all__ = ["ReportData"]


class ReportData:
    """The run's artefacts as one report reads them: its cases, every force's cases, the (mixin of ``ReportContext``)."""

    @property
    def national_cases(self) -> pd.DataFrame:
        if self._national_cases is None:
            self._national_cases = shared_cases.read_cases(
                self.folder, exclude=shared_cases.UNREAD_BY_REPORTS)
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

    def table(self, name: str) -> pd.DataFrame:
        """A table of the report's cases (``computed_tables.compute``: ``funnel``,
        ``outcome_mix``, ``cohort_rates``, ``headline``, ``demographics_<dimension>``, the
        timeliness tables; a force report's own tables, ``computed_tables.OWN_NAMES`` and
        ``device_requests``), computed once per report and handed out as a copy. The national
        overview reads the one the national preparation computed for the run's protection
        where the run saved it (``computed_tables.TABLES_DIR``), a force report its own
        tables likewise (``computed_tables.OWN_DIR``)."""
        from . import computed_tables

        tables = self._tables
        if name not in tables:
            saved = name if name != "device_requests" else "device_request_counts"
            frame = computed_tables.load(self.folder, saved,
                                         None if self.is_national else self.force)
            if name == "device_requests":  # the counts saved; the hazard ratio fitted here
                frame = computed_tables.compute(name, self.cases, counts=frame)
            elif frame is None:
                frame = computed_tables.compute(
                    name, self.cases, by=None if self.is_national else "force",
                    extract_date=self.params.extract_date)
            tables[name] = frame
        return tables[name].copy()

    def outcome_mix_by_force(self) -> pd.DataFrame:
        """Outcome groups by force (and offence group): the linked table every force report
        shares."""
        from .national import linked_outcome_mix

        return linked_outcome_mix(self.national_cases, by="force")

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
                # the force's accepted rows in the whole file (a folder from before the
                # count: its cases in the period, the same in a run of the whole file)
                (f"Accepted for {self.name}",
                 v.get("accepted_by_force", v["valid_by_force"]).get(self.force, 0)),
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
