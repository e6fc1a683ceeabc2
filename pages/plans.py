"""方案 Plans: the five plans, each with its indicators for the chosen unit and phase (actual,
target, gap, status, completeness — computed and reported alike), its milestones, and the notes
where the plan contradicts itself."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from data_access.core.clock import today_local
from data_access.core.db import get_engine, session_scope
from data_access.core.settings import get_settings
from data_access.org import users
from data_access.programme import milestones as ms
from ui import format as fmt
from ui import kpi, swr
from ui.auth import require, roles_for
from ui.i18n import lang, t
from ui.pickers import phase_picker, unit_picker

user = require(roles=roles_for("plans"))  # stops here unless signed in with an allowed role

PLANS = ("seed-000", "seed-001", "seed-002", "seed-003", "seed-004")
CONFLICT_WORDS = ("冲突", "矛盾", "不一致", "conflict", "contradict", "disagree", "do not add up")


@swr.cached()
def load_plan_kpis(scope_code: str, unit_code: str, phase_code: str, as_of: date) -> tuple | None:
    """Every registry indicator of ``unit_code`` (computed then reported) for the phase at as_of;
    None when the unit is not inside ``scope_code`` (the cache key holds the user's scope)."""
    from metrics.reported import compute_all

    with session_scope(get_engine(get_settings().database_url)) as s:
        scope = users.unit_by_code(session=s, code=scope_code)
        unit = users.unit_by_code(session=s, code=unit_code)
        if scope is None or unit is None or not users.in_scope(scope, unit):
            return None
        return tuple(compute_all(s, unit_code=unit_code, period=phase_code, as_of=as_of, children=False,
                                 parallel=True))


@st.cache_data(ttl=5, show_spinner=False)
def load_milestones(scope_code: str) -> list[ms.MilestoneRow]:
    with session_scope(get_engine(get_settings().database_url)) as s:
        return ms.list_milestones(session=s)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}%"


st.title(t("plans.title"))
st.caption(t("plans.intro"))
today = today_local()
phases, indicators = kpi.reference()
if not phases:
    st.info(t("overview.no_phase"))
    st.stop()
c_unit, c_phase = st.columns(2)
with c_unit:
    unit = unit_picker(user)
with c_phase:
    phase = phase_picker(phases, today)
st.caption(t("plans.as_of", date=fmt.day(today)) + " · " + t("plans.gap_hint"))

with st.spinner(t("overview.loading")):
    kpis = load_plan_kpis(user.scope_code, unit.code, phase.code, today)
if kpis is None:
    st.error(t("auth.out_of_scope"))
    st.stop()
kpi.freshness_caption(load_plan_kpis.computed_at(user.scope_code, unit.code, phase.code, today), replica=False)
meta = {i.code: i for i in indicators}
by_plan: dict[str, list] = {p: [] for p in PLANS}
for k in kpis:
    ind = meta.get(k.indicator)
    plan = (ind.plan if ind else None) or "seed-000"
    if plan in by_plan:
        by_plan[plan].append((ind, k))
miles = load_milestones(user.scope_code)

for plan in PLANS:
    rows = by_plan[plan]
    behind = sum(k.status in ("at_risk", "off_track") for _i, k in rows)
    st.subheader(f"{plan} · {t('plan.' + plan)}")
    st.caption(t("plans.summary", n=len(rows), met=sum(k.status == "met" for _i, k in rows), behind=behind,
                 no_data=sum(k.value is None for _i, k in rows)))
    table = pd.DataFrame({
        t("plans.col.indicator"): [(i.name_en if lang() == "en" else i.name_zh) if i else k.indicator for i, k in rows],
        t("plans.col.kind"): [t(f"plans.kind.{k.kind}") for _i, k in rows],
        t("plans.col.actual"): [fmt.number(k.value, 2) if k.value is not None else "—" for _i, k in rows],
        t("plans.col.period"): [k.period or "" for _i, k in rows],
        t("plans.col.target"): [fmt.number(k.target, 2) if k.target is not None else "—" for _i, k in rows],
        t("plans.col.gap"): [fmt.number(k.gap, 2) if k.gap is not None else "—" for _i, k in rows],
        t("plans.col.status"): [t(f"status.{k.status}") for _i, k in rows],
        t("plans.col.units"): [t("plans.k_of_m", k=k.k, m=k.m) if k.m else "" for _i, k in rows],
        t("plans.col.completeness"): [_pct(k.completeness) if k.kind == "reported" else "" for _i, k in rows],
        t("plans.col.timeliness"): [_pct(k.timeliness) if k.kind == "reported" else "" for _i, k in rows],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    c_ms, c_conf = st.columns(2)
    with c_ms, st.expander(t("plans.milestones")):
        mine = [m for m in miles if m.plan == plan]
        if mine:
            st.dataframe(pd.DataFrame({
                t("milestones.col.due"): [fmt.day(m.due) for m in mine],
                t("milestones.col.title"): [m.title_en if lang() == "en" else m.title_zh for m in mine],
                t("milestones.col.status"): [t(f"milestones.status.{m.status}") for m in mine],
            }), hide_index=True, width="stretch")
        else:
            st.caption(t("plans.milestones_none"))
    with c_conf, st.expander(t("plans.conflicts")):
        notes = [(i, i.note_en if lang() == "en" else i.note_zh) for i, _k in rows if i]
        conflicts = [(i, n) for i, n in notes if n and any(w in n for w in CONFLICT_WORDS)]
        if conflicts:
            for i, n in conflicts:
                st.markdown(f"**{i.name_en if lang() == 'en' else i.name_zh}** — {n}")
        else:
            st.caption(t("plans.conflicts_none"))
