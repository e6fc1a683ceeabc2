"""Lag list, rectification ledger and security incidents (issue 15), SQLite and PostgreSQL.

Every expected number is worked out by hand in the comments from the small dataset each test
writes. Targets are the registry's city defaults of the rollout phase (2025) unless a test sets one:
og_dispute_resolution 90 % (up), cp_disabled_response_min 5 min (down), info_accuracy 92 % (up),
security_incident_in_time 100 % (up).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

import factories as f
from data_access.core.errors import ConcurrentEdit, InvalidTransition, PermissionDenied, ValidationError
from data_access.core.models import AuditLog
from data_access.programme import incidents as inc
from data_access.programme import lag, ledger
from data_access.programme.models import LagEntry, ReportedValue, VetoEvent
from metrics.lag import derive_lag
from metrics.service import compute_kpis

NOW = datetime(2025, 5, 6, 10, 0)


def city(s):
    c = f.unit(s, "C")
    d1, d2 = f.unit(s, "D1", c), f.unit(s, "D2", c)
    st1, cm1, g1 = f.chain(s, d1, "S1", "CM1", "G1")
    st2, cm2, g2 = f.chain(s, d2, "S2", "CM2", "G2")
    admin = f.officer(s, c, "admin1", role="admin")
    lead = f.officer(s, c, "lead", role="city_leader")
    dlead = f.officer(s, d1, "dlead1", role="district_leader")
    off = f.officer(s, g1, "off1")
    s.flush()
    return dict(c=c, d1=d1, d2=d2, st1=st1, st2=st2, g1=g1, g2=g2, admin=admin, lead=lead, dlead=dlead, off=off)


def reported(s, unit, code, period, value, entered=datetime(2025, 4, 5, 9, 0), status="entered"):
    y, m = map(int, period.split("-"))
    end = (date(y, m % 12 + 1, 1) if m < 12 else date(y + 1, 1, 1)) - timedelta(days=1)
    s.add(ReportedValue(indicator_code=code, org_unit_id=unit.id, period=period, period_end=end, value=value,
                        status=status, entered_at=entered, entered_by="x"))
    s.flush()


# --- lag list ----------------------------------------------------------------------------------

def test_reported_lag_in_both_directions_in_sql(session):
    w = city(session)
    # up, target 90: D1 76 → gap 14, 14/90 = 15.6 % > 15 % → lags; D2 77 → 13/90 = 14.4 % → not
    reported(session, w["d1"], "og_dispute_resolution", "2025-03", 76.0)
    reported(session, w["d2"], "og_dispute_resolution", "2025-03", 77.0)
    # down, target 5 min: D1 5.8 → gap 0.8, 0.8/5 = 16 % → lags; D2 5.7 → 14 % → not;
    # D2 4.0 on the up side of a down indicator → gap −1 → not
    reported(session, w["d1"], "cp_disabled_response_min", "2025-03", 5.8)
    reported(session, w["d2"], "cp_disabled_response_min", "2025-03", 5.7)
    # a returned value does not count (D2 50 on sa_released_employment, target 70, would lag)
    reported(session, w["d2"], "sa_released_employment", "2025-03", 50.0, status="returned")
    # a value entered after as_of does not exist yet (D2 5000 residents per officer, target 3500, would lag)
    reported(session, w["d2"], "sa_police_ratio", "2025-03", 5000.0, entered=NOW + timedelta(days=1))
    rows = lag.reported_candidates(session=session, month=202503, as_of=NOW)
    got = {(r.unit_id, r.indicator): (round(r.gap, 4), round(r.share, 4)) for r in rows}
    assert got == {(w["d1"].id, "og_dispute_resolution"): (14.0, round(14 / 90, 4)),
                   (w["d1"].id, "cp_disabled_response_min"): (0.8, 0.16)}


def test_a_units_own_target_wins_over_the_city_default(session):
    w = city(session)
    f.target(session, "og_dispute_resolution", "rollout", 80.0, w["d1"])
    # own target 80: 76 → 4/80 = 5 % → not lagging (the city's 90 would make it lag)
    reported(session, w["d1"], "og_dispute_resolution", "2025-03", 76.0)
    assert lag.reported_candidates(session=session, month=202503, as_of=NOW) == []


def spot_checks(s, grid, day, ok, bad):
    for k in range(ok + bad):
        hh = f.household(s, grid)
        f.check(s, hh, day, accurate=k < ok)


def test_derive_stores_the_month_counts_running_months_and_keeps_actions(session):
    w = city(session)
    # March: D1's grid 7 of 10 accurate = 70 % vs 92 → gap 22, 22/92 = 23.9 % → D1 and S1 lag;
    # D2's grid 9 of 10 = 90 % → 2/92 = 2.2 % → not
    spot_checks(session, w["g1"], date(2025, 3, 10), 7, 3)
    spot_checks(session, w["g2"], date(2025, 3, 10), 9, 1)
    # April: D1 7 of 10 again → lags a second month running; D2 9 of 10 → not
    spot_checks(session, w["g1"], date(2025, 4, 10), 7, 3)
    spot_checks(session, w["g2"], date(2025, 4, 10), 9, 1)
    session.commit()
    c = derive_lag(session, user=w["lead"], month=202503, now=NOW)
    assert c == {"lagging": 2, "added": 2, "removed": 0}
    c = derive_lag(session, user=w["lead"], month=202504, now=NOW)
    assert c["lagging"] == 2
    april = lag.list_lag(session=session, user=w["lead"], month=202504)
    assert {(e.unit_code, e.indicator, e.months_running) for e in april} == {
        ("D1", "info_accuracy", 2), ("S1", "info_accuracy", 2)}
    e = next(x for x in april if x.unit_code == "D1")
    assert e.actual == pytest.approx(70.0) and e.target == 92.0 and e.gap == pytest.approx(22.0)
    assert e.share == pytest.approx(22 / 92)
    # the district leader of D1 sees D1's subtree only; D2's leader would see none
    assert {x.unit_code for x in lag.list_lag(session=session, user=w["dlead"], month=202504)} == {"D1", "S1"}
    # record the interview on D1's entry (audited), then D1 improves in April and April is re-derived
    lag.record_action(session=session, user=w["lead"], entry_id=e.id, kind="interview", held_on=date(2025, 5, 5),
                      who="市局副局长 王某", note="约谈分局主要负责人", now=NOW)
    with pytest.raises(ValidationError) as ex:
        lag.record_action(session=session, user=w["lead"], entry_id=e.id, kind="interview",
                          held_on=date(2025, 5, 7), who="x", now=NOW)
    assert ex.value.code == "future"
    with pytest.raises(PermissionDenied):
        lag.record_action(session=session, user=w["off"], entry_id=e.id, kind="interview", held_on=date(2025, 5, 5),
                          who="x", now=NOW)
    spot_checks(session, w["g1"], date(2025, 4, 20), 30, 0)  # 37 of 40 = 92.5 % → met
    session.commit()
    c = derive_lag(session, user=w["lead"], month=202504, now=NOW)
    # S1 and D1 no longer lag; S1's entry is removed, D1's stays because an action was recorded on it
    assert c == {"lagging": 0, "added": 0, "removed": 1}
    left = session.exec(select(LagEntry).where(LagEntry.month == 202504)).all()
    assert [(x.org_unit_id, len(lag.list_lag(session=session, user=w["lead"], month=202504)[0].actions))
            for x in left] == [(w["d1"].id, 1)]
    actions = session.exec(select(AuditLog.action).where(AuditLog.action.like("lag.%"))).all()
    assert sorted(actions) == ["lag.derive", "lag.derive", "lag.derive", "lag.interview"]
    counts = lag.lag_counts(session=session, user=w["lead"], month=202503)
    assert counts == {"entries": 2, "units": 2, "running2": 0, "without_action": 2}


def test_an_unfinished_month_is_not_derived(session):
    w = city(session)
    with pytest.raises(ValidationError) as ex:
        derive_lag(session, user=w["lead"], month=202505, now=NOW)
    assert ex.value.code == "not_ended"


# --- rectification ledger -----------------------------------------------------------------------

def test_ledger_close_needs_evidence_overdue_first_and_versions(session):
    w = city(session)
    today = NOW.date()
    a = ledger.create_item(session=session, user=w["lead"], source="inspection", org_unit_id=w["d1"].id,
                           title="社区矫正帮扶覆盖率偏低", due=date(2025, 5, 20), now=NOW, client_token="t1")
    again = ledger.create_item(session=session, user=w["lead"], source="inspection", org_unit_id=w["d1"].id,
                               title="社区矫正帮扶覆盖率偏低", due=date(2025, 5, 20), now=NOW, client_token="t1")
    assert again.id == a.id  # a double submit writes once
    b = ledger.create_item(session=session, user=w["lead"], source="lag", source_ref="202504 D1 info_accuracy",
                           org_unit_id=w["d1"].id, title="信息准确率滞后", due=date(2025, 5, 1), now=NOW)
    c = ledger.create_item(session=session, user=w["lead"], source="hazard", org_unit_id=w["st2"].id,
                           title="消防通道堵塞", due=date(2025, 4, 20), now=NOW)
    # overdue first, longest overdue first: c (16 days), b (5 days), then a (due ahead)
    items = ledger.list_items(session=session, user=w["lead"], today=today)
    assert [(i.code, i.overdue, i.days_over) for i in items] == [(c.code, True, 16), (b.code, True, 5),
                                                                  (a.code, False, 0)]
    # no evidence → refused, nothing changes
    for ev in (None, "  ", "已改"):
        with pytest.raises(ValidationError) as ex:
            ledger.close(session=session, user=w["lead"], item_id=b.id, evidence=ev, expected_version=b.version,
                         now=NOW)
        assert ex.value.field == "evidence" and ex.value.code in ("required", "too_short")
    session.refresh(b)
    assert b.status == "open" and b.version == 1
    b = ledger.start(session=session, user=w["dlead"], item_id=b.id, expected_version=1, now=NOW)
    # a second user still holding version 1 is refused
    with pytest.raises(ConcurrentEdit):
        ledger.close(session=session, user=w["lead"], item_id=b.id, evidence="复查抽样 40 户全部一致",
                     expected_version=1, now=NOW)
    b = ledger.close(session=session, user=w["lead"], item_id=b.id, evidence="复查抽样 40 户全部一致",
                     expected_version=2, now=NOW)
    assert b.status == "closed" and b.closed_on == today and b.closed_by == "lead"
    with pytest.raises(InvalidTransition):
        ledger.close(session=session, user=w["lead"], item_id=b.id, evidence="再次", expected_version=3, now=NOW)
    # the district leader of D1 does not see S2's item and may not touch it
    assert {i.code for i in ledger.list_items(session=session, user=w["dlead"], today=today)} == {a.code, b.code}
    with pytest.raises(PermissionDenied):
        ledger.start(session=session, user=w["dlead"], item_id=c.id, expected_version=1, now=NOW)
    assert ledger.ledger_counts(session=session, user=w["lead"], today=today) == {"open": 2, "overdue": 1,
                                                                                  "closed": 1}
    assert sorted(session.exec(select(AuditLog.action).where(AuditLog.action.like("rect.%"))).all()) == [
        "rect.close", "rect.create", "rect.create", "rect.create", "rect.start"]


# --- security incidents -------------------------------------------------------------------------

def test_incident_clocks_by_hand():
    i = inc.SecurityIncident(code="x", org_unit_id=1, kind="intrusion", title="t", detected_at=datetime(2025, 3, 3, 9),
                             plan_due_at=datetime(2025, 3, 3, 10), trace_due_at=datetime(2025, 3, 4, 9),
                             rectify_due_at=datetime(2025, 3, 10, 9), created_by="x", created_at=NOW)
    assert inc.dues(datetime(2025, 3, 3, 9)) == (i.plan_due_at, i.trace_due_at, i.rectify_due_at)
    at = datetime(2025, 3, 3, 9, 30)
    assert [c.state for c in inc.clocks(i, at)] == ["running", "running", "running"]
    assert inc.in_time(i, at) is None  # not counted before its 7-day limit unless rectified
    i.plan_started_at = datetime(2025, 3, 3, 10, 0)  # exactly 1 h: in time
    i.trace_done_at = datetime(2025, 3, 4, 9, 1)  # 24 h 1 min: late
    assert [c.state for c in inc.clocks(i, datetime(2025, 3, 5))] == ["in_time", "late", "running"]
    assert inc.clocks(i, datetime(2025, 3, 11))[2].state == "overdue"
    assert inc.in_time(i, datetime(2025, 3, 11)) is False
    i.rectified_at = datetime(2025, 3, 9)
    assert inc.in_time(i, datetime(2025, 3, 9, 12)) is False  # counted once rectified; the trace was late


def test_incident_register_steps_indicator_and_veto(session):
    w = city(session)
    lead, d1, st1, st2 = w["lead"], w["d1"], w["st1"], w["st2"]

    def reg(unit, kind, at):
        return inc.register(session=session, user=lead, org_unit_id=unit.id, kind=kind, title="事件", detected_at=at,
                            now=NOW)

    def step(i, s, at, report=None):
        return inc.record_step(session=session, user=lead, incident_id=i.id, step=s, at=at,
                               expected_version=i.version, now=NOW, report=report)

    # A (S1, April): 0:40, 20 h, 6 days → all in time
    a = reg(st1, "intrusion", datetime(2025, 4, 1, 8))
    a = step(a, "plan", datetime(2025, 4, 1, 8, 40))
    a = step(a, "trace", datetime(2025, 4, 2, 4))
    a = step(a, "rectify", datetime(2025, 4, 7, 8), report="封堵漏洞并完成整改报告")
    assert a.status == "closed"
    # B (S1, April): plan 2 h → late; then trace and rectify in time → not in time
    b = reg(st1, "data_leak", datetime(2025, 4, 10, 9))
    b = step(b, "plan", datetime(2025, 4, 10, 11))
    b = step(b, "trace", datetime(2025, 4, 11, 8))
    b = step(b, "rectify", datetime(2025, 4, 15, 9), report="泄露源已封堵，涉事账号停用")
    # C (S2, April 20): never rectified; its 7-day limit (27th) has passed by NOW → counted, not in time
    c = reg(st2, "outage", datetime(2025, 4, 20, 9))
    c = step(c, "plan", datetime(2025, 4, 20, 9, 30))
    # D (S2, May 3): 7-day limit ahead of NOW (May 10) and not rectified → not counted
    reg(st2, "malware", datetime(2025, 5, 3, 9))
    # rules: steps in order, not in the future, the report is required, stale versions refused
    with pytest.raises(InvalidTransition):
        step(c, "rectify", datetime(2025, 4, 21), report="报告内容足够长了")
    with pytest.raises(ValidationError):
        step(c, "trace", NOW + timedelta(hours=1))
    with pytest.raises(ConcurrentEdit):
        inc.record_step(session=session, user=lead, incident_id=c.id, step="trace", at=datetime(2025, 4, 21),
                        expected_version=c.version - 1, now=NOW)
    c2 = step(c, "trace", datetime(2025, 4, 21, 8))
    with pytest.raises(ValidationError) as ex:
        step(c2, "rectify", datetime(2025, 4, 22), report=None)
    assert ex.value.field == "report"
    session.commit()
    # April, city: n = A, B, C = 3, k = A = 1 → 33.3 %; D1 (A, B) 1 of 2 = 50 %; D2 (C) 0 of 1 = 0 %
    kpis = {(k.unit_code, k.indicator): k for k in compute_kpis(session, unit_code="C", period="2025-04", as_of=NOW)}
    got = kpis[("C", "security_incident_in_time")]
    assert (got.n, round(got.value, 1), got.target) == (3, 33.3, 100.0)
    assert (kpis[("D1", "security_incident_in_time")].n, kpis[("D1", "security_incident_in_time")].value) == (2, 50.0)
    assert (kpis[("D2", "security_incident_in_time")].n, kpis[("D2", "security_incident_in_time")].value) == (1, 0.0)
    # May: D is not counted yet → no data
    may = {(k.unit_code, k.indicator): k for k in compute_kpis(session, unit_code="C", period="2025-05", as_of=NOW)}
    assert may[("C", "security_incident_in_time")].value is None
    # B was a data leak: confirming it gives S1 a confirmed veto event → D1's score is flagged vetoed
    with pytest.raises(PermissionDenied):
        inc.confirm_leak(session=session, user=w["dlead"], incident_id=b.id, expected_version=b.version, now=NOW)
    with pytest.raises(InvalidTransition):
        inc.confirm_leak(session=session, user=lead, incident_id=a.id, expected_version=a.version, now=NOW)
    b = inc.confirm_leak(session=session, user=lead, incident_id=b.id, expected_version=b.version, now=NOW)
    veto = session.get(VetoEvent, b.veto_event_id)
    assert (veto.org_unit_id, veto.occurred_on, veto.kind, veto.confirmed) == (st1.id, date(2025, 4, 10),
                                                                               "privacy_breach", True)
    session.commit()
    kpis = {(k.unit_code, k.indicator): k for k in compute_kpis(session, unit_code="C", period="2025-04", as_of=NOW)}
    assert "vetoed" in kpis[("D1", "assessment_score")].flags
    assert "vetoed" not in kpis[("D2", "assessment_score")].flags
    views = inc.list_incidents(session=session, user=w["dlead"], now=NOW)
    assert {v.code for v in views} == {a.code, b.code} and all(v.unit_code == "S1" for v in views)
    assert d1.id  # the district leader's scope is D1
