"""Figures of the "Before and after joining Soteria" sections, drawn from protected frames.

Same conventions as ``reporting/figures.py``: every function draws onto Axes it is given (or
new ones) and returns them; hidden values (NaN) are left out and said to be hidden, never
drawn as zero.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from .figures import _ACCENT, _axes, _no_data

__all__ = ["plot_force_before_after", "plot_force_cohorts", "plot_programme_event_study"]

_BEFORE = "#8C8C8C"
_HIDDEN_NOTE = "Points not drawn are hidden by disclosure control (see the appendix)."


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce") if column in frame else pd.Series(
        np.nan, index=frame.index)


def _points_with_bars(x: pd.Series, estimate: pd.Series, low: pd.Series, high: pd.Series,
                      rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x, y, yerr`` of ``errorbar`` for the chosen rows, as arrays: matplotlib reads a
    one-row Series with ``float()``, which pandas deprecates (a force with one quarter
    shown warned, and will fail on a later pandas)."""
    below = (estimate - low)[rows].clip(lower=0).to_numpy(dtype=float)
    above = (high - estimate)[rows].clip(lower=0).to_numpy(dtype=float)
    return (x[rows].to_numpy(dtype=float), estimate[rows].to_numpy(dtype=float),
            np.vstack([below, above]))


def _joining_line(ax: Axes) -> None:
    ax.axvline(-0.5, color="#444444", linestyle="--", linewidth=1)
    ax.annotate("joined", xy=(-0.5, 1.0), xycoords=("data", "axes fraction"), va="top",
                xytext=(3, 0), textcoords="offset points", fontsize=9, color="#444444")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _legend_below(ax: Axes, hidden: bool) -> None:
    legend = ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=2, fontsize=9)
    if hidden:
        # A reader must not mistake a hidden point for a missing quarter or a zero. Placed
        # under the legend itself (its box, at draw time): at a fixed axes fraction it was
        # written over a legend of two rows.
        ax.annotate(_HIDDEN_NOTE, xy=(0.5, 0), xycoords=legend, xytext=(0, -4),
                    textcoords="offset points", ha="center", va="top", fontsize=9,
                    color="#555555")


def plot_force_cohorts(frame: pd.DataFrame, *, ax: Axes | None = None,
                       name: str = "This force") -> Axes:
    """Share of each quarterly cohort charged within 365 days, by quarters since joining.

    ``frame`` is ``programme_section.force_cohorts`` after disclosure control
    (``periods_since_joining, phase, estimate, ci_low, ci_high``); 95% intervals (Wilson, at
    the effective sample size of officers' alike cases) as bars, cohorts before joining in
    grey and after in blue.

    Examples
    --------
    >>> frame = pd.DataFrame({"periods_since_joining": [-1, 0], "phase": ["before joining",
    ...     "after joining"], "estimate": [0.05, 0.07], "ci_low": [0.03, 0.05],
    ...     "ci_high": [0.08, 0.1]})
    >>> len(plot_force_cohorts(frame).collections) > 0
    True
    """
    ax = _axes(ax)
    estimate = _numbers(frame, "estimate") if len(frame) else pd.Series(dtype=float)
    if frame.empty:
        return _no_data(ax, f"{name}: no quarter of recording has had\n"
                            "365 days of follow-up yet.")
    if estimate.notna().sum() == 0:
        # the quarters exist but disclosure control hid each one (too few cases or charges)
        return _no_data(ax, f"{name}: each quarter holds too few cases or charges\n"
                            "to show (hidden by disclosure control);\n"
                            "the table below pools the quarters\nbefore and after joining.")
    x = _numbers(frame, "periods_since_joining")
    low, high = _numbers(frame, "ci_low"), _numbers(frame, "ci_high")
    for phase, colour in (("before joining", _BEFORE), ("after joining", _ACCENT)):
        rows = frame["phase"].eq(phase).to_numpy() & estimate.notna().to_numpy()
        if not rows.any():
            continue
        ax.errorbar(*_points_with_bars(x, estimate, low, high, rows),
                    fmt="o", color=colour, ecolor=colour, elinewidth=1.2, capsize=2,
                    label=f"Recorded {phase}")
    _joining_line(ax)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Quarters since joining (0 = the quarter holding the start date)")
    ax.set_ylabel("Charged within 365 days")
    ax.set_title(f"{name}: its own cohorts")
    _legend_below(ax, bool(estimate.isna().any()))
    return ax


def plot_programme_event_study(frame: pd.DataFrame, *, ax: Axes | None = None,
                               title: str = "National staggered comparison",
                               message: str = "") -> Axes:
    """Event study: difference in the share charged within 365 days, by quarters since joining.

    ``frame`` is the protected national event study (``programme_section.protect_national``:
    ``quarters_since_joining, kind, estimate, ci_low, ci_high``, optionally ``band_low,
    band_high``). Placebos before joining in grey (flat near zero is what parallel trends
    predict), effects from joining on in blue, 95% pointwise intervals as bars and the
    simultaneous band shaded. ``message`` is shown instead when there is nothing to draw.

    Examples
    --------
    >>> frame = pd.DataFrame({"quarters_since_joining": ["-1", "0"], "kind": ["placebo",
    ...     "effect"], "estimate": [0.0, 0.02], "ci_low": [-0.01, 0.0], "ci_high": [0.01, 0.04]})
    >>> plot_programme_event_study(frame).get_title()
    'National staggered comparison'
    """
    ax = _axes(ax)
    estimate = _numbers(frame, "estimate") if len(frame) else pd.Series(dtype=float)
    if frame.empty or estimate.notna().sum() == 0:
        if message:  # a sentence of the report: wrapped to the panel, without Markdown
            message = message.replace("`", "")
            message = textwrap.fill(message[:1].upper() + message[1:], width=48)
        return _no_data(ax, message or "The national comparison could not be estimated\n"
                                       "or every estimate is hidden.")
    column = "quarters_since_joining" if "quarters_since_joining" in frame else \
        "periods_since_joining"
    x = _numbers(frame, column)
    low, high = _numbers(frame, "ci_low"), _numbers(frame, "ci_high")
    after = frame["kind"].astype(str).str.startswith("effect").to_numpy()
    band_low, band_high = _numbers(frame, "band_low"), _numbers(frame, "band_high")
    if band_low.notna().any():
        shown = band_low.notna().to_numpy()
        ax.vlines(x[shown], band_low[shown], band_high[shown], color=_ACCENT, alpha=0.15,
                  linewidth=9, label="95% band over all quarters at once")
    for rows, colour, text in ((~after, _BEFORE, "Before joining (placebo)"),
                               (after, _ACCENT, "After joining")):
        rows = rows & estimate.notna().to_numpy()
        if not rows.any():
            continue
        ax.errorbar(*_points_with_bars(x, estimate, low, high, rows),
                    fmt="o", color=colour, ecolor=colour, elinewidth=1.2, capsize=2, label=text)
    ax.axhline(0, color="#444444", linewidth=1)
    _joining_line(ax)
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _: "0" if abs(v) < 1e-12 else f"{100 * v:+.1f}".replace("-", "\u2212")))
    ax.set_xlabel("Quarters since joining (0 = the quarter holding the start date)")
    ax.set_ylabel("Difference in share charged\n(percentage points)")
    ax.set_title(title)
    _legend_below(ax, bool(estimate.isna().any()))
    return ax


def plot_force_before_after(cohorts: pd.DataFrame, national: pd.DataFrame, *,
                            name: str = "This force", message: str = "",
                            axes=None) -> np.ndarray:
    """The force section's figure: its own cohorts (left) beside the national event study
    (right). Both from protected frames; returns the two Axes.

    Examples
    --------
    >>> empty = pd.DataFrame(columns=["periods_since_joining", "phase", "estimate"])
    >>> len(plot_force_before_after(empty, empty.rename(columns={"phase": "kind"})))
    2
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    plot_force_cohorts(cohorts, ax=axes[0], name=name)
    plot_programme_event_study(national, ax=axes[1], message=message,
                               title="England and Wales: staggered comparison")
    axes[0].figure.suptitle("Cohorts recorded each quarter, followed for 365 days "
                            "(only quarters with full follow-up)", fontsize=10, y=1.0,
                            x=0.01, ha="left", color="#444444")
    axes[0].figure.tight_layout()
    return np.asarray(axes)
