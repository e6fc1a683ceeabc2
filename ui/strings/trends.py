"""Strings of the overview's monthly trend section."""
from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "trends.title": {"zh": "月度趋势", "en": "Monthly trend"},
    "trends.indicator": {"zh": "指标", "en": "Indicator"},
    "trends.loading": {"zh": "正在计算月度数据…", "en": "Computing monthly values…"},
    "trends.actual": {"zh": "实际值", "en": "Actual"},
    "trends.target": {"zh": "目标", "en": "Target"},
    "trends.projection": {"zh": "按近 6 个月趋势推算", "en": "Projection (last 6 months' trend)"},
    "trends.month": {"zh": "月份", "en": "Month"},
    "trends.data_date": {"zh": "数据截至 {date}", "en": "Data as of {date}"},
    "trends.chart_title": {"zh": "{name} · {unit}", "en": "{name} · {unit}"},
    "trends.axis_percent": {"zh": "百分比（%）", "en": "Percent (%)"},
    "trends.axis_score": {"zh": "得分", "en": "Score"},
    "trends.axis_count": {"zh": "户数", "en": "Households"},
    "trends.latest": {"zh": "最近一个有数据的已结束月份：{month}，{value}（样本量 {n}）。",
                      "en": "Latest finished month with data: {month}, {value} (n = {n})."},
    "trends.note": {"zh": "每个点是该月单独计算的指标值；只显示已结束的月份（当月结束后才出现）。红色虚线为目标：2023 年为基线，之后依次为试点期、推广期、深化期的目标。",
                    "en": "Each point is the indicator for that month alone; only finished months are shown (the "
                          "current month appears once it is over). The red dashed line is the target: the 2023 baseline, "
                          "then the pilot, rollout and deepening targets."},
    "trends.empty": {"zh": "{name}自 2023 年 1 月以来没有任何已结束月份的数据，无法绘制趋势。",
                     "en": "{name} has no value in any finished month since January 2023, so there is no trend "
                           "to draw."},
}
