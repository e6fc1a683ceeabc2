"""网格地图 Grid map: the grids (or, zoomed out, larger units) under a unit in the user's scope,
coloured by an indicator's value, its gap to target or its status; selecting a grid opens its
detail. No basemap and no external request (see ui/map.py)."""
from __future__ import annotations

import html
from datetime import date, datetime

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local, today_local
from data_access.core.db import read_engine, session_scope
from data_access.fieldwork.grid_detail import GridDetail, grid_detail
from data_access.org import users
from data_access.org.models import OrgUnit
from ui import format as fmt
from ui import kpi, swr
from ui import map as umap
from ui import map_data as md
from ui import plan_indicators as pi
from ui.auth import require, roles_for
from ui.i18n import CATALOGUE, lang, name_of, need_category_label, risk_label, t, t_opt, translated
from ui.pickers import phase_picker, unit_picker

user = require(roles=roles_for("map"))  # stops here unless signed in with an allowed role

COLOUR_BY = ("value", "gap", "status")
SCALED_UNITS = ("%", "score")  # value/gap scales are in percent / points
MAP_HEIGHT = 560


@st.cache_data(ttl=5, show_spinner=False)
def load_plan(scope_code: str, unit_code: str) -> md.LevelPlan | None:
    with session_scope(read_engine()) as s:
        scope = users.unit_by_code(session=s, code=scope_code)
        unit = users.unit_by_code(session=s, code=unit_code)
        if scope is None or unit is None or not users.in_scope(scope, unit):
            return None
        counts, n_geo = md.unit_counts(s, unit)
        return md.plan_levels(unit.level, counts, n_geo)


@swr.cached()
def load_map(scope_code: str, unit_code: str, level: str, period: str, as_of: date) -> md.MapData | None:
    """Features and KPIs, keyed by the user's scope (an entry never serves another scope)."""
    with session_scope(read_engine()) as s:
        scope = users.unit_by_code(session=s, code=scope_code)
        unit = users.unit_by_code(session=s, code=unit_code)
        if scope is None or unit is None or not users.in_scope(scope, unit):
            return None
        return md.load_map(s, unit, level, period, as_of)


@swr.cached()
def load_extra(scope_code: str, unit_code: str, level: str, period: str, as_of: date, indicator: str,
               kind: str) -> dict | None:
    """The drawn units' KPIs of one indicator ``load_map`` does not compute (a reported one, or a
    computed one outside compute_kpis), only when it is picked; keyed by scope."""
    with session_scope(read_engine()) as s:
        scope = users.unit_by_code(session=s, code=scope_code)
        unit = users.unit_by_code(session=s, code=unit_code)
        if scope is None or unit is None or not users.in_scope(scope, unit):
            return None
        return md.extra_kpis(s, unit, level, period, as_of, indicator, kind)


@st.cache_data(ttl=5, show_spinner=False)
def load_detail(scope_code: str, grid_id: int, as_of: datetime) -> GridDetail | None:
    with session_scope(read_engine()) as s:
        scope = users.unit_by_code(session=s, code=scope_code)
        row = s.get(OrgUnit, grid_id)
        grid = users.unit_by_code(session=s, code=row.code) if row is not None else None
        if scope is None or grid is None or not users.in_scope(scope, grid):
            return None
        return grid_detail(session=s, grid_id=grid_id, as_of=as_of)


def _query_choice(param: str, options: list[str], default: str) -> str:
    v = st.query_params.get(param)
    return v if v in options else default


def _legend(colour_by: str, direction: str) -> None:
    items = umap.legend_items(colour_by, status_labels={s: t_opt(f"status.{s}", "status.unknown")
                                                        for s in umap.STATUS_ORDER},
                              no_data_label=t("map.no_data"), unit="%" if colour_by == "value" else "",
                              scale=umap.value_scale(direction) if colour_by == "value" else None)
    swatches = " ".join(
        f'<span style="white-space:nowrap;margin-right:0.8em"><span style="display:inline-block;width:0.9em;'
        f'height:0.9em;background:{i["colour"]};border:1px solid #555;vertical-align:middle;margin-right:0.3em">'
        f'</span>{html.escape(i["label"])}</span>' for i in items)
    st.markdown(f"**{t('map.legend')}**：{swatches}" if lang() == "zh" else f"**{t('map.legend')}**: {swatches}",
                unsafe_allow_html=True)


def _tip(ind, level: str):
    def text_of(k) -> str:
        if k.value is None:
            return t("map.tip_no_data", name=name_of(ind))
        if pi.is_reported(k):
            return t("pind.map_tip", name=name_of(ind), value=fmt.value(k.value, ind.unit), period=k.period or fmt.NONE,
                     units=pi.units_text(k), target=fmt.value(k.target, ind.unit), status=kpi.status_label(k.status))
        return t("map.tip", name=name_of(ind), value=fmt.value(k.value, ind.unit), n=fmt.count(k.n),
                 target=fmt.value(k.target, ind.unit), status=kpi.status_label(k.status))
    return text_of


def _label(prefix: str, code: str) -> str:
    """Catalogue label of a data code (category, risk level, status); the code itself if unknown."""
    key = f"{prefix}.{code}"
    return t(key) if key in CATALOGUE else code


def _yes_no(v) -> str:
    return fmt.NONE if v is None else t("map.yes" if v else "map.no")


def _render_detail(d: GridDetail) -> None:
    st.subheader(f"{t('map.grid')} · {t('map.detail_of', name=fmt.md(name_of(d)), code=fmt.md(d.code))}")
    st.markdown(":material/local_police: " + (t("map.officers", names=fmt.md("、".join(d.officers))) if d.officers
                                               else t("map.no_officer")))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("map.households"), fmt.count(d.households_total))
    c2.metric(t("map.open_needs"), fmt.count(d.open_needs))
    c3.metric(t("map.overdue_needs", h=fmt.number(d.sla_hours, 0)), fmt.count(d.overdue_needs))
    st.markdown(f"**{t('map.hh_by')}**")
    if not d.households:
        st.info(t("map.no_households"))
    else:
        risks, cats = d.risks(), d.categories()
        rows = []
        for c in cats:
            row = {t("map.col.category"): _label("hh_cat", c)}
            for r in risks:
                row[risk_label(r)] = d.households.get((c, r), 0)
            row[t("map.total")] = d.by_category()[c]
            rows.append(row)
        total = {t("map.col.category"): t("map.total")}
        for r in risks:
            total[risk_label(r)] = d.by_risk()[r]
        total[t("map.total")] = d.households_total
        rows.append(total)
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    left, right = st.container(), st.container()  # full width: the tables have many columns
    with left:
        st.markdown(f"**{t('map.visits')}**")
        if not d.visits:
            st.info(t("map.no_visits"))
        else:
            st.dataframe(pd.DataFrame([{
                t("map.col.visited_at"): v.visited_at.strftime("%Y-%m-%d %H:%M"),
                t("map.col.officer"): v.officer,
                t("map.col.compliant"): _yes_no(v.compliant),
                t("map.col.id_shown"): _yes_no(v.id_shown),
                t("map.col.bodycam"): _yes_no(v.bodycam_on),
                t("map.col.night"): _yes_no(v.is_night),
                t("map.col.satisfaction"): fmt.NONE if v.satisfaction is None else str(v.satisfaction),
            } for v in d.visits]), hide_index=True, width="stretch")
    with right:
        st.markdown(f"**{t('map.needs')}**")
        if not d.needs:
            st.info(t("map.no_needs"))
        else:
            st.dataframe(pd.DataFrame([{
                t("map.col.code"): n.code,
                t("map.col.need_category"): need_category_label(n.category),
                t("map.col.status"): _label("map.need_status", n.status),
                t("map.col.created"): n.created_at.strftime("%Y-%m-%d %H:%M"),
                t("map.col.due"): n.due_at.strftime("%Y-%m-%d %H:%M"),
                t("map.col.overdue"): _yes_no(n.overdue),
            } for n in d.needs]), hide_index=True, width="stretch")
    st.caption(t("map.privacy"))


# --- the page -------------------------------------------------------------------------------------

st.title(t("map.title"))
today = today_local()
phases, indicators = kpi.reference()
if not phases:
    st.info(t("overview.no_phase"))
    st.stop()

# a click on an aggregated unit drills down to it: applied before the unit picker is drawn
drill = st.session_state.pop("_map_drill", None)
if drill:
    st.session_state.pop("_map_last_pick", None)  # the same unit may be clicked again after going back up
    st.query_params["unit"] = drill
    st.session_state[f"unit_{lang()}"] = drill

c_unit, c_phase = st.columns(2, vertical_alignment="bottom")
with c_unit:
    unit = unit_picker(user)  # ?unit=, inside the user's scope only
with c_phase:
    phase = phase_picker(phases, today)  # ?phase=

c_ind, c_col, c_lvl = st.columns([4, 3, 3], vertical_alignment="bottom")
with c_ind:
    # every registry indicator, grouped by plan; visits are recorded in every grid, spot checks only in
    # sampled communities: open on compliance
    ind = pi.picker(indicators, label=t("map.indicator"), key=f"map_ind_{lang()}", default="process_compliance")
with c_col:
    colour_by = st.selectbox(t("map.colour_by"), list(COLOUR_BY),
                             index=COLOUR_BY.index(_query_choice("colour", list(COLOUR_BY), "value")),
                             format_func=lambda c: t(f"map.colour.{c}"), key=f"map_colour_{lang()}")
    st.query_params["colour"] = colour_by

plan = load_plan(user.scope_code, unit.code)
if plan is None:
    st.error(t("auth.out_of_scope"))
    st.stop()
with c_lvl:
    levels = list(plan.levels)
    level = st.selectbox(t("map.level"), levels, index=levels.index(_query_choice("level", levels, plan.default)),
                         format_func=lambda lv: t(f"level.{lv}"), help=t("map.level_help"),
                         key=f"map_level_{unit.code}_{lang()}", disabled=len(levels) == 1)
    if level == plan.default:
        st.query_params.pop("level", None)
    else:
        st.query_params["level"] = level

shown_colour = colour_by
if colour_by != "status" and ind.unit not in SCALED_UNITS:
    shown_colour = "status"
    st.caption(t("map.status_only"))
if today < phase.start:
    st.info(t("map.phase_not_started", start=fmt.day(phase.start)))

try:
    with st.spinner(t("map.loading")):
        data = load_map(user.scope_code, unit.code, level, phase.code, today)
except Exception:  # noqa: BLE001 - one clear message instead of a traceback
    st.error(t("map.error"))
    st.stop()
if data is None:
    st.error(t("auth.out_of_scope"))
    st.stop()
if not data.features:
    st.info(t("map.no_geometry", unit=fmt.md(name_of(unit))))
    st.stop()
if md.needs_extra(ind.code, ind.kind):  # e.g. a reported indicator: loaded for this indicator only
    extra = load_extra(user.scope_code, unit.code, level, phase.code, today, ind.code, ind.kind)
    if extra is None:
        st.error(t("auth.out_of_scope"))
        st.stop()
    data = md.with_kpis(data, extra)

deck, rows = md.build(data, ind.code, shown_colour, lang=lang(), text_of=_tip(ind, level),
                      officer_label=t("map.officer"), height=MAP_HEIGHT, direction=ind.direction)
st.caption(f":material/event: {t('map.data_date', date=fmt.day(today))} · "
           + t("map.shown" if level == "grid" else "map.shown_drill", n=fmt.count(len(data.features)),
               level=t(f"level.{level}")))
kpi.freshness_caption(load_map.computed_at(user.scope_code, unit.code, level, phase.code, today))
event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", height=MAP_HEIGHT,
                        key=f"map_deck_{unit.code}_{level}_{lang()}")
_legend(shown_colour, ind.direction)

picked = None
try:
    objs = (event.selection or {}).get("objects", {}).get(umap.GRID_LAYER_ID) or []
    picked = objs[0].get("id") if objs else None
except (AttributeError, TypeError, IndexError):
    picked = None

if level != "grid":
    if picked is not None and picked != st.session_state.get("_map_last_pick"):
        st.session_state["_map_last_pick"] = picked
        target = next((f for f in data.features if f.id == picked), None)
        if target is not None:
            st.session_state["_map_drill"] = target.code
            st.rerun()
    st.stop()

# --- grid detail ------------------------------------------------------------------------------------
grids = {f.id: f for f in data.features}
grid_key = f"map_grid_{unit.code}_{lang()}"
if picked is not None and picked != st.session_state.get("_map_last_pick") and picked in grids:
    st.session_state["_map_last_pick"] = picked
    st.session_state[grid_key] = picked
elif grid_key not in st.session_state:
    wanted = st.query_params.get("grid")
    only = next(iter(grids)) if len(grids) == 1 else None  # an officer's one grid opens directly
    st.session_state[grid_key] = next((g.id for g in grids.values() if g.code == wanted), only)


@st.fragment
def grid_panel(grids: dict, grid_key: str) -> None:
    """Grid picker and detail: choosing another grid reruns only this part, not the map."""
    grid_id = st.selectbox(t("map.grid_pick"), list(grids), key=translated(grid_key), placeholder=t("map.grid_none"),
                           format_func=lambda g: f"{grids[g].name(lang())} · {grids[g].code}")
    if grid_id is None:
        st.query_params.pop("grid", None)
        st.caption(t("map.grid_hint"))
        return
    st.query_params["grid"] = grids[grid_id].code
    detail = load_detail(user.scope_code, grid_id, now_local().replace(second=0, microsecond=0))
    if detail is None:
        st.error(t("map.grid_out_of_scope"))
        return
    _render_detail(detail)


grid_panel(grids, grid_key)
