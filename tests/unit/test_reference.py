"""The indicator registry, targets and milestones as loaded into a migrated database.

Runs on SQLite and PostgreSQL (``session`` fixture). Expected values come from the data lists in
data_access/programme/reference.py and the rules of the brief: snake_case unique codes, targets that point
at existing indicators and phases, reported indicators stored as 'reported', every seed 001–004
present, milestones dated 2023–2026, and a load that adds nothing twice and keeps edits.
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import text

from data_access.core import db as dbmod
from data_access.programme.reference import (
    CITY_TARGETS,
    INDICATORS,
    MILESTONES,
    PHASE_CODES,
    PLAN_INDICATORS,
    PLAN_MILESTONES,
    PLAN_TARGETS,
    indicator_rows,
    load_reference,
)

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
TABLES = ("phase", "indicator", "target", "milestone", "app_setting")


def _rows(session, sql, **kw):
    return session.execute(text(sql), kw).all()


def _counts(session) -> dict[str, int]:
    return {t: session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


def test_indicator_codes_unique_snake_case_and_all_loaded(session):
    listed = [r["code"] for r in indicator_rows()]
    assert len(listed) == len(set(listed)), "a duplicate code would be skipped silently by load_reference"
    stored = [c for (c,) in _rows(session, "SELECT code FROM indicator")]
    assert sorted(stored) == sorted(listed)
    bad = [c for c in stored if not SNAKE.match(c)]
    assert bad == []
    # reported plan indicators carry their plan's prefix; computed ones are named by indicators.md
    prefixes = {"seed-001": "cp_", "seed-002": "og_", "seed-003": "cps_", "seed-004": "sa_"}
    for row in PLAN_INDICATORS:
        code, kind, source = row[0], row[4], row[7]
        if kind == "reported":
            assert code.startswith(prefixes[source[:8]]), (code, source)


def test_targets_point_at_existing_indicators_and_phases(session):
    orphans = _rows(session,
                    "SELECT t.indicator_code, t.phase_code FROM target t "
                    "LEFT JOIN indicator i ON i.code = t.indicator_code "
                    "LEFT JOIN phase p ON p.code = t.phase_code "
                    "WHERE i.code IS NULL OR p.code IS NULL")
    assert orphans == []
    # every listed (indicator, phase, value) is in the database as a city default
    expected = {(code, phase, tgt) for code, _base, *tgts in CITY_TARGETS + PLAN_TARGETS
                for phase, tgt in zip(PHASE_CODES, tgts, strict=True) if tgt is not None}
    stored = {(i, p, t) for i, p, t in _rows(
        session, "SELECT indicator_code, phase_code, target FROM target WHERE org_unit_id IS NULL")}
    assert stored == expected
    target_codes = [row[0] for row in CITY_TARGETS + PLAN_TARGETS]
    assert len(target_codes) == len(set(target_codes))


def test_kind_and_direction_are_stored(session):
    stored = {c: (k, d) for c, k, d in _rows(session, "SELECT code, kind, direction FROM indicator")}
    for code, *_ in INDICATORS:  # seed 000: computed from the app's records, higher is better
        assert stored[code] == ("computed", "up"), code
    for code, _zh, _en, _unit, kind, direction, *_ in PLAN_INDICATORS:
        assert kind in ("computed", "reported") and direction in ("up", "down"), code
        assert stored[code] == (kind, direction), code
    reported = {c for c, (k, _d) in stored.items() if k == "reported"}
    assert reported == {row[0] for row in PLAN_INDICATORS if row[4] == "reported"}
    # the time limits of the other plans are lower-is-better
    for code in ("cp_emergency_dispatch_min", "cp_nonemergency_handling_h", "cp_tip_feedback_h",
                 "cps_update_timeliness_h", "sa_police_ratio"):
        assert stored[code][1] == "down", code


def test_each_seed_contributes_indicators_targets_and_milestones(session):
    for seed in ("seed-001", "seed-002", "seed-003", "seed-004"):
        n_ind = session.execute(text("SELECT COUNT(*) FROM indicator WHERE source_plan LIKE :s"),
                                {"s": seed + "%"}).scalar_one()
        n_tgt = session.execute(text("SELECT COUNT(*) FROM target t JOIN indicator i ON i.code = t.indicator_code "
                                     "WHERE i.source_plan LIKE :s"), {"s": seed + "%"}).scalar_one()
        n_ms = session.execute(text("SELECT COUNT(*) FROM milestone WHERE source LIKE :s"),
                               {"s": seed + "%"}).scalar_one()
        assert n_ind >= 1 and n_tgt >= 1 and n_ms >= 1, (seed, n_ind, n_tgt, n_ms)


def test_milestones_dated_2023_to_2026_with_owner_and_unique_codes(session):
    codes = [m[0] for m in MILESTONES] + [m[0] for m in PLAN_MILESTONES]
    assert len(codes) == len(set(codes))
    rows = _rows(session, "SELECT code, due, owner, source FROM milestone")
    assert sorted(r[0] for r in rows) == sorted(codes)
    for code, due, owner, source in rows:
        due = due if isinstance(due, date) else date.fromisoformat(str(due))
        assert date(2023, 1, 1) <= due <= date(2026, 12, 31), (code, due)
        assert owner and source, code
    for code, due, *_rest in PLAN_MILESTONES:
        assert re.match(r"^S[1-4]-\d{4}-\d{2}(-[A-Z])?$", code), code
        assert code[3:7] == str(due.year) and int(code[8:10]) == due.month, code


def test_plan_target_numbers_are_explained_in_the_note(session):
    """Every plan target and baseline appears in the indicator's note (the quoted source)."""
    notes = {c: (z, e) for c, z, e in _rows(session, "SELECT code, note_zh, note_en FROM indicator")}
    for code, base, *tgts in PLAN_TARGETS:
        note_zh, note_en = notes[code]
        for value in [base, *tgts]:
            if value is None:
                continue
            number = f"{value:g}"
            assert number in note_zh and number in note_en, (code, number)


def test_plan_targets_point_the_indicator_direction(session):
    """A target moves from the baseline in the indicator's direction (documented exception only)."""
    direction = {c: d for c, d in _rows(session, "SELECT code, direction FROM indicator")}
    # seed-004 §7.3: pilot-area mediation 95% by end 2024 is below the 96.5% national baseline
    known = {("sa_mediation_success", "pilot")}
    for code, base, *tgts in PLAN_TARGETS:
        if base is None:
            continue
        for phase, tgt in zip(PHASE_CODES, tgts, strict=True):
            if tgt is None or (code, phase) in known:
                continue
            better = tgt > base if direction[code] == "up" else tgt < base
            assert better, (code, phase, base, tgt)


def test_load_reference_twice_adds_nothing_and_keeps_edits(session):
    before = _counts(session)
    session.execute(text("UPDATE target SET target = 77 WHERE indicator_code = 'cp_data_sharing' "
                         "AND phase_code = 'rollout' AND org_unit_id IS NULL"))
    session.execute(text("UPDATE indicator SET kind = 'computed', note_zh = 'edited' "
                         "WHERE code = 'sa_police_ratio'"))
    session.execute(text("UPDATE milestone SET status = 'done' WHERE code = 'S4-2024-06-A'"))
    load_reference(session.connection())
    load_reference(session.connection())
    session.commit()
    assert _counts(session) == before
    assert session.execute(text("SELECT target FROM target WHERE indicator_code = 'cp_data_sharing' "
                                "AND phase_code = 'rollout' AND org_unit_id IS NULL")).scalar_one() == 77
    assert _rows(session, "SELECT kind, note_zh FROM indicator WHERE code = 'sa_police_ratio'") == [
        ("computed", "edited")]
    assert session.execute(text("SELECT status FROM milestone WHERE code = 'S4-2024-06-A'")).scalar_one() == "done"


def test_load_reference_fills_a_database_without_the_plan_rows(session):
    """What migration 0003 does to a database created before it: the plan rows are added."""
    before = _counts(session)
    plan_codes = [row[0] for row in PLAN_INDICATORS]
    n_plan_targets = sum(t is not None for _c, _b, *tgts in PLAN_TARGETS for t in tgts)
    for code in plan_codes:
        session.execute(text("DELETE FROM target WHERE indicator_code = :c"), {"c": code})
        session.execute(text("DELETE FROM indicator WHERE code = :c"), {"c": code})
    for row in PLAN_MILESTONES:
        session.execute(text("DELETE FROM milestone WHERE code = :c"), {"c": row[0]})
    session.commit()
    removed = _counts(session)
    assert before["indicator"] - removed["indicator"] == len(PLAN_INDICATORS)
    assert before["target"] - removed["target"] == n_plan_targets
    assert before["milestone"] - removed["milestone"] == len(PLAN_MILESTONES)
    load_reference(session.connection())
    session.commit()
    assert _counts(session) == before


def test_migration_0003_downgrade_and_upgrade(engine):
    from alembic import command

    def count(conn, sql):
        return conn.execute(text(sql)).scalar_one()

    cfg = dbmod.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        n_ind = count(conn, "SELECT COUNT(*) FROM indicator")
        n_ms = count(conn, "SELECT COUNT(*) FROM milestone")
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
        assert count(conn, "SELECT COUNT(*) FROM indicator") == n_ind - len(PLAN_INDICATORS)
        assert count(conn, "SELECT COUNT(*) FROM indicator WHERE source_plan LIKE 'seed-000%'") == len(INDICATORS)
        assert count(conn, "SELECT COUNT(*) FROM milestone") == n_ms - len(PLAN_MILESTONES)
        command.upgrade(cfg, "head")
        assert count(conn, "SELECT COUNT(*) FROM indicator") == n_ind
        assert count(conn, "SELECT COUNT(*) FROM milestone") == n_ms


def test_reported_indicators_carry_their_data_set_attributes(session):
    """Migration 0007: entry level, period type, aggregation, approval, pilot flag (hand-listed)."""
    stored = {r[0]: tuple(r[1:]) for r in _rows(
        session, "SELECT code, kind, entry_level, period_type, aggregation, needs_approval, pilot_only FROM indicator")}
    for code, (kind, level, period, agg, _approval, _pilot) in stored.items():
        if kind == "computed":
            assert level is None, code
        else:
            assert level in ("city", "district") and period in ("month", "quarter", "year"), code
            assert agg in ("sum", "mean", "none") and (agg == "none") == (level == "city"), code
    assert stored["cp_emergency_dispatch_min"][1:] == ("district", "month", "mean", True, False)  # seed 001: approval
    assert stored["cp_budget_share"][1:] == ("city", "year", "none", True, False)
    assert stored["sa_security_sense"][1:] == ("district", "quarter", "mean", False, False)
    assert stored["og_pilot_crime_drop"][1:] == ("district", "month", "mean", False, True)
    assert stored["info_accuracy"][1:] == (None, "month", "mean", False, False)


def test_missing_seed_indicators_are_added_with_source_and_note(session):
    rows = {c: (k, s, z) for c, k, s, z in _rows(session, "SELECT code, kind, source_plan, note_zh FROM indicator")}
    for code, seed in (("cp_specialist_police_share", "seed-001"), ("cp_safety_satisfaction", "seed-001"),
                       ("cp_response_speed_satisfaction", "seed-001"), ("og_grid_daily_police_h", "seed-002"),
                       ("og_basic_info_update", "seed-002"), ("sa_cc_highrisk_weekly_visit", "seed-004"),
                       ("sa_access_control_fixed", "seed-004"), ("sa_points_coverage", "seed-004"),
                       ("sa_points_districts", "seed-004")):
        kind, source, note = rows[code]
        # computed from the app's records since issues 14 and 15 (the register; visit durations and office hours)
        want = "computed" if code in ("sa_cc_highrisk_weekly_visit", "og_grid_daily_police_h") else "reported"
        assert kind == want and source.startswith(seed + " §") and len(note) > 40, code


def test_plan_baselines_are_notes_and_pilot_targets_flagged(session):
    """National / other cities' figures are never a plan indicator's baseline; seed 000 keeps its own."""
    plan = [row[0] for row in PLAN_INDICATORS]
    n = session.execute(text("SELECT COUNT(*) FROM target WHERE baseline IS NOT NULL AND indicator_code IN ("
                             + ",".join(f"'{c}'" for c in plan) + ")")).scalar_one()
    assert n == 0
    assert _rows(session, "SELECT baseline FROM target WHERE indicator_code='info_accuracy' AND phase_code='pilot' "
                          "AND org_unit_id IS NULL") == [(82.4,)]
    flagged = set(_rows(session, "SELECT indicator_code, phase_code FROM target WHERE pilot_only"))
    assert flagged == {("cp_nonemergency_handling_h", "pilot"), ("cp_patrol_increase", "pilot"),
                       ("og_pilot_crime_drop", "rollout"), ("sa_mediation_success", "pilot"),
                       ("sa_video_coverage", "pilot"), ("sa_village_officer_coverage", "pilot")}


def test_migration_0008_removes_old_baselines_keeps_edited_ones_and_downgrades(engine):
    from alembic import command

    def base(conn, code):
        return conn.execute(text("SELECT baseline FROM target WHERE indicator_code=:c AND org_unit_id IS NULL "
                                 "ORDER BY phase_code"), {"c": code}).scalars().all()

    cfg = dbmod.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
        assert base(conn, "sa_security_sense") == [98.3, 98.3]  # the national 2023 figure, as before 0008
        assert conn.execute(text("SELECT COUNT(*) FROM indicator WHERE code='sa_points_coverage'")).scalar_one() == 0
        conn.execute(text("UPDATE target SET baseline=97.0 WHERE indicator_code='sa_security_sense_rural' "
                          "AND phase_code='rollout'"))  # an admin measured this city's own baseline
        command.upgrade(cfg, "head")
        assert base(conn, "sa_security_sense") == [None, None]
        assert base(conn, "sa_security_sense_rural") == [None, 97.0]  # deepening, rollout
        assert conn.execute(text("SELECT entry_level, needs_approval FROM indicator "
                                 "WHERE code='sa_points_coverage'")).one() == ("district", False)


def test_the_time_limits_are_computed_and_their_reported_twins_are_gone(session):
    """indicators.md "Time-limited work": the rates per case replace the reported monthly means."""
    rows = dict(session.execute(text("SELECT code, kind FROM indicator")).all())
    for code in ("event_response_in_time", "event_response_in_time_emergency", "event_response_in_time_urgent",
                 "event_response_in_time_general", "hazard_rectified_in_time"):
        assert rows[code] == "computed", code
    for twin in ("cp_emergency_response_min", "og_response_general_h", "og_response_urgent_min", "og_hazard_rectify_h"):
        assert twin not in rows, twin
