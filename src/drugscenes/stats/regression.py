"""Poisson regression with two sets of fixed effects (PPML) and cluster-robust errors.

The estimator of the crime evaluation (:mod:`drugscenes.analysis.evaluation`): counts
:math:`y_{it}` of unit *i* (a scene's area) in month *t* with

.. math:: E[y_{it}] = \\exp(\\alpha_i + \\gamma_t + x_{it}^T \\beta),

fitted by Poisson pseudo-maximum likelihood (Santos Silva & Tenreyro 2006, "The log of
gravity", *Review of Economics and Statistics* 88, 641-658): consistent whenever the mean is
right, whatever the variance (over-dispersed counts included), and with the unit fixed
effects it has no incidental-parameter bias (Wooldridge 1999, *Journal of Econometrics* 90,
77-97). Standard errors are clustered by unit (Cameron & Miller 2015, *Journal of Human
Resources* 50, 317-372), so that any correlation of a unit's months is allowed.

Conventions
-----------
- Fitted by statsmodels' GLM (IRLS) with the fixed effects as dummies; units or months
  whose counts are all zero have no finite fixed effect and are dropped first (as
  ``pyfixest.fepois`` does), and the result says how many.
- Cluster-robust covariance CR1 with the small-sample factor :math:`G/(G-1)` only (no
  :math:`(N-1)/(N-K)`: the unit fixed effects are nested in the clusters; Stata's and
  fixest's convention for that case). The tests reproduce ``pyfixest.fepois`` with
  ``ssc(k_adj=False, G_adj=True)`` to 1e-6.
- Intervals and p-values are Wald, on the normal distribution.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from drugscenes.errors import UsageError

__all__ = ["DENSE_LIMIT", "PoissonFEFit", "poisson_fe", "wald_test"]

DENSE_LIMIT = 5_000_000
"""Largest dummy design (rows x columns, 40 MB of float64; GLM holds several copies) that
:func:`poisson_fe` fits with statsmodels' GLM; beyond it (a national panel: 2,000 scenes x
120 months x 2,100 columns is 4 GB) the unit effects are concentrated out."""


@dataclass(frozen=True, eq=False)
class PoissonFEFit:
    """A fitted two-way fixed-effects Poisson model (result of :func:`poisson_fe`).

    Attributes
    ----------
    names : tuple of str
        Names of the regressors of interest (the columns of ``x``).
    coef : ndarray, shape (k,)
        Their coefficients (log rate ratios).
    cov : ndarray, shape (k, k)
        Their cluster-robust covariance (CR1, factor G/(G-1)).
    n_obs, n_units, n_times, n_clusters : int
        Rows, units, times and clusters used (after dropping all-zero units and times).
    dropped_units, dropped_times : int
        Units and times dropped because all their counts are zero.
    converged : bool
    """

    names: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray
    n_obs: int
    n_units: int
    n_times: int
    n_clusters: int
    dropped_units: int
    dropped_times: int
    converged: bool

    @property
    def se(self) -> np.ndarray:
        """Cluster-robust standard errors."""
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))

    def interval(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Wald intervals of the coefficients (log scale)."""
        z = float(stats.norm.ppf(0.5 + level / 2.0))
        return self.coef - z * self.se, self.coef + z * self.se

    def p_values(self) -> np.ndarray:
        """Two-sided Wald p-values of the coefficients being 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2.0 * stats.norm.sf(np.abs(self.coef / self.se))


def poisson_fe(
    y: np.ndarray,
    unit: np.ndarray,
    time: np.ndarray,
    x: np.ndarray,
    names: Sequence[str],
    cluster: np.ndarray | None = None,
    tol: float = 1e-13,
    max_iter: int = 200,
    dense_limit: int = DENSE_LIMIT,
) -> PoissonFEFit:
    """Poisson regression of ``y`` on ``x`` with unit and time fixed effects (PPML).

    Parameters
    ----------
    y : ndarray of float, shape (n,)
        Counts (>= 0).
    unit, time : ndarray of int, shape (n,)
        Codes of the two fixed effects.
    x : ndarray, shape (n,) or (n, k)
        Regressors of interest (e.g. treated x after).
    names : sequence of str
        Names of the ``k`` regressors.
    cluster : ndarray, optional
        Cluster of each row; default ``unit``.
    tol, max_iter : float, int
        IRLS convergence (relative change of the deviance) and its limit.
    dense_limit : int, default :data:`DENSE_LIMIT`
        Largest dummy design (rows x columns) fitted by statsmodels' GLM; a larger problem
        clustered by unit (``cluster`` None) is fitted with the unit effects concentrated
        out (:func:`_poisson_fe_concentrated`), in memory that grows with the rows only.

    Returns
    -------
    PoissonFEFit

    Raises
    ------
    UsageError
        Shapes disagree, negative counts, fewer than two clusters, or a regressor that is
        constant or collinear with the fixed effects in the sample kept.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> unit, time = np.repeat(np.arange(40), 12), np.tile(np.arange(12), 40)
    >>> d = (unit < 20) & (time >= 6)
    >>> y = rng.poisson(np.exp(1.0 + 0.1 * unit / 40 + np.log(0.5) * d))
    >>> fit = poisson_fe(y.astype(float), unit, time, d.astype(float), ["d"])
    >>> bool(abs(np.exp(fit.coef[0]) - 0.5) < 0.15), fit.n_clusters
    (True, 40)
    """
    yy = np.asarray(y, dtype=float)
    n = yy.shape[0]
    xx = np.asarray(x, dtype=float).reshape(n, -1)
    unit = np.asarray(unit)
    time = np.asarray(time)
    groups = unit if cluster is None else np.asarray(cluster)
    if not (unit.shape == time.shape == groups.shape == (n,)) or xx.shape[1] != len(names):
        raise UsageError("y, unit, time, cluster and the columns of x must agree in length")
    if (yy < 0).any() or not np.isfinite(yy).all() or not np.isfinite(xx).all():
        raise UsageError("counts must be finite and >= 0, regressors finite")
    u_code, t_code = _codes(unit), _codes(time)
    keep_u = np.bincount(u_code, weights=yy) > 0
    keep_t = np.bincount(t_code, weights=yy) > 0
    keep = keep_u[u_code] & keep_t[t_code]
    yy, xx, groups = yy[keep], xx[keep], groups[keep]
    u_code, t_code = _codes(u_code[keep]), _codes(t_code[keep])
    g_code = _codes(groups)
    n_u, n_t, n_g = int(u_code.max()) + 1, int(t_code.max()) + 1, int(g_code.max()) + 1
    if n_g < 2:
        raise UsageError("fewer than two clusters with counts: no cluster-robust variance")
    k = xx.shape[1]
    if cluster is None and yy.shape[0] * (k + n_u + n_t) > dense_limit:
        coef, cov, converged = _poisson_fe_concentrated(yy, u_code, t_code, xx, tol, max_iter)
    else:
        coef, cov, converged = _poisson_fe_dense(
            yy, u_code, t_code, xx, g_code, n_u, n_t, tol, max_iter
        )
    return PoissonFEFit(
        names=tuple(names),
        coef=coef,
        cov=cov * n_g / (n_g - 1.0),
        n_obs=int(yy.shape[0]),
        n_units=n_u,
        n_times=n_t,
        n_clusters=n_g,
        dropped_units=int((~keep_u).sum()),
        dropped_times=int((~keep_t).sum()),
        converged=converged,
    )


def _poisson_fe_dense(
    yy: np.ndarray,
    u_code: np.ndarray,
    t_code: np.ndarray,
    xx: np.ndarray,
    g_code: np.ndarray,
    n_u: int,
    n_t: int,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """PPML with a dummy per unit and time, by statsmodels' GLM: coefficients of ``xx``,
    their cluster-robust covariance (by ``g_code``, no small-sample factor), convergence."""
    import statsmodels.api as sm

    k = xx.shape[1]
    design = np.zeros((yy.shape[0], k + 1 + (n_u - 1) + (n_t - 1)))
    design[:, :k] = xx
    design[:, k] = 1.0
    rows = np.arange(yy.shape[0])
    mu = u_code > 0
    design[rows[mu], k + u_code[mu]] = 1.0
    mt = t_code > 0
    design[rows[mt], k + n_u + t_code[mt] - 1] = 1.0
    with _one_blas_thread(), warnings.catch_warnings():
        if np.linalg.matrix_rank(design) < design.shape[1]:
            raise UsageError(
                "a regressor is constant or collinear with the fixed effects in this sample"
            )
        warnings.simplefilter("ignore")  # convergence is reported in the result
        res = sm.GLM(yy, design, family=sm.families.Poisson()).fit(
            method="IRLS",
            tol=tol,
            maxiter=max_iter,
            cov_type="cluster",
            cov_kwds={"groups": g_code, "use_correction": False},
        )
    cov = np.asarray(res.cov_params())[:k, :k]
    return np.asarray(res.params)[:k].copy(), cov, bool(res.converged)


def _poisson_fe_concentrated(
    y: np.ndarray,
    u_code: np.ndarray,
    t_code: np.ndarray,
    x: np.ndarray,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """PPML with the unit effects concentrated out: coefficients of ``x`` and their
    cluster-robust (by unit, no small-sample factor) covariance, and convergence.

    Given the other parameters, each unit's effect has the closed form
    ``exp(a_i) = sum_t y_it / sum_t exp(eta_it)``, and the profile log-likelihood of the time
    effects and ``beta`` is the multinomial one, ``sum_it y_it log pi_it`` with
    ``pi_it = exp(eta_it) / sum_s exp(eta_is)`` (Hausman, Hall & Griliches 1984,
    *Econometrica* 52, 909-938): the same estimates as the dummy-variable fit. It is concave
    and maximised by Newton's method. Its inverse Hessian is the (time, beta) block of the
    full model's; each unit's score for its own effect is zero at the optimum, so the
    cluster-robust sandwich of the full model restricted to ``beta`` is the profile one.
    The regressors are a sparse matrix, so memory grows with the rows only.
    """
    from scipy import sparse

    n_t = int(t_code.max()) + 1
    k = x.shape[1]
    p = n_t - 1 + k  # time effects (the first month is the reference) and beta
    order = np.argsort(u_code, kind="stable")
    u, t, yy = u_code[order], t_code[order], y[order]
    n = yy.size
    seg = np.flatnonzero(np.r_[True, u[1:] != u[:-1]])  # first row of each unit
    counts = np.diff(np.r_[seg, n])
    total = np.add.reduceat(yy, seg)  # Y_i
    # The regressors as one sparse matrix: a time dummy per row and x (an event study's
    # treated x month dummies are sparse too), so that no (rows x columns) dense design is
    # built; products with it cost its non-zeros.
    rows = np.flatnonzero(t > 0)
    time_part = sparse.csr_matrix((np.ones(rows.size), (rows, t[rows] - 1)), shape=(n, n_t - 1))
    z = sparse.hstack([time_part, sparse.csr_matrix(x[order])], format="csr")
    # Sums over each unit's rows (units x rows).
    per_unit = sparse.csr_matrix(
        (np.ones(n), (np.repeat(np.arange(seg.size), counts), np.arange(n))),
        shape=(seg.size, n),
    )

    def evaluate(theta: np.ndarray, second: bool) -> tuple[float, np.ndarray, np.ndarray]:
        """Profile log-likelihood, gradient, and Hessian (or the cluster meat)."""
        eta = z @ theta
        top = np.maximum.reduceat(eta, seg)
        e = np.exp(eta - np.repeat(top, counts))
        denom = np.add.reduceat(e, seg)
        pi = e / np.repeat(denom, counts)
        ll = float(yy @ (eta - np.repeat(top + np.log(denom), counts)))
        fitted = np.repeat(total, counts) * pi  # mu_it at the profiled unit effects
        resid = yy - fitted
        grad = z.T @ resid
        if second:  # Hessian of the profile log-likelihood (negative definite)
            mean = (per_unit @ sparse.diags(pi) @ z).toarray()  # sum_t pi_it z_it per unit
            hess = -(z.T @ sparse.diags(fitted) @ z).toarray() + (mean * total[:, None]).T @ mean
            return ll, grad, hess
        score = (per_unit @ sparse.diags(resid) @ z).toarray()  # each unit's score
        return ll, grad, score.T @ score

    theta = np.zeros(p)
    ll, grad, hess = evaluate(theta, True)
    # At zero the Hessian is minus the (Y-weighted) within-unit covariance of the
    # regressors: singular exactly when the dummy design is rank deficient.
    if np.linalg.matrix_rank(hess, hermitian=True) < p:
        raise UsageError(
            "a regressor is constant or collinear with the fixed effects in this sample"
        )
    converged = False
    for _ in range(max_iter):
        step = np.linalg.solve(hess, -grad)
        shrink = 1.0
        while True:  # Newton step, halved while the likelihood falls (it is concave)
            cand = theta + shrink * step
            ll_new, grad_new, hess_new = evaluate(cand, True)
            if ll_new >= ll - 1e-12 * abs(ll) or shrink < 1e-8:
                break
            shrink /= 2
        change = abs(ll_new - ll) / max(abs(ll_new), 1.0)
        theta, ll, grad, hess = cand, ll_new, grad_new, hess_new
        if change < tol and np.abs(step).max() * shrink < 1e-8:
            converged = True
            break
    bread = np.linalg.inv(-hess)
    meat = evaluate(theta, False)[2]
    cov = bread @ meat @ bread
    return theta[n_t - 1 :].copy(), cov[n_t - 1 :, n_t - 1 :].copy(), converged


def wald_test(
    coef: np.ndarray, cov: np.ndarray, df_denom: int | None = None
) -> tuple[float, int, float]:
    """Joint Wald test that all ``coef`` are 0: (statistic, df, p-value).

    Parameters
    ----------
    coef, cov : ndarray
        The coefficients and their covariance.
    df_denom : int, optional
        With cluster-robust covariances, the number of clusters minus one: the p-value is
        then from F(k, df_denom) on W/k (Stata's ``test`` after clustered estimation; the
        chi-square version over-rejects when k is not small against the clusters, Cameron &
        Miller 2015, section VII). None: chi-square with k df.

    Examples
    --------
    >>> s, df, p = wald_test(np.array([0.0, 0.0]), np.eye(2))
    >>> (s, df, p)
    (0.0, 2, 1.0)
    """
    b = np.asarray(coef, dtype=float)
    v = np.asarray(cov, dtype=float)
    stat = float(b @ np.linalg.pinv(v) @ b)
    df = int(b.shape[0])
    if df_denom is not None:
        return stat, df, float(stats.f.sf(stat / df, df, df_denom))
    return stat, df, float(stats.chi2.sf(stat, df))


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Small dense problems (a few thousand rows, ~100 columns) run fastest on one BLAS
    thread; several threads on a busy machine make each SVD 20-50 times slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it the fit is only slower
        yield
        return
    with threadpool_limits(1):
        yield


def _codes(values: np.ndarray) -> np.ndarray:
    return np.unique(values, return_inverse=True)[1].astype(np.int64).ravel()
