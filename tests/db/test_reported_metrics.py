"""metrics.reported on SQLite and PostgreSQL: phase values of reported indicators (sum / mean /
none, "k of m units"), gaps in both directions, pilot-only targets, completeness and timeliness —
expected numbers worked out by hand from the rows written here."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import text

import factories as f
from data_access.programme import reporting as rp
from metrics.reported import compute_reported

UP = "t_hours_up"  # h, up, mean, rollout target 3 (test-only, see the fixture)
DOWN = "cp_emergency_dispatch_min"  # min, down, mean, target 8
SUM = "t_count_sum"  # count, switched to sum below (test-only)
PILOT = "og_pilot_crime_drop"  # pilot districts only, rollout target 20 (pilot-only)


def _imp(code, unit, period, value, entered):
    return rp.ImportRow(code, unit, period, value, None, entered)


@pytest.fixture
def city(session):
    c = f.unit(session, "C")
    d1, _d2, _d3 = (f.unit(session, x, c) for x in ("D1", "D2", "D3"))
    d1.pilot = True
    session.add(d1)
    f.reported_indicator(session, UP, targets={"pilot": 3.0, "rollout": 3.0, "deepening": 3.0})
    f.reported_indicator(session, SUM, unit="count", targets={"pilot": 2.0, "rollout": 2.0, "deepening": 2.0})
    session.execute(text("UPDATE indicator SET aggregation = 'sum' WHERE code = :c"), {"c": SUM})
    rows = [
        _imp(UP, "D1", "2025-01", 2.0, datetime(2025, 2, 3, 9)),
        _imp(UP, "D1", "2025-02", 2.5, datetime(2025, 3, 12, 9)),  # late (deadline 03-10)
        _imp(UP, "D1", "2025-03", 3.5, datetime(2025, 4, 2, 9)),
        _imp(UP, "D2", "2025-01", 2.0, datetime(2025, 2, 5, 9)),
        _imp(UP, "D2", "2025-03", 2.5, datetime(2025, 4, 12, 9)),  # after as_of: does not exist yet
        _imp(UP, "D3", "2025-02", 1.0, datetime(2025, 3, 5, 9)),
        _imp(UP, "D3", "2025-03", 2.0, datetime(2025, 4, 1, 9)),
        _imp(DOWN, "D1", "2025-03", 9.0, datetime(2025, 4, 1, 9)),
        _imp(DOWN, "D2", "2025-03", 7.0, datetime(2025, 4, 1, 9)),
        _imp(DOWN, "D3", "2025-03", 1.0, datetime(2025, 4, 1, 9)),  # returned below: does not count
        _imp(SUM, "D1", "2025-03", 2.0, datetime(2025, 4, 1, 9)),
        _imp(SUM, "D2", "2025-03", 3.0, datetime(2025, 4, 1, 9)),
        _imp(PILOT, "D1", "2025-03", 12.0, datetime(2025, 4, 1, 9)),
        _imp("sa_security_sense", "D1", "2025Q1", 99.0, datetime(2025, 4, 1, 9)),
        _imp("cp_budget_share", "C", "2024", 5.2, datetime(2025, 1, 8, 9)),
    ]
    rp.import_values(session=session, username="admin", rows=rows, now=datetime(2025, 4, 20))
    session.execute(text("UPDATE reported_value SET status = 'returned' WHERE indicator_code = :c AND value = 1.0"),
                    {"c": DOWN})
    session.commit()
    return c


def _by(kpis):
    return {(k.unit_code, k.indicator): k for k in kpis}


def test_mean_of_reporting_units_gap_status_completeness_timeliness(session, city):
    got = _by(compute_reported(session, unit_code="C", period="rollout", as_of=date(2025, 4, 5)))
    c = got[("C", UP)]
    # March (latest month ended by 04-05): D1 3.5 and D3 2.0 reported, D2's came later → 2 of 3, mean 2.75
    assert (c.kind, c.period, c.value, c.k, c.m) == ("reported", "2025-03", 2.75, 2, 3)
    assert c.target == 3.0 and c.gap == pytest.approx(0.25)
    # 3 districts × 3 months = 9 expected; 6 entered by as_of, 5 of them within 10 days of the month end
    assert (c.completeness, c.timeliness) == (66.7, 55.6)
    # trend Jan 2.0, Feb 1.75, Mar 2.75: slope 0.375 → Dec ≈ 5.92 ≥ 3
    assert c.status == "on_track"
    d1, d2, d3 = got[("D1", UP)], got[("D2", UP)], got[("D3", UP)]
    assert (d1.value, d1.k, d1.m, d1.status, d1.completeness, d1.timeliness) == (3.5, 1, 1, "met", 100.0, 66.7)
    assert (d2.value, d2.status, d2.completeness, d2.timeliness) == (None, "no_data", 33.3, 33.3)
    assert (d3.value, d3.gap, d3.status, d3.completeness) == (2.0, 1.0, "too_early", 66.7)


def test_lower_is_better_sum_pilot_and_none(session, city):
    got = _by(compute_reported(session, unit_code="C", period="rollout", as_of=date(2025, 4, 5)))
    # down: city mean of D1 9 and D2 7 (D3's value was returned) = 8 → gap 0, met; D1 gap +1 behind
    assert (got[("C", DOWN)].value, got[("C", DOWN)].k, got[("C", DOWN)].gap, got[("C", DOWN)].status) == (
        8.0, 2, 0.0, "met")
    assert (got[("D1", DOWN)].gap, got[("D2", DOWN)].gap, got[("D2", DOWN)].status) == (1.0, -1.0, "met")
    assert (got[("C", SUM)].value, got[("C", SUM)].k, got[("C", SUM)].m) == (5.0, 2, 3)
    # pilot-only: one pilot district expected; its target applies to D1 only
    assert (got[("C", PILOT)].value, got[("C", PILOT)].m, got[("C", PILOT)].target) == (12.0, 1, None)
    assert (got[("D1", PILOT)].target, got[("D1", PILOT)].gap) == (20.0, 8.0)
    assert (got[("D2", PILOT)].m, got[("D2", PILOT)].value, got[("D2", PILOT)].completeness) == (0, None, None)
    # a year not over yet: nothing expected
    assert (got[("C", "cp_budget_share")].value, got[("C", "cp_budget_share")].completeness) == (None, None)
    pilot = _by(compute_reported(session, unit_code="C", period="pilot", as_of=date(2025, 4, 5)))
    b = pilot[("C", "cp_budget_share")]
    assert (b.period, b.value, b.k, b.m, b.completeness, b.timeliness) == ("2024", 5.2, 1, 1, 100.0, 100.0)
    assert (pilot[("D1", "cp_budget_share")].value, pilot[("D1", "cp_budget_share")].m) == (None, 0)


def test_month_period_shows_the_quarter_ending_in_it(session, city):
    got = _by(compute_reported(session, unit_code="C", period="2025-03", as_of=date(2025, 4, 5)))
    s = got[("C", "sa_security_sense")]
    assert (s.period, s.value, s.k, s.m, s.completeness) == ("2025Q1", 99.0, 1, 3, 33.3)
    none = _by(compute_reported(session, unit_code="C", period="2025-02", as_of=date(2025, 4, 5)))
    assert none[("C", "sa_security_sense")].period is None and none[("C", "sa_security_sense")].completeness is None
    d1 = _by(compute_reported(session, unit_code="D1", period="rollout", as_of=date(2025, 4, 5)))
    assert [k.unit_code for k in d1.values()] == ["D1"] * len(d1)  # a district has no child at the entry level
