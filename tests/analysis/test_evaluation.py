"""The evaluation of worked-away scenes: PPML against pyfixest, the survey difference in
differences against R's survey package, event timing, planted effects and bad input.

``R_REFERENCE`` was produced by ``Rscript tests/stats/r/evaluation_reference.R`` (R 4.2.2,
survey 4.1.1) on ``tests/stats/data/evaluation_reference.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from drugscenes.analysis.evaluation import (
    EventTiming,
    evaluate_crime,
    local_months,
    month_label,
    survey_did,
)
from drugscenes.demo.planted import (
    DATE_A,
    DATE_B,
    coverage,
    planted_county,
    planted_incidents,
    replicate,
)
from drugscenes.errors import UsageError
from drugscenes.stats.regression import poisson_fe

DATA = Path(__file__).resolve().parents[1] / "stats" / "data" / "evaluation_reference.csv"
TOL = 1e-6

R_REFERENCE = {
    "mean_ceased_2023": 0.434195164941506,
    "se_ceased_2023": 0.0373557955813277,
    "mean_ceased_2025": 0.290012722573333,
    "se_ceased_2025": 0.0277152221842542,
    "mean_persisting_2023": 0.379843445687825,
    "se_persisting_2023": 0.0383086473778553,
    "mean_persisting_2025": 0.298523377956187,
    "se_persisting_2025": 0.039334851258502,
    "within_2023": 0.0543517192536809,
    "within_se_2023": 0.0492891422535977,
    "within_2025": -0.008510655382854,
    "within_se_2025": 0.0490520388989029,
    "did": -0.0628623746365349,
    "did_se": 0.0695379181758764,
    "df_2023": 16,
    "df_2025": 16,
}


# -- survey: R's survey package -----------------------------------------------------------


def _reference_samples() -> list[tuple[int, pd.DataFrame, np.ndarray]]:
    d = pd.read_csv(DATA)
    d = d.rename(columns={"w": "weight"})
    return [(y, g.reset_index(drop=True), g["group"].to_numpy()) for y, g in d.groupby("year")]


def test_survey_did_matches_r_svyby_svycontrast() -> None:
    r = survey_did(_reference_samples(), min_n=30)
    assert r.estimable and r.years == (2023, 2025)
    assert r.difference == pytest.approx(R_REFERENCE["did"], abs=TOL)
    assert r.se == pytest.approx(R_REFERENCE["did_se"], abs=TOL)
    for (d, se), year in zip(r.within, (2023, 2025), strict=True):
        assert d == pytest.approx(R_REFERENCE[f"within_{year}"], abs=TOL)
        assert se == pytest.approx(R_REFERENCE[f"within_se_{year}"], abs=TOL)
    for cell in r.cells:
        assert cell.share == pytest.approx(R_REFERENCE[f"mean_{cell.group}_{cell.year}"], abs=TOL)
    # Satterthwaite df from the two years' design df (16 each) and a t interval.
    v0, v1 = R_REFERENCE["within_se_2023"] ** 2, R_REFERENCE["within_se_2025"] ** 2
    df = (v0 + v1) ** 2 / (v0**2 / 16 + v1**2 / 16)
    assert r.df == pytest.approx(df, rel=1e-6)
    from scipy import stats

    half = stats.t.ppf(0.975, df) * R_REFERENCE["did_se"]
    assert r.ci_low == pytest.approx(R_REFERENCE["did"] - half, abs=TOL)
    assert r.ci_high == pytest.approx(R_REFERENCE["did"] + half, abs=TOL)


def test_survey_did_suppresses_small_cells() -> None:
    samples = _reference_samples()
    r = survey_did(samples, min_n=200)  # 176 near ceased scenes in 2023
    assert not r.estimable and r.difference is None
    assert "fewer than 200 respondents" in (r.reason or "")
    assert "2023 near ceased" in (r.reason or "")


# -- PPML: pyfixest -----------------------------------------------------------------------


def _panel(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_u, n_t = 45, 20
    unit, month = np.repeat(np.arange(n_u), n_t), np.tile(np.arange(n_t), n_u)
    treated = unit < 12
    after, between = month >= 12, (month >= 9) & (month < 12)
    lam = np.exp(0.5 + rng.normal(0, 1, n_u)[unit] + 0.2 * np.sin(month) - 0.5 * (treated & after))
    y = rng.poisson(lam * rng.gamma(2.0, 0.5, n_u * n_t)).astype(float)
    y[unit == 44] = 0.0  # a unit without incidents: dropped by both
    return pd.DataFrame(
        {
            "y": y,
            "unit": unit,
            "month": month,
            "after": (treated & after).astype(float),
            "between": (treated & between).astype(float),
        }
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_ppml_matches_pyfixest_fepois(seed: int) -> None:
    pf = pytest.importorskip("pyfixest")
    df = _panel(seed)
    fit = poisson_fe(
        df["y"].to_numpy(),
        df["unit"].to_numpy(),
        df["month"].to_numpy(),
        df[["after", "between"]].to_numpy(),
        ["after", "between"],
    )
    ref = pf.fepois(
        "y ~ after + between | unit + month",
        df,
        vcov={"CRV1": "unit"},
        ssc=pf.ssc(k_adj=False, G_adj=True),  # G/(G-1) only, as drugscenes
        iwls_tol=1e-12,
        fixef_tol=1e-12,
    )
    assert fit.dropped_units == 1 and fit.n_clusters == 44
    np.testing.assert_allclose(fit.coef, ref.coef().to_numpy(), atol=TOL, rtol=0)
    np.testing.assert_allclose(fit.se, ref.se().to_numpy(), atol=TOL, rtol=0)


def test_event_study_coefficients_match_pyfixest() -> None:
    """The event-study regression (one treated x month dummy per month, reference omitted)."""
    pf = pytest.importorskip("pyfixest")
    df = _panel(3)
    treated = (df["unit"] < 12).to_numpy()
    months = [m for m in range(20) if m != 8]
    cols = {f"m{m}": ((df["month"] == m).to_numpy() & treated).astype(float) for m in months}
    df = df.assign(**cols)
    fit = poisson_fe(
        df["y"].to_numpy(),
        df["unit"].to_numpy(),
        df["month"].to_numpy(),
        df[list(cols)].to_numpy(),
        list(cols),
    )
    ref = pf.fepois(
        "y ~ " + " + ".join(cols) + " | unit + month",
        df,
        vcov={"CRV1": "unit"},
        ssc=pf.ssc(k_adj=False, G_adj=True),
        iwls_tol=1e-12,
        fixef_tol=1e-12,
    )
    np.testing.assert_allclose(fit.coef, ref.coef().to_numpy(), atol=TOL, rtol=0)
    np.testing.assert_allclose(fit.se, ref.se().to_numpy(), atol=TOL, rtol=0)


# -- event timing -------------------------------------------------------------------------


def test_event_timing_months() -> None:
    t = EventTiming.from_dates("2023-10-01", "2024-02-01")
    assert (month_label(t.reference), month_label(t.event)) == ("2023-09", "2024-02")
    assert [t.phase(t.reference), t.phase(t.reference + 1), t.phase(t.event)] == [
        "before",
        "between rounds",
        "after",
    ]
    # A round B in the middle of a month: that month is partly before it, not "after".
    t2 = EventTiming.from_dates("2023-10-15", "2024-02-15")
    assert (month_label(t2.reference), month_label(t2.event)) == ("2023-09", "2024-03")
    with pytest.raises(Exception, match="must be after"):
        EventTiming.from_dates("2024-02-01", "2023-10-01")


def test_local_months_use_swedish_calendar() -> None:
    t = pd.Series(pd.to_datetime(["2023-12-31T22:59:59Z", "2023-12-31T23:00:00Z"], utc=True))
    assert [month_label(m) for m in local_months(t)] == ["2023-12", "2024-01"]


# -- planted effect -------------------------------------------------------------------------


def test_planted_effect_is_recovered_with_event_study_and_checks() -> None:
    r = replicate(1, 0.5, extras=True)
    m = r.main
    assert m.estimable and m.ci_low < 0.5 < m.ci_high
    assert m.n_treated == 10 and m.n_control == 30 and m.n_clusters == 40
    assert r.pretrend_p_value is not None and r.pretrend_p_value > 0.01
    assert r.placebo is not None and r.placebo.estimable
    assert r.placebo.ci_low < 1.0 < r.placebo.ci_high
    ref = [e for e in r.event_study if e.reference]
    assert len(ref) == 1 and ref[0].period == -5 and ref[0].coef == 0.0

    def mean(phase: str) -> float:
        return np.mean([e.coef for e in r.event_study if e.phase == phase and e.coef is not None])

    assert mean("after") - mean("before") == pytest.approx(np.log(0.5), abs=0.25)
    assert r.ring is not None and r.ring.estimable
    assert (
        r.monthly["ceased"].sum() > 0 and len(r.monthly) == 25
    )  # 2024-01: the last UTC hour of 2023


@pytest.mark.slow
def test_interval_coverage_on_planted_data() -> None:
    """20 replications each (benchmarks/bench_evaluation.py runs 100): loose bounds."""
    covered, n, est = coverage(range(100, 120), 0.6)
    assert n == 20 and covered >= 16
    assert np.median(est) == pytest.approx(0.6, abs=0.1)
    covered0, n0, _ = coverage(range(100, 120), 1.0)
    assert n0 == 20 and covered0 >= 16


# -- bad input ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def county():
    munis, scenes, status = planted_county(7)
    inc = planted_incidents(7, munis, scenes, status, 0.5)
    return munis, scenes, status, inc


def test_no_ceased_scenes_gives_a_reason(county) -> None:
    munis, scenes, status, inc = county
    r = evaluate_crime(inc, scenes, np.full(len(status), "persisting"), munis, DATE_A, DATE_B)
    assert r.reason == "no worked-away scenes" and not r.main.estimable


def test_no_incidents_before_round_a_gives_a_reason(county) -> None:
    munis, scenes, status, inc = county
    late = inc[inc["time"] >= pd.Timestamp("2022-11-01", tz="UTC")]
    r = evaluate_crime(late, scenes, status, munis, DATE_A, DATE_B)
    assert r.reason is not None and r.reason.startswith("no incidents before round A")
    early = inc[inc["time"] < pd.Timestamp("2022-12-01", tz="UTC")]
    r2 = evaluate_crime(early, scenes, status, munis, DATE_A, DATE_B)
    assert r2.reason is not None and r2.reason.startswith("no incidents on or after round B")
    r3 = evaluate_crime(inc.iloc[:0], scenes, status, munis, DATE_A, DATE_B)
    assert r3.reason == "no incidents are stored for this category"


def test_no_incidents_at_worked_away_scenes_after_is_rate_ratio_zero(county) -> None:
    munis, scenes, status, _ = county
    inc = planted_incidents(7, munis, scenes, status, 0.0)
    r = evaluate_crime(inc, scenes, status, munis, DATE_A, DATE_B, extras=False)
    assert r.main.rate_ratio == 0.0 and not r.main.estimable
    assert "rate ratio 0" in (r.main.reason or "")


@pytest.mark.parametrize("event_study", [False, True])
def test_ppml_with_unit_effects_concentrated_out_equals_the_dummy_fit(event_study: bool) -> None:
    """A national panel (2,000 scenes x 120 months) is fitted with the unit effects
    concentrated out (no dense dummy design); same estimates and clustered SEs (issue 14)."""
    df = _panel(3)
    unit, month = df["unit"].to_numpy(), df["month"].to_numpy()
    if event_study:
        treated = df.groupby("unit")["after"].transform("max").to_numpy() > 0
        months = np.unique(month)[1:]
        x = (month[:, None] == months[None, :]) * treated[:, None]
        names = [f"m{m}" for m in months]
    else:
        x, names = df[["after", "between"]].to_numpy(), ["after", "between"]
    y = df["y"].to_numpy()
    dense = poisson_fe(y, unit, month, x, names)
    concentrated = poisson_fe(y, unit, month, x, names, dense_limit=0)
    assert concentrated.converged and concentrated.n_obs == dense.n_obs
    assert concentrated.dropped_units == dense.dropped_units
    np.testing.assert_allclose(concentrated.coef, dense.coef, atol=1e-8, rtol=0)
    np.testing.assert_allclose(concentrated.cov, dense.cov, atol=1e-10, rtol=1e-7)
    with pytest.raises(UsageError, match="collinear"):
        poisson_fe(y, unit, month, np.c_[x[:, :1], x[:, :1]], ["a", "b"], dense_limit=0)
