"""AppTest of the admin screens (issue 5): 用户管理 Users and 审计 Audit.

The tiny city (tiny_city.py) holds six users; every expectation below is computed from it or from
rows the test writes itself.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select
from streamlit.testing.v1 import AppTest
from tiny_city import TODAY, USERS

from data_access.core import audit
from data_access.core.db import make_engine, session_scope
from data_access.core.models import AuditLog
from data_access.org import accounts, passwords
from data_access.org.models import OrgUnit, User
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
USERS_PAGE = str(ROOT / "pages" / "admin_users.py")
AUDIT_PAGE = str(ROOT / "pages" / "audit.py")
NOW = datetime.fromisoformat(TODAY)
PW = "Fresh#pass42"


def zh(key: str, **fmt) -> str:
    s = CATALOGUE[key]["zh"]
    return s.format(**fmt) if fmt else s


@pytest.fixture
def fast_hash(monkeypatch):
    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 4)


def run(script: str, username: str | None) -> AppTest:
    at = AppTest.from_file(script, default_timeout=60)
    if username is not None:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun_ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def db(url: str):
    return session_scope(make_engine(url))


def unit_id(url: str, code: str) -> int:
    with db(url) as s:
        return s.exec(select(OrgUnit.id).where(OrgUnit.code == code)).one()


def user_row(url: str, username: str) -> User | None:
    with db(url) as s:
        return s.exec(select(User).where(User.username == username)).first()


def audit_rows(url: str) -> list[AuditLog]:
    with db(url) as s:
        return list(s.exec(select(AuditLog).order_by(AuditLog.id)))


def fill_new_user(at: AppTest, username: str, display: str, role: str, scope: str, pw: str, pw2: str | None = None):
    n = at.session_state["au_new_nonce"] if "au_new_nonce" in at.session_state else 0
    at.text_input(key=f"au_new_username_{n}").input(username)
    at.text_input(key=f"au_new_display_{n}").input(display)
    at.selectbox(key=f"au_new_role_{n}_zh").set_value(role).run()
    rerun_ok(at)
    at.selectbox(key=f"au_new_scope_{n}_{role}_zh").set_value(scope)
    at.text_input(key=f"au_new_pw1_{n}").input(pw)
    at.text_input(key=f"au_new_pw2_{n}").input(pw if pw2 is None else pw2)
    at.button(key=f"au_create_{n}").click().run()
    return rerun_ok(at)


# --- users ------------------------------------------------------------------------------------------

def test_admin_sees_every_user_in_the_list(app_env):
    at = run(USERS_PAGE, "admin")
    table = at.dataframe[0].value
    assert sorted(table["用户名"]) == sorted(u[0] for u in USERS)
    row = table.set_index("用户名").loc["gone"]
    assert row["状态"] == "停用" and row["角色"] == "分局领导"


def test_list_filters_by_role_scope_and_status(app_env):
    at = run(USERS_PAGE, "admin")
    at.selectbox(key="au_f_scope_zh").set_value("D1").run()
    # users whose scope is D1 or below: district (D1), officer (G1)
    assert sorted(rerun_ok(at).dataframe[0].value["用户名"]) == ["district", "officer"]
    at.selectbox(key="au_f_scope_zh").set_value("*")
    at.selectbox(key="au_f_active_zh").set_value("inactive").run()
    assert list(rerun_ok(at).dataframe[0].value["用户名"]) == ["gone"]
    at.selectbox(key="au_f_active_zh").set_value("*")
    at.selectbox(key="au_f_role_zh").set_value("officer").run()
    assert list(rerun_ok(at).dataframe[0].value["用户名"]) == ["officer"]
    at.selectbox(key="au_f_locked_zh").set_value("locked").run()
    assert not rerun_ok(at).dataframe and zh("admin.users.none") in [e.value for e in at.info]


def test_admin_creates_a_user(app_env, fast_hash):
    before = len(audit_rows(app_env))
    at = fill_new_user(run(USERS_PAGE, "admin"), "newbie", "孙悦", "officer", "G1B", PW)
    assert [e.value for e in at.success] == [zh("admin.users.created", username="newbie")]
    assert not at.error
    u = user_row(app_env, "newbie")
    assert u is not None and u.display_name == "孙悦" and u.role == "officer" and u.active
    assert u.scope_id == unit_id(app_env, "G1B")
    assert passwords.verify_password(PW, u.password_hash)
    new = audit_rows(app_env)[before:]
    assert [(r.username, r.action, r.entity_id) for r in new] == [("admin", "user.create", str(u.id))]
    assert PW not in (new[0].detail or "")  # the password never reaches the audit log
    assert "newbie" in list(at.dataframe[0].value["用户名"])  # the list shows the new user at once
    # the form is empty again
    assert at.text_input(key="au_new_username_1").value == ""


def test_duplicate_username_is_refused_and_no_second_user(app_env, fast_hash):
    at = fill_new_user(run(USERS_PAGE, "admin"), "newbie", "孙悦", "officer", "G1", PW)
    assert not at.error
    at = fill_new_user(at, "newbie", "另一人", "officer", "G1B", PW)  # same name again (e.g. a resubmit)
    assert [e.value for e in at.error] == [zh("error.field_prefix", field=zh("admin.field.username"),
                                               message=zh("error.taken"))]
    with db(app_env) as s:
        assert len(s.exec(select(User).where(User.username == "newbie")).all()) == 1
    assert user_row(app_env, "newbie").display_name == "孙悦"  # the first one stays as it was


def test_existing_username_in_other_case_is_refused(app_env, fast_hash):
    at = fill_new_user(run(USERS_PAGE, "admin"), "Officer", "冒名", "officer", "G1", PW)
    assert at.error and not at.success
    with db(app_env) as s:
        assert len(s.exec(select(User).where(User.username == "officer")).all()) == 1


@pytest.mark.parametrize("pw,pw2,code", [
    ("short1", "short1", "too_short"),
    ("lettersonly", "lettersonly", "needs_digit"),
    ("Fresh#pass42", "Fresh#pass43", None),  # mismatch
])
def test_bad_initial_password_is_refused_before_any_write(app_env, fast_hash, pw, pw2, code):
    before = len(audit_rows(app_env))
    at = fill_new_user(run(USERS_PAGE, "admin"), "newbie", "孙悦", "officer", "G1", pw, pw2)
    errors = [e.value for e in at.error]
    if code is None:
        assert errors == [zh("admin.password_mismatch")]
    else:
        assert errors[0].endswith(zh(f"error.{code}", min=accounts.PASSWORD_MIN)), errors
    assert user_row(app_env, "newbie") is None
    assert len(audit_rows(app_env)) == before


def test_scope_choices_follow_the_role(app_env):
    at = run(USERS_PAGE, "admin")
    at.selectbox(key="au_new_role_0_zh").set_value("district_leader").run()
    assert rerun_ok(at).selectbox(key="au_new_scope_0_district_leader_zh").options == [
        "东湖区 · 分局", "西山区 · 分局"]
    at.selectbox(key="au_new_role_0_zh").set_value("city_leader").run()
    assert rerun_ok(at).selectbox(key="au_new_scope_0_city_leader_zh").options == ["测试市 · 市"]


def _pick(at: AppTest, url: str, username: str) -> int:
    uid = user_row(url, username).id
    at.selectbox(key="au_pick").set_value(uid).run()
    rerun_ok(at)
    return uid


def test_unlock_lifts_a_lock(app_env):
    with db(app_env) as s:
        for i in range(accounts.LOCK_THRESHOLD):
            state = accounts.record_login_attempt(session=s, username="district", ok=False,
                                                  now=NOW - timedelta(minutes=5 - i))
    assert state.locked
    until = state.until
    at = run(USERS_PAGE, "admin")
    assert at.dataframe[0].value.set_index("用户名").loc["district", "锁定至"] == until.strftime("%Y-%m-%d %H:%M")
    uid = _pick(at, app_env, "district")
    assert [e.value for e in at.warning] == [zh("admin.users.locked_until", until=until.strftime("%Y-%m-%d %H:%M"))]
    at.button(key=f"au_unlock_{uid}").click().run()
    assert [e.value for e in rerun_ok(at).success] == [zh("admin.users.unlocked", username="district")]
    with db(app_env) as s:
        assert not accounts.lock_state(session=s, username="district", now=NOW).locked
    assert user_row(app_env, "district").locked_until is None
    assert audit_rows(app_env)[-1].action == "account.unlock"
    assert not at.warning


def test_deactivate_and_reactivate(app_env):
    at = run(USERS_PAGE, "admin")
    uid = _pick(at, app_env, "officer")
    at.button(key=f"au_deactivate_{uid}").click().run()
    assert not user_row(app_env, "officer").active
    assert audit_rows(app_env)[-1].action == "user.deactivate"
    at.button(key=f"au_activate_{uid}").click().run()
    assert rerun_ok(at) and user_row(app_env, "officer").active
    assert audit_rows(app_env)[-1].action == "user.activate"


def test_admin_cannot_deactivate_themselves(app_env):
    at = run(USERS_PAGE, "admin")
    uid = _pick(at, app_env, "admin")
    button = at.button(key=f"au_deactivate_{uid}")
    # the button is off (the service refuses it too: tests/db/test_accounts.py, code "self")
    assert button.disabled and button.help == zh("admin.users.no_self_deactivate")
    assert user_row(app_env, "admin").active


def test_change_role_and_scope(app_env):
    at = run(USERS_PAGE, "admin")
    uid = _pick(at, app_env, "officer")
    at.selectbox(key=f"au_role_{uid}_zh").set_value("district_leader").run()
    at.selectbox(key=f"au_scope_{uid}_district_leader_zh").set_value("D2")
    at.button(key=f"au_save_role_{uid}").click().run()
    assert not rerun_ok(at).error
    u = user_row(app_env, "officer")
    assert (u.role, u.scope_id) == ("district_leader", unit_id(app_env, "D2"))
    last = audit_rows(app_env)[-1]
    assert last.action == "user.set_role"
    assert json.loads(last.detail)["to"] == {"role": "district_leader", "scope_id": unit_id(app_env, "D2")}


def test_reset_password(app_env, fast_hash):
    at = run(USERS_PAGE, "admin")
    uid = _pick(at, app_env, "officer")
    at.text_input(key=f"au_pw1_{uid}_0").input(PW)
    at.text_input(key=f"au_pw2_{uid}_0").input(PW)
    at.button(key=f"au_do_reset_{uid}_0").click().run()
    assert [e.value for e in rerun_ok(at).success] == [zh("admin.users.reset_done", username="officer")]
    assert passwords.verify_password(PW, user_row(app_env, "officer").password_hash)
    assert audit_rows(app_env)[-1].action == "user.reset_password"


@pytest.mark.parametrize("username", ["city", "district", "coord", "officer"])
@pytest.mark.parametrize("script", [USERS_PAGE, AUDIT_PAGE])
def test_non_admin_is_refused_and_sees_no_data(app_env, username, script):
    at = run(script, username)
    assert [e.value for e in at.error] == [zh("auth.forbidden")]
    assert not at.dataframe and not at.selectbox and not at.text_input and not at.button and not at.json


def test_anonymous_is_sent_to_login(app_env):
    for script in (USERS_PAGE, AUDIT_PAGE):
        at = run(script, None)
        assert [e.value for e in at.info] == [zh("auth.login_required")]
        assert not at.dataframe and not at.selectbox


# --- audit ------------------------------------------------------------------------------------------

def write_rows(url: str, rows: list[tuple[str, str, datetime, dict | None]]) -> None:
    with db(url) as s:
        for username, action, at, detail in rows:
            audit.write(s, username, action, "app_user", 1, detail, at=at)


def _verify(at: AppTest) -> AppTest:
    at.button(key="ad_verify").click().run()
    return rerun_ok(at)


def test_verify_ok_then_broken_after_tampering(app_env):
    write_rows(app_env, [("admin", "user.create", NOW - timedelta(hours=3), {"role": "officer"}),
                         ("district", "login", NOW - timedelta(hours=2), None),
                         ("officer", "login", NOW - timedelta(hours=1), None)])
    n = len(audit_rows(app_env))
    at = _verify(run(AUDIT_PAGE, "admin"))
    assert [e.value for e in at.success] == [zh("admin.audit.verify_ok", n=f"{n:,}")]
    # someone edits a row directly in the database
    victim = audit_rows(app_env)[-2].id
    eng = make_engine(app_env)
    with eng.begin() as c:
        c.execute(text("UPDATE audit_log SET username = 'city' WHERE id = :i"), {"i": victim})
    eng.dispose()
    at = _verify(at)
    assert not at.success
    assert [e.value for e in at.error] == [zh("admin.audit.verify_bad", id=victim, n=f"{n - 1:,}",
                                              reason=zh("admin.audit.reason.content"))]


def test_verify_reports_a_deleted_row(app_env):
    write_rows(app_env, [("admin", "login", NOW - timedelta(hours=h), None) for h in (3, 2, 1)])
    ids = [r.id for r in audit_rows(app_env)]
    eng = make_engine(app_env)
    with eng.begin() as c:
        c.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": ids[-2]})
    eng.dispose()
    at = _verify(run(AUDIT_PAGE, "admin"))
    assert [e.value for e in at.error] == [zh("admin.audit.verify_bad", id=ids[-1], n=f"{len(ids) - 1:,}",
                                              reason=zh("admin.audit.reason.link"))]


def test_audit_filters_by_user_action_and_dates(app_env):
    write_rows(app_env, [
        ("admin", "user.create", NOW - timedelta(days=1), {"role": "officer", "username": "x1"}),
        ("admin", "account.unlock", NOW - timedelta(days=2), None),
        ("district", "login", NOW - timedelta(days=3), None),
        ("district", "login", NOW - timedelta(days=40), None),  # outside the default 30 days
    ])
    at = run(AUDIT_PAGE, "admin")
    table = at.dataframe[0].value
    assert list(table["用户"]) == ["district", "admin", "admin"]  # newest first (by row number)
    assert list(table["操作"]) == [zh("admin.action.login"), zh("admin.action.account.unlock"),
                                   zh("admin.action.user.create")]
    at.selectbox(key="ad_user_zh").set_value("district").run()
    assert list(rerun_ok(at).dataframe[0].value["用户"]) == ["district"]
    at.date_input(key="ad_from").set_value((NOW - timedelta(days=45)).date()).run()
    assert len(rerun_ok(at).dataframe[0].value) == 2
    at.selectbox(key="ad_user_zh").set_value("*")
    at.selectbox(key="ad_action_zh").set_value("user.create").run()
    table = rerun_ok(at).dataframe[0].value
    assert list(table["操作"]) == [zh("admin.action.user.create")]
    # the detail of the picked row is its JSON
    assert json.loads(at.json[0].value) == {"role": "officer", "username": "x1"}


def test_audit_pages_in_fifties(app_env):
    write_rows(app_env, [("officer", "login", NOW - timedelta(minutes=i), None) for i in range(61)])
    at = run(AUDIT_PAGE, "admin")
    assert len(at.dataframe[0].value) == 50
    first_page = set(at.dataframe[0].value["序号"])
    at.number_input[0].set_value(2).run()
    second = rerun_ok(at).dataframe[0].value
    assert len(second) == 11 and not first_page & set(second["序号"])


def test_export_is_audited(app_env):
    write_rows(app_env, [("district", "login", NOW - timedelta(days=d), None) for d in (1, 2)])
    at = run(AUDIT_PAGE, "admin")
    assert not at.download_button
    at.button(key="ad_export").click().run()
    rerun_ok(at)
    last = audit_rows(app_env)[-1]
    assert (last.username, last.action) == ("admin", "audit.export")
    assert json.loads(last.detail)["rows"] == 2
    assert [e.value for e in at.caption if "导出" in e.value] == [zh("admin.audit.export_ready", n="2")]
    assert len(at.download_button) == 1


CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize("script", [USERS_PAGE, AUDIT_PAGE])
def test_english_screens_have_no_chinese_labels(app_env, script):
    write_rows(app_env, [("admin", "user.create", NOW - timedelta(hours=1), {"role": "officer"})])
    at = run(script, "admin")
    if script == AUDIT_PAGE:  # the last chain check stays on screen across the language switch
        _verify(at)
    at.session_state["lang"] = "en"  # (AppTest can only interact in the language of its last run)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if script == AUDIT_PAGE:
        assert [e.value for e in at.success] == [CATALOGUE["admin.audit.verify_ok"]["en"].format(n="1")]
    people = {name for _u, name, _r, _s in USERS}  # display names are data, not labels
    parts = [str(e.value) for kind in ("title", "markdown", "caption", "info", "success", "warning", "error")
             for e in getattr(at, kind)]
    parts += [o for sb in at.selectbox for o in [sb.label, *sb.options]] + [b.label for b in at.button]
    parts += [ti.label for ti in at.text_input] + [str(c) for df in at.dataframe for c in df.value.columns]
    for df in at.dataframe:
        parts += [str(x) for x in df.value.drop(columns=["Name"], errors="ignore").to_numpy().ravel()]
    leftovers = [p for p in parts if CJK.search(p) and not any(name in p for name in people)]
    assert leftovers == []


def test_audit_queries_filter_count_and_page_in_the_database(session):
    """data_access.core.audit.count / search / distinct on both backends (the screen's queries)."""
    t0 = datetime(2026, 3, 1, 9, 0)
    rows = [("admin", "user.create", t0), ("admin", "login", t0 + timedelta(days=1)),
            ("district", "login", t0 + timedelta(days=2)), ("district", "login_failed", t0 + timedelta(days=3)),
            ("officer", "login", t0 + timedelta(days=4))]
    for username, action, at in rows:
        audit.write(session, username, action, "app_user", 1, at=at)
    session.commit()

    def expect(username=None, actions=(), start=None, end=None):
        return [r for r in rows if (username is None or r[0] == username) and (not actions or r[1] in actions)
                and (start is None or r[2] >= start) and (end is None or r[2] < end)]

    cases = [dict(), dict(username="district"), dict(actions=("login",)), dict(actions=("login", "login_failed")),
             dict(start=t0 + timedelta(days=1), end=t0 + timedelta(days=3)), dict(username="admin", actions=("login",))]
    for c in cases:
        f = audit.AuditFilter(**c)
        want = expect(**c)
        assert audit.count(session, f) == len(want), c
        got = audit.search(session, f)
        assert [(r.username, r.action, r.at) for r in got] == list(reversed(want)), c  # newest first
    f = audit.AuditFilter(actions=("login",))
    assert [r.username for r in audit.search(session, f, offset=1, limit=1)] == ["district"]
    assert audit.distinct(session, "username") == ["admin", "district", "officer"]
    assert audit.distinct(session, "action") == ["login", "login_failed", "user.create"]


def test_deactivation_takes_effect_at_the_users_next_click(app_env):
    overview = str(ROOT / "pages" / "overview.py")
    assert not run(overview, "officer").error  # the guard has now cached the officer as active
    at = run(USERS_PAGE, "admin")
    uid = _pick(at, app_env, "officer")
    at.button(key=f"au_deactivate_{uid}").click().run()
    assert not user_row(app_env, "officer").active
    again = run(overview, "officer")
    assert [e.value for e in again.error] == [zh("auth.inactive")]
    assert not again.metric and not again.dataframe
