"""Did working scenes away help? Crime and perceived safety at worked-away scenes.

Two difference-in-differences designs compare the scenes of round A that had ceased by
round B (*worked away*, the treated) with those that persisted (the comparison): any change
the two groups share (a county-wide trend, seasons, a new reporting routine) cancels out.

Crime: event study and difference-in-differences
-------------------------------------------------
Monthly counts of incidents in each scene's *area*: the scene and its ring(s), with the one
exact zone assignment of :class:`~drugscenes.analysis.zones.ZoneIndex` on round A's scenes
(the same zones as the crime job; a point goes to its containing or nearest scene). Months
are Swedish calendar months over the whole incident history. The model is a Poisson
regression with scene and month fixed effects, fitted by pseudo-maximum likelihood (PPML,
Santos Silva & Tenreyro 2006), standard errors clustered by scene
(:func:`drugscenes.stats.regression.poisson_fe`):

.. math::

    E[y_{it}] = \\exp\\big(\\alpha_i + \\gamma_t + \\beta\\, D_i \\mathrm{After}_t
                 + \\tau\\, D_i \\mathrm{Between}_t\\big)

with :math:`D_i` = 1 for a worked-away scene. :math:`\\exp(\\beta)` is the rate ratio: how
much crime changed at worked-away scenes after round B, relative to the change at persisting
scenes.

*Event time.* A scene's ceasing is known only to lie between the dates of rounds A and B.
Months are therefore split into *before* (wholly before round A's date: the scene surely
existed), *between rounds* (the transition, when scenes were being worked away; its own
coefficient :math:`\\tau`, so that it biases neither side) and *after* (starting on or after
round B's date: the scene had surely ceased). The event month (period 0) is the first month
starting on or after round B's date; the reference period is the last month before round A.
We chose round B's date rather than the midpoint between the rounds: with the transition
months held apart, no after-month can precede the ceasing, at the cost of not estimating the
effect in the first months.

*Event study.* The same model with one coefficient per month for the worked-away scenes
(:math:`D_i \\cdot 1[t = k]`, reference period omitted), plotted against the period
:math:`k` relative to the event month. All worked-away scenes share one event time, so the
plain two-way fixed-effects event study is unbiased here; the problems of staggered timing
(Sun & Abraham 2021, *Journal of Econometrics* 225, 175-199; Callaway & Sant'Anna 2021,
*Journal of Econometrics* 225, 200-230; Goodman-Bacon 2021) arise only when units are
treated at different times and already-treated units serve as controls. The pre-trend test
is the joint Wald test that every coefficient before round A is 0, on F(k, G - 1) with G the
smaller of the numbers of worked-away and persisting scenes: the month-by-month coefficients
rest on the few treated clusters, where the chi-square test over-rejects badly (MacKinnon &
Webb 2017, *Journal of Applied Econometrics* 32, 233-254; in the planted simulations it
rejected a true null in 21 of 30 replications at 5 %, F(k, 9) in 3 of 30). See Roth
(2022, *AER: Insights* 4, 305-322) on the low power of pre-trend tests: a non-significant
pre-trend is not proof of parallel trends.

*Placebo.* The same difference-in-differences on the months before round A only, with a
fictitious event ``placebo_months`` earlier than the real one; an effect there says the
groups were already drifting apart.

*Displacement.* The ring alone (does crime move to the streets next to a worked-away
scene?) and the rest of the municipality (outside every scene's area; units are the
municipalities with worked-away scenes against those with persisting scenes only, clustered
by municipality: few clusters, so a rough check).

Perceived safety
----------------
Respondents are grouped by the nearest scene of round A within ``near_m`` (500 m,
:data:`~drugscenes.config.NEAR_BAND_M`): near a worked-away scene, near a persisting scene
(a tie goes to the persisting scene), or neither (near a merged or split scene, or farther).
For a survey year before and one after round B, the estimate is

.. math:: (\\hat p_{c,\\mathrm{after}} - \\hat p_{p,\\mathrm{after}})
          - (\\hat p_{c,\\mathrm{before}} - \\hat p_{p,\\mathrm{before}}),

with the within-year differences design-based (weights, strata, PSUs; Taylor linearisation
of the two domain means as in :mod:`drugscenes.stats.survey_design`, R ``svyby`` +
``svycontrast``). The years are independent samples, so the variance is the sum of the two
within-year variances, and the interval a t interval with Satterthwaite (1946) degrees of
freedom from the two years' design df.

What the designs cannot show
----------------------------
Scenes were not worked away at random: the agencies chose where to work, perhaps where crime
was already falling (or rising), so a difference may reflect the choice. The pre-trend test
and the placebo check only the months before. Drug offences depend on police activity; more
patrols at a worked-away scene record more of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from drugscenes import config
from drugscenes.analysis.survey import municipality_index, nearest_scene_distance
from drugscenes.analysis.zones import ZoneIndex
from drugscenes.errors import DataError, UsageError
from drugscenes.stats.regression import poisson_fe, wald_test
from drugscenes.stats.survey_design import SurveyDesign

__all__ = [
    "CrimeEvaluation",
    "EffectEstimate",
    "EventCoefficient",
    "EventTiming",
    "SurveyCell",
    "SurveyDiD",
    "evaluate_crime",
    "evaluate_survey",
    "local_months",
    "near_groups",
    "survey_did",
]

CEASED = "ceased"
PERSISTING = "persisting"


# -- months and event time ------------------------------------------------------------------


def local_months(times: pd.Series) -> np.ndarray:
    """Swedish calendar month of each time, as ``year * 12 + month - 1``.

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2023-12-31T23:30:00Z", "2024-01-15T00:00:00Z"]))
    >>> [month_label(m) for m in local_months(t)]  # 00:30 on 1 January in Stockholm
    ['2024-01', '2024-01']
    """
    out = np.empty(len(times), dtype=np.int64)
    step = 1_000_000  # a million at a time: the conversion's temporaries stay small
    for lo in range(0, len(times), step):
        chunk = times.iloc[lo : lo + step]
        local = pd.to_datetime(chunk, utc=True).dt.tz_convert(config.TIMEZONE)
        out[lo : lo + step] = local.dt.year.to_numpy() * 12 + local.dt.month.to_numpy() - 1
    return out


def month_label(ordinal: int) -> str:
    """``YYYY-MM`` of a month ordinal (see :func:`local_months`)."""
    return f"{ordinal // 12:04d}-{ordinal % 12 + 1:02d}"


@dataclass(frozen=True)
class EventTiming:
    """Months of the event design (ordinals as :func:`local_months`).

    Attributes
    ----------
    reference : int
        The last month wholly before round A's date (the reference period).
    event : int
        The first month starting on or after round B's date (period 0).

    Months ``reference < m < event`` lie between the rounds (transition).

    Examples
    --------
    >>> t = EventTiming.from_dates("2023-10-01", "2024-02-01")
    >>> month_label(t.reference), month_label(t.event), t.period(t.reference)
    ('2023-09', '2024-02', -5)
    """

    reference: int
    event: int

    @classmethod
    def from_dates(cls, date_a: str, date_b: str) -> EventTiming:
        a, b = pd.Timestamp(date_a), pd.Timestamp(date_b)
        if b <= a:
            raise UsageError(f"round B's date ({b.date()}) must be after round A's ({a.date()})")
        ref = a.year * 12 + a.month - 2
        event = b.year * 12 + b.month - 1 + (0 if b.day == 1 else 1)
        return cls(ref, event)

    def period(self, month: int) -> int:
        """Months from the event month."""
        return int(month - self.event)

    def phase(self, month: int) -> str:
        """``before``, ``between rounds`` or ``after``."""
        if month <= self.reference:
            return "before"
        return "after" if month >= self.event else "between rounds"


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectEstimate:
    """A difference-in-differences rate ratio from a PPML fit.

    Attributes
    ----------
    outcome : str
        What was counted (``scene and ring``, ``ring``, ``rest of municipality``, ...).
    coef, se : float or None
        :math:`\\beta` (log rate ratio) and its cluster-robust SE.
    rate_ratio, ci_low, ci_high : float or None
        :math:`\\exp(\\beta)` and its Wald interval.
    p_value : float or None
        Two-sided, of :math:`\\beta = 0`.
    n_treated, n_control : int
        Units of each group in the fit (after dropping units without incidents).
    n_months, n_obs, n_clusters : int
    dropped_units : int
        Units left out because they had no incident in any month.
    estimable : bool
    reason : str or None
        Why not, in one line.
    """

    outcome: str
    coef: float | None = None
    se: float | None = None
    rate_ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    n_treated: int = 0
    n_control: int = 0
    n_months: int = 0
    n_obs: int = 0
    n_clusters: int = 0
    dropped_units: int = 0
    estimable: bool = False
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EventCoefficient:
    """One month of the event study (log rate ratio against the reference period)."""

    period: int
    month: str
    phase: str
    coef: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    reference: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CrimeEvaluation:
    """Crime at worked-away against persisting scenes (result of :func:`evaluate_crime`).

    Attributes
    ----------
    main : EffectEstimate
        Scene and ring: the average change after round B.
    transition : EffectEstimate or None
        The months between the rounds (:math:`\\tau`).
    event_study : tuple of EventCoefficient
        One per month, the reference period with coefficient 0.
    pretrend_stat, pretrend_df, pretrend_p_value : float, int, float or None
        Joint Wald test of the coefficients before round A.
    placebo, ring, rest_of_municipality : EffectEstimate
    timing : EventTiming or None
    first_month, last_month : str or None
        The incident history used.
    n_ceased, n_persisting : int
        Scenes of each group in round A (before dropping any).
    monthly : DataFrame
        ``month``, ``period``, ``phase``, ``ceased``, ``persisting``: total incidents of each
        group per month (for a chart).
    reason : str or None
        Why no estimate at all.
    notes : tuple of str
    """

    main: EffectEstimate
    transition: EffectEstimate | None = None
    event_study: tuple[EventCoefficient, ...] = ()
    pretrend_stat: float | None = None
    pretrend_df: int | None = None
    pretrend_p_value: float | None = None
    placebo: EffectEstimate | None = None
    ring: EffectEstimate | None = None
    rest_of_municipality: EffectEstimate | None = None
    timing: EventTiming | None = None
    first_month: str | None = None
    last_month: str | None = None
    n_ceased: int = 0
    n_persisting: int = 0
    monthly: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    reason: str | None = None
    notes: tuple[str, ...] = ()


# -- crime ----------------------------------------------------------------------------------


def evaluate_crime(
    incidents: pd.DataFrame,
    scenes: gpd.GeoDataFrame,
    status: Sequence[str] | np.ndarray,
    municipalities: gpd.GeoDataFrame,
    date_a: str,
    date_b: str,
    *,
    rings_m: Sequence[float] = (config.RING_M,),
    placebo_months: int = 6,
    level: float = 0.95,
    extras: bool = True,
) -> CrimeEvaluation:
    """Event study and difference-in-differences of crime at worked-away scenes.

    Parameters
    ----------
    incidents : DataFrame
        ``time`` (UTC), ``x``, ``y`` (EPSG:3006): the whole history to use (already filtered
        by category).
    scenes : GeoDataFrame
        Round A's scenes (``scene_id``, ``municipality_code``, polygons in EPSG:3006).
    status : sequence of str
        Fate of each scene of ``scenes`` (``ceased``, ``persisting``, others ignored), as
        ``RoundComparison.from_scenes["status"]``.
    municipalities : GeoDataFrame
        ``code`` and polygons, for the rest-of-municipality outcome.
    date_a, date_b : str
        Dates of rounds A and B (``YYYY-MM-DD``).
    rings_m : sequence of float
        Rings of the scene's area (default the crime job's 200 m).
    placebo_months : int
        How much earlier than the real event the placebo event lies.
    level : float
        Confidence level.
    extras : bool
        Also the event study, placebo and displacement outcomes (False: the main estimate
        only, for simulations).

    Returns
    -------
    CrimeEvaluation
        With ``reason`` (and nothing estimated) when the data cannot support the design.

    Examples
    --------
    See ``tests/analysis/test_evaluation.py``; the demo workspace shows a planted effect.
    """
    st = np.asarray(status, dtype=object)
    if st.shape[0] != len(scenes):
        raise UsageError(f"'status' has {st.shape[0]} values for {len(scenes)} scenes")
    treated, control = st == CEASED, st == PERSISTING
    n_c, n_p = int(treated.sum()), int(control.sum())
    timing = EventTiming.from_dates(date_a, date_b)

    def fail(reason: str, **kw: Any) -> CrimeEvaluation:
        return CrimeEvaluation(
            EffectEstimate("scene and ring", reason=reason),
            timing=timing,
            n_ceased=n_c,
            n_persisting=n_p,
            reason=reason,
            **kw,
        )

    if n_c == 0 or n_p == 0:
        return fail("no worked-away scenes" if n_c == 0 else "no persisting scenes to compare")
    if len(incidents) == 0:
        return fail("no incidents are stored for this category")
    months = local_months(incidents["time"])
    m0, m1 = int(months.min()), int(months.max())
    span = {"first_month": month_label(m0), "last_month": month_label(m1)}
    if m0 > timing.reference:
        return fail(
            f"no incidents before round A's date (the history starts {month_label(m0)}): "
            "the design needs months before the scenes ceased",
            **span,
        )
    if m1 < timing.event:
        return fail(
            f"no incidents on or after round B's date (the history ends {month_label(m1)}): "
            "the design needs months after the scenes ceased",
            **span,
        )
    x, y = incidents["x"].to_numpy(float), incidents["y"].to_numpy(float)
    assignment = ZoneIndex(scenes, rings_m).assign(x, y)
    n_rings = len(assignment.rings_m)
    zone, scene = assignment.zone, assignment.scene_index
    month_idx = months - m0
    n_months = m1 - m0 + 1
    area = _count_matrix(np.where(zone <= n_rings, scene, -1), month_idx, len(scenes), n_months)
    ring_only = (zone >= 1) & (zone <= n_rings)
    ring = _count_matrix(np.where(ring_only, scene, -1), month_idx, len(scenes), n_months)
    month_ord = np.arange(m0, m1 + 1)
    phase = np.array([timing.phase(int(m)) for m in month_ord])
    units = treated | control
    main, transition = _did(area[units], treated[units], phase, "scene and ring", level)
    if not extras:
        return CrimeEvaluation(
            main, transition, timing=timing, n_ceased=n_c, n_persisting=n_p, **span
        )
    event, pre_test = _event_study(area[units], treated[units], month_ord, timing, level)
    placebo = _placebo(area[units], treated[units], month_ord, timing, placebo_months, level)
    ring_est = _did(ring[units], treated[units], phase, "ring", level)[0]
    rest = _rest_of_municipality(
        zone == n_rings + 1, x, y, month_idx, n_months, scenes, st, municipalities, phase, level
    )
    monthly = pd.DataFrame(
        {
            "month": [month_label(int(m)) for m in month_ord],
            "period": month_ord - timing.event,
            "phase": phase,
            CEASED: area[treated].sum(axis=0),
            PERSISTING: area[control].sum(axis=0),
        }
    )
    notes = [
        f"Event time: ceasing is known only to lie between the rounds' dates ({date_a} and "
        f"{date_b}); period 0 is {month_label(timing.event)}, the first month after round B; "
        f"the reference period is {month_label(timing.reference)}, the last month before "
        "round A; the months between have their own coefficient.",
    ]
    if main.dropped_units:
        notes.append(
            f"{main.dropped_units} scene(s) without any incident in their area were left out "
            "(they carry no information in a Poisson model with scene effects)."
        )
    return CrimeEvaluation(
        main=main,
        transition=transition,
        event_study=event,
        pretrend_stat=pre_test[0],
        pretrend_df=pre_test[1],
        pretrend_p_value=pre_test[2],
        placebo=placebo,
        ring=ring_est,
        rest_of_municipality=rest,
        timing=timing,
        n_ceased=n_c,
        n_persisting=n_p,
        monthly=monthly,
        notes=tuple(notes),
        **span,
    )


def _count_matrix(unit: np.ndarray, month: np.ndarray, n_units: int, n_months: int) -> np.ndarray:
    ok = unit >= 0
    flat = unit[ok].astype(np.int64) * n_months + month[ok]
    return np.bincount(flat, minlength=n_units * n_months).reshape(n_units, n_months)


def _panel(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_u, n_t = counts.shape
    return (
        counts.ravel().astype(float),
        np.repeat(np.arange(n_u), n_t),
        np.tile(np.arange(n_t), n_u),
    )


def _did(
    counts: np.ndarray, treated: np.ndarray, phase: np.ndarray, outcome: str, level: float
) -> tuple[EffectEstimate, EffectEstimate | None]:
    """PPML difference in differences: treated x after and, when there are months between
    the rounds, treated x between rounds (returned second, else None)."""
    columns = [(phase == "after").astype(float)]
    names = [outcome]
    if (phase == "between rounds").any():
        columns.append((phase == "between rounds").astype(float))
        names.append(f"{outcome}, between rounds")
    fits = _fit_effect(counts, treated, np.column_stack(columns), names, level)
    return fits[0], (fits[1] if len(fits) > 1 else None)


def _fit_effect(
    counts: np.ndarray,
    treated: np.ndarray,
    month_columns: np.ndarray,
    outcomes: list[str],
    level: float,
) -> list[EffectEstimate]:
    """Fit treated x each of ``month_columns`` with unit and month effects (one fit); one
    estimate per column. A column whose months have no incident at treated units has rate
    ratio 0 and no interval (separation), and is left out of the fit."""
    active = counts.sum(axis=1) > 0
    n_t, n_c = int((treated & active).sum()), int((~treated & active).sum())
    base = {"n_treated": n_t, "n_control": n_c, "dropped_units": int((~active).sum())}
    if n_t == 0 or n_c == 0:
        which = "worked-away" if n_t == 0 else "comparison"
        reason = f"no incidents at any {which} unit"
        return [EffectEstimate(o, reason=reason, **base) for o in outcomes]
    out: list[EffectEstimate | None] = [None] * len(outcomes)
    fit_cols = []
    for k, o in enumerate(outcomes):
        if counts[treated][:, month_columns[:, k] > 0].sum() == 0:
            reason = "no incidents at worked-away units in these months (rate ratio 0, no interval)"
            out[k] = EffectEstimate(o, rate_ratio=0.0, reason=reason, **base)
        else:
            fit_cols.append(k)
    if fit_cols:
        y, unit, time = _panel(counts)
        x = month_columns[time][:, fit_cols] * treated[unit][:, None]
        names = [outcomes[k] for k in fit_cols]
        try:
            fit = poisson_fe(y, unit, time, x, names)
            reason = None if fit.converged else "the Poisson fit did not converge"
        except UsageError as exc:
            reason = str(exc)
        for j, k in enumerate(fit_cols):
            if reason is not None:
                out[k] = EffectEstimate(outcomes[k], reason=reason, **base)
                continue
            lo, hi = fit.interval(level)
            out[k] = EffectEstimate(
                outcomes[k],
                coef=float(fit.coef[j]),
                se=float(fit.se[j]),
                rate_ratio=float(np.exp(fit.coef[j])),
                ci_low=float(np.exp(lo[j])),
                ci_high=float(np.exp(hi[j])),
                p_value=float(fit.p_values()[j]),
                n_months=fit.n_times,
                n_obs=fit.n_obs,
                n_clusters=fit.n_clusters,
                estimable=True,
                **base,
            )
    return [e for e in out if e is not None]


def _event_study(
    counts: np.ndarray,
    treated: np.ndarray,
    month_ord: np.ndarray,
    timing: EventTiming,
    level: float,
) -> tuple[tuple[EventCoefficient, ...], tuple[float | None, int | None, float | None]]:
    """One coefficient per month (reference omitted); months where either group has no
    incident (separation: the coefficient would be infinite) are left out."""
    active = counts.sum(axis=1) > 0
    counts, treated = counts[active], treated[active]
    if not treated.any() or treated.all():
        return (), (None, None, None)
    by_t = counts[treated].sum(axis=0)
    by_c = counts[~treated].sum(axis=0)
    fit_months = [
        j for j, m in enumerate(month_ord) if m != timing.reference and by_t[j] > 0 and by_c[j] > 0
    ]
    ref_j = int(np.flatnonzero(month_ord == timing.reference)[0])
    names = [month_label(int(month_ord[j])) for j in fit_months]
    dummies = np.zeros((len(month_ord), len(fit_months)))
    dummies[fit_months, np.arange(len(fit_months))] = 1.0
    y, unit, time = _panel(counts)
    try:
        fit = poisson_fe(y, unit, time, dummies[time] * treated[unit][:, None], names)
    except UsageError:
        return (), (None, None, None)
    lo, hi = fit.interval(level)
    out: list[EventCoefficient] = []
    position = {j: k for k, j in enumerate(fit_months)}
    for j, m in enumerate(month_ord):
        m = int(m)
        common = (timing.period(m), month_label(m), timing.phase(m))
        if j == ref_j:
            out.append(EventCoefficient(*common, 0.0, None, None, None, reference=True))
        elif j in position:
            k = position[j]
            out.append(
                EventCoefficient(
                    *common, float(fit.coef[k]), float(fit.se[k]), float(lo[k]), float(hi[k])
                )
            )
        else:
            out.append(EventCoefficient(*common, None, None, None, None))
    pre = [k for k, j in enumerate(fit_months) if month_ord[j] < timing.reference]
    if not pre:
        return tuple(out), (None, None, None)
    few = min(int(treated.sum()), int((~treated).sum()))
    stat, df, p = wald_test(fit.coef[pre], fit.cov[np.ix_(pre, pre)], max(few - 1, 1))
    return tuple(out), (stat, df, p)


def _placebo(
    counts: np.ndarray,
    treated: np.ndarray,
    month_ord: np.ndarray,
    timing: EventTiming,
    shift: int,
    level: float,
) -> EffectEstimate:
    """Difference in differences on the months before round A with a fictitious event."""
    name = f"placebo ({shift} months earlier)"
    fake = timing.event - shift
    pre = month_ord <= timing.reference
    n_before = int((pre & (month_ord < fake)).sum())
    n_after = int((pre & (month_ord >= fake)).sum())
    if n_before < 2 or n_after < 2:
        return EffectEstimate(
            name,
            reason=f"the placebo date {month_label(fake)} leaves {n_before} month(s) before and "
            f"{n_after} after it within the months before round A; 2 of each are needed",
        )
    after = (month_ord[pre] >= fake).astype(float)[:, None]
    return _fit_effect(counts[:, pre], treated, after, [name], level)[0]


def _rest_of_municipality(
    rest: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    month_idx: np.ndarray,
    n_months: int,
    scenes: gpd.GeoDataFrame,
    status: np.ndarray,
    municipalities: gpd.GeoDataFrame,
    phase: np.ndarray,
    level: float,
) -> EffectEstimate:
    """Municipalities with a worked-away scene against those with persisting scenes only,
    counting incidents outside every scene's area."""
    name = "rest of municipality"
    if "municipality_code" not in scenes.columns:
        return EffectEstimate(name, reason="the scenes have no municipality codes")
    codes = scenes["municipality_code"].astype(str).to_numpy()
    with_ceased = set(codes[status == CEASED])
    with_persisting = set(codes[status == PERSISTING]) - with_ceased
    units = sorted(with_ceased | with_persisting)
    if len(with_ceased) < 2 or len(with_persisting) < 2:
        return EffectEstimate(
            name,
            n_treated=len(with_ceased),
            n_control=len(with_persisting),
            reason=f"{len(with_ceased)} municipality(ies) with worked-away scenes and "
            f"{len(with_persisting)} with persisting scenes only; 2 of each are needed",
        )
    # The unit of each municipality row (-1: not a unit), then of each incident's row.
    row_unit = pd.Index(units).get_indexer(municipalities["code"].astype(str))
    row = municipality_index(x[rest], y[rest], municipalities)
    unit = np.where(row >= 0, row_unit[row], -1)
    counts = _count_matrix(unit, month_idx[rest], len(units), n_months)
    treated = np.array([c in with_ceased for c in units])
    return _did(counts, treated, phase, name, level)[0]


# -- perceived safety -----------------------------------------------------------------------


def near_groups(
    x: np.ndarray,
    y: np.ndarray,
    scenes: gpd.GeoDataFrame,
    status: Sequence[str] | np.ndarray,
    near_m: float = config.NEAR_BAND_M,
) -> np.ndarray:
    """Group of each point by its nearest scene within ``near_m``: ``ceased``,
    ``persisting`` or None (nearest is another status, or none that near). A tie between a
    worked-away and a persisting scene goes to the persisting one.

    Examples
    --------
    >>> import shapely
    >>> boxes = [shapely.box(0, 0, 10, 10), shapely.box(990, 0, 1000, 10)]
    >>> sc = gpd.GeoDataFrame(geometry=boxes, crs=3006)
    >>> near_groups(np.array([20.0, 980.0, -600.0]), np.zeros(3), sc, ["ceased", "persisting"])
    array(['ceased', 'persisting', None], dtype=object)
    """
    st = np.asarray(status, dtype=object)
    px, py = np.asarray(x, float), np.asarray(y, float)

    def dist(mask: np.ndarray) -> np.ndarray:
        if not mask.any() or px.size == 0:
            return np.full(px.shape[0], np.inf)
        return nearest_scene_distance(px, py, scenes[mask])

    d_c, d_p = dist(st == CEASED), dist(st == PERSISTING)
    d_o = dist((st != CEASED) & (st != PERSISTING))
    out = np.full(px.shape[0], None, dtype=object)
    out[(d_p <= near_m) & (d_p <= d_c) & (d_p <= d_o)] = PERSISTING
    out[(d_c <= near_m) & (d_c < d_p) & (d_c <= d_o)] = CEASED
    return out


@dataclass(frozen=True)
class SurveyCell:
    """Weighted share unsafe of one group in one year."""

    year: int
    group: str
    n: int
    share: float | None


@dataclass(frozen=True)
class SurveyDiD:
    """Change in the share unsafe near worked-away minus near persisting scenes.

    Attributes
    ----------
    years : tuple of int
        (before, after).
    difference, se, ci_low, ci_high : float or None
        The difference in differences (a fraction: -0.05 is 5 percentage points less
        unsafe), its SE and t interval.
    df : float or None
        Satterthwaite degrees of freedom.
    within : tuple of (float, float) or ()
        (difference ceased - persisting, its SE) of each year.
    cells : tuple of SurveyCell
        The four cells (year x group).
    estimable : bool
    reason : str or None
    """

    years: tuple[int, ...]
    difference: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    df: float | None = None
    within: tuple[tuple[float, float], ...] = ()
    cells: tuple[SurveyCell, ...] = ()
    estimable: bool = False
    reason: str | None = None


def evaluate_survey(
    before: pd.DataFrame,
    after: pd.DataFrame,
    years: tuple[int, int],
    scenes: gpd.GeoDataFrame,
    status: Sequence[str] | np.ndarray,
    *,
    near_m: float = config.NEAR_BAND_M,
    min_n: int = config.SURVEY_MIN_N,
    level: float = 0.95,
) -> SurveyDiD:
    """Design-based difference in differences of the share unsafe near worked-away scenes.

    Parameters
    ----------
    before, after : DataFrame
        Respondents of a survey year before and one after round B: ``x``, ``y``, ``weight``,
        ``unsafe`` (0/1/<NA>), optional ``stratum`` and ``psu``.
    years : (int, int)
        Their years.
    scenes : GeoDataFrame
        Round A's scenes.
    status : sequence of str
        Fate of each scene (``ceased``, ``persisting``, ...).
    near_m : float
        "Near" distance.
    min_n : int
        Fewest respondents (who answered) in each of the four cells; fewer: no estimate.
    level : float

    Returns
    -------
    SurveyDiD
        Unrounded; disclosure control (whole percent) is the service's.

    Notes
    -----
    Within a year, :math:`D = \\hat p_c - \\hat p_p` is linearised as
    :math:`z_i = 1_c(i) w_i (y_i - \\hat p_c)/\\hat W_c - 1_p(i) w_i (y_i - \\hat p_p)/\\hat W_p`
    and its variance taken over all PSUs of the year (domain estimation; R ``svyby(...,
    covmat=TRUE)`` with ``svycontrast``). The reference test fits both years as one design
    with strata year x stratum, which gives the same sum of variances.
    """
    groups = [
        near_groups(r["x"].to_numpy(), r["y"].to_numpy(), scenes, status, near_m)
        for r in (before, after)
    ]
    return survey_did(
        [(years[0], before, groups[0]), (years[1], after, groups[1])], min_n=min_n, level=level
    )


def survey_did(
    samples: Sequence[tuple[int, pd.DataFrame, np.ndarray]],
    *,
    min_n: int = config.SURVEY_MIN_N,
    level: float = 0.95,
) -> SurveyDiD:
    """Difference in differences of the share unsafe, ceased minus persisting, after minus
    before, from respondents already grouped.

    Parameters
    ----------
    samples : two (year, respondents, groups)
        Before and after: respondents (``weight``, ``unsafe``, optional ``stratum``,
        ``psu``) and the group of each (``ceased``, ``persisting`` or anything else).
    min_n, level
        As :func:`evaluate_survey`.

    Returns
    -------
    SurveyDiD

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> def year(shift):
    ...     g = np.repeat(["ceased", "persisting"], 200)
    ...     p = np.where(g == "ceased", 0.4 + shift, 0.3)
    ...     return pd.DataFrame({"weight": 1.0, "unsafe": (rng.random(400) < p) * 1}), g
    >>> (b, gb), (a, ga) = year(0.0), year(-0.2)
    >>> r = survey_did([(2023, b, gb), (2025, a, ga)])
    >>> r.estimable, bool(r.ci_low < -0.2 < r.ci_high)
    (True, True)
    """
    years = tuple(int(y) for y, _, _ in samples)
    cells: list[SurveyCell] = []
    within: list[tuple[float, float, int]] = []
    for year, resp, groups in samples:
        groups = np.asarray(groups, dtype=object)
        unsafe = pd.to_numeric(resp["unsafe"], errors="coerce").to_numpy(dtype=float)
        answered = np.isfinite(unsafe)
        doms = {g: answered & (groups == g) for g in (CEASED, PERSISTING)}
        cells += [SurveyCell(int(year), g, int(d.sum()), None) for g, d in doms.items()]
        if any(int(d.sum()) < min_n for d in doms.values()):
            continue
        try:
            design = SurveyDesign.from_arrays(
                resp["weight"].to_numpy(dtype=float),
                _labels(resp, "stratum"),
                _labels(resp, "psu"),
            )
        except DataError as exc:
            return SurveyDiD(years, cells=tuple(cells), reason=f"survey {year}: {exc}")
        y = np.where(answered, unsafe, 0.0)
        shares, z = {}, np.zeros(design.n)
        for sign, g in ((1.0, CEASED), (-1.0, PERSISTING)):
            w = np.where(doms[g], design.weight, 0.0)
            shares[g] = float((w * y).sum() / w.sum())
            z += sign * w * (y - shares[g]) / w.sum()
        var = float(design.total_covariance(z)[0, 0])
        within.append((shares[CEASED] - shares[PERSISTING], var, design.df(answered)))
        cells[-2:] = [
            SurveyCell(int(year), g, c.n, shares[g]) for g, c in zip(doms, cells[-2:], strict=True)
        ]
    small = [c for c in cells if c.n < min_n]
    if small:
        which = ", ".join(f"{c.year} near {c.group} scenes" for c in small)
        return SurveyDiD(
            years,
            cells=tuple(cells),
            reason=f"fewer than {min_n} respondents in: {which} (suppressed)",
        )
    (d0, v0, df0), (d1, v1, df1) = within
    diff, var = d1 - d0, v0 + v1
    se = float(np.sqrt(max(var, 0.0)))
    base = {"years": years, "cells": tuple(cells), "within": ((d0, v0**0.5), (d1, v1**0.5))}
    if se <= 0 or min(df0, df1) < 1:
        return SurveyDiD(difference=diff, se=se, reason="no design variance (too few PSUs)", **base)
    df = var**2 / (v0**2 / df0 + v1**2 / df1) if v0 > 0 and v1 > 0 else float(min(df0, df1))
    t = float(stats.t.ppf(0.5 + level / 2.0, df))
    return SurveyDiD(
        difference=diff,
        se=se,
        ci_low=diff - t * se,
        ci_high=diff + t * se,
        df=float(df),
        estimable=True,
        **base,
    )


def _labels(frame: pd.DataFrame, column: str) -> pd.Series | None:
    if column not in frame.columns or frame[column].isna().all():
        return None
    return frame[column]
