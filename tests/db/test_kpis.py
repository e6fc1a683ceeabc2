"""KPIs of a small hand-made city, on SQLite and PostgreSQL (the ``session`` fixture).

The city: C → D1 → S1 → CM1 → {G1, G2} and C → D2 → S2 → CM2 → G3. Period: the pilot phase
(2024). as_of: 2024-05-15 (a date: the end of that day), i.e. mid-month, so both the rollups
(January–April) and the raw records of May take part. Every expected value is counted by
hand from the records listed in ``build_city``.
"""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import text

import factories as f
from data_access.analytics import rollups
from data_access.org import units as org_units
from metrics.service import (
    INDICATORS,
    UnknownPeriod,
    UnknownUnit,
    compute_kpis,
    monthly_series,
    period_bounds,
    phase_targets,
)

AS_OF = date(2024, 5, 15)


def two_districts(s):
    """C → D1 → S1 → CM1 → G1, G2 and C → D2 → S2 → CM2 → G3."""
    c = f.unit(s, "C")
    d1 = f.unit(s, "D1", c)
    s1, cm1, g1 = f.chain(s, d1, "S1", "CM1", "G1")
    g2 = f.unit(s, "G2", cm1)
    d2 = f.unit(s, "D2", c)
    s2, cm2, g3 = f.chain(s, d2, "S2", "CM2", "G3")
    return c, d1, s1, cm1, g1, g2, d2, s2, cm2, g3


def build_city(s):
    c, d1, s1, cm1, g1, g2, d2, s2, cm2, g3 = two_districts(s)
    o1 = f.officer(s, g1)
    o2 = f.officer(s, g3)

    h1 = f.household(s, g1, risk="red")
    h2 = f.household(s, g1, category="rental", risk="yellow")
    h3 = f.household(s, g1, risk="yellow")
    h4 = f.household(s, g2, category="rental")
    f.household(s, g2, registered_on=date(2024, 5, 20))  # h5: registered after as_of
    h6 = f.household(s, g3, risk="blue")
    h7 = f.household(s, g3, category="rental")

    # spot checks
    f.check(s, h1, date(2024, 2, 10), True)
    f.check(s, h2, date(2024, 3, 1), False)     # rental
    f.check(s, h4, date(2024, 5, 15), True)     # rental, on the as_of date → counts
    f.check(s, h1, date(2024, 5, 16), False)    # after as_of → does not exist yet
    f.check(s, h3, date(2023, 12, 20), True)    # before the pilot phase

    # needs
    f.need(s, h1, datetime(2024, 3, 1, 8), status="resolved",
           responded_at=datetime(2024, 3, 2, 8), resolved_at=datetime(2024, 3, 4, 10))       # n1: 24 h response
    f.need(s, h2, datetime(2024, 4, 10, 9), status="resolved",
           responded_at=datetime(2024, 4, 13, 9), resolved_at=datetime(2024, 5, 20, 10))     # n2: 72 h; resolved after as_of
    f.need(s, h4, datetime(2024, 5, 14, 12))                                                # n3: open, 48 h window not over
    f.need(s, h1, datetime(2024, 2, 1, 10), status="withdrawn", responded_at=datetime(2024, 2, 1, 11))  # n4: excluded
    f.need(s, h3, datetime(2024, 2, 5, 10), status="duplicate", resolved_at=datetime(2024, 2, 6))        # n5: excluded
    f.need(s, h6, datetime(2024, 5, 2, 10), status="confirmed",
           responded_at=datetime(2024, 5, 3, 10), resolved_at=datetime(2024, 5, 15, 9))      # n6: resolved in as_of's month
    f.need(s, h7, datetime(2024, 5, 15, 8), status="in_progress", responded_at=datetime(2024, 5, 15, 10))  # n7
    f.need(s, h7, datetime(2023, 12, 30, 10), status="resolved",
           responded_at=datetime(2023, 12, 30, 12), resolved_at=datetime(2024, 1, 2))        # n8: created before P

    # visits
    f.visit(s, h1, o1, datetime(2024, 3, 5, 10), entered_at=datetime(2024, 3, 5, 11), satisfaction=5)      # v1 ok
    f.visit(s, h2, o1, datetime(2024, 3, 6, 21), appointment_made_at=datetime(2024, 3, 4, 20),
            entered_at=datetime(2024, 3, 8, 22), satisfaction=3)          # v2: night, booked 49 h ahead; entered after 49 h
    f.visit(s, h1, o1, datetime(2024, 5, 10, 6, 30), appointment_made_at=datetime(2024, 5, 9, 12),
            bodycam_on=False, entered_at=datetime(2024, 5, 10, 7), satisfaction=4)  # v3: night, booked 18.5 h ahead; no camera
    f.visit(s, h3, o1, datetime(2024, 5, 15, 22), entered_at=datetime(2024, 5, 16, 8))  # v4: night, no booking; entered after as_of
    f.visit(s, h4, o1, datetime(2024, 5, 16, 10), satisfaction=1)                      # v5: after as_of
    f.visit(s, h6, o2, datetime(2024, 5, 13, 10), entered_at=datetime(2024, 5, 13, 10, 30), satisfaction=4)  # v6 ok
    f.visit(s, h6, o2, datetime(2024, 5, 14, 10), entered_at=None, satisfaction=2)     # v7: entry time unknown
    f.visit(s, h7, o2, datetime(2023, 11, 1, 10), satisfaction=5)                      # v8: before P

    # one-vote-veto events
    f.veto(s, cm2, date(2024, 4, 1), confirmed=True)
    f.veto(s, cm1, date(2024, 3, 1), confirmed=False)
    f.veto(s, g1, date(2024, 5, 20), confirmed=True)  # after as_of
    f.target(s, "info_accuracy", "pilot", 70.0, d1)   # D1's own target; S1 inherits it
    s.flush()
    return locals()


def by_unit(kpis):
    return {(k.unit_code, k.indicator): k for k in kpis}


# (value, n) per unit and indicator, counted from build_city at 2024-05-15 end of day
EXPECTED = {
    "D1": {
        "info_accuracy": (2 / 3 * 100, 3),            # h1 Feb ✓, h2 Mar ✗, h4 May 15 ✓ (May 16 check: later)
        "rental_accuracy": (1 / 2 * 100, 2),          # h2 ✗, h4 ✓
        "need_resolution": (1 / 3 * 100, 3),          # n1, n2, n3 (n4 withdrawn, n5 duplicate out); only n1 resolved by as_of
        "need_response_48h": (1 / 2 * 100, 2),        # n1 (24 h ✓), n2 (72 h ✗); n3's window ends May 16 12:00
        "satisfaction": (2 / 3 * 100, 3),             # ratings 5, 3, 4 (v5 later)
        "visit_coverage": (3 / 4 * 100, 4),           # h1, h2, h3 visited / h1–h4 (h5 registered May 20)
        "special_visit_compliance": (2 / 3 * 100, 3),  # h1 red 5.7 days ✓, h2 yellow 70 days ✗, h3 yellow same day ✓
        "process_compliance": (1 / 4 * 100, 4),       # v1 ✓; v2 entered late, v3 no camera, v4 entered after as_of
        "night_visit_compliance": (1 / 3 * 100, 3),   # v2 ✓ (49 h), v3 ✗ (18.5 h), v4 ✗ (none)
        "officer_weekly_visits": (1.5, 2),            # O1: week 10 {h1, h2} = 2, week 19 {h1} = 1; week 20 not over
        "assessment_score": (56.7, 3),                # 40 × 2/3 + 30 × 1/3 + 30 × 2/3 = 26.67 + 10 + 20 = 56.67
    },
    "D2": {
        "info_accuracy": (None, 0),                   # no spot checks → no data
        "rental_accuracy": (None, 0),
        "need_resolution": (1 / 2 * 100, 2),          # n6 ✓ (May 15 09:00), n7 ✗ (n8 created 2023)
        "need_response_48h": (2 / 2 * 100, 2),        # n6 24 h ✓, n7 responded after 2 h ✓
        "satisfaction": (1 / 2 * 100, 2),             # ratings 4, 2 (v8 in 2023)
        "visit_coverage": (1 / 2 * 100, 2),           # h6 / h6, h7
        "special_visit_compliance": (1 / 1 * 100, 1),  # h6 blue, visited May 14 ✓
        "process_compliance": (1 / 2 * 100, 2),       # v6 ✓, v7 entry unknown ✗
        "night_visit_compliance": (None, 0),          # no night visits
        "officer_weekly_visits": (None, 0),           # O2's visits are all in week 20 (not over)
        "assessment_score": (None, 0),                # incomplete: no info_accuracy
    },
    "C": {
        "info_accuracy": (2 / 3 * 100, 3),
        "rental_accuracy": (1 / 2 * 100, 2),
        "need_resolution": (2 / 5 * 100, 5),          # n1, n6 of n1, n2, n3, n6, n7
        "need_response_48h": (3 / 4 * 100, 4),        # n1, n6, n7 of n1, n2, n6, n7
        "satisfaction": (3 / 5 * 100, 5),             # 5, 4, 4 of 5, 3, 4, 4, 2
        "visit_coverage": (4 / 6 * 100, 6),
        "special_visit_compliance": (3 / 4 * 100, 4),
        "process_compliance": (2 / 6 * 100, 6),
        "night_visit_compliance": (1 / 3 * 100, 3),
        "officer_weekly_visits": (1.5, 2),
        "assessment_score": (56.7, 3),                # 40 × 2/3 + 30 × 2/5 + 30 × 3/5 = 26.67 + 12 + 18 = 56.67
    },
}


def assert_expected(kpis, expected):
    got = by_unit(kpis)
    for unit, rows in expected.items():
        for ind, (value, n) in rows.items():
            k = got[(unit, ind)]
            assert k.n == n, (unit, ind, k)
            if value is None:
                assert k.value is None, (unit, ind, k)
            else:
                assert k.value == pytest.approx(value), (unit, ind, k)


def test_every_indicator_by_hand(session):
    build_city(session)
    kpis = compute_kpis(session, unit_code="C", period="pilot", as_of=AS_OF)
    # the unit first, then each direct child; every indicator of indicators.md plus the score
    assert [(k.unit_code, k.is_self) for k in kpis[::len(INDICATORS)]] == [("C", True), ("D1", False), ("D2", False)]
    assert [k.indicator for k in kpis[:len(INDICATORS)]] == list(INDICATORS)
    assert_expected(kpis, EXPECTED)


def test_rollups_rebuilt_give_the_same_kpis(session):
    build_city(session)
    before = compute_kpis(session, unit_code="C", period="pilot", as_of=AS_OF)
    rollups.rebuild(session)
    assert compute_kpis(session, unit_code="C", period="pilot", as_of=AS_OF) == before


def test_wilson_interval_and_no_data(session):
    build_city(session)
    got = by_unit(compute_kpis(session, unit_code="C", period="pilot", as_of=AS_OF))
    k = got[("D1", "info_accuracy")]
    # 2/3, z = 1.96: 1 + z²/3 = 2.28053; centre = (.66667 + .64027)/2.28053 = .57309;
    # half = 1.96/2.28053 × sqrt(.22222/3 + 3.8416/36) = .85945 × .42476 = .36506 → (20.80, 93.82)
    assert k.ci_low == pytest.approx(20.80, abs=0.05) and k.ci_high == pytest.approx(93.82, abs=0.05)
    assert "small_sample" in k.flags
    k = got[("D2", "info_accuracy")]
    assert (k.value, k.n, k.ci_low, k.ci_high, k.status, k.gap) == (None, 0, None, None, "no_data", None)
    assert got[("D2", "officer_weekly_visits")].status == "no_data"


def test_score_incomplete_and_vetoed(session):
    build_city(session)
    got = by_unit(compute_kpis(session, unit_code="C", period="pilot", as_of=AS_OF))
    # D2: no spot checks → incomplete; the confirmed veto in CM2 (April) → vetoed, and so is the city
    assert got[("D2", "assessment_score")].flags == ("incomplete", "vetoed")
    assert got[("D2", "assessment_score")].status == "incomplete"
    assert got[("C", "assessment_score")].flags == ("vetoed",)
    # D1: the CM1 event is unconfirmed and the G1 event comes after as_of
    assert got[("D1", "assessment_score")].flags == ()


def test_targets_gap_status_and_required_gain(session):
    build_city(session)
    got = by_unit(compute_kpis(session, unit_code="D1", period="pilot", as_of=AS_OF))
    # D1 has its own info_accuracy target (70); its station S1 inherits it
    assert got[("D1", "info_accuracy")].target == 70.0
    assert got[("S1", "info_accuracy")].target == 70.0
    # gap = 70 − 66.67 = 3.33; months left after 2024-05-15: June … December = 7, plus May (not over) = 8
    k = got[("D1", "info_accuracy")]
    assert k.gap == pytest.approx(70 - 200 / 3)
    assert k.required_gain == pytest.approx((70 - 200 / 3) / 8)
    # monthly values Jan–Apr: Feb 100, Mar 0 (Jan, Apr have no checks) → only 2 → too early
    assert k.status == "too_early"
    # no pilot target for rental accuracy anywhere
    assert got[("D1", "rental_accuracy")].target is None
    assert got[("D1", "rental_accuracy")].status == "no_target"
    # special visits: monthly values at each month end (h1 red, h2 and h3 yellow):
    #   Jan 0/3, Feb 0/3, Mar 31: h2 visited Mar 6 (25 days ≤ 30) → 1/3, Apr 30: 0/3
    #   line through (0, 0), (1, 0), (2, 33.3), (3, 0): slope = 16.67/5 = 3.33, intercept = 8.33 − 5 = 3.33
    #   at December (x = 11): 3.33 + 36.67 = 40 → 60 points short of 100 → off track
    assert got[("D1", "special_visit_compliance")].status == "off_track"
    other = by_unit(compute_kpis(session, unit_code="C", period="pilot", as_of=AS_OF))
    assert other[("D2", "info_accuracy")].target == 88.0  # city default
    assert other[("C", "satisfaction")].target == 80.0
    assert other[("C", "info_accuracy")].baseline == 82.4
    assert other[("D2", "special_visit_compliance")].status == "met"  # 100 ≥ 100


def test_a_lower_is_better_indicator_turns_the_gap_and_status_round(session):
    """The service takes each indicator's direction from the registry: with info_accuracy marked
    "down" (only to test the wiring), D1's 66.67 % against its target 70 is 3.33 *ahead* and met."""
    from data_access.programme.models import Indicator

    build_city(session)
    up = by_unit(compute_kpis(session, unit_code="D1", period="pilot", as_of=AS_OF))[("D1", "info_accuracy")]
    session.get(Indicator, "info_accuracy").direction = "down"
    session.flush()
    k = by_unit(compute_kpis(session, unit_code="D1", period="pilot", as_of=AS_OF))[("D1", "info_accuracy")]
    assert up.direction == "up" and up.gap == pytest.approx(70 - 200 / 3) and up.status == "too_early"
    assert k.direction == "down"
    assert k.gap == pytest.approx(200 / 3 - 70)  # actual − target = −3.33
    assert k.status == "met"
    assert k.required_gain == 0.0


def test_as_of_datetime_cuts_within_the_day(session):
    build_city(session)
    got = by_unit(compute_kpis(session, unit_code="C", period="pilot", as_of=datetime(2024, 5, 15, 12, 0)))
    # v4 (22:00) has not happened: D1 visits v1, v2, v3 → v1 compliant → 1/3
    assert got[("D1", "process_compliance")].value == pytest.approx(100 / 3)
    assert got[("D1", "process_compliance")].n == 3
    # h3 not visited yet → special 1/3 (h1 ✓); coverage 2/4
    assert got[("D1", "special_visit_compliance")].value == pytest.approx(100 / 3)
    assert got[("D1", "visit_coverage")].value == pytest.approx(50.0)
    # n7 (created 08:00, responded 10:00) and n6 (resolved 09:00) are in
    assert got[("D2", "need_response_48h")].value == pytest.approx(100.0)
    assert got[("D2", "need_resolution")].value == pytest.approx(50.0)
    # a day earlier (end of May 14): n6 not yet resolved, n7 not yet created, h4's check not yet done
    got = by_unit(compute_kpis(session, unit_code="C", period="pilot", as_of=date(2024, 5, 14)))
    assert (got[("D2", "need_resolution")].value, got[("D2", "need_resolution")].n) == (0.0, 1)
    assert (got[("D1", "info_accuracy")].value, got[("D1", "info_accuracy")].n) == (pytest.approx(50.0), 2)


def test_month_period(session):
    build_city(session)
    got = by_unit(compute_kpis(session, unit_code="D1", period="2024-03", as_of=AS_OF))
    # March: one check (h2 ✗) → a real 0, not "no data"
    assert (got[("D1", "info_accuracy")].value, got[("D1", "info_accuracy")].n) == (0.0, 1)
    # households first visited in March: h1, h2 / registered at the end of March: h1–h4
    assert got[("D1", "visit_coverage")].value == pytest.approx(50.0)
    # n1 created in March, resolved March 4
    assert got[("D1", "need_resolution")].value == pytest.approx(100.0)
    # the target is the one of the phase containing March
    assert got[("D1", "info_accuracy")].target == 70.0
    assert period_bounds(session, "2024-03") == (date(2024, 3, 1), date(2024, 3, 31), "pilot")
    assert period_bounds(session, "rollout") == (date(2025, 1, 1), date(2025, 12, 31), "rollout")


def test_monthly_series(session):
    build_city(session)
    series = monthly_series(session, unit_code="D1", indicator="info_accuracy",
                            start=date(2024, 1, 1), end=date(2024, 6, 30), as_of=AS_OF)
    # June has not begun at as_of; May counts h4's check of May 15
    assert series == [(202401, None, 0), (202402, 100.0, 1), (202403, 0.0, 1), (202404, None, 0), (202405, 100.0, 1)]
    # each month equals the KPI of that month alone
    for m, value, n in series:
        k = by_unit(compute_kpis(session, unit_code="D1", period=f"{m // 100}-{m % 100:02d}", as_of=AS_OF,
                                 children=False))[("D1", "info_accuracy")]
        assert (k.value, k.n) == (value, n)


def test_unknown_unit_and_period(session):
    build_city(session)
    with pytest.raises(UnknownUnit):
        compute_kpis(session, unit_code="NOPE", period="pilot", as_of=AS_OF)
    for bad in ("pilots", "2024-13", "2024", "24-01"):
        with pytest.raises(UnknownPeriod):
            compute_kpis(session, unit_code="C", period=bad, as_of=AS_OF)


def test_grid_moved_mid_year_counts_under_its_old_parent(session):
    _c, _d1, _s1, _cm1, g1, g2, _d2, _s2, cm2, _g3 = two_districts(session)
    off = f.officer(session, g1)
    h = f.household(session, g2)
    h_other = f.household(session, g1)
    f.check(session, h, date(2024, 2, 10), True)         # G2 still in CM1 (D1)
    f.visit(session, h, off, datetime(2024, 3, 10, 10))  # first visit of the year, in D1
    org_units.move_grid(session=session, grid=g2, community=cm2, from_month=202404, username="test")
    f.check(session, h, date(2024, 5, 10), False)        # G2 now in CM2 (D2)
    f.visit(session, h, off, datetime(2024, 5, 11, 10))
    f.check(session, h_other, date(2024, 4, 5), True)

    for as_of in (date(2024, 5, 20), date(2024, 6, 30)):  # May from raw records, then from rollups
        got = by_unit(compute_kpis(session, unit_code="C", period="pilot", as_of=as_of))
        # D1: h's February check + h_other's April check → 2/2; D2: h's May check → 0/1
        assert (got[("D1", "info_accuracy")].value, got[("D1", "info_accuracy")].n) == (100.0, 2)
        assert (got[("D2", "info_accuracy")].value, got[("D2", "info_accuracy")].n) == (0.0, 1)
        # h's first visit of 2024 was in D1 (March); at the reference month G2 belongs to D2,
        # so D1: 1 visited / 1 registered (h_other); D2: 0 visited / 1 registered (h)
        assert (got[("D1", "visit_coverage")].value, got[("D1", "visit_coverage")].n) == (100.0, 1)
        assert (got[("D2", "visit_coverage")].value, got[("D2", "visit_coverage")].n) == (0.0, 1)
        assert (got[("C", "visit_coverage")].value, got[("C", "visit_coverage")].n) == (50.0, 2)

    # March on the March structure: both households registered in D1, h visited → 1/2
    got = by_unit(compute_kpis(session, unit_code="C", period="2024-03", as_of=date(2024, 6, 30)))
    assert (got[("D1", "visit_coverage")].value, got[("D1", "visit_coverage")].n) == (50.0, 2)
    assert got[("D2", "visit_coverage")].value is None
    # CM1 keeps G2's February check, though G2 is no longer its child
    got = compute_kpis(session, unit_code="CM1", period="pilot", as_of=date(2024, 6, 30))
    rows = by_unit(got)
    assert {k.unit_code for k in got} == {"CM1", "G1"}
    assert (rows[("CM1", "info_accuracy")].value, rows[("CM1", "info_accuracy")].n) == (100.0, 2)
    assert (rows[("G1", "info_accuracy")].value, rows[("G1", "info_accuracy")].n) == (100.0, 1)


def test_grid_move_recorded_after_the_records_moves_their_counts(session):
    """A move entered late (from April, recorded in June) re-attributes April–June records that were
    already counted under the old community; city totals read the per-community rollups."""
    *_, g2, _d2, _s2, cm2, _g3 = two_districts(session)
    h = f.household(session, g2)
    f.check(session, h, date(2024, 3, 10), True)   # stays in D1 (before the move month)
    f.check(session, h, date(2024, 4, 10), False)  # D2 once the move is recorded
    f.check(session, h, date(2024, 5, 10), False)  # D2 once the move is recorded
    before = by_unit(compute_kpis(session, unit_code="C", period="pilot", as_of=date(2024, 6, 30)))
    assert before[("D1", "info_accuracy")].n == 3 and before[("D2", "info_accuracy")].n == 0
    org_units.move_grid(session=session, grid=g2, community=cm2, from_month=202404, username="test")
    got = by_unit(compute_kpis(session, unit_code="C", period="pilot", as_of=date(2024, 6, 30)))
    assert (got[("D1", "info_accuracy")].value, got[("D1", "info_accuracy")].n) == (100.0, 1)
    assert (got[("D2", "info_accuracy")].value, got[("D2", "info_accuracy")].n) == (0.0, 2)
    assert (got[("C", "info_accuracy")].value, got[("C", "info_accuracy")].n) == (pytest.approx(100 / 3), 3)


def test_household_stock_before_and_after_the_rollup_floor(session):
    """Registrations before 2023 sit in the 2023-01 rollup row; a month before that is counted from
    the household table, so the stock is right on both sides of the floor."""
    c = f.unit(session, "C")
    d1 = f.unit(session, "D1", c)
    _, _, g1 = f.chain(session, d1, "S1", "CM1", "G1")
    f.household(session, g1, registered_on=date(2015, 3, 1))
    f.household(session, g1, registered_on=date(2022, 9, 30))
    f.household(session, g1, registered_on=date(2023, 2, 14))
    f.household(session, g1, registered_on=None)  # unknown: always registered
    expect = {"2015-02": 1, "2015-03": 2, "2022-08": 2, "2022-09": 3, "2023-01": 3, "2023-02": 4}
    for period, n in expect.items():
        got = by_unit(compute_kpis(session, unit_code="C", period=period, as_of=date(2024, 1, 31)))
        assert got[("C", "visit_coverage")].n == n, period
        assert got[("D1", "visit_coverage")].n == n, period


def test_cli_json(use_db, capsys):
    from sqlmodel import Session

    from data_access.core.db import get_engine
    from metrics.__main__ import main

    with Session(get_engine()) as s:
        build_city(s)
        s.commit()
    assert main(["kpis", "--unit", "C", "--period", "pilot", "--as-of", "2024-05-15", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    with Session(get_engine()) as s:  # every registry indicator: computed and reported
        n_reported = s.execute(text("SELECT COUNT(*) FROM indicator WHERE kind = 'reported'")).scalar_one()
    from metrics.casework import CASEWORK
    from metrics.staffing import INDICATORS as STAFFING  # computed from the roster (issue 14)

    assert len(rows) == 3 * (len(INDICATORS) + len(CASEWORK) + len(STAFFING) + n_reported) and n_reported > 60
    base = {"unit", "indicator", "value", "n", "ci_low", "ci_high", "target", "gap", "status"}
    assert all(set(r) == base for r in rows if "kind" not in r and r["indicator"] not in CASEWORK)
    # the time-limit rows: the unit itself carries its median and p90 response (none here: no events)
    assert {r["indicator"] for r in rows if r["unit"] == "C"} >= set(CASEWORK)
    rows = [r for r in rows if r["indicator"] not in CASEWORK]
    reported = [r for r in rows if r.get("kind") == "reported"]
    assert len(reported) == 3 * n_reported
    assert all(set(r) == base | {"kind", "period", "k", "m", "completeness", "timeliness"} for r in reported)
    r = next(r for r in reported if r["unit"] == "C" and r["indicator"] == "og_dispute_resolution")
    # nothing entered: no value; 2 districts × 4 months ended by 2024-05-15 expected, none in
    assert (r["value"], r["period"], r["k"], r["m"], r["completeness"], r["timeliness"]) == (
        None, "2024-04", 0, 2, 0.0, 0.0)
    rows = [r for r in rows if "kind" not in r]
    got = {(r["unit"], r["indicator"]): r for r in rows}
    assert {u for u, _ in got} == {"C", "D1", "D2"}
    for unit, expected in EXPECTED.items():
        for ind, (value, n) in expected.items():
            r = got[(unit, ind)]
            assert r["n"] == n
            assert r["value"] == (None if value is None else pytest.approx(value))
    assert got[("D2", "info_accuracy")]["status"] == "no_data"
    assert got[("C", "info_accuracy")]["target"] == 88.0
    assert got[("C", "info_accuracy")]["gap"] == pytest.approx(88 - 200 / 3)

    assert main(["kpis", "--unit", "NOPE", "--period", "pilot", "--as-of", "2024-05-15", "--json"]) != 0
    assert "NOPE" in capsys.readouterr().err
    assert main(["kpis", "--unit", "C", "--period", "2024-13", "--as-of", "2024-05-15", "--json"]) != 0
    assert "2024-13" in capsys.readouterr().err


def test_officer_weeks_follow_the_officers_current_scope(session):
    """officer_weekly_visits counts each officer under their *current* scope unit: when an admin
    gives an officer another scope, or the officer's grid moves, all their weeks move with them."""
    from data_access.org import accounts

    c, d1, _s1, cm1, g1, g2, d2, s2, cm2, _g3 = two_districts(session)
    admin = f.officer(session, c, role="admin")
    o1 = f.officer(session, g1)  # moves to S2 by a new scope
    o2 = f.officer(session, g2)  # moves with G2 to CM2 (D2)
    h1, h2, h3 = (f.household(session, g) for g in (g1, g1, g2))
    # ISO week 2024-10 = 4–10 March, week 11 = 11–17 March
    f.visit(session, h1, o1, datetime(2024, 3, 4, 9))
    f.visit(session, h2, o1, datetime(2024, 3, 5, 9))
    f.visit(session, h1, o1, datetime(2024, 3, 6, 9))    # h1 again: still 2 households in week 10
    f.visit(session, h1, o1, datetime(2024, 3, 12, 9))   # week 11: 1 household
    f.visit(session, h3, o2, datetime(2024, 3, 13, 9))   # week 11: 1 household

    def weekly(unit_code):
        got = by_unit(compute_kpis(session, unit_code=unit_code, period="2024-03", as_of=date(2024, 6, 30)))
        return {u: (got[(u, "officer_weekly_visits")].value, got[(u, "officer_weekly_visits")].n)
                for (u, ind) in got if ind == "officer_weekly_visits"}

    # o1: (2 + 1) households over 2 officer-weeks; o2: 1 over 1 — all in D1
    assert weekly("C") == {"C": (4 / 3, 3), "D1": (4 / 3, 3), "D2": (None, 0)}
    accounts.set_role(session=session, actor=admin, user_id=o1.id, role="officer", scope_id=s2.id,
                      now=datetime(2024, 6, 1))
    assert weekly("C") == {"C": (4 / 3, 3), "D1": (1.0, 1), "D2": (1.5, 2)}
    assert weekly("D2") == {"D2": (1.5, 2), "S2": (1.5, 2)}
    assert weekly("S2")["S2"] == (1.5, 2)  # o1 is scoped on S2 itself: in S2's total, under no community
    f.visit(session, h3, o1, datetime(2024, 3, 14, 9))   # week 11 now {h1, h3} = 2, written under S2
    assert weekly("C") == {"C": (5 / 3, 3), "D1": (1.0, 1), "D2": (2.0, 2)}
    org_units.move_grid(session=session, grid=g2, community=cm2, from_month=202405, username="test")
    assert weekly("C") == {"C": (5 / 3, 3), "D1": (None, 0), "D2": (5 / 3, 3)}
    f.visit(session, h1, o2, datetime(2024, 3, 15, 9))   # o2's week 11 now {h3, h1} = 2, written under CM2
    assert weekly("C") == {"C": (2.0, 3), "D1": (None, 0), "D2": (2.0, 3)}
    assert weekly("CM2") == {"CM2": (2.0, 1), "G2": (2.0, 1), "G3": (None, 0)}
    assert weekly("CM1") == {"CM1": (None, 0), "G1": (None, 0)}
    # and the kept-in-step rows equal the rebuilt ones
    before = weekly("C"), weekly("S2"), weekly("CM2")
    rollups.rebuild(session)
    assert (weekly("C"), weekly("S2"), weekly("CM2")) == before


def test_phase_targets_for_the_trend_step_lines(session):
    """Each phase's target of a unit (own, nearest ancestor's, city default) and the baseline; the
    seeded city defaults (reference data): info accuracy 88 / 92 / 95 from 82.4, rental accuracy
    only a deepening target of 90 from 75."""
    build_city(session)  # D1 has its own pilot info-accuracy target of 70
    inds = ["info_accuracy", "rental_accuracy"]
    s1 = phase_targets(session, indicators=inds, unit_code="S1")
    assert s1["info_accuracy"] == ({"pilot": 70.0, "rollout": 92.0, "deepening": 95.0}, 82.4)  # D1's, inherited
    assert s1["rental_accuracy"] == ({"pilot": None, "rollout": None, "deepening": 90.0}, 75.0)
    city = phase_targets(session, indicators=inds)
    assert city["info_accuracy"] == ({"pilot": 88.0, "rollout": 92.0, "deepening": 95.0}, 82.4)
    assert phase_targets(session, indicators=inds, unit_code="D2") == city
    with pytest.raises(UnknownUnit):
        phase_targets(session, indicators=inds, unit_code="NOPE")
