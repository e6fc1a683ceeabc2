"""data_access.programme.reporting on SQLite and PostgreSQL: validation, entry and corrections with
history, the lock and an admin's reopen, import, approval, missing reports, completeness and
timeliness — every expected number worked out by hand from the few rows written here."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlmodel import select

import factories as f
from data_access.core.errors import ConcurrentEdit, PermissionDenied, ValidationError
from data_access.core.models import AuditLog
from data_access.programme import reporting as rp
from data_access.programme.models import Indicator, ReportedValue

MONTHLY = "t_hours_up"  # test-only: seed 002, district, month, mean, no approval, unit h (see world)
APPROVED = "cp_emergency_dispatch_min"  # seed 001: district, month, needs approval, unit min
PERCENT = "og_dispute_resolution"  # seed 002, %


@pytest.fixture
def world(session):
    c = f.unit(session, "C")
    d1, d2 = f.unit(session, "D1", c), f.unit(session, "D2", c)
    d1.pilot = True
    session.add(d1)
    g = f.chain(session, d1, "S1", "CM1", "G1")[-1]
    users = {
        "admin": f.officer(session, c, "admin", role="admin"),
        "city": f.officer(session, c, "city", role="city_leader"),
        "lead1": f.officer(session, d1, "lead1", role="district_leader"),
        "lead2": f.officer(session, d2, "lead2", role="district_leader"),
        "off": f.officer(session, g, "off", role="officer"),
    }
    f.reported_indicator(session, MONTHLY, targets={"pilot": 3.0, "rollout": 3.0, "deepening": 3.0})
    session.commit()
    return {"C": c, "D1": d1, "D2": d2, **users}


def _audit(session, action):
    return list(session.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all())


def test_periods():
    assert rp.period_bounds("2025-02") == (date(2025, 2, 1), date(2025, 2, 28))
    assert rp.period_bounds("2024Q4") == (date(2024, 10, 1), date(2024, 12, 31))
    assert rp.period_bounds("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    assert [rp.period_type_of(p) for p in ("2025-13", "2025Q5", "25", "2025-01")] == [None, None, None, "month"]
    assert rp.period_of(date(2025, 8, 9), "quarter") == "2025Q3" and rp.previous_period("2025Q1") == "2024Q4"
    assert rp.periods_between(date(2025, 1, 1), date(2025, 12, 31), "month", ended_by=date(2025, 4, 4)) == [
        "2025-01", "2025-02", "2025-03"]
    assert rp.periods_between(date(2025, 1, 1), date(2025, 12, 31), "quarter", ended_by=date(2025, 3, 31)) == ["2025Q1"]


def test_validation_number_range_admin_limits_and_outlier(session, world):
    d1 = world["D1"]
    for raw, code in (("abc", "type"), ("", "required"), (float("nan"), "type")):
        with pytest.raises(ValidationError) as e:
            rp.validate(session=session, indicator_code=MONTHLY, unit_id=d1.id, period="2025-03", raw_value=raw)
        assert e.value.code == code
    with pytest.raises(ValidationError) as e:
        rp.validate(session=session, indicator_code=MONTHLY, unit_id=d1.id, period="2025-03", raw_value="-0.5")
    assert (e.value.code, e.value.params) == ("range_min", {"min": 0.0})
    with pytest.raises(ValidationError) as e:
        rp.validate(session=session, indicator_code=PERCENT, unit_id=d1.id, period="2025-03", raw_value=100.5)
    assert (e.value.code, e.value.params) == ("range", {"min": 0.0, "max": 100.0})
    with pytest.raises(ValidationError) as e:  # a quarterly period for a monthly indicator
        rp.validate(session=session, indicator_code=MONTHLY, unit_id=d1.id, period="2025Q1", raw_value=3)
    assert e.value.code == "format"
    ind = session.get(Indicator, MONTHLY)
    ind.min_value, ind.max_value = 1.0, 8.0  # the admin's plausible range
    session.add(ind)
    session.flush()
    with pytest.raises(ValidationError) as e:
        rp.validate(session=session, indicator_code=MONTHLY, unit_id=d1.id, period="2025-03", raw_value="8,5")
    assert (e.value.code, e.value.params) == ("range", {"min": 1.0, "max": 8.0})
    assert rp.validate(session=session, indicator_code=MONTHLY, unit_id=d1.id, period="2025-03",
                       raw_value="7,5") == (7.5, [])
    # outlier against the last periods: 2.0, 3.0, 4.0 → mean 3, sd √(2/3) = 0.8165 → 3 ± 2.449
    rows = [rp.ImportRow(MONTHLY, "D1", p, v) for p, v in (("2024-12", 2.0), ("2025-01", 3.0), ("2025-02", 4.0))]
    rp.import_values(session=session, username="admin", rows=rows, now=datetime(2025, 3, 1, 9))
    assert rp.validate(session=session, indicator_code=MONTHLY, unit_id=d1.id, period="2025-03", raw_value=5.4)[1] == []
    value, warnings = rp.validate(session=session, indicator_code=MONTHLY, unit_id=d1.id, period="2025-03",
                                  raw_value=5.5)
    assert value == 5.5 and [w.code for w in warnings] == ["outlier"]
    assert warnings[0].params == {"low": 0.55, "high": 5.45, "n": 3}


def test_enter_twice_correct_with_history_and_concurrent_edit(session, world):
    d1 = world["D1"]
    at = datetime(2025, 4, 3, 10)
    row = rp.enter(session=session, user="lead1", indicator_code=MONTHLY, unit="D1", period="2025-03", value="3.2",
                   note="考勤系统", now=at)
    again = rp.enter(session=session, user="lead1", indicator_code=MONTHLY, unit="D1", period="2025-03", value=3.2,
                     note="考勤系统", now=at)  # double click
    session.commit()
    assert again.id == row.id and (row.value, row.version, row.status, row.entered_by) == (3.2, 1, "entered", "lead1")
    assert session.exec(select(ReportedValue)).all().__len__() == 1
    with pytest.raises(ConcurrentEdit):  # another form still showing "not entered"
        rp.enter(session=session, user="city", indicator_code=MONTHLY, unit="D1", period="2025-03", value=3.4, now=at)
    with pytest.raises(ValidationError) as e:
        rp.enter(session=session, user="lead1", indicator_code=MONTHLY, unit="D1", period="2025-03", value=3.5,
                 expected_version=1, reason="  ", now=at)
    assert e.value.code == "required" and e.value.field == "reason"
    fixed = rp.enter(session=session, user="city", indicator_code=MONTHLY, unit=d1.id, period="2025-03", value=3.5,
                     note="考勤系统", expected_version=1, reason="漏计夜班", now=datetime(2025, 4, 4, 8))
    session.commit()
    assert (fixed.value, fixed.version) == (3.5, 2)
    with pytest.raises(ConcurrentEdit):  # the first editor's stale form
        rp.enter(session=session, user="lead1", indicator_code=MONTHLY, unit="D1", period="2025-03", value=3.6,
                 expected_version=1, reason="x", now=at)
    session.rollback()
    hist = [(c.action, c.username, c.old_value, c.new_value, c.reason) for c in rp.changes(session=session,
                                                                                             value_id=row.id)]
    assert hist == [("enter", "lead1", None, 3.2, None), ("correct", "city", 3.2, 3.5, "漏计夜班")]
    (a1,), (a2,) = _audit(session, "reported.enter"), _audit(session, "reported.correct")
    assert json.loads(a1.detail) == {"indicator": MONTHLY, "unit": "D1", "period": "2025-03", "value": 3.2}
    assert json.loads(a2.detail)["old"] == 3.2 and json.loads(a2.detail)["new"] == 3.5 and a2.username == "city"


def test_not_ended_lock_reopen_and_import_outside_the_lock(session, world):
    kw = dict(session=session, indicator_code=MONTHLY, unit="D2", period="2025-03")
    with pytest.raises(ValidationError) as e:
        rp.enter(user="lead2", value=3, now=datetime(2025, 3, 31, 23), **kw)
    assert e.value.code == "not_ended"
    # March ends 03-31: open up to and including 04-15 (15 days), locked from 04-16
    with pytest.raises(ValidationError) as e:
        rp.enter(user="lead2", value=3, now=datetime(2025, 4, 16, 0, 5), **kw)
    assert (e.value.code, e.value.params) == ("period_locked", {"date": "2025-04-15"})
    with pytest.raises(PermissionDenied):
        rp.reopen(session=session, user="city", unit="D2", period="2025-03", reason="补报", now=datetime(2025, 4, 20))
    with pytest.raises(ValidationError):
        rp.reopen(session=session, user="admin", unit="D2", period="2025-03", reason=" ", now=datetime(2025, 4, 20))
    r = rp.reopen(session=session, user="admin", unit="D2", period="2025-03", reason="系统故障补报",
                  now=datetime(2025, 4, 20, 9))
    assert r.until == date(2025, 4, 27)  # 7 days (setting)
    with pytest.raises(ValidationError):  # the reopen is for D2 only
        rp.enter(session=session, user="lead1", indicator_code=MONTHLY, unit="D1", period="2025-03", value=3,
                 now=datetime(2025, 4, 21))
    v = rp.enter(user="lead2", value=3, now=datetime(2025, 4, 27, 18), **kw)
    with pytest.raises(ValidationError) as e:
        rp.enter(user="lead2", value=4, expected_version=1, reason="更正", now=datetime(2025, 4, 28, 8), **kw)
    assert e.value.code == "period_locked"
    n = rp.import_values(session=session, username="admin",
                         rows=[rp.ImportRow(MONTHLY, "D2", "2025-03", 4.0, "历史台账"),
                               rp.ImportRow(MONTHLY, "D1", "2024-01", 2.5, None, datetime(2024, 2, 3, 9))],
                         now=datetime(2025, 6, 1, 9))
    session.commit()
    assert n == 2
    stored = {(x.period, x.org_unit_id): (x.value, x.origin, x.version, x.entered_at)
              for x in session.exec(select(ReportedValue)).all()}
    assert stored[("2025-03", world["D2"].id)] == (4.0, "entry", 2, datetime(2025, 4, 27, 18))
    assert stored[("2024-01", world["D1"].id)] == (2.5, "import", 1, datetime(2024, 2, 3, 9))
    assert [c.action for c in rp.changes(session=session, value_id=v.id)] == ["enter", "import"]
    (a,) = _audit(session, "reported.import")
    assert json.loads(a.detail) == {"rows": 2, "source": "reported_values.csv"}
    assert [x.entity_id for x in _audit(session, "reported.reopen")] == ["D2"]


def test_role_scope_level_and_pilot_rules(session, world):
    at = datetime(2025, 4, 2)
    with pytest.raises(PermissionDenied) as e:
        rp.enter(session=session, user="lead1", indicator_code=MONTHLY, unit="D2", period="2025-03", value=3, now=at)
    assert e.value.code == "scope"
    with pytest.raises(PermissionDenied) as e:
        rp.enter(session=session, user="off", indicator_code=MONTHLY, unit="D1", period="2025-03", value=3, now=at)
    assert e.value.code == "role"
    with pytest.raises(ValidationError) as e:  # a city-wide budget share is entered by the city
        rp.enter(session=session, user="lead1", indicator_code="cp_budget_share", unit="D1", period="2024", value=5,
                 now=at)
    assert e.value.code == "level_for_indicator"
    with pytest.raises(ValidationError) as e:  # pilot districts only
        rp.enter(session=session, user="lead2", indicator_code="og_pilot_crime_drop", unit="D2", period="2025-03",
                 value=12, now=at)
    assert e.value.code == "pilot_only"
    rp.enter(session=session, user="lead1", indicator_code="og_pilot_crime_drop", unit="D1", period="2025-03",
             value=12, now=at)
    rp.enter(session=session, user="city", indicator_code="cp_budget_share", unit="C", period="2024", value=5.2,
             now=datetime(2025, 1, 10))  # 2024 locks on 2025-01-15
    session.commit()
    assert len(session.exec(select(ReportedValue)).all()) == 2


def test_approval_returns_with_comment_and_locks_when_approved(session, world):
    at = datetime(2025, 4, 2, 9)
    v = rp.enter(session=session, user="lead1", indicator_code=APPROVED, unit="D1", period="2025-03", value=6.1,
                 now=at)
    assert [x.id for x in rp.pending_review(session=session, user="city")] == [v.id]
    assert rp.pending_review(session=session, user="lead1") == []  # not the level above
    with pytest.raises(PermissionDenied):
        rp.review(session=session, user="lead1", value_id=v.id, expected_version=1, approve=True, now=at)
    with pytest.raises(ValidationError) as e:
        rp.review(session=session, user="city", value_id=v.id, expected_version=1, approve=False, comment="", now=at)
    assert e.value.code == "required"
    back = rp.review(session=session, user="city", value_id=v.id, expected_version=1, approve=False,
                     comment="与110系统统计不符，请核实", now=at)
    assert (back.status, back.review_comment, back.version) == ("returned", "与110系统统计不符，请核实", 2)
    again = rp.enter(session=session, user="lead1", indicator_code=APPROVED, unit="D1", period="2025-03", value=5.4,
                     expected_version=2, reason="按110系统重算", now=at)
    assert (again.status, again.version) == ("entered", 3)
    with pytest.raises(ConcurrentEdit):
        rp.review(session=session, user="city", value_id=v.id, expected_version=2, approve=True, now=at)
    ok = rp.review(session=session, user="city", value_id=v.id, expected_version=3, approve=True, now=at)
    session.commit()
    assert (ok.status, ok.reviewed_by, ok.version) == ("approved", "city", 4)
    with pytest.raises(ValidationError) as e:
        rp.enter(session=session, user="lead1", indicator_code=APPROVED, unit="D1", period="2025-03", value=5.0,
                 expected_version=4, reason="再改", now=at)
    assert e.value.code == "approved_locked"
    with pytest.raises(ValidationError):  # a data set without approval
        w = rp.enter(session=session, user="lead1", indicator_code=MONTHLY, unit="D1", period="2025-03", value=3,
                     now=at)
        rp.review(session=session, user="city", value_id=w.id, expected_version=1, approve=True, now=at)
    assert [c.action for c in rp.changes(session=session, value_id=v.id)] == [
        "enter", "return", "correct", "approve"]
    assert [a.username for a in _audit(session, "reported.approve")] == ["city"]
    assert [a.username for a in _audit(session, "reported.return")] == ["city"]


def test_completeness_timeliness_and_missing_reports_by_hand(session, world):
    c = world["C"]
    # D1 Jan entered 02-05 (timely: deadline 02-10), D1 Feb entered 03-20 (late), D2 Jan entered 02-11 (late),
    # D2 Mar entered 04-10 (after as_of 04-05: not counted)
    rows = [rp.ImportRow(MONTHLY, "D1", "2025-01", 3.1, None, datetime(2025, 2, 5, 9)),
            rp.ImportRow(MONTHLY, "D1", "2025-02", 3.3, None, datetime(2025, 3, 20, 9)),
            rp.ImportRow(MONTHLY, "D2", "2025-01", 2.8, None, datetime(2025, 2, 11, 0, 1)),
            rp.ImportRow(MONTHLY, "D2", "2025-03", 2.9, None, datetime(2025, 4, 10, 9))]
    rp.import_values(session=session, username="admin", rows=rows, now=datetime(2025, 4, 11))
    session.commit()
    ind = session.get(Indicator, MONTHLY)
    counts = rp.report_counts(session=session, indicators=[ind], root=c, start=date(2025, 1, 1),
                              end=date(2025, 12, 31), as_of=datetime(2025, 4, 5, 12))[MONTHLY]
    # expected: 2 districts × 3 months ended (Jan, Feb, Mar) = 6; entered 3; timely 1
    assert (counts.expected, counts.entered, counts.timely) == (6, 3, 1)
    assert (counts.completeness, counts.timeliness) == (50.0, 16.7)
    d1 = rp.report_counts(session=session, indicators=[ind], root=world["D1"], start=date(2025, 1, 1),
                          end=date(2025, 12, 31), as_of=datetime(2025, 4, 5, 12))[MONTHLY]
    assert (d1.expected, d1.entered, d1.timely, d1.completeness) == (3, 2, 1, 66.7)
    missing = [m for m in rp.missing_reports(session=session, user="city", plan="seed-002", today=date(2025, 4, 5),
                                             since=date(2025, 1, 1)) if m.indicator_code == MONTHLY]
    # stored rows count whenever entered: D2 Feb (due 03-10) overdue, D1 Mar (due 04-10) not yet
    assert [(m.unit_code, m.period, m.overdue) for m in missing] == [("D2", "2025-02", True), ("D1", "2025-03", False)]
    every = rp.missing_reports(session=session, user="city", plan="seed-002", today=date(2025, 4, 5),
                               since=date(2025, 1, 1))
    first_late = [m.overdue for m in every].index(False)
    assert all(m.overdue for m in every[:first_late]) and not any(m.overdue for m in every[first_late:])
    with pytest.raises(PermissionDenied):
        rp.missing_reports(session=session, user="lead1", plan="seed-002", root="D2", today=date(2025, 4, 5))
