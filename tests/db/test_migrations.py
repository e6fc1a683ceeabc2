from sqlalchemy import inspect


def test_migrated_schema_has_core_tables(engine):
    names = set(inspect(engine).get_table_names())
    for t in ("org_unit", "grid_assignment", "app_user", "household", "resident", "visit", "need",
              "spot_check", "indicator", "phase", "target", "milestone", "audit_log", "rollup", "unit_rollup", "special_snapshot",
              "special_snapshot_month", "unit_week"):
        assert t in names, t
