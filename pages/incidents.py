"""安全事件 Security incidents (seed 003 §6.4): register one, see the three clocks (plan started ≤ 1 h,
trace analysis ≤ 24 h, rectified with a report ≤ 7 days), record each step when done, confirm a data
leak (the unit's one-vote veto) and read security_incident_in_time for this year. Every step carries
the version the user saw; registering carries an idempotency token."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied, ValidationError
from data_access.programme import incidents as inc
from data_access.programme import ledger
from data_access.programme.models import INCIDENT_KINDS
from ui import flash as flashes
from ui import format as fmt
from ui.auth import require, roles_for, scope_units
from ui.errors import message
from ui.i18n import lang, name_of, t
from ui.idempotency import token
from ui.kpi import STATUS_BG

user = require(roles=roles_for("incidents"))  # stops here unless signed in with an allowed role

FLASH = "inc"  # ui.flash: the outcome of a click, shown after the rerun
SERVICE_ERRORS = (ValidationError, InvalidTransition, PermissionDenied, NotFound)
CAN_VETO = user.role in inc.VETO_ROLES
COLORS = {"in_time": STATUS_BG["met"], "late": STATUS_BG["at_risk"], "overdue": STATUS_BG["off_track"],
          "running": ""}


def ts(v: datetime | None) -> str:
    return "—" if v is None else f"{v:%Y-%m-%d %H:%M}"


flash = partial(flashes.keep, FLASH)


@st.cache_data(ttl=5, show_spinner=False)
def load_incidents(scope_code: str, username: str, now: datetime):
    with session_scope() as s:
        return inc.list_incidents(session=s, user=username, now=now)


@st.cache_data(ttl=30, show_spinner=False)
def load_indicator(unit_code: str, as_of: date):
    """security_incident_in_time of the user's scope for the phase containing today."""
    from metrics.service import compute_kpis

    with session_scope() as s:
        return next((k for k in compute_kpis(s, unit_code=unit_code, period=_phase_of(s, as_of), as_of=as_of,
                                             children=False) if k.indicator == "security_incident_in_time"), None)


def _phase_of(session, day: date) -> str:
    from data_access.programme import catalog

    for p in catalog.phases(session=session):
        if p.start <= day <= p.end:
            return p.code
    return f"{day:%Y-%m}"


def register_form() -> None:
    units = list(scope_units(user.scope_code, "community"))
    by_id = {u.id: u for u in units}
    now = now_local()
    with st.expander(t("inc.new"), icon=":material/crisis_alert:"), st.form("inc_form"):
        c1, c2 = st.columns(2)
        unit_id = c1.selectbox(t("inc.unit"), list(by_id), format_func=lambda i: name_of(by_id[i]),
                               key=f"inc_unit_{lang()}")
        kind = c2.selectbox(t("inc.kind"), INCIDENT_KINDS, format_func=lambda k: t("inc.kind." + k),
                            key=f"inc_kind_{lang()}")
        title = st.text_input(t("inc.item_title"), max_chars=inc.TITLE_MAX, key="inc_title")
        c3, c4 = st.columns(2)
        day = c3.date_input(t("inc.detected"), value=now.date(), max_value=now.date(), key="inc_day")
        at = c4.time_input(t("inc.detected"), value=time(now.hour, now.minute), key="inc_time",
                           label_visibility="hidden")
        if st.form_submit_button(t("inc.create"), type="primary"):
            detected = datetime.combine(day, at).replace(second=0, microsecond=0)
            try:
                with session_scope() as s:
                    i = inc.register(session=s, user=user.username, org_unit_id=unit_id, kind=kind, title=title,
                                     detected_at=detected, now=now_local(),
                                     client_token=token("inc", unit_id, kind, title, detected))
                    msg = t("inc.created", code=fmt.md(i.code), plan=ts(i.plan_due_at), trace=ts(i.trace_due_at),
                            rectify=ts(i.rectify_due_at))
            except SERVICE_ERRORS as err:
                st.error(message(err))
            else:
                flash("success", msg)
                load_incidents.clear()
                st.rerun()


def do_step(incident_id: int, code: str, step: str, seen: int) -> None:
    day = st.session_state.get(f"inc_at_day_{incident_id}")
    hm = st.session_state.get(f"inc_at_time_{incident_id}") or time(0, 0)
    try:
        with session_scope() as s:
            inc.record_step(session=s, user=user.username, incident_id=incident_id, step=step,
                            at=datetime.combine(day, hm) if day else None, expected_version=seen, now=now_local(),
                            report=st.session_state.get(f"inc_report_{incident_id}") or None)
    except ConcurrentEdit:
        flash("warning", t("inc.conflict", code=fmt.md(code)))
    except SERVICE_ERRORS as err:
        flash("error", message(err))
    else:
        flash("success", t("inc.recorded", code=fmt.md(code), step=t("inc.step." + step)))
    load_incidents.clear()
    load_indicator.clear()


def do_confirm(incident_id: int, code: str, seen: int) -> None:
    try:
        with session_scope() as s:
            inc.confirm_leak(session=s, user=user.username, incident_id=incident_id, expected_version=seen,
                             now=now_local())
    except ConcurrentEdit:
        flash("warning", t("inc.conflict", code=fmt.md(code)))
    except SERVICE_ERRORS as err:
        flash("error", message(err))
    else:
        flash("success", t("inc.confirmed", code=fmt.md(code)))
    load_incidents.clear()


def do_to_ledger(r: inc.IncidentView, unit_id: int) -> None:
    """Put the incident's follow-up on the rectification ledger (one item per incident: the token)."""
    try:
        with session_scope() as s:
            item = ledger.create_item(session=s, user=user.username, source="security_incident", org_unit_id=unit_id,
                                      source_ref=r.code, title=t("inc.ledger_title", title=r.title),
                                      due=now_local().date() + timedelta(days=30), now=now_local(),
                                      client_token=f"incident-ledger:{r.code}")
            code = item.code
    except SERVICE_ERRORS as err:
        flash("error", message(err))
    else:
        flash("success", t("inc.ledger_done", code=fmt.md(code)))


def clock_text(c: inc.StepClock) -> str:
    if c.done_at is not None:
        return f"{t('inc.state.' + c.state)} {c.done_at:%m-%d %H:%M}"
    return f"{t('inc.state.' + c.state)} · {c.due_at:%m-%d %H:%M}"


def table(rows: list[inc.IncidentView]) -> None:
    df = pd.DataFrame([{
        t("inc.col.code"): r.code,
        t("inc.unit"): r.unit_name_zh if lang() == "zh" else (r.unit_name_en or r.unit_name_zh),
        t("inc.kind"): t("inc.kind." + r.kind) + (f" · {t('inc.veto')}" if r.leak_confirmed else ""),
        t("inc.detected"): f"{r.detected_at:%m-%d %H:%M}",  # the year is in the code
        **{t("inc.step." + c.step): clock_text(c) for c in r.clocks},
        t("inc.col.in_time"): t("inc.pending") if r.in_time is None else t("inc.yes" if r.in_time else "inc.no"),
    } for r in rows])
    step_cols = [t("inc.step." + s) for s in inc.STEPS]

    def paint(row):
        r = rows[row.name]
        colors = {t("inc.step." + c.step): COLORS[c.state] for c in r.clocks}
        return [f"background-color: {colors[c]}" if colors.get(c) else "" for c in row.index]

    st.dataframe(df.style.apply(paint, axis=1, subset=None), hide_index=True, width="stretch",
                 height=min(38 + 35 * len(rows), 420), column_order=[*df.columns[:4], *step_cols, df.columns[-1]])


def detail(r: inc.IncidentView) -> None:
    st.subheader(fmt.md(f"{r.code} · {r.title}"))
    if r.report:
        st.text(r.report)
    pending = next((c for c in r.clocks if c.done_at is None), None)
    if pending is not None:
        now = now_local()
        c1, c2 = st.columns(2)
        c1.date_input(t("inc.at"), value=now.date(), max_value=now.date(), key=f"inc_at_day_{r.id}")
        c2.time_input(t("inc.at"), value=time(now.hour, now.minute), key=f"inc_at_time_{r.id}",
                      label_visibility="hidden")
        if pending.step == "rectify":
            st.text_area(t("inc.report"), max_chars=inc.REPORT_MAX, height=90, key=f"inc_report_{r.id}")
        st.button(t("inc.record", step=t("inc.step." + pending.step)), type="primary", key="inc_step",
                  on_click=do_step, args=(r.id, r.code, pending.step, r.version))
    if r.unit_id is not None:
        st.button(t("inc.to_ledger"), key="inc_to_ledger", on_click=do_to_ledger, args=(r, r.unit_id),
                  icon=":material/add_task:")
    if CAN_VETO and r.kind == "data_leak" and not r.leak_confirmed:
        st.button(t("inc.confirm_leak"), key="inc_confirm", on_click=do_confirm, args=(r.id, r.code, r.version),
                  icon=":material/gavel:")


st.title(t("inc.title"))
st.caption(t("inc.caption"))
flashes.show(FLASH)
today = now_local().date()
k = load_indicator(user.scope_code, today)
if k is not None and k.n:
    st.info(t("inc.indicator", value=fmt.value(k.value, "%"), k=round((k.value or 0) * k.n / 100), n=k.n),
            icon=":material/timer:")
register_form()
try:
    rows = load_incidents(user.scope_code, user.username, now_local().replace(second=0, microsecond=0))
except SERVICE_ERRORS as err:
    st.error(message(err))
    st.stop()
if not rows:
    st.info(t("inc.empty"))
    st.stop()
st.caption(t("inc.summary", n=len(rows), open=sum(r.status != "closed" for r in rows),
             overdue=sum(c.state == "overdue" for r in rows for c in r.clocks)))
table(rows)
by_id = {r.id: r for r in rows}
pick = st.selectbox(t("inc.pick"), list(by_id), key=f"inc_pick_{lang()}",
                    format_func=lambda i: f"{by_id[i].code} · {by_id[i].title}")
try:
    detail(by_id[pick])
except SERVICE_ERRORS as err:
    st.error(message(err))
