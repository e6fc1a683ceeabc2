"""data_access.core.result_cache: the dashboards' results shared between replicas — round trip of a
real result, newest wins, forged or foreign rows ignored, old rows purged, kept out of backups;
UNLOGGED on PostgreSQL; on each engine (the app uses it on PostgreSQL only)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import text

from data_access.core import result_cache as rc

KEY = hashlib.sha256(b"test secret").digest()


@dataclass(frozen=True)
class Kpi:  # what the loaders return: frozen dataclasses, tuples, dates
    unit: str
    value: float | None
    n: int


ARGS = ((("C", "D1", "P2026", date(2026, 12, 4)), ()))
VALUE = (Kpi("D1", 88.5, 120), Kpi("D2", None, 0))


def _rows(engine) -> list[tuple]:
    with engine.connect() as c:
        return c.execute(text("SELECT key, computed_at, cost FROM result_cache ORDER BY computed_at")).all()


def test_a_saved_result_comes_back_as_it_was(engine):
    tier = rc.SharedResults(engine, KEY, version="v1")
    assert tier.load("pages/overview.py:load", ARGS) is None
    assert tier.save("pages/overview.py:load", ARGS, VALUE, 1000.0, 0.8)
    assert tier.load("pages/overview.py:load", ARGS) == (VALUE, 1000.0, 0.8)
    # another replica (another engine on the same database, same secret and code) finds it
    other = rc.SharedResults(type(engine)(engine.pool.recreate(), engine.dialect, engine.url), KEY, version="v1")
    assert other.load("pages/overview.py:load", ARGS) == (VALUE, 1000.0, 0.8)
    # every argument is part of the key, and so are the loader and the code version
    assert tier.load("pages/overview.py:load", ((("C", "D2", "P2026", date(2026, 12, 4)), ()))) is None
    assert tier.load("pages/gaps.py:load", ARGS) is None
    assert rc.SharedResults(engine, KEY, version="v2").load("pages/overview.py:load", ARGS) is None


def test_the_newest_computation_wins(engine):
    tier = rc.SharedResults(engine, KEY, version="v1")
    tier.save("s", ARGS, ("new",), 2000.0, 0.5)
    tier.save("s", ARGS, ("older, finished later",), 1990.0, 3.0)
    assert tier.load("s", ARGS) == (("new",), 2000.0, 0.5)
    tier.save("s", ARGS, ("newer",), 2010.0, 0.4)
    assert tier.load("s", ARGS) == (("newer",), 2010.0, 0.4)
    assert len(_rows(engine)) == 1


def test_a_row_not_signed_with_the_secret_is_ignored_never_unpickled(engine):
    tier = rc.SharedResults(engine, KEY, version="v1")
    tier.save("s", ARGS, VALUE, 1000.0, 0.1)
    assert rc.SharedResults(engine, hashlib.sha256(b"another secret").digest(), version="v1").load("s", ARGS) is None

    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled a forged row')",))

    import pickle
    forged = b"\0" * 32 + pickle.dumps(Boom())
    with engine.begin() as c:
        c.execute(text("UPDATE result_cache SET value = :v"), {"v": forged})
    assert tier.load("s", ARGS) is None


def test_rows_older_than_kept_are_purged_when_results_are_saved(engine, monkeypatch):
    tier = rc.SharedResults(engine, KEY, version="v1")
    tier.save("s", ("old",), 1, 1000.0, 0.1)
    tier.save("s", ("recent",), 2, 1030.0, 0.1)
    assert len(_rows(engine)) == 2
    tier.save("s", ("now",), 3, 1001.0 + rc.KEEP_S, 0.1)  # a purge: rows started KEEP_S before this one go
    assert [r[1] for r in _rows(engine)] == [1030.0, 1001.0 + rc.KEEP_S]
    tier.save("s", ("soon",), 4, 1031.0 + rc.KEEP_S, 0.1)  # within PURGE_EVERY_S of the last purge: none
    assert len(_rows(engine)) == 3


def test_a_result_too_large_stays_in_its_replica(engine, monkeypatch):
    monkeypatch.setattr(rc, "MAX_BYTES", 100)
    tier = rc.SharedResults(engine, KEY, version="v1")
    assert not tier.save("s", ARGS, "x" * 200, 1000.0, 0.1)
    assert tier.load("s", ARGS) is None and _rows(engine) == []


def test_the_code_version_follows_the_sources(tmp_path, monkeypatch):
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(rc, "ROOT", tmp_path)
    monkeypatch.setattr(rc, "SOURCES", ("ui", "app.py"))
    rc.code_version.cache_clear()
    try:
        first = rc.code_version()
        rc.code_version.cache_clear()
        assert rc.code_version() == first
        (tmp_path / "ui" / "a.py").write_text("x = 2\n")
        rc.code_version.cache_clear()
        assert rc.code_version() != first
    finally:
        rc.code_version.cache_clear()


def test_the_table_is_unlogged_on_postgresql(pg_url):
    from data_access.core import db as dbmod

    eng = dbmod.make_engine(pg_url)
    try:
        with eng.connect() as c:
            assert c.execute(text("SELECT relpersistence FROM pg_class WHERE relname = 'result_cache'")).scalar() == "u"
    finally:
        eng.dispose()


def test_the_default_tier_is_postgresql_only(use_db):
    tier = rc.default()
    if use_db.startswith("sqlite"):
        assert tier is None
    else:
        assert tier is rc.default() and str(tier.engine.url) == use_db
        tier.save("s", ARGS, VALUE, 1000.0, 0.1)
        assert tier.load("s", ARGS) == (VALUE, 1000.0, 0.1)


def test_a_claim_waits_for_another_replicas_claim_of_the_same_result(pg_url, monkeypatch):
    """PostgreSQL advisory locks: the second claim of one result waits until the first is released;
    another result's claim does not wait; a claim held longer than LOCK_WAIT_S makes the waiter give up."""
    import threading
    import time

    from data_access.core import db as dbmod

    engines = [dbmod.make_engine(pg_url) for _ in range(2)]  # two replicas
    a, b = (rc.SharedResults(e, KEY, version="v1") for e in engines)
    try:
        order = []
        with a.claim("s", ARGS):
            waiter = threading.Thread(target=lambda: (b.claim("s", ARGS).__enter__(), order.append("b claimed")))
            waiter.start()
            with b.claim("s", (("other",), ())):  # another result: no wait
                order.append("b other")
            time.sleep(0.5)
            order.append("a released")
        waiter.join(10)
        assert order == ["b other", "a released", "b claimed"]

        monkeypatch.setattr(rc, "LOCK_WAIT_S", 1)
        with a.claim("s", (("third",), ())):
            with pytest.raises(Exception, match="lock timeout"):
                with b.claim("s", (("third",), ())):
                    pass
    finally:
        for e in engines:
            e.dispose()


def test_a_result_not_accepted_is_neither_fetched_nor_unpickled(engine):
    """``accept(computed_at, cost)`` decides before the value is read: a signed row whose pickle
    would stop the process comes back None when not accepted (and is unpickled when it is)."""
    tier = rc.SharedResults(engine, KEY, version="v1")

    class Boom:
        def __reduce__(self):
            return (exec, ("raise RuntimeError('unpickled')",))

    tier.save("s", ARGS, Boom(), 1000.0, 0.7)
    seen = []
    assert tier.load("s", ARGS, lambda t, c: seen.append((t, c)) and False) is None
    assert seen == [(1000.0, 0.7)]
    with pytest.raises(RuntimeError, match="unpickled"):
        tier.load("s", ARGS, lambda t, c: True)
