"""Data behind the grid map screen, without Streamlit (the page caches it; the bench times it).

Which level is drawn: the grids under the selected unit when that stays cheap, else an
aggregate level (districts at city zoom, stations/communities below). Values per drawn unit
come from ``metrics.service.compute_kpis``, which returns a unit and its *direct* children: to
colour units of level L we call it once per unit of the level above L inside the selection
(once in total when that is the selected unit itself). A level is offered only while that
number of calls stays ≤ ``MAX_KPI_CALLS`` and its polygons ≤ ``MAX_POLYGONS`` (grids: as
``ui.map.default_level`` decides); the default is the finest level needing ≤ ``DEFAULT_KPI_CALLS``.

Geometry is simplified in the database layer (``map_queries.fetch_features`` tolerance, chosen
from the drawn level) so the city view stays far below the 5 MB payload budget.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from data_access.analytics import kpi_queries as kq
from data_access.analytics import map_queries as mq
from data_access.org import geometry as geo
from data_access.org.models import LEVELS, OrgUnit
from metrics.service import INDICATORS as _SERVICE_INDICATORS
from metrics.service import compute_kpis

from . import map as umap

MAX_POLYGONS = 3000
MAX_KPI_CALLS = 25
DEFAULT_KPI_CALLS = 8
PARALLEL = 4  # compute_kpis calls at once
# simplification tolerance (degrees) by drawn level: ~1 m for grids, coarser for big areas
TOLERANCE = {"grid": 0.00001, "community": 0.00005, "station": 0.0001, "district": 0.0002, "city": 0.0005}


@dataclass(frozen=True)
class LevelPlan:
    levels: tuple[str, ...]  # levels the user may choose (coarse → fine)
    default: str
    counts: dict  # level → units under the selection
    n_grids: int  # grids with a geometry under the selection


@dataclass(frozen=True)
class MapData:
    level: str
    features: tuple  # drawn features (MapFeature / AreaFeature), one per unit
    outlines: tuple  # district (and community, when grids are drawn) outlines
    kpis: dict  # drawn unit id → {indicator: Kpi}


def unit_counts(session: Session, unit: Any) -> tuple[dict[str, int], int]:
    """Units per level under ``unit`` (itself excluded) and the grids with a geometry."""
    col = mq.LEVEL_COLUMN[unit.level]
    rows = session.exec(select(OrgUnit.level, func.count()).where(col == unit.id, OrgUnit.id != unit.id)
                        .group_by(OrgUnit.level)).all()
    counts = {lv: int(n) for lv, n in rows}
    n_geo = session.exec(select(func.count()).select_from(OrgUnit).where(
        col == unit.id, OrgUnit.level == "grid", OrgUnit.geometry.is_not(None))).one()
    return counts, int(n_geo)


def kpi_calls(unit_level: str, level: str, counts: Mapping[str, int]) -> int:
    """compute_kpis calls needed to colour the units of ``level`` under a unit of ``unit_level``."""
    if level == unit_level:
        return 1
    parent = LEVELS[LEVELS.index(level) - 1]
    return 1 if parent == unit_level else int(counts.get(parent, 0))


def plan_levels(unit_level: str, counts: Mapping[str, int], n_grids: int) -> LevelPlan:
    """Levels offered for a selection of ``unit_level`` with ``counts`` units per level below it."""
    if unit_level == "grid":
        return LevelPlan(("grid",), "grid", dict(counts), n_grids)
    below = LEVELS[LEVELS.index(unit_level) + 1:]
    ok = []
    for lv in below:
        calls = kpi_calls(unit_level, lv, counts)
        if lv == below[0]:
            ok.append(lv)  # the direct children: one call, always offered
        elif calls <= MAX_KPI_CALLS and counts.get(lv, 0) <= MAX_POLYGONS and (
                lv != "grid" or umap.default_level(unit_level, n_grids, MAX_POLYGONS) == "grid"):
            ok.append(lv)
    default = ok[0]
    if unit_level != "city":  # the city view opens on its districts (as ui.map.default_level)
        for lv in ok:
            if kpi_calls(unit_level, lv, counts) <= DEFAULT_KPI_CALLS:
                default = lv
    return LevelPlan(tuple(ok), default, dict(counts), n_grids)


def _units_at(session: Session, unit: Any, level: str) -> list[str]:
    col = mq.LEVEL_COLUMN[unit.level]
    return list(session.exec(select(OrgUnit.code).where(col == unit.id, OrgUnit.level == level)
                             .order_by(OrgUnit.code)).all())


def level_kpis(session: Session, unit: Any, level: str, period: str, as_of: date | datetime,
               compute: Callable[..., list] = compute_kpis) -> dict[int, dict]:
    """``{unit id: {indicator: Kpi}}`` for every unit of ``level`` under ``unit`` (or ``unit``
    itself when ``level`` is its own level), via ``compute`` (compute_kpis) on the units one level up."""
    ids = {code: i for code, i in session.exec(select(OrgUnit.code, OrgUnit.id).where(
        mq.LEVEL_COLUMN[unit.level] == unit.id, OrgUnit.level == level)).all()}
    if level == unit.level:
        parents, want_self = [unit.code], True
    else:
        parent_level = LEVELS[LEVELS.index(level) - 1]
        parents = [unit.code] if parent_level == unit.level else _units_at(session, unit, parent_level)
        want_self = False
    out: dict[int, dict] = {}
    with kq.shared_reads():  # the parents' calls read phases, targets, settings … once between them
        each = _each(session, parents, period, as_of, children=not want_self, compute=compute)
    for kpis in each:
        for k in kpis:
            if k.is_self != want_self:
                continue
            uid = ids.get(k.unit_code)
            if uid is not None:
                out.setdefault(uid, {})[k.indicator] = k
    return out


def _each(session: Session, codes: list[str], period: str, as_of, children: bool,
          compute: Callable[..., list] = compute_kpis) -> list[list]:
    """``compute`` (compute_kpis) for each unit code; several calls run in parallel, each thread on
    its own session of the same engine (the database does the counting, so threads overlap well)."""
    if len(codes) <= 1:
        return [compute(session, unit_code=c, period=period, as_of=as_of, children=children) for c in codes]
    engine = session.get_bind()

    def one(code: str) -> list:
        with Session(engine) as s:
            return compute(s, unit_code=code, period=period, as_of=as_of, children=children)

    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(codes))) as pool:
        return list(pool.map(kq.in_block(one), codes))


def load_map(session: Session, unit: Any, level: str, period: str, as_of: date | datetime) -> MapData:
    """Features of ``level`` under ``unit`` with their KPIs, plus outlines (districts; communities
    too when grids are drawn)."""
    tol = TOLERANCE.get(level, 0.0)
    feats = mq.fetch_features(session=session, scope=unit, level=level, tolerance=tol,
                              with_officers=level == "grid")
    if not feats and level != "grid":
        # units without their own polygon: drawn from their grids' hull
        grids = mq.fetch_features(session=session, scope=unit, level="grid", tolerance=TOLERANCE["grid"],
                                  with_officers=False)
        if grids:
            from data_access.org import users

            units = {u.id: u for u in users.units_under(session=session, root=unit, max_level=level)}
            feats = umap.aggregate_features(grids, level, [], units)
    outline_levels = ["district"] + (["community"] if level == "grid" and unit.level != "grid" else [])
    outlines: list = []
    for lv in outline_levels:
        if lv == level:
            continue
        outlines += mq.fetch_features(session=session, scope=unit, level=lv, tolerance=TOLERANCE[lv],
                                      with_officers=False)
    kpis = level_kpis(session, unit, level, period, as_of) if feats else {}
    return MapData(level=level, features=tuple(feats), outlines=tuple(outlines), kpis=kpis)


def extra_kpis(session: Session, unit: Any, level: str, period: str, as_of: date | datetime,
               indicator: str, kind: str = "reported") -> dict[int, dict]:
    """As ``level_kpis`` for one indicator that ``compute_kpis`` does not give: a *reported* one
    (``metrics.reported.compute_reported`` of that indicator only; a unit below its entry level
    gets a row without a value) or another computed one (``metrics.reported.compute_all``, kept
    to that indicator). ``{unit id: {indicator: Kpi}}`` of the units of ``level`` under ``unit``."""
    from metrics.reported import compute_all, compute_reported

    def one(s: Session, **kw) -> list:
        if kind == "reported":
            return compute_reported(s, codes=[indicator], **kw)
        return [k for k in compute_all(s, **kw, parallel=True) if k.indicator == indicator]

    return level_kpis(session, unit, level, period, as_of, compute=one)


def needs_extra(indicator: str, kind: str) -> bool:
    """True when ``load_map``'s KPIs (``compute_kpis``) do not hold ``indicator``."""
    return kind == "reported" or indicator not in _SERVICE_INDICATORS


def with_kpis(data: MapData, extra: Mapping[int, dict]) -> MapData:
    """``data`` with ``extra`` KPIs (e.g. ``reported_kpis``) added to each unit's."""
    merged = {uid: dict(by) for uid, by in data.kpis.items()}
    for uid, by in extra.items():
        merged.setdefault(uid, {}).update(by)
    return replace(data, kpis=merged)


def cells(data: MapData, indicator: str, colour_by: str, text_of) -> dict[int, umap.CellValue]:
    """``{unit id: CellValue}`` for ``indicator``: the value (or gap) coloured and the status;
    ``text_of(kpi)`` formats the tooltip line."""
    out = {}
    for uid, by_ind in data.kpis.items():
        k = by_ind.get(indicator)
        if k is None:
            continue
        v = k.gap if colour_by == "gap" else k.value
        out[uid] = umap.CellValue(value=v, status=k.status, text=text_of(k))
    return out


def build(data: MapData, indicator: str, colour_by: str, *, lang: str, text_of, officer_label: str,
          height: int = 600, direction: str = "up") -> tuple[umap.OfflineDeck, list[dict]]:
    """The deck and the layer rows handed to it (tests check the rows: AppTest cannot see inside).
    ``direction``: the indicator's ("down": lower is better), for the value colours."""
    scale = umap.value_scale(direction) if colour_by == "value" else None
    rows = umap.grid_layer_data(data.features, cells(data, indicator, colour_by, text_of), colour_by, lang=lang,
                                scale=scale)
    outline = umap.outline_data(data.outlines, lang)
    # fit the view to the drawn units (an outline, e.g. the district around one grid, may be larger)
    bounds = geo.bounds([f.geometry for f in data.features]) if data.features else None
    # fitted for a narrower box than the chart (about 900 px wide at 1366 px) with a wide margin; one or
    # two units (an officer's grid) with a wider one, so they read as places on a map, not as a shape
    view = umap.view_state_for_bounds(bounds, width=700, height=height,
                                      padding=0.3 if len(data.features) <= 2 else 0.12)
    deck = umap.build_deck(rows, view, outline, tooltip_spec=umap.tooltip(officer_label), height=height,
                           labels=umap.label_data(data.features, lang))
    return deck, rows


def payload_bytes(deck: umap.OfflineDeck) -> int:
    return len(deck.to_json().encode("utf-8"))


def grid_options(features: Sequence[Any]) -> list[tuple[int, str]]:
    return [(f.id, f.code) for f in features if getattr(f, "level", "grid") == "grid"]
