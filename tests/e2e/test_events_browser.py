"""Browser (issue 14): an officer reports an urgent grid event on the Events screen; the leader of
the officer's police station (派出所领导), in another browser, sees it in the open list with its 15-minute clock (the app's 'now' is
frozen at FAKE_NOW, so the clock reads 15 minutes left); no external requests."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from e2e_server import FAKE_NOW, click_until, login, new_context, settle, wait_idle
from sqlalchemy import create_engine
from sqlmodel import Session, select

from data_access.demo.logins import DEMO_LOGINS
from data_access.fieldwork.models import GridEvent

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}
DESCRIPTION = "三号楼楼道电动车充电起火冒烟（浏览器测试）"


def test_officer_reports_an_urgent_event_and_the_station_leader_sees_its_clock(e2e_app, page, browser, external):
    login(page, e2e_app.url, "officer", PASSWORDS["officer"])
    page.goto(e2e_app.url + "/events")
    settle(page, page.get_by_role("heading", name="网格事件与隐患"))
    page.get_by_test_id("stSelectbox").filter(has_text="等级").first.click()
    page.get_by_role("option", name="急事（15 分钟）").click()
    page.get_by_label("情况描述").first.fill(DESCRIPTION)
    # the report reruns the page and shows its confirmation above the forms (an error would show instead);
    # a second click with the same content is the same event (the form's idempotency token)
    outcome = page.get_by_test_id("stAlertContentSuccess").or_(page.get_by_test_id("stAlertContentError"))
    click_until(page, page.get_by_role("button", name="上报", exact=True), outcome, timeout=30_000)
    wait_idle(page)
    success = page.get_by_test_id("stAlertContentSuccess").first
    assert success.is_visible(), page.get_by_test_id("stAlertContentError").first.inner_text()
    now = datetime.fromisoformat(FAKE_NOW)
    due = now + timedelta(minutes=15)
    assert f"{due:%m-%d %H:%M} 前须响应" in success.inner_text()
    code = re.search(r"事件 (E\S+) 已上报", success.inner_text()).group(1)

    eng = create_engine(e2e_app.database_url)
    with Session(eng) as s:
        e = s.exec(select(GridEvent).where(GridEvent.code == code)).one()
        assert (e.tier, e.status, e.description, e.due_at) == ("urgent", "open", DESCRIPTION, due)
        event_id = e.id
    eng.dispose()

    ctx = new_context(browser, external)
    leader = ctx.new_page()
    try:
        login(leader, e2e_app.url, "station", PASSWORDS["station"])
        leader.goto(e2e_app.url + f"/events?case=event:{event_id}")  # the list's pick, as a link
        leader.get_by_role("heading", name=code).wait_for(timeout=60_000)
        wait_idle(leader)
        main = leader.get_by_test_id("stMain").inner_text()
        # the open list counts it and the case shows its clock: 15 minutes left at the frozen 'now'
        assert "急事（15 分钟）" in main and "剩 15 分钟" in main and DESCRIPTION in main
        leader.get_by_role("button", name="受理（报到）").wait_for(timeout=30_000)
    finally:
        ctx.close()
    assert external.urls == []
