"""Cox proportional-hazards regression that agrees with R's ``survival::coxph`` to the digit:
Efron/Breslow ties, strata, case weights, delayed entry, robust errors, cox.zph, concordance.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, stats

from soteria_research.analysis.covariates import (
    reference_levels,
    term_references,
    with_reference_levels,
)
from soteria_research.analysis.model_results import FitDiagnostics, HazardModelResults
from soteria_research.analysis.outcomes import did_you_mean
from soteria_research.errors import ModelError, ParameterError

__all__ = ["CoxResults", "cause_specific", "fit_cox"]

# Why our own engine rather than a library: lifelines, statsmodels' PHReg and scikit-survival
# are each slower on a million rows (far slower with untied times), statsmodels counts a
# subject whose entry time equals an event time as at risk then, and lifelines' robust errors
# on tied data are 1-3.5% below R's. Here each Newton step is one vectorised numpy pass: rows
# sorted once by (stratum, time), risk-set sums as reverse cumulative sums (minus those not
# yet entered), Efron's d terms of a tie group reduced to per-group scalar sums, and the
# information matrix as one X' diag(v) X product, never an n x p x p array.

# R's coxph.control defaults: eps = 1e-9 on the relative change of the log likelihood,
# 20 iterations, toler.inf = sqrt(eps) for the "coefficient may be infinite" check.
_EPS = 1e-9
_MAX_ITER = 20
_TOLER_INF = np.sqrt(_EPS)
_TOLER_COLLINEAR = 1e-9


def _one_blas_thread():
    """The products here are thin (p x n by n x p): BLAS threads only add synchronisation, and
    on a busy 2-core machine they made the information matrix 10-20 times slower."""
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


# ----------------------------------------------------------------------------------------
# the prepared data: sorted once, reused by every Newton step
# ----------------------------------------------------------------------------------------
@dataclass
class _RiskSets:
    """Rows sorted by (stratum, stop, deaths first), with the index arithmetic of risk sets.

    A tie group is one (stratum, event time); its deaths are contiguous rows
    ``pos_stop[g] : pos_stop[g] + n_dead[g]``.
    """

    X: np.ndarray            # n x p, centred, in sorted order
    weight: np.ndarray       # n
    event: np.ndarray        # n bool
    stop: np.ndarray         # n, original time scale
    start: np.ndarray | None
    order: np.ndarray        # row of the caller's (complete-case) data for each sorted row
    key_stop: np.ndarray     # stratum * M + rank(stop)
    key_start: np.ndarray    # stratum * M + rank(start) (rank 0 when no entry)
    start_order: np.ndarray | None  # rows sorted by key_start (None: nothing to subtract)
    pos_stop: np.ndarray     # per group: first sorted row with key_stop >= group key
    pos_start: np.ndarray | None
    group_key: np.ndarray    # G tie groups, ascending
    event_rows: np.ndarray   # rows with an event, grouped
    event_group: np.ndarray  # group of each event row
    n_dead: np.ndarray       # events per group (unweighted, as R's Efron uses)
    dead_weight: np.ndarray  # summed case weights of the deaths per group
    dead_wx: np.ndarray      # G x p: summed w * x of the deaths per group (fixed)
    term_group: np.ndarray   # Efron terms (one per death): their group
    term_frac: np.ndarray    # Efron's k / d per term (0 for Breslow)
    row_first: np.ndarray | None  # per row: groups with key <= key_start (None: all 0)
    row_last: np.ndarray     # per row: groups with key <= key_stop
    efron: bool              # some tie group has Efron terms with k/d > 0
    one_term_per_group: bool  # every group has one event: terms are groups
    work: dict = field(default_factory=dict)  # n-sized scratch arrays reused by every pass

    def buffer(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A scratch array kept between Newton steps: fresh large allocations cost page
        faults that, on a million rows, take longer than the arithmetic."""
        buf = self.work.get(name)
        if buf is None or buf.shape != shape:
            buf = self.work[name] = np.empty(shape)
        return buf


def _prepare(X, stop, event, weight, stratum, start, ties) -> _RiskSets:
    """Sort once and precompute the risk-set bookkeeping shared by every Newton step."""
    # Keys are dense ranks of (stratum, time), so comparing keys compares times within a
    # stratum and puts every earlier stratum below every later one.
    stratum = stratum.astype(np.int64)
    one_stratum = stratum.min() == stratum.max() if len(stratum) else True
    if start is None:
        order = (np.lexsort((~event, stop)) if one_stratum
                 else np.lexsort((~event, stop, stratum)))  # deaths first within a tie
        X, stop, event, weight, stratum = (a[order] for a in (X, stop, event, weight, stratum))
        new_key = np.r_[True, (stop[1:] != stop[:-1]) | (stratum[1:] != stratum[:-1])]
        key_stop = np.cumsum(new_key)
        # no entry times: a row is at risk from the start of its stratum, i.e. its start key
        # is the last key of the stratum before
        new_stratum = np.r_[True, stratum[1:] != stratum[:-1]]
        key_start = key_stop[np.maximum.accumulate(np.where(new_stratum,
                                                             np.arange(len(stop)), 0))] - 1
    else:
        both_time = np.concatenate([stop, start])
        both_stratum = np.concatenate([stratum, stratum])
        by_key = np.lexsort((both_time, both_stratum))
        t_sorted, s_sorted = both_time[by_key], both_stratum[by_key]
        dense = np.cumsum(np.r_[True, (t_sorted[1:] != t_sorted[:-1])
                                | (s_sorted[1:] != s_sorted[:-1])])
        keys = np.empty(len(both_time), dtype=np.int64)
        keys[by_key] = dense
        key_stop, key_start = keys[: len(stop)], keys[len(stop):]
        order = np.lexsort((~event, key_stop))  # deaths first within a tie group
        X, stop, event, weight, start, key_stop, key_start = (
            a[order] for a in (X, stop, event, weight, start, key_stop, key_start))

    event_rows = np.flatnonzero(event)
    group_key, first_death, n_dead = np.unique(key_stop[event_rows], return_index=True,
                                               return_counts=True)
    event_group = np.repeat(np.arange(len(group_key)), n_dead)
    pos_stop = np.searchsorted(key_stop, group_key, side="left")
    dead_weight = np.add.reduceat(weight[event_rows], first_death)
    dead_wx = np.add.reduceat(X[event_rows] * weight[event_rows, None], first_death, axis=0)
    rank_in_group = np.arange(len(event_rows)) - first_death[event_group]
    term_frac = (rank_in_group / n_dead[event_group] if ties == "efron"
                 else np.zeros(len(event_rows)))
    # Rows whose start is at or after an event time are not at risk then: subtract them.
    # With one stratum and no entry times there is nothing to subtract.
    if start is not None or not one_stratum:
        start_order = np.argsort(key_start, kind="stable")
        pos_start = np.searchsorted(key_start[start_order], group_key, side="left")
        row_first = np.searchsorted(group_key, key_start, side="right")
    else:
        start_order = pos_start = row_first = None
    return _RiskSets(
        X=X, weight=weight, event=event, stop=stop, start=start, order=order,
        key_stop=key_stop, key_start=key_start, start_order=start_order, pos_stop=pos_stop,
        pos_start=pos_start, group_key=group_key,
        event_rows=event_rows, event_group=event_group, n_dead=n_dead,
        dead_weight=dead_weight, dead_wx=dead_wx, term_group=event_group,
        term_frac=term_frac, row_first=row_first,
        row_last=np.searchsorted(group_key, key_stop, side="right"),
        efron=bool((term_frac > 0).any()), one_term_per_group=bool((n_dead == 1).all()),
    )


def _reverse_cumsum(values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Sums from each row to the end, with a zero row appended (index n means 'nothing')."""
    if out is None:
        out = np.empty((values.shape[0] + 1,) + values.shape[1:])
    out[-1] = 0.0
    np.cumsum(values[::-1], axis=0, out=out[-2::-1])
    return out


def _risk_sums(rs: _RiskSets, q: np.ndarray, *, deaths: bool = False):
    """Per tie group, the sum of ``q`` over the rows at risk (start < t <= stop, same stratum),
    and with ``deaths=True`` also over the group's deaths (contiguous rows from pos_stop).

    The results live in scratch buffers: they are valid until the next call.
    """
    n_groups = len(rs.pos_stop)
    shape = (q.shape[0] + 1,) + q.shape[1:]
    tail = _reverse_cumsum(q, rs.buffer("tail", shape))
    total = np.take(tail, rs.pos_stop, axis=0, out=rs.buffer("total", (n_groups,) + q.shape[1:]))
    dead = None
    if deaths:
        dead = np.take(tail, rs.pos_stop + rs.n_dead, axis=0,
                       out=rs.buffer("dead", (n_groups,) + q.shape[1:]))
        np.subtract(total, dead, out=dead)
    if rs.start_order is not None:
        by_start = np.take(q, rs.start_order, axis=0, out=rs.buffer("by_start", q.shape))
        tail = _reverse_cumsum(by_start, tail)
        total -= np.take(tail, rs.pos_start, axis=0,
                         out=rs.buffer("entered", (n_groups,) + q.shape[1:]))
    return (total, dead) if deaths else total


def _per_row_cumulative(rs: _RiskSets, per_group: np.ndarray,
                        out: np.ndarray | None = None) -> np.ndarray:
    """For each row, the sum of ``per_group`` over the tie groups at which the row is at risk."""
    cum = np.concatenate([np.zeros((1,) + per_group.shape[1:]), np.cumsum(per_group, axis=0)])
    out = np.take(cum, rs.row_last, axis=0, out=out)
    if rs.row_first is not None:
        out -= cum[rs.row_first]
    return out


@dataclass
class _Pass:
    """One evaluation of the partial likelihood, and the per-group sums residuals reuse.

    Efron's d terms of a tie group have denominators D_k = D - f_k Dd (f_k = k/d), so every
    sum over terms is a per-group combination of the risk-set sums (D, A), the deaths' sums
    (Dd, Ad) and scalar sums over k: S0 = wt sum 1/D_k, S1 = wt sum f/D_k, T0, T1, T2 the same
    with 1/D_k^2 and f^0, f^1, f^2 (wt = mean case weight of the deaths). A and Ad live in
    scratch buffers, valid until the next pass.
    """

    loglik: float
    score: np.ndarray
    info: np.ndarray | None
    eta: np.ndarray          # centred linear predictor (sorted rows)
    risk: np.ndarray         # exp(eta - max eta)
    A: np.ndarray            # G x p risk-set sums of w r x
    Ad: np.ndarray           # G x p deaths' sums of w r x
    S0: np.ndarray
    S1: np.ndarray
    T0: np.ndarray
    T1: np.ndarray
    T2: np.ndarray


def _efron_pass(rs: _RiskSets, beta: np.ndarray, *, info: bool = True) -> _Pass:
    """Log partial likelihood, score and information at ``beta`` (Efron or Breslow)."""
    X, w = rs.X, rs.weight
    n, p = X.shape
    eta = X @ beta
    # A common shift of eta leaves the partial likelihood unchanged but avoids overflow.
    shift = eta.max() if n else 0.0
    q = rs.buffer("q", (n, p + 1))
    np.subtract(eta, shift, out=q[:, 0])
    np.exp(q[:, 0], out=q[:, 0])
    risk = q[:, 0].copy()
    q[:, 0] *= w
    wr = q[:, 0]
    np.multiply(X, wr[:, None], out=q[:, 1:])
    at_risk, dead = _risk_sums(rs, q, deaths=True)
    n_groups = len(rs.group_key)
    wt = rs.dead_weight / rs.n_dead
    g, f = rs.term_group, rs.term_frac
    if rs.one_term_per_group:  # no ties (or Breslow with none): one term per group
        denom = at_risk[:, 0]
        inv = 1.0 / denom
        S0, T0 = wt * inv, wt * inv * inv
        log_terms = np.log(denom)
    else:
        denom = at_risk[g, 0]
        if rs.efron:
            denom -= f * dead[g, 0]
        inv = 1.0 / denom

        def per_group(values):
            return wt * np.bincount(g, values, minlength=n_groups)

        S0, T0 = per_group(inv), per_group(inv * inv)
        log_terms = np.bincount(g, np.log(denom), minlength=n_groups)
    if rs.efron:
        S1, T1, T2 = per_group(f * inv), per_group(f * inv * inv), per_group(f * f * inv * inv)
    else:
        S1 = T1 = T2 = np.zeros(n_groups)
    A, Ad = at_risk[:, 1:], dead[:, 1:]
    loglik = float(np.dot(rs.dead_weight, (rs.dead_wx @ beta) / rs.dead_weight - shift)
                   - np.dot(wt, log_terms))
    score = rs.dead_wx.sum(axis=0) - (A.T @ S0 - Ad.T @ S1)
    result = _Pass(loglik=loglik, score=score, info=None, eta=eta, risk=risk, A=A, Ad=Ad,
                   S0=S0, S1=S1, T0=T0, T1=T1, T2=T2)
    if info:
        result.info = _information(rs, result, wr)
    return result


def _information(rs: _RiskSets, fit: _Pass, wr: np.ndarray,
                 time_weight: np.ndarray | None = None) -> np.ndarray:
    """Sum over Efron terms of tw * wt * (C_k / D_k - a_k a_k'), as X' diag(v) X minus a
    per-group correction; ``time_weight`` (per tie group) gives cox.zph's blocks."""
    tw = 1.0 if time_weight is None else time_weight
    v = _per_row_cumulative(rs, tw * fit.S0, out=rs.buffer("v", wr.shape))
    if rs.efron:
        v[rs.event_rows] -= (tw * fit.S1)[rs.event_group]
    v *= wr
    A, Ad = fit.A, fit.Ad
    means = (A.T * (tw * fit.T0)) @ A
    if rs.efron:
        cross = (A.T * (tw * fit.T1)) @ Ad
        means += (Ad.T * (tw * fit.T2)) @ Ad - cross - cross.T
    xv = np.multiply(rs.X, v[:, None], out=rs.buffer("xv", rs.X.shape))
    return xv.T @ rs.X - means


def _score_residuals(rs: _RiskSets, fit: _Pass) -> np.ndarray:
    """Unweighted score residuals per sorted row (R's ``residuals(fit, "score")``)."""
    X, g, ev = rs.X, rs.event_group, rs.event_rows
    cum_hazard = _per_row_cumulative(rs, fit.S0)
    xhaz = _per_row_cumulative(rs, fit.A * fit.T0[:, None] - fit.Ad * fit.T1[:, None])
    resid = -fit.risk[:, None] * (X * cum_hazard[:, None] - xhaz)
    # Efron: a death gets (x - the mean of its group's d means), plus a correction because it
    # was only partly in the risk set for the later terms of its tie group.
    mean_of_means = (fit.A * fit.S0[:, None] - fit.Ad * fit.S1[:, None]) \
        / rs.dead_weight[:, None]
    mh2 = fit.A * fit.T1[:, None] - fit.Ad * fit.T2[:, None]
    resid[ev] += (X[ev] - mean_of_means[g]) + fit.risk[ev, None] * (
        X[ev] * fit.S1[g, None] - mh2[g])
    return resid


# ----------------------------------------------------------------------------------------
# Newton-Raphson, as R's coxfit6 does it
# ----------------------------------------------------------------------------------------
def _collinear_columns(info: np.ndarray) -> list[int]:
    """Columns of the information matrix that are (near) linear combinations of earlier ones."""
    keep: list[int] = []
    dropped: list[int] = []
    for j in range(info.shape[0]):
        d = info[j, j]
        if d > 0 and keep:
            kk = np.array(keep)
            with warnings.catch_warnings():  # near-collinearity is what this measures
                warnings.simplefilter("ignore", linalg.LinAlgWarning)
                d = d - info[j, kk] @ linalg.solve(info[np.ix_(kk, kk)], info[kk, j],
                                                   assume_a="pos")
        if not np.isfinite(d) or d <= _TOLER_COLLINEAR * max(info[j, j], 1e-300):
            dropped.append(j)
        else:
            keep.append(j)
    return dropped


def _newton(rs: _RiskSets, first: _Pass | None = None, max_iter: int = _MAX_ITER):
    """Maximise the partial likelihood from 0 with step halving; R's convergence rule."""
    p = rs.X.shape[1]
    beta = np.zeros(p)
    current = first if first is not None else _efron_pass(rs, beta)
    loglik_null = current.loglik
    converged = p == 0
    iterations = 0
    score_test = float(current.score @ _solve(current.info, current.score)) if p else 0.0
    new_beta = beta + _solve(current.info, current.score) if p else beta
    halving = 0
    while not converged and iterations < max_iter:
        iterations += 1
        # a trial step can go far enough (a covariate that separates the outcome) that some
        # risk sets' sums underflow to 0: its log-likelihood is then not finite and the step
        # is halved below, as R's coxfit6 does, so numpy's warnings about it say nothing
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            trial = _efron_pass(rs, new_beta)
        # a step whose risk sets overflow can leave the log-likelihood finite but not the
        # information: it is no better a step than one whose log-likelihood is not finite
        usable = bool(np.isfinite(trial.loglik) and np.isfinite(trial.score).all()
                      and np.isfinite(trial.info).all())
        if usable and halving == 0 and (
                abs(1 - current.loglik / trial.loglik) <= _EPS if trial.loglik != 0
                else abs(current.loglik) <= _EPS):
            current, beta, converged = trial, new_beta, True
            break
        if not usable or trial.loglik < current.loglik:
            halving += 1
            new_beta = (new_beta + beta) / 2
        else:
            halving = 0
            current, beta = trial, new_beta
            new_beta = beta + _solve(current.info, current.score)
    if iterations and current is not trial:
        # the last pass evaluated was rejected and has overwritten the scratch buffers
        current = _efron_pass(rs, beta)
    return beta, current, loglik_null, converged, iterations, score_test


def _solve(info: np.ndarray, score: np.ndarray) -> np.ndarray:
    # ill-conditioned on the way to an infinite coefficient (separation), which the fit
    # reports in its diagnostics: scipy's warning about it would only scroll past
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        try:
            return linalg.solve(info, score, assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            return linalg.lstsq(info, score)[0]


# ----------------------------------------------------------------------------------------
# concordance (Harrell's C as coxph reports it)
# ----------------------------------------------------------------------------------------
def _count_earlier_smaller(values: np.ndarray, is_point: np.ndarray,
                           weight: np.ndarray) -> np.ndarray:
    """For each position i, the summed weight of points j < i with values[j] < values[i].

    Bottom-up merge counting: log2(n) levels, each a stable sort that merges neighbouring
    sorted blocks; an element of a right block counts the left block's points before it.
    """
    n = len(values)
    out = np.zeros(n)
    if n < 2:
        return out
    # value ranks; equal values rank later positions first, so they never count (strict <)
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((-np.arange(n), values))] = np.arange(n)
    point_weight = np.where(is_point, weight, 0.0)
    order = np.arange(n)  # positions, sorted by (block, rank); blocks of one to start
    block = 1
    while block < n:
        pair = order // (2 * block)
        order = order[np.argsort(pair * n + rank[order], kind="stable")]
        pair = order // (2 * block)
        in_left = (order // block) % 2 == 0
        w_left = np.where(in_left, point_weight[order], 0.0)
        cum = np.cumsum(w_left)
        # every pair of blocks is complete and contiguous, so it starts at pair * 2 * block
        start = pair * (2 * block)
        before = cum - w_left - np.where(start > 0, cum[np.maximum(start - 1, 0)], 0.0)
        right = ~in_left
        out[order[right]] += before[right]
        block *= 2
    return out


def _concordance(rs: _RiskSets, lp: np.ndarray) -> float:
    """Harrell's C: over comparable pairs (an event and anyone still at risk after it, same
    stratum, not dying at the same time), the share where the event had the higher risk score;
    ties in risk score count half. As R's ``concordance`` for a coxph fit (timewt "n")."""
    w = rs.weight
    ev = rs.event_rows
    if len(ev) == 0:
        return np.nan
    gk = rs.key_stop[ev]
    lp_ev = lp[ev]
    lp_rank = np.unique(lp, return_inverse=True)[1].ravel().astype(np.int64)
    span = int(max(rs.key_stop.max(), rs.key_start.max())) + 2

    def smaller(keys: np.ndarray) -> np.ndarray:
        # per event: weight of rows with key >= its group key and a smaller risk score
        n_rows = len(keys)
        all_keys = np.concatenate([keys, gk])
        is_point = np.concatenate([np.ones(n_rows, bool), np.zeros(len(gk), bool)])
        seq = np.lexsort((~is_point, -all_keys))  # key descending, points first at a tie
        counts = _count_earlier_smaller(np.concatenate([lp, lp_ev])[seq], is_point[seq],
                                        np.concatenate([w, np.zeros(len(gk))])[seq])
        out = np.empty(len(all_keys))
        out[seq] = counts
        return out[n_rows:]

    def equal(keys: np.ndarray) -> np.ndarray:
        # per event: weight of rows with key >= its group key and the same risk score
        combined = lp_rank * span + keys
        order = np.argsort(combined, kind="stable")
        cum = np.concatenate([[0.0], np.cumsum(w[order])])
        sorted_keys = combined[order]
        lo = np.searchsorted(sorted_keys, lp_rank[ev] * span + gk, side="left")
        hi = np.searchsorted(sorted_keys, (lp_rank[ev] + 1) * span, side="left")
        return cum[hi] - cum[lo]

    less, tied = smaller(rs.key_stop), equal(rs.key_stop)
    if rs.start_order is not None:  # rows not yet entered, or of an earlier stratum
        less -= smaller(rs.key_start)
        tied -= equal(rs.key_start)
    # deaths of the same tie group are tied in time, not comparable (the event itself too)
    order = np.lexsort((lp_ev, rs.event_group))
    sv, sg = lp_ev[order], rs.event_group[order]
    cum = np.concatenate([[0.0], np.cumsum(w[ev][order])])
    idx = np.arange(len(sv))
    new_group = np.r_[True, sg[1:] != sg[:-1]]
    new_value = new_group | np.r_[True, sv[1:] != sv[:-1]]
    value_start = np.maximum.accumulate(np.where(new_value, idx, 0))
    value_end = np.r_[idx[new_value][1:], len(sv)][np.cumsum(new_value) - 1]
    group_start = np.maximum.accumulate(np.where(new_group, idx, 0))
    same_less, same_equal = np.empty(len(sv)), np.empty(len(sv))
    same_less[order] = cum[value_start] - cum[group_start]
    same_equal[order] = cum[value_end] - cum[value_start]
    less -= same_less
    tied -= same_equal
    risk_weight = _risk_sums(rs, w[:, None])[:, 0][rs.event_group] \
        - np.bincount(rs.event_group, w[ev])[rs.event_group]
    greater = risk_weight - less - tied
    wi = w[ev]
    concordant, discordant, ties = wi @ less, wi @ greater, wi @ tied
    total = concordant + discordant + ties
    return float((concordant + ties / 2) / total) if total > 0 else np.nan


# ----------------------------------------------------------------------------------------
# the results
# ----------------------------------------------------------------------------------------
class CoxResults(HazardModelResults):
    """A fitted Cox model: :class:`HazardModelResults` plus the proportional-hazards test.

    Examples
    --------
    >>> from soteria_research.analysis.survival import fit_cox
    >>> import pandas as pd
    >>> data = pd.DataFrame({"days": [5, 8, 12, 20, 25, 30], "event": [1, 1, 0, 1, 1, 0],
    ...                      "x": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
    >>> fit_cox(data, duration="days", event="event", covariates=["x"]).params.round(4)
    x    0.2739
    Name: log_hr, dtype: float64
    """

    def __init__(self, *args, risk_sets: _RiskSets, terms: dict[str, list[str]],
                 ties: str, final_pass: _Pass, **kwargs):
        super().__init__(*args, **kwargs)
        self._risk_sets = risk_sets
        self._final = final_pass
        self.terms_ = terms
        self.ties = ties
        self._concordance: float | None = None

    @property
    def concordance(self) -> float:
        """Harrell's C of the linear predictor, as ``coxph`` reports it (computed on demand)."""
        if self._concordance is None:
            self._concordance = (_concordance(self._risk_sets, self._final.eta)
                                 if len(self.params) else 0.5)
        return self._concordance

    @concordance.setter
    def concordance(self, value: float) -> None:
        self._concordance = None if np.isnan(value) else value

    @property
    def linear_predictor_(self) -> np.ndarray:
        """Centred linear predictor per row used (as R's ``fit$linear.predictors``)."""
        out = np.empty_like(self._final.eta)
        out[self._risk_sets.order] = self._final.eta
        return out

    def check_proportional_hazards(self, transform: str = "km") -> pd.DataFrame:
        """Score test of proportional hazards per term and global, as R's ``cox.zph``.

        Tests whether each coefficient drifts with g(t), where g is 1 - the Kaplan–Meier
        estimate just before t (``transform="km"``, R's default), ``"identity"``, ``"log"``
        or ``"rank"``. Columns ``term, chisq, df, p``; the last row is ``GLOBAL``.
        """
        names = list(self.params.index)
        if not names:
            raise ModelError("There are no covariates in this model to test for proportional "
                             "hazards.")
        with _one_blas_thread():
            return self._zph(transform, names)

    def _zph(self, transform: str, names: list[str]) -> pd.DataFrame:
        rs, fit = self._risk_sets, self._final
        t_event = rs.stop[rs.event_rows]
        gtime = _time_transform(rs, t_event, transform)
        # centred over events; one value per tie group (its deaths share the time)
        tw = (gtime - gtime.mean())[np.r_[0, np.cumsum(rs.n_dead)[:-1]]]
        wr = rs.weight * fit.risk
        u_gamma = tw @ (rs.dead_wx - fit.A * fit.S0[:, None] + fit.Ad * fit.S1[:, None])
        i11 = fit.info
        i12 = _information(rs, fit, wr, tw)
        i22 = _information(rs, fit, wr, tw * tw)
        p = len(names)
        imat = np.block([[i11, i12], [i12.T, i22]])
        u = np.concatenate([np.zeros(p), u_gamma])
        rows = []
        for term, cols in self.terms_.items():
            jj = [names.index(c) for c in cols if c in names]
            if not jj:
                continue
            kk = list(range(p)) + [p + j for j in jj]
            uu = u[kk]
            stat = float(uu @ linalg.solve(imat[np.ix_(kk, kk)], uu))
            rows.append((term, stat, len(jj)))
        rows.append(("GLOBAL", float(u @ linalg.solve(imat, u)), p))
        out = pd.DataFrame(rows, columns=["term", "chisq", "df"])
        out["p"] = stats.chi2.sf(out["chisq"], out["df"])
        return out


def _time_transform(rs: _RiskSets, t_event: np.ndarray, transform: str) -> np.ndarray:
    """g(t) at each event time, as cox.zph computes it (KM: unweighted, strata pooled)."""
    if transform == "identity":
        return t_event.astype(float)
    if transform == "log":
        return np.log(t_event)
    if transform == "rank":
        return stats.rankdata(rs.stop)[rs.event_rows]
    if transform != "km":
        raise ParameterError(f"transform={transform!r} is not one of 'km', 'identity', "
                             "'log', 'rank'.")
    # left-continuous Kaplan–Meier of all rows (counting-process risk sets when entry given)
    times = np.unique(rs.stop[rs.event])
    d = np.bincount(np.searchsorted(times, rs.stop[rs.event]), minlength=len(times))
    n_stop = len(rs.stop) - np.searchsorted(np.sort(rs.stop), times, side="left")
    if rs.start is not None:
        n_stop -= len(rs.start) - np.searchsorted(np.sort(rs.start), times, side="left")
    surv = np.cumprod(1 - d / n_stop)
    idx = np.searchsorted(times, t_event, side="left")  # index of t; KM just before it
    return 1 - np.concatenate([[1.0], surv])[idx]


# ----------------------------------------------------------------------------------------
# the public functions
# ----------------------------------------------------------------------------------------
def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _is_categorical(series: pd.Series) -> bool:
    return (isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == object
            or pd.api.types.is_string_dtype(series.dtype))


def _numeric(series: pd.Series, name: str) -> np.ndarray:
    """A column as float64 with NaN for missing (nullable Int64 and booleans included)."""
    try:
        return series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"Column {name!r} must be numeric (or text, for a categorical "
                             f"covariate); it has dtype {series.dtype}.") from exc


def _design(data: pd.DataFrame, covariates: Sequence[str] | None, formula: str | None,
            reference: Mapping[str, object] | None = None):
    """Model matrix as a float array (no intercept, treatment contrasts against each covariate's
    reference level), its column names, the columns of each term, a mask of the rows it could
    code (no missing value), and what each column compares against."""
    if formula is not None and covariates is not None:
        raise ParameterError("Give either covariates= or formula=, not both.")
    if formula is not None:
        return _formula_design(data, formula, reference)
    covariates = _as_list(covariates)
    missing = [c for c in covariates if c not in data.columns]
    if missing:
        raise ParameterError(f"Covariate column(s) {missing} are not in the data; available "
                             f"columns: {list(data.columns)}.")
    coded = with_reference_levels(data[covariates], covariates, reference)
    columns, names, terms = [], [], {}
    for col in covariates:
        s = coded[col]
        if _is_categorical(s):
            levels = (list(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype)
                      else sorted(s.dropna().unique()))
            absent = s.isna().to_numpy()
            terms[col] = []
            for level in levels[1:]:
                dummy = (s == level).to_numpy(float)
                dummy[absent] = np.nan
                columns.append(dummy)
                names.append(f"{col}[T.{level}]")
                terms[col].append(names[-1])
        else:
            columns.append(_numeric(s, col))
            names.append(col)
            terms[col] = [col]
    X = np.empty((len(data), len(columns)))
    for j, column in enumerate(columns):
        X[:, j] = column
    return X, names, terms, ~np.isnan(X).any(axis=1), term_references(coded, names)


def _formula_design(data: pd.DataFrame, formula: str,
                    reference: Mapping[str, object] | None = None):
    from formulaic import model_matrix
    rhs = formula.split("~", 1)[1] if "~" in formula else formula
    known = [c for c in reference_levels(reference) if c in data.columns]
    positional = with_reference_levels(data, known, reference).reset_index(drop=True)
    try:
        # Build with an intercept so factors get full-rank treatment contrasts, as coxph
        # does, then drop it: the baseline hazard plays its part.
        mm = model_matrix("1 + " + rhs, positional)
    except Exception as exc:  # formulaic raises many types; the user needs one
        raise ModelError(f"Could not build the model from formula {formula!r}: {exc}. "
                         "Check the column names and the syntax, for example "
                         "'C(relationship) + victim_age'.") from exc
    terms = {str(term): list(mm.columns[sl]) for term, sl in mm.model_spec.term_slices.items()
             if str(term) != "1"}
    design = pd.DataFrame(mm).drop(columns=["Intercept"], errors="ignore")
    complete = np.zeros(len(data), dtype=bool)
    complete[design.index.to_numpy()] = True  # formulaic drops rows with missing values
    X = np.full((len(data), design.shape[1]), np.nan)
    X[design.index.to_numpy()] = design.to_numpy(float)
    names = list(design.columns)
    return X, names, terms, complete, term_references(positional, names)


def _event_indicator(values: pd.Series, event: str, cause) -> tuple[np.ndarray, np.ndarray]:
    """Event flags and a mask of rows where the event column is known."""
    known = values.notna().to_numpy()
    if cause is not None:
        return (values == cause).to_numpy(bool), known
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=bool, na_value=False), known
    uniq = set(pd.unique(values.dropna()))
    if not uniq <= {0, 1}:
        raise ParameterError(
            f"Column {event!r} holds values {sorted(map(str, uniq))[:8]}, not 0/1. If it "
            "holds causes, say which counts as the event with cause=..., or use "
            "cause_specific(tte, 'charge').")
    return values.to_numpy(dtype=float, na_value=0.0) == 1, known


def fit_cox(data: pd.DataFrame, *, duration: str, event: str,
            covariates: Sequence[str] | None = None, formula: str | None = None,
            strata: str | Sequence[str] | None = None, weights: str | None = None,
            entry: str | None = None, ties: str = "efron", cluster: str | None = None,
            robust: bool | None = None, cause=None, max_iter: int = _MAX_ITER,
            reference: Mapping[str, object] | None = None) -> CoxResults:
    """Fit a Cox proportional-hazards model, agreeing with R's ``survival::coxph``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (or per interval when ``entry`` is given).
    duration : str
        Column of follow-up times (the stop time when ``entry`` is given).
    event : str
        Column of event indicators (0/1 or bool), or of causes together with ``cause=``.
    covariates : list of str, optional
        Columns used as covariates; text and categorical columns get treatment contrasts
        (named ``col[T.level]``) against their reference level: ``reference`` when given, else
        the project's (``covariates.REFERENCE_LEVELS``: acquaintance or friend, rape, female,
        white...), else the first level (categorical order, or alphabetical as R).
    formula : str, optional
        Right-hand side in Wilkinson notation, built with formulaic, e.g.
        ``"C(relationship) + victim_age"``. Use instead of ``covariates``.
    strata : str or list of str, optional
        Columns defining strata with their own baseline hazards.
    weights : str, optional
        Column of case weights (> 0), used as R does.
    entry : str, optional
        Column of delayed-entry (left-truncation) times: a row is at risk on (entry, duration],
        so a subject entering at an event time is not at risk at that time.
    ties : {"efron", "breslow"}
        Handling of tied event times (Efron is R's default).
    cluster : str, optional
        Column identifying clusters: robust (sandwich) standard errors summing dfbeta
        residuals within cluster, as ``coxph(..., cluster=)``.
    robust : bool, optional
        Robust (sandwich) standard errors, each row its own cluster unless ``cluster`` is
        given. Default as R: robust when ``cluster`` is given or the weights are not whole
        numbers. The model-based covariance stays in ``cov_params_naive_``.
    cause : optional
        When ``event`` holds causes, the value that counts as the event; others are censored.
    max_iter : int
        Newton–Raphson iterations allowed (R's ``iter.max``, 20).
    reference : mapping, optional
        Reference level per categorical covariate, such as ``{"relationship": "stranger"}``,
        over the project's defaults. Applies to ``formula`` terms too.

    Returns
    -------
    CoxResults
        ``params``, ``bse``, ``conf_int()``, ``hazard_ratios()`` (with what each term is
        compared against), ``concordance``, ``loglik``, ``diagnostics``, ``summary()`` and
        ``check_proportional_hazards()``.

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research.analysis.survival import fit_cox
    >>> data = pd.DataFrame({"days": [5, 8, 12, 20, 25, 30, 31, 40],
    ...                      "charged": [1, 1, 0, 1, 1, 0, 1, 0],
    ...                      "age": [20, 35, 41, 28, 50, 33, 22, 45]})
    >>> fit = fit_cox(data, duration="days", event="charged", covariates=["age"])
    >>> fit.hazard_ratios()[["term", "estimate"]].round(3)
      term  estimate
    0  age     0.958
    """
    if ties not in ("efron", "breslow"):
        raise ParameterError(f"ties={ties!r} is not supported; use 'efron' or 'breslow'.")
    with _one_blas_thread():
        return _fit_cox(data, duration=duration, event=event, covariates=covariates,
                        formula=formula, strata=strata, weights=weights, entry=entry,
                        ties=ties, cluster=cluster, robust=robust, cause=cause,
                        max_iter=max_iter, reference=reference)


def _fit_cox(data, *, duration, event, covariates, formula, strata, weights, entry, ties,
             cluster, robust, cause, max_iter, reference) -> CoxResults:
    strata_cols = _as_list(strata)
    needed = [duration, event] + strata_cols + [c for c in (weights, entry, cluster) if c]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ParameterError(f"Column(s) {missing} are not in the data; available columns: "
                             f"{list(data.columns)}.")
    X, names, terms, complete, references = _design(data, covariates, formula, reference)
    ev, known = _event_indicator(data[event], event, cause)
    stop = _numeric(data[duration], duration)
    start = _numeric(data[entry], entry) if entry else None
    w = _numeric(data[weights], weights) if weights else None
    complete &= known & ~np.isnan(stop)
    for values in (start, w):
        if values is not None:
            complete &= ~np.isnan(values)
    for col in strata_cols + ([cluster] if cluster else []):
        complete &= data[col].notna().to_numpy()
    rows_dropped = len(data) - int(complete.sum())
    if rows_dropped:  # copy only when something must go
        X, ev, stop = X[complete], ev[complete], stop[complete]
        start = start[complete] if start is not None else None
        w = w[complete] if w is not None else None
    if w is None:
        w = np.ones(len(stop))
    if len(stop) == 0:
        raise ModelError("No rows are left once rows with missing values are removed.")
    _check_inputs(stop, start, w, duration, entry, weights)
    if not ev.any():
        raise ModelError(f"There are no events in {event!r}"
                         + (f" equal to {cause!r}" if cause is not None else "")
                         + ": a Cox model needs at least one.")
    if strata_cols:
        codes = [pd.factorize(data[col].to_numpy()[complete])[0] for col in strata_cols]
        stratum = pd.factorize(pd.MultiIndex.from_arrays(codes))[0] if len(codes) > 1 \
            else codes[0]
    else:
        stratum = np.zeros(len(stop), dtype=np.int64)

    X -= X.mean(axis=0)  # centring, as R does, keeps the risk-set sums well conditioned
    rs = _prepare(X, stop, ev, w, stratum, start, ties)
    del X

    diagnostics = FitDiagnostics(rows_dropped=rows_dropped)
    first = None
    if names:
        first = _efron_pass(rs, np.zeros(len(names)))
        dropped = _collinear_columns(first.info)
        if dropped:
            first = None
            diagnostics.collinear_dropped = [names[j] for j in dropped]
            keep = [j for j in range(len(names)) if j not in dropped]
            names = [names[j] for j in keep]
            rs.X = np.ascontiguousarray(rs.X[:, keep])
            rs.dead_wx = rs.dead_wx[:, keep]
    beta, final, loglik_null, converged, iterations, score_test = _newton(rs, first, max_iter)
    diagnostics.converged = converged
    diagnostics.iterations = iterations
    if not converged:
        diagnostics.notes.append(f"Ran out of iterations ({max_iter}) without converging; "
                                 "estimates are not reliable.")
    cov_naive = linalg.pinvh(final.info) if names else np.zeros((0, 0))
    if names and converged:
        step = np.abs(final.score @ cov_naive)
        infinite = (step > _EPS) & (step > _TOLER_INF * np.abs(beta))
        diagnostics.separation = [n for n, flag in zip(names, infinite, strict=True) if flag]

    if robust is None:
        robust = cluster is not None or not np.array_equal(w, np.round(w))
    cov = cov_naive
    if robust and names:
        dfbeta = (_score_residuals(rs, final) * rs.weight[:, None]) @ cov_naive
        if cluster is not None:
            groups = pd.factorize(data[cluster].to_numpy()[complete][rs.order])[0]
            summed = np.zeros((groups.max() + 1, len(names)))
            np.add.at(summed, groups, dfbeta)
            dfbeta = summed
        cov = dfbeta.T @ dfbeta

    def as_frame(matrix: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(matrix, index=names, columns=names)

    model = f"Cox ({ties} ties" + (", stratified" if strata_cols else "") + \
        (", delayed entry" if entry else "") + ")"
    rs.work.clear()  # the scratch arrays are not needed after the fit
    return CoxResults(
        pd.Series(beta, index=names, dtype=float), as_frame(cov),
        loglik=final.loglik, loglik_null=loglik_null,
        n=len(stop), n_events=int(ev.sum()), diagnostics=diagnostics, model=model,
        robust=robust, cov_params_naive=as_frame(cov_naive), score_test=score_test,
        risk_sets=rs, terms={t: [c for c in cols if c in names] or cols
                             for t, cols in terms.items()},
        ties=ties, final_pass=final, references={n: references.get(n, "") for n in names},
    )


def _check_inputs(stop, start, w, duration, entry, weights) -> None:
    if not np.isfinite(stop).all() or (stop < 0).any():
        raise ParameterError(f"Column {duration!r} must hold finite times >= 0.")
    if start is not None and not (start < stop).all():
        bad = int(np.flatnonzero(~(start < stop))[0])
        raise ParameterError(f"Entry time must be before the stop time in every row: "
                             f"{entry!r} >= {duration!r} in row {bad} (after removing rows "
                             "with missing values). Drop or fix such rows.")
    if not np.isfinite(w).all() or (w <= 0).any():
        raise ParameterError(f"Case weights in {weights!r} must be finite and > 0.")


def cause_specific(tte: pd.DataFrame, cause, *, duration: str | None = None,
                   covariates: Sequence[str] | None = None, formula: str | None = None,
                   strata: str | Sequence[str] | None = None, weights: str | None = None,
                   entry: str | None = None, ties: str = "efron",
                   cluster: str | None = None,
                   reference: Mapping[str, object] | None = None) -> CoxResults:
    """Cause-specific Cox model: this outcome is the event, the competing ones censor.

    Its hazard ratios compare *rates*: how fast open cases reach this outcome, among cases
    still open. They do not say whether more cases end that way (a covariate that speeds up
    a competing outcome lowers this one's cumulative incidence at any hazard ratio); for that
    use ``fit_fine_gray``.

    Parameters
    ----------
    tte : pandas.DataFrame
        The time-to-event frame (``days``, ``outcome``, ``event`` and covariates), or the
        episode frame of :mod:`~soteria_research.analysis.episodes` (``start``, ``stop``),
        whose time-varying covariates count only from their day.
    cause : str or int
        An outcome name in ``outcome`` (``"charge"``, ``"victim_withdrawal"``...) or its
        integer code in ``event``. A name not there raises :class:`ParameterError` with the
        closest one ("did you mean victim_withdrawal?").
    duration : str, optional
        Column of follow-up times: ``days``, or ``stop`` on an episode frame (then ``entry``
        defaults to ``start``).
    covariates, formula, strata, weights, entry, ties, cluster, reference
        As :func:`fit_cox`.

    Examples
    --------
    >>> import pandas as pd
    >>> tte = pd.DataFrame({"days": [5, 8, 12, 20, 25, 30, 31, 40],
    ...                     "outcome": ["charge", "victim_withdrawal", "censored", "charge",
    ...                                 "charge", "censored", "victim_withdrawal", "charge"],
    ...                     "age": [20, 35, 41, 28, 50, 33, 22, 45]})
    >>> cause_specific(tte, "charge", covariates=["age"]).n_events
    4
    >>> cause_specific(tte, "withdrawal", covariates=["age"])
    Traceback (most recent call last):
    ...
    soteria_research.errors.ParameterError: Cause 'withdrawal' does not occur in column 'outcome'. Did you mean victim_withdrawal? It holds ['censored', 'charge', 'victim_withdrawal'].
    """
    if duration is None:
        episodes = "days" not in tte.columns and {"start", "stop"} <= set(tte.columns)
        duration = "stop" if episodes else "days"
    if duration == "stop" and entry is None and "start" in tte.columns:
        entry = "start"  # a (start, stop] episode is at risk only from its start, never before
    column = "outcome" if isinstance(cause, str) else "event"
    if column not in tte.columns:
        raise ParameterError(f"The time-to-event frame has no {column!r} column to find "
                             f"cause {cause!r} in.")
    known = set(pd.unique(tte[column].dropna()))
    if cause not in known:
        from soteria_research.analysis.outcomes import competing_risks

        choices = sorted(map(str, known))
        raise ParameterError(f"Cause {cause!r} does not occur in column {column!r}."
                             f"{did_you_mean(cause, choices + competing_risks())} "
                             f"It holds {choices}.")
    return fit_cox(tte, duration=duration, event=column, cause=cause, covariates=covariates,
                   formula=formula, strata=strata, weights=weights, entry=entry, ties=ties,
                   cluster=cluster, reference=reference)
