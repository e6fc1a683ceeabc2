"""AppTest of 我的账号 Account: own role and scope, own recent sign-ins, changing one's password."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest
from tiny_city import PASSWORD, TODAY

from data_access.core import audit
from data_access.core.db import make_engine, session_scope
from data_access.core.models import AuditLog
from data_access.org import accounts, passwords
from data_access.org.models import User
from ui.i18n import CATALOGUE

ACCOUNT = str(Path(__file__).resolve().parents[2] / "pages" / "account.py")
NOW = datetime.fromisoformat(TODAY)
NEW = "Brand#new77"


def zh(key: str, **fmt) -> str:
    s = CATALOGUE[key]["zh"]
    return s.format(**fmt) if fmt else s


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch):
    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 4)


def run(username: str | None) -> AppTest:
    at = AppTest.from_file(ACCOUNT, default_timeout=60)
    if username is not None:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def pw_hash(url: str, username: str) -> str:
    with session_scope(make_engine(url)) as s:
        return s.exec(select(User.password_hash).where(User.username == username)).one()


def n_audit(url: str) -> int:
    with session_scope(make_engine(url)) as s:
        return len(s.exec(select(AuditLog.id)).all())


def change(at: AppTest, old: str, new: str, again: str | None = None) -> AppTest:
    n = at.session_state["acc_pw_nonce"] if "acc_pw_nonce" in at.session_state else 0
    at.text_input(key=f"acc_old_{n}").input(old)
    at.text_input(key=f"acc_new_{n}").input(new)
    at.text_input(key=f"acc_new2_{n}").input(new if again is None else again)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_shows_own_role_scope_and_recent_sign_ins(app_env):
    with session_scope(make_engine(app_env)) as s:
        for minutes, ok in ((30, False), (29, True)):
            accounts.record_login_attempt(session=s, username="district", ok=ok, now=NOW - timedelta(minutes=minutes))
        accounts.record_login_attempt(session=s, username="officer", ok=True, now=NOW - timedelta(minutes=5))
        audit.write(s, "district", "need.create", "need", 1, at=NOW)  # not a sign-in
    at = run("district")
    body = "\n".join(m.value for m in at.markdown)
    assert "李东海" in body and zh("role.district_leader") in body and "东湖区 · 分局" in body
    table = at.dataframe[0].value
    # newest first, only district's own sign-in events
    assert list(table["时间"]) == [(NOW - timedelta(minutes=29)).strftime("%Y-%m-%d %H:%M"),
                                   (NOW - timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M")]
    assert list(table["结果"]) == [zh("admin.account.result.login"), zh("admin.account.result.login_failed")]


def test_no_sign_ins_yet_is_explained(app_env):
    at = run("coord")
    assert zh("admin.account.no_logins") in [e.value for e in at.info]
    assert not at.dataframe


def test_password_change_works_and_is_audited(app_env):
    at = change(run("officer"), PASSWORD, NEW)
    assert [e.value for e in at.success] == [zh("admin.account.changed")]
    h = pw_hash(app_env, "officer")
    assert passwords.verify_password(NEW, h) and not passwords.verify_password(PASSWORD, h)
    with session_scope(make_engine(app_env)) as s:
        last = s.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert (last.username, last.action) == ("officer", "user.password_change")
    assert NEW not in (last.detail or "")
    assert at.text_input(key="acc_old_1").value == ""  # fields emptied


def test_wrong_old_password_changes_nothing(app_env):
    before_hash, before_audit = pw_hash(app_env, "officer"), n_audit(app_env)
    at = change(run("officer"), "not-my-password1", NEW)
    assert [e.value for e in at.error] == [zh("error.field_prefix", field=zh("admin.field.old_password"),
                                              message=zh("error.wrong"))]
    assert not at.success
    assert pw_hash(app_env, "officer") == before_hash
    assert n_audit(app_env) == before_audit


@pytest.mark.parametrize("new,again,expected", [
    (NEW, NEW + "x", ["admin.password_mismatch"]),
    ("abc1", "abc1", ["error.too_short"]),
    ("12345678", "12345678", ["error.needs_letter"]),
    (PASSWORD, PASSWORD, ["error.same_as_old"]),  # only the service knows: checked there
])
def test_policy_and_confirmation_are_checked(app_env, new, again, expected):
    before = pw_hash(app_env, "officer")
    at = change(run("officer"), PASSWORD, new, again)
    errors = [e.value for e in at.error]
    assert len(errors) == len(expected)
    for err, key in zip(errors, expected, strict=True):
        assert err.endswith(zh(key, min=accounts.PASSWORD_MIN)), err
    assert pw_hash(app_env, "officer") == before


def test_every_role_may_open_it_and_anonymous_may_not(app_env):
    for username in ("admin", "city", "district", "coord", "officer"):
        assert zh("admin.account.title") in [e.value for e in run(username).title]
    at = run(None)
    assert [e.value for e in at.info] == [zh("auth.login_required")]
    assert not at.text_input and not at.dataframe
