"""Plan indicators on the dashboards, on SQLite and PostgreSQL: a *reported* lower-is-better
indicator ranks the units, colours the map and fills the monthly report's rows the right way round
— expected numbers worked out by hand from the values written here.

Indicator: cp_emergency_dispatch_min (seed 001, minutes, lower is better, district monthly entry,
mean up the tree, rollout target 8). City C with districts D1–D3; values entered early each month:

          Jan   Feb   Mar    March gap (actual − target)   trend to December
    D1    9.0   9.5   10.0   +2.0  behind                  rising 0.5/month → 14.5: off track
    D2    8.5   8.0    7.0   −1.0  met                     —
    D3    9.0   8.6    8.2   +0.2  behind                  falling 0.4/month → 4.6: on track
    C     mean 8.83, 8.70, 8.40 (3 of 3 units) → +0.4, falling → on track; 9 of 9 reports: 100 %

Rank by gap (largest first): D1 1, D3 2, D2 3 — an "up" reading would have put D2 first.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest

import factories as f
from data_access.programme import catalog
from data_access.programme import reporting as rp
from metrics.report import monthly_report
from metrics.reported import compute_all
from ui import export
from ui import gaps as g
from ui import map as umap
from ui import map_data as md

DOWN = "cp_emergency_dispatch_min"
AS_OF = date(2025, 4, 5)
VALUES = {"D1": (9.0, 9.5, 10.0), "D2": (8.5, 8.0, 7.0), "D3": (9.0, 8.6, 8.2)}


@pytest.fixture
def city(session):
    c = f.unit(session, "C")
    units = {x: f.unit(session, x, c) for x in VALUES}
    rows = [rp.ImportRow(DOWN, code, f"2025-{m:02d}", v, None, datetime(2025, m + 1, 2, 9))
            for code, vs in VALUES.items() for m, v in zip((1, 2, 3), vs, strict=True)]
    rp.import_values(session=session, username="admin", rows=rows, now=datetime(2025, 4, 20))
    session.commit()
    return c, units


def test_units_ranked_by_a_reported_lower_is_better_indicator(session, city):
    kpis = compute_all(session, unit_code="C", period="rollout", as_of=AS_OF)
    frame = g.gap_frame(kpis, DOWN)
    got = {r["code"]: (r["value"], r["gap"], r["status"], int(r["rank"]), int(r["n"]), int(r["m"]), r["period"])
           for _, r in frame.iterrows()}
    assert got["D1"] == (10.0, pytest.approx(2.0), "off_track", 1, 1, 1, "2025-03")
    assert got["D3"] == (8.2, pytest.approx(0.2), "on_track", 2, 1, 1, "2025-03")
    assert got["D2"] == (7.0, pytest.approx(-1.0), "met", 3, 1, 1, "2025-03")
    assert list(frame["code"]) == ["D1", "D3", "D2"]  # most behind first
    own = g.own_kpi(kpis, DOWN)
    assert (own.value, own.k, own.m, own.completeness, own.status) == (8.4, 3, 3, 100.0, "on_track")
    assert own.gap == pytest.approx(0.4)
    assert DOWN not in g.FUNNEL_INDICATORS  # no sample size: the gaps screen draws no funnel for it


def test_map_colours_a_reported_indicator_by_status_and_gap(session, city):
    c, units = city
    assert md.needs_extra(DOWN, "reported") and not md.needs_extra("info_accuracy", "computed")
    extra = md.extra_kpis(session, c, "district", "rollout", AS_OF, DOWN, "reported")
    assert set(extra) == {u.id for u in units.values()}
    data = md.with_kpis(md.MapData(level="district", features=(), outlines=(), kpis={}), extra)
    status = md.cells(data, DOWN, "status", text_of=lambda k: k.unit_code)
    fills = {code: umap.fill_colour(status[u.id], "status")[:3] for code, u in units.items()}
    assert fills == {"D1": list(umap.STATUS_COLOURS["off_track"]), "D2": list(umap.STATUS_COLOURS["met"]),
                     "D3": list(umap.STATUS_COLOURS["on_track"])}
    gaps = md.cells(data, DOWN, "gap", text_of=lambda k: k.unit_code)
    assert {code: gaps[u.id].value for code, u in units.items()} == {
        "D1": pytest.approx(2.0), "D2": pytest.approx(-1.0), "D3": pytest.approx(0.2)}
    gap_scale = umap.scale_for("gap")
    # the larger (behind) gap sits in a worse class than the met unit's negative one
    assert gap_scale.index(2.0) > gap_scale.index(-1.0)
    # the merged map keeps what was there (the computed indicators) beside the reported one
    base = md.MapData(level="district", features=(), outlines=(), kpis={units["D1"].id: {"info_accuracy": "k"}})
    merged = md.with_kpis(base, extra)
    assert set(merged.kpis[units["D1"].id]) == {"info_accuracy", DOWN}
    assert base.kpis[units["D1"].id] == {"info_accuracy": "k"}  # the cached original is not changed


def test_monthly_report_rows_of_a_plan_indicator(session, city):
    rep = monthly_report(session, unit_code="C", month=202503, as_of=AS_OF)
    inds = catalog.indicators(session=session)
    kpis = export.kpi_frame(rep.kpis, inds, "zh")
    row = kpis[kpis["指标"] == "紧急警情出警时间"].iloc[0]
    assert (row["计量"], row["实际"], row["目标"], row["差距"], row["状态"]) == ("分钟", 8.4, 8.0, 0.4, "按期可达")
    assert (row["方案"], row["期别"], row["上报单位"], row["完整率"]) == ("公安为市民护驾工作方案", "2025-03", "3/3", 100.0)
    assert pd_isna(row["样本量"])  # a reported value has no sample
    # grouped by plan: every seed-000 row before the first seed-001 row, and so on
    order = ["入户访查工作方案", "公安为市民护驾工作方案", "警官进网格工作方案", "社区警务系统建设方案", "帮扶治安工作方案"]
    seen = [order.index(p) for p in kpis["方案"]]
    assert seen == sorted(seen) and seen[0] == 0 and 1 in seen
    gaps = export.gap_frame(rep.kpis, inds, "zh")
    mine = gaps[gaps["指标"] == "紧急警情出警时间"]
    assert list(mine["编码"]) == ["D1", "D3", "D2"]
    assert list(mine["差距排名"]) == [1, 2, 3]
    assert list(mine["差距"]) == [2.0, 0.2, -1.0]
    assert set(mine["上报单位"]) == {"1/1"} and set(mine["期别"]) == {"2025-03"}


def pd_isna(v) -> bool:
    import pandas as pd

    return bool(pd.isna(v))


def test_trend_of_a_reported_indicator_one_point_per_period(session, city):
    from metrics.reported import reported_series

    c, units = city
    station = f.unit(session, "S1", units["D1"])
    session.commit()
    got = reported_series(session, unit_code="C", indicator=DOWN, start=date(2025, 1, 1), end=AS_OF, as_of=AS_OF)
    assert [(m, k) for m, _v, k in got] == [(202501, 3), (202502, 3), (202503, 3)]
    assert [v for _m, v, _k in got] == [pytest.approx(26.5 / 3, abs=1e-4), pytest.approx(8.7), pytest.approx(8.4)]
    assert reported_series(session, unit_code="D1", indicator=DOWN, start=date(2025, 1, 1), end=AS_OF,
                           as_of=AS_OF) == [(202501, 9.0, 1), (202502, 9.5, 1), (202503, 10.0, 1)]
    # as of 03-10 March has not ended: January and February only
    assert [m for m, _v, _k in reported_series(session, unit_code="C", indicator=DOWN, start=date(2025, 1, 1),
                                               end=AS_OF, as_of=date(2025, 3, 10))] == [202501, 202502]
    assert reported_series(session, unit_code=station.code, indicator=DOWN, start=date(2025, 1, 1), end=AS_OF,
                           as_of=AS_OF) == []  # below the entry level: nothing entered, nothing aggregated
