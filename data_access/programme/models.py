"""Tables of data_access.programme: the indicator registry, phases, targets per unit and phase,
milestones, reported values and veto events.

Every table at once: ``data_access.schema`` (Alembic, tests).
"""
from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime as datetime  # naive local times (Asia/Shanghai)
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import data_access.org.models  # noqa: F401  (registers the tables referenced by foreign key)

MILESTONE_STATUSES = ("planned", "in_progress", "done", "late")
PERIOD_TYPES = ("month", "quarter", "year")
AGGREGATIONS = ("sum", "mean", "none")
REPORT_STATUSES = ("entered", "approved", "returned")  # entered = awaiting approval where required


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
    # reported indicators (DHIS2-style data sets; the data set is the source plan "seed-00N")
    entry_level: str | None = Field(default=None, max_length=12)  # org level that enters values
    period_type: str = Field(default="month", max_length=8)  # month | quarter | year
    aggregation: str = Field(default="mean", max_length=8)  # sum | mean | none (up the tree)
    needs_approval: bool = False  # the level above approves or returns each value
    pilot_only: bool = False  # only units of pilot districts report it
    min_value: float | None = None  # admin-set plausible range (entry refused outside)
    max_value: float | None = None


class Phase(SQLModel, table=True):
    __tablename__ = "phase"
    code: str = Field(primary_key=True, max_length=20)
    name_zh: str = Field(max_length=40)
    name_en: str = Field(max_length=40)
    start: date
    end: date
    version: int = 1  # optimistic locking of the admin's edits (programme.config)


class Target(SQLModel, table=True):
    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("indicator_code", "phase_code", "org_unit_id"),)
    id: int | None = Field(default=None, primary_key=True)
    indicator_code: str = Field(foreign_key="indicator.code", max_length=40)
    phase_code: str = Field(foreign_key="phase.code", max_length=20)
    org_unit_id: int | None = Field(default=None, foreign_key="org_unit.id")  # None = city default
    target: float
    baseline: float | None = None
    pilot_only: bool = False  # the target applies to units of pilot districts only
    version: int = 1  # optimistic locking of the admin's edits (programme.config)


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


# Values of *reported* indicators, one per indicator × unit × period ("2025-03", "2025Q1", "2025").
class ReportedValue(SQLModel, table=True):
    __tablename__ = "reported_value"
    __table_args__ = (UniqueConstraint("indicator_code", "org_unit_id", "period"),
                      Index("ix_reported_value_unit_period", "org_unit_id", "period_end"))
    id: int | None = Field(default=None, primary_key=True)
    indicator_code: str = Field(foreign_key="indicator.code", max_length=40, index=True)
    org_unit_id: int = Field(foreign_key="org_unit.id")
    period: str = Field(max_length=8)
    period_end: date  # last day of the period (lock date, phase value, timeliness)
    value: float
    note: str | None = Field(default=None, sa_column=Column(Text))  # method and source
    status: str = Field(default="entered", max_length=10)  # entered | approved | returned
    origin: str = Field(default="entry", max_length=8)  # entry | import
    entered_by: str | None = Field(default=None, max_length=60)
    entered_at: datetime | None = None  # first entry (timeliness)
    updated_by: str | None = Field(default=None, max_length=60)
    updated_at: datetime | None = None
    reviewed_by: str | None = Field(default=None, max_length=60)
    reviewed_at: datetime | None = None
    review_comment: str | None = Field(default=None, max_length=1000)  # a return's reason, shown to the enterer
    version: int = 1


# Every change of a reported value: who, when, old → new, reason (corrections keep their history).
class ReportedValueChange(SQLModel, table=True):
    __tablename__ = "reported_value_change"
    id: int | None = Field(default=None, primary_key=True)
    reported_value_id: int = Field(foreign_key="reported_value.id", index=True)
    at: datetime
    username: str = Field(max_length=60)
    action: str = Field(max_length=10)  # enter | correct | import | approve | return
    old_value: float | None = None
    new_value: float | None = None
    reason: str | None = Field(default=None, max_length=1000)


# An admin reopened one unit × period after its lock date, with a reason, until ``until``.
class ReportReopen(SQLModel, table=True):
    __tablename__ = "report_reopen"
    id: int | None = Field(default=None, primary_key=True)
    org_unit_id: int = Field(foreign_key="org_unit.id", index=True)
    period: str = Field(max_length=8)
    reason: str = Field(max_length=1000)
    reopened_by: str = Field(max_length=60)
    reopened_at: datetime
    until: date  # last day on which values may be entered again


# One-vote-veto events (负面清单): a confirmed one in a period flags the unit "vetoed".
class VetoEvent(SQLModel, table=True):
    __tablename__ = "veto_event"
    id: int | None = Field(default=None, primary_key=True)
    org_unit_id: int = Field(foreign_key="org_unit.id", index=True)
    occurred_on: date
    kind: str = Field(max_length=40)  # privacy_breach | enforcement_conflict | complaints
    confirmed: bool = False
    note: str | None = Field(default=None, max_length=1000)


# --- accountability (issue 15: seed 004 §7.4, §9.3; seed 003 §6.4) ------------------------------

LAG_ACTION_KINDS = ("interview", "supervision")  # 约谈主要负责人 | 派驻督导组
RECT_SOURCES = ("spot_check", "inspection", "lag", "hazard", "complaint", "security_incident")
RECT_STATUSES = ("open", "in_progress", "closed")
INCIDENT_KINDS = ("data_leak", "intrusion", "outage", "malware", "other")


# One unit lagging on one indicator at one month end (gap / target > 15 %, direction-aware).
# ``months_running``: consecutive month ends it has lagged on that indicator, this one included.
class LagEntry(SQLModel, table=True):
    __tablename__ = "lag_entry"
    __table_args__ = (UniqueConstraint("month", "org_unit_id", "indicator_code"),)
    id: int | None = Field(default=None, primary_key=True)
    month: int = Field(index=True)  # YYYYMM of the month end
    org_unit_id: int = Field(foreign_key="org_unit.id", index=True)
    indicator_code: str = Field(foreign_key="indicator.code", max_length=40)
    actual: float
    target: float
    gap: float
    share: float  # gap / |target|
    months_running: int = 1
    derived_at: datetime
    version: int = 1


# An action taken on a lag entry: the interview held or the supervision team sent.
class LagAction(SQLModel, table=True):
    __tablename__ = "lag_action"
    id: int | None = Field(default=None, primary_key=True)
    lag_entry_id: int = Field(foreign_key="lag_entry.id", index=True)
    kind: str = Field(max_length=12)  # interview | supervision
    held_on: date
    who: str = Field(max_length=120)
    note: str | None = Field(default=None, max_length=1000)
    recorded_by: str = Field(max_length=60)
    recorded_at: datetime


# Problem rectification ledger (问题整改台账): open until closed (销号) with evidence.
class RectificationItem(SQLModel, table=True):
    __tablename__ = "rectification_item"
    __table_args__ = (Index("ix_rectification_status_due", "status", "due"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    client_token: str | None = Field(default=None, max_length=64, unique=True)  # a double submit writes once
    source: str = Field(max_length=20)
    source_ref: str | None = Field(default=None, max_length=60)  # e.g. the lag entry, hazard or incident code
    org_unit_id: int = Field(foreign_key="org_unit.id", index=True)
    title: str = Field(max_length=300)
    detail: str | None = Field(default=None, max_length=2000)
    due: date
    status: str = Field(default="open", max_length=12)
    evidence: str | None = Field(default=None, max_length=2000)
    closed_on: date | None = None
    closed_by: str | None = Field(default=None, max_length=60)
    created_by: str = Field(max_length=60)
    created_at: datetime
    version: int = 1


# A security incident (seed 003 §6.4) on three clocks: plan started ≤ 1 h, trace analysis ≤ 24 h,
# rectified with a report ≤ 7 days after detection. The due times are stored (no date arithmetic
# in SQL); a confirmed data leak becomes the unit's one-vote-veto event (``veto_event_id``).
class SecurityIncident(SQLModel, table=True):
    __tablename__ = "security_incident"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    client_token: str | None = Field(default=None, max_length=64, unique=True)
    org_unit_id: int = Field(foreign_key="org_unit.id", index=True)
    kind: str = Field(max_length=12)
    title: str = Field(max_length=300)
    detected_at: datetime = Field(index=True)
    plan_due_at: datetime
    trace_due_at: datetime
    rectify_due_at: datetime
    plan_started_at: datetime | None = None
    trace_done_at: datetime | None = None
    rectified_at: datetime | None = None
    report: str | None = Field(default=None, max_length=4000)
    leak_confirmed: bool = False
    veto_event_id: int | None = Field(default=None, foreign_key="veto_event.id")
    status: str = Field(default="open", max_length=8)  # open | closed
    created_by: str = Field(max_length=60)
    created_at: datetime
    version: int = 1
