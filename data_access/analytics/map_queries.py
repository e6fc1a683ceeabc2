"""Map queries: org-unit polygons for a scope and the officer of each grid.

Geometry is stored as GeoJSON text on ``org_unit.geometry``; it is parsed, simplified
(Douglas–Peucker, tolerance in degrees) and rounded to 5 decimals by ``data_access.org.geometry``
before it leaves this module, so the browser never receives full-resolution polygons.
Only unit names/codes, the pilot flag and officers' display names are returned: no
residents' data, no usernames.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from data_access.org import geometry as geo
from data_access.org.models import LEVELS, OrgUnit, User

log = logging.getLogger(__name__)

# Column holding a unit's ancestor (or itself) at each level.
LEVEL_COLUMN = {
    "city": OrgUnit.city_id,
    "district": OrgUnit.district_id,
    "station": OrgUnit.station_id,
    "community": OrgUnit.community_id,
    "grid": OrgUnit.id,
}


# A unit as the map draws it: simplified GeoJSON geometry plus the ancestors used to aggregate.
@dataclass(frozen=True)
class MapFeature:
    id: int
    code: str
    level: str
    name_zh: str
    name_en: str | None
    geometry: dict
    parent_id: int | None = None
    district_id: int | None = None
    station_id: int | None = None
    community_id: int | None = None
    pilot: bool = False
    officer: str | None = None  # display names of the grid's officers, "、"-joined

    def name(self, lang: str) -> str:
        """Name in ``lang``; English falls back to the code, never to Chinese."""
        if lang == "en":
            return self.name_en or self.code
        return self.name_zh

    def ancestor(self, level: str) -> int | None:
        """Id of this unit's ancestor at ``level`` (itself at its own level)."""
        if level == self.level:
            return self.id
        return {"district": self.district_id, "station": self.station_id,
                "community": self.community_id}.get(level)


def _scope_filter(session: Session, scope: Any, level: str):
    """WHERE clause selecting units of ``level`` inside ``scope`` — or, for a level above the
    scope, the scope's own ancestor at that level (e.g. the district outline around a station)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    if LEVELS.index(level) >= LEVELS.index(scope.level):
        return LEVEL_COLUMN[scope.level] == scope.id
    row = session.get(OrgUnit, scope.id)
    ancestor = getattr(row, f"{level}_id", None) if row is not None else None
    return OrgUnit.id == ancestor


def fetch_features(*, session: Session, scope: Any, level: str = "grid", tolerance: float = 0.0,
                   with_officers: bool = True) -> list[MapFeature]:
    """Units of ``level`` under ``scope`` (an ``OrgUnit`` or ``UnitRef``) that have a geometry,
    sorted by code, with geometry simplified at ``tolerance`` degrees and rounded to 5 decimals.

    A unit whose stored geometry is not a valid Polygon/MultiPolygon is skipped (logged by code).
    Grids carry their officers' display names when ``with_officers``.
    """
    stmt = (select(OrgUnit.id, OrgUnit.code, OrgUnit.level, OrgUnit.name_zh, OrgUnit.name_en, OrgUnit.geometry,
                   OrgUnit.parent_id, OrgUnit.district_id, OrgUnit.station_id, OrgUnit.community_id,
                   OrgUnit.pilot)
            .where(OrgUnit.level == level, OrgUnit.geometry.is_not(None), _scope_filter(session, scope, level))
            .order_by(OrgUnit.code))
    rows = session.exec(stmt).all()
    officers = officers_by_grid(session=session, scope=scope) if (with_officers and level == "grid") else {}
    out = []
    for r in rows:
        try:
            g = geo.parse_geometry(r.geometry)
        except (ValueError, TypeError, KeyError, AttributeError, json.JSONDecodeError):
            log.warning("org unit %s: geometry is not a Polygon/MultiPolygon; left off the map", r.code)
            continue
        if g is None:
            continue
        g = geo.simplify_geometry(g, tolerance)
        if not g["coordinates"]:
            continue
        out.append(MapFeature(id=r.id, code=r.code, level=r.level, name_zh=r.name_zh, name_en=r.name_en,
                              geometry=g, parent_id=r.parent_id, district_id=r.district_id,
                              station_id=r.station_id, community_id=r.community_id, pilot=bool(r.pilot),
                              officer=officers.get(r.id)))
    return out


def officers_by_grid(*, session: Session, scope: Any) -> dict[int, str]:
    """``{grid id: officers' display names}`` for active users with role ``officer`` whose scope
    is a grid under ``scope``; several officers on one grid are joined with "、" (sorted)."""
    stmt = (select(User.scope_id, User.display_name)
            .join(OrgUnit, OrgUnit.id == User.scope_id)
            .where(User.role == "officer", User.active.is_(True), OrgUnit.level == "grid",
                   LEVEL_COLUMN[scope.level] == scope.id)
            .order_by(User.scope_id, User.display_name))
    names: dict[int, list[str]] = {}
    for grid_id, name in session.exec(stmt).all():
        names.setdefault(grid_id, []).append(name)
    return {g: "、".join(ns) for g, ns in names.items()}
