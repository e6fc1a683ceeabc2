"""City KPIs from rollups vs the same KPIs counted from raw records, in one run.

``raw_over_rollup`` compares like with like: the four headline rates' counts for the city and its
districts from the rollups (``kpi_queries.rate_counts``) vs from the raw tables. The full
``compute_kpis`` (all indicators, status trends) is timed separately.

Starts a throwaway PostgreSQL cluster, generates the demo city at BENCH_SCALE (default L:
12,000 grids, 4M households, 12M visits, 1M needs), then times
  - rollup path: metrics.service.compute_kpis(city, current phase, children=True)
  - raw path:    the headline counts for the city and its districts straight from
                 spot_check / visit / need (same definitions, dated structure joins)
and records both (median and p95 over repeats, cold first call separately) and their ratio.
The two paths must agree: the values are compared and any mismatch is recorded.
"""
from __future__ import annotations

import statistics
import time
from datetime import date, datetime
from datetime import time as dtime

from sqlalchemy import text

RAW_SQL = {
    # metric: SQL returning (district_id, numerator, denominator) for period months [:m0, :m1]
    "info_accuracy": """
        SELECT c.district_id, SUM(CASE WHEN s.accurate THEN 1 ELSE 0 END), COUNT(*)
        FROM spot_check s
        JOIN grid_assignment ga ON ga.grid_id = s.grid_id AND ga.from_month <= s.month
             AND (ga.to_month IS NULL OR s.month < ga.to_month)
        JOIN org_unit c ON c.id = ga.community_id
        WHERE s.month BETWEEN :m0 AND :m1 AND s.checked_on <= :asof_date
        GROUP BY c.district_id""",
    "satisfaction": """
        SELECT c.district_id, SUM(CASE WHEN v.satisfaction >= 4 THEN 1 ELSE 0 END), COUNT(v.satisfaction)
        FROM visit v
        JOIN grid_assignment ga ON ga.grid_id = v.grid_id AND ga.from_month <= v.month
             AND (ga.to_month IS NULL OR v.month < ga.to_month)
        JOIN org_unit c ON c.id = ga.community_id
        WHERE v.month BETWEEN :m0 AND :m1 AND v.visited_at <= :asof AND v.satisfaction IS NOT NULL
        GROUP BY c.district_id""",
    "process_compliance": """
        SELECT c.district_id,
               SUM(CASE WHEN v.compliant AND v.entered_at <= :asof THEN 1 ELSE 0 END), COUNT(*)
        FROM visit v
        JOIN grid_assignment ga ON ga.grid_id = v.grid_id AND ga.from_month <= v.month
             AND (ga.to_month IS NULL OR v.month < ga.to_month)
        JOIN org_unit c ON c.id = ga.community_id
        WHERE v.month BETWEEN :m0 AND :m1 AND v.visited_at <= :asof
        GROUP BY c.district_id""",
    "need_resolution": """
        SELECT c.district_id,
               SUM(CASE WHEN n.resolved_month IS NOT NULL AND n.resolved_at <= :asof THEN 1 ELSE 0 END),
               COUNT(*)
        FROM need n
        JOIN grid_assignment ga ON ga.grid_id = n.grid_id AND ga.from_month <= n.created_month
             AND (ga.to_month IS NULL OR n.created_month < ga.to_month)
        JOIN org_unit c ON c.id = ga.community_id
        WHERE n.counted AND n.created_month BETWEEN :m0 AND :m1 AND n.created_at <= :asof
        GROUP BY c.district_id""",
}


def raw_city_kpis(session, start: date, end: date, as_of: date) -> dict:
    """{metric: {district_id or 'city': (num, den)}} straight from the raw tables."""
    params = {"m0": start.year * 100 + start.month, "m1": end.year * 100 + end.month,
              "asof": datetime.combine(as_of, dtime.max), "asof_date": as_of}
    out: dict = {}
    for metric, sql in RAW_SQL.items():
        rows = session.execute(text(sql), params).all()
        per = {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}
        per["city"] = (sum(v[0] for v in per.values()), sum(v[1] for v in per.values()))
        out[metric] = per
    return out


def _pct(num: int, den: int):
    return None if den == 0 else 100.0 * num / den


def _timed(fn, repeats: int):
    times = []
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return result, {"median_s": round(statistics.median(times), 4), "p95_s": round(p95, 4), "runs": repeats}


HEADLINE_METRICS = ("checks", "checks_ok", "ratings", "ratings_pos", "visits", "visits_ok", "needs",
                    "needs_resolved")


def run() -> dict:
    from sqlmodel import Session

    from bench.common import demo_db, repeats
    from data_access.analytics import kpi_queries as q
    from metrics.service import compute_kpis, period_bounds

    db = demo_db()
    n = repeats(5)
    as_of = db.as_of
    city = db.code("SELECT code FROM org_unit WHERE level = 'city'")
    with Session(db.engine) as s:
        start, end, _ = period_bounds(s, "deepening")
        t0 = time.perf_counter()
        kpis = compute_kpis(s, unit_code=city, period="deepening", as_of=as_of)
        cold = time.perf_counter() - t0
        kpis, rollup_t = _timed(lambda: compute_kpis(s, unit_code=city, period="deepening", as_of=as_of), n)
        raw, raw_t = _timed(lambda: raw_city_kpis(s, start, end, as_of), max(1, n // 2))
        # like for like: the same four headline counts (city + districts) from the rollups
        unit = q.get_unit(s, city)
        m0, m1 = start.year * 100 + start.month, end.year * 100 + end.month
        asof_dt = datetime.combine(as_of, dtime.max)
        _, same_t = _timed(lambda: q.rate_counts(s, unit, m0, m1, asof_dt, HEADLINE_METRICS), n)
    mismatches = []
    for k in kpis:
        if k.is_self and k.indicator in raw:
            num, den = raw[k.indicator]["city"]
            expect = _pct(num, den)
            if (expect is None) != (k.value is None) or (expect is not None and abs(expect - k.value) > 1e-6):
                mismatches.append({"indicator": k.indicator, "rollup": k.value, "raw": expect})
    return {
        **db.info(), "compute_kpis_cold_s": round(cold, 4), "compute_kpis_all_indicators": rollup_t,
        "headline_from_rollups": same_t, "headline_from_raw": raw_t,
        "raw_over_rollup": round(raw_t["median_s"] / max(same_t["median_s"], 1e-9), 1),
        "mismatches": mismatches,
    }
