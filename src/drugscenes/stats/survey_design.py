"""Design-based survey estimation: weighted shares, domains, differences, logistic trend.

Everything here follows the with-replacement ("ultimate cluster") Taylor linearisation that R's
``survey`` package uses by default for ``svydesign(ids=~psu, strata=~stratum, weights=~w,
nest=TRUE)`` without a finite population correction (Lumley 2010, *Complex Surveys*, ch. 2-3;
Wolter 2007, *Introduction to Variance Estimation*, ch. 6). The tests reproduce R ``survey`` 4.1.1
to 1e-6.

Conventions
-----------
- A *design* holds the design weights, the strata and the primary sampling units (PSUs). PSU labels
  are nested within strata (R ``nest=TRUE``): PSU "1" of stratum A and PSU "1" of stratum B are
  different PSUs. Without clusters every respondent is its own PSU; without strata there is one
  stratum.
- The variance of a linearised total :math:`\\hat T = \\sum_i z_i` is

  .. math:: \\hat V = \\sum_h \\frac{n_h}{n_h - 1} \\sum_{j=1}^{n_h} (z_{hj} - \\bar z_h)^2,

  with :math:`z_{hj}` the sum of :math:`z_i` over PSU *j* of stratum *h* and :math:`n_h` the
  number of PSUs of stratum *h* in the *whole* sample.
- A *domain* (a distance band, a municipality, the respondents who answered) is estimated as a
  domain, not by cutting the design: rows outside the domain get :math:`z_i = 0` but every PSU of
  the sample stays in the variance. This is what R's ``svyby`` and ``subset()`` on a
  ``survey.design2`` do (``svyrecvar`` pads PSUs missing from the subset with zeros). The degrees of
  freedom of a domain are, as R's ``degf()`` of the subset, the number of PSUs with at least one
  domain member minus the number of strata with at least one domain member.
- Strata with a single PSU make the variance inestimable; like R's default
  ``options(survey.lonely.psu = "fail")`` the design refuses them (merge such strata first).

Interval methods for a share (``method``)
-----------------------------------------
``"beta"`` (default)
    Korn & Graubard (1998) interval as R ``svyciprop(method = "beta")``: a Clopper-Pearson interval
    on the effective sample size :math:`n^* = \\hat p(1-\\hat p)/\\hat V(\\hat p)`, scaled by
    :math:`(t_{n-1}/t_{df})^2`. It stays valid at 0 % and 100 %, where :math:`\\hat V = 0` and R
    returns NaN: there drugscenes uses :math:`n^* = n` (times the same factor), the Korn-Graubard
    convention, which gives the exact one-sided Clopper-Pearson bound.
``"logit"``
    R ``svyciprop(method = "logit")``: a t interval on the logit scale, back-transformed. Not
    estimable at 0 % or 100 %.
``"wald"``
    :math:`\\hat p \\pm t_{df} \\, SE` (R ``svyciprop(method = "mean")``), not clipped. Not
    estimable when the SE is 0.

A result is *not estimable* (``estimable=False``, interval ``None``, ``reason`` given) when the
domain is empty, has fewer than one degree of freedom, or the method would give a zero-width or
undefined interval. A zero-width interval is never returned as valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from drugscenes.errors import DataError, Problem, UsageError

IntervalMethod = Literal["beta", "logit", "wald"]
INTERVAL_METHODS: tuple[str, ...] = ("beta", "logit", "wald")
DEFAULT_METHOD: IntervalMethod = "beta"


@dataclass(frozen=True, eq=False)
class SurveyDesign:
    """Weights, strata and PSUs of a sample, encoded for fast linearised variances.

    Build it with :meth:`from_arrays`.

    Attributes
    ----------
    weight : ndarray of float, shape (n,)
        Design weights, all finite and > 0.
    stratum_code : ndarray of int, shape (n,)
        Stratum of each row, coded 0..n_strata-1.
    psu_code : ndarray of int, shape (n,)
        PSU of each row, coded 0..n_psu-1 (nested: unique across strata).
    psu_stratum : ndarray of int, shape (n_psu,)
        Stratum of each PSU.
    psu_per_stratum : ndarray of int, shape (n_strata,)
        Number of PSUs of each stratum in the whole sample (the :math:`n_h` of the variance).
    has_strata, has_clusters : bool
        Whether strata / clusters were given.
    """

    weight: np.ndarray
    stratum_code: np.ndarray
    psu_code: np.ndarray
    psu_stratum: np.ndarray
    psu_per_stratum: np.ndarray
    has_strata: bool
    has_clusters: bool

    @classmethod
    def from_arrays(
        cls,
        weight: Sequence[float] | np.ndarray | pd.Series,
        stratum: Sequence[object] | np.ndarray | pd.Series | None = None,
        psu: Sequence[object] | np.ndarray | pd.Series | None = None,
    ) -> SurveyDesign:
        """Validate and encode a design (R: ``svydesign(ids=~psu, strata=~stratum, weights=~w,
        nest=TRUE)``; ``psu=None`` is ``ids=~1``, ``stratum=None`` no strata).

        Parameters
        ----------
        weight : array-like of float
            Design weights (> 0).
        stratum, psu : array-like or None
            Labels of any hashable type; no missing values.

        Raises
        ------
        DataError
            Non-positive or missing weights, missing strata/PSU labels, or a stratum with a single
            PSU (the variance cannot be estimated; merge it with a neighbouring stratum).

        Examples
        --------
        >>> d = SurveyDesign.from_arrays([1.0, 2.0, 1.0, 2.0], stratum=["a", "a", "b", "b"])
        >>> d.n_psu, d.df()
        (4, 2)
        """
        w = np.asarray(weight, dtype=float)
        n = w.shape[0]
        if w.ndim != 1 or n == 0:
            raise UsageError("'weight' must be a non-empty 1-d array")
        bad = ~np.isfinite(w) | (w <= 0)
        if bad.any():
            raise DataError(
                f"{int(bad.sum())} design weight(s) are missing or not > 0",
                [Problem("weight-invalid", "design weight missing or not > 0", field="weight")],
            )
        s_code = _codes(stratum, n, "stratum")
        if psu is None:
            p_code = np.arange(n, dtype=np.int64)
        else:
            raw_p = _codes(psu, n, "psu")
            # Nesting: a PSU is the pair (stratum, psu label).
            p_code = pd.factorize(s_code * (int(raw_p.max()) + 1) + raw_p)[0].astype(np.int64)
        n_psu = int(p_code.max()) + 1
        psu_stratum = np.empty(n_psu, dtype=np.int64)
        psu_stratum[p_code] = s_code
        per_stratum = np.bincount(psu_stratum, minlength=int(s_code.max()) + 1)
        lonely = np.flatnonzero(per_stratum < 2)
        if lonely.size:
            labels = _labels(stratum, s_code, lonely)
            raise DataError(
                f"{lonely.size} stratum/strata have a single PSU, so the variance cannot be "
                f"estimated (as R survey's lonely.psu='fail'); merge them with another stratum: "
                f"{', '.join(labels[:10])}",
                [
                    Problem("stratum-single-psu", f"stratum {lab} has one PSU", field="stratum")
                    for lab in labels
                ],
            )
        return cls(
            weight=w,
            stratum_code=s_code,
            psu_code=p_code,
            psu_stratum=psu_stratum,
            psu_per_stratum=per_stratum,
            has_strata=stratum is not None,
            has_clusters=psu is not None,
        )

    @property
    def n(self) -> int:
        """Number of rows (respondents)."""
        return int(self.weight.shape[0])

    @property
    def n_psu(self) -> int:
        """Number of PSUs in the whole sample."""
        return int(self.psu_stratum.shape[0])

    @property
    def n_strata(self) -> int:
        """Number of strata in the whole sample."""
        return int(self.psu_per_stratum.shape[0])

    def df(self, domain: np.ndarray | None = None) -> int:
        """Design degrees of freedom: #PSUs minus #strata with at least one row in ``domain``
        (R ``degf()`` of ``subset(design, domain)``)."""
        if domain is None:
            return self.n_psu - self.n_strata
        dom = self._mask(domain)
        psu_in = np.bincount(self.psu_code[dom], minlength=self.n_psu) > 0
        strata_in = np.bincount(self.psu_stratum[psu_in], minlength=self.n_strata) > 0
        return int(psu_in.sum() - strata_in.sum())

    def total_covariance(self, z: np.ndarray) -> np.ndarray:
        """With-replacement covariance of the estimated totals of the columns of ``z``.

        Parameters
        ----------
        z : ndarray, shape (n,) or (n, k)
            Linearised values (influence functions), 0 outside a domain.

        Returns
        -------
        ndarray, shape (k, k)
            :math:`\\sum_h n_h/(n_h-1) \\sum_j (z_{hj}-\\bar z_h)(z_{hj}-\\bar z_h)^T`.
        """
        z2 = np.asarray(z, dtype=float).reshape(self.n, -1)
        k = z2.shape[1]
        totals = np.empty((self.n_psu, k))
        for c in range(k):  # k is the number of parameters (1-3), not respondents
            totals[:, c] = np.bincount(self.psu_code, weights=z2[:, c], minlength=self.n_psu)
        nh = self.psu_per_stratum.astype(float)
        mean_h = np.empty((self.n_strata, k))
        for c in range(k):
            mean_h[:, c] = (
                np.bincount(self.psu_stratum, weights=totals[:, c], minlength=self.n_strata) / nh
            )
        dev = totals - mean_h[self.psu_stratum]
        scale = (nh / (nh - 1.0))[self.psu_stratum]
        return (dev * scale[:, None]).T @ dev

    def _mask(self, domain: np.ndarray | None) -> np.ndarray:
        if domain is None:
            return np.ones(self.n, dtype=bool)
        dom = np.asarray(domain)
        if dom.shape != (self.n,) or dom.dtype != bool:
            raise UsageError(f"'domain' must be a boolean array of length {self.n}")
        return dom


def _codes(values: object, n: int, name: str) -> np.ndarray:
    if values is None:
        return np.zeros(n, dtype=np.int64)
    ser = pd.Series(np.asarray(values, dtype=object))
    if len(ser) != n:
        raise UsageError(f"'{name}' has {len(ser)} values, 'weight' has {n}")
    if ser.isna().any():
        raise DataError(
            f"{int(ser.isna().sum())} row(s) have no {name}",
            [Problem(f"{name}-missing", f"{name} is missing", field=name)],
        )
    return pd.factorize(ser.astype(str))[0].astype(np.int64)


def _labels(values: object, codes: np.ndarray, which: np.ndarray) -> list[str]:
    if values is None:
        return ["(all)"]
    ser = np.asarray(values, dtype=object)
    first = {int(c): str(v) for c, v in zip(codes[::-1], ser[::-1], strict=True)}
    return [first[int(c)] for c in which]


# -- estimates -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeanEstimate:
    """Weighted mean (or share) of a domain with its linearised standard error.

    Attributes
    ----------
    estimate : float or None
        :math:`\\hat\\mu_d = \\sum_{i\\in d} w_i y_i / \\sum_{i\\in d} w_i`; None if the
        domain is empty.
    se : float or None
        Linearised standard error (R ``SE(svymean(...))`` on ``subset(design, d)``).
    n : int
        Unweighted number of rows in the domain.
    df : int
        Design degrees of freedom of the domain (see :meth:`SurveyDesign.df`).
    """

    estimate: float | None
    se: float | None
    n: int
    df: int


@dataclass(frozen=True)
class ProportionEstimate:
    """A share with its confidence interval.

    Attributes
    ----------
    estimate, se : float or None
        Weighted share in [0, 1] and its linearised SE.
    ci_low, ci_high : float or None
        Confidence limits; None when ``estimable`` is false.
    n, df : int
        Unweighted rows and design degrees of freedom of the domain.
    method : str
        ``"beta"`` (Korn-Graubard), ``"logit"`` or ``"wald"``.
    level : float
        Confidence level.
    estimable : bool
        Whether the interval is valid.
    reason : str or None
        Why not, for a person.
    """

    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    df: int
    method: str
    level: float
    estimable: bool
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class DifferenceEstimate:
    """Difference of a domain's mean and a reference domain's mean (usually the whole region).

    Attributes
    ----------
    estimate, se : float or None
        :math:`\\hat\\mu_d - \\hat\\mu_r` and its linearised SE, which accounts for the overlap of
        the two domains (R ``svycontrast(svymean(~y + yd + d), quote(yd/d - y))``).
    ci_low, ci_high : float or None
        Wald t interval with ``df`` degrees of freedom (those of the reference domain).
    df : int
    estimable : bool
    reason : str or None
    """

    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    df: int
    estimable: bool
    reason: str | None = None


@dataclass(frozen=True)
class LogisticFit:
    """Design-based weighted logistic regression (R ``svyglm(family=quasibinomial)``).

    Attributes
    ----------
    names : tuple of str
        Coefficient names, intercept first.
    coef, se : tuple of float
        Coefficients (log-odds) and sandwich SEs from the design (R ``vcov(svyglm)``).
    ci_low, ci_high : tuple of float
        Wald t intervals with ``df`` degrees of freedom (R ``confint(svyglm)``).
    df : int
        Residual design df: ``degf(design) + 1 - k`` as R's ``svyglm``.
    n : int
        Rows used.
    estimable : bool
    reason : str or None
    """

    names: tuple[str, ...]
    coef: tuple[float, ...]
    se: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    df: int
    n: int
    estimable: bool
    reason: str | None = None


def _domain_values(
    design: SurveyDesign, y: np.ndarray | Sequence[float] | pd.Series, domain: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    yy = np.asarray(y, dtype=float)
    if yy.shape != (design.n,):
        raise UsageError(f"'y' must have length {design.n}, got shape {yy.shape}")
    dom = design._mask(domain)
    if not np.isfinite(yy[dom]).all():
        raise UsageError("'y' has missing values inside the domain; exclude them from the domain")
    return np.where(dom, yy, 0.0), dom


def _linearised_mean(
    design: SurveyDesign, y: np.ndarray, dom: np.ndarray
) -> tuple[float | None, np.ndarray]:
    wd = np.where(dom, design.weight, 0.0)
    wsum = wd.sum()
    if wsum <= 0:
        return None, np.zeros(design.n)
    est = float((wd * y).sum() / wsum)
    return est, wd * (y - est) / wsum


def weighted_mean(
    design: SurveyDesign,
    y: np.ndarray | Sequence[float] | pd.Series,
    domain: np.ndarray | None = None,
) -> MeanEstimate:
    """Weighted mean of ``y`` over a domain with its linearised SE (R ``svymean``/``svyby``).

    Parameters
    ----------
    design : SurveyDesign
    y : array-like of float, length n
        Values; may be NaN outside the domain.
    domain : bool array or None
        Rows of the domain; None for all rows.

    Returns
    -------
    MeanEstimate

    Notes
    -----
    Ratio linearisation: :math:`z_i = 1_d(i)\\, w_i (y_i - \\hat\\mu_d) / \\sum_{i\\in d} w_i`
    (Woodruff 1971), variance by :meth:`SurveyDesign.total_covariance` over all PSUs.

    Examples
    --------
    >>> d = SurveyDesign.from_arrays([1.0, 1.0, 2.0, 2.0])
    >>> round(weighted_mean(d, [0, 1, 1, 1]).estimate, 4)
    0.8333
    """
    yy, dom = _domain_values(design, y, domain)
    est, z = _linearised_mean(design, yy, dom)
    n = int(dom.sum())
    if est is None:
        return MeanEstimate(None, None, n, 0)
    var = float(design.total_covariance(z)[0, 0])
    return MeanEstimate(est, float(np.sqrt(max(var, 0.0))), n, design.df(dom))


def _t(level: float, df: float) -> float:
    return float(stats.t.ppf(1.0 - (1.0 - level) / 2.0, df))


def proportion_ci(
    design: SurveyDesign,
    y: np.ndarray | Sequence[float] | pd.Series,
    domain: np.ndarray | None = None,
    method: IntervalMethod = DEFAULT_METHOD,
    level: float = 0.95,
) -> ProportionEstimate:
    """Weighted share of ``y == 1`` in a domain with a design-based confidence interval.

    Parameters
    ----------
    design : SurveyDesign
    y : array-like of 0/1
        The indicator; may be NaN outside the domain.
    domain : bool array or None
    method : {"beta", "logit", "wald"}
        Interval (see the module docstring); default Korn-Graubard ``"beta"``.
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    ProportionEstimate

    Notes
    -----
    Matches R ``svyciprop(~y, subset(design, d), method=..., level=...)`` (``"wald"`` is
    ``method="mean"``), including its degrees of freedom: ``degf(subset)`` for the t quantile
    and, for ``"beta"``, the factor :math:`(t_{\\alpha/2, n-1}/t_{\\alpha/2, df})^2`.
    Korn, E.L. & Graubard, B.I. (1998) Confidence intervals for proportions with small expected
    number of positive counts estimated from survey data. *Survey Methodology* 24, 193-201.

    Examples
    --------
    >>> d = SurveyDesign.from_arrays(np.ones(40))
    >>> r = proportion_ci(d, np.r_[np.ones(10), np.zeros(30)])
    >>> r.estimate, r.estimable, 0.1 < r.ci_low < 0.25 < r.ci_high < 0.42
    (0.25, True, True)
    """
    if method not in INTERVAL_METHODS:
        raise UsageError(f"'method' must be one of {', '.join(INTERVAL_METHODS)}, got {method!r}")
    if not 0.0 < level < 1.0:
        raise UsageError(f"'level' must be in (0, 1), got {level}")
    yy, dom = _domain_values(design, y, domain)
    if not np.isin(yy[dom], (0.0, 1.0)).all():
        raise UsageError("'y' must be 0 or 1 inside the domain")
    m = weighted_mean(design, yy, dom)

    def not_estimable(reason: str) -> ProportionEstimate:
        return ProportionEstimate(
            m.estimate, m.se, None, None, m.n, m.df, method, level, False, reason
        )

    if m.estimate is None or m.se is None:
        return not_estimable("no respondents in this group")
    if m.df < 1:
        return not_estimable(f"too few PSUs for a variance ({m.df} degrees of freedom)")
    p, se = m.estimate, m.se
    alpha = 1.0 - level
    t = _t(level, m.df)
    extreme = p <= 0.0 or p >= 1.0
    if method == "wald":
        if se <= 0:
            return not_estimable("standard error is 0; a Wald interval would have zero width")
        lo, hi = p - t * se, p + t * se
    elif method == "logit":
        if extreme or se <= 0:
            return not_estimable(
                "the logit interval is undefined at 0 % or 100 % (use the Korn-Graubard interval)"
            )
        half = t * se / (p * (1.0 - p))
        lo, hi = (float(special.expit(special.logit(p) + s * half)) for s in (-1.0, 1.0))
    else:  # Korn-Graubard
        if m.n < 2:
            return not_estimable("a single respondent")
        if extreme:
            n_eff = float(m.n)  # K&G's convention where the estimated variance is 0
        elif se <= 0:
            return not_estimable("estimated variance is 0 for a share strictly between 0 and 1")
        else:
            n_eff = p * (1.0 - p) / se**2
        n_eff *= (stats.t.ppf(alpha / 2, m.n - 1) / stats.t.ppf(alpha / 2, m.df)) ** 2
        x = n_eff * p
        lo = 0.0 if p <= 0.0 else float(stats.beta.ppf(alpha / 2, x, n_eff - x + 1.0))
        hi = 1.0 if p >= 1.0 else float(stats.beta.ppf(1 - alpha / 2, x + 1.0, n_eff - x))
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi - lo <= 0:
        return not_estimable("the interval is undefined or has zero width")
    return ProportionEstimate(p, se, float(lo), float(hi), m.n, m.df, method, level, True)


def domain_difference(
    design: SurveyDesign,
    y: np.ndarray | Sequence[float] | pd.Series,
    domain: np.ndarray,
    reference: np.ndarray | None = None,
    level: float = 0.95,
) -> DifferenceEstimate:
    """Difference between a domain's weighted mean and a reference domain's (default: all rows).

    Parameters
    ----------
    design : SurveyDesign
    y : array-like of float
        May be NaN outside ``reference``.
    domain : bool array
        The domain; must lie inside ``reference``.
    reference : bool array or None
        The comparison domain, e.g. all respondents who answered.
    level : float

    Returns
    -------
    DifferenceEstimate

    Notes
    -----
    The linearised value of the difference is :math:`z_i^{(d)} - z_i^{(r)}`, so the covariance of
    the overlapping estimates is included. R equivalent (the reference test):
    ``svycontrast(svymean(~y + yd + d, des), quote(yd/d - y))`` with ``yd = y*d``; interval
    :math:`\\pm t_{df}\\,SE` with df of the reference domain.

    Examples
    --------
    >>> d = SurveyDesign.from_arrays(np.ones(6))
    >>> dom = np.array([True, True, True, False, False, False])
    >>> round(domain_difference(d, [1, 1, 0, 0, 0, 0], dom).estimate, 4)
    0.3333
    """
    ref = design._mask(reference)
    dom = design._mask(domain)
    if (dom & ~ref).any():
        raise UsageError("'domain' must lie inside 'reference'")
    yy, _ = _domain_values(design, y, ref)
    est_d, z_d = _linearised_mean(design, yy, dom)
    est_r, z_r = _linearised_mean(design, yy, ref)
    df = design.df(ref)
    if est_d is None or est_r is None:
        return DifferenceEstimate(None, None, None, None, df, False, "no respondents in this group")
    diff = est_d - est_r
    var = float(design.total_covariance(z_d - z_r)[0, 0])
    se = float(np.sqrt(max(var, 0.0)))
    if df < 1:
        return DifferenceEstimate(diff, se, None, None, df, False, "too few PSUs for a variance")
    if se <= 0:
        return DifferenceEstimate(
            diff, se, None, None, df, False, "standard error is 0 (the group is the whole region?)"
        )
    t = _t(level, df)
    return DifferenceEstimate(diff, se, diff - t * se, diff + t * se, df, True)


def logistic_regression(
    design: SurveyDesign,
    y: np.ndarray | Sequence[float] | pd.Series,
    x: np.ndarray,
    names: Sequence[str],
    domain: np.ndarray | None = None,
    level: float = 0.95,
    max_iter: int = 50,
    tol: float = 1e-12,
) -> LogisticFit:
    """Weighted logistic regression with design-based (sandwich) standard errors.

    Parameters
    ----------
    design : SurveyDesign
    y : array-like of 0/1
        Outcome; may be NaN outside the domain.
    x : ndarray, shape (n,) or (n, p)
        Covariates without the intercept (added here).
    names : sequence of str
        Names of the ``p`` covariates.
    domain : bool array or None
        Rows used (e.g. those who answered); the others count as in R's ``svyglm`` on a subset.
    level : float
    max_iter, tol : int, float
        Newton-Raphson control (converged when the largest step < ``tol`` relative).

    Returns
    -------
    LogisticFit

    Notes
    -----
    Point estimates solve :math:`\\sum_i w_i (y_i - \\pi_i) x_i = 0` (weighted MLE, as GLMs with
    frequency weights). The covariance is the design-based sandwich
    :math:`A^{-1} \\hat V(\\sum_i U_i) A^{-1}` with
    :math:`A = \\sum_i w_i \\pi_i(1-\\pi_i) x_i x_i^T`
    and :math:`U_i = w_i (y_i-\\pi_i) x_i`, the variance of the total taken over PSUs and strata
    (Binder 1983; R ``svy.varcoef``). statsmodels' GLM with ``freq_weights``/``var_weights`` gives
    model-based SEs, which are wrong for a survey design; this matches R ``svyglm(y ~ x,
    design, family = quasibinomial())`` with ``confint`` (Wald, df = ``degf + 1 - k``).

    Examples
    --------
    >>> d = SurveyDesign.from_arrays(np.ones(8))
    >>> fit = logistic_regression(d, [1, 1, 0, 1, 0, 0, 1, 0], np.arange(8.0), ["x"])
    >>> fit.names, fit.coef[1] < 0
    (('(Intercept)', 'x'), True)
    """
    yy, dom = _domain_values(design, y, domain)
    xx = np.asarray(x, dtype=float).reshape(design.n, -1)
    if xx.shape[1] != len(names):
        raise UsageError(f"'names' has {len(names)} entries for {xx.shape[1]} covariate(s)")
    if not np.isfinite(xx[dom]).all():
        raise UsageError("'x' has missing values inside the domain")
    all_names = ("(Intercept)", *names)
    k = len(all_names)
    design_x = np.column_stack([np.ones(design.n), np.where(dom[:, None], xx, 0.0)])
    w = np.where(dom, design.weight, 0.0)
    w = w / w[dom].mean() if dom.any() else w  # scale-free; keeps the numbers moderate
    n = int(dom.sum())
    df = design.df(dom) + 1 - k
    nan = tuple(float("nan") for _ in all_names)

    def fail(reason: str) -> LogisticFit:
        return LogisticFit(all_names, nan, nan, nan, nan, df, n, False, reason)

    if n <= k or not np.isin(yy[dom], (0.0, 1.0)).all():
        return fail("too few respondents, or an outcome that is not 0/1")
    ybar = float((w * yy).sum() / w.sum())
    if ybar <= 0.0 or ybar >= 1.0:
        return fail("everybody gave the same answer")
    beta = np.zeros(k)
    beta[0] = special.logit(ybar)
    converged = False
    for _ in range(max_iter):
        pi = special.expit(design_x @ beta)
        hess = (design_x * (w * pi * (1 - pi))[:, None]).T @ design_x
        grad = design_x.T @ (w * (yy - pi))
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return fail("the fit did not converge (separation, or collinear covariates)")
        beta = beta + step
        if np.max(np.abs(step)) <= tol * (1.0 + np.max(np.abs(beta))):
            converged = True
            break
    if not converged or not np.isfinite(beta).all() or np.max(np.abs(beta)) > 30:
        return fail("the fit did not converge (separation, or collinear covariates)")
    pi = special.expit(design_x @ beta)
    a_inv = np.linalg.inv((design_x * (w * pi * (1 - pi))[:, None]).T @ design_x)
    scores = design_x * (w * (yy - pi))[:, None]
    cov = design.total_covariance(scores @ a_inv)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if df < 1:
        return LogisticFit(
            all_names, tuple(beta), tuple(se), nan, nan, df, n, False, "too few PSUs for a variance"
        )
    t = _t(level, df)
    return LogisticFit(
        all_names,
        tuple(float(b) for b in beta),
        tuple(float(s) for s in se),
        tuple(float(b - t * s) for b, s in zip(beta, se, strict=True)),
        tuple(float(b + t * s) for b, s in zip(beta, se, strict=True)),
        df,
        n,
        True,
    )
