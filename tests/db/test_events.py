"""Grid events and hazards on the clock (data_access.fieldwork.events), SQLite and PostgreSQL.

Every expected number is worked out by hand in the comments from the small dataset each test
writes; the limits are the defaults of indicators.md (emergency 5 min, urgent 15 min, general
2 h; hazards 24 h general / 48 h major) unless a test changes them.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

import factories as f
from data_access.analytics import kpi_queries as kq
from data_access.core.errors import ConcurrentEdit, InvalidTransition, PermissionDenied, ValidationError
from data_access.core.models import AuditLog, Setting
from data_access.fieldwork import events as ev
from data_access.fieldwork.models import GridEvent, VisitAnswer

T0 = datetime(2025, 3, 3, 9, 0)


def city(s):
    c = f.unit(s, "C")
    d1, d2 = f.unit(s, "D1", c), f.unit(s, "D2", c)
    _, cm1, g1 = f.chain(s, d1, "S1", "CM1", "G1")
    _, _, g2 = f.chain(s, d2, "S2", "CM2", "G2")
    off1, off2 = f.officer(s, g1, "off1"), f.officer(s, g2, "off2")
    lead = f.officer(s, d1, "lead1", role="district_leader")
    s.flush()
    return dict(c=c, d1=d1, d2=d2, cm1=cm1, g1=g1, g2=g2, off1=off1, off2=off2, lead=lead)


def report(s, w, grid, tier, at, **kw):
    user = w["off1"] if grid is w["g1"] else w["off2"]
    return ev.report_event(session=s, user=user, grid_id=grid.id, tier=tier, category="dispute", channel="grid_worker",
                           now=at, **kw)


def step(s, user, e, action, at, note=None):
    return ev.event_step(session=s, user=user, event_id=e.id, action=action, expected_version=e.version, now=at,
                         note=note)


def test_limits_default_and_from_the_setting(session):
    lim = ev.limits(session=session)
    assert lim["emergency"] == timedelta(minutes=5) and lim["urgent"] == timedelta(minutes=15)
    assert lim["general"] == timedelta(hours=2) and lim["hazard_major"] == timedelta(hours=48)
    session.add(Setting(key="time_limits", value=json.dumps({"urgent": 10, "general": -3, "bogus": 1})))
    session.flush()
    lim = ev.limits(session=session)
    assert lim["urgent"] == timedelta(minutes=10)
    assert lim["general"] == timedelta(hours=2)  # a non-positive limit is ignored


def test_an_event_gets_its_tier_clock_history_and_audit(session):
    w = city(session)
    e = report(session, w, w["g1"], "urgent", T0, created_at=T0 - timedelta(minutes=3))
    assert e.status == "open" and e.due_at == T0 + timedelta(minutes=12)  # created 8:57 + 15 min
    assert e.created_month == 202503
    # 9:10 accept: the response, 13 minutes after creation → in time
    e = step(session, w["off1"], e, "accept", T0 + timedelta(minutes=10))
    assert e.responded_at == T0 + timedelta(minutes=10) and e.response_seconds == 13 * 60
    e = step(session, w["off1"], e, "resolve", T0 + timedelta(hours=1), note="调解完成")
    e = step(session, w["off1"], e, "confirm", T0 + timedelta(hours=2))
    assert e.status == "confirmed" and e.confirmed_at == T0 + timedelta(hours=2)
    # the response time stays that of the first step
    assert e.response_seconds == 13 * 60
    hist = ev.event_history(session=session, user=w["off1"], event_id=e.id)
    assert [(h.action, h.from_status, h.to_status) for h in hist] == [
        ("create", None, "open"), ("accept", "open", "accepted"), ("resolve", "accepted", "resolved"),
        ("confirm", "resolved", "confirmed")]
    actions = session.exec(select(AuditLog.action).where(AuditLog.entity_id == e.code)).all()
    assert sorted(actions) == ["event.accept", "event.confirm", "event.create", "event.resolve"]


def test_event_rules(session):
    w = city(session)
    e = report(session, w, w["g1"], "general", T0)
    with pytest.raises(InvalidTransition):
        step(session, w["off1"], e, "confirm", T0)
    with pytest.raises(ValidationError) as err:
        step(session, w["off1"], e, "withdraw", T0)  # a withdrawal needs a reason
    assert err.value.code == "required"
    with pytest.raises(PermissionDenied):  # off2's grid is G2
        step(session, w["off2"], e, "accept", T0)
    with pytest.raises(ValidationError):
        report(session, w, w["g1"], "someday", T0)
    with pytest.raises(ValidationError) as err:
        report(session, w, w["g1"], "general", T0, created_at=T0 + timedelta(minutes=1))
    assert err.value.code == "future"
    # a household of another grid cannot be named
    hh2 = f.household(session, w["g2"])
    with pytest.raises(ValidationError):
        report(session, w, w["g1"], "general", T0, household_id=hh2.id)


def test_a_concurrent_change_is_refused_and_the_first_stays(session):
    w = city(session)
    e = report(session, w, w["g1"], "general", T0)
    seen = e.version
    ev.event_step(session=session, user=w["off1"], event_id=e.id, action="accept", expected_version=seen,
                  now=T0 + timedelta(minutes=5))
    with pytest.raises(ConcurrentEdit):
        ev.event_step(session=session, user=w["lead"], event_id=e.id, action="withdraw", expected_version=seen,
                      now=T0 + timedelta(minutes=6), note="重复上报")
    assert session.get(GridEvent, e.id).status == "accepted"


def test_a_double_submit_writes_one_event(session):
    w = city(session)
    a = report(session, w, w["g1"], "urgent", T0, client_token="tok-1")
    b = report(session, w, w["g1"], "urgent", T0 + timedelta(seconds=1), client_token="tok-1")
    assert a.id == b.id
    assert len(session.exec(select(GridEvent)).all()) == 1


@pytest.mark.parametrize(("minutes_after", "late", "near", "escalation"), [
    (10, False, False, None),          # 10 of 15 min used: 5 left > 3 (a fifth of 15)
    (12, False, True, None),           # 3 min left ≤ 3: near
    (16, True, False, "station"),      # 1 min past the limit
    (30, True, False, "station"),      # exactly twice the limit: still the station's
    (31, True, False, "district"),     # past twice its limit
])
def test_the_clock_and_escalation(minutes_after, late, near, escalation):
    start = T0
    c = ev.clock(start, start + timedelta(minutes=15), None, start + timedelta(minutes=minutes_after))
    assert (c.late, c.near, c.escalation) == (late, near, escalation)
    assert c.remaining == timedelta(minutes=15 - minutes_after)


def test_a_response_stops_the_clock():
    c = ev.clock(T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=7), T0 + timedelta(hours=5))
    assert c.done and c.late and c.escalation is None and c.remaining == timedelta(minutes=-2)


def march_events(session, w) -> None:
    """The events a–g of test_event_response_in_time_by_hand (its docstring has them by hand)."""
    a = report(session, w, w["g1"], "urgent", T0)
    step(session, w["off1"], a, "accept", T0 + timedelta(minutes=10))
    b = report(session, w, w["g1"], "urgent", T0)
    step(session, w["off1"], b, "accept", T0 + timedelta(minutes=20))
    report(session, w, w["g1"], "general", T0)
    report(session, w, w["g1"], "general", datetime(2025, 3, 10, 11, 0))
    e = report(session, w, w["g1"], "emergency", T0)
    step(session, w["off1"], e, "withdraw", T0 + timedelta(minutes=1), note="误报")
    fe = report(session, w, w["g1"], "emergency", datetime(2025, 3, 10, 11, 58))
    step(session, w["off1"], fe, "accept", datetime(2025, 3, 10, 12, 1))
    g = report(session, w, w["g2"], "general", datetime(2025, 3, 5, 8, 0))
    step(session, w["off2"], g, "accept", datetime(2025, 3, 5, 9, 0))


def test_event_response_in_time_by_hand(session):
    """Events in March 2025; as_of = 2025-03-10 12:00.

    D1 (grid G1):
      a  urgent  created 3 Mar 9:00, accepted 9:10            → in time (10 ≤ 15 min)
      b  urgent  created 3 Mar 9:00, accepted 9:20            → late (20 > 15)
      c  general created 3 Mar 9:00, never answered           → limit 11:00 passed → late
      d  general created 10 Mar 11:00, not answered by 12:00  → limit 13:00 not passed: not counted yet
      e  emergency created 3 Mar 9:00, withdrawn              → excluded
      f  emergency created 10 Mar 11:58, accepted 12:01       → answered after as_of, limit 12:03 not passed:
                                                                not counted yet
    D2 (grid G2):
      g  general created 5 Mar 8:00, accepted 9:00             → in time
    → D1: 1 of 3 (33.3 %), D2: 1 of 1; per tier in D1: urgent 1 of 2, general 0 of 1.
    """
    w = city(session)
    as_of = datetime(2025, 3, 10, 12, 0)
    march_events(session, w)
    session.flush()
    start, end = datetime(2025, 3, 1), datetime(2025, 3, 31, 23, 59, 59)
    got = ev.in_time_counts(session, kind="event", unit_col="district_id", unit_ids=[w["d1"].id, w["d2"].id],
                            start=start, end=end, as_of=as_of)
    assert got[w["d1"].id] == ev.InTime(1, 3)
    assert got[w["d2"].id] == ev.InTime(1, 1)
    urgent = ev.in_time_counts(session, kind="event", unit_col="district_id", unit_ids=[w["d1"].id],
                               start=start, end=end, as_of=as_of, tier="urgent")
    assert urgent[w["d1"].id] == ev.InTime(1, 2)
    general = ev.in_time_counts(session, kind="event", unit_col="district_id", unit_ids=[w["d1"].id],
                                start=start, end=end, as_of=as_of, tier="general")
    assert general[w["d1"].id] == ev.InTime(0, 1)
    # a day later the general event d (limit 13:00) has passed its limit unanswered: 1 of 4;
    # f was answered at 12:01 ≤ 12:03: 2 of 5 in the city-wide count of D1
    later = ev.in_time_counts(session, kind="event", unit_col="district_id", unit_ids=[w["d1"].id],
                              start=start, end=end, as_of=datetime(2025, 3, 11, 12, 0))
    assert later[w["d1"].id] == ev.InTime(2, 5)


def test_response_median_and_p90_by_hand(session):
    """Response times 10, 20, 30, 40 and 100 minutes in D1: median (nearest rank, ceil(0.5 × 5) = 3rd)
    30 min, p90 (ceil(0.9 × 5) = 5th) 100 min; an unanswered event does not count. An urgent event
    answered in 7 min: the urgent tier alone 7 / 7, all tiers together six times."""
    w = city(session)
    for m in (40, 10, 100, 30, 20):
        e = report(session, w, w["g1"], "general", T0)
        step(session, w["off1"], e, "accept", T0 + timedelta(minutes=m))
    report(session, w, w["g1"], "general", T0)
    e = report(session, w, w["g1"], "urgent", T0)
    step(session, w["off1"], e, "accept", T0 + timedelta(minutes=7))
    session.flush()
    span = (datetime(2025, 3, 1), datetime(2025, 3, 31, 23, 59), datetime(2025, 3, 31, 23, 59))
    q = kq.response_quantiles(session, kq.get_unit_by_id(session, w["d1"].id), *span)
    # all six: 7, 10, 20, 30, 40, 100 → median ceil(3) = 3rd = 20, p90 ceil(5.4) = 6th = 100
    assert q[None] == {0.5: 20.0, 0.9: 100.0}
    assert q["general"] == {0.5: 30.0, 0.9: 100.0}
    assert q["urgent"] == {0.5: 7.0, 0.9: 7.0}
    assert q["emergency"] == {0.5: None, 0.9: None}
    none = kq.response_quantiles(session, kq.get_unit_by_id(session, w["d2"].id), *span)
    assert none[None] == {0.5: None, 0.9: None}


def test_hazards_from_a_visit_and_on_their_own_by_hand(session):
    """Hazards in D1, as_of 2025-03-06 12:00:
      v  from the visit of 3 Mar 9:00 (fire hazard answered yes), general → due 4 Mar 9:00,
         rectified 4 Mar 8:00 → in time
      m  major, found 3 Mar 10:00 → due 5 Mar 10:00, rectified 5 Mar 11:00 → late
      o  general, found 6 Mar 9:00 → due 7 Mar 9:00, open → not counted yet
    → 1 of 2."""
    w = city(session)
    hh = f.household(session, w["g1"])
    visit = f.visit(session, hh, w["off1"], T0)
    session.add(VisitAnswer(visit_id=visit.id, item_code="hz_fire", value="true"))
    session.add(VisitAnswer(visit_id=visit.id, item_code="hz_gas", value="false"))
    session.flush()
    with pytest.raises(ValidationError) as err:
        ev.hazard_from_visit(session=session, user=w["off1"], visit_id=visit.id, item_code="hz_gas",
                             level="general", now=T0)
    assert err.value.code == "no_hazard"
    v = ev.hazard_from_visit(session=session, user=w["off1"], visit_id=visit.id, item_code="hz_fire",
                             level="general", now=T0 + timedelta(hours=1))
    assert (v.found_at, v.due_at, v.household_id) == (T0, T0 + timedelta(hours=24), hh.id)
    again = ev.hazard_from_visit(session=session, user=w["off1"], visit_id=visit.id, item_code="hz_fire",
                                 level="general", now=T0 + timedelta(hours=2))
    assert again.id == v.id  # one click twice: one hazard
    with pytest.raises(ValidationError) as err:
        ev.rectify_hazard(session=session, user=w["off1"], hazard_id=v.id, expected_version=v.version,
                          now=datetime(2025, 3, 4, 8, 0), evidence=" ")
    assert err.value.code == "required"  # no closing without evidence
    ev.rectify_hazard(session=session, user=w["off1"], hazard_id=v.id, expected_version=v.version,
                      now=datetime(2025, 3, 4, 8, 0), evidence="已清理楼道堆物，照片存档 P-0304")
    with pytest.raises(ValidationError) as err:  # a major hazard an officer handles goes to a department
        ev.record_hazard(session=session, user=w["off1"], grid_id=w["g1"].id, level="major", handler="officer",
                         now=datetime(2025, 3, 3, 10, 0))
    m = ev.record_hazard(session=session, user=w["off1"], grid_id=w["g1"].id, level="major", handler="officer",
                         department="住建", now=datetime(2025, 3, 3, 10, 0))
    assert m.due_at == datetime(2025, 3, 5, 10, 0)
    ev.rectify_hazard(session=session, user=w["off1"], hazard_id=m.id, expected_version=m.version,
                      now=datetime(2025, 3, 5, 11, 0), evidence="燃气管道已更换")
    ev.record_hazard(session=session, user=w["off1"], grid_id=w["g1"].id, level="general",
                     now=datetime(2025, 3, 6, 9, 0))
    session.flush()
    got = ev.in_time_counts(session, kind="hazard", unit_col="district_id", unit_ids=[w["d1"].id],
                            start=datetime(2025, 3, 1), end=datetime(2025, 3, 31), as_of=datetime(2025, 3, 6, 12, 0))
    assert got[w["d1"].id] == ev.InTime(1, 2)
    major = ev.in_time_counts(session, kind="hazard", unit_col="district_id", unit_ids=[w["d1"].id],
                              start=datetime(2025, 3, 1), end=datetime(2025, 3, 31),
                              as_of=datetime(2025, 3, 6, 12, 0), tier="hazard_major")
    assert major[w["d1"].id] == ev.InTime(0, 1)


def test_open_cases_most_overdue_first_within_scope(session):
    w = city(session)
    now = T0 + timedelta(hours=3)
    a = report(session, w, w["g1"], "general", T0)                              # due 11:00: 1 h past
    report(session, w, w["g1"], "urgent", T0 + timedelta(hours=2, minutes=47))  # due 12:02: 2 min left
    report(session, w, w["g2"], "emergency", T0)                                # other district
    h = ev.record_hazard(session=session, user=w["off1"], grid_id=w["g1"].id, level="general", now=T0)  # due tomorrow
    session.flush()
    mine = ev.open_cases(session=session, user=w["lead"], now=now)
    assert [c.code for c in mine][:1] == [a.code]
    assert [c.kind for c in mine] == ["event", "event", "hazard"]
    assert mine[0].clock.escalation == "station" and mine[1].clock.near and mine[2].code == h.code
    escalated = ev.open_cases(session=session, user=w["lead"], now=now, escalated_only=True)
    assert [c.code for c in escalated] == [a.code]


def test_time_limit_summary_for_a_unit_and_its_children(session):
    """The city C with districts D1 and D2 (as_of 2025-03-31): D1 has an urgent event answered in
    10 min (in time) and one in 20 min (late), D2 a general event answered in 1 h (in time) and a
    general hazard rectified after 30 h (late). City: events 2 of 3, hazards 0 of 1; response times
    10, 20, 60 min → median 20, p90 (ceil(2.7) = 3rd) 60."""
    w = city(session)
    for minutes in (10, 20):
        e = report(session, w, w["g1"], "urgent", T0)
        step(session, w["off1"], e, "accept", T0 + timedelta(minutes=minutes))
    e = report(session, w, w["g2"], "general", T0)
    step(session, w["off2"], e, "accept", T0 + timedelta(hours=1))
    h = ev.record_hazard(session=session, user=w["off2"], grid_id=w["g2"].id, level="general", now=T0)
    ev.rectify_hazard(session=session, user=w["off2"], hazard_id=h.id, expected_version=h.version,
                      now=T0 + timedelta(hours=30), evidence="已整改")
    session.flush()
    own, kids = ev.time_limit_summary(session, unit_id=w["c"].id, start=datetime(2025, 1, 1),
                                      end=datetime(2025, 12, 31),
                                      as_of=datetime(2025, 3, 31))
    assert (own.events, own.hazards, own.median_min, own.p90_min) == (ev.InTime(2, 3), ev.InTime(0, 1), 20.0, 60.0)
    assert [(k.unit_id, k.events, k.hazards) for k in kids] == [
        (w["d1"].id, ev.InTime(1, 2), ev.InTime(0, 0)), (w["d2"].id, ev.InTime(1, 1), ev.InTime(0, 1))]


def test_the_time_limit_indicators_by_hand(session):
    """compute_casework on the events of test_event_response_in_time_by_hand, for the city C and its
    districts, March 2025 at as_of 2025-03-10 12:00 (rollout phase, target 90 set for the overall rate):

      event_response_in_time: D1 1 of 3 = 33.3 %, D2 1 of 1 = 100 %, C 2 of 4 = 50 %; gap C 90 − 50 = 40
      …_urgent: C 1 of 2; …_general: C 1 of 2 (D1's c late, D2's g in time); …_emergency: no case counted
      median / p90 of C (responded by as_of, not withdrawn): 10, 20, 60 min → 2nd = 20, 3rd = 60
      hazards in D1: general found 3 Mar 9:00 rectified 4 Mar 8:00 (in time), major found 3 Mar 9:00 open
      (due 5 Mar 9:00, passed) → 1 of 2 = 50 %; D2 none.
    """
    from metrics.casework import compute_casework

    w = city(session)
    as_of = datetime(2025, 3, 10, 12, 0)
    march_events(session, w)
    hz = ev.record_hazard(session=session, user=w["off1"], grid_id=w["g1"].id, level="general", now=T0)
    ev.rectify_hazard(session=session, user=w["off1"], hazard_id=hz.id, expected_version=hz.version,
                      now=datetime(2025, 3, 4, 8, 0), evidence="已清理楼道杂物，照片存档")
    ev.record_hazard(session=session, user=w["off1"], grid_id=w["g1"].id, level="major", now=T0)
    f.target(session, "event_response_in_time", "rollout", 90.0)
    session.flush()

    got = {(k.unit_code, k.indicator): k for k in compute_casework(session, unit_code="C", period="2025-03",
                                                                   as_of=as_of)}
    overall = got[("C", "event_response_in_time")]
    assert (overall.value, overall.n, overall.target, overall.gap) == (50.0, 4, 90.0, 40.0)
    assert (overall.median_min, overall.p90_min) == (20.0, 60.0)
    assert got[("D1", "event_response_in_time")].value == pytest.approx(100 / 3)
    assert got[("D1", "event_response_in_time")].gap == pytest.approx(90 - 100 / 3)
    assert (got[("D2", "event_response_in_time")].value, got[("D2", "event_response_in_time")].n) == (100.0, 1)
    assert (got[("C", "event_response_in_time_urgent")].value, got[("C", "event_response_in_time_urgent")].n) == (50.0, 2)
    # urgent: 10 and 20 min → median ceil(0.5 × 2) = 1st = 10, p90 ceil(0.9 × 2) = 2nd = 20
    assert (got[("C", "event_response_in_time_urgent")].median_min,
            got[("C", "event_response_in_time_urgent")].p90_min) == (10.0, 20.0)
    assert (got[("C", "event_response_in_time_general")].value, got[("C", "event_response_in_time_general")].n) == (
        50.0, 2)
    emergency = got[("C", "event_response_in_time_emergency")]
    assert (emergency.value, emergency.n, emergency.median_min) == (None, 0, None)
    hz_c, hz_d1, hz_d2 = (got[(u, "hazard_rectified_in_time")] for u in ("C", "D1", "D2"))
    assert (hz_c.value, hz_c.n, hz_d1.value, hz_d2.n) == (50.0, 2, 50.0, 0)
    assert hz_c.median_min is None  # quantiles are for events
    # children carry no quantiles; every row is computed and up
    assert got[("D1", "event_response_in_time")].median_min is None
    assert all(k.kind == "computed" and k.direction == "up" for k in got.values())
    # every registry indicator: the dashboards' call leaves the response times out, kpis --json asks
    from metrics.reported import compute_all
    dash = {(k.unit_code, k.indicator): k for k in compute_all(session, unit_code="C", period="2025-03", as_of=as_of)}
    assert dash[("C", "event_response_in_time")].value == 50.0
    assert dash[("C", "event_response_in_time")].median_min is None
    cli = {(k.unit_code, k.indicator): k for k in compute_all(session, unit_code="C", period="2025-03", as_of=as_of,
                                                             response_times=True)}
    assert (cli[("C", "event_response_in_time")].median_min, cli[("C", "event_response_in_time")].p90_min) == (20.0, 60.0)
