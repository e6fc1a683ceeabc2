"""Officer workflow on PostgreSQL: visit submission and household search (issue 5 targets: p95 ≤ 150 ms
for a submission including the rollup update, p95 ≤ 100 ms for a search).

Starts a throwaway PostgreSQL cluster, generates the demo city at BENCH_SCALE (default L), then, as
the demo officer:
  - submit:  data_access.fieldwork.visit_form.submit_visit of a complete visit with one need, each in its own
             transaction (validation, visit + answers, need, rollup rows, audit, commit), N times on
             the officer's households;
  - search:  data_access.fieldwork.residents.search_households by exact code, by address fragment and by
             masked name ("张**"), N times each;
  - concurrent submit: four officers submitting at once, each in its own thread and session —
             first four grid officers of the demo officer's district (they share the district's
             count rows), then one officer from each of four districts (they share none) —
             wall time, submissions per second and each submission's latency.
  - concurrent submit on SQLite (the `make run` default): the same two crews on the demo city at
             BENCH_SQLITE_SCALE (default S) generated into a throwaway SQLite file — SQLite has one
             writer at a time, so this shows the queueing (and must show no errors: issue 17).
Nothing here asserts a time: numbers are recorded (median, p95), plus how many visits were written
(must equal the submissions: a check, not a timing).
"""
from __future__ import annotations

import statistics
import threading
import time
from datetime import datetime, timedelta


def _stats(times: list[float]) -> dict:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return {"median_ms": round(1000 * statistics.median(times), 2), "p95_ms": round(1000 * p95, 2),
            "max_ms": round(1000 * times[-1], 2), "runs": len(times)}


def _answers(items) -> dict:
    from data_access.fieldwork.visit_form import item_options

    out = {}
    for i in items:
        if not i.required:
            continue
        if i.kind == "bool":
            out[i.code] = False
        elif i.kind == "choice":
            out[i.code] = item_options(i)[0]["code"]
        elif i.kind == "number":
            out[i.code] = 1
        else:
            out[i.code] = "正常"
    return out


def _concurrent(eng, crew: list, per_officer: int, answers: dict, now: datetime) -> dict:
    """``crew``: [(actor, households)]; each officer submits ``per_officer`` visits in a thread."""
    from data_access.core import db as dbmod
    from data_access.fieldwork import visit_form as vf

    latencies: list[float] = []
    errors: list[str] = []
    guard = threading.Lock()
    start = threading.Barrier(len(crew))

    def work(k: int, actor, homes) -> None:
        start.wait()
        for n in range(per_officer):
            h = homes[n % len(homes)]
            data = vf.VisitInput(household_id=h.id, visited_at=now - timedelta(minutes=120 + k * per_officer + n),
                                 id_shown=True, bodycam_on=True, satisfaction=4, answers=answers,
                                 client_token=vf.new_token())
            t0 = time.perf_counter()
            try:
                with dbmod.session_scope(eng) as s:
                    vf.submit_visit(session=s, user=actor, data=data, now=now)
            except Exception as e:  # recorded: a deadlock or lost write would show here
                with guard:
                    errors.append(repr(e)[:200])
                continue
            with guard:
                latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=work, args=(k, a, h)) for k, (a, h) in enumerate(crew)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    return {"officers": len(crew), "submitted": len(latencies), "errors": errors, "wall_s": round(wall, 3),
            "per_second": round(len(latencies) / wall, 1) if wall else None, "submit": _stats(latencies)}


def _crew(session, same_district_as, n: int) -> dict[str, list]:
    """Grid officers with their households: ``same`` the first n in ``same_district_as``'s district,
    ``spread`` the first of each of n districts."""
    from sqlmodel import select

    from data_access.fieldwork.models import Household
    from data_access.org.models import OrgUnit, User
    from data_access.org.scope import actor_of

    rows = session.exec(select(User, OrgUnit).join(OrgUnit, OrgUnit.id == User.scope_id)
                        .where(User.role == "officer", User.active, OrgUnit.level == "grid")
                        .order_by(OrgUnit.district_id, User.id)).all()
    home_district = next(g.district_id for u, g in rows if u.id == same_district_as.id)
    same = [u for u, g in rows if g.district_id == home_district][:n]
    spread, seen = [], set()
    for u, g in rows:
        if g.district_id not in seen:
            seen.add(g.district_id)
            spread.append(u)
    out = {}
    for name, users in (("same_district", same), ("different_districts", spread[:n])):
        out[name] = [(actor_of(session=session, user=u),
                      list(session.exec(select(Household).where(Household.grid_id == u.scope_id)
                                        .order_by(Household.id).limit(50)).all())) for u in users]
    return out


def _sqlite_concurrent(as_of: str, now: datetime, per_officer: int) -> dict:
    """Both crews again on a demo city in a throwaway SQLite file (generated in a child process)."""
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from sqlmodel import Session, select

    from data_access.core import db as dbmod
    from data_access.fieldwork import visit_form as vf
    from data_access.org.models import User

    scale = os.environ.get("BENCH_SQLITE_SCALE", "S")
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        env = {**os.environ, "DATABASE_URL": url, "APP_DATA_DIR": os.environ.get("APP_DATA_DIR", tmp),
               "PYTHONPATH": str(root)}
        subprocess.run([sys.executable, "-m", "data_access", "demo", "--scale", scale, "--seed", "7",
                        "--as-of", as_of], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)
        eng = dbmod.make_engine(url)
        try:
            with Session(eng) as s:
                officer = s.exec(select(User).where(User.username == "officer")).one()
                crews = _crew(s, officer, 4)
                answers = _answers(vf.load_form(session=s))
            out = {name: _concurrent(eng, crew, per_officer, answers, now) for name, crew in crews.items()}
        finally:
            eng.dispose()
    return {"scale": scale, **out}


def run() -> dict:
    from sqlalchemy import text
    from sqlmodel import Session, select

    from bench.common import demo_db
    from bench.common import repeats as bench_repeats
    from data_access.core import db as dbmod
    from data_access.fieldwork import residents
    from data_access.fieldwork import visit_form as vf
    from data_access.fieldwork.models import Household
    from data_access.org.models import OrgUnit, User
    from data_access.org.scope import actor_of

    db = demo_db()
    repeats = bench_repeats(60)
    as_of = db.as_of.isoformat()
    now = datetime.fromisoformat(as_of + "T18:00:00")
    eng = db.engine
    counts = db.counts(("household", "visit", "need", "rollup"))
    with Session(eng) as s:
        officer = s.exec(select(User).where(User.username == "officer")).one()
        actor = actor_of(session=s, user=officer)
        homes = list(s.exec(select(Household).join(OrgUnit, OrgUnit.id == Household.grid_id)
                            .where(OrgUnit.path.startswith(actor.scope_path)).order_by(Household.id)).all())
        answers = _answers(vf.load_form(session=s))
    visits_before = counts["visit"]

    submit_t = []
    for n in range(repeats):
        h = homes[n % len(homes)]
        data = vf.VisitInput(household_id=h.id, visited_at=now - timedelta(minutes=5 + n), id_shown=True,
                             bodycam_on=True, satisfaction=5, answers=answers,
                             needs=[vf.NeedInput("lighting", "楼道灯不亮")], client_token=vf.new_token())
        t0 = time.perf_counter()
        with dbmod.session_scope(eng) as s:
            vf.submit_visit(session=s, user=actor, data=data, now=now)
        submit_t.append(time.perf_counter() - t0)
    with Session(eng) as s:
        written = s.execute(text("SELECT COUNT(*) FROM visit")).scalar_one() - visits_before
        surname = (s.execute(text("SELECT r.name FROM resident r JOIN household h ON h.id = r.household_id "
                                  "WHERE h.id = :h LIMIT 1"), {"h": homes[0].id}).scalar() or "张")[0]
    address_part = homes[len(homes) // 2].address[-6:]
    queries = {"code": homes[len(homes) // 3].code, "address": address_part, "masked_name": surname + "**"}
    search = {}
    hits = {}
    for kind, q in queries.items():
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            with dbmod.session_scope(eng) as s:
                res = residents.search_households(session=s, user=actor, query=q)
            times.append(time.perf_counter() - t0)
        search[kind] = _stats(times)
        hits[kind] = len(res)
    all_search = [v for k in search for v in [search[k]["p95_ms"]]]
    with Session(eng) as s:
        crews = _crew(s, officer, 4)
    concurrent = {name: _concurrent(eng, crew, max(5, repeats // 3), answers, now) for name, crew in crews.items()}
    concurrent_sqlite = _sqlite_concurrent(as_of, now, max(5, repeats // 3))
    return {
        **db.info(), "rows": counts,
        "officer_households": len(homes),
        "submit": _stats(submit_t), "submitted": repeats, "visits_written": written,
        "search": search, "search_hits": hits, "search_p95_ms_worst": max(all_search),
        "concurrent_submit": concurrent, "concurrent_submit_sqlite": concurrent_sqlite,
        "targets": {"submit_p95_ms": 150, "search_p95_ms": 100},
    }
