"""special_visit_compliance at the ends of completed months, stored per grid.

The indicator is a point-in-time measure: at a reference time ``ref``, a red/yellow/blue household
(current level, registered by ``ref``) is compliant when it had a visit within its level's
interval before ``ref``. Counting it takes one probe per risk household into the visit index
(0.3–0.5 s for the whole city at scale L), and the status trend asks for six month ends on every
dashboard load. The value at a *completed* month end only changes when a write touches it, so:

* ``ensure`` computes and stores the missing months (every grid at once) in a short transaction
  of its own, from committed data, so dashboard reads never hold write locks that parallel
  readers (the map's threads) would wait on. A session that has uncommitted writes of its own
  gets nothing stored (its caller counts live), nor does a month that ends after "now"
  (``clock.now_local``);
* ``touch`` is called by every write that can change a stored value — a visit (from its month
  on), a household added, or its risk level, registration date or grid changed — and recomputes
  the affected grids' rows for the stored months in the writer's transaction;
* ``clear`` drops everything (``rollups.rebuild``: imports, the demo, the CLI).

On PostgreSQL writers hold a shared advisory lock and ``ensure`` tries the exclusive one (and
skips storing when a write is in flight), so a month is never stored without a concurrent
write's change; SQLite's single writer gives the same order.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, exists, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from data_access.analytics.models import SpecialSnapshot, SpecialSnapshotMonth
from data_access.core.clock import now_local
from data_access.fieldwork.derive import month_end_time
from data_access.fieldwork.models import Household, Visit

H = Household.__table__
V = Visit.__table__
SS = SpecialSnapshot.__table__
SM = SpecialSnapshotMonth.__table__


def levels_of(intervals_days: dict) -> dict[str, int]:
    return {lvl: int(d) for lvl, d in intervals_days.items() if lvl != "none"}


def _cfg(levels: dict[str, int]) -> str:
    return json.dumps(sorted(levels.items()))


def recent_visit(levels: dict[str, int], ref: datetime):
    """True for a household (of ``H``) with a visit within its level's interval before ``ref``."""
    v = V.alias("sv")
    # the widest interval as a plain range keeps both bounds in the (household, time) index scan
    return exists(select(literal(1)).select_from(v).where(
        v.c.household_id == H.c.id, v.c.visited_at <= ref, v.c.visited_at >= ref - timedelta(days=max(levels.values())),
        or_(*[and_(H.c.risk_level == lvl, v.c.visited_at >= ref - timedelta(days=d)) for lvl, d in levels.items()])))


def in_population(levels: dict[str, int], ref: datetime):
    return and_(H.c.risk_level.in_(sorted(levels)), or_(H.c.registered_on.is_(None), H.c.registered_on <= ref.date()))


def _per_grid(m: int, levels: dict[str, int], grid_ids: list[int] | None = None):
    ref = month_end_time(m)
    cond = in_population(levels, ref)
    if grid_ids is not None:
        cond = and_(cond, H.c.grid_id.in_(grid_ids))
    return (select(literal(m), H.c.grid_id, func.sum(case((recent_visit(levels, ref), 1), else_=0)), func.count())
            .where(cond).group_by(H.c.grid_id))


LOCK_KEY = 7_340_291  # advisory lock: writers shared, storing a month exclusive


def _insert(dialect: str, table):
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def storable(m: int) -> bool:
    return month_end_time(m) < now_local()


def has_written(session: Session) -> bool:
    """Whether the session's open transaction has written anything (not yet committed)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return bool(conn.execute(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")).scalar())
    return bool(getattr(conn.connection.dbapi_connection, "in_transaction", True))


def ensure(session: Session, months: Iterable[int], levels: dict[str, int]) -> set[int]:
    """Store the months of ``months`` that are complete and not yet stored with these intervals;
    returns the months stored now (the others are to be counted live)."""
    want = sorted({m for m in months if storable(m)})
    if not want or not levels:
        return set()
    cfg = _cfg(levels)

    def stored() -> set[int]:
        rows = session.execute(select(SM.c.month, SM.c.intervals).where(SM.c.month.in_(want))).all()
        return {m for m, c in rows if c == cfg}

    have = stored()
    missing = [m for m in want if m not in have]
    if not missing or has_written(session):
        return have
    target = session.get_bind().engine
    if _in_recovery(session):
        # a read replica (DATABASE_READ_URL) cannot store: the primary does, and this read counts
        # the months live until the replica has replayed them
        from data_access.core.db import get_engine

        target = get_engine()
    _store(target, missing, levels, cfg)
    return stored()


def _in_recovery(session: Session) -> bool:
    conn = session.connection()
    return conn.dialect.name == "postgresql" and bool(conn.execute(text("SELECT pg_is_in_recovery()")).scalar())


def _store(engine, months: list[int], levels: dict[str, int], cfg: str) -> None:
    with engine.begin() as conn:
        dialect = conn.dialect.name
        if dialect == "postgresql" and not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                                        {"k": LOCK_KEY}).scalar():
            return  # a write is in flight: count live this time
        for m in months:
            old = conn.execute(select(SM.c.intervals).where(SM.c.month == m)).scalar()
            if old == cfg:
                continue
            if old is not None:  # computed with other intervals: the setting changed
                conn.execute(delete(SS).where(SS.c.month == m))
                conn.execute(delete(SM).where(SM.c.month == m))
            conn.execute(_insert(dialect, SS).from_select(["month", "grid_id", "ok", "n"], _per_grid(m, levels))
                         .on_conflict_do_nothing())
            conn.execute(_insert(dialect, SM).values(month=m, intervals=cfg).on_conflict_do_nothing())


def touch(session: Session, grid_ids: Iterable[int | None], from_month: int = 0) -> None:
    """Recompute the stored rows of these grids for the stored months ``>= from_month``."""
    grids = sorted({int(g) for g in grid_ids if g is not None})
    if not grids:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": LOCK_KEY})
    stored = session.execute(select(SM.c.month, SM.c.intervals).where(SM.c.month >= from_month)).all()
    if not stored:
        return
    session.flush()
    for m, cfg in stored:
        levels = levels_of(dict(json.loads(cfg)))
        session.execute(delete(SS).where(SS.c.month == m, SS.c.grid_id.in_(grids)))
        session.execute(_insert(dialect, SS).from_select(["month", "grid_id", "ok", "n"], _per_grid(m, levels, grids))
                        .on_conflict_do_nothing())


def clear(session: Session) -> None:
    session.execute(delete(SS))
    session.execute(delete(SM))
