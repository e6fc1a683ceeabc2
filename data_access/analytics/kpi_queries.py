"""Counts behind the KPIs, aggregated in the database (SQLite and PostgreSQL alike).

Every function takes an org unit U and answers for U as a whole and per *direct child* of U:
each returned row carries a ``key`` — the id of the child of U the count belongs to (for a grid
U: the grid itself; ``None`` when a count belongs to U but to none of its children, e.g. an
officer scoped on U itself). U's own total is the sum over all keys.

"Under U" follows the dated grid → community assignments (``grid_assignment``): a record is
mapped through the assignment valid in its *period month* (visit month, check month, need
creation month), then through the community's ancestor columns. A grid moved to another
community therefore counts under its old parent for the months before the move.

The as_of rule of ``data_access.analytics.rollups``: with A = month(as_of), rollup rows with
``event_month < A`` are summed and the records whose event time lies in
``[start of A, as_of]`` are counted straight from the raw tables (event times as in
``rollups.py``/``derive.py``: check date, visited_at, entered_at for visits_ok, created_at /
resolved_at / sla_due_at / responded_at for needs, the household's first visit in the
year/month for hh_year_first/hh_month_first, registration date for households).
"""
from __future__ import annotations

import copy
import functools
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Date, DateTime, and_, case, exists, func, literal, literal_column, or_, select, union_all
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from data_access.analytics import snapshots
from data_access.analytics.models import OfficerWeek, Rollup, UnitRollup, UnitWeek
from data_access.analytics.rollups import CASE_KINDS
from data_access.assistance.models import AssistedPerson, AssistedRiskChange, PersonVisit
from data_access.fieldwork.derive import (
    ENTRY_LIMIT,
    NEED_SLA,
    STOCK_FLOOR,
    month_end,
    month_end_time,
    month_of,
    month_start,
)
from data_access.fieldwork.models import (
    EVENT_TIERS,
    HAZARD_LEVELS,
    GridEvent,
    Hazard,
    Household,
    Need,
    SpotCheck,
    Visit,
)
from data_access.org.models import GridAssignment, OrgUnit, User
from data_access.programme.models import VetoEvent

R = Rollup.__table__
UR = UnitRollup.__table__
GA = GridAssignment.__table__
OU = OrgUnit.__table__
V = Visit.__table__
N = Need.__table__
SC = SpotCheck.__table__
H = Household.__table__
UW = UnitWeek.__table__
OW = OfficerWeek.__table__
AU = User.__table__
VE = VetoEvent.__table__
AP = AssistedPerson.__table__
ARC = AssistedRiskChange.__table__
PV = PersonVisit.__table__

LEVEL_COL = {"city": "city_id", "district": "district_id", "station": "station_id", "community": "community_id"}
CHILD_COL = {"city": "district_id", "district": "station_id", "station": "community_id"}

# metrics that are plain counts of records (summable over months)
RATE_METRICS = (
    "checks", "checks_ok", "rental_checks", "rental_checks_ok",
    "visits", "visits_ok", "night", "night_ok", "ratings", "ratings_pos",
    "needs", "needs_resolved", "needs_sla_due", "needs_sla_ok",
    "hh_year_first", "hh_month_first",
)


# time-limited cases (rollups.CASE_METRICS): table, metric prefix, tiers/levels, their column, done, alive
GE = GridEvent.__table__
HZ = Hazard.__table__
_CASE_SOURCES = (
    (GE, "ev", EVENT_TIERS, GE.c.tier, GE.c.responded_at, GE.c.status.not_in(("withdrawn", "duplicate"))),
    (HZ, "hz", HAZARD_LEVELS, HZ.c.level, HZ.c.rectified_at, HZ.c.status != "withdrawn"),
)
_CASE_PERIOD = {"ev": "created_month", "hz": "found_month"}


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    level: str
    path: str
    name_zh: str
    name_en: str | None
    parent_id: int | None


def _unit(row) -> Unit:
    return Unit(row.id, row.code, row.level, row.path, row.name_zh, row.name_en, row.parent_id)


def get_unit(session: Session, code: str) -> Unit | None:
    row = session.execute(select(OU).where(OU.c.code == code)).first()
    return None if row is None else _unit(row)


def get_unit_by_id(session: Session, unit_id: int) -> Unit | None:
    row = session.execute(select(OU).where(OU.c.id == unit_id)).first()
    return None if row is None else _unit(row)


def children(session: Session, unit: Unit) -> list[Unit]:
    """Direct children of ``unit`` in the current tree, by code."""
    rows = session.execute(select(OU).where(OU.c.parent_id == unit.id).order_by(OU.c.code)).all()
    return [_unit(r) for r in rows]


def scope_joins(unit: Unit, grid_col, month_expr):
    """(joins, condition, key) that restrict rows with ``grid_col`` at ``month_expr`` to U."""
    if unit.level == "grid":
        return [], grid_col == unit.id, grid_col
    ga = GA.alias("ga")
    valid = and_(ga.c.grid_id == grid_col, ga.c.from_month <= month_expr,
                 or_(ga.c.to_month.is_(None), ga.c.to_month > month_expr))
    if unit.level == "community":
        return [(ga, valid)], ga.c.community_id == unit.id, grid_col
    c = OU.alias("c")
    return ([(ga, valid), (c, c.c.id == ga.c.community_id)],
            c.c[LEVEL_COL[unit.level]] == unit.id, c.c[CHILD_COL[unit.level]])


def rollup_source(unit: Unit):
    """(table, joins, condition, key) over the count rollups for U: for a city, district or station
    its children's own rows of ``unit_rollup`` (districts, stations, communities: each a whole
    unit), for a community or grid the grid rows mapped through the assignments."""
    if unit.level in CHILD_COL:
        c = OU.alias("c")
        return UR, [(c, c.c.id == UR.c.unit_id)], c.c.parent_id == unit.id, UR.c.unit_id
    joins, cond, key = scope_joins(unit, R.c.grid_id, R.c.period_month)
    return R, joins, cond, key


def join_all(table, joins):
    """``table`` joined with each (table, on) pair that ``scope_joins`` returned."""
    src = table
    for t, on in joins:
        src = src.join(t, on)
    return src


def _between(col, lo, hi) -> ColumnElement:
    return and_(col >= lo, col <= hi)


# --- counts of records per child × period month × metric -------------------------------------

# metrics whose event time is the visit time (the first-visit metrics count at their visit)
_VISIT_TIME = ("visits", "night", "night_ok", "ratings", "ratings_pos", "hh_year_first", "hh_month_first")


def _none(session: Session, table, cond) -> bool:
    """No row of ``table`` matches ``cond`` (one indexed lookup)."""
    return session.execute(select(literal(1)).select_from(table).where(cond).limit(1)).first() is None


# --- reference reads shared by the KPI calls of one screen ---------------------------------------
# A map of a station's grids calls compute_kpis once per community: each call read the phases,
# targets, baselines, indicator meta, settings and the "settled" probes again — 17 of its 40
# queries. Inside ``shared_reads()`` those reads are made once per block (the block's context is
# handed to the threads that compute in parallel, ``in_block``) and each caller gets its own copy.
_SHARED: ContextVar[dict | None] = ContextVar("kpi_shared_reads", default=None)
_LOCK = object()  # the memo's key of its lock


@contextmanager
def shared_reads() -> Iterator[dict]:
    """Within the block, the reference reads below return what their first call read (a block
    inside another one shares the outer one's reads)."""
    outer = _SHARED.get()
    if outer is not None:
        yield outer
        return
    memo: dict = {_LOCK: threading.Lock()}  # the block's threads read each one once, not each at once
    token = _SHARED.set(memo)
    try:
        yield memo
    finally:
        _SHARED.reset(token)


def in_block(fn: Callable) -> Callable:
    """``fn`` bound to the calling context (for a thread pool: threads do not inherit it)."""
    memo = _SHARED.get()
    if memo is None:
        return fn

    @functools.wraps(fn)
    def run(*args, **kwargs):
        token = _SHARED.set(memo)
        try:
            return fn(*args, **kwargs)
        finally:
            _SHARED.reset(token)

    return run


def _shared(fn: Callable) -> Callable:
    """Memoise ``fn(session, *args)`` by its other arguments inside ``shared_reads()``."""
    @functools.wraps(fn)
    def read(session: Session, *args):
        memo = _SHARED.get()
        if memo is None:
            return fn(session, *args)
        key = (fn.__name__, *(frozenset(a) if isinstance(a, (set, frozenset)) else a for a in args))
        try:
            hash(key)
        except TypeError:  # an unhashable argument (a default given as a dict): read as usual
            return fn(session, *args)
        with memo[_LOCK]:
            if key not in memo:
                memo[key] = fn(session, *args)
        return copy.copy(memo[key])  # callers may change their copy (a preview's targets)

    return read


@_shared
def settled_metrics(session: Session, as_of: datetime, metrics: Iterable[str]) -> set[str]:
    """The metrics among ``metrics`` with no event between ``as_of`` and the end of its month.

    For these the rollup rows of as_of's month already hold exactly the events up to as_of, so
    ``rate_counts`` reads them instead of counting raw records. That is the usual case for a
    dashboard looking at today (nothing is recorded in the future) and for any month-end as_of.
    ``needs_sla_due`` is never settled in practice (open needs fall due after today), so it is
    always counted raw. Each check is one indexed lookup.
    """
    a = month_of(as_of)
    nxt = datetime.combine(month_end(a) + timedelta(days=1), time.min)
    metrics = set(metrics)
    out: set[str] = set()

    checks = {"checks", "checks_ok", "rental_checks", "rental_checks_ok"} & metrics
    if checks and _none(session, SC, and_(SC.c.checked_on > as_of.date(), SC.c.checked_on < nxt.date())):
        out |= checks
    visit_time = set(_VISIT_TIME) & metrics
    if visit_time and _none(session, V, and_(V.c.visited_at > as_of, V.c.visited_at < nxt)):
        out |= visit_time
    # a compliant visit was entered within 24 h of its visit time
    if "visits_ok" in metrics and _none(session, V, and_(V.c.visited_at > as_of - ENTRY_LIMIT, V.c.visited_at < nxt,
                                                          V.c.compliant, V.c.entered_at > as_of, V.c.entered_at < nxt)):
        out.add("visits_ok")
    if "needs" in metrics and _none(session, N, and_(N.c.created_at > as_of, N.c.created_at < nxt)):
        out.add("needs")
    if "needs_resolved" in metrics and _none(session, N, and_(N.c.resolved_at > as_of, N.c.resolved_at < nxt)):
        out.add("needs_resolved")
    # an in-time response came within 48 h of creation
    if "needs_sla_ok" in metrics and _none(session, N, and_(N.c.created_at > as_of - NEED_SLA, N.c.created_at < nxt,
                                                             N.c.sla_ok, N.c.responded_at > as_of,
                                                             N.c.responded_at < nxt)):
        out.add("needs_sla_ok")
    return out


# metrics whose event time can lie after today (a due time): read with the rollup rows of as_of's
# month, less the records whose event time falls after as_of in that month (open needs and cases
# falling due later this month: few), instead of counting the month up to as_of raw
_DUE_TIME = ("needs_sla_due",) + tuple(f"{p}_{k}_{x}" for _t, p, ks, *_ in _CASE_SOURCES for k in ks for x in ("due", "ok"))


def rate_counts(session: Session, unit: Unit, m0: int, m1: int, as_of: datetime,
                metrics: Iterable[str] = RATE_METRICS) -> list[tuple[int | None, int, str, int]]:
    """Rows ``(key, period_month, metric, n)`` of the count metrics for records whose period
    month is in ``[m0, m1]`` and whose event time is ``<= as_of``: the rollups of the months
    before as_of's month A, and for A either its rollup rows (a settled metric, nothing after
    as_of; or a due-time metric, less the records due after as_of in A) or the raw records up to
    as_of. Several rows of one key, month and metric add up (a subtraction is a negative row).
    """
    metrics = tuple(metrics)
    a = month_of(as_of)
    a0 = datetime.combine(month_start(a), time.min)
    nxt = datetime.combine(month_end(a) + timedelta(days=1), time.min)
    d0, d1 = month_start(a), as_of.date()
    out: list[tuple[int | None, int, str, int]] = []
    settled = settled_metrics(session, as_of, metrics) if a >= m0 else set()
    less_after = {m for m in metrics if m in _DUE_TIME} - settled if a >= m0 else set()

    # 1) whole months before A from the rollups (and A itself for the settled and due-time metrics)
    t, joins, cond, key = rollup_source(unit)
    in_time = t.c.event_month < a
    if settled | less_after:
        in_time = or_(in_time, and_(t.c.event_month == a, t.c.metric.in_(sorted(settled | less_after))))
    stmt = (select(key, t.c.period_month, t.c.metric, func.sum(t.c.n))
            .select_from(join_all(t, joins))
            .where(cond, _between(t.c.period_month, m0, m1), in_time, t.c.metric.in_(metrics))
            .group_by(key, t.c.period_month, t.c.metric))
    out.extend((k, int(p), m, int(n)) for k, p, m, n in session.execute(stmt) if n)
    if a < m0:
        return out  # nothing in P can have happened in A (period month ≤ event month)
    raw = tuple(m for m in metrics if m not in settled and m not in less_after)

    def add(stmt_cols: dict[str, ColumnElement], table, period_col, grid_col, where, sign: int = 1,
            among: tuple[str, ...] = raw):
        want = {m: c for m, c in stmt_cols.items() if m in among}
        if not want:
            return
        joins, cond, key = scope_joins(unit, grid_col, period_col)
        names = list(want)
        stmt = (select(key, period_col, *[func.sum(case((want[m], 1), else_=0)) for m in names])
                .select_from(join_all(table, joins))
                .where(cond, _between(period_col, m0, m1), where)
                .group_by(key, period_col))
        for row in session.execute(stmt):
            for m, n in zip(names, row[2:], strict=True):
                if n:
                    out.append((row[0], int(row[1]), m, sign * int(n)))

    # 2) the raw records whose event time lies in [start of A, as_of]
    in_c = _between(SC.c.checked_on, d0, d1)
    add({"checks": in_c, "checks_ok": and_(in_c, SC.c.accurate),
         "rental_checks": and_(in_c, SC.c.is_rental),
         "rental_checks_ok": and_(in_c, SC.c.is_rental, SC.c.accurate)},
        SC, SC.c.month, SC.c.grid_id, in_c)

    in_v = _between(V.c.visited_at, a0, as_of)
    in_e = and_(V.c.compliant, _between(V.c.entered_at, a0, as_of))
    # a compliant visit was entered within 24 h, so visited_at ≥ a0 − 24 h (keeps the visited_at index usable)
    add({"visits": in_v, "visits_ok": in_e, "night": and_(in_v, V.c.is_night),
         "night_ok": and_(in_v, V.c.night_ok), "ratings": and_(in_v, V.c.satisfaction.is_not(None)),
         "ratings_pos": and_(in_v, V.c.satisfaction >= 4)},
        V, V.c.month, V.c.grid_id,
        and_(_between(V.c.visited_at, a0 - ENTRY_LIMIT, as_of), or_(in_v, in_e)))

    in_n = _between(N.c.created_at, a0, as_of)
    in_d = _between(N.c.sla_due_at, a0, as_of)
    in_o = and_(N.c.sla_ok, _between(N.c.responded_at, a0, as_of))
    # the SLA due time and an in-time response lie within 48 h of creation
    add({"needs": in_n, "needs_sla_due": in_d, "needs_sla_ok": in_o},
        N, N.c.created_month, N.c.grid_id,
        and_(N.c.counted, _between(N.c.created_at, a0 - NEED_SLA, as_of), or_(in_n, in_d, in_o)))
    in_r = and_(N.c.resolved_month.is_not(None), _between(N.c.resolved_at, a0, as_of))
    add({"needs_resolved": in_r}, N, N.c.created_month, N.c.grid_id, and_(N.c.counted, in_r))
    # … or taken away: the needs falling due in (as_of, end of A] (created within 48 h before)
    after_d = and_(N.c.sla_due_at > as_of, N.c.sla_due_at < nxt)
    add({"needs_sla_due": after_d}, N, N.c.created_month, N.c.grid_id,
        and_(N.c.counted, N.c.created_at > as_of - NEED_SLA, N.c.created_at < nxt, after_d), -1, tuple(less_after))

    # time-limited cases: both event times lie at or before due_at, so due_at ≥ a0 (indexed); those
    # of the due-time metrics after as_of in A have due_at > as_of, the open cases falling due later
    for table, prefix, kinds, kind_col, done, alive in _CASE_SOURCES:
        if not any(m.startswith(prefix + "_") for m in metrics):
            continue
        due = table.c.due_at
        first = case((and_(done.is_not(None), done < due), done), else_=due)
        for lo, hi, sign, among, on_due in ((a0, as_of, 1, raw, due >= a0),
                                            (as_of, nxt, -1, tuple(less_after), due > as_of)):
            if sign == 1:
                in_d, in_o = _between(first, lo, hi), and_(done.is_not(None), done <= due, _between(done, lo, hi))
            else:  # (as_of, nxt)
                in_d = and_(first > lo, first < hi)
                in_o = and_(done.is_not(None), done <= due, done > lo, done < hi)
            cols: dict[str, ColumnElement] = {}
            for k in kinds:
                cols[f"{prefix}_{k}_due"] = and_(kind_col == k, in_d)
                cols[f"{prefix}_{k}_ok"] = and_(kind_col == k, in_o)
            add(cols, table, table.c[_CASE_PERIOD[prefix]], table.c.grid_id, and_(alive, on_due, or_(in_d, in_o)),
                sign, among)

    for metric, same in (("hh_year_first", lambda v2: (v2.c.month - v2.c.month % 100) == (V.c.month - V.c.month % 100)),
                         ("hh_month_first", lambda v2: v2.c.month == V.c.month)):
        if metric not in raw:
            continue
        v2 = V.alias("v2")
        earlier = exists(select(literal(1)).select_from(v2).where(
            v2.c.household_id == V.c.household_id, same(v2),
            or_(v2.c.visited_at < V.c.visited_at, and_(v2.c.visited_at == V.c.visited_at, v2.c.id < V.c.id))))
        joins, cond, key = scope_joins(unit, V.c.grid_id, V.c.month)
        stmt = (select(key, V.c.month, func.count())
                .select_from(join_all(V, joins))
                .where(cond, _between(V.c.month, m0, m1), in_v, ~earlier)
                .group_by(key, V.c.month))
        out.extend((k, int(p), metric, int(n)) for k, p, n in session.execute(stmt) if n)
    return out


# --- time-limited cases (indicators.md "Time-limited work") --------------------------------

def case_counts(session: Session, unit: Unit, m0: int, m1: int, as_of: datetime,
                kinds: Iterable[str] = ("event", "hazard")) -> dict[tuple[int | None, int, str, str], tuple[int, int]]:
    """``{(key, period_month, kind, tier): (in time, counted)}`` of grid events (tiers) and hazards
    (levels) started in months ``[m0, m1]``, as at ``as_of``: counted once the limit passed or the
    case was answered, in time when answered within the limit — from the rollups and the raw month
    of as_of (``rate_counts``). ``kinds``: "event", "hazard"."""
    names: dict[str, tuple[str, str, str]] = {}
    for kind in kinds:
        prefix, tiers = CASE_KINDS[kind]
        for t in tiers:
            for x in ("due", "ok"):
                names[f"{prefix}_{t}_{x}"] = (kind, t, x)
    acc: dict[tuple[int | None, int, str, str], list[int]] = {}
    for key, month, metric, n in rate_counts(session, unit, m0, m1, as_of, tuple(names)):
        kind, tier, x = names[metric]
        cell = acc.setdefault((key, month, kind, tier), [0, 0])
        cell[0 if x == "ok" else 1] += n
    return {k: (v[0], v[1]) for k, v in acc.items()}


def cases_by_unit(counts: dict) -> dict:
    """``case_counts`` regrouped: ``{(key, kind): {(month, tier): (in time, counted)}}``, key None
    holding U's totals (the sum over every key)."""
    out: dict = {}
    for (u, m, kind, t), (ok, due) in counts.items():
        for key in {u, None}:
            cell = out.setdefault((key, kind), {})
            k0, n0 = cell.get((m, t), (0, 0))
            cell[(m, t)] = (k0 + ok, n0 + due)
    return out


def response_quantiles(session: Session, unit: Unit, start: datetime, end: datetime, as_of: datetime,
                       qs: tuple[float, ...] = (0.5, 0.9)) -> dict[str | None, dict[float, float | None]]:
    """``{tier: {q: minutes}}`` and ``{None: …}`` for all tiers: the nearest-rank quantiles (the
    ⌈q·n⌉-th smallest) of the response times of U's grid events started in [start, end] and
    answered by as_of (not withdrawn or duplicates). On PostgreSQL one ``percentile_disc`` scan
    (the same nearest rank); elsewhere a count and one ordered lookup per quantile and tier."""
    joins, cond, _key = scope_joins(unit, GE.c.grid_id, GE.c.created_month)
    where = and_(cond, _between(GE.c.created_at, start, min(end, as_of)), GE.c.responded_at.is_not(None),
                 GE.c.responded_at <= as_of, GE.c.status.not_in(("withdrawn", "duplicate")),
                 _between(GE.c.created_month, month_of(start), month_of(min(end, as_of))))
    out: dict[str | None, dict[float, float | None]] = {t: dict.fromkeys(qs) for t in (None, *EVENT_TIERS)}
    src = join_all(GE, joins)
    if session.get_bind().dialect.name == "postgresql":
        cols = [func.percentile_disc(q).within_group(GE.c.response_seconds) for q in qs]
        stmt = select(GE.c.tier, func.grouping(GE.c.tier), *cols).select_from(src).where(where).group_by(
            func.rollup(GE.c.tier))
        for tier, total, *vals in session.execute(stmt):
            if vals[0] is not None:  # the grand total of no rows is a row of NULLs
                out[None if total else tier] = {q: v / 60.0 for q, v in zip(qs, vals, strict=True)}
        return out
    counts = dict(session.execute(select(GE.c.tier, func.count()).select_from(src).where(where)
                                  .group_by(GE.c.tier)).all())
    for tier in out:
        n = sum(counts.values()) if tier is None else counts.get(tier, 0)
        if n == 0:
            continue
        base = select(GE.c.response_seconds).select_from(src).where(where)
        if tier is not None:
            base = base.where(GE.c.tier == tier)
        for q in qs:
            rank = max(1, math.ceil(q * n - 1e-9))  # nearest rank: ceil(q × n)
            v = session.execute(base.order_by(GE.c.response_seconds).offset(rank - 1).limit(1)).scalar_one()
            out[tier][q] = v / 60.0
    return out


# --- stock and point-in-time measures --------------------------------------------------------

def household_stock(session: Session, unit: Unit, ref_month: int, as_of: datetime) -> dict[int | None, int]:
    """Households registered in U at the end of ``ref_month`` (or at ``as_of`` when that falls in
    ``ref_month``): each household's current grid mapped through the assignment valid in
    ``ref_month``; a household with an unknown registration date counts as always registered.

    From the ``households`` rollup (registrations before ``STOCK_FLOOR`` sit in its first month);
    for a month before ``STOCK_FLOOR`` straight from the household table (the CLI may ask, the
    dashboards do not)."""
    a = month_of(as_of)
    ref_month = min(ref_month, a)
    out: dict[int | None, int] = {}
    if ref_month < STOCK_FLOOR:
        joins, cond, key = scope_joins(unit, H.c.grid_id, ref_month)
        stmt = (select(key, func.count()).select_from(join_all(H, joins))
                .where(cond, or_(H.c.registered_on.is_(None), H.c.registered_on <= month_end(ref_month)))
                .group_by(key))
        return {k: int(n) for k, n in session.execute(stmt)}
    joins, cond, key = scope_joins(unit, R.c.grid_id, ref_month)
    in_rollup = R.c.event_month <= ref_month if ref_month < a else R.c.event_month < a
    stmt = (select(key, func.sum(R.c.n)).select_from(join_all(R, joins))
            .where(cond, R.c.metric == literal_column("'households'"), in_rollup)  # inline: partial index
            .group_by(key))
    for k, n in session.execute(stmt):
        out[k] = out.get(k, 0) + int(n or 0)
    if ref_month == a:
        joins, cond, key = scope_joins(unit, H.c.grid_id, ref_month)
        stmt = (select(key, func.count()).select_from(join_all(H, joins))
                .where(cond, _between(H.c.registered_on, month_start(a), as_of.date()))
                .group_by(key))
        for k, n in session.execute(stmt):
            out[k] = out.get(k, 0) + int(n)
    return out


def visited_households(session: Session, unit: Unit, m0: int, m1: int, as_of: datetime) -> dict[int | None, int]:
    """Distinct households with ≥1 visit in months ``[m0, m1]`` up to ``as_of``, each counted once at
    the grid/month of its first such visit (the general case behind hh_year_first/hh_month_first)."""
    ranked = (select(V.c.grid_id, V.c.month,
                     func.row_number().over(partition_by=V.c.household_id,
                                            order_by=(V.c.visited_at, V.c.id)).label("rn"))
              .where(_between(V.c.month, m0, m1), V.c.visited_at <= as_of)
              .subquery("t"))
    joins, cond, key = scope_joins(unit, ranked.c.grid_id, ranked.c.month)
    stmt = (select(key, func.count()).select_from(join_all(ranked, joins))
            .where(cond, ranked.c.rn == 1).group_by(key))
    return {k: int(n) for k, n in session.execute(stmt)}


def special_compliance(session: Session, unit: Unit, ref: datetime,
                       intervals_days: dict[str, int]) -> dict[int | None, tuple[int, int]]:
    """special_visit_compliance counts at time ``ref``: ``{key: (compliant, households)}``.

    Households with a risk level in ``intervals_days`` (red/yellow/blue; 'none' never), registered
    by ``ref`` (unknown registration date counts), in U through the assignment valid in
    month(ref); compliant when their last visit at or before ``ref`` is within the level's
    interval (``ref − visited_at ≤ days``). Uses the household's *current* risk level (the
    risk-change history is not replayed). Counted live; see ``special_compliance_at``.
    """
    levels = snapshots.levels_of(intervals_days)
    if not levels:
        return {}
    joins, cond, key = scope_joins(unit, H.c.grid_id, month_of(ref))
    if _none(session, V, V.c.visited_at > ref):
        # nothing visited after ref (a dashboard looking at today): each household's latest visit
        # is its last one before ref, kept on the household row — no probe into the visits
        recent = or_(*[and_(H.c.risk_level == lvl, H.c.last_visit_at >= ref - timedelta(days=dd))
                       for lvl, dd in levels.items()])
    else:
        recent = snapshots.recent_visit(levels, ref)
    stmt = (select(key, func.sum(case((recent, 1), else_=0)), func.count())
            .select_from(join_all(H, joins))
            .where(cond, snapshots.in_population(levels, ref))
            .group_by(key))
    return {k: (int(ok or 0), int(n)) for k, ok, n in session.execute(stmt)}


def special_compliance_at(session: Session, unit: Unit, refs: Iterable[datetime],
                          intervals_days: dict[str, int]) -> dict[datetime, dict[int | None, tuple[int, int]]]:
    """``special_compliance`` at several times: the ends of completed months from the stored
    per-grid snapshots (``data_access.analytics.snapshots``, computed on first use), any other time live."""
    levels = snapshots.levels_of(intervals_days)
    refs = sorted(set(refs))
    out: dict[datetime, dict[int | None, tuple[int, int]]] = {r: {} for r in refs}
    if not levels:
        return out
    ends = {month_of(r): r for r in refs if r == month_end_time(month_of(r))}
    stored = snapshots.ensure(session, ends, levels)
    for r in refs:
        if month_of(r) not in stored or ends.get(month_of(r)) != r:
            out[r] = special_compliance(session, unit, r, intervals_days)
    if stored:
        ss = snapshots.SS
        joins, cond, key = scope_joins(unit, ss.c.grid_id, ss.c.month)
        stmt = (select(key, ss.c.month, func.sum(ss.c.ok), func.sum(ss.c.n)).select_from(join_all(ss, joins))
                .where(cond, ss.c.month.in_(sorted(stored))).group_by(key, ss.c.month))
        for k, m, ok, n in session.execute(stmt):
            out[ends[int(m)]][k] = (int(ok or 0), int(n or 0))
    return out


HIGHRISK_DAYS = 7  # indicators.md "Assisted persons": a visit in the 7 days up to as_of


def highrisk_weekly(session: Session, unit: Unit, ref: datetime) -> dict[int | None, tuple[int, int]]:
    """sa_cc_highrisk_weekly_visit counts at time ``ref``: ``{key: (visited, high-risk persons)}``.

    Persons registered by ``ref`` and not closed before it, whose risk level at ``ref`` (the latest
    history row dated at or before ``ref``) is high, in U through the grid assignment valid in
    month(ref); visited when a visit lies in ``[ref − 7 days, ref]``."""
    return highrisk_weekly_at(session, unit, [ref])[ref]


def highrisk_weekly_at(session: Session, unit: Unit, refs: Iterable[datetime]
                       ) -> dict[datetime, dict[int | None, tuple[int, int]]]:
    """``highrisk_weekly`` at several times (the period's reference time and the trend's month
    ends) in one statement: each risk-history row is valid from its time until the next row's
    (by time, then id), and the reference times are joined to those intervals — not the latest
    row looked up per person and time."""
    refs = sorted(set(refs))
    out: dict[datetime, dict[int | None, tuple[int, int]]] = {r: {} for r in refs}
    if not refs:
        return out
    rs = [select(literal(r, DateTime()).label("at"), literal(r - timedelta(days=HIGHRISK_DAYS), DateTime()).label("since"),
                 literal(r.date(), Date()).label("day"), literal(month_of(r)).label("month"), literal(i).label("i"))
          for i, r in enumerate(refs)]
    rt = (rs[0] if len(rs) == 1 else union_all(*rs)).subquery("refs")
    nxt = func.lead(ARC.c.changed_at).over(partition_by=ARC.c.person_id, order_by=(ARC.c.changed_at, ARC.c.id))
    lv = (select(ARC.c.person_id, ARC.c.new_level, ARC.c.changed_at, nxt.label("until"))
          .where(ARC.c.changed_at <= refs[-1]).subquery("lv"))
    joins, cond, key = scope_joins(unit, AP.c.grid_id, rt.c.month)
    seen = exists().where(PV.c.person_id == AP.c.id, PV.c.visited_at <= rt.c.at, PV.c.visited_at >= rt.c.since)
    src = rt.join(lv, and_(lv.c.changed_at <= rt.c.at, or_(lv.c.until.is_(None), lv.c.until > rt.c.at),
                           lv.c.new_level == "high")).join(AP, AP.c.id == lv.c.person_id)
    stmt = (select(rt.c.i, key, func.sum(case((seen, 1), else_=0)), func.count())
            .select_from(join_all(src, joins))
            .where(cond, AP.c.registered_on <= rt.c.day, or_(AP.c.closed_on.is_(None), AP.c.closed_on > rt.c.day))
            .group_by(rt.c.i, key))
    for i, k, ok, n in session.execute(stmt):
        out[refs[int(i)]][k] = (int(ok or 0), int(n))
    return out


def officer_weeks(session: Session, unit: Unit, wk_lo: int, wk_hi: int) -> list[tuple[int | None, int, int, int]]:
    """Rows ``(key, week, households, officer_weeks)`` for weeks in ``[wk_lo, wk_hi]`` (yyyyww), of
    the users whose *current* scope unit is U or under U; an officer-week counts when the officer
    visited at least one household that week. Under a child: that child's ``unit_week`` rows;
    scoped on U itself (key None; a grid: the grid): their own ``officer_week`` rows."""
    c = OU.alias("c")
    kids = (select(UW.c.unit_id, UW.c.week, UW.c.households, UW.c.officers)
            .select_from(UW.join(c, c.c.id == UW.c.unit_id))
            .where(c.c.parent_id == unit.id, _between(UW.c.week, wk_lo, wk_hi), UW.c.officers > 0))
    own = (select(OW.c.week, func.sum(OW.c.households), func.count())
           .select_from(OW.join(AU, AU.c.id == OW.c.officer_id))
           .where(AU.c.scope_id == unit.id, _between(OW.c.week, wk_lo, wk_hi), OW.c.households > 0)
           .group_by(OW.c.week))
    key = unit.id if unit.level == "grid" else None
    return ([(k, int(w), int(h), int(n)) for k, w, h, n in session.execute(kids)]
            + [(key, int(w), int(h), int(n)) for w, h, n in session.execute(own)])


def incident_counts(session: Session, unit: Unit, start: datetime, end: datetime, as_of: datetime
                    ) -> dict[int | None, tuple[int, int]]:
    """``security_incident_in_time`` counts per key (child of U the incident's unit lies under; None
    for an incident on U itself): ``(k, n)`` where n = incidents detected in [start, min(end, as_of)]
    at or under U whose 7-day limit has passed by as_of or that were rectified by as_of, and k = those
    whose plan, trace and rectification each happened by as_of and no later than its due time."""
    from data_access.programme.models import SecurityIncident

    SI = SecurityIncident.__table__
    if unit.level == "grid":
        under, key = OU.c.id == unit.id, OU.c.id
    else:
        under = OU.c[LEVEL_COL[unit.level]] == unit.id
        key = OU.c[CHILD_COL[unit.level]] if unit.level in CHILD_COL else case(
            (OU.c.level == "grid", OU.c.id), else_=None)
    done = and_(SI.c.rectified_at.is_not(None), SI.c.rectified_at <= as_of)
    steps_ok = and_(*[and_(SI.c[c].is_not(None), SI.c[c] <= as_of, SI.c[c] <= SI.c[d]) for c, d in (
        ("plan_started_at", "plan_due_at"), ("trace_done_at", "trace_due_at"), ("rectified_at", "rectify_due_at"))])
    stmt = (select(key.label("k"), func.count(), func.sum(case((steps_ok, 1), else_=0)))
            .select_from(SI.join(OU, OU.c.id == SI.c.org_unit_id))
            .where(under, SI.c.detected_at >= start, SI.c.detected_at <= min(end, as_of),
                   or_(SI.c.rectify_due_at <= as_of, done))
            .group_by(key))
    return {k: (int(ok or 0), int(n)) for k, n, ok in session.execute(stmt)}


def veto_paths(session: Session, unit: Unit, d0: date, d1: date) -> list[str]:
    """Paths of the units at or under U with a confirmed veto event dated in ``[d0, d1]``."""
    stmt = (select(OU.c.path).select_from(VE.join(OU, OU.c.id == VE.c.org_unit_id))
            .where(VE.c.confirmed, _between(VE.c.occurred_on, d0, d1), OU.c.path.like(unit.path + "%")))
    kinds = setting(session, "veto_kinds", None)  # the admin's veto rule: which kinds veto (none set: all)
    if isinstance(kinds, list):
        stmt = stmt.where(VE.c.kind.in_([str(k) for k in kinds]))
    return [r[0] for r in session.execute(stmt)]


# --- reference data --------------------------------------------------------------------------

@_shared
def phases(session: Session) -> list[tuple[str, date, date]]:
    from data_access.programme.models import Phase

    P = Phase.__table__
    return [(c, s, e) for c, s, e in session.execute(select(P.c.code, P.c.start, P.c.end).order_by(P.c.start))]


@_shared
def targets(session: Session, phase_code: str) -> dict[tuple[str, int | None], tuple[float, float | None]]:
    """``{(indicator, org_unit_id or None): (target, baseline)}`` for one phase."""
    from data_access.programme.models import Target

    T = Target.__table__
    rows = session.execute(select(T.c.indicator_code, T.c.org_unit_id, T.c.target, T.c.baseline)
                           .where(T.c.phase_code == phase_code))
    return {(i, u): (float(t), None if b is None else float(b)) for i, u, t, b in rows}


@_shared
def indicator_meta(session: Session) -> dict[str, tuple[str, str]]:
    """``{indicator: (direction, unit)}`` of the registry (direction "up" or "down")."""
    from data_access.programme.models import Indicator

    ind = Indicator.__table__
    return {c: (dirn or "up", u or "%") for c, dirn, u in session.execute(
        select(ind.c.code, ind.c.direction, ind.c.unit))}


@_shared
def baselines(session: Session) -> dict[str, float]:
    """City-default baselines per indicator (from any phase's target row)."""
    from data_access.programme.models import Target

    T = Target.__table__
    rows = session.execute(select(T.c.indicator_code, T.c.baseline)
                           .where(T.c.org_unit_id.is_(None), T.c.baseline.is_not(None)))
    return {i: float(b) for i, b in rows}


@_shared
def setting(session: Session, key: str, default=None):
    import json

    from data_access.core.models import Setting

    S = Setting.__table__
    row = session.execute(select(S.c.value).where(S.c.key == key)).first()
    if row is None:
        return default
    try:
        return json.loads(row[0])
    except (TypeError, ValueError):
        return default
