"""Report tables and their downloads: Excel (openpyxl) and CSV (a zip of one UTF-8-BOM file per section).

Pure functions (no Streamlit calls; the language is passed in), shared by the report screen and
the downloads so the file holds exactly the numbers on the screen:

* ``report_frames(data, indicators, lang)`` → ``{section: DataFrame}`` with headers in ``lang``,
  numbers as numbers (one decimal), dates as datetimes, ``None``/NaN for no data.
* ``to_xlsx(frames, title, lang)`` → bytes: one sheet per section, a title row (unit, month, data
  date), bold frozen header with a filter, number formats, column widths.
* ``to_csv_zip(frames, lang)`` → bytes: a zip with one CSV per section. One CSV per section
  rather than one file because the sections have different columns — stacking them in one CSV
  would break every tool that reads it as a table; the zip keeps it one download.
* ``neutralise(value)``: text cells starting with = + - @ tab CR (LF) get a leading single quote
  (OWASP "CSV injection"), in both formats, so a spreadsheet never runs a cell as a formula.
  Numbers are never touched: a negative gap stays a number.
"""
from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Sequence
from datetime import date, datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from metrics.definitions import UNRANKED_STATUSES, rank_by_gap

from .format import owner as owner_name
from .format import unit_name
from .i18n import CATALOGUE

SECTIONS = ("kpis", "gaps", "overdue_units", "overdue", "milestones")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
STATUS_FILL = {"met": "E3F1E6", "on_track": "E4ECF7", "at_risk": "FBEFD9", "off_track": "F8E0DE", "late": "F8E0DE"}
MAX_WIDTH = 60


def tr(key: str, lang: str, **fmt) -> str:
    text = CATALOGUE[key][lang]
    return text.format(**fmt) if fmt else text


def tr_opt(key: str, lang: str, fallback: str) -> str:
    entry = CATALOGUE.get(key)
    return entry[lang] if entry else fallback


def neutralise(value):
    """A text cell that a spreadsheet would read as a formula gets a leading "'"; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _r1(v):
    return None if v is None else round(float(v), 1)


def _name(row, lang: str, zh: str = "name_zh", en: str = "name_en", code: str = "code") -> str:
    if lang == "en":
        return getattr(row, en, None) or getattr(row, code, "") or ""
    return getattr(row, zh, "") or ""


def _measure(unit: str, lang: str, kind: str = "computed") -> str:
    if kind == "reported" and unit == "count":  # a plain count (the computed one is per officer-week)
        return tr("pind.measure.count", lang)
    key = {"%": "report.measure.pct", "score": "report.measure.score", "count": "report.measure.count"}.get(unit)
    return tr(key, lang) if key else tr_opt(f"pind.measure.{unit}", lang, unit)


PLANS = ("seed-000", "seed-001", "seed-002", "seed-003", "seed-004")


def _plan(ind) -> str:
    p = getattr(ind, "plan", None)
    return p if p in PLANS else PLANS[0]


def by_plan(indicators: Sequence) -> list:
    """The indicators grouped by plan (plan order), registry order within a plan."""
    return sorted(indicators, key=lambda i: PLANS.index(_plan(i)))


def plan_label(ind, lang: str) -> str:
    return tr_opt(f"plan.{_plan(ind)}", lang, _plan(ind))


def _reported(k) -> bool:
    return getattr(k, "kind", "computed") == "reported"


def _plan_cells(ind, k, lang: str) -> dict:
    """The plan and, for a reported value, its period, "k/m" units and completeness (the report's last columns)."""
    rep = _reported(k)
    return {tr("pind.col.plan", lang): plan_label(ind, lang),
            tr("pind.col.period", lang): k.period if rep else None,
            tr("pind.col.units", lang): f"{k.k or 0}/{k.m}" if rep and k.m else None,
            tr("pind.col.completeness", lang): _r1(k.completeness) if rep else None}


def _plan_columns(lang: str) -> list[str]:
    return [tr(f"pind.col.{c}", lang) for c in ("plan", "period", "units", "completeness")]


def _status(status: str | None, lang: str) -> str | None:
    return None if status is None else tr_opt(f"status.{status}", lang, status)


# --- the report tables ---------------------------------------------------------------------------

def kpi_frame(kpis: Sequence, indicators: Sequence, lang: str) -> pd.DataFrame:
    """The unit's own row per indicator, grouped by plan (registry order within one): actual,
    target, gap, n, 95% interval, status, needed gain; then the plan and, for a reported value,
    its period, "k/m" units reported and completeness (n and the interval stay empty: no sample)."""
    c = {k: tr(f"report.col.{k}", lang) for k in ("indicator", "measure", "value", "target", "gap", "n", "ci_low",
                                                    "ci_high", "status", "required_gain")}
    own = {k.indicator: k for k in kpis if k.is_self}
    rows = []
    for ind in by_plan(indicators):
        k = own.get(ind.code)
        if k is None:
            continue
        gain = k.required_gain if k.required_gain is not None and k.required_gain > 0 else None
        measure = _measure(ind.unit, lang, getattr(ind, "kind", "computed"))
        rows.append({c["indicator"]: _name(ind, lang), c["measure"]: measure,
                     c["value"]: _r1(k.value), c["target"]: _r1(k.target), c["gap"]: _r1(k.gap),
                     c["n"]: int(k.n) if ind.code != "assessment_score" and not _reported(k) else None,
                     c["ci_low"]: _r1(k.ci_low), c["ci_high"]: _r1(k.ci_high),
                     c["status"]: _status(k.status, lang), c["required_gain"]: _r1(gain), **_plan_cells(ind, k, lang)})
    return _frame(rows, list(c.values()) + _plan_columns(lang), ints=(c["n"],))


def gap_frame(kpis: Sequence, indicators: Sequence, lang: str) -> pd.DataFrame:
    """Direct children × every indicator (long form): actual, target, gap, status, needed gain, rank;
    then the plan and, for a reported value, its period, "k/m" units and completeness.

    Rank among the children by gap, largest first (``metrics.definitions.rank_by_gap``, as the gaps
    screen; the gap is direction-aware, so lower-is-better indicators rank the right way). Rows:
    indicators grouped by plan (registry order within one), within one by rank (unranked last, by code).
    """
    c = {k: tr(f"report.col.{k}", lang) for k in ("indicator", "unit", "code", "value", "target", "gap", "status",
                                                    "required_gain", "rank")}
    kids = [k for k in kpis if not k.is_self]
    rows = []
    order: dict[int, int] = {}
    for pos, ind in enumerate(by_plan(indicators)):
        group = [k for k in kids if k.indicator == ind.code]
        ranks = rank_by_gap([None if k.status in UNRANKED_STATUSES or k.gap is None else round(k.gap, 6)
                             for k in group])
        for k, rank in zip(group, ranks, strict=True):
            gain = k.required_gain if k.required_gain is not None and k.required_gain > 0 else None
            row = {c["indicator"]: _name(ind, lang), c["unit"]: unit_name(k, lang), c["code"]: k.unit_code,
                   c["value"]: _r1(k.value), c["target"]: _r1(k.target), c["gap"]: _r1(k.gap),
                   c["status"]: _status(k.status, lang), c["required_gain"]: _r1(gain), c["rank"]: rank,
                   **_plan_cells(ind, k, lang)}
            order[id(row)] = pos
            rows.append(row)
    rows.sort(key=lambda r: (order[id(r)], r[c["rank"]] is None, r[c["rank"]] or 0, r[c["code"]]))
    return _frame(rows, list(c.values()) + _plan_columns(lang), ints=(c["rank"],))


def overdue_units_frame(data, lang: str) -> pd.DataFrame:
    c = {k: tr(f"report.col.{k}", lang) for k in ("unit", "code", "overdue_n")}
    rows = [{c["unit"]: _name(r, lang, "unit_name_zh", "unit_name_en", "unit_code"), c["code"]: r.unit_code,
             c["overdue_n"]: r.n} for r in data.overdue_by_child]
    if rows:
        rows.append({c["unit"]: tr("report.total", lang), c["code"]: data.unit.code, c["overdue_n"]: data.overdue_total})
    return _frame(rows, list(c.values()), ints=(c["overdue_n"],))


def overdue_frame(data, lang: str) -> pd.DataFrame:
    c = {k: tr(f"report.col.{k}", lang) for k in ("need_code", "category", "grid", "created", "due", "hours_overdue")}
    rows = [{c["need_code"]: n.code, c["category"]: tr_opt(f"need_cat.{n.category}", lang, n.category),
             c["grid"]: _name(n, lang, "grid_name_zh", "grid_name_en", "grid_code"), c["created"]: n.created_at,
             c["due"]: n.due_at, c["hours_overdue"]: n.hours_overdue} for n in data.overdue]
    return _frame(rows, list(c.values()))


def milestones_frame(data, lang: str) -> pd.DataFrame:
    c = {k: tr(f"report.col.{k}", lang) for k in ("ms_code", "ms_title", "ms_due", "owner", "status", "why",
                                                    "evidence")}
    rows = []
    for m in data.milestones:
        why = "due_late" if m.due_in_month and m.late else ("late" if m.late else "due")
        rows.append({c["ms_code"]: m.code, c["ms_title"]: m.title_en if lang == "en" else m.title_zh,
                     c["ms_due"]: m.due, c["owner"]: owner_name(m.owner, lang), c["status"]: tr(f"report.ms_status.{m.status}", lang),
                     c["why"]: tr(f"report.why.{why}", lang), c["evidence"]: m.evidence})
    return _frame(rows, list(c.values()))


def _frame(rows: list[dict], columns: list[str], ints: Sequence[str] = ()) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for col in ints:  # whole numbers with gaps stay whole (nullable Int64, not float)
        df[col] = df[col].astype("Int64")
    return df


def report_frames(data, indicators: Sequence, lang: str) -> dict[str, pd.DataFrame]:
    """Every section of the report as a table in ``lang`` (keys: ``SECTIONS``)."""
    return {"kpis": kpi_frame(data.kpis, indicators, lang), "gaps": gap_frame(data.kpis, indicators, lang),
            "overdue_units": overdue_units_frame(data, lang), "overdue": overdue_frame(data, lang),
            "milestones": milestones_frame(data, lang)}


def report_title(data, lang: str, data_date: date) -> str:
    unit = _name(data.unit, lang)
    return tr("report.sheet_title", lang, unit=unit, month=data.period, date=data_date.isoformat())


def file_stem(data) -> str:
    return f"report_{data.unit.code}_{data.period}"


# --- cells -----------------------------------------------------------------------------------------

def cell_value(v):
    """A DataFrame value as a spreadsheet cell: None for no data, python numbers/datetimes, text neutralised."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item") and not isinstance(v, str | bytes):  # numpy scalars
        v = v.item()
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float | datetime | date):
        return v
    return neutralise(str(v))


def _number_format(v) -> str | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(v, date):
        return "yyyy-mm-dd"
    if isinstance(v, int):
        return "#,##0"
    if isinstance(v, float):
        return "0.0"
    return None


def _width(v) -> int:
    if v is None:
        return 0
    if isinstance(v, datetime):
        return 16
    if isinstance(v, date):
        return 10
    if isinstance(v, float):
        return len(f"{v:,.1f}")
    s = str(v)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)  # CJK characters are twice as wide


# --- Excel -------------------------------------------------------------------------------------------

def to_xlsx(frames: dict[str, pd.DataFrame], title: str, lang: str) -> bytes:
    """One sheet per section: title row, header row (bold, frozen, filter), data with number formats."""
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE3EA")
    for section, df in frames.items():
        ws = wb.create_sheet(_sheet_name(tr(f"report.sec.{section}", lang)))
        ncols = max(1, len(df.columns))
        ws.cell(row=1, column=1, value=neutralise(f"{title} · {tr(f'report.sec.{section}', lang)}"))
        ws.cell(row=1, column=1).font = Font(bold=True, size=13)
        if ncols > 1:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
        widths = [_width(str(c)) for c in df.columns]
        for j, col in enumerate(df.columns, start=1):
            cell = ws.cell(row=2, column=j, value=neutralise(str(col)))
            cell.font = bold
            cell.fill = head_fill
            cell.alignment = Alignment(vertical="center", wrap_text=False)
        status_cols = {j for j, col in enumerate(df.columns, start=1)
                       if col in (tr("report.col.status", lang),)}
        status_by_label = {tr_opt(f"status.{s}", lang, s): s for s in STATUS_FILL}
        status_by_label[tr("report.ms_status.late", lang)] = "late"
        for i, row in enumerate(df.itertuples(index=False, name=None), start=3):
            for j, v in enumerate(row, start=1):
                value = cell_value(v)
                cell = ws.cell(row=i, column=j, value=value)
                nf = _number_format(value)
                if nf:
                    cell.number_format = nf
                if j in status_cols and value in status_by_label:
                    cell.fill = PatternFill("solid", fgColor=STATUS_FILL[status_by_label[value]])
                widths[j - 1] = max(widths[j - 1], _width(value))
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, max(8, w + 2))
        ws.freeze_panes = "A3"
        if len(df.columns) and len(df):
            ws.auto_filter.ref = f"A2:{get_column_letter(len(df.columns))}{len(df) + 2}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_name(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    return name[:31]


# --- CSV ---------------------------------------------------------------------------------------------

def to_csv(df: pd.DataFrame) -> bytes:
    """One table as CSV, UTF-8 with a BOM (Excel then reads Chinese correctly); text neutralised."""
    out = pd.DataFrame({col: [_csv_value(v) for v in df[col]] for col in df.columns}, columns=df.columns,
                       dtype=object)
    out.columns = [neutralise(str(c)) for c in df.columns]
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _csv_value(v):
    v = cell_value(v)
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return f"{v:.1f}"
    return None if v is None else str(v)  # text from here on: pandas must not turn 5 into 5.0


def to_csv_zip(frames: dict[str, pd.DataFrame], lang: str, stem: str = "report") -> bytes:
    """A zip holding ``<stem>_<n>_<section>.csv`` for each section (ASCII names: safe in every unzip tool)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, (section, df) in enumerate(frames.items(), start=1):
            zf.writestr(f"{stem}_{n}_{section}.csv", to_csv(df))
    return buf.getvalue()
