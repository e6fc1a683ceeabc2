"""Writes of the assisted-person register (帮扶对象, seed 004 §3.2–§3.5; indicators.md "Assisted persons").

- **Register**: one file per person, a reference to an existing resident (name, ID number and
  phone stay on the resident row, encrypted there — never copied here), with group, risk level
  (dated history), responsible helper (帮扶责任人), employment status, assistance measures.
- **Helpers are officers**: the seed names the community police officer (社区民警) as the one who
  visits high-risk subjects weekly (§2.2, §7.3) and the 帮扶责任人 who receives the warnings
  (§5.4); a helper is an active *officer* account whose scope shares the person's community (their
  own grid, a neighbouring grid, or a unit above the grid). No new role: 我的任务 is the officers'.
- **Visits**: high-risk persons are visited every 7 days (``WEEKLY_DAYS``).
- **Counselling**: sessions are scheduled, then marked attended or missed (once). Three
  consecutive misses (in scheduled order; an attended session resets the run, a session not yet
  marked neither counts nor resets) raise an alert to the helper; a run that goes on raises one
  again at its 6th, 9th … miss. An alert stays open until acknowledged with a note.

Who may write: officers (the helper or an officer of the person's grid), coordinators and admins
in their scope; leaders only read counts (``queries.unit_counts``). Every change is audited
(ids, codes and levels only — never a name). Functions take a keyword-only ``session`` and never
commit; edits are optimistic-locked on ``version``.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime, time

from sqlalchemy import update
from sqlmodel import Session, select

from data_access.core import audit
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied, ValidationError
from data_access.core.text import checked_text
from data_access.fieldwork.models import Household, Resident
from data_access.org.models import OrgUnit, User
from data_access.org.scope import Actor, actor_of, require_role, unit_in_scope

from .models import (
    EMPLOYMENT,
    GROUPS,
    MEASURES,
    OUTCOMES,
    RISKS,
    AssistanceMeasure,
    AssistedPerson,
    AssistedRiskChange,
    CounsellingAlert,
    CounsellingSession,
    PersonVisit,
)

WEEKLY_DAYS = 7  # high-risk persons: one visit every week (每周一访, seed 004 §7.3)
MISS_RUN = 3  # three consecutive missed counselling sessions raise an alert (seed 004 §5.4)
DETAIL_ROLES = ("officer", "coordinator", "admin")  # who may see names and details (and write)
NOTE_MAX = 500
REASON_MIN = 2


# --- access ----------------------------------------------------------------------------------

def grid_of(session: Session, person: AssistedPerson) -> OrgUnit:
    g = session.get(OrgUnit, person.grid_id)
    if g is None:
        raise NotFound(f"org unit {person.grid_id}")
    return g


def may_see(actor: Actor, person: AssistedPerson, grid: OrgUnit) -> bool:
    """Names and details: the person's helper, an officer of the person's grid (scope covering it),
    coordinators and admins in scope. District and city leaders never (counts only)."""
    if not actor.active or actor.role not in DETAIL_ROLES:
        return False
    if actor.role == "officer" and person.helper_id == actor.id:
        return True
    return unit_in_scope(actor, grid)


def person_for(session: Session, actor: Actor, person_id: int, action: str) -> tuple[AssistedPerson, OrgUnit]:
    """The person and their grid if ``actor`` may see the file, else NotFound / PermissionDenied."""
    require_role(actor, action, DETAIL_ROLES)
    p = session.get(AssistedPerson, person_id)
    if p is None:
        raise NotFound(f"assisted person {person_id}")
    grid = grid_of(session, p)
    if not may_see(actor, p, grid):
        raise PermissionDenied(action, "scope")
    return p, grid


def _bump(session: Session, model, row_id: int, expected_version: int, what: str) -> None:
    """Optimistic lock: one UPDATE … WHERE version = seen; nothing matched → ConcurrentEdit."""
    res = session.execute(update(model).where(model.id == row_id, model.version == expected_version)
                          .values(version=model.version + 1))
    if res.rowcount != 1:
        raise ConcurrentEdit(f"{what} changed by someone else")


def _choice(field: str, value, options) -> str:
    if value not in options:
        raise ValidationError(field, "choice", {"options": list(options)})
    return value


def _helper(session: Session, helper_id: int | None, grid: OrgUnit) -> User | None:
    """A helper is an active officer whose scope shares the person's community."""
    if helper_id is None:
        return None
    u = session.get(User, helper_id)
    if u is None or not u.active or u.role != "officer":
        raise ValidationError("helper", "not_officer")
    scope = session.get(OrgUnit, u.scope_id)
    community = session.get(OrgUnit, grid.community_id) if grid.community_id else grid
    base = community.path if community is not None else grid.path
    if scope is None or not (scope.path.startswith(base) or grid.path.startswith(scope.path)):
        raise ValidationError("helper", "scope")
    return u


def new_code(at: date) -> str:
    return f"BF{at:%Y%m%d}-{secrets.token_hex(3).upper()}"


# --- the register ----------------------------------------------------------------------------

def register(*, session: Session, user, resident_id: int, group: str, risk_level: str, registered_on: date,
             now: datetime, helper_id: int | None = None, employment: str = "unknown", code: str | None = None,
             reason: str | None = None) -> AssistedPerson:
    """Open the file of a resident (one file per person). The person's household and grid are the
    resident's; the first risk-history row (dated the registration day) holds the initial level."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "assisted.register", DETAIL_ROLES)
    r = session.get(Resident, resident_id)
    if r is None:
        raise NotFound(f"resident {resident_id}")
    h = session.get(Household, r.household_id)
    grid = session.get(OrgUnit, h.grid_id)
    if grid is None or not unit_in_scope(actor, grid):
        raise PermissionDenied("assisted.register", "scope")
    _choice("group", group, GROUPS)
    _choice("risk_level", risk_level, RISKS)
    _choice("employment", employment, EMPLOYMENT)
    if registered_on > now.date():
        raise ValidationError("registered_on", "future")
    helper = _helper(session, helper_id, grid)
    if session.exec(select(AssistedPerson.id).where(AssistedPerson.resident_id == resident_id)).first() is not None:
        raise ValidationError("resident", "already_registered")
    code = checked_text("code", code, 40) or new_code(registered_on)
    if session.exec(select(AssistedPerson.id).where(AssistedPerson.code == code)).first() is not None:
        raise ValidationError("code", "duplicate_record")
    why = checked_text("reason", reason, NOTE_MAX)
    p = AssistedPerson(code=code, resident_id=r.id, household_id=h.id, grid_id=h.grid_id, group=group,
                       risk_level=risk_level, helper_id=helper.id if helper else None, employment=employment,
                       registered_on=registered_on)
    session.add(p)
    session.flush()
    session.add(AssistedRiskChange(person_id=p.id, changed_at=datetime.combine(registered_on, time.min),
                                   old_level=None, new_level=risk_level, reason=why, user_id=actor.id))
    session.flush()
    audit.write(session, actor.username, "assisted.register", "assisted_person", p.code,
                {"group": group, "risk": risk_level, "helper_id": p.helper_id, "household_id": h.id}, at=now)
    return p


def set_risk(*, session: Session, user, person_id: int, level: str, reason: str, expected_version: int,
             now: datetime, changed_at: datetime | None = None) -> AssistedPerson:
    """Raise or lower the risk level with a reason; the history keeps the date."""
    actor = actor_of(session=session, user=user)
    p, _ = person_for(session, actor, person_id, "assisted.risk")
    _choice("risk_level", level, RISKS)
    why = checked_text("reason", reason, NOTE_MAX, required=True)
    if len(why) < REASON_MIN:
        raise ValidationError("reason", "too_short", {"min": REASON_MIN})
    if level == p.risk_level:
        raise ValidationError("risk_level", "unchanged")
    at = changed_at or now
    if at > now:
        raise ValidationError("changed_at", "future")
    _bump(session, AssistedPerson, p.id, expected_version, "assisted person")
    session.refresh(p)
    old = p.risk_level
    p.risk_level = level
    session.add(p)
    session.add(AssistedRiskChange(person_id=p.id, changed_at=at, old_level=old, new_level=level, reason=why,
                                   user_id=actor.id))
    session.flush()
    audit.write(session, actor.username, "assisted.risk_change", "assisted_person", p.code,
                {"from": old, "to": level}, at=now)
    return p


def update_file(*, session: Session, user, person_id: int, expected_version: int, now: datetime,
                helper_id: int | None = None, employment: str | None = None, group: str | None = None
                ) -> AssistedPerson:
    """Change the helper, the employment status or the group (those given)."""
    actor = actor_of(session=session, user=user)
    p, grid = person_for(session, actor, person_id, "assisted.edit")
    changes: dict = {}
    if helper_id is not None and helper_id != p.helper_id:
        changes["helper_id"] = _helper(session, helper_id, grid).id
    if employment is not None and employment != p.employment:
        changes["employment"] = _choice("employment", employment, EMPLOYMENT)
    if group is not None and group != p.group:
        changes["group"] = _choice("group", group, GROUPS)
    if not changes:
        raise ValidationError("file", "unchanged")
    _bump(session, AssistedPerson, p.id, expected_version, "assisted person")
    session.refresh(p)
    for k, v in changes.items():
        setattr(p, k, v)
    session.add(p)
    session.flush()
    if "helper_id" in changes:  # open alerts go to the new helper
        for a in session.exec(select(CounsellingAlert).where(CounsellingAlert.person_id == p.id,
                                                              CounsellingAlert.acknowledged_at.is_(None))).all():
            a.helper_id = p.helper_id
            session.add(a)
    audit.write(session, actor.username, "assisted.edit", "assisted_person", p.code, changes, at=now)
    return p


def add_measure(*, session: Session, user, person_id: int, kind: str, started_on: date, now: datetime,
                ended_on: date | None = None, outcome: str = "pending", note: str | None = None
                ) -> AssistanceMeasure:
    actor = actor_of(session=session, user=user)
    p, _ = person_for(session, actor, person_id, "assisted.measure")
    _choice("kind", kind, MEASURES)
    _choice("outcome", outcome, OUTCOMES)
    if started_on > now.date():
        raise ValidationError("started_on", "future")
    if ended_on is not None and ended_on < started_on:
        raise ValidationError("ended_on", "before_start")
    m = AssistanceMeasure(person_id=p.id, kind=kind, started_on=started_on, ended_on=ended_on, outcome=outcome,
                          note=checked_text("note", note, NOTE_MAX), recorded_by=actor.id)
    session.add(m)
    session.flush()
    audit.write(session, actor.username, "assisted.measure", "assisted_person", p.code,
                {"measure_id": m.id, "kind": kind, "outcome": outcome}, at=now)
    return m


def close_measure(*, session: Session, user, measure_id: int, outcome: str, ended_on: date, expected_version: int,
                  now: datetime, note: str | None = None) -> AssistanceMeasure:
    """Record a measure's outcome and end date."""
    actor = actor_of(session=session, user=user)
    m = session.get(AssistanceMeasure, measure_id)
    if m is None:
        raise NotFound(f"measure {measure_id}")
    p, _ = person_for(session, actor, m.person_id, "assisted.measure")
    _choice("outcome", outcome, OUTCOMES)
    if ended_on < m.started_on:
        raise ValidationError("ended_on", "before_start")
    if ended_on > now.date():
        raise ValidationError("ended_on", "future")
    _bump(session, AssistanceMeasure, m.id, expected_version, "measure")
    session.refresh(m)
    m.outcome, m.ended_on = outcome, ended_on
    if note:
        m.note = checked_text("note", note, NOTE_MAX)
    session.add(m)
    session.flush()
    audit.write(session, actor.username, "assisted.measure_outcome", "assisted_person", p.code,
                {"measure_id": m.id, "outcome": outcome}, at=now)
    return m


# --- visits ----------------------------------------------------------------------------------

def record_visit(*, session: Session, user, person_id: int, visited_at: datetime, now: datetime,
                 note: str | None = None, client_token: str | None = None, officer_id: int | None = None
                 ) -> PersonVisit:
    """A visit to the person (a double submit with the same ``client_token`` writes once)."""
    actor = actor_of(session=session, user=user)
    if client_token:
        done = session.exec(select(PersonVisit).where(PersonVisit.client_token == client_token)).first()
        if done is not None:
            return done
    p, _ = person_for(session, actor, person_id, "assisted.visit")
    if visited_at > now:
        raise ValidationError("visited_at", "future")
    if visited_at.date() < p.registered_on:
        raise ValidationError("visited_at", "before_registration")
    v = PersonVisit(person_id=p.id, visited_at=visited_at,
                    officer_id=officer_id if officer_id is not None else (actor.id if actor.role == "officer" else None),
                    note=checked_text("note", note, NOTE_MAX), client_token=client_token or None)
    session.add(v)
    if p.last_visit_at is None or visited_at > p.last_visit_at:
        p.last_visit_at = visited_at
        session.add(p)
    session.flush()
    audit.write(session, actor.username, "assisted.visit", "assisted_person", p.code,
                {"visit_id": v.id, "visited_at": visited_at.isoformat(timespec="minutes")}, at=now)
    return v


# --- counselling -----------------------------------------------------------------------------

def alert_triggers(sessions) -> list[tuple[int, int]]:
    """``[(session id, run length)]`` of the misses that raise an alert, from ``(id, status)`` in
    scheduled order: the 3rd, 6th, 9th … consecutive ``missed``; ``attended`` resets the run;
    ``scheduled`` (not marked yet) neither counts nor resets."""
    out, run = [], 0
    for sid, status in sessions:
        if status == "attended":
            run = 0
        elif status == "missed":
            run += 1
            if run % MISS_RUN == 0:
                out.append((sid, run))
    return out


def refresh_alerts(*, session: Session, person: AssistedPerson, now: datetime, username: str) -> list[CounsellingAlert]:
    """Raise the alerts the person's sessions call for and that do not exist yet (new ones returned)."""
    rows = session.exec(select(CounsellingSession.id, CounsellingSession.status)
                        .where(CounsellingSession.person_id == person.id)
                        .order_by(CounsellingSession.scheduled_at, CounsellingSession.id)).all()
    triggers = alert_triggers(rows)
    if not triggers:
        return []
    have = set(session.exec(select(CounsellingAlert.session_id)
                            .where(CounsellingAlert.person_id == person.id)).all())
    new = []
    for sid, run in triggers:
        if sid in have:
            continue
        a = CounsellingAlert(person_id=person.id, session_id=sid, helper_id=person.helper_id, raised_at=now,
                             misses=run)
        session.add(a)
        session.flush()
        audit.write(session, username, "assisted.alert_raised", "assisted_person", person.code,
                    {"alert_id": a.id, "session_id": sid, "misses": run, "helper_id": person.helper_id}, at=now)
        new.append(a)
    return new


def schedule_session(*, session: Session, user, person_id: int, scheduled_at: datetime, now: datetime
                     ) -> CounsellingSession:
    actor = actor_of(session=session, user=user)
    p, _ = person_for(session, actor, person_id, "assisted.counselling")
    if scheduled_at.date() < p.registered_on:
        raise ValidationError("scheduled_at", "before_registration")
    if session.exec(select(CounsellingSession.id).where(CounsellingSession.person_id == p.id,
                                                        CounsellingSession.scheduled_at == scheduled_at)).first():
        raise ValidationError("scheduled_at", "duplicate_record")
    c = CounsellingSession(person_id=p.id, scheduled_at=scheduled_at)
    session.add(c)
    session.flush()
    audit.write(session, actor.username, "assisted.session_scheduled", "assisted_person", p.code,
                {"session_id": c.id, "scheduled_at": scheduled_at.isoformat(timespec="minutes")}, at=now)
    return c


def mark_session(*, session: Session, user, session_id: int, attended: bool, expected_version: int, now: datetime
                 ) -> tuple[CounsellingSession, list[CounsellingAlert]]:
    """Mark a session attended or missed (once, after its time); returns it and any alert raised."""
    actor = actor_of(session=session, user=user)
    c = session.get(CounsellingSession, session_id)
    if c is None:
        raise NotFound(f"counselling session {session_id}")
    p, _ = person_for(session, actor, c.person_id, "assisted.counselling")
    if c.status != "scheduled":
        raise InvalidTransition("mark", c.status)
    if c.scheduled_at > now:
        raise ValidationError("scheduled_at", "not_yet")
    _bump(session, CounsellingSession, c.id, expected_version, "counselling session")
    session.refresh(c)
    c.status = "attended" if attended else "missed"
    c.marked_at, c.marked_by = now, actor.id
    session.add(c)
    session.flush()
    audit.write(session, actor.username, "assisted.session_marked", "assisted_person", p.code,
                {"session_id": c.id, "status": c.status}, at=now)
    return c, refresh_alerts(session=session, person=p, now=now, username=actor.username)


def acknowledge_alert(*, session: Session, user, alert_id: int, note: str, expected_version: int, now: datetime
                      ) -> CounsellingAlert:
    """The helper (or a coordinator / admin) acknowledges an alert with a note on the action taken."""
    actor = actor_of(session=session, user=user)
    a = session.get(CounsellingAlert, alert_id)
    if a is None:
        raise NotFound(f"alert {alert_id}")
    p, _ = person_for(session, actor, a.person_id, "assisted.alert_ack")
    if a.acknowledged_at is not None:
        raise InvalidTransition("acknowledge", "acknowledged")
    text = checked_text("note", note, NOTE_MAX, required=True)
    if len(text) < REASON_MIN:
        raise ValidationError("note", "too_short", {"min": REASON_MIN})
    _bump(session, CounsellingAlert, a.id, expected_version, "alert")
    session.refresh(a)
    a.acknowledged_at, a.acknowledged_by, a.note = now, actor.id, text
    session.add(a)
    session.flush()
    audit.write(session, actor.username, "assisted.alert_ack", "assisted_person", p.code, {"alert_id": a.id}, at=now)
    return a
