"""Grid map: payload size (bytes of the deck JSON sent to the browser) and build time.

Starts a throwaway PostgreSQL cluster, generates the demo city at BENCH_SCALE (default L:
12,000 grids), then for the city view and one district view (the first district by code),
each at the level the page opens on (``ui.map_data.plan_levels``), times
  - load:  features (simplified geometry) + KPIs per drawn unit (``ui.map_data.load_map``)
  - build: layer rows + deck + JSON serialisation
  - reported: the KPIs of one reported indicator (cp_emergency_dispatch_min) for the drawn units,
    loaded on top when the page's picker holds a reported indicator (``ui.map_data.extra_kpis``)
(cold first call, then median/p95 over BENCH_REPEATS) and records the payload bytes. It also
records the payload of *every* grid of the city drawn at once (geometry only, no KPIs): the
worst case the 5 MB budget must hold. Nothing is asserted: numbers are recorded, not judged.
"""
from __future__ import annotations

import time
from datetime import date

from bench.bench_kpis import _timed

BUDGET = 5 * 1024 * 1024
REPORTED = "cp_emergency_dispatch_min"  # a reported indicator (seed 001, district monthly entry)


def _view(session, unit, as_of: date, repeats: int) -> dict:
    from ui import map_data as md

    counts, n_geo = md.unit_counts(session, unit)
    plan = md.plan_levels(unit.level, counts, n_geo)
    text_of = lambda k: "" if k.value is None else f"{k.value:.1f}%"  # noqa: E731

    def load():
        return md.load_map(session, unit, plan.default, "deepening", as_of)

    def build(data):
        deck, _rows = md.build(data, "info_accuracy", "value", lang="zh", text_of=text_of, officer_label="民警")
        return deck.to_json()

    t0 = time.perf_counter()
    data = load()
    cold_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    payload = build(data)
    cold_build = time.perf_counter() - t0
    data, load_t = _timed(load, repeats)
    t0 = time.perf_counter()
    md.extra_kpis(session, unit, plan.default, "deepening", as_of, REPORTED, "reported")
    cold_reported = time.perf_counter() - t0
    _rep, reported_t = _timed(
        lambda: md.extra_kpis(session, unit, plan.default, "deepening", as_of, REPORTED, "reported"), repeats)
    payload, build_t = _timed(lambda: build(data), repeats)
    size = len(payload.encode("utf-8"))
    return {"unit": unit.code, "level": plan.default, "levels_offered": list(plan.levels),
            "units_drawn": len(data.features), "outline_features": len(data.outlines), "grids": n_geo,
            "payload_bytes": size, "within_5mb": size <= BUDGET,
            "load_cold_s": round(cold_load, 4), "build_cold_s": round(cold_build, 4),
            "load": load_t, "build": build_t, "reported_cold_s": round(cold_reported, 4), "reported": reported_t}


def _all_grids(session, city) -> dict:
    from data_access.analytics import map_queries as mq
    from ui import map_data as md

    t0 = time.perf_counter()
    feats = mq.fetch_features(session=session, scope=city, level="grid", tolerance=md.TOLERANCE["grid"])
    data = md.MapData(level="grid", features=tuple(feats), outlines=(), kpis={})
    deck, _ = md.build(data, "info_accuracy", "status", lang="zh", text_of=str, officer_label="民警")
    size = len(deck.to_json().encode("utf-8"))
    return {"grids": len(feats), "payload_bytes": size, "within_5mb": size <= BUDGET,
            "seconds": round(time.perf_counter() - t0, 3)}


def run() -> dict:
    from sqlmodel import Session

    from bench.common import demo_db, repeats
    from data_access.org import users

    db = demo_db()
    n = repeats(3)
    with Session(db.engine) as s:
        city = users.unit_by_code(session=s, code=db.code("SELECT code FROM org_unit WHERE level = 'city'"))
        district = users.unit_by_code(
            session=s, code=db.code("SELECT MIN(code) FROM org_unit WHERE level = 'district'"))
        return {**db.info(), "budget_bytes": BUDGET,
                "city": _view(s, city, db.as_of, n),
                "district": _view(s, district, db.as_of, n),
                "city_all_grids_geometry_only": _all_grids(s, city)}
