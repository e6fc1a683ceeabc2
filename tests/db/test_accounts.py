"""Accounts: lockout after 5 failures in 15 minutes, unlock, password policy, admin user management."""
from __future__ import annotations

from datetime import timedelta

import pytest
from issue5_world import NOW, build
from sqlmodel import select

from data_access.core.errors import PermissionDenied, ValidationError
from data_access.core.models import AuditLog
from data_access.org import accounts, passwords
from data_access.org.accounts import AccountLocked, AuthFailed
from data_access.org.models import User

M = timedelta(minutes=1)
PW = "Secret2025"


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 4)


@pytest.fixture
def world(session):
    return build(session, password_hash=passwords.hash_password(PW, rounds=4))


def _fail(session, t, name="off1"):
    with pytest.raises((AuthFailed, AccountLocked)) as e:
        accounts.authenticate(session=session, username=name, password="wrong-pass1", now=t)
    return e.value


def test_five_failures_within_15_minutes_lock_for_15_minutes(session, world):
    for i in range(4):
        assert isinstance(_fail(session, NOW + i * M), AuthFailed)
    fifth = NOW + 10 * M
    err = _fail(session, fifth)
    assert isinstance(err, AccountLocked)
    assert err.until == fifth + timedelta(minutes=15)
    assert err.params["minutes"] == 15
    # even the right password is refused while locked, with the unlock time
    with pytest.raises(AccountLocked) as e:
        accounts.authenticate(session=session, username="off1", password=PW, now=fifth + 14 * M)
    assert e.value.until == fifth + timedelta(minutes=15)
    assert e.value.params["minutes"] == 1
    user = accounts.authenticate(session=session, username="OFF1", password=PW, now=fifth + 15 * M)
    assert user.username == "off1"
    locks = session.exec(select(AuditLog).where(AuditLog.action == "account.lock")).all()
    assert len(locks) == 1 and locks[0].username == "off1"


def test_failures_spread_over_more_than_15_minutes_do_not_lock(session, world):
    for minute in (0, 4, 8, 12, 16):  # at minute 16 the first failure has left the window
        assert isinstance(_fail(session, NOW + minute * M), AuthFailed)
    st = accounts.lock_state(session=session, username="off1", now=NOW + 16 * M)
    assert (st.locked, st.failures, st.remaining) == (False, 4, 1)
    assert isinstance(_fail(session, NOW + 17 * M), AccountLocked)


def test_success_resets_the_count_and_expired_lock_starts_fresh(session, world):
    for i in range(4):
        _fail(session, NOW + i * M)
    accounts.authenticate(session=session, username="off1", password=PW, now=NOW + 5 * M)
    for i in range(4):
        assert isinstance(_fail(session, NOW + (6 + i) * M), AuthFailed)
    assert isinstance(_fail(session, NOW + 11 * M), AccountLocked)
    # after the lock ends, one more failure does not lock again at once
    assert isinstance(_fail(session, NOW + 27 * M), AuthFailed)
    assert accounts.lock_state(session=session, username="off1", now=NOW + 27 * M).failures == 1


def test_admin_unlock(session, world):
    for i in range(5):
        _fail(session, NOW + i * M)
    with pytest.raises(PermissionDenied):
        accounts.unlock(session=session, actor=world.users["dl1"], user_id=world.users["off1"].id, now=NOW + 6 * M)
    accounts.unlock(session=session, actor=world.users["admin"], user_id=world.users["off1"].id, now=NOW + 6 * M)
    assert accounts.authenticate(session=session, username="off1", password=PW, now=NOW + 7 * M).id == \
        world.users["off1"].id
    assert session.exec(select(AuditLog).where(AuditLog.action == "account.unlock")).first() is not None


def test_unknown_user_is_refused_without_storing_the_name(session, world):
    with pytest.raises(AuthFailed) as e:
        accounts.authenticate(session=session, username="Secret2025x", password="x", now=NOW)
    assert e.value.code == "bad_credentials"
    row = session.exec(select(AuditLog).where(AuditLog.action == "login_failed")).one()
    assert row.username == "?" and "Secret2025x" not in (row.detail or "")


@pytest.mark.parametrize("new,code", [
    ("short1", "too_short"),
    ("abcdefgh", "needs_digit"),
    ("12345678", "needs_letter"),
    ("密码" * 10 + "a1" * 10, "too_long"),  # 80 bytes
])
def test_password_policy(session, world, new, code):
    with pytest.raises(ValidationError) as e:
        accounts.change_password(session=session, user=world.users["off1"], old_password=PW, new_password=new,
                                 now=NOW)
    assert (e.value.field, e.value.code) == ("new_password", code)


def test_change_password_checks_old_one_and_never_logs_it(session, world):
    with pytest.raises(ValidationError) as e:
        accounts.change_password(session=session, user=world.users["off1"], old_password="nope1234",
                                 new_password="NewPass99", now=NOW)
    assert e.value.code == "wrong"
    accounts.change_password(session=session, user=world.users["off1"], old_password=PW,
                             new_password="NewPass99", now=NOW)
    assert accounts.authenticate(session=session, username="off1", password="NewPass99", now=NOW + M)
    with pytest.raises(AuthFailed):
        accounts.authenticate(session=session, username="off1", password=PW, now=NOW + 2 * M)
    for row in session.exec(select(AuditLog)).all():
        assert "NewPass99" not in (row.detail or "") and PW not in (row.detail or "")


def test_admin_creates_user_with_role_scope_rules(session, world):
    admin = world.users["admin"]
    u = world.units
    with pytest.raises(ValidationError) as e:
        accounts.create_user(session=session, actor=admin, username="new1", display_name="新警员", role="officer",
                             scope_id=u["D1"].id, now=NOW)
    assert e.value.code == "level_for_role"
    with pytest.raises(ValidationError) as e:
        accounts.create_user(session=session, actor=admin, username="off1", display_name="重名", role="officer",
                             scope_id=u["G1"].id, now=NOW)
    assert e.value.code == "taken"
    with pytest.raises(ValidationError) as e:
        accounts.create_user(session=session, actor=admin, username="x y", display_name="a", role="officer",
                             scope_id=u["G1"].id, now=NOW)
    assert e.value.code == "format"
    with pytest.raises(PermissionDenied):
        accounts.create_user(session=session, actor=world.users["dl1"], username="new1", display_name="新警员",
                             role="officer", scope_id=u["G1"].id, now=NOW)
    new = accounts.create_user(session=session, actor=admin, username="New1", display_name="新警员", role="officer",
                               scope_id=u["G2"].id, password="Start2025", now=NOW)
    assert new.username == "new1" and new.password_hash != "Start2025"
    assert accounts.authenticate(session=session, username="new1", password="Start2025", now=NOW).id == new.id
    accounts.set_role(session=session, actor=admin, user_id=new.id, role="district_leader", scope_id=u["D2"].id,
                      now=NOW)
    assert (session.get(User, new.id).role, session.get(User, new.id).scope_id) == ("district_leader", u["D2"].id)
    create_row = session.exec(select(AuditLog).where(AuditLog.action == "user.create")).one()
    assert "Start2025" not in create_row.detail


def test_deactivate_reset_and_last_admin(session, world):
    admin = world.users["admin"]
    off = world.users["off1"]
    accounts.set_active(session=session, actor=admin, user_id=off.id, active=False, now=NOW)
    with pytest.raises(AuthFailed) as e:
        accounts.authenticate(session=session, username="off1", password=PW, now=NOW)
    assert e.value.code == "inactive"
    with pytest.raises(ValidationError) as e:
        accounts.set_active(session=session, actor=admin, user_id=admin.id, active=False, now=NOW)
    assert e.value.code == "self"
    with pytest.raises(ValidationError) as e:
        accounts.set_role(session=session, actor=admin, user_id=admin.id, role="city_leader",
                          scope_id=world.units["C"].id, now=NOW)
    assert e.value.code == "last_admin"
    accounts.set_active(session=session, actor=admin, user_id=off.id, active=True, now=NOW)
    for i in range(5):
        _fail(session, NOW + i * M)
    accounts.reset_password(session=session, actor=admin, user_id=off.id, new_password="Fresh2025", now=NOW + 6 * M)
    assert accounts.authenticate(session=session, username="off1", password="Fresh2025", now=NOW + 7 * M)
    names = [r.username for r in accounts.list_users(session=session, actor=admin, now=NOW + 7 * M)]
    assert names == sorted(["off1", "off2", "off3", "dl1", "dl2", "cl", "admin", "coord"])
