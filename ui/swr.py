"""Stale-while-revalidate cache for the dashboards' heavy loaders (overview, gaps, map, Plans, report).

``st.cache_data(ttl=5)`` made every user whose entry had expired wait for a full recomputation: at
L, every registry indicator for the city and its 16 districts takes 1–2 s, so under steady use
someone paid that every five seconds. Here an entry is *fresh* for ``fresh_s`` (served as is); then,
up to ``max_stale_s``, it is *stale*: the caller gets it at once and one background thread
recomputes it (never two for one key); older than that, or missing, the caller computes it (one
caller per key; the others wait for that result). A leader's screen is therefore at most about
the fresh window plus one computation behind the database, and says when its data was computed
(``computed_at``; ``ui.kpi.freshness_caption``).

The fresh window grows with what the entry cost: ``cost_ratio`` times its last computation's wall
time, at least ``fresh_s`` and at most ``max_fresh_s`` (defaults 30 and 120 s; a deployment sets
them with ``DASHBOARD_FRESH_S`` / ``DASHBOARD_MAX_FRESH_S``, and how long a stale entry may still
be served with ``DASHBOARD_MAX_STALE_S``, default 300 s). A key in constant use is then recomputed
at most ``1 / cost_ratio`` of the time (5 % by default) in each process, and at most once in 30 s:
at L the city's overview (about 1 s) stays fresh 30 s, and under load, when a computation takes
longer, the refreshes space out by themselves instead of taking the CPU the pages need. With the
first default of 5 s, half of a loaded replica's CPU went to refreshing the 78 units' dashboards
the benchmark's leaders looked at (py-spy), and most of the database's work. A programme
dashboard half a minute behind is what its users expect; each screen says when its data was
computed, and a session that has just written reads its own write (below).

A session that has just written (``ui.flash.keep``, a visit submitted) is never served an entry
computed before its write: ``set_floor`` installs the hook that tells the write time of the session
calling, and an older entry is recomputed for it at once (read your own writes).

Keys are the loader's arguments, which hold the user's scope as with ``st.cache_data``. Entries are
per-process memory, recomputable from the database (nothing a user needs lives only here); values
are shared between sessions and must be treated as read-only (frozen dataclasses, tuples).
No Streamlit import: the loaders run in a thread of their own when they refresh.

Between replicas (``set_shared``; by default ``data_access.core.result_cache`` on PostgreSQL):
before it computes, a store looks for the result another replica published; one still inside its
fresh window (by its age and cost, as above) is taken instead of computed, and every computation
is published; while it computes, it holds the key's claim (``tier.claim``), so replicas whose
copies went stale together wait for one computation and take its result. N replicas then compute
a key in constant use about once per fresh window between them, not N times. A shared result serves a session's own write only if it started ``SKEW_S``
after that write (the replicas' clocks may differ a little); ``clear`` and ``make_stale`` also
refuse the shared results from before them, in this process.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_clock: Callable[[], float] = time.monotonic  # tests replace it
_STORES: list[_Store] = []
_BY_NAME: dict[tuple[str, str], _Store] = {}
_REGISTRY_LOCK = threading.Lock()


def _epoch() -> float:
    return time.time()


_wall: Callable[[], float] = _epoch  # tests replace it (or time.time)
SKEW_S = 1.0  # a shared result serves a session's own write only if it started this long after it
_UNSET = object()
_shared: Any = _UNSET  # the tier between replicas: load(store, key) / save(store, key, value, wall, cost)


def _no_floor() -> float | None:
    return None


_floor: Callable[[], float | None] = _no_floor  # epoch seconds of the calling session's last write


def set_floor(provider: Callable[[], float | None]) -> None:
    """Install the hook returning the calling session's last write time (epoch seconds) or None."""
    global _floor
    _floor = provider


def set_shared(tier: Any) -> None:
    """Install the tier results are shared through between replicas (None: this process alone)."""
    global _shared
    _shared = tier


def _tier() -> Any:
    if _shared is not _UNSET:
        return _shared
    try:
        from data_access.core import result_cache

        return result_cache.default()
    except Exception:  # never fail a page for the cache: this process computes alone
        log.warning("no shared results between replicas", exc_info=True)
        return None


@dataclass
class _Entry:
    value: Any
    at: float  # _clock() when its computation started
    wall: float  # time.time() then: what the screen shows as "data as of"
    cost: float = 0.0  # its computation's duration (_clock seconds)
    refreshing: bool = False


class _Store:
    def __init__(self, fn: Callable, fresh_s: float, max_stale_s: float, max_entries: int, cost_ratio: float,
                 max_fresh_s: float) -> None:
        self.fn, self.fresh_s, self.max_stale_s, self.max_entries = fn, fresh_s, max_stale_s, max_entries
        self.cost_ratio, self.max_fresh_s = cost_ratio, max_fresh_s
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}
        self._threads: set[threading.Thread] = set()
        self.name = _store_name(fn)
        self._shared_floor = 0.0  # shared results that started before this are not taken (clear, make_stale)
        self.computations = 0  # how many times fn ran (for tests)
        self.adopted = 0  # how many results were taken from another replica (for tests)

    def _install(self, key: tuple, e: _Entry) -> None:
        """Keep ``e`` unless a newer entry is there (a slower, older computation never overwrites it)."""
        old = self._entries.get(key)
        if old is None or old.at <= e.at:
            self._entries[key] = e
            self._entries.move_to_end(key)

    def _shared(self, tier: Any, key: tuple, floor: float | None, fresh_only: bool = False) -> _Entry | None:
        """Another replica's result for ``key`` while it can be served (younger than max_stale_s, not
        from before this store's clear, for a writer started ``SKEW_S`` after the write; with
        ``fresh_only`` inside its fresh window), else None. The tier reads the value only then."""
        def servable(wall: float, cost: float) -> bool:
            if wall < self._shared_floor or (floor is not None and wall < floor + SKEW_S):
                return False
            limit = self.fresh_for(_Entry(None, 0.0, wall, cost=cost)) if fresh_only else self.max_stale_s
            return _wall() - wall < limit

        try:
            found = tier.load(self.name, key, servable)
        except Exception:
            log.warning("shared results unavailable for %s", self.name, exc_info=True)
            return None
        if found is None:
            return None
        value, wall, cost = found
        return _Entry(value, _clock() - max(0.0, _wall() - wall), wall, cost=cost)

    def _adopt(self, tier: Any, key: tuple, floor: float | None) -> tuple[bool, Any]:
        """``(True, value)`` when another replica's result for ``key`` is still fresh (now kept
        here), else ``(False, None)``."""
        e = self._shared(tier, key, floor, fresh_only=True)  # the tier checked its freshness
        if e is None:
            return False, None
        self._take(key, e)
        return True, e.value

    def _take(self, key: tuple, e: _Entry) -> None:
        with self._lock:
            self._install(key, e)
            self.adopted += 1

    def _claim(self, tier: Any, key: tuple) -> Any:
        """The entered ``tier.claim`` of ``key`` (waits while another replica computes it), or None."""
        claim = getattr(tier, "claim", None)
        if claim is None:
            return None
        try:
            cm = claim(self.name, key)
            cm.__enter__()
            return cm
        except Exception:
            log.warning("could not claim a result of %s; computing it anyway", self.name, exc_info=True)
            return None

    def _compute(self, key: tuple, args: tuple, kwargs: dict, floor: float | None = None,
                 shared_checked: bool = False) -> Any:
        tier = _tier()
        if tier is None:
            return self._run(key, args, kwargs, None)
        if not shared_checked:
            taken, value = self._adopt(tier, key, floor)
            if taken:
                return value
        claim = self._claim(tier, key)
        try:
            if claim is not None:  # another replica may have computed it while this one waited
                taken, value = self._adopt(tier, key, floor)
                if taken:
                    return value
            return self._run(key, args, kwargs, tier)
        finally:
            if claim is not None:
                try:
                    claim.__exit__(None, None, None)
                except Exception:
                    log.warning("could not release a claim of %s", self.name, exc_info=True)

    def _run(self, key: tuple, args: tuple, kwargs: dict, tier: Any) -> Any:
        """Compute ``key``, keep it and publish it to ``tier`` (if any)."""
        at, wall = _clock(), _wall()
        value = self.fn(*args, **kwargs)
        self.computations += 1
        cost = max(0.0, _clock() - at)
        with self._lock:
            self._install(key, _Entry(value, at, wall, cost=cost))
            now = _clock()  # entries too old to be served only hold memory: drop them, then the least used
            for gone in [k for k, v in self._entries.items() if now - v.at >= self.max_stale_s and not v.refreshing]:
                del self._entries[gone]
                self._key_locks.pop(gone, None)
            while len(self._entries) > self.max_entries:
                gone, _ = self._entries.popitem(last=False)
                self._key_locks.pop(gone, None)
        if tier is not None:
            try:
                tier.save(self.name, key, value, wall, cost)
            except Exception:
                log.warning("could not share a result of %s", self.name, exc_info=True)
        return value

    def _refresh(self, key: tuple, args: tuple, kwargs: dict) -> None:
        try:
            self._compute(key, args, kwargs)
        except Exception:  # the stale value stays until max_stale_s; then a caller computes and sees the error
            log.exception("background refresh of %s failed", getattr(self.fn, "__qualname__", self.fn))
        finally:
            with self._lock:
                if (e := self._entries.get(key)) is not None:
                    e.refreshing = False
                self._threads.discard(threading.current_thread())

    def fresh_for(self, e: _Entry) -> float:
        """How long ``e`` is served as it is: ``cost_ratio`` × its cost, within [fresh_s, max_fresh_s]."""
        return min(self.max_fresh_s, max(self.fresh_s, self.cost_ratio * e.cost))

    def _serve(self, key: tuple, e: _Entry | None, floor: float | None, args: tuple, kwargs: dict) -> tuple[bool, Any]:
        """``(True, value)`` when ``e`` can be served — fresh, or stale with one background refresh
        started — else ``(False, None)``. Call with ``self._lock`` held."""
        if e is None or (floor is not None and e.wall < floor):  # none, or from before this session's write
            return False, None
        self._entries.move_to_end(key)
        age = _clock() - e.at
        if age < self.fresh_for(e):
            return True, e.value
        if age >= self.max_stale_s:
            return False, None
        if not e.refreshing:
            e.refreshing = True
            th = threading.Thread(target=self._refresh, args=(key, args, kwargs), daemon=True,
                                  name=f"swr-{getattr(self.fn, '__name__', 'loader')}")
            self._threads.add(th)
            th.start()
        return True, e.value

    def get(self, args: tuple, kwargs: dict) -> Any:
        key = (args, tuple(sorted(kwargs.items())))
        floor = _floor()
        with self._lock:
            served, value = self._serve(key, self._entries.get(key), floor, args, kwargs)
            if served:
                return value
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one caller computes a missing or too-old entry; the others get its result
            with self._lock:
                served, value = self._serve(key, self._entries.get(key), floor, args, kwargs)
                if served:
                    return value
            tier = _tier()
            if tier is None:
                return self._compute(key, args, kwargs, floor)
            # another replica's result, if it can be served: at once, refreshed in the background
            # when stale — a replica's first view of a unit does not wait for a computation
            e = self._shared(tier, key, floor)
            if e is None:
                return self._compute(key, args, kwargs, floor, shared_checked=True)
            self._take(key, e)
            with self._lock:
                served, value = self._serve(key, self._entries.get(key), floor, args, kwargs)
            return value if served else self._compute(key, args, kwargs, floor)

    def computed_at(self, args: tuple, kwargs: dict) -> float | None:
        with self._lock:
            e = self._entries.get((args, tuple(sorted(kwargs.items()))))
            return e.wall if e is not None else None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._key_locks.clear()
            self._shared_floor = _wall()

    def make_stale(self) -> None:
        with self._lock:
            self._shared_floor = _wall()
            now = _clock()
            for e in self._entries.values():
                e.at = min(e.at, now - self.fresh_for(e) - 0.01)

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                threads = list(self._threads)
            if not threads:
                return True
            for th in threads:
                th.join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                with self._lock:
                    return not self._threads


def _store_name(fn: Callable) -> str:
    """The loader's file (relative to the project when inside it: the same on every replica) and name."""
    path = fn.__code__.co_filename
    root = str(Path(__file__).resolve().parent.parent) + "/"
    return f"{path[len(root):] if path.startswith(root) else path}:{fn.__qualname__}"


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not value > 0:
        raise ValueError(f"{name} must be more than 0 seconds, not {raw!r}")
    return value


def windows() -> tuple[float, float, float]:
    """The deployment's ``(fresh_s, max_fresh_s, max_stale_s)``: the environment's, else 30, 120, 300."""
    return (_env_seconds("DASHBOARD_FRESH_S", 30.0), _env_seconds("DASHBOARD_MAX_FRESH_S", 120.0),
            _env_seconds("DASHBOARD_MAX_STALE_S", 300.0))


def cached(fresh_s: float | None = None, max_stale_s: float | None = None, max_entries: int = 256,
           cost_ratio: float = 20.0, max_fresh_s: float | None = None) -> Callable:
    """Decorator: ``fn(*args)`` served stale-while-revalidate (module docstring); a window not given
    is the deployment's (``windows()``). The wrapper has ``computed_at(*args)`` (epoch seconds the
    served value's computation started, None if absent), ``clear()`` and ``store``."""
    env_fresh, env_max_fresh, env_stale = windows()
    fresh_s = env_fresh if fresh_s is None else fresh_s
    max_stale_s = max(env_stale, fresh_s) if max_stale_s is None else max_stale_s
    max_fresh_s = env_max_fresh if max_fresh_s is None else max_fresh_s
    max_fresh_s = min(max(fresh_s, max_fresh_s), max_stale_s)
    if not 0 < fresh_s <= max_fresh_s <= max_stale_s or cost_ratio < 0:
        raise ValueError("need 0 < fresh_s <= max_fresh_s <= max_stale_s and cost_ratio >= 0")

    def deco(fn: Callable) -> Callable:
        # A page script runs again on every rerun and so defines its loader again: one store per
        # function (file and name), not per definition, or every rerun would start empty.
        name = (fn.__code__.co_filename, fn.__qualname__)
        with _REGISTRY_LOCK:
            store = _BY_NAME.get(name)
            if store is None:
                store = _BY_NAME[name] = _Store(fn, fresh_s, max_stale_s, max_entries, cost_ratio, max_fresh_s)
                _STORES.append(store)
            else:
                store.fn = fn  # the newest definition computes from now on

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return store.get(args, kwargs)

        wrapper.computed_at = lambda *args, **kwargs: store.computed_at(args, kwargs)
        wrapper.clear = store.clear
        wrapper.store = store
        return wrapper

    return deco


def clear_all() -> None:
    """Drop every entry (after an admin change of names or targets; between tests)."""
    for store in _STORES:
        store.clear()


def stale_all() -> None:
    """Make every entry just stale: past its fresh window, still servable (the render benchmark's
    "data cache just expired" state; tests)."""
    for store in _STORES:
        store.make_stale()


def wait_idle(timeout: float = 60.0) -> bool:
    """Wait until no background refresh runs (tests, benchmarks); False on timeout."""
    deadline = time.monotonic() + timeout
    return all(store.wait_idle(max(0.0, deadline - time.monotonic())) for store in list(_STORES))
