"""Grid events on PostgreSQL (issue 14 targets: event submit p95 ≤ 150 ms; the Events screen p95 ≤ 1 s
warm at L).

Starts (or reuses, BENCH_DATABASE_URL) the demo city at BENCH_SCALE, tops the grid events up to
BENCH_EVENTS_ROWS (default 1,000,000; synthetic history over the three programme years, spread over
every grid, tiers 5 % / 25 % / 70 %, about four in five answered in time — one INSERT … SELECT),
then:
  - submit: data_access.fieldwork.events.report_event as the demo officer, each in its own
            transaction (validation, event, history step, audit, commit), N times;
  - accept: the first step of each of those events (optimistic-locked update, step, audit);
  - open list: events.open_cases for the district and the city leader (the query behind the list);
  - screen: pages/events.py run whole under AppTest as the district and the city leader (cold,
            caches cleared, after the 5 s data cache expired, cached);
  - indicators: metrics.casework.compute_casework for the city and its districts over the phase
            (the time-limit rates, per tier, median and p90).
Nothing here asserts a time: numbers are recorded, plus how many events were written (a check).
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

TOPUP_SQL = """
WITH grids AS (SELECT array_agg(id ORDER BY id) AS a FROM org_unit WHERE level = 'grid'),
s AS (SELECT g, (SELECT a FROM grids) AS a, random() AS r1, random() AS r2, random() AS r3
      FROM generate_series(1, :k) AS g),
t AS (SELECT g, a[1 + (g % array_length(a, 1))] AS grid_id,
             CASE WHEN r1 < 0.05 THEN 'emergency' WHEN r1 < 0.30 THEN 'urgent' ELSE 'general' END AS tier,
             CAST(:start AS timestamp) + (r2 * :span) * interval '1 second' AS created, r3 FROM s),
u AS (SELECT *, CASE tier WHEN 'emergency' THEN 300 WHEN 'urgent' THEN 900 ELSE 7200 END AS lim FROM t),
v AS (SELECT *, CAST(lim * (0.2 + r3 * 1.0) AS integer) AS resp FROM u)
INSERT INTO grid_event (code, grid_id, channel, tier, category, status, created_at, due_at, responded_at,
                        response_seconds, resolved_at, confirmed_at, version, created_month)
SELECT 'EB' || lpad(CAST(g AS text), 9, '0'), grid_id, 'grid_worker', tier, 'dispute', 'confirmed', created,
       created + lim * interval '1 second', created + resp * interval '1 second', resp,
       created + (resp + 7200) * interval '1 second', created + (resp + 86400) * interval '1 second', 1,
       CAST(extract(year FROM created) * 100 + extract(month FROM created) AS integer)
FROM v
"""


def _top_up(eng, rows: int, as_of) -> dict:
    """Synthetic grid events until the table holds ``rows`` (PostgreSQL only; none written again on a
    rerun against the same database), then their time-limit rollups as every write keeps them."""
    from sqlalchemy import text
    from sqlmodel import Session

    from data_access.analytics import rollups

    with eng.begin() as c:
        have = c.execute(text("SELECT COUNT(*) FROM grid_event")).scalar_one()
    k = rows - have
    if k <= 0 or eng.dialect.name != "postgresql":
        return {"before": have, "added": 0, "seconds": 0.0}
    t0 = time.perf_counter()
    start = datetime(2024, 1, 1)
    span = (datetime.combine(as_of, datetime.min.time()) - start).total_seconds()
    with Session(eng) as s:
        s.execute(text(TOPUP_SQL), {"k": k, "start": start, "span": span})
        rollups.rebuild_cases(s)
        s.commit()
    with eng.begin() as c:
        c.execute(text("ANALYZE grid_event"))
    return {"before": have, "added": k, "seconds": round(time.perf_counter() - t0, 1)}


def run() -> dict:
    from pathlib import Path

    from sqlmodel import Session, select

    from bench.bench_officer import _stats
    from bench.bench_render import _page, _path
    from bench.common import demo_db, repeats
    from data_access.core import db as dbmod
    from data_access.fieldwork import events as ev
    from data_access.fieldwork.models import GridEvent
    from data_access.org.models import User

    db = demo_db()
    n = repeats(60)
    now = datetime.fromisoformat(db.as_of.isoformat() + "T18:00:00")
    eng = db.engine
    topup = _top_up(eng, int(os.environ.get("BENCH_EVENTS_ROWS", "1000000")), db.as_of)
    counts = db.counts(("grid_event", "grid_event_step", "hazard"))
    with Session(eng) as s:
        officer = s.exec(select(User).where(User.username == "officer")).one()
        grid_id = officer.scope_id
    submit, accept, made = [], [], []
    run_id = f"bench-{time.time_ns():x}"  # a rerun on the same database writes new events, not the old ones
    for i in range(n):
        t0 = time.perf_counter()
        with dbmod.session_scope(eng) as s:
            e = ev.report_event(session=s, user="officer", grid_id=grid_id, tier=("urgent", "general")[i % 2],
                                category="dispute", channel="grid_worker", description=f"bench {i}",
                                now=now + timedelta(seconds=i), client_token=f"{run_id}-{i}")
            made.append((e.id, e.version))
        submit.append(time.perf_counter() - t0)
    for i, (eid, version) in enumerate(made):
        t0 = time.perf_counter()
        with dbmod.session_scope(eng) as s:
            ev.event_step(session=s, user="officer", event_id=eid, action="accept", expected_version=version,
                          now=now + timedelta(minutes=5, seconds=i))
        accept.append(time.perf_counter() - t0)
    with Session(eng) as s:
        written = len(s.exec(select(GridEvent.id).where(GridEvent.client_token.like(f"{run_id}-%")))
                      .all())

    def open_list(user: str):
        def fn():
            with dbmod.session_scope(eng) as s:
                return ev.open_cases(session=s, user=user, now=now)
        return fn

    def indicators(period: str):
        from metrics.casework import compute_casework

        city = db.code("SELECT code FROM org_unit WHERE level = 'city'")

        def fn():
            with dbmod.session_scope(eng) as s:
                return compute_casework(s, unit_code=city, period=period, as_of=now)
        return fn

    root = Path(__file__).resolve().parent.parent
    os.environ["APP_FAKE_NOW"] = now.isoformat()
    try:
        screens = {f"events_{u}": _page(str(root / "pages" / "events.py"), u, max(3, n // 6))
                   for u in ("district", "city")}
    finally:
        os.environ.pop("APP_FAKE_NOW", None)
    return {**db.info(), "events_topup": topup, "rows_before": counts, "submitted": len(submit), "events_written": written,
            "submit": _stats(submit), "accept": _stats(accept),
            "open_list": {u: _path(open_list(u), max(3, n // 6)) for u in ("district", "city")},
            "screen": screens,
            "indicators": {p: _path(indicators(p), max(3, n // 6)) for p in ("deepening", f"{now:%Y-%m}")},
            # the screen judged as bench_render judges every page: as a user meets it, the 5-second
            # data cache just expired ("warm" there: every cache cleared, recorded beside it)
            "budget": {"submit_p95_ms": 150, "screen_p95_s": 1.0},
            "within_budget": {"submit": _stats(submit)["p95_ms"] <= 150,
                              **{k: v["data_expired"]["p95_s"] <= 1.0 for k, v in screens.items()}}}
