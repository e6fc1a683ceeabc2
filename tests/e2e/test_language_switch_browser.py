"""Browser: a choice made in Chinese survives a switch to English. Streamlit sends a select box's
value back as the text it shows; before ``ui.i18n.translated`` the browser kept the Chinese text
after the switch — shown in an English screen, then matching no option, so the complaint was
refused for want of a channel (or recorded with the default one). Now the box shows the English
name of the channel chosen and the complaint is recorded with it."""
from __future__ import annotations

import re

import pytest
from e2e_server import choose, login, settle, wait_idle
from playwright.sync_api import expect
from sqlalchemy import create_engine
from sqlmodel import Session, select

from data_access.demo.logins import DEMO_LOGINS
from data_access.fieldwork.models import PrivacyComplaint

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}


def test_a_channel_chosen_in_chinese_is_recorded_after_switching_to_english(e2e_app, page, external):
    login(page, e2e_app.url, "officer", PASSWORDS["officer"])
    page.goto(f"{e2e_app.url}/complaints")
    settle(page, page.get_by_text("登记投诉"))
    page.get_by_text("登记投诉").click()
    box = page.get_by_role("combobox", name="渠道")
    choose(page, box, "来信")  # the expander still opening can leave the list shut at first
    expect(box).to_have_value("来信")

    page.get_by_text("English", exact=True).click()
    settle(page, page.get_by_text("Record a complaint"))
    if not page.get_by_role("combobox", name="Channel").count():  # the expander drawn closed again
        page.get_by_text("Record a complaint").click()
    channel = page.get_by_role("combobox", name="Channel")
    expect(channel).to_have_value("Letter")  # not the Chinese text chosen before the switch

    summary = page.get_by_label("Summary")
    summary.fill("来信反映小区门禁登记信息被张贴在公告栏（e2e 语言切换）")
    summary.press("Control+Enter")
    wait_idle(page)
    page.get_by_role("button", name="Record", exact=True).click()
    ok = page.get_by_test_id("stAlertContentSuccess")
    ok.wait_for(timeout=30_000)
    code = re.search(r"PC[\w-]+", ok.inner_text())
    assert code, ok.inner_text()

    eng = create_engine(e2e_app.database_url)
    with Session(eng) as s:
        row = s.exec(select(PrivacyComplaint).where(PrivacyComplaint.code == code.group(0))).one()
    eng.dispose()
    assert row.channel == "letter"
    assert external.urls == []
