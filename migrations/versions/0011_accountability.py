"""issue 15: lag list (约谈/督导), rectification ledger, security incidents, residents' data-rights requests;
the computed indicator security_incident_in_time in the registry (target 100 % in every phase) of a
database created before it (a new one gets it from reference.load_reference in 0002/0003)

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

S = sa.String
DT = sa.DateTime

INDICATOR = dict(
    code="security_incident_in_time", name_zh="安全事件限时处置率", name_en="Security incidents handled in time",
    unit="%", direction="up", kind="computed", headline=False, sort=410, source_plan="seed-003 §6.4",
    note_zh="安全事件中 1 小时内启动应急预案、24 小时内完成溯源分析、7 天内完成整改并提交报告三项均按时的比例；"
            "分母为截至统计日 7 天时限已到或已整改的事件。源文件为硬性要求，三个阶段目标均为 100（解释）。",
    note_en="Security incidents whose plan started within 1 h, trace analysis within 24 h and rectification with "
            "a report within 7 days / incidents whose 7-day limit has passed by as_of or that are rectified. "
            "The source states a requirement: 100 in every phase (interpretation).")


def upgrade() -> None:
    op.create_table(
        "lag_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", S(length=40), nullable=False),
        sa.Column("actual", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("gap", sa.Float(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("months_running", sa.Integer(), nullable=False),
        sa.Column("derived_at", DT(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["indicator_code"], ["indicator.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "org_unit_id", "indicator_code"),
    )
    op.create_index("ix_lag_entry_month", "lag_entry", ["month"])
    op.create_index("ix_lag_entry_org_unit_id", "lag_entry", ["org_unit_id"])
    op.create_table(
        "lag_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lag_entry_id", sa.Integer(), nullable=False),
        sa.Column("kind", S(length=12), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("who", S(length=120), nullable=False),
        sa.Column("note", S(length=1000), nullable=True),
        sa.Column("recorded_by", S(length=60), nullable=False),
        sa.Column("recorded_at", DT(), nullable=False),
        sa.ForeignKeyConstraint(["lag_entry_id"], ["lag_entry.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lag_action_lag_entry_id", "lag_action", ["lag_entry_id"])
    op.create_table(
        "rectification_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", S(length=40), nullable=False),
        sa.Column("client_token", S(length=64), nullable=True),
        sa.Column("source", S(length=20), nullable=False),
        sa.Column("source_ref", S(length=60), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("title", S(length=300), nullable=False),
        sa.Column("detail", S(length=2000), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", S(length=12), nullable=False),
        sa.Column("evidence", S(length=2000), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", S(length=60), nullable=True),
        sa.Column("created_by", S(length=60), nullable=False),
        sa.Column("created_at", DT(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_token"),
    )
    op.create_index("ix_rectification_item_code", "rectification_item", ["code"], unique=True)
    op.create_index("ix_rectification_item_org_unit_id", "rectification_item", ["org_unit_id"])
    op.create_index("ix_rectification_status_due", "rectification_item", ["status", "due"])
    op.create_table(
        "security_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", S(length=40), nullable=False),
        sa.Column("client_token", S(length=64), nullable=True),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", S(length=12), nullable=False),
        sa.Column("title", S(length=300), nullable=False),
        sa.Column("detected_at", DT(), nullable=False),
        sa.Column("plan_due_at", DT(), nullable=False),
        sa.Column("trace_due_at", DT(), nullable=False),
        sa.Column("rectify_due_at", DT(), nullable=False),
        sa.Column("plan_started_at", DT(), nullable=True),
        sa.Column("trace_done_at", DT(), nullable=True),
        sa.Column("rectified_at", DT(), nullable=True),
        sa.Column("report", S(length=4000), nullable=True),
        sa.Column("leak_confirmed", sa.Boolean(), nullable=False),
        sa.Column("veto_event_id", sa.Integer(), nullable=True),
        sa.Column("status", S(length=8), nullable=False),
        sa.Column("created_by", S(length=60), nullable=False),
        sa.Column("created_at", DT(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_unit_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["veto_event_id"], ["veto_event.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_token"),
    )
    op.create_index("ix_security_incident_code", "security_incident", ["code"], unique=True)
    op.create_index("ix_security_incident_org_unit_id", "security_incident", ["org_unit_id"])
    op.create_index("ix_security_incident_detected_at", "security_incident", ["detected_at"])
    op.create_table(
        "data_rights_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", S(length=40), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("kind", S(length=10), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("channel", S(length=20), nullable=False),
        sa.Column("note", S(length=1000), nullable=True),
        sa.Column("status", S(length=10), nullable=False),
        sa.Column("decision_note", S(length=1000), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", S(length=60), nullable=True),
        sa.Column("erased_at", DT(), nullable=True),
        sa.Column("created_by", S(length=60), nullable=False),
        sa.Column("created_at", DT(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_data_rights_request_code", "data_rights_request", ["code"], unique=True)
    op.create_index("ix_data_rights_request_resident_id", "data_rights_request", ["resident_id"])

    conn = op.get_bind()
    if conn.execute(text("SELECT 1 FROM indicator WHERE code = :c"), {"c": INDICATOR["code"]}).first() is None:
        conn.execute(text(
            "INSERT INTO indicator (code, name_zh, name_en, unit, direction, kind, headline, sort, source_plan, "
            "note_zh, note_en, period_type, aggregation, needs_approval, pilot_only) VALUES (:code, :name_zh, "
            ":name_en, :unit, :direction, :kind, :headline, :sort, :source_plan, :note_zh, :note_en, 'month', "
            "'mean', :f, :f)"), {**INDICATOR, "f": False})
    for phase in ("pilot", "rollout", "deepening"):
        if conn.execute(text("SELECT 1 FROM phase WHERE code = :p"), {"p": phase}).first() is None:
            continue
        if conn.execute(text("SELECT 1 FROM target WHERE indicator_code = :c AND phase_code = :p "
                             "AND org_unit_id IS NULL"), {"c": INDICATOR["code"], "p": phase}).first() is None:
            conn.execute(text("INSERT INTO target (indicator_code, phase_code, org_unit_id, target, baseline, "
                              "pilot_only) VALUES (:c, :p, NULL, 100, NULL, :f)"),
                         {"c": INDICATOR["code"], "p": phase, "f": False})


def downgrade() -> None:
    # the registry row stays: it is one of the seed-003 plan rows (reference.PLAN_INDICATORS), which
    # migration 0003's downgrade removes
    op.drop_table("data_rights_request")
    op.drop_table("security_incident")
    op.drop_table("rectification_item")
    op.drop_table("lag_action")
    op.drop_table("lag_entry")
