"""Tables of data_access.org: the org tree (city → district → station → community → grid), dated
grid → community assignments, users and login attempts.

Every table at once: ``data_access.schema`` (Alembic, tests).
"""
from __future__ import annotations

from pydantic import NaiveDatetime as datetime  # naive local times (Asia/Shanghai)
from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

LEVELS = ("city", "district", "station", "community", "grid")
ROLES = ("admin", "city_leader", "district_leader", "station_leader", "coordinator", "officer")


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
    version: int = 1  # optimistic locking of renames, pilot flags and boundaries (org.units, org.boundaries)


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


# Login attempts for the lockout rule (no password, no IP; unknown names are not stored).
class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_user_at", "user_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    at: datetime
    kind: str = Field(max_length=8)  # ok | fail | unlock
