"""Server-side render time of the dashboards' data paths (issue 4 budget: p95 ≤ 1 s warm, ≤ 3 s cold at L).

Starts a throwaway PostgreSQL cluster, generates the demo city at BENCH_SCALE (default L), then
times the bodies of the cached functions the screens call — what a user waits for when the
5-second cache has expired:
  - overview / gaps: ``compute_kpis(unit, phase containing as_of, children=True)`` (the body of
    ``ui.kpi.load_overview``; the gaps screen drills down through the same call) for the city,
    a district and a station;
  - monthly report: ``data_access.report.monthly_report`` for the city and a district (last
    complete month), and building its Excel file from the report tables.
Each path: ``cold`` = the first call on a fresh engine (new connections, nothing cached in the
process), then ``warm`` = BENCH_REPEATS further calls (each in its own session, as the app does),
median and p95. Nothing here judges a time; the numbers are recorded.
"""
from __future__ import annotations

import os
import statistics
import time
from datetime import date

from sqlalchemy import text


def _stats(times: list[float]) -> dict:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return {"median_s": round(statistics.median(times), 4), "p95_s": round(p95, 4), "max_s": round(times[-1], 4),
            "runs": len(times)}


def _path(fn, repeats: int) -> dict:
    """Cold first call on a fresh engine, then ``repeats`` warm calls."""
    from data_access import db as dbmod

    dbmod.dispose_engines()
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t0)
    return {"cold_s": round(cold, 4), "warm": _stats(warm)}


def run() -> dict:
    from data_access import db as dbmod
    from data_access.catalog import indicators as indicator_rows
    from data_access.catalog import phase_containing, phases
    from data_access.demo import cli_demo
    from data_access.report import last_complete_month, monthly_report
    from data_access.settings import reset_settings
    from metrics.service import compute_kpis
    from pg import PgCluster

    scale = os.environ.get("BENCH_SCALE", "L")
    repeats = int(os.environ.get("BENCH_REPEATS", "10"))
    as_of = date.fromisoformat(os.environ.get("BENCH_AS_OF", "2026-11-20"))
    cluster = PgCluster().start()
    try:
        url = cluster.create_db("bench_render")
        os.environ["DATABASE_URL"] = url
        reset_settings()
        dbmod.dispose_engines()
        dbmod.migrate()
        t0 = time.perf_counter()
        cli_demo(scale=scale, seed=7, as_of=as_of.isoformat(), if_empty=False)
        gen_s = time.perf_counter() - t0
        with dbmod.session_scope(dbmod.get_engine()) as s:
            counts = {t: s.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                      for t in ("org_unit", "household", "visit", "need", "spot_check", "rollup")}
            city = s.execute(text("SELECT code FROM org_unit WHERE level = 'city'")).scalar_one()
            district = s.execute(text("SELECT code FROM org_unit WHERE level = 'district' ORDER BY code")).first()[0]
            station = s.execute(text("SELECT s.code FROM org_unit s JOIN org_unit d ON d.id = s.parent_id "
                                     "WHERE d.code = :d ORDER BY s.code"), {"d": district}).first()[0]
            phase = phase_containing(phases(session=s), as_of).code
            inds = indicator_rows(session=s)
        month = last_complete_month(as_of)

        def kpis(unit: str):
            def call():
                with dbmod.session_scope(dbmod.get_engine()) as s:
                    return compute_kpis(s, unit_code=unit, period=phase, as_of=as_of, children=True)
            return call

        def report(unit: str):
            def call():
                with dbmod.session_scope(dbmod.get_engine()) as s:
                    return monthly_report(s, unit_code=unit, month=month, as_of=as_of)
            return call

        paths = {
            "overview_city": _path(kpis(city), repeats),
            "overview_district": _path(kpis(district), repeats),
            "gaps_station": _path(kpis(station), repeats),
            "report_city": _path(report(city), repeats),
            "report_district": _path(report(district), repeats),
        }
        data = report(district)()
        paths["report_district_xlsx"] = _path(lambda: _xlsx(data, inds), max(3, repeats // 2))
        return {"scale": scale, "as_of": as_of.isoformat(), "phase": phase, "month": month, "rows": counts,
                "units": {"city": city, "district": district, "station": station}, "generate_s": round(gen_s, 1),
                "paths": paths,
                "budget": {"warm_p95_s": 1.0, "cold_s": 3.0},
                "within_budget": {k: v["warm"]["p95_s"] <= 1.0 and v["cold_s"] <= 3.0 for k, v in paths.items()}}
    finally:
        dbmod.dispose_engines()
        cluster.stop()


def _xlsx(data, inds) -> bytes:
    from ui import export

    frames = export.report_frames(data, inds, "zh")
    return export.to_xlsx(frames, export.report_title(data, "zh", data.as_of.date()), "zh")
