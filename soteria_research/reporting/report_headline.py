"""Headline figures of a report: its own, its peers' and England and Wales's, protected,
with the cohorts they count, the differences between them, and ``metrics.json``.

Part of :class:`~soteria_research.reporting.national.ReportContext` (a mixin: it reads the
attributes ``ReportContext.__init__`` sets: ``params``, ``folder``, ``force``, ``cases``,
``disclosure``, ``takeaway``...). See ``docs/methods.md``, "Adding a section to a report".
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from . import shared_cases
from .disclosure.profiles import MARKER
from .parameters import NATIONAL
from .report_common import (
    HEADLINE_ESTIMANDS,
    WITHIN_DAYS,
    _day,
    _headline_cells,
    _recorded_rows,
    _share_rows,
    published_figures,
    share_of,
)
from .takeaway import format_share

__all__ = ["ReportHeadline"]


class ReportHeadline:
    """Headline figures of a report: its own, its peers' and England and Wales's, protected, (mixin of ``ReportContext``)."""

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
        """``frame``'s headline figures protected, once per report: a report asks for its own
        figures eight times and for the national ones four (key messages, the headline view,
        the differences, metrics.json). The same input gives the table protected the first
        time (see :meth:`_once`)."""
        names = (["headline_recorded", "headline"] if linked else
                 [f"headline_recorded{suffix}", f"headline{suffix}"])
        return self._once(("headline", suffix, linked), names, lambda: self._protect_headline_now(
            frame, suffix=suffix, linked=linked), same=frame)

    def _once(self, key: tuple, names: list[str], make, same: pd.DataFrame | None = None
              ) -> pd.DataFrame:
        """``make()`` once per report (per ``key``, and while its input equals ``same``), then
        a copy of what it gave, logging again the records of outputs ``names`` as that first
        call left them: disclosure.json is what one protection says, whatever a caller did to
        an earlier answer or whatever was protected under the same names in between."""
        memo = self.__dict__.setdefault("_made_once", {})
        seen = memo.get(key)
        if seen is not None and (same is None or seen[0].equals(same)):
            self.disclosure.restore(seen[2])
            return seen[1].copy()
        made = make()
        # copies: the peers' figures add to their records after protection
        memo[key] = (None if same is None else same.copy(), made.copy(),
                     [copy.deepcopy(self.disclosure.record(name)) for name in names])
        return made

    def _protect_headline_now(self, frame: pd.DataFrame, *, suffix: str,
                              linked: bool) -> pd.DataFrame:
        # The count of crimes recorded and the outcome shares are protected as two tables: a
        # share needs its denominator, a count of crimes does not.
        dc = self.disclosure
        recorded = _recorded_rows(frame)
        shares = _share_rows(frame)
        if linked:  # the run's table has all, rape and other sexual offences: take all
            recorded = dc.protect(recorded.assign(offence_group="all"),
                                  name="headline_recorded", counts=["count"]
                                  ).frame.drop(columns="offence_group")
            shares = dc.protect(shares.assign(offence_group="all"), name="headline",
                                kind="rates", by=["measure", "offence_group"],
                                counts=["count", "n"], rates=share_of("count", "n"),
                                columns_add_up=False, design_effect="design_effect"
                                ).frame.drop(columns="offence_group")
        else:
            recorded = dc.protect(recorded, name=f"headline_recorded{suffix}",
                                  counts=["count"], by=["force"]).frame
            shares = dc.protect(shares, name=f"headline{suffix}", kind="rates",
                                by=["measure"], counts=["count", "n"],
                                rates=share_of("count", "n"), columns_add_up=False,
                                design_effect="design_effect").frame
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

        from ..analysis import comparison

        columns: dict[str, dict[str, str]] = {}
        own = self.protected_headline()
        columns[self.name] = _headline_cells(own)
        # every measure's label, whether or not this force has the figure: a force with no
        # year followed long enough in the period has no share rows of its own, and the
        # peers' and nation's rows printed their codes ("charged_within")
        labels = {measure: label.replace("{days}", str(WITHIN_DAYS))
                  for measure, label in comparison.HEADLINE_MEASURES.items()}
        labels.update(zip(own["measure"], own["label"]))
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
            "Shares with 95% intervals, which allow for one officer's cases being alike. "
            + self.headline_cohorts()))

    def peer_headline(self, peers: list[str], peer_cases: pd.DataFrame | None = None):
        """The pooled headline figures of ``peers`` after disclosure control (NaN where hidden,
        including any measure a hidden peer figure would be revealed through).

        Worked out once per report for the run's own peers' cases (the headline view and the
        differences both ask, twice each: reading and pooling the peers' cases took 0.15–0.35
        s a time); asked again, it gives a copy and logs the records as they were."""
        if peer_cases is None:
            return self._once(("peers", *peers), ["headline_recorded_peers", "headline_peers"],
                              lambda: self._peer_headline_now(peers, shared_cases.read_cases(
                                  # the headline figures read no identifier but the officer
                                  # (for their intervals)
                                  self.folder, peers, exclude=shared_cases.ID_COLUMNS)))
        return self._peer_headline_now(peers, peer_cases)

    def _peer_headline_now(self, peers: list[str], peer_cases: pd.DataFrame) -> pd.DataFrame:
        from ..analysis import comparison

        pooled = comparison.headline_figures(peer_cases, within_days=WITHIN_DAYS,
                                             extract_date=self.params.extract_date)
        protected = self._protect_headline(pooled.assign(force="peers"), suffix="_peers")
        if "design_effect" in pooled.columns:  # for the differences' intervals; not shown
            protected.attrs["design_effects"] = (pooled.set_index("measure")["design_effect"]
                                                 .astype(float).to_dict())
        hidden = self._hidden_in_peers(peers)
        rows = protected["measure"].isin(hidden)
        columns = ["count", "n", "estimate", "ci_low", "ci_high"]
        newly = protected.loc[rows, columns].notna()
        protected.loc[rows, columns] = float("nan")
        # counted in disclosure.json: the pooled figures of the peers' protection (just made)
        for name, part in (("headline_recorded_peers", protected["measure"].eq("recorded")),
                           ("headline_peers", ~protected["measure"].eq("recorded"))):
            record = self.disclosure.record(name)
            cells = newly[part[rows].to_numpy()]
            if record is None or not cells.to_numpy().any():
                continue
            record.secondary_suppressed += int(cells[["count", "n"]].to_numpy().sum())
            record.derived_suppressed += int(cells[["estimate", "ci_low", "ci_high"]]
                                             .to_numpy().sum())
            record.status = "suppressed" if record.status == "pass" else record.status
            record.notes.append("pooled figures hidden where a peer's own figure is hidden")
        return protected

    def headline_range(self) -> dict[str, str]:
        """First and last recorded day of the cases the headline shares count
        (``recorded_from``, ``recorded_to``; empty without cases)."""
        extract = self.extract_date
        if extract is None or self.cases.empty:
            return {"recorded_from": "", "recorded_to": ""}
        # The requested start, or the whole file's first recorded month: never this force's
        # first case, whose day (issue 16, item 4) or month says it had none before
        first = self.params.period_start or self._coverage()[0] or (
            self.cases["recorded_date"].min().to_period("M").start_time)
        last = self._last_followed_day()
        return {"recorded_from": _day(first), "recorded_to": _day(last) if last else ""}

    def _coverage(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        from .sections_breakdowns import _coverage

        return _coverage(self)

    def _followed_years(self) -> list[str]:
        """The financial years the headline shares count: every year of the data's coverage
        (the report period, or the whole file's) whose 31 March is :data:`WITHIN_DAYS` days or
        more before the extract date (the calendar rule of ``cohorts.followed_cohorts``).

        Every year of the coverage, with this force's cases or not: the years with its cases
        listed "2019/20, 2021/22, 2022/23" for City of London, and so that it recorded none in
        2020/21, a zero the tables hide (issue 16, item 4)."""
        from ..analysis.cohorts import followed_cohorts, year_followed
        from ..analysis.timeline import financial_year

        start, end = self._coverage()
        extract = self.extract_date
        if start is None or end is None or extract is None:
            return followed_cohorts(self.cases, days=WITHIN_DAYS,
                                    extract_date=self.params.extract_date)[1]
        months = pd.date_range(start.to_period("M").start_time, end, freq="MS")
        years = financial_year(pd.Series(months)).unique()
        return [str(year) for year in years
                if year_followed(year, days=WITHIN_DAYS, extract=extract)]

    def _last_followed_day(self) -> pd.Timestamp | None:
        """The last day the headline shares count: 31 March of the last financial year followed
        for :data:`WITHIN_DAYS` days, or the end of the data's coverage (the report period's
        end) where that comes first: a report of January 2022 counts January's cases, not those
        to 31 March 2022."""
        from ..analysis.timeline import financial_year_bounds

        years = self._followed_years()
        if not years:
            return None
        last = financial_year_bounds(years[-1])[1]
        end = self._coverage()[1]
        return last if end is None else min(last, end.normalize())

    def headline_cohorts(self) -> str:
        """Which cases the headline shares count, in a sentence (dates, financial years and
        window)."""
        from ..analysis.cohorts import describe_cohorts

        extract = self.extract_date
        if extract is None or self.cases.empty:
            return ""
        whole = self._followed_years()
        if not whole:
            return (f"Not enough follow-up yet for outcome shares: they count the cases of the "
                    f"financial years (April to March) followed for {WITHIN_DAYS} days from "
                    f"recording, and no year in this period has been followed that long by the "
                    f"extract date ({_day(extract)}).")
        last = self._last_followed_day()
        # from the requested start, never the first case's date (issue 16, item 4)
        start = _day(self.params.period_start)
        span = f"from {start} to {_day(last)}" if start else f"up to {_day(last)}"
        years = "financial year" if len(whole) == 1 else "financial years"
        return (f"Outcome shares count cases recorded {span} ({years} "
                f"{describe_cohorts(whole)}), each followed for {WITHIN_DAYS} days from "
                "recording, less those transferred to another body within that time.")

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

    def differences(self) -> pd.DataFrame:
        """This force's outcome shares minus those of the rest of England and Wales (this
        force left out) and of its peers together, with 95% intervals (Newcombe).

        Columns ``measure`` (its label), ``comparator`` (its label), ``force_share,
        comparator_share, difference, ci_low, ci_high``.

        Every share is from published (protected, rounded) counts: this force's is its
        headline figure. A measure is hidden ("[c]") wherever disclosure control hides this
        force's figure, or a peer's figure that the pooled peers would reveal. Worked out once
        per report (the key messages ask twice, the table once; see :meth:`_once`).
        """
        return self._once(("differences",), [
            f"{name}{suffix}" for suffix in ("", "_alone", "_national", "_peers")
            for name in ("headline_recorded", "headline")], self._differences_now)

    def _differences_now(self) -> pd.DataFrame:
        from ..analysis import comparison

        columns = ["measure", "comparator", "force_share", "comparator_share", "difference",
                   "ci_low", "ci_high"]
        headline = self.artefact("headline")
        if self.force_only is not None:
            return self.force_only.differences(columns)
        if self.is_national or headline.empty:
            return pd.DataFrame(columns=columns)
        # Every side from published numbers, so "This force" is the headline's own figure
        # (it printed 6.8% from the true counts beside the headline's 7.0%): this force's
        # rounded counts, England and Wales's published counts less this force's, and the
        # peers' pooled published counts. Newcombe intervals from those (a little approximate:
        # the counts are rounded as published).
        own = self.protected_headline()
        own = own[~own["measure"].eq("recorded")].set_index("measure")
        national = headline[headline["force"].eq(NATIONAL)].reset_index(drop=True)
        national = self._protect_headline(national, suffix="_national")
        national = national[~national["measure"].eq("recorded")].set_index("measure")
        sides = [("rest_of_england_and_wales", national, True)]
        peers = self.peers()
        peer_deffs = {}
        if peers:
            pooled = self.peer_headline(peers)
            peer_deffs = getattr(pooled, "attrs", {}).get("design_effects", {})
            sides.append(("peers", pooled[~pooled["measure"].eq("recorded")]
                          .set_index("measure"), False))
        labels = headline.drop_duplicates("measure").set_index("measure")["label"]
        rows = []
        for comparator, theirs, less_own in sides:
            for measure in own.index:
                mine = own.loc[measure]
                mine_hidden = pd.isna(mine["count"]) or pd.isna(mine["n"]) or mine["n"] <= 0
                count = n = float("nan")
                if measure in theirs.index:
                    count, n = theirs.loc[measure, "count"], theirs.loc[measure, "n"]
                    if less_own and not mine_hidden:
                        count, n = count - mine["count"], n - mine["n"]
                    elif less_own:
                        count = n = float("nan")  # the rest would give the hidden figure back
                row = {"measure": labels.get(measure, measure),
                       "comparator": comparison.COMPARATORS[comparator]}
                theirs_hidden = pd.isna(count) or pd.isna(n) or n <= 0 or count < 0
                if mine_hidden or theirs_hidden:
                    row.update(force_share="[c]" if mine_hidden else mine["count"] / mine["n"],
                               comparator_share="[c]" if theirs_hidden else count / n,
                               difference="[c]", ci_low="[c]", ci_high="[c]")
                else:
                    # Each side at its effective size (count and n over its design effect),
                    # so the difference allows for officer clustering as the shares' own
                    # intervals do.
                    d_mine, d_them = _design_effects(headline, self.force, measure,
                                                     comparator, peer_deffs)
                    pair = pd.DataFrame({"force": [self.force, "_them"],
                                         "count": [mine["count"] / d_mine, count / d_them],
                                         "n": [mine["n"] / d_mine, n / d_them]})
                    table = comparison.force_differences(pair, force=self.force, measure=None)
                    table = table[table["contrast"].eq("difference")].iloc[0]
                    row.update(force_share=float(table["share"]),
                               comparator_share=float(count / n),
                               difference=float(table["estimate"]),
                               ci_low=float(table["ci_low"]), ci_high=float(table["ci_high"]))
                rows.append(row)
        return pd.DataFrame(rows, columns=columns)

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


def _design_effects(headline: pd.DataFrame, force: str, measure: str, comparator: str,
                    peer_deffs: dict) -> tuple[float, float]:
    """Design effects of a force's headline share and of its comparator's: the rest of
    England and Wales (``rest_design_effect`` of the force's headline row) or its pooled peers
    (``peer_deffs``); 1 where the shared preparation does not hold them."""
    def usable(value) -> float:
        value = float(value)
        return max(value, 1.0) if np.isfinite(value) else 1.0

    rows = headline[headline["measure"].eq(measure) & headline["force"].eq(force)]
    if "offence_group" in rows.columns:
        rows = rows[rows["offence_group"].eq("all")]
    if rows.empty:
        return 1.0, 1.0
    row = rows.iloc[0]
    own = usable(row.get("design_effect", 1.0))
    if comparator == "peers":
        return own, usable(peer_deffs.get(measure, 1.0))
    return own, usable(row.get("rest_design_effect", 1.0))
