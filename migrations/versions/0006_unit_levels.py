"""Counts per unit, so that a unit's totals per child are its children's own rows (the city
reads its 16 districts' rows instead of every community's or officer's):
unit_rollup per community, station and district (``unit_id``); unit_week, the officer-weeks per
district, station, community and grid (replaces reading officer_week by week range, whose index
goes).

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# the statements of data_access.analytics.rollups at this revision (a migration must not change with the code)
COMMUNITIES = (
    "INSERT INTO unit_rollup (unit_id, period_month, event_month, metric, n) "
    "SELECT ga.community_id, r.period_month, r.event_month, r.metric, SUM(r.n) FROM rollup r "
    "JOIN grid_assignment ga ON ga.grid_id = r.grid_id AND ga.from_month <= r.period_month "
    "AND (ga.to_month IS NULL OR ga.to_month > r.period_month) "
    "WHERE r.metric <> 'households' "
    "GROUP BY ga.community_id, r.period_month, r.event_month, r.metric"
)
ANCESTORS = (
    "INSERT INTO unit_rollup (unit_id, period_month, event_month, metric, n) "
    "SELECT c.{col}, u.period_month, u.event_month, u.metric, SUM(u.n) FROM unit_rollup u "
    "JOIN org_unit c ON c.id = u.unit_id "
    "WHERE c.level = 'community' AND c.{col} IS NOT NULL "
    "GROUP BY c.{col}, u.period_month, u.event_month, u.metric"
)
WEEKS = (
    "INSERT INTO unit_week (unit_id, week, households, officers) "
    "SELECT s.{col}, ow.week, SUM(ow.households), COUNT(*) FROM officer_week ow "
    "JOIN app_user a ON a.id = ow.officer_id JOIN org_unit s ON s.id = a.scope_id "
    "WHERE ow.households > 0 AND s.{col} IS NOT NULL {extra}"
    "GROUP BY s.{col}, ow.week"
)


def _create(key: str) -> None:
    op.create_table(
        "unit_rollup",
        sa.Column(key, sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("period_month", sa.Integer(), nullable=False),
        sa.Column("event_month", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(key, "period_month", "event_month", "metric"),
    )


def upgrade() -> None:
    op.drop_index("ix_unit_rollup_period", table_name="unit_rollup")
    op.drop_table("unit_rollup")
    _create("unit_id")
    op.execute(COMMUNITIES)
    for col in ("station_id", "district_id"):
        op.execute(ANCESTORS.format(col=col))
    op.create_table(
        "unit_week",
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("officers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "week"),
    )
    for col in ("district_id", "station_id", "community_id"):
        op.execute(WEEKS.format(col=col, extra=""))
    op.execute(WEEKS.format(col="id", extra="AND s.level = 'grid' "))
    op.drop_index("ix_officer_week_week", table_name="officer_week")


def downgrade() -> None:
    op.create_index("ix_officer_week_week", "officer_week", ["week", "officer_id", "households"])
    op.drop_table("unit_week")
    op.drop_table("unit_rollup")
    _create("community_id")
    op.create_index("ix_unit_rollup_period", "unit_rollup", ["period_month", "metric", "event_month", "community_id", "n"])
    op.execute(COMMUNITIES.replace("(unit_id,", "(community_id,"))
