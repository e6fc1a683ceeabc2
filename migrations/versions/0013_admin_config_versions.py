"""Admin configuration (issue 13): a ``version`` column for optimistic locking on the rows admins
edit in the app — phases, targets, settings, org units (names, pilot flag, boundaries) and form items.

Plain ADD COLUMN with a server default of 1 (SQLite cannot recreate ``org_unit`` or ``phase`` under
the foreign keys pointing at them; existing rows start at version 1).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = ("phase", "target", "app_setting", "org_unit", "form_item")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_column(table, "version")
