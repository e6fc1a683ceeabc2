"""Monthly report data (metrics.report, data_access.analytics.report_queries) on a small hand-made city, SQLite and PostgreSQL.

The city: C → D1 → S1 → CM1 → {G1, G2} and C → D2 → S2 → CM2 → G3. The report month is March
2024; as_of 2024-05-15 (so the month is judged at its end, T = 2024-03-31 24:00). Every
expected count below is worked out by hand from the needs listed in ``build``.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest

import factories as f
from data_access.analytics.report_queries import (
    UnknownMonth,
    last_complete_month,
    month_label,
    parse_month,
    reference_time,
)
from data_access.programme.models import Milestone
from metrics.report import monthly_report

AS_OF = date(2024, 5, 15)
MARCH = 202403


def build(s) -> dict:
    c = f.unit(s, "C")
    d1 = f.unit(s, "D1", c)
    s1, cm1, g1 = f.chain(s, d1, "S1", "CM1", "G1")
    g2 = f.unit(s, "G2", cm1)
    d2 = f.unit(s, "D2", c)
    _s2, _cm2, g3 = f.chain(s, d2, "S2", "CM2", "G3")
    h1, h2, h3 = f.household(s, g1), f.household(s, g2), f.household(s, g3)
    n = {}
    # G1 (D1)
    n[1] = f.need(s, h1, datetime(2024, 3, 29, 20))  # due 03-31 20:00, never answered: overdue at T by 4 h
    n[2] = f.need(s, h1, datetime(2024, 3, 30, 8))  # due 04-01 08:00: not yet due at T; overdue mid-May
    n[3] = f.need(s, h1, datetime(2024, 3, 10, 8), status="accepted",
                  responded_at=datetime(2024, 4, 2, 9))  # answered after T: overdue at T (due 03-12 08:00)
    n[4] = f.need(s, h1, datetime(2024, 3, 10, 8), status="accepted",
                  responded_at=datetime(2024, 3, 20))  # answered late but before T: not overdue at T
    n[5] = f.need(s, h1, datetime(2024, 2, 1, 8), status="withdrawn")  # excluded
    n[7] = f.need(s, h1, datetime(2024, 4, 10, 9))  # created after T; overdue mid-May
    # G2 (D1)
    n[8] = f.need(s, h2, datetime(2024, 3, 1, 9), status="accepted", responded_at=datetime(2024, 3, 2, 9))
    n[9] = f.need(s, h2, datetime(2024, 3, 20, 9), status="duplicate")  # excluded
    # G3 (D2)
    n[6] = f.need(s, h3, datetime(2024, 1, 5, 10))  # an old one never answered: overdue at T
    # spot checks in March: D1 1/1 accurate, D2 0/1
    f.check(s, h1, date(2024, 3, 5), True)
    f.check(s, h3, date(2024, 3, 6), False)
    ms = [  # code, due, status, done_on, owner
        ("T-A", date(2024, 3, 15), "done", date(2024, 3, 10), d1),  # due in March, done: listed, not late
        ("T-B", date(2024, 3, 20), "planned", None, d1),  # due in March, not done by T: late
        ("T-C", date(2024, 2, 10), "done", date(2024, 4, 5), d1),  # done only after T: late at T
        ("T-D", date(2024, 1, 31), "done", date(2024, 1, 30), d1),  # done in time before March: not listed
        ("T-E", date(2024, 4, 30), "late", None, d1),  # due after T: not listed
        ("T-F", date(2024, 3, 25), "in_progress", None, d2),  # another district's
        ("T-G", date(2024, 3, 5), "in_progress", None, c),  # the city's own: applies below it
    ]
    for code, due, status, done_on, owner in ms:
        s.add(Milestone(code=code, title_zh=f"事项{code}", title_en=f"Item {code}", due=due, owner_unit_id=owner.id,
                        owner=owner.name_zh, status=status, done_on=done_on))
    s.flush()
    return n


def mine(rep) -> list[tuple[str, str, bool, bool]]:
    """The test's own milestones (the migration seeds the programme's, owned by nobody)."""
    return [(m.code, m.status, m.due_in_month, m.late) for m in rep.milestones if m.code.startswith("T-")]


def test_overdue_needs_at_the_end_of_the_month_counted_by_hand(session):
    build(session)
    rep = monthly_report(session, unit_code="C", month=MARCH, as_of=AS_OF)
    assert rep.ref == reference_time(MARCH, datetime(2024, 5, 15, 23, 59, 59, 999999))
    assert rep.ref.date() == date(2024, 3, 31)
    # overdue at T: n1 and n3 in D1, n6 in D2
    assert {c.unit_code: c.n for c in rep.overdue_by_child} == {"D1": 2, "D2": 1}
    assert rep.overdue_total == 3
    # oldest first; hours overdue = T − (created + 48 h), one decimal
    assert [(o.grid_code, round(o.hours_overdue)) for o in rep.overdue] == [
        ("G3", (datetime(2024, 4, 1) - datetime(2024, 1, 7, 10)).total_seconds() / 3600),
        ("G1", (datetime(2024, 4, 1) - datetime(2024, 3, 12, 8)).total_seconds() / 3600),
        ("G1", 4)]
    assert rep.overdue[-1].due_at == datetime(2024, 3, 31, 20)


def test_overdue_needs_of_a_district_per_station(session):
    n = build(session)
    rep = monthly_report(session, unit_code="D1", month=MARCH, as_of=AS_OF)
    assert {c.unit_code: c.n for c in rep.overdue_by_child} == {"S1": 2}
    assert [o.code for o in rep.overdue] == [n[3].code, n[1].code]
    assert not rep.overdue_truncated


def test_overdue_needs_mid_month_are_judged_at_as_of(session):
    n = build(session)
    rep = monthly_report(session, unit_code="C", month=202405, as_of=AS_OF)
    assert rep.ref == datetime(2024, 5, 15, 23, 59, 59, 999999)
    # n3 answered on 04-02 → no longer overdue; n2 and n7 have passed their 48 h since
    assert {c.unit_code: c.n for c in rep.overdue_by_child} == {"D1": 3, "D2": 1}
    assert {o.code for o in rep.overdue} == {n[1].code, n[2].code, n[7].code, n[6].code}


def test_overdue_list_has_no_personal_fields(session):
    build(session)
    rep = monthly_report(session, unit_code="C", month=MARCH, as_of=AS_OF)
    fields = set(type(rep.overdue[0]).__dataclass_fields__)
    assert fields == {"code", "category", "grid_code", "grid_name_zh", "grid_name_en", "created_at", "due_at",
                      "hours_overdue"}


def test_milestones_due_in_the_month_or_late_at_its_end(session):
    build(session)
    rep = monthly_report(session, unit_code="D1", month=MARCH, as_of=AS_OF)
    assert mine(rep) == [
        ("T-C", "late", False, True),
        ("T-G", "late", True, True),
        ("T-A", "done", True, False),
        ("T-B", "late", True, True),
    ]
    city = monthly_report(session, unit_code="C", month=MARCH, as_of=AS_OF)
    assert [m[0] for m in mine(city)] == ["T-C", "T-G", "T-A", "T-B", "T-F"]  # units below the city count


def test_kpis_of_the_month_for_the_unit_and_its_children(session):
    build(session)
    rep = monthly_report(session, unit_code="C", month=MARCH, as_of=AS_OF)
    acc = {(k.unit_code, k.is_self): k for k in rep.kpis if k.indicator == "info_accuracy"}
    assert acc[("C", True)].value == pytest.approx(50.0) and acc[("C", True)].n == 2
    assert acc[("D1", False)].value == pytest.approx(100.0)
    assert acc[("D2", False)].value == pytest.approx(0.0)
    assert [u.code for u in rep.children] == ["D1", "D2"]


def test_a_month_not_yet_begun_has_nothing_overdue(session):
    build(session)
    rep = monthly_report(session, unit_code="C", month=202407, as_of=AS_OF)
    assert rep.overdue_total == 0 and rep.overdue == () and rep.milestones == ()


@pytest.mark.parametrize("text,month", [("2024-03", 202403), ("2026-12", 202612)])
def test_parse_month(text, month):
    assert parse_month(text) == month
    assert month_label(month) == text


@pytest.mark.parametrize("text", ["2024-3", "2024-13", "24-03", "march", "", None, "2024-03-01"])
def test_parse_month_refuses_other_text(text):
    with pytest.raises(UnknownMonth):
        parse_month(text)


@pytest.mark.parametrize("today,month", [(date(2026, 3, 15), 202602), (date(2026, 1, 1), 202512),
                                         (date(2026, 3, 31), 202602)])
def test_default_month_is_the_last_complete_one(today, month):
    assert last_complete_month(today) == month
