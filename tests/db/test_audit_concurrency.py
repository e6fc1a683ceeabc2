"""Issue 17, finding 1: audited writes from many threads at once — failed and successful sign-ins,
visit submits, need updates and exports, each in its own transaction as the app runs them — are
all recorded, once each, and the chain verifies (SQLite + PostgreSQL). Before the fix SQLite read
the chain's head outside any transaction: writers chained onto the same predecessor (a fork that
``verify`` reports as broken) or collided on the hash's unique index."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from issue5_world import NOW, build
from sqlmodel import Session, func, select

import factories as f
from data_access.core import audit
from data_access.core import db as dbmod
from data_access.core.models import AuditLog
from data_access.fieldwork import needs
from data_access.fieldwork import visit_form as vf
from data_access.fieldwork.models import Need, Visit
from data_access.org import accounts

THREADS = 6
PER_THREAD = 15  # three rounds of the five kinds below
NEXT_STEP = {"open": "accept", "accepted": "start", "in_progress": "resolve", "resolved": "reopen"}


def _answers(s: Session) -> dict:
    out = {}
    for i in vf.load_form(session=s):
        if i.required:
            out[i.code] = (False if i.kind == "bool" else vf.item_options(i)[0]["code"] if i.kind == "choice"
                           else 1 if i.kind == "number" else "正常")
    return out


def test_concurrent_audited_writes_are_each_recorded_once_and_the_chain_verifies(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = build(s)
        grids = [w.units["G1"], w.units["G2"], w.units["G3"]]
        crew = []
        for k in range(THREADS):
            off = f.officer(s, grids[k % 3], username=f"crew{k}")
            home = f.household(s, grids[k % 3])
            need = f.need(s, home, NOW - timedelta(hours=3))
            crew.append((off.id, home.id, need.id))
        answers = _answers(s)
        s.commit()

    expected: Counter = Counter()
    errors: list[str] = []
    guard = threading.Lock()
    start = threading.Barrier(THREADS)

    def one(k: int, n: int) -> tuple[str, ...]:
        """One action in its own transaction; returns the audit actions it must have written."""
        off_id, home_id, need_id = crew[k]
        at = NOW + timedelta(seconds=n, microseconds=k)
        kind = n % 5
        with dbmod.session_scope(engine) as s:
            if kind == 0:  # a failed sign-in with an unknown name: the attacker's cheapest write
                accounts.record_login_attempt(session=s, username=f"nobody{k}-{n}", ok=False, now=at)
                return ("login_failed",)
            if kind == 1:
                accounts.record_login_attempt(session=s, username=f"crew{k}", ok=True, now=at)
                return ("login",)
            if kind == 2:
                data = vf.VisitInput(household_id=home_id, visited_at=NOW - timedelta(minutes=30 + n),
                                     id_shown=True, bodycam_on=True, satisfaction=5, answers=answers,
                                     client_token=f"tok-{k}-{n}-concurrent")
                assert vf.submit_visit(session=s, user=off_id, data=data, now=at).created
                return ("visit.submit",)
            if kind == 3:
                need = s.get(Need, need_id)
                step = NEXT_STEP[need.status]
                needs.transition(session=s, user=off_id, need_id=need_id, action=step,
                                 expected_version=need.version, now=at,
                                 note="已处理" if step in needs.NOTE_REQUIRED else None)
                return ("need.update", f"need.{step}")  # the record, then the step
            audit.write(s, f"crew{k}", "report.export", entity="report", entity_id="D1", detail={"n": n}, at=at)
            return ("report.export",)

    def work(k: int) -> None:
        start.wait()
        for n in range(PER_THREAD):
            try:
                actions = one(k, n)
            except Exception as e:  # noqa: BLE001 - every lost action is reported below
                with guard:
                    errors.append(f"{k}/{n}: {type(e).__name__}: {str(e)[:160]}")
                continue
            with guard:
                expected.update(actions)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not any(th.is_alive() for th in threads)
    assert errors == []
    with Session(engine) as s:
        recorded = Counter(s.exec(select(AuditLog.action)).all())
        assert recorded == expected
        assert sum(expected.values()) == THREADS * PER_THREAD * 6 // 5
        assert s.exec(select(func.count()).select_from(Visit)).one() == THREADS * PER_THREAD // 5
        r = audit.verify(s)
        assert (r.ok, r.rows, r.bad_id, r.reason) == (True, THREADS * PER_THREAD * 6 // 5, None, None)
