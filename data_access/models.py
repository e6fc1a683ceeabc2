"""SQLModel tables. Times are naive local times (Asia/Shanghai), as in the interchange format.

Derived columns (months, SLA flags, compliance flags) are filled by ``data_access.derive``
on every write so that the database can aggregate them without date arithmetic that
differs between SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime as datetime  # naive local times (Asia/Shanghai)
from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

LEVELS = ("city", "district", "station", "community", "grid")
ROLES = ("admin", "city_leader", "district_leader", "coordinator", "officer")
CATEGORIES = ("ordinary", "rental", "special", "business")
RISK_LEVELS = ("none", "blue", "yellow", "red")
NEED_STATUSES = ("open", "accepted", "in_progress", "resolved", "confirmed", "withdrawn", "duplicate")
NEED_EXCLUDED = ("withdrawn", "duplicate")
NEED_RESOLVED = ("resolved", "confirmed")
MILESTONE_STATUSES = ("planned", "in_progress", "done", "late")


# --- organisation ---------------------------------------------------------------------------

# One tree city → district → station → community → grid. ``path`` is the materialised
# path of ids ("/1/4/19/"); the *_id columns hold the ancestor at each level (self included)
# so that "everything under U" and "group by child of U" are plain equality filters.
class OrgUnit(SQLModel, table=True):
    __tablename__ = "org_unit"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    parent_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True)
    level: str = Field(max_length=12, index=True)
    name_zh: str = Field(max_length=120)
    name_en: str | None = Field(default=None, max_length=160)
    pilot: bool = False
    geometry: str | None = Field(default=None, sa_column=Column(Text))  # GeoJSON geometry
    path: str = Field(default="/", max_length=200, index=True)
    city_id: int | None = Field(default=None, index=True)
    district_id: int | None = Field(default=None, index=True)
    station_id: int | None = Field(default=None, index=True)
    community_id: int | None = Field(default=None, index=True)


# Dated grid → community assignment. Changes take effect on the first day of a month
# (from_month/to_month are YYYYMM; to_month exclusive, NULL = still valid).
class GridAssignment(SQLModel, table=True):
    __tablename__ = "grid_assignment"
    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="org_unit.id", index=True)
    community_id: int = Field(foreign_key="org_unit.id", index=True)
    from_month: int = Field(default=0)
    to_month: int | None = Field(default=None)


# --- people --------------------------------------------------------------------------------

class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True, index=True)
    display_name: str = Field(max_length=80)
    role: str = Field(max_length=20)
    scope_id: int = Field(foreign_key="org_unit.id", index=True)
    password_hash: str | None = Field(default=None, max_length=100)  # None: an admin must set it
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime | None = None
    # last sign-out (UTC): login cookies issued before it are refused, even if the browser kept one
    signed_out_utc: datetime | None = None


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
    __table_args__ = (Index("ix_visit_household_time", "household_id", "visited_at"),
                      Index("ix_visit_grid_month", "grid_id", "month"))
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    client_token: str = Field(max_length=64, unique=True)  # a resubmit with the same token is a no-op
    household_id: int = Field(foreign_key="household.id")
    grid_id: int = Field(foreign_key="org_unit.id")  # grid of the household at visit time
    officer_id: int = Field(foreign_key="app_user.id", index=True)
    visited_at: datetime = Field(index=True)
    id_shown: bool | None = None
    bodycam_on: bool | None = None
    entered_at: datetime | None = None
    appointment_made_at: datetime | None = None
    satisfaction: int | None = None  # 1..5
    justification: str | None = Field(default=None, max_length=500)
    late_entry_reason: str | None = Field(default=None, max_length=500)
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


# --- programme -----------------------------------------------------------------------------

class Indicator(SQLModel, table=True):
    __tablename__ = "indicator"
    code: str = Field(primary_key=True, max_length=40)
    name_zh: str = Field(max_length=80)
    name_en: str = Field(max_length=120)
    unit: str = Field(default="%", max_length=12)  # "%", "score", "count", "min", "h" …
    direction: str = Field(default="up", max_length=4)  # up = higher is better
    kind: str = Field(default="computed", max_length=10)  # computed | reported
    headline: bool = False
    sort: int = 100
    source_plan: str | None = Field(default=None, max_length=80)
    note_zh: str | None = Field(default=None, sa_column=Column(Text))
    note_en: str | None = Field(default=None, sa_column=Column(Text))


class Phase(SQLModel, table=True):
    __tablename__ = "phase"
    code: str = Field(primary_key=True, max_length=20)
    name_zh: str = Field(max_length=40)
    name_en: str = Field(max_length=40)
    start: date
    end: date


class Target(SQLModel, table=True):
    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("indicator_code", "phase_code", "org_unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    indicator_code: str = Field(foreign_key="indicator.code", max_length=40)
    phase_code: str = Field(foreign_key="phase.code", max_length=20)
    org_unit_id: int | None = Field(default=None, foreign_key="org_unit.id")  # None = city default
    target: float
    baseline: float | None = None


class Setting(SQLModel, table=True):
    __tablename__ = "app_setting"
    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(sa_column=Column(Text))  # JSON


class Milestone(SQLModel, table=True):
    __tablename__ = "milestone"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    title_zh: str = Field(max_length=300)
    title_en: str = Field(max_length=300)
    due: date
    owner_unit_id: int | None = Field(default=None, foreign_key="org_unit.id")
    owner: str | None = Field(default=None, max_length=120)
    status: str = Field(default="planned", max_length=12)
    evidence: str | None = Field(default=None, sa_column=Column(Text))
    source: str | None = Field(default=None, max_length=80)
    note: str | None = Field(default=None, sa_column=Column(Text))
    done_on: date | None = None
    version: int = 1


# Values of *reported* indicators, entered per unit and month by authorised users.
class ReportedValue(SQLModel, table=True):
    __tablename__ = "reported_value"
    __table_args__ = (UniqueConstraint("indicator_code", "org_unit_id", "month"),)
    id: int | None = Field(default=None, primary_key=True)
    indicator_code: str = Field(foreign_key="indicator.code", max_length=40)
    org_unit_id: int = Field(foreign_key="org_unit.id")
    month: int
    value: float
    entered_by: int | None = Field(default=None, foreign_key="app_user.id")
    entered_at: datetime | None = None


# One-vote-veto events (负面清单): a confirmed one in a period flags the unit "vetoed".
class VetoEvent(SQLModel, table=True):
    __tablename__ = "veto_event"
    id: int | None = Field(default=None, primary_key=True)
    org_unit_id: int = Field(foreign_key="org_unit.id", index=True)
    occurred_on: date
    kind: str = Field(max_length=40)  # privacy_breach | enforcement_conflict | complaints
    confirmed: bool = False
    note: str | None = Field(default=None, max_length=1000)


# --- audit & rollups -----------------------------------------------------------------------

# Append-only, hash-chained: hash = sha256(prev_hash + canonical row). Never updated.
class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    username: str = Field(max_length=60, index=True)
    action: str = Field(max_length=40, index=True)
    entity: str | None = Field(default=None, max_length=40)
    entity_id: str | None = Field(default=None, max_length=60)
    detail: str | None = Field(default=None, sa_column=Column(Text))  # JSON, never personal data
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


# Counts per grid × period month × event month × metric (see data_access.rollups).
class Rollup(SQLModel, table=True):
    __tablename__ = "rollup"
    __table_args__ = (Index("ix_rollup_period", "period_month", "metric"),
                      # household stock reads only these rows (one per grid and registration month)
                      Index("ix_rollup_households", "grid_id", "event_month", "n",
                            postgresql_where=text("metric = 'households'"),
                            sqlite_where=text("metric = 'households'")))
    grid_id: int = Field(foreign_key="org_unit.id", primary_key=True)
    period_month: int = Field(primary_key=True)
    event_month: int = Field(primary_key=True)
    metric: str = Field(primary_key=True, max_length=24)
    n: int = 0


# The same counts per community, station and district (``unit_id``): each grid mapped through its
# assignment valid in the period month, then to that community's station and district. A unit's
# totals per child are then the children's own rows (the city reads 16 districts' rows, not
# 12,000 grids'). Kept in step with ``rollup`` (see data_access.rollups). Not for the
# ``households`` metric (stock is mapped at the reference month, see kpi_queries.household_stock).
class UnitRollup(SQLModel, table=True):
    __tablename__ = "unit_rollup"
    unit_id: int = Field(foreign_key="org_unit.id", primary_key=True)
    period_month: int = Field(primary_key=True)
    event_month: int = Field(primary_key=True)
    metric: str = Field(primary_key=True, max_length=24)
    n: int = 0


# special_visit_compliance of each grid's households at the end of a completed month (see
# data_access.snapshots): the status trend asks for six month ends on every dashboard load, and
# each is a probe per risk household into the visit index. Recomputed per grid on every write
# that can change it; ``special_snapshot_month`` records which months are stored, with the
# intervals they were computed with.
class SpecialSnapshot(SQLModel, table=True):
    __tablename__ = "special_snapshot"
    month: int = Field(primary_key=True)
    grid_id: int = Field(foreign_key="org_unit.id", primary_key=True)
    ok: int = 0
    n: int = 0


class SpecialSnapshotMonth(SQLModel, table=True):
    __tablename__ = "special_snapshot_month"
    month: int = Field(primary_key=True)
    intervals: str = Field(max_length=200)  # JSON [[level, days], ...] the month was computed with


# Distinct households visited per officer per ISO week.
class OfficerWeek(SQLModel, table=True):
    __tablename__ = "officer_week"
    officer_id: int = Field(foreign_key="app_user.id", primary_key=True)
    week: int = Field(primary_key=True)
    households: int = 0


# Officer-weeks per unit and ISO week, for officers whose *current* scope is that unit or under
# it: ``households`` = the sum of their ``officer_week.households``, ``officers`` = how many of
# those officer-weeks visited at least one household. officer_weekly_visits of a unit per child
# reads its children's rows (the city: 16 districts' rows, not every officer's). Kept in step
# with ``officer_week`` and re-derived when an officer's scope or a grid's community changes
# (see data_access.rollups).
class UnitWeek(SQLModel, table=True):
    __tablename__ = "unit_week"
    unit_id: int = Field(foreign_key="org_unit.id", primary_key=True)
    week: int = Field(primary_key=True)
    households: int = 0
    officers: int = 0


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


# Login attempts for the lockout rule (no password, no IP; unknown names are not stored).
class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_user_at", "user_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    at: datetime
    kind: str = Field(max_length=8)  # ok | fail | unlock


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
