"""Residents' needs: creation, the state machine, history, deadlines and the tracker query.

States: open → accepted → in_progress → resolved → confirmed (the resident confirms, the
officer records it); withdrawn / duplicate from any non-final state; a resolved need the
resident does not accept can be reopened (→ in_progress). Who may take which step is the
data table ``ROLE_ACTIONS``; on top of the role, the need's grid must lie in the user's scope
(an officer: their own grid(s); a district leader: their district; admin / city leader:
the city). Coordinators read only.

``responded_at`` is set at the first step out of ``open`` (normally *accept*; withdrawing or
marking a duplicate does not count as a response), ``resolved_at`` at *resolve*. Every step
goes through ``records.update_need`` (optimistic locking: a second editor holding an old
version gets ConcurrentEdit and the first change stays), writes a NeedEvent history row
and an audit row. Functions never commit.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from data_access.core import audit, errors, versioning
from data_access.core.errors import InvalidTransition, PermissionDenied, ValidationError
from data_access.core.text import checked_text
from data_access.fieldwork import records
from data_access.fieldwork.limits import limits as time_limits
from data_access.fieldwork.limits import need_limit
from data_access.fieldwork.models import Household, Need, NeedEvent
from data_access.fieldwork.records import household_in_scope
from data_access.org.models import OrgUnit, User
from data_access.org.scope import Actor, actor_of, require_active, require_role, scope_clause, unit_in_scope

FINAL = ("confirmed", "withdrawn", "duplicate")
NON_FINAL = ("open", "accepted", "in_progress", "resolved")

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": (("open",), "accepted"),
    "start": (("accepted",), "in_progress"),
    "resolve": (("in_progress",), "resolved"),
    "confirm": (("resolved",), "confirmed"),
    "reopen": (("resolved",), "in_progress"),
    "withdraw": (NON_FINAL, "withdrawn"),
    "mark_duplicate": (NON_FINAL, "duplicate"),
}

_ALL_STEPS = frozenset(TRANSITIONS)
# role → actions it may take (within its scope); "create", "assign" and "note" are not state changes
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "officer": _ALL_STEPS | {"create", "assign", "note"},
    "district_leader": (_ALL_STEPS - {"confirm"}) | {"create", "assign", "note"},
    "station_leader": (_ALL_STEPS - {"confirm"}) | {"create", "assign", "note"},
    "city_leader": (_ALL_STEPS - {"confirm"}) | {"assign", "note"},
    "admin": _ALL_STEPS | {"create", "assign", "note"},
    "coordinator": frozenset(),
}
# steps that need a note (the resolution text, the reason for withdrawing / reopening)
NOTE_REQUIRED = {"resolve", "withdraw", "reopen", "mark_duplicate"}
NOTE_MAX = 1000
CATEGORY_MAX = 40
DESCRIPTION_MAX = 1000

NEAR = timedelta(hours=12)

# Need categories offered by the form (seed 000 §6.4 examples + common ones); free text allowed.
CATEGORIES = ("lighting", "anti_fraud", "elderly_care", "emergency_alarm", "disability", "employment",
              "dispute", "security", "environment", "other")


def allowed_actions(role: str, status: str) -> list[str]:
    """The state-changing actions ``role`` may take on a need in ``status`` (scope aside)."""
    return [a for a, (src, _) in TRANSITIONS.items() if status in src and a in ROLE_ACTIONS.get(role, ())]


def sla_hours(*, session: Session) -> float:
    """The need tier's response limit in hours (app_setting ``time_limits``, default 48); a
    one-button alarm runs on the emergency tier instead (``need_limits``)."""
    return time_limits(session=session)["need"].total_seconds() / 3600.0


def need_limits(*, session: Session) -> dict[str, timedelta]:
    """The tiers in force, for :func:`deadline` (a need's limit depends on its category)."""
    return time_limits(session=session)


# --- deadlines -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    due_at: datetime  # created_at + the need's limit (48 h; a one-button alarm 5 min)
    remaining: timedelta  # due_at − now (negative when overdue); frozen at the response once responded
    responded: bool
    overdue: bool  # not responded and past due, or responded late
    near: bool  # not responded, not overdue, ≤ 12 h left
    met: bool | None  # responded within the limit (None while open and not yet due)


def deadline_of(need: Need, limits: dict[str, timedelta] | None = None) -> datetime:
    """When ``need`` is due: its creation + the limit of its category's tier under ``limits``."""
    return need.created_at + need_limit(need.category, limits)


def deadline(need: Need, now: datetime, limits: dict[str, timedelta] | None = None, near: timedelta = NEAR
             ) -> Deadline:
    """The response clock of ``need`` at ``now`` (48 h; 5 min for a one-button alarm).
    Withdrawn/duplicate needs have no clock (never overdue or near)."""
    due = deadline_of(need, limits)
    if need.status in ("withdrawn", "duplicate"):
        return Deadline(due, due - now, need.responded_at is not None, False, False, None)
    if need.responded_at is not None:
        ok = need.responded_at <= due
        return Deadline(due, due - need.responded_at, True, not ok, False, ok)
    remaining = due - now
    overdue = remaining < timedelta(0)
    return Deadline(due, remaining, False, overdue, (not overdue) and remaining <= near,
                    False if overdue else None)


def remaining_hours(need: Need, now: datetime, limits: dict[str, timedelta] | None = None) -> float:
    return deadline(need, now, limits).remaining.total_seconds() / 3600.0


def is_overdue(need: Need, now: datetime, limits: dict[str, timedelta] | None = None) -> bool:
    return deadline(need, now, limits).overdue


def is_near(need: Need, now: datetime, limits: dict[str, timedelta] | None = None, near: timedelta = NEAR) -> bool:
    return deadline(need, now, limits, near).near


# --- helpers ---------------------------------------------------------------------------------



def _load(session: Session, need_id: int) -> Need:
    n = session.get(Need, need_id)
    if n is None:
        raise errors.NotFound(f"need {need_id}")
    return n


def _check(session: Session, actor: Actor, need: Need, action: str) -> None:
    require_role(actor, f"need.{action}", [r for r, acts in ROLE_ACTIONS.items() if action in acts])
    grid = session.get(OrgUnit, need.grid_id)
    if grid is None or not unit_in_scope(actor, grid):
        raise PermissionDenied(f"need.{action}", "scope")


def _event(session: Session, actor: Actor, need: Need, action: str, now: datetime, frm: str | None,
           to: str | None, note: str | None) -> NeedEvent:
    ev = NeedEvent(need_id=need.id, at=now, user_id=actor.id, username=actor.username, action=action,
                   from_status=frm, to_status=to, note=note)
    session.add(ev)
    session.flush()
    return ev


def new_code(now: datetime, prefix: str = "N") -> str:
    return f"{prefix}{now:%Y%m%d}-{secrets.token_hex(4).upper()}"


# --- writes ----------------------------------------------------------------------------------

def create_need(*, session: Session, user, household_id: int, category: str, now: datetime,
                description: str | None = None, visit_id: int | None = None,
                created_at: datetime | None = None, code: str | None = None) -> Need:
    """Record a new need (status open) for a household in the user's scope."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "need.create", [r for r, acts in ROLE_ACTIONS.items() if "create" in acts])
    h, _ = household_in_scope(session=session, actor=actor, household_id=household_id, action="need.create")
    cat = checked_text("category", category, CATEGORY_MAX, required=True)
    desc = checked_text("description", description, DESCRIPTION_MAX)
    created = created_at or now
    if created > now:
        raise ValidationError("created_at", "future")
    n = records.add_need(session=session, need=Need(
        code=code or new_code(created), household_id=h.id, grid_id=h.grid_id, visit_id=visit_id, category=cat,
        description=desc, created_at=created, status="open"))
    _event(session, actor, n, "create", now, None, "open", None)
    audit.write(session, actor.username, "need.create", "need", n.code,
                {"household_id": h.id, "category": cat, "visit_id": visit_id}, at=now)
    return n


def transition(*, session: Session, user, need_id: int, action: str, expected_version: int, now: datetime,
               note: str | None = None, duplicate_of: int | None = None) -> Need:
    """Take one step of the state machine on a need the user holds at ``expected_version``.

    Raises InvalidTransition (wrong status), PermissionDenied (role/scope), ValidationError
    (note missing/too long, time before creation), ConcurrentEdit (someone changed it first).
    """
    if action not in TRANSITIONS:
        raise ValidationError("action", "unknown", {"value": action})
    actor = actor_of(session=session, user=user)
    need = _load(session, need_id)
    _check(session, actor, need, action)
    versioning.check_version(session, need, expected_version, "need")
    sources, target = TRANSITIONS[action]
    if need.status not in sources:
        raise InvalidTransition(action, need.status)
    text = checked_text("note", note, NOTE_MAX, required=action in NOTE_REQUIRED)
    if now < need.created_at:
        raise ValidationError("now", "before_created")
    changes: dict = {"status": target}
    if need.status == "open" and action not in ("withdraw", "mark_duplicate") and need.responded_at is None:
        changes["responded_at"] = now
    if action == "resolve":
        changes["resolved_at"] = now
        changes["note"] = text
    if action == "reopen":
        changes["resolved_at"] = None
    if action == "mark_duplicate":
        if duplicate_of is None or duplicate_of == need.id or session.get(Need, duplicate_of) is None:
            raise ValidationError("duplicate_of", "required" if duplicate_of is None else "invalid")
    frm = need.status
    need = records.update_need(session=session, need_id=need.id, expected_version=expected_version,
                               username=actor.username, **changes)
    ev_note = text if duplicate_of is None else f"[dup:{duplicate_of}] {text or ''}".strip()[:NOTE_MAX]
    _event(session, actor, need, action, now, frm, target, ev_note)
    detail = {"action": action, "from": frm, "to": target}
    if duplicate_of is not None:
        detail["duplicate_of"] = duplicate_of
    audit.write(session, actor.username, f"need.{action}", "need", need.code, detail, at=now)
    return need


def assign(*, session: Session, user, need_id: int, assignee_id: int | None, expected_version: int,
           now: datetime) -> Need:
    """Set (or clear) who handles a need; the assignee must be an active user whose scope covers it."""
    actor = actor_of(session=session, user=user)
    need = _load(session, need_id)
    _check(session, actor, need, "assign")
    if need.status in FINAL:
        raise InvalidTransition("assign", need.status)
    if assignee_id is not None:
        target = session.get(User, assignee_id)
        grid = session.get(OrgUnit, need.grid_id)
        if target is None or not target.active:
            raise ValidationError("assignee_id", "invalid")
        if not unit_in_scope(actor_of(session=session, user=target), grid):
            raise ValidationError("assignee_id", "out_of_scope")
    old = need.assignee_id
    need = records.update_need(session=session, need_id=need.id, expected_version=expected_version,
                               username=actor.username, assignee_id=assignee_id)
    _event(session, actor, need, "assign", now, need.status, need.status,
           f"{old or '-'} -> {assignee_id or '-'}")
    return need


def add_note(*, session: Session, user, need_id: int, note: str, now: datetime) -> NeedEvent:
    """Append a note to a need's history (does not change the need, so never conflicts)."""
    actor = actor_of(session=session, user=user)
    need = _load(session, need_id)
    _check(session, actor, need, "note")
    text = checked_text("note", note, NOTE_MAX, required=True)
    ev = _event(session, actor, need, "note", now, need.status, need.status, text)
    audit.write(session, actor.username, "need.note", "need", need.code, {"event_id": ev.id}, at=now)
    return ev


# --- reads -----------------------------------------------------------------------------------

def history(*, session: Session, user, need_id: int) -> list[NeedEvent]:
    """The need's events, oldest first (anyone whose scope covers the need may read them)."""
    actor = actor_of(session=session, user=user)
    require_active(actor, "need.history")
    need = _load(session, need_id)
    grid = session.get(OrgUnit, need.grid_id)
    if grid is None or not unit_in_scope(actor, grid):
        raise PermissionDenied("need.history", "scope")
    return list(session.exec(select(NeedEvent).where(NeedEvent.need_id == need_id)
                             .order_by(NeedEvent.at, NeedEvent.id)).all())


@dataclass(frozen=True)
class NeedRow:
    id: int
    code: str
    household_id: int
    household_code: str
    address: str
    grid_id: int
    grid_code: str
    category: str
    description: str | None
    status: str
    created_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    assignee_id: int | None
    version: int
    deadline: Deadline
    actions: tuple[str, ...]  # steps this user may take now


def list_needs(*, session: Session, user, now: datetime, statuses: list[str] | None = None,
               categories: list[str] | None = None, unit_id: int | None = None, deadline_filter: str | None = None,
               assignee_id: int | None = None, limit: int = 200, offset: int = 0) -> list[NeedRow]:
    """Needs in the user's scope (optionally under ``unit_id``), filtered in SQL.

    ``deadline_filter``: "overdue" (open and past its limit), "near" (open, ≤ 12 h left), "open_clock"
    (open: the clock runs). Sorted by due time, most urgent first.
    """
    actor = actor_of(session=session, user=user)
    require_active(actor, "need.list")
    lim = need_limits(session=session)
    q = (select(Need, Household.code, Household.address, OrgUnit.code)
         .join(Household, Household.id == Need.household_id)
         .join(OrgUnit, OrgUnit.id == Need.grid_id)
         .where(scope_clause(actor)))
    if unit_id is not None:
        unit = session.get(OrgUnit, unit_id)
        if unit is None or not unit_in_scope(actor, unit):
            raise PermissionDenied("need.list", "scope")
        q = q.where(OrgUnit.path.startswith(unit.path))
    if statuses:
        q = q.where(Need.status.in_(statuses))
    if categories:
        q = q.where(Need.category.in_(categories))
    if assignee_id is not None:
        q = q.where(Need.assignee_id == assignee_id)
    if deadline_filter is not None:
        q = q.where(Need.status == "open", Need.responded_at.is_(None))
        # an open need without a response is due at its stored sla_due_at (its limit when created)
        if deadline_filter == "overdue":
            q = q.where(Need.sla_due_at < now)
        elif deadline_filter == "near":
            q = q.where(Need.sla_due_at >= now, Need.sla_due_at <= now + NEAR)
        elif deadline_filter != "open_clock":
            raise ValidationError("deadline_filter", "unknown", {"value": deadline_filter})
    q = q.order_by(Need.created_at, Need.id).offset(offset).limit(limit)
    out = []
    for n, hcode, addr, gcode in session.exec(q).all():
        acts = tuple(allowed_actions(actor.role, n.status)) if actor.active else ()
        out.append(NeedRow(n.id, n.code, n.household_id, hcode, addr, n.grid_id, gcode, n.category, n.description,
                           n.status, n.created_at, n.responded_at, n.resolved_at, n.assignee_id, n.version,
                           deadline(n, now, lim), acts))
    return out


def count_by_status(*, session: Session, user) -> dict[str, int]:
    """Needs per status in the user's scope (one GROUP BY)."""
    actor = actor_of(session=session, user=user)
    rows = session.exec(select(Need.status, func.count()).join(OrgUnit, OrgUnit.id == Need.grid_id)
                        .where(scope_clause(actor)).group_by(Need.status)).all()
    return {s: int(c) for s, c in rows}


def open_clock_clause(now: datetime, near: timedelta = NEAR):
    """SQL: open needs without a response whose deadline (their stored due time) is within
    ``near`` or past."""
    return (Need.status == "open") & Need.responded_at.is_(None) & (Need.sla_due_at <= now + near)

