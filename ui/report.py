"""Monthly report screen helpers: month picker (URL-bound), cached loading, tables, audited downloads."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from data_access.analytics.kpi_queries import month_start as _month_start
from data_access.analytics.report_queries import (
    UnknownMonth,
    last_complete_month,
    month_label,
    parse_month,
)
from data_access.core import audit
from data_access.core.clock import now_local
from data_access.core.db import get_engine, read_engine, session_scope
from data_access.core.settings import get_settings
from data_access.org import users
from metrics.report import ReportData, monthly_report

from . import export, swr
from . import format as fmt
from .auth import CurrentUser
from .i18n import lang, t
from .kpi import STATUS_BG, reference, table_height

__all__ = ["reference", "now_minute", "month_start", "month_picker", "load_report", "download_buttons",
           "kpi_table", "show_table", "no_activity", "plan_filter"]
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def now_minute() -> datetime:
    """Local now, to the minute (the report's as_of and part of its cache key)."""
    return now_local().replace(second=0, microsecond=0)


def month_start(m: int) -> date:
    return _month_start(m)


def _months(first: int, last: int) -> list[int]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = m + 1 if m % 100 != 12 else (m // 100 + 1) * 100 + 1
    return out


def month_picker(today: date, *, param: str = "month") -> int:
    """Selectbox of months (newest first) from the baseline year before the first phase up to this
    month; ``?month=YYYY-MM`` in the URL, default the last complete month."""
    phases, _ = reference()
    first_year = (min(p.start for p in phases).year - 1) if phases else today.year - 1
    current = today.year * 100 + today.month
    options = list(reversed(_months(first_year * 100 + 1, current)))
    default = last_complete_month(today)
    raw = st.query_params.get(param)
    chosen = default
    if raw:
        try:
            chosen = parse_month(raw)
        except UnknownMonth:
            chosen = 0  # not a month: warn and fall back below
        if chosen not in options:
            st.warning(t("report.bad_month"))
            chosen = default
    if chosen not in options:  # today before the first listed month (cannot happen with real phases)
        options.insert(0, chosen)
    m = st.selectbox(t("report.month"), options, index=options.index(chosen), key=f"{param}_{lang()}",
                     format_func=month_label)
    st.query_params[param] = month_label(m)
    return m


@swr.cached()
def load_report(scope_code: str, unit_code: str, month: int, as_of: datetime) -> ReportData | None:
    """The report of ``unit_code`` for ``month``; None when the unit is not inside ``scope_code``.

    Keyed by the user's scope as well as the unit; stale-while-revalidate (``ui.swr``: fresh 30–120 s by its cost).
    """
    with session_scope(read_engine()) as s:
        scope = users.unit_by_code(session=s, code=scope_code)
        unit = users.unit_by_code(session=s, code=unit_code)
        if scope is None or unit is None or not users.in_scope(scope, unit):
            return None
        return monthly_report(s, unit_code=unit.code, month=month, as_of=as_of, parallel=True)


# indicators counted from the month's records (spot checks, needs, ratings, visits); stock measures such as
# visit coverage have a value (0%) even in a month with no activity at all
ACTIVITY = ("info_accuracy", "need_resolution", "satisfaction", "process_compliance")


def no_activity(data: ReportData) -> bool:
    """True when the unit has no spot check, need, rating or visit in the month (the KPI empty state)."""
    return all(k.value is None for k in data.kpis if k.is_self and k.indicator in ACTIVITY)


def _audit_export(username: str, unit_code: str, period: str, kind: str) -> None:
    """Audit row for one download (unit, month, format) — no personal data in the detail."""
    with session_scope(get_engine(get_settings().database_url)) as s:
        audit.write(s, username, "report.export", entity="report", entity_id=unit_code,
                    detail={"unit": unit_code, "month": period, "format": kind})


def download_buttons(user: CurrentUser, data: ReportData, frames: dict[str, pd.DataFrame], L: str,
                     data_date: date) -> None:
    """Excel and CSV-zip buttons; the files are built on click (deferred) and each click is audited."""
    title = export.report_title(data, L, data_date)
    stem = export.file_stem(data)
    c_x, c_c, _ = st.columns([2, 2, 5])
    with c_x:
        st.download_button(t("report.download_xlsx"), data=lambda: export.to_xlsx(frames, title, L),
                           file_name=f"{stem}.xlsx", mime=XLSX_MIME, icon=":material/table_view:",
                           key=f"dl_xlsx_{L}", help=t("report.download_help"), type="primary",
                           on_click=_audit_export, args=(user.username, data.unit.code, data.period, "xlsx"))
    with c_c:
        st.download_button(t("report.download_csv"), data=lambda: export.to_csv_zip(frames, L, stem),
                           file_name=f"{stem}_csv.zip", mime="application/zip", icon=":material/folder_zip:",
                           key=f"dl_csv_{L}", help=t("report.download_help"),
                           on_click=_audit_export, args=(user.username, data.unit.code, data.period, "csv"))


def plan_filter(frames: dict[str, pd.DataFrame], L: str, *, param: str = "plan") -> dict[str, pd.DataFrame]:
    """A plan selector (``?plan=``; "all plans" by default) and the KPI and gap tables cut to that
    plan's rows, for the screen; the downloads keep every plan."""
    from .plan_indicators import PLANS

    options = ["all", *PLANS]
    wanted = st.query_params.get(param)
    c_plan, _ = st.columns([4, 7])
    with c_plan:
        plan = st.selectbox(t("pind.report_plan"), options, index=options.index(wanted) if wanted in options else 0,
                            key=f"report_plan_{L}", help=t("pind.report_plan_help"),
                            format_func=lambda p: t("pind.report_all") if p == "all" else t(f"plan.{p}"))
    col = export.tr("pind.col.plan", L)
    if plan == "all":
        st.query_params.pop(param, None)
        cut = {k: frames[k] for k in ("kpis", "gaps")}
    else:
        st.query_params[param] = plan
        label = export.tr(f"plan.{plan}", L)
        cut = {k: frames[k][frames[k][col] == label].drop(columns=[col]).reset_index(drop=True)
               for k in ("kpis", "gaps")}
    # columns that are empty for every shown row (n and the interval of reported values, the period of
    # computed ones) leave the screen; the files keep them
    optional = [export.tr(f"report.col.{c}", L) for c in ("n", "ci_low", "ci_high")] + [
        export.tr(f"pind.col.{c}", L) for c in ("period", "units", "completeness")]
    return {**frames, **{k: df.drop(columns=[c for c in optional if c in df.columns and df[c].isna().all()])
                         for k, df in cut.items()}}


# --- tables ------------------------------------------------------------------------------------------

def _display(v) -> str:
    if isinstance(v, str):
        return v  # the screen shows text as is (only files neutralise formulas)
    v = export.cell_value(v)
    if v is None:
        return fmt.NONE
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return fmt.count(v)
    if isinstance(v, float):
        return fmt.number(v)
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def formatted(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text the screen shows: one decimal, thousands separators, "—" for no data."""
    return pd.DataFrame({c: [_display(v) for v in df[c]] for c in df.columns}, columns=df.columns, dtype=object)


def kpi_table(df: pd.DataFrame, L: str):
    """The KPI section as a static table indexed by indicator, status cells tinted."""
    out = formatted(df)
    if out.empty:
        return out
    out = out.set_index(out.columns[0])
    status_col = export.tr("report.col.status", L)
    bg = {export.tr_opt(f"status.{s}", L, s): c for s, c in STATUS_BG.items()}
    return out.style.map(lambda v: f"background-color: {bg[v]}" if v in bg else "", subset=[status_col])


def show_table(df: pd.DataFrame, L: str, max_rows: int = 15, width: str = "stretch") -> None:
    """A table as the screen shows numbers (one decimal, thousands separators, "—" for no data — the
    grid would print "None" and raw floats), status cells tinted, no inner scrollbar up to ``max_rows``."""
    status_col = export.tr("report.col.status", L)
    bg = {export.tr_opt(f"status.{s}", L, s): c for s, c in STATUS_BG.items()}
    bg[export.tr("report.ms_status.late", L)] = STATUS_BG["off_track"]
    view = formatted(df)
    if status_col in view.columns:
        view = view.style.map(lambda v: f"background-color: {bg[v]}" if v in bg else "", subset=[status_col])
    st.dataframe(view, hide_index=True, width=width, height=table_height(len(df), max_rows))
