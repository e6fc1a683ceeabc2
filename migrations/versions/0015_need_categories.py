"""issue 13: need categories are data an admin edits (add, retire, reorder), like the e-form's items

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# the categories the code offered until now (frozen here), in their order
CATEGORIES = [
    ("lighting", "照明", "Lighting"), ("anti_fraud", "反诈宣传", "Anti-fraud"),
    ("elderly_care", "养老服务", "Elderly care"), ("emergency_alarm", "紧急求助", "Emergency help"),
    ("disability", "助残", "Disability support"), ("employment", "就业", "Employment"),
    ("dispute", "矛盾纠纷", "Dispute"), ("security", "治安防范", "Security"),
    ("environment", "环境卫生", "Environment"), ("other", "其他", "Other"),
]


def upgrade() -> None:
    t = op.create_table(
        "need_category",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.bulk_insert(t, [{"code": c, "name_zh": z, "name_en": e, "sort": (n + 1) * 10, "active": True, "version": 1}
                       for n, (c, z, e) in enumerate(CATEGORIES)])


def downgrade() -> None:
    op.drop_table("need_category")
