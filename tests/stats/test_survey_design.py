"""Design-based estimates against R's survey package, and the not-estimable states.

Reference values
----------------
``R_REFERENCE`` was produced by ``Rscript tests/stats/r/survey_reference.R`` (R 4.x, survey
4.1.1 from Debian's r-cran-survey) on ``tests/stats/data/survey_reference.csv`` (95 respondents,
4 strata, 15 PSUs; generated once with a seeded NumPy generator). Two designs:

- ``clustered``: ``svydesign(ids=~psu, strata=~stratum, weights=~w, nest=TRUE)``;
- ``simple``: ``svydesign(ids=~1, weights=~w)``.

Per domain (``all`` and each distance band, a domain being ``subset(des, band == b)``, which R's
``svyby`` also uses): ``svymean`` estimate and SE, ``degf``, ``nrow``, ``svyciprop`` intervals
with ``method = "logit"``, ``"beta"`` (Korn-Graubard) and ``"mean"`` (Wald; drugscenes
``"wald"``), all at level 0.95 with R's default degrees of freedom: ``degf(subset)`` =
#PSUs - #strata in the domain (t quantile), and for ``"beta"`` the factor
``(qt(.025, nrow - 1) / qt(.025, degf))^2``. Differences domain - whole sample:
``svycontrast(svymean(~unsafe + yd + ind, des), quote(yd/ind - unsafe))``. Trend:
``svyglm(unsafe ~ dist_km, des, family = quasibinomial())`` with a tight convergence criterion,
``confint`` Wald with df = degf + 1 - 2. CI does not have R: the values are literals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from drugscenes.errors import DataError, UsageError
from drugscenes.stats.survey_design import (
    SurveyDesign,
    domain_difference,
    logistic_regression,
    proportion_ci,
    weighted_mean,
)

DATA = Path(__file__).parent / "data" / "survey_reference.csv"
TOL = 1e-6

R_REFERENCE: dict[tuple[str, str, str], float] = {
    ("clustered", "mean", "all"): 0.33985808911543,
    ("clustered", "se", "all"): 0.0329104497543067,
    ("clustered", "df", "all"): 11,
    ("clustered", "n", "all"): 95,
    ("clustered", "logit_low", "all"): 0.271546974360449,
    ("clustered", "logit_high", "all"): 0.415550710299755,
    ("clustered", "beta_low", "all"): 0.26879159994852,
    ("clustered", "beta_high", "all"): 0.416668804163591,
    ("clustered", "mean_low", "all"): 0.267422677594259,
    ("clustered", "mean_high", "all"): 0.4122935006366,
    ("clustered", "mean", "b0_500"): 0.43118004193792,
    ("clustered", "se", "b0_500"): 0.154673640538568,
    ("clustered", "df", "b0_500"): 9,
    ("clustered", "n", "b0_500"): 22,
    ("clustered", "logit_low", "b0_500"): 0.153989239301521,
    ("clustered", "logit_high", "b0_500"): 0.75943289475803,
    ("clustered", "beta_low", "b0_500"): 0.124523216100981,
    ("clustered", "beta_high", "b0_500"): 0.784111445571197,
    ("clustered", "mean_low", "b0_500"): 0.0812839580975244,
    ("clustered", "mean_high", "b0_500"): 0.781076125778316,
    ("clustered", "diff", "b0_500"): 0.0913219528224905,
    ("clustered", "diff_se", "b0_500"): 0.151554742950821,
    ("clustered", "mean", "b1000_2000"): 0.242548829622868,
    ("clustered", "se", "b1000_2000"): 0.103808338457538,
    ("clustered", "df", "b1000_2000"): 10,
    ("clustered", "n", "b1000_2000"): 26,
    ("clustered", "logit_low", "b1000_2000"): 0.0833450923718201,
    ("clustered", "logit_high", "b1000_2000"): 0.530021170020148,
    ("clustered", "beta_low", "b1000_2000"): 0.0628533874659551,
    ("clustered", "beta_high", "b1000_2000"): 0.531034409961464,
    ("clustered", "mean_low", "b1000_2000"): 0.011249437545487,
    ("clustered", "mean_high", "b1000_2000"): 0.473848221700249,
    ("clustered", "diff", "b1000_2000"): -0.0973092594925615,
    ("clustered", "diff_se", "b1000_2000"): 0.0822138217319253,
    ("clustered", "mean", "b2000"): 0.174266303815808,
    ("clustered", "se", "b2000"): 0.0753952300764559,
    ("clustered", "df", "b2000"): 9,
    ("clustered", "n", "b2000"): 23,
    ("clustered", "logit_low", "b2000"): 0.0605999938530129,
    ("clustered", "logit_high", "b2000"): 0.40843740535291,
    ("clustered", "beta_low", "b2000"): 0.0463812113756757,
    ("clustered", "beta_high", "b2000"): 0.398699975755192,
    ("clustered", "mean_low", "b2000"): 0.00371044405753423,
    ("clustered", "mean_high", "b2000"): 0.344822163574081,
    ("clustered", "diff", "b2000"): -0.165591785299622,
    ("clustered", "diff_se", "b2000"): 0.0732553586628433,
    ("clustered", "mean", "b500_1000"): 0.486962580872987,
    ("clustered", "se", "b500_1000"): 0.0988695262475753,
    ("clustered", "df", "b500_1000"): 8,
    ("clustered", "n", "b500_1000"): 24,
    ("clustered", "logit_low", "b500_1000"): 0.275926952435085,
    ("clustered", "logit_high", "b500_1000"): 0.702751136722447,
    ("clustered", "beta_low", "b500_1000"): 0.263973001501667,
    ("clustered", "beta_high", "b500_1000"): 0.713831954852146,
    ("clustered", "mean_low", "b500_1000"): 0.258969044500402,
    ("clustered", "mean_high", "b500_1000"): 0.714956117245572,
    ("clustered", "diff", "b500_1000"): 0.147104491757557,
    ("clustered", "diff_se", "b500_1000"): 0.106225932096817,
    ("clustered", "svyby_se", "b0_500"): 0.154673640538568,
    ("clustered", "svyby_se", "b1000_2000"): 0.103808338457538,
    ("clustered", "svyby_se", "b2000"): 0.0753952300764559,
    ("clustered", "svyby_se", "b500_1000"): 0.0988695262475753,
    ("clustered", "glm_coef", "intercept"): 0.162059016731555,
    ("clustered", "glm_coef", "dist_km"): -0.679215887474593,
    ("clustered", "glm_se", "intercept"): 0.247244357967762,
    ("clustered", "glm_se", "dist_km"): 0.251835109098242,
    ("clustered", "glm_low", "dist_km"): -1.24033947835059,
    ("clustered", "glm_high", "dist_km"): -0.118092296598599,
    ("clustered", "glm_df", "all"): 10,
    ("simple", "mean", "all"): 0.33985808911543,
    ("simple", "se", "all"): 0.056089408386517,
    ("simple", "df", "all"): 94,
    ("simple", "n", "all"): 95,
    ("simple", "logit_low", "all"): 0.238610175363663,
    ("simple", "logit_high", "all"): 0.45821293867985,
    ("simple", "beta_low", "all"): 0.231809595633438,
    ("simple", "beta_high", "all"): 0.46167239607392,
    ("simple", "mean_low", "all"): 0.228491253923571,
    ("simple", "mean_high", "all"): 0.451224924307288,
    ("simple", "mean", "b0_500"): 0.43118004193792,
    ("simple", "se", "b0_500"): 0.120792464898908,
    ("simple", "df", "b0_500"): 21,
    ("simple", "n", "b0_500"): 22,
    ("simple", "logit_low", "b0_500"): 0.213954994483657,
    ("simple", "logit_high", "b0_500"): 0.678562157977128,
    ("simple", "beta_low", "b0_500"): 0.197925258737286,
    ("simple", "beta_high", "b0_500"): 0.689382854771642,
    ("simple", "mean_low", "b0_500"): 0.179978359595368,
    ("simple", "mean_high", "b0_500"): 0.682381724280472,
    ("simple", "diff", "b0_500"): 0.0913219528224905,
    ("simple", "diff_se", "b0_500"): 0.105219241387809,
    ("simple", "mean", "b1000_2000"): 0.242548829622868,
    ("simple", "se", "b1000_2000"): 0.104589007387073,
    ("simple", "df", "b1000_2000"): 25,
    ("simple", "n", "b1000_2000"): 26,
    ("simple", "logit_low", "b1000_2000"): 0.0901973948585575,
    ("simple", "logit_high", "b1000_2000"): 0.508427968086522,
    ("simple", "beta_low", "b1000_2000"): 0.0714535506253346,
    ("simple", "beta_high", "b1000_2000"): 0.508512410644699,
    ("simple", "mean_low", "b1000_2000"): 0.0271437367149923,
    ("simple", "mean_high", "b1000_2000"): 0.457953922530744,
    ("simple", "diff", "b1000_2000"): -0.0973092594925615,
    ("simple", "diff_se", "b1000_2000"): 0.0934584732910594,
    ("simple", "mean", "b2000"): 0.174266303815808,
    ("simple", "se", "b2000"): 0.0850985898864069,
    ("simple", "df", "b2000"): 22,
    ("simple", "n", "b2000"): 23,
    ("simple", "logit_low", "b2000"): 0.0582968921542758,
    ("simple", "logit_high", "b2000"): 0.418426978123502,
    ("simple", "beta_low", "b2000"): 0.043485760463195,
    ("simple", "beta_high", "b2000"): 0.408310484837211,
    ("simple", "mean_low", "b2000"): -0.00221736986622165,
    ("simple", "mean_high", "b2000"): 0.350749977497837,
    ("simple", "diff", "b2000"): -0.165591785299622,
    ("simple", "diff_se", "b2000"): 0.0832520101308841,
    ("simple", "mean", "b500_1000"): 0.486962580872987,
    ("simple", "se", "b500_1000"): 0.110058492507393,
    ("simple", "df", "b500_1000"): 23,
    ("simple", "n", "b500_1000"): 24,
    ("simple", "logit_low", "b500_1000"): 0.27618309132204,
    ("simple", "logit_high", "b500_1000"): 0.702483337754089,
    ("simple", "beta_low", "b500_1000"): 0.264272085100799,
    ("simple", "beta_high", "b500_1000"): 0.713522199751373,
    ("simple", "mean_low", "b500_1000"): 0.25928924275632,
    ("simple", "mean_high", "b500_1000"): 0.714635918989654,
    ("simple", "diff", "b500_1000"): 0.147104491757557,
    ("simple", "diff_se", "b500_1000"): 0.089310271736211,
    ("simple", "svyby_se", "b0_500"): 0.120792464898908,
    ("simple", "svyby_se", "b1000_2000"): 0.104589007387073,
    ("simple", "svyby_se", "b2000"): 0.0850985898864069,
    ("simple", "svyby_se", "b500_1000"): 0.110058492507393,
    ("simple", "glm_coef", "intercept"): 0.162059016731555,
    ("simple", "glm_coef", "dist_km"): -0.679215887474593,
    ("simple", "glm_se", "intercept"): 0.393100953877494,
    ("simple", "glm_se", "dist_km"): 0.250728200249429,
    ("simple", "glm_low", "dist_km"): -1.17711240243757,
    ("simple", "glm_high", "dist_km"): -0.181319372511615,
    ("simple", "glm_df", "all"): 93,
}

BANDS = ["b0_500", "b1000_2000", "b2000", "b500_1000"]
R_METHOD = {"logit": "logit", "beta": "beta", "wald": "mean"}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(DATA)


def _design(data: pd.DataFrame, kind: str) -> SurveyDesign:
    if kind == "clustered":
        return SurveyDesign.from_arrays(data["w"], data["stratum"], data["psu"])
    return SurveyDesign.from_arrays(data["w"])


@pytest.mark.parametrize("kind", ["clustered", "simple"])
@pytest.mark.parametrize("domain", ["all", *BANDS])
def test_mean_se_df_match_r(data: pd.DataFrame, kind: str, domain: str) -> None:
    design = _design(data, kind)
    dom = None if domain == "all" else (data["band"] == domain).to_numpy()
    m = weighted_mean(design, data["unsafe"], dom)
    assert m.estimate == pytest.approx(R_REFERENCE[(kind, "mean", domain)], abs=TOL)
    assert m.se == pytest.approx(R_REFERENCE[(kind, "se", domain)], abs=TOL)
    assert m.df == R_REFERENCE[(kind, "df", domain)]
    assert m.n == R_REFERENCE[(kind, "n", domain)]
    if domain != "all":  # svyby and subset() agree in R; so must the domain SE here
        assert m.se == pytest.approx(R_REFERENCE[(kind, "svyby_se", domain)], abs=TOL)


@pytest.mark.parametrize("kind", ["clustered", "simple"])
@pytest.mark.parametrize("domain", ["all", *BANDS])
@pytest.mark.parametrize("method", ["logit", "beta", "wald"])
def test_intervals_match_r_svyciprop(
    data: pd.DataFrame, kind: str, domain: str, method: str
) -> None:
    design = _design(data, kind)
    dom = None if domain == "all" else (data["band"] == domain).to_numpy()
    r = proportion_ci(design, data["unsafe"], dom, method=method)  # type: ignore[arg-type]
    assert r.estimable
    assert r.ci_low == pytest.approx(
        R_REFERENCE[(kind, f"{R_METHOD[method]}_low", domain)], abs=TOL
    )
    assert r.ci_high == pytest.approx(
        R_REFERENCE[(kind, f"{R_METHOD[method]}_high", domain)], abs=TOL
    )


@pytest.mark.parametrize("kind", ["clustered", "simple"])
@pytest.mark.parametrize("domain", BANDS)
def test_difference_against_region_matches_r_svycontrast(
    data: pd.DataFrame, kind: str, domain: str
) -> None:
    design = _design(data, kind)
    dom = (data["band"] == domain).to_numpy()
    d = domain_difference(design, data["unsafe"], dom)
    assert d.estimate == pytest.approx(R_REFERENCE[(kind, "diff", domain)], abs=TOL)
    assert d.se == pytest.approx(R_REFERENCE[(kind, "diff_se", domain)], abs=TOL)
    # Interval: t with the region's df (R: confint(con, df = degf(des))).
    t = stats.t.ppf(0.975, R_REFERENCE[(kind, "df", "all")])
    assert d.ci_low == pytest.approx(d.estimate - t * d.se, abs=1e-12)
    # The covariance with the region matters: ignoring it gives another SE.
    naive = np.hypot(R_REFERENCE[(kind, "se", domain)], R_REFERENCE[(kind, "se", "all")])
    assert abs(d.se - naive) > 1e-3


@pytest.mark.parametrize("kind", ["clustered", "simple"])
def test_logistic_trend_matches_r_svyglm(data: pd.DataFrame, kind: str) -> None:
    design = _design(data, kind)
    fit = logistic_regression(design, data["unsafe"], data["dist_km"].to_numpy(), ["dist_km"])
    assert fit.estimable
    assert fit.coef[0] == pytest.approx(R_REFERENCE[(kind, "glm_coef", "intercept")], abs=TOL)
    assert fit.coef[1] == pytest.approx(R_REFERENCE[(kind, "glm_coef", "dist_km")], abs=TOL)
    assert fit.se[0] == pytest.approx(R_REFERENCE[(kind, "glm_se", "intercept")], abs=TOL)
    assert fit.se[1] == pytest.approx(R_REFERENCE[(kind, "glm_se", "dist_km")], abs=TOL)
    assert fit.ci_low[1] == pytest.approx(R_REFERENCE[(kind, "glm_low", "dist_km")], abs=TOL)
    assert fit.ci_high[1] == pytest.approx(R_REFERENCE[(kind, "glm_high", "dist_km")], abs=TOL)
    assert fit.df == R_REFERENCE[(kind, "glm_df", "all")]


def test_statsmodels_freq_weights_se_differs_from_design_se(data: pd.DataFrame) -> None:
    """Why the sandwich: a GLM with frequency weights gives model-based SEs (not R's svyglm)."""
    import statsmodels.api as sm

    x = sm.add_constant(data["dist_km"].to_numpy())
    glm = sm.GLM(
        data["unsafe"].to_numpy(),
        x,
        family=sm.families.Binomial(),
        freq_weights=data["w"].to_numpy(),
    ).fit()
    assert glm.params[1] == pytest.approx(
        R_REFERENCE[("clustered", "glm_coef", "dist_km")], abs=1e-6
    )
    assert abs(glm.bse[1] - R_REFERENCE[("clustered", "glm_se", "dist_km")]) > 0.1


def test_domain_estimation_keeps_all_psus_unlike_cutting_the_design(data: pd.DataFrame) -> None:
    """Cutting the data to a domain and rebuilding the design changes the SE (PSU counts per
    stratum shrink); domain estimation keeps R's value."""
    dom = (data["band"] == "b0_500").to_numpy()
    sub = data[dom]
    cut = SurveyDesign.from_arrays(sub["w"], sub["stratum"], sub["psu"])
    cut_se = weighted_mean(cut, sub["unsafe"]).se
    assert cut_se is not None
    assert abs(cut_se - R_REFERENCE[("clustered", "se", "b0_500")]) > 1e-4


# -- hand-worked cases and the not-estimable states ---------------------------------------------


def test_simple_unweighted_design_is_the_textbook_formula() -> None:
    # Equal weights, no clusters: SE = sqrt(p(1-p)/(n-1)) (the n/(n-1) with-replacement factor).
    y = np.r_[np.ones(12), np.zeros(28)]
    m = weighted_mean(SurveyDesign.from_arrays(np.full(40, 3.0)), y)
    assert m.estimate == pytest.approx(0.3)
    assert m.se == pytest.approx(np.sqrt(0.3 * 0.7 / 39))
    assert m.df == 39


def test_zero_share_gets_korn_graubard_clopper_pearson_bound_not_zero_width() -> None:
    design = SurveyDesign.from_arrays(np.ones(40))
    y = np.zeros(40)
    kg = proportion_ci(design, y, method="beta")
    assert kg.estimable and kg.estimate == 0.0 and kg.ci_low == 0.0
    # n_eff = n = 40, factor (t_39/t_39)^2 = 1: exact Clopper-Pearson upper bound 1-(0.025)^(1/40).
    assert kg.ci_high == pytest.approx(1 - 0.025 ** (1 / 40), abs=1e-12)
    for method in ("logit", "wald"):
        r = proportion_ci(design, y, method=method)  # type: ignore[arg-type]
        assert not r.estimable and r.ci_low is None and r.ci_high is None and r.reason
    full = proportion_ci(design, np.ones(40), method="beta")
    assert full.ci_high == 1.0 and full.ci_low == pytest.approx(0.025 ** (1 / 40), abs=1e-12)


def test_domain_with_one_psu_is_not_estimable() -> None:
    design = SurveyDesign.from_arrays(np.ones(8), stratum=list("aaaabbbb"), psu=[1, 1, 2, 2] * 2)
    dom = np.array([True, True, False, False, False, False, False, False])
    r = proportion_ci(design, [1, 0, 1, 1, 0, 0, 1, 0], dom)
    assert r.df == 0 and not r.estimable and r.ci_low is None and "PSU" in (r.reason or "")


def test_empty_domain_is_not_estimable() -> None:
    design = SurveyDesign.from_arrays(np.ones(4))
    r = proportion_ci(design, [1, 0, 1, 0], np.zeros(4, dtype=bool))
    assert r.n == 0 and r.estimate is None and not r.estimable


def test_difference_of_region_with_itself_is_not_a_valid_zero_width_interval() -> None:
    design = SurveyDesign.from_arrays(np.ones(10))
    d = domain_difference(design, np.r_[np.ones(5), np.zeros(5)], np.ones(10, dtype=bool))
    assert d.estimate == 0.0 and not d.estimable and d.ci_low is None


def test_separation_is_reported_not_fitted() -> None:
    design = SurveyDesign.from_arrays(np.ones(10))
    fit = logistic_regression(design, np.r_[np.ones(5), np.zeros(5)], np.arange(10.0), ["x"])
    assert not fit.estimable and "converge" in (fit.reason or "")


def test_design_validation() -> None:
    with pytest.raises(DataError, match="single PSU"):
        SurveyDesign.from_arrays(np.ones(4), stratum=list("aabb"), psu=[1, 1, 1, 2])
    with pytest.raises(DataError, match="weight"):
        SurveyDesign.from_arrays([1.0, 0.0])
    with pytest.raises(DataError, match="stratum"):
        SurveyDesign.from_arrays([1.0, 1.0], stratum=["a", None])
    design = SurveyDesign.from_arrays(np.ones(3))
    with pytest.raises(UsageError, match="method"):
        proportion_ci(design, [0, 1, 0], method="exact")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="0 or 1"):
        proportion_ci(design, [0, 2, 0])
    with pytest.raises(UsageError, match="missing"):
        proportion_ci(design, [0, np.nan, 0])


def test_psu_labels_are_nested_in_strata() -> None:
    # PSU "1" in stratum a and in b are different PSUs (R nest=TRUE): 4 PSUs, 2 strata.
    design = SurveyDesign.from_arrays(np.ones(8), stratum=list("aaaabbbb"), psu=[1, 1, 2, 2] * 2)
    assert design.n_psu == 4 and design.df() == 2
