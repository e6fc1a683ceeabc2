"""issue 14: grid events on the tier clocks and hazards on the rectification clock

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

S = sa.String


def upgrade() -> None:
    op.create_table(
        "grid_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", S(length=40), nullable=False),
        sa.Column("client_token", S(length=64), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("channel", S(length=12), nullable=False),
        sa.Column("tier", S(length=10), nullable=False),
        sa.Column("category", S(length=40), nullable=False),
        sa.Column("description", S(length=1000), nullable=True),
        sa.Column("status", S(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("response_seconds", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("department", S(length=60), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("feedback", S(length=1000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_month", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["reporter_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["assignee_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_token"),
    )
    op.create_index("ix_grid_event_code", "grid_event", ["code"], unique=True)
    op.create_index("ix_grid_event_household_id", "grid_event", ["household_id"])
    op.create_index("ix_grid_event_created_at", "grid_event", ["created_at"])
    op.create_index("ix_grid_event_grid_month", "grid_event", ["grid_id", "created_month"])
    op.create_index("ix_grid_event_open_due", "grid_event", ["status", "due_at"])
    op.create_table(
        "grid_event_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", S(length=60), nullable=False),
        sa.Column("action", S(length=20), nullable=False),
        sa.Column("from_status", S(length=12), nullable=True),
        sa.Column("to_status", S(length=12), nullable=True),
        sa.Column("note", S(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["grid_event.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_grid_event_step_event_id", "grid_event_step", ["event_id"])
    op.create_table(
        "hazard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", S(length=40), nullable=False),
        sa.Column("client_token", S(length=64), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("item_code", S(length=40), nullable=True),
        sa.Column("level", S(length=8), nullable=False),
        sa.Column("description", S(length=1000), nullable=True),
        sa.Column("handler", S(length=12), nullable=False),
        sa.Column("department", S(length=60), nullable=True),
        sa.Column("status", S(length=10), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("rectified_at", sa.DateTime(), nullable=True),
        sa.Column("rectify_seconds", sa.Integer(), nullable=True),
        sa.Column("evidence", S(length=1000), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("found_month", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_token"),
        sa.UniqueConstraint("visit_id", "item_code"),
    )
    op.create_index("ix_hazard_code", "hazard", ["code"], unique=True)
    op.create_index("ix_hazard_household_id", "hazard", ["household_id"])
    op.create_index("ix_hazard_found_at", "hazard", ["found_at"])
    op.create_index("ix_hazard_grid_month", "hazard", ["grid_id", "found_month"])
    op.create_index("ix_hazard_open_due", "hazard", ["status", "due_at"])


def downgrade() -> None:
    op.drop_table("hazard")
    op.drop_table("grid_event_step")
    op.drop_table("grid_event")
