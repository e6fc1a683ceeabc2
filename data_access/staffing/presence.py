"""Officer presence in the grids (seed 002 §3.2, §5.1): on-site office hours (坐班/驻点/现场办公)
logged by officers, and per officer and ISO week the time spent in the grids (visit durations
plus office hours) against "≥ 3 h per day" and, for officers covering rural grids, the on-site
sessions against "≥ 2 per rural grid per week".

Writes take a keyword-only ``session``, never commit, validate before writing and are audited;
a resubmission with the same ``client_token`` returns the first session.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session

from data_access.analytics import rollups
from data_access.core import audit
from data_access.core.errors import PermissionDenied, ValidationError
from data_access.core.text import checked_text
from data_access.fieldwork.derive import week_of
from data_access.fieldwork.models import Visit
from data_access.org.models import OrgUnit
from data_access.org.scope import actor_of, require_role, scope_clause, unit_in_scope
from data_access.staffing.models import GridProfile, OfficeSession, Staff, StaffAssignment
from data_access.staffing.queries import _day
from data_access.staffing.roster import READ_ROLES

LOG_ROLES = ("officer",)
MAX_SESSION = timedelta(hours=12)
MAX_BACKDATE = timedelta(days=30)
DAILY_HOURS = 3.0  # seed 002 §3.2, §5.1
RURAL_SESSIONS = 2  # per rural grid per week, seed 002 §5.1


def log_office_hours(*, session: Session, user, grid_id: int, started_at: datetime, ended_at: datetime,
                     now: datetime, note: str | None = None, client_token: str | None = None) -> OfficeSession:
    """An officer's on-site office hours in one of the grids of their scope."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "office_hours.create", LOG_ROLES)
    if client_token:
        prior = session.execute(select(OfficeSession).where(OfficeSession.client_token == client_token)).scalar()
        if prior is not None:
            if prior.officer_id != actor.id:
                raise PermissionDenied("office_hours.create", "token")
            return prior
    grid = session.get(OrgUnit, grid_id) if isinstance(grid_id, int) else None
    if grid is None or grid.level != "grid":
        raise ValidationError("grid_id", "invalid")
    for f, v in (("started_at", started_at), ("ended_at", ended_at)):
        if not isinstance(v, datetime):
            raise ValidationError(f, "required")
    if ended_at <= started_at:
        raise ValidationError("ended_at", "before_start")
    if ended_at > now:
        raise ValidationError("ended_at", "future")
    if ended_at - started_at > MAX_SESSION:
        raise ValidationError("ended_at", "too_long", {"hours": int(MAX_SESSION.total_seconds() // 3600)})
    if ended_at.date() != started_at.date():
        raise ValidationError("ended_at", "same_day")
    if now - started_at > MAX_BACKDATE:
        raise ValidationError("started_at", "too_old", {"days": MAX_BACKDATE.days})
    if not unit_in_scope(actor, grid) and not _assigned(session, actor.id, grid.id, started_at.date()):
        raise PermissionDenied("office_hours.create", "scope")  # neither in scope nor on the roster for it
    note = checked_text("note", note, 500)
    s = OfficeSession(client_token=client_token or None, officer_id=actor.id, grid_id=grid.id,
                      started_at=started_at, ended_at=ended_at, note=note,
                      minutes=int((ended_at - started_at).total_seconds() // 60), day=started_at.date(),
                      week=week_of(started_at))
    session.add(s)
    session.flush()
    rollups.presence(session, grid_id=grid.id, officer_id=actor.id, day=s.day, minutes=s.minutes)
    audit.write(session, actor.username, "office_hours.create", "office_session", s.id,
                {"grid": grid.code, "start": started_at.isoformat(timespec="minutes"),
                 "minutes": s.minutes}, at=now)
    return s


def _assigned(session: Session, user_id: int, grid_id: int, day: date) -> bool:
    """The user's roster entry has an assignment to the grid on ``day`` (one officer, several grids)."""
    return session.execute(select(StaffAssignment.id).join(Staff, Staff.id == StaffAssignment.staff_id).where(
        Staff.user_id == user_id, StaffAssignment.grid_id == grid_id, StaffAssignment.start_on <= day,
        or_(StaffAssignment.end_on.is_(None), StaffAssignment.end_on >= day))).first() is not None


def my_grids(*, session: Session, user, day: date) -> list[tuple[int, str, str]]:
    """(id, code, name) of the grids an officer may log office hours in: the grids of their scope
    and those their roster entry is assigned to on ``day``."""
    actor = actor_of(session=session, user=user)
    own = select(OrgUnit.id, OrgUnit.code, OrgUnit.name_zh).where(OrgUnit.level == "grid", scope_clause(actor))
    rostered = (select(OrgUnit.id, OrgUnit.code, OrgUnit.name_zh).join(StaffAssignment, StaffAssignment.grid_id == OrgUnit.id)
                .join(Staff, Staff.id == StaffAssignment.staff_id)
                .where(Staff.user_id == actor.id, StaffAssignment.start_on <= day,
                       or_(StaffAssignment.end_on.is_(None), StaffAssignment.end_on >= day)))
    rows = {r[0]: tuple(r) for q in (own.limit(200), rostered) for r in session.execute(q)}
    return sorted(rows.values(), key=lambda r: r[1])


def my_sessions(*, session: Session, user, limit: int = 10) -> list[tuple[OfficeSession, str]]:
    actor = actor_of(session=session, user=user)
    rows = session.execute(select(OfficeSession, OrgUnit.code).join(OrgUnit, OrgUnit.id == OfficeSession.grid_id)
                           .where(OfficeSession.officer_id == actor.id)
                           .order_by(OfficeSession.started_at.desc()).limit(limit)).all()
    return [(s, c) for s, c in rows]


@dataclass(frozen=True)
class OfficerWeek:
    staff_id: int
    name: str
    week: int  # ISO yyyyww
    hours: float  # visits + office hours on the week's working days
    working_days: int  # Mon–Fri of the week inside [day0, day1]
    days_3h: int  # working days with ≥ 3 h
    hours_per_day: float | None
    rural_grids: int  # rural grids the officer covers (on the week's Monday … day1)
    rural_sessions: int  # office sessions in rural grids that week
    rural_ok: bool | None  # ≥ 2 per rural grid; None without rural grids
    daily_ok: bool | None  # every working day ≥ 3 h; None without working days


def officer_weeks(*, session: Session, user, day0: date, day1: date, unit_id: int | None = None
                  ) -> list[OfficerWeek]:
    """Per roster officer (linked to a user, home unit in the actor's scope) and ISO week of [day0, day1]."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "staff.read", READ_ROLES)
    conds = [Staff.staff_type == "officer", Staff.user_id.is_not(None), Staff.active.is_(True), scope_clause(actor)]
    if unit_id is not None:
        u = session.get(OrgUnit, unit_id)
        if u is not None:
            conds.append(OrgUnit.path.startswith(u.path))
    officers = {sid: (uid, name) for sid, uid, name in session.execute(
        select(Staff.id, Staff.user_id, Staff.name).join(OrgUnit, OrgUnit.id == Staff.unit_id).where(*conds))}
    if not officers:
        return []
    by_user = {uid: sid for sid, (uid, _n) in officers.items()}
    users = list(by_user)
    t0, t1 = day0, day1 + timedelta(days=1)
    minutes: dict = defaultdict(int)  # (user, day) → minutes
    vday = func.date(Visit.visited_at)
    for uid, d, m in session.execute(
            select(Visit.officer_id, vday, func.sum(func.coalesce(Visit.duration_min, 0)))
            .where(Visit.officer_id.in_(users), Visit.visited_at >= t0, Visit.visited_at < t1)
            .group_by(Visit.officer_id, vday)):
        minutes[(uid, _day(d))] += int(m or 0)
    rural_n: dict = defaultdict(int)
    for uid, d, m, rural in session.execute(
            select(OfficeSession.officer_id, OfficeSession.day, func.sum(OfficeSession.minutes),
                   func.sum(case((GridProfile.area_type == "rural", 1), else_=0)))
            .outerjoin(GridProfile, GridProfile.grid_id == OfficeSession.grid_id)
            .where(OfficeSession.officer_id.in_(users), OfficeSession.day >= day0, OfficeSession.day <= day1)
            .group_by(OfficeSession.officer_id, OfficeSession.day)):
        minutes[(uid, _day(d))] += int(m or 0)
        rural_n[(uid, week_of(_day(d)))] += int(rural or 0)
    assigns = session.execute(
        select(StaffAssignment.staff_id, StaffAssignment.grid_id, StaffAssignment.start_on, StaffAssignment.end_on)
        .join(GridProfile, and_(GridProfile.grid_id == StaffAssignment.grid_id, GridProfile.area_type == "rural"))
        .where(StaffAssignment.staff_id.in_(list(officers)), StaffAssignment.start_on <= day1,
               or_(StaffAssignment.end_on.is_(None), StaffAssignment.end_on >= day0))).all()
    weeks: dict[int, list[date]] = defaultdict(list)
    d = day0
    while d <= day1:
        weeks[week_of(d)].append(d)
        d += timedelta(days=1)
    out = []
    for sid, (uid, name) in sorted(officers.items(), key=lambda x: x[1][1]):
        for wk, days in sorted(weeks.items()):
            wdays = [x for x in days if x.weekday() < 5]
            per_day = [minutes.get((uid, x), 0) / 60.0 for x in wdays]
            hours = sum(per_day)
            lo, hi = days[0], days[-1]
            rg = len({g for s_, g, a, b in assigns if s_ == sid and a <= hi and (b is None or b >= lo)})
            rs = rural_n.get((uid, wk), 0)
            out.append(OfficerWeek(sid, name, wk, round(hours, 2), len(wdays), sum(1 for h in per_day if h >= DAILY_HOURS),
                                   round(hours / len(wdays), 2) if wdays else None, rg, rs,
                                   None if not rg else rs >= RURAL_SESSIONS * rg,
                                   None if not wdays else all(h >= DAILY_HOURS for h in per_day)))
    return out

