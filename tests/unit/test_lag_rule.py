"""The lag rule of seed 004 §7.4 (indicators.md "Escalation and rectification"): a unit lags when
gap / target > 15 %, with the direction-aware gap — worked out by hand."""
from __future__ import annotations

import pytest

from metrics import definitions as d


@pytest.mark.parametrize("target,actual,direction,share,lags", [
    (90.0, 76.0, "up", 14 / 90, True),  # 15.6 % behind
    (90.0, 77.0, "up", 13 / 90, False),  # 14.4 %
    (90.0, 76.5, "up", 13.5 / 90, False),  # exactly 15 %: not more than 15 %
    (90.0, 95.0, "up", -5 / 90, False),  # ahead
    (8.0, 9.3, "down", 1.3 / 8, True),  # minutes, lower is better: 16.25 % behind
    (8.0, 9.2, "down", 1.2 / 8, False),  # 15 %
    (8.0, 6.0, "down", -2 / 8, False),  # faster than the target
    (3500.0, 4100.0, "down", 600 / 3500, True),  # residents per officer: 17.1 %
])
def test_lag_share_and_threshold(target, actual, direction, share, lags):
    assert d.lag_share(target, actual, direction) == pytest.approx(share)
    assert d.lags(target, actual, direction) is lags


def test_no_value_no_target_or_zero_target_never_lags():
    assert d.lag_share(None, 50.0) is None and d.lags(None, 50.0) is False
    assert d.lag_share(90.0, None) is None and d.lags(90.0, None) is False
    assert d.lag_share(0.0, 5.0, "down") is None and d.lags(0.0, 5.0, "down") is False
