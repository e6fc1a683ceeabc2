"""kpi_queries.shared_reads: the map's KPI calls (one compute_kpis per parent unit, in parallel
threads) read the phases, targets, settings and other reference data once between them, and
compute the same KPIs as separate calls. City C: D1 → S1 (checks in G1: 3, 2 accurate), D2 → S2
(G3: 1 check, accurate), in February 2026 (the deepening phase)."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import event

import factories as f
from data_access.analytics import kpi_queries as kq
from metrics.service import compute_kpis
from ui import map_data as md

AS_OF = date(2026, 3, 1)
REFERENCE = ("phase", "target", "indicator", "app_setting")


@pytest.fixture
def city(session):
    u = f.two_district_city(session)
    for grid, results in (("G1", (True, True, False)), ("G3", (True,))):
        hh = f.household(session, u[grid])
        for day, ok in enumerate(results, start=2):
            f.check(session, hh, date(2026, 2, day), accurate=ok)
    session.commit()  # the parallel calls read through sessions of their own
    return u


def _reads(engine) -> tuple[Counter, callable]:
    seen: Counter = Counter()

    def on(conn, cursor, statement, params, context, executemany):
        m = re.search(r"\bFROM (\w+)", statement)
        if m and m.group(1) in REFERENCE:
            seen[m.group(1)] += 1

    event.listen(engine, "before_cursor_execute", on)
    return seen, lambda: event.remove(engine, "before_cursor_execute", on)


def test_the_stations_kpis_are_those_of_separate_calls_with_the_reference_read_once(session, city):
    engine = session.get_bind()
    seen, stop = _reads(engine)
    try:
        by_station = md.level_kpis(session, kq.get_unit(session, "C"), "station", "deepening", AS_OF)
        shared = Counter(seen)
        seen.clear()
        separate = [compute_kpis(session, unit_code=d, period="deepening", as_of=AS_OF) for d in ("D1", "D2")]
        alone = Counter(seen)
    finally:
        stop()

    expected = {city[k.unit_code].id: {} for ks in separate for k in ks if not k.is_self}
    for ks in separate:
        for k in ks:
            if not k.is_self:
                expected[city[k.unit_code].id][k.indicator] = k
    assert by_station == expected
    accuracy = {code: by_station[city[code].id]["info_accuracy"] for code in ("S1", "S2")}
    assert (accuracy["S1"].n, accuracy["S1"].value) == (3, pytest.approx(200 / 3))  # 2 of 3 accurate
    assert (accuracy["S2"].n, accuracy["S2"].value) == (1, pytest.approx(100.0))
    # two calls read each reference table twice as often as the block (phases: twice per call)
    assert shared["phase"] == 1 and alone["phase"] == 4
    assert all(alone[t] == 2 * shared[t] for t in ("target", "indicator", "app_setting")), (shared, alone)
    assert shared["app_setting"] >= 4  # weights, intervals, at-risk points, trend months: once each


def test_a_copy_changed_by_one_caller_does_not_change_what_the_next_one_reads(session, city):
    f.target(session, "info_accuracy", "deepening", 90.0)
    with kq.shared_reads():
        first = kq.targets(session, "deepening")
        first.pop(("info_accuracy", None))  # as compute_kpis does for a preview's overrides
        assert kq.targets(session, "deepening")[("info_accuracy", None)] == (90.0, None)
    assert kq.targets(session, "deepening")[("info_accuracy", None)] == (90.0, None)


def test_every_indicator_of_a_unit_reads_the_phases_once_and_equals_its_four_blocks(session, city):
    from metrics.casework import compute_casework
    from metrics.reported import compute_all, compute_reported
    from metrics.staffing import compute_staffing

    kw = dict(unit_code="C", period="deepening", as_of=AS_OF, children=True)
    seen, stop = _reads(session.get_bind())
    try:
        together = compute_all(session, **kw)
        shared = Counter(seen)
        seen.clear()
        blocks = [k for block in (compute_kpis, compute_casework, compute_staffing, compute_reported)
                  for k in block(session, **kw)]
        alone = Counter(seen)
    finally:
        stop()
    assert together == blocks
    assert shared["phase"] == 1 < alone["phase"]  # each block read them on its own
    assert shared["app_setting"] < alone["app_setting"]
