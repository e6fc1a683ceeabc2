"""隐私投诉 Privacy complaints: intake form, the list with its two clocks (investigation started within
24 h, finished within 7 working days; overdue red, near amber) and the handling steps (start,
close with a result) for the roles that handle them. Every write carries the version seen."""
from __future__ import annotations

from datetime import datetime, time
from functools import partial

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied, ValidationError
from data_access.fieldwork import complaints as svc
from data_access.fieldwork.models import PrivacyComplaint
from ui import flash as flashes
from ui import format as fmt
from ui.auth import require, roles_for, scope_units
from ui.errors import message
from ui.i18n import lang, name_of, t, translated
from ui.kpi import STATUS_BG

user = require(roles=roles_for("complaints"))  # stops here unless signed in with an allowed role

STATUSES = ("received", "in_progress", "closed")
FLASH = "complaints"  # ui.flash: the outcome of a click, shown after the rerun
SERVICE_ERRORS = (ValidationError, InvalidTransition, PermissionDenied, NotFound)
RED, AMBER = STATUS_BG["off_track"], STATUS_BG["at_risk"]


def ts(v: datetime | None) -> str:
    return "—" if v is None else f"{v:%Y-%m-%d %H:%M}"


@st.cache_data(ttl=5, show_spinner=False)
def load_complaints(scope_code: str, username: str, statuses: tuple[str, ...], overdue_only: bool, now: datetime):
    with session_scope() as s:
        return svc.list_complaints(session=s, user=username, now=now, statuses=list(statuses) or None,
                                   overdue_only=overdue_only)


def clock_key(c: svc.ComplaintRow) -> str:
    k = c.clock
    if k.start_overdue and c.status == "received":
        return "start_overdue"
    if k.close_overdue:
        return "close_overdue"
    if k.start_overdue:
        return "start_overdue"
    if k.start_near:
        return "start_near"
    if k.close_near:
        return "close_near"
    return "ok"


flash = partial(flashes.keep, FLASH)


def do_receive(username: str) -> None:
    day = st.session_state.get("pc_date")
    at = st.session_state.get("pc_time") or time(0, 0)
    try:
        with session_scope() as s:
            c = svc.receive(session=s, user=username, received_at=datetime.combine(day, at).replace(second=0),
                            summary=st.session_state.get("pc_summary") or "",
                            org_unit_id=st.session_state.get("pc_unit") or 0, now=now_local(),
                            channel=st.session_state.get("pc_channel") or "")
            code, start, close = c.code, c.start_due_at, c.close_due_at
    except SERVICE_ERRORS as e:
        flash("error", message(e))  # the typed summary stays in its box
    else:
        st.session_state["pc_summary"] = ""
        flash("success", t("complaints.received", code=code, start=ts(start), close=ts(close)))
    load_complaints.clear()


def do_step(username: str, complaint_id: int, action: str, seen_version: int) -> None:
    try:
        with session_scope() as s:
            if action == "start":
                svc.start_investigation(session=s, user=username, complaint_id=complaint_id,
                                        expected_version=seen_version, now=now_local())
            else:
                svc.close(session=s, user=username, complaint_id=complaint_id, expected_version=seen_version,
                          result=st.session_state.get(f"pc_result_{complaint_id}") or "", now=now_local())
    except ConcurrentEdit:
        flash("warning", t("complaints.conflict"))
    except SERVICE_ERRORS as e:
        flash("error", message(e))
    else:
        if action == "close":
            st.session_state[f"pc_result_{complaint_id}"] = ""
        flash("success", t("complaints.started" if action == "start" else "complaints.closed"))
    load_complaints.clear()


st.title(t("complaints.title"))
now = now_local().replace(second=0)
units = {u.id: u for u in scope_units(user.scope_code, "grid")}
flashes.show(FLASH)

# --- intake -----------------------------------------------------------------------------------------
if user.role in svc.INTAKE_ROLES:
    with st.expander(t("complaints.intake"), icon=":material/add_comment:"):
        c1, c2, c3, c4 = st.columns([2, 2, 2, 3])
        c1.date_input(t("complaints.f.date"), value=now.date(), max_value=now.date(), key="pc_date")
        c2.time_input(t("complaints.f.time"), value=now.time().replace(second=0, microsecond=0), key="pc_time",
                      step=300)
        c3.selectbox(t("complaints.f.channel"), svc.CHANNELS, key=translated("pc_channel"),
                     format_func=lambda c: t(f"complaints.channel.{c}"))
        c4.selectbox(t("complaints.f.unit"), list(units), key=translated("pc_unit"), format_func=lambda i: name_of(units[i]))
        st.text_area(t("complaints.f.summary"), key="pc_summary", max_chars=1000, height=80)
        st.button(t("complaints.f.submit"), key="pc_submit", type="primary", on_click=do_receive,
                  args=(user.username,))

# --- list ---------------------------------------------------------------------------------------------
f1, f2 = st.columns([3, 2], vertical_alignment="bottom")
url_status = [v for v in (st.query_params.get("status") or "").split(",") if v in STATUSES]
statuses = f1.multiselect(t("complaints.filter.status"), STATUSES, default=url_status, key=f"pc_status_{lang()}",
                          format_func=lambda s: t(f"complaints.status.{s}"), placeholder=t("needs.filter.any"))
overdue_only = f2.toggle(t("complaints.overdue_only"), value=st.query_params.get("overdue") == "1",
                         key="pc_overdue")
for param, value in (("status", ",".join(statuses)), ("overdue", "1" if overdue_only else "")):
    if value:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]

try:
    rows = load_complaints(user.scope_code, user.username, tuple(statuses), overdue_only, now)
except SERVICE_ERRORS as e:
    st.error(message(e))
    st.stop()
if not rows:
    st.info(t("complaints.empty"))
    st.stop()
keys = [clock_key(c) for c in rows]
st.caption(t("complaints.count", n=len(rows), overdue=sum(k.endswith("overdue") for k in keys)))

C = {k: t(f"complaints.col.{k}") for k in ("code", "received", "channel", "unit", "status", "start_due",
                                           "close_due", "clock")}
table = pd.DataFrame([{
    C["code"]: c.code, C["status"]: t(f"complaints.status.{c.status}"), C["clock"]: t(f"complaints.clock.{k}"),
    C["start_due"]: ts(c.clock.start_due_at), C["close_due"]: ts(c.clock.close_due_at),
    C["received"]: ts(c.received_at), C["channel"]: t(f"complaints.channel.{c.channel}"),
    C["unit"]: name_of(units[c.org_unit_id]) if c.org_unit_id in units else "—",
} for c, k in zip(rows, keys, strict=True)])


def paint(row: pd.Series) -> list[str]:
    c, k = rows[row.name], keys[row.name]
    out = []
    for col in row.index:
        late = (col == C["start_due"] and c.clock.start_overdue) or (col == C["close_due"] and c.clock.close_overdue)
        near = (col == C["start_due"] and c.clock.start_near) or (col == C["close_due"] and c.clock.close_near)
        if late or (col == C["clock"] and k.endswith("overdue")):
            out.append(f"background-color: {RED}; font-weight: 600")
        elif near or (col == C["clock"] and k.endswith("near")):
            out.append(f"background-color: {AMBER}")
        else:
            out.append("")
    return out


st.dataframe(table.style.apply(paint, axis=1), hide_index=True, width="stretch",
             height=min(36 + 35 * len(rows), 387))
st.caption(t("complaints.legend"))

# --- handling -------------------------------------------------------------------------------------------
by_id = {c.id: c for c in rows}
ids = list(by_id)
want = st.query_params.get("complaint")
first = next((i for i, c in enumerate(rows) if c.code == want),
             next((i for i, c in enumerate(rows) if c.status != "closed"), 0))  # default: the oldest still open
cid = st.selectbox(t("complaints.pick"), ids, index=first, key=f"pc_pick_{lang()}",
                   format_func=lambda i: f"{by_id[i].code} · {t('complaints.status.' + by_id[i].status)}")
st.query_params["complaint"] = by_id[cid].code
with session_scope() as s:  # the complaint as it is now (it came from the scoped list above)
    pc = s.get(PrivacyComplaint, cid)
    s.expunge(pc)
st.subheader(t("complaints.detail", code=fmt.md(pc.code)))
st.markdown(f"**{t('complaints.summary')}**")
st.text(pc.summary)
st.caption(" · ".join(x for x in (
    t("complaints.started_at", at=ts(pc.started_at)) if pc.started_at else "",
    t("complaints.closed_at", at=ts(pc.closed_at)) if pc.closed_at else "") if x))
if pc.result:
    st.markdown(f"**{t('complaints.result')}**")
    st.text(pc.result)
if user.role not in svc.HANDLE_ROLES:
    st.info(t("complaints.handle_read_only"))
elif pc.status == "closed":
    st.info(t("complaints.is_closed"))
elif pc.status == "received":
    st.button(t("complaints.start"), key="pc_start", type="primary", on_click=do_step,
              args=(user.username, pc.id, "start", pc.version))
else:
    st.text_area(t("complaints.f.result"), key=f"pc_result_{pc.id}", max_chars=2000, height=80)
    st.button(t("complaints.close"), key="pc_close", type="primary", on_click=do_step,
              args=(user.username, pc.id, "close", pc.version))
