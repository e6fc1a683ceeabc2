"""Privacy complaints (seed 000 §3.7): intake, investigation start within 24 h, result within
7 working days, deadlines tracked like needs.

Working days are Monday–Friday; public holidays and make-up working days are not modelled
(a team decision; the seed does not define them). The close deadline is the same clock time
on the 7th working day after the day the complaint was received.

States: received → in_progress → closed. Writes use optimistic locking on ``version``,
are audited (ids and states only; the complaint text is not copied into the audit log) and
never commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from data_access.core import audit, errors, versioning
from data_access.core.errors import InvalidTransition, PermissionDenied, ValidationError
from data_access.core.text import checked_text
from data_access.fieldwork.models import PrivacyComplaint
from data_access.fieldwork.records import household_in_scope
from data_access.org.models import OrgUnit
from data_access.org.scope import actor_of, require_active, require_role, scope_clause, unit_in_scope

START_LIMIT = timedelta(hours=24)
CLOSE_WORKING_DAYS = 7
INTAKE_ROLES = ("admin", "city_leader", "district_leader", "coordinator", "officer")  # officers take complaints in on the doorstep
HANDLE_ROLES = ("admin", "city_leader", "district_leader")
CHANNELS = ("hotline", "app", "letter", "visit", "other")


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` moved forward by ``days`` Monday–Friday days (same clock time)."""
    d = start
    n = 0
    while n < days:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n += 1
    return d


@dataclass(frozen=True)
class ComplaintClock:
    start_due_at: datetime
    close_due_at: datetime
    start_overdue: bool  # not started and past 24 h, or started late
    close_overdue: bool  # not closed and past 7 working days, or closed late
    start_near: bool  # not started, ≤ 6 h left
    close_near: bool  # not closed, ≤ 1 day left


def clock(c: PrivacyComplaint, now: datetime) -> ComplaintClock:
    start_due = c.received_at + START_LIMIT
    close_due = add_working_days(c.received_at, CLOSE_WORKING_DAYS)
    start_over = (c.started_at > start_due) if c.started_at else now > start_due
    close_over = (c.closed_at > close_due) if c.closed_at else now > close_due
    start_near = c.started_at is None and not start_over and start_due - now <= timedelta(hours=6)
    close_near = c.closed_at is None and not close_over and close_due - now <= timedelta(days=1)
    return ComplaintClock(start_due, close_due, start_over, close_over, start_near, close_near)




def receive(*, session: Session, user, received_at: datetime, summary: str, org_unit_id: int, now: datetime,
            channel: str = "hotline", household_id: int | None = None, code: str | None = None) -> PrivacyComplaint:
    """Record a complaint about the unit ``org_unit_id`` (must lie in the user's scope)."""
    from data_access.fieldwork.needs import new_code

    actor = actor_of(session=session, user=user)
    require_role(actor, "complaint.receive", INTAKE_ROLES)
    unit = session.get(OrgUnit, org_unit_id)
    if unit is None:
        raise ValidationError("org_unit_id", "unknown")
    if not unit_in_scope(actor, unit):
        raise PermissionDenied("complaint.receive", "scope")
    if household_id is not None:
        household_in_scope(session=session, actor=actor, household_id=household_id, action="complaint.receive")
    if received_at > now:
        raise ValidationError("received_at", "future")
    if channel not in CHANNELS:
        raise ValidationError("channel", "choice", {"options": list(CHANNELS)})
    text = checked_text("summary", summary, 1000, required=True)
    c = PrivacyComplaint(code=code or new_code(received_at, "PC"), received_at=received_at, channel=channel,
                         org_unit_id=unit.id, household_id=household_id, summary=text, status="received",
                         start_due_at=received_at + START_LIMIT,
                         close_due_at=add_working_days(received_at, CLOSE_WORKING_DAYS), version=1)
    session.add(c)
    session.flush()
    audit.write(session, actor.username, "complaint.receive", "privacy_complaint", c.code,
                {"org_unit_id": unit.id, "channel": channel}, at=now)
    return c


def _step(session: Session, user, complaint_id: int, expected_version: int, now: datetime, action: str,
          src: str, values: dict) -> PrivacyComplaint:
    actor = actor_of(session=session, user=user)
    require_role(actor, f"complaint.{action}", HANDLE_ROLES)
    c = session.get(PrivacyComplaint, complaint_id)
    if c is None:
        raise errors.NotFound(f"complaint {complaint_id}")
    unit = session.get(OrgUnit, c.org_unit_id) if c.org_unit_id else None
    if unit is None or not unit_in_scope(actor, unit):
        raise PermissionDenied(f"complaint.{action}", "scope")
    versioning.check_version(session, c, expected_version, "complaint")
    if c.status != src:
        raise InvalidTransition(action, c.status)
    if now < c.received_at:
        raise ValidationError("now", "before_received")
    res = session.execute(update(PrivacyComplaint).where(PrivacyComplaint.id == c.id,
                                                         PrivacyComplaint.version == expected_version)
                          .values(**values, version=expected_version + 1))
    if res.rowcount != 1:
        raise errors.ConcurrentEdit("complaint changed by someone else")
    session.refresh(c)
    audit.write(session, actor.username, f"complaint.{action}", "privacy_complaint", c.code,
                {"status": c.status}, at=now)
    return c


def start_investigation(*, session: Session, user, complaint_id: int, expected_version: int,
                        now: datetime) -> PrivacyComplaint:
    actor = actor_of(session=session, user=user)
    return _step(session, actor, complaint_id, expected_version, now, "start", "received",
                 {"status": "in_progress", "started_at": now, "handler_id": actor.id})


def close(*, session: Session, user, complaint_id: int, expected_version: int, result: str,
          now: datetime) -> PrivacyComplaint:
    text = checked_text("result", result, 2000, required=True)
    return _step(session, user, complaint_id, expected_version, now, "close", "in_progress",
                 {"status": "closed", "closed_at": now, "result": text})


@dataclass(frozen=True)
class ComplaintRow:
    id: int
    code: str
    received_at: datetime
    channel: str
    org_unit_id: int | None
    status: str
    version: int
    clock: ComplaintClock


def list_complaints(*, session: Session, user, now: datetime, statuses: list[str] | None = None,
                    overdue_only: bool = False, limit: int = 200) -> list[ComplaintRow]:
    """Complaints about units in the user's scope, oldest first (summary text not included)."""
    actor = actor_of(session=session, user=user)
    require_active(actor, "complaint.list")
    q = (select(PrivacyComplaint).join(OrgUnit, OrgUnit.id == PrivacyComplaint.org_unit_id)
         .where(scope_clause(actor)))
    if statuses:
        q = q.where(PrivacyComplaint.status.in_(statuses))
    if overdue_only:
        q = q.where(((PrivacyComplaint.status == "received") & (PrivacyComplaint.start_due_at < now))
                    | ((PrivacyComplaint.status != "closed") & (PrivacyComplaint.close_due_at < now)))
    rows = session.exec(q.order_by(PrivacyComplaint.received_at, PrivacyComplaint.id).limit(limit)).all()
    return [ComplaintRow(c.id, c.code, c.received_at, c.channel, c.org_unit_id, c.status, c.version, clock(c, now))
            for c in rows]
