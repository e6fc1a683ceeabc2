"""Browser (issue 12): a district leader corrects a returned value on 数据填报 (data entry) and
then sees it on 方案 (Plans) and on the overview's plan block; no request leaves the machine.

The demo city (seed 7, today 2026-03-15) has the district's February value of 紧急警情出警时间
(cp_emergency_dispatch_min, seed 001, approval by the city) *returned* by the level above: it does
not count, so the district's card shows no value until the leader enters a corrected one."""
from __future__ import annotations

import pytest
from e2e_server import login, settle, wait_idle
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from data_access.demo.logins import DEMO_LOGINS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}
CODE = "cp_emergency_dispatch_min"
NAME = "紧急警情出警时间"
VALUE = "4.7"


def stored(url: str) -> list[tuple]:
    eng = create_engine(url)
    with eng.connect() as c:
        rows = c.execute(text(
            "SELECT v.value, v.status, v.version FROM reported_value v JOIN org_unit o ON o.id = v.org_unit_id "
            "JOIN app_user u ON u.scope_id = o.id WHERE u.username = 'district' AND v.indicator_code = :c "
            "AND v.period = '2026-02'"), {"c": CODE}).all()
    eng.dispose()
    return [tuple(r) for r in rows]


def card_value(page) -> str:
    """The value of the overview card of NAME (its metric's label is the indicator's name)."""
    metric = page.get_by_test_id("stMetric").filter(has=page.get_by_text(NAME, exact=True))
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def test_leader_enters_a_value_and_sees_it_on_plans_and_the_overview(e2e_app, page, external):
    assert [r[1] for r in stored(e2e_app.database_url)] == ["returned"]  # the demo's story
    login(page, e2e_app.url, "district", PASSWORDS["district"], path="/overview?plan=seed-001")
    page.goto(e2e_app.url + "/overview?plan=seed-001")
    settle(page, page.get_by_text("方案指标", exact=False))
    assert card_value(page) == "—"  # the returned value does not count

    page.goto(e2e_app.url + "/data_entry")
    settle(page, page.get_by_role("heading", name="数据填报"))
    field = page.get_by_role("textbox", name=f"{NAME}（min）", exact=True)
    field.fill(VALUE)
    page.get_by_role("textbox", name="修改原因（修改已填数值时必填）").fill("按市局退回意见复核110记录")
    page.get_by_text("已核实异常值，仍要保存").click()
    page.get_by_role("button", name="保存", exact=True).click()
    wait_idle(page)
    expect(page.get_by_test_id("stAlertContentSuccess").first).to_contain_text("已保存 1 项。", timeout=30_000)
    value, status, _version = stored(e2e_app.database_url)[0]
    assert (value, status) == (float(VALUE), "entered")

    page.goto(e2e_app.url + "/plans")
    settle(page, page.get_by_role("heading", name="方案", exact=True))
    grid = page.get_by_test_id("stDataFrame").filter(has_text=NAME).first
    grid.wait_for(timeout=30_000)
    expect(grid).to_contain_text("4.70", timeout=30_000)  # the district's February value
    expect(grid).to_contain_text("2026-02")

    page.goto(e2e_app.url + "/overview?plan=seed-001")
    settle(page, page.get_by_text("方案指标", exact=False))
    page.wait_for_timeout(5_500)  # the dashboards' data cache lives 5 s
    page.reload()
    settle(page, page.get_by_text("方案指标", exact=False))
    assert card_value(page) == VALUE
    metric = page.get_by_test_id("stMetric").filter(has=page.get_by_text(NAME, exact=True))
    card = metric.locator("xpath=ancestor::*[contains(., '期别')][1]")  # the card around the value
    expect(card).to_contain_text("期别 2026-02 · 1 / 1 单位")
    assert external.urls == []
