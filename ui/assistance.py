"""Shared parts of the assisted-persons screen and its block on 我的任务: the cached counts, the
open counselling alerts (acknowledged with a note) and the weekly visits due, a file's sessions."""
from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pandas as pd
import streamlit as st

from data_access.assistance import queries as aq
from data_access.assistance import services as sv
from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied, ValidationError

from . import format as fmt
from .errors import message
from .i18n import t

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "assistance.py")
ERRORS = (ValidationError, InvalidTransition, PermissionDenied, NotFound)


def when(v: datetime | None) -> str:
    return v.strftime("%Y-%m-%d %H:%M") if v else t("assist.never")


@st.cache_data(ttl=5, show_spinner=False)
def load_counts(username: str, unit_code: str, now: datetime) -> list[aq.UnitCounts]:
    from data_access.org import users

    with session_scope() as s:
        unit = users.unit_by_code(session=s, code=unit_code)
        return aq.unit_counts(session=s, user=username, now=now, unit_id=unit.id if unit else None)


@st.cache_data(ttl=5, show_spinner=False)
def load_mine(username: str, now: datetime) -> tuple[list[aq.OpenAlert], list[aq.DueVisit]]:
    """The user's open counselling alerts and the weekly visits due (helper or grid officer)."""
    with session_scope() as s:
        return (aq.open_alerts(session=s, user=username, now=now), aq.due_visits(session=s, user=username, now=now))


def clear() -> None:
    load_counts.clear()
    load_mine.clear()


def _ack(alert_id: int, version: int, key: str, username: str) -> None:
    try:
        with session_scope() as s:
            sv.acknowledge_alert(session=s, user=username, alert_id=alert_id, note=st.session_state.get(key) or "",
                                 expected_version=version, now=now_local())
    except ConcurrentEdit:
        st.session_state["assist_flash"] = ("warning", t("assist.conflict"))
    except ERRORS as err:
        st.session_state["assist_flash"] = ("error", message(err))
    else:
        st.session_state["assist_flash"] = ("success", t("assist.acked"))
        st.session_state[key] = ""
    clear()


def alerts_and_visits(username: str, now: datetime, *, acknowledge: bool, link: bool = False) -> bool:
    """The open counselling alerts (each with a note box and an acknowledge button when
    ``acknowledge``) and the high-risk persons whose weekly visit is overdue or due soon.
    Returns whether anything was shown."""
    alerts, due = load_mine(username, now.replace(second=0, microsecond=0))
    if alerts:
        st.subheader(t("assist.alerts", n=len(alerts)))
        for a in alerts:
            with st.container(border=True):
                st.markdown(":red-badge[:material/warning:] " + fmt.md(t(
                    "assist.alert_line", code=a.person_code, name=a.name, misses=a.misses, at=when(a.raised_at))))
                if acknowledge:
                    key = f"as_ack_note_{a.alert_id}"
                    c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
                    c1.text_input(t("assist.ack_note"), max_chars=sv.NOTE_MAX, key=key)
                    c2.button(t("assist.ack"), key=f"as_ack_{a.alert_id}", on_click=_ack,
                              args=(a.alert_id, a.version, key, username), width="stretch")
    if due:
        st.subheader(t("assist.due", n=len(due)))
        st.dataframe(pd.DataFrame([{
            "": t("assist.overdue") if d.overdue else t("assist.due_soon"), t("assist.col.code"): d.person_code,
            t("assist.col.name"): d.name, t("assist.col.household"): f"{d.household_code} · {d.address}",
            t("assist.col.last_visit"): when(d.last_visit_at), t("assist.col.due"): when(d.due_at)} for d in due]),
            hide_index=True, width="stretch")
    if link and (alerts or due) and st.button(t("assist.mywork_link"), icon=":material/diversity_3:", key="mw_assist"):
        st.switch_page(PAGE)
    return bool(alerts or due)


def sessions_block(f: aq.PersonFile, username: str) -> None:
    """A file's counselling sessions (mark a past scheduled one attended or missed) and a form to
    schedule the next."""
    now = now_local()
    if not f.sessions:
        st.info(t("assist.no_sessions"))
    for c in f.sessions:
        cols = st.columns([3, 2, 1, 1], vertical_alignment="center")
        cols[0].markdown(when(c.scheduled_at))
        cols[1].markdown(t(f"assist.session.{c.status}"))
        if c.status == "scheduled" and c.scheduled_at <= now:
            for col, attended in ((cols[2], True), (cols[3], False)):
                if col.button(t("assist.attended" if attended else "assist.missed"),
                              key=f"as_mark_{c.id}_{int(attended)}", width="stretch"):
                    try:
                        with session_scope() as s:
                            _, raised = sv.mark_session(session=s, user=username, session_id=c.id, attended=attended,
                                                        expected_version=c.version, now=now_local())
                        st.session_state["assist_flash"] = (
                            ("warning", t("assist.alert_raised")) if raised else ("success", t("assist.marked")))
                    except ConcurrentEdit:
                        st.session_state["assist_flash"] = ("warning", t("assist.conflict"))
                    except ERRORS as err:
                        st.session_state["assist_flash"] = ("error", message(err))
                    clear()
                    st.rerun()
    with st.form("as_session_form"):
        c1, c2 = st.columns(2)
        d = c1.date_input(t("assist.schedule_at"), value=now.date(), key="as_s_day")
        tm = c2.time_input(t("assist.changed_at"), value=time(15, 0), key="as_s_time")
        if st.form_submit_button(t("assist.schedule"), type="primary"):
            try:
                with session_scope() as s:
                    sv.schedule_session(session=s, user=username, person_id=f.person.id,
                                        scheduled_at=datetime.combine(d, tm), now=now_local())
                st.session_state["assist_flash"] = ("success", t("assist.scheduled"))
            except ERRORS as err:
                st.session_state["assist_flash"] = ("error", message(err))
            st.rerun()
