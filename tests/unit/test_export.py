"""Report export (ui.export): Excel opens with openpyxl, headers per language, numbers stay numbers,
text that a spreadsheet would run as a formula is neutralised (OWASP CSV injection), CSV has a BOM."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from data_access.programme.catalog import IndicatorRow
from metrics.service import Kpi
from ui import export

DANGEROUS = ['=HYPERLINK("http://evil.example","click")', "+1", "-2+3", "@SUM(A1:A2)", "\tcmd", "\r=1+1"]


def indicator(code: str, zh: str, en: str, unit: str = "%", headline: bool = True) -> IndicatorRow:
    return IndicatorRow(code, zh, en, unit, "up", headline, 10, None, None)


INDICATORS = [indicator("info_accuracy", "信息准确率", "Information accuracy"),
              indicator("satisfaction", "群众满意度", "Satisfaction", unit="score")]


def kpi(unit_code: str, is_self: bool, ind: str, value, *, n=0, target=None, status="no_data", name_en=None) -> Kpi:
    gap = None if value is None or target is None else target - value
    return Kpi(unit_code=unit_code, unit_name_zh=f"单位{unit_code}", unit_name_en=name_en, unit_level="district",
               is_self=is_self, indicator=ind, value=value, n=n, ci_low=None, ci_high=None, target=target,
               baseline=None, gap=gap, status=status, required_gain=None, flags=())


def small_frames() -> dict[str, pd.DataFrame]:
    """Two hand-written sections: numbers (one negative), a date, and dangerous text cells."""
    return {
        "kpis": pd.DataFrame({"指标": ["信息准确率", "群众满意度"], "实际": [60.0, 91.25], "差距": [-2.5, None],
                              "样本量": pd.array([5, None], dtype="Int64")}),
        "milestones": pd.DataFrame({"事项": DANGEROUS, "数量": [-3, 0, 1, 2, 3, 4],
                                    "到期日": [date(2026, 2, 28)] * 6}),
    }


def sheet_rows(data: bytes, title: str) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data))
    return [tuple(c.value for c in row) for row in wb[title].iter_rows()]


# --- neutralisation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", DANGEROUS)
def test_text_starting_like_a_formula_gets_a_quote(text):
    assert export.neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["东湖区", "a=b", "88.0%", " -1", "", "'=already"])
def test_ordinary_text_is_unchanged(value):
    assert export.neutralise(value) == value


@pytest.mark.parametrize("value", [-2, -2.5, 0, 3.25, None])
def test_numbers_are_never_touched(value):
    assert export.neutralise(value) == value


# --- Excel -------------------------------------------------------------------------------------------

def test_workbook_has_one_sheet_per_section_and_a_title_row():
    data = export.to_xlsx(small_frames(), "东湖区 · 2026-02 月度报表 · 数据截至 2026-03-15", "zh")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["指标", "里程碑"]
    ws = wb["指标"]
    assert ws["A1"].value == "东湖区 · 2026-02 月度报表 · 数据截至 2026-03-15 · 指标"
    assert [c.value for c in ws[2]] == ["指标", "实际", "差距", "样本量"]
    assert ws.freeze_panes == "A3"


def test_workbook_numbers_are_numeric_and_text_is_neutralised():
    data = export.to_xlsx(small_frames(), "T", "zh")
    wb = load_workbook(io.BytesIO(data))
    kp = wb["指标"]
    assert kp["B3"].value == 60.0 and kp["B3"].data_type == "n" and kp["B3"].number_format == "0.0"
    assert kp["C3"].value == -2.5 and kp["C3"].data_type == "n"  # a negative number stays a number
    assert kp["C4"].value is None  # no data is an empty cell, not "nan" or 0
    assert kp["D3"].value == 5 and kp["D3"].number_format == "#,##0"
    assert kp["D4"].value is None
    ms = wb["里程碑"]
    texts = [ms.cell(row=r, column=1).value for r in range(3, 3 + len(DANGEROUS))]
    assert texts == ["'" + t.replace("\r", "\n") for t in DANGEROUS]  # XML stores a CR as a line break
    assert all(ms.cell(row=r, column=1).data_type == "s" for r in range(3, 3 + len(DANGEROUS)))
    assert ms["B3"].value == -3 and ms["B3"].data_type == "n"
    assert ms["C3"].value == datetime(2026, 2, 28) and ms["C3"].is_date


def test_column_widths_fit_the_longest_cell():
    data = export.to_xlsx(small_frames(), "T", "zh")
    ws = load_workbook(io.BytesIO(data))["里程碑"]
    longest = len(DANGEROUS[0]) + 1  # with its quote
    assert ws.column_dimensions["A"].width >= longest


@pytest.mark.parametrize("lang,headers", [
    ("zh", ["指标", "计量", "实际", "目标", "差距", "样本量", "95% 区间下限", "95% 区间上限", "状态", "每月需提升",
            "方案", "期别", "上报单位", "完整率"]),
    ("en", ["Indicator", "Measure", "Actual", "Target", "Gap", "n", "95% low", "95% high", "Status",
            "Needed / month", "Plan", "Period", "Units reported", "Completeness"]),
])
def test_kpi_sheet_headers_follow_the_language(lang, headers):
    kpis = [kpi("D1", True, "info_accuracy", 60.0, n=5, target=95.0, status="off_track"),
            kpi("D1", True, "satisfaction", None)]
    frame = export.kpi_frame(kpis, INDICATORS, lang)
    rows = sheet_rows(export.to_xlsx({"kpis": frame}, "T", lang), export.tr("report.sec.kpis", lang))
    assert list(rows[1]) == headers
    name = "信息准确率" if lang == "zh" else "Information accuracy"
    status = "偏离目标" if lang == "zh" else "Off track"
    plan = "入户访查工作方案" if lang == "zh" else "Household visits"
    assert rows[2] == (name, "%", 60.0, 95.0, 35.0, 5, None, None, status, None, plan, None, None, None)
    assert rows[3][2] is None and rows[3][3] is None  # satisfaction: no data, no target


def test_gap_frame_ranks_children_by_gap_as_the_gaps_screen():
    kpis = [kpi("D", True, "info_accuracy", 70.0),
            kpi("S1", False, "info_accuracy", 60.0, target=95.0), kpi("S2", False, "info_accuracy", 80.0, target=95.0),
            kpi("S3", False, "info_accuracy", None, target=95.0), kpi("S4", False, "info_accuracy", 80.0, target=95.0)]
    df = export.gap_frame(kpis, INDICATORS[:1], "en")
    got = {r["Code"]: (r["Gap"], None if pd.isna(r["Rank by gap"]) else int(r["Rank by gap"])) for _, r in df.iterrows()}
    assert got["S1"] == (35.0, 1)  # the largest gap first
    assert got["S2"] == (15.0, 2) and got["S4"] == (15.0, 2)  # a tie shares the better rank
    assert pd.isna(got["S3"][0]) and got["S3"][1] is None
    assert list(df["Code"]) == ["S1", "S2", "S4", "S3"]  # by rank, no data last


def test_unit_names_in_cells_are_neutralised_too():
    kpis = [kpi("D", True, "info_accuracy", 70.0),
            kpi("S1", False, "info_accuracy", 60.0, target=95.0, name_en="=cmd|' /C calc'!A0")]
    frame = export.gap_frame(kpis, INDICATORS[:1], "en")
    rows = sheet_rows(export.to_xlsx({"gaps": frame}, "T", "en"), "Gaps by unit")
    assert rows[2][1] == "'=cmd|' /C calc'!A0"
    assert rows[2][3] == 60.0


# --- CSV ---------------------------------------------------------------------------------------------

def test_csv_has_a_bom_chinese_headers_and_neutralised_text():
    raw = export.to_csv(small_frames()["milestones"])
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False, dtype=str)
    assert list(df.columns) == ["事项", "数量", "到期日"]
    assert list(df["事项"]) == ["'" + t for t in DANGEROUS]
    assert list(df["数量"]) == ["-3", "0", "1", "2", "3", "4"]  # numbers are not quoted
    assert set(df["到期日"]) == {"2026-02-28"}


def test_csv_numbers_have_one_decimal_and_no_data_is_empty():
    raw = export.to_csv(small_frames()["kpis"])
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines == ["指标,实际,差距,样本量", "信息准确率,60.0,-2.5,5", "群众满意度,91.2,,"]


def test_csv_zip_holds_one_file_per_section():
    data = export.to_csv_zip(small_frames(), "zh", stem="report_D1_2026-02")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert names == ["report_D1_2026-02_1_kpis.csv", "report_D1_2026-02_2_milestones.csv"]
        assert all(zf.read(n).startswith(b"\xef\xbb\xbf") for n in names)
