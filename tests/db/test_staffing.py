"""Staff roster, staffing rules, officer presence, joint meetings and the staffing indicators
(data_access.staffing, metrics.staffing), SQLite and PostgreSQL.

One small world, every expected number worked out by hand in the comments:

    C → D1 → S1 → CM1 → G1 (urban, key area), G2 (rural)
                  CM2 → G3 (no profile → urban)

    A  officer, full time, certified 2025-01-10, user ua; G1 lead from 2025-02-01, G2 from 2025-03-01
    B  officer, full time, NOT certified, user ub; G3 from 2025-01-01
    X1 auxiliary, certified 2024-06-01; G2 from 2025-01-01
    X2 auxiliary, certified 2025-03-20; G1 from 2025-01-01
    W1, W2 grid workers, full time, certified 2024-01-01; G1, G2 from 2025-01-01
    W3 grid worker, part time, certified 2024-01-01; G3 from 2025-01-01
"""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlmodel import select

import factories as f
from data_access.core.errors import ConcurrentEdit, PermissionDenied, ValidationError
from data_access.core.models import AuditLog
from data_access.fieldwork import records
from data_access.fieldwork.models import Resident, Visit
from data_access.staffing import meetings, presence, roster
from data_access.staffing.models import JointMeeting, OfficeSession, Staff
from metrics.staffing import compute_staffing

NOW = datetime(2025, 4, 10, 12, 0)


def world(s):
    c = f.unit(s, "C")
    d1 = f.unit(s, "D1", c)
    s1, cm1, g1 = f.chain(s, d1, "S1", "CM1", "G1")
    g2 = f.unit(s, "G2", cm1)
    cm2 = f.unit(s, "CM2", s1)
    g3 = f.unit(s, "G3", cm2)
    admin = f.officer(s, c, "admin1", role="admin")
    ua, ub, uc = f.officer(s, g1, "ua"), f.officer(s, g3, "ub"), f.officer(s, g1, "uc")
    roster.save_grid_profile(session=s, user=admin, now=NOW, grid_id=g1.id, area_type="urban", key_area=True)
    roster.save_grid_profile(session=s, user=admin, now=NOW, grid_id=g2.id, area_type="rural", key_area=False)

    def person(code, kind, unit, cert_on=None, user=None, full_time=True):
        return roster.save_staff(session=s, user=admin, now=NOW, code=code, name=f"姓名{code}", staff_type=kind,
                                 unit_id=unit.id, full_time=full_time, certified=cert_on is not None,
                                 certified_on=cert_on, user_id=user.id if user else None)

    a = person("A", "officer", s1, date(2025, 1, 10), ua)
    b = person("B", "officer", s1, None, ub)
    x1 = person("X1", "auxiliary", cm1, date(2024, 6, 1))
    x2 = person("X2", "auxiliary", cm1, date(2025, 3, 20))
    w1 = person("W1", "grid_worker", cm1, date(2024, 1, 1))
    w2 = person("W2", "grid_worker", cm1, date(2024, 1, 1))
    w3 = person("W3", "grid_worker", cm2, date(2024, 1, 1), full_time=False)

    def assign(p, g, start, lead=False):
        return roster.save_assignment(session=s, user=admin, now=NOW, staff_id=p.id, grid_id=g.id, start_on=start,
                                      lead=lead)

    assign(a, g1, date(2025, 2, 1), lead=True)
    assign(a, g2, date(2025, 3, 1))
    assign(b, g3, date(2025, 1, 1))
    assign(x1, g2, date(2025, 1, 1))
    assign(x2, g1, date(2025, 1, 1))
    assign(w1, g1, date(2025, 1, 1))
    assign(w2, g2, date(2025, 1, 1))
    assign(w3, g3, date(2025, 1, 1))
    s.flush()
    return dict(c=c, d1=d1, s1=s1, cm1=cm1, cm2=cm2, g1=g1, g2=g2, g3=g3, admin=admin, ua=ua, ub=ub, uc=uc,
                a=a, b=b, x1=x1, x2=x2)


_n = iter(range(1, 10_000))


def visit(s, grid, off, at, minutes):
    hh = f.household(s, grid)
    v = Visit(code=f"V{next(_n)}", client_token=f"t{next(_n)}", household_id=hh.id, officer_id=off.id, visited_at=at,
              id_shown=True, bodycam_on=True, entered_at=at, duration_min=minutes)
    return records.add_visit(session=s, visit=v)[0]


def sessions_and_visits(s, w):
    visit(s, w["g1"], w["ua"], datetime(2025, 3, 3, 10), 120)  # Mon
    visit(s, w["g1"], w["ua"], datetime(2025, 3, 4, 10), None)  # no duration: 0
    visit(s, w["g1"], w["ua"], datetime(2025, 3, 8, 10), 60)  # Saturday: not a working day
    visit(s, w["g3"], w["ub"], datetime(2025, 3, 31, 10), 90)  # Mon
    visit(s, w["g3"], w["ub"], datetime(2025, 4, 1, 10), 200)  # after the period
    visit(s, w["g1"], w["uc"], datetime(2025, 3, 3, 9), 300)  # uc is on no roster: not counted
    for start, end in ((datetime(2025, 3, 4, 9), datetime(2025, 3, 4, 12)),  # 180 min, week 10
                       (datetime(2025, 3, 5, 14), datetime(2025, 3, 5, 15, 30)),  # 90 min, week 10
                       (datetime(2025, 3, 11, 9), datetime(2025, 3, 11, 10))):  # 60 min, week 11
        presence.log_office_hours(session=s, user=w["ua"], grid_id=w["g2"].id, started_at=start, ended_at=end,
                                  now=datetime(2025, 3, 31, 20))


def values(kpis):
    return {(k.unit_code, k.indicator): (k.value, k.n) for k in kpis}


def test_staffing_indicators_by_hand_month_ended(session):
    w = world(session)
    sessions_and_visits(session, w)
    meetings.record_meeting(session=session, user=w["admin"], community_id=w["cm1"].id, held_on=date(2025, 3, 15),
                            attendees="民警A、网格员W1、物业", now=NOW)
    meetings.record_meeting(session=session, user=w["admin"], community_id=w["cm2"].id, held_on=date(2025, 4, 2),
                            attendees="网格员W3", now=NOW)  # April: outside the period
    kpis = compute_staffing(session, unit_code="S1", period="2025-03", as_of=date(2025, 4, 10))
    assert [k.unit_code for k in kpis][::8] == ["S1", "CM1", "CM2"]  # U first, then its children
    v = values(kpis)
    # on 2025-03-31: G1 (A), G2 (A, X1) covered; G3 only uncertified B → 2/3
    assert v[("S1", "og_grid_police_coverage")] == (66.6667, 3)
    assert v[("CM1", "og_grid_police_coverage")] == (100.0, 2)
    assert v[("CM2", "og_grid_police_coverage")] == (0.0, 1)
    # urban grids G1 (A) and G3 (none certified) → 1/2
    assert v[("S1", "og_urban_grid_officer")] == (50.0, 2)
    assert v[("CM2", "og_urban_grid_officer")] == (0.0, 1)
    # on post: A B X1 X2 W1 W2 W3 = 7, certified all but B = 6; CM1 5/5; CM2 W3 of B, W3
    assert v[("S1", "og_certified_on_post")] == (85.7143, 7)
    assert v[("CM1", "og_certified_on_post")] == (100.0, 5)
    assert v[("CM2", "og_certified_on_post")] == (50.0, 2)
    # March 2025 has 21 working days; A (CM1) and B (CM2) 21 officer-days each
    # CM1: 120 + 0 + 180 + 90 + 60 = 450 min = 7.5 h (Saturday and uc's visit left out); CM2: 90 min
    assert v[("S1", "og_officer_daily_visit_h")] == (round(9 / 42, 4), 42)
    assert v[("CM1", "og_officer_daily_visit_h")] == (round(7.5 / 21, 4), 21)
    assert v[("CM2", "og_officer_daily_visit_h")] == (round(1.5 / 21, 4), 21)
    assert v[("S1", "og_grid_daily_police_h")] == (round(9 / 63, 4), 63)
    assert v[("CM1", "og_grid_daily_police_h")] == (round(7.5 / 42, 4), 42)
    # complete weeks Mar 3–9 … Mar 24–30 = 4; one rural grid (G2); 3 sessions → 0.75
    assert v[("S1", "og_rural_onsite_week")] == (0.75, 4)
    assert v[("CM2", "og_rural_onsite_week")] == (None, 0)
    # March ended: CM1 met, CM2 did not → 1 of 2 community-months
    assert v[("S1", "og_monthly_meeting")] == (50.0, 2)
    assert v[("CM2", "og_monthly_meeting")] == (0.0, 1)
    # CM1: W1, W2 full time and certified; CM2: W3 part time → 1/2
    assert v[("S1", "sa_grid_worker_staffing")] == (50.0, 2)
    by = {(k.unit_code, k.indicator): k for k in kpis}
    k = by[("S1", "og_officer_daily_visit_h")]  # rollout target 3 h, higher is better
    assert k.kind == "computed" and k.target == 3.0 and k.gap == pytest.approx(3 - 0.2143)
    assert k.status == "too_early"
    k = by[("CM1", "og_monthly_meeting")]
    assert k.target == 100.0 and k.gap == 0.0 and k.status == "met"
    assert by[("S1", "og_grid_police_coverage")].target is None  # only a deepening target
    assert by[("S1", "og_grid_police_coverage")].status == "no_target"


def test_staffing_indicators_mid_month(session):
    w = world(session)
    sessions_and_visits(session, w)
    v = values(compute_staffing(session, unit_code="S1", period="2025-03", as_of=date(2025, 3, 5), children=False))
    # ended working days Mar 3, 4, 5: A and B 3 officer-days each; 120 + 180 + 90 min = 6.5 h
    assert v[("S1", "og_officer_daily_visit_h")] == (round(6.5 / 6, 4), 6)
    assert v[("S1", "og_rural_onsite_week")] == (None, 0)  # no complete week yet
    assert v[("S1", "og_monthly_meeting")] == (None, 0)  # no month over yet
    # on Mar 5 X2 is not certified yet: A X1 W1 W2 W3 of 7
    assert v[("S1", "og_certified_on_post")] == (71.4286, 7)
    assert v[("S1", "og_grid_police_coverage")] == (66.6667, 3)


def test_kpis_cli_lists_the_staffing_indicators(session):
    from metrics.reported import compute_all

    world(session)
    rows = compute_all(session, unit_code="S1", period="2025-03", as_of=date(2025, 4, 10), children=False)
    kinds = {k.indicator: k.kind for k in rows}
    assert kinds["og_certified_on_post"] == "computed" and kinds["og_monthly_meeting"] == "computed"
    assert sum(1 for k in rows if k.indicator == "og_certified_on_post") == 1  # not also as reported


def test_staffing_rules_per_grid_and_community(session):
    w = world(session)
    hh = f.household(session, w["g3"])
    session.add_all([Resident(household_id=hh.id, name="甲"), Resident(household_id=hh.id, name="乙")])
    session.flush()
    found = {(b.unit_code, b.rule): b.detail for b in
             roster.grid_breaches(session=session, user=w["admin"], day=date(2025, 3, 31))}
    assert sorted(found) == [
        ("CM2", "grid_workers_lt2"), ("CM2", "residents_per_officer"),
        ("G2", "no_lead"), ("G2", "rural_one_plus_two"),
        ("G3", "no_lead"), ("G3", "no_police"), ("G3", "uncertified_on_post"), ("G3", "urban_no_officer")]
    assert found[("G2", "rural_one_plus_two")]["auxiliaries"] == 1
    assert found[("CM2", "residents_per_officer")]["residents"] == 2
    # on Mar 10 X2 is not certified: G1 (key area) lacks its auxiliary and has an uncertified person
    early = {(b.unit_code, b.rule) for b in roster.grid_breaches(session=session, user=w["admin"],
                                                                  day=date(2025, 3, 10))}
    assert ("G1", "key_area_aux") in early and ("G1", "uncertified_on_post") in early


def test_lead_officer_rules_and_concurrent_edit(session):
    w = world(session)
    adm = w["admin"]
    with pytest.raises(ValidationError) as e:  # B is not certified
        roster.save_assignment(session=session, user=adm, now=NOW, staff_id=w["b"].id, grid_id=w["g3"].id,
                               start_on=date(2025, 3, 1), lead=True)
    assert e.value.code == "not_certified"
    with pytest.raises(ValidationError) as e:
        roster.save_assignment(session=session, user=adm, now=NOW, staff_id=w["x1"].id, grid_id=w["g2"].id,
                               start_on=date(2025, 3, 1), lead=True)
    assert e.value.code == "officer_only"
    with pytest.raises(ValidationError) as e:  # A certified 2025-01-10, lead from before that
        roster.save_assignment(session=session, user=adm, now=NOW, staff_id=w["a"].id, grid_id=w["g2"].id,
                               start_on=date(2025, 1, 1), lead=True)
    assert e.value.code == "not_certified"
    c = roster.save_staff(session=session, user=adm, now=NOW, code="C9", name="丙", staff_type="officer",
                          unit_id=w["s1"].id, certified=True, certified_on=date(2024, 1, 1))
    with pytest.raises(ValidationError) as e:  # G1 already has A as lead
        roster.save_assignment(session=session, user=adm, now=NOW, staff_id=c.id, grid_id=w["g1"].id,
                               start_on=date(2025, 3, 1), lead=True)
    assert e.value.code == "lead_taken"
    a = w["a"]
    with pytest.raises(ValidationError) as e:  # the lead cannot lose the certificate
        roster.save_staff(session=session, user=adm, now=NOW, staff_id=a.id, expected_version=a.version, code="A",
                          name=a.name, staff_type="officer", unit_id=a.unit_id, certified=False)
    assert e.value.code == "lead_needs_certified_officer"
    v = a.version
    roster.save_staff(session=session, user=adm, now=NOW, staff_id=a.id, expected_version=v, code="A", name="新名字",
                      staff_type="officer", unit_id=a.unit_id, certified=True, certified_on=date(2025, 1, 10),
                      user_id=w["ua"].id)
    with pytest.raises(ConcurrentEdit):
        roster.save_staff(session=session, user=adm, now=NOW, staff_id=a.id, expected_version=v, code="A",
                          name="别的名字", staff_type="officer", unit_id=a.unit_id, certified=True,
                          certified_on=date(2025, 1, 10), user_id=w["ua"].id)
    assert session.get(Staff, a.id).name == "新名字"
    with pytest.raises(ValidationError) as e:
        roster.save_staff(session=session, user=adm, now=NOW, code="Z", name="丁", staff_type="auxiliary",
                          unit_id=w["s1"].id, certified=True)  # no certification date
    assert e.value.field == "certified_on" and e.value.code == "required"
    with pytest.raises(PermissionDenied):
        roster.save_staff(session=session, user=w["ua"], now=NOW, code="Z", name="丁", staff_type="auxiliary",
                          unit_id=w["g1"].id)
    actions = session.exec(select(AuditLog.action).where(AuditLog.entity == "staff", AuditLog.entity_id == "A")).all()
    assert actions == ["staff.create", "staff.update"]


def test_roster_filters(session):
    w = world(session)
    rows = roster.roster(session=session, user=w["admin"], day=date(2025, 3, 31))
    assert len(rows) == 7
    a = next(r for r in rows if r.code == "A")
    assert a.grids == "G1*, G2" and a.username == "ua"
    assert [r.code for r in roster.roster(session=session, user=w["admin"], day=date(2025, 3, 31),
                                          certified=False)] == ["B"]
    assert {r.code for r in roster.roster(session=session, user=w["admin"], day=date(2025, 3, 31),
                                          staff_type="auxiliary")} == {"X1", "X2"}


def test_officer_weeks(session):
    w = world(session)
    sessions_and_visits(session, w)
    weeks = {(r.name, r.week): r for r in presence.officer_weeks(session=session, user=w["admin"],
                                                                day0=date(2025, 3, 1), day1=date(2025, 3, 31))}
    r = weeks[("姓名A", 202510)]
    # Mar 3: 2 h; Mar 4: 0 + 3 h; Mar 5: 1.5 h; Saturday's hour left out → 6.5 h over 5 working days
    assert (r.hours, r.working_days, r.days_3h, r.hours_per_day) == (6.5, 5, 1, 1.3)
    assert (r.rural_grids, r.rural_sessions, r.rural_ok, r.daily_ok) == (1, 2, True, False)
    r = weeks[("姓名A", 202511)]
    assert (r.rural_sessions, r.rural_ok) == (1, False)
    r = weeks[("姓名B", 202514)]  # Mar 31 only
    assert (r.hours, r.working_days, r.rural_ok) == (1.5, 1, None)
    r = weeks[("姓名A", 202509)]  # Mar 1–2: weekend only
    assert r.working_days == 0 and r.hours_per_day is None and r.daily_ok is None


def test_office_hours_validation_and_idempotency(session):
    w = world(session)
    now = datetime(2025, 3, 10, 18)
    for start, end, field, code in ((datetime(2025, 3, 10, 10), datetime(2025, 3, 10, 9), "ended_at", "before_start"),
                                    (datetime(2025, 3, 10, 17), datetime(2025, 3, 10, 19), "ended_at", "future"),
                                    (datetime(2025, 3, 9, 20), datetime(2025, 3, 10, 1), "ended_at", "same_day")):
        with pytest.raises(ValidationError) as e:
            presence.log_office_hours(session=session, user=w["ua"], grid_id=w["g1"].id, started_at=start,
                                      ended_at=end, now=now)
        assert (e.value.field, e.value.code) == (field, code)
    with pytest.raises(PermissionDenied):  # ub's scope is G3
        presence.log_office_hours(session=session, user=w["ub"], grid_id=w["g1"].id,
                                  started_at=datetime(2025, 3, 10, 9), ended_at=datetime(2025, 3, 10, 10), now=now)
    assert session.exec(select(OfficeSession)).all() == []
    kw = dict(session=session, user=w["ua"], grid_id=w["g1"].id, started_at=datetime(2025, 3, 10, 9),
              ended_at=datetime(2025, 3, 10, 11, 15), now=now, client_token="tok-1")
    s1 = presence.log_office_hours(**kw)
    s2 = presence.log_office_hours(**kw)
    assert s1.id == s2.id and s1.minutes == 135 and s1.week == 202511 and s1.day == date(2025, 3, 10)


def test_meetings_validation_and_missing_months(session):
    w = world(session)
    with pytest.raises(ValidationError) as e:
        meetings.record_meeting(session=session, user=w["admin"], community_id=w["cm1"].id,
                                held_on=date(2025, 3, 15), attendees="民警A", now=NOW,
                                tasks=[{"task": "排查出租屋", "owner": "W1"}, {"task": "巡查河道", "owner": ""}])
    assert (e.value.field, e.value.code) == ("tasks[1].owner", "required")
    with pytest.raises(ValidationError) as e:
        meetings.record_meeting(session=session, user=w["admin"], community_id=w["g1"].id,
                                held_on=date(2025, 3, 15), attendees="民警A", now=NOW)
    assert e.value.field == "community_id"
    assert session.exec(select(JointMeeting)).all() == []
    m = meetings.record_meeting(session=session, user=w["admin"], community_id=w["cm1"].id,
                                held_on=date(2025, 3, 15), attendees="民警A、网格员", risks="电动车充电", now=NOW,
                                tasks=[{"task": "排查出租屋", "owner": "W1"}, {"task": "", "owner": ""}])
    assert m.month == 202503 and '"owner": "W1"' in m.tasks
    rows = {r.code: r for r in meetings.meetings_by_community(
        session=session, user=w["admin"], months=[202502, 202503, 202504], ended={202502, 202503})}
    assert rows["CM1"].held == {202503: 1} and rows["CM1"].missing == [202502]
    assert rows["CM2"].missing == [202502, 202503]


def test_grid_profile_edit_is_version_checked_and_audited(session):
    w = world(session)
    adm = w["admin"]
    p = roster.save_grid_profile(session=session, user=adm, now=NOW, grid_id=w["g2"].id, area_type="urban",
                                 key_area=True, expected_version=1)
    assert (p.area_type, p.key_area, p.version) == ("urban", True, 2)
    with pytest.raises(ConcurrentEdit):
        roster.save_grid_profile(session=session, user=adm, now=NOW, grid_id=w["g2"].id, area_type="rural",
                                 key_area=False, expected_version=1)
    with pytest.raises(ValidationError) as e:
        roster.save_grid_profile(session=session, user=adm, now=NOW, grid_id=w["g2"].id, area_type="suburb",
                                 key_area=False, expected_version=2)
    assert e.value.field == "area_type"
    with pytest.raises(ValidationError):  # a community is not a grid
        roster.save_grid_profile(session=session, user=adm, now=NOW, grid_id=w["cm1"].id, area_type="urban",
                                 key_area=False)
    assert roster.profile_version(session=session, grid_id=w["g2"].id) == 2
    n = session.exec(select(AuditLog).where(AuditLog.action == "grid_profile.update",
                                            AuditLog.entity_id == "G2")).all()
    assert len(n) == 2  # created by the world, edited once


def presence_rows(s):
    from data_access.analytics.models import PresenceMonth
    return sorted((r.month, r.grid_id, r.officer_id, r.minutes) for r in s.exec(select(PresenceMonth)))


def test_presence_rollup_kept_by_visits_and_office_hours_as_rebuilt(session):
    """presence_month per month × grid × officer, working days only, by hand; the rows kept by the
    writes equal a rebuild from the raw records."""
    from data_access.analytics import rollups

    w = world(session)
    sessions_and_visits(session, w)
    g1, g2, g3, ua, ub, uc = (w[k].id for k in ("g1", "g2", "g3", "ua", "ub", "uc"))
    # ua in G1: 120 (Mon 3 Mar; the Saturday's 60 and the unrecorded duration add nothing); ua in G2:
    # office hours 180 + 90 + 60; ub in G3: 90 (Mon 31 Mar) and 200 (Tue 1 Apr); uc, off the roster,
    # is kept here too (the roster is joined when the rows are read)
    expected = sorted([(202503, g1, ua, 120), (202503, g2, ua, 330), (202503, g3, ub, 90),
                       (202504, g3, ub, 200), (202503, g1, uc, 300)])
    assert presence_rows(session) == expected
    rollups.rebuild_presence(session)
    assert presence_rows(session) == expected


@pytest.mark.parametrize("day0, day1, cm1, cm2", [
    (date(2025, 2, 15), date(2025, 4, 1), 450, 290),  # 15–28 Feb and 1 Apr raw around March's rows
    (date(2025, 3, 1), date(2025, 4, 30), 450, 290),  # two whole months: the rollup only
    (date(2025, 3, 4), date(2025, 3, 31), 330, 90),  # March's row minus 1–3 Mar (the 120 min of Mon 3 Mar)
    (date(2025, 2, 20), date(2025, 3, 30), 450, 0),  # March's row minus 31 Mar (90 min); 20–28 Feb raw
    (date(2025, 3, 1), date(2025, 4, 20), 450, 290),  # April's row minus 21–30 Apr
    (date(2025, 3, 5), date(2025, 3, 10), 90, 0),  # raw only: office hours of Wed 5 Mar; Sat 8 Mar a weekend
])
def test_presence_minutes_from_the_rollup_and_the_raw_days(session, day0, day1, cm1, cm2):
    from data_access.staffing import queries as sq

    w = world(session)
    sessions_and_visits(session, w)
    got = sq.presence_workday_minutes(session, unit=w["s1"], day0=day0, day1=day1)
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in ((w["cm1"].id, cm1), (w["cm2"].id, cm2)) if v}
    raw = sq.presence_minutes(session, unit=w["s1"], day0=day0, day1=day1)  # the day-by-day definition
    assert {k: sum(m for d, m in days.items() if d.weekday() < 5) for k, days in raw.items()} == \
        {k: got.get(k, 0) for k in raw}


def test_compute_all_in_parallel_sessions_gives_the_same_indicators(session, engine, monkeypatch):
    """The dashboards' ``parallel`` compute_all: on PostgreSQL three of its four blocks run in
    sessions of their own (threads), on SQLite all in the caller's; the indicators are the same as
    computed one after the other."""
    import threading

    from metrics import reported

    w = world(session)
    sessions_and_visits(session, w)
    meetings.record_meeting(session=session, user=w["admin"], community_id=w["cm1"].id, held_on=date(2025, 3, 15),
                            attendees="民警A、网格员W1", now=NOW)
    session.commit()
    own = []
    real = reported._in_own_session
    monkeypatch.setattr(reported, "_in_own_session",
                        lambda eng, block: own.append(threading.current_thread().name) or real(eng, block))
    kw = dict(unit_code="S1", period="2025-03", as_of=date(2025, 4, 10))
    together = reported.compute_all(session, **kw, parallel=True)
    assert together == reported.compute_all(session, **kw)
    assert len(together) > 40 and any(k.indicator == "og_officer_daily_visit_h" for k in together)
    if engine.dialect.name == "postgresql":
        assert len(own) == 3 and all(n.startswith("kpi") for n in own)
    else:
        assert own == []
