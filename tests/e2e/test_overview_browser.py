"""Browser (issue 3): fresh server, log in through the form, the overview shows KPI values;
every page URL opened anonymously shows no data; no request leaves the machine."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e_server import login, settle, wait_idle
from sqlalchemy import create_engine
from sqlmodel import Session

from data_access.demo.logins import DEMO_LOGINS
from data_access.org import users

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ROOT = Path(__file__).resolve().parents[2]
PAGE_URLS = sorted("/" + p.stem for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
PERCENT = re.compile(r"\d+\.\d%")
PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}


def scope_of(server, username: str) -> users.UnitRef:
    eng = create_engine(server.database_url)
    with Session(eng) as s:
        user = users.get_user(session=s, username=username)
    eng.dispose()
    assert user is not None, username
    return user.scope


def test_district_leader_logs_in_and_sees_kpis(e2e_app, page, external):
    login(page, e2e_app.url, "district", PASSWORDS["district"])
    district = scope_of(e2e_app, "district")
    values = page.get_by_test_id("stMetricValue").all_inner_texts()
    assert len(values) >= 5
    assert any(PERCENT.fullmatch(v.strip()) for v in values), values
    body = page.locator("body").inner_text()
    assert district.name_zh in body
    assert f"unit={district.code}" in page.url  # the view is a shareable link
    assert external.urls == []


@pytest.mark.parametrize("url", PAGE_URLS)
def test_page_url_opened_anonymously_shows_no_data(e2e_app, page, external, url):
    page.goto(e2e_app.url + url)
    wait_idle(page)
    prompt = page.get_by_label("密码").or_(page.get_by_text("请先登录后再查看此页面。"))
    prompt.first.wait_for(timeout=30_000)
    wait_idle(page)
    body = page.locator("body").inner_text()
    assert page.get_by_role("dialog").count() == 0  # no "page not found" (and no English) dialog
    assert page.get_by_test_id("stMetricValue").count() == 0
    assert page.get_by_test_id("stDataFrame").count() == 0
    assert not PERCENT.search(body), body
    assert scope_of(e2e_app, "district").name_zh not in body
    assert external.urls == []


def test_language_switch_in_the_browser(e2e_app, page, external):
    login(page, e2e_app.url, "city", PASSWORDS["city"])
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Overview").wait_for(timeout=30_000)
    wait_idle(page)
    assert "lang=en" in page.url
    main = page.get_by_test_id("stMain").inner_text()
    assert "Headline indicators" in main
    assert not re.search(r"[\u3400-\u9fff]", main), main  # unit and indicator names in English too
    assert external.urls == []


def test_deep_link_opened_anonymously_survives_the_login(e2e_app, page, external):
    district = scope_of(e2e_app, "district")
    login(page, e2e_app.url, "district", PASSWORDS["district"], path=f"/overview?unit={district.code}&phase=pilot")
    assert "phase=pilot" in page.url and f"unit={district.code}" in page.url
    shown = page.locator('[data-testid="stSelectbox"]').evaluate_all(
        "els => els.map(e => (e.querySelector('input') || {}).value || e.innerText)")
    assert any("试点期" in v for v in shown), shown
    assert external.urls == []


def test_sign_out_ends_the_session_and_the_cookie(e2e_app, page, external):
    login(page, e2e_app.url, "officer", PASSWORDS["officer"])
    page.get_by_role("button", name="退出登录").click()
    settle(page, page.get_by_label("密码"))
    # the cookie component deletes the cookie in the browser after the run: wait for it, then reload
    for _ in range(60):
        if "gridpolice_auth" not in [c["name"] for c in page.context.cookies()]:
            break
        page.wait_for_timeout(500)
    page.reload()
    settle(page, page.get_by_label("密码"))
    assert page.get_by_test_id("stMetricValue").count() == 0
    assert "gridpolice_auth" not in [c["name"] for c in page.context.cookies()]
    assert external.urls == []
