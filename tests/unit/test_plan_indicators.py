"""ui.plan_indicators: the pickers' grouping by plan and what a reported value's line says."""
from __future__ import annotations

from data_access.programme.catalog import IndicatorRow
from metrics.service import Kpi
from ui import plan_indicators as pi
from ui.i18n import CATALOGUE


def ind(code: str, plan: str | None, kind: str = "reported", sort: int = 10) -> IndicatorRow:
    return IndicatorRow(code, code, code, "%", "up", False, sort, None, None,
                        f"{plan} §1" if plan else None, kind)


def test_offered_groups_by_plan_and_keeps_registry_order_within_a_plan():
    rows = [ind("a4", "seed-004", sort=1), ind("c0", "seed-000", "computed", sort=2), ind("b1", "seed-001", sort=3),
            ind("d4", "seed-004", sort=4), ind("e0", None, "computed", sort=5), ind("f2", "seed-002", sort=6)]
    assert [i.code for i in pi.offered(rows)] == ["c0", "e0", "b1", "f2", "a4", "d4"]
    assert [i.code for i in pi.of_plan(rows, "seed-004")] == ["a4", "d4"]
    assert pi.plan_of(rows[4]) == "seed-000"  # no plan named: the headline plan


def test_trend_offered_for_reported_and_monthly_computed_indicators_only():
    assert pi.has_trend(ind("x", "seed-001"))
    assert pi.has_trend(ind("info_accuracy", "seed-000", "computed"))
    assert not pi.has_trend(ind("some_other_computed", "seed-004", "computed"))


def kpi(**kw) -> Kpi:
    base = dict(unit_code="D1", unit_name_zh="东湖区", unit_name_en=None, unit_level="district", is_self=True,
                indicator="x", value=7.0, n=2, ci_low=None, ci_high=None, target=8.0, baseline=None, gap=-1.0,
                status="met", required_gain=None, flags=(), direction="down", kind="reported", period="2026-02",
                k=2, m=3, completeness=66.7, timeliness=50.0)
    return Kpi(**{**base, **kw})


def test_reported_line_period_k_of_m_and_completeness():
    zh = {k: v["zh"] for k, v in CATALOGUE.items() if k.startswith("pind.")}
    assert pi.reported_line(kpi()) == " · ".join([zh["pind.period"].format(period="2026-02"),
                                                  zh["pind.units"].format(k="2", m="3"),
                                                  zh["pind.completeness"].format(pct="66.7%")])
    assert pi.reported_line(kpi(m=0, k=0)) == zh["pind.not_entered_here"]
    assert pi.reported_line(kpi(period=None, completeness=None)).startswith(zh["pind.no_period"])
