"""unit_rollup: the count rollups per community (city/district/station totals read these);
household.last_visit_at; app_user.signed_out_utc; indexes for the KPI queries (need.resolved_at, household.registered_on, risk households by grid);
the households rollup with registrations before 2023-01 folded into 2023-01; stored special-group
compliance at month ends (data_access.analytics.snapshots)

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_rollup",
        sa.Column("community_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("period_month", sa.Integer(), nullable=False),
        sa.Column("event_month", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("community_id", "period_month", "event_month", "metric"),
    )
    op.create_index("ix_unit_rollup_period", "unit_rollup", ["period_month", "metric", "event_month", "community_id", "n"])
    op.create_index("ix_officer_week_week", "officer_week", ["week", "officer_id", "households"])
    op.create_table(
        "special_snapshot",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("ok", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "grid_id"),
    )
    op.create_table(
        "special_snapshot_month",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("intervals", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("month"),
    )
    op.create_index("ix_need_resolved_at", "need", ["resolved_at"])
    op.create_index("ix_need_responded_at", "need", ["responded_at"])
    op.create_index("ix_need_created_cover", "need", ["created_at"],
                    postgresql_include=["grid_id", "created_month", "counted", "sla_due_at", "sla_ok", "responded_at"])
    op.create_index("ix_household_registered_on", "household", ["registered_on"])
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("signed_out_utc", sa.DateTime(), nullable=True))
    with op.batch_alter_table("household") as batch:
        batch.add_column(sa.Column("last_visit_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE household SET last_visit_at = m.t FROM "
               "(SELECT household_id, MAX(visited_at) AS t FROM visit GROUP BY household_id) AS m "
               "WHERE household.id = m.household_id")
    op.create_index("ix_household_risk_grid", "household",
                    ["risk_level", "grid_id", "registered_on", "last_visit_at", "id"])
    op.create_index("ix_rollup_households", "rollup", ["grid_id", "event_month", "n"],
                    postgresql_where=sa.text("metric = 'households'"), sqlite_where=sa.text("metric = 'households'"))
    # households registered before 2023-01 count in the rollup as at 2023-01 (derive.STOCK_FLOOR)
    op.execute("DELETE FROM rollup WHERE metric = 'households'")
    op.execute(
        "INSERT INTO rollup (grid_id, period_month, event_month, metric, n) "
        "SELECT grid_id, CASE WHEN registered_month < 202301 THEN 202301 ELSE registered_month END, "
        "CASE WHEN registered_month < 202301 THEN 202301 ELSE registered_month END, 'households', COUNT(*) "
        "FROM household GROUP BY grid_id, CASE WHEN registered_month < 202301 THEN 202301 ELSE registered_month END"
    )
    # fill from the grid rollups of an existing database (same statement as rollups.rebuild_units)
    op.execute(
        "INSERT INTO unit_rollup (community_id, period_month, event_month, metric, n) "
        "SELECT ga.community_id, r.period_month, r.event_month, r.metric, SUM(r.n) FROM rollup r "
        "JOIN grid_assignment ga ON ga.grid_id = r.grid_id AND ga.from_month <= r.period_month "
        "AND (ga.to_month IS NULL OR ga.to_month > r.period_month) "
        "WHERE r.metric <> 'households' "
        "GROUP BY ga.community_id, r.period_month, r.event_month, r.metric"
    )


def downgrade() -> None:
    op.drop_table("special_snapshot_month")
    op.drop_table("special_snapshot")
    op.drop_index("ix_rollup_households", table_name="rollup")
    op.drop_index("ix_household_risk_grid", table_name="household")
    with op.batch_alter_table("household") as batch:
        batch.drop_column("last_visit_at")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("signed_out_utc")
    op.drop_index("ix_household_registered_on", table_name="household")
    op.drop_index("ix_need_created_cover", table_name="need")
    op.drop_index("ix_need_responded_at", table_name="need")
    op.drop_index("ix_need_resolved_at", table_name="need")
    op.drop_index("ix_officer_week_week", table_name="officer_week")
    op.drop_index("ix_unit_rollup_period", table_name="unit_rollup")
    op.drop_table("unit_rollup")
