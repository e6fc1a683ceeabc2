"""The admin's programme configuration (issue 13), SQLite and PostgreSQL: targets (inherited values,
bulk paste, preview), settings, phases and weights, org units — each change validated before any
write, versioned, audited — and the values a leader sees moving with them, computed by hand.

The city: C → D1 → S1 → CM1 → G1 and C → D2 → S2 → CM2 → G2; pilot phase (2024), as_of 2024-06-30.
  G1: 4 spot checks, 3 accurate (75 %); 2 needs, 1 resolved (50 %); ratings 5 and 3 (50).
  G2: 2 spot checks, 2 accurate (100 %); 1 need, resolved (100 %); rating 4 (100).
  City: accuracy 5/6 = 83.33 %, needs 2/3 = 66.67 %, satisfaction 2/3 = 66.67.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

import factories as f
from data_access.core.errors import ConcurrentEdit, FormInvalid, ValidationError
from data_access.core.models import AuditLog, Setting
from data_access.fieldwork import events as ev
from data_access.org import units as org_units
from data_access.org.models import GridAssignment, OrgUnit
from data_access.programme import config as cfg
from data_access.programme.models import Phase, Target
from metrics.config_preview import target_preview
from metrics.service import compute_kpis, phase_targets

AS_OF = date(2024, 6, 30)


def build(s):
    c = f.unit(s, "C")
    d1, d2 = f.unit(s, "D1", c), f.unit(s, "D2", c)
    _, cm1, g1 = f.chain(s, d1, "S1", "CM1", "G1")
    _, cm2, g2 = f.chain(s, d2, "S2", "CM2", "G2")
    o1, o2 = f.officer(s, g1), f.officer(s, g2)
    h1, h2, h3 = f.household(s, g1), f.household(s, g1), f.household(s, g2)
    for i, ok in enumerate((True, True, True, False)):
        f.check(s, h1 if i % 2 else h2, date(2024, 3, 1 + i), ok)
    f.check(s, h3, date(2024, 3, 1), True)
    f.check(s, h3, date(2024, 4, 1), True)
    t = datetime(2024, 3, 1, 10)
    f.need(s, h1, t, status="resolved", responded_at=t + timedelta(hours=2), resolved_at=t + timedelta(days=1))
    f.need(s, h2, t)
    f.need(s, h3, t, status="resolved", responded_at=t + timedelta(hours=2), resolved_at=t + timedelta(days=1))
    f.visit(s, h1, o1, datetime(2024, 4, 2, 10), satisfaction=5)
    f.visit(s, h2, o1, datetime(2024, 4, 3, 10), satisfaction=3)
    f.visit(s, h3, o2, datetime(2024, 4, 4, 10), satisfaction=4)
    s.flush()
    return dict(c=c, d1=d1, d2=d2, cm1=cm1, cm2=cm2, g1=g1, g2=g2)


def kpi(s, unit_code, indicator, period="pilot"):
    return next(k for k in compute_kpis(s, unit_code=unit_code, period=period, as_of=AS_OF)
                if k.unit_code == unit_code and k.indicator == indicator)


def audits(s, action):
    return list(s.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


# --- targets ------------------------------------------------------------------------------------

def test_a_district_target_changes_what_leaders_see_and_is_inherited_below(session):
    w = build(session)
    # city default info_accuracy pilot target 88 (seed 000); D1's value 3/4 = 75 → gap 88 − 75 = 13
    k = kpi(session, "D1", "info_accuracy")
    assert (k.value, k.target, k.gap) == (75.0, 88.0, 13.0)
    n = cfg.apply_targets(session=session, username="admin", reason="区里目标下调", changes=[
        cfg.TargetChange("info_accuracy", "pilot", w["d1"].id, 70.0, 0)])
    assert n == 1
    k = kpi(session, "D1", "info_accuracy")
    assert (k.target, k.gap) == (70.0, -5.0)  # 70 − 75
    assert kpi(session, "G1", "info_accuracy").target == 70.0  # inherited from D1
    assert kpi(session, "D2", "info_accuracy").target == 88.0  # city default (100 − 88 = −12)
    assert kpi(session, "D2", "info_accuracy").gap == -12.0
    # the trend chart's step line and the child rows of the city view use the same target
    assert phase_targets(session, indicators=["info_accuracy"], unit_code="G1")["info_accuracy"][0]["pilot"] == 70.0
    kids = {k.unit_code: k for k in compute_kpis(session, unit_code="C", period="pilot", as_of=AS_OF)
            if k.indicator == "info_accuracy"}
    assert (kids["D1"].target, kids["D2"].target, kids["C"].target) == (70.0, 88.0, 88.0)
    cells = {c.unit_code: c for c in cfg.target_rows(session=session, indicator="info_accuracy", phase="pilot")}
    assert cells["CM1"].inherited and cells["CM1"].effective == 70.0 and cells["CM1"].source_unit_id == w["d1"].id
    assert cells["D2"].inherited and cells["D2"].source_unit_id is None and cells["D2"].effective == 88.0
    assert cells["D1"].own == 70.0 and cells["D1"].version == 1 and not cells["D1"].inherited
    a = audits(session, "target.set")[-1]
    assert a.entity_id == f"info_accuracy/pilot/{w['d1'].id}"
    assert json.loads(a.detail) == {"old": None, "new": {"target": 70.0, "baseline": None}, "reason": "区里目标下调"}
    # someone else's edit in between: the version shown (0) no longer matches → nothing written
    with pytest.raises(ConcurrentEdit):
        cfg.apply_targets(session=session, username="admin", reason="x", changes=[
            cfg.TargetChange("info_accuracy", "pilot", w["d1"].id, 72.0, 0)])
    # clearing the own target: D1 inherits the city default again
    cfg.apply_targets(session=session, username="admin", reason="恢复", changes=[
        cfg.TargetChange("info_accuracy", "pilot", w["d1"].id, None, 1)])
    assert kpi(session, "D1", "info_accuracy").target == 88.0
    assert audits(session, "target.clear")[-1].entity_id == f"info_accuracy/pilot/{w['d1'].id}"


def test_bad_targets_are_refused_all_together_and_nothing_is_written(session):
    w = build(session)
    before = len(session.exec(select(Target)).all())
    with pytest.raises(FormInvalid) as e:
        cfg.apply_targets(session=session, username="admin", reason="r", changes=[
            cfg.TargetChange("info_accuracy", "pilot", w["d1"].id, 70.0, 0),
            cfg.TargetChange("info_accuracy", "pilot", w["d2"].id, 180.0, 0),
            cfg.TargetChange("info_accuracy", "nophase", w["d2"].id, 80.0, 0)])
    assert [(x.field, x.code) for x in e.value.errors] == [("targets.1.target", "range"), ("targets.2.phase", "unknown")]
    assert e.value.errors[0].params == {"min": -100.0, "max": 100.0}
    with pytest.raises(ValidationError) as e2:
        cfg.apply_targets(session=session, username="admin", reason="  ", changes=[
            cfg.TargetChange("info_accuracy", "pilot", w["d1"].id, 70.0, 0)])
    assert e2.value.code == "required" and e2.value.field == "reason"
    assert len(session.exec(select(Target)).all()) == before
    assert audits(session, "target.set") == []


def test_bulk_paste_from_excel_and_the_preview_of_status_changes(session):
    w = build(session)
    units = {"D1": w["d1"].id, "西山区": w["d2"].id, "city default": None}
    phases = {"pilot": "pilot", "推广期": "rollout"}
    text = "单位\tpilot\t推广期\nD1\t70\t\n西山区\t\t95\n"
    cells = cfg.parse_paste(text, units=units, phases=phases)
    assert cells == [cfg.PastedCell(2, w["d1"].id, "pilot", 70.0), cfg.PastedCell(3, w["d2"].id, "rollout", 95.0)]
    with pytest.raises(FormInvalid) as e:
        cfg.parse_paste("单位\tpilot\tQ9\nD9\t70\nD1\tabc\n", units=units, phases=phases)
    assert [(x.field, x.code) for x in e.value.errors] == [
        ("paste.1.3", "unknown_phase"), ("paste.2.1", "unknown_unit"), ("paste.3.2", "not_number")]
    changes = cfg.pasted_changes(session=session, indicator="info_accuracy", cells=cells)
    assert [(c.unit_id, c.phase, c.target, c.expected_version) for c in changes] == [
        (w["d1"].id, "pilot", 70.0, 0), (w["d2"].id, "rollout", 95.0, 0)]
    rows = {(r.unit_code, r.phase): r for r in target_preview(session, changes=changes[:1], as_of=AS_OF)}
    # D1 (75 %) and its child S1 (75 %) go from 88 to 70: below target → at or above it
    assert set(rows) == {("D1", "pilot"), ("S1", "pilot")}
    assert rows[("D1", "pilot")].target_before == 88.0 and rows[("D1", "pilot")].target_after == 70.0
    assert rows[("D1", "pilot")].status_changed
    assert session.exec(select(Target).where(Target.org_unit_id == w["d1"].id)).first() is None  # nothing written


# --- settings, phases, weights ---------------------------------------------------------------------

def test_time_limits_are_saved_with_their_version_and_used_by_new_events(session):
    rows = {r.key: r for r in cfg.settings_rows(session=session)}
    assert rows["time_limits"].version == 0 and rows["time_limits"].value["urgent"] == 15
    assert rows["time_limits"].spec.source.startswith("indicators.md")
    new = {**rows["time_limits"].value, "urgent": 10}
    cfg.save_setting(session=session, username="admin", key="time_limits", value=new, expected_version=0,
                     reason="seed 002 修订")
    assert ev.limits(session=session)["urgent"] == timedelta(minutes=10)
    with pytest.raises(ConcurrentEdit):
        cfg.save_setting(session=session, username="admin", key="time_limits", value=new, expected_version=0,
                         reason="again")
    with pytest.raises(ValidationError) as e:
        cfg.save_setting(session=session, username="admin", key="time_limits", value={**new, "general": 0},
                         expected_version=1, reason="bad")
    assert (e.value.field, e.value.code) == ("time_limits.general", "range")
    with pytest.raises(ValidationError) as e:
        cfg.save_setting(session=session, username="admin", key="night_window", value={"start": "25:00", "end": "07:00"},
                         expected_version=1, reason="bad")
    assert (e.value.field, e.value.code) == ("night_window.start", "format")
    assert json.loads(session.get(Setting, "time_limits").value)["urgent"] == 10
    assert session.get(Setting, "time_limits").version == 1
    a = audits(session, "setting.update")
    assert len(a) == 1 and json.loads(a[0].detail)["reason"] == "seed 002 修订"


def test_phase_dates_refuse_overlaps(session):
    p = session.get(Phase, "pilot")
    cfg.save_phase(session=session, username="admin", code="pilot", start=date(2024, 1, 1), end=date(2024, 12, 30),
                   expected_version=p.version, reason="提前一天")
    assert session.get(Phase, "pilot").end == date(2024, 12, 30)
    with pytest.raises(ValidationError) as e:
        cfg.save_phase(session=session, username="admin", code="pilot", start=date(2024, 1, 1),
                       end=date(2025, 2, 1), expected_version=2, reason="x")
    assert (e.value.code, e.value.params) == ("overlap", {"other": "rollout"})
    with pytest.raises(ConcurrentEdit):
        cfg.save_phase(session=session, username="admin", code="pilot", start=date(2024, 1, 1),
                       end=date(2024, 12, 31), expected_version=1, reason="x")
    assert len(audits(session, "phase.update")) == 1


def test_weights_sum_to_100_warn_below_plan_minima_and_change_the_score(session):
    build(session)
    # 40/30/30: G1 = 0.4·75 + 0.3·50 + 0.3·50 = 60.0; city = 0.4·83.33 + 0.3·66.67 + 0.3·66.67 = 73.3
    assert kpi(session, "G1", "assessment_score").value == 60.0
    assert kpi(session, "C", "assessment_score").value == 73.3
    w, version = cfg.weights(session=session)
    with pytest.raises(FormInvalid) as e:
        cfg.save_weights(session=session, username="admin", weights={**w, "info_accuracy": 50}, expected_version=version,
                         reason="r")
    assert [(x.field, x.code, x.params) for x in e.value.errors] == [("weights", "sum", {"sum": 110.0, "expected": 100})]
    warns = cfg.save_weights(session=session, username="admin", reason="加大准确率",
                             weights={"info_accuracy": 60, "need_resolution": 20, "satisfaction": 20},
                             expected_version=version)
    # all three are seed 000 indicators: seed 002's grid block is 100 ≥ 50; seeds 001 and 004 have 0
    assert [(x.block, x.total, x.minimum) for x in warns] == [("seed-001", 0, 20.0), ("seed-004", 0, 15.0)]
    # 60/20/20: G1 = 45 + 10 + 10 = 65.0; city = 0.6·83.33 + 0.2·66.67 + 0.2·66.67 = 50 + 13.33 + 13.33 = 76.7
    assert kpi(session, "G1", "assessment_score").value == 65.0
    assert kpi(session, "C", "assessment_score").value == 76.7
    with pytest.raises(ConcurrentEdit):
        cfg.save_weights(session=session, username="admin", weights={"info_accuracy": 100}, expected_version=version,
                         reason="r")
    assert json.loads(audits(session, "weights.update")[0].detail)["warnings"] == ["seed-001", "seed-004"]


# --- org units -----------------------------------------------------------------------------------

def test_org_units_create_rename_pilot_and_move_a_grid(session):
    w = build(session)
    g3 = org_units.create_unit(session=session, username="admin", code="G3", level="grid", parent_id=w["cm1"].id,
                               name_zh="新网格", name_en="New grid", pilot=False, reason="新建", from_month=202405)
    assert g3.path == w["cm1"].path + f"{g3.id}/" and g3.community_id == w["cm1"].id
    with pytest.raises(ValidationError) as e:
        org_units.create_unit(session=session, username="admin", code="G3", level="grid", parent_id=w["cm1"].id,
                              name_zh="x", name_en=None, pilot=False, reason="r")
    assert e.value.code == "unit_taken"
    with pytest.raises(ValidationError) as e:
        org_units.create_unit(session=session, username="admin", code="G4", level="grid", parent_id=w["d1"].id,
                              name_zh="x", name_en=None, pilot=False, reason="r")
    assert (e.value.field, e.value.code) == ("parent", "level_for_parent")
    org_units.rename_unit(session=session, username="admin", unit_id=w["d1"].id, name_zh="东湖区", name_en="Donghu",
                          expected_version=1, reason="更名")
    with pytest.raises(ConcurrentEdit):
        org_units.set_pilot(session=session, username="admin", unit_id=w["d1"].id, pilot=True, expected_version=1,
                            reason="r")
    org_units.set_pilot(session=session, username="admin", unit_id=w["d1"].id, pilot=True, expected_version=2,
                        reason="试点")
    assert session.get(OrgUnit, w["d1"].id).pilot is True
    # G1 moves to CM2 from June 2024: its assignment until May stays (history is not rewritten)
    with pytest.raises(ValidationError) as e:
        org_units.move_grid_admin(session=session, username="admin", grid_id=w["g1"].id, community_id=w["cm2"].id,
                                  from_month=202413, expected_version=1, reason="r")
    assert (e.value.field, e.value.code) == ("from_month", "format")
    org_units.move_grid_admin(session=session, username="admin", grid_id=w["g1"].id, community_id=w["cm2"].id,
                              from_month=202406, expected_version=1, reason="调整辖区")
    hist = org_units.assignments(session=session, grid_id=w["g1"].id)
    assert [(a.community_id, a.from_month, a.to_month) for a in hist] == [(w["cm1"].id, 0, 202406),
                                                                         (w["cm2"].id, 202406, None)]
    assert session.get(OrgUnit, w["g1"].id).district_id == w["d2"].id
    # G1's March checks were made while it belonged to CM1: they still count for D1, not D2
    assert (kpi(session, "D1", "info_accuracy").n, kpi(session, "D2", "info_accuracy").n) == (4, 2)
    actions = [a.action for a in session.exec(select(AuditLog).where(AuditLog.entity == "org_unit"))]
    assert actions == ["org_unit.create", "org_unit.rename", "org_unit.pilot", "grid.move"]
    assert session.exec(select(GridAssignment).where(GridAssignment.grid_id == g3.id)).one().from_month == 202405


# --- the visit e-form ------------------------------------------------------------------------------

def test_a_retired_form_item_keeps_its_answers_and_leaves_the_form(session):
    from data_access.fieldwork import visit_form as vf
    from data_access.fieldwork.models import FormItem, VisitAnswer

    w = build(session)
    admin = f.officer(session, w["c"], "cfgadmin", role="admin")
    visit = f.visit(session, f.household(session, w["g1"]), f.officer(session, w["g1"]), datetime(2024, 5, 2, 10))
    session.add(VisitAnswer(visit_id=visit.id, item_code="hz_security", value="true"))
    session.flush()
    item = session.exec(select(FormItem).where(FormItem.code == "hz_security")).one()
    vf.set_item_active(session=session, user=admin, code="hz_security", active=False, expected_version=item.version,
                       reason="合并", now=datetime(2024, 5, 3))
    assert "hz_security" not in [i.code for i in vf.load_form(session=session)]
    assert session.exec(select(VisitAnswer).where(VisitAnswer.item_code == "hz_security")).one().value == "true"
    with pytest.raises(ConcurrentEdit):
        vf.set_item_active(session=session, user=admin, code="hz_security", active=True,
                           expected_version=item.version - 1, reason="x", now=datetime(2024, 5, 3))
    with pytest.raises(ValidationError) as e:
        vf.set_item_active(session=session, user=admin, code="hz_security", active=True,
                           expected_version=session.get(FormItem, item.id).version, reason="", now=datetime(2024, 5, 3))
    assert (e.value.field, e.value.code) == ("reason", "required")


def test_the_lockout_rule_is_a_setting_the_login_follows(session):
    from data_access.org import accounts
    from data_access.org.models import User

    c = f.unit(session, "C")
    session.add(User(username="u1", display_name="甲", role="officer", scope_id=c.id))
    session.flush()
    t0 = datetime(2026, 3, 1, 9, 0)
    cfg.save_setting(session=session, username="admin", key="lockout", expected_version=0, reason="收紧",
                     value={"threshold": 3, "window_minutes": 10, "lock_minutes": 30})
    with pytest.raises(ValidationError) as e:
        cfg.save_setting(session=session, username="admin", key="lockout", expected_version=1, reason="x",
                         value={"threshold": 2.5, "window_minutes": 10, "lock_minutes": 30})
    assert (e.value.field, e.value.code) == ("lockout.threshold", "type")
    states = [accounts.record_login_attempt(session=session, username="u1", ok=False, now=t0 + timedelta(minutes=i))
              for i in range(3)]
    # the third failure within 10 minutes locks for 30 minutes (the defaults were 5 / 15 / 15)
    assert [s.locked for s in states] == [False, False, True]
    assert states[-1].until == t0 + timedelta(minutes=2 + 30)


def test_the_veto_rule_names_the_event_kinds_that_veto(session):
    from data_access.programme.models import VetoEvent

    w = build(session)
    session.add(VetoEvent(org_unit_id=w["g1"].id, occurred_on=date(2024, 4, 1), kind="complaints", confirmed=True))
    session.flush()
    assert "vetoed" in kpi(session, "G1", "assessment_score").flags  # every kind vetoes by default
    assert "vetoed" in kpi(session, "D1", "assessment_score").flags
    with pytest.raises(ValidationError) as e:
        cfg.save_setting(session=session, username="admin", key="veto_kinds", value=["privacy_breach", "speeding"],
                         expected_version=0, reason="x")
    assert (e.value.field, e.value.code) == ("veto_kinds", "choice")
    cfg.save_setting(session=session, username="admin", key="veto_kinds", value=["privacy_breach"],
                     expected_version=0, reason="投诉量不再一票否决")
    assert "vetoed" not in kpi(session, "G1", "assessment_score").flags
    assert kpi(session, "G1", "assessment_score").value == 60.0  # the score itself is unchanged
