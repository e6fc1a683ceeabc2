"""Issue 17, findings 3 and 6, in Chromium: a forged login cookie ("alg": "none") gets the sign-in
form, not the page-error screen; a login cookie from before a password reset no longer signs in; the
cookie the app writes lives at most 4 hours and is SameSite=Strict (it cannot be HttpOnly: the
authenticator's component writes it from JavaScript — see README)."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import time

import pytest
from e2e_server import ROOT, app_env, login, settle

from data_access.demo.logins import DEMO_LOGINS
from ui.i18n import CATALOGUE

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]
PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}
COOKIE = "gridpolice_auth"
PAGE_FAILED = CATALOGUE["error.page_failed"]["zh"].split("，")[0]


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _body(page) -> str:
    return page.locator("body").inner_text()


def test_an_unsigned_alg_none_cookie_gets_the_sign_in_form(e2e_app, page, external):
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'username': 'admin', 'exp_date': time.time() + 3600})}."
    page.context.add_cookies([{"name": COOKIE, "value": forged, "url": e2e_app.url}])
    page.goto(e2e_app.url + "/")
    settle(page, page.get_by_label("密码"))
    assert PAGE_FAILED not in _body(page)
    assert page.get_by_test_id("stMetricValue").count() == 0
    assert external.urls == []


def test_the_login_cookie_lives_four_hours_at_most_and_is_same_site_strict(e2e_app, page, external):
    login(page, e2e_app.url, "officer", PASSWORDS["officer"])
    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
    assert cookie["expires"] - time.time() <= 4 * 3600 + 60
    assert cookie["sameSite"] == "Strict"
    assert cookie["secure"] is False  # plain HTTP here; behind TLS the app sets Secure
    assert external.urls == []


def test_a_cookie_from_before_a_password_reset_no_longer_signs_in(e2e_app, browser, page, external):
    from e2e_server import new_context

    login(page, e2e_app.url, "o0003", PASSWORDS["officer"])
    kept = [c for c in page.context.cookies() if c["name"] == COOKIE]
    assert kept
    # an admin resets the password (in another process, as the admin's own session would)
    subprocess.run([sys.executable, "-c", (
        "from data_access.core import db; from data_access.org import accounts; "
        "from data_access.core.clock import now_local; from data_access.org.models import User; "
        "from sqlmodel import select\n"
        "with db.session_scope() as s:\n"
        "    uid = s.exec(select(User.id).where(User.username == 'o0003')).one()\n"
        "    accounts.reset_password(session=s, actor='admin', user_id=uid, new_password='Reset#2027x', "
        "now=now_local())\n")], cwd=ROOT, env=app_env(e2e_app.data_dir), check=True)
    time.sleep(6)  # the server caches a user row for 5 s
    other = new_context(browser, external)
    try:
        other.add_cookies(kept)
        p2 = other.new_page()
        p2.goto(e2e_app.url + "/")
        settle(p2, p2.get_by_label("密码"))
        assert p2.get_by_test_id("stMetricValue").count() == 0
        # the tab that was open meets the sign-in form at its next click
        page.reload()
        settle(page, page.get_by_label("密码"))
        assert page.get_by_test_id("stMetricValue").count() == 0
    finally:
        other.close()
    assert external.urls == []


def test_a_hostile_address_makes_the_leaders_browser_fetch_nothing(e2e_app, page, external):
    """Issue 17, finding 2, as the probe found it: a household address holding a markdown image
    made the need detail fetch an outside picture; now the address shows as typed, nothing is fetched."""
    from datetime import datetime

    from e2e_server import FAKE_NOW
    from sqlalchemy import create_engine, text
    from sqlmodel import Session

    from data_access.fieldwork import needs

    beacon = "![b](http://beacon.example/b.png) [x](http://beacon.example/x) :red[红]"
    eng = create_engine(e2e_app.database_url)
    with Session(eng) as s:
        row = needs.list_needs(session=s, user="district", now=datetime.fromisoformat(FAKE_NOW))[0]
        hid = s.execute(text("SELECT household_id FROM need WHERE code = :c"), {"c": row.code}).scalar_one()
        old = s.execute(text("SELECT address FROM household WHERE id = :h"), {"h": hid}).scalar_one()
        s.execute(text("UPDATE household SET address = :a WHERE id = :h"), {"a": beacon, "h": hid})
        s.commit()
    try:
        time.sleep(6)  # the needs page caches its rows for a few seconds
        login(page, e2e_app.url, "district", PASSWORDS["district"])
        page.goto(e2e_app.url + f"/needs?need={row.code}")
        settle(page, page.get_by_text("beacon.example/b.png", exact=False))
        assert "![b](http://beacon.example/b.png)" in _body(page).replace("\u2060", "")  # as typed
        assert page.locator("img[src*='beacon.example'], a[href*='beacon.example']").count() == 0
        assert external.urls == []
    finally:
        with Session(eng) as s:
            s.execute(text("UPDATE household SET address = :a WHERE id = :h"), {"a": old, "h": hid})
            s.commit()
        eng.dispose()
