"""Staff roster (officers, auxiliary police 辅警, grid workers 网格员), dated grid assignments with
one lead officer per grid, grid profiles (urban/rural, key area) and the staffing rules of the
plans, checked per grid and per community.

Rules (seed 002 §3.2, §3.7, §5.1, §7.1, §8 conflicts 7–8; seed 004 §3.2):

- ``no_police``: a grid without a certified officer or auxiliary on post (网格警务力量全覆盖);
- ``urban_no_officer``: an urban grid without a certified full-time officer (至少配备1名专职社区民警);
- ``rural_one_plus_two``: a rural grid with fewer than 1 certified officer and 2 certified
  auxiliaries (§7.1 "1名民警+2名辅警", the optional stricter rural standard of §8 conflict 7);
- ``key_area_aux``: a key-area grid (老旧小区/商业街区) without its extra auxiliary: fewer than
  1 (urban) or 3 (rural: 1 + 2 + 1) certified auxiliaries (§5.1, §7.1 "需增配1名辅警");
- ``no_lead``: a grid without a lead officer on post (一网格一警官);
- ``uncertified_on_post``: someone on post who is not certified (§3.7 未达标者不得上岗);
- community ``grid_workers_lt2``: fewer than 2 certified full-time grid workers in its grids
  (seed 004 §3.2 每个村(社区)至少配备2名专职网格员);
- community ``residents_per_officer``: more than 3,000 registered residents per certified
  officer on post in its grids, or residents and no officer (seed 004 §3.2 1:3000).

Writes take a keyword-only ``session``, never commit, validate before writing, are audited and
optimistic-locked (``version``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, distinct, func, or_, select, update
from sqlmodel import Session

from data_access.core import audit
from data_access.core.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationError
from data_access.core.text import checked_text
from data_access.fieldwork.models import Household, Resident
from data_access.org.models import OrgUnit, User
from data_access.org.scope import Actor, actor_of, require_role, scope_clause, unit_in_scope
from data_access.staffing.models import AREA_TYPES, STAFF_TYPES, GridProfile, Staff, StaffAssignment
from data_access.staffing.queries import certified_on, on_post

READ_ROLES = ("admin", "city_leader", "district_leader", "station_leader", "coordinator")
EDIT_ROLES = ("admin", "city_leader", "district_leader", "station_leader")
RESIDENTS_PER_OFFICER = 3000
GRID_RULES = ("no_police", "urban_no_officer", "rural_one_plus_two", "key_area_aux", "no_lead", "uncertified_on_post")
COMMUNITY_RULES = ("grid_workers_lt2", "residents_per_officer")


def _unit(session: Session, actor: Actor, unit_id: int, action: str, level: str | None = None) -> OrgUnit:
    u = session.get(OrgUnit, unit_id) if isinstance(unit_id, int) and not isinstance(unit_id, bool) else None
    if u is None or (level is not None and u.level != level):
        raise ValidationError("grid_id" if level == "grid" else "unit_id", "invalid")
    if not unit_in_scope(actor, u):
        raise PermissionDenied(action, "scope")
    return u


def _bump(session: Session, model, obj, expected_version, what: str, **changes):
    """UPDATE … WHERE version = seen; ConcurrentEdit when someone else changed it first."""
    res = session.execute(update(model).where(model.id == obj.id if hasattr(model, "id") else
                                              model.grid_id == obj.grid_id, model.version == expected_version)
                          .values(version=(expected_version or 0) + 1, **changes))
    if res.rowcount != 1:
        raise ConcurrentEdit(f"{what} changed by someone else")
    session.refresh(obj)
    return obj


def _date(field: str, v, now: datetime, required: bool = True) -> date | None:
    if v is None or v == "":
        if required:
            raise ValidationError(field, "required")
        return None
    if isinstance(v, datetime):
        v = v.date()
    if isinstance(v, str):
        try:
            v = date.fromisoformat(v.strip())
        except ValueError:
            raise ValidationError(field, "format") from None
    if not isinstance(v, date):
        raise ValidationError(field, "format")
    return v


# --- staff -----------------------------------------------------------------------------------

def save_staff(*, session: Session, user, now: datetime, code: str, name: str, staff_type: str, unit_id: int,
               full_time: bool = True, certified: bool = False, certified_on=None, user_id: int | None = None,
               active: bool = True, staff_id: int | None = None, expected_version: int | None = None) -> Staff:
    """Create (``staff_id`` None) or edit a roster person. Every field is checked before anything is
    written; an edit needs the version the form showed (ConcurrentEdit otherwise)."""
    actor = actor_of(session=session, user=user)
    action = "staff.update" if staff_id else "staff.create"
    require_role(actor, action, EDIT_ROLES)
    code = checked_text("code", code, 40, required=True)
    name = checked_text("name", name, 60, required=True)
    if staff_type not in STAFF_TYPES:
        raise ValidationError("staff_type", "choice", {"options": list(STAFF_TYPES)})
    unit = _unit(session, actor, unit_id, action)
    cert_on = _date("certified_on", certified_on, now, required=bool(certified))
    if cert_on is not None and cert_on > now.date():
        raise ValidationError("certified_on", "future")
    if not certified:
        cert_on = None
    if user_id is not None:
        if staff_type != "officer":
            raise ValidationError("user_id", "officer_only")
        if session.get(User, user_id) is None:
            raise ValidationError("user_id", "invalid")
        taken = session.execute(select(Staff.id).where(Staff.user_id == user_id)).scalar()
        if taken is not None and taken != staff_id:
            raise ValidationError("user_id", "taken")
    dup = session.execute(select(Staff.id).where(Staff.code == code)).scalar()
    if dup is not None and dup != staff_id:
        raise ValidationError("code", "taken")
    values = dict(code=code, name=name, staff_type=staff_type, unit_id=unit.id, full_time=bool(full_time),
                  certified=bool(certified), certified_on=cert_on, user_id=user_id, active=bool(active))
    if staff_id is None:
        s = Staff(**values)
        session.add(s)
        session.flush()
    else:
        s = session.get(Staff, staff_id)
        if s is None:
            raise NotFound(f"staff {staff_id}")
        old = session.get(OrgUnit, s.unit_id)
        if old is not None and not unit_in_scope(actor, old):
            raise PermissionDenied(action, "scope")
        if expected_version is None:
            raise ValidationError("version", "required")
        if (not certified or staff_type != "officer") and _is_lead(session, s.id, now.date()):
            raise ValidationError("certified" if not certified else "staff_type", "lead_needs_certified_officer")
        s = _bump(session, Staff, s, expected_version, "staff", **values)
    audit.write(session, actor.username, action, "staff", s.code,
                {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}, at=now)
    return s


def _is_lead(session: Session, staff_id: int, day: date) -> bool:
    return session.execute(select(StaffAssignment.id).where(
        StaffAssignment.staff_id == staff_id, StaffAssignment.lead.is_(True),
        or_(StaffAssignment.end_on.is_(None), StaffAssignment.end_on >= day))).first() is not None


# --- assignments ------------------------------------------------------------------------------

def save_assignment(*, session: Session, user, now: datetime, staff_id: int, grid_id: int, start_on,
                    end_on=None, lead: bool = False, assignment_id: int | None = None,
                    expected_version: int | None = None) -> StaffAssignment:
    """Assign a person to a grid from ``start_on`` to ``end_on`` (inclusive, None = open), or edit
    (e.g. end) an assignment. A lead must be an officer certified by ``start_on``; a grid has one
    lead at a time; one person may cover several grids."""
    actor = actor_of(session=session, user=user)
    action = "assignment.update" if assignment_id else "assignment.create"
    require_role(actor, action, EDIT_ROLES)
    st = session.get(Staff, staff_id) if isinstance(staff_id, int) else None
    if st is None:
        raise ValidationError("staff_id", "invalid")
    grid = _unit(session, actor, grid_id, action, level="grid")
    start = _date("start_on", start_on, now)
    end = _date("end_on", end_on, now, required=False)
    if end is not None and end < start:
        raise ValidationError("end_on", "before_start")
    if lead:
        if st.staff_type != "officer":
            raise ValidationError("lead", "officer_only")
        if not st.certified or st.certified_on is None or st.certified_on > start:
            raise ValidationError("lead", "not_certified")  # seed 002 §3.7: not certified, not on post
        other = session.execute(select(StaffAssignment.id).where(
            StaffAssignment.grid_id == grid.id, StaffAssignment.lead.is_(True),
            StaffAssignment.id != (assignment_id or 0),
            or_(StaffAssignment.end_on.is_(None), StaffAssignment.end_on >= start),
            *([StaffAssignment.start_on <= end] if end is not None else []))).first()
        if other is not None:
            raise ValidationError("lead", "lead_taken")
    values = dict(staff_id=st.id, grid_id=grid.id, start_on=start, end_on=end, lead=bool(lead))
    if assignment_id is None:
        a = StaffAssignment(**values)
        session.add(a)
        session.flush()
    else:
        a = session.get(StaffAssignment, assignment_id)
        if a is None:
            raise NotFound(f"assignment {assignment_id}")
        if expected_version is None:
            raise ValidationError("version", "required")
        a = _bump(session, StaffAssignment, a, expected_version, "assignment", **values)
    audit.write(session, actor.username, action, "staff_assignment", a.id,
                {"staff": st.code, "grid": grid.code, "start_on": start.isoformat(),
                 "end_on": end.isoformat() if end else None, "lead": bool(lead)}, at=now)
    return a


def save_grid_profile(*, session: Session, user, now: datetime, grid_id: int, area_type: str, key_area: bool,
                      expected_version: int | None = None) -> GridProfile:
    """Set a grid's urban/rural type and key-area flag (a grid without a profile is urban)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "grid_profile.update", EDIT_ROLES)
    grid = _unit(session, actor, grid_id, "grid_profile.update", level="grid")
    if area_type not in AREA_TYPES:
        raise ValidationError("area_type", "choice", {"options": list(AREA_TYPES)})
    p = session.get(GridProfile, grid.id)
    if p is None:
        p = GridProfile(grid_id=grid.id, area_type=area_type, key_area=bool(key_area))
        session.add(p)
        session.flush()
    else:
        if expected_version is None:
            raise ValidationError("version", "required")
        p = _bump(session, GridProfile, p, expected_version, "grid profile", area_type=area_type,
                  key_area=bool(key_area))
    audit.write(session, actor.username, "grid_profile.update", "grid_profile", grid.code,
                {"area_type": area_type, "key_area": bool(key_area)}, at=now)
    return p


# --- reading ---------------------------------------------------------------------------------

def now() -> datetime:
    """Local 'now' (the clock the pages use for writes)."""
    from data_access.core.clock import now_local

    return now_local()


def user_id_of(*, session: Session, username: str) -> int | None:
    return session.execute(select(User.id).where(User.username == username)).scalar()


def profile_version(*, session: Session, grid_id: int) -> int | None:
    """The version of a grid's profile (None: no profile yet)."""
    return session.execute(select(GridProfile.version).where(GridProfile.grid_id == grid_id)).scalar()


@dataclass(frozen=True)
class RosterRow:
    id: int
    code: str
    name: str
    staff_type: str
    full_time: bool
    unit_code: str
    unit_name: str
    certified: bool
    certified_on: date | None
    active: bool
    username: str | None
    grids: str  # grid codes on post on the day, a lead marked "*"
    version: int
    unit_name_en: str | None = None
    unit_id: int | None = None


def roster(*, session: Session, user, day: date, unit_id: int | None = None, staff_type: str | None = None,
           certified: bool | None = None, search: str | None = None, limit: int = 500) -> list[RosterRow]:
    """Roster people of the actor's scope (home unit under ``unit_id`` when given) with their grids on ``day``."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "staff.read", READ_ROLES)
    stmt = (select(Staff, OrgUnit.code, OrgUnit.name_zh, User.username, OrgUnit.name_en).join(OrgUnit, OrgUnit.id == Staff.unit_id)
            .outerjoin(User, User.id == Staff.user_id).where(scope_clause(actor)))
    if unit_id is not None:
        u = session.get(OrgUnit, unit_id)
        if u is not None:
            stmt = stmt.where(OrgUnit.path.startswith(u.path))
    if staff_type:
        stmt = stmt.where(Staff.staff_type == staff_type)
    if certified is not None:
        stmt = stmt.where(Staff.certified.is_(certified))
    if search:
        stmt = stmt.where(or_(Staff.name.contains(search.strip()), Staff.code.contains(search.strip())))
    order = case({k: i for i, k in enumerate(STAFF_TYPES)}, value=Staff.staff_type, else_=len(STAFF_TYPES))
    rows = session.execute(stmt.order_by(order, Staff.code).limit(limit)).all()
    ids = [r[0].id for r in rows]
    grids: dict[int, list[str]] = {}
    if ids:
        g = OrgUnit.__table__.alias("g")
        for sid, code, lead in session.execute(
                select(StaffAssignment.staff_id, g.c.code, StaffAssignment.lead)
                .join(g, g.c.id == StaffAssignment.grid_id)
                .where(StaffAssignment.staff_id.in_(ids), StaffAssignment.start_on <= day,
                       or_(StaffAssignment.end_on.is_(None), StaffAssignment.end_on >= day))
                .order_by(g.c.code)):
            grids.setdefault(sid, []).append(code + ("*" if lead else ""))
    return [RosterRow(s.id, s.code, s.name, s.staff_type, s.full_time, uc, un, s.certified, s.certified_on, s.active,
                      uname, ", ".join(grids.get(s.id, [])), s.version, en, s.unit_id) for s, uc, un, uname, en in rows]


def assignments_of(*, session: Session, user, staff_id: int) -> list[StaffAssignment]:
    actor = actor_of(session=session, user=user)
    require_role(actor, "staff.read", READ_ROLES)
    return list(session.execute(select(StaffAssignment).where(StaffAssignment.staff_id == staff_id)
                                .order_by(StaffAssignment.start_on)).scalars())


@dataclass(frozen=True)
class Breach:
    unit_id: int
    unit_code: str
    unit_name: str
    level: str  # grid | community
    rule: str
    detail: dict
    unit_name_en: str | None = None


def _people(day: date, *conds):
    return (select(func.count(distinct(Staff.id))).select_from(StaffAssignment)
            .join(Staff, Staff.id == StaffAssignment.staff_id)
            .where(StaffAssignment.grid_id == OrgUnit.id, on_post(day), *conds).scalar_subquery())


def grid_breaches(*, session: Session, user, day: date, unit_id: int | None = None) -> list[Breach]:
    """Every staffing rule each grid and community of the actor's scope (under ``unit_id``) breaks on ``day``."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "staff.read", READ_ROLES)
    base = [scope_clause(actor)]
    if unit_id is not None:
        u = session.get(OrgUnit, unit_id)
        if u is not None:
            base.append(OrgUnit.path.startswith(u.path))
    cert = certified_on(day)
    stmt = (select(OrgUnit.id, OrgUnit.code, OrgUnit.name_zh, OrgUnit.name_en, func.coalesce(GridProfile.area_type, "urban"),
                   func.coalesce(GridProfile.key_area, False),
                   _people(day, Staff.staff_type == "officer", Staff.full_time.is_(True), cert),
                   _people(day, Staff.staff_type == "officer", cert),
                   _people(day, Staff.staff_type == "auxiliary", cert),
                   _people(day, StaffAssignment.lead.is_(True)),
                   _people(day, ~and_(Staff.certified.is_(True), Staff.certified_on.is_not(None),
                                      Staff.certified_on <= day)))
            .outerjoin(GridProfile, GridProfile.grid_id == OrgUnit.id)
            .where(OrgUnit.level == "grid", *base).order_by(OrgUnit.code))
    out: list[Breach] = []
    for gid, code, name, name_en, area, key, ft_off, off, aux, leads, uncert in session.execute(stmt):
        found: list[tuple[str, dict]] = []
        if off + aux == 0:
            found.append(("no_police", {}))
        if area == "urban" and ft_off == 0:
            found.append(("urban_no_officer", {}))
        if area == "rural" and (off < 1 or aux < 2):
            found.append(("rural_one_plus_two", {"officers": off, "auxiliaries": aux}))
        need_aux = 3 if area == "rural" else 1
        if key and aux < need_aux:
            found.append(("key_area_aux", {"auxiliaries": aux, "required": need_aux}))
        if leads == 0:
            found.append(("no_lead", {}))
        if uncert:
            found.append(("uncertified_on_post", {"people": uncert}))
        out += [Breach(gid, code, name, "grid", rule, dict(detail, area=area, key_area=bool(key)), name_en)
                for rule, detail in found]
    g = OrgUnit.__table__.alias("g")
    workers = (select(func.count(distinct(Staff.id))).select_from(StaffAssignment)
               .join(Staff, Staff.id == StaffAssignment.staff_id).join(g, g.c.id == StaffAssignment.grid_id)
               .where(g.c.community_id == OrgUnit.id, on_post(day), Staff.full_time.is_(True), cert))
    residents = (select(func.count(Resident.id)).select_from(Resident)
                 .join(Household, Household.id == Resident.household_id).join(g, g.c.id == Household.grid_id)
                 .where(g.c.community_id == OrgUnit.id).scalar_subquery())
    stmt = (select(OrgUnit.id, OrgUnit.code, OrgUnit.name_zh, OrgUnit.name_en,
                   workers.where(Staff.staff_type == "grid_worker").scalar_subquery(),
                   workers.where(Staff.staff_type == "officer").scalar_subquery(), residents)
            .where(OrgUnit.level == "community", *base).order_by(OrgUnit.code))
    for cid, code, name, name_en, gw, officers, res in session.execute(stmt):
        if gw < 2:
            out.append(Breach(cid, code, name, "community", "grid_workers_lt2", {"grid_workers": gw}, name_en))
        if res and (officers == 0 or res / officers > RESIDENTS_PER_OFFICER):
            out.append(Breach(cid, code, name, "community", "residents_per_officer",
                              {"residents": res, "officers": officers,
                               "per_officer": None if not officers else round(res / officers)}, name_en))
    return out
