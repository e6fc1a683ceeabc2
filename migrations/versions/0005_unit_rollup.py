"""unit_rollup: the count rollups per community (city/district/station totals read these);
an index on need.resolved_at (the KPI queries look up resolutions by time)

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
    op.create_index("ix_unit_rollup_period", "unit_rollup", ["period_month", "metric"])
    op.create_index("ix_need_resolved_at", "need", ["resolved_at"])
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
    op.drop_index("ix_need_resolved_at", table_name="need")
    op.drop_index("ix_unit_rollup_period", table_name="unit_rollup")
    op.drop_table("unit_rollup")
