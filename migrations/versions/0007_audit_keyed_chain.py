"""Keyed audit chain (issue 17): ``audit_log.scheme`` says how a row's hash was made — 1 the
plain sha256 of rows written before this revision (they keep it: re-hashing them here would
also launder any tampering they hold), 2 HMAC-SHA256 under the audit key kept outside the
database. A keyed row's ``prev_hash`` is unique, so two concurrent writers can never fork the
chain again (a fork left by the old race stays visible to ``verify-audit``).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.add_column(sa.Column("scheme", sa.Integer(), nullable=False, server_default="1"))
    op.create_index("ux_audit_log_keyed_prev", "audit_log", ["prev_hash"], unique=True,
                    sqlite_where=sa.text("scheme >= 2"), postgresql_where=sa.text("scheme >= 2"))


def downgrade() -> None:
    # keyed rows cannot be verified by 0006's code; downgrading leaves them to fail its check
    op.drop_index("ux_audit_log_keyed_prev", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.drop_column("scheme")
