from sqlalchemy import inspect


def test_migrated_schema_has_core_tables(engine):
    names = set(inspect(engine).get_table_names())
    for t in ("org_unit", "grid_assignment", "app_user", "household", "resident", "visit", "need",
              "spot_check", "indicator", "phase", "target", "milestone", "audit_log", "rollup", "unit_rollup", "special_snapshot",
              "special_snapshot_month", "unit_week"):
        assert t in names, t


def test_migration_0006_fills_unit_rows_and_downgrades(engine):
    """0006 derives the per-unit rows of an existing database (the same rows the app keeps in step);
    its downgrade restores 0005's per-community table."""
    from datetime import datetime

    from alembic import command
    from sqlalchemy import text
    from sqlmodel import Session

    import factories as f
    from data_access.core import db as dbmod

    with Session(engine, expire_on_commit=False) as s:
        c = f.unit(s, "C")
        d1 = f.unit(s, "D1", c)
        _, cm1, g1 = f.chain(s, d1, "S1", "CM1", "G1")
        g2 = f.unit(s, "G2", cm1)
        off, off_d = f.officer(s, g1), f.officer(s, d1)
        for i, g in enumerate((g1, g1, g2)):
            h = f.household(s, g)
            f.visit(s, h, off, datetime(2024, 3, 4 + i, 9))
            f.visit(s, h, off_d, datetime(2024, 3, 12, 9 + i))
        s.commit()

    def rows(conn, table):
        return sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {table}")))

    cfg = dbmod.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        kept = rows(conn, "unit_rollup"), rows(conn, "unit_week")
        assert {r[0] for r in kept[0]} == {cm1.id, cm1.station_id, d1.id}
        assert {r[0] for r in kept[1]} == {d1.id, cm1.station_id, cm1.id, g1.id}  # the city has no rows
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
        assert "unit_week" not in inspect(conn).get_table_names()
        assert rows(conn, "unit_rollup") == [r for r in kept[0] if r[0] == cm1.id]
        command.upgrade(cfg, "head")
        assert (rows(conn, "unit_rollup"), rows(conn, "unit_week")) == kept


def test_the_migrated_schema_matches_the_models(engine):
    """Alembic's head builds exactly the tables, columns and indexes the models declare (a model
    changed without its migration, or the other way round, fails here on each engine)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from data_access import schema  # noqa: F401  (every table)

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_migration_0014_turns_staffing_indicators_computed_keeping_targets(engine):
    """0014 (issue 14, staffing): the roster-computed indicators become kind "computed"; their
    targets (city and unit) stay, their reported values and change history go; og_monthly_meeting
    is added with its targets. Its downgrade makes them reported again and drops the new tables."""
    from datetime import date, datetime

    from alembic import command
    from sqlalchemy import text
    from sqlmodel import Session

    import factories as f
    from data_access.core import db as dbmod

    with Session(engine, expire_on_commit=False) as s:
        d1 = f.unit(s, "D1", f.unit(s, "C"))
        s.commit()
    cfg = dbmod.alembic_config(engine.url.render_as_string(hide_password=False))
    code = "og_certified_on_post"
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013")
        assert "staff" not in inspect(conn).get_table_names()
        assert conn.execute(text("SELECT kind FROM indicator WHERE code = :c"), {"c": code}).scalar() == "reported"
        assert conn.execute(text("SELECT COUNT(*) FROM indicator WHERE code = 'og_monthly_meeting'")).scalar() == 0
        conn.execute(text("INSERT INTO target (indicator_code, phase_code, org_unit_id, target, pilot_only) "
                          "VALUES (:c, 'rollout', :u, 95.0, :f)"), {"c": code, "u": d1.id, "f": False})
        conn.execute(text("INSERT INTO reported_value (indicator_code, org_unit_id, period, period_end, value, status, "
                          "origin, entered_at, version) VALUES (:c, :u, '2025-03', :e, 88.0, 'entered', 'entry', :t, 1)"),
                     {"c": code, "u": d1.id, "e": date(2025, 3, 31), "t": datetime(2025, 4, 2, 9)})
        rv = conn.execute(text("SELECT id FROM reported_value WHERE indicator_code = :c"), {"c": code}).scalar()
        conn.execute(text("INSERT INTO reported_value_change (reported_value_id, at, username, action, new_value) "
                          "VALUES (:r, :t, 'lead', 'enter', 88.0)"), {"r": rv, "t": datetime(2025, 4, 2, 9)})
        kept = conn.execute(text("SELECT phase_code, org_unit_id, target FROM target WHERE indicator_code = :c "
                                        "ORDER BY phase_code, org_unit_id"), {"c": code}).all()
        command.upgrade(cfg, "head")
        assert conn.execute(text("SELECT kind, entry_level FROM indicator WHERE code = :c"), {"c": code}).one() == (
            "computed", None)
        rows = conn.execute(text("SELECT phase_code, org_unit_id, target FROM target WHERE indicator_code = :c "
                                 "ORDER BY phase_code, org_unit_id"), {"c": code}).all()
        assert rows == kept and len(rows) == 4  # pilot, rollout, deepening (city) + D1's rollout
        assert conn.execute(text("SELECT COUNT(*) FROM reported_value WHERE indicator_code = :c"), {"c": code}).scalar() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM reported_value_change")).scalar() == 0
        assert sorted(conn.execute(text("SELECT phase_code, target FROM target WHERE indicator_code = "
                                        "'og_monthly_meeting'")).all()) == [
            ("deepening", 100.0), ("pilot", 100.0), ("rollout", 100.0)]
        assert "staff_assignment" in inspect(conn).get_table_names()


def test_migration_0016_derives_the_time_limit_rollups_of_an_existing_database(engine):
    """0016 (issue 14): the events and hazards of an existing database get the rollup rows that the
    app keeps in step (per grid, community, station and district); its downgrade removes them."""
    from datetime import datetime, timedelta

    from alembic import command
    from sqlalchemy import text
    from sqlmodel import Session

    import factories as f
    from data_access.core import db as dbmod
    from data_access.fieldwork import events as ev

    t0 = datetime(2025, 3, 31, 23, 0)  # the urgent event's clock crosses the month end
    with Session(engine, expire_on_commit=False) as s:
        d1 = f.unit(s, "D1", f.unit(s, "C"))
        _, _, g1 = f.chain(s, d1, "S1", "CM1", "G1")
        off = f.officer(s, g1)
        s.flush()
        late = ev.report_event(session=s, user=off, grid_id=g1.id, tier="urgent", category="dispute",
                               channel="grid_worker", now=t0)
        ev.event_step(session=s, user=off, event_id=late.id, action="accept", expected_version=late.version,
                      now=t0 + timedelta(minutes=70))  # 1 h 10 min: late, answered in April
        ev.report_event(session=s, user=off, grid_id=g1.id, tier="general", category="dispute",
                        channel="grid_worker", now=t0)  # never answered: counts from its due time (1 Apr 1:00)
        h = ev.record_hazard(session=s, user=off, grid_id=g1.id, level="general", now=t0)
        ev.rectify_hazard(session=s, user=off, hazard_id=h.id, expected_version=h.version,
                          now=t0 + timedelta(hours=2), evidence="已整改")
        s.commit()

    def rows(conn):
        return sorted(tuple(r) for r in conn.execute(text(
            "SELECT 'g', grid_id, period_month, event_month, metric, n FROM rollup WHERE metric LIKE 'ev%' "
            "OR metric LIKE 'hz%' UNION ALL SELECT 'u', unit_id, period_month, event_month, metric, n "
            "FROM unit_rollup WHERE metric LIKE 'ev%' OR metric LIKE 'hz%'")))

    cfg = dbmod.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        kept = rows(conn)
        # by hand: the urgent event in the set from its due time 23:15 (March), not in time; the general
        # one from 1 Apr 1:00; the hazard rectified in 2 h (1 Apr 1:00) in time — each on G1 and on CM1,
        # S1 and D1
        per_unit = [("ev_general_due", 202503, 202504), ("ev_urgent_due", 202503, 202503),
                    ("hz_general_due", 202503, 202504), ("hz_general_ok", 202503, 202504)]
        cm = conn.execute(text("SELECT parent_id FROM org_unit WHERE id = :g"), {"g": g1.id}).scalar()
        st_ = conn.execute(text("SELECT parent_id FROM org_unit WHERE id = :c"), {"c": cm}).scalar()
        units = {("g", g1.id), ("u", cm), ("u", st_), ("u", d1.id)}
        assert kept == sorted((k, i, p, e, m, 1) for k, i in units for m, p, e in per_unit)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0015")
        assert rows(conn) == []
        command.upgrade(cfg, "head")
        assert rows(conn) == kept


def test_migration_0017_derives_the_presence_rollup_of_an_existing_database(engine):
    """0017 (issue 12): visits and office sessions of an existing database give the presence rows
    the app keeps in step (working days only); the downgrade drops them and the upgrade derives
    them again."""
    from datetime import datetime

    from alembic import command
    from sqlalchemy import text
    from sqlmodel import Session

    import factories as f
    from data_access.core import db as dbmod
    from data_access.fieldwork import records
    from data_access.fieldwork.models import Visit
    from data_access.staffing import presence

    with Session(engine, expire_on_commit=False) as s:
        _, _, g1 = f.chain(s, f.unit(s, "D1", f.unit(s, "C")), "S1", "CM1", "G1")
        off = f.officer(s, g1)
        hh = f.household(s, g1)
        for i, (at, minutes) in enumerate(((datetime(2025, 3, 7, 10), 40),  # Friday
                                           (datetime(2025, 3, 8, 10), 50),  # Saturday: not counted
                                           (datetime(2025, 3, 10, 10), None),  # nothing recorded
                                           (datetime(2025, 4, 1, 9), 25))):  # Tuesday, April
            records.add_visit(session=s, visit=Visit(
                code=f"V17{i}", client_token=f"t17{i}", household_id=hh.id, officer_id=off.id, visited_at=at,
                id_shown=True, bodycam_on=True, entered_at=at, duration_min=minutes))
        presence.log_office_hours(session=s, user=off, grid_id=g1.id, started_at=datetime(2025, 3, 11, 14),
                                  ended_at=datetime(2025, 3, 11, 16), now=datetime(2025, 3, 12, 9))  # 120 min
        s.commit()

    def rows(conn):
        return sorted(tuple(r) for r in conn.execute(text(
            "SELECT month, grid_id, officer_id, minutes FROM presence_month")))

    cfg = dbmod.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        kept = rows(conn)
        assert kept == [(202503, g1.id, off.id, 40 + 120), (202504, g1.id, off.id, 25)]
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0016")
        assert "presence_month" not in inspect(conn).get_table_names()
        command.upgrade(cfg, "head")
        assert rows(conn) == kept
