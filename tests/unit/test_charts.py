"""ui.charts: the frame builders on small hand-written data, and the charts' specs (offline, labelled)."""
from __future__ import annotations

import json
import math
from datetime import date

import pandas as pd
import pytest

from ui import charts as c

PHASES = [
    ("pilot", date(2024, 1, 1), date(2024, 12, 31)),
    ("rollout", date(2025, 1, 1), date(2025, 12, 31)),
    ("deepening", date(2026, 1, 1), date(2026, 12, 31)),
]
TARGETS = {"pilot": 88.0, "rollout": 92.0, "deepening": 95.0}
TREND_LABELS = {"actual": "实际", "target": "目标", "projection": "预测", "data_date": "数据截至 2024-04-10",
                "month": "月份"}


def _rows(frame, series):
    return frame[frame["series"] == series].set_index("month")


# --- trend frame ---------------------------------------------------------------------------

@pytest.mark.parametrize("month,phase,target", [
    (202306, "baseline", 82.4),   # 2023 = baseline year (the year before the pilot)
    (202401, "pilot", 88.0),
    (202412, "pilot", 88.0),
    (202501, "rollout", 92.0),
    (202607, "deepening", 95.0),
])
def test_target_step_has_the_phase_target_for_each_month(month, phase, target):
    frame = c.trend_frame({}, TARGETS, PHASES, 82.4)
    row = _rows(frame, "target").loc[month]
    assert row["phase"] == phase
    assert row["value"] == pytest.approx(target)


def test_target_step_covers_2023_to_2026_monthly():
    target = _rows(c.trend_frame({}, TARGETS, PHASES, 82.4), "target")
    assert len(target) == 48  # 4 years × 12 months
    assert target.index.min() == 202301 and target.index.max() == 202612


def test_phase_without_target_leaves_a_gap():
    # rental_accuracy: baseline 75, no pilot/rollout target, deepening 90.
    target = _rows(c.trend_frame({}, {"deepening": 90.0}, PHASES, 75.0), "target")
    assert target.loc[202312, "value"] == 75.0
    assert math.isnan(target.loc[202406, "value"])
    assert target.loc[202601, "value"] == 90.0


def test_a_month_without_value_is_an_empty_row_so_the_line_breaks():
    frame = c.trend_frame([(202401, 84.0, 10), (202402, None, 0), (202404, 86.5, 9)], TARGETS, PHASES, 82.4)
    actual = _rows(frame, "actual").sort_index()
    assert list(actual.index) == [202401, 202402, 202403, 202404]  # Feb (no value) and Mar (no row) are empty
    assert actual["value"].isna().tolist() == [False, True, True, False]
    assert actual.loc[202404, "n"] == 9
    assert actual.loc[202401, "date"] == pd.Timestamp(2024, 1, 1)
    # nothing before the first or after the last value
    assert list(_rows(c.trend_frame({202403: 80.0}, TARGETS, PHASES, 82.4), "actual").index) == [202403]


def test_projection_is_least_squares_to_phase_end():
    # x = 0, 1, 2 for Jan–Mar 2024, y = 84, 85, 86.5: mean x = 1, mean y = 85.1667,
    # slope = ((−1)(−1.1667) + 0 + (1)(1.3333)) / 2 = 1.25; line(x) = 85.1667 + 1.25 (x − 1).
    frame = c.trend_frame({202401: 84.0, 202402: 85.0, 202403: 86.5}, TARGETS, PHASES, 82.4)
    proj = _rows(frame, "projection")
    assert list(proj.index) == list(range(202403, 202413))  # from the last value to Dec 2024
    assert proj.loc[202403, "value"] == pytest.approx(85.0 + 1 / 6 + 1.25)
    assert proj.loc[202412, "value"] == pytest.approx(85.0 + 1 / 6 + 1.25 * 10)  # 97.6667
    assert set(proj["phase"]) == {"pilot"}


def test_projection_uses_only_the_last_six_months():
    # Jan–Jun flat at 50, Jul–Dec 2025 flat at 90: the last six months alone give a flat 90 line.
    series = {202500 + m: (50.0 if m <= 6 else 90.0) for m in range(1, 13)}
    series = {k: v for k, v in series.items() if k < 202512}  # Jan–Nov: last six are Jun–Nov
    frame = c.trend_frame(series, TARGETS, PHASES, 82.4)
    proj = _rows(frame, "projection")
    # Jun = 50, Jul–Nov = 90: x = 0..5, y mean = (50 + 450)/6 = 83.333, slope = Σ(x−2.5)(y−ȳ)/17.5
    # = [(−2.5)(−33.333) + (−1.5 −0.5 +0.5 +1.5 +2.5)(6.667)] / 17.5 = (83.333 + 16.667) / 17.5 = 5.7143
    # line at x = 6 (Dec): 83.333 + 5.7143 × 3.5 = 103.333
    assert proj.loc[202512, "value"] == pytest.approx(83.3333 + 100 / 17.5 * 3.5, abs=1e-3)


def test_no_projection_below_three_values_or_after_an_incomplete_month():
    assert _rows(c.trend_frame({202401: 84.0, 202402: 85.0}, TARGETS, PHASES, 82.4), "projection").empty
    three = {202401: 84.0, 202402: 85.0, 202403: 86.5}
    # March still in progress: only two complete months remain → no projection.
    assert _rows(c.trend_frame(three, TARGETS, PHASES, 82.4, last_complete_month=202402), "projection").empty


def test_projection_phase_can_be_chosen():
    # Values in Oct–Dec 2024, projection asked for the pilot phase explicitly.
    frame = c.trend_frame({202410: 80.0, 202411: 81.0, 202412: 82.0}, TARGETS, PHASES, 82.4,
                          projection_phase="pilot")
    assert list(_rows(frame, "projection").index) == [202412]
    # … and for the rollout phase there are no values in it → none.
    frame = c.trend_frame({202410: 80.0, 202411: 81.0, 202412: 82.0}, TARGETS, PHASES, 82.4,
                          projection_phase="rollout")
    assert _rows(frame, "projection").empty


# --- trend chart ---------------------------------------------------------------------------

def _spec(chart) -> str:
    return json.dumps(chart.to_dict(), ensure_ascii=False)


def _assert_offline(spec_text: str):
    spec = json.loads(spec_text)
    assert '"url"' not in spec_text  # data inlined, nothing fetched
    # the only web address in an altair spec is the $schema identifier (never fetched by vega-embed)
    assert spec_text.count("http") == 1 and spec["$schema"].startswith("https://vega.github.io/schema/")


def test_trend_chart_layers_labels_and_data_date():
    frame = c.trend_frame({202401: 84.0, 202402: 85.0, 202403: 86.5}, TARGETS, PHASES, 82.4)
    spec_text = _spec(c.trend_chart(frame, "信息准确率", "%", date(2024, 4, 10), "zh", TREND_LABELS))
    _assert_offline(spec_text)
    spec = json.loads(spec_text)
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks.count("line") == 3 and "point" in marks and "rule" in marks and "text" in marks
    step = [layer for layer in spec["layer"] if layer["mark"].get("interpolate") == "step-after"]
    assert len(step) == 1  # the target line is a step
    for text in ("信息准确率", "实际", "目标", "预测", "数据截至 2024-04-10", "%Y年%m月"):
        assert text in spec_text


def test_trend_chart_without_data_date_has_no_rule():
    frame = c.trend_frame({}, TARGETS, PHASES, 82.4)
    spec = c.trend_chart(frame, "t", "%", None, "en", TREND_LABELS).to_dict()
    assert "rule" not in [layer["mark"]["type"] for layer in spec["layer"]]


# --- milestones ----------------------------------------------------------------------------

MILESTONES = [
    {"code": "M1", "title_zh": "规范印发", "title_en": "Norms", "due": date(2024, 3, 31), "status": "in_progress",
     "owner": "领导小组", "evidence": None},
    {"code": "M2", "title_zh": "终端配备", "title_en": "Terminals", "due": date(2024, 12, 31), "status": "planned"},
    {"code": "M0", "title_zh": "平台对接", "title_en": "Docking", "due": date(2023, 12, 31), "status": "done",
     "evidence": "验收报告"},
    {"code": "M3", "title_zh": "当天到期", "title_en": "Due today", "due": date(2024, 6, 1), "status": "planned"},
]


def test_timeline_frame_marks_overdue_not_done_as_late():
    frame = c.timeline_frame(MILESTONES, date(2024, 6, 1)).set_index("code")
    assert frame.loc["M1", "status"] == "late" and frame.loc["M1", "late"]  # due 31 Mar, not done
    assert frame.loc["M0", "status"] == "done"  # past due but done: not late
    assert frame.loc["M2", "status"] == "planned"  # not yet due
    assert frame.loc["M3", "status"] == "planned"  # due today is not past due
    assert frame.loc["M0", "evidence"] == "验收报告" and frame.loc["M2", "evidence"] == ""


def test_timeline_frame_sorted_by_due_and_in_the_language():
    frame = c.timeline_frame(MILESTONES, date(2024, 6, 1), lang="en")
    assert list(frame["code"]) == ["M0", "M1", "M3", "M2"]
    assert list(frame["title"]) == ["Docking", "Norms", "Due today", "Terminals"]


def test_milestone_timeline_spec_is_offline_and_emphasises_late():
    frame = c.timeline_frame(MILESTONES, date(2024, 6, 1))
    labels = {"planned": "计划中", "in_progress": "进行中", "done": "已完成", "late": "已逾期"}
    spec_text = _spec(c.milestone_timeline(frame, "里程碑", labels, date(2024, 6, 1), "zh"))
    _assert_offline(spec_text)
    assert "已逾期" in spec_text and "里程碑" in spec_text
    spec = json.loads(spec_text)
    # the x domain starts at the earliest milestone (2023-12-31) and ends at the end of 2026
    x_scale = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert x_scale[0].startswith("2023-12-31") and x_scale[1].startswith("2026-12-31")
    assert any(layer["mark"]["type"] == "text" and "transform" in layer for layer in spec["layer"])


# --- funnel ---------------------------------------------------------------------------------

def test_funnel_limits_for_p0_90_n_100():
    # p0 = 0.9, n = 100: sd = sqrt(0.9 × 0.1 / 100) = 0.03
    # 95 %:   0.9 ± 1.959964 × 0.03 = 0.9 ± 0.058799 → 84.1201 … 95.8799 %
    # 99.8 %: 0.9 ± 3.090232 × 0.03 = 0.9 ± 0.092707 → 80.7293 … 99.2707 %
    f = c.funnel_frame([("甲", 90, 100)], 90.0)
    row = f.points.iloc[0]
    assert row["value"] == pytest.approx(90.0)
    assert row["lo95"] == pytest.approx(84.1201, abs=1e-4)
    assert row["hi95"] == pytest.approx(95.8799, abs=1e-4)
    assert row["lo998"] == pytest.approx(80.7293, abs=1e-4)
    assert row["hi998"] == pytest.approx(99.2707, abs=1e-4)
    assert row["flag"] == "within"


def test_funnel_flags_and_clipping():
    # n = 100 at p0 = 90: 83/100 = 83 % is below 84.12 (95 %) but above 80.73 (99.8 %);
    # 80/100 is below 80.73; 97/100 is above 95.88 but below 99.27.
    # n = 10: sd = sqrt(0.09/10) = 0.094868; 95 % upper 0.9 + 0.185937 > 1 → clipped to 100.
    f = c.funnel_frame([("a", 83, 100), ("b", 80, 100), ("c", 97, 100), ("d", 10, 10), ("empty", 0, 0)], 90.0)
    pts = f.points.set_index("name")
    assert "empty" not in pts.index  # n = 0: no value, not plotted
    assert pts.loc["a", "flag"] == "below_95"
    assert pts.loc["b", "flag"] == "below_998"
    assert pts.loc["c", "flag"] == "above_95"
    assert pts.loc["d", "hi95"] == 100.0 and pts.loc["d", "flag"] == "within"
    assert pts.loc["d", "lo95"] == pytest.approx(100 * (0.9 - 1.959964 * math.sqrt(0.009)), abs=1e-4)


def test_funnel_curve_spans_the_sample_sizes_and_narrows():
    f = c.funnel_frame([("a", 18, 20), ("b", 450, 500)], 90.0)
    ns = list(f.limits["n"])
    assert ns[0] == 10 and ns[-1] == 500 and 20 in ns  # half the smallest n … the largest
    widths = list(f.limits["hi998"] - f.limits["lo998"])
    assert all(w1 >= w2 for w1, w2 in zip(widths, widths[1:], strict=False))


def test_funnel_chart_spec_offline_with_centre_and_target():
    f = c.funnel_frame([("a", 83, 100), ("b", 450, 500)], 90.0)
    labels = {"n": "样本量", "value": "准确率", "centre": "全市 90.0%", "limit95": "95% 控制限",
              "limit998": "99.8% 控制限", "target": "目标 88%", "data_date": "数据截至 2024-06-30"}
    spec_text = _spec(c.funnel_chart(f, "信息准确率漏斗图", date(2024, 6, 30), "zh", labels, target=88.0))
    _assert_offline(spec_text)
    for text in ("全市 90.0%", "目标 88%", "95% 控制限", "99.8% 控制限", "数据截至 2024-06-30"):
        assert text in spec_text


def test_group_trend_frame_rates_and_skips_empty_months():
    # pilot Jan 8/10 = 80 %, rest Jan 7/10 = 70 %, pilot Feb 0/0 → left out
    frame = c.group_trend_frame([(202401, "pilot", 8, 10), (202401, "rest", 7, 10), (202402, "pilot", 0, 0)],
                                {"pilot": "试点", "rest": "其他"})
    assert list(zip(frame["label"], frame["value"], strict=True)) == [("试点", 80.0), ("其他", 70.0)]
    _assert_offline(_spec(c.group_trend_chart(frame, "t", "%", date(2024, 2, 1), "zh")))


def test_group_trend_target_is_a_step_line_in_the_legend():
    frame = c.group_trend_frame([(202312, "pilot", 8, 10), (202401, "rest", 7, 10)], {"pilot": "试点", "rest": "其他"})
    steps = c.trend_frame({}, TARGETS, PHASES, 82.4)
    steps = steps[(steps["series"] == c.TARGET) & (steps["month"] <= 202402)][["date", "value"]]
    assert list(steps["value"])[-3:] == [82.4, 88.0, 88.0]  # 2023-12 baseline, then the pilot target (TARGETS)
    spec = c.group_trend_chart(frame, "t", "%", date(2024, 2, 1), "zh", {"target": "目标"}, target_steps=steps).to_dict()
    (step,) = [layer for layer in spec["layer"] if layer["mark"].get("interpolate") == "step-after"]
    assert step["encoding"]["strokeDash"]["scale"]["domain"] == ["目标"]  # listed in the legend
    _assert_offline(json.dumps(spec, ensure_ascii=False))


def test_trend_legend_lists_the_projection_only_when_it_is_drawn():
    with_proj = c.trend_frame({202401: 84.0, 202402: 85.0, 202403: 86.5}, TARGETS, PHASES, 82.4)
    assert not _rows(with_proj, "projection").empty
    without = c.trend_frame({202410: 80.0, 202411: 81.0, 202412: 82.0}, TARGETS, PHASES, 82.4,
                            projection_phase="rollout")
    assert _rows(without, "projection").empty
    for frame, listed in ((with_proj, True), (without, False)):
        spec = c.trend_chart(frame, "t", "%", None, "zh", TREND_LABELS).to_dict()
        domains = [layer["encoding"]["color"]["scale"]["domain"] for layer in spec["layer"]
                   if "color" in layer.get("encoding", {})] or [spec["encoding"]["color"]["scale"]["domain"]]
        assert all((TREND_LABELS["projection"] in d) == listed for d in domains)


def test_the_worse_side_of_the_funnel_follows_the_direction():
    assert c.worse_flags("up") == ["below_998", "below_95"]
    assert c.worse_flags("down") == ["above_998", "above_95"]
