"""My work: what is due, what is overdue, in which order — on a small hand-built dataset."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from issue5_world import NOW, build

import factories as f
from data_access.core.errors import ValidationError
from data_access.fieldwork import needs, worklist
from data_access.fieldwork.models import Household

D = timedelta(days=1)
H = timedelta(hours=1)


@pytest.fixture
def data(session):
    w = build(session)  # h1 (G1, no risk, never visited), h2 (G2), h3 (G3)
    g1, off = w.units["G1"], w.users["off1"]

    def hh(code, risk, last_visit=None):
        h = f.household(session, g1, code=code, risk=risk)
        if last_visit is not None:
            f.visit(session, h, off, last_visit)
        return h

    d = {
        "red_overdue": hh("A-red-8d", "red", NOW - 8 * D),  # due NOW − 1 d
        "red_soon": hh("B-red-6d", "red", NOW - 6 * D),  # due NOW + 1 d (≤ 2 d → due)
        "red_fine": hh("C-red-2d", "red", NOW - 2 * D),  # due in 5 d: not listed
        "yellow_overdue": hh("D-yel-40d", "yellow", NOW - 40 * D),  # due NOW − 10 d, still after red
        "blue_soon": hh("E-blue-25d", "blue", NOW - 25 * D),  # due NOW + 5 d (≤ 7 d → due)
        "visited_in_phase": hh("F-none-feb", "none", datetime(2025, 2, 1, 10, 0)),  # not listed
        "last_phase": hh("G-none-2024", "none", datetime(2024, 12, 15, 10, 0)),  # pending this phase
        "never": w.hh["h1"],  # code HH-G1-001, never visited: pending
        "red_never_old": hh("A0-red-never", "red"),  # registered 2023-06-01, never visited: overdue
    }
    # a visit after NOW does not exist yet
    f.visit(session, d["red_fine"], off, NOW + 2 * H, entered_at=None)
    other = f.household(session, w.units["G2"], code="Z-other-grid", risk="red")  # not off1's grid
    f.visit(session, other, w.users["off2"], NOW - 10 * D)
    n = {
        "overdue": f.need(session, d["visited_in_phase"], NOW - 50 * H),
        "near": f.need(session, d["visited_in_phase"], NOW - 40 * H),  # 8 h left
        "fresh": f.need(session, d["visited_in_phase"], NOW - 10 * H),  # not listed
        "answered": f.need(session, d["visited_in_phase"], NOW - 50 * H, status="accepted",
                           responded_at=NOW - 49 * H),
        "other_grid": f.need(session, other, NOW - 60 * H),
    }
    a = {
        "tonight": worklist.book_appointment(session=session, user=off, household_id=d["red_fine"].id,
                                             scheduled_at=datetime(2025, 6, 10, 20, 30), now=NOW - 30 * H),
        "later": worklist.book_appointment(session=session, user=off, household_id=d["blue_soon"].id,
                                           scheduled_at=NOW + 3 * D, now=NOW - 1 * H),
    }
    return w, d, n, a, other


def _key(item):
    if item.kind == "need":
        return ("need", item.need_id)
    if item.kind == "appointment":
        return ("appointment", item.appointment_id)
    return ("visit", item.household_id)


def test_officer_worklist_order(session, data):
    w, d, n, a, _ = data
    items = worklist.my_work(session=session, user=w.users["off1"], now=NOW)
    assert [_key(i) for i in items] == [
        ("need", n["overdue"].id),
        ("visit", d["red_never_old"].id),  # red: most overdue first
        ("visit", d["red_overdue"].id),
        ("visit", d["yellow_overdue"].id),
        ("appointment", a["tonight"].id),
        ("need", n["near"].id),
        ("visit", d["red_soon"].id),
        ("visit", d["blue_soon"].id),
        ("appointment", a["later"].id),
        ("visit", d["last_phase"].id),  # pending: by household code
        ("visit", d["never"].id),
    ]
    by_key = {_key(i): i for i in items}
    assert by_key[("visit", d["red_overdue"].id)].due_at == NOW - D
    assert by_key[("visit", d["red_overdue"].id)].bucket == "visit_overdue"
    assert by_key[("visit", d["red_never_old"].id)].due_at == datetime(2023, 6, 8, 0, 0)
    assert by_key[("visit", d["blue_soon"].id)].due_at == NOW + 5 * D
    assert by_key[("visit", d["never"].id)].due_at == datetime(2025, 12, 31, 23, 59, 59)
    assert by_key[("visit", d["never"].id)].bucket == "phase_pending"
    assert by_key[("need", n["near"].id)].due_at == NOW + 8 * H
    assert by_key[("appointment", a["tonight"].id)].is_night is True
    assert by_key[("appointment", a["later"].id)].is_night is False
    assert worklist.summary(items) == {"need_overdue": 1, "visit_overdue": 3, "appointment_soon": 1,
                                       "need_near": 1, "visit_due": 2, "appointment": 1, "phase_pending": 2}


def test_district_leader_sees_both_grids_but_not_other_officers_appointments(session, data):
    w, d, n, a, other = data
    items = worklist.my_work(session=session, user=w.users["dl1"], now=NOW, kinds=("need", "visit"))
    keys = [_key(i) for i in items]
    assert ("need", n["other_grid"].id) in keys and ("visit", other.id) in keys
    # the G2 need is 60 h old: more overdue than off1's 50 h one
    assert keys[:2] == [("need", n["other_grid"].id), ("need", n["overdue"].id)]
    off2_items = worklist.my_work(session=session, user=w.users["off2"], now=NOW)
    assert {_key(i) for i in off2_items} == {("need", n["other_grid"].id), ("visit", other.id),
                                             ("visit", w.hh["h2"].id)}
    assert worklist.my_work(session=session, user=w.users["off3"], now=NOW, kinds=("need",)) == []


def test_answering_a_need_and_visiting_take_items_off_the_list(session, data):
    w, d, n, a, _ = data
    off = w.users["off1"]
    needs.transition(session=session, user=off, need_id=n["overdue"].id, action="accept", expected_version=1,
                     now=NOW)
    f.visit(session, d["red_overdue"], off, NOW - H)
    keys = [_key(i) for i in worklist.my_work(session=session, user=off, now=NOW)]
    assert ("need", n["overdue"].id) not in keys
    assert ("visit", d["red_overdue"].id) not in keys


def test_phase_end_makes_ordinary_households_due(session):
    w = build(session)
    late_in_phase = datetime(2025, 12, 5, 9, 0)  # 26 days before the rollout phase ends
    items = worklist.my_work(session=session, user=w.users["off1"], now=late_in_phase, kinds=("visit",))
    assert [(i.household_id, i.bucket) for i in items] == [(w.hh["h1"].id, "visit_due")]


def test_special_intervals_come_from_settings(session):
    import json

    from data_access.core.models import Setting

    w = build(session)
    h = f.household(session, w.units["G1"], code="R1", risk="red", registered_on=date(2025, 6, 1))
    f.visit(session, h, w.users["off1"], NOW - 4 * D)
    ids = [i.household_id for i in worklist.my_work(session=session, user=w.users["off1"], now=NOW,
                                                    kinds=("visit",))]
    assert h.id not in ids  # due in 3 days with a 7-day interval
    row = session.get(Setting, "special_intervals_days")
    row.value = json.dumps({"red": 3, "yellow": 30, "blue": 30})
    session.add(row)
    items = worklist.my_work(session=session, user=w.users["off1"], now=NOW, kinds=("visit",))
    assert [(i.household_id, i.bucket, i.due_at) for i in items if i.household_id == h.id] == [
        (h.id, "visit_overdue", NOW - D)]


def test_book_appointment_rules(session):
    w = build(session)
    with pytest.raises(ValidationError):
        worklist.book_appointment(session=session, user=w.users["off1"], household_id=w.hh["h1"].id,
                                  scheduled_at=NOW - H, now=NOW)
    from data_access.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        worklist.book_appointment(session=session, user=w.users["off2"], household_id=w.hh["h1"].id,
                                  scheduled_at=NOW + D, now=NOW)
    a = worklist.book_appointment(session=session, user=w.users["off1"], household_id=w.hh["h1"].id,
                                  scheduled_at=NOW + D, now=NOW)
    worklist.cancel_appointment(session=session, user=w.users["off1"], appointment_id=a.id, now=NOW)
    assert a.status == "cancelled"
    assert worklist.my_work(session=session, user=w.users["off1"], now=NOW, kinds=("appointment",)) == []
    assert session.get(Household, w.hh["h1"].id) is not None
