"""Grid events on PostgreSQL (issue 14 targets: event submit p95 ≤ 150 ms; the Events screen p95 ≤ 1 s
warm at L).

Starts (or reuses, BENCH_DATABASE_URL) the demo city at BENCH_SCALE, then:
  - submit: data_access.fieldwork.events.report_event as the demo officer, each in its own
            transaction (validation, event, history step, audit, commit), N times;
  - accept: the first step of each of those events (optimistic-locked update, step, audit);
  - open list: events.open_cases for the district and the city leader (the query behind the list);
  - screen: pages/events.py run whole under AppTest as the district and the city leader (cold,
            caches cleared, after the 5 s data cache expired, cached).
Nothing here asserts a time: numbers are recorded, plus how many events were written (a check).
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta


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
    counts = db.counts(("grid_event", "grid_event_step", "hazard"))
    with Session(eng) as s:
        officer = s.exec(select(User).where(User.username == "officer")).one()
        grid_id = officer.scope_id
    submit, accept, made = [], [], []
    for i in range(n):
        t0 = time.perf_counter()
        with dbmod.session_scope(eng) as s:
            e = ev.report_event(session=s, user="officer", grid_id=grid_id, tier=("urgent", "general")[i % 2],
                                category="dispute", channel="grid_worker", description=f"bench {i}",
                                now=now + timedelta(seconds=i), client_token=f"bench-{now:%Y%m%d%H%M}-{i}")
            made.append((e.id, e.version))
        submit.append(time.perf_counter() - t0)
    for i, (eid, version) in enumerate(made):
        t0 = time.perf_counter()
        with dbmod.session_scope(eng) as s:
            ev.event_step(session=s, user="officer", event_id=eid, action="accept", expected_version=version,
                          now=now + timedelta(minutes=5, seconds=i))
        accept.append(time.perf_counter() - t0)
    with Session(eng) as s:
        written = len(s.exec(select(GridEvent.id).where(GridEvent.client_token.like(f"bench-{now:%Y%m%d%H%M}-%")))
                      .all())

    def open_list(user: str):
        def fn():
            with dbmod.session_scope(eng) as s:
                return ev.open_cases(session=s, user=user, now=now)
        return fn

    root = Path(__file__).resolve().parent.parent
    import os

    os.environ["APP_FAKE_NOW"] = now.isoformat()
    try:
        screens = {f"events_{u}": _page(str(root / "pages" / "events.py"), u, max(3, n // 6))
                   for u in ("district", "city")}
    finally:
        os.environ.pop("APP_FAKE_NOW", None)
    return {**db.info(), "rows_before": counts, "submitted": len(submit), "events_written": written,
            "submit": _stats(submit), "accept": _stats(accept),
            "open_list": {u: _path(open_list(u), max(3, n // 6)) for u in ("district", "city")},
            "screen": screens}
