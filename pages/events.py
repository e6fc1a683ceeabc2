"""事件与隐患 Events & hazards: grid events on their tier clocks (emergency 5 min, urgent 15 min,
general 2 h) and hazards on the rectification clock (24 h / 48 h) — report one quickly, see the
open ones overdue first with a live countdown (station and district escalation lists), take the
next step on one (optimistic locking: a step carries the version the user saw)."""
from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied, ValidationError
from data_access.fieldwork import events as ev
from data_access.fieldwork.models import EVENT_CHANNELS, EVENT_TIERS, HAZARD_LEVELS
from ui import cases
from ui import flash as flashes
from ui import format as fmt
from ui.auth import require, roles_for, scope_units
from ui.errors import message
from ui.i18n import lang, name_of, t, t_opt, translated
from ui.idempotency import token
from ui.pickers import unit_picker

user = require(roles=roles_for("events"))  # stops here unless signed in with an allowed role

LIMIT = 500
FLASH = "events"  # ui.flash: the outcome of a click, shown after the rerun
SERVICE_ERRORS = (ValidationError, InvalidTransition, PermissionDenied, NotFound)
CAN_ACT = user.role in ev.EVENT_ROLES
# reporting picks a grid: officers and district leaders (a city-wide list of every grid is no form)
CAN_REPORT = user.role in ("officer", "station_leader", "district_leader")
TIERS = EVENT_TIERS + tuple(ev.hazard_tier(level) for level in HAZARD_LEVELS)


def grids_of(scope_code: str) -> list[tuple[int, str]]:
    """The grids in scope with their names in the user's language (scope_units is the cached read)."""
    return [(u.id, f"{u.code} · {name_of(u)}") for u in scope_units(scope_code, "grid") if u.level == "grid"]


flash = partial(flashes.keep, FLASH)


def saved(text: str) -> None:
    """After a report: the confirmation as a flash above the forms, drawn by a fresh run (so the
    list's timed redraws cannot take it away) with the list re-read. The typed text stays: a second
    click with the same content is the same record (the idempotency token), not a new empty one."""
    flash("success", text)
    cases.load_open_cases.clear()
    st.rerun()


# --- report ----------------------------------------------------------------------------------

def report_forms() -> None:
    grids = dict(grids_of(user.scope_code))
    if not grids:
        return
    ids = list(grids)
    left, right = st.columns(2)
    with left.expander(t("events.report"), expanded=user.role == "officer", icon=":material/campaign:"):
        with st.form("event_form"):
            g = st.selectbox(t("events.grid"), ids, format_func=grids.get, key=translated("ev_grid"))
            c1, c2 = st.columns(2)
            tier = c1.selectbox(t("events.tier"), EVENT_TIERS, index=EVENT_TIERS.index("general"),
                                format_func=lambda x: t(f"events.tier.{x}"), key=f"ev_tier_{lang()}")
            cat = c2.selectbox(t("events.category"), ev.CATEGORIES, format_func=lambda x: t(f"events.cat.{x}"),
                               key=f"ev_cat_{lang()}")
            channel = st.selectbox(t("events.channel"), EVENT_CHANNELS, index=EVENT_CHANNELS.index("grid_worker"),
                                   format_func=lambda x: t(f"events.channel.{x}"), key=f"ev_channel_{lang()}")
            desc = st.text_area(t("events.description"), max_chars=ev.TEXT_MAX, height=80, key="ev_desc")
            if st.form_submit_button(t("events.submit"), type="primary", width="stretch"):
                try:
                    with session_scope() as s:
                        e = ev.report_event(session=s, user=user.username, grid_id=g, tier=tier, category=cat,
                                            channel=channel, description=desc or None, now=now_local(),
                                            client_token=token("ev", g, tier, cat, channel, desc))
                except SERVICE_ERRORS as err:
                    st.error(message(err))
                else:
                    saved(t("events.saved", code=fmt.md(e.code), due=cases.ts(e.due_at)))
    with right.expander(t("events.report_hazard"), icon=":material/warning:"):
        with st.form("hazard_form"):
            g = st.selectbox(t("events.grid"), ids, format_func=grids.get, key=translated("hz_grid"))
            c1, c2 = st.columns(2)
            level = c1.selectbox(t("events.level"), HAZARD_LEVELS, format_func=lambda x: t(f"events.level.{x}"),
                                 key=f"hz_level_{lang()}")
            handler = c2.selectbox(t("events.handler"), ("grid_worker", "officer"),
                                   format_func=lambda x: t(f"events.handler.{x}"), key=f"hz_handler_{lang()}")
            dept = st.text_input(t("events.department"), max_chars=ev.DEPARTMENT_MAX, key="hz_dept")
            desc = st.text_area(t("events.description"), max_chars=ev.TEXT_MAX, height=80, key="hz_desc")
            if st.form_submit_button(t("events.submit"), type="primary", width="stretch"):
                try:
                    with session_scope() as s:
                        h = ev.record_hazard(session=s, user=user.username, grid_id=g, level=level, handler=handler,
                                             department=dept or None, description=desc or None, now=now_local(),
                                             client_token=token("hz", g, level, handler, dept, desc))
                except SERVICE_ERRORS as err:
                    st.error(message(err))
                else:
                    saved(t("events.hazard_saved", code=fmt.md(h.code), due=cases.ts(h.due_at)))


# --- the open cases --------------------------------------------------------------------------

# --- one case --------------------------------------------------------------------------------

def _act(code: str, text_key: str, done: str, write) -> None:
    """Run one write (a button callback): a conflict or a refusal becomes the flash message and the
    typed text stays; success clears the text box."""
    try:
        with session_scope() as s:
            write(s, st.session_state.get(text_key) or None)
    except ConcurrentEdit:
        flash("warning", t("events.conflict", code=fmt.md(code)))
    except SERVICE_ERRORS as err:
        flash("error", message(err))
    else:
        st.session_state[text_key] = ""
        flash("success", done)
    cases.load_open_cases.clear()


def do_step(event_id: int, code: str, action: str, seen: int) -> None:
    _act(code, f"ev_note_{event_id}", t("events.done", code=fmt.md(code), action=t(f"events.action.{action}")),
         lambda s, note: ev.event_step(session=s, user=user.username, event_id=event_id, action=action,
                                       expected_version=seen, now=now_local(), note=note))


def do_rectify(hazard_id: int, code: str, seen: int) -> None:
    _act(code, f"hz_evidence_{hazard_id}", t("events.rectified", code=fmt.md(code)),
         lambda s, evidence: ev.rectify_hazard(session=s, user=user.username, hazard_id=hazard_id,
                                               expected_version=seen, now=now_local(), evidence=evidence or ""))


def grid_name(case: ev.OpenCase) -> str:
    """The grid's name, literal inside markdown (unit names come from admins and imports)."""
    return fmt.md(case.grid_name_zh if lang() == "zh" else (case.grid_name_en or case.grid_name_zh))


def event_detail(case: ev.OpenCase) -> None:
    with session_scope() as s:
        e = ev.get_event(session=s, user=user.username, event_id=case.id)
        steps = ev.event_history(session=s, user=user.username, event_id=case.id)
        s.expunge(e)
    st.subheader(fmt.md(e.code))
    st.caption(t("events.facts", tier=t(f"events.tier.{e.tier}"), grid=grid_name(case),
                 category=t_opt(f"events.cat.{e.category}", "events.cat.other"),
                 channel=t(f"events.channel.{e.channel}"), created=cases.ts(e.created_at), due=cases.ts(e.due_at),
                 left=cases.left_text(case.clock)))
    if e.description:
        st.text(e.description)
    st.dataframe(pd.DataFrame([{
        t("events.h.at"): cases.ts(x.at), t("events.h.user"): x.username,
        t("events.h.action"): t_opt(f"events.action.{x.action}", "status.unknown"), t("events.h.note"): x.note or "",
    } for x in steps]), hide_index=True, width="stretch", height=min(36 + 35 * len(steps), 248))
    if not CAN_ACT:
        st.info(t("events.read_only"))
        return
    st.text_area(t("events.note"), key=f"ev_note_{e.id}", max_chars=ev.TEXT_MAX, height=70)
    actions = ev.allowed_event_actions(user.role, e.status)
    cols = st.columns(max(len(actions), 4))
    for col, action in zip(cols, actions, strict=False):
        col.button(t(f"events.action.{action}"), key=f"ev_act_{action}", on_click=do_step, width="stretch",
                   args=(e.id, e.code, action, e.version), type="primary" if action == "accept" else "secondary")


def hazard_detail(case: ev.OpenCase) -> None:
    with session_scope() as s:
        h = ev.get_hazard(session=s, user=user.username, hazard_id=case.id)
        s.expunge(h)
    st.subheader(fmt.md(h.code))
    st.caption(t("events.hazard_facts", tier=t(f"events.tier.{case.tier}"), grid=grid_name(case),
                 created=cases.ts(h.found_at), due=cases.ts(h.due_at), left=cases.left_text(case.clock)))
    if h.description:
        st.text(h.description)
    st.caption(f"{t('events.handler')}: {t(f'events.handler.{h.handler}')}"
               + (f" · {t('events.department')}: {fmt.md(h.department)}" if h.department else ""))
    if not CAN_ACT:
        st.info(t("events.read_only"))
        return
    st.text_area(t("events.evidence"), key=f"hz_evidence_{h.id}", max_chars=ev.TEXT_MAX, height=70)
    st.button(t("events.rectify"), key="hz_rectify", type="primary", on_click=do_rectify, args=(h.id, h.code, h.version))


# --- the screen ------------------------------------------------------------------------------

st.title(t("events.title"))
st.caption(t("events.caption"))
flashes.show(FLASH)
if CAN_REPORT:
    report_forms()

c_unit, c_kind, c_tier, c_esc = st.columns([3, 2.6, 2.6, 1.8], vertical_alignment="bottom")
with c_unit:
    unit = unit_picker(user, max_level="community")
kinds = c_kind.multiselect(t("events.filter.kind"), ("event", "hazard"), default=["event", "hazard"],
                           format_func=lambda k: t(f"events.kind.{k}"), key=f"ev_kinds_{lang()}")
tiers = c_tier.multiselect(t("events.filter.tier"), TIERS, format_func=lambda x: t(f"events.tier.{x}"),
                           placeholder=t("events.filter.any"), key=f"ev_tiers_{lang()}")
escalated = c_esc.toggle(t("events.filter.escalated"), key="ev_escalated",
                         value=st.query_params.get("escalated") == "1")


@st.fragment(run_every=30)
def live_list() -> None:
    """The list and its countdowns, redrawn every 30 seconds without rerunning the page."""
    now = now_local().replace(microsecond=0)
    with st.spinner(t("events.loading")):
        rows = cases.load_open_cases(user.scope_code, user.username, unit.path, tuple(kinds), tuple(tiers),
                                     escalated, now, LIMIT)
    if not rows:
        st.info(t("events.empty"))
        return
    st.caption(t("events.count", n=len(rows), late=sum(r.clock.late for r in rows),
                 district=sum(r.clock.escalation == "district" for r in rows),
                 near=sum(r.clock.near for r in rows)))
    if len(rows) >= LIMIT:
        st.warning(t("events.truncated", n=LIMIT))
    cases.case_table(rows)


live_list()
cases.time_limit_panel(user.scope_code, unit.code, now_local().replace(second=0, microsecond=0))

rows = cases.load_open_cases(user.scope_code, user.username, unit.path, tuple(kinds), tuple(tiers), escalated,
                             now_local().replace(microsecond=0), LIMIT)
if rows:
    by_key = {f"{r.kind}:{r.id}": r for r in rows}
    want = st.query_params.get("case")
    keys = list(by_key)
    pick = st.selectbox(t("events.pick"), keys, index=keys.index(want) if want in by_key else 0,
                        key=f"ev_pick_{lang()}",
                        format_func=lambda k: f"{by_key[k].code} · {t(f'events.tier.{by_key[k].tier}')} · "
                                              f"{cases.left_text(by_key[k].clock)}")
    st.query_params["case"] = pick
    case = by_key[pick]
    try:
        (event_detail if case.kind == "event" else hazard_detail)(case)
    except SERVICE_ERRORS as err:
        st.error(message(err))
