"""报表 Monthly report: KPI table, gap table, overdue needs and milestones of a unit for a month,
downloadable as Excel and as a zip of CSVs (every download audited)."""
from __future__ import annotations

import streamlit as st

from ui import export, kpi, report
from ui import format as fmt
from ui.auth import require, roles_for
from ui.i18n import lang, name_of, t
from ui.pickers import unit_picker

user = require(roles=roles_for("report"))  # stops here unless signed in with an allowed role

st.title(t("report.title"))
now = report.now_minute()
c_unit, c_month, c_date = st.columns([4, 3, 3], vertical_alignment="bottom")
with c_unit:
    unit = unit_picker(user)  # ?unit=, inside the user's scope only
with c_month:
    month = report.month_picker(now.date())  # ?month=YYYY-MM, default the last complete month
with c_date:
    st.markdown(f":material/event: {t('report.data_date', date=fmt.day(now.date()))}")

if report.month_start(month) > now.date():
    st.info(t("report.future_month"))
    st.stop()

with st.spinner(t("report.loading")):
    data = report.load_report(user.scope_code, unit.code, month, now)
if data is None:  # unit left the scope between two clicks
    st.error(t("auth.out_of_scope"))
    st.stop()
kpi.freshness_caption(report.load_report.computed_at(user.scope_code, unit.code, month, now))

L = lang()
_, indicators = report.reference()
frames = export.report_frames(data, indicators, L)
st.subheader(t("report.heading", unit=fmt.md(name_of(unit)), month=data.period))
st.caption(t("report.judged_at", time=data.ref.strftime("%Y-%m-%d %H:%M")))
report.download_buttons(user, data, frames, L, now.date())
# the screen shows one plan's indicators at a time (or all); the downloads hold every plan
shown = report.plan_filter(frames, L)

st.markdown(f"#### {t('report.sec.kpis')}")
if report.no_activity(data):
    st.info(t("report.empty.kpis"))
st.caption(t("report.kpis_caption"))
st.table(report.kpi_table(shown["kpis"], L))

st.markdown(f"#### {t('report.sec.gaps')}")
if shown["gaps"].empty:
    st.info(t("report.empty.children"))
else:
    st.caption(t("report.gaps_caption"))
    report.show_table(shown["gaps"], L, max_rows=120)  # a report: every child × indicator row in view

st.markdown(f"#### {t('report.sec.overdue')}")
st.caption(t("report.overdue_caption", hours=fmt.number(data.sla_hours, 0), n=fmt.count(data.overdue_total)))
if data.overdue_total == 0:
    st.info(t("report.empty.overdue"))
else:
    if not frames["overdue_units"].empty:
        report.show_table(frames["overdue_units"], L, max_rows=15, width="content")
    report.show_table(frames["overdue"], L, max_rows=12)
    if data.overdue_truncated:
        st.caption(t("report.overdue_truncated", shown=fmt.count(len(data.overdue)), n=fmt.count(data.overdue_total)))

st.markdown(f"#### {t('report.sec.milestones')}")
if frames["milestones"].empty:
    st.info(t("report.empty.milestones"))
else:
    st.caption(t("report.milestones_caption"))
    report.show_table(frames["milestones"], L, max_rows=12)
