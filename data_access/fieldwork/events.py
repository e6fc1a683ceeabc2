"""Grid events and hazards on the clock (issue 14; indicators.md "Time-limited work").

The grid's closed loop — 网格吹哨、民警报到、部门联动、限时办结 (seed 002 §3.1, §5.2):

- **Grid events**: reported in a grid (optionally at a household) through a channel (officer,
  grid worker, resident, hotline, app) on a tier: emergency 5 min, urgent 15 min, general 2 h to
  respond (seed 001 §5.3, seed 002 §5.2). States open → accepted → in progress → resolved →
  confirmed, or withdrawn / duplicate from any non-final state. ``responded_at`` is the first
  step out of ``open`` other than withdrawing or marking a duplicate. An event past its limit
  and not responded to escalates to the station's list, past twice its limit to the district's.
- **Hazards**: from a visit's hazard answer (one call turns it into a hazard) or on their own;
  level general (rectify within 24 h) or major (48 h; seed 002 §3.1, §3.3); handled by a grid
  worker on site or by an officer with a department; rectified with evidence.

The limits are data (app_setting ``time_limits``, minutes per tier, admin-editable); a case keeps
the limit in force when it was reported (``due_at``). Every step is kept as history, audited,
and optimistic-locked (``version``). Functions take a keyword-only ``session`` and never commit.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_
from sqlmodel import Session, select

from data_access.analytics import rollups
from data_access.core import audit, versioning
from data_access.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from data_access.core.text import checked_text
from data_access.fieldwork.derive import event_contributions, hazard_contributions, month_of
from data_access.fieldwork.limits import DEFAULT_LIMITS_MIN, LIMIT_SOURCES, limits  # noqa: F401 (re-exported)
from data_access.fieldwork.models import (
    EVENT_CHANNELS,
    EVENT_TIERS,
    HAZARD_LEVELS,
    GridEvent,
    GridEventStep,
    Hazard,
    Household,
    Visit,
    VisitAnswer,
)
from data_access.org.models import OrgUnit, User
from data_access.org.scope import Actor, actor_of, require_role, scope_clause, unit_in_scope

NEAR_SHARE = 0.2  # "orange within a fifth of the limit"

FINAL = ("confirmed", "withdrawn", "duplicate")
NON_FINAL = ("open", "accepted", "in_progress", "resolved")
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": (("open",), "accepted"),
    "start": (("accepted",), "in_progress"),
    "resolve": (("accepted", "in_progress"), "resolved"),
    "confirm": (("resolved",), "confirmed"),
    "reopen": (("resolved",), "in_progress"),
    "withdraw": (NON_FINAL, "withdrawn"),
    "mark_duplicate": (NON_FINAL, "duplicate"),
}
NOTE_REQUIRED = {"resolve", "withdraw", "reopen", "mark_duplicate"}
EVENT_ROLES = ("officer", "station_leader", "district_leader", "city_leader", "admin")  # coordinators read only
CATEGORIES = ("dispute", "public_order", "fire_safety", "traffic", "missing_person", "help_request",
              "fraud", "environment", "other")  # seed 002 §3.1 names no list: a starting set, free text allowed
TEXT_MAX = 1000
CATEGORY_MAX = 40
DEPARTMENT_MAX = 60


# --- limits and clocks -----------------------------------------------------------------------

def hazard_tier(level: str) -> str:
    return f"hazard_{level}"


@dataclass(frozen=True)
class Clock:
    """A case's clock at ``now``: time left (negative when past), whether it is done, late,
    near its limit (within a fifth of it) and how far it escalated."""
    due_at: datetime
    limit: timedelta
    remaining: timedelta  # frozen at the response / rectification once done
    done: bool
    late: bool  # past the limit without a response, or answered after it
    near: bool
    escalation: str | None  # None | "station" (past its limit) | "district" (past twice its limit)


def clock(start: datetime, due_at: datetime, done_at: datetime | None, now: datetime,
          closed: bool = False) -> Clock:
    """The clock of a case started at ``start`` with limit ``due_at − start`` at ``now``.
    ``closed`` (withdrawn / duplicate): no clock runs."""
    limit = due_at - start
    if done_at is not None:
        return Clock(due_at, limit, due_at - done_at, True, done_at > due_at, False, None)
    remaining = due_at - now
    if closed:
        return Clock(due_at, limit, remaining, True, False, False, None)
    late = remaining < timedelta(0)
    escalation = None
    if late:
        escalation = "district" if now - start > 2 * limit else "station"
    return Clock(due_at, limit, remaining, False, late, not late and remaining <= limit * NEAR_SHARE, escalation)


def event_clock(e: GridEvent, now: datetime) -> Clock:
    return clock(e.created_at, e.due_at, e.responded_at, now, closed=e.status in ("withdrawn", "duplicate")
                 and e.responded_at is None)


def hazard_clock(h: Hazard, now: datetime) -> Clock:
    return clock(h.found_at, h.due_at, h.rectified_at, now, closed=h.status == "withdrawn")


def new_code(prefix: str, at: datetime) -> str:
    return f"{prefix}{at:%Y%m%d}-{secrets.token_hex(4).upper()}"


# --- shared checks ---------------------------------------------------------------------------

def _grid_in_scope(session: Session, actor: Actor, grid_id: int, action: str) -> OrgUnit:
    grid = session.get(OrgUnit, grid_id)
    if grid is None or grid.level != "grid":
        raise ValidationError("grid_id", "invalid")
    if not unit_in_scope(actor, grid):
        raise PermissionDenied(action, "scope")
    return grid


def _household_of(session: Session, household_id: int | None, grid: OrgUnit) -> int | None:
    if household_id is None:
        return None
    h = session.get(Household, household_id)
    if h is None or h.grid_id != grid.id:
        raise ValidationError("household_id", "invalid")
    return h.id


def _already_written(session: Session, model, client_token: str | None):
    """The record a first submission with this idempotency token wrote (a double click, a second tab)."""
    if not client_token:
        return None
    return session.exec(select(model).where(model.client_token == client_token)).first()


def _when(at: datetime | None, now: datetime, field: str) -> datetime:
    at = at or now
    if at > now:
        raise ValidationError(field, "future")
    return at


def _bump(session: Session, model, obj, expected_version: int, what: str, **changes):
    return versioning.bump(session, obj, expected_version, what, **changes)


# --- grid events -----------------------------------------------------------------------------

def report_event(*, session: Session, user, grid_id: int, tier: str, category: str, channel: str, now: datetime,
                 description: str | None = None, household_id: int | None = None,
                 created_at: datetime | None = None, client_token: str | None = None,
                 code: str | None = None) -> GridEvent:
    """Record a grid event (status open) on its tier's clock. A second call with the same
    ``client_token`` (a double click, a second tab) returns the event the first one wrote."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "event.create", EVENT_ROLES)
    existing = _already_written(session, GridEvent, client_token)
    if existing is not None:
        return existing
    if tier not in EVENT_TIERS:
        raise ValidationError("tier", "invalid", {"value": tier})
    if channel not in EVENT_CHANNELS:
        raise ValidationError("channel", "invalid", {"value": channel})
    grid = _grid_in_scope(session, actor, grid_id, "event.create")
    hh = _household_of(session, household_id, grid)
    cat = checked_text("category", category, CATEGORY_MAX, required=True)
    desc = checked_text("description", description, TEXT_MAX)
    created = _when(created_at, now, "created_at")
    e = GridEvent(code=code or new_code("E", created), client_token=client_token or None, grid_id=grid.id,
                  household_id=hh, channel=channel, tier=tier, category=cat, description=desc, status="open",
                  created_at=created, due_at=created + limits(session=session)[tier], reporter_id=actor.id,
                  created_month=month_of(created))
    session.add(e)
    session.flush()
    rollups.apply(session, add=event_contributions(e))
    _step(session, actor, e, "create", now, None, "open", None)
    audit.write(session, actor.username, "event.create", "grid_event", e.code,
                {"grid": grid.code, "tier": tier, "channel": channel}, at=now)
    return e


def _load(session: Session, actor: Actor, model, record_id: int, action: str):
    """The event or hazard ``record_id``: NotFound when there is none, PermissionDenied("scope")
    when its grid lies outside the actor's scope."""
    r = session.get(model, record_id)
    if r is None:
        raise NotFound(f"{model.__tablename__} {record_id}")
    _grid_in_scope(session, actor, r.grid_id, action)
    return r


def _step(session: Session, actor: Actor, e: GridEvent, action: str, now: datetime, frm: str | None,
          to: str | None, note: str | None) -> GridEventStep:
    s = GridEventStep(event_id=e.id, at=now, user_id=actor.id, username=actor.username, action=action,
                      from_status=frm, to_status=to, note=note)
    session.add(s)
    session.flush()
    return s


def allowed_event_actions(role: str, status: str) -> list[str]:
    if role not in EVENT_ROLES:
        return []
    return [a for a, (src, _) in TRANSITIONS.items() if status in src]


def event_step(*, session: Session, user, event_id: int, action: str, expected_version: int, now: datetime,
               note: str | None = None) -> GridEvent:
    """One step of an event's state machine, at the version the user saw."""
    if action not in TRANSITIONS:
        raise ValidationError("action", "unknown", {"value": action})
    actor = actor_of(session=session, user=user)
    require_role(actor, f"event.{action}", EVENT_ROLES)
    e = _load(session, actor, GridEvent, event_id, f"event.{action}")
    versioning.check_version(session, e, expected_version, "event")
    sources, target = TRANSITIONS[action]
    if e.status not in sources:
        raise InvalidTransition(action, e.status)
    text = checked_text("note", note, TEXT_MAX, required=action in NOTE_REQUIRED)
    if now < e.created_at:
        raise ValidationError("now", "before_created")
    changes: dict = {"status": target}
    if e.responded_at is None and action not in ("withdraw", "mark_duplicate"):
        changes["responded_at"] = now
        changes["response_seconds"] = int((now - e.created_at).total_seconds())
    if action == "resolve":
        changes["resolved_at"] = now
    if action == "reopen":
        changes["resolved_at"] = None
    if action == "confirm":
        changes["confirmed_at"] = now
    frm = e.status
    before = event_contributions(e)
    e = _bump(session, GridEvent, e, expected_version, "event", **changes)
    rollups.apply(session, add=event_contributions(e), remove=before)
    _step(session, actor, e, action, now, frm, target, text)
    audit.write(session, actor.username, f"event.{action}", "grid_event", e.code,
                {"from": frm, "to": target}, at=now)
    return e


def assign_event(*, session: Session, user, event_id: int, expected_version: int, now: datetime,
                 assignee_id: int | None = None, department: str | None = None) -> GridEvent:
    """Assign an officer whose scope covers the grid, and/or route to a department (部门联动)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "event.assign", EVENT_ROLES)
    e = _load(session, actor, GridEvent, event_id, "event.assign")
    grid = session.get(OrgUnit, e.grid_id)
    if e.status in FINAL:
        raise InvalidTransition("assign", e.status)
    if assignee_id is not None:
        target = session.get(User, assignee_id)
        if target is None or not target.active:
            raise ValidationError("assignee_id", "invalid")
        if not unit_in_scope(actor_of(session=session, user=target), grid):
            raise ValidationError("assignee_id", "out_of_scope")
    dept = checked_text("department", department, DEPARTMENT_MAX)
    e = _bump(session, GridEvent, e, expected_version, "event", assignee_id=assignee_id, department=dept)
    _step(session, actor, e, "assign", now, e.status, e.status, f"{assignee_id or '-'} / {dept or '-'}")
    audit.write(session, actor.username, "event.assign", "grid_event", e.code,
                {"assignee_id": assignee_id, "department": dept}, at=now)
    return e


def rate_event(*, session: Session, user, event_id: int, expected_version: int, now: datetime, rating: int,
               feedback: str | None = None) -> GridEvent:
    """The reporter's rating (1–5) and feedback once the event is resolved or confirmed."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "event.rate", EVENT_ROLES)
    e = _load(session, actor, GridEvent, event_id, "event.rate")
    if e.status not in ("resolved", "confirmed"):
        raise InvalidTransition("rate", e.status)
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError("rating", "range", {"min": 1, "max": 5})
    fb = checked_text("feedback", feedback, TEXT_MAX)
    e = _bump(session, GridEvent, e, expected_version, "event", rating=rating, feedback=fb)
    _step(session, actor, e, "rate", now, e.status, e.status, str(rating))
    audit.write(session, actor.username, "event.rate", "grid_event", e.code, {"rating": rating}, at=now)
    return e


def get_event(*, session: Session, user, event_id: int) -> GridEvent:
    """The event as it is now, if its grid is in the user's scope."""
    actor = actor_of(session=session, user=user)
    e = _load(session, actor, GridEvent, event_id, "event.read")
    return e


def get_hazard(*, session: Session, user, hazard_id: int) -> Hazard:
    actor = actor_of(session=session, user=user)
    h = _load(session, actor, Hazard, hazard_id, "hazard.read")
    return h


def event_history(*, session: Session, user, event_id: int) -> list[GridEventStep]:
    actor = actor_of(session=session, user=user)
    _load(session, actor, GridEvent, event_id, "event.history")
    return list(session.exec(select(GridEventStep).where(GridEventStep.event_id == event_id)
                             .order_by(GridEventStep.at, GridEventStep.id)).all())


@dataclass(frozen=True)
class OpenCase:
    kind: str  # "event" | "hazard"
    id: int
    code: str
    grid_code: str
    grid_name_zh: str
    grid_name_en: str | None
    tier: str  # the event's tier, or hazard_general / hazard_major
    category: str
    status: str
    started_at: datetime
    version: int
    clock: Clock


def open_cases(*, session: Session, user, now: datetime, kinds=("event", "hazard"), tiers=None,
               escalated_only: bool = False, under_path: str | None = None, limit: int = 500) -> list[OpenCase]:
    """Open events (not yet responded to) and open hazards (not rectified) in the user's scope
    (and under the unit at ``under_path``): the district's escalations (past twice their limit)
    first, then the station's (past their limit), then the rest, each by time left.
    ``escalated_only``: those past their limit."""
    actor = actor_of(session=session, user=user)
    out: list[OpenCase] = []
    where = [scope_clause(actor)] + ([OrgUnit.path.startswith(under_path)] if under_path else [])
    if "event" in kinds:
        stmt = (select(GridEvent, OrgUnit).join(OrgUnit, OrgUnit.id == GridEvent.grid_id)
                .where(*where, GridEvent.status == "open"))
        if tiers:
            stmt = stmt.where(GridEvent.tier.in_(list(tiers)))
        if escalated_only:
            stmt = stmt.where(GridEvent.due_at < now)
        for e, g in session.exec(stmt.order_by(GridEvent.due_at).limit(limit)).all():
            out.append(OpenCase("event", e.id, e.code, g.code, g.name_zh, g.name_en, e.tier, e.category, e.status,
                                e.created_at, e.version, event_clock(e, now)))
    if "hazard" in kinds:
        stmt = (select(Hazard, OrgUnit).join(OrgUnit, OrgUnit.id == Hazard.grid_id)
                .where(*where, Hazard.status == "open"))
        if tiers:
            levels = [t.removeprefix("hazard_") for t in tiers if t.startswith("hazard_")]
            stmt = stmt.where(Hazard.level.in_(levels))
        if escalated_only:
            stmt = stmt.where(Hazard.due_at < now)
        for h, g in session.exec(stmt.order_by(Hazard.due_at).limit(limit)).all():
            out.append(OpenCase("hazard", h.id, h.code, g.code, g.name_zh, g.name_en, hazard_tier(h.level),
                                h.item_code or "hazard", h.status, h.found_at, h.version, hazard_clock(h, now)))
    rank = {"district": 0, "station": 1, None: 2}
    return sorted(out, key=lambda c: (rank[c.clock.escalation], c.clock.remaining))[:limit]


# --- hazards ---------------------------------------------------------------------------------

def record_hazard(*, session: Session, user, grid_id: int, level: str, now: datetime,
                  description: str | None = None, household_id: int | None = None, handler: str = "grid_worker",
                  department: str | None = None, found_at: datetime | None = None,
                  client_token: str | None = None, code: str | None = None) -> Hazard:
    """A hazard found on its own (not from a visit answer), on the 24 h / 48 h rectification clock."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "hazard.create", EVENT_ROLES)
    existing = _already_written(session, Hazard, client_token)
    if existing is not None:
        return existing
    grid = _grid_in_scope(session, actor, grid_id, "hazard.create")
    return _new_hazard(session, actor, grid, level, now, description=description,
                       household_id=_household_of(session, household_id, grid), handler=handler,
                       department=department, found_at=_when(found_at, now, "found_at"),
                       client_token=client_token, code=code)


def _new_hazard(session: Session, actor: Actor, grid: OrgUnit, level: str, now: datetime, *, found_at: datetime,
                description=None, household_id=None, handler="grid_worker", department=None, visit_id=None,
                item_code=None, client_token=None, code=None) -> Hazard:
    if level not in HAZARD_LEVELS:
        raise ValidationError("level", "invalid", {"value": level})
    if handler not in ("grid_worker", "officer"):
        raise ValidationError("handler", "invalid", {"value": handler})
    dept = checked_text("department", department, DEPARTMENT_MAX)
    if handler == "officer" and not dept and level == "major":
        raise ValidationError("department", "required")  # a major hazard handled by an officer goes to a department
    h = Hazard(code=code or new_code("H", found_at), client_token=client_token or None, grid_id=grid.id,
               household_id=household_id, visit_id=visit_id, item_code=item_code, level=level,
               description=checked_text("description", description, TEXT_MAX), handler=handler,
               department=dept, status="open", found_at=found_at,
               due_at=found_at + limits(session=session)[hazard_tier(level)], recorded_by=actor.id,
               found_month=month_of(found_at))
    session.add(h)
    session.flush()
    rollups.apply(session, add=hazard_contributions(h))
    audit.write(session, actor.username, "hazard.create", "hazard", h.code,
                {"grid": grid.code, "level": level, "visit_id": visit_id, "item": item_code}, at=now)
    return h


def hazard_from_visit(*, session: Session, user, visit_id: int, item_code: str, level: str, now: datetime,
                      description: str | None = None, handler: str = "grid_worker",
                      department: str | None = None) -> Hazard:
    """Turn a visit's hazard answer into a hazard (one click): found when the visit took place.
    Asking twice for the same answer returns the hazard made the first time."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "hazard.create", EVENT_ROLES)
    v = session.get(Visit, visit_id)
    if v is None:
        raise NotFound(f"visit {visit_id}")
    grid = _grid_in_scope(session, actor, v.grid_id, "hazard.create")
    existing = session.exec(select(Hazard).where(Hazard.visit_id == visit_id, Hazard.item_code == item_code)).first()
    if existing is not None:
        return existing
    answer = session.exec(select(VisitAnswer).where(VisitAnswer.visit_id == visit_id,
                                                    VisitAnswer.item_code == item_code)).first()
    if answer is None or not item_code.startswith("hz_") or answer.value in ("", "false", "0", "none", None):
        raise ValidationError("item_code", "no_hazard")
    return _new_hazard(session, actor, grid, level, now, found_at=v.visited_at, description=description,
                       household_id=v.household_id, handler=handler, department=department, visit_id=v.id,
                       item_code=item_code)


def rectify_hazard(*, session: Session, user, hazard_id: int, expected_version: int, now: datetime,
                   evidence: str, rectified_at: datetime | None = None) -> Hazard:
    """Mark a hazard rectified; evidence (what was done, a photo or document reference) is required."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "hazard.rectify", EVENT_ROLES)
    h = _load(session, actor, Hazard, hazard_id, "hazard.rectify")
    versioning.check_version(session, h, expected_version, "hazard")
    if h.status != "open":
        raise InvalidTransition("rectify", h.status)
    ev = checked_text("evidence", evidence, TEXT_MAX, required=True)
    at = _when(rectified_at, now, "rectified_at")
    if at < h.found_at:
        raise ValidationError("rectified_at", "before_created")
    before = hazard_contributions(h)
    h = _bump(session, Hazard, h, expected_version, "hazard", status="rectified", rectified_at=at, evidence=ev,
              rectify_seconds=int((at - h.found_at).total_seconds()))
    rollups.apply(session, add=hazard_contributions(h), remove=before)
    audit.write(session, actor.username, "hazard.rectify", "hazard", h.code, {"late": at > h.due_at}, at=now)
    return h


# --- counts for the indicators ---------------------------------------------------------------

@dataclass(frozen=True)
class InTime:
    """``k`` of ``n`` cases answered within their limit (indicators.md), per unit."""
    k: int
    n: int


def in_time_counts(session: Session, *, kind: str, unit_col: str, unit_ids: list[int], start: datetime,
                   end: datetime, as_of: datetime, tier: str | None = None) -> dict[int, InTime]:
    """Per unit (grouped by the grid's ``unit_col`` ancestor column, e.g. "district_id"):
    ``event_response_in_time`` (kind "event") or ``hazard_rectified_in_time`` (kind "hazard").

    The set: cases started in [start, end] (and by as_of), events not withdrawn / duplicate
    (hazards not withdrawn), whose limit has passed by as_of or that were answered by as_of;
    in time: answered by as_of and no later than ``due_at``.

    The definition counted from the raw records: the dashboards read the same counts from the
    rollups (``kpi_queries.case_counts``), and a test checks both agree."""
    if kind == "event":
        m, started, done = GridEvent, GridEvent.created_at, GridEvent.responded_at
        alive = GridEvent.status.not_in(("withdrawn", "duplicate"))
    else:
        m, started, done = Hazard, Hazard.found_at, Hazard.rectified_at
        alive = Hazard.status != "withdrawn"
    group = getattr(OrgUnit, unit_col)
    ok = (done.is_not(None)) & (done <= as_of) & (done <= m.due_at)
    stmt = (select(group, func.count(), func.sum(case((ok, 1), else_=0)))
            .join(OrgUnit, OrgUnit.id == m.grid_id)
            .where(group.in_(unit_ids), started >= start, started <= min(end, as_of), alive,
                   or_(m.due_at <= as_of, (done.is_not(None)) & (done <= as_of)))
            .group_by(group))
    if tier is not None:
        stmt = stmt.where(m.tier == tier) if kind == "event" else stmt.where(m.level == tier.removeprefix("hazard_"))
    return {uid: InTime(int(k or 0), int(n)) for uid, n, k in session.execute(stmt)}


@dataclass(frozen=True)
class TimeLimitRow:
    """One unit's time-limit figures for a period: events answered in time and hazards rectified in
    time (``InTime``), and the events' median and 90th-percentile response in minutes."""
    unit_id: int
    events: InTime
    hazards: InTime
    median_min: float | None = None
    p90_min: float | None = None


def time_limit_summary(session: Session, *, unit_id: int, start: datetime, end: datetime,
                       as_of: datetime) -> tuple[TimeLimitRow, list[TimeLimitRow]]:
    """``event_response_in_time`` and ``hazard_rectified_in_time`` (indicators.md "Time-limited
    work") of the cases started in the months of [start, end], for a unit and each of its direct
    children (by code), with the unit's median and p90 response time — from the rollups
    (``kpi_queries.case_counts``) and one quantile query."""
    from data_access.analytics import kpi_queries as kq

    unit = kq.get_unit_by_id(session, unit_id)
    if unit is None:
        raise NotFound(f"org unit {unit_id}")
    kids = kq.children(session, unit) if unit.level != "grid" else []
    m1 = month_of(min(end, as_of))
    cells = kq.cases_by_unit(kq.case_counts(session, unit, month_of(start), m1, as_of) if month_of(start) <= m1
                             else {})

    def total(key: int | None, kind: str) -> InTime:
        vals = cells.get((key, kind), {}).values()
        return InTime(sum(k for k, _ in vals), sum(n for _, n in vals))

    def row(key: int | None, uid: int) -> TimeLimitRow:
        return TimeLimitRow(uid, total(key, "event"), total(key, "hazard"))

    qs = kq.response_quantiles(session, unit, start, end, as_of)[None]
    own = row(None, unit_id)
    own = TimeLimitRow(unit_id, own.events, own.hazards, qs[0.5], qs[0.9])
    return own, [row(k.id, k.id) for k in kids]
