"""人员与驻点 Staffing & presence: the roster of officers, auxiliary police and grid workers with their
grids and certification (edits by admins and leaders, audited, optimistic-locked), the staffing
rules each grid and community breaks, officers' time in the grids per week (≥ 3 h a day, rural
≥ 2 on-site sessions a week) and the monthly joint meetings with the months missing."""
from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import pandas as pd
import streamlit as st

from data_access.core.clock import today_local
from data_access.core.db import session_scope
from data_access.core.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationError
from data_access.fieldwork.derive import month_of
from data_access.staffing import meetings, presence, roster
from data_access.staffing.models import AREA_TYPES, STAFF_TYPES
from metrics.staffing import compute_staffing
from ui import flash as flashes
from ui import format as fmt
from ui.auth import require, roles_for, scope_units
from ui.errors import message
from ui.i18n import lang, name_of, t
from ui.pickers import unit_picker
from ui.staffing import token

user = require(roles=roles_for("staffing"))  # stops here unless signed in with an allowed role

CAN_EDIT = user.role in roster.EDIT_ROLES
SERVICE_ERRORS = (ValidationError, PermissionDenied, NotFound)
FLASH = "staff"  # ui.flash: the outcome of a click, shown after the rerun
ss = st.session_state


FIELDS = {"code": "staff.f.code", "name": "staff.f.name", "certified_on": "staff.f.certified_on",
          "certified": "staff.f.certified", "staff_type": "staff.f.type", "user_id": "staff.col.login",
          "lead": "staff.f.lead", "start_on": "staff.f.start", "end_on": "staff.f.end", "grid_id": "staff.f.grid",
          "attendees": "staff.f.attendees", "risks": "staff.f.risks", "held_on": "staff.f.held_on",
          "community_id": "staff.f.community", "tasks": "staff.f.tasks"}


def err_text(err) -> str:
    """The error message, led by the field it is about (「持证日期」此项必填。)."""
    field = getattr(err, "field", "") or ""
    base = field.split("[")[0]
    label = FIELDS.get(base)
    if field.startswith("tasks[") and field.endswith(".owner"):
        label = "staff.f.owner"
    elif field.startswith("tasks[") and field.endswith(".task"):
        label = "staff.f.task"
    head = t(label).rstrip(" *").split("（")[0].split(" (")[0] if label else ""
    return f"{head}：{message(err)}" if head and lang() == "zh" else f"{head}: {message(err)}" if head else message(err)


flash = partial(flashes.keep, FLASH)



def uname(zh: str, en: str | None) -> str:
    return en or zh if lang() == "en" else zh


def fmt_value(v, unit: str) -> str:
    if v is None:
        return t("staff.no_value")
    return f"{v:.1f}%" if unit == "%" else f"{v:.2f} h" if unit == "h" else f"{v:.2f}"


def months_upto(day: date, n: int = 6) -> list[int]:
    out, m = [], month_of(day)
    for _ in range(n):
        out.append(m)
        m = m - 1 if m % 100 != 1 else (m // 100 - 1) * 100 + 12
    return sorted(out)


st.title(t("staff.title"))
st.caption(t("staff.intro"))
today = today_local()
c_unit, c_day = st.columns([3, 1])
with c_unit:
    unit = unit_picker(user)
with c_day:
    day = st.date_input(t("staff.day"), value=today, max_value=today, key="staff_day", format="YYYY-MM-DD")
flashes.show(FLASH)

# --- indicator cards: the latest month that has ended by the reference day ---------------------
kpi_month = day if (day + timedelta(days=1)).month != day.month else day.replace(day=1) - timedelta(days=1)
with session_scope() as s:
    kpis = compute_staffing(s, unit_code=unit.code, period=f"{kpi_month:%Y-%m}", as_of=day, children=False)
st.subheader(t("staff.kpis", month=f"{kpi_month:%Y-%m}", unit=name_of(unit)))
UNITS = {"og_officer_daily_visit_h": "h", "og_grid_daily_police_h": "h", "og_rural_onsite_week": "count"}
cols = st.columns(4)
for i, k in enumerate(kpis):
    u = UNITS.get(k.indicator, "%")
    cols[i % 4].metric(t(f"staff.kpi.{k.indicator}"), fmt_value(k.value, u),
                       help=None if k.target is None else t("staff.target", target=fmt_value(k.target, u)),
                       delta=None if k.gap is None or k.gap <= 0 else t("staff.gap", gap=fmt_value(k.gap, u)),
                       delta_color="inverse")

tabs = st.tabs([t("staff.tab.roster"), t("staff.tab.rules"), t("staff.tab.presence"), t("staff.tab.meetings")])

# --- roster -----------------------------------------------------------------------------------
with tabs[0]:
    f1, f2, f3 = st.columns(3)
    types = {"": t("staff.all"), **{k: t(f"staff.type.{k}") for k in STAFF_TYPES}}
    ftype = f1.selectbox(t("staff.filter.type"), list(types), format_func=types.get, key=f"sf_type_{lang()}")
    certs = {"": t("staff.all"), "yes": t("staff.cert.yes"), "no": t("staff.cert.no")}
    fcert = f2.selectbox(t("staff.filter.cert"), list(certs), format_func=certs.get, key=f"sf_cert_{lang()}")
    search = f3.text_input(t("staff.filter.search"), key="sf_search", max_chars=40)
    with session_scope() as s:
        rows = roster.roster(session=s, user=user.username, day=day, unit_id=unit.id, staff_type=ftype or None,
                             certified=None if not fcert else fcert == "yes", search=search or None)
    if rows:
        st.dataframe(pd.DataFrame([{
            t("staff.col.code"): r.code, t("staff.col.name"): r.name, t("staff.col.type"): t(f"staff.type.{r.staff_type}"),
            t("staff.col.full_time"): r.full_time, t("staff.col.unit"): uname(r.unit_name, r.unit_name_en),
            t("staff.col.certified"): t("staff.cert.yes") if r.certified else t("staff.cert.no"),
            t("staff.col.certified_on"): fmt.day(r.certified_on) if r.certified_on else "",
            t("staff.col.grids"): r.grids, t("staff.col.login"): r.username or ""} for r in rows]),
            hide_index=True, width="stretch", height=min(36 + 35 * len(rows), 422))
        st.caption(t("staff.count", n=len(rows), uncert=sum(1 for r in rows if not r.certified)))
    else:
        st.info(t("staff.empty"))

    if CAN_EDIT:
        with session_scope() as s:
            everyone = roster.roster(session=s, user=user.username, day=day, unit_id=unit.id)
        homes = {u.id: f"{name_of(u)} · {t('level.' + u.level)}" for u in scope_units(user.scope_code, "community")}
        grids = {u.id: f"{u.code} · {name_of(u)}" for u in scope_units(user.scope_code, "grid") if u.level == "grid"}
        by_id = {r.id: r for r in everyone}
        with st.expander(t("staff.edit"), icon=":material/badge:"):
            pick = st.selectbox(t("staff.pick"), [0] + list(by_id), key=f"sf_pick_{lang()}",
                                format_func=lambda i: t("staff.new") if not i else f"{by_id[i].code} · {by_id[i].name}")
            r = by_id.get(pick)
            if r is not None:
                ss.setdefault(f"sf_ver_{r.id}", r.version)  # the version the user started from
            with st.form(f"staff_form_{pick}"):
                c1, c2, c3 = st.columns(3)
                code = c1.text_input(t("staff.f.code"), value=r.code if r else "", max_chars=40, key=f"sf_code_{pick}")
                name = c2.text_input(t("staff.f.name"), value=r.name if r else "", max_chars=60, key=f"sf_name_{pick}")
                stype = c3.selectbox(t("staff.f.type"), STAFF_TYPES, key=f"sf_stype_{pick}_{lang()}",
                                     index=STAFF_TYPES.index(r.staff_type) if r else 0,
                                     format_func=lambda x: t(f"staff.type.{x}"))
                home_ids = list(homes)
                home_default = r.unit_id if r and r.unit_id in homes else home_ids[0]
                home = st.selectbox(t("staff.f.unit"), home_ids, index=home_ids.index(home_default),
                                    format_func=homes.get, key=f"sf_home_{pick}_{lang()}")
                c4, c5, c6, c7 = st.columns(4)
                full = c4.checkbox(t("staff.f.full_time"), value=r.full_time if r else True, key=f"sf_full_{pick}")
                active = c5.checkbox(t("staff.f.active"), value=r.active if r else True, key=f"sf_active_{pick}")
                cert = c6.checkbox(t("staff.f.certified"), value=r.certified if r else False, key=f"sf_cert_{pick}")
                cert_on = c7.date_input(t("staff.f.certified_on"), value=r.certified_on if r else None,
                                        max_value=today, key=f"sf_certon_{pick}", format="YYYY-MM-DD")
                if st.form_submit_button(t("staff.save"), type="primary", key=f"sf_save_{pick}"):
                    try:
                        with session_scope() as s:
                            user_id = None
                            if r is not None and r.username:
                                user_id = roster.user_id_of(session=s, username=r.username)
                            saved = roster.save_staff(
                                session=s, user=user.username, now=roster.now(), code=code, name=name, staff_type=stype,
                                unit_id=home, full_time=full, certified=cert, certified_on=cert_on, active=active,
                                user_id=user_id, staff_id=r.id if r else None,
                                expected_version=ss.get(f"sf_ver_{r.id}") if r else None)
                            ss[f"sf_ver_{saved.id}"] = saved.version
                            saved_code = saved.code
                        flash("success", t("staff.saved", code=fmt.md(saved_code)))
                    except ConcurrentEdit:
                        ss.pop(f"sf_ver_{r.id}", None)
                        flash("warning", t("staff.conflict", code=fmt.md(r.code if r else code)))
                    except SERVICE_ERRORS as err:
                        flash("error", err_text(err))
                    st.rerun()
        if by_id and grids:
            with st.expander(t("staff.assign"), icon=":material/assignment_ind:"):
                with st.form("assign_form"):
                    a1, a2 = st.columns(2)
                    who = a1.selectbox(t("staff.pick"), list(by_id), key="as_staff",
                                       format_func=lambda i: f"{by_id[i].code} · {by_id[i].name}")
                    gid = a2.selectbox(t("staff.f.grid"), list(grids), format_func=grids.get, key=f"as_grid_{lang()}")
                    a3, a4, a5 = st.columns(3)
                    start = a3.date_input(t("staff.f.start"), value=day, key="as_start", format="YYYY-MM-DD")
                    end = a4.date_input(t("staff.f.end"), value=None, key="as_end", format="YYYY-MM-DD")
                    lead = a5.checkbox(t("staff.f.lead"), key="as_lead")
                    if st.form_submit_button(t("staff.assign_save"), type="primary", key="as_save"):
                        try:
                            with session_scope() as s:
                                roster.save_assignment(session=s, user=user.username, now=roster.now(), staff_id=who,
                                                       grid_id=gid, start_on=start, end_on=end, lead=lead)
                            flash("success", t("staff.assigned", code=fmt.md(by_id[who].code),
                                               grid=fmt.md(grids[gid])))
                        except SERVICE_ERRORS as err:
                            flash("error", err_text(err))
                        st.rerun()
        if grids:
            with st.expander(t("staff.profile"), icon=":material/holiday_village:"):
                with st.form("profile_form"):
                    p1, p2, p3 = st.columns(3)
                    gid = p1.selectbox(t("staff.f.grid"), list(grids), format_func=grids.get, key=f"gp_grid_{lang()}")
                    area = p2.selectbox(t("staff.f.area"), AREA_TYPES, format_func=lambda x: t(f"staff.area.{x}"),
                                        key=f"gp_area_{lang()}")
                    key_area = p3.checkbox(t("staff.f.key_area"), key="gp_key")
                    if st.form_submit_button(t("staff.save"), type="primary", key="gp_save"):
                        try:
                            with session_scope() as s:
                                roster.save_grid_profile(session=s, user=user.username, now=roster.now(), grid_id=gid,
                                                         area_type=area, key_area=key_area,
                                                         expected_version=roster.profile_version(session=s,
                                                                                                 grid_id=gid))
                            flash("success", t("staff.profile_saved", grid=fmt.md(grids[gid])))
                        except ConcurrentEdit:
                            flash("warning", t("staff.conflict", code=fmt.md(grids[gid])))
                        except SERVICE_ERRORS as err:
                            flash("error", err_text(err))
                        st.rerun()

# --- staffing rules ---------------------------------------------------------------------------
with tabs[1]:
    with session_scope() as s:
        breaches = roster.grid_breaches(session=s, user=user.username, day=day, unit_id=unit.id)

    def detail(b) -> str:
        parts = [t(f"staff.detail.{k}", n=v) for k, v in b.detail.items()
                 if k in ("officers", "auxiliaries", "required", "people", "grid_workers", "residents")]
        return "，".join(parts) if lang() == "zh" else ", ".join(parts)

    if breaches:
        st.caption(t("staff.rules.count", n=len(breaches), units=len({b.unit_id for b in breaches})))
        st.dataframe(pd.DataFrame([{
            t("staff.col.unit_code"): f"{b.unit_code} · {uname(b.unit_name, b.unit_name_en)}", t("staff.col.level"): t(f"level.{b.level}"),
            t("staff.col.rule"): t(f"staff.rule.{b.rule}"), t("staff.col.detail"): detail(b)} for b in breaches]),
            hide_index=True, width="stretch", height=min(36 + 35 * len(breaches), 422))
    else:
        st.success(t("staff.rules.none"))

# --- presence ---------------------------------------------------------------------------------
with tabs[2]:
    st.caption(t("staff.presence.note"))
    n_weeks = st.slider(t("staff.presence.weeks"), 1, 8, 4, key="pr_weeks")
    last = min(day, today - timedelta(days=1))  # days that are over
    first = last - timedelta(days=last.weekday()) - timedelta(weeks=n_weeks - 1)
    with session_scope() as s:
        weeks = presence.officer_weeks(session=s, user=user.username, day0=first, day1=last, unit_id=unit.id)

    def flag(w) -> str:
        out = []
        if w.daily_ok is False:
            out.append(t("staff.flag.short_days"))
        if w.rural_ok is False:
            out.append(t("staff.flag.short_rural"))
        return "⚠ " + "；".join(out) if out else ("✓ " + t("staff.flag.ok") if w.working_days else "")

    if weeks:
        st.dataframe(pd.DataFrame([{
            t("staff.col.officer"): w.name, t("staff.col.week"): f"{w.week // 100}-W{w.week % 100:02d}",
            t("staff.col.hours"): w.hours, t("staff.col.per_day"): w.hours_per_day,
            t("staff.col.days_3h"): f"{w.days_3h}/{w.working_days}",
            t("staff.col.rural"): f"{w.rural_sessions}/{2 * w.rural_grids}" if w.rural_grids else "—",
            t("staff.col.flag"): flag(w)} for w in weeks]),
            hide_index=True, width="stretch", height=min(36 + 35 * len(weeks), 422))
    else:
        st.info(t("staff.presence.empty"))

# --- meetings ---------------------------------------------------------------------------------
with tabs[3]:
    st.caption(t("staff.meet.note"))
    months = months_upto(day)
    ended = {m for m in months if m < month_of(day)}
    with session_scope() as s:
        comms = meetings.meetings_by_community(session=s, user=user.username, months=months, ended=ended,
                                               unit_id=unit.id)
    comms = sorted(comms, key=lambda c: (-len(c.missing), c.code))  # communities with missing months first
    if comms:
        def cell(c, m):
            n = c.held.get(m, 0)
            return f"✓ {n}" if n else (f"✗ {t('staff.meet.missing')}" if m in ended else "")

        table = pd.DataFrame([{t("staff.col.unit_code"): f"{c.code} · {uname(c.name, c.name_en)}",
                               **{f"{m // 100}-{m % 100:02d}": cell(c, m) for m in months}} for c in comms])
        st.dataframe(table.style.map(lambda v: "background-color: #fde2e1; color: #9b1c1c"
                                     if isinstance(v, str) and v.startswith("✗") else ""),
                     hide_index=True, width="stretch", height=min(36 + 35 * len(comms), 422))
        st.caption(t("staff.meet.count", n=len(comms), k=sum(1 for c in comms if c.missing)))
    else:
        st.info(t("staff.meet.none"))
    if CAN_EDIT and comms:
        names = {c.community_id: f"{c.code} · {uname(c.name, c.name_en)}" for c in comms}
        with st.expander(t("staff.meet.new"), icon=":material/groups:"):
            with st.form("meeting_form"):
                m1, m2 = st.columns(2)
                cid = m1.selectbox(t("staff.f.community"), list(names), format_func=names.get, key=f"mt_comm_{lang()}")
                held = m2.date_input(t("staff.f.held_on"), value=day, max_value=today, key="mt_day",
                                     format="YYYY-MM-DD")
                attendees = st.text_input(t("staff.f.attendees"), max_chars=1000, key="mt_att")
                risks = st.text_area(t("staff.f.risks"), max_chars=2000, height=68, key="mt_risks")
                st.markdown(t("staff.f.tasks"))
                tasks = st.data_editor(pd.DataFrame({"task": [""], "owner": [""]}), num_rows="dynamic",
                                       key="mt_tasks", width="stretch", column_config={
                                           "task": st.column_config.TextColumn(t("staff.f.task"), max_chars=300),
                                           "owner": st.column_config.TextColumn(t("staff.f.owner"), max_chars=60)})
                if st.form_submit_button(t("staff.meet.save"), type="primary", key="mt_save"):
                    items = [{"task": (x.get("task") or "").strip(), "owner": (x.get("owner") or "").strip()}
                             for x in tasks.fillna("").to_dict("records")]
                    try:
                        with session_scope() as s:
                            meetings.record_meeting(session=s, user=user.username, community_id=cid, held_on=held,
                                                    attendees=attendees, risks=risks or None, tasks=items,
                                                    now=roster.now(),
                                                    client_token=token("mt", cid, held, attendees, risks, items))
                        flash("success", t("staff.meet.saved", community=fmt.md(names[cid]), day=fmt.day(held)))
                    except SERVICE_ERRORS as err:
                        flash("error", err_text(err))
                    st.rerun()
