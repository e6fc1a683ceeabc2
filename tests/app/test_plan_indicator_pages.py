"""AppTest: the overview, gaps, map and report screens pick a *reported* plan indicator.

Tiny city (tiny_city.py, today 2026-03-15, deepening phase 2026) plus reported values of
cp_emergency_dispatch_min (seed 001, minutes, lower is better, city target 8 in every phase):

          2026-01  2026-02
    D1     8.8      9.0     February gap +1.0 (behind; two months: too early to project)
    D2     7.5      7.0     February gap −1.0 (met)
    C      mean of February 8.0 (met: ≤ 8), 2 of 2 districts; 4 of 4 reports entered → completeness 100 %

A lower-is-better reading ranks D1 first (an "up" reading would have put D2 first).
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pagerun import open_page
from test_map_page import add_geometry, deck, layer

from data_access.core import db as dbmod
from data_access.programme import reporting as rp
from ui.i18n import CATALOGUE
from ui.map import GRID_LAYER_ID, STATUS_COLOURS

PAGES = Path(__file__).resolve().parents[2] / "pages"
DOWN = "cp_emergency_dispatch_min"
NAME = "紧急警情出警时间"
VALUES = {"D1": {"2026-01": 8.8, "2026-02": 9.0}, "D2": {"2026-01": 7.5, "2026-02": 7.0}}


def zh(key: str, **kw) -> str:
    return CATALOGUE[key]["zh"].format(**kw)


def seed_values(url: str) -> None:
    eng = dbmod.make_engine(url)
    rows = [rp.ImportRow(DOWN, unit, period, v, "110 系统月报", datetime(int(period[:4]), int(period[5:]) + 1, 3, 9))
            for unit, by in VALUES.items() for period, v in by.items()]
    with dbmod.session_scope(eng) as s:
        rp.import_values(session=s, username="admin", rows=rows, now=datetime(2026, 3, 10, 9))
    eng.dispose()


def captions(at) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def test_overview_shows_a_plans_reported_indicator_with_period_units_and_completeness(app_env):
    seed_values(app_env)
    at = open_page(str(PAGES / "overview.py"), "city", query={"plan": "seed-001", "detail": DOWN})
    assert at.selectbox(key="ov_plan_zh").value == "seed-001"
    cards = {m.label: m.value for m in at.metric}
    assert cards[NAME] == "8.0"  # mean of D1 9.0 and D2 7.0
    line = " · ".join([zh("pind.period", period="2026-02"), zh("pind.units", k="2", m="2"),
                       zh("pind.completeness", pct="100.0%")])
    assert line in captions(at)
    # the children's detail of the same indicator: period, k / m units and completeness instead of n
    assert at.selectbox(key="ov_detail_zh").value == DOWN
    detail = at.dataframe[-1].value.set_index(zh("col.unit"))
    assert detail.loc["东湖区", zh("pind.col.units")] == zh("pind.units", k="1", m="1")
    assert detail.loc["东湖区", zh("pind.col.period")] == "2026-02"
    assert detail.loc["西山区", zh("col.status")] == zh("status.met")
    assert zh("col.n") not in detail.columns


def test_overview_trend_of_a_reported_indicator(app_env):
    seed_values(app_env)
    at = open_page(str(PAGES / "overview.py"), "city", query={"indicator": DOWN})
    assert at.selectbox(key="ov_trend_zh").value == DOWN
    # one point per month: January 8.15 (mean of 8.8 and 7.5), February 8.0; both districts reported
    assert zh("pind.trend_latest", month="2026-02", value="8.0", k="2") in captions(at)


def test_gaps_ranks_districts_by_a_reported_lower_is_better_indicator(app_env):
    seed_values(app_env)
    at = open_page(str(PAGES / "gaps.py"), "city", query={"indicator": DOWN})
    assert at.selectbox(key="gaps_indicator_zh").value == DOWN
    # the picker offers every plan's indicators, grouped: seed 000 first, then seed 001 …
    opts = at.selectbox(key="gaps_indicator_zh").options
    assert any(o.startswith(zh("plan.seed-004")) for o in opts) and opts[0].startswith(zh("plan.seed-000"))
    table = at.dataframe[0].value.set_index(zh("col.unit"))
    assert list(table.index) == ["东湖区", "西山区"]  # D1 behind (+1.0) before D2 ahead (−1.0)
    assert list(table[zh("gaps.col.rank")]) == [1, 2]
    assert list(table[zh("col.gap")]) == [1.0, -1.0]
    assert table.loc["东湖区", zh("pind.col.units")] == zh("pind.units", k="1", m="1")
    assert table.loc["东湖区", zh("pind.col.completeness")] == 100.0
    assert zh("pind.no_funnel", indicator="信息准确率") in captions(at)  # no funnel of its own


def test_map_colours_districts_by_a_reported_indicator(app_env):
    add_geometry(app_env)
    seed_values(app_env)
    at = open_page(str(PAGES / "map.py"), "city", query={"indicator": DOWN, "colour": "status", "level": "district"})
    rows = {r["code"]: r for r in layer(deck(at), GRID_LAYER_ID)}
    assert rows["D2"]["fill"][:3] == list(STATUS_COLOURS["met"])
    assert rows["D1"]["fill"][:3] == list(STATUS_COLOURS["too_early"])  # behind, two months: too early
    assert "9.0" in rows["D1"]["value_text"] and zh("pind.units", k="1", m="1") in rows["D1"]["value_text"]


def test_report_lists_the_reported_indicator_under_its_plan(app_env):
    seed_values(app_env)
    at = open_page(str(PAGES / "report.py"), "city", query={"month": "2026-02", "plan": "seed-001"})
    kpis = at.table[0].value
    assert NAME in kpis.index and "信息准确率" not in kpis.index  # the screen shows seed 001 only
    assert kpis.loc[NAME, "实际"] == "8.0" and kpis.loc[NAME, "期别"] == "2026-02"
    assert kpis.loc[NAME, "上报单位"] == "2/2" and kpis.loc[NAME, "状态"] == zh("status.met")  # 8.0 ≤ 8
    gaps = at.dataframe[0].value
    mine = gaps[gaps["指标"] == NAME]
    assert list(mine["编码"]) == ["D1", "D2"] and list(mine["差距"]) == ["1.0", "−1.0"]  # the screen's minus sign
    # every plan is in the file
    at.selectbox(key="report_plan_zh").set_value("all").run()
    assert "信息准确率" in at.table[0].value.index and NAME in at.table[0].value.index
