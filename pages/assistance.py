"""帮扶对象 Assisted persons (seed 004): counts and weekly-visit rates by unit for every role; for the
helper, the grid's officer, coordinators and admins also the register with names, the open
counselling alerts, the overdue weekly visits and each person's file (every opening audited)."""
from __future__ import annotations

from datetime import datetime, time
from functools import partial

import pandas as pd
import streamlit as st

from data_access.assistance import queries as aq
from data_access.assistance import services as sv
from data_access.assistance.models import EMPLOYMENT, GROUPS, MEASURES, OUTCOMES, RISKS
from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied, ValidationError
from data_access.org.scope import actor_of
from ui import assistance as ua
from ui import flash as flashes
from ui import format as fmt
from ui.auth import require, roles_for
from ui.errors import message
from ui.i18n import lang, name_of, t
from ui.idempotency import token
from ui.pickers import unit_picker

user = require(roles=roles_for("assistance"))  # stops here unless signed in with an allowed role

FLASH = "assist"  # ui.flash: the outcome of a click, shown after the rerun
OPENED = "assist_opened"  # person ids this session has opened (the audit row is written at the first opening)
SERVICE_ERRORS = (ValidationError, InvalidTransition, PermissionDenied, NotFound)
DETAILS = user.role in sv.DETAIL_ROLES


flash = partial(flashes.keep, FLASH)


def write(done: str, fn) -> bool:
    try:
        with session_scope() as s:
            fn(s)
    except ConcurrentEdit:
        flash("warning", t("assist.conflict"))
        return False
    except SERVICE_ERRORS as err:
        flash("error", message(err))
        return False
    flash("success", done)
    return True


st.title(t("assist.title"))
st.caption(t("assist.caption"))
now = now_local()
unit = unit_picker(user)
flashes.show(FLASH)

# --- counts by unit (everyone) -----------------------------------------------------------------
st.subheader(t("assist.counts"))
counts = ua.load_counts(user.username, unit.code, now.replace(second=0, microsecond=0))
st.dataframe(pd.DataFrame([{
    t("assist.col.unit"): name_of(c), t("assist.col.persons"): c.persons, t("assist.col.high"): c.high,
    t("assist.col.visited"): c.high_visited, t("assist.col.rate"): fmt.value(c.weekly_rate, "%"),
    t("assist.col.alerts"): c.open_alerts, t("assist.col.employed"): c.employed} for c in counts]),
    hide_index=True, width="stretch")
st.caption(t("assist.counts_note"))
if not DETAILS:
    st.info(t("assist.leader_only_counts"))
    st.stop()

# --- alerts and weekly visits --------------------------------------------------------------------
ua.alerts_and_visits(user.username, now, acknowledge=True)

# --- the register --------------------------------------------------------------------------------
st.subheader(t("assist.register"))
c1, c2, c3 = st.columns([2, 3, 2], vertical_alignment="bottom")
risk = c1.selectbox(t("assist.filter.risk"), ("", *RISKS), key=f"as_risk_{lang()}",
                    format_func=lambda r: t(f"assist.risk.{r}") if r else t("assist.filter.all"))
group = c2.selectbox(t("assist.filter.group"), ("", *GROUPS), key=f"as_group_{lang()}",
                     format_func=lambda g: t(f"assist.group.{g}") if g else t("assist.filter.all"))
mine = c3.toggle(t("assist.filter.mine"), key="as_mine") if user.role == "officer" else False
with session_scope() as s:
    rows = aq.list_persons(session=s, user=user.username, now=now, unit_id=unit.id, risk=risk or None,
                           group=group or None, mine=mine)
st.caption(t("assist.count", n=len(rows)))
if not rows:
    st.info(t("assist.empty"))
else:
    st.dataframe(pd.DataFrame([{
        t("assist.col.code"): r.code, t("assist.col.name"): r.name, t("assist.col.id_number"): r.id_number or "",
        t("assist.col.group"): t(f"assist.group.{r.group}"), t("assist.col.risk"): t(f"assist.risk.{r.risk_level}"),
        t("assist.col.grid"): r.grid_code, t("assist.col.helper"): r.helper or "",
        t("assist.col.last_visit"): ua.when(r.last_visit_at),
        t("assist.col.due"): ua.when(r.visit_due_at) if r.visit_due_at else "",
        t("assist.col.alerts"): r.open_alerts} for r in rows]), hide_index=True, width="stretch", key="as_table")

# --- one file --------------------------------------------------------------------------------------
by_code = {r.code: r for r in rows}
wanted = st.query_params.get("person")
codes = list(by_code)
if wanted and wanted not in by_code:
    with session_scope() as s:  # a link from 我的任务 to a person outside the filters
        hit = [r for r in aq.list_persons(session=s, user=user.username, now=now) if r.code == wanted]
    if hit:
        by_code[wanted] = hit[0]
        codes.insert(0, wanted)
if codes:
    c_pick, c_open = st.columns([5, 1], vertical_alignment="bottom")
    code = c_pick.selectbox(t("assist.pick"), codes, index=codes.index(wanted) if wanted in codes else 0,
                            format_func=lambda c: f"{c} · {by_code[c].name}", key="as_pick")
    if c_open.button(t("assist.open"), type="primary", key="as_open", width="stretch"):
        st.query_params["person"] = code
        wanted = code
if wanted and wanted in by_code:
    person_id = by_code[wanted].id
    opened = st.session_state.setdefault(OPENED, set())
    try:
        with session_scope() as s:
            f = aq.open_file(session=s, user=user.username, person_id=person_id, now=now, record=person_id not in opened)
    except SERVICE_ERRORS as err:
        st.error(message(err))
        st.stop()
    opened.add(person_id)
    p = f.person
    st.subheader(t("assist.file", code=p.code) + f" · {f.name}")
    st.markdown(fmt.md(t("assist.file_facts", group=t(f"assist.group.{p.group}"), risk=t(f"assist.risk.{p.risk_level}"),
                           grid=f.grid_code, household=f.household_code, address=f.address,
                           helper=f.helper or t("assist.no_helper"), employment=t(f"assist.emp.{p.employment}"),
                           registered=fmt.day(p.registered_on))))
    st.caption(t("assist.id_line", id=f.id_number or "—", phone=f.phone or "—") + " " + t("assist.file_audited"))
    tabs = st.tabs([t("assist.tab.visits"), t("assist.tab.counselling"), t("assist.tab.measures"),
                    t("assist.tab.risk"), t("assist.tab.file")])
    with tabs[0]:
        if f.visits:
            st.dataframe(pd.DataFrame([{t("assist.visit_at"): ua.when(v.visited_at), t("assist.note"): v.note or ""}
                                       for v in f.visits]), hide_index=True, width="stretch")
        else:
            st.info(t("assist.no_visits"))
        with st.form("as_visit_form"):
            c1, c2 = st.columns(2)
            d = c1.date_input(t("assist.visit_at"), value=now.date(), max_value=now.date(), key="as_v_day")
            tm = c2.time_input(t("assist.changed_at"), value=time(now.hour, now.minute), key="as_v_time")
            note = st.text_input(t("assist.note"), max_chars=sv.NOTE_MAX, key="as_v_note")
            if st.form_submit_button(t("assist.save_visit"), type="primary"):
                at = datetime.combine(d, tm)
                if write(t("assist.visit_saved"), lambda s: sv.record_visit(
                        session=s, user=user.username, person_id=p.id, visited_at=at, now=now_local(), note=note or None,
                        client_token=token("pv", p.id, at, note))):
                    ua.clear()
                st.rerun()
    with tabs[1]:
        ua.sessions_block(f, user.username)
    with tabs[2]:
        if f.measures:
            st.dataframe(pd.DataFrame([{
                t("assist.measure_kind"): t(f"assist.measure.{m.kind}"), t("assist.started_on"): fmt.day(m.started_on),
                t("assist.ended_on"): fmt.day(m.ended_on) if m.ended_on else "",
                t("assist.outcome"): t(f"assist.outcome.{m.outcome}"), t("assist.note"): m.note or ""}
                for m in f.measures]), hide_index=True, width="stretch")
        else:
            st.info(t("assist.no_measures"))
        with st.form("as_measure_form"):
            c1, c2, c3 = st.columns(3)
            kind = c1.selectbox(t("assist.measure_kind"), MEASURES, format_func=lambda k: t(f"assist.measure.{k}"),
                                key=f"as_m_kind_{lang()}")
            start = c2.date_input(t("assist.started_on"), value=now.date(), max_value=now.date(), key="as_m_start")
            outcome = c3.selectbox(t("assist.outcome"), OUTCOMES, format_func=lambda o: t(f"assist.outcome.{o}"),
                                   key=f"as_m_outcome_{lang()}")
            note = st.text_input(t("assist.note"), max_chars=sv.NOTE_MAX, key="as_m_note")
            if st.form_submit_button(t("assist.add_measure"), type="primary"):
                write(t("assist.measure_saved"), lambda s: sv.add_measure(
                    session=s, user=user.username, person_id=p.id, kind=kind, started_on=start, now=now_local(),
                    outcome=outcome, note=note or None, ended_on=None if outcome == "pending" else now.date()))
                st.rerun()
    with tabs[3]:
        st.dataframe(pd.DataFrame([{
            t("assist.changed_at"): ua.when(r.changed_at),
            t("assist.from_to"): (t(f"assist.risk.{r.old_level}") + " → " if r.old_level else "")
            + t(f"assist.risk.{r.new_level}"), t("assist.reason"): r.reason or ""} for r in f.risk_history]),
            hide_index=True, width="stretch")
        with st.form("as_risk_form"):
            level = st.selectbox(t("assist.new_risk"), RISKS, index=RISKS.index(p.risk_level),
                                 format_func=lambda r: t(f"assist.risk.{r}"), key=f"as_r_level_{lang()}")
            why = st.text_input(t("assist.reason"), max_chars=sv.NOTE_MAX, key="as_r_reason")
            if st.form_submit_button(t("assist.save_risk"), type="primary"):
                if write(t("assist.risk_saved"), lambda s: sv.set_risk(
                        session=s, user=user.username, person_id=p.id, level=level, reason=why,
                        expected_version=p.version, now=now_local())):
                    ua.clear()
                st.rerun()
    with tabs[4]:
        with session_scope() as s:
            helpers = dict(aq.helpers_for(session=s, user=user.username, person_grid_id=p.grid_id))
        with st.form("as_file_form"):
            ids = list(helpers)
            hid = st.selectbox(t("assist.helper"), ids, index=ids.index(p.helper_id) if p.helper_id in ids else 0,
                               format_func=helpers.get, key="as_f_helper") if ids else None
            emp = st.selectbox(t("assist.employment"), EMPLOYMENT, index=EMPLOYMENT.index(p.employment),
                               format_func=lambda e: t(f"assist.emp.{e}"), key=f"as_f_emp_{lang()}")
            if st.form_submit_button(t("assist.save_file"), type="primary"):
                if write(t("assist.file_saved"), lambda s: sv.update_file(
                        session=s, user=user.username, person_id=p.id, expected_version=p.version, now=now_local(),
                        helper_id=hid, employment=emp)):
                    ua.clear()
                st.rerun()

# --- register a person -----------------------------------------------------------------------------
with st.expander(t("assist.new"), icon=":material/person_add:"):
    hh = st.text_input(t("assist.household_code"), max_chars=40, key="as_n_household")
    if hh.strip():
        with session_scope() as s:
            residents = aq.residents_of(session=s, user=user.username, household_code=hh)
        if not residents:
            st.info(t("assist.no_residents"))
        else:
            with st.form("as_new_form"):
                names = {rid: name for rid, name, _ in residents}
                rid = st.selectbox(t("assist.resident"), list(names), format_func=names.get, key="as_n_resident")
                c1, c2, c3 = st.columns(3)
                grp = c1.selectbox(t("assist.col.group"), GROUPS, format_func=lambda g: t(f"assist.group.{g}"),
                                   key=f"as_n_group_{lang()}")
                rk = c2.selectbox(t("assist.col.risk"), RISKS, format_func=lambda r: t(f"assist.risk.{r}"),
                                  key=f"as_n_risk_{lang()}")
                reg = c3.date_input(t("assist.registered_on"), value=now.date(), max_value=now.date(), key="as_n_reg")
                helper = user.username if user.role == "officer" else None
                if st.form_submit_button(t("assist.save_new"), type="primary"):
                    def do(s):
                        me = actor_of(session=s, user=user.username)
                        new = sv.register(session=s, user=me, resident_id=rid, group=grp, risk_level=rk,
                                          registered_on=reg, now=now_local(), helper_id=me.id if helper else None)
                        st.session_state["assist_new_code"] = new.code
                    if write(t("assist.new_saved", code=""), do):
                        flash("success", t("assist.new_saved", code=st.session_state.pop("assist_new_code", "")))
                        ua.clear()
                    st.rerun()
