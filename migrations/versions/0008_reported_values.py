"""reported values (issue 12): data-set columns on the registry, reported values per period with
history, reopen and approval; the indicators the seed summaries list that were missing; plan
baselines that were national or other cities' figures removed; pilot-only targets flagged.

- indicator: entry_level, period_type (month/quarter/year), aggregation (sum/mean/none),
  needs_approval, pilot_only, min_value/max_value (admin-set range).
- target: pilot_only (the target applies to units of pilot districts only).
- reported_value: was never read or written; recreated per period ("2025-03", "2025Q1", "2025")
  with note, status, origin, reviewer and version (optimistic locking).
- reported_value_change (who, when, old → new, reason) and report_reopen (admin, one unit × period).
- data: the rows below are frozen here (a migration must not change with the code); a row an
  admin already changed (a baseline no longer equal to the seed's) is left alone.

Revision ID: 0008
Revises: 0007
"""
import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# code → (entry_level, period_type, aggregation, needs_approval, pilot_only) of every reported indicator
ATTRS = {'cp_emergency_response_min': ('district', 'month', 'mean', True, False),
 'cp_emergency_dispatch_min': ('district', 'month', 'mean', True, False),
 'cp_disabled_response_min': ('district', 'month', 'mean', True, False),
 'cp_nonemergency_handling_h': ('district', 'month', 'mean', True, False),
 'cp_tip_feedback_h': ('district', 'month', 'mean', True, False),
 'cp_tip_adoption': ('district', 'month', 'mean', True, False),
 'cp_data_sharing': ('city', 'month', 'none', True, False),
 'cp_police_density_rural': ('district', 'year', 'mean', True, False),
 'cp_social_participation': ('district', 'month', 'mean', True, False),
 'cp_social_community_coverage': ('district', 'month', 'mean', True, False),
 'cp_station_coverage': ('district', 'month', 'mean', True, False),
 'cp_patrol_increase': ('district', 'month', 'mean', True, True),
 'cp_multidept_time_cut': ('district', 'month', 'mean', True, False),
 'cp_school_drills': ('district', 'quarter', 'mean', True, False),
 'cp_budget_share': ('city', 'year', 'none', True, False),
 'cp_data_leak_rate': ('district', 'month', 'mean', True, False),
 'cp_elderly_antifraud_coverage': ('district', 'month', 'mean', True, False),
 'cp_specialist_police_share': ('district', 'year', 'mean', True, False),
 'cp_safety_satisfaction': ('district', 'quarter', 'mean', True, False),
 'cp_response_speed_satisfaction': ('district', 'quarter', 'mean', True, False),
 'og_key_area_crime_drop': ('district', 'month', 'mean', False, False),
 'og_pilot_crime_drop': ('district', 'month', 'mean', False, True),
 'og_dispute_resolution': ('district', 'month', 'mean', False, False),
 'og_dispute_local_resolution': ('district', 'month', 'mean', False, False),
 'og_service_awareness': ('district', 'quarter', 'mean', False, False),
 'og_satisfaction': ('district', 'quarter', 'mean', False, False),
 'og_hazard_rectify_h': ('district', 'month', 'mean', False, False),
 'og_grid_police_coverage': ('district', 'month', 'mean', False, False),
 'og_urban_grid_officer': ('district', 'month', 'mean', False, False),
 'og_officer_daily_visit_h': ('district', 'month', 'mean', False, False),
 'og_rural_onsite_week': ('district', 'month', 'mean', False, False),
 'og_response_general_h': ('district', 'month', 'mean', False, False),
 'og_response_urgent_min': ('district', 'month', 'mean', False, False),
 'og_certified_on_post': ('district', 'month', 'mean', False, False),
 'og_grid_annual_funding': ('district', 'year', 'mean', False, False),
 'og_crossdept_time_cut': ('district', 'month', 'mean', False, False),
 'og_grid_daily_police_h': ('district', 'month', 'mean', False, False),
 'og_basic_info_update': ('district', 'month', 'mean', False, False),
 'cps_info_coverage': ('district', 'month', 'mean', False, False),
 'cps_gov_data_integration': ('city', 'month', 'none', False, False),
 'cps_data_fusion': ('city', 'month', 'none', False, False),
 'cps_update_timeliness_h': ('district', 'month', 'mean', False, False),
 'cps_officer_field_time_share': ('district', 'month', 'mean', False, False),
 'cps_incident_response_min': ('district', 'month', 'mean', False, False),
 'cps_one_trip': ('district', 'month', 'mean', False, False),
 'cps_public_participation': ('district', 'quarter', 'mean', False, False),
 'cps_training_fund_share': ('city', 'year', 'none', False, False),
 'sa_security_sense': ('district', 'quarter', 'mean', False, False),
 'sa_security_sense_rural': ('district', 'quarter', 'mean', False, False),
 'sa_security_sense_key_area': ('district', 'quarter', 'mean', False, False),
 'sa_cc_reoffending': ('district', 'month', 'mean', False, False),
 'sa_released_employment': ('district', 'month', 'mean', False, False),
 'sa_released_job_stability': ('district', 'month', 'mean', False, False),
 'sa_cc_one_to_one': ('district', 'month', 'mean', False, False),
 'sa_cc_counselling': ('district', 'month', 'mean', False, False),
 'sa_cc_training': ('district', 'month', 'mean', False, False),
 'sa_cc_satisfaction': ('district', 'quarter', 'mean', False, False),
 'sa_family_difficulty_resolved': ('district', 'month', 'mean', False, False),
 'sa_mediation_success': ('district', 'month', 'mean', False, False),
 'sa_mediation_common': ('district', 'month', 'mean', False, False),
 'sa_data_sharing': ('city', 'month', 'none', False, False),
 'sa_video_coverage': ('district', 'month', 'mean', False, False),
 'sa_police_ratio': ('district', 'month', 'mean', False, False),
 'sa_residents_per_grid_worker': ('district', 'month', 'mean', False, False),
 'sa_grid_worker_staffing': ('district', 'month', 'mean', False, False),
 'sa_village_officer_coverage': ('district', 'month', 'mean', False, True),
 'sa_fraud_drop': ('district', 'year', 'mean', False, False),
 'sa_device_failure': ('district', 'month', 'mean', False, False),
 'sa_warning_accuracy': ('district', 'month', 'mean', False, False),
 'sa_duplicate_assistance': ('district', 'month', 'mean', False, False),
 'sa_socorg_share': ('district', 'month', 'mean', False, False),
 'sa_public_willingness': ('district', 'quarter', 'mean', False, False),
 'sa_funding_per_capita': ('city', 'year', 'none', False, False),
 'sa_migrant_child_enrolment': ('district', 'month', 'mean', False, False),
 'sa_migrant_housing': ('district', 'month', 'mean', False, False),
 'sa_cc_highrisk_weekly_visit': ('district', 'month', 'mean', False, False),
 'sa_access_control_fixed': ('district', 'month', 'mean', False, False),
 'sa_points_coverage': ('district', 'month', 'mean', False, False),
 'sa_points_districts': ('city', 'year', 'none', False, False)}

# seed 001–004 city baselines that were national / other cities' figures (now notes)
OLD_BASELINES = [('cp_nonemergency_handling_h', 4.2),
 ('cp_data_sharing', 45.0),
 ('cp_police_density_rural', 12.0),
 ('cp_school_drills', 0.8),
 ('cps_update_timeliness_h', 168.0),
 ('sa_security_sense', 98.3),
 ('sa_security_sense_rural', 92.1),
 ('sa_cc_reoffending', 2.3),
 ('sa_released_employment', 58.0),
 ('sa_cc_one_to_one', 50.0),
 ('sa_mediation_success', 96.5),
 ('sa_mediation_common', 98.2),
 ('sa_data_sharing', 35.0),
 ('sa_police_ratio', 5000.0),
 ('sa_residents_per_grid_worker', 1200.0),
 ('sa_device_failure', 25.0),
 ('sa_duplicate_assistance', 28.0),
 ('sa_socorg_share', 12.3),
 ('sa_public_willingness', 18.7),
 ('sa_funding_per_capita', 89.0)]

PILOT_ONLY_TARGETS = [('cp_nonemergency_handling_h', 'pilot'),
 ('cp_patrol_increase', 'pilot'),
 ('og_pilot_crime_drop', 'rollout'),
 ('sa_mediation_success', 'pilot'),
 ('sa_video_coverage', 'pilot'),
 ('sa_village_officer_coverage', 'pilot')]

# the indicators the seed summaries list that were missing, and their city targets
NEW_INDICATORS = [{'code': 'cp_specialist_police_share',
  'name_zh': '反诈、网安等专业警力占比',
  'name_en': 'Specialist police share (anti-fraud, cyber)',
  'unit': '%',
  'kind': 'reported',
  'direction': 'up',
  'headline': False,
  'sort': 217,
  'source_plan': 'seed-001 §3.4, §7.1, §9.2',
  'note_zh': '反诈、网安等专业警力 / 全部警力，按区县逐年填报。“专业警力占比提升至8%”（§3.4、§7.1）无日期，未设阶段目标；§9.2 称某省已实现。反诈不足 3%、网安 '
             '2.8%（§2.2.2）为全国数据，不作基线。',
  'note_en': "Anti-fraud, cyber and other specialist officers / all officers, per district and year. '专业警力占比提升至8%' "
             '(§3.4, §7.1) is undated, so no phase target; §9.2 says a province achieved it. Anti-fraud <3% and '
             'cyber 2.8% (§2.2.2) are national figures, not baselines.'},
 {'code': 'cp_safety_satisfaction',
  'name_zh': '市民安全感满意度',
  'name_en': "Citizens' safety satisfaction",
  'unit': '%',
  'kind': 'reported',
  'direction': 'up',
  'headline': False,
  'sort': 218,
  'source_plan': 'seed-001 §3.3, §3.4, §8.3, §9.1',
  'note_zh': '季度调查（§3.4）。“稳定在90%以上”（§3.3）为长期目标（3–5 年），超出本系统时间范围，未设阶段目标。§8.3 写“稳定在92%以上”、§3.1 写“提升至92.3%”、§9.1 安全感指数 '
             '82.6→91.3 分，均为示例城市，分和 % 混用；个人 85.3%、财产 62.1%（社科院 2023）为全国数据，均不作基线。与“响应速度满意度”是两个指标。',
  'note_en': "Quarterly survey (§3.4). 'Stable above 90%' (§3.3) is a long-term goal (3–5 years), beyond this "
             "horizon, so no phase target. §8.3 '92%', §3.1 '92.3%' and §9.1's index 82.6 → 91.3 points are example "
             'cities and mix points with percent; 85.3% personal / 62.1% property safety (CASS 2023) are national. '
             'None is a baseline. A different indicator from response-speed satisfaction.'},
 {'code': 'cp_response_speed_satisfaction',
  'name_zh': '市民对公安机关响应速度的满意度',
  'name_en': 'Satisfaction with police response speed',
  'unit': '%',
  'kind': 'reported',
  'direction': 'up',
  'headline': False,
  'sort': 219,
  'source_plan': 'seed-001 §9.1',
  'note_zh': '季度调查。“提升至90%以上”（§9.1 预期效果）无日期，未设阶段目标。若今后需求办结时采集响应速度评价，可改为计算指标。',
  'note_en': "Quarterly survey. '提升至90%以上' (§9.1, expected effect) is undated, so no phase target. Could become "
             'computed if need closure captures a response-speed rating.'},
 {'code': 'og_grid_daily_police_h',
  'name_zh': '每个网格日均警力投入',
  'name_en': 'Police hours per grid per day',
  'unit': 'h',
  'kind': 'reported',
  'direction': 'up',
  'headline': False,
  'sort': 316,
  'source_plan': 'seed-002 §7.1',
  'note_zh': '每个网格每个工作日的民警在岗小时数（平均）。“确保每个网格日均警力投入不少于3小时”（§7.1）按网格计，与 §3.2、§5.1 按民警计的 og_officer_daily_visit_h '
             '不同。常设要求，三个阶段均为 3。走访未记录时长，故为填报。',
  'note_en': "Police hours per grid per working day (mean). '每个网格日均警力投入不少于3小时' (§7.1) is per grid, unlike the "
             'per-officer og_officer_daily_visit_h of §3.2/§5.1. A standing rule: 3 in every phase. Visits carry no '
             'duration, hence reported.'},
 {'code': 'og_basic_info_update',
  'name_zh': '基础信息采集动态更新率',
  'name_en': 'Basic information kept up to date',
  'unit': '%',
  'kind': 'reported',
  'direction': 'up',
  'headline': False,
  'sort': 317,
  'source_plan': 'seed-002 §3.2',
  'note_zh': '在规定周期内核实或更新过的基础信息（人口、房屋）/ 全部基础信息。“基础信息采集动态更新率达100%”（§3.2）未规定更新周期，也无日期，未设阶段目标。流动人口掌握率 '
             '62.3%（“较理想状态低27个百分点”）为相关示例，不作基线。',
  'note_en': 'Basic records (population, housing) verified or updated within the required interval / all basic '
             "records. '基础信息采集动态更新率达100%' (§3.2) defines neither the interval nor a date, so no phase target. The "
             '62.3% floating-population grasp is a related example, not a baseline.'},
 {'code': 'sa_cc_highrisk_weekly_visit',
  'name_zh': '高风险社区矫正对象“每周一访”达标率',
  'name_en': 'Weekly visits to high-risk community-corrections subjects',
  'unit': '%',
  'kind': 'reported',
  'direction': 'up',
  'headline': False,
  'sort': 528,
  'source_plan': 'seed-004 §3.2, §7.3',
  'note_zh': '统计日前 7 天内有走访的高风险社区矫正对象 / 全部高风险社区矫正对象。2024 年 6 月底起实施“每周一访”（§7.3），全覆盖即 100，三个阶段均为 100（试点期自 7 '
             '月起，解释）。风险等级源文件未定义。帮扶对象登记建成后改为计算指标（indicators.md 的定义）。',
  'note_en': 'High-risk subjects visited in the 7 days up to as_of / all high-risk subjects. Weekly visits in force '
             'from end June 2024 (§7.3); full compliance = 100 in every phase (pilot from July; interpretation). '
             'Risk levels are not defined in the source. Becomes computed once the assisted-person register exists '
             '(indicators.md).'},
 {'code': 'sa_access_control_fixed',
  'name_zh': '城乡结合部老旧小区“门禁缺失”整改率',
  'name_en': 'Missing access control fixed in old fringe compounds',
  'unit': '%',
  'kind': 'reported',
  'direction': 'up',
  'headline': False,
  'sort': 529,
  'source_plan': 'seed-004 §2.2, §3.2',
  'note_zh': '已整改的门禁缺失问题 / 排查出的门禁缺失问题。“整改率达100%”（§3.2）无日期，按三年周期设为深化期 2026（解释）。23.5% '
             '的城市社区存在门禁缺失或监控盲区（§2.2）为全国数据，不作基线。隐患登记可记录门禁问题后可改为计算指标。',
  'note_en': "Access-control gaps fixed / gaps found. '整改率达100%' (§3.2) is undated; deepening 2026 (interpretation). "
             '23.5% of urban communities lacking access control or with blind spots (§2.2) is national, not a '
             'baseline. Could become computed once hazards record access-control gaps.'},
 {'code': 'sa_points_coverage',
  'name_zh': '流动人口“积分制”帮扶覆盖率',
  'name_en': 'Migrants covered by the points system',
  'unit': '%',
  'kind': 'reported',
  'direction': 'up',
  'headline': False,
  'sort': 530,
  'source_plan': 'seed-004 §2.4, §7.3, §8.3',
  'note_zh': '纳入积分制帮扶的流动人口 / 流动人口（本系统口径；源文件分母不明，省份或人数）。“2025年12月底前…覆盖率达70%”（§7.3）→ 推广期 70。广东参与率 '
             '71%、部分省份“不足30%”（§2.4）、“覆盖流动人口3000万人”（§8.3）为全国或他省数据，不作基线。',
  'note_en': "Migrants in the points system / migrants (this system's reading; the source's denominator — provinces "
             "or people — is unclear). '2025年12月底前…覆盖率达70%' (§7.3) → rollout 70. Guangdong 71%, some provinces "
             "'<30%' (§2.4) and '30 million migrants' (§8.3) are national or other provinces' figures, not "
             'baselines.'},
 {'code': 'sa_points_districts',
  'name_zh': '建立“积分制”帮扶的区县比例',
  'name_en': 'Districts with a migrant points system',
  'unit': '%',
  'kind': 'reported',
  'direction': 'up',
  'headline': False,
  'sort': 531,
  'source_plan': 'seed-004 §3.2, §7.2',
  'note_zh': '源文件按省份计（“从30%扩大至70%”，§7.2，2025 年；§3.2 写 80% 无日期），本市按区县计，由市局逐年填报。推广期 70、深化期 80（解释）。30% 为全国省份比例，不作基线。',
  'note_en': "The source counts provinces ('从30%扩大至70%', §7.2, 2025; §3.2 says 80% undated); this city counts "
             'districts, entered yearly by the city bureau. Rollout 70, deepening 80 (interpretation). 30% is the '
             'national share of provinces, not a baseline.'}]

NEW_TARGETS = [('og_grid_daily_police_h', None, 3.0, 3.0, 3.0),
 ('sa_cc_highrisk_weekly_visit', None, 100.0, 100.0, 100.0),
 ('sa_access_control_fixed', None, None, None, 100.0),
 ('sa_points_coverage', None, None, 70.0, None),
 ('sa_points_districts', None, None, 70.0, 80.0)]

SETTINGS = {"report_lock_days": 15, "report_timely_days": 10, "report_reopen_days": 7}
PHASES = ("pilot", "rollout", "deepening")


def _reported_value_v1() -> None:
    op.create_table(
        "reported_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sa.String(length=40), sa.ForeignKey("indicator.code"), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("entered_by", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("indicator_code", "org_unit_id", "month"),
    )


def upgrade() -> None:
    # plain ADD COLUMN (SQLite cannot recreate ``indicator`` under the foreign keys pointing at it)
    for col in (sa.Column("entry_level", sa.String(length=12), nullable=True),
                sa.Column("period_type", sa.String(length=8), nullable=False, server_default="month"),
                sa.Column("aggregation", sa.String(length=8), nullable=False, server_default="mean"),
                sa.Column("needs_approval", sa.Boolean(), nullable=False, server_default=sa.false()),
                sa.Column("pilot_only", sa.Boolean(), nullable=False, server_default=sa.false()),
                sa.Column("min_value", sa.Float(), nullable=True),
                sa.Column("max_value", sa.Float(), nullable=True)):
        op.add_column("indicator", col)
    op.add_column("target", sa.Column("pilot_only", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.drop_table("reported_value")
    op.create_table(
        "reported_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_code", sa.String(length=40), sa.ForeignKey("indicator.code"), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("entered_by", sa.String(length=60), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by", sa.String(length=60), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=60), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("review_comment", sa.String(length=1000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("indicator_code", "org_unit_id", "period"),
    )
    op.create_index("ix_reported_value_indicator_code", "reported_value", ["indicator_code"])
    op.create_index("ix_reported_value_unit_period", "reported_value", ["org_unit_id", "period_end"])
    op.create_table(
        "reported_value_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reported_value_id", sa.Integer(), sa.ForeignKey("reported_value.id"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("old_value", sa.Float(), nullable=True),
        sa.Column("new_value", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reported_value_change_reported_value_id", "reported_value_change", ["reported_value_id"])
    op.create_table(
        "report_reopen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), sa.ForeignKey("org_unit.id"), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("reopened_by", sa.String(length=60), nullable=False),
        sa.Column("reopened_at", sa.DateTime(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_reopen_org_unit_id", "report_reopen", ["org_unit_id"])

    conn = op.get_bind()
    cols = ("code", "name_zh", "name_en", "unit", "direction", "kind", "headline", "sort", "source_plan",
            "note_zh", "note_en")
    for row in NEW_INDICATORS:
        if conn.execute(text("SELECT 1 FROM indicator WHERE code=:c"), {"c": row["code"]}).first() is None:
            conn.execute(text(f"INSERT INTO indicator ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"),
                         {c: row[c] for c in cols})
    for code, base, *targets in NEW_TARGETS:
        for phase, tgt in zip(PHASES, targets, strict=True):
            if tgt is not None and conn.execute(text(
                    "SELECT 1 FROM target WHERE indicator_code=:i AND phase_code=:p AND org_unit_id IS NULL"),
                    {"i": code, "p": phase}).first() is None:
                conn.execute(text("INSERT INTO target (indicator_code, phase_code, org_unit_id, target, baseline) "
                                  "VALUES (:i, :p, NULL, :t, :b)"), {"i": code, "p": phase, "t": tgt, "b": base})
    for code, (level, period, agg, approval, pilot) in ATTRS.items():
        conn.execute(text("UPDATE indicator SET entry_level=:l, period_type=:p, aggregation=:a, needs_approval=:n, "
                          "pilot_only=:o WHERE code=:c"),
                     {"l": level, "p": period, "a": agg, "n": approval, "o": pilot, "c": code})
    for code, base in OLD_BASELINES:
        conn.execute(text("UPDATE target SET baseline=NULL WHERE indicator_code=:c AND org_unit_id IS NULL "
                          "AND baseline=:b"), {"c": code, "b": base})
    for code, phase in PILOT_ONLY_TARGETS:
        conn.execute(text("UPDATE target SET pilot_only=:t WHERE indicator_code=:c AND phase_code=:p "
                          "AND org_unit_id IS NULL"), {"t": True, "c": code, "p": phase})
    for key, value in SETTINGS.items():
        if conn.execute(text("SELECT 1 FROM app_setting WHERE key=:k"), {"k": key}).first() is None:
            conn.execute(text("INSERT INTO app_setting (key, value) VALUES (:k, :v)"), {"k": key, "v": json.dumps(value)})


def downgrade() -> None:
    conn = op.get_bind()
    for code, base in OLD_BASELINES:
        conn.execute(text("UPDATE target SET baseline=:b WHERE indicator_code=:c AND org_unit_id IS NULL "
                          "AND baseline IS NULL"), {"c": code, "b": base})
    codes = [row["code"] for row in NEW_INDICATORS]
    conn.execute(text("DELETE FROM target WHERE indicator_code IN :c").bindparams(sa.bindparam("c", expanding=True)),
                 {"c": codes})
    conn.execute(text("DELETE FROM indicator WHERE code IN :c").bindparams(sa.bindparam("c", expanding=True)),
                 {"c": codes})
    conn.execute(text("DELETE FROM app_setting WHERE key IN :k").bindparams(sa.bindparam("k", expanding=True)),
                 {"k": list(SETTINGS)})
    op.drop_table("report_reopen")
    op.drop_table("reported_value_change")
    op.drop_table("reported_value")
    _reported_value_v1()
    op.drop_column("target", "pilot_only")
    for col in ("max_value", "min_value", "pilot_only", "needs_approval", "aggregation", "period_type", "entry_level"):
        op.drop_column("indicator", col)
