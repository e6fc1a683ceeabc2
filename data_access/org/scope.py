"""Who the acting user is and what they may touch: the role check and the one data-scope rule
(the materialised-path prefix of the user's scope unit), used by every service.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from data_access.core.errors import NotFound, PermissionDenied, ValidationError
from data_access.org.models import OrgUnit, User

_LEVEL_COL = {"city": "city_id", "district": "district_id", "station": "station_id", "community": "community_id"}


@dataclass(frozen=True)
class Actor:
    """The acting user as every service sees it: role plus the scope unit bounding their data."""
    id: int
    username: str
    role: str
    active: bool
    scope_id: int
    scope_level: str
    scope_path: str


def actor_of(*, session: Session, user) -> Actor:
    """Normalise ``user`` (an Actor, a User row, a ``users.UserInfo``, a user id or a username)."""
    if isinstance(user, Actor):
        return user
    scope = getattr(user, "scope", None)
    if scope is not None and hasattr(scope, "path"):  # users.UserInfo
        return Actor(user.id, user.username, user.role, bool(user.active), scope.id, scope.level, scope.path)
    if isinstance(user, int):
        row = session.get(User, user)
    elif isinstance(user, str):
        row = session.exec(select(User).where(User.username == user.strip().lower())).first()
    else:
        row = user
    if row is None:
        raise NotFound(f"user {user!r}")
    unit = session.get(OrgUnit, row.scope_id)
    if unit is None:
        raise NotFound(f"org unit {row.scope_id}")
    return Actor(row.id, row.username, row.role, bool(row.active), unit.id, unit.level, unit.path)


def unit_in_scope(actor: Actor, unit: OrgUnit) -> bool:
    """True when ``unit`` is the actor's scope unit or lies below it."""
    return unit.path.startswith(actor.scope_path)


def scoped_unit(session: Session, actor: Actor, unit_id: int | None, action: str) -> OrgUnit:
    """The org unit ``unit_id`` if it exists (else ValidationError on org_unit_id) and lies inside
    ``actor``'s scope (else PermissionDenied for ``action``)."""
    unit = session.get(OrgUnit, unit_id) if unit_id else None
    if unit is None:
        raise ValidationError("org_unit_id", "invalid")
    if not unit_in_scope(actor, unit):
        raise PermissionDenied(action, "scope")
    return unit


def scope_clause(actor: Actor):
    """SQL condition on ``OrgUnit`` columns: the unit lies in the actor's scope (indexed equality)."""
    if actor.scope_level == "grid":
        return OrgUnit.id == actor.scope_id
    return getattr(OrgUnit, _LEVEL_COL[actor.scope_level]) == actor.scope_id


def require_active(actor: Actor, action: str) -> None:
    if not actor.active:
        raise PermissionDenied(action, "inactive")


def require_role(actor: Actor, action: str, roles) -> None:
    require_active(actor, action)
    if actor.role not in roles:
        raise PermissionDenied(action, "role", {"role": actor.role})
