"""Security incidents on three clocks (seed 003 §6.4; indicators.md "Security incidents").

"一旦发生安全事件，1小时内启动应急预案，24小时内完成溯源分析，7天内完成整改并提交报告": each
incident has ``detected_at`` and three due times (plan started ≤ 1 h, trace analysis done ≤ 24 h,
rectified with a report ≤ 7 days), stored at registration. The steps come in order (plan →
trace → rectify); rectifying needs the report and closes the incident.
**security_incident_in_time** = incidents whose three steps each met their limit / incidents
whose 7-day limit has passed by as_of or that are rectified (counted in
``data_access.analytics.kpi_queries.incident_counts``).

A confirmed data leak (kind ``data_leak``) becomes the unit's one-vote-veto event (一票否决,
``veto_event``, kind ``privacy_breach``, dated the day it was detected).

Every write is audited and carries the version the user saw; registering carries an idempotency
token. Functions take a keyword-only ``session`` and never commit.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from data_access.core import audit
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, ValidationError
from data_access.core.text import checked_text
from data_access.core.versioning import bump
from data_access.org.models import OrgUnit
from data_access.org.scope import Actor, actor_of, require_role, scope_clause, scoped_unit
from data_access.programme.models import INCIDENT_KINDS, SecurityIncident, VetoEvent

PLAN_LIMIT = timedelta(hours=1)
TRACE_LIMIT = timedelta(hours=24)
RECTIFY_LIMIT = timedelta(days=7)
STEPS = ("plan", "trace", "rectify")
STEP_COLUMN = {"plan": "plan_started_at", "trace": "trace_done_at", "rectify": "rectified_at"}
DUE_COLUMN = {"plan": "plan_due_at", "trace": "trace_due_at", "rectify": "rectify_due_at"}
WRITE_ROLES = ("admin", "coordinator", "city_leader", "district_leader")
READ_ROLES = WRITE_ROLES
VETO_ROLES = ("admin", "city_leader")
TITLE_MAX = 300
REPORT_MAX = 4000
REPORT_MIN = 10


def new_code(at: datetime) -> str:
    return f"SI{at:%Y%m%d}-{secrets.token_hex(3).upper()}"


def dues(detected_at: datetime) -> tuple[datetime, datetime, datetime]:
    """(plan, trace, rectify) due times: detection + 1 h, + 24 h, + 7 days."""
    return detected_at + PLAN_LIMIT, detected_at + TRACE_LIMIT, detected_at + RECTIFY_LIMIT


@dataclass(frozen=True)
class StepClock:
    """One step's clock at ``now``: ``state`` is "in_time" / "late" (done, within or after its limit),
    "overdue" (not done, past its limit) or "running" (not done, limit ahead)."""
    step: str
    due_at: datetime
    done_at: datetime | None
    state: str
    remaining: timedelta  # due − now while running, due − done once done


def step_clock(step: str, due_at: datetime, done_at: datetime | None, now: datetime) -> StepClock:
    if done_at is not None:
        return StepClock(step, due_at, done_at, "in_time" if done_at <= due_at else "late", due_at - done_at)
    return StepClock(step, due_at, None, "overdue" if now > due_at else "running", due_at - now)


def clocks(i: SecurityIncident, now: datetime) -> tuple[StepClock, StepClock, StepClock]:
    return tuple(step_clock(s, getattr(i, DUE_COLUMN[s]), getattr(i, STEP_COLUMN[s]), now)  # type: ignore[return-value]
                 for s in STEPS)


def in_time(i: SecurityIncident, as_of: datetime) -> bool | None:
    """The indicator's rule for one incident at ``as_of``: None when it is not counted yet (its 7-day
    limit is ahead and it is not rectified), else whether all three steps met their limit."""
    done = i.rectified_at is not None and i.rectified_at <= as_of
    if not done and i.rectify_due_at > as_of:
        return None
    return all(getattr(i, STEP_COLUMN[s]) is not None and getattr(i, STEP_COLUMN[s]) <= as_of
               and getattr(i, STEP_COLUMN[s]) <= getattr(i, DUE_COLUMN[s]) for s in STEPS)


def register(*, session: Session, user, org_unit_id: int, kind: str, title: str, detected_at: datetime,
             now: datetime, client_token: str | None = None, code: str | None = None) -> SecurityIncident:
    """Register an incident detected at ``detected_at`` (not in the future) with its three due times."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "incident.create", WRITE_ROLES)
    if client_token:
        got = session.scalars(select(SecurityIncident).where(SecurityIncident.client_token == client_token)).first()
        if got is not None:
            return got
    if kind not in INCIDENT_KINDS:
        raise ValidationError("kind", "choice", {"options": list(INCIDENT_KINDS)})
    unit = scoped_unit(session, actor, org_unit_id, "incident.create")
    name = checked_text("title", title, TITLE_MAX, required=True)
    if not isinstance(detected_at, datetime):
        raise ValidationError("detected_at", "required")
    if detected_at > now:
        raise ValidationError("detected_at", "future")
    p, t, r = dues(detected_at)
    i = SecurityIncident(code=code or new_code(detected_at), client_token=client_token or None, org_unit_id=unit.id,
                         kind=kind, title=name, detected_at=detected_at, plan_due_at=p, trace_due_at=t,
                         rectify_due_at=r, status="open", created_by=actor.username, created_at=now)
    session.add(i)
    session.flush()
    audit.write(session, actor.username, "incident.create", "security_incident", i.code,
                {"unit": unit.code, "kind": kind, "detected_at": detected_at.isoformat(timespec="minutes")}, at=now)
    return i


def _load(session: Session, actor: Actor, incident_id: int, action: str) -> SecurityIncident:
    i = session.get(SecurityIncident, incident_id)
    if i is None:
        raise NotFound(f"security incident {incident_id}")
    scoped_unit(session, actor, i.org_unit_id, action)
    return i


def _bump(session: Session, i: SecurityIncident, expected_version: int, **changes) -> SecurityIncident:
    return bump(session, i, expected_version, "security incident", **changes)


def record_step(*, session: Session, user, incident_id: int, step: str, at: datetime, expected_version: int,
                now: datetime, report: str | None = None) -> SecurityIncident:
    """Record when a step was done (``at``: not before detection or the previous step, not in the
    future). Steps come in order; "rectify" needs the rectification report and closes the incident."""
    if step not in STEPS:
        raise ValidationError("step", "choice", {"options": list(STEPS)})
    actor = actor_of(session=session, user=user)
    require_role(actor, f"incident.{step}", WRITE_ROLES)
    i = _load(session, actor, incident_id, f"incident.{step}")
    if i.version != expected_version:
        raise ConcurrentEdit("security incident changed by someone else")
    k = STEPS.index(step)
    if getattr(i, STEP_COLUMN[step]) is not None:
        raise InvalidTransition(step, "done")
    if k > 0 and getattr(i, STEP_COLUMN[STEPS[k - 1]]) is None:
        raise InvalidTransition(step, f"{STEPS[k - 1]}_pending")
    if not isinstance(at, datetime):
        raise ValidationError("at", "required")
    if at > now:
        raise ValidationError("at", "future")
    before = i.detected_at if k == 0 else getattr(i, STEP_COLUMN[STEPS[k - 1]])
    if at < before:
        raise ValidationError("at", "before_created")
    changes: dict = {STEP_COLUMN[step]: at}
    if step == "rectify":
        text = checked_text("report", report, REPORT_MAX, required=True)
        if len(text) < REPORT_MIN:
            raise ValidationError("report", "too_short", {"min": REPORT_MIN})
        changes.update(report=text, status="closed")
    i = _bump(session, i, expected_version, **changes)
    audit.write(session, actor.username, f"incident.{step}", "security_incident", i.code,
                {"at": at.isoformat(timespec="minutes"), "late": at > getattr(i, DUE_COLUMN[step])}, at=now)
    return i


def confirm_leak(*, session: Session, user, incident_id: int, expected_version: int, now: datetime,
                 note: str | None = None) -> SecurityIncident:
    """Confirm that a data-leak incident leaked personal data: the unit gets a confirmed one-vote-veto
    event (kind privacy_breach, dated the detection day) linked to the incident. Admins and city leaders."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "incident.confirm_leak", VETO_ROLES)
    i = _load(session, actor, incident_id, "incident.confirm_leak")
    if i.version != expected_version:
        raise ConcurrentEdit("security incident changed by someone else")
    if i.kind != "data_leak":
        raise InvalidTransition("confirm_leak", i.kind)
    if i.leak_confirmed:
        raise InvalidTransition("confirm_leak", "confirmed")
    text = checked_text("note", note, 500)
    veto = VetoEvent(org_unit_id=i.org_unit_id, occurred_on=i.detected_at.date(), kind="privacy_breach",
                     confirmed=True, note=f"{i.code} {text or ''}".strip())
    session.add(veto)
    session.flush()
    i = _bump(session, i, expected_version, leak_confirmed=True, veto_event_id=veto.id)
    audit.write(session, actor.username, "incident.confirm_leak", "security_incident", i.code,
                {"veto_event_id": veto.id, "unit_id": i.org_unit_id}, at=now)
    return i


@dataclass(frozen=True)
class IncidentView:
    id: int
    code: str
    unit_code: str
    unit_name_zh: str
    unit_name_en: str | None
    kind: str
    title: str
    detected_at: datetime
    status: str
    report: str | None
    leak_confirmed: bool
    version: int
    clocks: tuple[StepClock, StepClock, StepClock]
    in_time: bool | None
    unit_id: int | None = None


def list_incidents(*, session: Session, user, now: datetime, since: date | None = None,
                   open_only: bool = False) -> list[IncidentView]:
    """Incidents in the user's scope, newest first (open ones first when ``open_only`` is False)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "incident.read", READ_ROLES)
    S = SecurityIncident
    stmt = (select(S, OrgUnit).join(OrgUnit, OrgUnit.id == S.org_unit_id).where(scope_clause(actor))
            .order_by((S.status == "closed"), S.detected_at.desc()))
    if since is not None:
        stmt = stmt.where(S.detected_at >= datetime.combine(since, datetime.min.time()))
    if open_only:
        stmt = stmt.where(S.status != "closed")
    return [IncidentView(i.id, i.code, u.code, u.name_zh, u.name_en, i.kind, i.title, i.detected_at, i.status,
                         i.report, i.leak_confirmed, i.version, clocks(i, now), in_time(i, now), u.id)
            for i, u in session.execute(stmt).all()]
