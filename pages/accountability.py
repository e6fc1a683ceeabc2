"""滞后与整改 Lag list and rectification ledger (seed 004 §7.4, §9.3): the month-end list of units whose
gap / target exceeds 15 % (direction-aware) with how many months running and the actions taken
(约谈 held, 督导组 sent), and the ledger of problems until closed (销号) with evidence, overdue first.
Every write carries the version the user saw (ledger) or an idempotency token (new items)."""
from __future__ import annotations

from datetime import timedelta
from functools import partial

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied, ValidationError
from data_access.programme import lag, ledger
from data_access.programme.models import LAG_ACTION_KINDS, RECT_SOURCES, RECT_STATUSES
from ui import flash as flashes
from ui import format as fmt
from ui import kpi
from ui.auth import require, roles_for, scope_units
from ui.errors import message
from ui.i18n import lang, name_of, t
from ui.idempotency import token
from ui.kpi import STATUS_BG

user = require(roles=roles_for("accountability"))  # stops here unless signed in with an allowed role

FLASH = "acc"  # ui.flash: the outcome of a click, shown after the rerun
SERVICE_ERRORS = (ValidationError, InvalidTransition, PermissionDenied, NotFound)
CAN_DERIVE = user.role in lag.DERIVE_ROLES
CAN_ACT = user.role in lag.ACTION_ROLES
CAN_EDIT = user.role in ledger.WRITE_ROLES
RED, AMBER = STATUS_BG["off_track"], STATUS_BG["at_risk"]


flash = partial(flashes.keep, FLASH)


def unit_label(code: str, zh: str, en: str | None) -> str:
    return zh if lang() == "zh" else (en or zh)


@st.cache_data(ttl=5, show_spinner=False)
def load_lag(scope_code: str, username: str, month: int | None):
    with session_scope() as s:
        months = lag.derived_months(session=s)
        if month is None or month not in months:
            month = months[0] if months else None
        if month is None:
            return months, None, [], {}
        return (months, month, lag.list_lag(session=s, user=username, month=month),
                lag.lag_counts(session=s, user=username, month=month))


@st.cache_data(ttl=5, show_spinner=False)
def load_ledger(scope_code: str, username: str, statuses: tuple[str, ...], overdue_only: bool, today):
    with session_scope() as s:
        return (ledger.list_items(session=s, user=username, today=today, statuses=list(statuses) or None,
                                  overdue_only=overdue_only),
                ledger.ledger_counts(session=s, user=username, today=today))


def clear() -> None:
    load_lag.clear()
    load_ledger.clear()


# --- lag list ----------------------------------------------------------------------------------

def do_derive(month: int) -> None:
    from metrics.lag import derive_lag

    try:
        with session_scope() as s:
            c = derive_lag(s, user=user.username, month=month, now=now_local())
    except SERVICE_ERRORS as err:
        flash("error", message(err))
    else:
        st.session_state["acc_month"] = month
        st.session_state.pop("acc_month_pick", None)  # the month picker shows the derived month
        flash("success", t("acc.derived", month=lag.month_label(month), n=c["lagging"], added=c["added"],
                           removed=c["removed"]))
    clear()


def lag_tab(indicators: dict) -> None:
    now = now_local()
    last = lag.previous_month(now.year * 100 + now.month)
    if CAN_DERIVE:
        st.button(t("acc.derive", month=lag.month_label(last)), on_click=do_derive, args=(last,), key="acc_derive",
                  help=t("acc.derive_help"), icon=":material/refresh:")
    months, month, rows, counts = load_lag(user.scope_code, user.username, st.session_state.get("acc_month"))
    if CAN_DERIVE and last not in months:
        # month end: the first leader to open the list after a month ended derives it (once; the
        # button above re-derives on demand, and `python -m metrics derive-lag` does it from cron)
        with st.spinner(t("acc.auto_deriving", month=lag.month_label(last))):
            do_derive(last)
        months, month, rows, counts = load_lag(user.scope_code, user.username, st.session_state.get("acc_month"))
    if month is None:
        st.info(t("acc.no_months"))
        return
    chosen = st.selectbox(t("acc.month"), months, index=months.index(month), format_func=lag.month_label,
                          key="acc_month_pick")
    if chosen != month:
        st.session_state["acc_month"] = chosen
        months, month, rows, counts = load_lag(user.scope_code, user.username, chosen)
    st.caption(t("acc.summary", entries=counts.get("entries", 0), units=counts.get("units", 0),
                 running2=counts.get("running2", 0), open=counts.get("without_action", 0)))
    if not rows:
        st.success(t("acc.empty"))
        return

    def ind_name(code: str) -> str:
        return name_of(indicators[code]) if code in indicators else code

    def ind_unit(code: str) -> str:
        return indicators[code].unit if code in indicators else "%"

    def actions_text(e: lag.LagView) -> str:
        if not e.actions:
            return t("acc.none")
        return "；".join(f"{fmt.day(a.held_on)} {t('acc.kind.' + a.kind)} · {a.who}" for a in e.actions)

    df = pd.DataFrame([{
        t("acc.col.unit"): unit_label(e.unit_code, e.unit_name_zh, e.unit_name_en),
        t("acc.col.indicator"): ind_name(e.indicator),
        t("acc.col.actual"): fmt.value(e.actual, ind_unit(e.indicator)),
        t("acc.col.target"): fmt.value(e.target, ind_unit(e.indicator)),
        t("acc.col.gap"): fmt.number(e.gap),
        t("acc.col.share"): f"{e.share * 100:.1f}%",
        t("acc.col.months"): e.months_running,
        t("acc.col.actions"): actions_text(e),
    } for e in rows])

    def paint(row):
        e = rows[row.name]
        bg = RED if e.months_running >= 2 and not e.actions else (AMBER if not e.actions else "")
        return [f"background-color: {bg}" if bg else ""] * len(row)

    st.dataframe(df.style.apply(paint, axis=1), hide_index=True, width="stretch",
                 height=min(38 + 35 * len(rows), 420))
    if not CAN_ACT:
        return
    by_id = {e.id: e for e in rows}
    with st.form("acc_action_form"):
        eid = st.selectbox(t("acc.pick"), list(by_id), key=f"acc_pick_{lang()}",
                           format_func=lambda i: f"{unit_label(by_id[i].unit_code, by_id[i].unit_name_zh, by_id[i].unit_name_en)}"
                                                 f" · {ind_name(by_id[i].indicator)} · "
                                                 f"{t('acc.months_n', n=by_id[i].months_running)}")
        c1, c2 = st.columns(2)
        kind = c1.selectbox(t("acc.kind"), LAG_ACTION_KINDS, format_func=lambda k: t("acc.kind." + k),
                            key=f"acc_kind_{lang()}")
        held = c2.date_input(t("acc.held_on"), value=now.date(), max_value=now.date(), key="acc_held")
        who = st.text_input(t("acc.who"), max_chars=lag.WHO_MAX, key="acc_who")
        note = st.text_area(t("acc.note"), max_chars=lag.NOTE_MAX, height=70, key="acc_note")
        to_ledger = st.checkbox(t("acc.to_ledger"), value=True, key="acc_to_ledger")
        if st.form_submit_button(t("acc.record"), type="primary"):
            e = by_id[eid]
            try:
                with session_scope() as s:
                    lag.record_action(session=s, user=user.username, entry_id=e.id, kind=kind, held_on=held,
                                      who=who, note=note or None, now=now_local())
                    if to_ledger:  # seed 004 §7.4 example: rectified within two months
                        ledger.create_item(session=s, user=user.username, source="lag", org_unit_id=e.unit_id,
                                           source_ref=f"{lag.month_label(e.month)} {e.unit_code} {e.indicator}",
                                           title=f"{ind_name(e.indicator)}滞后 {e.share * 100:.1f}%"
                                           if lang() == "zh" else f"{ind_name(e.indicator)} behind by "
                                                                   f"{e.share * 100:.1f}%",
                                           due=held + timedelta(days=60), now=now_local(),
                                           client_token=token("rect", "lag", e.id, kind, held))
            except SERVICE_ERRORS as err:
                st.error(message(err))
            else:
                flash("success", t("acc.recorded", kind=t("acc.kind." + kind),
                                   unit=fmt.md(unit_label(e.unit_code, e.unit_name_zh, e.unit_name_en)),
                                   indicator=fmt.md(ind_name(e.indicator))))
                clear()
                st.rerun()


# --- ledger ------------------------------------------------------------------------------------

def new_item_form() -> None:
    units = [u for u in scope_units(user.scope_code, "community") if u.level != "city"] or \
        list(scope_units(user.scope_code, "community"))
    if not units:
        return
    by_id = {u.id: u for u in units}
    with st.expander(t("acc.ledger.new"), icon=":material/add_task:"), st.form("acc_new_item"):
        c1, c2 = st.columns(2)
        source = c1.selectbox(t("acc.ledger.source"), RECT_SOURCES, format_func=lambda x: t("acc.ledger.source." + x),
                              key=f"acc_src_{lang()}")
        unit_id = c2.selectbox(t("acc.ledger.unit"), list(by_id), format_func=lambda i: name_of(by_id[i]),
                               key=f"acc_unit_{lang()}")
        title = st.text_input(t("acc.ledger.item_title"), max_chars=ledger.TITLE_MAX, key="acc_title")
        c3, c4 = st.columns(2)
        ref = c3.text_input(t("acc.ledger.ref"), max_chars=ledger.REF_MAX, key="acc_ref")
        due = c4.date_input(t("acc.ledger.due"), value=now_local().date() + timedelta(days=30), key="acc_due")
        detail = st.text_area(t("acc.ledger.detail"), max_chars=ledger.TEXT_MAX, height=70, key="acc_detail")
        if st.form_submit_button(t("acc.ledger.create"), type="primary"):
            try:
                with session_scope() as s:
                    item = ledger.create_item(session=s, user=user.username, source=source, org_unit_id=unit_id,
                                              title=title, due=due, detail=detail or None, source_ref=ref or None,
                                              now=now_local(), client_token=token("rect", source, unit_id, title, due, ref))
                    code = item.code
            except SERVICE_ERRORS as err:
                st.error(message(err))
            else:
                flash("success", t("acc.ledger.created", code=fmt.md(code), due=fmt.day(due)))
                clear()
                st.rerun()


def ledger_step(item_id: int, code: str, seen: int, action: str) -> None:
    try:
        with session_scope() as s:
            if action == "start":
                ledger.start(session=s, user=user.username, item_id=item_id, expected_version=seen, now=now_local())
            else:
                ledger.close(session=s, user=user.username, item_id=item_id, expected_version=seen, now=now_local(),
                             evidence=st.session_state.get(f"acc_evidence_{item_id}") or None)
    except ConcurrentEdit:
        flash("warning", t("acc.ledger.conflict", code=fmt.md(code)))
    except SERVICE_ERRORS as err:
        flash("error", message(err))  # the typed evidence stays in its box
    else:
        flash("success", t("acc.ledger.started" if action == "start" else "acc.ledger.closed_msg", code=fmt.md(code)))
        st.session_state[f"acc_evidence_{item_id}"] = ""
    clear()


def ledger_tab() -> None:
    today = now_local().date()
    if CAN_EDIT:
        new_item_form()
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    statuses = c1.multiselect(t("acc.ledger.filter.status"), RECT_STATUSES, default=["open", "in_progress"],
                              format_func=lambda x: t("acc.ledger.status." + x), key=f"acc_status_{lang()}")
    overdue_only = c2.toggle(t("acc.ledger.filter.overdue"), key="acc_overdue")
    items, counts = load_ledger(user.scope_code, user.username, tuple(statuses), overdue_only, today)
    st.caption(t("acc.ledger.summary", **counts))
    if not items:
        st.info(t("acc.ledger.empty"))
        return
    df = pd.DataFrame([{
        t("acc.ledger.col.code"): i.code,
        t("acc.ledger.source"): t("acc.ledger.source." + i.source),
        t("acc.ledger.unit"): unit_label(i.unit_code, i.unit_name_zh, i.unit_name_en),
        t("acc.ledger.item_title"): i.title,
        t("acc.ledger.due"): fmt.day(i.due),
        t("acc.ledger.col.state"): (t("acc.ledger.overdue", n=i.days_over) if i.overdue
                                    else t("acc.ledger.status." + i.status)),
        t("acc.ledger.col.evidence"): i.evidence or "",
    } for i in items])

    def paint(row):
        i = items[row.name]
        return [f"background-color: {RED}" if i.overdue else ""] * len(row)

    st.dataframe(df.style.apply(paint, axis=1), hide_index=True, width="stretch", height=min(38 + 35 * len(items), 420))
    if not CAN_EDIT:
        return
    open_items = {i.id: i for i in items if i.status != "closed"}
    if not open_items:
        return
    iid = st.selectbox(t("acc.ledger.pick"), list(open_items), key=f"acc_item_{lang()}",
                       format_func=lambda k: f"{open_items[k].code} · {open_items[k].title}")
    i = open_items[iid]
    st.subheader(fmt.md(f"{i.code} · {i.title}"))
    if i.detail:
        st.text(i.detail)
    if i.status == "open":
        st.button(t("acc.ledger.start"), key="acc_start", on_click=ledger_step, args=(i.id, i.code, i.version, "start"))
    st.text_area(t("acc.ledger.evidence"), key=f"acc_evidence_{i.id}", max_chars=ledger.TEXT_MAX, height=80)
    st.button(t("acc.ledger.close"), key="acc_close", type="primary", on_click=ledger_step,
              args=(i.id, i.code, i.version, "close"))


# --- the screen --------------------------------------------------------------------------------

st.title(t("acc.title"))
st.caption(t("acc.caption"))
flashes.show(FLASH)
_phases, inds = kpi.reference()
indicator_rows = {i.code: i for i in inds}
tab_lag, tab_ledger = st.tabs([t("acc.tab.lag"), t("acc.tab.ledger")])
with tab_lag:
    try:
        lag_tab(indicator_rows)
    except SERVICE_ERRORS as err:
        st.error(message(err))
with tab_ledger:
    try:
        ledger_tab()
    except SERVICE_ERRORS as err:
        st.error(message(err))
