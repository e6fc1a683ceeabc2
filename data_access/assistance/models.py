"""Tables of data_access.assistance: assisted persons (帮扶对象, seed 004 §3.2–§3.5) — one file per
person with its dated risk history, assistance measures, visits, counselling sessions and the
counselling alerts (three consecutive misses).

The person is a *reference* to an existing resident row (``resident_id``): name, ID number and
phone live only on ``resident`` (encrypted there), so an erasure of the resident removes them
everywhere. ``household_id`` and ``grid_id`` stay for the counts (the grid is the household's at
registration, kept in step when the household moves). Times are naive local times.

Every table at once: ``data_access.schema`` (Alembic, tests).
"""
from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime as datetime  # naive local times (Asia/Shanghai)
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

import data_access.fieldwork.models  # noqa: F401  (household, resident: referenced by foreign key)
import data_access.org.models  # noqa: F401  (org_unit, app_user)

GROUPS = ("community_correction", "released_prisoner", "drug_rehab", "migrant", "other")
RISKS = ("high", "medium", "low")
MEASURES = ("skills_training", "job_referral", "counselling", "housing", "schooling", "loan")
OUTCOMES = ("pending", "success", "partial", "failed")
EMPLOYMENT = ("unknown", "unemployed", "employed", "self_employed", "in_training")
SESSION_STATUSES = ("scheduled", "attended", "missed")


class AssistedPerson(SQLModel, table=True):
    __tablename__ = "assisted_person"
    __table_args__ = (Index("ix_assisted_person_grid_risk", "grid_id", "risk_level", "active"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id", unique=True)  # one file per person
    household_id: int = Field(foreign_key="household.id", index=True)
    grid_id: int = Field(foreign_key="org_unit.id")
    group: str = Field(max_length=24)
    risk_level: str = Field(max_length=8)  # current level; the dated history is assisted_risk_change
    helper_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)  # 帮扶责任人 (an officer)
    employment: str = Field(default="unknown", max_length=16)
    registered_on: date
    active: bool = True
    closed_on: date | None = None
    last_visit_at: datetime | None = None  # derived: latest visit (assistance.services.record_visit)
    version: int = 1


# Dated risk history: the first row (old_level NULL) is the level at registration.
class AssistedRiskChange(SQLModel, table=True):
    __tablename__ = "assisted_risk_change"
    __table_args__ = (Index("ix_assisted_risk_change_person_at", "person_id", "changed_at"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="assisted_person.id")
    changed_at: datetime
    old_level: str | None = Field(default=None, max_length=8)
    new_level: str = Field(max_length=8)
    reason: str | None = Field(default=None, max_length=500)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")


# One assistance measure (技能培训、就业推荐、心理疏导、临时住房、子女入学、创业贷款) with dates and outcome.
class AssistanceMeasure(SQLModel, table=True):
    __tablename__ = "assistance_measure"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="assisted_person.id", index=True)
    kind: str = Field(max_length=20)
    started_on: date
    ended_on: date | None = None
    outcome: str = Field(default="pending", max_length=10)
    note: str | None = Field(default=None, max_length=500)
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")
    version: int = 1


# A visit to an assisted person (每周一访 for high-risk ones).
class PersonVisit(SQLModel, table=True):
    __tablename__ = "person_visit"
    __table_args__ = (Index("ix_person_visit_person_at", "person_id", "visited_at"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="assisted_person.id")
    visited_at: datetime = Field(index=True)
    officer_id: int | None = Field(default=None, foreign_key="app_user.id")
    note: str | None = Field(default=None, max_length=500)
    client_token: str | None = Field(default=None, max_length=64, unique=True)  # a double submit writes once


# A scheduled counselling session (心理疏导), later marked attended or missed.
class CounsellingSession(SQLModel, table=True):
    __tablename__ = "counselling_session"
    __table_args__ = (UniqueConstraint("person_id", "scheduled_at"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="assisted_person.id", index=True)
    scheduled_at: datetime
    status: str = Field(default="scheduled", max_length=10)
    marked_at: datetime | None = None
    marked_by: int | None = Field(default=None, foreign_key="app_user.id")
    version: int = 1


# Three consecutive missed sessions (seed 004 §5.4): an alert to the helper until acknowledged with
# a note. ``session_id`` is the miss that completed the run (one alert per such miss).
class CounsellingAlert(SQLModel, table=True):
    __tablename__ = "counselling_alert"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="assisted_person.id", index=True)
    session_id: int = Field(foreign_key="counselling_session.id", unique=True)
    helper_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    raised_at: datetime
    misses: int = 3
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = Field(default=None, foreign_key="app_user.id")
    note: str | None = Field(default=None, max_length=500)
    version: int = 1
