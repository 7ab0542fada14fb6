"""Shares and intervals that do not undo rounding (issue 16, item 11).

A share printed from the true counts beside counts rounded to 5 gives the true counts back (a
printed 23.2% of "195" leaves one numerator and denominator in the rounding intervals). So,
where counts are rounded, a rate column that is exactly the share (or Wilson bound) of its
numerator and denominator count columns is recomputed from the *published* counts: it then
says nothing the rounded counts do not. Cells holding anything else (a median, a hazard ratio,
an interval of another method) are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .rounding import wilson

__all__ = ["rates_from_published"]


def rates_from_published(column: Callable[[str], np.ndarray], published: dict,
                         rate_spec: dict[str, tuple[str | None, str | None]],
                         counts: Iterable[str], level: float = 0.95,
                         design_effect: np.ndarray | dict | None = None
                         ) -> dict[str, np.ndarray]:
    """Rate columns recomputed from the published (rounded) counts, cell by cell.

    Parameters
    ----------
    column : callable
        The table's true values of a column, as floats (NaN where missing).
    published : dict
        Published arrays by column: the rounded counts.
    rate_spec : dict
        ``{rate column: (numerator, denominator)}``.
    counts : iterable of str
        The count columns (numerators and denominators must be among them).
    design_effect : array or dict of arrays, optional
        Each row's design effect (or, as a dict, each rate column's): its Wilson bounds are at
        ``k / d`` of ``n / d`` cases (the interval of clustered cases), and are recomputed at
        the same design effect from the published counts. Default 1 (the plain Wilson
        interval).

    Examples
    --------
    >>> true = {"k": np.array([19.0]), "n": np.array([278.0]), "share": np.array([19 / 278])}
    >>> out = rates_from_published(true.__getitem__, {"k": np.array([20.0]),
    ...                            "n": np.array([280.0])}, {"share": ("k", "n")}, ["k", "n"])
    >>> round(float(out["share"][0]), 4)
    0.0714
    """
    counts = set(counts)
    out = {}
    # a share and its two bounds usually have the same counts and design effect: their true
    # and published shares and intervals are worked out once
    computed: dict[tuple, tuple] = {}
    for name, (numerator, denominator) in rate_spec.items():
        if numerator not in counts or denominator not in counts:
            continue
        given = np.asarray(column(name), dtype=float)
        own = design_effect.get(name) if isinstance(design_effect, dict) else design_effect
        key = (numerator, denominator, None if own is None else id(own))
        if key not in computed:
            k, n = column(numerator), column(denominator)
            k_pub = np.asarray(published[numerator], dtype=float)
            n_pub = np.asarray(published[denominator], dtype=float)
            d = np.ones(len(given)) if own is None else np.where(
                np.isfinite(own) & (own > 0), own, 1.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                true_low, true_high = wilson(k / d, n / d, level)
                pub_low, pub_high = wilson(k_pub / d, n_pub / d, level)
                pairs = ((k / n, k_pub / n_pub), (true_low, pub_low), (true_high, pub_high))
            computed[key] = (pairs, np.isfinite(n_pub) & (n_pub > 0))
        pairs, usable = computed[key]
        values = given.copy()
        with np.errstate(invalid="ignore"):
            for true_value, published_value in pairs:
                for scale in (1.0, 100.0):
                    # np.isclose(given, true, rtol=0, atol=1e-9), without its overhead
                    target = true_value * scale
                    match = usable & ((np.abs(given - target) <= 1e-9) | (given == target))
                    values = np.where(match, published_value * scale, values)
        out[name] = values
    return out
