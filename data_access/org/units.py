"""Writes to the org tree: new units (with their lineage columns) and dated grid moves.

A move never rewrites history: the grid's current assignment ends and a new one starts at the
chosen month; the count rollups of the communities, stations and districts involved are
re-derived in the same transaction. Functions never commit.
"""
from __future__ import annotations

from sqlmodel import Session, select

from data_access.analytics import rollups
from data_access.core import audit
from data_access.core.errors import RecordError
from data_access.org.models import LEVELS, GridAssignment, OrgUnit

_LEVEL_COL = {"city": "city_id", "district": "district_id", "station": "station_id", "community": "community_id"}


def add_org_unit(*, session: Session, code: str, level: str, name_zh: str, parent: OrgUnit | None,
                 name_en: str | None = None, pilot: bool = False, geometry: str | None = None,
                 from_month: int = 0) -> OrgUnit:
    """Create an org unit below ``parent``; a grid also gets its dated community assignment."""
    if level not in LEVELS:
        raise RecordError("level", f"unknown level {level!r}")
    expected_parent = LEVELS[LEVELS.index(level) - 1] if level != "city" else None
    if (parent.level if parent else None) != expected_parent:
        raise RecordError("parent_code", f"a {level} must sit under a {expected_parent or 'nothing'}")
    u = OrgUnit(code=code, level=level, name_zh=name_zh, name_en=name_en, pilot=pilot,
                geometry=geometry, parent_id=parent.id if parent else None)
    session.add(u)
    session.flush()
    _set_lineage(u, parent)
    if level == "grid":
        session.add(GridAssignment(grid_id=u.id, community_id=parent.id, from_month=from_month))
    return u


def _set_lineage(u: OrgUnit, parent: OrgUnit | None) -> None:
    u.path = (parent.path if parent else "/") + f"{u.id}/"
    for col in _LEVEL_COL.values():
        setattr(u, col, getattr(parent, col) if parent else None)
    if u.level in _LEVEL_COL:
        setattr(u, _LEVEL_COL[u.level], u.id)


def move_grid(*, session: Session, grid: OrgUnit, community: OrgUnit, from_month: int, username: str) -> None:
    """Assign ``grid`` to ``community`` from the first day of ``from_month`` (YYYYMM); history is kept."""
    if grid.level != "grid" or community.level != "community":
        raise RecordError("parent_code", "only a grid can move, and only to a community")
    rollups.lock_for_regrouping(session)
    current = session.exec(select(GridAssignment).where(
        GridAssignment.grid_id == grid.id, GridAssignment.to_month.is_(None))).first()
    if current is not None:
        if from_month <= current.from_month:
            raise RecordError("from_month", "a move must start after the current assignment began")
        current.to_month = from_month
        session.add(current)
    session.add(GridAssignment(grid_id=grid.id, community_id=community.id, from_month=from_month))
    rollups.refresh_communities(session, [current.community_id if current else None, community.id])
    old = grid.parent_id
    before = rollups.lineage(session, unit_id=grid.id)
    grid.parent_id = community.id
    _set_lineage(grid, community)
    session.add(grid)
    session.flush()
    # officers scoped on the grid now count under the new community, station and district
    rollups.refresh_unit_weeks(session, before ^ rollups.lineage(session, unit_id=grid.id))
    audit.write(session, username, "grid.move", "org_unit", grid.code,
                {"from": old, "to": community.id, "from_month": from_month})
