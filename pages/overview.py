"""总览 Overview: headline KPIs of a unit in the user's scope against the phase targets, and its children."""
from __future__ import annotations

import streamlit as st

from data_access.clock import today_local
from ui import format as fmt
from ui import kpi
from ui.auth import require, roles_for
from ui.i18n import lang, name_of, t
from ui.pickers import phase_picker, unit_picker

user = require(roles=roles_for("overview"))  # stops here unless signed in with an allowed role

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

st.subheader(f"{t('overview.headline')} · {name_of(unit)}")
if all(k.value is None for k in data.kpis if k.is_self):
    st.info(t("overview.no_kpis"))
kpi.kpi_cards(data.kpis, indicators, data.weights)
st.caption(t("overview.legend"))

if not data.children:
    st.info(t("overview.no_children"))
    st.stop()
st.subheader(t("overview.children", level=t("level." + data.children[0].level)))
matrix = kpi.children_matrix(data.kpis, indicators)
if matrix is not None:
    st.dataframe(matrix, hide_index=True, width="stretch", height=kpi.table_height(len(data.children)),
                 column_config=kpi.unit_column_config())
heads = [i for i in indicators if i.headline]
head_labels = {i.code: name_of(i) for i in heads}
first_rate = next((n for n, c in enumerate(head_labels) if c != kpi.SCORE), 0)  # the score has no target
ind_code = st.selectbox(t("overview.children_detail"), list(head_labels), index=first_rate,
                        key=f"ov_detail_{lang()}", format_func=head_labels.get)
detail_ind = next(i for i in heads if i.code == ind_code)
st.dataframe(kpi.children_detail(data.kpis, detail_ind), hide_index=True, width="stretch",
             height=kpi.table_height(len(data.children)), column_config=kpi.unit_column_config())
