"""Writes that meet on PostgreSQL (SQLite runs one writer at a time): a visit written while an
admin's change of the officer's scope is still open must count under the new scope, exactly as a
rebuild from the raw records counts it."""
from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

import factories as f
from data_access.analytics import rollups
from data_access.core import db as dbmod
from data_access.fieldwork.models import Household
from data_access.org import accounts
from data_access.org.models import User


def unit_weeks(s: Session) -> set[tuple]:
    return {tuple(r) for r in s.execute(text(
        "SELECT unit_id, week, households, officers FROM unit_week WHERE officers <> 0 OR households <> 0"))}


def wait_until_a_session_waits_for_a_lock(eng, limit_s: float = 60.0) -> None:
    """Poll the server until another session of this database is blocked on a lock."""
    deadline = time.monotonic() + limit_s
    with eng.connect() as c:
        while True:
            n = c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND wait_event_type = 'Lock'")).scalar_one()
            if n:
                return
            assert time.monotonic() < deadline, "the visit never waited for the open scope change"
            time.sleep(0.05)
            c.rollback()


def test_a_visit_written_while_the_officers_scope_changes_counts_under_the_new_scope(pg_url):
    eng = dbmod.make_engine(pg_url)
    try:
        with Session(eng, expire_on_commit=False) as s:
            c = f.unit(s, "C")
            d1 = f.unit(s, "D1", c)
            s1, cm1, g1 = f.chain(s, d1, "S1", "CM1", "G1")
            d2 = f.unit(s, "D2", c)
            s2, cm2, g3 = f.chain(s, d2, "S2", "CM2", "G3")
            admin = f.officer(s, c, role="admin")
            off = f.officer(s, g1)
            h1, h2 = f.household(s, g1), f.household(s, g1)
            f.visit(s, h1, off, datetime(2024, 3, 4, 9))  # ISO week 2024-10
            s.commit()

        # the admin moves the officer from G1 to G3 and has not committed yet …
        admin_s = Session(eng, expire_on_commit=False)
        accounts.set_role(session=admin_s, actor=admin_s.get(User, admin.id), user_id=off.id, role="officer",
                          scope_id=g3.id, now=datetime(2024, 6, 1))
        admin_s.flush()
        failed: list[BaseException] = []

        def officer_visits():  # … when the officer's next visit, same week, is written
            try:
                with Session(eng, expire_on_commit=False) as s:
                    f.visit(s, s.get(Household, h2.id), s.get(User, off.id), datetime(2024, 3, 5, 9))
                    s.commit()
            except BaseException as e:  # noqa: BLE001 - reported below
                failed.append(e)

        th = threading.Thread(target=officer_visits)
        th.start()
        wait_until_a_session_waits_for_a_lock(eng)
        admin_s.commit()
        admin_s.close()
        th.join(60)
        assert not th.is_alive() and not failed, failed

        with Session(eng) as s:
            kept = unit_weeks(s)
            # week 10: the officer visited h1 and h2, and counts under G3's lineage only
            assert kept == {(u.id, 202410, 2, 1) for u in (d2, s2, cm2, g3)}
            rollups.rebuild(s)
            assert unit_weeks(s) == kept
            s.rollback()
    finally:
        eng.dispose()
