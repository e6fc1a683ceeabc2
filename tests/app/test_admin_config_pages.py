"""AppTest of the admin's configuration screens (issue 13): 目标值 Targets, 参数设置 Settings, 组织与网格
Org units & grids. Per screen: a change and its audit row, a concurrent edit refused, a bad value
refused with a clear message and nothing written. Numbers come from tiny_city.py."""
from __future__ import annotations

import json
from pathlib import Path

from pagerun import open_page
from sqlmodel import select
from tiny_city import TODAY  # noqa: F401

from data_access.core.db import make_engine, session_scope
from data_access.core.models import AuditLog, Setting
from data_access.org.models import GridAssignment, OrgUnit
from data_access.programme.models import Phase, Target
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ROOT / "pages" / "admin_targets.py"
SETTINGS = ROOT / "pages" / "admin_settings.py"
ORG = ROOT / "pages" / "admin_org.py"


def zh(key: str, **fmt) -> str:
    s = CATALOGUE[key]["zh"]
    return s.format(**fmt) if fmt else s


def db(url: str):
    return session_scope(make_engine(url))


def unit_id(url: str, code: str) -> int:
    with db(url) as s:
        return s.exec(select(OrgUnit.id).where(OrgUnit.code == code)).one()


def audit_rows(url: str, action: str) -> list[AuditLog]:
    with db(url) as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def own_target(url: str, unit: int | None, phase: str = "deepening", ind: str = "info_accuracy") -> Target | None:
    with db(url) as s:
        return s.exec(select(Target).where(Target.indicator_code == ind, Target.phase_code == phase,
                                           Target.org_unit_id == unit)).first()


# --- 目标值 Targets ----------------------------------------------------------------------------------

def open_targets(url: str, unit_code: str | None):
    at = open_page(TARGETS, "admin")
    at.selectbox(key="tg_phase_zh").set_value("deepening").run()
    uid = unit_id(url, unit_code) if unit_code else None
    at.selectbox(key="tg_unit_zh").set_value(uid).run()
    return at, uid


def test_targets_shows_inherited_values_and_saves_one_unit_with_its_audit_row(app_env):
    at, d1 = open_targets(app_env, "D1")
    table = at.dataframe[0].value
    # the city default 95 (deepening, info accuracy) is inherited by every unit: "沿用全市默认值"
    assert zh("cfg.targets.from_city") in set(table[zh("cfg.targets.col.from")])
    key = f"t_info_accuracy_deepening_{d1}"
    at.number_input(key=f"tg_new_{key}").set_value(70.0)
    at.text_input(key=f"tg_reason_{key}").input("东湖区基础薄弱，下调目标")
    at.button(key=f"tg_save_{key}").click().run()
    assert not errors(at), errors(at)
    assert own_target(app_env, d1).target == 70.0
    row = audit_rows(app_env, "target.set")[-1]
    assert json.loads(row.detail)["reason"] == "东湖区基础薄弱，下调目标"
    # the grids under D1 now show "沿用 东湖区"
    table = at.dataframe[0].value
    assert zh("cfg.targets.from_unit", unit="东湖区") in set(table[zh("cfg.targets.col.from")])


def test_targets_refuses_a_concurrent_edit_and_a_bad_value(app_env):
    at, d1 = open_targets(app_env, "D1")
    key = f"t_info_accuracy_deepening_{d1}"
    with db(app_env) as s:  # someone else sets D1's target after the page was opened
        s.add(Target(indicator_code="info_accuracy", phase_code="deepening", org_unit_id=d1, target=80.0))
    at.number_input(key=f"tg_new_{key}").set_value(70.0)
    at.text_input(key=f"tg_reason_{key}").input("下调")
    at.button(key=f"tg_save_{key}").click().run()
    assert errors(at) == [zh("cfg.concurrent")]
    assert own_target(app_env, d1).target == 80.0
    # a reason is required: refused with the field named, nothing written
    at, d2 = open_targets(app_env, "D2")
    key2 = f"t_info_accuracy_deepening_{d2}"
    at.number_input(key=f"tg_new_{key2}").set_value(90.0)
    at.button(key=f"tg_save_{key2}").click().run()
    assert errors(at) == [zh("cfg.field_error", field=zh("cfg.field.reason"), message=zh("error.required"))]
    assert own_target(app_env, d2) is None
    assert audit_rows(app_env, "target.set") == []


def test_targets_bulk_paste_previews_and_saves_or_refuses_named_cells(app_env):
    at = open_page(TARGETS, "admin")
    tab = at.tabs[1]
    tab.text_area(key="tg_paste").input("单位\t试点期\t深化期\n东湖区\t\t70\nX9\t80\t\n").run()
    at.button(key="tg_check").click().run()
    assert errors(at) == [zh("error.unknown_unit", row=3, value="X9")]
    at.text_area(key="tg_paste").input("单位\t试点期\t深化期\n东湖区\t\t70\nG2\t\tabc\n").run()
    at.button(key="tg_check").click().run()
    assert errors(at) == [zh("error.not_number", row=3, col=3, value="abc")]
    at.text_area(key="tg_paste").input("单位\t试点期\t深化期\n东湖区\t\t70\n西山区\t\t96\n").run()
    at.button(key="tg_check").click().run()
    assert not errors(at)
    # preview: D1 3/5 = 60 % accuracy, D2 2/2 = 100 %; the targets 95 → 70 and 95 → 96
    prev = at.dataframe[-1].value
    assert set(prev[zh("cfg.targets.col.unit")]) >= {"东湖区", "西山区"}
    at.text_input(key="tg_paste_reason").input("年度目标调整").run()
    at.button(key="tg_save_all").click().run()
    assert not errors(at)
    assert own_target(app_env, unit_id(app_env, "D1")).target == 70.0
    assert own_target(app_env, unit_id(app_env, "D2")).target == 96.0
    assert len(audit_rows(app_env, "target.set")) == 2


# --- 参数设置 Settings -----------------------------------------------------------------------------

def setting(url: str, key: str) -> Setting | None:
    with db(url) as s:
        return s.get(Setting, key)


def test_settings_shows_sources_and_saves_a_time_limit_with_its_audit_row(app_env):
    at = open_page(SETTINGS, "admin")
    table = at.dataframe[0].value
    sources = dict(zip(table[zh("cfg.settings.col.setting")], table[zh("cfg.settings.col.source")], strict=True))
    assert sources[zh("cfg.setting.time_limits") + " · " + zh("cfg.sub.urgent")] == "seed-002 §5.2"
    assert sources[zh("cfg.setting.special_intervals_days") + " · " + zh("cfg.sub.red")] == "seed-000 §3.2"
    assert sources[zh("cfg.setting.night_window")] == "seed-000 §4.4, §5.3"
    at.selectbox(key="cs_pick_zh").set_value("time_limits").run()
    at.number_input(key="cs_time_limits_urgent_v0").set_value(10.0)
    at.text_input(key="cs_reason_time_limits").input("按 seed 002 §5.2 从严")
    at.button(key="cs_save_time_limits").click().run()
    assert not errors(at), errors(at)
    assert json.loads(setting(app_env, "time_limits").value)["urgent"] == 10
    row = audit_rows(app_env, "setting.update")[-1]
    assert row.entity_id == "time_limits" and json.loads(row.detail)["new"]["urgent"] == 10


def test_settings_refuses_a_bad_value_and_a_concurrent_edit(app_env):
    at = open_page(SETTINGS, "admin")
    at.selectbox(key="cs_pick_zh").set_value("night_window").run()
    at.text_input(key="cs_night_window_start_v1").input("25:00")
    at.text_input(key="cs_reason_night_window").input("夜间时段调整")
    at.button(key="cs_save_night_window").click().run()
    assert errors(at) == [zh("cfg.field_error", field=zh("cfg.sub.start"), message=zh("error.format"))]
    assert json.loads(setting(app_env, "night_window").value) == {"start": "20:00", "end": "07:00"}
    with db(app_env) as s:  # someone else saves the night window meanwhile
        row = s.get(Setting, "night_window")
        row.value, row.version = '{"start": "21:00", "end": "07:00"}', row.version + 1
        s.add(row)
    at.text_input(key="cs_night_window_start_v1").input("22:00")
    at.button(key="cs_save_night_window").click().run()
    assert errors(at) == [zh("cfg.concurrent")]
    assert json.loads(setting(app_env, "night_window").value)["start"] == "21:00"
    assert audit_rows(app_env, "setting.update") == []


def test_weights_must_sum_to_100_warn_below_plan_minima_and_are_audited(app_env):
    at = open_page(SETTINGS, "admin")
    # default 40/30/30, all seed 000: seed 001 (≥ 20) and seed 004 (≥ 15) blocks are below their minima
    assert [w.value for w in at.warning] == [
        zh("cfg.weights.warning", block=zh("cfg.weights.block.seed-001"), total="0", minimum="20",
           source="seed-001 §3.4, §8.2"),
        zh("cfg.weights.warning", block=zh("cfg.weights.block.seed-004"), total="0", minimum="15",
           source="seed-004 §9.1")]
    at.number_input(key="cs_w_info_accuracy_v1").set_value(50.0)
    at.text_input(key="cs_wreason").input("提高准确率权重")
    at.button(key="cs_wsave").click().run()
    assert errors(at) == [zh("cfg.field_error", field=zh("cfg.field.weights"),
                             message=zh("error.sum", sum="110", expected="100"))]
    assert json.loads(setting(app_env, "score_weights").value) == {"info_accuracy": 40, "need_resolution": 30,
                                                                   "satisfaction": 30}
    at.number_input(key="cs_w_need_resolution_v1").set_value(20.0)
    at.button(key="cs_wsave").click().run()
    assert not errors(at), errors(at)
    assert json.loads(setting(app_env, "score_weights").value) == {"info_accuracy": 50.0, "need_resolution": 20.0,
                                                                   "satisfaction": 30.0}
    assert json.loads(audit_rows(app_env, "weights.update")[-1].detail)["reason"] == "提高准确率权重"


def test_phase_dates_save_and_refuse_an_overlap(app_env):
    at = open_page(SETTINGS, "admin")
    at.selectbox(key="cs_phase_zh").set_value("deepening").run()
    from datetime import date
    at.date_input(key="cs_pend_deepening_v1").set_value(date(2027, 3, 31))
    at.text_input(key="cs_preason_deepening").input("深化期延长一个季度")
    at.button(key="cs_psave_deepening").click().run()
    assert not errors(at), errors(at)
    with db(app_env) as s:
        assert s.get(Phase, "deepening").end == date(2027, 3, 31)
    at.selectbox(key="cs_phase_zh").set_value("rollout").run()
    at.date_input(key="cs_pend_rollout_v1").set_value(date(2026, 2, 1))
    at.text_input(key="cs_preason_rollout").input("x")
    at.button(key="cs_psave_rollout").click().run()
    assert errors(at) == [zh("cfg.field_error", field=zh("cfg.field.start"), message=zh("error.overlap", other="deepening"))]
    with db(app_env) as s:
        assert s.get(Phase, "rollout").end == date(2025, 12, 31)
    assert len(audit_rows(app_env, "phase.update")) == 1


# --- 组织与网格 Org units & grids ---------------------------------------------------------------------

def unit_row(url: str, code: str) -> OrgUnit:
    with db(url) as s:
        return s.exec(select(OrgUnit).where(OrgUnit.code == code)).one()


def _picker_labels(user: str) -> list[str]:
    return [o.strip("\u3000 ") for o in open_page(ROOT / "pages" / "overview.py", user).selectbox(key="unit_zh").options]


def test_org_renames_a_unit_sets_pilot_and_refuses_a_concurrent_edit(app_env):
    assert "西山区 · 分局" in _picker_labels("city")  # the dashboards' unit pickers keep their choices a minute
    at = open_page(ORG, "admin")
    d2 = unit_id(app_env, "D2")
    at.selectbox(key="og_unit_zh").set_value(d2).run()
    at.text_input(key=f"og_zh_{d2}_v1").input("西山新区")
    at.checkbox(key=f"og_pilot_{d2}_v1").check()
    at.text_input(key=f"og_reason_{d2}").input("区划调整")
    at.button(key=f"og_save_{d2}").click().run()
    assert not errors(at), errors(at)
    row = unit_row(app_env, "D2")
    assert (row.name_zh, row.pilot, row.version) == ("西山新区", True, 3)
    assert [json.loads(a.detail)["reason"] for a in audit_rows(app_env, "org_unit.rename")] == ["区划调整"]
    assert len(audit_rows(app_env, "org_unit.pilot")) == 1
    assert "西山新区 · 分局" in _picker_labels("city")  # ... an admin's change drops them at once
    # concurrent: someone renames D1 after the form was shown
    d1 = unit_id(app_env, "D1")
    at.selectbox(key="og_unit_zh").set_value(d1).run()
    with db(app_env) as s:
        u = s.get(OrgUnit, d1)
        u.name_zh, u.version = "东湖区（新）", u.version + 1
        s.add(u)
    at.text_input(key=f"og_zh_{d1}_v1").input("东湖区二")
    at.text_input(key=f"og_reason_{d1}").input("更名")
    at.button(key=f"og_save_{d1}").click().run()
    assert errors(at) == [zh("cfg.concurrent")]
    assert unit_row(app_env, "D1").name_zh == "东湖区（新）"


def test_org_moves_a_grid_from_a_month_and_refuses_a_bad_month(app_env):
    at = open_page(ORG, "admin")
    g1b, m2 = unit_id(app_env, "G1B"), unit_id(app_env, "M2")
    at.selectbox(key="og_grid_zh").set_value(g1b).run()
    at.selectbox(key=f"og_comm_{g1b}_zh").set_value(m2)
    at.text_input(key=f"og_month_{g1b}").input("2026-13")
    at.text_input(key=f"og_mreason_{g1b}").input("辖区调整")
    at.button(key=f"og_move_{g1b}").click().run()
    assert errors(at) == [zh("cfg.field_error", field=zh("cfg.field.from_month"), message=zh("error.format"))]
    assert unit_row(app_env, "G1B").parent_id == unit_id(app_env, "M1")
    at.text_input(key=f"og_month_{g1b}").input("2026-04")
    at.button(key=f"og_move_{g1b}").click().run()
    assert not errors(at), errors(at)
    assert unit_row(app_env, "G1B").parent_id == m2
    with db(app_env) as s:
        hist = s.exec(select(GridAssignment).where(GridAssignment.grid_id == g1b).order_by(GridAssignment.from_month)).all()
        assert [(a.from_month, a.to_month) for a in hist] == [(202301, 202604), (202604, None)]
    assert json.loads(audit_rows(app_env, "grid.move")[-1].detail)["reason"] == "辖区调整"


def test_org_creates_a_unit_and_refuses_a_taken_code(app_env):
    at = open_page(ORG, "admin")
    at.selectbox(key="og_new_level_zh").set_value("community").run()
    at.selectbox(key="og_new_parent_community_zh").set_value(unit_id(app_env, "S1"))
    at.text_input(key="og_new_code").input("M1")
    at.text_input(key="og_new_zh").input("东湖第二社区")
    at.text_input(key="og_new_reason").input("新设社区")
    at.button(key="og_create").click().run()
    assert errors(at) == [zh("cfg.field_error", field=zh("cfg.field.code"), message=zh("error.unit_taken", value="M1"))]
    at.text_input(key="og_new_code").input("M3")
    at.button(key="og_create").click().run()
    assert not errors(at), errors(at)
    assert unit_row(app_env, "M3").parent_id == unit_id(app_env, "S1")
    assert audit_rows(app_env, "org_unit.create")[-1].entity_id == "M3"


# --- 走访表单 Visit form (on 参数设置) --------------------------------------------------------------

def form_item(url: str, code: str):
    from data_access.fieldwork.models import FormItem
    with db(url) as s:
        return s.exec(select(FormItem).where(FormItem.code == code)).first()


def test_form_retires_an_item_reorders_and_refuses_a_concurrent_edit(app_env):
    at = open_page(SETTINGS, "admin")
    at.selectbox(key="cf_pick_zh").set_value("hz_security").run()
    at.text_input(key="cf_reason_hz_security").input("与 hz_gas 合并")
    at.button(key="cf_active_hz_security").click().run()
    assert not errors(at), errors(at)
    row = form_item(app_env, "hz_security")
    assert (row.active, row.version) == (False, 2)
    assert json.loads(audit_rows(app_env, "form.item_retire")[-1].detail) == {"reason": "与 hz_gas 合并"}
    # hz_gas moves up above hz_fire: the hazard section's active items are renumbered 10, 20, …
    at.selectbox(key="cf_pick_zh").set_value("hz_gas").run()
    at.text_input(key="cf_reason_hz_gas").input("燃气优先")
    at.button(key="cf_up_hz_gas").click().run()
    assert not errors(at), errors(at)
    assert (form_item(app_env, "hz_gas").sort, form_item(app_env, "hz_fire").sort) == (10, 20)
    # someone else edits hz_fire while this admin has it open
    at.selectbox(key="cf_pick_zh").set_value("hz_fire").run()
    with db(app_env) as s:
        from data_access.fieldwork.models import FormItem
        r = s.exec(select(FormItem).where(FormItem.code == "hz_fire")).one()
        r.version += 1
        s.add(r)
    at.text_input(key="cf_reason_hz_fire").input("停用")
    at.button(key="cf_active_hz_fire").click().run()
    assert errors(at) == [zh("cfg.concurrent")]
    assert form_item(app_env, "hz_fire").active is True


def test_form_adds_an_item_and_refuses_a_bad_code(app_env):
    at = open_page(SETTINGS, "admin")
    at.text_input(key="cf_new_code").input("Bad Code")
    at.text_input(key="cf_new_zh").input("是否安装烟感报警器")
    at.text_input(key="cf_new_en").input("Smoke alarm installed")
    at.text_input(key="cf_new_reason").input("消防要求")
    at.button(key="cf_add").click().run()
    assert errors(at) == [zh("cfg.field_error", field=zh("cfg.field.code"), message=zh("error.format"))]
    assert form_item(app_env, "Bad Code") is None
    at.text_input(key="cf_new_code").input("hz_smoke_alarm")
    at.selectbox(key="cf_new_section_zh").set_value("hazard")
    at.button(key="cf_add").click().run()
    assert not errors(at), errors(at)
    row = form_item(app_env, "hz_smoke_alarm")
    assert (row.section, row.kind, row.active, row.sort) == ("hazard", "bool", True, 60)
    assert json.loads(audit_rows(app_env, "form.item_save")[-1].detail)["reason"] == "消防要求"


def test_each_screen_renders_in_english_without_chinese_labels(app_env):
    import re

    for script in (TARGETS, SETTINGS, ORG):
        at = open_page(script, "admin", lang="en")
        labels = [w.label for w in (*at.selectbox, *at.text_input, *at.button, *at.number_input)]
        assert labels and not [x for x in labels if re.search(r"[\u3400-\u9fff]", x or "")], (script.name, labels)
        assert at.title[0].value in ("Targets", "Settings", "Org units and grid boundaries")


def test_a_non_admin_is_stopped_before_any_data(app_env):
    for script in (TARGETS, SETTINGS, ORG):
        at = open_page(script, "city")
        assert not at.dataframe and not at.button


# --- 需求类别 Need categories (on 参数设置 → 走访表单) ------------------------------------------------

def need_category(url: str, code: str):
    from data_access.fieldwork.models import NeedCategory
    with db(url) as s:
        return s.get(NeedCategory, code)


def test_need_categories_are_added_retired_and_reordered_with_audit_rows(app_env):
    import streamlit as st

    from ui.i18n import need_categories

    at = open_page(SETTINGS, "admin")
    at.text_input(key="cc_new_code").input("Pet Lost")
    at.text_input(key="cc_new_zh").input("宠物走失")
    at.text_input(key="cc_new_en").input("Lost pet")
    at.text_input(key="cc_new_reason").input("seed 001 §2.1.3 列出宠物走失")
    at.button(key="cc_add").click().run()
    assert errors(at) == [zh("cfg.field_error", field=zh("cfg.field.code"), message=zh("error.format"))]
    assert need_category(app_env, "Pet Lost") is None
    at.text_input(key="cc_new_code").input("pet_lost")
    at.button(key="cc_add").click().run()
    assert not errors(at), errors(at)
    row = need_category(app_env, "pet_lost")
    assert (row.name_zh, row.name_en, row.active, row.sort) == ("宠物走失", "Lost pet", True, 110)  # after the 10
    assert json.loads(audit_rows(app_env, "need_category.add")[-1].detail)["reason"] == "seed 001 §2.1.3 列出宠物走失"
    # the officer's form offers it, named (the label comes from the database: not in the catalogue)
    st.cache_data.clear()
    assert ("pet_lost", "宠物走失", "Lost pet", True) in need_categories()
    # it moves up one place; "other" is retired (needs that have it keep it)
    at.selectbox(key="cc_pick_zh").set_value("pet_lost").run()
    at.text_input(key="cc_reason_pet_lost").input("常见")
    at.button(key="cc_move_-1_pet_lost").click().run()
    assert not errors(at), errors(at)
    assert (need_category(app_env, "pet_lost").sort, need_category(app_env, "other").sort) == (100, 110)
    at.selectbox(key="cc_pick_zh").set_value("other").run()
    at.text_input(key="cc_reason_other").input("请选具体类别")
    at.button(key="cc_active_other").click().run()
    assert not errors(at), errors(at)
    assert need_category(app_env, "other").active is False
    assert [a.entity_id for a in audit_rows(app_env, "need_category.retire")] == ["other"]
    st.cache_data.clear()
    assert [c for c, *_r, active in need_categories() if active][-1] == "pet_lost"


def test_a_need_category_edit_is_refused_when_someone_else_changed_it(app_env):
    at = open_page(SETTINGS, "admin")
    at.selectbox(key="cc_pick_zh").set_value("lighting").run()
    with db(app_env) as s:
        from data_access.fieldwork.models import NeedCategory
        r = s.get(NeedCategory, "lighting")
        r.version += 1
        s.add(r)
    at.text_input(key="cc_reason_lighting").input("停用")
    at.button(key="cc_active_lighting").click().run()
    assert errors(at) == [zh("cfg.concurrent")]
    assert need_category(app_env, "lighting").active is True
    assert audit_rows(app_env, "need_category.retire") == []
