"""Residents' personal data: masked by default, revealed one field at a time with a reason,
searched by ID number through the keyed hash; every reveal and ID search is audited (the
audit row names the resident and the field, never the value or the number searched).

Also the household finder of the visit form (code / address / name prefix within the user's
scope; results show masked names only) and the special-groups register (risk level with its
reason and history; every raise or lowering is audited).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_
from sqlmodel import Session, select

from data_access.core import audit, crypto
from data_access.core.errors import NotFound, PermissionDenied, ValidationError
from data_access.core.text import checked_text
from data_access.fieldwork import records
from data_access.fieldwork.models import RISK_LEVELS, Household, Resident, RiskChange, Visit
from data_access.fieldwork.records import household_in_scope
from data_access.org.models import OrgUnit
from data_access.org.scope import Actor, actor_of, require_active, require_role, scope_clause, unit_in_scope

FIELDS = ("name", "id_number", "phone")
# who may reveal a full value (within their scope): the grid's responsible officer, admins and
# district leaders (issue 5)
REVEAL_ROLES = ("officer", "admin", "district_leader", "station_leader")
EDIT_ROLES = ("officer", "admin")
REASON_MIN = 2
REASON_MAX = 200
ID_RE = re.compile(r"^(\d{17}[\dX]|\d{15})$")
PHONE_RE = re.compile(r"^\+?[\d-]{5,20}$")


@dataclass(frozen=True)
class ResidentView:
    id: int
    household_id: int
    name: str  # masked: 张**
    id_number: str | None  # masked: 110***********1234
    phone: str | None  # masked: 138****5678


def _view(r: Resident) -> ResidentView:
    return ResidentView(r.id, r.household_id, crypto.mask_name(r.name), r.id_number_masked, r.phone_masked)


def _norm_id(value: str | None) -> str | None:
    return value.strip().upper() if value else None




def add_resident(*, session: Session, user, household_id: int, name: str, now: datetime,
                 id_number: str | None = None, phone: str | None = None) -> Resident:
    """Record a resident (minimal fields: name, ID number, phone); ID and phone are encrypted."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "resident.add", EDIT_ROLES)
    household_in_scope(session=session, actor=actor, household_id=household_id, action="resident.add")
    nm = checked_text("name", name, 60, required=True)
    idn = _norm_id(checked_text("id_number", id_number, 18))
    if idn is not None and not ID_RE.match(idn):
        raise ValidationError("id_number", "format")
    ph = checked_text("phone", phone, 20)
    if ph is not None and not PHONE_RE.match(ph):
        raise ValidationError("phone", "format")
    r = Resident(household_id=household_id, name=nm, id_number_enc=crypto.encrypt(idn),
                 id_number_hash=crypto.lookup_hash(idn), id_number_masked=crypto.mask_id_number(idn),
                 phone_enc=crypto.encrypt(ph), phone_masked=crypto.mask_phone(ph))
    session.add(r)
    session.flush()
    audit.write(session, actor.username, "resident.add", "resident", r.id, {"household_id": household_id}, at=now)
    return r


def list_residents(*, session: Session, user, household_id: int) -> list[ResidentView]:
    """Masked residents of a household in the user's scope (any active role may see masked data)."""
    actor = actor_of(session=session, user=user)
    require_active(actor, "resident.list")
    household_in_scope(session=session, actor=actor, household_id=household_id, action="resident.list")
    rows = session.exec(select(Resident).where(Resident.household_id == household_id).order_by(Resident.id)).all()
    return [_view(r) for r in rows]


def can_reveal(*, session: Session, user, resident_id: int) -> bool:
    try:
        _reveal_target(session, actor_of(session=session, user=user), resident_id)
        return True
    except (PermissionDenied, NotFound):
        return False


def _reveal_target(session: Session, actor: Actor, resident_id: int) -> Resident:
    require_role(actor, "resident.reveal", REVEAL_ROLES)
    r = session.get(Resident, resident_id)
    if r is None:
        raise NotFound(f"resident {resident_id}")
    household_in_scope(session=session, actor=actor, household_id=r.household_id, action="resident.reveal")
    return r


def reveal(*, session: Session, user, resident_id: int, field: str, reason: str, now: datetime) -> str | None:
    """The full value of one field, for a stated reason; audited as "resident.reveal" with the
    resident id, the field and the reason (never the value)."""
    actor = actor_of(session=session, user=user)
    if field not in FIELDS:
        raise ValidationError("field", "choice", {"options": list(FIELDS)})
    r = _reveal_target(session, actor, resident_id)
    why = checked_text("reason", reason, REASON_MAX, required=True)
    if len(why) < REASON_MIN:
        raise ValidationError("reason", "too_short", {"min": REASON_MIN})
    if field == "name":
        value = r.name
    elif field == "id_number":
        value = crypto.decrypt(r.id_number_enc)
    else:
        value = crypto.decrypt(r.phone_enc)
    audit.write(session, actor.username, "resident.reveal", "resident", r.id,
                {"field": field, "reason": why, "household_id": r.household_id}, at=now)
    return value


def search_by_id_number(*, session: Session, user, id_number: str, now: datetime,
                        reason: str | None = None) -> list[ResidentView]:
    """Residents in the user's scope with exactly this ID number (keyed-hash lookup). Audited as
    "resident.search_id" with the number of hits (never the number searched)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "resident.search_id", REVEAL_ROLES)
    idn = _norm_id(checked_text("id_number", id_number, 18, required=True))
    if not ID_RE.match(idn):
        raise ValidationError("id_number", "format")
    why = checked_text("reason", reason, REASON_MAX)
    rows = session.exec(
        select(Resident).join(Household, Household.id == Resident.household_id)
        .join(OrgUnit, OrgUnit.id == Household.grid_id)
        .where(Resident.id_number_hash == crypto.lookup_hash(idn), scope_clause(actor))
        .order_by(Resident.id)).all()
    audit.write(session, actor.username, "resident.search_id", "resident", None,
                {"hits": len(rows), "resident_ids": [r.id for r in rows][:20], "reason": why}, at=now)
    return [_view(r) for r in rows]


@dataclass(frozen=True)
class HouseholdHit:
    id: int
    code: str
    address: str
    grid_id: int
    grid_code: str
    category: str
    risk_level: str
    version: int
    residents: tuple[str, ...]  # masked names


def _like_escape(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_households(*, session: Session, user, query: str, limit: int = 20,
                      unit_id: int | None = None) -> list[HouseholdHit]:
    """Households in the user's scope whose code starts with ``query``, whose address contains it,
    or with a resident whose name starts with it; exact code matches first. Names come back masked.
    A query like "张**" matches names by first character and length."""
    actor = actor_of(session=session, user=user)
    require_active(actor, "household.search")
    q = checked_text("query", query, 100, required=True)
    limit = max(1, min(int(limit), 100))
    esc = _like_escape(q)
    if "*" in q and q.strip("*"):
        head = q.split("*")[0]
        name_cond = Resident.name.like(_like_escape(head) + "%", escape="\\") & (func.length(Resident.name) == len(q))
    else:
        name_cond = Resident.name.like(esc + "%", escape="\\")
    # residents of households in scope only (never a scan of the whole city's residents)
    in_scope = select(OrgUnit.id).where(scope_clause(actor)).correlate(None)
    by_name = (select(Resident.household_id).join(Household, Household.id == Resident.household_id)
               .where(Household.grid_id.in_(in_scope), name_cond).correlate(None))
    base = (select(Household, OrgUnit.code).join(OrgUnit, OrgUnit.id == Household.grid_id)
            .where(scope_clause(actor)))
    if unit_id is not None:
        unit = session.get(OrgUnit, unit_id)
        if unit is None or not unit_in_scope(actor, unit):
            raise PermissionDenied("household.search", "scope")
        base = base.where(OrgUnit.path.startswith(unit.path))
    rows = session.exec(base.where(or_(
        Household.code == q, Household.code.like(esc + "%", escape="\\"),
        Household.address.like("%" + esc + "%", escape="\\"), Household.id.in_(by_name)))
        .order_by((Household.code != q), Household.code).limit(limit)).all()
    if not rows:
        return []
    ids = [h.id for h, _ in rows]
    names: dict[int, list[str]] = {}
    for hid, nm in session.exec(select(Resident.household_id, Resident.name)
                                .where(Resident.household_id.in_(ids)).order_by(Resident.id)).all():
        names.setdefault(hid, []).append(crypto.mask_name(nm))
    return [HouseholdHit(h.id, h.code, h.address, h.grid_id, g, h.category, h.risk_level, h.version,
                         tuple(names.get(h.id, ()))) for h, g in rows]


# --- special groups: risk levels ------------------------------------------------------------

RISK_ROLES = ("officer", "district_leader", "station_leader", "admin")
RISK_REASON_MAX = 500


def set_risk_level(*, session: Session, user, household_id: int, level: str, reason: str, expected_version: int,
                   now: datetime) -> Household:
    """Raise or lower a household's risk level (red / yellow / blue / none) with a reason.

    Optimistic locking on the household version; a RiskChange row keeps the history (with the
    reason); the audit row holds the levels only (the reason may describe a person's situation)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "household.risk", RISK_ROLES)
    h, _ = household_in_scope(session=session, actor=actor, household_id=household_id, action="household.risk")
    if level not in RISK_LEVELS:
        raise ValidationError("risk_level", "choice", {"options": list(RISK_LEVELS)})
    why = checked_text("reason", reason, RISK_REASON_MAX, required=True)
    if len(why) < REASON_MIN:
        raise ValidationError("reason", "too_short", {"min": REASON_MIN})
    if level == h.risk_level:
        raise ValidationError("risk_level", "unchanged")
    old = h.risk_level
    h = records.update_household(session=session, household_id=h.id, expected_version=expected_version,
                                 username=actor.username, risk_level=level)
    session.add(RiskChange(household_id=h.id, changed_at=now, old_level=old, new_level=level, reason=why,
                           user_id=actor.id))
    session.flush()
    direction = "raise" if RISK_LEVELS.index(level) > RISK_LEVELS.index(old) else "lower"
    audit.write(session, actor.username, "household.risk_change", "household", h.code,
                {"from": old, "to": level, "direction": direction}, at=now)
    return h


def risk_history(*, session: Session, user, household_id: int) -> list[RiskChange]:
    """Risk level changes of a household, oldest first."""
    actor = actor_of(session=session, user=user)
    require_active(actor, "household.risk_history")
    household_in_scope(session=session, actor=actor, household_id=household_id, action="household.risk_history")
    return list(session.exec(select(RiskChange).where(RiskChange.household_id == household_id)
                             .order_by(RiskChange.changed_at, RiskChange.id)).all())


@dataclass(frozen=True)
class SpecialRow:
    household_id: int
    code: str
    address: str
    grid_id: int
    risk_level: str
    version: int
    reason: str | None  # of the latest change
    changed_at: datetime | None
    last_visit_at: datetime | None


def special_groups(*, session: Session, user, now: datetime, levels: tuple[str, ...] = ("red", "yellow", "blue"),
                   limit: int = 500) -> list[SpecialRow]:
    """Households with a risk level in the user's scope, with the latest reason and last visit
    (two GROUP BY subqueries, no per-household queries). Red first, then by code."""
    actor = actor_of(session=session, user=user)
    require_active(actor, "household.special")
    last_visit = (select(Visit.household_id, func.max(Visit.visited_at).label("last"))
                  .where(Visit.visited_at <= now).group_by(Visit.household_id).subquery())
    last_change = (select(RiskChange.household_id, func.max(RiskChange.id).label("rid"))
                   .group_by(RiskChange.household_id).subquery())
    q = (select(Household, RiskChange.reason, RiskChange.changed_at, last_visit.c.last)
         .join(OrgUnit, OrgUnit.id == Household.grid_id)
         .outerjoin(last_visit, last_visit.c.household_id == Household.id)
         .outerjoin(last_change, last_change.c.household_id == Household.id)
         .outerjoin(RiskChange, RiskChange.id == last_change.c.rid)
         .where(scope_clause(actor), Household.risk_level.in_(levels))
         .order_by(case({"red": 0, "yellow": 1, "blue": 2}, value=Household.risk_level, else_=3), Household.code)
         .limit(limit))
    return [SpecialRow(h.id, h.code, h.address, h.grid_id, h.risk_level, h.version, reason, changed, last)
            for h, reason, changed, last in session.exec(q).all()]
