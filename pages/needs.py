"""需求跟踪 Needs: the residents' needs in the user's scope with the response clock (48 h; an alarm 5 min), one need's
history and the steps the user's role may take on it (optimistic locking: a step carries the
version the user saw; if someone else changed the need first, nothing is overwritten, the typed
note stays and the fresh state is shown)."""
from __future__ import annotations

from datetime import datetime
from functools import partial

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied, ValidationError
from data_access.fieldwork import needs as svc
from data_access.fieldwork.models import Need
from data_access.org import users
from data_access.org.models import OrgUnit
from ui import flash as flashes
from ui import format as fmt
from ui.auth import require, roles_for
from ui.errors import message
from ui.i18n import lang, need_category_label, t, t_opt
from ui.kpi import STATUS_BG
from ui.pickers import unit_picker

user = require(roles=roles_for("needs"))  # stops here unless signed in with an allowed role

STATUSES = svc.NON_FINAL + svc.FINAL
DEADLINES = ("overdue", "near", "open_clock")
LIMIT = 500  # rows fetched (oldest raised first); more → ask the user to narrow the filters
RED, AMBER = STATUS_BG["off_track"], STATUS_BG["at_risk"]
FLASH = "needs"  # ui.flash: the outcome of a click, shown after the rerun
SERVICE_ERRORS = (ValidationError, InvalidTransition, PermissionDenied, NotFound)


def ts(v: datetime | None) -> str:
    return "—" if v is None else f"{v:%Y-%m-%d %H:%M}"


def status_label(s: str) -> str:
    return t_opt(f"needs.status.{s}", "status.unknown")


def clock_key(d: svc.Deadline, status: str) -> str:
    if status in ("withdrawn", "duplicate"):
        return "none"
    if d.responded:
        return "met" if d.met else "late"
    return "overdue" if d.overdue else ("near" if d.near else "running")


def url_list(param: str, allowed, default=()) -> list[str]:
    """A comma-separated filter from the URL; absent → ``default``; "all" → no filter."""
    raw = st.query_params.get(param)
    if raw is None:
        return list(default)
    return [v for v in raw.split(",") if v in allowed]


@st.cache_data(ttl=5, show_spinner=False)
def load_needs(scope_code: str, username: str, unit_id: int, statuses: tuple[str, ...],
               categories: tuple[str, ...], deadline: str | None, now: datetime) -> list[svc.NeedRow]:
    """The filtered list (cache key: the user's scope and every filter; cleared after each write)."""
    with session_scope() as s:
        return svc.list_needs(session=s, user=username, now=now, statuses=list(statuses) or None,
                              categories=list(categories) or None, unit_id=unit_id, deadline_filter=deadline,
                              limit=LIMIT)


flash = partial(flashes.keep, FLASH)


def show_flash(msg, need: Need | None = None) -> None:
    """The outcome of the last click (shown once). A conflict on the need on screen names its fresh state."""
    if not msg:
        return
    kind, text, need_id, code = msg
    if kind == "conflict" and need is not None and need.id == need_id:
        st.warning(t("needs.conflict", status=status_label(need.status), v=need.version))
    elif kind == "conflict":
        st.warning(t("needs.conflict_elsewhere", code=fmt.md(code)))
    else:
        getattr(st, kind)(text)


def do_step(username: str, need_id: int, code: str, action: str, seen_version: int) -> None:
    """Button callback: one state-machine step at the version the user saw."""
    note = st.session_state.get(f"need_note_{need_id}") or None
    dup = st.session_state.get(f"need_dup_{need_id}") if action == "mark_duplicate" else None
    try:
        with session_scope() as s:
            svc.transition(session=s, user=username, need_id=need_id, action=action, expected_version=seen_version,
                           now=now_local(), note=note, duplicate_of=dup)
    except ConcurrentEdit:
        flash("conflict", "", need_id, code)  # the note stays in its box
    except SERVICE_ERRORS as e:
        flash("error", message(e), need_id, code)
    else:
        st.session_state[f"need_note_{need_id}"] = ""
        flash("success", t("needs.done", action=t(f"needs.action.{action}"), code=code), need_id, code)
    load_needs.clear()


def do_note(username: str, need_id: int, code: str) -> None:
    note = st.session_state.get(f"need_note_{need_id}") or ""
    try:
        with session_scope() as s:
            svc.add_note(session=s, user=username, need_id=need_id, note=note, now=now_local())
    except SERVICE_ERRORS as e:
        flash("error", message(e), need_id, code)
    else:
        st.session_state[f"need_note_{need_id}"] = ""
        flash("success", t("needs.note_saved", code=code), need_id, code)


def do_assign(username: str, need_id: int, code: str, seen_version: int) -> None:
    assignee = st.session_state.get(f"need_assignee_{need_id}")
    try:
        with session_scope() as s:
            svc.assign(session=s, user=username, need_id=need_id, assignee_id=assignee or None,
                       expected_version=seen_version, now=now_local())
    except ConcurrentEdit:
        flash("conflict", "", need_id, code)
    except SERVICE_ERRORS as e:
        flash("error", message(e), need_id, code)
    else:
        flash("success", t("needs.assigned", code=code), need_id, code)
    load_needs.clear()


def load_detail(username: str, need_id: int):
    """The need as it is now (never cached), its history and who could handle it."""
    with session_scope() as s:
        events = svc.history(session=s, user=username, need_id=need_id)  # scope-checked
        need = s.get(Need, need_id)
        s.expunge(need)
        grid = s.get(OrgUnit, need.grid_id)
        limits = svc.need_limits(session=s)
        people = users.handlers_of(session=s, unit_path=grid.path)
        names = users.display_names(session=s, ids={need.assignee_id})
        candidates = {uid: f"{name}（{uname}）" if lang() == "zh" else f"{name} ({uname})"
                      for uid, name, uname in people}
    return need, events, limits, candidates, names


# --- filters (all in the URL, so a filtered view is a link) ---------------------------------------

st.title(t("needs.title"))
last_click = flashes.take(FLASH)
now = now_local().replace(second=0)
# two rows: the multiselects need the width to show every chosen status (at 1366 px a fourth chip hid)
c_unit, c_deadline = st.columns([3, 2], vertical_alignment="bottom")
c_status, c_cat = st.columns([1, 1], vertical_alignment="bottom")
with c_unit:
    unit = unit_picker(user)
with c_status:
    statuses = st.multiselect(t("needs.filter.status"), STATUSES, default=url_list("status", STATUSES, svc.NON_FINAL),
                              format_func=status_label, key=f"needs_status_{lang()}",
                              placeholder=t("needs.filter.any"))
with c_deadline:
    dl_options = ("",) + DEADLINES
    dl_default = st.query_params.get("deadline") if st.query_params.get("deadline") in DEADLINES else ""
    deadline = st.selectbox(t("needs.filter.deadline"), dl_options, index=dl_options.index(dl_default),
                            format_func=lambda d: t(f"needs.deadline.{d}") if d else t("needs.filter.any"),
                            key=f"needs_deadline_{lang()}")
with c_cat:
    categories = st.multiselect(t("needs.filter.category"), svc.CATEGORIES, default=url_list("category", svc.CATEGORIES),
                                format_func=need_category_label, key=f"needs_cat_{lang()}",
                                placeholder=t("needs.filter.any"))
status_param = "" if set(statuses) == set(svc.NON_FINAL) else (",".join(statuses) or "all")
for param, value in (("status", status_param), ("deadline", deadline), ("category", ",".join(categories))):
    if value:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]

with st.spinner(t("needs.loading")):
    try:
        rows = load_needs(user.scope_code, user.username, unit.id, tuple(statuses), tuple(categories),
                          deadline or None, now)
    except SERVICE_ERRORS as e:
        st.error(message(e))
        st.stop()

if not rows:
    show_flash(last_click)
    st.info(t("needs.empty"))
    st.stop()

URGENCY = {"overdue": 0, "near": 1, "running": 2}
rows = sorted(rows, key=lambda r: (URGENCY.get(clock_key(r.deadline, r.status), 3), r.deadline.due_at, r.id))
clocks = [clock_key(r.deadline, r.status) for r in rows]
st.caption(t("needs.count", n=len(rows), overdue=clocks.count("overdue"), near=clocks.count("near")))
if len(rows) >= LIMIT:
    st.warning(t("needs.truncated", n=len(rows)))

def time_left(dl, k: str) -> str:
    """Time left to the deadline (48 h; 5 min for an alarm), or how long it is overdue (minutes under
    an hour, days once it is two or more)."""
    hours = abs(dl.remaining.total_seconds()) / 3600
    if k == "overdue":
        if hours < 1:
            return t("needs.minutes_over", m=fmt.count(int(hours * 60)))
        return (t("needs.days_over", d=fmt.count(int(hours // 24))) if hours >= 48
                else t("needs.hours_over", h=fmt.number(hours)))
    if k in ("near", "running"):
        if hours < 1:
            return t("needs.minutes_left", m=fmt.count(int(hours * 60)))
        return t("needs.hours_left", h=fmt.number(hours))
    return t(f"needs.clock.{k}")


C = {k: t(f"needs.col.{k}") for k in ("code", "category", "household", "address", "grid", "status", "created",
                                        "due", "remaining", "clock")}
table = pd.DataFrame([{
    C["code"]: r.code, C["status"]: status_label(r.status), C["clock"]: t(f"needs.clock.{k}"),
    C["remaining"]: time_left(r.deadline, k) if k in URGENCY else fmt.NONE,
    C["due"]: ts(r.deadline.due_at), C["category"]: need_category_label(r.category), C["household"]: r.household_code,
    C["address"]: r.address, C["grid"]: r.grid_code, C["created"]: ts(r.created_at),
} for r, k in zip(rows, clocks, strict=True)])


def paint(row: pd.Series) -> list[str]:
    k = clocks[row.name]
    bg = RED if k == "overdue" else AMBER if k == "near" else None
    hot = {C["clock"], C["remaining"], C["due"]}
    return [f"background-color: {bg}; font-weight: 600" if bg and col in hot else "" for col in row.index]


st.dataframe(table.style.apply(paint, axis=1), hide_index=True,
             width="stretch", height=min(36 + 35 * len(rows), 387),
             # the need's code stays in view when the wide table scrolls sideways
             column_config={C["code"]: st.column_config.TextColumn(pinned=True),
                            C["address"]: st.column_config.TextColumn(width="medium")})
st.caption(t("needs.legend"))

# --- one need: detail, history, steps -------------------------------------------------------------

by_id = {r.id: r for r in rows}
ids = list(by_id)
want = st.query_params.get("need")
first = next((i for i, r in enumerate(rows) if r.code == want), 0)
need_id = st.selectbox(t("needs.pick"), ids, index=first, key=f"needs_pick_{lang()}",
                       format_func=lambda i: f"{by_id[i].code} · {need_category_label(by_id[i].category)} · "
                                             f"{status_label(by_id[i].status)}")
st.query_params["need"] = by_id[need_id].code
if want and want not in {r.code for r in rows}:
    st.info(t("needs.gone", code=fmt.md(want)))

try:
    need, events, limits, candidates, names = load_detail(user.username, need_id)
except SERVICE_ERRORS as e:
    st.error(message(e))
    st.stop()
dl = svc.deadline(need, now_local(), limits)
row = by_id[need_id]
st.subheader(t("needs.detail", code=fmt.md(need.code)))
note_key = f"need_note_{need.id}"
show_flash(last_click, need)

left, right = st.columns([2, 3])
with left:
    k = clock_key(dl, need.status)
    left_txt = time_left(dl, k)
    colour = "red" if k in ("overdue", "late") else "orange" if k == "near" else "green" if k == "met" else "gray"
    facts = [
        (t("needs.f.household"), f"{fmt.md(row.household_code)} · {fmt.md(row.address)}"),
        (t("needs.f.category"), fmt.md(need_category_label(need.category))),
        (t("needs.f.status"), f"{status_label(need.status)} · {t('needs.f.version', v=need.version)}"),
        (t("needs.f.created"), ts(need.created_at)),
        (t("needs.f.due"), f"{ts(dl.due_at)} · :{colour}-badge[{left_txt}]"),
        (t("needs.f.responded"), ts(need.responded_at)),
        (t("needs.f.resolved"), ts(need.resolved_at)),
        (t("needs.f.assignee"), fmt.md(names.get(need.assignee_id, t("needs.unassigned"))) if need.assignee_id
         else t("needs.unassigned")),
    ]
    st.markdown("\n".join(f"- **{label}**：{value}" if lang() == "zh" else f"- **{label}**: {value}"
                          for label, value in facts))
    if need.description:
        st.markdown(f"**{t('needs.f.description')}**")
        st.text(need.description)
    if need.note:
        st.markdown(f"**{t('needs.f.resolution')}**")
        st.text(need.note)
with right:
    st.markdown(f"**{t('needs.history')}**")
    if events:
        st.dataframe(pd.DataFrame([{
            t("needs.h.at"): ts(e.at), t("needs.h.user"): e.username,
            t("needs.h.action"): t_opt(f"needs.action.{e.action}", "status.unknown"),
            t("needs.h.change"): (f"{status_label(e.from_status)} → {status_label(e.to_status)}"
                                  if e.from_status and e.to_status and e.from_status != e.to_status
                                  else status_label(e.to_status) if e.to_status else "—"),
            t("needs.h.note"): e.note or "",
        } for e in events]), hide_index=True, width="stretch", height=min(36 + 35 * len(events), 282))
    else:
        st.info(t("needs.history.empty"))

actions = svc.allowed_actions(user.role, need.status)
can_note = "note" in svc.ROLE_ACTIONS.get(user.role, ())
if not can_note:
    st.info(t("needs.read_only"))
    st.stop()
if need.status in svc.FINAL:
    st.info(t("needs.final"))
st.markdown(f"**{t('needs.actions')}**")
st.text_area(t("needs.note"), key=note_key, max_chars=svc.NOTE_MAX, height=90)
if "mark_duplicate" in actions:
    others = [i for i in ids if i != need.id]
    st.selectbox(t("needs.duplicate_of"), others, index=None, key=f"need_dup_{need.id}",
                 placeholder=t("needs.duplicate_pick"),
                 format_func=lambda i: f"{by_id[i].code} · {by_id[i].household_code}")
buttons = st.columns(max(len(actions) + 1, 4))
for col, action in zip(buttons, actions, strict=False):
    col.button(t(f"needs.action.{action}"), key=f"need_act_{action}", on_click=do_step, width="stretch",
               args=(user.username, need.id, need.code, action, need.version),
               type="primary" if action in ("accept", "start", "resolve", "confirm") else "secondary")
buttons[len(actions)].button(t("needs.add_note"), key="need_add_note", on_click=do_note, width="stretch",
                             args=(user.username, need.id, need.code))
if need.status not in svc.FINAL and "assign" in svc.ROLE_ACTIONS.get(user.role, ()) and candidates:
    a_sel, a_btn = st.columns([3, 1], vertical_alignment="bottom")
    options = [0, *candidates]
    a_sel.selectbox(t("needs.assign_to"), options, index=options.index(need.assignee_id or 0)
                    if (need.assignee_id or 0) in options else 0, key=f"need_assignee_{need.id}",
                    format_func=lambda u: candidates.get(u, t("needs.unassigned")))
    a_btn.button(t("needs.assign"), key="need_assign", on_click=do_assign, width="stretch",
                 args=(user.username, need.id, need.code, need.version))
