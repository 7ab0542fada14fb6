"""The model-based figures of a report, as the notebooks show them: case-mix-adjusted force
effects and their funnel, shrunken effects, time to outcome (cumulative incidence) and the
drivers model. The models themselves live in ``soteria_research/analysis``.

Part of :class:`~soteria_research.reporting.national.ReportContext` (a mixin: it reads the
attributes ``ReportContext.__init__`` sets: ``params``, ``folder``, ``force``, ``cases``,
``disclosure``, ``takeaway``...). See ``docs/methods.md``, "Adding a section to a report".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import SoteriaError
from .disclosure.text import safe_text
from .report_common import (
    _ERROR_DETAIL,
    CURVE_DAYS,
    TABLE_DAYS,
    WITHIN_DAYS,
    _fmt_share,
)

__all__ = ["ReportModels"]


#: What a force report says where no driver model is shown (``ReportModels.drivers_note``).
NO_DRIVERS = ("No driver model is shown here: there are too few cases or events to estimate "
              "the models, or to publish their figures.")

#: What a report says where the national case-mix model gave no force effects (too few cases
#: in the period, none or all with the outcome, or a model that knows every case's outcome:
#: ``comparison.force_effects``). The run's notes say which, with counts not published.
EFFECTS_NOT_ESTIMATED = ("Force effects could not be estimated: the national case-mix model "
                         "needs more cases, some with the outcome and some without, than this "
                         "period holds.")

class ReportModels:
    """The model-based figures of a report, as the notebooks show them: case-mix-adjusted force (mixin of ``ReportContext``)."""

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
                method="binomial", note=EFFECTS_NOT_ESTIMATED)
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

    def incidence_curve(self, marks: Sequence[int] = TABLE_DAYS) -> pd.DataFrame:
        """The time-to-outcome curve as published: the figure and the table of
        :meth:`incidence_view` are one protected curve.

        Coarsened apart, each rested every step on the threshold of events, yet together they
        printed a step on fewer: a one-month Lancashire report's figure stepped at day 260 on
        10 charges and its table said 15 by day 365, so 5 fell between. Here the curve has a
        row at each of ``marks`` (the table's days), and its steps are chosen with them and
        with the count within 365 days the trends print of the same cohort
        (:func:`~.disclosure.curves.marked_steps`). Rows at 365 days the run's trends hide
        are left out (:meth:`_hidden_in_trends`). ``attrs`` as :meth:`incidence`.
        """
        from .figures_breakdowns import TREND_OUTCOMES

        key = tuple(marks)
        if key in self._curves:
            return self._curves[key]
        full = self.incidence()
        at_marks = self.incidence(times=list(marks)) if len(full) else full
        if len(full):
            same = full.set_index(["cohort", "outcome", "time"]).index.isin(
                at_marks.set_index(["cohort", "outcome", "time"]).index)
            curve = pd.concat([full[~same], at_marks], ignore_index=True).sort_values(
                ["cohort", "outcome", "time"], kind="stable", ignore_index=True)
            curve.attrs = dict(full.attrs)
        else:
            curve = full
        # By day 365 a trend outcome's count for the cohort is the trends' (printed whatever
        # the curve shows), so no step comes within the threshold of it.
        printed = "_printed_elsewhere"
        curve = curve.assign(**{printed: curve["time"].eq(WITHIN_DAYS)
                                & curve["outcome"].isin(TREND_OUTCOMES)})
        protected = self.disclosure.protect(curve, name="time_to_outcome_curve", kind="curve",
                                            marks=list(marks), printed=printed,
                                            events="n_events", cumulative_events=True)
        frame = self._hidden_in_trends(protected.frame)
        frame.attrs = {**dict(curve.attrs), **dict(protected.frame.attrs)}
        self._curves[key] = frame
        return frame

    def incidence_view(self, times: Sequence[int] = TABLE_DAYS):
        """Cumulative incidence at a few days, one row per outcome: read off the published
        curve (:meth:`incidence_curve`, which the figure draws), then pivoted."""
        from .figures import label

        frame = self.incidence_curve(marks=times)
        frame = frame[frame["time"].isin(list(times))] if len(frame) else frame
        if frame.empty:
            view = pd.DataFrame({"Outcome": [frame.attrs.get("withheld")
                                             or "Too few cases to show safely"]})
            return self._styled(view, name="time_to_outcome")
        # Each share with its interval (the figure's band at that day): the same protected,
        # rounded values the figure and metrics carry, so the table adds no precision.
        frame = frame.assign(column=frame["time"].map(lambda t: f"by day {t:g}"),
                             text=[_fmt_share(e, lo, hi) for e, lo, hi in
                                   zip(frame["cif"], frame["ci_low"], frame["ci_high"])])
        view = frame.pivot_table(index="outcome", columns="column", values="text",
                                 aggfunc="first", sort=False)
        view = view.reindex(columns=[f"by day {t:g}" for t in times if
                                     f"by day {t:g}" in view.columns]).fillna("[c]")
        view.index = [label(o) for o in view.index]
        view.index.name = "Outcome"
        return self._styled(view.reset_index(), name="time_to_outcome",
                            caption="Share of cases with each outcome by each day (95% "
                                    "interval, allowing for one officer's cases being alike).")

    def incidence_figure_data(self, max_days: int = CURVE_DAYS) -> str:
        """The time-to-outcome figure's data: every step it draws (outcome, day, share with
        its 95% interval), kept as the table ``time_to_outcome_figure`` for the CSV and the
        workbook, and a Markdown line linking its CSV (empty when nothing is written).

        A reader can read the figure to the pixel, so its steps are published values whatever
        form they take: as data they can be reused and checked (the run's attacker reads them
        beside the table of :meth:`incidence_view`). Read off :meth:`incidence_curve`, the one
        protected curve the figure draws, up to the figure's last day.
        """
        from .figures import label
        from .takeaway import text_view

        frame = self.incidence_curve()
        drawn = frame[frame["cif"].notna() & frame["time"].le(max_days)] if len(frame) else frame
        if drawn.empty:
            return ""
        view = pd.DataFrame({
            "Outcome": drawn["outcome"].map(label).to_numpy(),
            "Day": drawn["time"].astype(int).to_numpy(),
            "Share (95% interval)": [_fmt_share(e, lo, hi) for e, lo, hi in
                                     zip(drawn["cif"], drawn["ci_low"], drawn["ci_high"])]})
        name = self.takeaway.add("time_to_outcome_figure", text_view(view),
                                 caption="Every step of the time-to-outcome figure: the share "
                                         "of cases with each outcome from that day on (95% "
                                         "interval).")
        if self.params.output is None:
            return ""
        return (f"The figure's data, every step it draws with its interval: "
                f"[download (CSV)](tables/{name}.csv).")

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

        columns = ["cohort", "outcome", "time", "cif", "ci_low", "ci_high", "n_at_risk",
                   "n_events"]
        if self.cases.empty:
            return pd.DataFrame(columns=columns)
        extract = self.params.extract_date
        chosen = latest_cohorts(self.cases, horizon_days=CURVE_DAYS, extract_date=extract)
        if not chosen:
            chosen = cohort_table(self.cases, extract_date=extract)["cohort"].head(1).tolist()
        # Intervals allow for one officer's cases being alike (forces as strata), as the
        # headline's do.
        frame = cohort_incidence(self.cases, cohorts=chosen, times=times, extract_date=extract,
                                 cluster="officer_id", strata="force")
        hidden = [c for c in chosen if self._linked_cell_hidden("cohort_trends", "n", cohort=c,
                                                                 outcome="all")]
        if hidden:
            # a curve is its events over the cohort (nearly: few are censored), so two steps
            # give the cohort's size back: Dyfed-Powys's 56 cases of 2021/22, hidden in the
            # trends to protect City of London's, came from 10 and 16 of them (issue 16)
            from .disclosure import protect_curve

            withheld = frame.iloc[0:0].copy()
            withheld.attrs = dict(frame.attrs)
            if not protect_curve(frame, profile=self.disclosure.profile).frame.empty:
                withheld.attrs["withheld"] = (
                    f"Not shown: the number of cases recorded in {', '.join(hidden)} is hidden "
                    "in the trends (disclosure control), and the curves would give it back.")
            return withheld
        return frame

    def _hidden_in_trends(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A curve's steps at the trends' horizon without the ones the trends hide.

        By day 365 the share with an outcome of the cohort the curve follows is the trend
        table's share of that financial year (the same cases, counted the same way): one
        quantity, one decision, so a step the run's linked trends hide is not shown here.
        """
        if frame.empty or "cohort" not in frame.columns:
            return frame
        at_horizon = frame["time"].eq(WITHIN_DAYS).to_numpy()
        drop = np.zeros(len(frame), dtype=bool)
        for i in np.flatnonzero(at_horizon):
            drop[i] = self._linked_cell_hidden("cohort_trends", "n",
                                               cohort=str(frame["cohort"].iloc[i]),
                                               outcome=str(frame["outcome"].iloc[i]))
        return frame[~drop]

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

    @staticmethod
    def drivers_note(note: str, protected) -> str:
        """The drivers' note for what the report shows (``protected``: the protected
        :meth:`drivers` frame). Where no model is shown (too few cases or events to fit one,
        or to publish its figures), the notes on each fit ("ran out of iterations") and what
        each ratio means describe nothing on the page: one sentence says why instead."""
        frame = getattr(protected, "frame", protected)
        shown = frame.get("estimate") if isinstance(frame, pd.DataFrame) else None
        if shown is not None and shown.notna().any():
            return note
        return NO_DRIVERS
