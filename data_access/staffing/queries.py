"""Counts behind the staffing and presence indicators (``metrics.staffing``), aggregated in the
database, SQLite and PostgreSQL alike.

Every function answers for an org unit U per *key*: the id of U's direct child a grid belongs to
(the grid's ancestor column one level below U, in the current tree; for a grid U the grid
itself). ``unit_counts`` style functions also return U's own total under the key ``None``
where a total is not the sum of the keys (a person covering grids of two children).

"On post on day D": an active roster person with an assignment to the grid with
``start_on ≤ D`` and (``end_on`` NULL or ``end_on ≥ D``). "Certified on D": ``certified`` and
``certified_on ≤ D`` (seed 002 §3.7: not certified → not on post).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlmodel import Session

from data_access.analytics.models import PresenceMonth
from data_access.fieldwork.models import Visit
from data_access.org.models import OrgUnit
from data_access.staffing.models import GridProfile, JointMeeting, OfficeSession, Staff, StaffAssignment

LEVEL_COL = {"city": "city_id", "district": "district_id", "station": "station_id", "community": "community_id",
             "grid": "id"}
CHILD_COL = {"city": "district_id", "district": "station_id", "station": "community_id", "community": "id",
             "grid": "id"}
POLICE = ("officer", "auxiliary")


def _in_unit(unit, col=OrgUnit):
    """Condition: the org unit row ``col`` lies in U (U itself or below)."""
    return getattr(col, LEVEL_COL[unit.level]) == unit.id


def _key(unit, col=OrgUnit):
    return getattr(col, CHILD_COL[unit.level])


def on_post(day: date, a=StaffAssignment, s=Staff):
    return and_(a.staff_id == s.id, s.active.is_(True), a.start_on <= day,
                or_(a.end_on.is_(None), a.end_on >= day))


def certified_on(day: date, s=Staff):
    return and_(s.certified.is_(True), s.certified_on.is_not(None), s.certified_on <= day)


def _grid_flags(day: date):
    """Per grid with someone on post on ``day``: police (≥1 certified officer or auxiliary) and
    officer (≥1 certified full-time officer) as 0/1 — one pass over the assignments, not a
    lookup per grid."""
    police = and_(Staff.staff_type.in_(POLICE), certified_on(day))
    officer = and_(Staff.staff_type == "officer", Staff.full_time.is_(True), certified_on(day))
    return (select(StaffAssignment.grid_id.label("grid_id"),
                   func.max(case((police, 1), else_=0)).label("police"),
                   func.max(case((officer, 1), else_=0)).label("officer"))
            .join(Staff, Staff.id == StaffAssignment.staff_id).where(on_post(day))
            .group_by(StaffAssignment.grid_id).subquery("flags"))


def grid_counts(session: Session, *, unit, day: date) -> dict:
    """Per key: {grids, police (≥1 certified officer or auxiliary on post), urban, urban_officer
    (urban grids with ≥1 certified full-time officer on post), rural} on ``day``."""
    urban = func.coalesce(GridProfile.area_type, "urban") == "urban"
    flags = _grid_flags(day)
    key = _key(unit)
    stmt = (select(key, func.count(), func.sum(func.coalesce(flags.c.police, 0)), func.sum(case((urban, 1), else_=0)),
                   func.sum(case((and_(urban, flags.c.officer == 1), 1), else_=0)))
            .select_from(OrgUnit).outerjoin(GridProfile, GridProfile.grid_id == OrgUnit.id)
            .outerjoin(flags, flags.c.grid_id == OrgUnit.id)
            .where(OrgUnit.level == "grid", _in_unit(unit)).group_by(key))
    out = {}
    for k, n, p, u, uo in session.execute(stmt):
        out[k] = dict(grids=int(n), police=int(p or 0), urban=int(u or 0), urban_officer=int(uo or 0),
                      rural=int(n) - int(u or 0))
    return out


def certified_counts(session: Session, *, unit, day: date) -> dict:
    """Per key and for U (key None): (people on post in grids of the key, of whom certified on day)."""
    cert = case((certified_on(day), Staff.id), else_=None)

    def stmt(*group):
        return (select(*group, func.count(distinct(Staff.id)), func.count(distinct(cert)))
                .select_from(StaffAssignment).join(Staff, Staff.id == StaffAssignment.staff_id)
                .join(OrgUnit, OrgUnit.id == StaffAssignment.grid_id)
                .where(on_post(day), _in_unit(unit)).group_by(*group))

    n, c = session.execute(stmt()).one()
    out = {None: (int(n or 0), int(c or 0))}
    for k, n, c in session.execute(stmt(_key(unit))):
        out[k] = (int(n), int(c or 0))
    return out


def community_counts(session: Session, *, unit, day: date, min_workers: int = 2) -> dict:
    """Per key: (communities in U, communities with ≥ ``min_workers`` full-time grid workers
    certified and on post in their grids on ``day``)."""
    if unit.level == "grid":
        return {}
    g = OrgUnit.__table__.alias("g")
    workers = (select(g.c.community_id.label("community_id"), func.count(distinct(Staff.id)).label("n"))
               .select_from(StaffAssignment).join(Staff, Staff.id == StaffAssignment.staff_id)
               .join(g, g.c.id == StaffAssignment.grid_id)
               .where(on_post(day), Staff.staff_type == "grid_worker", Staff.full_time.is_(True), certified_on(day))
               .group_by(g.c.community_id).subquery("workers"))
    key = _key(unit)
    stmt = (select(key, func.count(), func.sum(case((func.coalesce(workers.c.n, 0) >= min_workers, 1), else_=0)))
            .select_from(OrgUnit).outerjoin(workers, workers.c.community_id == OrgUnit.id)
            .where(OrgUnit.level == "community", _in_unit(unit)).group_by(key))
    return {k: (int(n), int(ok or 0)) for k, n, ok in session.execute(stmt)}


def _day(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def presence_minutes(session: Session, *, unit, day0: date, day1: date) -> dict:
    """Per key: {day: minutes} of roster officers' time in grids of U started on days
    [day0, day1] — visit durations (NULL counts 0) plus office-session minutes."""
    out: dict = defaultdict(lambda: defaultdict(int))
    key = _key(unit)
    t0, t1 = day0, day1 + timedelta(days=1)
    vday = func.date(Visit.visited_at)
    stmt = (select(key, vday, func.sum(func.coalesce(Visit.duration_min, 0)))
            .join(OrgUnit, OrgUnit.id == Visit.grid_id)
            .join(Staff, and_(Staff.user_id == Visit.officer_id, Staff.staff_type == "officer"))
            .where(_in_unit(unit), Visit.visited_at >= t0, Visit.visited_at < t1).group_by(key, vday))
    for k, d, m in session.execute(stmt):
        out[k][_day(d)] += int(m or 0)
    stmt = (select(key, OfficeSession.day, func.sum(OfficeSession.minutes))
            .join(OrgUnit, OrgUnit.id == OfficeSession.grid_id)
            .join(Staff, and_(Staff.user_id == OfficeSession.officer_id, Staff.staff_type == "officer"))
            .where(_in_unit(unit), OfficeSession.day >= day0, OfficeSession.day <= day1)
            .group_by(key, OfficeSession.day))
    for k, d, m in session.execute(stmt):
        out[k][_day(d)] += int(m or 0)
    return out


def _presence_plan(day0: date, day1: date) -> tuple[list[int], list[tuple[date, date]], list[tuple[date, date]]]:
    """How to sum [day0, day1]: (months read from ``presence_month``, day ranges counted raw and
    added, day ranges counted raw and taken away). A month partly in the range is counted raw
    when fewer of its days lie inside than outside, else read whole minus the days outside (the
    month of as_of: its rollup row minus today's visits, not the month's visits so far)."""
    months: list[int] = []
    add: list[tuple[date, date]] = []
    sub: list[tuple[date, date]] = []
    m = day0.replace(day=1)
    while m <= day1:
        nxt = (m + timedelta(days=32)).replace(day=1)
        end = nxt - timedelta(days=1)
        lo, hi = max(m, day0), min(end, day1)
        if 2 * ((hi - lo).days + 1) <= (end - m).days + 1:
            add.append((lo, hi))
        else:
            months.append(m.year * 100 + m.month)
            sub.extend(r for r in ((m, lo - timedelta(days=1)), (hi + timedelta(days=1), end)) if r[0] <= r[1])
        m = nxt
    return months, add, sub


def presence_workday_minutes(session: Session, *, unit, day0: date, day1: date) -> dict:
    """Per key: minutes of roster officers' time in grids of U on the working days (Monday–
    Friday) of [day0, day1] — the sum of ``presence_minutes`` over those days, read from
    ``presence_month`` (kept by every visit and office session; the roster joined here) with the
    days of partly covered months counted raw (``_presence_plan``)."""
    out: dict = defaultdict(int)
    months, add, sub = _presence_plan(day0, day1)
    if months:
        key = _key(unit)
        stmt = (select(key, func.sum(PresenceMonth.minutes)).select_from(PresenceMonth)
                .join(OrgUnit, OrgUnit.id == PresenceMonth.grid_id)
                .join(Staff, and_(Staff.user_id == PresenceMonth.officer_id, Staff.staff_type == "officer"))
                .where(_in_unit(unit), PresenceMonth.month.in_(months)).group_by(key))
        for k, m in session.execute(stmt):
            out[k] += int(m or 0)
    for sign, ranges in ((1, add), (-1, sub)):
        for lo, hi in ranges:
            for k, per_day in presence_minutes(session, unit=unit, day0=lo, day1=hi).items():
                out[k] += sign * sum(m for d, m in per_day.items() if d.weekday() < 5)
    return dict(out)


def officer_assignments(session: Session, *, unit, day0: date, day1: date) -> list[tuple]:
    """(key, staff_id, start_on, end_on) of roster officers with a linked user assigned to grids
    of U overlapping [day0, day1] (the roster is small: read, not aggregated)."""
    key = _key(unit)
    stmt = (select(key, Staff.id, StaffAssignment.start_on, StaffAssignment.end_on)
            .select_from(StaffAssignment).join(Staff, Staff.id == StaffAssignment.staff_id)
            .join(OrgUnit, OrgUnit.id == StaffAssignment.grid_id)
            .where(_in_unit(unit), Staff.staff_type == "officer", Staff.user_id.is_not(None), Staff.active.is_(True),
                   StaffAssignment.start_on <= day1,
                   or_(StaffAssignment.end_on.is_(None), StaffAssignment.end_on >= day0)))
    return [tuple(r) for r in session.execute(stmt)]


def rural_sessions(session: Session, *, unit, wk_lo: int, wk_hi: int) -> dict:
    """Per key: office sessions of roster officers in rural grids of U in ISO weeks [wk_lo, wk_hi]."""
    key = _key(unit)
    stmt = (select(key, func.count()).select_from(OfficeSession)
            .join(OrgUnit, OrgUnit.id == OfficeSession.grid_id)
            .join(GridProfile, GridProfile.grid_id == OrgUnit.id)
            .join(Staff, and_(Staff.user_id == OfficeSession.officer_id, Staff.staff_type == "officer"))
            .where(_in_unit(unit), GridProfile.area_type == "rural", OfficeSession.week >= wk_lo,
                   OfficeSession.week <= wk_hi).group_by(key))
    return {k: int(n) for k, n in session.execute(stmt)}


def meeting_months(session: Session, *, unit, m0: int, m1: int) -> dict:
    """Per key: (communities in U, community-months in [m0, m1] with ≥1 joint meeting)."""
    if unit.level == "grid":
        return {}
    key = _key(unit)
    comms = {k: int(n) for k, n in session.execute(
        select(key, func.count()).where(OrgUnit.level == "community", _in_unit(unit)).group_by(key))}
    held = select(JointMeeting.community_id, JointMeeting.month).where(
        JointMeeting.month >= m0, JointMeeting.month <= m1).distinct().subquery()
    stmt = (select(key, func.count()).select_from(held).join(OrgUnit, OrgUnit.id == held.c.community_id)
            .where(_in_unit(unit)).group_by(key))
    done = {k: int(n) for k, n in session.execute(stmt)}
    return {k: (n, done.get(k, 0)) for k, n in comms.items()}
