"""Grid map: payload size (bytes of the deck JSON sent to the browser) and build time.

Starts a throwaway PostgreSQL cluster, generates the demo city at BENCH_SCALE (default L:
12,000 grids), then for the city view and one district view (the first district by code),
each at the level the page opens on (``ui.map_data.plan_levels``), times
  - load:  features (simplified geometry) + KPIs per drawn unit (``ui.map_data.load_map``)
  - build: layer rows + deck + JSON serialisation
(cold first call, then median/p95 over BENCH_REPEATS) and records the payload bytes. It also
records the payload of *every* grid of the city drawn at once (geometry only, no KPIs): the
worst case the 5 MB budget must hold. Nothing is asserted: numbers are recorded, not judged.
"""
from __future__ import annotations

import os
import time
from datetime import date

from bench.bench_kpis import _timed

BUDGET = 5 * 1024 * 1024


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
    payload, build_t = _timed(lambda: build(data), repeats)
    size = len(payload.encode("utf-8"))
    return {"unit": unit.code, "level": plan.default, "levels_offered": list(plan.levels),
            "units_drawn": len(data.features), "outline_features": len(data.outlines), "grids": n_geo,
            "payload_bytes": size, "within_5mb": size <= BUDGET,
            "load_cold_s": round(cold_load, 4), "build_cold_s": round(cold_build, 4),
            "load": load_t, "build": build_t}


def _all_grids(session, city) -> dict:
    from data_access import map_queries as mq
    from ui import map_data as md

    t0 = time.perf_counter()
    feats = mq.fetch_features(session=session, scope=city, level="grid", tolerance=md.TOLERANCE["grid"])
    data = md.MapData(level="grid", features=tuple(feats), outlines=(), kpis={})
    deck, _ = md.build(data, "info_accuracy", "status", lang="zh", text_of=str, officer_label="民警")
    size = len(deck.to_json().encode("utf-8"))
    return {"grids": len(feats), "payload_bytes": size, "within_5mb": size <= BUDGET,
            "seconds": round(time.perf_counter() - t0, 3)}


def run() -> dict:
    from sqlalchemy import text
    from sqlmodel import Session

    from data_access import db as dbmod
    from data_access import users
    from data_access.demo import cli_demo
    from data_access.settings import reset_settings
    from pg import PgCluster

    scale = os.environ.get("BENCH_SCALE", "L")
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    as_of = date.fromisoformat(os.environ.get("BENCH_AS_OF", "2026-11-20"))
    cluster = PgCluster().start()
    try:
        url = cluster.create_db("bench_map")
        os.environ["DATABASE_URL"] = url
        reset_settings()
        dbmod.dispose_engines()
        dbmod.migrate()
        t0 = time.perf_counter()
        cli_demo(scale=scale, seed=7, as_of=as_of.isoformat(), if_empty=False)
        gen_s = time.perf_counter() - t0
        with Session(dbmod.get_engine()) as s:
            city_code = s.execute(text("SELECT code FROM org_unit WHERE level = 'city'")).scalar_one()
            district_code = s.execute(text("SELECT MIN(code) FROM org_unit WHERE level = 'district'")).scalar_one()
            city = users.unit_by_code(session=s, code=city_code)
            district = users.unit_by_code(session=s, code=district_code)
            return {"scale": scale, "as_of": as_of.isoformat(), "generate_s": round(gen_s, 1),
                    "budget_bytes": BUDGET,
                    "city": _view(s, city, as_of, repeats),
                    "district": _view(s, district, as_of, repeats),
                    "city_all_grids_geometry_only": _all_grids(s, city)}
    finally:
        dbmod.dispose_engines()
        cluster.stop()
