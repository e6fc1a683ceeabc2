"""Assisted persons (data_access.assistance; indicators.md "Assisted persons"), SQLite and PostgreSQL.

The small city every test builds (``world``), all registered 2025-01-01:

    C ─ D1 ─ S1 ─ CM1 ─ G1  : P1 high (helper off1), P2 high (helper off1b, an officer of G1B),
                              P5 medium, P6 high → low on 2025-03-04
                      └ G1B : P3 high
      ─ D2 ─ S2 ─ CM2 ─ G2  : P4 high
    visits: P1 2025-03-01 10:00, P3 2025-03-05 09:00, P4 2025-02-20 09:00, P5 2025-03-06 09:00

Expected numbers are worked out by hand next to each assertion.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlmodel import select

import factories as f
from data_access.analytics import kpi_queries as q
from data_access.assistance import queries as aq
from data_access.assistance import services as sv
from data_access.assistance.models import AssistedPerson, AssistedRiskChange, CounsellingAlert
from data_access.core.errors import ConcurrentEdit, InvalidTransition, PermissionDenied, ValidationError
from data_access.core.models import AuditLog
from data_access.fieldwork.models import Resident
from metrics.service import compute_kpis

REG = date(2025, 1, 1)
NOW = datetime(2025, 3, 7, 12, 0)
IND = "sa_cc_highrisk_weekly_visit"


def world(s):
    c = f.unit(s, "C")
    d1, d2 = f.unit(s, "D1", c), f.unit(s, "D2", c)
    _, cm1, g1 = f.chain(s, d1, "S1", "CM1", "G1")
    g1b = f.unit(s, "G1B", cm1)
    _, _, g2 = f.chain(s, d2, "S2", "CM2", "G2")
    w = dict(c=c, d1=d1, d2=d2, g1=g1, g1b=g1b, g2=g2)
    w.update(off1=f.officer(s, g1, "off1"), off1b=f.officer(s, g1b, "off1b"), off2=f.officer(s, g2, "off2"),
             admin=f.officer(s, c, "admin", role="admin"), coord=f.officer(s, c, "coord", role="coordinator"),
             lead=f.officer(s, d1, "lead", role="district_leader"), city=f.officer(s, c, "city", role="city_leader"))
    spec = {"P1": (g1, "high", "off1"), "P2": (g1, "high", "off1b"), "P3": (g1b, "high", None),
            "P4": (g2, "high", None), "P5": (g1, "medium", None), "P6": (g1, "high", None)}
    for code, (grid, risk, helper) in spec.items():
        hh = f.household(s, grid, code=f"H{code}")
        r = Resident(household_id=hh.id, name=f"帮扶{code}")
        s.add(r)
        s.flush()
        w[code] = sv.register(session=s, user=w["admin"], resident_id=r.id, group="community_correction",
                              risk_level=risk, registered_on=REG, now=datetime(2025, 1, 1, 9, 0), code=code,
                              helper_id=w[helper].id if helper else None)
    for code, at in (("P1", datetime(2025, 3, 1, 10)), ("P3", datetime(2025, 3, 5, 9)),
                     ("P4", datetime(2025, 2, 20, 9)), ("P5", datetime(2025, 3, 6, 9))):
        sv.record_visit(session=s, user=w["admin"], person_id=w[code].id, visited_at=at, now=NOW)
    p6 = w["P6"]
    sv.set_risk(session=s, user=w["admin"], person_id=p6.id, level="low", reason="稳定就业", expected_version=p6.version,
                now=NOW, changed_at=datetime(2025, 3, 4, 9))
    s.flush()
    return w


def _unit(s, code):
    return q.get_unit(s, code)


def test_weekly_visit_counts_follow_the_dated_risk_history(session):
    w = world(session)
    # as_of 2025-03-07 end of day: window [02-28 end, 03-07 end]. High at as_of: P1 P2 P3 P4 (P5 medium,
    # P6 low since 03-04). Visited: P1 (03-01), P3 (03-05); P4's 02-20 is too old, P2 never → 2 / 4.
    ref = datetime(2025, 3, 7, 23, 59, 59, 999999)
    got = q.highrisk_weekly(session, _unit(session, "C"), ref)
    assert got == {w["d1"].id: (2, 3), w["d2"].id: (0, 1)}
    # as_of 2025-03-03 end of day: P6 still high (lowered on 03-04), never visited; P3's visit is later,
    # P4's 02-20 older than 02-24 → only P1: 1 / 5
    got = q.highrisk_weekly(session, _unit(session, "C"), datetime(2025, 3, 3, 23, 59, 59, 999999))
    assert sum(k for k, _ in got.values()) == 1 and sum(n for _, n in got.values()) == 5
    # both times in one statement (the trend's month ends): the same counts, each at its own time
    both = q.highrisk_weekly_at(session, _unit(session, "C"), [ref, datetime(2025, 3, 3, 23, 59, 59, 999999)])
    assert both[ref] == {w["d1"].id: (2, 3), w["d2"].id: (0, 1)}
    assert both[datetime(2025, 3, 3, 23, 59, 59, 999999)] == got
    # a visit exactly 7 days before ref still counts: P4 at 02-20 09:00, ref 02-27 09:00 → P4 visited
    got = q.highrisk_weekly(session, _unit(session, "D2"), datetime(2025, 2, 27, 9, 0))
    assert list(got.values()) == [(1, 1)]  # keyed by D2's child, the station S2
    got = q.highrisk_weekly(session, _unit(session, "D2"), datetime(2025, 2, 27, 9, 0, 1))
    assert list(got.values()) == [(0, 1)]


def test_the_indicator_is_computed_in_kpis(session):
    world(session)
    session.commit()
    kpis = {(k.unit_code, k.indicator): k for k in compute_kpis(session, unit_code="C", period="2025-03",
                                                                as_of=date(2025, 3, 7))}
    k = kpis[("C", IND)]
    assert (k.value, k.n, k.kind) == (50.0, 4, "computed")  # 2 / 4, hand-computed above
    assert kpis[("D1", IND)].value == pytest.approx(200 / 3) and kpis[("D2", IND)].value == 0.0
    assert k.target == 100.0 and k.gap == 50.0  # the registry's target (100 in every phase)


def test_three_consecutive_misses_raise_one_alert_and_an_attended_session_resets_the_run(session):
    w = world(session)
    p1 = w["P1"]
    # missed, missed, attended, missed, missed, (not marked), missed → the run after the attended session
    # is s4, s5, s7 (s6 neither counts nor resets) → one alert, at s7; s1-s2 (run 2) raised none
    plan = ["missed", "missed", "attended", "missed", "missed", None, "missed"]
    ids = []
    for i, status in enumerate(plan):
        c = sv.schedule_session(session=session, user=w["off1"], person_id=p1.id,
                                scheduled_at=datetime(2025, 2, 1 + 3 * i, 15), now=datetime(2025, 2, 1))
        ids.append(c.id)
        if status is not None:
            _, raised = sv.mark_session(session=session, user=w["off1"], session_id=c.id,
                                        attended=status == "attended", expected_version=c.version, now=NOW)
            assert (len(raised) == 1) == (i == 6), i
    alerts = session.exec(select(CounsellingAlert)).all()
    assert [(a.session_id, a.misses, a.helper_id) for a in alerts] == [(ids[6], 3, w["off1"].id)]
    # the helper sees it on their list; the officer of another grid does not; G1B's officer neither
    assert [a.person_code for a in aq.open_alerts(session=session, user=w["off1"], now=NOW)] == ["P1"]
    assert aq.open_alerts(session=session, user=w["off2"], now=NOW) == []
    assert aq.open_alerts(session=session, user=w["lead"], now=NOW) == []  # leaders: no names
    # a session is marked once
    c6 = session.get(sv.CounsellingSession, ids[6])
    with pytest.raises(InvalidTransition):
        sv.mark_session(session=session, user=w["off1"], session_id=c6.id, attended=True,
                        expected_version=c6.version, now=NOW)
    # acknowledged only with a note; then it is gone from the list
    a = alerts[0]
    with pytest.raises(ValidationError) as e:
        sv.acknowledge_alert(session=session, user=w["off1"], alert_id=a.id, note=" ", expected_version=a.version,
                             now=NOW)
    assert e.value.code == "required"
    with pytest.raises(ConcurrentEdit):
        sv.acknowledge_alert(session=session, user=w["off1"], alert_id=a.id, note="已约谈", expected_version=9,
                             now=NOW)
    sv.acknowledge_alert(session=session, user=w["off1"], alert_id=a.id, note="已上门约谈，改约周五",
                         expected_version=a.version, now=NOW)
    assert aq.open_alerts(session=session, user=w["off1"], now=NOW) == []
    # the run goes on: two more misses make it 5 (no alert), a third makes 6 → a second alert
    for i in range(3):
        c = sv.schedule_session(session=session, user=w["off1"], person_id=p1.id,
                                scheduled_at=datetime(2025, 3, 1 + i, 15), now=datetime(2025, 3, 1))
        _, raised = sv.mark_session(session=session, user=w["off1"], session_id=c.id, attended=False,
                                    expected_version=c.version, now=NOW)
        assert [r.misses for r in raised] == ([6] if i == 2 else [])


def test_alert_triggers_by_hand():
    m, a, s = "missed", "attended", "scheduled"
    assert sv.alert_triggers([(1, m), (2, m), (3, m)]) == [(3, 3)]
    assert sv.alert_triggers([(1, m), (2, m), (3, a), (4, m), (5, m)]) == []
    assert sv.alert_triggers([(1, m), (2, s), (3, m), (4, m), (5, m), (6, m), (7, m)]) == [(4, 3), (7, 6)]
    assert sv.alert_triggers([(1, m), (2, m), (3, a), (4, m), (5, m), (6, m)]) == [(6, 3)]


def test_names_only_for_helper_grid_officer_coordinator_and_admin(session):
    w = world(session)

    def listed(user):
        return sorted(r.code for r in aq.list_persons(session=session, user=w[user], now=NOW))

    assert listed("off1") == ["P1", "P2", "P5", "P6"]  # G1's persons
    assert listed("off1b") == ["P2", "P3"]  # G1B's P3 and P2, whom they help though P2 lives in G1
    assert listed("off2") == ["P4"]
    assert listed("coord") == listed("admin") == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert {r.name for r in aq.list_persons(session=session, user=w["off2"], now=NOW)} == {"帮扶P4"}
    for leader in ("lead", "city"):
        with pytest.raises(PermissionDenied):
            aq.list_persons(session=session, user=w[leader], now=NOW)
        with pytest.raises(PermissionDenied):
            aq.open_file(session=session, user=w[leader], person_id=w["P1"].id, now=NOW)
    with pytest.raises(PermissionDenied):
        aq.open_file(session=session, user=w["off2"], person_id=w["P1"].id, now=NOW)
    # leaders see counts: D1 has P1 P2 P3 P5 P6, high now P1 P2 P3, visited in 7 days P1 P3
    counts = aq.unit_counts(session=session, user=w["lead"], now=NOW)
    assert [(c.code, c.persons, c.high, c.high_visited) for c in counts] == [("D1", 5, 3, 2), ("S1", 5, 3, 2)]
    assert counts[0].weekly_rate == pytest.approx(200 / 3)


def test_opening_a_file_is_audited_without_the_name_and_the_id_stays_masked(session):
    w = world(session)
    f_ = aq.open_file(session=session, user=w["off1"], person_id=w["P1"].id, now=NOW)
    assert f_.name == "帮扶P1" and [r.new_level for r in f_.risk_history] == ["high"]
    rows = session.exec(select(AuditLog).where(AuditLog.action == "assisted.open")).all()
    assert [(r.username, r.entity_id) for r in rows] == [("off1", "P1")]
    assert "帮扶" not in (rows[0].detail or "")
    p6 = aq.open_file(session=session, user=w["coord"], person_id=w["P6"].id, now=NOW)
    assert [(r.old_level, r.new_level) for r in p6.risk_history] == [(None, "high"), ("high", "low")]


def test_overdue_weekly_visits_for_my_work(session):
    w = world(session)
    # off1 at 03-07 12:00: P2 never visited (due 01-08) → overdue; P1 last 03-01 10:00 → due 03-08 10:00,
    # within two days → due; P6 is low now
    got = aq.due_visits(session=session, user=w["off1"], now=NOW)
    assert [(d.person_code, d.overdue) for d in got] == [("P2", True), ("P1", False)]
    # off1b helps P2; P3 (visited 03-05) is due 03-12, not within two days
    assert [d.person_code for d in aq.due_visits(session=session, user=w["off1b"], now=NOW)] == ["P2"]
    assert aq.due_visits(session=session, user=w["lead"], now=NOW) == []


def test_register_rules(session):
    w = world(session)
    hh = f.household(session, w["g2"])
    r = Resident(household_id=hh.id, name="王某")
    session.add(r)
    session.flush()
    kw = dict(session=session, resident_id=r.id, group="released_prisoner", risk_level="medium", registered_on=REG,
              now=NOW)
    with pytest.raises(PermissionDenied):  # G2 is not in off1's scope
        sv.register(user=w["off1"], **kw)
    with pytest.raises(PermissionDenied):  # leaders do not write
        sv.register(user=w["lead"], **kw)
    with pytest.raises(ValidationError) as e:  # a helper from another community
        sv.register(user=w["admin"], helper_id=w["off1"].id, **kw)
    assert e.value.code == "scope"
    with pytest.raises(ValidationError) as e:
        sv.register(user=w["admin"], helper_id=w["coord"].id, **kw)
    assert e.value.code == "not_officer"
    p = sv.register(user=w["off2"], helper_id=w["off2"].id, **kw)
    assert (p.grid_id, p.household_id) == (w["g2"].id, hh.id)
    with pytest.raises(ValidationError) as e:  # one file per person
        sv.register(user=w["admin"], **kw)
    assert e.value.code == "already_registered"
    # nothing personal is copied: the register holds the resident's id only
    cols = set(AssistedPerson.__table__.columns.keys()) | set(AssistedRiskChange.__table__.columns.keys())
    assert not cols & {"name", "id_number", "id_number_enc", "phone", "phone_enc"}
