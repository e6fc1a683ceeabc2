"""ui.swr: fresh entries served as they are, stale ones served at once while exactly one background
refresh runs, too-old or missing ones computed by the caller (one caller per key), a session's own
write never answered by an older entry, failures keeping the stale value."""
from __future__ import annotations

import contextlib
import threading
import time

import pytest

from ui import swr


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(swr, "_clock", lambda: now[0])
    floor = [None]
    monkeypatch.setattr(swr, "_floor", lambda: floor[0])
    monkeypatch.setattr(swr, "_shared", None)  # this process alone (the shared tier: tests below)
    swr.clear_all()  # the loaders below share one store per definition site, as a page's do
    yield now, floor
    swr.wait_idle(10)
    swr.clear_all()


def _loader(fresh=5.0, stale=60.0, gate: threading.Event | None = None, fail: list | None = None):
    calls = []

    @swr.cached(fresh_s=fresh, max_stale_s=stale)
    def load(scope: str, unit: str) -> tuple:
        calls.append((scope, unit))
        if gate is not None:
            gate.wait(10)
        if fail:
            raise RuntimeError(fail[0])
        return (scope, unit, len(calls))

    return load, calls


def test_fresh_entry_is_served_without_computing(clock):
    now, _ = clock
    load, calls = _loader()
    assert load("C", "C") == ("C", "C", 1)
    now[0] += 4.9
    assert load("C", "C") == ("C", "C", 1)
    assert len(calls) == 1


def test_keys_hold_every_argument_scope_included(clock):
    load, calls = _loader()
    assert load("C", "D1") == ("C", "D1", 1)
    assert load("D1", "D1") == ("D1", "D1", 2)  # another scope never gets the city user's entry
    assert load("C", "D1") == ("C", "D1", 1)
    assert len(calls) == 2


def test_stale_entry_is_served_at_once_and_refreshed_once_in_the_background(clock):
    now, _ = clock
    gate = threading.Event()
    load, calls = _loader(gate=gate)
    gate.set()
    assert load("C", "C") == ("C", "C", 1)
    gate.clear()  # the refresh will block until released
    now[0] += 6
    assert load("C", "C") == ("C", "C", 1)  # stale, served without waiting
    assert load("C", "C") == ("C", "C", 1)  # a second caller meanwhile: no second refresh
    time.sleep(0.05)
    assert len(calls) == 2
    gate.set()
    assert swr.wait_idle(5)
    assert load("C", "C") == ("C", "C", 2)  # the refreshed value, fresh again (age from its start)
    assert len(calls) == 2


def test_too_old_entry_is_computed_by_the_caller(clock):
    now, _ = clock
    load, calls = _loader(fresh=5, stale=60)
    load("C", "C")
    now[0] += 60
    assert load("C", "C") == ("C", "C", 2)  # waited for: nothing older than max_stale_s is shown
    assert len(calls) == 2


def test_concurrent_first_calls_compute_once(clock):
    gate = threading.Event()
    load, calls = _loader(gate=gate)
    out = []
    threads = [threading.Thread(target=lambda: out.append(load("C", "C"))) for _ in range(5)]
    for th in threads:
        th.start()
    time.sleep(0.1)
    gate.set()
    for th in threads:
        th.join(5)
    assert out == [("C", "C", 1)] * 5
    assert len(calls) == 1


def test_a_failed_refresh_keeps_the_stale_value_until_it_is_too_old(clock):
    now, _ = clock
    fail: list = []
    load, calls = _loader(fail=fail)
    load("C", "C")
    fail.append("database down")
    now[0] += 10
    assert load("C", "C") == ("C", "C", 1)
    assert swr.wait_idle(5)
    assert len(calls) == 2  # the refresh ran and failed
    now[0] += 1
    assert load("C", "C") == ("C", "C", 1)  # still served, another refresh tried
    assert swr.wait_idle(5)
    now[0] += 60
    with pytest.raises(RuntimeError, match="database down"):  # too old: the caller computes and sees why
        load("C", "C")


def test_a_session_that_wrote_gets_a_result_computed_after_its_write(clock, monkeypatch):
    now, floor = clock
    wall = [5000.0]
    monkeypatch.setattr(swr.time, "time", lambda: wall[0])
    load, calls = _loader()
    load("C", "C")  # computed at wall 5000
    wall[0] = 5001.0
    floor[0] = 5000.5  # this session wrote after that computation started
    assert load("C", "C") == ("C", "C", 2)  # fresh for others, but not for the writer: recomputed now
    floor[0] = None
    assert load("C", "C") == ("C", "C", 2)
    assert len(calls) == 2


def test_computed_at_clear_and_age(clock, monkeypatch):
    now, _ = clock
    monkeypatch.setattr(swr.time, "time", lambda: 7000.0)
    load, calls = _loader()
    assert load.computed_at("C", "C") is None
    load("C", "C")
    assert load.computed_at("C", "C") == 7000.0
    swr.stale_all()  # what the render benchmark does: every entry just went stale
    assert load("C", "C") == ("C", "C", 1)
    assert swr.wait_idle(5)
    assert len(calls) == 2
    swr.clear_all()
    assert load.computed_at("C", "C") is None


def test_entries_are_bounded(clock):
    @swr.cached(max_entries=2)
    def load(x: int) -> int:
        return x * 10

    for x in range(3):
        load(x)
    assert load.computed_at(0) is None and load.computed_at(2) is not None


def test_freshness_must_not_exceed_staleness():
    with pytest.raises(ValueError):
        swr.cached(fresh_s=10, max_stale_s=5)


def test_entries_too_old_to_be_served_are_dropped_when_another_is_stored(clock):
    now, _ = clock
    load, calls = _loader(fresh=5, stale=60)
    load("C", "C")
    now[0] += 61
    load("C", "D1")  # storing this one drops the unservable city entry
    assert load.computed_at("C", "C") is None and load.computed_at("C", "D1") is not None


def test_a_page_script_defining_its_loader_again_on_each_rerun_keeps_one_cache(clock):
    calls = []

    def define():  # what a page script does on every run: def + decorate
        @swr.cached()
        def load_plan(scope: str) -> tuple:
            calls.append(scope)
            return (scope, len(calls))
        return load_plan

    first, second = define(), define()
    assert first("C") == ("C", 1)
    assert second("C") == ("C", 1)  # the rerun's new definition finds the entry
    assert len(calls) == 1
    assert first.store is second.store


@pytest.mark.parametrize(("cost", "fresh_for"), [(0.1, 5.0), (1.0, 20.0), (2.5, 30.0)])
def test_the_fresh_window_grows_with_what_the_entry_cost(monkeypatch, cost, fresh_for):
    # 20 × the computation's duration, at least 5 s, at most 30 s: a city overview that took 1 s is
    # served as it is for 20 s, a cheap entry for 5 s, a very slow one for 30 s
    now = [1000.0]

    class Clock(list):
        def __call__(self):
            return self[0]

    clock = Clock(now)
    monkeypatch.setattr(swr, "_clock", clock.__call__)
    monkeypatch.setattr(swr, "_floor", lambda: None)
    monkeypatch.setattr(swr, "_shared", None)
    swr.clear_all()
    calls = []

    @swr.cached(fresh_s=5, max_stale_s=60, cost_ratio=20, max_fresh_s=30)
    def load_costly(unit: str) -> tuple:
        calls.append(unit)
        clock[0] += cost  # the computation takes `cost` seconds
        return (unit, len(calls))

    started = clock[0]
    assert load_costly("C") == ("C", 1)
    clock[0] = started + fresh_for - 0.01
    assert load_costly("C") == ("C", 1)
    assert swr.wait_idle(5) and len(calls) == 1  # still fresh: no refresh started
    clock[0] = started + fresh_for + 0.01
    assert load_costly("C") == ("C", 1)  # stale now: served at once, refreshed in the background
    assert swr.wait_idle(5) and len(calls) == 2
    swr.clear_all()


# --- between replicas ---------------------------------------------------------------------------

class Tier:
    """What data_access.core.result_cache does, in a dict: the latest result per (store, key)."""

    def __init__(self):
        self.rows, self.loads, self.fail = {}, 0, False

    def load(self, store, key, accept=None):
        self.loads += 1
        if self.fail:
            raise ConnectionError("database unavailable")
        row = self.rows.get((store, key))
        return row if row is not None and (accept is None or accept(row[1], row[2])) else None

    def save(self, store, key, value, wall, cost):
        if self.fail:
            raise ConnectionError("database unavailable")
        old = self.rows.get((store, key))
        if old is None or old[1] < wall:
            self.rows[(store, key)] = (value, wall, cost)


@pytest.fixture
def replicas(monkeypatch):
    """Two replicas' stores of one loader sharing a Tier, on one clock (monotonic = wall here)."""
    now, floor, tier = [5000.0], [None], Tier()
    monkeypatch.setattr(swr, "_clock", lambda: now[0])
    monkeypatch.setattr(swr, "_wall", lambda: now[0])
    monkeypatch.setattr(swr, "_floor", lambda: floor[0])
    monkeypatch.setattr(swr, "_shared", tier)
    calls = []

    def load_overview(unit: str) -> tuple:
        calls.append(unit)
        now[0] += 0.5  # each computation costs 0.5 s: fresh for max(5, 20 × 0.5) = 10 s
        return (unit, len(calls))

    stores = [swr._Store(load_overview, 5.0, 60.0, 16, 20.0, 60.0) for _ in range(2)]
    yield stores, calls, now, floor, tier
    for st in stores:
        st.wait_idle(10)


def test_a_replica_takes_the_result_another_one_just_computed(replicas):
    (a, b), calls, now, _, tier = replicas
    assert a.get(("D1",), {}) == ("D1", 1)
    assert a.name == b.name == "tests/unit/test_swr.py:replicas.<locals>.load_overview"  # same on every replica
    now[0] += 9.0  # 9.5 s after the computation started: still fresh (10 s)
    assert b.get(("D1",), {}) == ("D1", 1)
    assert (len(calls), b.computations, b.adopted) == (1, 0, 1)
    assert b.get(("D1",), {}) == ("D1", 1) and tier.loads == 2  # now in b's memory: no second load
    assert b.get(("D2",), {}) == ("D2", 2) and tier.rows[(b.name, (("D2",), ()))][0] == ("D2", 2)  # published


def test_a_stale_shared_result_is_served_at_once_and_refreshed_in_the_background(replicas):
    (a, b), calls, now, _, _ = replicas
    a.get(("D1",), {})
    now[0] += 10.0  # 10.5 s after it started: past the 10 s another replica would serve it as it is
    assert b.get(("D1",), {}) == ("D1", 1)  # b's first view of D1 does not wait for a computation ...
    b.wait_idle(5)
    assert (b.computations, b.adopted) == (1, 1)  # ... b recomputes it in the background
    assert b.get(("D1",), {}) == ("D1", 2)


def test_a_shared_result_too_old_to_serve_is_computed_by_the_caller(replicas):
    (a, b), calls, now, _, _ = replicas
    a.get(("D1",), {})
    now[0] += 60.0  # max_stale_s (60 here) after it started
    assert b.get(("D1",), {}) == ("D1", 2)
    assert (b.computations, b.adopted) == (1, 0)


def test_a_stale_replica_refreshes_from_a_newer_shared_result(replicas):
    (a, b), calls, now, _, _ = replicas
    b.get(("D1",), {})  # b computes (1) at 5000
    now[0] += 8.0
    a.get(("D1",), {})  # a takes b's: fresh
    now[0] += 3.0  # b's entry is stale (11 s)
    assert b.get(("D1",), {}) == ("D1", 1)  # served stale at once ...
    b.wait_idle(5)
    assert len(calls) == 2  # ... while b recomputes: nobody newer
    now[0] += 4.0  # a's copy of the first result is stale now; b published the second 4 s ago
    assert a.get(("D1",), {}) == ("D1", 1)
    a.wait_idle(5)
    assert (len(calls), a.adopted) == (2, 2)  # a's refresh took b's second result instead of computing
    assert a.get(("D1",), {}) == ("D1", 2)


def test_a_session_that_wrote_is_not_served_a_shared_result_from_before_its_write(replicas):
    (a, b), calls, now, floor, _ = replicas
    a.get(("D1",), {})  # started at 5000
    floor[0] = 5000.0 - swr.SKEW_S + 0.01  # the write: less than the clocks' margin before it
    assert b.get(("D1",), {}) == ("D1", 2)  # computed for the writer
    c = swr._Store(b.fn, 5.0, 60.0, 16, 20.0, 60.0)  # a third replica
    floor[0] = 5000.5 - swr.SKEW_S  # a writer whose write came the margin before the second computation
    assert c.get(("D1",), {}) == ("D1", 2) and c.adopted == 1


def test_clear_refuses_shared_results_from_before_it(replicas):
    (a, b), calls, now, _, _ = replicas
    a.get(("D1",), {})
    a.clear()  # e.g. an admin changed targets in a's process, then in b's
    b.clear()
    assert b.get(("D1",), {}) == ("D1", 2) and b.adopted == 0
    assert a.get(("D1",), {}) == ("D1", 2) and a.adopted == 1  # b's started after a's clear


def test_an_unavailable_tier_leaves_each_replica_computing_alone(replicas):
    (a, b), calls, now, _, tier = replicas
    tier.fail = True
    assert a.get(("D1",), {}) == ("D1", 1)
    assert b.get(("D1",), {}) == ("D1", 2)
    assert a.get(("D1",), {}) == ("D1", 1)  # a's own memory still serves it


class LockingTier(Tier):
    """... with result_cache's claim: one holder per (store, key) at a time."""

    def __init__(self):
        super().__init__()
        self.lock, self.claims = threading.Lock(), 0

    @contextlib.contextmanager
    def claim(self, store, key):
        self.claims += 1
        with self.lock:
            yield


def test_replicas_computing_one_key_at_once_compute_it_once(monkeypatch):
    """Two replicas whose copies went stale together: the second waits for the first's computation
    (its claim) and takes the result instead of computing it too."""
    now, tier = [5000.0], LockingTier()
    monkeypatch.setattr(swr, "_clock", lambda: now[0])
    monkeypatch.setattr(swr, "_wall", lambda: now[0])
    monkeypatch.setattr(swr, "_floor", lambda: None)
    monkeypatch.setattr(swr, "_shared", tier)
    started, gate, calls = threading.Event(), threading.Event(), []

    def load_gaps(unit: str) -> tuple:
        calls.append(unit)
        started.set()
        assert gate.wait(10)
        return (unit, len(calls))

    a, b = (swr._Store(load_gaps, 5.0, 60.0, 16, 20.0, 60.0) for _ in range(2))
    got = {}
    first = threading.Thread(target=lambda: got.setdefault("a", a.get(("D1",), {})))
    first.start()
    assert started.wait(10)  # a computes, holding the claim
    second = threading.Thread(target=lambda: got.setdefault("b", b.get(("D1",), {})))
    second.start()
    deadline = time.monotonic() + 10
    while tier.claims < 2 and time.monotonic() < deadline:  # b found nothing published and waits
        time.sleep(0.01)
    gate.set()
    first.join(10)
    second.join(10)
    assert got == {"a": ("D1", 1), "b": ("D1", 1)}
    assert (len(calls), a.computations, b.computations, b.adopted) == (1, 1, 0, 1)


def test_a_claim_that_cannot_be_had_leaves_the_replica_computing(replicas):
    (a, b), calls, now, _, tier = replicas

    def refuse(store, key):
        raise TimeoutError("lock_timeout")

    tier.claim = refuse
    assert a.get(("D1",), {}) == ("D1", 1)


def test_the_deployment_sets_the_windows_of_the_dashboards_loaders(monkeypatch):
    for name in ("DASHBOARD_FRESH_S", "DASHBOARD_MAX_FRESH_S", "DASHBOARD_MAX_STALE_S"):
        monkeypatch.delenv(name, raising=False)
    assert swr.windows() == (30.0, 120.0, 300.0)  # half a minute fresh, two at most under load

    monkeypatch.setenv("DASHBOARD_FRESH_S", "5")
    monkeypatch.setenv("DASHBOARD_MAX_FRESH_S", "10")

    def load_deployed(unit):  # a loader of its own: stores are kept per function
        return unit

    store = swr.cached()(load_deployed).store
    assert (store.fresh_s, store.max_fresh_s, store.max_stale_s) == (5.0, 10.0, 300.0)
    assert store.fresh_for(swr._Entry(None, 0.0, 0.0, cost=0.1)) == 5.0  # 20 × 0.1 s, at least 5 s
    assert store.fresh_for(swr._Entry(None, 0.0, 0.0, cost=3.0)) == 10.0  # 60 s, at most 10 s


@pytest.mark.parametrize("raw", ["half a minute", "0", "-5"])
def test_a_window_that_is_not_a_positive_number_of_seconds_is_refused_by_name(monkeypatch, raw):
    monkeypatch.setenv("DASHBOARD_MAX_STALE_S", raw)
    with pytest.raises(ValueError, match="DASHBOARD_MAX_STALE_S"):
        swr.windows()
