"""总览 Overview: headline KPIs of a unit in the user's scope against the phase targets, and its children."""
from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from data_access.core.clock import today_local
from data_access.core.db import read_engine, session_scope
from data_access.org import users
from ui import charts, kpi, swr, vega
from ui import format as fmt
from ui import plan_indicators as pi
from ui.auth import require, roles_for
from ui.i18n import lang, name_of, t
from ui.pickers import phase_picker, unit_picker

user = require(roles=roles_for("overview"))  # stops here unless signed in with an allowed role


@swr.cached()
def load_trend(scope_code: str, unit_code: str, indicator: str, as_of: date, reported: bool = False) -> dict | None:
    """Monthly values of one indicator for a unit inside ``scope_code`` (None outside it):
    ``series`` [(YYYYMM, value, n)] from 2023-01 to as_of's month (a reported indicator: one point
    per period of its type, n = the units that reported), ``targets`` phase code → the unit's
    target (own, nearest ancestor's or the city default) and the ``baseline``."""
    from metrics.reported import reported_series
    from metrics.service import monthly_series, phase_targets

    with session_scope(read_engine()) as s:
        scope = users.unit_by_code(session=s, code=scope_code)
        u = users.unit_by_code(session=s, code=unit_code)
        if scope is None or u is None or not users.in_scope(scope, u):
            return None
        series_of = reported_series if reported else monthly_series
        series = series_of(s, unit_code=unit_code, indicator=indicator, start=date(2023, 1, 1), end=as_of, as_of=as_of)
        targets, baseline = phase_targets(s, indicators=[indicator], unit_code=unit_code)[indicator]
    return {"series": list(series), "targets": targets, "baseline": baseline}


st.title(t("overview.title"))
today = today_local()
phases, indicators = kpi.reference()

if not phases:
    st.info(t("overview.no_phase"))
    st.stop()
c_unit, c_phase, c_date = st.columns([4, 4, 3], vertical_alignment="bottom")
with c_unit:
    unit = unit_picker(user)  # ?unit=, inside the user's scope only
with c_phase:
    phase = phase_picker(phases, today)  # ?phase=, default the phase containing today
with c_date:
    st.markdown(f":material/event: {t('overview.data_date', date=fmt.day(today))}")

if today < phase.start:
    st.info(t("overview.phase_not_started", start=fmt.day(phase.start)))
    st.stop()

with st.spinner(t("overview.loading")):
    data = kpi.load_overview(user.scope_code, unit.code, phase.code, today)
if data is None:  # unit left the scope between two clicks
    st.error(t("auth.out_of_scope"))
    st.stop()
kpi.freshness_caption(kpi.load_overview.computed_at(user.scope_code, unit.code, phase.code, today))

st.subheader(f"{t('overview.headline')} · {fmt.md(name_of(unit))}")
if all(k.value is None for k in data.kpis if k.is_self):
    st.info(t("overview.no_kpis"))
kpi.kpi_cards(data.kpis, indicators, data.weights)
st.caption(t("overview.legend"))

# --- the indicators of one plan (?plan=): computed and reported, with period, k / m units, completeness
st.subheader(f"{t('pind.section')} · {fmt.md(name_of(unit))}")
c_plan, _ = st.columns([4, 7])
with c_plan:
    plan = pi.plan_picker(key=f"ov_plan_{lang()}", help=t("pind.section_help"))
if plan == pi.PLANS[0]:
    st.caption(t("pind.seed000_rest"))
if not kpi.plan_cards(data.kpis, indicators, plan):
    st.info(t("pind.none"))

# --- monthly trend of one headline indicator (?indicator=), target steps and projection ----------
if pi.offered(indicators, pi.has_trend):
    st.subheader(t("trends.title"))
    # any indicator with a monthly series, grouped by plan (?indicator=); default the first with a target line
    trend_ind = pi.picker(indicators, label=t("trends.indicator"), key=f"ov_trend_{lang()}", default="info_accuracy",
                          only=pi.has_trend)
    trend_code = trend_ind.code
    reported = trend_ind.kind == "reported"
    with st.spinner(t("trends.loading")):
        trend = load_trend(user.scope_code, unit.code, trend_code, today, reported)
    last_complete = charts.month_of(today.replace(day=1) - timedelta(days=1))
    # complete months only: a month in progress (e.g. needs not yet resolved) would show a false drop
    values = [(m, v, n) for m, v, n in (trend["series"] if trend else []) if v is not None and m <= last_complete]
    if not values:
        st.info(t("trends.empty", name=name_of(trend_ind)))
    else:
        frame = charts.trend_frame(values, trend["targets"], phases, trend["baseline"], projection_phase=phase.code,
                                   last_complete_month=last_complete)
        axis = {"%": t("trends.axis_percent"), "score": t("trends.axis_score")}.get(
            trend_ind.unit, t("pind.axis_value") if reported else t("trends.axis_count"))
        title = t("trends.chart_title", name=name_of(trend_ind), unit=name_of(unit))
        vega.show(
            "trend", frame, title, axis, today, lang(),
            {"actual": t("trends.actual"), "target": t("trends.target"), "projection": t("trends.projection"),
             "month": t("trends.month"), "data_date": t("trends.data_date", date=fmt.day(today))},
            key=(title, axis, today, lang(), phase.code, last_complete,  # and the frame's inputs:
                 vega.content_key((values, trend["targets"], trend["baseline"], phases))))
        m, v, n = values[-1]
        if reported:
            st.caption(t("pind.trend_latest", month=f"{m // 100}-{m % 100:02d}", value=fmt.value(v, trend_ind.unit),
                         k=fmt.count(n)) + " " + t("pind.trend_note"))
        else:
            st.caption(t("trends.latest", month=f"{m // 100}-{m % 100:02d}", value=fmt.value(v, trend_ind.unit),
                         n=fmt.count(n)) + " " + t("trends.note"))

if not data.children:
    st.info(t("overview.no_children"))
    st.stop()
st.subheader(t("overview.children", level=t("level." + data.children[0].level)))
matrix = kpi.children_matrix(data.kpis, indicators)
if matrix is not None:
    st.dataframe(matrix, hide_index=True, width="stretch", height=kpi.table_height(len(data.children)),
                 column_config=kpi.unit_column_config())
# any registry indicator, grouped by plan (default the first headline rate: the score has no target)
first_rate = next((i.code for i in indicators if i.headline and i.code != kpi.SCORE), None)
detail_ind = pi.picker(indicators, label=t("overview.children_detail"), key=f"ov_detail_{lang()}",
                       default=first_rate, param="detail")
st.dataframe(kpi.children_detail(data.kpis, detail_ind), hide_index=True, width="stretch",
             height=kpi.table_height(len(data.children)), column_config=kpi.unit_column_config())
