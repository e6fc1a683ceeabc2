"""AppTest of the monthly report (报表) on the tiny city (tests/app/tiny_city.py; today 2026-03-15).

Default month: February 2026, the last complete month; every spot check of the tiny city is
dated 2026-02-01..04, so February holds G1 4 checks / 3 accurate, G1B 1 / 0, G2 2 / 2.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from tiny_city import CHECKS, UNITS

from data_access.core.db import make_engine
from data_access.core.models import AuditLog
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
REPORT = str(ROOT / "pages" / "report.py")
NAMES_ZH = {code: zh for code, _l, _p, zh, _e in UNITS}


def pct(*grids: str) -> str:
    k = sum(CHECKS[g][1] for g in grids)
    n = sum(CHECKS[g][0] for g in grids)
    return f"{100 * k / n:.1f}"


def run(username: str, query: dict | None = None, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(REPORT, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    if lang:
        at.session_state["lang"] = lang
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def body(at: AppTest) -> str:
    parts = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    for sb in at.selectbox:
        parts += [str(o) for o in sb.options]
    for tb in at.table:
        v = tb.value
        parts += [str(i) for i in v.index] + [str(x) for x in v.to_numpy().ravel()]
    for df in at.dataframe:
        v = df.value
        parts += [str(x) for x in v.to_numpy().ravel()]
    return "\n".join(parts)


def kpi_cell(at: AppTest, indicator: str, column: str) -> str:
    return str(at.table[0].value.loc[indicator, column])


def downloads(at: AppTest) -> list:
    return list(at.get("download_button"))


def audit_rows(url: str) -> list[tuple[str, str, dict]]:
    eng = make_engine(url)
    with Session(eng) as s:
        rows = [(r.username, r.action, json.loads(r.detail or "{}")) for r in
                s.exec(select(AuditLog).where(AuditLog.action == "report.export").order_by(AuditLog.id))]
    eng.dispose()
    return rows


def test_district_leader_sees_only_their_district(app_env):
    at = run("district")
    assert at.selectbox(key="month_zh").value == 202602  # the last complete month
    assert at.query_params["month"] in ("2026-02", ["2026-02"])
    assert kpi_cell(at, "信息准确率", "实际") == pct("G1", "G1B")  # 3/5 = 60.0
    assert kpi_cell(at, "信息准确率", "样本量") == "5"
    gaps = at.dataframe[0].value
    assert set(gaps["编码"]) == {"S1"}  # the district's one station
    row = gaps[gaps["指标"] == "信息准确率"].iloc[0]
    assert row["实际"] == pct("G1", "G1B")
    text = body(at)
    for other in ("D2", "S2", "M2", "G2"):
        assert NAMES_ZH[other] not in text, other
    assert len(downloads(at)) == 2


def test_city_leader_sees_every_district_in_the_gap_table(app_env):
    at = run("city")
    assert kpi_cell(at, "信息准确率", "实际") == pct("G1", "G1B", "G2")  # 5/7 = 71.4
    gaps = at.dataframe[0].value
    acc = gaps[gaps["指标"] == "信息准确率"].set_index("编码")
    assert list(acc.index) == ["D1", "D2"]  # by gap, largest first (as the gaps screen): 60.0 before 100.0
    assert acc.loc["D1", "实际"] == pct("G1", "G1B")
    assert acc.loc["D2", "实际"] == pct("G2")
    assert acc.loc["D1", "差距排名"] == "1" and acc.loc["D2", "差距排名"] == "2"


@pytest.mark.parametrize("username", ["officer"])
def test_officer_is_refused(app_env, username):
    at = run(username)
    assert [e.value for e in at.error] == [CATALOGUE["auth.forbidden"]["zh"]]
    assert not at.table and not at.dataframe and not downloads(at)


def test_unit_outside_the_scope_in_the_url_falls_back(app_env):
    at = run("district", {"unit": "D2"})
    assert [e.value for e in at.warning] == [CATALOGUE["auth.out_of_scope"]["zh"]]
    assert NAMES_ZH["D2"] not in body(at)
    assert kpi_cell(at, "信息准确率", "实际") == pct("G1", "G1B")


def test_month_from_the_url_and_its_empty_state(app_env):
    at = run("city", {"month": "2026-01"})  # no spot checks, visits or needs in January
    assert at.selectbox(key="month_zh").value == 202601
    assert CATALOGUE["report.empty.kpis"]["zh"] in [e.value for e in at.info]
    assert kpi_cell(at, "信息准确率", "实际") == "—"
    assert CATALOGUE["report.empty.overdue"]["zh"] in [e.value for e in at.info]


@pytest.mark.parametrize("month", ["2026-13", "garbage", "2031-01"])
def test_bad_or_future_month_in_the_url_falls_back_to_the_default(app_env, month):
    at = run("city", {"month": month})
    assert [e.value for e in at.warning] == [CATALOGUE["report.bad_month"]["zh"]]
    assert at.selectbox(key="month_zh").value == 202602


def test_english_report(app_env):
    at = run("city", lang="en")
    assert kpi_cell(at, "Information accuracy", "Actual") == pct("G1", "G1B", "G2")
    assert [b.label for b in downloads(at)] == ["Download Excel", "Download CSV (zip)"]


@pytest.mark.parametrize("index,fmt", [(0, "xlsx"), (1, "csv")])
def test_every_download_is_audited(app_env, index, fmt):
    at = run("district")
    assert audit_rows(app_env) == []
    downloads(at)[index].click().run()
    assert not at.exception
    assert audit_rows(app_env) == [("district", "report.export", {"unit": "D1", "month": "2026-02", "format": fmt})]
