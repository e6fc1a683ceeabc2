"""issue 16: ``result_cache`` — the dashboards' computed results shared between app replicas
(data_access.core.result_cache); UNLOGGED on PostgreSQL

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "result_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.Float(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
        prefixes=["UNLOGGED"] if pg else [],
    )
    op.create_index("ix_result_cache_computed_at", "result_cache", ["computed_at"])


def downgrade() -> None:
    op.drop_index("ix_result_cache_computed_at", table_name="result_cache")
    op.drop_table("result_cache")
