"""Browser (issue 15): the demo officer opens 帮扶对象 and sees the counselling alert and the overdue
weekly visit of their grid (the demo's story), opens a file; the district leader sees counts only.
No external requests."""
from __future__ import annotations

import pytest
from e2e_server import click_until, login, new_context, settle, wait_idle

from data_access.demo.logins import DEMO_LOGINS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}


def test_officer_sees_alerts_and_files_the_leader_counts_only(e2e_app, page, browser, external):
    login(page, e2e_app.url, "officer", PASSWORDS["officer"])
    page.goto(e2e_app.url + "/assistance")
    settle(page, page.get_by_role("heading", name="帮扶对象（一人一档）"))
    wait_idle(page)
    main = page.get_by_test_id("stMain").inner_text()
    assert "按单位统计" in main and "心理疏导预警" in main and "高风险对象每周一访" in main  # table cells are drawn on a canvas
    click_until(page, page.get_by_role("button", name="打开档案"), page.get_by_text("打开档案已记入审计日志"))
    assert "身份证号" in page.get_by_test_id("stMain").inner_text()

    ctx = new_context(browser, external)
    leader = ctx.new_page()
    try:
        login(leader, e2e_app.url, "district", PASSWORDS["district"])
        leader.goto(e2e_app.url + "/assistance")
        settle(leader, leader.get_by_role("heading", name="帮扶对象（一人一档）"))
        wait_idle(leader)
        text = leader.get_by_test_id("stMain").inner_text()
        assert "按单位统计" in text and "只对帮扶责任人" in text
        assert "登记册" not in text and "打开档案" not in text
    finally:
        ctx.close()
    assert external.urls == []
