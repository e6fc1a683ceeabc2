"""总览 Overview: headline KPIs of a unit in the user's scope against the phase targets, and its children."""
from __future__ import annotations

import streamlit as st

from data_access.catalog import phase_containing
from data_access.clock import today_local
from ui import format as fmt
from ui import kpi
from ui.auth import assert_in_scope, require, resolve_unit, roles_for, scope_units
from ui.i18n import lang, name_of, t

user = require(roles=roles_for("overview"))  # stops here unless signed in with an allowed role

st.title(t("overview.title"))
today = today_local()
phases, indicators = kpi.reference()

# --- unit (scope and below, ?unit=) and phase (?phase=, default the phase containing today) ---
# Widget keys carry the language: options are labelled by language, so a switch starts fresh
# widgets that re-read the selection from the URL.
unit, why = resolve_unit(user, st.query_params.get("unit"))
if why:
    st.warning(t(why))
units = {u.code: u for u in scope_units(user.scope_code)}
units.setdefault(unit.code, unit)
codes = list(units)
if not phases:
    st.info(t("overview.no_phase"))
    st.stop()
phase_by_code = {p.code: p for p in phases}
q_phase = st.query_params.get("phase")
default_phase = phase_by_code.get(q_phase) or phase_containing(list(phases), today)

c_unit, c_phase, c_date = st.columns([4, 4, 3], vertical_alignment="bottom")
with c_unit:
    top = user.scope.depth
    unit_labels = {c: "\u3000" * (u.depth - top) + f"{name_of(u)} · {t('level.' + u.level)}" for c, u in units.items()}
    code = st.selectbox(t("overview.unit"), codes, index=codes.index(unit.code), key=f"ov_unit_{lang()}",
                        format_func=unit_labels.get)
with c_phase:
    phase_labels = {p.code: t("overview.phase_range", name=name_of(p), start=fmt.day(p.start), end=fmt.day(p.end))
                    for p in phases}
    phase_code = st.selectbox(t("overview.phase"), list(phase_labels), index=phases.index(default_phase),
                              key=f"ov_phase_{lang()}", format_func=phase_labels.get)
with c_date:
    st.markdown(f":material/event: {t('overview.data_date', date=fmt.day(today))}")

unit = units[code]
assert_in_scope(user, unit)
phase = phase_by_code[phase_code]
st.query_params["unit"] = unit.code
st.query_params["phase"] = phase.code

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
    st.dataframe(matrix, hide_index=True, width="stretch", column_config=kpi.unit_column_config())
heads = [i for i in indicators if i.headline]
head_labels = {i.code: name_of(i) for i in heads}
ind_code = st.selectbox(t("overview.children_detail"), list(head_labels), key=f"ov_detail_{lang()}",
                        format_func=head_labels.get)
detail_ind = next(i for i in heads if i.code == ind_code)
st.dataframe(kpi.children_detail(data.kpis, detail_ind), hide_index=True, width="stretch",
             column_config=kpi.unit_column_config())
