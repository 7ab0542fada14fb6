"""Most-similar forces: a force's peers by size (and, on request, case mix), with a similarity
score per peer and a measure of how stable the peers are between data sets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...data.dictionary import load_dictionary
from ...errors import ParameterError

__all__ = ["CASE_MIX_FEATURES", "FORCE_FEATURES", "MIN_REAL_SPREAD", "PEER_FEATURES", "force_profile",
           "most_similar", "peer_agreement"]

#: Case-mix shares of :func:`force_profile`, each a share of the force's recorded crimes.
_SHARES = ("rape_share", "domestic_abuse_share", "partner_share", "child_victim_share",
           "non_recent_share")
#: Every feature :func:`force_profile` returns.
FORCE_FEATURES = ("log_population", "log_recorded_per_capita", "log_recorded_per_year", *_SHARES)
#: Least share of a feature's spread between forces that must be real (not sampling noise,
#: I²) for the feature to count towards similarity.
MIN_REAL_SPREAD = 0.5
#: The features peers are found by by default (see :func:`most_similar` for why only size).
PEER_FEATURES = ("log_population",)
#: Case-mix shares that can be added to :data:`PEER_FEATURES` (``features=(*PEER_FEATURES,
#: *CASE_MIX_FEATURES)``): the case mix that most changes how investigations end. Not the
#: domestic-abuse flag, which most partner cases carry (it would count them twice).
CASE_MIX_FEATURES = ("rape_share", "partner_share", "child_victim_share", "non_recent_share")


def force_profile(cases: pd.DataFrame) -> pd.DataFrame:
    """Per force: volume, population, recording rate and case mix.

    Rates per year use the span of the whole extract (first to last recorded date over all
    forces), so a force with few cases is not given a short span of its own.

    Returns
    -------
    DataFrame
        One row per force present: ``force, recorded, years, population`` and
        :data:`FORCE_FEATURES` (``log_recorded_per_capita`` is the log of crimes recorded a
        year per head of the 2011 population).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> from soteria_research.analysis.comparison import force_profile
    >>> cases = generate_cases(forces=["durham", "cumbria"], start="2023-04-01", seed=1)
    >>> force_profile(cases)["force"].tolist()
    ['cumbria', 'durham']
    """
    forces = load_dictionary().forces.set_index("code")
    span = (cases["recorded_date"].max() - cases["recorded_date"].min()).days
    years = max(span, 1) / 365.25
    delay_days = (cases["recorded_date"] - cases["offence_start_date"]).dt.days
    flags = pd.DataFrame(
        {
            "rape_share": cases["offence_group"].eq("rape"),
            "domestic_abuse_share": cases["domestic_abuse"].astype(bool),
            "partner_share": cases["relationship"].eq("partner_ex_partner"),
            "child_victim_share": cases["victim_age"].astype("Float64").lt(18).fillna(False)
            .astype(bool),
            "non_recent_share": delay_days.gt(365),
        },
        index=cases.index,
    ).groupby(cases["force"], observed=True).mean()
    profile = pd.DataFrame({"recorded": cases.groupby("force", observed=True).size()})
    profile = profile.join(flags)
    profile["years"] = years
    profile["population"] = forces["population_2011"].reindex(profile.index).astype(float)
    profile["log_population"] = np.log(profile["population"])
    profile["log_recorded_per_year"] = np.log(profile["recorded"] / years)
    profile["log_recorded_per_capita"] = profile["log_recorded_per_year"] - profile[
        "log_population"]
    profile.index.name = "force"
    return profile.reset_index()[["force", "recorded", "years", "population", *FORCE_FEATURES]]


def _sampling_variance(profile: pd.DataFrame, feature: str) -> np.ndarray:
    """Variance of a feature's estimate from the force's own cases (0 for population)."""
    recorded = profile["recorded"].to_numpy(dtype=float)
    if feature == "log_population":
        return np.zeros(len(profile))
    if feature in ("log_recorded_per_capita", "log_recorded_per_year"):
        return 1.0 / recorded  # delta method for the log of a Poisson count
    pooled = float((profile[feature] * profile["recorded"]).sum() / recorded.sum())
    return np.full(len(profile), pooled * (1 - pooled)) / recorded


def _true_spread_scores(values: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Empirical-Bayes estimates of the forces' true values, in units of their true spread.

    The between-force variance tau² is DerSimonian and Laird's moment estimate; each value is
    pulled towards the precision-weighted mean by ``tau² / (tau² + variance)`` and divided by
    tau. A feature on which less than :data:`MIN_REAL_SPREAD` of the spread between forces is
    real (Higgins and Thompson's I², ``(Q - df) / Q``) scores 0 for every force.
    """
    if np.all(variance == 0):
        spread = values.std(ddof=1) if len(values) > 1 else 0.0
        return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)
    weight = 1.0 / variance
    centre = np.sum(weight * values) / weight.sum()
    q = np.sum(weight * (values - centre) ** 2)
    df = len(values) - 1
    tau2 = max(0.0, (q - df) / (weight.sum() - np.sum(weight**2) / weight.sum()))
    if tau2 == 0 or (q - df) / q < MIN_REAL_SPREAD:
        return np.zeros_like(values)
    total = tau2 + variance
    mean = np.sum(values / total) / np.sum(1.0 / total)
    return (tau2 / total) * (values - mean) / np.sqrt(tau2)


def most_similar(
    cases: pd.DataFrame,
    *,
    force: str | None = None,
    k: int = 5,
    features: Sequence[str] = PEER_FEATURES,
) -> pd.DataFrame:
    """The ``k`` forces most like each force: by default, the forces nearest in size.

    Why size alone (:data:`PEER_FEATURES`): peers are meant to stay the same from one extract
    to the next, and only the population is known without sampling noise.

    - ``log_population``: size, counted once. Recorded volume is left out: log volume is log
      population plus log recording rate, so volume and population together count size twice.
    - Not the case mix (:data:`CASE_MIX_FEATURES`) by default. Forces do differ in it, but
      modestly, and a force's shares are estimated from its own cases; with four noisy
      dimensions beside size, the fifth and sixth nearest forces are near-ties that sampling
      noise reorders. Measured on the synthetic world (whose forces truly differ in case mix,
      with spreads of 0.25-0.35 on the log-odds scale), three seeds, peers on population and
      the four shares kept at least 4 of the same 5 peers for 28 of 43 forces (a mean of 3.9
      in common) at national volume over five years, 12 of 43 (3.1) over one year, and 2 of
      43 (1.9) at a fifth of national volume; by population alone every force keeps all 5.
      Giving the case mix a tenth of the weight still leaves 4 forces below 4 of 5 at national
      volume over five years. What case mix buys is smaller: it explains about a tenth of the
      variance between forces in charging and withdrawal within a year on the same data, and the
      case-mix-adjusted ratios (:func:`~.effects.force_effects`) allow for it. Pass
      ``features=(*PEER_FEATURES, *CASE_MIX_FEATURES)`` to match on it: the peers' true case
      mix is then about half as far from the force's as with size alone (2.6 to 1.4
      between-force standard deviations at national volume), at the cost of stability.
    - Not the recording rate (``log_recorded_per_capita``, crimes recorded a year per head),
      although :func:`force_profile` offers it: it is partly an outcome of police practice
      (victims' confidence to report, crime-recording compliance), something a comparison
      should show rather than match away, and it is estimated from the same extract.

    The data dictionary's force table has no urban/rural or deprivation measure, so none is
    used. Each feature is measured in units of the spread of true values between forces: for
    the population its standard deviation; for a share estimated from the force's own cases,
    its empirical-Bayes estimate of the force's true value (pulled towards the national value
    by its noise) divided by the DerSimonian–Laird between-force standard deviation. A share on
    which less than half the spread between forces is real (I² below :data:`MIN_REAL_SPREAD`;
    repeat victims make shares vary a little more than binomially, so a small estimated spread
    is not trusted) adds nothing to the distance, instead of adding noise. Forces are ranked by
    Euclidean distance on these scores.

    Parameters
    ----------
    cases : DataFrame
        Canonical, validated cases for several forces.
    force : str, optional
        Only this force's peers; default every force's.
    k : int
        Peers per force (fewer when the data hold fewer other forces).
    features : sequence of str
        Columns of :func:`force_profile` to compare on (:data:`FORCE_FEATURES`).

    Returns
    -------
    DataFrame
        ``force, peer, rank, distance, similarity``: rank 1 is the most similar;
        ``similarity`` is the share of all pairs of forces that are further apart than this
        pair (1: no two forces are more alike; 0.5: a typical pair).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases
    >>> from soteria_research.analysis.comparison import most_similar
    >>> cases = generate_cases(forces=["durham", "cumbria", "city_of_london", "kent"],
    ...                        start="2023-04-01", scale=0.2, seed=1)
    >>> most_similar(cases, force="durham", k=1)["peer"].tolist()
    ['cumbria']
    """
    unknown = set(features) - set(FORCE_FEATURES)
    if unknown:
        raise ParameterError(f"features {sorted(unknown)} are not force features; use some of "
                             f"{', '.join(FORCE_FEATURES)}.")
    profile = force_profile(cases)
    codes = profile["force"].to_numpy()
    if force is not None and force not in set(codes):
        raise ParameterError(f"force={force!r} has no cases in the data, so it has no peers.")
    scores = np.column_stack([
        _true_spread_scores(profile[f].to_numpy(dtype=float), _sampling_variance(profile, f))
        for f in features  # a handful of features
    ]) if len(features) else np.zeros((len(codes), 0))
    distance = np.sqrt(((scores[:, None, :] - scores[None, :, :]) ** 2).sum(axis=2))
    pairs = np.sort(distance[np.triu_indices(len(codes), 1)])
    np.fill_diagonal(distance, np.inf)
    k = max(0, min(k, len(codes) - 1))
    order = np.argsort(distance, axis=1, kind="stable")[:, :k]
    nearest = np.take_along_axis(distance, order, axis=1).ravel()
    further = len(pairs) - np.searchsorted(pairs, nearest, side="right")
    frame = pd.DataFrame(
        {
            "force": np.repeat(codes, k),
            "peer": codes[order.ravel()],
            "rank": np.tile(np.arange(1, k + 1), len(codes)),
            "distance": nearest,
            "similarity": further / max(len(pairs), 1),
        }
    )
    if force is not None:
        frame = frame[frame["force"].eq(force)].reset_index(drop=True)
    return frame


def peer_agreement(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """How many of each force's peers are the same in every table (say, across extracts).

    Parameters
    ----------
    tables : sequence of DataFrame
        Two or more outputs of :func:`most_similar` with the same ``k``.

    Returns
    -------
    DataFrame
        ``force, k, n_common`` (peers found in every table), ``share_common``.

    Examples
    --------
    >>> import pandas as pd
    >>> from soteria_research.analysis.comparison import peer_agreement
    >>> one = pd.DataFrame({"force": ["a", "a"], "peer": ["b", "c"], "rank": [1, 2]})
    >>> two = pd.DataFrame({"force": ["a", "a"], "peer": ["c", "d"], "rank": [1, 2]})
    >>> peer_agreement([one, two])[["force", "n_common"]].values.tolist()
    [['a', 1]]
    """
    if len(tables) < 2:
        raise ParameterError("peer_agreement needs at least two peer tables to compare.")
    sets = [t.groupby("force")["peer"].agg(frozenset) for t in tables]
    common = sets[0]
    for other in sets[1:]:  # a handful of tables
        common = common.combine(other.reindex(common.index), lambda a, b: a & b
                                if isinstance(b, frozenset) else frozenset())
    k = tables[0].groupby("force").size()
    frame = pd.DataFrame({"k": k, "n_common": common.map(len)}).reset_index()
    frame["share_common"] = frame["n_common"] / frame["k"]
    return frame[["force", "k", "n_common", "share_common"]]
