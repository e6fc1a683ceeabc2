"""Issue 17, finding 3: a password reset or change, a deactivation or a new role or scope ends the
user's other sessions — an open tab meets the sign-in form at its next click (before the fix it
went on for the cookie's lifetime) — while the tab that changed its own password goes on."""
from __future__ import annotations

from pathlib import Path

import pytest
from pagerun import open_page
from sqlmodel import select
from tiny_city import PASSWORD

from data_access.core import db as dbmod
from data_access.core.clock import now_local
from data_access.org import accounts, users
from data_access.org.models import OrgUnit, User
from ui import auth

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")

NEW_PASSWORD = "Changed#2027"


def signed_in(at) -> bool:
    return at.session_state["authentication_status"] is True and bool(at.metric)


def shows_sign_in_form(at) -> bool:
    return at.session_state["authentication_status"] is not True and not at.metric and any(
        w.label == "密码" for w in at.text_input)


def _uid(s, username: str) -> int:
    return s.exec(select(User.id).where(User.username == username)).one()


def _reset(s):
    accounts.reset_password(session=s, actor="admin", user_id=_uid(s, "district"), new_password=NEW_PASSWORD,
                            now=now_local())


def _new_scope(s):
    d2 = s.exec(select(OrgUnit.id).where(OrgUnit.code == "D2")).one()
    accounts.set_role(session=s, actor="admin", user_id=_uid(s, "district"), role="district_leader", scope_id=d2,
                      now=now_local())


def _deactivate_and_reactivate(s):
    for active in (False, True):
        accounts.set_active(session=s, actor="admin", user_id=_uid(s, "district"), active=active, now=now_local())
        s.flush()


def _changed_elsewhere(s):
    accounts.change_password(session=s, user="district", old_password=PASSWORD, new_password=NEW_PASSWORD,
                             now=now_local())


@pytest.mark.parametrize("change", [_reset, _new_scope, _deactivate_and_reactivate, _changed_elsewhere],
                         ids=["reset", "new_scope", "deactivated", "changed_elsewhere"])
def test_an_account_change_ends_the_users_open_sessions(app_env, change):
    tab = open_page(APP, "district")
    assert signed_in(tab)
    with dbmod.session_scope() as s:
        change(s)
    auth.forget_users()  # what the admin page and the account page do after a change
    tab.run()
    assert not tab.exception
    assert shows_sign_in_form(tab)
    fresh = open_page(APP, "district")  # a session begun after the change is fine
    assert signed_in(fresh)


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(app_env):
    other = open_page(APP, "district")
    me = open_page(str(ROOT / "pages" / "account.py"), "district")
    fields = {w.label: w for w in me.text_input}
    fields["原密码"].input(PASSWORD)
    fields["新密码"].input(NEW_PASSWORD)
    fields["再次输入新密码"].input(NEW_PASSWORD)
    me.button[0].click().run()
    assert not me.exception and not me.error, [e.value for e in me.error]
    with dbmod.session_scope() as s:
        ended = s.exec(select(User.signed_out_utc).where(User.username == "district")).one()
    assert ended is not None
    # this tab began again after the change, and gets a fresh cookie at its next run
    assert not users.session_ended(me.session_state[auth.SIGNED_IN_AT], ended)
    assert me.session_state["_set_auth_cookie"] is True
    other.run()
    assert shows_sign_in_form(other)
