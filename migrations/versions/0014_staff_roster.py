"""issue 14 (staffing): staff roster, grid profiles, office hours, joint meetings; visit duration;
staffing and presence indicators turned from reported into computed

- new tables ``grid_profile``, ``staff``, ``staff_assignment``, ``office_session``, ``joint_meeting``;
  ``visit.duration_min``;
- the indicators the roster, visits, office hours and meetings now compute become kind
  "computed" (entry attributes reset, notes updated); their city and unit targets are kept,
  their reported values (and their change history) are dropped;
- new computed indicator ``og_monthly_meeting`` with targets 100 in every phase.

The statements hold their own data (no import of today's code).

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import bindparam, text

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

S = sa.String
COMPUTED = ("og_grid_police_coverage", "og_urban_grid_officer", "og_certified_on_post", "og_officer_daily_visit_h",
            "og_grid_daily_police_h", "og_rural_onsite_week", "sa_grid_worker_staffing")
NEW = ("og_monthly_meeting", "网格警务联席会议按月召开率", "Communities holding the monthly joint meeting", "%", "up", 319,
       "seed-002 §3.5, §5.2")
NOTES = {
    "og_grid_police_coverage": (
        "计算：统计日（期末与统计日取早）有持证民警或辅警在岗的网格 / 单位内全部网格。未持证者不计在岗（§3.7“未达标者不得上岗”）。第二阶段（2026）“实现网格警务力量全覆盖”（§3.3），深化期 100。",
        "Computed: grids with a certified officer or auxiliary on post on the reference day (period end or as_of, whichever is earlier) / all grids in the unit. Uncertified people do not count as on post (§3.7). Phase 2 (2026) full coverage (§3.3): deepening 100."),
    "og_urban_grid_officer": (
        "计算：统计日有持证专职社区民警在岗的城市网格 / 单位内全部城市网格（§3.2“至少配备1名”，§5.1、§7.1“必须配备1名”）。未设城乡属性的网格按城市计。深化期 100（解释）。",
        "Computed: urban grids with a certified full-time community officer on post on the reference day / all urban grids in the unit (§3.2 'at least 1', §5.1/§7.1 'must have 1'). Grids without an area type count as urban. Deepening 100 (interpretation)."),
    "og_officer_daily_visit_h": (
        "计算：民警在单位网格内的时间（走访时长 + 坐班/驻点时长，按开始日计，未记录时长的走访计 0）/ 民警工作日数（统计期内已结束的周一至周五、该民警在单位网格有任务的天数）。“不少于3小时”（§3.2、§5.1），三个阶段均为 3。",
        "Computed: officers' time in the unit's grids (visit durations + office hours, by start day; visits without a duration count 0) / officer working days (Mon–Fri of the period ended by as_of on which the officer was assigned to a grid of the unit). '不少于3小时' (§3.2, §5.1): 3 in every phase."),
    "og_rural_onsite_week": (
        "计算：统计期内完整且已结束的 ISO 周中，民警在农村网格的坐班/现场办公次数 / (农村网格数 × 周数)。“每个农村网格至少保证每周2次民警现场办公”（§5.1），三个阶段均为 2。",
        "Computed: officers' on-site office sessions in rural grids during the complete ISO weeks of the period ended by as_of / (rural grids × weeks). '每周2次' (§5.1): 2 in every phase."),
    "og_certified_on_post": (
        "计算：统计日在单位网格在岗的人员（民警、辅警、网格员，每人计一次）中已持证者 / 在岗人员。“持证上岗率达100%”（§3.2）、“未达标者不得上岗”（§5.3），三个阶段均为 100（解释）。",
        "Computed: people on post in the unit's grids on the reference day (officers, auxiliaries, grid workers, each once) who are certified / all of them. '持证上岗率达100%' (§3.2), '未达标者不得上岗' (§5.3): 100 in every phase (interpretation)."),
    "og_grid_daily_police_h": (
        "计算：民警在单位网格内的时间（走访 + 坐班，同 og_officer_daily_visit_h）/ (网格数 × 统计期内已结束的工作日数)。“确保每个网格日均警力投入不少于3小时”（§7.1）按网格计，三个阶段均为 3。",
        "Computed: officers' time in the unit's grids (visits + office hours, as og_officer_daily_visit_h) / (grids × working days of the period ended by as_of). '每个网格日均警力投入不少于3小时' (§7.1) is per grid: 3 in every phase."),
    "sa_grid_worker_staffing": (
        "计算：统计日至少有 2 名持证专职网格员在岗（任务在本社区网格）的社区 / 单位内全部社区（§3.2“每个村(社区)至少配备2名专职网格员”）。深化期 100（解释）。",
        "Computed: communities with ≥2 certified full-time grid workers on post in their grids on the reference day / all communities in the unit (§3.2). Deepening 100 (interpretation)."),
    "og_monthly_meeting": (
        "计算：统计期内已结束的月份中召开过网格警务联席会议的社区-月 / (社区数 × 月数)。“由社区民警牵头,每月召集…召开会议”（§5.2），常设要求，三个阶段均为 100。",
        "Computed: community-months (months of the period ended by as_of) with a joint meeting / (communities × months). '每月召集…召开会议' (§5.2), a standing rule: 100 in every phase."),
}


def _in(sql: str):
    return text(sql).bindparams(bindparam("c", expanding=True))


def upgrade() -> None:
    op.create_table(
        "grid_profile",
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("area_type", S(length=8), nullable=False),
        sa.Column("key_area", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("grid_id"),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", S(length=40), nullable=False),
        sa.Column("name", S(length=60), nullable=False),
        sa.Column("staff_type", S(length=12), nullable=False),
        sa.Column("full_time", sa.Boolean(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("certified", sa.Boolean(), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
    )
    op.create_index("ix_staff_code", "staff", ["code"], unique=True)
    op.create_index("ix_staff_staff_type", "staff", ["staff_type"])
    op.create_index("ix_staff_unit_id", "staff", ["unit_id"])
    op.create_table(
        "staff_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["grid_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_assignment_staff_id", "staff_assignment", ["staff_id"])
    op.create_index("ix_staff_assignment_grid", "staff_assignment", ["grid_id", "start_on"])
    op.create_table(
        "office_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_token", S(length=64), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=False),
        sa.Column("note", S(length=500), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["officer_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["grid_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_token"),
    )
    op.create_index("ix_office_session_officer_id", "office_session", ["officer_id"])
    op.create_index("ix_office_session_day", "office_session", ["day"])
    op.create_index("ix_office_session_grid_day", "office_session", ["grid_id", "day"])
    op.create_table(
        "joint_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_token", S(length=64), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("attendees", S(length=1000), nullable=False),
        sa.Column("risks", S(length=2000), nullable=True),
        sa.Column("tasks", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_token"),
    )
    op.create_index("ix_joint_meeting_community_month", "joint_meeting", ["community_id", "month"])
    with op.batch_alter_table("visit") as b:
        b.add_column(sa.Column("duration_min", sa.Integer(), nullable=True))

    conn = op.get_bind()
    codes = list(COMPUTED)
    conn.execute(_in("DELETE FROM reported_value_change WHERE reported_value_id IN "
                     "(SELECT id FROM reported_value WHERE indicator_code IN :c)"), {"c": codes})
    conn.execute(_in("DELETE FROM reported_value WHERE indicator_code IN :c"), {"c": codes})
    for code in codes:
        zh, en = NOTES[code]
        conn.execute(text("UPDATE indicator SET kind='computed', entry_level=NULL, period_type='month', "
                          "aggregation='mean', needs_approval=:f, pilot_only=:f, note_zh=:z, note_en=:e "
                          "WHERE code=:c"), {"c": code, "z": zh, "e": en, "f": False})
    code, zh, en, unit, direction, sort, src = NEW
    if conn.execute(text("SELECT 1 FROM indicator WHERE code=:c"), {"c": code}).first() is None:
        nz, ne = NOTES[code]
        conn.execute(text(
            "INSERT INTO indicator (code, name_zh, name_en, unit, direction, kind, headline, sort, source_plan, "
            "note_zh, note_en, entry_level, period_type, aggregation, needs_approval, pilot_only) VALUES "
            "(:c,:z,:e,:u,:d,'computed',:f,:s,:src,:nz,:ne,NULL,'month','mean',:f,:f)"),
            {"c": code, "z": zh, "e": en, "u": unit, "d": direction, "s": sort, "src": src, "nz": nz, "ne": ne,
             "f": False})
    for phase in ("pilot", "rollout", "deepening"):
        if conn.execute(text("SELECT 1 FROM target WHERE indicator_code=:i AND phase_code=:p AND org_unit_id IS NULL"),
                        {"i": code, "p": phase}).first() is None:
            conn.execute(text("INSERT INTO target (indicator_code, phase_code, org_unit_id, target, baseline, "
                              "pilot_only) VALUES (:i,:p,NULL,100.0,NULL,:f)"), {"i": code, "p": phase, "f": False})


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(text("DELETE FROM target WHERE indicator_code='og_monthly_meeting'"))
    conn.execute(text("DELETE FROM indicator WHERE code='og_monthly_meeting'"))
    conn.execute(_in("UPDATE indicator SET kind='reported', entry_level='district' WHERE code IN :c"),
                 {"c": list(COMPUTED)})
    with op.batch_alter_table("visit") as b:
        b.drop_column("duration_min")
    op.drop_table("joint_meeting")
    op.drop_table("office_session")
    op.drop_table("staff_assignment")
    op.drop_table("staff")
    op.drop_table("grid_profile")
