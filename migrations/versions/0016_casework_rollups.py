"""issue 14: the time-limit indicators read rollups — grid events and hazards in ``rollup`` /
``unit_rollup`` (``ev_<tier>_due|ok``, ``hz_<level>_due|ok``, see data_access.analytics.rollups),
and an index on their due time for the raw month of as_of

Revision ID: 0016
Revises: 0015
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# frozen here (rollups.CASE_METRICS and rollups._case_sql when this was written)
METRICS = [f"{p}_{t}_{x}" for p, ts in (("ev", ("emergency", "urgent", "general")), ("hz", ("general", "major")))
           for t in ts for x in ("due", "ok")]
CASES = (
    ("grid_event", "'ev_' || tier", "created_month", "responded_at", "status NOT IN ('withdrawn', 'duplicate')"),
    ("hazard", "'hz_' || level", "found_month", "rectified_at", "status <> 'withdrawn'"),
)


def _month(dialect: str, expr: str) -> str:
    if dialect == "postgresql":
        return f"CAST(to_char({expr}, 'YYYYMM') AS INTEGER)"
    return f"CAST(strftime('%Y%m', {expr}) AS INTEGER)"


def upgrade() -> None:
    op.create_index("ix_grid_event_due", "grid_event", ["due_at"])
    op.create_index("ix_hazard_due", "hazard", ["due_at"])
    dialect = op.get_bind().dialect.name
    names = ", ".join(f"'{m}'" for m in METRICS)
    op.execute(f"DELETE FROM unit_rollup WHERE metric IN ({names})")
    op.execute(f"DELETE FROM rollup WHERE metric IN ({names})")
    insert = "INSERT INTO rollup (grid_id, period_month, event_month, metric, n) "
    for table, prefix, period, done, alive in CASES:
        first = _month(dialect, f"CASE WHEN {done} IS NOT NULL AND {done} < due_at THEN {done} ELSE due_at END")
        ok = _month(dialect, done)
        op.execute(insert + f"SELECT grid_id, {period}, {first}, {prefix} || '_due', COUNT(*) FROM {table} "
                   f"WHERE {alive} GROUP BY grid_id, {period}, {first}, {prefix}")
        op.execute(insert + f"SELECT grid_id, {period}, {ok}, {prefix} || '_ok', COUNT(*) FROM {table} "
                   f"WHERE {alive} AND {done} IS NOT NULL AND {done} <= due_at "
                   f"GROUP BY grid_id, {period}, {ok}, {prefix}")
    if dialect == "postgresql":
        op.execute("ANALYZE rollup")  # else the rows just written look absent and the sums below crawl
    # communities through the grid assignments, then stations and districts (rollups.rebuild_units)
    op.execute(
        "INSERT INTO unit_rollup (unit_id, period_month, event_month, metric, n) "
        "SELECT ga.community_id, r.period_month, r.event_month, r.metric, SUM(r.n) FROM rollup r "
        "JOIN grid_assignment ga ON ga.grid_id = r.grid_id AND ga.from_month <= r.period_month "
        "AND (ga.to_month IS NULL OR ga.to_month > r.period_month) "
        f"WHERE r.metric IN ({names}) GROUP BY ga.community_id, r.period_month, r.event_month, r.metric")
    for col in ("station_id", "district_id"):
        op.execute(
            "INSERT INTO unit_rollup (unit_id, period_month, event_month, metric, n) "
            f"SELECT c.{col}, u.period_month, u.event_month, u.metric, SUM(u.n) FROM unit_rollup u "
            f"JOIN org_unit c ON c.id = u.unit_id WHERE c.level = 'community' AND c.{col} IS NOT NULL "
            f"AND u.metric IN ({names}) GROUP BY c.{col}, u.period_month, u.event_month, u.metric")


def downgrade() -> None:
    names = ", ".join(f"'{m}'" for m in METRICS)
    op.execute(f"DELETE FROM unit_rollup WHERE metric IN ({names})")
    op.execute(f"DELETE FROM rollup WHERE metric IN ({names})")
    op.drop_index("ix_hazard_due", table_name="hazard")
    op.drop_index("ix_grid_event_due", table_name="grid_event")
