"""数据权利 Residents' data rights (seed 003 §6.3, admins): find a resident by ID number (keyed-hash
lookup, audited), record the request (see / delete), export what is held as a JSON file (audited),
erase on request (name, ID number, phone removed; visits and counts stay) or refuse with a reason.
The request, the decision and its date are kept. Names on this screen are masked."""
from __future__ import annotations

import json
from functools import partial

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied, ValidationError
from data_access.fieldwork import data_rights as dr
from data_access.fieldwork.models import RIGHTS_KINDS
from ui import flash as flashes
from ui import format as fmt
from ui.auth import require, roles_for
from ui.errors import message
from ui.i18n import lang, t

user = require(roles=roles_for("data_rights"))  # stops here unless signed in with an allowed role

FLASH = "rights"  # ui.flash: the outcome of a click, shown after the rerun
SERVICE_ERRORS = (ValidationError, InvalidTransition, PermissionDenied, NotFound)


flash = partial(flashes.keep, FLASH)


@st.cache_data(ttl=5, show_spinner=False)
def load_requests(username: str):
    with session_scope() as s:
        return dr.list_requests(session=s, user=username)


def do_search() -> None:
    """Runs once per click (a callback), so each search is audited once."""
    try:
        with session_scope() as s:
            hits = dr.find_by_id_number(session=s, user=user.username,
                                        id_number=st.session_state.get("rights_id") or "", now=now_local())
    except SERVICE_ERRORS as err:
        st.session_state["rights_hits"] = None
        flash("error", message(err))
    else:
        st.session_state["rights_hits"] = hits
    st.session_state["rights_id"] = ""  # the number does not stay on screen


def do_open(resident_id: int) -> None:
    try:
        with session_scope() as s:
            req = dr.open_request(session=s, user=user.username, resident_id=resident_id,
                                  kind=st.session_state.get("rights_kind") or "access",
                                  received_on=st.session_state.get("rights_received") or now_local().date(),
                                  channel=st.session_state.get("rights_channel") or "counter",
                                  note=st.session_state.get("rights_note") or None, now=now_local())
            code = req.code
    except SERVICE_ERRORS as err:
        flash("error", message(err))
    else:
        st.session_state["rights_hits"] = None
        st.session_state["rights_pick"] = code
        flash("success", t("rights.opened", code=fmt.md(code)))
    load_requests.clear()


def do_decide(request_id: int, code: str, seen: int, action: str) -> None:
    note = st.session_state.get(f"rights_decision_{request_id}") or None
    st.session_state.pop("rights_file", None)  # an export made before the decision is not kept around
    try:
        with session_scope() as s:
            if action == "erase":
                rows = dr.erase(session=s, user=user.username, request_id=request_id, expected_version=seen,
                                now=now_local(), decision_note=note)
                msg = t("rights.erased", code=fmt.md(code), rows=sum(rows.values()))
            else:
                dr.refuse(session=s, user=user.username, request_id=request_id, expected_version=seen,
                          now=now_local(), decision_note=note or "")
                msg = t("rights.refused", code=fmt.md(code))
    except ConcurrentEdit:
        flash("warning", t("rights.conflict", code=fmt.md(code)))
    except SERVICE_ERRORS as err:
        flash("error", message(err))
    else:
        flash("success", msg)
    load_requests.clear()


def export_file(request_id: int) -> bytes:
    with session_scope() as s:
        data = dr.export_data(session=s, user=user.username, request_id=request_id, now=now_local())
    load_requests.clear()
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


st.title(t("rights.title"))
st.caption(t("rights.caption"))
flashes.show(FLASH)

# --- find the person and record the request ------------------------------------------------------
with st.container(border=True):
    st.markdown(f"**{t('rights.find')}**")
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    c1.text_input(t("rights.id_number"), max_chars=18, key="rights_id", type="password")
    c2.button(t("rights.search"), on_click=do_search, key="rights_search", width="stretch")
    hits = st.session_state.get("rights_hits")
    if hits is not None:
        if not hits:
            st.info(t("rights.none_found"))
        else:
            st.caption(t("rights.found", n=len(hits)))
            by_id = {h.id: h for h in hits}
            rid = st.radio(t("rights.col.resident"), list(by_id), key="rights_resident", horizontal=True,
                           format_func=lambda i: f"{by_id[i].name} · {by_id[i].id_number or '—'}")
            c3, c4, c5 = st.columns(3)
            c3.selectbox(t("rights.kind"), RIGHTS_KINDS, format_func=lambda k: t("rights.kind." + k),
                         key="rights_kind")
            c4.date_input(t("rights.received_on"), value=now_local().date(), max_value=now_local().date(),
                          key="rights_received")
            c5.selectbox(t("rights.channel"), dr.CHANNELS, format_func=lambda k: t("rights.channel." + k),
                         key="rights_channel")
            st.text_input(t("rights.note"), max_chars=dr.NOTE_MAX, key="rights_note")
            st.button(t("rights.open"), type="primary", key="rights_open", on_click=do_open, args=(rid,))

# --- the requests ----------------------------------------------------------------------------------
st.subheader(t("rights.list"))
try:
    reqs = load_requests(user.username)
except SERVICE_ERRORS as err:
    st.error(message(err))
    st.stop()
if not reqs:
    st.info(t("rights.empty"))
    st.stop()
st.dataframe(pd.DataFrame([{
    t("rights.col.code"): r.code, t("rights.col.resident"): r.resident, t("rights.col.household"): r.household_code,
    t("rights.kind"): t("rights.kind." + r.kind), t("rights.received_on"): fmt.day(r.received_on),
    t("rights.channel"): t("rights.channel." + r.channel), t("rights.col.status"): t("rights.status." + r.status),
    t("rights.col.decision"): r.decision_note or "", t("rights.col.decided_on"): fmt.day(r.decided_on),
} for r in reqs]), hide_index=True, width="stretch", height=min(38 + 35 * len(reqs), 360))

by_code = {r.code: r for r in reqs}
codes = list(by_code)
want = st.session_state.get("rights_pick")
pick = st.selectbox(t("rights.pick"), codes, index=codes.index(want) if want in by_code else 0,
                    key=f"rights_pick_box_{lang()}",
                    format_func=lambda c: f"{c} · {t('rights.kind.' + by_code[c].kind)} · "
                                          f"{t('rights.status.' + by_code[c].status)}")
r = by_code[pick]
if r.status == "open" or r.kind == "access":
    if st.button(t("rights.export"), key="rights_export", icon=":material/download:"):
        try:
            st.session_state["rights_file"] = (r.id, export_file(r.id))
            st.success(t("rights.exported"))
        except SERVICE_ERRORS as err:
            st.error(message(err))
    got = st.session_state.get("rights_file")
    if got and got[0] == r.id:
        st.download_button(t("rights.download", code=r.code), got[1], file_name=f"{r.code}.json",
                           mime="application/json", key="rights_download")
if r.status == "open":
    st.text_area(t("rights.decision"), max_chars=dr.NOTE_MAX, height=70, key=f"rights_decision_{r.id}")
    c1, c2 = st.columns(2)
    if r.kind == "erasure":
        sure = c1.checkbox(t("rights.erase_confirm"), key=f"rights_sure_{r.id}")
        c1.button(t("rights.erase"), type="primary", disabled=not sure, key="rights_erase", on_click=do_decide,
                  args=(r.id, r.code, r.version, "erase"))
    c2.button(t("rights.refuse"), key="rights_refuse", on_click=do_decide, args=(r.id, r.code, r.version, "refuse"))
