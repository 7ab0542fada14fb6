"""The results of a fitted hazard model (Cox, cause-specific Cox, Fine–Gray), in one shape.

Estimates, standard errors, intervals, tidy hazard ratios and fit diagnostics a notebook can show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["FitDiagnostics", "HazardModelResults", "HazardModelSummary"]


def _check_level(level: float) -> float:
    """A confidence level strictly between 0 and 1, or a clear error."""
    from soteria_research.errors import ParameterError

    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ParameterError(f"level={level!r} must be a confidence level between 0 and 1, "
                             "such as 0.95.")
    return float(level)


@dataclass
class FitDiagnostics:
    """What happened while fitting, as data rather than warnings that scroll past.

    Attributes
    ----------
    converged : bool
        Whether the Newton–Raphson iterations met the convergence criterion.
    iterations : int
        Newton–Raphson iterations used.
    separation : list of str
        Covariates whose coefficients ran off towards infinity (monotone likelihood,
        separation): their hazard ratios and intervals are not meaningful.
    collinear_dropped : list of str
        Covariates dropped because they are linear combinations of the others (or constant).
    rows_dropped : int
        Rows left out because a needed value was missing.
    notes : list of str
        Anything else worth knowing, in plain words.

    Examples
    --------
    >>> FitDiagnostics(converged=True, iterations=4).ok
    True
    """

    converged: bool = True
    iterations: int = 0
    separation: list[str] = field(default_factory=list)
    collinear_dropped: list[str] = field(default_factory=list)
    rows_dropped: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the fit converged with no separation and nothing dropped."""
        return self.converged and not self.separation and not self.collinear_dropped

    def to_frame(self) -> pd.DataFrame:
        """One row per check: ``check, ok, detail`` (for display in a notebook)."""
        rows = [
            ("converged", self.converged,
             f"{self.iterations} iterations" if self.converged
             else f"did not converge in {self.iterations} iterations"),
            ("separation", not self.separation,
             "none" if not self.separation
             else "coefficients running off to infinity (monotone likelihood): "
             + ", ".join(self.separation)),
            ("collinearity", not self.collinear_dropped,
             "none" if not self.collinear_dropped
             else "dropped as linear combinations of other covariates: "
             + ", ".join(self.collinear_dropped)),
            ("missing values", True, f"{self.rows_dropped} rows with missing values left out"),
        ]
        rows += [("note", True, note) for note in self.notes]
        return pd.DataFrame(rows, columns=["check", "ok", "detail"])

    def __str__(self) -> str:
        return "\n".join(f"{'ok ' if r.ok else 'NO '} {r.check}: {r.detail}"
                         for r in self.to_frame().itertuples())


class HazardModelSummary:
    """A printable summary: header lines, the hazard-ratio table and the diagnostics."""

    def __init__(self, title: str, info: dict, table: pd.DataFrame, diagnostics: FitDiagnostics):
        self.title = title
        self.info = info
        self.table = table
        self.diagnostics = diagnostics

    def __str__(self) -> str:
        head = [self.title, "=" * len(self.title)]
        head += [f"{k}: {v}" for k, v in self.info.items()]
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            body = self.table.to_string(index=False, float_format=lambda v: f"{v:.4g}")
        return "\n".join(head) + "\n\n" + body + "\n\nDiagnostics\n" + str(self.diagnostics)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        info = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in self.info.items())
        return (f"<h4>{self.title}</h4><table>{info}</table>"
                + self.table.to_html(index=False, float_format=lambda v: f"{v:.4g}")
                + "<h5>Diagnostics</h5>" + self.diagnostics.to_frame().to_html(index=False))


class HazardModelResults:
    """Fitted proportional-hazards model: log hazard ratios, their covariance and diagnostics.

    Shared by :func:`~soteria_research.analysis.survival.fit_cox` and ``fit_fine_gray``; the
    attribute names follow statsmodels (``params``, ``bse``, ``conf_int()``, ``summary()``).

    Parameters
    ----------
    params : pandas.Series
        Log hazard ratios, indexed by covariate (term) name.
    cov_params : pandas.DataFrame
        Their covariance matrix (robust when ``robust`` is True).
    loglik : float
        Log partial likelihood at ``params``.
    loglik_null : float
        Log partial likelihood with every coefficient 0.
    n, n_events : int
        Rows used and events among them.
    concordance : float
        Harrell's C (as R's ``coxph`` reports it), NaN when not computed.
    diagnostics : FitDiagnostics
        Convergence, separation and collinearity, as data.
    model : str
        A short name, such as ``"Cox (efron ties)"`` or ``"Fine-Gray (cause charge)"``.
    robust : bool
        Whether ``cov_params`` is a robust (sandwich) estimate.
    cov_params_naive : pandas.DataFrame, optional
        The model-based (inverse information) covariance when ``cov_params`` is robust.
    score_test : float, optional
        The score (log-rank) test statistic of all coefficients 0.
    references : dict, optional
        What each term is compared against, in words ("against acquaintance or friend",
        "against cases without it", "per one unit more"); shown in :meth:`hazard_ratios`.

    Examples
    --------
    >>> import pandas as pd
    >>> res = HazardModelResults(pd.Series({"x": 0.5}), pd.DataFrame([[0.01]], ["x"], ["x"]),
    ...                          loglik=-10.0, loglik_null=-12.0, n=50, n_events=20)
    >>> round(float(res.hazard_ratios()["estimate"].iloc[0]), 4)
    1.6487
    """

    def __init__(self, params: pd.Series, cov_params: pd.DataFrame, *, loglik: float,
                 loglik_null: float, n: int, n_events: int, concordance: float = np.nan,
                 diagnostics: FitDiagnostics | None = None, model: str = "Cox",
                 robust: bool = False, cov_params_naive: pd.DataFrame | None = None,
                 score_test: float = np.nan, references: dict[str, str] | None = None):
        self.params = params.astype(float)
        self.params.name = "log_hr"
        self.cov_params_ = cov_params
        self.cov_params_naive_ = cov_params if cov_params_naive is None else cov_params_naive
        self.loglik = float(loglik)
        self.loglik_null = float(loglik_null)
        self.n = int(n)
        self.n_events = int(n_events)
        self.concordance = float(concordance)
        self.diagnostics = diagnostics if diagnostics is not None else FitDiagnostics()
        self.model = model
        self.robust = robust
        self.score_test = float(score_test)
        self.references = {str(t): (references or {}).get(str(t), "") for t in params.index}

    # statsmodels-style accessors -------------------------------------------------------
    def cov_params(self) -> pd.DataFrame:
        """Covariance matrix of the log hazard ratios (robust if the fit was)."""
        return self.cov_params_

    @property
    def bse(self) -> pd.Series:
        """Standard errors of the log hazard ratios (robust if the fit was)."""
        return pd.Series(np.sqrt(np.diag(self.cov_params_.to_numpy())), self.params.index,
                         name="se")

    @property
    def tvalues(self) -> pd.Series:
        """Wald z statistics."""
        return (self.params / self.bse).rename("z")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided Wald p-values."""
        return pd.Series(2 * stats.norm.sf(np.abs(self.tvalues)), self.params.index, name="p")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald confidence intervals of the log hazard ratios: columns ``lower, upper``.

        ``alpha`` (1 - confidence) is statsmodels' spelling, kept for this accessor; every
        tidy table of the package takes ``level`` (0.95) instead.
        """
        z = stats.norm.ppf(1 - alpha / 2)
        return pd.DataFrame({"lower": self.params - z * self.bse,
                             "upper": self.params + z * self.bse})

    def hazard_ratios(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy table, one row per term: hazard ratio with its interval and the Wald test.

        Columns ``term, reference, estimate, ci_low, ci_high, log_hr, se, z, p, n,
        n_events``; ``reference`` says what the term is compared against, ``estimate`` and
        the ``level`` interval are on the hazard-ratio scale.
        """
        ci = self.conf_int(1 - _check_level(level))
        with np.errstate(over="ignore"):  # a separated covariate's ratio is honestly inf
            return self._hazard_ratio_frame(ci)

    def _hazard_ratio_frame(self, ci: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({
            "term": self.params.index.astype(str),
            "reference": [self.references.get(str(t), "") for t in self.params.index],
            "estimate": np.exp(self.params.to_numpy()),
            "ci_low": np.exp(ci["lower"].to_numpy()),
            "ci_high": np.exp(ci["upper"].to_numpy()),
            "log_hr": self.params.to_numpy(),
            "se": self.bse.to_numpy(),
            "z": self.tvalues.to_numpy(),
            "p": self.pvalues.to_numpy(),
            "n": self.n,
            "n_events": self.n_events,
        })

    # whole-model tests ------------------------------------------------------------------
    @property
    def df_model(self) -> int:
        """Number of estimated coefficients."""
        return len(self.params)

    @property
    def likelihood_ratio_test(self) -> tuple[float, float]:
        """Likelihood-ratio statistic of all coefficients 0, and its p-value."""
        stat = 2 * (self.loglik - self.loglik_null)
        return stat, float(stats.chi2.sf(stat, self.df_model))

    @property
    def wald_test(self) -> tuple[float, float]:
        """Wald statistic of all coefficients 0 (with the covariance in use), and its p-value."""
        b = self.params.to_numpy()
        stat = float(b @ np.linalg.solve(self.cov_params_.to_numpy(), b)) if len(b) else 0.0
        return stat, float(stats.chi2.sf(stat, self.df_model))

    def summary(self, level: float = 0.95) -> HazardModelSummary:
        """A printable (and notebook-displayable) summary of the fit."""
        lr, lr_p = self.likelihood_ratio_test
        info = {
            "model": self.model,
            "n": self.n,
            "events": self.n_events,
            "log partial likelihood": f"{self.loglik:.6g}",
            "likelihood-ratio test": f"{lr:.4g} on {self.df_model} df, p = {lr_p:.3g}",
            "concordance": f"{self.concordance:.4f}",
            "standard errors": "robust (sandwich)" if self.robust else "model-based",
        }
        return HazardModelSummary(self.model, info, self.hazard_ratios(level), self.diagnostics)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.model}, n={self.n}, events={self.n_events}>"
