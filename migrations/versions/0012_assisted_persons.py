"""issue 15: assisted persons (帮扶对象) — the one-person-one-file register with its dated risk
history, assistance measures, visits, counselling sessions and counselling alerts; the weekly
visit indicator sa_cc_highrisk_weekly_visit becomes computed (indicators.md "Assisted persons").

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

S = sa.String

# indicators.md counts every high-risk assisted person, not only community-corrections subjects
NAME_ZH, NAME_EN = "高风险帮扶对象“每周一访”达标率", "Weekly visits to high-risk assisted persons"
OLD_NAME_ZH = "高风险社区矫正对象“每周一访”达标率"
OLD_NAME_EN = "Weekly visits to high-risk community-corrections subjects"
NOTE_ZH = ("统计日（含）前 7 天内有走访的高风险帮扶对象 / 统计日全部高风险帮扶对象（indicators.md：所有高风险帮扶对象，"
           "不限社区矫正对象）。由帮扶对象登记和走访记录计算。2024 年 6 月底起实施“每周一访”（§7.3），全覆盖即 100，"
           "三个阶段均为 100（解释）。风险等级（高/中/低）源文件未定义，本系统口径。")
NOTE_EN = ("High-risk assisted persons visited in the 7 days up to as_of / all high-risk assisted persons at as_of "
           "(indicators.md: every high-risk assisted person, not only community-corrections subjects). Computed "
           "from the assisted-person register and its visits. Weekly visits in force from end June 2024 (§7.3); full "
           "compliance = 100 in every phase (interpretation). Risk levels high/medium/low are this system's; the "
           "source does not define them.")


def upgrade() -> None:
    op.create_table(
        "assisted_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", S(length=40), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("group", S(length=24), nullable=False),
        sa.Column("risk_level", S(length=8), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("employment", S(length=16), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("last_visit_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["grid_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["helper_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("resident_id"),
    )
    op.create_index("ix_assisted_person_code", "assisted_person", ["code"], unique=True)
    op.create_index("ix_assisted_person_household_id", "assisted_person", ["household_id"])
    op.create_index("ix_assisted_person_helper_id", "assisted_person", ["helper_id"])
    op.create_index("ix_assisted_person_grid_risk", "assisted_person", ["grid_id", "risk_level", "active"])
    op.create_table(
        "assisted_risk_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("old_level", S(length=8), nullable=True),
        sa.Column("new_level", S(length=8), nullable=False),
        sa.Column("reason", S(length=500), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["assisted_person.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assisted_risk_change_person_at", "assisted_risk_change", ["person_id", "changed_at"])
    op.create_table(
        "assistance_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", S(length=20), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("outcome", S(length=10), nullable=False),
        sa.Column("note", S(length=500), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["assisted_person.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assistance_measure_person_id", "assistance_measure", ["person_id"])
    op.create_table(
        "person_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("visited_at", sa.DateTime(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("note", S(length=500), nullable=True),
        sa.Column("client_token", S(length=64), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["assisted_person.id"]),
        sa.ForeignKeyConstraint(["officer_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_token"),
    )
    op.create_index("ix_person_visit_person_at", "person_visit", ["person_id", "visited_at"])
    op.create_index("ix_person_visit_visited_at", "person_visit", ["visited_at"])
    op.create_table(
        "counselling_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=False),
        sa.Column("status", S(length=10), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=True),
        sa.Column("marked_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["assisted_person.id"]),
        sa.ForeignKeyConstraint(["marked_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "scheduled_at"),
    )
    op.create_index("ix_counselling_session_person_id", "counselling_session", ["person_id"])
    op.create_table(
        "counselling_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("note", S(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["assisted_person.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["counselling_session.id"]),
        sa.ForeignKeyConstraint(["helper_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id"),
    )
    op.create_index("ix_counselling_alert_person_id", "counselling_alert", ["person_id"])
    op.create_index("ix_counselling_alert_helper_id", "counselling_alert", ["helper_id"])
    # the weekly-visit indicator is computed from now on (its reported values, if any, stay stored)
    # and a headline indicator: on the overview cards, the gaps screen and the report's child tables
    op.execute(sa.text("UPDATE indicator SET kind = 'computed', headline = :h, entry_level = NULL, name_zh = :nz, "
                       "name_en = :ne, note_zh = :z, note_en = :e "
                       "WHERE code = 'sa_cc_highrisk_weekly_visit'").bindparams(h=True, nz=NAME_ZH, ne=NAME_EN, z=NOTE_ZH, e=NOTE_EN))


def downgrade() -> None:
    op.execute(sa.text("UPDATE indicator SET kind = 'reported', headline = :h, entry_level = 'district', name_zh = :nz, "
                       "name_en = :ne "
                       "WHERE code = 'sa_cc_highrisk_weekly_visit'").bindparams(h=False, nz=OLD_NAME_ZH, ne=OLD_NAME_EN))
    for t in ("counselling_alert", "counselling_session", "person_visit", "assistance_measure",
              "assisted_risk_change", "assisted_person"):
        op.drop_table(t)
