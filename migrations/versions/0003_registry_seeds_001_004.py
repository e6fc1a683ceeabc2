"""registry: indicators, city targets and milestones of seeds 001–004

Runs load_reference again: it inserts only the rows that are missing, so an existing database
gets the new plan indicators, targets and milestones, and rows an admin edited stay as they are.
A fresh database already received them from 0002 (same function), so this adds nothing there.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
from sqlalchemy import bindparam, text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from data_access.programme.reference import load_reference

    load_reference(op.get_bind())


def downgrade() -> None:
    # Removes the seed 001–004 registry rows and their targets (city default and per unit).
    # Reported values entered for these indicators are kept, so the downgrade fails on the
    # foreign key rather than silently deleting data someone entered.
    from data_access.programme.reference import PLAN_INDICATORS, PLAN_MILESTONES

    conn = op.get_bind()
    codes = [row[0] for row in PLAN_INDICATORS]
    milestones = [row[0] for row in PLAN_MILESTONES]
    conn.execute(text("DELETE FROM target WHERE indicator_code IN :c").bindparams(bindparam("c", expanding=True)),
                 {"c": codes})
    conn.execute(text("DELETE FROM indicator WHERE code IN :c").bindparams(bindparam("c", expanding=True)),
                 {"c": codes})
    conn.execute(text("DELETE FROM milestone WHERE code IN :c").bindparams(bindparam("c", expanding=True)),
                 {"c": milestones})
