"""Accounts: the login lockout, password changes and the admin's user management (who the acting
user is and what their scope covers: ``data_access.org.scope``).

All functions take a keyword-only ``session`` and never commit. Every change is audited;
passwords never reach the audit log. Errors carry codes (see ``data_access.core.errors``).

Lockout (issue 5): 5 failed logins within 15 minutes lock the account for 15 minutes.
Failures are counted from the latest of: 15 minutes ago, the last successful login, the
last admin unlock, the end of the last lock — so an expired lock starts a fresh count.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from data_access.analytics import rollups
from data_access.core import audit
from data_access.core.errors import NotFound, PermissionDenied, ValidationError
from data_access.org import passwords, users
from data_access.org.models import LEVELS, ROLES, LoginAttempt, OrgUnit, User
from data_access.org.scope import Actor, actor_of, require_active, require_role, scope_clause, unit_in_scope

LOCK_THRESHOLD = 5  # defaults; app_setting ``lockout`` (admin-editable, issue 13) overrides them
LOCK_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
PASSWORD_MIN = 8
PASSWORD_MAX_BYTES = 72  # bcrypt uses at most 72 bytes
BCRYPT_ROUNDS = passwords.ROUNDS  # tests lower this
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,59}$")

# Which scope level a role may be given (admins and city leaders see the whole city).
ROLE_SCOPE_LEVELS: dict[str, tuple[str, ...]] = {
    "admin": ("city",),
    "city_leader": ("city",),
    "district_leader": ("district",),
    "station_leader": ("station",),  # 派出所领导: the station's list of late events (seed 002 §3.1)
    "coordinator": LEVELS,
    "officer": ("station", "community", "grid"),
}

class AuthFailed(PermissionError):
    """Login refused. ``code``: "bad_credentials" (unknown name or wrong password — not told
    apart) or "inactive" (right password, deactivated account)."""

    def __init__(self, code: str = "bad_credentials"):
        super().__init__(code)
        self.code = code
        self.params: dict = {}


@dataclass(frozen=True)
class LockPolicy:
    threshold: int  # failures within ``window`` that lock the account
    window: timedelta
    duration: timedelta  # how long the lock lasts


def lockout_policy(*, session: Session) -> LockPolicy:
    """The lockout rule in force: app_setting ``lockout`` ({threshold, window_minutes, lock_minutes})
    over the defaults (5 failures in 15 minutes lock for 15 minutes)."""
    import json

    from data_access.core.models import Setting

    row = session.get(Setting, "lockout")
    try:
        v = json.loads(row.value) if row is not None else {}
        threshold = int(v.get("threshold", LOCK_THRESHOLD))
        window = timedelta(minutes=float(v.get("window_minutes", LOCK_WINDOW.total_seconds() / 60)))
        duration = timedelta(minutes=float(v.get("lock_minutes", LOCK_DURATION.total_seconds() / 60)))
        if threshold >= 1 and window.total_seconds() > 0 and duration.total_seconds() > 0:
            return LockPolicy(threshold, window, duration)
    except (TypeError, ValueError, AttributeError):
        pass
    return LockPolicy(LOCK_THRESHOLD, LOCK_WINDOW, LOCK_DURATION)


class AccountLocked(PermissionError):
    """Too many failed logins: locked until ``until`` (code "locked", params until/minutes)."""

    def __init__(self, until: datetime, now: datetime, policy: LockPolicy | None = None):
        policy = policy or LockPolicy(LOCK_THRESHOLD, LOCK_WINDOW, LOCK_DURATION)
        minutes = max(1, -(-int((until - now).total_seconds()) // 60))
        super().__init__(f"locked until {until.isoformat(timespec='minutes')}")
        self.until = until
        self.code = "locked"
        self.params = {"until": until.isoformat(timespec="minutes"), "minutes": minutes,
                       "threshold": policy.threshold, "window_minutes": int(policy.window.total_seconds() // 60)}


# --- login and lockout -----------------------------------------------------------------------

@dataclass(frozen=True)
class LockState:
    locked: bool
    until: datetime | None
    failures: int  # failures counted in the current window
    remaining: int  # attempts left before a lock


def _find_user(session: Session, username: str) -> User | None:
    name = (username or "").strip().lower()[:60]
    return session.exec(select(User).where(User.username == name)).first() if name else None


def _window_failures(session: Session, user: User, now: datetime) -> int:
    start = now - lockout_policy(session=session).window
    last_reset = session.exec(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.user_id == user.id, LoginAttempt.kind.in_(("ok", "unlock")), LoginAttempt.at <= now)).first()
    if last_reset is not None and last_reset > start:
        start = last_reset
    if user.locked_until is not None and user.locked_until <= now and user.locked_until > start:
        start = user.locked_until
    return session.exec(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.user_id == user.id, LoginAttempt.kind == "fail",
        LoginAttempt.at > start, LoginAttempt.at <= now)).one()


def lock_state(*, session: Session, username: str, now: datetime) -> LockState:
    """Whether ``username`` may try to log in at ``now`` (unknown names are never locked)."""
    user = _find_user(session, username)
    threshold = lockout_policy(session=session).threshold
    if user is None:
        return LockState(False, None, 0, threshold)
    if user.locked_until is not None and user.locked_until > now:
        return LockState(True, user.locked_until, threshold, 0)
    n = _window_failures(session, user, now)
    return LockState(False, None, n, max(0, threshold - n))


def check_login_allowed(*, session: Session, username: str, now: datetime) -> None:
    """Raise AccountLocked while the account is locked (call before checking the password)."""
    st = lock_state(session=session, username=username, now=now)
    if st.locked:
        raise AccountLocked(st.until, now, lockout_policy(session=session))


def record_login_attempt(*, session: Session, username: str, ok: bool, now: datetime) -> LockState:
    """Record a login result (for a login whose password was checked elsewhere, e.g. by
    streamlit-authenticator); the 5th failure within 15 minutes locks the account."""
    user = _find_user(session, username)
    policy = lockout_policy(session=session)
    if user is None:
        # an unknown name is not stored: people sometimes type their password into the name field
        audit.write(session, "?", "login_failed", "app_user", None, at=now)
        return LockState(False, None, 0, policy.threshold)
    if user.locked_until is not None and user.locked_until > now:
        audit.write(session, user.username, "login_locked", "app_user", user.id, at=now)
        return LockState(True, user.locked_until, policy.threshold, 0)
    session.add(LoginAttempt(user_id=user.id, at=now, kind="ok" if ok else "fail"))
    session.flush()
    if ok:
        user.failed_logins = 0
        session.add(user)
        audit.write(session, user.username, "login", "app_user", user.id, at=now)
        return LockState(False, None, 0, policy.threshold)
    n = _window_failures(session, user, now)
    user.failed_logins = n
    audit.write(session, user.username, "login_failed", "app_user", user.id, {"failures": n}, at=now)
    if n >= policy.threshold:
        user.locked_until = now + policy.duration
        session.add(user)
        audit.write(session, user.username, "account.lock", "app_user", user.id,
                    {"failures": n, "until": user.locked_until.isoformat(timespec="seconds")}, at=now)
        return LockState(True, user.locked_until, n, 0)
    session.add(user)
    return LockState(False, None, n, policy.threshold - n)


def authenticate(*, session: Session, username: str, password: str, now: datetime) -> User:
    """Check a password with the lockout rule; returns the user or raises AccountLocked /
    AuthFailed. The attempt is recorded either way (the caller commits even on failure)."""
    check_login_allowed(session=session, username=username, now=now)
    user = _find_user(session, username)
    ok = user is not None and passwords.verify_password(password, user.password_hash)
    if ok and not user.active:
        audit.write(session, user.username, "login_inactive", "app_user", user.id, at=now)
        raise AuthFailed("inactive")
    st = record_login_attempt(session=session, username=username, ok=ok, now=now)
    if not ok:
        if st.locked:
            raise AccountLocked(st.until, now, lockout_policy(session=session))
        raise AuthFailed("bad_credentials")
    return user


# --- passwords -------------------------------------------------------------------------------

def password_problems(password: str | None) -> list[str]:
    """Policy codes a new password breaks: too_short (< 8), too_long (> 72 bytes), needs_letter,
    needs_digit. Empty list = acceptable."""
    pw = password or ""
    out = []
    if len(pw) < PASSWORD_MIN:
        out.append("too_short")
    if len(pw.encode("utf-8")) > PASSWORD_MAX_BYTES:
        out.append("too_long")
    if not any(c.isalpha() for c in pw):
        out.append("needs_letter")
    if not any(c.isdigit() for c in pw):
        out.append("needs_digit")
    return out


def _check_policy(field: str, password: str | None) -> None:
    problems = password_problems(password)
    if problems:
        raise ValidationError(field, problems[0], {"min": PASSWORD_MIN, "max_bytes": PASSWORD_MAX_BYTES,
                                                   "all": problems})


def _hash(password: str) -> str:
    return passwords.hash_password(password, rounds=BCRYPT_ROUNDS)


def change_password(*, session: Session, user, old_password: str, new_password: str, now: datetime) -> User:
    """The user changes their own password: the old one must match; the new one must follow
    the policy and differ from the old one."""
    actor = actor_of(session=session, user=user)
    row = session.get(User, actor.id)
    require_active(actor, "password.change")
    if not passwords.verify_password(old_password, row.password_hash):
        raise ValidationError("old_password", "wrong")
    _check_policy("new_password", new_password)
    if new_password == old_password:
        raise ValidationError("new_password", "same_as_old")
    row.password_hash = _hash(new_password)
    users.end_sessions(row)  # the caller keeps the session it changed the password in
    session.add(row)
    audit.write(session, row.username, "user.password_change", "app_user", row.id, at=now)
    return row


# --- admin: users ----------------------------------------------------------------------------

def _require_admin(session: Session, actor, action: str) -> Actor:
    a = actor_of(session=session, user=actor)
    require_role(a, action, ("admin",))
    return a


def _check_role_scope(session: Session, admin: Actor, role: str, scope_id: int) -> OrgUnit:
    if role not in ROLES:
        raise ValidationError("role", "unknown", {"value": role})
    unit = session.get(OrgUnit, scope_id)
    if unit is None:
        raise ValidationError("scope_id", "unknown")
    if unit.level not in ROLE_SCOPE_LEVELS[role]:
        raise ValidationError("scope_id", "level_for_role", {"role": role, "levels": list(ROLE_SCOPE_LEVELS[role])})
    if not unit_in_scope(admin, unit):
        raise PermissionDenied("user.scope", "scope")
    return unit


def _target(session: Session, user_id: int) -> User:
    u = session.get(User, user_id)
    if u is None:
        raise NotFound(f"user {user_id}")
    return u


def clean_username(value) -> tuple[str | None, ValidationError | None]:
    """The one username rule (admin form and import): trimmed, lower case — sign-in lower-cases what
    is typed — and ``USERNAME_RE``."""
    name = (value or "").strip().lower() if isinstance(value, str) else ""
    if not USERNAME_RE.match(name):
        return None, ValidationError("username", "format", {"pattern": USERNAME_RE.pattern})
    return name, None


def create_user(*, session: Session, actor, username: str, display_name: str, role: str, scope_id: int,
                now: datetime, password: str | None = None) -> User:
    """Admin creates a user (password optional: without one the user cannot log in until an
    admin sets it)."""
    admin = _require_admin(session, actor, "user.create")
    name, problem = clean_username(username)
    if problem is not None:
        raise problem
    if session.exec(select(User.id).where(User.username == name)).first() is not None:
        raise ValidationError("username", "taken")
    display = (display_name or "").strip()
    if not display or len(display) > 80:
        raise ValidationError("display_name", "required" if not display else "too_long", {"max": 80})
    _check_role_scope(session, admin, role, scope_id)
    if password is not None:
        _check_policy("password", password)
    u = User(username=name, display_name=display, role=role, scope_id=scope_id,
             password_hash=_hash(password) if password else None, active=True, created_at=now)
    session.add(u)
    session.flush()
    audit.write(session, admin.username, "user.create", "app_user", u.id,
                {"username": name, "role": role, "scope_id": scope_id, "password_set": password is not None},
                at=now)
    return u


def _active_admins(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User).where(User.role == "admin",
                                                                     User.active.is_(True))).one()


def set_role(*, session: Session, actor, user_id: int, role: str, scope_id: int, now: datetime) -> User:
    """Admin changes a user's role and scope (the last active admin cannot be demoted)."""
    admin = _require_admin(session, actor, "user.set_role")
    u = _target(session, user_id)
    _check_role_scope(session, admin, role, scope_id)
    if u.role == "admin" and role != "admin" and u.active and _active_admins(session) <= 1:
        raise ValidationError("role", "last_admin")
    old = (u.role, u.scope_id)
    u.role, u.scope_id = role, scope_id
    if old != (role, scope_id):
        users.end_sessions(u)  # a session never carries on with other rights than it signed in with
    session.add(u)
    if old[1] != scope_id:  # the user's officer-weeks now count under the new scope
        rollups.lock_for_regrouping(session)
        rollups.refresh_unit_weeks(session, rollups.lineage(session, unit_id=old[1])
                                   ^ rollups.lineage(session, unit_id=scope_id))
    audit.write(session, admin.username, "user.set_role", "app_user", u.id,
                {"from": {"role": old[0], "scope_id": old[1]}, "to": {"role": role, "scope_id": scope_id}}, at=now)
    return u


def set_active(*, session: Session, actor, user_id: int, active: bool, now: datetime) -> User:
    """Admin deactivates (or reactivates) a user; nobody deactivates themselves or the last admin."""
    admin = _require_admin(session, actor, "user.set_active")
    u = _target(session, user_id)
    if not active:
        if u.id == admin.id:
            raise ValidationError("active", "self")
        if u.role == "admin" and u.active and _active_admins(session) <= 1:
            raise ValidationError("active", "last_admin")
    if not active:
        users.end_sessions(u)  # reactivating later does not revive them
    u.active = bool(active)
    session.add(u)
    audit.write(session, admin.username, "user.activate" if active else "user.deactivate", "app_user", u.id, at=now)
    return u


def reset_password(*, session: Session, actor, user_id: int, new_password: str, now: datetime) -> User:
    """Admin sets a new password (policy applies) and clears any lock."""
    admin = _require_admin(session, actor, "user.reset_password")
    u = _target(session, user_id)
    _check_policy("password", new_password)
    u.password_hash = _hash(new_password)
    users.end_sessions(u)
    u.locked_until = None
    u.failed_logins = 0
    session.add(u)
    session.add(LoginAttempt(user_id=u.id, at=now, kind="unlock"))
    audit.write(session, admin.username, "user.reset_password", "app_user", u.id, at=now)
    return u


def unlock(*, session: Session, actor, user_id: int, now: datetime) -> User:
    """Admin lifts a lock now; failures before this moment no longer count."""
    admin = _require_admin(session, actor, "user.unlock")
    u = _target(session, user_id)
    was = u.locked_until
    u.locked_until = None
    u.failed_logins = 0
    session.add(u)
    session.add(LoginAttempt(user_id=u.id, at=now, kind="unlock"))
    audit.write(session, admin.username, "account.unlock", "app_user", u.id,
                {"was_locked_until": was.isoformat(timespec="seconds") if was else None}, at=now)
    return u


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    scope_id: int
    scope_code: str
    active: bool
    locked_until: datetime | None
    has_password: bool


def list_users(*, session: Session, actor, now: datetime) -> list[UserRow]:
    """Users whose scope lies in the admin's scope, for the admin screen (no hashes)."""
    admin = _require_admin(session, actor, "user.list")
    rows = session.exec(select(User, OrgUnit).join(OrgUnit, OrgUnit.id == User.scope_id)
                        .where(scope_clause(admin) | (OrgUnit.id == admin.scope_id))
                        .order_by(User.username)).all()
    return [UserRow(u.id, u.username, u.display_name, u.role, u.scope_id, o.code, bool(u.active),
                    u.locked_until if (u.locked_until and u.locked_until > now) else None,
                    u.password_hash is not None) for u, o in rows]
