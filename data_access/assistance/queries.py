"""Reads of the assisted-person register: the list and one file (names only for those who may see
them: ``services.may_see``), counts and rates by unit for everyone (leaders see only these), the
overdue weekly visits and the open counselling alerts for 我的任务.

Every opening of a person's file is audited ("assisted.open": the person's code, never a name).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from data_access.core import audit, crypto
from data_access.core.errors import NotFound, PermissionDenied
from data_access.fieldwork.models import Household, Resident
from data_access.org.models import OrgUnit, User
from data_access.org.scope import Actor, actor_of, require_active, require_role, scope_clause, unit_in_scope

from .models import (
    AssistanceMeasure,
    AssistedPerson,
    AssistedRiskChange,
    CounsellingAlert,
    CounsellingSession,
    PersonVisit,
)
from .services import DETAIL_ROLES, WEEKLY_DAYS, person_for

DUE_SOON_DAYS = 2  # a high-risk person shows as "due" on 我的任务 two days before the week is up
CHILD_COL = {"city": "district_id", "district": "station_id", "station": "community_id", "community": "id"}


def weekly_due(p_last: datetime | None, registered_on: date) -> datetime:
    """When the next weekly visit of a high-risk person is due: 7 days after the last visit, or
    after the registration day when never visited."""
    return (p_last or datetime.combine(registered_on, time.min)) + timedelta(days=WEEKLY_DAYS)


@dataclass(frozen=True)
class PersonRow:
    id: int
    code: str
    name: str
    id_number: str | None  # masked
    group: str
    risk_level: str
    employment: str
    grid_code: str
    household_code: str
    helper: str | None
    last_visit_at: datetime | None
    visit_due_at: datetime | None  # high-risk only
    open_alerts: int
    version: int


def _visible(actor: Actor):
    """SQL condition: persons whose details ``actor`` may see (their helper, or the grid in scope)."""
    cond = scope_clause(actor)
    if actor.role == "officer":
        cond = or_(cond, AssistedPerson.helper_id == actor.id)
    return cond


def list_persons(*, session: Session, user, now: datetime, unit_id: int | None = None, risk: str | None = None,
                 group: str | None = None, mine: bool = False, limit: int = 500) -> list[PersonRow]:
    """Active persons whose details the user may see (names in full, ID numbers masked): high risk
    first, then by code. Leaders: PermissionDenied (they read ``unit_counts``)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "assisted.list", DETAIL_ROLES)
    alerts = (select(CounsellingAlert.person_id, func.count().label("n"))
              .where(CounsellingAlert.acknowledged_at.is_(None)).group_by(CounsellingAlert.person_id).subquery())
    q = (select(AssistedPerson, Resident.name, Resident.id_number_masked, OrgUnit.code, Household.code,
                User.display_name, alerts.c.n)
         .join(OrgUnit, OrgUnit.id == AssistedPerson.grid_id)
         .join(Household, Household.id == AssistedPerson.household_id)
         .outerjoin(Resident, Resident.id == AssistedPerson.resident_id)
         .outerjoin(User, User.id == AssistedPerson.helper_id)
         .outerjoin(alerts, alerts.c.person_id == AssistedPerson.id)
         .where(AssistedPerson.active, _visible(actor)))
    if unit_id is not None:
        unit = session.get(OrgUnit, unit_id)
        if unit is None or not unit_in_scope(actor, unit):
            raise PermissionDenied("assisted.list", "scope")
        q = q.where(OrgUnit.path.startswith(unit.path))
    if risk:
        q = q.where(AssistedPerson.risk_level == risk)
    if group:
        q = q.where(AssistedPerson.group == group)
    if mine:
        q = q.where(AssistedPerson.helper_id == actor.id)
    q = q.order_by(case({"high": 0, "medium": 1, "low": 2}, value=AssistedPerson.risk_level, else_=3),
                   AssistedPerson.code).limit(max(1, min(int(limit), 2000)))
    out = []
    for p, name, idm, grid, hh, helper, n in session.exec(q).all():
        due = weekly_due(p.last_visit_at, p.registered_on) if p.risk_level == "high" else None
        out.append(PersonRow(p.id, p.code, name or "—", idm, p.group, p.risk_level, p.employment, grid, hh, helper,
                             p.last_visit_at, due, int(n or 0), p.version))
    return out


@dataclass(frozen=True)
class PersonFile:
    person: AssistedPerson
    name: str
    id_number: str | None  # masked; the full number only through residents.reveal (audited)
    phone: str | None  # masked
    resident_id: int | None
    household_code: str
    address: str
    grid_code: str
    helper: str | None
    risk_history: list[AssistedRiskChange]
    measures: list[AssistanceMeasure]
    visits: list[PersonVisit]
    sessions: list[CounsellingSession]
    alerts: list[CounsellingAlert]
    visit_due_at: datetime | None


def open_file(*, session: Session, user, person_id: int, now: datetime, record: bool = True) -> PersonFile:
    """One person's file; audited as "assisted.open" (the code, never the name). ``record=False``
    only for re-reading a file this user opened already on the same screen (a rerun after a form)."""
    actor = actor_of(session=session, user=user)
    p, grid = person_for(session, actor, person_id, "assisted.open")
    r = session.get(Resident, p.resident_id) if p.resident_id else None
    h = session.get(Household, p.household_id)
    helper = session.get(User, p.helper_id) if p.helper_id else None

    def rows(model, order):
        return list(session.exec(select(model).where(model.person_id == p.id).order_by(*order)).all())

    f = PersonFile(
        person=p, name=r.name if r else "—", id_number=r.id_number_masked if r else None,
        phone=r.phone_masked if r else None, resident_id=r.id if r else None, household_code=h.code,
        address=h.address, grid_code=grid.code, helper=helper.display_name if helper else None,
        risk_history=rows(AssistedRiskChange, (AssistedRiskChange.changed_at, AssistedRiskChange.id)),
        measures=rows(AssistanceMeasure, (AssistanceMeasure.started_on, AssistanceMeasure.id)),
        visits=rows(PersonVisit, (PersonVisit.visited_at.desc(), PersonVisit.id.desc()))[:50],
        sessions=rows(CounsellingSession, (CounsellingSession.scheduled_at, CounsellingSession.id)),
        alerts=rows(CounsellingAlert, (CounsellingAlert.raised_at.desc(), CounsellingAlert.id.desc())),
        visit_due_at=weekly_due(p.last_visit_at, p.registered_on) if p.risk_level == "high" else None)
    if record:
        audit.write(session, actor.username, "assisted.open", "assisted_person", p.code, {"grid": grid.code}, at=now)
    return f


# --- counts by unit (every role; the only view of leaders) -------------------------------------

@dataclass(frozen=True)
class UnitCounts:
    unit_id: int
    code: str
    name_zh: str
    name_en: str | None
    persons: int
    high: int
    high_visited: int  # high-risk persons visited in the last 7 days
    open_alerts: int
    employed: int

    @property
    def weekly_rate(self) -> float | None:
        return 100.0 * self.high_visited / self.high if self.high else None


def unit_counts(*, session: Session, user, now: datetime, unit_id: int | None = None) -> list[UnitCounts]:
    """Counts of the active persons of a unit in the user's scope: the unit first, then each
    direct child — persons, high risk, high risk visited within 7 days (current levels), open
    alerts, employed. No names."""
    actor = actor_of(session=session, user=user)
    require_active(actor, "assisted.counts")
    unit = session.get(OrgUnit, unit_id if unit_id is not None else actor.scope_id)
    if unit is None or not unit_in_scope(actor, unit):
        raise PermissionDenied("assisted.counts", "scope")
    alerts = (select(CounsellingAlert.person_id, func.count().label("n"))
              .where(CounsellingAlert.acknowledged_at.is_(None)).group_by(CounsellingAlert.person_id).subquery())
    high = AssistedPerson.risk_level == "high"
    visited = and_(high, AssistedPerson.last_visit_at >= now - timedelta(days=WEEKLY_DAYS),
                   AssistedPerson.last_visit_at <= now)
    cols = (func.count(), func.sum(case((high, 1), else_=0)), func.sum(case((visited, 1), else_=0)),
            func.coalesce(func.sum(alerts.c.n), 0),
            func.sum(case((AssistedPerson.employment.in_(("employed", "self_employed")), 1), else_=0)))
    base = (select().select_from(AssistedPerson).join(OrgUnit, OrgUnit.id == AssistedPerson.grid_id)
            .outerjoin(alerts, alerts.c.person_id == AssistedPerson.id)
            .where(AssistedPerson.active, OrgUnit.path.startswith(unit.path)))

    def counts(row) -> tuple[int, ...]:
        return tuple(int(x or 0) for x in row)

    total = counts(session.execute(base.add_columns(*cols)).one())
    out = [UnitCounts(unit.id, unit.code, unit.name_zh, unit.name_en, *total)]
    if unit.level in CHILD_COL:
        key = getattr(OrgUnit, CHILD_COL[unit.level])
        per = {k: counts(rest) for k, *rest in session.execute(base.add_columns(key, *cols).group_by(key)).all()}
        for c in session.exec(select(OrgUnit).where(OrgUnit.parent_id == unit.id).order_by(OrgUnit.code)).all():
            out.append(UnitCounts(c.id, c.code, c.name_zh, c.name_en, *per.get(c.id, (0, 0, 0, 0, 0))))
    return out


# --- 我的任务 ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DueVisit:
    person_id: int
    person_code: str
    name: str
    household_id: int
    household_code: str
    address: str
    last_visit_at: datetime | None
    due_at: datetime
    overdue: bool


def due_visits(*, session: Session, user, now: datetime) -> list[DueVisit]:
    """High-risk persons whose weekly visit is past due or due within two days, for the officer
    who is their helper or whose grid they live in (coordinators / admins: their scope)."""
    actor = actor_of(session=session, user=user)
    if actor.role not in DETAIL_ROLES or not actor.active:
        return []
    soon = now - timedelta(days=WEEKLY_DAYS - DUE_SOON_DAYS)
    q = (select(AssistedPerson, Resident.name, Household.code, Household.address)
         .join(OrgUnit, OrgUnit.id == AssistedPerson.grid_id)
         .join(Household, Household.id == AssistedPerson.household_id)
         .outerjoin(Resident, Resident.id == AssistedPerson.resident_id)
         .where(AssistedPerson.active, AssistedPerson.risk_level == "high", _visible(actor),
                or_(and_(AssistedPerson.last_visit_at.is_(None),
                         AssistedPerson.registered_on <= soon.date()),
                    AssistedPerson.last_visit_at < soon)))
    out = []
    for p, name, hcode, addr in session.exec(q).all():
        due = weekly_due(p.last_visit_at, p.registered_on)
        if due - now > timedelta(days=DUE_SOON_DAYS):
            continue
        out.append(DueVisit(p.id, p.code, name or "—", p.household_id, hcode, addr, p.last_visit_at, due, due <= now))
    out.sort(key=lambda d: (not d.overdue, d.due_at, d.person_code))
    return out


@dataclass(frozen=True)
class OpenAlert:
    alert_id: int
    person_id: int
    person_code: str
    name: str
    household_id: int
    household_code: str
    address: str
    raised_at: datetime
    misses: int
    version: int


def open_alerts(*, session: Session, user, now: datetime) -> list[OpenAlert]:
    """Unacknowledged counselling alerts: an officer sees those of persons they help or whose grid
    they cover; coordinators and admins their scope's. Oldest first."""
    actor = actor_of(session=session, user=user)
    if actor.role not in DETAIL_ROLES or not actor.active:
        return []
    q = (select(CounsellingAlert, AssistedPerson.code, Resident.name, Household.id, Household.code, Household.address)
         .join(AssistedPerson, AssistedPerson.id == CounsellingAlert.person_id)
         .join(OrgUnit, OrgUnit.id == AssistedPerson.grid_id)
         .join(Household, Household.id == AssistedPerson.household_id)
         .outerjoin(Resident, Resident.id == AssistedPerson.resident_id)
         .where(CounsellingAlert.acknowledged_at.is_(None), CounsellingAlert.raised_at <= now,
                or_(_visible(actor), CounsellingAlert.helper_id == actor.id))
         .order_by(CounsellingAlert.raised_at, CounsellingAlert.id))
    return [OpenAlert(a.id, a.person_id, code, name or "—", hid, hcode, addr, a.raised_at, a.misses, a.version)
            for a, code, name, hid, hcode, addr in session.exec(q).all()]


def helpers_for(*, session: Session, user, person_grid_id: int) -> list[tuple[int, str]]:
    """Officers who may be a person's helper (active officers sharing the grid's community)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "assisted.helpers", DETAIL_ROLES)
    grid = session.get(OrgUnit, person_grid_id)
    if grid is None:
        raise NotFound(f"org unit {person_grid_id}")
    community = session.get(OrgUnit, grid.community_id) if grid.community_id else grid
    rows = session.exec(select(User.id, User.display_name, User.username, OrgUnit.path)
                        .join(OrgUnit, OrgUnit.id == User.scope_id)
                        .where(User.role == "officer", User.active).order_by(User.display_name)).all()
    return [(uid, f"{dn} ({un})") for uid, dn, un, path in rows
            if path.startswith(community.path) or grid.path.startswith(path)]


def residents_of(*, session: Session, user, household_code: str) -> list[tuple[int, str, str]]:
    """``(resident id, name, household code)`` of a household in scope, for registering a person."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "assisted.register", DETAIL_ROLES)
    rows = session.exec(select(Resident.id, Resident.name, Household.code)
                        .join(Household, Household.id == Resident.household_id)
                        .join(OrgUnit, OrgUnit.id == Household.grid_id)
                        .where(Household.code == household_code.strip(), scope_clause(actor))
                        .order_by(Resident.id)).all()
    return [(rid, name, code) for rid, name, code in rows]


def mask(name: str) -> str:
    return crypto.mask_name(name)
