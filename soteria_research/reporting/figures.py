"""Figures for the reports, each drawn from a tidy (already protected) frame onto an Axes.

Every function is ``plot_thing(frame, *, ax=None) -> Axes``; suppressed values (NaN) are left out
and marked "[c]", never drawn as zero.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter

from ..errors import ParameterError

__all__ = [
    "OUTCOME_COLOURS",
    "plot_caterpillar",
    "plot_cohort_trends",
    "plot_cumulative_incidence",
    "plot_forest",
    "plot_force_funnel",
    "plot_funnel",
    "plot_outcome_mix",
    "use_report_style",
]

MARKER = "[c]"

#: One colour per outcome, the same in every figure (colour-blind-safe Okabe–Ito palette).
OUTCOME_COLOURS = {
    "charge": "#009E73",
    "victim_withdrawal": "#E69F00",
    "evidential_difficulty": "#CC79A7",
    "no_suspect": "#56B4E9",
    "other": "#8C6D31",
    "out_of_court": "#8C6D31",
    "prevented_or_npi": "#D55E00",
    "transferred": "#999999",
    "open": "#BBBBBB",
}
_INK = "#1f2933"
_ACCENT = "#0072B2"


def use_report_style() -> None:
    """Clear, print-friendly defaults for report figures (large text, light grid, no clutter)."""
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", font_scale=1.05)
    plt.rcParams.update({
        "figure.figsize": (9, 4.2), "figure.dpi": 100, "savefig.dpi": 110,
        "axes.spines.top": False, "axes.spines.right": False, "axes.titleweight": "bold",
        "axes.titlelocation": "left", "axes.titlesize": 13, "legend.frameon": False,
        "text.color": _INK, "axes.labelcolor": _INK,
    })


@lru_cache(maxsize=1)
def _labels() -> dict[str, str]:
    from ..analysis.attrition import STAGES
    from ..data.dictionary import load_dictionary

    dictionary = load_dictionary()
    groups = dictionary.codelists["outcome_groups"]
    labels = dict(zip(groups["code"], groups["label"]))
    labels.update({"charge": "Charged or summonsed", "other": "Other outcomes",
                   "censored": "Open (censored)"})
    labels.update(STAGES)
    labels.update({
        "request_share": "Cases with a victim device requested (share)",
        "median_days_held": "Days a requested device was held (median)",
        "withdrawal_share_with_request": "Victim withdrawal within a year: device requested",
        "withdrawal_share_without_request": "Victim withdrawal within a year: no device request",
        "all": "All cases in the period",
    })
    return labels


def label(code: object) -> str:
    """The plain label of an outcome, outcome group or stage code."""
    text = str(code)
    return _labels().get(text, text.replace("_", " ").capitalize())


def _axes(ax: Axes | None, size: tuple[float, float] | None = None) -> Axes:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=size)
    return ax


def _no_data(ax: Axes, message: str) -> Axes:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=12,
            color="#555555", wrap=True)
    ax.set_axis_off()
    return ax


def plot_funnel(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars: cases reaching each stage, labelled with count and share of recorded.

    ``frame`` is ``attrition.funnel(cases)`` (one group), after disclosure control.

    Examples
    --------
    >>> from soteria_research.reporting.figures import plot_funnel
    >>> ax = plot_funnel(pd.DataFrame({"stage": ["recorded", "charged"], "n": [400, 20],
    ...                                "share_of_recorded": [1.0, 0.05]}))
    """
    ax = _axes(ax, (9, 3.8))
    if frame.empty:
        return _no_data(ax, "No cases in this period.")
    stages = [label(s) for s in frame["stage"]]
    counts = pd.to_numeric(frame["n"], errors="coerce")
    y = np.arange(len(frame))[::-1]
    ax.barh(y, counts.fillna(0), color=_ACCENT, alpha=0.85, height=0.65)
    top = counts.max() if counts.notna().any() else 1
    share = pd.to_numeric(frame.get("share_of_recorded", pd.Series(np.nan, index=frame.index)),
                          errors="coerce")
    for yi, n, s in zip(y, counts, share):
        text = MARKER if pd.isna(n) else (f"{n:,.0f}" + (f"  ({s:.0%})" if pd.notna(s) else ""))
        ax.text((0 if pd.isna(n) else n) + top * 0.01, yi, text, va="center", fontsize=10)
    ax.set_yticks(y, stages)
    ax.set_xlim(0, top * 1.25 if top > 0 else 1)
    ax.set_xlabel("Cases reaching the stage (share of recorded crimes)")
    ax.set_title("Where cases are lost")
    ax.grid(axis="y", visible=False)
    return ax


def plot_outcome_mix(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars: share of cases in each outcome group (open cases included).

    ``frame`` is ``attrition.outcome_mix(cases, detail="group")``, after disclosure control.
    """
    ax = _axes(ax, (9, 3.8))
    if frame.empty:
        return _no_data(ax, "No cases in this period.")
    frame = frame.sort_values("share", ascending=True, na_position="first")
    shares = pd.to_numeric(frame["share"], errors="coerce")
    y = np.arange(len(frame))
    colours = [OUTCOME_COLOURS.get(g, _ACCENT) for g in frame["outcome_group"]]
    ax.barh(y, shares.fillna(0), color=colours, height=0.65)
    for yi, s in zip(y, shares):
        ax.text((0 if pd.isna(s) else s) + 0.005, yi, MARKER if pd.isna(s) else f"{s:.0%}",
                va="center", fontsize=10)
    ax.set_yticks(y, [label(g) for g in frame["outcome_group"]])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, max(float(shares.max()) if shares.notna().any() else 0.1, 0.05) * 1.2)
    ax.set_xlabel("Share of recorded crimes")
    ax.set_title("How investigations ended (or are still open)")
    ax.grid(axis="y", visible=False)
    return ax


def _alone(xs: np.ndarray, est: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Points with an interval whose neighbours on the axis (x - 1, x + 1) have none.

    >>> _alone(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.6, np.nan, 0.5, 0.4]),
    ...        np.full(4, 0.3), np.full(4, 0.8)).tolist()
    [True, False, False, False]
    """
    shown = np.isfinite(est) & np.isfinite(low) & np.isfinite(high)
    drawn = set(xs[shown].tolist())
    return shown & np.array([x - 1 not in drawn and x + 1 not in drawn for x in xs.tolist()],
                            dtype=bool)


def plot_cohort_trends(frame: pd.DataFrame, *, ax: Axes | None = None,
                       outcomes: tuple[str, ...] = ("charge", "victim_withdrawal",
                                                    "evidential_difficulty")) -> Axes:
    """Lines with 95% bands: share of each recording cohort with each outcome within the window
    (a bar for a cohort printed between hidden ones, which has no band to either side).

    ``frame`` is ``attrition.cohort_rates(cases)``, after disclosure control.
    """
    ax = _axes(ax)
    data = frame[frame["outcome"].isin(outcomes)] if len(frame) else frame
    if data.empty or pd.to_numeric(data["estimate"], errors="coerce").notna().sum() == 0:
        return _no_data(ax, "No recording cohort has a full year of follow-up yet,\n"
                            "or every cohort figure is suppressed.")
    cohorts = list(dict.fromkeys(data["cohort"].astype(str)))
    x = {c: i for i, c in enumerate(cohorts)}
    for outcome in outcomes:
        part = data[data["outcome"].eq(outcome)]
        if part.empty:
            continue
        xs = part["cohort"].astype(str).map(x)
        colour = OUTCOME_COLOURS.get(outcome, _ACCENT)
        est = pd.to_numeric(part["estimate"], errors="coerce")
        ax.plot(xs, est, marker="o", color=colour, label=label(outcome), linewidth=2)
        low = pd.to_numeric(part["ci_low"], errors="coerce").to_numpy(dtype=float)
        high = pd.to_numeric(part["ci_high"], errors="coerce").to_numpy(dtype=float)
        ax.fill_between(xs, low, high, color=colour, alpha=0.15, linewidth=0)
        # a cohort printed between hidden ones has no band (one is drawn between cohorts)
        alone = _alone(xs.to_numpy(dtype=float), est.to_numpy(dtype=float), low, high)
        ax.vlines(xs.to_numpy(dtype=float)[alone], low[alone], high[alone], color=colour,
                  alpha=0.25, linewidth=8)
    step = max(1, -(-len(cohorts) // 8))
    ax.set_xticks(range(0, len(cohorts), step), cohorts[::step], rotation=0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("When the crime was recorded")
    ax.set_ylabel("Share within a year")
    ax.set_title("Outcomes within a year of recording")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if pd.to_numeric(data["estimate"], errors="coerce").isna().any():
        # A reader must not mistake a hidden point for a missing year or a zero.
        ax.annotate("Points not drawn are hidden by disclosure control (see the appendix).",
                    xy=(0, -0.18), xycoords="axes fraction", fontsize=9, color="#555555")
    return ax


def plot_cumulative_incidence(frame: pd.DataFrame, *, ax: Axes | None = None,
                              max_days: float | None = 730,
                              by: str | Sequence[str] | None = None,
                              tests: pd.DataFrame | None = None) -> Axes:
    """Step curves: cumulative incidence of each competing outcome over days since recording.

    ``frame`` is tidy ``outcome, time, cif, ci_low, ci_high`` (``survival.cumulative_incidence``),
    after disclosure control (coarsened steps, cut where few remain at risk). With group
    columns (``cumulative_incidence(tte, by=...)``) there is one curve per group and outcome:
    the outcome sets the colour and the group the line style (or, for a single outcome, the
    group sets the colour); ``by`` names the group columns, found by themselves when left out.
    ``tests`` (``survival.gray_test(tte, by=...)``) prints Gray's test of equal cumulative
    incidence between the groups under the figure, for the outcomes drawn.

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research.reporting.figures import plot_cumulative_incidence
    >>> curve = pd.DataFrame({"force": ["a"] * 2 + ["b"] * 2, "outcome": ["charge"] * 4,
    ...                       "time": [0, 30] * 2, "cif": [0, 0.1, 0, 0.2]})
    >>> len(plot_cumulative_incidence(curve).get_lines())
    2
    """
    ax = _axes(ax)
    if frame.empty or pd.to_numeric(frame["cif"], errors="coerce").notna().sum() == 0:
        return _no_data(ax, "Too few cases to show time to outcome safely.")
    groups = _curve_groups(frame, by)
    keys = frame[groups].astype(str).agg(" · ".join, axis=1) if groups else pd.Series(
        "", index=frame.index)
    group_names = list(dict.fromkeys(keys))
    outcomes = list(dict.fromkeys(frame["outcome"]))
    by_colour = len(outcomes) == 1 and len(group_names) > 1
    styles = ["-", "--", ":", "-."]
    palette = plt.get_cmap("tab10")
    for (key, outcome), part in frame.groupby([keys, frame["outcome"]], sort=False):
        part = part.sort_values("time")
        if max_days is not None:
            part = part[part["time"] <= max_days]
        g = group_names.index(key)
        colour = palette(g % 10) if by_colour else OUTCOME_COLOURS.get(str(outcome), _ACCENT)
        style = "-" if by_colour else styles[g % len(styles)]
        text = label(outcome) if not key else (key if by_colour else f"{label(outcome)}: {key}")
        cif = pd.to_numeric(part["cif"], errors="coerce")
        # A curve of one step (a rare outcome in a small force, coarsened) draws no line: a
        # point, or its legend entry names a curve no one can see.
        ax.step(part["time"], cif, where="post", color=colour, linestyle=style, linewidth=2,
                label=text, marker="o" if cif.notna().sum() == 1 else None, markersize=5)
        if "ci_low" in part and (len(group_names) == 1 or by_colour):
            low = pd.to_numeric(part["ci_low"], errors="coerce").to_numpy(dtype=float)
            high = pd.to_numeric(part["ci_high"], errors="coerce").to_numpy(dtype=float)
            ax.fill_between(part["time"], low, high, step="post", color=colour, alpha=0.15,
                            linewidth=0)
            if cif.notna().sum() == 1:  # a point has no band: its interval as a bar
                one = cif.notna().to_numpy() & np.isfinite(low) & np.isfinite(high)
                ax.vlines(part["time"].to_numpy(dtype=float)[one], low[one], high[one],
                          color=colour, alpha=0.25, linewidth=8)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.set_xlabel("Days since the crime was recorded")
    ax.set_ylabel("Share of cases with the outcome")
    ax.set_title("Time to outcome: each outcome, with the others competing")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if tests is not None and len(tests):
        shown = tests[tests["outcome"].isin(outcomes)]
        words = "; ".join(f"{label(row.outcome)}: p {_p_value(row.p)}"
                          for row in shown.itertuples(index=False))
        if words:
            ax.annotate(textwrap.fill("Gray's test that the groups' curves are the same: "
                                      + words + ".", 110), xy=(0, -0.16),
                        xycoords="axes fraction", va="top", fontsize=9, color="#444444")
    return ax


def _p_value(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "not computed"
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


#: Columns of a cumulative-incidence frame that are not group columns.
_CURVE_COLUMNS = frozenset({"outcome", "time", "cif", "se", "ci_low", "ci_high", "n_at_risk",
                            "n_events"})


def _curve_groups(frame: pd.DataFrame, by: str | Sequence[str] | None) -> list[str]:
    if by is not None:
        groups = [by] if isinstance(by, str) else list(by)
        missing = [g for g in groups if g not in frame.columns]
        if missing:
            raise ParameterError(f"by={missing} is not a column of the curve frame.")
        return groups
    return [c for c in frame.columns if c not in _CURVE_COLUMNS]


def plot_forest(frame: pd.DataFrame, *, ax: Axes | None = None, term: str = "term",
                hue: str | None = None, reference: float = 1.0,
                xlabel: str = "Hazard ratio (95% interval, log scale)") -> Axes:
    """Forest plot of ratios (hazard or odds) with 95% intervals on a log scale.

    ``frame`` has ``term, estimate, ci_low, ci_high`` and optionally a ``hue`` column (such as
    ``outcome``) to draw several models side by side; suppressed rows are marked "[c]".
    """
    data = frame.copy()
    terms = list(dict.fromkeys(data[term].astype(str)))
    ax = _axes(ax, (9, max(2.5, 0.42 * len(terms) + 1.2)))
    if data.empty:
        return _no_data(ax, "No model could be fitted safely on these cases.")
    groups = list(dict.fromkeys(data[hue])) if hue else [None]
    offsets = np.linspace(-0.18, 0.18, len(groups)) if len(groups) > 1 else [0.0]
    y_of = {t: len(terms) - 1 - i for i, t in enumerate(terms)}
    for offset, group in zip(offsets, groups):
        part = data if group is None else data[data[hue].eq(group)]
        y = part[term].astype(str).map(y_of).to_numpy() + offset
        est = pd.to_numeric(part["estimate"], errors="coerce").to_numpy()
        low = pd.to_numeric(part["ci_low"], errors="coerce").to_numpy()
        high = pd.to_numeric(part["ci_high"], errors="coerce").to_numpy()
        colour = OUTCOME_COLOURS.get(str(group), _ACCENT) if group is not None else _ACCENT
        shown = np.isfinite(est) & np.isfinite(low) & np.isfinite(high)
        ax.errorbar(est[shown], y[shown], xerr=[est[shown] - low[shown], high[shown] - est[shown]],
                    fmt="o", color=colour, capsize=3, markersize=6,
                    label=None if group is None else label(group))
        for yi in y[~shown]:
            ax.text(reference, yi, MARKER, va="center", ha="center", fontsize=9, color="#555555")
    ax.axvline(reference, color="#555555", linewidth=1, linestyle="--")
    ax.set_xscale("log")
    ticks = [0.125, 0.25, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3, 4, 8]
    ax.autoscale_view()
    low, high = ax.get_xlim()
    shown_ticks = [t for t in ticks if low <= t <= high] or [1]
    ax.set_xticks(shown_ticks, [f"{t:g}" for t in shown_ticks])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_yticks(range(len(terms)), [_term_label(t) for t in terms][::-1])
    ax.set_ylim(-0.7, len(terms) - 0.3)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    if hue:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def term_label(term: str) -> str:
    """A model term as a reader says it: ``relationship[T.stranger]`` -> ``relationship:
    stranger``, the level as the data dictionary names it (``partner or ex-partner``, not
    ``partner ex partner``; ``18 to 24``, not ``18 24``), as the "Compared with" column does.

    Examples
    --------
    >>> term_label("relationship[T.partner_ex_partner]"), term_label("victim_age_band[T.40_plus]")
    ('relationship: partner or ex-partner', 'victim age band: 40 and over')
    """
    return _term_label(term)


def _term_label(term: str) -> str:
    # statsmodels/patsy names such as "relationship[T.stranger]" read badly in a report.
    from ..analysis.covariates import _level_label

    text = term
    if "[T." in text:
        variable, level = text.split("[T.", 1)
        column = variable.strip()
        if column.startswith("C(") and column.endswith(")"):
            column = column[2:-1].split(",")[0].strip()
        level = _level_label(column.strip("`"), level.rstrip("]"))
        return f"{column.replace('_', ' ')}: {level}"
    return text.replace("_", " ")


def plot_force_funnel(points: pd.DataFrame, limits: pd.DataFrame, *, ax: Axes | None = None,
                      method: str | None = None, highlight: str | None = None,
                      names: dict[str, str] | None = None, note: str | None = None,
                      outcome: str | None = None) -> Axes:
    """Funnel plot across forces: each force's ratio or share against its precision, with limits.

    ``outcome`` (say ``"charged within a year"``) goes into the title, so that two funnels of
    one report can be told apart.

    ``points`` is ``comparison.ratio_funnel(...).points`` or ``proportion_funnel(...).points``
    (or ``force_effects``), after disclosure control: ``estimate`` and the x axis
    ``precision`` (or ``expected``). ``limits`` is ``funnel.limits`` (pass ``method=
    funnel.method``) or ``funnel.chosen_limits``. When the chosen limits are random effects,
    the outer chance-alone limit is drawn dotted beside them, so a reader sees how much wider
    the spread between forces makes the funnel. Forces outside the outer chosen limits are
    coloured; ``note`` (``funnel.note``) is printed under the figure.

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research.analysis.comparison import ratio_funnel
    >>> from soteria_research.reporting.figures import plot_force_funnel
    >>> effects = pd.DataFrame({"force": list("abcd"), "observed": [12, 40, 30, 95],
    ...                         "expected": [10.0, 45.0, 28.0, 94.0]})
    >>> funnel = ratio_funnel(effects)
    >>> ax = plot_force_funnel(funnel.points, funnel.limits, method=funnel.method)
    """
    ax = _axes(ax, (9, 5))
    if points.empty:
        return _no_data(ax, "Force effects could not be estimated.")
    x_column = "precision" if "precision" in points.columns else "expected"
    x_limits = "precision" if "precision" in limits.columns else "expected"
    ratio = "expected" in points.columns
    chance = None
    if "method" in limits.columns:
        methods = list(dict.fromkeys(limits["method"]))
        if method is None and len(methods) > 1:
            raise ParameterError("limits hold several kinds of limit: pass method=funnel.method.")
        method = method or methods[0]
        if method not in methods:
            raise ParameterError(f"method={method!r} is not in the limits ({methods}).")
        if method == "random_effects":
            chance = next((m for m in ("binomial", "poisson") if m in methods), None)
            chance = limits[limits["method"].eq(chance)] if chance else None
        limits = limits[limits["method"].eq(method)]
    kind = {"random_effects": "random-effects", "binomial": "chance-alone",
            "poisson": "chance-alone (Poisson)"}.get(method, "")
    levels = sorted(limits["level"].unique())
    for level, part in limits.groupby("level"):
        style = "--" if level < levels[-1] else "-"
        ax.plot(part[x_limits], part["lower"], style, color="#555555", linewidth=1.2)
        ax.plot(part[x_limits], part["upper"], style, color="#555555", linewidth=1.2,
                label=f"{level * 100:g}% {kind} limits".replace("  ", " "))
    if chance is not None:
        outer = chance[chance["level"].eq(chance["level"].max())]
        ax.plot(outer[x_limits], outer["lower"], ":", color="#999999", linewidth=1)
        ax.plot(outer[x_limits], outer["upper"], ":", color="#999999", linewidth=1,
                label=f"{outer['level'].iloc[0] * 100:g}% limits for chance alone")
    target = float(points["target"].iloc[0]) if "target" in points.columns else 1.0
    ax.axhline(target, color="#333333", linewidth=1)
    est = pd.to_numeric(points["estimate"], errors="coerce")
    x = pd.to_numeric(points[x_column], errors="coerce")
    position = points["position"] if "position" in points.columns else pd.Series(
        "within", index=points.index)
    colours = position.map({"above": "#D55E00", "below": "#0072B2"}).fillna("#7f8c99")
    ax.scatter(x, est, s=30, c=list(colours), alpha=0.9, zorder=3)
    if highlight is not None and highlight in set(points["force"]):
        row = points["force"].eq(highlight).to_numpy()
        ax.scatter(x[row], est[row], s=120, facecolors="none", edgecolors="#000000",
                   linewidths=2, zorder=4, label=(names or {}).get(highlight, highlight))
    hidden = int((est.isna() | x.isna()).sum())
    ax.set_xscale("log")
    # plain numbers (1, 2, 5, 10, 20...) rather than 10^0, 10^1: read by chief officers
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    about = f": {outcome}" if outcome else ""
    if ratio:
        ax.set_xlabel("Expected number of cases with the outcome (given each force's case mix)")
        ax.set_ylabel("Observed / expected")
        ax.set_title(f"Forces compared after allowing for case mix{about}")
    else:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("Cases")
        ax.set_ylabel("Share with the outcome")
        ax.set_title(f"Forces compared{about}")
    ax.legend(loc="upper right", fontsize=9)
    words = []
    if hidden:
        words.append(f"{hidden} force(s) not drawn: hidden by disclosure control.")
    if note:
        words.append(note)
    if words:
        ax.annotate("\n".join(textwrap.fill(w, 120) for w in words), xy=(0, -0.16),
                    xycoords="axes fraction", va="top", fontsize=8.5, color="#444444")
    return ax


def plot_caterpillar(frame: pd.DataFrame, *, ax: Axes | None = None,
                     names: dict[str, str] | None = None, highlight: str | None = None,
                     reference: float | None = None, by: str = "force",
                     xlabel: str | None = None) -> Axes:
    """Caterpillar plot: each force's shrunken rate with its interval, raw rate and rank interval.

    ``frame`` is ``comparison.shrunken_rates(...)`` after disclosure control: ``estimate,
    ci_low, ci_high`` (dots and bars), ``raw`` (open circles: the rate before shrinkage) and
    ``rank_low, rank_high`` (written at the right: "ranks 3-12" says how uncertain a place in a
    league table is). Forces are sorted by the shrunken estimate; hidden rows read "[c]".
    ``reference`` draws a vertical line (such as the national value).

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research.analysis.comparison import shrunken_rates
    >>> from soteria_research.reporting.figures import plot_caterpillar
    >>> forces = pd.DataFrame({"force": list("abcde"), "count": [2, 30, 41, 80, 9],
    ...                        "n": [10, 200, 300, 400, 30]})
    >>> ax = plot_caterpillar(shrunken_rates(forces, seed=1))
    >>> len(ax.get_yticklabels())
    5
    """
    rows = len(frame)
    ax = _axes(ax, (9, max(3.0, 0.24 * rows + 1.4)))
    if frame.empty:
        return _no_data(ax, "Force rates could not be estimated.")
    data = frame.assign(_est=pd.to_numeric(frame["estimate"], errors="coerce"))
    data = data.sort_values("_est", ascending=True, na_position="first").reset_index(drop=True)
    y = np.arange(rows)
    est = data["_est"].to_numpy()
    low = pd.to_numeric(data["ci_low"], errors="coerce").to_numpy()
    high = pd.to_numeric(data["ci_high"], errors="coerce").to_numpy()
    shown = np.isfinite(est) & np.isfinite(low) & np.isfinite(high)
    colours = np.where(data[by].eq(highlight).to_numpy(), "#D55E00", _ACCENT)
    ax.hlines(y[shown], low[shown], high[shown], color=list(colours[shown]), linewidth=2)
    ax.scatter(est[shown], y[shown], s=28, c=list(colours[shown]), zorder=3,
               label="Shrunken estimate (95% interval)")
    if "raw" in data.columns:
        raw = pd.to_numeric(data["raw"], errors="coerce").to_numpy()
        ax.scatter(raw[shown], y[shown], s=22, facecolors="none", edgecolors="#777777",
                   zorder=2, label="Raw rate")
    for yi, ok, row in zip(y, shown, data.itertuples(index=False)):  # one label per force
        text = MARKER if not ok else (f"ranks {int(row.rank_low)}–{int(row.rank_high)}"
                                      if hasattr(row, "rank_low") else "")
        ax.text(1.01, yi, text, transform=ax.get_yaxis_transform(), va="center", fontsize=8,
                color="#555555")
    if reference is not None:
        ax.axvline(reference, color="#333333", linewidth=1, linestyle="--")
    ax.set_yticks(y, [(names or {}).get(f, f) for f in data[by]], fontsize=8)
    ax.set_ylim(-0.7, rows - 0.3)
    if "expected" not in data.columns:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(xlabel or "Rate (shrunken towards the national value for small forces)")
    ax.set_title("Forces ranked, with how uncertain each place is")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", fontsize=8)
    return ax
