"""The one engine, sessions, and migrations (no Streamlit here: the CLI uses it too)."""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, create_engine

from data_access.core.settings import get_settings

_ENGINES: dict[str, Engine] = {}
ROOT = Path(__file__).resolve().parents[2]


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - exercised via engine
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Build an engine for ``url`` with the connection settings every backend needs."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(eng, "connect", _sqlite_pragmas)
        return eng
    # JIT compilation pays off for hour-long analytics, not for sub-second dashboard queries: on
    # the KPI queries it added 0.2–0.5 s of compile time per statement (EXPLAIN ANALYZE at L).
    # psycopg prepares a statement after 5 runs and PostgreSQL then may switch to a generic plan
    # that ignores the actual dates and units; the dashboards became 50–100 % slower after ten
    # page loads at L. Always plan with the actual parameters.
    # Per process and database: DB_POOL_SIZE kept open, DB_MAX_OVERFLOW more under load. With N app
    # replicas the primary sees up to N × (size + overflow) connections (the replica as many again
    # when DATABASE_READ_URL is set): keep that under its max_connections (README, "Several app processes").
    size, overflow = pool_limits()
    return create_engine(url, pool_pre_ping=True, pool_size=size, max_overflow=overflow,
                         connect_args={"options": "-c jit=off -c plan_cache_mode=force_custom_plan"})


def pool_limits() -> tuple[int, int]:
    """(pool size, max overflow) per engine: DB_POOL_SIZE (default 5) and DB_MAX_OVERFLOW (default 10)."""
    return int(os.environ.get("DB_POOL_SIZE") or 5), int(os.environ.get("DB_MAX_OVERFLOW") or 10)


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: the configured DATABASE_URL)."""
    url = url or get_settings().database_url
    eng = _ENGINES.get(url)
    if eng is None:
        eng = _ENGINES[url] = make_engine(url)
    return eng


def read_engine() -> Engine:
    """The engine for the dashboards' reads: DATABASE_READ_URL (a PostgreSQL streaming replica) when
    set, else the primary. Every write, and every screen that must read its own writes (forms,
    casework, sign-in, admin), uses ``get_engine()`` — the primary."""
    s = get_settings()
    return get_engine(s.database_read_url or s.database_url)


_LAG_SQL = text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0.0"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0"
    " ELSE GREATEST(0.0, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()))::float8 END")


def replica_lag_s(engine: Engine) -> float:
    """Seconds the database behind ``engine`` is behind its primary: 0 for a primary (or SQLite) and
    for a replica that has replayed all it received; else the age of the last replayed commit."""
    if engine.url.get_backend_name() != "postgresql":
        return 0.0
    with engine.connect() as c:
        return float(c.execute(_LAG_SQL).scalar_one() or 0.0)


def dispose_engines() -> None:
    for eng in _ENGINES.values():
        eng.dispose()
    _ENGINES.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def write_lock(session: Session, name: str) -> None:
    """Serialise writers of ``name`` for the rest of the caller's transaction.

    PostgreSQL: a transaction-scoped advisory lock on ``name``. SQLite has one writer at a time
    anyway, but the driver starts a transaction only at the first INSERT/UPDATE, so a read done
    before it (e.g. of the audit chain's head) may be stale by the time the write lands; here the
    transaction takes the database's write lock first (BEGIN IMMEDIATE, waiting up to the busy
    timeout), so whatever it reads next is what it writes onto. A transaction that has written
    already holds that lock.
    """
    if session.bind.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    elif session.bind.dialect.name == "sqlite":
        session.flush()  # pending changes first: their INSERT/UPDATE would open a deferred transaction
        raw = session.connection().connection.dbapi_connection
        if not raw.in_transaction:
            session.execute(text("BEGIN IMMEDIATE"))


# Errors that mean "another transaction got there first; run the whole unit of work again":
# SQLite's lock wait ran out, PostgreSQL's deadlock / serialisation failure, or a unique key that
# only a concurrent writer can have taken (the audit chain's link, a visit's client token).
_RACE_KEYS = ("audit_log.hash", "audit_log.prev_hash", "audit_log_hash_key", "ux_audit_log_keyed_prev",
              "visit.client_token", "visit_client_token_key")


def lost_race(exc: BaseException) -> bool:
    """Whether ``exc`` is a lost race that retrying the transaction resolves."""
    msg = str(getattr(exc, "orig", exc))
    if isinstance(exc, OperationalError):
        return "database is locked" in msg or "deadlock detected" in msg or "could not serialize" in msg
    if isinstance(exc, IntegrityError):
        return any(k in msg for k in _RACE_KEYS)
    return False


T = TypeVar("T")


def run_in_transaction(work: Callable[[Session], T], engine: Engine | None = None, *, attempts: int = 5) -> T:
    """``work(session)`` in its own transaction, committed; run again (fresh session) when it lost
    a race to a concurrent writer (``lost_race``), up to ``attempts`` times."""
    for n in range(1, attempts + 1):
        try:
            with session_scope(engine) as s:
                return work(s)
        except (IntegrityError, OperationalError) as exc:
            if n == attempts or not lost_race(exc):
                raise
            time.sleep(0.01 * n)
    raise AssertionError("unreachable")


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url
    return cfg


def migrate(engine: Engine | None = None) -> None:
    """Upgrade the database to the newest schema (every CLI command and the app call this first)."""
    from alembic import command

    engine = engine or get_engine()
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        if engine.url.get_backend_name() == "postgresql":
            # app replicas starting together: one migrates, the others wait and then find head
            conn.execute(text("SELECT pg_advisory_xact_lock(7160016)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
