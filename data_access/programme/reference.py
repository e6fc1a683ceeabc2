"""Reference data: phases, the indicator registry, city-default targets, milestones, settings.

Loaded by migration 0002 (seed 000) and again by 0003 (seeds 001–004) into editable rows
(phases, targets and weights are data, not constants). ``load_reference`` only inserts what
is missing, so an admin's edits survive and running it twice adds nothing.
Sources: shared/spec/indicators.md and the seed summaries seed-000 … seed-004 beside it.

Seed 000 (household visits) has the headline indicators, all computed from the app's
records. Seeds 001–004 (``PLAN_INDICATORS``) add the other plans' quantitative indicators;
almost all are *reported* per unit and month (DHIS2-style), because the app does not hold
the records they need (110 incidents, tips, staff rosters, population, surveys, budgets).
Units used besides "%", "score", "count", "min", "h": "per_10k" (per 10,000 residents),
"people" (residents per staff member), "CNY" (yuan), "CNY_10k" (10,000 yuan).
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

# --- other plans (seeds 001–004) -------------------------------------------------------------
# Phase mapping used below. Seed 001 counts plan years only; year 1/2/3 are read as
# 2024/2025/2026 (the seed summary's suggestion, an interpretation noted on each row).
# Seed 002: phase 1 = 2024–2025 (target at the end of rollout), phase 2 = 2026 and
# "by end 2026" = deepening. Seed 003: near term 2023–2024 = pilot, 2025 = rollout;
# its undated §3.2 sub-goals are put in 2025 ("year assumed", seed-003 summary X12).
# Seed 004: its own phases are 2024/2025/2026; undated goals of this three-year plan are
# put at its end (deepening). A standing limit ("within 5 minutes", "every year ≥5%")
# is a target in every phase. Targets after 2026 or without any date get no target row;
# the number stays in the note. All plan indicators are 'reported' unless stated.

# code, zh, en, unit, kind, direction, sort, source, note_zh, note_en
PLAN_INDICATORS = [
    # seed 001 — 公安为市民护驾工作方案 (citizen protection)
    ("event_response_in_time_emergency", "紧急级事件按时响应率", "Emergency-tier events answered in time", "%",
     "computed", "up", 200, "seed-001 §5.3",
     "紧急级网格事件（紧急求助、一键报警、紧急事件）在 5 分钟时限内响应的比例，逐件计时（indicators.md “Time-limited work”）；旁列中位数和 90 分位响应时间。取代原填报的月平均响应时间 cp_emergency_response_min：平均值低于时限会掩盖超时个案。方案只规定逐件时限、未给比例目标，目标由管理员设定。",
     "Emergency-tier grid events (emergency help, one-button alarms, emergency events) answered within the 5-minute limit, each case on its own clock (indicators.md 'Time-limited work'); median and 90th-percentile response time beside it. Replaces the reported monthly mean cp_emergency_response_min: a mean under the limit hides late cases. The plan sets a limit per case, not a rate target; an admin may set one."),
    ("cp_emergency_dispatch_min", "紧急警情出警时间", "Emergency dispatch time", "min", "reported", "down",
     201, "seed-001 §3.2, §9.1",
     "“紧急警情出警时间控制在8分钟内”（§3.2、§9.1）。“出警”可指派警或到场，源文件未定义；本系统口径为接警到民警出发的分钟数，填报月平均值。15 分钟（2018）→8 分钟（2023）是市民期望，6.8、6.5 分钟是他市 AI 调度示例，均不作基线。源文件无日期，作为常设时限三个阶段均为 8（解释）。",
     "'紧急警情出警时间控制在8分钟内' (§3.2, §9.1). 出警 may mean dispatch or arrival; the source does not say. This system: minutes from call to the officer setting off, monthly mean. 15 → 8 min (2018 → 2023) are citizens' expectations and 6.8/6.5 min other cities' AI-dispatch examples; none is a baseline. Undated; a standing limit of 8 in every phase (interpretation)."),
    ("cp_disabled_response_min", "残障人士紧急求助响应时间", "Emergency help response time, people with disabilities", "min",
     "reported", "down", 202, "seed-001 §3.2",
     "“残障人士紧急求助响应时间缩短至5分钟内”（§3.2）。与紧急级网格事件（event_response_in_time_emergency）同一时钟，仅限残障人士的紧急求助。现状只有 38.5% 的残障人士求助因沟通障碍延误（§2.1.2，年份乱码“?023”），不是分钟数，不存基线。源文件无日期，作为常设时限三个阶段均为 5（解释）。",
     "'残障人士紧急求助响应时间缩短至5分钟内' (§3.2). Same clock as the emergency tier of grid events (event_response_in_time_emergency), restricted to help requests from people with disabilities. The only status figure is 38.5% of such calls delayed by communication problems (§2.1.2, year garbled '?023'), not minutes, so no baseline. Undated; a standing limit of 5 in every phase (interpretation)."),
    ("cp_nonemergency_handling_h", "非紧急警情处置时间", "Non-emergency incident handling time", "h", "reported", "down",
     203, "seed-001 §3.2, §8.1, §9.1",
     "非紧急类警情（证件丢失、噪音扰民、纠纷调解等）从接警到处置完毕的小时数，填报月平均值。目标“2小时内”：§8.1 要求试点区域在第1年7–12月达到（映射为试点期 2024），§3.2、§9.1 的总体目标无日期，推广期、深化期也设为 2（解释）。基线 4.2 小时为“某市”数据（§2.1.3），1.8 小时为示例（§5.3），均非本市数据。",
     "Hours from call to completed handling for non-emergency incidents (lost documents, noise, disputes), monthly mean. Target 'within 2 hours': pilot areas in year 1 months 7–12 (§8.1, read as pilot 2024); the general target of §3.2/§9.1 is undated and is also set for rollout and deepening (interpretation). Baseline 4.2 h is 'a certain city' (§2.1.3); 1.8 h is an example (§5.3); neither is this city's."),
    ("cp_tip_feedback_h", "举报线索反馈时间", "Time to feedback on citizen tips", "h", "reported", "down",
     204, "seed-001 §6.4",
     "“24小时闭环反馈”（受理—处置—反馈，件件有回应，§6.4）。源文件未说明 24 小时是到首次反馈还是到办结；本系统口径为提交到向市民反馈的小时数，填报月平均值，办结时间另行说明。旧平台平均 7 个工作日反馈（§2.5.2，某市），单位不同，不存基线。自 APP 上线起生效，三个阶段均为 24（解释）。",
     "'24小时闭环反馈' (accept → handle → feed back, every tip answered, §6.4). The source does not say whether 24 h is to first feedback or to closure; this system: hours from submission to feedback to the citizen, monthly mean; closure time noted separately. The old platform's 7 working days (§2.5.2, a certain city) is in other units; no baseline. In force from app launch; 24 in every phase (interpretation)."),
    ("cp_tip_adoption", "举报线索采纳率", "Tip adoption rate", "%", "reported", "up", 205, "seed-001 §6.4, §9.3",
     "被采纳的有效线索 / 全部举报线索。18.3%→65% 在 §6.4 是某市已实现的结果，在 §9.3 是本方案的预期效果，均来自他市。源文件无日期，未设阶段目标（可由管理员设定）。",
     "Adopted (valid) tips / all tips. 18.3% → 65% is another city's achieved result in §6.4 and this plan's expected effect in §9.3. Undated, so no phase target (an admin may set one)."),
    ("cp_data_sharing", "跨部门数据共享率", "Cross-department data-sharing rate", "%", "reported", "up", 206,
     "seed-001 §3.2, §8.2",
     "数据共享率“达90%以上”，第2年1–6月建成跨部门数据共享平台（§8.2），映射为推广期 2025（解释）；此后源文件未另设数值。基线 45% 是某省公安与民政的共享率（§2.3.1），非本市数据。分母未定义；§3.2 称“8个部门”、§7.4 称“8类数据”，各只列出 4 个，名单不详。",
     "Data-sharing rate '达90%以上' when the cross-department platform is finished in year 2 months 1–6 (§8.2), read as rollout 2025 (interpretation); no later value given. Baseline 45% is a province's police–civil-affairs sharing rate (§2.3.1), not this city's. Denominator undefined; §3.2 says '8 departments', §7.4 '8 categories of data', each naming only 4."),
    ("cp_police_density_rural", "农村地区警力密度", "Rural police density", "per_10k", "reported", "up", 207,
     "seed-001 §3.3, §8.3",
     "农村地区民警数 / 农村常住人口 × 10000，按区县填报。目标“每万人18人”：§3.3 列为中期目标（第2–3年），§8.3 排在第4年（体系构建阶段），两处冲突。本系统按 §3.3 设为深化期 2026 目标（解释）；第4年（2027）已超出本系统时间范围。基线 12（城市 28）来自某省（§2.2.1），非本市数据。",
     "Rural police officers / rural residents × 10,000, per district. Target '每万人18人': mid term (years 2–3) in §3.3 but year 4 in §8.3 — conflict. This system uses §3.3 and sets 18 for deepening 2026 (interpretation); year 4 (2027) is beyond the horizon. Baseline 12 (urban 28) is a province's (§2.2.1), not this city's."),
    ("cp_social_participation", "社会力量参与率", "Social-force participation rate", "%", "reported", "up", 208,
     "seed-001 §3.3, §8.2",
     "“社会力量参与率提升至60%”，第2年7月至第3年6月（服务拓展阶段，§8.2），映射为深化期 2026（该阶段止于 2026 年 6 月，解释）。分母未定义。与 §3.2“社会力量参与护驾工作的社区覆盖率达70%”是不同指标（cp_social_community_coverage）。",
     "'社会力量参与率提升至60%' in year 2 month 7 – year 3 month 6 (§8.2), read as deepening 2026 (the stage ends June 2026; interpretation). Denominator undefined. A different indicator from §3.2's 70% community coverage (cp_social_community_coverage)."),
    ("cp_social_community_coverage", "社会力量参与护驾社区覆盖率", "Communities with active social-force teams", "%",
     "reported", "up", 209, "seed-001 §3.2, §9.3",
     "有实际活动的警民共建或平安志愿者队伍的社区 / 全部社区（须有活动记录，不能“挂牌子、凑人数”，§2.5.3）。目标 70%（§3.2；§9.3 志愿者队伍“社区覆盖率达70%”）无日期，未设阶段目标。某市仅 12% 的社区有警民共建队伍（§2.3.3），非本市数据。",
     "Communities with an active police–citizen or volunteer team (with activity records, not just a sign, §2.5.3) / all communities. Target 70% (§3.2; §9.3) is undated, so no phase target. 12% (§2.3.3) is another city's figure."),
    ("cp_station_coverage", "护驾服务驿站社区覆盖率", "Communities served by a protection service station", "%",
     "reported", "up", 210, "seed-001 §7.2, §8.2",
     "有（或由）护驾服务驿站覆盖的社区 / 全部社区。“覆盖至全市80%社区”在第2年7月至第3年6月（§8.2），映射为深化期 2026（解释）。§7.2 另写在全市设立 100 个护驾服务驿站：只有社区不超过 125 个或一站覆盖多个社区时两者才一致。",
     "Communities with or served by a protection service station / all communities. '覆盖至全市80%社区' in year 2 month 7 – year 3 month 6 (§8.2), read as deepening 2026 (interpretation). §7.2 also plans 100 stations citywide; consistent only with ≤125 communities or stations serving several communities."),
    ("cp_patrol_increase", "试点区域巡逻频次增幅", "Patrol frequency increase in pilot areas", "%", "reported", "up",
     211, "seed-001 §8.1, §3.3",
     "(本期巡逻频次 − 基期) / 基期 × 100，仅试点单位填报。“试点区域巡逻频次提升50%”（§8.1，第1年7–12月，映射为试点期 2024，解释）；§3.3 写“重点区域”。源文件未给基期，须由单位填报。",
     "(Patrols now − base period) / base period × 100, reported by pilot units only. '试点区域巡逻频次提升50%' (§8.1, year 1 months 7–12, read as pilot 2024; interpretation); §3.3 says 'key areas'. No base period in the source; units enter it."),
    ("cp_multidept_time_cut", "多部门联动警情处置时间缩减幅度", "Reduction of multi-department incident handling time", "%",
     "reported", "up", 212, "seed-001 §3.3, §9.2",
     "(基期平均处置时间 − 本期) / 基期 × 100。§3.3 中期目标（第2–3年）“缩短30%”，映射为深化期 2026（解释）；§9.2 预期效果写“缩短50%”，两处冲突，50% 作远期说明。基期须由单位填报。",
     "(Mean handling time in the base period − now) / base × 100. Mid-term (years 2–3) target '缩短30%' (§3.3), read as deepening 2026 (interpretation); §9.2 says '缩短50%' — conflict; 50% kept as a long-term note. Units enter the base period."),
    ("cp_school_drills", "校园安全演练次数", "School safety drills per semester", "count", "reported", "up", 213,
     "seed-001 §3.2, §2.1.1",
     "每所学校每学期安全演练次数（平均），按学期填报。“青少年校园安全演练每学期不少于2次”（§3.2），常设要求，三个阶段均为 2。基线 0.8 次（§2.1.1）未写明来源地区。",
     "Safety drills per school per semester (mean), reported per semester. '每学期不少于2次' (§3.2), a standing rule: 2 in every phase. Baseline 0.8 (§2.1.1) does not say whose."),
    ("cp_budget_share", "护驾专项经费占公安预算比例", "Protection funds as share of the police budget", "%", "reported",
     "up", 214, "seed-001 §3.4, §7.3",
     "护驾专项经费 / 公安预算 × 100，按年度填报。“每年投入不低于公安预算的5%”（§3.4），§7.3 写“公安总预算”，措辞不同。每年要求，三个阶段均为 5。",
     "Protection funds / police budget × 100, yearly. '每年投入不低于公安预算的5%' (§3.4); §7.3 says 'total police budget'. A yearly rule: 5 in every phase."),
    ("cp_data_leak_rate", "数据泄露事件发生率", "Data-leak incident rate", "%", "reported", "down", 215, "seed-001 §6.1",
     "“数据泄露事件发生率控制在0.1%以下”（§6.1，引自某省《护驾工作数据安全管理规范》）；分母未定义，由填报单位说明。常设要求，三个阶段均为 0.1。",
     "'数据泄露事件发生率控制在0.1%以下' (§6.1, quoting a province's data-security norm); denominator undefined, stated by the reporting unit. A standing rule: 0.1 in every phase."),
    ("cp_elderly_antifraud_coverage", "老年人防诈骗服务覆盖率", "Elderly anti-fraud service coverage", "%", "reported",
     "up", 216, "seed-001 §3.2",
     "至少接受一次防诈骗服务的老年人 / 老年人总数。目标 85%（§3.2）无日期，未设阶段目标。“不足1%”是某市讲座覆盖率（§2.1.1），口径不同，不作基线。本系统不保存老年人标记，故为填报指标。",
     "Elderly people with ≥1 anti-fraud service / all elderly people. Target 85% (§3.2) is undated, so no phase target. '不足1%' is another city's lecture coverage (§2.1.1), not this measure. The app holds no elderly flag, hence reported."),

    ("cp_specialist_police_share", "反诈、网安等专业警力占比", "Specialist police share (anti-fraud, cyber)", "%",
     "reported", "up", 217, "seed-001 §3.4, §7.1, §9.2",
     "反诈、网安等专业警力 / 全部警力，按区县逐年填报。“专业警力占比提升至8%”（§3.4、§7.1）无日期，未设阶段目标；§9.2 称某省已实现。反诈不足 3%、网安 2.8%（§2.2.2）为全国数据，不作基线。",
     "Anti-fraud, cyber and other specialist officers / all officers, per district and year. '专业警力占比提升至8%' (§3.4, §7.1) is undated, so no phase target; §9.2 says a province achieved it. Anti-fraud <3% and cyber 2.8% (§2.2.2) are national figures, not baselines."),
    ("cp_safety_satisfaction", "市民安全感满意度", "Citizens' safety satisfaction", "%", "reported", "up", 218,
     "seed-001 §3.3, §3.4, §8.3, §9.1",
     "季度调查（§3.4）。“稳定在90%以上”（§3.3）为长期目标（3–5 年），超出本系统时间范围，未设阶段目标。§8.3 写“稳定在92%以上”、§3.1 写“提升至92.3%”、§9.1 安全感指数 82.6→91.3 分，均为示例城市，分和 % 混用；个人 85.3%、财产 62.1%（社科院 2023）为全国数据，均不作基线。与“响应速度满意度”是两个指标。",
     "Quarterly survey (§3.4). 'Stable above 90%' (§3.3) is a long-term goal (3–5 years), beyond this horizon, so no phase target. §8.3 '92%', §3.1 '92.3%' and §9.1's index 82.6 → 91.3 points are example cities and mix points with percent; 85.3% personal / 62.1% property safety (CASS 2023) are national. None is a baseline. A different indicator from response-speed satisfaction."),
    ("cp_response_speed_satisfaction", "市民对公安机关响应速度的满意度", "Satisfaction with police response speed", "%",
     "reported", "up", 219, "seed-001 §9.1",
     "季度调查。“提升至90%以上”（§9.1 预期效果）无日期，未设阶段目标。若今后需求办结时采集响应速度评价，可改为计算指标。",
     "Quarterly survey. '提升至90%以上' (§9.1, expected effect) is undated, so no phase target. Could become computed if need closure captures a response-speed rating."),

    # seed 002 — 警官进网格工作方案 (officers into grids); chapter 8 (milestones) is missing in the source
    ("og_key_area_crime_drop", "重点区域刑事案件发案率降幅", "Drop in criminal case rate in key areas", "%", "reported",
     "up", 300, "seed-002 §3.1",
     "(基准年发案率 − 本期) / 基准年 × 100。“到2026年底…重点区域刑事案件发案率较基准年下降30%以上”（§3.1）→ 深化期 2026。基准年和发案率分母未定义；本系统以 2023 为基准年（可修改）。杭州 −41.3% 为示例。",
     "(Base-year rate − now) / base-year rate × 100. By end 2026 (§3.1): '较基准年下降30%以上' (§3.1) → deepening 2026. Base year and rate denominator undefined; this system uses 2023 (editable). Hangzhou's −41.3% is an example."),
    ("og_pilot_crime_drop", "试点区域发案率降幅", "Drop in case rate in pilot areas", "%", "reported", "up", 301,
     "seed-002 §3.3",
     "(基准年发案率 − 本期) / 基准年 × 100，仅试点单位填报，含全部案件。第一阶段（2024–2025）“试点区域发案率下降20%”（§3.3）；源文件第一阶段跨本系统试点期和推广期，目标设在推广期 2025（解释）。基准年未定义。",
     "(Base-year rate − now) / base × 100, pilot units only, all cases. Phase 1 (2024–2025) '试点区域发案率下降20%' (§3.3); the source's phase 1 spans pilot and rollout, so the target is set at the end of rollout 2025 (interpretation). Base year undefined."),
    ("og_dispute_resolution", "矛盾化解率", "Dispute resolution rate", "%", "reported", "up", 302, "seed-002 §3.3",
     "已化解的矛盾纠纷 / 受理的矛盾纠纷。第一阶段（2024–2025）“矛盾化解率提升至90%”（§3.3），设在推广期 2025（解释）。§3.1 把矛盾化解率列入“降低”的量化指标，是笔误，按越高越好处理。苏州 98.2%、浙江 92.5% 为示例。需求记录没有“纠纷”类别约定，故为填报。",
     "Disputes resolved / disputes received. Phase 1 (2024–2025) '矛盾化解率提升至90%' (§3.3), set at the end of rollout 2025 (interpretation). §3.1 lists it among rates to 'reduce' — a wording error; higher is better. Suzhou 98.2% and Zhejiang 92.5% are examples. Needs have no agreed 'dispute' category, hence reported."),
    ("og_dispute_local_resolution", "矛盾纠纷就地化解率", "On-the-spot dispute resolution rate", "%", "reported", "up",
     303, "seed-002 §3.1",
     "在网格或社区内化解、未上交的纠纷 / 全部纠纷（“就地”源文件未定义，本系统口径为未上交到社区以上）。“到2026年底…达95%以上”（§3.1）→ 深化期 2026。与 og_dispute_resolution（90%）是两个指标。",
     "Disputes settled within the grid/community without escalation / all disputes ('就地' is undefined; this system: not escalated above community level). By end 2026: '达95%以上' (§3.1) → deepening 2026. A different indicator from og_dispute_resolution (90%)."),
    ("og_service_awareness", "群众对警务服务知晓率", "Public awareness of police services", "%", "reported", "up", 304,
     "seed-002 §3.1",
     "调查结果，方法未给出。“到2026年底…群众对警务服务知晓率达100%”（§3.1）→ 深化期 2026。28.5% 的居民能说出网格民警联系方式（§2.3.1，2023 全国调查）问法不同，不作基线。",
     "Survey; method not given. By end 2026: '知晓率达100%' (§3.1) → deepening 2026. The 28.5% who know their grid officer's contact (§2.3.1, 2023 national survey) is a different question; no baseline."),
    ("og_satisfaction", "群众满意度（警官进网格）", "Resident satisfaction (officers into grids)", "%", "reported", "up",
     305, "seed-002 §3.1, §3.3",
     "调查满意率。2026 年有两个目标：§3.3 第二阶段（2026）“群众满意度达97%”，§3.1“到2026年底…提升至98%以上”；取较严的 98 为深化期目标，97 作说明。96.3% 为已实施地区的安全感满意度（§1.1），非本市基线。与 seed-000 的 satisfaction（0–100 分，2026 年 90）口径和量纲不同，不合并。",
     "Survey satisfaction rate. Two 2026 targets: '群众满意度达97%' (§3.3, phase 2) and '到2026年底…提升至98%以上' (§3.1); the stricter 98 is the deepening target, 97 noted. 96.3% is implementing areas' safety satisfaction (§1.1), not a baseline here. Differs in definition and scale from seed 000's satisfaction (0–100 score, 90 in 2026); not merged."),
    ("hazard_rectified_in_time", "隐患按时整改率", "Hazards rectified in time", "%", "computed", "up", 306,
     "seed-002 §3.1, §3.3",
     "期内发现的隐患中，时限（一般 24 小时、重大 48 小时）已到或已整改者里按时整改的比例（indicators.md）。取代原填报的月平均整改周期 og_hazard_rectify_h。两个时限的出处：§3.3 第二阶段“缩短至24小时”，§3.1 到 2026 年底“缩短至48小时以内”，本系统按隐患等级分别适用。方案未给比例目标，目标由管理员设定。",
     "Hazards found in the period whose limit (general 24 h, major 48 h) has passed or that were rectified, rectified within the limit (indicators.md). Replaces the reported monthly mean og_hazard_rectify_h. The two limits come from §3.3 ('缩短至24小时', phase 2) and §3.1 ('48小时以内', end 2026); this system applies them by hazard level. The plan sets a limit per case, not a rate target; an admin may set one."),
    ("og_grid_police_coverage", "网格警务力量覆盖率", "Grids with police force assigned", "%", "computed", "up", 307,
     "seed-002 §3.2, §3.3",
     "计算：统计日（期末与统计日取早）有持证民警或辅警在岗的网格 / 单位内全部网格。未持证者不计在岗（§3.7“未达标者不得上岗”）。第二阶段（2026）“实现网格警务力量全覆盖”（§3.3），深化期 100。",
     "Computed: grids with a certified officer or auxiliary on post on the reference day (period end or as_of, whichever is earlier) / all grids in the unit. Uncertified people do not count as on post (§3.7). Phase 2 (2026) full coverage (§3.3): deepening 100."),
    ("og_urban_grid_officer", "城市社区网格专职民警配备率", "Urban grids with a full-time community officer", "%",
     "computed", "up", 308, "seed-002 §3.2, §5.1, §7.1",
     "计算：统计日有持证专职社区民警在岗的城市网格 / 单位内全部城市网格（§3.2“至少配备1名”，§5.1、§7.1“必须配备1名”）。未设城乡属性的网格按城市计。深化期 100（解释）。",
     "Computed: urban grids with a certified full-time community officer on post on the reference day / all urban grids in the unit (§3.2 'at least 1', §5.1/§7.1 'must have 1'). Grids without an area type count as urban. Deepening 100 (interpretation)."),
    ("og_officer_daily_visit_h", "民警日均网格走访时间", "Officer grid-visit hours per day", "h", "computed", "up", 309,
     "seed-002 §3.2, §5.1",
     "计算：民警在单位网格内的时间（走访时长 + 坐班/驻点时长，按开始日计，未记录时长的走访计 0）/ 民警工作日数（统计期内已结束的周一至周五、该民警在单位网格有任务的天数）。“不少于3小时”（§3.2、§5.1），三个阶段均为 3。",
     "Computed: officers' time in the unit's grids (visit durations + office hours, by start day; visits without a duration count 0) / officer working days (Mon–Fri of the period ended by as_of on which the officer was assigned to a grid of the unit). '不少于3小时' (§3.2, §5.1): 3 in every phase."),
    ("og_rural_onsite_week", "农村网格每周民警现场办公次数", "Officer on-site sessions per rural grid per week", "count",
     "computed", "up", 310, "seed-002 §5.1",
     "计算：统计期内完整且已结束的 ISO 周中，民警在农村网格的坐班/现场办公次数 / (农村网格数 × 周数)。“每个农村网格至少保证每周2次民警现场办公”（§5.1），三个阶段均为 2。",
     "Computed: officers' on-site office sessions in rural grids during the complete ISO weeks of the period ended by as_of / (rural grids × weeks). '每周2次' (§5.1): 2 in every phase."),
    ("event_response_in_time", "网格事件按时响应率", "Grid events answered in time", "%", "computed", "up", 311,
     "seed-002 §3.1, §5.2",
     "期内创建的网格事件（不含撤回、重复）中，时限已到或已响应者里在时限内首次响应的比例；时限按级别：紧急 5 分钟、紧急事项 15 分钟、一般 2 小时（indicators.md “Time-limited work”）；旁列中位数和 90 分位响应时间。取代原填报的月平均响应时间 og_response_general_h、og_response_urgent_min。“响应”是到场还是受理方案未说明，本系统取首次响应（受理）。方案未给比例目标，目标由管理员设定。",
     "Grid events created in the period (excluding withdrawn and duplicate) whose limit has passed or that were answered, answered within their tier's limit: emergency 5 min, urgent 15 min, general 2 h (indicators.md 'Time-limited work'); median and 90th-percentile response time beside it. Replaces the reported monthly means og_response_general_h and og_response_urgent_min. Arrival or acknowledgement is not said; this system uses the first response. The plan sets a limit per case, not a rate target; an admin may set one."),
    ("event_response_in_time_general", "一般事项按时响应率", "General-tier events answered in time", "%", "computed",
     "up", 318, "seed-002 §5.2; seed-001 §3.2",
     "一般级网格事件在 2 小时内响应的比例（“一般事项2小时”，§5.2；seed-001 非紧急 2 小时）。",
     "General-tier grid events answered within 2 hours ('一般事项2小时', §5.2; seed 001's 2 h for non-emergency matters)."),
    ("event_response_in_time_urgent", "紧急事项按时响应率", "Urgent-tier events answered in time", "%", "computed",
     "up", 312, "seed-002 §5.2",
     "紧急级（紧急事项）网格事件在 15 分钟内响应的比例（“紧急事项15分钟”，§5.2）。深圳“5分钟”响应为示例。",
     "Urgent-tier grid events answered within 15 minutes ('紧急事项15分钟', §5.2). Shenzhen's 5 minutes is an example."),
    ("og_certified_on_post", "持证上岗率", "Certified-on-post rate", "%", "computed", "up", 313, "seed-002 §3.2, §5.3",
     "计算：统计日在单位网格在岗的人员（民警、辅警、网格员，每人计一次）中已持证者 / 在岗人员。“持证上岗率达100%”（§3.2）、“未达标者不得上岗”（§5.3），三个阶段均为 100（解释）。",
     "Computed: people on post in the unit's grids on the reference day (officers, auxiliaries, grid workers, each once) who are certified / all of them. '持证上岗率达100%' (§3.2), '未达标者不得上岗' (§5.3): 100 in every phase (interpretation)."),
    ("og_grid_annual_funding", "每个网格年均经费", "Annual funding per grid", "CNY_10k", "reported", "up", 314,
     "seed-002 §7.3",
     "每个网格年度经费（万元），按年度填报。“确保每个网格年均经费不低于5万元”（§7.3，省级预算保障），每年要求，三个阶段均为 5。",
     "Funding per grid per year (10,000 yuan), yearly. '每个网格年均经费不低于5万元' (§7.3, provincial budgets). A yearly rule: 5 in every phase."),
    ("og_crossdept_time_cut", "跨部门协同事项办理时间缩减幅度", "Reduction of cross-department handling time", "%",
     "reported", "up", 315, "seed-002 §3.2",
     "(基期平均办理时间 − 本期) / 基期 × 100。“跨部门协同事项平均办理时间缩短50%”（§3.2）无日期，未设阶段目标；基期须由单位设定。48 小时（3个环节、5个签字）为示例。",
     "(Mean handling time in the base period − now) / base × 100. '缩短50%' (§3.2) is undated, so no phase target; units set the base period. The 48 h (3 steps, 5 signatures) case is an example."),

    ("og_grid_daily_police_h", "每个网格日均警力投入", "Police hours per grid per day", "h", "computed", "up", 316,
     "seed-002 §7.1",
     "计算：民警在单位网格内的时间（走访 + 坐班，同 og_officer_daily_visit_h）/ (网格数 × 统计期内已结束的工作日数)。“确保每个网格日均警力投入不少于3小时”（§7.1）按网格计，三个阶段均为 3。",
     "Computed: officers' time in the unit's grids (visits + office hours, as og_officer_daily_visit_h) / (grids × working days of the period ended by as_of). '每个网格日均警力投入不少于3小时' (§7.1) is per grid: 3 in every phase."),
    ("og_monthly_meeting", "网格警务联席会议按月召开率", "Communities holding the monthly joint meeting", "%",
     "computed", "up", 319, "seed-002 §3.5, §5.2",
     "计算：统计期内已结束的月份中召开过网格警务联席会议的社区-月 / (社区数 × 月数)。“由社区民警牵头,每月召集…召开会议”（§5.2），常设要求，三个阶段均为 100。",
     "Computed: community-months (months of the period ended by as_of) with a joint meeting / (communities × months). '每月召集…召开会议' (§5.2), a standing rule: 100 in every phase."),
    ("og_basic_info_update", "基础信息采集动态更新率", "Basic information kept up to date", "%", "reported", "up",
     317, "seed-002 §3.2",
     "在规定周期内核实或更新过的基础信息（人口、房屋）/ 全部基础信息。“基础信息采集动态更新率达100%”（§3.2）未规定更新周期，也无日期，未设阶段目标。流动人口掌握率 62.3%（“较理想状态低27个百分点”）为相关示例，不作基线。",
     "Basic records (population, housing) verified or updated within the required interval / all basic records. '基础信息采集动态更新率达100%' (§3.2) defines neither the interval nor a date, so no phase target. The 62.3% floating-population grasp is a related example, not a baseline."),

    # seed 003 — 社区警务系统建设方案 (community policing system); chapter 8 (time plan) is missing
    ("cps_info_coverage", "社区警务信息化覆盖率", "Community-policing informatisation coverage", "%", "reported", "up",
     400, "seed-003 §3.3, §5.4, §1.1",
     "接入社区警务平台的社区 / 全部社区（源文件无公式）。近期（2023–2024）“重点城市覆盖率达80%”（§5.4）→ 试点期；2025 年“全国社区警务信息化覆盖率达90%”（§3.3；§1.1“90%以上”）→ 推广期。原为全国口径，用于本市各单位是解释。",
     "Communities live on the community-policing platform / all communities (no formula in the source). Near term (2023–2024) '重点城市覆盖率达80%' (§5.4) → pilot; 2025 '覆盖率达90%' (§3.3; §1.1 '90%以上') → rollout. National measures applied to this city's units (interpretation)."),
    ("cps_gov_data_integration", "政府部门数据整合比例", "Government-department data integrated", "%", "reported", "up",
     401, "seed-003 §3.3",
     "近期（2023–2024）“整合80%的政府部门数据”（§3.3）→ 试点期 2024。分母（部门数或数据类别）未定义；与“12类数据的实时汇聚”（§3.2）不同。",
     "Near term (2023–2024) '整合80%的政府部门数据' (§3.3) → pilot 2024. Denominator (departments or data categories) undefined; not the same as §3.2's '12类数据的实时汇聚'."),
    ("cps_data_fusion", "数据融合度", "Data fusion degree", "%", "reported", "up", 402, "seed-003 §3.3",
     "2025 年“数据融合度达95%”（§3.3）→ 推广期。源文件未定义该指标，由填报单位说明方法。",
     "2025 '数据融合度达95%' (§3.3) → rollout. Undefined in the source; the reporting unit states its method."),
    ("cps_update_timeliness_h", "信息更新时效", "Data update timeliness", "h", "reported", "down", 403, "seed-003 §3.2",
     "现实变化到系统记录更新的小时数，填报月平均值。“更新时效性提升至24小时内”（§3.2）无年份，按 §3.1“到2025年”设为推广期（年份为推定）。基线：物业变更信息“平均滞后7天”（§2.1），即 168 小时。",
     "Hours from a real-world change to the record update, monthly mean. '更新时效性提升至24小时内' (§3.2) has no year; set for rollout 2025 following §3.1's 'by 2025' (year assumed). Baseline: property changes '平均滞后7天' (§2.1) = 168 h."),
    ("cps_officer_field_time_share", "民警走访与风险防控时间占比", "Officer time on visits and risk prevention", "%",
     "reported", "up", 404, "seed-003 §3.2, §7.1",
     "民警工作时间中用于社区走访与风险防控的比例。“70%的时间投入社区走访与风险防控”（§3.2）无年份，设为推广期 2025（年份为推定）。“60%的时间用于纸质台账”（§1.4）是另一问题，不作基线；与“释放70%的警力”（§5.2）、“释放警力资源30%以上”（§7.1）不是同一指标。",
     "Share of officers' working time spent on visits and risk prevention. '70%的时间投入社区走访与风险防控' (§3.2) has no year; set for rollout 2025 (year assumed). '60% of time on paper ledgers' (§1.4) is another measure, not a baseline; not the same as '释放70%的警力' (§5.2) or '释放警力资源30%以上' (§7.1)."),
    ("cps_incident_response_min", "警情响应时间", "Police incident response time", "min", "reported", "down", 405,
     "seed-003 §3.2",
     "接警到响应的分钟数，填报月平均值（“响应”是受理、派警还是到场未定义）。“警情响应时间缩短至5分钟内”（§3.2）无年份，设为推广期 2025（年份为推定）。与 seed-001 的紧急级网格事件（event_response_in_time_emergency，只含紧急类）范围不同。45 分钟→8 分钟是处置时间示例，不作基线。",
     "Minutes from call to response for all incidents, monthly mean ('response' undefined: acceptance, dispatch or arrival). '缩短至5分钟内' (§3.2) has no year; set for rollout 2025 (year assumed). Wider scope than seed 001's emergency tier (event_response_in_time_emergency, emergencies only). 45 → 8 min is a handling-time example, not a baseline."),
    ("cps_one_trip", "群众办事“最多跑一次”比例", "Resident matters done in at most one trip", "%", "reported", "up",
     406, "seed-003 §3.2",
     "最多跑一次即办结的群众办事事项 / 全部事项。“95%以上”（§3.2）无年份，设为推广期 2025（年份为推定）。3 天→2 小时为示例。",
     "Resident matters completed with at most one trip / all matters. '95%以上' (§3.2) has no year; set for rollout 2025 (year assumed). '3 days → 2 hours' is an example."),
    ("cps_public_participation", "群众参与群防群治积极性", "Public participation in mass prevention", "%", "reported",
     "up", 407, "seed-003 §3.2",
     "“提升至70%以上”（§3.2）无年份，设为推广期 2025（年份为推定）。“积极性”未定义：§1.2 调查 63.7% 愿意参与、实际参与率 32.1%；本系统口径为实际参与率（调查），不存基线。",
     "'提升至70%以上' (§3.2) has no year; set for rollout 2025 (year assumed). '积极性' is undefined: §1.2 has 63.7% willing and 32.1% actually taking part; this system reads it as actual participation (survey); no baseline stored."),
    ("cps_training_fund_share", "培训经费占总投入比例", "Training funds as share of total investment", "%",
     "reported", "up", 408, "seed-003 §6.2",
     "培训经费 / 社区警务总投入 × 100。“2023-2025年培训经费占比不低于总投入的20%”（§6.2）→ 试点期、推广期均为 20。§2.2 中软性投入“仅占20%”、硬件“65%”是现状描述，不作基线。",
     "Training funds / total community-policing investment × 100. '2023-2025年培训经费占比不低于总投入的20%' (§6.2) → 20 for pilot and rollout. §2.2's 'soft inputs only 20%, hardware 65%' describes the status quo; no baseline."),

    # seed 003 §6.4, computed from the security-incident register (issue 15); named by indicators.md
    ("security_incident_in_time", "安全事件限时处置率", "Security incidents handled in time", "%", "computed", "up",
     410, "seed-003 §6.4",
     "安全事件中 1 小时内启动应急预案、24 小时内完成溯源分析、7 天内完成整改并提交报告三项均按时的比例；"
     "分母为截至统计日 7 天时限已到或已整改的事件。源文件为硬性要求，三个阶段目标均为 100（解释）。",
     "Security incidents whose plan started within 1 h, trace analysis within 24 h and rectification with "
     "a report within 7 days / incidents whose 7-day limit has passed by as_of or that are rectified. "
     "The source states a requirement: 100 in every phase (interpretation)."),

    # seed 004 — 帮扶治安工作方案 (security assistance), a three-year plan 2024–2026
    ("sa_security_sense", "公众安全感", "Public sense of security", "%", "reported", "up", 500, "seed-004 §3.1, §8.3",
     "调查结果（方法未给出；§9.3 每季度入户调查）。“2025年全国公众安全感稳定在98.5%以上”（§3.1）→ 推广期 98.5；“从2023年的98.3%提高至2026年的99%”（§8.3）→ 深化期 99。98.3% 为 2023 年全国数据，非本市基线。",
     "Survey result (method not given; quarterly door-to-door survey, §9.3). '2025年…稳定在98.5%以上' (§3.1) → rollout 98.5; '从2023年的98.3%提高至2026年的99%' (§8.3) → deepening 99. 98.3% is the 2023 national figure, not this city's."),
    ("sa_security_sense_rural", "农村及城乡结合部安全感", "Sense of security, rural and urban–rural fringe", "%",
     "reported", "up", 501, "seed-004 §3.1, §8.3",
     "2025 年“农村地区不低于97%”（§3.1）→ 推广期；2026 年“从92.1%提升至97.5%”（§8.3）→ 深化期。92.1% 为 2023 年全国数据。“城乡差距缩小5.4个百分点”算术不符（99−97.5=1.5，差距缩小 4.7），不存为目标。",
     "2025 '农村地区不低于97%' (§3.1) → rollout; 2026 '从92.1%提升至97.5%' (§8.3) → deepening. 92.1% is the 2023 national figure. '城乡差距缩小5.4个百分点' does not add up (99 − 97.5 = 1.5, a narrowing of 4.7); not stored as a target."),
    ("sa_security_sense_key_area", "重点区域公众安全感", "Sense of security in key areas", "%", "reported", "up", 502,
     "seed-004 §8.3",
     "“重点区域公众安全感达99.5%”（§8.3，2026 年预期效果）→ 深化期。调查方法未给出。",
     "'重点区域公众安全感达99.5%' (§8.3, expected effect in 2026) → deepening. Survey method not given."),
    ("sa_cc_reoffending", "社区矫正对象再犯罪率", "Reoffending rate of community-corrections subjects", "%", "reported",
     "down", 503, "seed-004 §3.1, §3.3",
     "分子、分母未定义。总体目标“从全国平均的2.3%降至1.5%以下”（§3.1）无日期，按三年实施周期（2024–2026，§7.1）设为深化期 2026（解释）。“两年内试点地区…降至1%以下”（§3.3）只适用于试点单位（约 2025 年底），未设为全市默认目标，可按单位设定。2.3% 为全国平均。",
     "Numerator and denominator undefined. Overall '从全国平均的2.3%降至1.5%以下' (§3.1) is undated; set for deepening 2026, the end of the three-year plan (§7.1; interpretation). Pilot areas '两年内…降至1%以下' (§3.3, ≈ end 2025) applies to pilot units only and is not a city default; set it per unit. 2.3% is the national average."),
    ("sa_released_employment", "刑满释放人员就业率", "Employment rate of released prisoners", "%", "reported", "up",
     504, "seed-004 §3.1, §7.2, §7.3",
     "定义未给出。2025 年两个值：§7.3 刚性节点“2025年12月底前…突破70%”与 §7.2“就业率达65%”，取 §7.3 的 70 为推广期目标，65 作说明；§3.1“从当前的58%提升至75%”按三年周期设为深化期 2026（解释）；§3.3 中期（3–5 年）写“达70%”。",
     "Undefined. Two 2025 values: the hard node '2025年12月底前…突破70%' (§7.3) and '就业率达65%' (§7.2); rollout uses §7.3's 70, 65 noted. '从当前的58%提升至75%' (§3.1) is set for deepening 2026, the plan's end (interpretation); §3.3 says 70% in the medium term (3–5 years)."),
    ("sa_released_job_stability", "刑满释放人员就业稳定率", "Job stability of released prisoners", "%", "reported", "up",
     505, "seed-004 §8.3",
     "刑满释放人员就业稳定率 80%（§8.3，2026 年预期效果）→ 深化期。定义未给出。",
     "Job stability 80% (§8.3, expected effect in 2026) → deepening. Undefined."),
    ("sa_cc_one_to_one", "社区矫正对象“一对一”帮扶覆盖率", "One-to-one assistance coverage, community corrections",
     "%", "reported", "up", 506, "seed-004 §3.2, §7.1",
     "有一对一帮扶责任人的社区矫正对象 / 全部社区矫正对象。2025 年“社区矫正对象帮扶覆盖率达70%”（§7.1）→ 推广期（该处未写“一对一”，口径可能不同）；“从不足50%提升至80%”（§3.2）无日期，按三年周期设为深化期 2026（解释）。基线“不足50%”是上限，按 50 存储。",
     "Subjects with a one-to-one helper / all community-corrections subjects. 2025 '帮扶覆盖率达70%' (§7.1) → rollout (that passage omits '一对一'; scope may differ); '从不足50%提升至80%' (§3.2) is undated and set for deepening 2026 (interpretation). Baseline '<50%' is an upper bound, stored as 50."),
    ("sa_cc_counselling", "社区矫正对象心理疏导服务覆盖率", "Counselling coverage, community corrections", "%",
     "reported", "up", 507, "seed-004 §3.2",
     "“心理疏导服务覆盖率达100%”（§3.2）无日期，按三年周期设为深化期 2026（解释）。基线互相矛盾：§2.1“达78%”、§2.3 实质性帮扶“不足50%”、§5.1 某县不足 30%，不存基线，由单位填报本地值。",
     "'心理疏导服务覆盖率达100%' (§3.2) is undated; set for deepening 2026 (interpretation). Baselines disagree: 78% (§2.1), '<50%' (§2.3), one county below 30% (§5.1); none stored — units enter their own."),
    ("sa_cc_training", "社区矫正对象就业技能培训参与率", "Skills-training participation, community corrections", "%",
     "reported", "up", 508, "seed-004 §3.2",
     "“就业技能培训参与率达90%”（§3.2）无日期，按三年周期设为深化期 2026（解释）。",
     "'就业技能培训参与率达90%' (§3.2) is undated; set for deepening 2026 (interpretation)."),
    ("sa_cc_satisfaction", "社区矫正对象帮扶满意度", "Satisfaction of community-corrections subjects with assistance",
     "%", "reported", "up", 509, "seed-004 §8.3",
     "社区矫正对象对帮扶服务满意度 90%（§8.3，2026 年预期效果）→ 深化期。定义未给出。",
     "Satisfaction 90% (§8.3, expected effect in 2026) → deepening. Undefined."),
    ("sa_family_difficulty_resolved", "特殊群体家庭困难解决率", "Family difficulties resolved, special groups", "%",
     "reported", "up", 510, "seed-004 §8.3",
     "“家庭困难解决率达85%”（§8.3，2026 年预期效果）→ 深化期。本系统没有帮扶对象登记，故为填报。",
     "'家庭困难解决率达85%' (§8.3, expected effect in 2026) → deepening. The app has no register of assisted persons, hence reported."),
    ("sa_mediation_success", "矛盾纠纷调解成功率", "Dispute mediation success rate", "%", "reported", "up", 511,
     "seed-004 §3.2, §7.3",
     "调解成功的纠纷 / 调解的纠纷。“2024年12月底前…提升至95%”（§7.3，试点地区）→ 试点期 95；“从96.5%提升至98%”（§3.2）无日期，按三年周期设为深化期 98（解释）。2024 年目标 95 低于 2023 年全国基线 96.5，按试点地区的下限理解（§5.2 提到部分村“不足70%”）。",
     "Successful mediations / mediations. '2024年12月底前…提升至95%' (§7.3, pilot areas) → pilot 95; '从96.5%提升至98%' (§3.2) is undated, set for deepening 98 (interpretation). The 2024 target 95 is below the 2023 national baseline 96.5; read as a floor for pilot areas (§5.2 mentions villages below 70%)."),
    ("sa_mediation_common", "常见纠纷调解成功率", "Mediation success, common disputes", "%", "reported", "up", 512,
     "seed-004 §3.2",
     "邻里纠纷、家庭矛盾等常见纠纷的调解成功率。从 98.2% 提升至 99%（§3.2）无日期，按三年周期设为深化期 2026（解释）。98.2% 为 2023 年全国数据。",
     "Mediation success for neighbour and family disputes. 98.2% → 99% (§3.2) is undated; set for deepening 2026 (interpretation). 98.2% is the 2023 national figure."),
    ("sa_data_sharing", "公安、司法、民政等部门数据共享率", "Data-sharing rate, police/justice/civil affairs", "%",
     "reported", "up", 513, "seed-004 §7.3, §5.3, §8.2",
     "定义未给出。“2024年12月底前…突破50%”（§7.3）→ 试点期 50；“在两年内从35%提升至80%”（§5.3）→ 推广期 80；“从35%提高至85%”（§8.2、§9.2 预期效果）→ 深化期 85。§3.3 把 80% 放在中期（3–5 年），与“两年内”冲突。35% 为全国基线。与 seed-001 的 cp_data_sharing 口径不同。",
     "Undefined. '2024年12月底前…突破50%' (§7.3) → pilot 50; '在两年内从35%提升至80%' (§5.3) → rollout 80; '从35%提高至85%' (§8.2, §9.2) → deepening 85. §3.3 puts 80% in the medium term (3–5 years), conflicting with 'two years'. 35% is national. Not the same measure as seed 001's cp_data_sharing."),
    ("sa_video_coverage", "重点区域视频监控覆盖率", "Video surveillance coverage of key areas", "%", "reported", "up",
     514, "seed-004 §3.2, §7.2",
     "目标随范围变化：2024 年试点“重点公共区域视频监控覆盖率100%”（§7.2）→ 试点期 100（试点区域）；2025 年中西部推广“提升至85%”（§7.2）→ 推广期 85；“从当前的65%提升至90%”（§3.2）无日期 → 深化期 90（解释）。基线矛盾（§3.2 的 65% 与 §2.1“达98%”），不存基线，由单位填报本地值。",
     "Targets change with scope: 2024 pilot '重点公共区域视频监控覆盖率100%' (§7.2) → pilot 100 (pilot areas); 2025 central/west '提升至85%' (§7.2) → rollout 85; '从当前的65%提升至90%' (§3.2), undated → deepening 90 (interpretation). Baselines disagree (65% in §3.2 vs 98% in §2.1); none stored."),
    ("sa_police_ratio", "社区民警服务居民数", "Residents per community police officer", "people", "reported", "down",
     515, "seed-004 §3.2, §7.1, §7.3",
     "辖区居民数 / 社区民警数（“1:N”中的 N）。基线 1:5000（§3.2、§6.1；§1.2 写 5000–8000）；“2025年6月底前…优化至1:4000”（§7.3，列为里程碑）；2025 年“1:3500”（§7.1）→ 推广期 3500；“1:3000”（§3.2、§4.2、§8.2）→ 深化期 3000。",
     "Residents / community police officers (N in '1:N'). Baseline 1:5000 (§3.2, §6.1; §1.2 says 5000–8000); '2025年6月底前…优化至1:4000' (§7.3) is a milestone; 2025 '1:3500' (§7.1) → rollout 3500; '1:3000' (§3.2, §4.2, §8.2) → deepening 3000."),
    ("sa_residents_per_grid_worker", "网格员服务居民数", "Residents per full-time grid worker", "people", "reported",
     "down", 516, "seed-004 §8.2",
     "辖区居民数 / 专职网格员数。“平均每名网格员服务居民数从1200人降至800人”（§8.2，2026 年预期效果）→ 深化期 800。",
     "Residents / full-time grid workers. '从1200人降至800人' (§8.2, expected effect in 2026) → deepening 800."),
    ("sa_grid_worker_staffing", "专职网格员配备达标率", "Villages/communities with ≥2 full-time grid workers", "%",
     "computed", "up", 517, "seed-004 §3.2, §8.2",
     "计算：统计日至少有 2 名持证专职网格员在岗（任务在本社区网格）的社区 / 单位内全部社区（§3.2“每个村(社区)至少配备2名专职网格员”）。深化期 100（解释）。",
     "Computed: communities with ≥2 certified full-time grid workers on post in their grids on the reference day / all communities in the unit (§3.2). Deepening 100 (interpretation)."),
    ("sa_village_officer_coverage", "试点地区“一村一警一辅警”覆盖率", "Pilot villages with one officer and one auxiliary",
     "%", "reported", "up", 518, "seed-004 §3.3, §7.1",
     "试点地区至少配备 1 名民警和 1 名辅警的村（社区）/ 试点地区全部村（社区），仅试点单位填报。2024 年在试点地区“全覆盖”（§7.1、§3.3）→ 试点期 100。",
     "Pilot-area villages/communities with ≥1 officer and ≥1 auxiliary / all pilot-area villages, pilot units only. Full coverage in pilot areas in 2024 (§7.1, §3.3) → pilot 100."),
    ("sa_fraud_drop", "电信网络诈骗案件发案率年降幅", "Yearly drop in telecom-fraud case rate", "%", "reported", "up",
     519, "seed-004 §3.2",
     "(上年发案率 − 本年) / 上年 × 100。“年均下降15%”（§3.2），每年要求，三个阶段均为 15。是否复利、基年（推定 2023）和发案率分母均未说明。",
     "(Last year's rate − this year's) / last year's × 100. '年均下降15%' (§3.2), a yearly rule: 15 in every phase. Compounding, base year (2023 assumed) and rate denominator are not stated."),
    ("sa_device_failure", "智能监控设备故障率", "Failure rate of smart surveillance devices", "%", "reported", "down",
     520, "seed-004 §5.3, §9.4",
     "故障设备 / 在用设备。“故障率控制在5%以内”（§5.3、§9.4）无日期，按三年周期设为深化期 2026（解释）。25% 为部分基层地区的现状（§5.1），非本市数据。",
     "Faulty devices / devices in use. '故障率控制在5%以内' (§5.3, §9.4) is undated; set for deepening 2026 (interpretation). 25% is some grassroots areas' rate (§5.1), not this city."),
    ("sa_warning_accuracy", "重点人群风险预警准确率", "Risk-warning accuracy for key groups", "%", "reported", "up",
     521, "seed-004 §7.3",
     "经核实属实的预警 / 全部预警（源文件未定义，本系统口径）。2026 年 6 月底前准确率达 90%（§7.3 刚性节点）→ 深化期 90。",
     "Warnings confirmed true / all warnings (undefined in the source; this system's reading). 90% by end June 2026 (§7.3 hard node) → deepening 90."),
    ("sa_duplicate_assistance", "帮扶措施重复率", "Duplication rate of assistance measures", "%", "reported", "down",
     522, "seed-004 §8.2",
     "帮扶措施重复率从 28% 降至 5%（§8.2，2026 年预期效果）→ 深化期 5。定义未给出；28% 为全国现状。",
     "28% → 5% (§8.2, expected effect in 2026) → deepening 5. Undefined; 28% is the national status."),
    ("sa_socorg_share", "社会组织承接帮扶项目比例", "Share of assistance projects run by social organisations", "%",
     "reported", "up", 523, "seed-004 §3.3, §8.2",
     "社会组织承接治安帮扶项目的比例从 12.3% 提升至 30%：§3.3 列为中期（3–5 年），§8.2 列为 2026 年预期效果；按 §8.2 设为深化期 30（解释）。12.3% 为全国数据。",
     "12.3% → 30%: medium term (3–5 years) in §3.3, expected effect in 2026 in §8.2; deepening 30 following §8.2 (interpretation). 12.3% is national."),
    ("sa_public_willingness", "公众参与治安帮扶意愿", "Public willingness to take part in assistance", "%", "reported",
     "up", 524, "seed-004 §3.3, §8.2",
     "调查结果。从 18.7% 提升至 40%：§3.3 列为长期（5–10 年），§8.2 列为 2026 年预期效果，两处冲突；按 §8.2 设为深化期 40（解释）。18.7% 为全国数据。",
     "Survey. 18.7% → 40%: long term (5–10 years) in §3.3 but expected in 2026 in §8.2 — conflict; deepening 40 following §8.2 (interpretation). 18.7% is national."),
    ("sa_funding_per_capita", "基层社会治理人均经费", "Per-capita grassroots governance funding", "CNY", "reported",
     "up", 525, "seed-004 §3.4, §5.3, §7.3",
     "元/人，按年度填报。从 89 元提高至 150 元（§3.4、§5.3）无日期，按三年周期设为深化期 150（解释）；89 元为 2022 年全国数据。中西部2025 年 6 月底前 120 元（§7.3）列为里程碑，只适用于中西部地区。",
     "Yuan per person, yearly. 89 → 150 yuan (§3.4, §5.3) is undated; deepening 150 (interpretation); 89 is the 2022 national figure. Central/western 120 yuan by end June 2025 (§7.3) is a milestone for those regions only."),
    ("sa_migrant_child_enrolment", "流动人口子女义务教育入学率", "Compulsory-school enrolment of migrants' children",
     "%", "reported", "up", 526, "seed-004 §3.2, §8.3",
     "流动人口子女义务教育入学率 100%（§3.2，§8.3 作为 2026 年预期效果重复）→ 深化期 100。",
     "Enrolment 100% (§3.2, repeated as a 2026 expected effect in §8.3) → deepening 100."),
    ("sa_migrant_housing", "流动人口住房保障覆盖率", "Housing-security coverage of migrants", "%", "reported", "up",
     527, "seed-004 §3.2, §8.3",
     "住房保障覆盖率 60%（§3.2，§8.3 作为 2026 年预期效果重复）→ 深化期 60。",
     "Housing-security coverage 60% (§3.2, repeated as a 2026 expected effect in §8.3) → deepening 60."),
    ("sa_cc_highrisk_weekly_visit", "高风险帮扶对象“每周一访”达标率", "Weekly visits to high-risk assisted persons",
     "%", "computed", "up", 528, "seed-004 §3.2, §7.3",
     "统计日（含）前 7 天内有走访的高风险帮扶对象 / 统计日全部高风险帮扶对象（indicators.md：所有高风险帮扶对象，不限社区矫正对象）。由帮扶对象登记和走访记录计算。2024 年 6 月底起实施“每周一访”（§7.3），全覆盖即 100，三个阶段均为 100（解释）。风险等级（高/中/低）源文件未定义，本系统口径。",
     "High-risk assisted persons visited in the 7 days up to as_of / all high-risk assisted persons at as_of (indicators.md: every high-risk assisted person, not only community-corrections subjects). Computed from the assisted-person register and its visits. Weekly visits in force from end June 2024 (§7.3); full compliance = 100 in every phase (interpretation). Risk levels high/medium/low are this system's; the source does not define them."),
    ("sa_access_control_fixed", "城乡结合部老旧小区“门禁缺失”整改率", "Missing access control fixed in old fringe compounds",
     "%", "reported", "up", 529, "seed-004 §2.2, §3.2",
     "已整改的门禁缺失问题 / 排查出的门禁缺失问题。“整改率达100%”（§3.2）无日期，按三年周期设为深化期 2026（解释）。23.5% 的城市社区存在门禁缺失或监控盲区（§2.2）为全国数据，不作基线。隐患登记可记录门禁问题后可改为计算指标。",
     "Access-control gaps fixed / gaps found. '整改率达100%' (§3.2) is undated; deepening 2026 (interpretation). 23.5% of urban communities lacking access control or with blind spots (§2.2) is national, not a baseline. Could become computed once hazards record access-control gaps."),
    ("sa_points_coverage", "流动人口“积分制”帮扶覆盖率", "Migrants covered by the points system", "%", "reported", "up",
     530, "seed-004 §2.4, §7.3, §8.3",
     "纳入积分制帮扶的流动人口 / 流动人口（本系统口径；源文件分母不明，省份或人数）。“2025年12月底前…覆盖率达70%”（§7.3）→ 推广期 70。广东参与率 71%、部分省份“不足30%”（§2.4）、“覆盖流动人口3000万人”（§8.3）为全国或他省数据，不作基线。",
     "Migrants in the points system / migrants (this system's reading; the source's denominator — provinces or people — is unclear). '2025年12月底前…覆盖率达70%' (§7.3) → rollout 70. Guangdong 71%, some provinces '<30%' (§2.4) and '30 million migrants' (§8.3) are national or other provinces' figures, not baselines."),
    ("sa_points_districts", "建立“积分制”帮扶的区县比例", "Districts with a migrant points system", "%", "reported", "up",
     531, "seed-004 §3.2, §7.2",
     "源文件按省份计（“从30%扩大至70%”，§7.2，2025 年；§3.2 写 80% 无日期），本市按区县计，由市局逐年填报。推广期 70、深化期 80（解释）。30% 为全国省份比例，不作基线。",
     "The source counts provinces ('从30%扩大至70%', §7.2, 2025; §3.2 says 80% undated); this city counts districts, entered yearly by the city bureau. Rollout 70, deepening 80 (interpretation). 30% is the national share of provinces, not a baseline."),
]

# indicator, baseline, pilot, rollout, deepening (None = no target for that phase); see the notes.
# No plan baseline: every figure seeds 001–004 quote for the nation, a province or another city is
# a note on the indicator, never this city's baseline (migration 0008 removed them from older data).
PLAN_TARGETS = [
    ("security_incident_in_time", None, 100.0, 100.0, 100.0),
    ("cp_emergency_dispatch_min", None, 8.0, 8.0, 8.0),
    ("cp_disabled_response_min", None, 5.0, 5.0, 5.0),
    ("cp_nonemergency_handling_h", None, 2.0, 2.0, 2.0),
    ("cp_tip_feedback_h", None, 24.0, 24.0, 24.0),
    ("cp_data_sharing", None, None, 90.0, None),
    ("cp_police_density_rural", None, None, None, 18.0),
    ("cp_social_participation", None, None, None, 60.0),
    ("cp_station_coverage", None, None, None, 80.0),
    ("cp_patrol_increase", None, 50.0, None, None),
    ("cp_multidept_time_cut", None, None, None, 30.0),
    ("cp_school_drills", None, 2.0, 2.0, 2.0),
    ("cp_budget_share", None, 5.0, 5.0, 5.0),
    ("cp_data_leak_rate", None, 0.1, 0.1, 0.1),
    ("og_key_area_crime_drop", None, None, None, 30.0),
    ("og_pilot_crime_drop", None, None, 20.0, None),
    ("og_dispute_resolution", None, None, 90.0, None),
    ("og_dispute_local_resolution", None, None, None, 95.0),
    ("og_service_awareness", None, None, None, 100.0),
    ("og_satisfaction", None, None, None, 98.0),
    ("og_grid_police_coverage", None, None, None, 100.0),
    ("og_urban_grid_officer", None, None, None, 100.0),
    ("og_officer_daily_visit_h", None, 3.0, 3.0, 3.0),
    ("og_rural_onsite_week", None, 2.0, 2.0, 2.0),
    ("og_certified_on_post", None, 100.0, 100.0, 100.0),
    ("og_grid_annual_funding", None, 5.0, 5.0, 5.0),
    ("cps_info_coverage", None, 80.0, 90.0, None),
    ("cps_gov_data_integration", None, 80.0, None, None),
    ("cps_data_fusion", None, None, 95.0, None),
    ("cps_update_timeliness_h", None, None, 24.0, None),
    ("cps_officer_field_time_share", None, None, 70.0, None),
    ("cps_incident_response_min", None, None, 5.0, None),
    ("cps_one_trip", None, None, 95.0, None),
    ("cps_public_participation", None, None, 70.0, None),
    ("cps_training_fund_share", None, 20.0, 20.0, None),
    ("sa_security_sense", None, None, 98.5, 99.0),
    ("sa_security_sense_rural", None, None, 97.0, 97.5),
    ("sa_security_sense_key_area", None, None, None, 99.5),
    ("sa_cc_reoffending", None, None, None, 1.5),
    ("sa_released_employment", None, None, 70.0, 75.0),
    ("sa_released_job_stability", None, None, None, 80.0),
    ("sa_cc_one_to_one", None, None, 70.0, 80.0),
    ("sa_cc_counselling", None, None, None, 100.0),
    ("sa_cc_training", None, None, None, 90.0),
    ("sa_cc_satisfaction", None, None, None, 90.0),
    ("sa_family_difficulty_resolved", None, None, None, 85.0),
    ("sa_mediation_success", None, 95.0, None, 98.0),
    ("sa_mediation_common", None, None, None, 99.0),
    ("sa_data_sharing", None, 50.0, 80.0, 85.0),
    ("sa_video_coverage", None, 100.0, 85.0, 90.0),
    ("sa_police_ratio", None, None, 3500.0, 3000.0),
    ("sa_residents_per_grid_worker", None, None, None, 800.0),
    ("sa_grid_worker_staffing", None, None, None, 100.0),
    ("sa_village_officer_coverage", None, 100.0, None, None),
    ("sa_fraud_drop", None, 15.0, 15.0, 15.0),
    ("sa_device_failure", None, None, None, 5.0),
    ("sa_warning_accuracy", None, None, None, 90.0),
    ("sa_duplicate_assistance", None, None, None, 5.0),
    ("sa_socorg_share", None, None, None, 30.0),
    ("sa_public_willingness", None, None, None, 40.0),
    ("sa_funding_per_capita", None, None, None, 150.0),
    ("sa_migrant_child_enrolment", None, None, None, 100.0),
    ("sa_migrant_housing", None, None, None, 60.0),
    ("og_grid_daily_police_h", None, 3.0, 3.0, 3.0),
    ("og_monthly_meeting", None, 100.0, 100.0, 100.0),
    ("sa_cc_highrisk_weekly_visit", None, 100.0, 100.0, 100.0),
    ("sa_access_control_fixed", None, None, None, 100.0),
    ("sa_points_coverage", None, None, 70.0, None),
    ("sa_points_districts", None, None, 70.0, 80.0),
]

# Data sets of the reported indicators (indicators.md "Reported indicators"): the data set is the
# source plan. Defaults: entered by districts, monthly, the unweighted mean of the children that
# reported ("k of m units"). Computed indicators have no entry level.
APPROVAL_PLANS = ("seed-001",)  # seed-001 §11: a monthly data-entry form "with lock after approval"
YEARLY = ("cp_police_density_rural", "cp_budget_share", "cp_specialist_police_share", "og_grid_annual_funding",
          "cps_training_fund_share", "sa_fraud_drop", "sa_funding_per_capita", "sa_points_districts")
QUARTERLY = ("cp_school_drills", "cp_safety_satisfaction", "cp_response_speed_satisfaction", "og_service_awareness",
             "og_satisfaction", "cps_public_participation", "sa_security_sense", "sa_security_sense_rural",
             "sa_security_sense_key_area", "sa_cc_satisfaction", "sa_public_willingness")
# one value for the whole city (city budgets, city-wide platforms): entered by the city, not aggregated
CITY_ENTRY = ("cp_budget_share", "cp_data_sharing", "cps_gov_data_integration", "cps_data_fusion",
              "cps_training_fund_share", "sa_data_sharing", "sa_funding_per_capita", "sa_points_districts")
SUMMED: tuple[str, ...] = ()  # totals (none of the plans' indicators is a plain count today)
# reported by units of pilot districts only
PILOT_UNITS_ONLY = ("cp_patrol_increase", "og_pilot_crime_drop", "sa_village_officer_coverage")
# (indicator, phase) whose city target the plan sets for pilot areas only
PILOT_ONLY_TARGETS = (("cp_nonemergency_handling_h", "pilot"), ("cp_patrol_increase", "pilot"),
                      ("og_pilot_crime_drop", "rollout"), ("sa_mediation_success", "pilot"),
                      ("sa_video_coverage", "pilot"), ("sa_village_officer_coverage", "pilot"))


def reporting_attrs(code: str, kind: str, source_plan: str | None) -> dict:
    """Entry level, period type, aggregation, approval and pilot flag of one registry row."""
    if kind != "reported":
        return dict(entry_level=None, period_type="month", aggregation="mean", needs_approval=False, pilot_only=False)
    city = code in CITY_ENTRY
    return dict(entry_level="city" if city else "district",
                period_type="year" if code in YEARLY else "quarter" if code in QUARTERLY else "month",
                aggregation="none" if city else "sum" if code in SUMMED else "mean",
                needs_approval=(source_plan or "").split()[0] in APPROVAL_PLANS,
                pilot_only=code in PILOT_UNITS_ONLY)


_Y = "源文件只写计划年月，按第1年=2024年推定 / plan year 1 read as 2024 (interpretation)"
_PHASE_END = "源文件只给阶段，日期取阶段末 / derived from the phase end, not a dated milestone in the source"
_YEAR_ONLY = "源文件只写年份，日期取年末 / year only in the source; due at year end"

# code, due, zh, en, owner, source, note (owner "未写明" = not stated in the source)
PLAN_MILESTONES = [
    ("S1-2024-03", date(2024, 3, 31), "需求调研：建成市民安全需求数据库，形成差异化服务清单",
     "Needs survey done: citizen safety needs database and differentiated service list", "未写明", "seed-001 §8.1", _Y),
    ("S1-2024-06", date(2024, 6, 30), "“护驾服务APP”和“大数据中心”一期建成（风险预警、一键求助、安全知识上线）",
     "Protection app and big-data centre phase 1 live (risk warning, one-tap help, safety knowledge)", "未写明",
     "seed-001 §8.1", _Y),
    ("S1-2024-12", date(2024, 12, 31), "在 3 个区县、20 个社区试点，建立“一社区一警格”；试点区域巡逻频次提升 50%，非紧急警情 2 小时内处置",
     "Pilot in 3 districts/counties and 20 communities with one police grid per community; pilot patrols +50%, non-emergency handling ≤2 h",
     "未写明", "seed-001 §8.1", _Y),
    ("S1-2025-06", date(2025, 6, 30), "建成跨部门数据共享平台，数据共享率达 90% 以上；推行“潮汐式”警务",
     "Cross-department data-sharing platform built, sharing rate ≥90%; tidal policing by incident heat map", "未写明",
     "seed-001 §8.2", _Y),
    ("S1-2026-06", date(2026, 6, 30), "护驾服务驿站覆盖全市 80% 社区；组建“护驾特战队”；社会力量参与率 60%",
     "Protection service stations cover 80% of communities; special task force set up; social participation 60%",
     "未写明", "seed-001 §8.2", _Y),
    ("S1-2026-12", date(2026, 12, 31), "出台《市民护驾服务工作规范》，建立“市民评价+第三方评估”双轨监督",
     "Issue the citizen-protection service norms; citizen evaluation + third-party assessment in place", "未写明",
     "seed-001 §8.2, §3.4", _Y + "；§3.4 把两者列为一开始就有的保障措施 / §3.4 lists both as safeguards from the start"),
    ("S2-2025-12", date(2025, 12, 31), "试点形成“一网格一警官、一事件一闭环”工作模式，搭建“警网融合”数字平台",
     "Pilot grids run 'one officer per grid, one closed loop per event'; police–grid data platform built", "未写明",
     "seed-002 §3.3", _PHASE_END + "；第一阶段为 2024–2025 年 / phase 1 is 2024–2025"),
    ("S2-2026-12", date(2026, 12, 31), "实现网格警务力量全覆盖，建立跨部门协同长效机制",
     "Police force in every grid; long-term cross-department coordination mechanism in place", "未写明",
     "seed-002 §3.3", _PHASE_END),
    ("S3-2024-12", date(2024, 12, 31), "建成标准化社区数据中台，整合 80% 政府部门数据",
     "Standardised community data middle platform built; 80% of government-department data integrated", "未写明",
     "seed-003 §3.3", _PHASE_END + "；近期目标为 2023–2024 年，第 8 章时间规划缺失 / near term 2023–2024; chapter 8 missing"),
    ("S3-2025-12", date(2025, 12, 31), "实现“一社区一平台、一网格一终端”，社区警务信息化覆盖率达 90%，形成可复制的标准规范",
     "One platform per community and one terminal per grid; informatisation coverage 90%; replicable standard issued",
     "未写明", "seed-003 §3.3, §1.1", _PHASE_END),
    ("S4-2024-06-A", date(2024, 6, 30), "完成试点区域选定", "Pilot areas selected", "未写明", "seed-004 §7.3", None),
    ("S4-2024-06-B", date(2024, 6, 30), "完成社区矫正对象“一人一档”排查", "One-file-per-person screening of community-corrections subjects done",
     "未写明", "seed-004 §7.3", None),
    ("S4-2024-06-C", date(2024, 6, 30), "建立风险等级评估体系，对高风险社区矫正对象实施“每周一访”",
     "Risk-level assessment set up; weekly visits to high-risk community-corrections subjects start", "未写明",
     "seed-004 §7.3", "风险等级未定义 / risk levels not defined in the source"),
    ("S4-2024-12-A", date(2024, 12, 31), "试点地区智慧安防设施全部投入使用", "Pilot smart-security facilities all in use",
     "未写明", "seed-004 §7.3", None),
    ("S4-2024-12-B", date(2024, 12, 31), "跨部门数据共享率突破 50%", "Cross-department data sharing above 50%", "未写明",
     "seed-004 §7.3", None),
    ("S4-2024-12-C", date(2024, 12, 31), "试点地区矛盾纠纷调解成功率提升至 95%", "Mediation success in pilot areas 95%",
     "未写明", "seed-004 §7.3", None),
    ("S4-2024-12-D", date(2024, 12, 31), "建立政法委牵头、每月召开的公安、司法、民政等部门联席会议机制",
     "Monthly cross-department joint meeting led by the political-legal commission in place", "政法委",
     "seed-004 §7.2, §5.3", _YEAR_ONLY),
    ("S4-2025-06-A", date(2025, 6, 30), "社区民警与居民配比优化至 1:4000", "Community police ratio improved to 1:4000",
     "未写明", "seed-004 §7.3", None),
    ("S4-2025-06-B", date(2025, 6, 30), "中西部地区基层治安帮扶人均经费达到 120 元",
     "Per-capita grassroots assistance funding 120 yuan in central/western regions", "未写明", "seed-004 §7.3",
     "仅适用于中西部地区 / central and western regions only"),
    ("S4-2025-12", date(2025, 12, 31), "流动人口“积分制”帮扶覆盖率达 70%；刑满释放人员就业率突破 70%",
     "Migrant points-system coverage 70%; released-prisoner employment above 70%", "未写明", "seed-004 §7.3",
     "§7.2 另写 2025 年就业率 65% / §7.2 says 65% for 2025"),
    ("S4-2026-06", date(2026, 6, 30), "完成治安帮扶智慧平台建设，重点人群风险预警准确率达 90%",
     "Smart assistance platform finished; key-group risk-warning accuracy 90%", "未写明", "seed-004 §7.3", None),
    ("S4-2026-12-A", date(2026, 12, 31), "出台《治安帮扶工作条例》", "Issue the security-assistance regulations (条例)",
     "未写明", "seed-004 §7.2", _YEAR_ONLY + "；与《实施细则》是两个文件 / a different document from the 实施细则"),
    ("S4-2026-12-B", date(2026, 12, 31), "出台《治安帮扶工作实施细则》", "Issue the detailed implementation rules (实施细则)",
     "未写明", "seed-004 §7.3, §3.4", None),
]


SETTINGS = {
    "score_weights": {"info_accuracy": 40, "need_resolution": 30, "satisfaction": 30},
    "special_intervals_days": {"red": 7, "yellow": 30, "blue": 30},
    "night_window": {"start": "20:00", "end": "07:00"},
    "status_at_risk_points": 2.0,
    "trend_months": 6,
    "report_lock_days": 15,  # a reported period locks N days after it ends
    "report_timely_days": 10,  # a report entered within N days of the period end is timely
    "report_reopen_days": 7,  # an admin's reopen of one unit × period lasts N days
}


PHASE_CODES = ("pilot", "rollout", "deepening")
# plan indicators computed from the app's own records that the dashboards show beside seed 000's
PLAN_HEADLINE = frozenset({"sa_cc_highrisk_weekly_visit"})  # issue 15: the assisted-person register


def indicator_rows() -> list[dict]:
    """Every registry row as a dict; seed 000's rows are computed and higher-is-better."""
    rows = [dict(code=c, name_zh=z, name_en=e, unit=u, kind="computed", direction="up", headline=h, sort=s,
                 source_plan=src, note_zh=nz, note_en=ne)
            for c, z, e, u, h, s, src, nz, ne in INDICATORS]
    rows += [dict(code=c, name_zh=z, name_en=e, unit=u, kind=k, direction=d, headline=c in PLAN_HEADLINE, sort=s,
                  source_plan=src, note_zh=nz, note_en=ne)
             for c, z, e, u, k, d, s, src, nz, ne in PLAN_INDICATORS]
    return rows


def load_reference(conn: Connection) -> None:
    """Insert reference rows that are not there yet (idempotent; keeps edited rows)."""
    def exists(sql: str, **kw) -> bool:
        return conn.execute(text(sql), kw).first() is not None

    for code, zh, en, start, end in PHASES:
        if not exists("SELECT 1 FROM phase WHERE code=:c", c=code):
            conn.execute(text("INSERT INTO phase (code, name_zh, name_en, start, \"end\") VALUES (:c,:z,:e,:s,:t)"),
                         {"c": code, "z": zh, "e": en, "s": start, "t": end})
    for row in indicator_rows():
        if not exists("SELECT 1 FROM indicator WHERE code=:code", code=row["code"]):
            conn.execute(text(
                "INSERT INTO indicator (code, name_zh, name_en, unit, direction, kind, headline, sort, source_plan, "
                "note_zh, note_en) VALUES (:code,:name_zh,:name_en,:unit,:direction,:kind,:headline,:sort,"
                ":source_plan,:note_zh,:note_en)"), row)
    for code, base, *targets in CITY_TARGETS + PLAN_TARGETS:
        for phase, tgt in zip(PHASE_CODES, targets, strict=True):
            if tgt is None:
                continue
            if not exists("SELECT 1 FROM target WHERE indicator_code=:i AND phase_code=:p AND org_unit_id IS NULL",
                          i=code, p=phase):
                conn.execute(text("INSERT INTO target (indicator_code, phase_code, org_unit_id, target, baseline) "
                                  "VALUES (:i,:p,NULL,:t,:b)"), {"i": code, "p": phase, "t": tgt, "b": base})
    milestones = [(*m, None) for m in MILESTONES] + PLAN_MILESTONES
    for code, due, zh, en, owner, src, note in milestones:
        if not exists("SELECT 1 FROM milestone WHERE code=:c", c=code):
            conn.execute(text("INSERT INTO milestone (code, title_zh, title_en, due, owner, status, source, note, "
                              "version) VALUES (:c,:z,:e,:d,:o,'planned',:s,:n,1)"),
                         {"c": code, "z": zh, "e": en, "d": due, "o": owner, "s": src, "n": note})
    for key, value in SETTINGS.items():
        if not exists("SELECT 1 FROM app_setting WHERE key=:k", k=key):
            conn.execute(text("INSERT INTO app_setting (key, value) VALUES (:k,:v)"),
                         {"k": key, "v": json.dumps(value, ensure_ascii=False)})
