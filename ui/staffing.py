"""Widgets of 人员与驻点 (pages/staffing.py) and the officers' office-hours form (pages/my_work.py)."""
from __future__ import annotations

from datetime import datetime, time

import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import NotFound, PermissionDenied, ValidationError
from data_access.staffing import presence
from ui import format as fmt
from ui.errors import message
from ui.i18n import t, translated
from ui.idempotency import token


def office_hours_form(username: str) -> None:
    """A small form: an officer logs on-site office hours (坐班/驻点) in one of their grids."""
    now = now_local()
    with session_scope() as s:
        grids = {gid: f"{code} · {name}" for gid, code, name in presence.my_grids(session=s, user=username,
                                                                                     day=now.date())}
        recent = presence.my_sessions(session=s, user=username, limit=3)
    if not grids:
        return
    with st.expander(t("office.title"), icon=":material/storefront:"):
        with st.form("office_form"):
            gid = st.selectbox(t("office.grid"), list(grids), format_func=grids.get, key=translated("oh_grid"))
            c1, c2, c3 = st.columns(3)
            day = c1.date_input(t("office.day"), value=now.date(), max_value=now.date(), key="oh_day",
                                format="YYYY-MM-DD")
            start = c2.time_input(t("office.start"), value=time(9, 0), step=900, key="oh_start")
            end = c3.time_input(t("office.end"), value=time(12, 0), step=900, key="oh_end")
            note = st.text_input(t("office.note"), max_chars=500, key="oh_note")
            if st.form_submit_button(t("office.save"), type="primary", key="oh_save"):
                try:
                    with session_scope() as s:
                        o = presence.log_office_hours(
                            session=s, user=username, grid_id=gid, started_at=datetime.combine(day, start),
                            ended_at=datetime.combine(day, end), note=note or None, now=now_local(),
                            client_token=token("oh", gid, day, start, end))
                        minutes = o.minutes
                    st.success(t("office.saved", grid=fmt.md(grids[gid]), minutes=minutes))
                except (ValidationError, PermissionDenied, NotFound) as err:
                    st.error(message(err))
        if recent:
            st.caption(t("office.recent", items="；".join(
                f"{fmt.md(code)} {o.started_at:%m-%d %H:%M}–{o.ended_at:%H:%M}" for o, code in recent)))
