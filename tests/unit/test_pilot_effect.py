"""metrics.pilot_effect: difference-in-differences on counts written here, worked by hand."""
from __future__ import annotations

import math

import pytest

from metrics.pilot_effect import Counts, did


def test_did_estimate_se_and_interval():
    # pilot: 2023 80/100 = 0.80 → 2024 90/100 = 0.90, change +0.10
    # rest:  2023 160/200 = 0.80 → 2024 170/200 = 0.85, change +0.05
    # DiD = 0.10 − 0.05 = 0.05 → 5.0 points
    # variances p(1−p)/n: 0.8·0.2/100 = 0.0016; 0.9·0.1/100 = 0.0009;
    #                     0.8·0.2/200 = 0.0008; 0.85·0.15/200 = 0.0006375
    # sum = 0.0039375 → se = 0.0627495… → 6.27495 points; 95 %: 5 ± 1.959964 × 6.27495
    r = did((80, 100), (90, 100), (160, 200), (170, 200))
    assert r.pilot_pre == pytest.approx(80.0)
    assert r.pilot_post == pytest.approx(90.0)
    assert r.rest_pre == pytest.approx(80.0)
    assert r.rest_post == pytest.approx(85.0)
    assert r.pilot_change == pytest.approx(10.0)
    assert r.rest_change == pytest.approx(5.0)
    assert r.estimate == pytest.approx(5.0)
    se = 100 * math.sqrt(0.0039375)
    assert r.se == pytest.approx(se)
    assert r.se == pytest.approx(6.27495, abs=1e-5)
    assert r.low == pytest.approx(5.0 - 1.959964 * se, abs=1e-5)
    assert r.high == pytest.approx(5.0 + 1.959964 * se, abs=1e-5)
    assert r.significant is False  # the interval (−7.3, 17.3) contains 0


def test_did_negative_effect_with_large_samples_is_significant():
    # pilot 900/1000 → 850/1000 (−0.05); rest 900/1000 → 950/1000 (+0.05): DiD = −0.10 → −10 points.
    # se² = 0.09/1000 + 0.1275/1000 + 0.09/1000 + 0.0475/1000 = 0.355/1000 → se = 0.018841 → 1.8841 points
    r = did(Counts(900, 1000), Counts(850, 1000), Counts(900, 1000), Counts(950, 1000))
    assert r.estimate == pytest.approx(-10.0)
    assert r.se == pytest.approx(1.8841, abs=1e-4)
    assert r.high < 0 and r.significant is True


@pytest.mark.parametrize("groups", [
    ((0, 0), (9, 10), (8, 10), (9, 10)),   # no pilot data in 2023
    ((8, 10), (9, 10), (8, 10), (0, 0)),   # no rest data in 2024
])
def test_did_without_data_in_a_group_has_no_estimate(groups):
    r = did(*groups)
    assert r.estimate is None and r.se is None and r.low is None and r.high is None
    assert r.significant is None


def test_did_keeps_the_group_rates_it_can_compute():
    r = did((0, 0), (9, 10), (8, 10), (9, 10))
    assert r.pilot_pre is None and r.pilot_change is None
    assert r.rest_change == pytest.approx(10.0)  # 0.9 − 0.8


def test_did_rejects_impossible_counts():
    with pytest.raises(ValueError):
        did((11, 10), (9, 10), (8, 10), (9, 10))
