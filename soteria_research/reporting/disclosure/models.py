"""Model outputs (hazard and odds ratios): terms on few cases hidden, thin models withheld.

Messages never echo a count: a note saying a model "has 6 residual degrees of freedom" or that
a cause "holds 3 events" would publish the number the table hides.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...errors import DisclosureError
from .profiles import INTERNAL_LABEL, DisclosureProfile, get_profile, round_to_base
from .records import OutputRecord, ProtectedTable

__all__ = ["protect_model"]

#: Per-term count columns read when ``counts`` is not given (the toolkit's tidy model frames).
DEFAULT_TERM_COUNTS = ("n", "n_events")


def _done(frame: pd.DataFrame, mask: pd.DataFrame, record: OutputRecord,
          counts: Sequence[str] = ()) -> ProtectedTable:
    frame = frame.copy()
    for column in mask.columns[mask.to_numpy().any(axis=0)]:
        values = frame[column].to_numpy(dtype=float, na_value=np.nan, copy=True)
        values[mask[column].to_numpy()] = np.nan
        frame[column] = values
    if record.profile == "internal":
        frame.attrs["label"] = INTERNAL_LABEL
    frame.attrs["disclosure"] = {"name": record.name, "profile": record.profile,
                                 "status": record.status}
    return ProtectedTable(frame, mask, record, counts=tuple(counts))


def protect_model(
    model: pd.DataFrame,
    *,
    name: str = "model",
    df_resid: float | None = None,
    counts: Sequence[str] | None = None,
    n: str | None = None,
    decimals: int | None = 3,
    on_refuse: str = "withhold",
    profile: str | DisclosureProfile | None = None,
) -> ProtectedTable:
    """Check a tidy model output (hazard or odds ratios with cases and events per term).

    Terms whose category holds fewer cases (or events) than the threshold have their estimates,
    intervals and counts hidden and a ``disclosure`` note; a model with fewer residual degrees
    of freedom than the profile's minimum is withheld (or, with ``on_refuse="raise"``, refused
    with a :class:`DisclosureError`). ``df_resid`` may also come from ``model.attrs``.

    Parameters
    ----------
    counts : list of str, optional
        The per-term count columns (default ``n`` and ``n_events`` where present).
    n : str, optional
        One count column (kept for older callers; ``counts=[n]``).
    decimals : int, optional
        Estimates, intervals and p-values are rounded to what the report prints.

    Examples
    --------
    >>> terms = pd.DataFrame({"term": ["relationship[stranger]", "relationship[partner]"],
    ...                       "estimate": [1.8, 0.7], "n": [6, 240]})
    >>> protect_model(terms, df_resid=500, profile="publication").display()["estimate"].tolist()
    ['[c]', 0.7]
    """
    profile = get_profile(profile)
    frame = model.reset_index() if not isinstance(model.index, pd.RangeIndex) else model.copy()
    frame.columns = [str(c) for c in frame.columns]
    record = OutputRecord(name=name, kind="model", profile=profile.name, n_cells=len(frame))
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    if counts is None:
        counts = [n] if n else [c for c in DEFAULT_TERM_COUNTS if c in frame]
    counts = [c for c in counts if c in frame]
    if not profile.suppress:
        record.rules = [f"no suppression ({profile.name} profile): labelled '{INTERNAL_LABEL}'"]
        record.status = "internal"
        return _done(frame, mask, record, counts)
    if df_resid is None:
        df_resid = model.attrs.get("df_resid")
    if df_resid is None and "df_resid" in frame:
        df_resid = float(frame["df_resid"].min())
    record.rules = [f"residual degrees of freedom at least {profile.min_dof}",
                    f"terms resting on fewer than {profile.threshold} cases or events hidden"]
    if df_resid is None:
        record.notes.append("residual degrees of freedom not given: not checked")
    elif df_resid < profile.min_dof:
        message = (f"model {name!r} has too few cases or events for the {profile.name} "
                   f"profile (it needs at least {profile.min_dof} residual degrees of freedom): "
                   "it is withheld. Use fewer covariates or more cases.")
        if on_refuse == "raise":
            raise DisclosureError(message)
        record.status = "withheld"
        record.notes.append(message)
        return _done(frame.iloc[0:0], mask.iloc[0:0], record, counts)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c]) and c != "df_resid"]
    estimates = [c for c in numeric if c not in counts]
    if decimals is not None and estimates:
        frame[estimates] = frame[estimates].astype(float).round(decimals)
    if not counts:
        record.notes.append("no per-term counts: small categories not checked")
        return _done(frame, mask, record, counts)
    small = np.zeros(len(frame), dtype=bool)
    for column in counts:
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
        small |= profile.is_disclosive(values) & ~np.isnan(values)
    for column in numeric:
        mask[column] = small
    record.primary_suppressed = int(small.sum())
    record.derived_suppressed = int(small.sum() * len(estimates))
    frame["disclosure"] = np.where(small, f"hidden: fewer than {profile.threshold} cases", "")
    mask["disclosure"] = False
    if profile.round_base:
        frame[counts] = round_to_base(frame[counts].to_numpy(dtype=float), profile.round_base)
        record.rounded = int((~small).sum() * len(counts))
    record.status = "suppressed" if small.any() else "pass"
    return _done(frame, mask, record, counts)
