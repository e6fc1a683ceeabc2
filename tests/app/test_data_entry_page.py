"""AppTest: the data-entry screen (数据填报) — a district leader enters and corrects a value, a
locked period is read only until an admin reopens it, the city leader approves, and every step
leaves its history and audit rows; the plans screen shows the value with k of m and completeness.

Tiny city (tiny_city.py): today 2026-03-15; districts D1 (pilot, leader "district") and D2.
February 2026 ends 02-28 and locks after 03-15 (15 days): still open today. January locked after 02-15."""
from __future__ import annotations

import json
from pathlib import Path

from pagerun import open_page
from sqlalchemy import create_engine, text

from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "pages" / "data_entry.py")
PLANS = str(ROOT / "pages" / "plans.py")
CODE = "cp_emergency_dispatch_min"  # seed 001: entered monthly by districts, needs approval


def zh(key: str, **kw) -> str:
    return CATALOGUE[key]["zh"].format(**kw)


def rows(url: str, sql: str, **kw) -> list:
    eng = create_engine(url)
    with eng.connect() as c:
        out = c.execute(text(sql), kw).all()
    eng.dispose()
    return out


def open_entry(user: str, period: str = "2026-02"):
    at = open_page(ENTRY, user)
    at.selectbox(key="entry_plan_zh").set_value("seed-001").run()
    at.selectbox(key="entry_unit_zh").set_value("D1").run()
    at.selectbox(key="entry_period_month_zh").set_value(period).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def save(at):
    next(b for b in at.button if b.label == zh("entry.save")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_enter_correct_lock_reopen_approve_with_history_and_audit(app_env):
    url = app_env
    # 1. enter
    at = open_entry("district")
    at.text_input(key=f"val_{CODE}_D1_2026-02").input("6.5")
    at.text_input(key=f"note_{CODE}_D1_2026-02").input("110 接处警系统月报")
    save(at)
    assert [s.value for s in at.success] == [zh("entry.saved", n=1)]
    assert rows(url, "SELECT value, note, status, version, entered_by FROM reported_value") == [
        (6.5, "110 接处警系统月报", "entered", 1, "district")]
    # a value that is not a number is refused and nothing changes
    at.text_input(key=f"val_{CODE}_D1_2026-02").input("六点五")
    at.text_input(key="entry_reason_seed-001_D1_2026-02").input("更正")
    save(at)
    assert at.error and zh("entry.not_saved") in at.error[0].value
    assert rows(url, "SELECT value, version FROM reported_value") == [(6.5, 1)]

    # 2. correct (a reason is required), history old → new
    at = open_entry("district")
    at.text_input(key=f"val_{CODE}_D1_2026-02").input("5.8")
    save(at)
    assert at.error and zh("error.required") in at.error[0].value  # no reason given
    at.text_input(key="entry_reason_seed-001_D1_2026-02").input("复核110记录")
    save(at)
    assert rows(url, "SELECT value, version FROM reported_value") == [(5.8, 2)]
    assert rows(url, "SELECT action, username, old_value, new_value, reason FROM reported_value_change ORDER BY id") == [
        ("enter", "district", None, 6.5, None), ("correct", "district", 6.5, 5.8, "复核110记录")]
    (detail,) = rows(url, "SELECT detail FROM audit_log WHERE action = 'reported.correct'")
    assert json.loads(detail[0])["old"] == 6.5 and json.loads(detail[0])["new"] == 5.8

    # 3. January is locked: read only, with the closing date
    at = open_entry("district", "2026-01")
    assert [w.value for w in at.warning] == [zh("entry.locked", date="2026-02-15")]
    assert at.text_input(key=f"val_{CODE}_D1_2026-01").disabled

    # 4. an admin reopens D1 × 2026-01 with a reason; the district can enter it then
    at = open_entry("admin", "2026-01")
    at.text_input(key="reopen_reason_D1_2026-01").input("系统故障，补录一月数据")
    at.button(key="reopen_button_D1_2026-01").click().run()
    assert not at.exception and not at.error
    assert rows(url, "SELECT period, reason, reopened_by FROM report_reopen") == [
        ("2026-01", "系统故障，补录一月数据", "admin")]
    assert rows(url, "SELECT username, entity_id FROM audit_log WHERE action = 'reported.reopen'") == [("admin", "D1")]
    at = open_entry("district", "2026-01")
    assert not at.warning
    at.text_input(key=f"val_{CODE}_D1_2026-01").input("6.1")
    save(at)
    assert rows(url, "SELECT period, value FROM reported_value ORDER BY period") == [("2026-01", 6.1),
                                                                                   ("2026-02", 5.8)]

    # 5. the level above (city leader) approves February; the value is locked for the district
    at = open_entry("city")
    (vid,) = rows(url, "SELECT id FROM reported_value WHERE period = '2026-02'")[0]
    at.selectbox(key="review_pick_seed-001").set_value(vid).run()
    at.button(key="review_approve_seed-001").click().run()
    assert not at.exception and not at.error
    assert rows(url, "SELECT status, reviewed_by, version FROM reported_value WHERE id = :i", i=vid) == [
        ("approved", "city", 3)]
    assert rows(url, "SELECT username FROM audit_log WHERE action = 'reported.approve'") == [("city",)]
    at = open_entry("district")
    assert at.text_input(key=f"val_{CODE}_D1_2026-02").disabled
    assert [a for (a,) in rows(url, "SELECT action FROM audit_log WHERE action LIKE 'reported.%' ORDER BY id")] == [
        "reported.enter", "reported.correct", "reported.reopen", "reported.enter", "reported.approve"]

    # the plans screen: D1's February value, 1 of 1 unit, January and February of 2026 entered
    at = open_page(PLANS, "district")
    col = zh("plans.col.indicator")
    (table,) = [d.value for d in at.dataframe if col in d.value.columns and "紧急警情出警时间" in set(d.value[col])]
    row = table[table[col] == "紧急警情出警时间"].iloc[0]
    assert row[zh("plans.col.actual")].startswith("5.8")
    assert row[zh("plans.col.period")] == "2026-02" and row[zh("plans.col.units")] == "1/1"
    assert row[zh("plans.col.completeness")] == "100.0%"


def _by_label(widgets, label: str):
    (w,) = [x for x in widgets if x.label == label]
    return w


def test_typed_reason_and_outlier_confirmation_do_not_carry_over_to_another_unit_or_period(app_env):
    """Reason and the outlier confirmation are per data set × unit × period: filled in for D1 ×
    February (and submitted: the save is refused, the form keeps them), they are blank again for D2
    and for January (they used to carry over: one shared key each, so a confirmation given for one
    unit's outliers would have let another unit's outliers through unasked)."""
    at = open_page(ENTRY, "city")
    at.selectbox(key="entry_plan_zh").set_value("seed-001").run()
    at.selectbox(key="entry_unit_zh").set_value("D1").run()
    at.selectbox(key="entry_period_month_zh").set_value("2026-02").run()
    at.text_input(key=f"val_{CODE}_D1_2026-02").input("六点五")  # not a number: nothing is saved
    _by_label(at.text_input, zh("entry.reason")).input("复核110记录")
    _by_label(at.checkbox, zh("entry.confirm_outliers")).check()
    save(at)
    assert at.error and zh("entry.not_saved") in at.error[0].value
    assert _by_label(at.text_input, zh("entry.reason")).value == "复核110记录"
    assert _by_label(at.checkbox, zh("entry.confirm_outliers")).value is True

    at.selectbox(key="entry_unit_zh").set_value("D2").run()  # another unit, same period
    assert not at.exception, [e.value for e in at.exception]
    assert _by_label(at.text_input, zh("entry.reason")).value == ""
    assert _by_label(at.checkbox, zh("entry.confirm_outliers")).value is False
    assert at.text_input(key=f"val_{CODE}_D2_2026-02").value == ""

    at.selectbox(key="entry_unit_zh").set_value("D1").run()
    at.selectbox(key="entry_period_month_zh").set_value("2026-01").run()  # same unit, another period
    assert _by_label(at.text_input, zh("entry.reason")).value == ""
    assert _by_label(at.checkbox, zh("entry.confirm_outliers")).value is False
    assert at.text_input(key=f"val_{CODE}_D1_2026-01").value == ""


def test_officer_cannot_open_data_entry(app_env):
    at = open_page(ENTRY, "officer")
    assert [e.value for e in at.error] == [zh("auth.forbidden")]
