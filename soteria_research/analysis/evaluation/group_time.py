"""Callaway & Sant'Anna group-time effects on a balanced panel, with their influence functions.

Pure numpy on arrays: units (forces) × periods. :mod:`.did` turns cases into the panel, and
:mod:`.inference` turns the influence functions into intervals.

Why our own code and not a library: without covariates the estimator is a difference of
means of changes, ten lines of numpy whose influence functions are closed-form; we need those
per-force influence functions for a seeded wild cluster bootstrap by force, and none of the
Python ports is dependable enough to be the production path: ``csdid`` carried wrong
standard errors until mid-2026 (d2cml-ai/csdid #21, #76) and pulls plotnine and twine at run time;
``diff-diff`` ignored ``cluster=`` silently until May 2026 (igerber/diff-diff #487); ``moderndid``'s current
releases need Python 3.12; ``differences`` needs polars. Speed is no reason either way: the
panel is 43 forces by 20 quarters. ``csdid`` 0.4 (audited against R ``did`` 2.5) is the
oracle in ``tests/test_evaluation.py``: group-time effects, aggregations and their standard
errors agree to about 1e-15 (asserted at 1e-6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GroupTime:
    """ATT(g, t) for every group and period, and what the aggregations need.

    ``group`` and ``period`` are period indices (0 = the first period of the panel);
    ``influence`` is units × cells, scaled as R ``did`` does (``se = sqrt(sum(IF²)) / n``).
    """

    group: np.ndarray
    period: np.ndarray
    att: np.ndarray
    influence: np.ndarray
    influence_small_sample: np.ndarray
    n_treated: np.ndarray
    n_control: np.ndarray
    unit_group: np.ndarray  # each unit's first treated period index; inf = not treated here
    unit_weight: np.ndarray  # normalised to mean 1
    anticipation: int

    @property
    def se(self) -> np.ndarray:
        """Analytic (influence-function) standard errors, clustered by unit."""
        return np.sqrt((self.influence**2).sum(axis=0)) / self.influence.shape[0]

    @property
    def event_time(self) -> np.ndarray:
        return self.period - self.group


def group_time_effects(outcome: np.ndarray, first_period: np.ndarray,
                       weight: np.ndarray | None = None, *, anticipation: int = 0) -> GroupTime:
    """ATT(g, t) with not-yet-treated controls and a varying base period (R ``did`` defaults).

    Parameters
    ----------
    outcome : array, units × periods
        A balanced panel: no missing values.
    first_period : array of units
        Index of each unit's first treated period; ``inf`` for units never treated within
        the panel. Units treated in the first period must be removed beforehand.
    weight : array of units, optional
        Time-invariant unit weights (for example each force's mean cohort size).
    anticipation : int
        Periods before joining in which outcomes may already move (R's ``anticipation``):
        the base period is then ``g - 1 - anticipation`` and controls must join after
        ``t + anticipation``.

    Notes
    -----
    For post-treatment periods ``t >= g - anticipation`` the comparison is
    ``[Y(g, t) - Y(g, b)] - [Y(C, t) - Y(C, b)]`` with ``b = g - 1 - anticipation``; for
    earlier periods (the pre-period placebos) ``b = t - 1``. ``C`` are the units whose first
    treated period is after ``t + anticipation`` (never-treated included). The influence
    function of each cell is that of the two-group difference in weighted means, scaled by
    ``n / n_cell`` and zero outside the cell (Callaway & Sant'Anna 2021, eq. 2.8; DRDID's
    regression estimator with an intercept only).
    """
    y = np.asarray(outcome, dtype=float)
    g_unit = np.asarray(first_period, dtype=float)
    n, n_periods = y.shape
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=float)
    w = w / w.mean()
    groups = np.unique(g_unit[np.isfinite(g_unit)])
    cells = [(g, t) for g in groups for t in range(1, n_periods)]
    att = np.full(len(cells), np.nan)
    influence = np.zeros((n, len(cells)))
    corrected = np.zeros((n, len(cells)))
    n_treated = np.zeros(len(cells), dtype=np.int64)
    n_control = np.zeros(len(cells), dtype=np.int64)
    for j, (g, t) in enumerate(cells):
        base = int(g) - 1 - anticipation if t >= g - anticipation else t - 1
        treated = g_unit == g
        control = (g_unit > t + anticipation) & ~treated
        n_treated[j], n_control[j] = treated.sum(), control.sum()
        if base < 0 or not n_control[j]:
            continue
        inside = treated | control
        change = (y[:, t] - y[:, base])[inside]
        d = treated[inside]
        ws = w[inside] / w[inside].mean()
        p1, p0 = np.mean(ws * d), np.mean(ws * ~d)
        mean1 = np.sum(ws * d * change) / np.sum(ws * d)
        mean0 = np.sum(ws * ~d * change) / np.sum(ws * ~d)
        att[j] = mean1 - mean0
        treated_part = ws * d * (change - mean1) / p1
        control_part = ws * ~d * (change - mean0) / p0
        influence[inside, j] = (treated_part - control_part) * n / inside.sum()
        # Each mean's variance from its own k forces, divided by k - 1 rather than k (as a
        # two-sample t test does): with one to five forces in a wave the plain influence
        # function understates the variance by a factor (k - 1) / k.
        inflate1 = np.sqrt(n_treated[j] / (n_treated[j] - 1)) if n_treated[j] > 1 else 1.0
        inflate0 = np.sqrt(n_control[j] / (n_control[j] - 1)) if n_control[j] > 1 else 1.0
        corrected[inside, j] = (inflate1 * treated_part - inflate0 * control_part) * n / inside.sum()
    keep = np.isfinite(att)
    group, period = (np.array([c[i] for c in cells], dtype=float) for i in (0, 1))
    return GroupTime(group=group[keep].astype(np.int64), period=period[keep].astype(np.int64),
                     att=att[keep], influence=influence[:, keep],
                     influence_small_sample=corrected[:, keep], n_treated=n_treated[keep],
                     n_control=n_control[keep], unit_group=g_unit, unit_weight=w,
                     anticipation=anticipation)


def _weight_influence(gt: GroupTime, cells: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Influence of estimating the aggregation weights (R ``did``'s ``wif``), units × cells."""
    picked = share[cells]
    unit_in = gt.unit_weight[:, None] * (gt.unit_group[:, None] == gt.group[cells][None, :])
    numerator = unit_in - picked
    return numerator / picked.sum() - np.outer(numerator.sum(axis=1), picked / picked.sum() ** 2)


def _combine(gt: GroupTime, cells: np.ndarray, share: np.ndarray,
             with_weight_influence: bool = True) -> tuple[float, np.ndarray]:
    """A weighted average of cells and its influence function."""
    weights = share[cells] / share[cells].sum()
    estimate = float(gt.att[cells] @ weights)
    influence = gt.influence[:, cells] @ weights
    if with_weight_influence:
        influence = influence + _weight_influence(gt, cells, share) @ gt.att[cells]
    return estimate, influence


def aggregate(gt: GroupTime) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """R ``aggte``: event study ("dynamic"), per group ("group") and three overall effects.

    Returns a dict of ``name -> (labels, estimates, influence units × estimates)`` for
    ``"event_study"`` (labels: periods since joining, placebos below 0), ``"by_group"``
    (labels: group index) and ``"overall"`` (labels ``group``, ``simple``, ``dynamic``:
    the average of the group effects weighted by group size, the average of all post cells
    weighted by group size, and the mean of the event-study effects from 0 on).
    """
    share_of_group = {g: np.mean(gt.unit_weight * (gt.unit_group == g)) for g in np.unique(gt.group)}
    share = np.array([share_of_group[g] for g in gt.group])
    post = np.flatnonzero(gt.group <= gt.period)

    events = np.unique(gt.event_time)
    event_est, event_inf = zip(*(_combine(gt, np.flatnonzero(gt.event_time == e), share)
                                 for e in events), strict=True)
    event_inf = np.column_stack(event_inf)

    groups = np.unique(gt.group[post])
    group_est, group_inf = zip(*(_combine(gt, post[gt.group[post] == g], share, False)
                                 for g in groups), strict=True)
    group_est, group_inf = np.array(group_est), np.column_stack(group_inf)

    group_share = np.array([share_of_group[g] for g in groups])
    unit_in = gt.unit_weight[:, None] * (gt.unit_group[:, None] == groups[None, :])
    numerator = unit_in - group_share
    wif = numerator / group_share.sum() - np.outer(numerator.sum(axis=1),
                                                   group_share / group_share.sum() ** 2)
    overall_group = float(group_est @ group_share / group_share.sum())
    overall_group_inf = group_inf @ (group_share / group_share.sum()) + wif @ group_est

    simple, simple_inf = _combine(gt, post, share)
    after = events >= 0
    dynamic = float(np.mean(np.asarray(event_est)[after]))
    dynamic_inf = event_inf[:, after].mean(axis=1)
    return {
        "event_study": (events, np.asarray(event_est), event_inf),
        "by_group": (groups, group_est, group_inf),
        "overall": (np.array(["group", "simple", "dynamic"]),
                    np.array([overall_group, simple, dynamic]),
                    np.column_stack([overall_group_inf, simple_inf, dynamic_inf])),
    }
