"""Writes to the org tree: new units (with their lineage columns) and dated grid moves.

A move never rewrites history: the grid's current assignment ends and a new one starts at the
chosen month; the count rollups of the communities, stations and districts involved are
re-derived in the same transaction. Functions never commit.
"""
from __future__ import annotations

import re

from sqlmodel import Session, select

from data_access.analytics import rollups
from data_access.core import audit
from data_access.core.errors import NotFound, RecordError, ValidationError
from data_access.core.text import check_reason, checked_text
from data_access.core.versioning import check_version
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


def move_grid(*, session: Session, grid: OrgUnit, community: OrgUnit, from_month: int, username: str,
              reason: str | None = None) -> None:
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
                {"from": old, "to": community.id, "from_month": from_month}
                | ({"reason": reason} if reason else {}))


# --- the admin's org-unit screen (issue 13): validated, versioned, audited -----------------------

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
NAME_ZH_MAX, NAME_EN_MAX = 120, 160


def _names(name_zh: str | None, name_en: str | None) -> tuple[str, str | None]:
    zh = checked_text("name_zh", name_zh, NAME_ZH_MAX, required=True)
    en = checked_text("name_en", name_en, NAME_EN_MAX)
    return zh, en


def _bumped(session: Session, unit_id: int, expected_version: int) -> OrgUnit:
    u = session.get(OrgUnit, unit_id)
    if u is None:
        raise NotFound(f"org unit {unit_id}")
    check_version(session, u, expected_version, f"org unit {u.code}")
    u.version += 1
    return u


def create_unit(*, session: Session, username: str, code: str, level: str, parent_id: int | None, name_zh: str,
                name_en: str | None, pilot: bool, reason: str, from_month: int = 0) -> OrgUnit:
    """A new unit under ``parent_id`` (a grid also gets its dated assignment from ``from_month``)."""
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise ValidationError("code", "format")
    if session.exec(select(OrgUnit.id).where(OrgUnit.code == code)).first() is not None:
        raise ValidationError("code", "unit_taken", {"value": code})
    zh, en = _names(name_zh, name_en)
    parent = session.get(OrgUnit, parent_id) if parent_id is not None else None
    if parent_id is not None and parent is None:
        raise NotFound(f"org unit {parent_id}")
    if level not in LEVELS or level == "city":
        raise ValidationError("level", "choice", {"options": list(LEVELS[1:])})
    if parent is None or parent.level != LEVELS[LEVELS.index(level) - 1]:
        raise ValidationError("parent", "level_for_parent", {"level": LEVELS[LEVELS.index(level) - 1]})
    why = check_reason(reason)
    u = add_org_unit(session=session, code=code, level=level, name_zh=zh, parent=parent, name_en=en,
                     pilot=bool(pilot), from_month=from_month)
    session.flush()
    audit.write(session, username, "org_unit.create", "org_unit", code,
                {"level": level, "parent": parent.code, "pilot": bool(pilot), "reason": why})
    return u


def rename_unit(*, session: Session, username: str, unit_id: int, name_zh: str, name_en: str | None,
                expected_version: int, reason: str) -> OrgUnit:
    zh, en = _names(name_zh, name_en)
    why = check_reason(reason)
    u = _bumped(session, unit_id, expected_version)
    old = {"name_zh": u.name_zh, "name_en": u.name_en}
    u.name_zh, u.name_en = zh, en
    session.add(u)
    session.flush()
    audit.write(session, username, "org_unit.rename", "org_unit", u.code,
                {"old": old, "new": {"name_zh": zh, "name_en": en}, "reason": why})
    return u


def set_pilot(*, session: Session, username: str, unit_id: int, pilot: bool, expected_version: int,
              reason: str) -> OrgUnit:
    why = check_reason(reason)
    u = _bumped(session, unit_id, expected_version)
    old = bool(u.pilot)
    u.pilot = bool(pilot)
    session.add(u)
    session.flush()
    audit.write(session, username, "org_unit.pilot", "org_unit", u.code, {"old": old, "new": bool(pilot), "reason": why})
    return u


def move_grid_admin(*, session: Session, username: str, grid_id: int, community_id: int, from_month: int,
                    expected_version: int, reason: str) -> OrgUnit:
    """The admin's grid move: validated (a grid, a community, a month YYYYMM after the current
    assignment began), the grid's version checked, then :func:`move_grid` (history kept, rollups
    re-derived, audited with the reason)."""
    why = check_reason(reason)
    grid, community = session.get(OrgUnit, grid_id), session.get(OrgUnit, community_id)
    if grid is None or grid.level != "grid":
        raise ValidationError("grid", "unknown", {"value": grid_id})
    if community is None or community.level != "community":
        raise ValidationError("community", "unknown", {"value": community_id})
    if community.id == grid.parent_id:
        raise ValidationError("community", "unchanged")
    if not (190001 <= from_month <= 299912 and 1 <= from_month % 100 <= 12):
        raise ValidationError("from_month", "format")
    current = session.exec(select(GridAssignment).where(
        GridAssignment.grid_id == grid.id, GridAssignment.to_month.is_(None))).first()
    if current is not None and from_month <= current.from_month:
        raise ValidationError("from_month", "after_current", {"month": current.from_month})
    grid = _bumped(session, grid_id, expected_version)
    move_grid(session=session, grid=grid, community=community, from_month=from_month, username=username, reason=why)
    return grid


def assignments(*, session: Session, grid_id: int) -> list[GridAssignment]:
    """A grid's dated community assignments, oldest first (history)."""
    return list(session.exec(select(GridAssignment).where(GridAssignment.grid_id == grid_id)
                             .order_by(GridAssignment.from_month)).all())


def versions(*, session: Session, unit_ids: list[int]) -> dict[int, int]:
    """The version of each unit (what an edit form keeps to detect a concurrent change)."""
    if not unit_ids:
        return {}
    return dict(session.execute(select(OrgUnit.id, OrgUnit.version).where(OrgUnit.id.in_(unit_ids))).all())


def grid_geometries(*, session: Session, codes: list[str]) -> dict[str, dict]:
    """Stored boundaries (GeoJSON geometry) of the grids of the communities ``codes`` belong to."""
    import json

    if not codes:
        return {}
    parents = select(OrgUnit.parent_id).where(OrgUnit.code.in_(codes))
    rows = session.execute(select(OrgUnit.code, OrgUnit.geometry).where(
        OrgUnit.level == "grid", OrgUnit.parent_id.in_(parents), OrgUnit.geometry.is_not(None))).all()
    out = {}
    for code, geom in rows:
        try:
            out[code] = json.loads(geom)
        except ValueError:
            continue
    return out
