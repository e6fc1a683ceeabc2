"""Per grid × month aggregates that the dashboards read.

A row ``(grid_id, period_month, event_month, metric, n)`` counts records of ``metric`` whose
*period time* (the time that decides whether the record belongs to a period P: check date,
visit time, need creation) falls in ``period_month`` and whose *event time* (the time from
which the record counts at an as_of: e.g. the resolution time of a resolved need) falls in
``event_month``. A KPI at ``as_of`` in month A sums rows with ``event_month < A`` and adds
the records whose event time lies in ``[start of A, as_of]`` straight from the raw tables,
so rollup-based and raw KPIs are equal by construction (and a property test checks it).

Metrics:
  checks, checks_ok, rental_checks, rental_checks_ok      spot checks (period = event = check date)
  visits, visits_ok (event = entry time), night, night_ok, ratings, ratings_pos
  needs, needs_resolved (event = resolved_at), needs_sla_due (event = min(created+48h,
  responded)), needs_sla_ok (event = responded_at)
  ev_<tier>_due, ev_<tier>_ok     grid events by creation month (not withdrawn or duplicates): in the
                  set from min(due_at, responded_at), in time at responded_at when ≤ due_at
  hz_<level>_due, hz_<level>_ok   hazards the same way (found_month; rectified_at)
  hh_year_first   a household's first visit in a calendar year (grid/month of that visit)
  hh_month_first  a household's first visit in a month
  households      households by registration month (before 2023-01 as at 2023-01, derive.STOCK_FLOOR),
                  on their current grid

``unit_rollup`` holds the same rows summed per community (each grid mapped through the
assignment valid in the period month; all metrics but ``households``), and per station and
district (the sums of their communities' rows). ``apply`` updates both tables; a grid move
re-derives the two communities involved and their stations and districts
(``refresh_communities``).

``presence_month`` sums the minutes each officer spent in a grid per month on working days
(visit durations and office sessions), kept in step by ``presence``.

``officer_week`` counts the distinct households each officer visited per ISO week;
``unit_week`` sums it per unit (officers whose current scope is the unit or under it), kept in
step by ``apply_distinct`` and re-derived for the units an officer or a grid left or joined
(``refresh_unit_weeks``).

Every write path updates these in the same transaction (``apply``/``visit_added`` …);
``rebuild`` recomputes everything with a few GROUP BY statements.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from data_access.analytics.models import OfficerWeek, PresenceMonth, Rollup, UnitRollup, UnitWeek
from data_access.fieldwork.derive import STOCK_FLOOR, Contribution, month_of, week_of
from data_access.fieldwork.models import EVENT_TIERS, HAZARD_LEVELS, Visit
from data_access.org.models import GridAssignment, OrgUnit, User


def _upsert_sql(session: Session, table: str, keys: tuple[str, ...], *valcols: str) -> str:
    """INSERT … ON CONFLICT that adds the given values to an existing row."""
    cols = ", ".join(keys + valcols)
    params = ", ".join(f":{c}" for c in keys + valcols)
    sets = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in valcols)
    return f"INSERT INTO {table} ({cols}) VALUES ({params}) ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"


def apply(session: Session, add: Iterable[Contribution] = (), remove: Iterable[Contribution] = ()) -> None:
    """Add +1 for each contribution in ``add`` and −1 for each in ``remove`` (net deltas only),
    to the grid rows and to the community, station and district rows they map to."""
    delta: Counter = Counter()
    for c in add:
        delta[c] += 1
    for c in remove:
        delta[c] -= 1
    delta = Counter({k: d for k, d in delta.items() if d})
    if not delta:
        return
    session.execute(
        text(_upsert_sql(session, "rollup", ("grid_id", "period_month", "event_month", "metric"), "n")),
        # in key order, so that two writers lock the rows they share in the same order (a re-grouping,
        # ``lock_for_regrouping``, holds the tables instead)
        [{"grid_id": g, "period_month": p, "event_month": e, "metric": m, "n": d}
         for (g, p, e, m), d in sorted(delta.items())],
    )
    per_unit: Counter = Counter()
    owners = _owners(session, {(g, p) for (g, p, _e, m) in delta if m != "households"})
    for (g, p, e, m), d in delta.items():
        if m != "households":
            for u in owners.get((g, p), ()):
                per_unit[(u, p, e, m)] += d
    rows = [{"unit_id": u, "period_month": p, "event_month": e, "metric": m, "n": d}
            for (u, p, e, m), d in sorted(per_unit.items()) if d]
    if rows:
        session.execute(
            text(_upsert_sql(session, "unit_rollup", ("unit_id", "period_month", "event_month", "metric"), "n")),
            rows,
        )


def _owners(session: Session, grid_months: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, ...]]:
    """``{(grid, month): (community, station, district)}``: the community through the assignment
    valid in that month, and that community's station and district."""
    if not grid_months:
        return {}
    ga = GridAssignment.__table__
    c = OrgUnit.__table__
    rows = session.execute(sa_select(ga.c.grid_id, ga.c.from_month, ga.c.to_month, c.c.id, c.c.station_id,
                                      c.c.district_id)
                           .join_from(ga, c, c.c.id == ga.c.community_id)
                           .where(ga.c.grid_id.in_({g for g, _ in grid_months}))).all()
    out = {}
    for g, p in grid_months:
        for grid, lo, hi, *units in rows:
            if grid == g and lo <= p and (hi is None or p < hi):
                out[(g, p)] = tuple(u for u in units if u is not None)
                break
    return out


# community rows from the grid rollups; station and district rows from their communities' rows
_COMMUNITY_SQL = (
    "INSERT INTO unit_rollup (unit_id, period_month, event_month, metric, n) "
    "SELECT ga.community_id, r.period_month, r.event_month, r.metric, SUM(r.n) FROM rollup r "
    "JOIN grid_assignment ga ON ga.grid_id = r.grid_id AND ga.from_month <= r.period_month "
    "AND (ga.to_month IS NULL OR ga.to_month > r.period_month) "
    "WHERE r.metric <> 'households' {extra}"
    "GROUP BY ga.community_id, r.period_month, r.event_month, r.metric"
)
_ANCESTOR_SQL = (
    "INSERT INTO unit_rollup (unit_id, period_month, event_month, metric, n) "
    "SELECT c.{col}, u.period_month, u.event_month, u.metric, SUM(u.n) FROM unit_rollup u "
    "JOIN org_unit c ON c.id = u.unit_id "
    "WHERE c.level = 'community' AND c.{col} IS NOT NULL {extra}"
    "GROUP BY c.{col}, u.period_month, u.event_month, u.metric"
)


def _in(col: str, ids: Iterable[int]) -> str:
    return f"AND {col} IN ({', '.join(str(int(i)) for i in ids)}) "


def rebuild_units(session: Session) -> None:
    """Recompute ``unit_rollup`` from ``rollup``, the grid assignments and the org-unit tree."""
    session.execute(delete(UnitRollup))
    session.execute(text(_COMMUNITY_SQL.format(extra="")))
    for col in ("station_id", "district_id"):
        session.execute(text(_ANCESTOR_SQL.format(col=col, extra="")))


def lock_for_regrouping(session: Session) -> None:
    """Call before a grid moves or a user's scope changes, i.e. before rows are re-derived for the
    units that lost or gained the grid's records or the officer's weeks. On PostgreSQL this waits
    for the writes in flight and holds new ones until this transaction ends: a visit written
    meanwhile would otherwise add to a unit it looked up before the change, after the re-derived
    rows were computed without it (and its row locks, taken in another order, could deadlock with
    the re-derivation). Grid moves and scope changes are rare admin actions; SQLite runs one
    writer at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE rollup, unit_rollup, officer_week, unit_week IN SHARE ROW EXCLUSIVE MODE"))


def refresh_communities(session: Session, community_ids: Iterable[int]) -> None:
    """Recompute the ``unit_rollup`` rows of these communities and of their stations and districts
    (after a grid changed community)."""
    ids = sorted({int(c) for c in community_ids if c is not None})
    if not ids:
        return
    session.flush()
    ou = OrgUnit.__table__
    up = session.execute(sa_select(ou.c.station_id, ou.c.district_id).where(ou.c.id.in_(ids))).all()
    session.execute(delete(UnitRollup).where(UnitRollup.unit_id.in_(ids)))
    session.execute(text(_COMMUNITY_SQL.format(extra=_in("ga.community_id", ids))))
    for pos, col in enumerate(("station_id", "district_id")):
        anc = sorted({r[pos] for r in up if r[pos] is not None})
        if anc:
            session.execute(delete(UnitRollup).where(UnitRollup.unit_id.in_(anc)))
            session.execute(text(_ANCESTOR_SQL.format(col=col, extra=_in(f"c.{col}", anc))))


def _first_visit(session: Session, household_id: int, lo: int, hi: int) -> Contribution | None:
    """(grid, month) of the household's earliest visit with month in [lo, hi]."""
    row = session.exec(
        select(Visit.grid_id, Visit.month)
        .where(Visit.household_id == household_id, Visit.month >= lo, Visit.month <= hi)
        .order_by(Visit.visited_at, Visit.id)
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1], row[1])


def distinct_snapshot(session: Session, household_id: int, officer_id: int, visited_at) -> dict:
    """State of the distinct-household metrics touched by a visit of this household/officer/time.

    Call before and after a visit is added, changed or removed; pass both to
    ``apply_distinct`` to update the rollups by the difference.
    """
    m = month_of(visited_at)
    y = m // 100
    wk = week_of(visited_at)
    yf = _first_visit(session, household_id, y * 100 + 1, y * 100 + 12)
    mf = _first_visit(session, household_id, m, m)
    ow = session.exec(
        select(Visit.id).where(
            Visit.officer_id == officer_id, Visit.household_id == household_id, Visit.week == wk
        ).limit(1)
    ).first()
    return {
        "year": [(*yf, "hh_year_first")] if yf else [],
        "month": [(*mf, "hh_month_first")] if mf else [],
        "officer_week": (officer_id, wk, 1 if ow is not None else 0),
    }


def apply_distinct(session: Session, before: dict, after: dict) -> None:
    apply(session, add=after["year"] + after["month"], remove=before["year"] + before["month"])
    officer_id, wk, b = before["officer_week"]
    a = after["officer_week"][2]
    if a != b:
        now = session.execute(
            text(_upsert_sql(session, "officer_week", ("officer_id", "week"), "households") + " RETURNING households"),
            {"officer_id": officer_id, "week": wk, "households": a - b},
        ).scalar_one()
        was = now - (a - b)
        rows = [{"unit_id": u, "week": wk, "households": a - b, "officers": (now > 0) - (was > 0)}
                for u in sorted(lineage(session, scope_of=officer_id))]
        if rows:
            session.execute(text(_upsert_sql(session, "unit_week", ("unit_id", "week"), "households", "officers")),
                            rows)


def presence(session: Session, *, grid_id: int, officer_id: int, day, minutes: int | None) -> None:
    """Add the ``minutes`` an officer spent in a grid on ``day`` (a visit's duration, an office
    session; a date or the datetime it started) to ``presence_month``; weekends and
    nothing-recorded add nothing."""
    if not minutes or minutes <= 0 or day.weekday() >= 5:
        return
    session.execute(text(_upsert_sql(session, "presence_month", ("month", "grid_id", "officer_id"), "minutes")),
                    {"month": month_of(day), "grid_id": grid_id, "officer_id": officer_id, "minutes": int(minutes)})


def _presence_sql(dialect: str) -> str:
    """``presence_month`` from the raw visits and office sessions (``presence`` per record)."""
    if dialect == "postgresql":
        def workday(col):
            return f"EXTRACT(ISODOW FROM {col}) < 6"
        day_month = "CAST(to_char(day, 'YYYYMM') AS INTEGER)"
    else:
        def workday(col):
            return f"CAST(strftime('%w', {col}) AS INTEGER) BETWEEN 1 AND 5"
        day_month = "CAST(strftime('%Y%m', day) AS INTEGER)"
    return ("INSERT INTO presence_month (month, grid_id, officer_id, minutes) "
            "SELECT month, grid_id, officer_id, SUM(m) FROM ("
            f"SELECT month, grid_id, officer_id, duration_min AS m FROM visit "
            f"WHERE duration_min > 0 AND {workday('visited_at')} "
            f"UNION ALL SELECT {day_month} AS month, grid_id, officer_id, minutes AS m FROM office_session "
            f"WHERE minutes > 0 AND {workday('day')}) p GROUP BY month, grid_id, officer_id")


def rebuild_presence(session: Session) -> None:
    """Recompute ``presence_month`` (after a bulk load of visit durations or office sessions)."""
    session.execute(delete(PresenceMonth))
    session.execute(text(_presence_sql(session.get_bind().dialect.name)))


_LINEAGE_COLS = ("district_id", "station_id", "community_id")


def lineage(session: Session, *, unit_id: int | None = None, scope_of: int | None = None) -> set[int]:
    """A unit and its ancestors below the city (the unit ``unit_id``, or the current scope unit
    of user ``scope_of``): the units whose ``unit_week`` rows count that unit's officers. The
    city has none: nothing reads a row of a unit without a parent."""
    ou = OrgUnit.__table__
    stmt = sa_select(ou.c.id, ou.c.level, *[ou.c[c] for c in _LINEAGE_COLS])
    if scope_of is not None:
        au = User.__table__
        stmt = stmt.join_from(au, ou, ou.c.id == au.c.scope_id).where(au.c.id == scope_of)
    else:
        stmt = stmt.where(ou.c.id == unit_id)
    row = session.execute(stmt).first()
    if row is None:
        return set()
    return {u for u in row[2:] if u is not None} | ({row.id} if row.level != "city" else set())


# officer-weeks summed per unit level below the city (a grid: officers scoped on it; a community,
# station or district: on it or under it)
_WEEK_SQL = (
    "INSERT INTO unit_week (unit_id, week, households, officers) "
    "SELECT s.{col}, ow.week, SUM(ow.households), COUNT(*) FROM officer_week ow "
    "JOIN app_user a ON a.id = ow.officer_id JOIN org_unit s ON s.id = a.scope_id "
    "WHERE ow.households > 0 AND s.{col} IS NOT NULL {extra}"
    "GROUP BY s.{col}, ow.week"
)
_WEEK_LEVELS = (*((c, "") for c in _LINEAGE_COLS), ("id", "AND s.level = 'grid' "))


def refresh_unit_weeks(session: Session, unit_ids: Iterable[int] | None = None) -> None:
    """Recompute ``unit_week`` for these units (all units when None). After a user's scope or a
    grid's community changed, pass the units on the old lineage or the new but not both
    (``lineage(...) ^ lineage(...)``): their officers came or went."""
    ids = None if unit_ids is None else sorted({int(u) for u in unit_ids if u is not None})
    if ids == []:
        return
    session.flush()
    session.execute(delete(UnitWeek) if ids is None else delete(UnitWeek).where(UnitWeek.unit_id.in_(ids)))
    for col, extra in _WEEK_LEVELS:
        session.execute(text(_WEEK_SQL.format(col=col, extra=extra + (_in(f"s.{col}", ids) if ids else ""))))


_REBUILD = [
    # spot checks
    """SELECT grid_id, month, month, 'checks', COUNT(*) FROM spot_check GROUP BY grid_id, month""",
    """SELECT grid_id, month, month, 'checks_ok', COUNT(*) FROM spot_check WHERE accurate
       GROUP BY grid_id, month""",
    """SELECT grid_id, month, month, 'rental_checks', COUNT(*) FROM spot_check WHERE is_rental
       GROUP BY grid_id, month""",
    """SELECT grid_id, month, month, 'rental_checks_ok', COUNT(*) FROM spot_check
       WHERE is_rental AND accurate GROUP BY grid_id, month""",
    # visits
    """SELECT grid_id, month, month, 'visits', COUNT(*) FROM visit GROUP BY grid_id, month""",
    """SELECT grid_id, month, compliant_month, 'visits_ok', COUNT(*) FROM visit WHERE compliant
       GROUP BY grid_id, month, compliant_month""",
    """SELECT grid_id, month, month, 'night', COUNT(*) FROM visit WHERE is_night GROUP BY grid_id, month""",
    """SELECT grid_id, month, month, 'night_ok', COUNT(*) FROM visit WHERE night_ok
       GROUP BY grid_id, month""",
    """SELECT grid_id, month, month, 'ratings', COUNT(*) FROM visit WHERE satisfaction IS NOT NULL
       GROUP BY grid_id, month""",
    """SELECT grid_id, month, month, 'ratings_pos', COUNT(*) FROM visit WHERE satisfaction >= 4
       GROUP BY grid_id, month""",
    # needs
    """SELECT grid_id, created_month, created_month, 'needs', COUNT(*) FROM need WHERE counted
       GROUP BY grid_id, created_month""",
    """SELECT grid_id, created_month, resolved_month, 'needs_resolved', COUNT(*) FROM need
       WHERE counted AND resolved_month IS NOT NULL GROUP BY grid_id, created_month, resolved_month""",
    """SELECT grid_id, created_month, sla_due_month, 'needs_sla_due', COUNT(*) FROM need WHERE counted
       GROUP BY grid_id, created_month, sla_due_month""",
    """SELECT grid_id, created_month, sla_ok_month, 'needs_sla_ok', COUNT(*) FROM need
       WHERE counted AND sla_ok GROUP BY grid_id, created_month, sla_ok_month""",
    # households (by registration month, current grid; before STOCK_FLOOR as at STOCK_FLOOR)
    f"""SELECT grid_id, CASE WHEN registered_month < {STOCK_FLOOR} THEN {STOCK_FLOOR} ELSE registered_month END,
       CASE WHEN registered_month < {STOCK_FLOOR} THEN {STOCK_FLOOR} ELSE registered_month END, 'households', COUNT(*)
       FROM household
       GROUP BY grid_id, CASE WHEN registered_month < {STOCK_FLOOR} THEN {STOCK_FLOOR} ELSE registered_month END""",
    # first visit of a household in a year / in a month
    """SELECT grid_id, month, month, 'hh_year_first', COUNT(*) FROM (
         SELECT grid_id, month, ROW_NUMBER() OVER (
           PARTITION BY household_id, month / 100 ORDER BY visited_at, id) AS rn FROM visit) t
       WHERE rn = 1 GROUP BY grid_id, month""",
    """SELECT grid_id, month, month, 'hh_month_first', COUNT(*) FROM (
         SELECT grid_id, month, ROW_NUMBER() OVER (
           PARTITION BY household_id, month ORDER BY visited_at, id) AS rn FROM visit) t
       WHERE rn = 1 GROUP BY grid_id, month""",
]


# time-limited cases (derive.event_contributions / hazard_contributions): ``<prefix>_due`` from
# min(due, done), ``<prefix>_ok`` at done when done ≤ due; the prefix names the tier or level
_CASES = (
    # table, prefix (a SQL expression), period month, due, done, alive
    ("grid_event", "'ev_' || tier", "created_month", "due_at", "responded_at",
     "status NOT IN ('withdrawn', 'duplicate')"),
    ("hazard", "'hz_' || level", "found_month", "due_at", "rectified_at", "status <> 'withdrawn'"),
)
CASE_KINDS = {"event": ("ev", EVENT_TIERS), "hazard": ("hz", HAZARD_LEVELS)}  # kind → metric prefix, tiers
CASE_METRICS = tuple(f"{p}_{t}_{x}" for p, ts in CASE_KINDS.values() for t in ts for x in ("due", "ok"))


def _month_sql(dialect: str, expr: str) -> str:
    """The yyyymm integer of a timestamp expression."""
    if dialect == "postgresql":
        return f"CAST(to_char({expr}, 'YYYYMM') AS INTEGER)"
    return f"CAST(strftime('%Y%m', {expr}) AS INTEGER)"


def _case_sql(dialect: str) -> list[str]:
    out = []
    for table, prefix, period, due, done, alive in _CASES:
        first = _month_sql(dialect, f"CASE WHEN {done} IS NOT NULL AND {done} < {due} THEN {done} ELSE {due} END")
        ok = _month_sql(dialect, done)
        out.append(f"SELECT grid_id, {period}, {first}, {prefix} || '_due', COUNT(*) FROM {table} "
                   f"WHERE {alive} GROUP BY grid_id, {period}, {first}, {prefix}")
        out.append(f"SELECT grid_id, {period}, {ok}, {prefix} || '_ok', COUNT(*) FROM {table} "
                   f"WHERE {alive} AND {done} IS NOT NULL AND {done} <= {due} GROUP BY grid_id, {period}, {ok}, {prefix}")
    return out


def _analyze(session: Session, table: str) -> None:
    """Fresh planner statistics after a bulk insert in this transaction (PostgreSQL): with the
    old ones the metrics just written look absent (1 row) and the per-unit sums become a nested
    loop over every grid assignment — minutes at L instead of seconds."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {table}"))


def rebuild_cases(session: Session) -> None:
    """Recompute the rollup rows of the time-limited cases only (grid events and hazards) — after a
    bulk load of events (the benchmark's top-up) without touching the visit and need rows."""
    names = ", ".join(f"'{m}'" for m in CASE_METRICS)
    session.execute(text(f"DELETE FROM unit_rollup WHERE metric IN ({names})"))
    session.execute(text(f"DELETE FROM rollup WHERE metric IN ({names})"))
    for sql in _case_sql(session.get_bind().dialect.name):
        session.execute(text("INSERT INTO rollup (grid_id, period_month, event_month, metric, n) " + sql))
    _analyze(session, "rollup")
    session.execute(text(_COMMUNITY_SQL.format(extra=f"AND r.metric IN ({names}) ")))
    for col in ("station_id", "district_id"):
        session.execute(text(_ANCESTOR_SQL.format(col=col, extra=f"AND u.metric IN ({names}) ")))


# each household's latest visit (UPDATE … FROM: PostgreSQL, SQLite ≥ 3.33)
LAST_VISIT_SQL = ("UPDATE household SET last_visit_at = m.t FROM "
                  "(SELECT household_id, MAX(visited_at) AS t FROM visit GROUP BY household_id) AS m "
                  "WHERE household.id = m.household_id")


def rebuild(session: Session) -> None:
    """Recompute all rollups from the raw records (``python -m data_access rebuild-rollups``) and
    each household's ``last_visit_at``; the stored special-group snapshots are dropped
    (recomputed on first use)."""
    from data_access.analytics import snapshots

    for table in ("visit", "household", "need", "grid_assignment"):  # fresh statistics for the reads below: a
        _analyze(session, table)  # bulk load in this transaction (the demo city) otherwise plans as if empty
    snapshots.clear(session)
    session.execute(delete(UnitRollup))
    session.execute(delete(Rollup))
    session.execute(delete(OfficerWeek))
    for sql in _REBUILD + _case_sql(session.get_bind().dialect.name):
        session.execute(
            text("INSERT INTO rollup (grid_id, period_month, event_month, metric, n) " + sql)
        )
    session.execute(
        text(
            "INSERT INTO officer_week (officer_id, week, households) "
            "SELECT officer_id, week, COUNT(DISTINCT household_id) FROM visit GROUP BY officer_id, week"
        )
    )
    _analyze(session, "rollup")
    rebuild_units(session)
    refresh_unit_weeks(session)
    rebuild_presence(session)
    session.execute(text("UPDATE household SET last_visit_at = NULL WHERE last_visit_at IS NOT NULL"))
    session.execute(text(LAST_VISIT_SQL))
