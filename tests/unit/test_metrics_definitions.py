"""Pure metric definitions (indicators.md), each expected value worked by hand in a comment."""
from __future__ import annotations

import math

import pytest

from metrics import definitions as d


@pytest.mark.parametrize(("k", "n", "expected"), [
    (3, 4, 75.0),        # 3/4 × 100
    (0, 5, 0.0),         # a real zero: 5 checks, none accurate
    (5, 5, 100.0),       # 5/5 × 100
    (1, 3, 100 / 3),     # 1/3 × 100 = 33.33…
    (0, 0, None),        # no sample → no data, never 0 and never 100
])
def test_rate(k, n, expected):
    got = d.rate(k, n)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    # 8/10, z = 1.96: p = .8, z² = 3.8416, 1 + z²/n = 1.38416
    # centre = (.8 + 3.8416/20) / 1.38416 = .99208 / 1.38416 = .716738
    # half = 1.96/1.38416 × sqrt(.8×.2/10 + 3.8416/400) = 1.416021 × sqrt(.025604) = 1.416021 × .160012 = .226581
    # → (.490157, .943319)
    (8, 10, 49.0157, 94.3319),
    # 0/10: centre = .19208/1.38416 = .138770, half = 1.416021 × sqrt(.009604) = 1.416021 × .098000 = .138770
    # → (0, .277540)
    (0, 10, 0.0, 27.7540),
    # 10/10 mirrors 0/10: (1 − .277540, 1)
    (10, 10, 72.2460, 100.0),
    # 1/2: centre = (.5 + 3.8416/4)/(1 + 1.9208) = 1.4604/2.9208 = .5
    # half = 1.96/2.9208 × sqrt(.25/2 + 3.8416/16) = .671049 × sqrt(.3651) = .671049 × .604235 = .405471
    (1, 2, 9.4529, 90.5471),
])
def test_wilson_by_hand(k, n, low, high):
    lo, hi = d.wilson(k, n, z=1.96)
    assert lo == pytest.approx(low, abs=1e-3)
    assert hi == pytest.approx(high, abs=1e-3)


@pytest.mark.parametrize(("k", "n"), [(0, 0), (3, 2), (-1, 4)])
def test_wilson_undefined(k, n):
    assert d.wilson(k, n) == (None, None)


def test_wilson_default_is_95_percent():
    # the default z is the exact 97.5 % normal quantile, a hair below 1.96
    lo, hi = d.wilson(8, 10)
    lo196, hi196 = d.wilson(8, 10, z=1.96)
    assert lo > lo196 and hi < hi196
    assert lo == pytest.approx(lo196, abs=0.01) and hi == pytest.approx(hi196, abs=0.01)


@pytest.mark.parametrize(("target", "actual", "expected"), [
    (88.0, 82.4, 88.0 - 82.4),   # behind by 5.6 points
    (88.0, 90.0, -2.0),          # ahead: negative gap
    (None, 90.0, None),          # no target
    (88.0, None, None),          # no data
])
def test_gap(target, actual, expected):
    got = d.gap(target, actual)
    assert (got is None) if expected is None else got == pytest.approx(expected)


@pytest.mark.parametrize(("gap", "months", "expected"), [
    (6.0, 3, 2.0),      # 6 points over 3 months
    (5.0, 4, 1.25),     # 5 / 4
    (-1.0, 3, 0.0),     # already there: nothing required
    (0.0, 3, 0.0),
    (4.0, 0, None),     # phase over: cannot be caught up
    (None, 3, None),
])
def test_required_monthly_gain(gap, months, expected):
    got = d.required_monthly_gain(gap, months)
    assert (got is None) if expected is None else got == pytest.approx(expected)


@pytest.mark.parametrize(("actual", "target", "points", "x_end", "expected"), [
    (None, 88.0, [(0, 70), (1, 80), (2, 90)], 11, "no_data"),
    (80.0, None, [(0, 70), (1, 80), (2, 90)], 11, "no_target"),
    (88.0, 88.0, [], 11, "met"),                        # actual ≥ target
    (90.0, 88.0, [], 11, "met"),
    (80.0, 88.0, [(0, 70), (1, 80)], 11, "too_early"),  # only 2 monthly values
    # slope 10/month from 70 at x=0 → at x=11: 70 + 110 = 180 ≥ 88
    (80.0, 88.0, [(0, 70), (1, 80), (2, 90)], 11, "on_track"),
    # flat at 86 → 86 at phase end, shortfall 88 − 86 = 2 ≤ 2
    (86.0, 88.0, [(0, 86), (1, 86), (2, 86)], 11, "at_risk"),
    # 80, 82, 84 → slope 2, intercept 80 → at x=3: 86, shortfall exactly 2
    (84.0, 88.0, [(0, 80), (1, 82), (2, 84)], 3, "at_risk"),
    # flat at 85 → shortfall 3 > 2
    (85.0, 88.0, [(0, 85), (1, 85), (2, 85)], 11, "off_track"),
    # 80, 75, 70 → 80 − 5×11 = 25 at x=11
    (75.0, 88.0, [(0, 80), (1, 75), (2, 70)], 11, "off_track"),
])
def test_status(actual, target, points, x_end, expected):
    assert d.status(actual, target, points, x_end) == expected


@pytest.mark.parametrize(("actual", "target", "points", "expected"), [
    (80.0, 88.0, [(0, 70), (1, 80)], "off_track"),             # too few months, but the phase is over
    (80.0, 88.0, [(0, 70), (1, 80), (2, 90)], "off_track"),    # a rising trend no longer helps
    (87.0, 88.0, [(0, 87), (1, 87), (2, 87)], "off_track"),    # 1 point short is still missed
    (88.0, 88.0, [], "met"),
])
def test_status_after_the_phase_ended(actual, target, points, expected):
    assert d.status(actual, target, points, 11, ended=True) == expected


@pytest.mark.parametrize(("target", "actual", "expected"), [
    (3500.0, 4200.0, 700.0),    # residents per officer 4,200 against 3,500: 700 behind
    (3500.0, 3200.0, -300.0),   # 3,200: 300 better than the target
    (5.0, 6.5, 1.5),            # response in minutes: 1.5 min too slow
    (None, 3200.0, None),
    (3500.0, None, None),
])
def test_gap_lower_is_better(target, actual, expected):
    got = d.gap(target, actual, "down")
    assert (got is None) if expected is None else got == pytest.approx(expected)


@pytest.mark.parametrize(("target", "unit", "points", "expected"), [
    (88.0, "%", None, 2.0),        # percent: 2 points
    (90.0, "score", None, 2.0),    # score: 2 points
    (88.0, "%", 3.0, 3.0),         # the app_setting's points
    (3500.0, "count", None, 175.0),  # any other unit: 5 % of 3,500
    (15.0, "count", None, 0.75),   # 5 % of 15 households
    (5.0, "min", None, 0.25),      # 5 % of 5 minutes
    (3500.0, "count", 3.0, 175.0),  # the points setting does not apply to other units
])
def test_at_risk_margin(target, unit, points, expected):
    assert d.at_risk_margin(target, unit, points) == pytest.approx(expected)


@pytest.mark.parametrize(("actual", "points", "x_end", "expected"), [
    (4200.0, [(0, 4200), (1, 4200), (2, 4200)], 11, "off_track"),  # flat, 700 above 3,500 > 175
    (3200.0, [], 11, "met"),                                         # 3,200 ≤ 3,500
    (3500.0, [], 11, "met"),                                         # equal is met
    (3800.0, [(0, 4000), (1, 3900)], 11, "too_early"),
    # 4000, 3900, 3800: slope −100, intercept 4000 → at x=5: 3,500 ≤ 3,500 → on track
    (3800.0, [(0, 4000), (1, 3900), (2, 3800)], 5, "on_track"),
    # at x=4: 3,600 → 100 above the target ≤ 175 (5 % of 3,500) → at risk
    (3800.0, [(0, 4000), (1, 3900), (2, 3800)], 4, "at_risk"),
    # at x=3: 3,700 → 200 above > 175 → off track
    (3800.0, [(0, 4000), (1, 3900), (2, 3800)], 3, "off_track"),
    # rising residents per officer: 3,600, 3,700, 3,800 → further away → off track
    (3800.0, [(0, 3600), (1, 3700), (2, 3800)], 11, "off_track"),
])
def test_status_lower_is_better(actual, points, x_end, expected):
    assert d.status(actual, 3500.0, points, x_end, direction="down", unit="count") == expected


def test_status_lower_is_better_in_percent_keeps_the_two_points():
    # an incident rate in % (down): flat at 11 against 10 → 1 point above ≤ 2 → at risk; 12.5 → off track
    assert d.status(11.0, 10.0, [(0, 11), (1, 11), (2, 11)], 11, direction="down", unit="%") == "at_risk"
    assert d.status(12.5, 10.0, [(0, 12.5), (1, 12.5), (2, 12.5)], 11, direction="down", unit="%") == "off_track"
    assert d.status(11.0, 10.0, [], 11, ended=True, direction="down", unit="%") == "off_track"


def test_ranking_by_a_direction_aware_gap_puts_the_most_behind_first():
    # residents per officer (down) against 3,500: A 4,200 (gap 700), B 3,200 (−300), C 3,900 (400)
    gaps = [d.gap(3500.0, v, "down") for v in (4200.0, 3200.0, 3900.0)]
    assert d.rank_by_gap(gaps) == [1, 3, 2]


def test_least_squares_by_hand():
    # points (0,1), (1,3), (2,2): mean x = 1, mean y = 2; Sxy = (−1)(−1) + 0 + (1)(0) = 1; Sxx = 2
    # slope = 1/2, intercept = 2 − 0.5 × 1 = 1.5
    a, b = d.least_squares([(0, 1), (1, 3), (2, 2)])
    assert (a, b) == (pytest.approx(1.5), pytest.approx(0.5))
    # projection to x = 5: 1.5 + 2.5 = 4
    assert d.projection([(0, 1), (1, 3), (2, 2)], 5) == pytest.approx(4.0)


def test_month_index_is_consecutive_across_years():
    assert d.month_index(202401) - d.month_index(202312) == 1
    assert d.month_index(202412) - d.month_index(202401) == 11


@pytest.mark.parametrize(("comps", "weights", "value"), [
    # 40 × .90 + 30 × .80 + 30 × 85/100 = 36 + 24 + 25.5 = 85.5
    ({"info_accuracy": 90.0, "need_resolution": 80.0, "satisfaction": 85.0}, None, 85.5),
    # 40 × 2/3 + 30 × .5 + 30 × .6 = 26.667 + 15 + 18 = 59.667 → 59.7
    ({"info_accuracy": 200 / 3, "need_resolution": 50.0, "satisfaction": 60.0}, None, 59.7),
    # weights from the settings row: 50 × .9 + 30 × .8 + 20 × .5 = 45 + 24 + 10 = 79
    ({"info_accuracy": 90.0, "need_resolution": 80.0, "satisfaction": 50.0},
     {"info_accuracy": 50, "need_resolution": 30, "satisfaction": 20}, 79.0),
    # all perfect: 40 + 30 + 30
    ({"info_accuracy": 100.0, "need_resolution": 100.0, "satisfaction": 100.0}, None, 100.0),
])
def test_assessment_score(comps, weights, value):
    s = d.assessment_score(comps, weights)
    assert s.value == pytest.approx(value)
    assert not s.incomplete and not s.vetoed and s.flags == ()


def test_assessment_score_incomplete_and_vetoed():
    s = d.assessment_score({"info_accuracy": None, "need_resolution": 80.0, "satisfaction": 85.0})
    assert s.value is None and s.incomplete and s.flags == ("incomplete",)
    s = d.assessment_score({"need_resolution": 80.0, "satisfaction": 85.0})  # component missing entirely
    assert s.incomplete
    s = d.assessment_score({"info_accuracy": 90.0, "need_resolution": 80.0, "satisfaction": 85.0}, vetoed=True)
    assert s.value == pytest.approx(85.5) and s.vetoed and s.flags == ("vetoed",)


@pytest.mark.parametrize(("p", "n", "z", "low", "high"), [
    # 80 % around n = 100: 1.96 × sqrt(.8 × .2 / 100) = 1.96 × .04 = .0784
    (80.0, 100, 1.96, 72.16, 87.84),
    # 99.8 %: 3.09 × .04 = .1236
    (80.0, 100, 3.09, 67.64, 92.36),
    # 95 % at n = 4: 1.96 × sqrt(.16/4) = 1.96 × .2 = .392 → upper clipped at 100 %
    (80.0, 4, 1.96, 40.8, 100.0),
])
def test_funnel_limits(p, n, z, low, high):
    lo, hi = d.funnel_limits(p, n, z)
    assert lo == pytest.approx(low) and hi == pytest.approx(high)


def test_funnel_curve_narrows_with_n():
    rows = d.funnel_curve(80.0, [0, 10, 100, 1000])
    assert [r["n"] for r in rows] == [10, 100, 1000]  # n = 0 has no limits
    widths = [r["hi95"] - r["lo95"] for r in rows]
    assert widths == sorted(widths, reverse=True)
    assert all(r["lo998"] <= r["lo95"] and r["hi998"] >= r["hi95"] for r in rows)
    assert d.funnel_limits(80.0, 0) is None
    assert not math.isnan(rows[-1]["hi998"])
