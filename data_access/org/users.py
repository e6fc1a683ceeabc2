"""User and scope queries for the login and the shared page guard.

Login attempts and the lockout rule live in ``data_access.org.accounts``.
``credentials`` feeds streamlit-authenticator (pre-hashed bcrypt, active users only);
``get_user`` returns a user with their scope org unit; ``units_under`` lists the units a
user may pick; ``in_scope`` is the one data-scope rule (materialised path prefix).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlmodel import Session, select

from data_access.org.models import LEVELS, OrgUnit, User


# An org unit as the UI and the guard see it (no geometry).
@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    level: str
    path: str
    name_zh: str
    name_en: str | None
    parent_id: int | None = None
    pilot: bool = False

    @property
    def depth(self) -> int:
        return LEVELS.index(self.level)

    def name(self, lang: str) -> str:
        """Name in ``lang`` ("zh" or "en"); English falls back to the code, never to Chinese."""
        if lang == "en":
            return self.name_en or self.code
        return self.name_zh


# A user as the guard returns it: role plus the scope unit that bounds every query.
@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    scope: UnitRef
    sessions_end_utc: datetime | None = None  # sessions begun at or before this have ended


def _unit_ref(u: OrgUnit) -> UnitRef:
    return UnitRef(id=u.id, code=u.code, level=u.level, path=u.path, name_zh=u.name_zh, name_en=u.name_en,
                   parent_id=u.parent_id, pilot=bool(u.pilot))


def in_scope(scope: UnitRef, unit: UnitRef) -> bool:
    """True when ``unit`` is ``scope`` or lies below it (path prefix)."""
    return unit.path.startswith(scope.path)


def credential(*, session: Session, username: str) -> dict | None:
    """streamlit-authenticator's entry for ``username`` (case-insensitive) — name, password hash,
    roles — if that user is active and has a password, else None. One user per sign-in or run: the
    library is never handed the whole user table (thousands of officers at a city's scale)."""
    if not username:
        return None
    row = session.exec(
        select(User.display_name, User.role, User.password_hash)
        .where(User.username.in_({username, username.lower()}), User.active.is_(True),
               User.password_hash.is_not(None))
        .order_by(User.username != username.lower())  # the exact lower-case name first
    ).first()
    if row is None:
        return None
    name, role, pw_hash = row
    return {"name": name, "password": pw_hash, "roles": [role]}


def get_user(*, session: Session, username: str) -> UserInfo | None:
    """The user ``username`` (case-insensitive) with their scope unit, or None."""
    if not username:
        return None
    row = session.exec(
        select(User, OrgUnit).join(OrgUnit, OrgUnit.id == User.scope_id)
        .where(User.username == username.lower())
    ).first()
    if row is None:
        row = session.exec(
            select(User, OrgUnit).join(OrgUnit, OrgUnit.id == User.scope_id).where(User.username == username)
        ).first()
    if row is None:
        return None
    user, unit = row
    return UserInfo(id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                    active=bool(user.active), scope=_unit_ref(unit), sessions_end_utc=user.signed_out_utc)


def unit_by_code(*, session: Session, code: str) -> UnitRef | None:
    u = session.exec(select(OrgUnit).where(OrgUnit.code == code)).first()
    return None if u is None else _unit_ref(u)


def picker_units(units: list[UnitRef], current: UnitRef, limit: int = 200) -> list[UnitRef]:
    """The choices of a unit picker over ``units`` (a scope's subtree in tree order, the scope
    first): all of them when there are at most ``limit``; else the tree opened along the path to
    ``current`` — the scope and the children of every unit from the scope down to ``current`` (a
    city leader on a district sees the city, its districts and that district's stations: about 25
    choices instead of 2,500 in a list sent with every rerun)."""
    if len(units) <= limit or not units:
        return list(units)
    root, by_id = units[0], {u.id: u for u in units}
    opened: set[int] = set()
    cur = by_id.get(current.id) or by_id.get(current.parent_id)  # a unit below the list: from its parent
    while cur is not None:
        opened.add(cur.id)
        cur = by_id.get(cur.parent_id) if cur.id != root.id else None
    return [u for u in units if u.id == root.id or u.parent_id in opened]


def units_under(*, session: Session, root: UnitRef, max_level: str = "community") -> list[UnitRef]:
    """``root`` and every unit below it down to ``max_level``, in tree order (path, then code)."""
    levels = LEVELS[LEVELS.index(root.level): LEVELS.index(max_level) + 1] or (root.level,)
    rows = session.exec(
        select(OrgUnit).where(OrgUnit.path.startswith(root.path), OrgUnit.level.in_(levels))
    ).all()
    refs = [_unit_ref(u) for u in rows]
    if not any(r.id == root.id for r in refs):
        refs.append(root)
    # tree order: parents before children, siblings by code
    by_id = {r.id: r for r in refs}

    def sort_key(r: UnitRef) -> tuple:
        chain = []
        cur: UnitRef | None = r
        while cur is not None:
            chain.append(cur.code)
            cur = by_id.get(cur.parent_id) if cur.id != root.id else None
        return tuple(reversed(chain))

    return sorted(refs, key=sort_key)


def display_names(*, session: Session, ids) -> dict[int, str]:
    """Display names of the given user ids (history rows, assignees)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def handlers_of(*, session: Session, unit_path: str, roles=("officer", "station_leader", "district_leader")) -> list[tuple[int, str, str]]:
    """Active users of ``roles`` whose scope contains the unit at ``unit_path``: (id, display name,
    username), by name — the people a need or an event there can be assigned to."""
    rows = session.exec(select(User.id, User.display_name, User.username, OrgUnit.path)
                        .join(OrgUnit, OrgUnit.id == User.scope_id)
                        .where(User.active, User.role.in_(tuple(roles)))
                        .order_by(User.display_name)).all()
    return [(uid, name, uname) for uid, name, uname, path in rows if unit_path.startswith(path)]


def children(*, session: Session, parent: UnitRef) -> list[UnitRef]:
    rows = session.exec(select(OrgUnit).where(OrgUnit.parent_id == parent.id).order_by(OrgUnit.code)).all()
    return [_unit_ref(u) for u in rows]


def record_sign_out(*, session: Session, username: str, at_utc: datetime) -> None:
    """Remember the sign-out: login cookies issued before it no longer sign anyone in."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is not None:
        end_sessions(user, at_utc)
        session.add(user)


def end_sessions(user: User, at_utc: datetime | None = None) -> None:
    """End every session of ``user`` begun until now (a password reset or change, a deactivation, a
    new role or scope): open tabs meet the sign-in form at their next click and login cookies issued
    before now are refused. ``signed_out_utc`` (naive UTC) holds that moment."""
    user.signed_out_utc = at_utc or utc_now()


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def session_ended(signed_in_utc: datetime, sessions_end_utc: datetime | None) -> bool:
    """Whether a session that began at ``signed_in_utc`` has been ended since."""
    return sessions_end_utc is not None and signed_in_utc <= sessions_end_utc


def signed_out_utc(*, session: Session, username: str) -> datetime | None:
    return session.exec(select(User.signed_out_utc).where(User.username == username)).first()


def cookie_issued_utc(exp_date: float, expiry_days: float) -> datetime:
    """When a login cookie expiring at ``exp_date`` (epoch seconds) and living ``expiry_days`` was issued."""
    return datetime.fromtimestamp(exp_date - expiry_days * 86400, timezone.utc).replace(tzinfo=None)

