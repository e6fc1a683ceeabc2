"""Pure metric definitions (no database, no Streamlit): the arithmetic of
``shared/spec/indicators.md``. Every function names the rule it encodes.

Rates are returned in percent (0–100); "no data" is ``None`` — never 0 and never 100.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # two-sided 95 %
Z998 = 3.090232306167813  # two-sided 99.8 %

# Status codes (indicators.md "Gap and status"), plus the two "cannot judge" states.
MET = "met"
ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
TOO_EARLY = "too_early"
NO_DATA = "no_data"
NO_TARGET = "no_target"
STATUSES = (MET, ON_TRACK, AT_RISK, OFF_TRACK, TOO_EARLY, NO_DATA, NO_TARGET)

AT_RISK_POINTS = 2.0  # default; the service reads app_setting 'status_at_risk_points'
MIN_TREND_POINTS = 3  # "with fewer than 3 monthly values: too early"


def rate(k: int, n: int) -> float | None:
    """Rate in percent: ``k / n × 100``; ``None`` (no data) when ``n == 0``.

    Used by info_accuracy, rental_accuracy, need_resolution, need_response_48h, satisfaction
    (share of ratings 4–5 × 100), visit_coverage, special_visit_compliance,
    process_compliance and night_visit_compliance.
    """
    if n <= 0:
        return None
    return 100.0 * k / n


def wilson(k: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """95 % Wilson score interval of the proportion ``k / n``, in percent.

    With p = k/n: centre = (p + z²/2n) / (1 + z²/n),
    half-width = z / (1 + z²/n) × sqrt(p(1−p)/n + z²/4n²).
    ``(None, None)`` when ``n == 0`` or ``k`` is not in ``[0, n]``.
    """
    if n <= 0 or k < 0 or k > n:
        return None, None
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return 100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)


UP = "up"  # higher is better (rates, scores)
DOWN = "down"  # lower is better (minutes, hours, residents per officer, incident rates)
POINT_UNITS = ("%", "score")  # the at-risk margin is in points for these, 5 % of the target otherwise
AT_RISK_SHARE = 0.05


def gap(target: float | None, actual: float | None, direction: str = UP) -> float | None:
    """The direction-aware gap (indicators.md "Direction"); positive always means behind.

    ``up``: ``target − actual``; ``down``: ``actual − target``. In percentage points for rates,
    points for scores, the indicator's own unit otherwise.
    """
    if target is None or actual is None:
        return None
    return target - actual if direction != DOWN else actual - target


def reached(actual: float, target: float, direction: str = UP) -> bool:
    """Met: ``actual ≥ target`` (up) or ``actual ≤ target`` (down)."""
    return actual >= target if direction != DOWN else actual <= target


def at_risk_margin(target: float, unit: str = "%", points: float | None = None) -> float:
    """How far short of the target a projection may fall and still be "at risk": ``points``
    (default 2) for percent and score indicators, 5 % of the target for any other unit."""
    if unit in POINT_UNITS:
        return AT_RISK_POINTS if points is None else points
    return AT_RISK_SHARE * abs(target)


def required_monthly_gain(gap_points: float | None, months_left: float | None) -> float | None:
    """``required monthly gain = gap / months left in the phase``.

    0 when the target is already reached (gap ≤ 0); ``None`` when there is no gap to compute or
    no month left (the phase is over).
    """
    if gap_points is None:
        return None
    if gap_points <= 0:
        return 0.0
    if months_left is None or months_left <= 0:
        return None
    return gap_points / months_left


def least_squares(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Intercept and slope of the ordinary least-squares line through ``(x, y)`` points."""
    n = len(points)
    if n == 0:
        raise ValueError("no points")
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return my, 0.0
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - slope * mx, slope


def projection(points: Sequence[tuple[float, float]], x_end: float) -> float | None:
    """Value at ``x_end`` of the least-squares line through ``points`` (None below 3 points)."""
    if len(points) < MIN_TREND_POINTS:
        return None
    a, b = least_squares(points)
    return a + b * x_end


def status(actual: float | None, target: float | None, monthly: Sequence[tuple[float, float]],
           x_end: float, at_risk_points: float = AT_RISK_POINTS, ended: bool = False,
           direction: str = UP, unit: str = "%") -> str:
    """Status at as_of within a phase (indicators.md "Gap and status", "Direction"):

    - ``no_data``: no actual value; ``no_target``: no target for the unit and phase;
    - ``met``: the target is reached (actual ≥ target, or ≤ for a ``down`` indicator);
    - ``too_early``: fewer than 3 monthly values;
    - ``on_track``: the least-squares line through the monthly values ``(x, value)`` (x = month
      index) reaches the target at ``x_end`` (the phase's last month);
    - ``at_risk``: the projection falls short by at most the margin (``at_risk_margin``:
      ``at_risk_points`` — 2 — for percent and score indicators, 5 % of the target otherwise);
    - ``off_track``: otherwise, and always when the phase has ``ended`` short of the target
      (a finished phase has a final value, nothing left to project).
    """
    if actual is None:
        return NO_DATA
    if target is None:
        return NO_TARGET
    if reached(actual, target, direction):
        return MET
    if ended:
        return OFF_TRACK
    proj = projection(monthly, x_end)
    if proj is None:
        return TOO_EARLY
    if reached(proj, target, direction):
        return ON_TRACK
    if gap(target, proj, direction) <= at_risk_margin(target, unit, at_risk_points):
        return AT_RISK
    return OFF_TRACK


def month_index(month: int) -> int:
    """YYYYMM → a month count, so that consecutive months differ by 1 (the x of the trend line)."""
    return (month // 100) * 12 + (month % 100 - 1)


@dataclass(frozen=True)
class Score:
    value: float | None  # 0–100, one decimal; None when incomplete
    incomplete: bool
    vetoed: bool
    components: dict[str, float | None]

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(f for f, on in (("incomplete", self.incomplete), ("vetoed", self.vetoed)) if on)


DEFAULT_WEIGHTS = {"info_accuracy": 40.0, "need_resolution": 30.0, "satisfaction": 30.0}


def assessment_score(components: Mapping[str, float | None], weights: Mapping[str, float] | None = None,
                     vetoed: bool = False) -> Score:
    """Assessment score (考核): ``40 × info_accuracy + 30 × need_resolution + 30 × satisfaction/100``.

    ``components`` are in percent (satisfaction is 0–100), i.e. each enters as a fraction
    ``value / 100``; weights come from app_setting 'score_weights'. The result is rounded to one
    decimal. A component with no data makes the score *incomplete* (value ``None``: shown, not
    ranked); ``vetoed`` flags a unit with a confirmed one-vote-veto event in the period.
    """
    weights = dict(weights or DEFAULT_WEIGHTS)
    comps = {k: components.get(k) for k in weights}
    if any(v is None for v in comps.values()):
        return Score(None, True, vetoed, comps)
    total = sum(float(w) * comps[k] / 100.0 for k, w in weights.items())
    return Score(round(total + 1e-9, 1), False, vetoed, comps)


def funnel_limits(p_percent: float, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Funnel-plot control limits around a city proportion for a unit with sample size ``n``.

    Normal approximation to the binomial: ``p ± z × sqrt(p(1−p)/n)`` (p as a fraction), clipped
    to 0–100 %, in percent. Use ``Z95`` (95 %) and ``Z998`` (99.8 %). ``None`` when ``n == 0``.
    """
    if n <= 0:
        return None
    p = p_percent / 100.0
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n)
    return 100.0 * max(0.0, p - half), 100.0 * min(1.0, p + half)


def funnel_curve(p_percent: float, ns: Sequence[int]) -> list[dict]:
    """Rows ``{n, lo95, hi95, lo998, hi998}`` for drawing the funnel's limit lines at the given sample sizes."""
    out = []
    for n in ns:
        l95 = funnel_limits(p_percent, n, Z95)
        l998 = funnel_limits(p_percent, n, Z998)
        if l95 is None or l998 is None:
            continue
        out.append({"n": n, "lo95": l95[0], "hi95": l95[1], "lo998": l998[0], "hi998": l998[1]})
    return out


UNRANKED_STATUSES = ("incomplete",)  # a score with a missing component is shown, not ranked (indicators.md)


def rank_by_gap(gaps: Sequence[float | None]) -> list[int | None]:
    """Rank 1 = the largest gap (most behind target); equal gaps share the best rank ("1, 2, 2, 4");
    ``None`` (no value or no target) is not ranked. The one ranking of child units on every screen
    and in the report."""
    present = sorted((g for g in gaps if g is not None), reverse=True)
    first: dict[float, int] = {}
    for pos, g in enumerate(present, start=1):
        first.setdefault(g, pos)
    return [None if g is None else first[g] for g in gaps]


LAG_THRESHOLD = 0.15  # seed 004 §7.4 "滞后超过15%": gap / target


def lag_share(target: float | None, actual: float | None, direction: str = UP) -> float | None:
    """``gap / |target|`` with the direction-aware gap (indicators.md "Escalation and
    rectification"); ``None`` without a value, without a target or with a zero target."""
    g = gap(target, actual, direction)
    if g is None or not target:
        return None
    return g / abs(target)


def lags(target: float | None, actual: float | None, direction: str = UP, threshold: float = LAG_THRESHOLD) -> bool:
    """A unit lags at a month end when ``gap / target > 0.15`` (strictly): e.g. target 90 (up),
    actual 76 → 14/90 = 15.6 % → lags; actual 76.5 → 13.5/90 = 15 % → does not. For a ``down``
    indicator (target 8 min) an actual of 9.3 min → 1.3/8 = 16.25 % → lags."""
    share = lag_share(target, actual, direction)
    return share is not None and share > threshold
