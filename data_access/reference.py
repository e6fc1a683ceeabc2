"""Reference data: phases, the indicator registry, city-default targets, milestones, settings.

Loaded by migration 0002 into editable rows (phases, targets and weights are data, not
constants). ``load_reference`` only inserts what is missing, so an admin's edits survive.
Sources: shared/spec/indicators.md and seed-000 … seed-004.
"""
from __future__ import annotations

import json
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Connection

PHASES = [
    ("pilot", "试点期", "Pilot", date(2024, 1, 1), date(2024, 12, 31)),
    ("rollout", "推广期", "Rollout", date(2025, 1, 1), date(2025, 12, 31)),
    ("deepening", "深化期", "Deepening", date(2026, 1, 1), date(2026, 12, 31)),
]

# code, zh, en, unit, headline, sort, source, note_zh, note_en
INDICATORS = [
    ("info_accuracy", "信息准确率", "Information accuracy", "%", True, 10, "seed-000 §3.2, §8",
     "双随机抽查中全部核对项与登记一致的户数 / 抽查户数；显示样本量和 95% Wilson 区间。源文件 §3.2 写“2025 年前达到 95%”，与第 8 章分阶段目标 88/92/95 冲突，以第 8 章为准，95% 仅作挑战目标说明。",
     "Spot checks where every checked field matched / all spot checks; shown with n and a 95% Wilson interval. Seed §3.2 says 95% 'before 2025', conflicting with chapter 8 (88/92/95); chapter 8 is used, §3.2 is a stretch note."),
    ("need_resolution", "群众需求解决率", "Need resolution", "%", True, 20, "seed-000 §3.3, §8",
     "期内提出的需求（不含撤回、重复）中截至统计日已解决或已确认的比例。基线 61% 来自个别试点（北京/杭州，来源不一），为代理基线。",
     "Needs created in the period (excluding withdrawn/duplicate) resolved or confirmed by as_of. The 61% baseline is a proxy from a single pilot (Beijing/Hangzhou, sources differ)."),
    ("satisfaction", "群众满意度", "Satisfaction", "score", True, 30, "seed-000 §1.4, §8",
     "评价 4–5 分（满分 5）的占比 × 100，记为 0–100 分。源文件混用“分”和“%”；基线 76.4 分是“社区安全感”满意度，为代理基线。",
     "Share of ratings 4–5 on a 1–5 scale × 100, a 0–100 score. The source mixes points and %; the 76.4 baseline measures community safety feeling (proxy baseline)."),
    ("rental_accuracy", "出租屋信息准确率", "Rental information accuracy", "%", True, 40, "seed-000 §3.2, §9.1",
     "仅限出租屋类别住户的抽查准确率。基线“不足75%”（§2.2.1）与“从75%”（§9.1）不一致，按 75 存储。",
     "Spot-check accuracy restricted to rental households. Baseline 'below 75%' (§2.2.1) vs 'from 75%' (§9.1); stored as 75."),
    ("process_compliance", "过程规范率", "Process compliance", "%", True, 50, "seed-000 §9.2",
     "亮证、全程开启执法记录仪且 24 小时内录入系统的走访 / 全部走访；录入时间未知视为不合规。源文件未定义“及时录入”的时限，24 小时为本系统口径。",
     "Visits with ID shown AND body camera on AND entered within 24 h / all visits; unknown entry time does not comply. The source does not define 'timely'; 24 h is this system's rule."),
    ("need_response_48h", "需求48小时响应率", "Need response within 48 h", "%", False, 60, "seed-000 §3.3, §5.3, §8.3",
     "窗口已满 48 小时或已响应的需求中，48 小时内响应的比例。源文件“响应”与“分派”混用。",
     "Among needs whose 48 h window has ended or that were responded to, the share responded within 48 h. The source mixes 'dispatch' and 'response'."),
    ("visit_coverage", "走访覆盖率", "Visit coverage", "%", False, 70, "seed-000 §3.1",
     "期内至少走访一次的住户 / 期末（或统计日）登记住户。", "Households visited at least once in the period / households registered at its end (or as_of)."),
    ("special_visit_compliance", "重点人员走访达标率", "Special-group visit compliance", "%", False, 80, "seed-000 §3.2",
     "红、黄、蓝风险户在统计日前规定间隔内（红 7 天，黄、蓝 30 天）有走访的比例。源文件未规定颜色含义，红 = 高风险为本系统口径。",
     "Red/yellow/blue households with a visit within their interval (red 7 days, yellow/blue 30) at as_of. The source does not say which colour is high risk; red = high is this system's reading."),
    ("night_visit_compliance", "夜间走访预约率", "Night visits booked ≥24 h ahead", "%", False, 90, "seed-000 §4.4, §5.3",
     "20:00–07:00 开始的走访中提前 24 小时以上预约的比例。源文件未定义“夜间”时段。",
     "Visits starting 20:00–07:00 with an appointment made ≥24 h before. The source does not define 'night'."),
    ("officer_weekly_visits", "民警周走访户数", "Households visited per officer-week", "count", False, 100, "seed-000 §4.1, §6.3",
     "每名民警每 ISO 周走访的不同住户数（平均）；计划最低 15 户，仅作工作量参考，不计入考核（§6.3 取消月入户数硬性要求）。",
     "Distinct households visited per officer per ISO week (mean); plan minimum 15, a workload guide only, not scored (§6.3 abolished the quota)."),
    ("assessment_score", "考核得分", "Assessment score", "score", True, 5, "seed-000 §6.3",
     "40×信息准确率 + 30×需求解决率 + 30×满意度/100（比率取 0–1），一位小数；任一分项无数据则“不完整”，期内有一票否决事件则“否决”。",
     "40×accuracy + 30×need resolution + 30×satisfaction/100 (rates as fractions), one decimal; 'incomplete' when a component has no data, 'vetoed' with a confirmed veto event in the period."),
]

# indicator, baseline, pilot, rollout, deepening (None = no target for that phase)
CITY_TARGETS = [
    ("info_accuracy", 82.4, 88.0, 92.0, 95.0),
    ("need_resolution", 61.0, 75.0, 85.0, 90.0),
    ("satisfaction", 76.4, 80.0, 85.0, 90.0),
    ("rental_accuracy", 75.0, None, None, 90.0),
    ("process_compliance", None, 100.0, 100.0, 100.0),
    ("need_response_48h", None, None, None, 100.0),
    ("special_visit_compliance", None, 100.0, 100.0, 100.0),
    ("night_visit_compliance", None, 100.0, 100.0, 100.0),
    ("officer_weekly_visits", None, 15.0, 15.0, 15.0),
]

# code, due, zh, en, owner, source
MILESTONES = [
    ("M2023-12", date(2023, 12, 31), "入户访查数据与“一网通办”平台对接（源文件写“2024年前”，日期不明）",
     "Dock visit data with the one-stop service platform (source: 'before 2024', date unclear)", "市局科技部门", "seed-000 §4.3"),
    ("M2024-03", date(2024, 3, 31), "印发并施行《入户访查工作规范（试行）》", "Issue the household-visit work norms (trial)",
     "市入户访查工作领导小组", "seed-000 §8.1"),
    ("M2024-06", date(2024, 6, 30), "试点地区完成技术调试（移动终端、数据共享接口 100%）",
     "Technical debugging done in pilot areas (terminals, data-sharing interfaces 100%)", "市局科技部门", "seed-000 §8.1"),
    ("M2024-09", date(2024, 9, 30), "试点社区全部建成“五社联动”访查协同工作站",
     "Visit coordination workstation in every pilot community", "试点社区", "seed-000 §8.1"),
    ("M2024-12", date(2024, 12, 31), "社区警务移动终端配备率 100%", "Mobile terminal equipment rate 100%",
     "市局科技部门", "seed-000 §3.4, §5.2, §7.2"),
    ("M2025-01", date(2025, 1, 31), "出台《入户访查考核办法》（准确率 40%、需求解决率 30%、满意度 30%）",
     "Issue the assessment method (40/30/30)", "市入户访查工作领导小组", "seed-000 §8.2"),
    ("M2025-03", date(2025, 3, 31), "建成市—区—所三级平台（市级汇总、区级调度、基层更新）",
     "Three-level platform built (city aggregates, district dispatches, station updates)", "市局 / 分局 / 派出所", "seed-000 §8.2"),
    ("M2025-06", date(2025, 6, 30), "全部社区完成技术系统部署和人员培训", "System deployed and staff trained in all communities",
     "各分局", "seed-000 §8.2"),
    ("M2025-09", date(2025, 9, 30), "居民端 APP（预约、查询、诉求提交）全面推广", "Resident app rolled out",
     "市局科技部门", "seed-000 §8.2"),
    ("M2026-03", date(2026, 3, 31), "部署“入户访查 AI 助手”（异常预警）", "Deploy the visit AI assistant (anomaly alerts)",
     "市局科技部门", "seed-000 §8.3"),
    ("M2026-06", date(2026, 6, 30), "服务流程优化：民生需求占比 30%、48 小时响应率 100%",
     "Service process optimised: livelihood share 30%, 48 h response 100%", "市入户访查工作领导小组", "seed-000 §8.3"),
    ("M2026-09", date(2026, 9, 30), "每个社区每年至少开展 4 次警民共建活动", "Every community holds ≥4 police–resident activities a year",
     "各社区", "seed-000 §8.3"),
    ("M2026-12", date(2026, 12, 31), "修订《入户访查工作规范》", "Revise the household-visit work norms",
     "市入户访查工作领导小组", "seed-000 §8.3"),
]

SETTINGS = {
    "score_weights": {"info_accuracy": 40, "need_resolution": 30, "satisfaction": 30},
    "special_intervals_days": {"red": 7, "yellow": 30, "blue": 30},
    "night_window": {"start": "20:00", "end": "07:00"},
    "need_sla_hours": 48,
    "status_at_risk_points": 2.0,
    "trend_months": 6,
}


def load_reference(conn: Connection) -> None:
    """Insert reference rows that are not there yet (idempotent; keeps edited rows)."""
    def exists(sql: str, **kw) -> bool:
        return conn.execute(text(sql), kw).first() is not None

    for code, zh, en, start, end in PHASES:
        if not exists("SELECT 1 FROM phase WHERE code=:c", c=code):
            conn.execute(text("INSERT INTO phase (code, name_zh, name_en, start, \"end\") VALUES (:c,:z,:e,:s,:t)"),
                         {"c": code, "z": zh, "e": en, "s": start, "t": end})
    for code, zh, en, unit, headline, sort, src, nzh, nen in INDICATORS:
        if not exists("SELECT 1 FROM indicator WHERE code=:c", c=code):
            conn.execute(text(
                "INSERT INTO indicator (code, name_zh, name_en, unit, direction, kind, headline, sort, "
                "source_plan, note_zh, note_en) VALUES (:c,:z,:e,:u,'up','computed',:h,:s,:src,:nz,:ne)"),
                {"c": code, "z": zh, "e": en, "u": unit, "h": headline, "s": sort, "src": src,
                 "nz": nzh, "ne": nen})
    for code, base, *targets in CITY_TARGETS:
        for phase, tgt in zip(("pilot", "rollout", "deepening"), targets):
            if tgt is None:
                continue
            if not exists("SELECT 1 FROM target WHERE indicator_code=:i AND phase_code=:p AND org_unit_id IS NULL",
                          i=code, p=phase):
                conn.execute(text("INSERT INTO target (indicator_code, phase_code, org_unit_id, target, baseline) "
                                  "VALUES (:i,:p,NULL,:t,:b)"), {"i": code, "p": phase, "t": tgt, "b": base})
    for code, due, zh, en, owner, src in MILESTONES:
        if not exists("SELECT 1 FROM milestone WHERE code=:c", c=code):
            conn.execute(text("INSERT INTO milestone (code, title_zh, title_en, due, owner, status, source, version) "
                              "VALUES (:c,:z,:e,:d,:o,'planned',:s,1)"),
                         {"c": code, "z": zh, "e": en, "d": due, "o": owner, "s": src})
    for key, value in SETTINGS.items():
        if not exists("SELECT 1 FROM app_setting WHERE key=:k", k=key):
            conn.execute(text("INSERT INTO app_setting (key, value) VALUES (:k,:v)"),
                         {"k": key, "v": json.dumps(value, ensure_ascii=False)})
