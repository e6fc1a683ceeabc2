"""issue 12: the staffing indicators read a presence rollup — ``presence_month`` (minutes per
month × grid × officer on working days, see data_access.analytics.rollups) derived from the
visits and office sessions, and the visit time index widened to cover the raw days

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _presence_sql(dialect: str) -> str:
    # frozen here (rollups._presence_sql when this was written)
    if dialect == "postgresql":
        def workday(col):
            return f"EXTRACT(ISODOW FROM {col}) < 6"
        day_month = "CAST(to_char(day, 'YYYYMM') AS INTEGER)"
    else:
        def workday(col):
            return f"CAST(strftime('%w', {col}) AS INTEGER) BETWEEN 1 AND 5"
        day_month = "CAST(strftime('%Y%m', day) AS INTEGER)"
    return ("INSERT INTO presence_month (month, grid_id, officer_id, minutes) "
            "SELECT month, grid_id, officer_id, SUM(m) FROM ("
            f"SELECT month, grid_id, officer_id, duration_min AS m FROM visit "
            f"WHERE duration_min > 0 AND {workday('visited_at')} "
            f"UNION ALL SELECT {day_month} AS month, grid_id, officer_id, minutes AS m FROM office_session "
            f"WHERE minutes > 0 AND {workday('day')}) p GROUP BY month, grid_id, officer_id")


def upgrade() -> None:
    op.create_table(
        "presence_month",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["officer_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("month", "grid_id", "officer_id"),
    )
    dialect = op.get_bind().dialect.name
    op.execute(_presence_sql(dialect))
    op.create_index("ix_visit_time_presence", "visit", ["visited_at", "grid_id", "officer_id", "duration_min"])
    op.drop_index("ix_visit_visited_at", table_name="visit")
    if dialect == "postgresql":
        op.execute("ANALYZE presence_month")
        op.execute("ANALYZE visit")


def downgrade() -> None:
    op.create_index("ix_visit_visited_at", "visit", ["visited_at"])
    op.drop_index("ix_visit_time_presence", table_name="visit")
    op.drop_table("presence_month")
