"""The dashboards' computed results, shared between app replicas through the primary database.

Each replica serves its dashboards from memory (``ui.swr``), but with N replicas behind the proxy
every replica computed every key itself: N times the work for the same figures (at L, the
dashboards' computations were most of the servers' CPU under the load benchmark). ``SharedResults``
lets a replica take a result another one computed moments ago (``ui.swr`` decides whether it is
still fresh enough) and publishes what it computes itself.

- ``claim`` holds a result's PostgreSQL advisory lock while a replica computes it: replicas whose
  copies went stale at the same moment (they took the same result) wait for the first one's
  computation and take it, instead of all computing it at once.
- A row is keyed by the code version (a hash of the app's source: a replica running other code
  never reads it), the loader and its arguments (which hold the user's scope).
- Its value is a pickle signed with a key derived from the app secret: a row that was not written
  by a replica holding the secret is ignored, never unpickled.
- Only aggregates go here (the dashboards' loaders), never a resident's data.
- The table is a cache: UNLOGGED on PostgreSQL (no WAL, nothing on the streaming replica, empty
  after a crash), left out of backups, rows older than ``KEEP_S`` purged. A failure here never
  fails a page: the replica computes as it would alone.

Used on PostgreSQL only (``default``): with SQLite there is one process and nothing to share.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from data_access.core.db import ROOT

log = logging.getLogger(__name__)
SOURCES = ("app.py", "pages", "ui", "metrics", "data_access")  # what a result's code version covers
MAX_BYTES = 32 * 1024 * 1024  # larger results stay in their replica
KEEP_S = 600.0  # rows older than this are deleted (no loader serves anything that old)
PURGE_EVERY_S = 60.0
_SIG = 32  # bytes of HMAC-SHA256 before the pickle
LOCK_WAIT_S = 30  # a claim waits this long for another replica's computation, then gives up (lock_timeout)


@lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 of the app's Python sources (paths relative to the project, and contents)."""
    h = hashlib.sha256()
    for top in SOURCES:
        base = ROOT / top
        for path in sorted([base] if base.is_file() else base.rglob("*.py")):
            h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


class SharedResults:
    """``load`` / ``save`` of computed results in the table ``result_cache`` of ``engine``."""

    def __init__(self, engine: Engine, key: bytes, version: str | None = None) -> None:
        self.engine, self._key = engine, key
        self.version = version if version is not None else code_version()
        self._purged_at = 0.0
        self._lock = threading.Lock()

    def row_key(self, store: str, args: tuple) -> str:
        return hashlib.sha256(f"{self.version}\0{store}\0{args!r}".encode()).hexdigest()

    @contextmanager
    def claim(self, store: str, args: tuple) -> Iterator[None]:
        """Hold the lock of ``store(*args)``'s result while computing it (PostgreSQL: a transaction
        advisory lock on a connection of its own; SQLite: nothing to coordinate). Blocks while
        another replica holds it; raises (lock_timeout) after LOCK_WAIT_S."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        lock = int.from_bytes(bytes.fromhex(self.row_key(store, args))[:8], "big", signed=True)
        with self.engine.begin() as c:
            c.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": f"{LOCK_WAIT_S}s"})
            c.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
            yield

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def load(self, store: str, args: tuple, accept: Callable[[float, float], bool] | None = None
             ) -> tuple[Any, float, float] | None:
        """``(value, computed_at, cost)`` of the row for ``store(*args)``; None if absent, forged, or
        refused by ``accept(computed_at, cost)`` — asked before the value is read (results run to
        half a megabyte: one not taken is neither fetched nor unpickled)."""
        k = self.row_key(store, args)
        with self.engine.connect() as c:
            head = c.execute(text("SELECT computed_at, cost FROM result_cache WHERE key = :k"), {"k": k}).first()
            if head is None or (accept is not None and not accept(float(head[0]), float(head[1]))):
                return None
            blob = c.execute(text("SELECT value FROM result_cache WHERE key = :k AND computed_at = :t"),
                             {"k": k, "t": head[0]}).scalar()
        if blob is None:  # replaced in between by a newer result: the next look takes that one
            return None
        blob = bytes(blob)
        sig, payload = blob[:_SIG], blob[_SIG:]
        if not hmac.compare_digest(sig, self._sign(payload)):
            log.warning("result_cache: a row of %s has a wrong signature; ignored", store)
            return None
        return pickle.loads(payload), float(head[0]), float(head[1])  # noqa: S301 (signed above)

    def save(self, store: str, args: tuple, value: Any, computed_at: float, cost: float) -> bool:
        """Publish a result (unless a newer one is there already); False when it is too large."""
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if len(payload) > MAX_BYTES:
            return False
        params = {"k": self.row_key(store, args), "t": computed_at, "c": cost, "v": self._sign(payload) + payload}
        with self.engine.begin() as c:
            c.execute(text("INSERT INTO result_cache (key, computed_at, cost, value) VALUES (:k, :t, :c, :v) "
                           "ON CONFLICT (key) DO UPDATE SET computed_at = excluded.computed_at, cost = excluded.cost, "
                           "value = excluded.value WHERE result_cache.computed_at < excluded.computed_at"), params)
            with self._lock:
                purge = computed_at - self._purged_at >= PURGE_EVERY_S
                if purge:
                    self._purged_at = computed_at
            if purge:
                c.execute(text("DELETE FROM result_cache WHERE computed_at < :t"), {"t": computed_at - KEEP_S})
        return True


def default() -> SharedResults | None:
    """The tier for the configured primary (PostgreSQL), None on SQLite (follows the settings)."""
    from data_access.core import crypto
    from data_access.core.settings import get_settings

    s = get_settings()
    return None if s.is_sqlite else _for(s.database_url, crypto.derived_key("result-cache"))


@lru_cache(maxsize=4)
def _for(url: str, key: bytes) -> SharedResults:
    from data_access.core.db import get_engine

    return SharedResults(get_engine(url), key)
