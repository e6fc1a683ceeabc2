"""Tables of data_access.fieldwork: households, residents and their risk history, visits and their
answers, needs and their events, spot checks, the visit e-form (items, drafts), appointments and
privacy complaints.

Times are naive local times (Asia/Shanghai), as in the interchange format. Derived columns
(months, SLA flags, compliance flags) are filled by ``data_access.fieldwork.derive`` on every write
so that the database can aggregate them without date arithmetic that differs between SQLite and
PostgreSQL.

Every table at once: ``data_access.schema`` (Alembic, tests).
"""
from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime as datetime  # naive local times (Asia/Shanghai)
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import data_access.org.models  # noqa: F401  (registers the tables referenced by foreign key)

CATEGORIES = ("ordinary", "rental", "special", "business")
RISK_LEVELS = ("none", "blue", "yellow", "red")
NEED_STATUSES = ("open", "accepted", "in_progress", "resolved", "confirmed", "withdrawn", "duplicate")
NEED_EXCLUDED = ("withdrawn", "duplicate")
NEED_RESOLVED = ("resolved", "confirmed")


class Household(SQLModel, table=True):
    __tablename__ = "household"
    # special-group compliance reads (level, grid, registration) of the few risk households only
    __table_args__ = (Index("ix_household_risk_grid", "risk_level", "grid_id", "registered_on", "last_visit_at", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    grid_id: int = Field(foreign_key="org_unit.id", index=True)
    address: str = Field(max_length=200)
    category: str = Field(default="ordinary", max_length=12)
    risk_level: str = Field(default="none", max_length=8, index=True)
    registered_on: date | None = Field(default=None, index=True)
    registered_month: int = 0  # derived: YYYYMM of registered_on, 0 when unknown
    last_visit_at: datetime | None = None  # derived: latest visit time (records.add_visit, rollups.rebuild)
    version: int = 1


# Minimal resident record (seed 000 §6.1): name, ID number, phone. No income, marital status …
class Resident(SQLModel, table=True):
    __tablename__ = "resident"
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    name: str = Field(max_length=60)
    id_number_enc: str | None = Field(default=None, sa_column=Column(Text))
    id_number_hash: str | None = Field(default=None, max_length=64, index=True)
    id_number_masked: str | None = Field(default=None, max_length=24)
    phone_enc: str | None = Field(default=None, sa_column=Column(Text))
    phone_masked: str | None = Field(default=None, max_length=20)


class RiskChange(SQLModel, table=True):
    __tablename__ = "risk_change"
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    changed_at: datetime
    old_level: str = Field(max_length=8)
    new_level: str = Field(max_length=8)
    reason: str | None = Field(default=None, max_length=500)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")


# --- field work ----------------------------------------------------------------------------

class Visit(SQLModel, table=True):
    __tablename__ = "visit"
    # ix_visit_time_presence: the time index, covering what the staffing indicators' raw days read
    __table_args__ = (Index("ix_visit_household_time", "household_id", "visited_at"),
                      Index("ix_visit_time_presence", "visited_at", "grid_id", "officer_id", "duration_min"),
                      Index("ix_visit_grid_month", "grid_id", "month"))
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    client_token: str = Field(max_length=64, unique=True)  # a resubmit with the same token is a no-op
    household_id: int = Field(foreign_key="household.id")
    grid_id: int = Field(foreign_key="org_unit.id")  # grid of the household at visit time
    officer_id: int = Field(foreign_key="app_user.id", index=True)
    visited_at: datetime
    id_shown: bool | None = None
    bodycam_on: bool | None = None
    entered_at: datetime | None = None
    appointment_made_at: datetime | None = None
    satisfaction: int | None = None  # 1..5
    justification: str | None = Field(default=None, max_length=500)
    late_entry_reason: str | None = Field(default=None, max_length=500)
    duration_min: int | None = None  # minutes spent (seed 002: ≥ 3 h per day in the grid); None = not recorded
    # derived
    month: int = 0
    week: int = 0  # ISO year*100 + ISO week
    is_night: bool = False
    night_ok: bool = False
    compliant: bool = False
    compliant_month: int | None = None  # month of entered_at when compliant


class VisitAnswer(SQLModel, table=True):
    __tablename__ = "visit_answer"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    item_code: str = Field(max_length=40)
    value: str | None = Field(default=None, max_length=1000)


class Need(SQLModel, table=True):
    __tablename__ = "need"
    __table_args__ = (Index("ix_need_grid_created", "grid_id", "created_month"),
                      # the raw count of as_of's month reads these columns of recent needs only
                      Index("ix_need_created_cover", "created_at",
                            postgresql_include=["grid_id", "created_month", "counted", "sla_due_at", "sla_ok",
                                                "responded_at"]))
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    grid_id: int = Field(foreign_key="org_unit.id")
    visit_id: int | None = Field(default=None, foreign_key="visit.id", index=True)
    category: str = Field(max_length=40)
    description: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(index=True)
    responded_at: datetime | None = Field(default=None, index=True)
    resolved_at: datetime | None = Field(default=None, index=True)
    status: str = Field(default="open", max_length=12, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id")
    note: str | None = Field(default=None, max_length=2000)
    version: int = Field(default=1)  # optimistic locking: UPDATE … WHERE version = seen
    # derived
    counted: bool = True  # not withdrawn / duplicate
    created_month: int = 0
    resolved_month: int | None = None  # when counted and resolved/confirmed with resolved_at
    sla_due_at: datetime | None = None  # min(created + 48 h, responded_at)
    sla_due_month: int = 0
    sla_ok: bool = False  # responded within 48 h
    sla_ok_month: int | None = None


class SpotCheck(SQLModel, table=True):
    __tablename__ = "spot_check"
    __table_args__ = (Index("ix_check_grid_month", "grid_id", "month"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    grid_id: int = Field(foreign_key="org_unit.id")
    checked_on: date = Field(index=True)
    accurate: bool
    fields_checked: int | None = None
    fields_wrong: int | None = None
    is_rental: bool = False  # household category at check time
    month: int = 0


# --- officers' workflow (issue 5) -------------------------------------------------------------

FORM_SECTIONS = ("info", "hazard", "need")
FORM_KINDS = ("bool", "choice", "text", "number")


# One item of the visit e-form (defined as data so an admin can change the form).
# ``options``: JSON — for "choice" a list of {"code", "zh", "en"}; for "number" {"min", "max"};
# for "text" {"max_length"}.
class FormItem(SQLModel, table=True):
    __tablename__ = "form_item"
    id: int | None = Field(default=None, primary_key=True)
    section: str = Field(max_length=12)  # info | hazard | need
    code: str = Field(max_length=40, unique=True, index=True)
    label_zh: str = Field(max_length=200)
    label_en: str = Field(max_length=200)
    kind: str = Field(max_length=8)  # bool | choice | text | number
    options: str | None = Field(default=None, sa_column=Column(Text))
    required: bool = False
    active: bool = True
    sort: int = 100
    version: int = 1  # optimistic locking of the admin's form edits (visit_form)


# A visit being typed, saved as the officer types (resumes on another laptop).
class VisitDraft(SQLModel, table=True):
    __tablename__ = "visit_draft"
    __table_args__ = (UniqueConstraint("officer_id", "draft_key"),)
    id: int | None = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="app_user.id", index=True)
    draft_key: str = Field(max_length=64)
    household_id: int | None = Field(default=None, foreign_key="household.id")
    payload: str = Field(sa_column=Column(Text))  # JSON
    updated_at: datetime


# History of a need: one row per state change, assignment or note.
class NeedEvent(SQLModel, table=True):
    __tablename__ = "need_event"
    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    at: datetime
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    username: str = Field(max_length=60)
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str | None = Field(default=None, max_length=12)
    note: str | None = Field(default=None, max_length=1000)


# A booked visit time (night visits need one made ≥ 24 h before).
class Appointment(SQLModel, table=True):
    __tablename__ = "appointment"
    __table_args__ = (Index("ix_appointment_officer_time", "officer_id", "scheduled_at"),)
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    officer_id: int = Field(foreign_key="app_user.id")
    scheduled_at: datetime
    made_at: datetime
    status: str = Field(default="planned", max_length=10)  # planned | done | cancelled
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    note: str | None = Field(default=None, max_length=500)


# Privacy complaint (seed 000 §3.7): investigation starts within 24 h, result within 7 working days.
class PrivacyComplaint(SQLModel, table=True):
    __tablename__ = "privacy_complaint"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    received_at: datetime = Field(index=True)
    channel: str = Field(default="hotline", max_length=20)
    org_unit_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id")
    summary: str = Field(max_length=1000)
    status: str = Field(default="received", max_length=12)  # received | in_progress | closed
    start_due_at: datetime | None = None  # received + 24 h
    close_due_at: datetime | None = None  # received + 7 working days
    started_at: datetime | None = None
    closed_at: datetime | None = None
    result: str | None = Field(default=None, max_length=2000)
    handler_id: int | None = Field(default=None, foreign_key="app_user.id")
    version: int = 1


# --- time-limited work (issue 14: seeds 001 §5.3, 002 §3.1, §5.2) ----------------------------------

EVENT_TIERS = ("emergency", "urgent", "general")
EVENT_STATUSES = ("open", "accepted", "in_progress", "resolved", "confirmed", "withdrawn", "duplicate")
EVENT_CHANNELS = ("officer", "grid_worker", "resident", "hotline", "app")
HAZARD_LEVELS = ("general", "major")
HAZARD_STATUSES = ("open", "rectified", "withdrawn")


# A grid event (网格事件, "网格吹哨"): reported in a grid (optionally at a household) by an officer, a
# grid worker or a resident, on a tier's clock (emergency 5 min / urgent 15 min / general 2 h to
# respond). ``due_at`` = created_at + the tier's limit in force when it was reported;
# ``response_seconds`` is filled at the response so that medians are read without date arithmetic.
class GridEvent(SQLModel, table=True):
    __tablename__ = "grid_event"
    __table_args__ = (Index("ix_grid_event_grid_month", "grid_id", "created_month"),
                      Index("ix_grid_event_open_due", "status", "due_at"),
                      Index("ix_grid_event_due", "due_at"))  # the raw month of as_of (kpi_queries.rate_counts)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    client_token: str | None = Field(default=None, max_length=64, unique=True)  # a double submit writes once
    grid_id: int = Field(foreign_key="org_unit.id")
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    channel: str = Field(max_length=12)
    tier: str = Field(max_length=10)
    category: str = Field(max_length=40)
    description: str | None = Field(default=None, max_length=1000)
    status: str = Field(default="open", max_length=12)
    created_at: datetime = Field(index=True)
    due_at: datetime
    responded_at: datetime | None = None
    response_seconds: int | None = None
    resolved_at: datetime | None = None
    confirmed_at: datetime | None = None
    reporter_id: int | None = Field(default=None, foreign_key="app_user.id")
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id")
    department: str | None = Field(default=None, max_length=60)
    rating: int | None = None  # the reporter's rating 1–5 after the event was resolved
    feedback: str | None = Field(default=None, max_length=1000)
    version: int = Field(default=1)
    created_month: int = 0


# One step of a grid event (the history the Events screen shows).
class GridEventStep(SQLModel, table=True):
    __tablename__ = "grid_event_step"
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="grid_event.id", index=True)
    at: datetime
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    username: str = Field(max_length=60)
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str | None = Field(default=None, max_length=12)
    note: str | None = Field(default=None, max_length=1000)


# A hazard (隐患) found on a visit (from a hazard answer of the e-form) or on its own; rectified
# within 24 h (general) / 48 h (major). ``due_at`` = found_at + the level's limit.
class Hazard(SQLModel, table=True):
    __tablename__ = "hazard"
    __table_args__ = (Index("ix_hazard_grid_month", "grid_id", "found_month"),
                      Index("ix_hazard_open_due", "status", "due_at"),
                      Index("ix_hazard_due", "due_at"),
                      UniqueConstraint("visit_id", "item_code"))
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    client_token: str | None = Field(default=None, max_length=64, unique=True)
    grid_id: int = Field(foreign_key="org_unit.id")
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    item_code: str | None = Field(default=None, max_length=40)  # the e-form's hazard item it came from
    level: str = Field(max_length=8)
    description: str | None = Field(default=None, max_length=1000)
    handler: str = Field(default="grid_worker", max_length=12)  # grid_worker on site | officer (+ department)
    department: str | None = Field(default=None, max_length=60)
    status: str = Field(default="open", max_length=10)
    found_at: datetime = Field(index=True)
    due_at: datetime
    rectified_at: datetime | None = None
    rectify_seconds: int | None = None
    evidence: str | None = Field(default=None, max_length=1000)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    version: int = Field(default=1)
    found_month: int = 0


# --- residents' data rights (issue 15: seed 003 §6.3) ---------------------------------------------
RIGHTS_KINDS = ("access", "erasure")
RIGHTS_STATUSES = ("open", "done", "refused")


# A resident's request to see or delete what is held about them: the request, the decision and
# its date. It names the resident by id only (never name, ID number or phone), so it survives
# the erasure it records.
class DataRightsRequest(SQLModel, table=True):
    __tablename__ = "data_rights_request"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    kind: str = Field(max_length=10)  # access | erasure
    received_on: date
    channel: str = Field(default="counter", max_length=20)
    note: str | None = Field(default=None, max_length=1000)
    status: str = Field(default="open", max_length=10)
    decision_note: str | None = Field(default=None, max_length=1000)
    decided_on: date | None = None
    decided_by: str | None = Field(default=None, max_length=60)
    erased_at: datetime | None = None
    created_by: str = Field(max_length=60)
    created_at: datetime
    version: int = 1


# The need categories the officer's form offers (seed 000 §6.4 examples + common ones), edited by
# admins like the e-form's items: added, retired (a retired category stays on the needs that have
# it and keeps its name) and reordered. A need's category is stored as its code.
class NeedCategory(SQLModel, table=True):
    __tablename__ = "need_category"
    code: str = Field(primary_key=True, max_length=40)
    name_zh: str = Field(max_length=80)
    name_en: str = Field(max_length=120)
    sort: int = 100
    active: bool = True
    version: int = 1
