"""The lag list (进度预警, seed 004 §7.4; indicators.md "Escalation and rectification").

At each month end a unit lags on an indicator with a target when ``gap / target > 0.15`` with the
direction-aware gap (``up``: target − actual, ``down``: actual − target). It stands on the
约谈/督导 list for that month with the indicator, actual, target and gap; ``months_running``
counts the consecutive month ends it has lagged on that indicator. Leaders record the actions
taken on an entry (interview held, supervision team sent: date, who, note; audited).

Who derives what:
- computed indicators: ``metrics.lag`` computes the values (``metrics.service``) and applies the
  rule (``metrics.definitions.lags``), then stores the month here (``store_month``);
- reported indicators: their monthly values are rows in ``reported_value``, so the rule is applied
  in SQL here (``reported_candidates``), the threshold computed in the database.

Functions take a keyword-only ``session`` and never commit.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, delete, func, literal, or_, select
from sqlmodel import Session

from data_access.core import audit
from data_access.core.errors import NotFound, PermissionDenied, ValidationError
from data_access.core.text import checked_text
from data_access.fieldwork.derive import month_end_time
from data_access.org.models import OrgUnit
from data_access.org.scope import actor_of, require_role, scope_clause, unit_in_scope
from data_access.programme.models import (
    LAG_ACTION_KINDS,
    Indicator,
    LagAction,
    LagEntry,
    Phase,
    ReportedValue,
    Target,
)

THRESHOLD = 0.15  # "滞后超过15%" (seed 004 §7.4): gap / target
LEVELS = ("district", "station")  # the units the list names (the level above summons their leader)
DERIVE_ROLES = ("admin", "city_leader", "coordinator")
ACTION_ROLES = ("admin", "city_leader", "district_leader", "coordinator")
READ_ROLES = ("admin", "city_leader", "district_leader", "coordinator")
WHO_MAX = 120
NOTE_MAX = 1000


@dataclass(frozen=True)
class LagRow:
    """One unit lagging on one indicator (before storage)."""
    unit_id: int
    indicator: str
    actual: float
    target: float
    gap: float
    share: float


def month_label(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def parse_month(text: str) -> int:
    """'YYYY-MM' → YYYYMM (ValidationError("month", "format") otherwise)."""
    try:
        y, m = text.strip().split("-")
        if len(y) != 4 or len(m) != 2 or not 1 <= int(m) <= 12:
            raise ValueError
        return int(y) * 100 + int(m)
    except (ValueError, AttributeError):
        raise ValidationError("month", "format") from None


def previous_month(month: int) -> int:
    return month - 1 if month % 100 != 1 else (month // 100 - 1) * 100 + 12


def phase_of(session: Session, month: int) -> str | None:
    day = date(month // 100, month % 100, 1)
    row = session.execute(select(Phase.code).where(Phase.start <= day, Phase.end >= day)).first()
    return None if row is None else row[0]


def lag_units(*, session: Session) -> list[OrgUnit]:
    """The units the lag list covers (districts and stations), by code."""
    return list(session.scalars(select(OrgUnit).where(OrgUnit.level.in_(LEVELS)).order_by(OrgUnit.code)))


def reported_candidates(*, session: Session, month: int, as_of: datetime) -> list[LagRow]:
    """Units lagging at month end on a *monthly reported* indicator, found in the database: the
    value entered for the unit and month (returned values and values entered after ``as_of`` do
    not count) against the unit's target for the month's phase (its own, else its station's,
    district's or city's row, else the city default; a pilot-only target only for units of pilot
    districts), with ``gap / |target| > 0.15`` computed in SQL, direction-aware."""
    phase = phase_of(session, month)
    if phase is None:
        return []
    rv, ind, u = ReportedValue.__table__, Indicator.__table__, OrgUnit.__table__
    t = Target.__table__
    dist = OrgUnit.__table__.alias("dist")
    applies = or_(t.c.pilot_only.is_(False), func.coalesce(dist.c.pilot, False).is_(True))

    def target_at(col):  # the target row of one ancestor (None: the city default)
        where = t.c.org_unit_id.is_(None) if col is None else t.c.org_unit_id == col
        return (select(func.max(t.c.target)).where(t.c.indicator_code == rv.c.indicator_code,
                                                   t.c.phase_code == phase, applies, where)
                .correlate(rv, u, dist).scalar_subquery())

    # the nearest target: own, else the station's, the district's, the city's, else the city default
    nearest = func.coalesce(target_at(u.c.id), target_at(u.c.station_id), target_at(u.c.district_id),
                            target_at(u.c.city_id), target_at(None))
    base = (select(rv.c.org_unit_id.label("unit_id"), rv.c.indicator_code.label("code"), rv.c.value.label("value"),
                   ind.c.direction.label("direction"), nearest.label("target"))
            .select_from(rv.join(ind, ind.c.code == rv.c.indicator_code).join(u, u.c.id == rv.c.org_unit_id)
                         .outerjoin(dist, dist.c.id == u.c.district_id))
            .where(ind.c.kind == "reported", ind.c.period_type == "month", rv.c.period == month_label(month),
                   rv.c.status != "returned", or_(rv.c.entered_at.is_(None), rv.c.entered_at <= as_of),
                   u.c.level.in_(LEVELS))
            .subquery("lag_base"))
    gap = case((base.c.direction == "down", base.c.value - base.c.target), else_=base.c.target - base.c.value)
    stmt = (select(base.c.unit_id, base.c.code, base.c.value, base.c.target, gap.label("gap"))
            .where(base.c.target.is_not(None), base.c.target != literal(0.0),
                   gap > literal(THRESHOLD) * func.abs(base.c.target))
            .order_by(base.c.unit_id, base.c.code))
    return [LagRow(uid, code, float(v), float(tg), float(g), float(g) / abs(float(tg)))
            for uid, code, v, tg, g in session.execute(stmt)]


def store_month(*, session: Session, user, month: int, rows: Iterable[LagRow], now: datetime) -> dict[str, int]:
    """Store the lag list of ``month`` (a finished month): new entries are added, entries still
    lagging get today's figures, entries no longer lagging are removed unless an action was
    recorded on them. ``months_running`` = the previous month's count + 1 (so derive months in
    order). Audited as "lag.derive" with the counts. Returns {"lagging", "added", "removed"}."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "lag.derive", DERIVE_ROLES)
    if month_end_time(month) > now:
        raise ValidationError("month", "not_ended")
    rows = list(rows)
    prev = {(uid, code): n for uid, code, n in session.execute(
        select(LagEntry.org_unit_id, LagEntry.indicator_code, LagEntry.months_running)
        .where(LagEntry.month == previous_month(month)))}
    have = {(e.org_unit_id, e.indicator_code): e for e in session.scalars(
        select(LagEntry).where(LagEntry.month == month))}
    added = 0
    keep = set()
    for r in rows:
        key = (r.unit_id, r.indicator)
        keep.add(key)
        running = prev.get(key, 0) + 1
        e = have.get(key)
        if e is None:
            session.add(LagEntry(month=month, org_unit_id=r.unit_id, indicator_code=r.indicator, actual=r.actual,
                                 target=r.target, gap=r.gap, share=r.share, months_running=running, derived_at=now))
            added += 1
        else:
            e.actual, e.target, e.gap, e.share, e.months_running, e.derived_at = (
                r.actual, r.target, r.gap, r.share, running, now)
            e.version += 1
    stale = [e.id for k, e in have.items() if k not in keep]
    removed = 0
    if stale:
        with_actions = set(session.scalars(select(LagAction.lag_entry_id).where(LagAction.lag_entry_id.in_(stale))))
        gone = [i for i in stale if i not in with_actions]
        if gone:
            removed = session.execute(delete(LagEntry).where(LagEntry.id.in_(gone))).rowcount or 0
    session.flush()
    counts = {"lagging": len(keep), "added": added, "removed": removed}
    audit.write(session, actor.username, "lag.derive", "lag_month", month_label(month), counts, at=now)
    return counts


def derived_months(*, session: Session) -> list[int]:
    """Months that have a lag list, newest first."""
    return [m for (m,) in session.execute(select(LagEntry.month).distinct().order_by(LagEntry.month.desc()))]


@dataclass(frozen=True)
class ActionView:
    kind: str
    held_on: date
    who: str
    note: str | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class LagView:
    id: int
    month: int
    unit_id: int
    unit_code: str
    unit_name_zh: str
    unit_name_en: str | None
    unit_level: str
    indicator: str
    actual: float
    target: float
    gap: float
    share: float
    months_running: int
    version: int
    actions: tuple[ActionView, ...]


def list_lag(*, session: Session, user, month: int) -> list[LagView]:
    """The lag list of ``month`` within the user's scope: longest-running first, then the largest
    share behind; each entry with its actions."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "lag.read", READ_ROLES)
    rows = session.execute(
        select(LagEntry, OrgUnit).join(OrgUnit, OrgUnit.id == LagEntry.org_unit_id)
        .where(LagEntry.month == month, scope_clause(actor))
        .order_by(LagEntry.months_running.desc(), LagEntry.share.desc(), OrgUnit.code, LagEntry.indicator_code)).all()
    ids = [e.id for e, _ in rows]
    acts: dict[int, list[ActionView]] = {}
    if ids:
        for a in session.scalars(select(LagAction).where(LagAction.lag_entry_id.in_(ids))
                                 .order_by(LagAction.held_on, LagAction.id)):
            acts.setdefault(a.lag_entry_id, []).append(
                ActionView(a.kind, a.held_on, a.who, a.note, a.recorded_by, a.recorded_at))
    return [LagView(e.id, e.month, u.id, u.code, u.name_zh, u.name_en, u.level, e.indicator_code, e.actual, e.target,
                    e.gap, e.share, e.months_running, e.version, tuple(acts.get(e.id, ()))) for e, u in rows]


def lag_counts(*, session: Session, user, month: int) -> dict[str, int]:
    """{"entries", "units", "running2", "without_action"} of ``month`` in the user's scope (in the database)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "lag.read", READ_ROLES)
    acted = select(LagAction.lag_entry_id).distinct().scalar_subquery()
    row = session.execute(
        select(func.count(), func.count(func.distinct(LagEntry.org_unit_id)),
               func.sum(case((LagEntry.months_running >= 2, 1), else_=0)),
               func.sum(case((LagEntry.id.not_in(acted), 1), else_=0)))
        .select_from(LagEntry).join(OrgUnit, OrgUnit.id == LagEntry.org_unit_id)
        .where(and_(LagEntry.month == month, scope_clause(actor)))).one()
    return {"entries": int(row[0] or 0), "units": int(row[1] or 0), "running2": int(row[2] or 0),
            "without_action": int(row[3] or 0)}


def record_action(*, session: Session, user, entry_id: int, kind: str, held_on: date, who: str, now: datetime,
                  note: str | None = None) -> LagAction:
    """Record an interview held (约谈) or a supervision team sent (督导组) on a lag entry in scope."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "lag.action", ACTION_ROLES)
    e = session.get(LagEntry, entry_id)
    if e is None:
        raise NotFound(f"lag entry {entry_id}")
    unit = session.get(OrgUnit, e.org_unit_id)
    if unit is None or not unit_in_scope(actor, unit):
        raise PermissionDenied("lag.action", "scope")
    if kind not in LAG_ACTION_KINDS:
        raise ValidationError("kind", "choice", {"options": list(LAG_ACTION_KINDS)})
    if not isinstance(held_on, date):
        raise ValidationError("held_on", "required")
    if held_on > now.date():
        raise ValidationError("held_on", "future")
    name = checked_text("who", who, WHO_MAX, required=True)
    text = checked_text("note", note, NOTE_MAX)
    a = LagAction(lag_entry_id=e.id, kind=kind, held_on=held_on, who=name, note=text, recorded_by=actor.username,
                  recorded_at=now)
    session.add(a)
    session.flush()
    audit.write(session, actor.username, f"lag.{kind}", "lag_entry", e.id,
                {"month": month_label(e.month), "unit": unit.code, "indicator": e.indicator_code,
                 "held_on": held_on.isoformat()}, at=now)
    return a
