"""Tables of data_access.analytics: read models kept in step by every write (count rollups per grid
and per unit, officer-weeks, special-group compliance snapshots). Never edited by hand; rebuilt by
``python -m data_access rebuild-rollups``.

Every table at once: ``data_access.schema`` (Alembic, tests).
"""
from __future__ import annotations

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

import data_access.fieldwork.models  # noqa: F401  (registers the tables referenced by foreign key)
import data_access.org.models  # noqa: F401  (registers the tables referenced by foreign key)


# Counts per grid × period month × event month × metric (see data_access.analytics.rollups).
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
# 12,000 grids'). Kept in step with ``rollup`` (see data_access.analytics.rollups). Not for the
# ``households`` metric (stock is mapped at the reference month, see kpi_queries.household_stock).
class UnitRollup(SQLModel, table=True):
    __tablename__ = "unit_rollup"
    unit_id: int = Field(foreign_key="org_unit.id", primary_key=True)
    period_month: int = Field(primary_key=True)
    event_month: int = Field(primary_key=True)
    metric: str = Field(primary_key=True, max_length=24)
    n: int = 0


# special_visit_compliance of each grid's households at the end of a completed month (see
# data_access.analytics.snapshots): the status trend asks for six month ends on every dashboard load, and
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
# (see data_access.analytics.rollups).
class UnitWeek(SQLModel, table=True):
    __tablename__ = "unit_week"
    unit_id: int = Field(foreign_key="org_unit.id", primary_key=True)
    week: int = Field(primary_key=True)
    households: int = 0
    officers: int = 0


# Minutes officers spent in a grid per month on working days (Monday–Friday, by the day a visit
# or office session started): visit durations (not recorded: nothing) plus office-session
# minutes. The staffing indicators (metrics.staffing) sum the months lying wholly in a period and
# join the roster at read time, so a roster change never rewrites these rows. Kept in step by
# ``rollups.presence``; ``rollups.rebuild`` recomputes them.
class PresenceMonth(SQLModel, table=True):
    __tablename__ = "presence_month"
    month: int = Field(primary_key=True)
    grid_id: int = Field(foreign_key="org_unit.id", primary_key=True)
    officer_id: int = Field(foreign_key="app_user.id", primary_key=True)
    minutes: int = 0
