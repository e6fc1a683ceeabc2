"""Tables of data_access.staffing: grid profiles (urban/rural, key area), the staff roster with
certification, dated staff → grid assignments (one lead officer per grid), officers' on-site
office hours (坐班/驻点) and the monthly joint meetings (联席会议) per community.

Staff are people, not app users: a roster row may link to an ``app_user`` (officers who sign
in; their visits are recorded by app_user id). Dates are local dates, times naive local times.

Every table at once: ``data_access.schema`` (Alembic, tests).
"""
from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime as datetime  # naive local times (Asia/Shanghai)
from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

import data_access.org.models  # noqa: F401  (registers the tables referenced by foreign key)

STAFF_TYPES = ("officer", "auxiliary", "grid_worker")  # 社区民警, 辅警, 网格员
AREA_TYPES = ("urban", "rural")


# Grid attributes the staffing rules read (seed 002 §9: area_type, key_area). One row per grid;
# a grid without a row is urban and not a key area.
class GridProfile(SQLModel, table=True):
    __tablename__ = "grid_profile"
    grid_id: int = Field(foreign_key="org_unit.id", primary_key=True)
    area_type: str = Field(default="urban", max_length=8)  # urban | rural
    key_area: bool = False  # 老旧小区 / 商业街区: +1 auxiliary (seed 002 §5.1, §7.1)
    version: int = 1


class Staff(SQLModel, table=True):
    __tablename__ = "staff"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=60)
    staff_type: str = Field(max_length=12, index=True)  # officer | auxiliary | grid_worker
    full_time: bool = True
    unit_id: int = Field(foreign_key="org_unit.id", index=True)  # home unit (scope of who may edit)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)  # officers who sign in
    # seed 002 §3.7: exam + practical + residents' appraisal passed → certified; not certified → not on post
    certified: bool = False
    certified_on: date | None = None
    active: bool = True
    version: int = 1


# Dated staff → grid assignment: on post from ``start_on`` to ``end_on`` (both inclusive, NULL = open).
class StaffAssignment(SQLModel, table=True):
    __tablename__ = "staff_assignment"
    __table_args__ = (Index("ix_staff_assignment_grid", "grid_id", "start_on"),)
    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    grid_id: int = Field(foreign_key="org_unit.id")
    lead: bool = False  # the grid's lead officer (an officer, certified)
    start_on: date
    end_on: date | None = None
    version: int = 1


# An officer's on-site office hours in a grid (坐班 / 驻点 / 现场办公).
class OfficeSession(SQLModel, table=True):
    __tablename__ = "office_session"
    __table_args__ = (Index("ix_office_session_grid_day", "grid_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    client_token: str | None = Field(default=None, max_length=64, unique=True)
    officer_id: int = Field(foreign_key="app_user.id", index=True)
    grid_id: int = Field(foreign_key="org_unit.id")
    started_at: datetime
    ended_at: datetime
    note: str | None = Field(default=None, max_length=500)
    # derived
    minutes: int = 0
    day: date = Field(index=True)  # local day of started_at
    week: int = 0  # ISO year*100 + ISO week


# Monthly grid policing joint meeting (网格警务联席会议, seed 002 §3.5 / §5.2) of a community.
class JointMeeting(SQLModel, table=True):
    __tablename__ = "joint_meeting"
    __table_args__ = (Index("ix_joint_meeting_community_month", "community_id", "month"),)
    id: int | None = Field(default=None, primary_key=True)
    client_token: str | None = Field(default=None, max_length=64, unique=True)
    community_id: int = Field(foreign_key="org_unit.id")
    held_on: date
    month: int = 0  # derived: YYYYMM of held_on
    attendees: str = Field(max_length=1000)
    risks: str | None = Field(default=None, max_length=2000)
    tasks: str | None = Field(default=None, sa_column=Column(Text))  # JSON [{"task": …, "owner": …}]
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    version: int = 1
