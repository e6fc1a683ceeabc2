"""Strings of the 差距分析 District gaps screen (pages/gaps.py, ui/gaps.py)."""
from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "nav.gaps": {"zh": "差距分析", "en": "District gaps"},
    "gaps.title": {"zh": "差距分析", "en": "District gaps"},
    "gaps.indicator": {"zh": "指标", "en": "Indicator"},
    "gaps.loading": {"zh": "正在计算下级单位的指标…", "en": "Computing the units' indicators…"},
    "gaps.breadcrumb": {"zh": "层级", "en": "Path"},
    "gaps.table": {"zh": "下级单位差距排名（{level}）· {indicator}",
                   "en": "Units below ranked by gap ({level}) · {indicator}"},
    "gaps.table_help": {"zh": "点击表格左侧的行选择框可下钻到该单位；点击列标题可排序。排名 1 为差距最大。",
                        "en": "Tick a row's box on the left to drill down into that unit; click a column header "
                              "to sort. Rank 1 is the largest gap."},
    "gaps.drill": {"zh": "下钻到下级单位", "en": "Drill down to a unit"},
    "gaps.drill_placeholder": {"zh": "选择下级单位…", "en": "Choose a unit…"},
    "gaps.matrix": {"zh": "全部核心指标差距（目标 − 实际）", "en": "Gaps on every headline indicator (target − actual)"},
    "gaps.funnel": {"zh": "漏斗图：{indicator}", "en": "Funnel plot: {indicator}"},
    "gaps.funnel_title": {"zh": "{indicator}与样本量（中心线 = {unit}）",
                          "en": "{indicator} vs sample size (centre = {unit})"},
    "gaps.funnel_help": {"zh": "落在虚线（95%）以内的差异可能只是抽样波动；落在点线（99.8%）以外的单位与上级确有差距。"
                               "红点为显著低于上级的单位。",
                         "en": "Differences inside the dashed lines (95%) may be chance; a unit outside the dotted "
                               "lines (99.8%) really differs from the parent. Red points lie significantly below it."},
    "gaps.funnel_other": {"zh": "漏斗图仅适用于比率类指标，下图为{indicator}。",
                          "en": "A funnel plot needs a rate; showing {indicator} instead."},
    "gaps.funnel_no_centre": {"zh": "上级单位本阶段尚无该指标数据，无法绘制漏斗图。",
                              "en": "The parent unit has no value for this indicator in this phase; no funnel plot."},
    "gaps.flagged": {"zh": "显著低于上级（99.8%）：{units}", "en": "Significantly below the parent (99.8%): {units}"},
    "gaps.none_flagged": {"zh": "没有单位显著低于上级（99.8% 控制限）。",
                          "en": "No unit lies significantly below the parent (99.8% limits)."},
    "gaps.no_children": {"zh": "该单位没有下级单位，可返回上一级查看。",
                         "en": "This unit has no units below it; go back up a level."},
    "gaps.no_values": {"zh": "下级单位本阶段均无该指标数据：{why}", "en": "No unit below has a value yet: {why}"},
    "gaps.col.rank": {"zh": "差距排名", "en": "Rank by gap"},
    "gaps.col.n": {"zh": "样本量", "en": "n"},
    "gaps.fn.n": {"zh": "样本量（对数坐标）", "en": "Sample size (log scale)"},
    "gaps.fn.value": {"zh": "实际值", "en": "Actual"},
    "gaps.fn.unit": {"zh": "单位", "en": "Unit"},
    "gaps.fn.centre": {"zh": "上级值", "en": "Parent value"},
    "gaps.fn.limit95": {"zh": "95% 控制限", "en": "95% limits"},
    "gaps.fn.limit998": {"zh": "99.8% 控制限", "en": "99.8% limits"},
    "gaps.fn.target": {"zh": "阶段目标", "en": "Phase target"},
}
