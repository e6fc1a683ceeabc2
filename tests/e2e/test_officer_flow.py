"""Browser (issue 5), laptop viewport 1366×768: the officer logs in → 我的任务 → starts a visit → fills
the form with one need → submits → the need is in the tracker with its 48 h deadline → the district
leader's overview counts one more visit and one more need.

The e2e server is shared: the test compares the leader's counts before and after its own write.
"""
from __future__ import annotations

import re
import time

import pytest
from e2e_server import choose, click_until, login, settle, wait_idle
from playwright.sync_api import expect

from data_access.demo.logins import DEMO_LOGINS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}
SUCCESS = re.compile(r"走访已登记：(V[\w-]+)（住户 ([\w-]+)）")
NEED = re.compile(r"诉求 (N[\w-]+)（照明）须在 (\d{4}-\d\d-\d\d \d\d:\d\d) 前响应")


def card_n(page, indicator: str) -> int:
    """The sample size ("样本量 N") printed on the overview card of ``indicator``."""
    text = page.get_by_test_id("stMain").inner_text()
    head = re.search(rf"^{re.escape(indicator)} ", text, re.M)  # the card's title line (not the score's parts)
    assert head, text
    m = re.search(r"样本量\s*([\d,]+)", text[head.start():])
    assert m, text
    return int(m.group(1).replace(",", ""))


def leader_counts(page) -> tuple[int, int]:
    """Visits (process compliance n) and needs (need resolution n) on the leader's overview."""
    return card_n(page, "过程规范率"), card_n(page, "群众需求解决率")


def answer_required(page) -> None:
    """Every required form item still unanswered (its label ends with " *"): the first option."""
    radios = page.get_by_test_id("stRadio")
    for i in range(radios.count()):
        r = radios.nth(i)
        label = r.get_by_test_id("stWidgetLabel").inner_text().strip()
        if label.endswith("*") and not r.locator("input:checked").count():
            r.get_by_test_id("stRadioOption").first.click()
            wait_idle(page)


def click_option(page, radio_label: str, option: str) -> None:
    group = page.get_by_test_id("stRadio").filter(has_text=radio_label).first
    group.get_by_text(option, exact=True).click()
    wait_idle(page)


def test_officer_logs_a_visit_and_the_leader_sees_it(e2e_app, browser, page, external):
    from e2e_server import new_context

    leader_ctx = new_context(browser, external)
    leader = leader_ctx.new_page()
    login(leader, e2e_app.url, "district", PASSWORDS["district"])  # lands on the overview
    settle(leader, leader.get_by_test_id("stMetricValue"))
    visits_before, needs_before = leader_counts(leader)

    # the officer lands on 我的任务 and starts the most urgent visit
    login(page, e2e_app.url, "officer", PASSWORDS["officer"])
    settle(page, page.get_by_role("heading", name="我的任务"))
    click_until(page, page.get_by_role("button", name="开始走访").first, page.get_by_role("heading", name="走访登记"))
    settle(page, page.get_by_text("一、信息核查"))
    assert "household=" in page.url
    if page.get_by_text("已恢复您上次未提交的草稿").count():  # left over on the shared server: start clean
        page.get_by_role("button", name="清除草稿").click()
        settle(page, page.get_by_text("草稿已清除"))

    click_option(page, "已出示证件", "是")
    click_option(page, "执法记录仪已开启", "是")
    click_option(page, "群众满意度", "5 很满意")
    answer_required(page)
    page.get_by_role("button", name="添加诉求").click()
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="诉求 1 类别").click()
    page.get_by_role("option", name="照明").click()
    wait_idle(page)
    desc = page.get_by_label("具体内容")
    desc.fill("楼道灯坏了两周")
    desc.press("Enter")
    wait_idle(page)
    # saved as typed: each part of the form says when (all four were answered)
    expect(page.get_by_text("本部分已于")).to_have_count(4, timeout=30_000)

    page.get_by_role("button", name="提交走访").click()
    ok = page.get_by_test_id("stAlertContentSuccess")
    ok.wait_for(timeout=30_000)
    msg = ok.inner_text()
    m, n = SUCCESS.search(msg), NEED.search(msg)
    assert m and n, msg
    need_code, due = n.group(1), n.group(2)

    # the need is in the tracker with its deadline (lists are cached ≤ 5 s: reload until it shows)
    heading = page.get_by_role("heading", name=re.compile(re.escape(need_code)))
    deadline = time.monotonic() + 30
    while True:
        page.goto(f"{e2e_app.url}/needs?need={need_code}")
        settle(page, page.get_by_test_id("stMain"))
        if heading.count() or time.monotonic() > deadline:
            break
        page.wait_for_timeout(1500)
    assert heading.count() == 1
    detail = page.get_by_test_id("stMain").inner_text()
    assert due in detail, detail

    # the district leader's overview counts it (fresh 5–10 s on the e2e server: reload until it shows, 30 s at most)
    deadline = time.monotonic() + 30
    while True:
        leader.reload()
        settle(leader, leader.get_by_test_id("stMetricValue"))
        visits_after, needs_after = leader_counts(leader)
        if visits_after != visits_before or time.monotonic() > deadline:
            break
        leader.wait_for_timeout(1500)
    assert (visits_after, needs_after) == (visits_before + 1, needs_before + 1), (visits_before, needs_before)
    leader_ctx.close()
    assert external.urls == []


def test_switching_to_english_mid_form_keeps_the_need_category(e2e_app, page):
    """A select box's value travels as the text it shows: after a switch to English the boxes
    showed the Chinese text chosen before (a mixed-language screen). Now the category chosen in
    Chinese shows in English, as does the household's type, and the visit is logged with it."""
    login(page, e2e_app.url, "officer", PASSWORDS["officer"])
    settle(page, page.get_by_role("heading", name="我的任务"))
    click_until(page, page.get_by_role("button", name="开始走访").first, page.get_by_role("heading", name="走访登记"))
    settle(page, page.get_by_text("一、信息核查"))
    if page.get_by_text("已恢复您上次未提交的草稿").count():
        page.get_by_role("button", name="清除草稿").click()
        settle(page, page.get_by_text("草稿已清除"))
    page.get_by_role("button", name="添加诉求").click()
    wait_idle(page)
    choose(page, page.get_by_test_id("stSelectbox").filter(has_text="诉求 1 类别"), "照明")
    click_option(page, "已出示证件", "是")  # answered in Chinese, kept in English

    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Log a visit").wait_for(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_role("combobox", name="Need 1: category")).to_have_value("Lighting")
    shown = page.get_by_role("combobox", name="Household type").input_value()
    assert shown and not re.search(r"[\u3400-\u9fff]", shown), shown  # not the Chinese text it showed

    click_option(page, "Body camera on", "Yes")  # another answer: a run with every radio's state
    shown_yes = page.get_by_test_id("stRadio").filter(has_text="ID shown").first.get_by_role("radio", name="Yes")
    expect(shown_yes).to_be_checked()
    answer_required(page)
    page.get_by_role("button", name="Submit visit").click()
    ok = page.get_by_test_id("stAlertContentSuccess")
    ok.wait_for(timeout=30_000)
    assert "(Lighting)" in ok.inner_text(), ok.inner_text()
