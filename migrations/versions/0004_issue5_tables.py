"""issue 5: visit form items, drafts, need history, login attempts, appointments, privacy complaints

Revision ID: 0004
Revises: 0003
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = sa.String

# The default visit e-form (seed 000 §3.1: information check, hazard check, residents' needs;
# the plan names only the three parts and a few examples, so the items are a team decision and
# an admin can change them). code, section, zh, en, kind, options, required, sort
DEFAULT_FORM = [
    ("info_address_ok", "info", "登记地址与实际一致", "Address on record is correct", "bool", None, True, 10),
    ("info_residents_ok", "info", "登记人员与实际居住人员一致", "Residents on record match who lives here", "bool", None, True, 20),
    ("info_people_count", "info", "实际居住人数", "Number of people living here", "number", {"min": 0, "max": 50}, False, 30),
    ("info_tenancy", "info", "居住性质", "Tenure", "choice",
     [{"code": "owner", "zh": "自住", "en": "Owner-occupied"}, {"code": "rental", "zh": "出租", "en": "Rented"},
      {"code": "vacant", "zh": "空置", "en": "Vacant"}, {"code": "business", "zh": "经营场所", "en": "Business"}], True, 40),
    ("info_correction", "info", "需更正的登记信息（说明）", "Corrections to the record (describe)", "text", {"max_length": 500}, False, 50),
    ("hz_fire", "hazard", "存在消防隐患（通道堵塞、私拉电线、电动车室内充电等）",
     "Fire hazard (blocked exits, improvised wiring, e-bike charging indoors …)", "bool", None, True, 10),
    ("hz_gas", "hazard", "存在燃气或用电安全隐患", "Gas or electrical hazard", "bool", None, True, 20),
    ("hz_security", "hazard", "门窗防盗设施缺失或损坏", "Doors/windows lack security or are damaged", "bool", None, True, 30),
    ("hz_fraud", "hazard", "电信网络诈骗风险", "Risk of telecom / online fraud", "choice",
     [{"code": "none", "zh": "未发现", "en": "None seen"}, {"code": "low", "zh": "较低", "en": "Low"},
      {"code": "high", "zh": "较高（已重点提示）", "en": "High (warned)"}], False, 40),
    ("hz_note", "hazard", "隐患情况说明及整改建议", "Hazard details and advice given", "text", {"max_length": 500}, False, 50),
    ("nd_lighting", "need", "反映社区照明问题", "Raises community lighting", "bool", None, False, 10),
    ("nd_antifraud", "need", "需要反诈宣传", "Wants anti-fraud information", "bool", None, False, 20),
    ("nd_elderly", "need", "有养老服务需求（独居老人等）", "Needs elderly care (e.g. living alone)", "bool", None, False, 30),
    ("nd_feedback_told", "need", "已告知反馈渠道", "Feedback channel told", "bool", None, True, 40),
    ("nd_other", "need", "其他诉求", "Other requests", "text", {"max_length": 500}, False, 50),
]


def upgrade() -> None:
    form_item = op.create_table(
        "form_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section", S(length=12), nullable=False),
        sa.Column("code", S(length=40), nullable=False),
        sa.Column("label_zh", S(length=200), nullable=False),
        sa.Column("label_en", S(length=200), nullable=False),
        sa.Column("kind", S(length=8), nullable=False),
        sa.Column("options", sa.Text(), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_form_item_code", "form_item", ["code"], unique=True)

    op.create_table(
        "visit_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("draft_key", S(length=64), nullable=False),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("household.id"), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("officer_id", "draft_key"),
    )
    op.create_index("ix_visit_draft_officer_id", "visit_draft", ["officer_id"])

    op.create_table(
        "need_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), sa.ForeignKey("need.id"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("username", S(length=60), nullable=False),
        sa.Column("action", S(length=20), nullable=False),
        sa.Column("from_status", S(length=12), nullable=True),
        sa.Column("to_status", S(length=12), nullable=True),
        sa.Column("note", S(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_need_event_need_id", "need_event", ["need_id"])

    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", S(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempt_user_at", "login_attempt", ["user_id", "at"])

    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("household.id"), nullable=False),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("status", S(length=10), nullable=False),
        sa.Column("visit_id", sa.Integer(), sa.ForeignKey("visit.id"), nullable=True),
        sa.Column("note", S(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_appointment_household_id", "appointment", ["household_id"])
    op.create_index("ix_appointment_officer_time", "appointment", ["officer_id", "scheduled_at"])

    op.create_table(
        "privacy_complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", S(length=40), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("channel", S(length=20), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("household.id"), nullable=True),
        sa.Column("summary", S(length=1000), nullable=False),
        sa.Column("status", S(length=12), nullable=False),
        sa.Column("start_due_at", sa.DateTime(), nullable=True),
        sa.Column("close_due_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("result", S(length=2000), nullable=True),
        sa.Column("handler_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_privacy_complaint_code", "privacy_complaint", ["code"], unique=True)
    op.create_index("ix_privacy_complaint_received_at", "privacy_complaint", ["received_at"])
    op.create_index("ix_privacy_complaint_org_unit_id", "privacy_complaint", ["org_unit_id"])

    op.bulk_insert(form_item, [
        {"code": code, "section": section, "label_zh": zh, "label_en": en, "kind": kind,
         "options": json.dumps(opts, ensure_ascii=False) if opts is not None else None,
         "required": required, "active": True, "sort": sort}
        for code, section, zh, en, kind, opts, required, sort in DEFAULT_FORM
    ])


def downgrade() -> None:
    for t in ("privacy_complaint", "appointment", "login_attempt", "need_event", "visit_draft", "form_item"):
        op.drop_table(t)
