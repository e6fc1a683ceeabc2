"""My work (我的任务): what an officer should do next, most urgent first, plus visit bookings.

Three sources, each one SQL query bounded by the user's scope (an officer: their own grids):

* households due or overdue for a visit — red risk every 7 days, yellow/blue every 30
  (app_setting ``special_intervals_days``), everyone else at least once per phase (a
  household not visited since the current phase began is "pending" until 30 days before
  the phase ends, then "due");
* open needs whose 48 h response deadline is ≤ 12 h away or past;
* booked visits (appointments), night ones flagged; missed or within 24 h = "soon".

Urgency buckets (``BUCKETS``, lower first): overdue need, overdue special visit, appointment
soon, need near its deadline, visit due soon, later appointment, pending for the phase.
Inside a bucket: red before yellow before blue before none, then earliest due time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from data_access.core import audit
from data_access.core.errors import PermissionDenied, ValidationError
from data_access.core.models import Setting
from data_access.core.text import clean_text
from data_access.fieldwork.derive import is_night
from data_access.fieldwork.models import Appointment, Household, Need, Visit
from data_access.fieldwork.needs import NEAR
from data_access.fieldwork.records import household_in_scope
from data_access.fieldwork.visit_form import load_settings
from data_access.org.models import OrgUnit
from data_access.org.scope import actor_of, require_active, require_role, scope_clause
from data_access.programme.models import Phase

BUCKETS = ("need_overdue", "visit_overdue", "appointment_soon", "need_near", "visit_due", "appointment",
           "phase_pending")
RISK_ORDER = {"red": 0, "yellow": 1, "blue": 2, "none": 3}
DEFAULT_INTERVALS = {"red": 7, "yellow": 30, "blue": 30}
# days before the due date from which a special household shows as "due"
DUE_SOON_DAYS = {"red": 2, "yellow": 7, "blue": 7}
PHASE_DUE_DAYS = 30  # ordinary households: "due" in the last 30 days of the phase
APPOINTMENT_SOON = timedelta(hours=24)
APPOINTMENT_HORIZON = timedelta(days=14)
BOOK_ROLES = ("officer",)


@dataclass(frozen=True)
class WorkItem:
    bucket: str
    kind: str  # visit | need | appointment
    due_at: datetime
    household_id: int
    household_code: str
    address: str
    risk_level: str
    last_visit_at: datetime | None = None
    need_id: int | None = None
    need_code: str | None = None
    need_category: str | None = None
    need_version: int | None = None
    appointment_id: int | None = None
    is_night: bool = False

    @property
    def rank(self) -> int:
        return BUCKETS.index(self.bucket)

    @property
    def overdue(self) -> bool:
        return self.bucket in ("need_overdue", "visit_overdue")

    def sort_key(self) -> tuple:
        return (self.rank, RISK_ORDER.get(self.risk_level, 9), self.due_at, self.household_code,
                self.need_id or 0, self.appointment_id or 0)


def intervals(*, session: Session) -> dict[str, int]:
    row = session.get(Setting, "special_intervals_days")
    try:
        v = json.loads(row.value) if row is not None else {}
        return {k: int(v.get(k, d)) for k, d in DEFAULT_INTERVALS.items()}
    except (TypeError, ValueError, AttributeError):
        return dict(DEFAULT_INTERVALS)


def current_phase(*, session: Session, today: date) -> tuple[date, date]:
    """(start, end) of the phase containing ``today``; the calendar year when none does."""
    p = session.exec(select(Phase).where(Phase.start <= today, Phase.end >= today)).first()
    if p is not None:
        return p.start, p.end
    return date(today.year, 1, 1), date(today.year, 12, 31)


def _visit_items(session: Session, actor, now: datetime) -> list[WorkItem]:
    ivl = intervals(session=session)
    p_start, p_end = current_phase(session=session, today=now.date())
    phase_start = datetime.combine(p_start, time.min)
    phase_end = datetime.combine(p_end, time.max).replace(microsecond=0)
    last = func.max(Visit.visited_at)
    conds = [
        and_(Household.risk_level == lvl,
             or_(last.is_(None), last < now - timedelta(days=ivl[lvl] - DUE_SOON_DAYS[lvl])))
        for lvl in ("red", "yellow", "blue")
    ]
    conds.append(and_(Household.risk_level.not_in(("red", "yellow", "blue")),
                      or_(last.is_(None), last < phase_start)))
    q = (select(Household.id, Household.code, Household.address, Household.risk_level, Household.registered_on, last)
         .join(OrgUnit, OrgUnit.id == Household.grid_id)
         .outerjoin(Visit, and_(Visit.household_id == Household.id, Visit.visited_at <= now))
         .where(scope_clause(actor))
         .group_by(Household.id, Household.code, Household.address, Household.risk_level, Household.registered_on)
         .having(or_(*conds)))
    out = []
    for hid, code, addr, risk, reg, lv in session.exec(q).all():
        if risk in ivl:
            base = lv or (datetime.combine(reg, time.min) if reg else phase_start)
            due = base + timedelta(days=ivl[risk])
            if due <= now:
                bucket = "visit_overdue"
            elif due - now <= timedelta(days=DUE_SOON_DAYS[risk]):
                bucket = "visit_due"
            else:
                continue
        else:
            due = phase_end
            bucket = "visit_due" if due - now <= timedelta(days=PHASE_DUE_DAYS) else "phase_pending"
        out.append(WorkItem(bucket, "visit", due, hid, code, addr, risk, last_visit_at=lv))
    return out


def _need_items(session: Session, actor, now: datetime) -> list[WorkItem]:
    q = (select(Need.id, Need.code, Need.category, Need.version, Need.sla_due_at, Household.id, Household.code,
                Household.address, Household.risk_level)
         .join(Household, Household.id == Need.household_id)
         .join(OrgUnit, OrgUnit.id == Need.grid_id)
         .where(scope_clause(actor), Need.status == "open", Need.responded_at.is_(None),
                Need.sla_due_at <= now + NEAR))  # open, no response: due at its limit (48 h; an alarm 5 min)
    out = []
    for nid, ncode, cat, ver, due, hid, hcode, addr, risk in session.exec(q).all():
        out.append(WorkItem("need_overdue" if due < now else "need_near", "need", due, hid, hcode, addr, risk,
                            need_id=nid, need_code=ncode, need_category=cat, need_version=ver))
    return out


def _appointment_items(session: Session, actor, now: datetime) -> list[WorkItem]:
    night = load_settings(session=session)
    q = (select(Appointment.id, Appointment.scheduled_at, Household.id, Household.code, Household.address,
                Household.risk_level)
         .join(Household, Household.id == Appointment.household_id)
         .join(OrgUnit, OrgUnit.id == Household.grid_id)
         .where(scope_clause(actor), Appointment.status == "planned",
                Appointment.scheduled_at <= now + APPOINTMENT_HORIZON))
    if actor.role == "officer":
        q = q.where(Appointment.officer_id == actor.id)
    out = []
    for aid, at, hid, hcode, addr, risk in session.exec(q).all():
        bucket = "appointment_soon" if at - now <= APPOINTMENT_SOON else "appointment"
        out.append(WorkItem(bucket, "appointment", at, hid, hcode, addr, risk, appointment_id=aid,
                            is_night=is_night(at, night.night_start, night.night_end)))
    return out


def my_work(*, session: Session, user, now: datetime, kinds: tuple[str, ...] = ("visit", "need", "appointment"),
            limit: int = 500) -> list[WorkItem]:
    """The user's work list at ``now``, most urgent first (at most ``limit`` items)."""
    actor = actor_of(session=session, user=user)
    require_active(actor, "worklist")
    items: list[WorkItem] = []
    if "need" in kinds:
        items += _need_items(session, actor, now)
    if "visit" in kinds:
        items += _visit_items(session, actor, now)
    if "appointment" in kinds:
        items += _appointment_items(session, actor, now)
    items.sort(key=WorkItem.sort_key)
    return items[:limit]


def summary(items: list[WorkItem]) -> dict[str, int]:
    """Counts per bucket (for the badges above the list)."""
    out = dict.fromkeys(BUCKETS, 0)
    for i in items:
        out[i.bucket] += 1
    return out


# --- appointments ----------------------------------------------------------------------------

def book_appointment(*, session: Session, user, household_id: int, scheduled_at: datetime, now: datetime,
                     note: str | None = None) -> Appointment:
    """Book a visit time with a household (made_at = now; a night visit needs this ≥ 24 h ahead)."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "appointment.book", BOOK_ROLES)
    household_in_scope(session=session, actor=actor, household_id=household_id, action="appointment.book")
    if scheduled_at <= now:
        raise ValidationError("scheduled_at", "not_future")
    text, err = clean_text("note", note, 500)
    if err is not None:
        raise err
    a = Appointment(household_id=household_id, officer_id=actor.id, scheduled_at=scheduled_at, made_at=now,
                    status="planned", note=text or None)
    session.add(a)
    session.flush()
    audit.write(session, actor.username, "appointment.book", "appointment", a.id,
                {"household_id": household_id, "scheduled_at": scheduled_at.isoformat(timespec="minutes")}, at=now)
    return a


def cancel_appointment(*, session: Session, user, appointment_id: int, now: datetime) -> Appointment:
    actor = actor_of(session=session, user=user)
    require_active(actor, "appointment.cancel")
    a = session.get(Appointment, appointment_id)
    if a is None:
        from data_access.core.errors import NotFound

        raise NotFound(f"appointment {appointment_id}")
    if a.officer_id != actor.id and actor.role not in ("admin", "district_leader", "station_leader"):
        raise PermissionDenied("appointment.cancel", "role")
    household_in_scope(session=session, actor=actor, household_id=a.household_id, action="appointment.cancel")
    if a.status != "planned":
        raise ValidationError("status", "not_planned", {"status": a.status})
    a.status = "cancelled"
    session.add(a)
    audit.write(session, actor.username, "appointment.cancel", "appointment", a.id, at=now)
    return a
