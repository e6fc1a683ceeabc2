"""试点对比 Pilot vs rollout: pilot units vs the rest over time (monthly, from the rollups) and the
difference-in-differences estimate of the pilot effect (2023 before, 2024 pilot year)."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from data_access.core.clock import today_local
from data_access.core.db import read_engine, session_scope
from data_access.programme import milestones as ms
from metrics.pilot_effect import did
from metrics.service import phase_targets
from ui import charts, kpi, vega
from ui import format as fmt
from ui.auth import require, roles_for
from ui.i18n import lang, name_of, t

user = require(roles=roles_for("pilot"))  # stops here unless signed in with an allowed role

FIRST_MONTH = 202301
PRE_YEAR, POST_YEAR = 2023, 2024


@st.cache_data(ttl=5, show_spinner=False)
def load_pilot(scope_code: str, as_of: date) -> dict:
    """``groups`` in the scope, monthly ``rows`` (YYYYMM, group, metric, n) up to ``last_month``
    (the last complete month), and per indicator every phase's city target with the baseline
    (``targets``: ``metrics.service.phase_targets``), for the step line."""
    a = charts.month_of(as_of)
    last = charts.month_of(date(as_of.year, as_of.month, 1) - timedelta(days=1))
    with session_scope(read_engine()) as s:
        groups = ms.scope_groups(session=s, scope_code=scope_code)
        rows = []
        if groups == {ms.PILOT, ms.REST}:
            rows = ms.pilot_monthly_counts(session=s, scope_code=scope_code, m0=FIRST_MONTH, m1=last, before_month=a)
        steps = phase_targets(s, indicators=ms.PILOT_INDICATORS)  # the city defaults
    return {"groups": set(groups), "rows": list(rows), "last_month": last if last >= FIRST_MONTH else None,
            "targets": steps}


def group_rows(rows, indicator: str) -> list[tuple[int, str, int, int]]:
    """``[(month, group, k, n)]`` of one indicator from the metric rows."""
    num, den = ms.PILOT_INDICATORS[indicator]
    acc: dict[tuple[int, str], list[int]] = {}
    for m, g, metric, n in rows:
        if metric in (num, den):
            acc.setdefault((m, g), [0, 0])[0 if metric == num else 1] += n
    return [(m, g, k, n) for (m, g), (k, n) in sorted(acc.items())]


def year_counts(grows, group: str, year: int) -> tuple[int, int]:
    k = sum(r[2] for r in grows if r[1] == group and r[0] // 100 == year)
    n = sum(r[3] for r in grows if r[1] == group and r[0] // 100 == year)
    return k, n


def axis_of(code: str) -> str:
    unit = ind_rows[code].unit if code in ind_rows else "%"
    return t("trends.axis_score") if unit == "score" else t("trends.axis_percent")


today = today_local()
st.title(t("pilot.title"))
phases, indicators = kpi.reference()
st.caption(t("pilot.scope", unit=fmt.md(name_of(user.scope))))

with st.spinner(t("pilot.loading")):
    data = load_pilot(user.scope_code, today)

group_names = {ms.PILOT: t("pilot.group.pilot"), ms.REST: t("pilot.group.rest")}
if data["groups"] != {ms.PILOT, ms.REST}:
    if not data["groups"]:
        st.info(t("pilot.no_groups"))
    else:
        (only,) = data["groups"]
        st.info(t("pilot.only_one_group", unit=fmt.md(name_of(user.scope)), group=group_names[only]))
    st.stop()
if not data["rows"] or data["last_month"] is None:
    st.info(t("pilot.no_data"))
    st.stop()

data_day = charts.month_start(data["last_month"]) + pd.offsets.MonthEnd(0)
data_date_text = t("pilot.data_date", date=fmt.day(data_day.date()))
st.caption(data_date_text)
kpi.freshness_caption()
ind_rows = {i.code: i for i in indicators}
names = {code: (name_of(ind_rows[code]) if code in ind_rows else code) for code in ms.PILOT_INDICATORS}

# --- monthly lines -------------------------------------------------------------------------------
st.subheader(t("pilot.trends"))
tabs = st.tabs([names[c] for c in ms.PILOT_INDICATORS])
per_ind = {}
for tab, code in zip(tabs, ms.PILOT_INDICATORS, strict=True):
    grows = group_rows(data["rows"], code)
    per_ind[code] = grows
    with tab:
        frame = charts.group_trend_frame(grows, group_names)
        if frame.empty:
            st.info(t("pilot.no_monthly", name=names[code]))
            continue
        # the target as the overview draws it: 2023 baseline, then each phase's city target, as steps
        tg, baseline = data["targets"][code]
        steps = charts.trend_frame({}, tg, phases, baseline)
        steps = steps[(steps["series"] == charts.TARGET) & (steps["month"] <= data["last_month"])]
        vega.show("group_trend", frame, names[code], axis_of(code), data_day, lang(),
                  {"month": t("pilot.month"), "target": t("pilot.target"), "data_date": data_date_text},
                  target_steps=steps[["date", "value"]])

# --- difference in differences ----------------------------------------------------------------
st.subheader(t("pilot.did_title"))
st.markdown(t("pilot.did_intro"))
table = []
for code, grows in per_ind.items():
    counts = [year_counts(grows, g, y) for g, y in ((ms.PILOT, PRE_YEAR), (ms.PILOT, POST_YEAR),
                                                     (ms.REST, PRE_YEAR), (ms.REST, POST_YEAR))]
    r = did(*counts)
    verdict = ("no_data" if r.significant is None else
               ("unclear" if not r.significant else ("up" if r.estimate > 0 else "down")))
    unit = ind_rows[code].unit if code in ind_rows else "%"  # satisfaction is a 0–100 score: 分, not %
    table.append({
        t("pilot.col.indicator"): names[code],
        t("pilot.col.pilot"): f"{fmt.value(r.pilot_pre, unit)} → {fmt.value(r.pilot_post, unit)}",
        t("pilot.col.rest"): f"{fmt.value(r.rest_pre, unit)} → {fmt.value(r.rest_post, unit)}",
        t("pilot.col.estimate"): fmt.signed(r.estimate, unit, lang()),
        t("pilot.col.ci"): fmt.interval(r.low, r.high, ""),
        t("pilot.col.verdict"): t(f"pilot.verdict.{verdict}"),
        t("pilot.col.n_pilot"): " → ".join(fmt.count(n) for _, n in counts[:2]),  # 2023 → 2024, as the rates
        t("pilot.col.n_rest"): " → ".join(fmt.count(n) for _, n in counts[2:]),
    })
st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
st.caption(t("pilot.note"))
