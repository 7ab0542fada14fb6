"""Figures of the breakdown sections, each drawn from a protected frame (NaN where hidden:
left out and said so, never drawn as zero).

``plot_trend_panels`` replaces ``figures.plot_cohort_trends`` in the reports: one panel per
outcome on its own scale, financial years labelled for the part the data cover, and the
programme's start marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from ..analysis.demographics import OFFENCE_GROUPS, SHARE_OUTCOMES
from ..analysis.timeline import financial_year_bounds
from .figures import MARKER, OUTCOME_COLOURS, _alone, _no_data, label, plot_funnel

__all__ = ["OFFENCE_COLOURS", "plot_funnel_by_offence", "plot_outcome_heatmap",
           "plot_outcome_mix_by_offence", "plot_trend_panels"]

#: One colour per offence group (Okabe–Ito).
OFFENCE_COLOURS = {"all": "#0072B2", "rape": "#D55E00", "other_sexual": "#56B4E9"}
_HIDDEN_NOTE = "Values not drawn are hidden by disclosure control (see the appendix)."
TREND_OUTCOMES = ("charge", "victim_withdrawal", "evidential_difficulty")


def plot_funnel_by_offence(frame: pd.DataFrame):
    """Three funnels side by side: all sexual offences, rape, other sexual offences.

    ``frame`` is ``national.linked_funnel(cases)`` after disclosure control. Returns the
    array of Axes.
    """
    groups = [g for g in OFFENCE_GROUPS if g in set(frame.get("offence_group", []))]
    if not groups:
        fig, ax = plt.subplots(figsize=(9, 3.8))
        return np.array([_no_data(ax, "No cases in this period.")])
    fig, axes = plt.subplots(1, len(groups), figsize=(5.0 * len(groups), 4.0), sharey=True)
    axes = np.atleast_1d(axes)
    for i, (ax, group) in enumerate(zip(axes, groups)):
        part = frame[frame["offence_group"].eq(group)].reset_index(drop=True)
        plot_funnel(part, ax=ax)
        ax.set_title(OFFENCE_GROUPS[group])
        ax.set_xlabel("Cases (share of recorded)" if i == 0 else "")
        if len(part) and pd.to_numeric(part["n"], errors="coerce").isna().all():
            # no bar to measure: a 0-1.2 axis of cases under a column of [c] read as data
            ax.set_xticks([])
            ax.grid(False)
            ax.text(0.55, 0.5, "Every stage hidden\nby disclosure control", ha="center",
                    va="center", transform=ax.transAxes, fontsize=10, color="#555555")
        if i:
            ax.tick_params(axis="y", labelleft=False)
    if pd.to_numeric(frame["n"], errors="coerce").isna().any():
        fig.text(0.01, -0.02, _HIDDEN_NOTE, fontsize=9, color="#555555")
    fig.tight_layout()
    return axes


def plot_outcome_mix_by_offence(frame: pd.DataFrame):
    """Grouped bars: the share of recorded crimes in each outcome group, for all sexual
    offences, rape and other sexual offences.

    ``frame`` is ``national.linked_outcome_mix(cases)`` after disclosure control.
    """
    fig, ax = plt.subplots(figsize=(9, 5.2))
    if frame.empty:
        return _no_data(ax, "No cases in this period.")
    outcomes = list(dict.fromkeys(frame["outcome_group"]))
    groups = [g for g in OFFENCE_GROUPS if g in set(frame["offence_group"])]
    height = 0.8 / len(groups)
    y = np.arange(len(outcomes))[::-1]
    top, hidden = 0.05, []
    for k, group in enumerate(groups):
        part = frame[frame["offence_group"].eq(group)].set_index("outcome_group")
        shares = pd.to_numeric(part["share"], errors="coerce").reindex(outcomes)
        offset = y + (len(groups) / 2 - k - 0.5) * height
        ax.barh(offset, shares.fillna(0), height=height * 0.95,
                color=OFFENCE_COLOURS.get(group, "#0072B2"), label=OFFENCE_GROUPS[group])
        for yi, s in zip(offset, shares):
            ax.text((0 if pd.isna(s) else s) + 0.004, yi, MARKER if pd.isna(s) else f"{s:.0%}",
                    va="center", fontsize=8)
        if shares.notna().any():
            top = max(top, float(shares.max()))
        else:
            hidden.append(OFFENCE_GROUPS[group].lower())
    ax.set_yticks(y, [label(o) for o in outcomes])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, top * 1.2)
    # bars of [c] only tell a reader nothing; say why, and where the counts are
    names = ", of ".join(hidden[:-1]) + (" and of " if len(hidden) > 1 else "") + \
        "".join(hidden[-1:])
    ax.set_xlabel("Share of recorded crimes (open cases included)" + (
        f"\nEvery share of {names} is hidden by disclosure control ({MARKER}); the counts "
        "it can print are in the table below" if hidden else ""))
    ax.set_title("How investigations ended: rape and other sexual offences")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    return ax


def _position(date: pd.Timestamp, cohorts: Sequence[str]) -> float | None:
    """Where a date falls on an axis of financial years drawn at 0, 1, 2… (each year spans
    half a unit either side); None when outside every year shown."""
    for i, cohort in enumerate(cohorts):
        first, last = financial_year_bounds(cohort)
        if first <= date <= last:
            return i - 0.5 + (date - first).days / ((last - first).days + 1)
    return None


def plot_trend_panels(frame: pd.DataFrame, *, labels: Mapping[str, str] | None = None,
                      marks: Sequence[tuple[pd.Timestamp, str]] = (),
                      outcomes: Sequence[str] = TREND_OUTCOMES, within_days: int = 365):
    """Small multiples: one panel per outcome, each on its own y-scale, the share of each
    financial year's crimes with that outcome within ``within_days`` of recording, with 95%
    bands (a bar for a year printed between hidden years, which has no band to either side).

    ``frame`` is ``national.linked_cohort_rates(cases)`` (or ``attrition.cohort_rates(...,
    freq="FY")``) after disclosure control. ``labels`` maps a cohort to its label (say
    ``"2019/20 (part)"``: ``sections_breakdowns.year_labels``); ``marks`` are ``(date, text)``
    drawn as vertical lines where they fall among the years shown (the Soteria start,
    ``sections_breakdowns.soteria_marks``), and listed under the figure otherwise.

    Returns the array of Axes (``axes[0].figure`` is the figure).

    Examples
    --------
    >>> frame = pd.DataFrame({"cohort": ["2021/22", "2022/23"] * 2,
    ...                       "outcome": ["charge"] * 2 + ["victim_withdrawal"] * 2,
    ...                       "estimate": [0.04, 0.05, 0.40, 0.42],
    ...                       "ci_low": [0.03, 0.04, 0.37, 0.39],
    ...                       "ci_high": [0.05, 0.06, 0.43, 0.45]})
    >>> axes = plot_trend_panels(frame, outcomes=("charge", "victim_withdrawal"))
    >>> bool(axes[0].get_ylim()[1] < 0.1)
    True
    """
    outcomes = list(outcomes)
    fig, axes = plt.subplots(1, len(outcomes), figsize=(4.2 * len(outcomes), 4.0),
                             squeeze=False)
    axes = axes[0]
    data = frame[frame["outcome"].isin(outcomes)] if len(frame) else frame
    estimates = pd.to_numeric(data["estimate"], errors="coerce") if len(data) else pd.Series()
    if data.empty or estimates.notna().sum() == 0:
        for ax in axes[1:]:
            ax.set_axis_off()
        _no_data(axes[0], "No financial year has a full year of follow-up yet."
                 if data.empty else
                 f"Every year's figure is hidden by disclosure control ({MARKER}):\n"
                 "too few cases a year to show safely.")
        return axes
    cohorts = list(dict.fromkeys(data["cohort"].astype(str)))
    labels = dict(labels or {})
    ticks = [labels.get(c, c).replace(" (part)", "\n(part)") for c in cohorts]
    x_of = {c: i for i, c in enumerate(cohorts)}
    placed = [(d, t, _position(pd.Timestamp(d), cohorts)) for d, t in marks]
    for ax, outcome in zip(axes, outcomes):
        part = data[data["outcome"].eq(outcome)]
        colour = OUTCOME_COLOURS.get(outcome, "#0072B2")
        xs = part["cohort"].astype(str).map(x_of).to_numpy(dtype=float)
        est = pd.to_numeric(part["estimate"], errors="coerce").to_numpy(dtype=float)
        low = pd.to_numeric(part["ci_low"], errors="coerce").to_numpy(dtype=float)
        high = pd.to_numeric(part["ci_high"], errors="coerce").to_numpy(dtype=float)
        ax.fill_between(xs, low, high, color=colour, alpha=0.18, linewidth=0)
        ax.plot(xs, est, marker="o", color=colour, linewidth=2)
        # a year printed between hidden years has no band to either side (a band is drawn
        # between years): its interval is drawn as a bar of the band's colour
        alone = _alone(xs, est, low, high)
        ax.vlines(xs[alone], low[alone], high[alone], color=colour, alpha=0.3, linewidth=8)
        top = np.nanmax(np.concatenate([high, est, [0.0]]))
        top = top if np.isfinite(top) and top > 0 else 0.05
        ax.set_ylim(0, top * 1.15)
        ax.set_xlim(-0.6, len(cohorts) - 0.4)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0 if top > 0.1 else 1))
        # Up to five years side by side; more (a ten-year export) turned upright, or they overlap.
        ax.set_xticks(range(len(cohorts)), ticks, fontsize=9,
                      **({} if len(cohorts) <= 5 else
                         {"rotation": 90}))
        ax.set_title(SHARE_OUTCOMES.get(outcome, label(outcome)), fontsize=12)
        if not np.isfinite(est).any():
            ax.text(0.5, 0.5, "Every year hidden by\ndisclosure control", ha="center",
                    va="center", transform=ax.transAxes, fontsize=10, color="#555555")
        for _date, text, x in placed:
            if x is None:
                continue
            ax.axvline(x, color="#333333", linestyle="--", linewidth=1)
            if ax is axes[0]:  # the words once, the lines in every panel
                ax.annotate(text, xy=(x, 0.0), xycoords=("data", "axes fraction"),
                            xytext=(3, 3), textcoords="offset points", va="bottom",
                            fontsize=8, rotation=90, color="#333333")
        ax.grid(axis="x", visible=False)
    axes[0].set_ylabel(f"Share within {within_days} days of recording")
    notes = []
    outside = [t for _, t, x in placed if x is None]
    if outside:
        notes.append("Outside the years shown: " + "; ".join(outside) + ".")
    if estimates.isna().any():
        notes.append(_HIDDEN_NOTE)
    fig.suptitle(f"Outcomes within {within_days} days, by financial year of recording "
                 "(each panel on its own scale)", x=0.01, ha="left", fontsize=13,
                 fontweight="bold")
    fig.tight_layout()
    if notes:
        fig.text(0.01, -0.04, "\n".join(notes), fontsize=9, color="#555555")
    return axes


def plot_outcome_heatmap(frame: pd.DataFrame, *, names: Mapping[str, str] | None = None):
    """Heat map of the outcome mix by force: force names down, outcome groups across, each
    cell the share of the force's recorded crimes (written in the cell; "[c]" where hidden).

    ``frame`` is the protected linked outcome mix (``ReportContext.outcome_mix_by_force``);
    only its all-offences rows are drawn.
    """
    data = frame[frame["offence_group"].eq("all")] if "offence_group" in frame else frame
    names = dict(names or {})
    if data.empty:
        fig, ax = plt.subplots(figsize=(9, 3))
        return _no_data(ax, "No cases in this period.")
    table = data.assign(name=data["force"].map(lambda f: names.get(f, f))).pivot_table(
        index="name", columns="outcome_group", values="share", aggfunc="first", dropna=False,
        sort=True)
    outcomes = [o for o in dict.fromkeys(data["outcome_group"]) if o in table.columns]
    table = table.reindex(columns=outcomes)
    values = table.to_numpy(dtype=float)
    # Colour within each outcome (share over the largest force's share of that outcome), so
    # forces can be told apart on a rare outcome too; the cell says the share itself.
    with np.errstate(invalid="ignore", divide="ignore"):
        tops = np.nanmax(np.where(np.isfinite(values), values, -np.inf), axis=0)
        shade = values / np.where(tops > 0, tops, np.nan)
    fig, ax = plt.subplots(figsize=(11, 0.32 * len(table) + 2.2))
    ax.imshow(np.ma.masked_invalid(shade), aspect="auto", cmap="Blues", vmin=0, vmax=1.25)
    for (i, j), v in np.ndenumerate(values):
        text = MARKER if np.isnan(v) else f"{v:.0%}"
        dark = not np.isnan(shade[i, j]) and shade[i, j] > 0.75
        ax.text(j, i, text, ha="center", va="center", fontsize=8,
                color="white" if dark else "#1f2933")
    ax.set_xticks(range(len(outcomes)), [label(o) for o in outcomes], rotation=30, ha="right",
                  fontsize=9)
    ax.set_yticks(range(len(table)), table.index, fontsize=9)
    ax.grid(False)
    ax.set_title("Outcome mix by force: share of recorded crimes (darker: higher among "
                 "forces for that outcome)")
    return ax
