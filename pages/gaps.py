"""差距分析 District gaps: the child units of a unit ranked by their gap to the phase target, drill-down
with a breadcrumb, and a funnel plot that tells a real gap from small-sample noise."""
from __future__ import annotations

import streamlit as st

from data_access.core.clock import today_local
from ui import charts, kpi, vega
from ui import format as fmt
from ui import gaps as g
from ui.auth import require, roles_for
from ui.i18n import lang, name_of, t
from ui.pickers import phase_picker, unit_picker

user = require(roles=roles_for("gaps"))  # stops here unless signed in with an allowed role

st.title(t("gaps.title"))
today = today_local()
phases, indicators = kpi.reference()
if not phases:
    st.info(t("overview.no_phase"))
    st.stop()

c_unit, c_phase, c_ind = st.columns([3, 3, 5], vertical_alignment="bottom")
with c_unit:
    unit = unit_picker(user)  # ?unit=, inside the user's scope only (a deeper unit from the URL is kept)
with c_phase:
    phase = phase_picker(phases, today)  # ?phase=
with c_ind:
    ind = g.indicator_picker(indicators)  # ?indicator=, default info accuracy
g.breadcrumb_bar(g.breadcrumb(user.scope, unit, g.ancestors(unit.code)), g.go_to)
st.caption(f":material/event: {t('overview.data_date', date=fmt.day(today))}")
if today < phase.start:
    st.info(t("overview.phase_not_started", start=fmt.day(phase.start)))
    st.stop()
with st.spinner(t("gaps.loading")):
    data = kpi.load_overview(user.scope_code, unit.code, phase.code, today)  # cached: scope, unit, phase, day
if data is None:  # unit left the scope between two clicks
    st.error(t("auth.out_of_scope"))
    st.stop()
kpi.freshness_caption(kpi.load_overview.computed_at(user.scope_code, unit.code, phase.code, today))
if not data.children:
    st.info(t("gaps.no_children"))
    st.stop()

# --- the ranked table of the children (click a row to drill down) ---------------------------------
level = t("level." + data.children[0].level)
st.subheader(t("gaps.table", level=level, indicator=name_of(ind)))
frame = g.gap_frame(data.kpis, ind.code)
if frame["value"].isna().all():
    st.info(t("gaps.no_values", why=t("pind.empty") if ind.kind == "reported" else g.empty_reason(ind.code)))
codes = list(frame["code"])
table_key = f"gaps_table_{unit.code}_{phase.code}_{ind.code}_{lang()}"


def _picked() -> None:
    rows = st.session_state[table_key].selection.rows
    if rows:
        g.go_to(codes[rows[0]])


styler, config = g.gap_table(frame, ind)
st.dataframe(styler, hide_index=True, width="stretch", height=kpi.table_height(len(frame)), column_config=config,
             placeholder=fmt.NONE, key=table_key, on_select=_picked, selection_mode="single-row")
c_help, c_drill = st.columns([3, 2], vertical_alignment="bottom")
with c_help:
    st.caption(t("gaps.table_help") + " " + t("overview.legend"))
with c_drill:
    names = dict(zip(codes, (g.unit_name(r) for _, r in frame.iterrows()), strict=True))
    st.selectbox(t("gaps.drill"), codes, index=None, placeholder=t("gaps.drill_placeholder"),
                 format_func=names.get, key=f"gaps_drill_{unit.code}_{lang()}",
                 on_change=lambda: g.go_to(st.session_state[f"gaps_drill_{unit.code}_{lang()}"]))

# --- funnel plot: a real gap or noise? -----------------------------------------------------------
funnel_ind = ind if ind.code in g.FUNNEL_INDICATORS else next(i for i in indicators if i.code == g.DEFAULT_INDICATOR)
st.subheader(t("gaps.funnel", indicator=name_of(funnel_ind)))
if ind.kind == "reported":  # a reported value has no sample size: no funnel of its own
    st.caption(t("pind.no_funnel", indicator=name_of(funnel_ind)))
elif funnel_ind is not ind:
    st.caption(t("gaps.funnel_other", indicator=name_of(funnel_ind)))
own = g.own_kpi(data.kpis, funnel_ind.code)
units = g.funnel_units(data.kpis, funnel_ind.code, lang())
if not units:
    st.info(t("gaps.no_values", why=g.empty_reason(funnel_ind.code)))
elif own is None or own.value is None:
    st.info(t("gaps.funnel_no_centre"))
else:
    funnel = charts.funnel_frame(units, own.value)
    title = t("gaps.funnel_title", indicator=name_of(funnel_ind), unit=name_of(unit))
    vega.show("funnel", funnel, title, today, lang(), g.funnel_labels(today), target=own.target,
              direction=funnel_ind.direction,
              key=(title, today, lang(), own.target, funnel_ind.direction, vega.content_key((units, own.value))))
    worst = charts.worse_flags(funnel_ind.direction)[0]  # beyond the 99.8 % limit on the worse side
    low = funnel.points[funnel.points["flag"] == worst]["name"].tolist()
    st.caption(t("gaps.flagged", units="、".join(low) if lang() == "zh" else ", ".join(low)) if low
               else t("gaps.none_flagged"))
    st.caption(t("gaps.funnel_help"))

# --- every headline indicator at a glance --------------------------------------------------------
st.subheader(t("gaps.matrix"))
matrix = g.matrix_table(data.kpis, indicators)
if matrix is not None:
    st.dataframe(matrix, hide_index=True, width="stretch", height=kpi.table_height(len(data.children)),
                 column_config=kpi.unit_column_config(), placeholder=fmt.NONE)
