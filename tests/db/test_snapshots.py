"""Stored special-group compliance at month ends (data_access.analytics.snapshots): computed on first use,
kept right by every write that can change it, never stored for a month that has not ended.
Each expected value is worked out by hand below and also checked against the live count."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

import factories as f
from data_access.analytics import kpi_queries as q
from data_access.analytics.models import SpecialSnapshot, SpecialSnapshotMonth
from data_access.fieldwork import records
from data_access.fieldwork.derive import month_end_time

INTERVALS = {"red": 7, "yellow": 30, "blue": 30}
MARCH = month_end_time(202403)  # 2024-03-31 23:59:59.999999


@pytest.fixture
def city(session):
    c = f.unit(session, "C")
    d1 = f.unit(session, "D1", c)
    _, cm1, g1 = f.chain(session, d1, "S1", "CM1", "G1")
    g2 = f.unit(session, "G2", cm1)
    off = f.officer(session, g1)
    red = f.household(session, g1, risk="red")
    yellow = f.household(session, g2, risk="yellow")
    plain = f.household(session, g2)
    f.visit(session, red, off, datetime(2024, 3, 28, 10))    # within 7 days of 31 March
    f.visit(session, yellow, off, datetime(2024, 2, 20, 10))  # 40 days before: not within 30
    session.commit()  # months are stored from committed data only
    return {"c": q.get_unit(session, "C"), "d1": d1, "g2": g2, "off": off, "red": red, "yellow": yellow,
            "plain": plain}


def stored(session) -> tuple[int, int]:
    return (session.execute(select(func.count()).select_from(SpecialSnapshotMonth)).scalar_one(),
            session.execute(select(func.count()).select_from(SpecialSnapshot)).scalar_one())


def at_march(session, unit, intervals=INTERVALS):
    got = q.special_compliance_at(session, unit, [MARCH], intervals)[MARCH]
    assert got == q.special_compliance(session, unit, MARCH, intervals)  # stored == live
    return got


def test_month_end_is_stored_once_and_read_back(session, city):
    d1 = city["d1"].id
    assert at_march(session, city["c"]) == {d1: (1, 2)}  # red visited, yellow not
    assert stored(session) == (1, 2)  # one month; a row per grid with risk households
    assert at_march(session, city["c"]) == {d1: (1, 2)}
    assert stored(session) == (1, 2)


def test_writes_after_storing_are_reflected(session, city):
    d1 = city["d1"].id
    at_march(session, city["c"])
    # a visit recorded late for 15 March: yellow is now within 30 days of the month end
    f.visit(session, city["yellow"], city["off"], datetime(2024, 3, 15, 9))
    session.commit()
    assert at_march(session, city["c"]) == {d1: (2, 2)}
    # a household raised to red (current level, as the live count): one more, not visited
    h = city["plain"]
    records.update_household(session=session, household_id=h.id, expected_version=h.version, username="t",
                             risk_level="red")
    session.commit()
    assert at_march(session, city["c"]) == {d1: (2, 3)}
    # a new risk household registered in February counts from then on
    f.household(session, city["g2"], risk="blue", registered_on=date(2024, 2, 1))
    session.commit()
    assert at_march(session, city["c"]) == {d1: (2, 4)}
    # registered in April: not in March's population
    f.household(session, city["g2"], risk="blue", registered_on=date(2024, 4, 2))
    session.commit()
    assert at_march(session, city["c"]) == {d1: (2, 4)}


def test_other_intervals_recompute_the_month(session, city):
    at_march(session, city["c"])
    # red within 1 day: the 28 March visit no longer counts; yellow within 60 days: 20 Feb does
    assert at_march(session, city["c"], {"red": 1, "yellow": 60, "blue": 60}) == {city["d1"].id: (1, 2)}
    assert session.execute(select(SpecialSnapshotMonth.intervals)).scalar_one() == \
        '[["blue", 60], ["red", 1], ["yellow", 60]]'


def test_a_month_not_yet_over_is_never_stored(session, city, monkeypatch):
    monkeypatch.setenv("APP_FAKE_NOW", "2024-03-31T12:00:00")
    assert at_march(session, city["c"]) == {city["d1"].id: (1, 2)}
    assert stored(session) == (0, 0)


def test_uncommitted_writes_are_counted_live_and_nothing_is_stored(session, city):
    f.visit(session, city["yellow"], city["off"], datetime(2024, 3, 15, 9))  # not committed
    assert at_march(session, city["c"]) == {city["d1"].id: (2, 2)}
    assert stored(session) == (0, 0)


def test_rebuild_drops_stored_months(session, city):
    from data_access.analytics import rollups

    at_march(session, city["c"])
    rollups.rebuild(session)
    assert stored(session) == (0, 0)


def test_live_count_after_the_last_visit_reads_each_households_latest_visit(session, city):
    """At a time after every visit (a dashboard on today) the live count uses household.last_visit_at,
    kept by every visit; at an earlier time it probes the visits. Both by hand."""
    c, d1 = city["c"], city["d1"].id
    apr3 = datetime(2024, 4, 3, 12)
    # red: last visit 28 Mar 10:00, 6 d 2 h before → within 7 days; yellow: 20 Feb → not within 30
    assert q.special_compliance(session, c, apr3, INTERVALS) == {d1: (1, 2)}
    # an older visit recorded later does not move red's latest visit back
    f.visit(session, city["red"], city["off"], datetime(2024, 3, 1, 9))
    assert q.special_compliance(session, c, apr3, INTERVALS) == {d1: (1, 2)}
    # 5 April: red's 28 March visit is 8 days old → 0 of 2
    assert q.special_compliance(session, c, datetime(2024, 4, 5, 12), INTERVALS) == {d1: (0, 2)}
    f.visit(session, city["yellow"], city["off"], datetime(2024, 4, 2, 16))
    assert q.special_compliance(session, c, apr3, INTERVALS) == {d1: (2, 2)}
    # 1 April: a visit after it exists (2 April), so the visits are probed: red yes, yellow's
    # 20 Feb visit is 41 days old → 1 of 2
    assert q.special_compliance(session, c, datetime(2024, 4, 1, 12), INTERVALS) == {d1: (1, 2)}
