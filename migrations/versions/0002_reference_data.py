"""reference data: phases, indicators, city targets, milestones, settings

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from data_access.programme.reference import load_reference

    load_reference(op.get_bind())


def downgrade() -> None:
    for t in ("app_setting", "milestone", "target", "indicator", "phase"):
        op.execute(f"DELETE FROM {t}")
