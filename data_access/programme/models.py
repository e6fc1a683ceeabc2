"""Tables of data_access.programme: the indicator registry, phases, targets per unit and phase,
milestones, reported values and veto events.

Every table at once: ``data_access.schema`` (Alembic, tests).
"""
from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime as datetime  # naive local times (Asia/Shanghai)
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import data_access.org.models  # noqa: F401  (registers the tables referenced by foreign key)

MILESTONE_STATUSES = ("planned", "in_progress", "done", "late")


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
