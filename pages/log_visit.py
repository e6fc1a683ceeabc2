"""走访登记 Log a visit: find a household, fill the e-form (FormItem rows), submit once; drafts saved as you type."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import run_in_transaction, session_scope
from data_access.core.errors import (
    ConcurrentEdit,
    DatabaseError,
    FormInvalid,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from data_access.fieldwork import needs as needs_mod
from data_access.fieldwork import visit_form as vf
from data_access.fieldwork.derive import is_night
from data_access.fieldwork.models import CATEGORIES
from ui import flash
from ui import format as fmt
from ui import visit_form as form
from ui.auth import require, roles_for
from ui.errors import by_field, db_problem, message
from ui.i18n import need_categories, need_category_label, risk_label, t, translated

user = require(roles=roles_for("log_visit"))  # officers only; stops here otherwise

ss = st.session_state
NEED_CATS = [c for c, _zh, _en, active in need_categories() if active]  # the admin's list, in its order
DEFAULT_DURATION = 30  # minutes, the form's default visit duration


def draft_key(hid: int) -> str:
    return f"household-{hid}"  # one draft per officer and household: reopening it anywhere resumes it


def P(name: str) -> str:  # noqa: N802 - widget key of the current form
    return f"{ss['lv']['prefix']}{name}"


def new_prefix(hid: int) -> str:
    ss["lv_gen"] = ss.get("lv_gen", 0) + 1
    return f"lv{hid}g{ss['lv_gen']}_"


def hold(hit) -> None:
    """Keep ``hit`` and its bookings for the form (its parts, fragments, read them; the page sets them
    on a whole run, a submit after the visit changed the household)."""
    ss["lv_hit"], ss["lv_bookings"] = hit, form.bookings(user.username, hit.id)


def start_form(hit, draft: dict | None, items: list[form.Item], now: datetime) -> None:
    """A fresh form for ``hit`` (seeded from ``draft`` when there is one)."""
    d = vf.VisitInput.from_dict(draft) if draft else vf.VisitInput()
    old = ss.get("lv", {}).get("prefix")
    for k in [k for k in ss if old and isinstance(k, str) and k.startswith(old)]:
        del ss[k]  # the previous form's entries (those never drawn are not dropped by Streamlit)
    token = d.client_token if isinstance(d.client_token, str) and vf.TOKEN_RE.match(d.client_token) else None
    ss["lv"] = {"hid": hit.id, "code": hit.code, "prefix": new_prefix(hit.id), "token": token or vf.new_token(),
                "resumed": draft is not None, "fresh": False, "needs": []}
    ss["lv_errors"], ss["lv_top_error"], ss["lv_fix_n"] = {}, None, None
    visited = d.visited_at if isinstance(d.visited_at, datetime) else now
    ss[P("date")], ss[P("time")] = visited.date(), visited.time().replace(second=0, microsecond=0)
    for name, v in (("id_shown", d.id_shown), ("bodycam", d.bodycam_on)):
        ss[P(name)] = None if v is None else (form.YES if v else form.NO)
    try:
        ss[P("sat")] = int(d.satisfaction) if d.satisfaction not in (None, "") else None
    except (TypeError, ValueError):
        ss[P("sat")] = None
    ss[P("appt")] = d.appointment_id
    try:  # seed 002: time in the grid; a usual household visit takes about half an hour
        ss[P("dur")] = int(d.duration_min) if d.duration_min not in (None, "") else DEFAULT_DURATION
    except (TypeError, ValueError):
        ss[P("dur")] = DEFAULT_DURATION
    ss[P("just")] = d.justification or ""
    ss[P("late")] = d.late_entry_reason or ""
    changes = d.household_changes if isinstance(d.household_changes, dict) else {}
    ss[P("addr")] = changes.get("address", hit.address)
    ss[P("cat")] = changes.get("category", hit.category)
    form.seed(items, ss["lv"]["prefix"], d.answers if isinstance(d.answers, dict) else {})
    for n in d.needs:
        add_need_row(n.category, n.description)


def add_need_row(category=None, description=None) -> None:
    rid = max(ss["lv"]["needs"], default=0) + 1
    ss["lv"]["needs"].append(rid)
    ss[P(f"n{rid}_cat")] = category if category in NEED_CATS else None
    ss[P(f"n{rid}_desc")] = description or ""


def gather() -> vf.VisitInput:
    """What the officer has typed so far, as the service's input."""
    lv, hit = ss["lv"], ss["lv_hit"]
    day, tm = ss.get(P("date")), ss.get(P("time"))
    visited = datetime.combine(day, tm) if day is not None and tm is not None else None

    def yn(name):
        v = ss.get(P(name))
        return None if v is None else v == form.YES

    appt_id = ss.get(P("appt"))
    booking = next((b for b in ss.get("lv_bookings", []) if b.id == appt_id), None)
    changes = {}
    addr = (ss.get(P("addr")) or "").strip()
    if addr != hit.address:
        changes["address"] = addr
    if ss.get(P("cat")) and ss.get(P("cat")) != hit.category:
        changes["category"] = ss.get(P("cat"))
    return vf.VisitInput(
        household_id=lv["hid"], visited_at=visited, id_shown=yn("id_shown"), bodycam_on=yn("bodycam"),
        satisfaction=ss.get(P("sat")), duration_min=ss.get(P("dur")), appointment_id=booking.id if booking else None,
        appointment_made_at=booking.made_at if booking else None,
        justification=(ss.get(P("just")) or "").strip() or None,
        late_entry_reason=(ss.get(P("late")) or "").strip() or None,
        answers=form.read_answers(form.form_items(), lv["prefix"]),
        needs=[vf.NeedInput(ss.get(P(f"n{r}_cat")), (ss.get(P(f"n{r}_desc")) or "").strip() or None)
               for r in lv["needs"]],
        client_token=lv["token"], household_changes=changes, household_version=hit.version)


def _validate(data: vf.VisitInput, now: datetime):
    with session_scope() as s:
        items, settings = vf.load_form(session=s), vf.load_settings(session=s)
    return vf.validate_visit(data, now=now, items=items, settings=settings)


def changed(part: str) -> None:
    """on_change of every field of ``part``: save the draft to the database (resumable on another
    laptop). Only that part of the form runs again; when messages outside it change too (a field
    fixed after a refused submit; a draft saved again after a failure, whose warning stands under
    another part), the whole form is drawn again. A failure alone is not: its warning shows under
    this part, and a whole run while the database is away would replace the form by its message."""
    lv = ss["lv"]
    lv["fresh"], lv["edited"] = False, part
    errors, failed = ss.get("lv_errors") or {}, bool(ss.get("lv_draft_error"))
    try:
        _save_draft(lv, part)
    finally:
        if (ss.get("lv_errors") or {}) != errors or (failed and not ss.get("lv_draft_error")):
            ss["lv_redraw"] = True


def _save_draft(lv: dict, part: str) -> None:
    data = gather()
    try:
        with session_scope() as s:
            vf.save_draft(session=s, user=user.username, draft_key=draft_key(lv["hid"]), payload=data,
                          now=now_local())
        lv.setdefault("saved", {})[part] = now_local()
        ss["lv_draft_error"] = None
    except (ValidationError, PermissionDenied, NotFound) as exc:
        ss["lv_draft_error"] = message(exc)
    except DatabaseError as exc:
        refused(exc, data, "lv_draft_error")
        return
    ss.pop("lv_unsaved", None)
    if ss.get("lv_errors"):  # fixed fields lose their message at once, and the count above submit follows
        errors = _validate(data, now_local())
        ss["lv_errors"] = by_field(errors)
        if ss.get("lv_fix_n"):
            ss["lv_fix_n"] = len(errors) or None


def refused(exc: DatabaseError, data: vf.VisitInput, slot: str) -> None:
    """The database is restarting, unreachable, full or read-only (else ``exc`` is raised again): the
    message goes to ``slot`` and the entries, with their client token, are kept in the session apart
    from the widgets — a run that fails before drawing the form makes Streamlit drop the widgets'
    values, and the next run that draws it restores them."""
    if not db_problem(exc):
        raise exc
    ss[slot] = message(exc)
    ss["lv_unsaved"] = {"hid": ss["lv"]["hid"], "draft": data.to_dict(), "msg": ss[slot]}


def add_need() -> None:
    add_need_row()
    changed("need")


def remove_need(rid: int) -> None:
    ss["lv"]["needs"].remove(rid)
    changed("need")


def submit() -> None:
    lv = ss["lv"]
    if lv.get("fresh"):  # a second click on a form just submitted and reset: nothing to send
        return
    now = now_local()
    data = gather()
    ss["lv_top_error"] = ss["lv_fix_n"] = None
    try:
        errors = _validate(data, now)  # before anything is written
    except DatabaseError as exc:
        refused(exc, data, "lv_top_error")
        return
    if errors:
        ss["lv_errors"], ss["lv_fix_n"] = by_field(errors), len(errors)
        return
    try:
        def work(s):
            res = vf.submit_visit(session=s, user=user.username, data=data, now=now, draft_key=draft_key(lv["hid"]))
            limits = needs_mod.need_limits(session=s)
            return res, {"code": res.visit.code, "created": res.created, "household": lv["code"],
                         "needs": [(n.code, n.category, needs_mod.deadline_of(n, limits)) for n in res.needs]}

        # two tabs of one draft: the loser of a race is run again and finds the winner's visit
        res, result = run_in_transaction(work)
    except FormInvalid as exc:
        ss["lv_errors"], ss["lv_fix_n"] = by_field(exc), len(exc.errors)
        return
    except (PermissionDenied, ConcurrentEdit, NotFound, ValidationError) as exc:
        ss["lv_top_error"] = message(exc)
        return
    except DatabaseError as exc:
        # the transaction is rolled back whole; the kept token makes a resubmit write the visit
        # exactly once (also when this commit did reach the database and only its answer was lost)
        refused(exc, data, "lv_top_error")
        return
    ss.pop("lv_unsaved", None)
    ss["lv_result"] = result
    flash.wrote()  # this officer's dashboards show the visit at once
    form.load_work.clear()
    if not res.created:  # this draft had been submitted already (e.g. from another laptop)
        with session_scope() as s:
            vf.discard_draft(session=s, user=user.username, draft_key=draft_key(lv["hid"]))
    # the form is reset for the next visit, on the household as the visit left it (its version, any
    # corrected address: the new form's address field is seeded from it)
    hold(form.find_household(user.username, lv["code"]) or ss["lv_hit"])
    start_form(ss["lv_hit"], None, form.form_items(), now)
    ss["lv"]["fresh"] = True


def discard() -> None:
    lv = ss["lv"]
    with session_scope() as s:
        vf.discard_draft(session=s, user=user.username, draft_key=draft_key(lv["hid"]))
    start_form(ss["lv_hit"], None, form.form_items(), now_local())
    ss["lv_notice"] = t("logv.discarded")


def choose(code: str | None) -> None:
    ss.pop("lv", None)
    ss["lv_result"] = None
    if code:
        st.query_params["household"] = code
    else:
        st.query_params.pop("household", None)


# --- page ------------------------------------------------------------------------------------

def draw_visit(items: list[form.Item], errors: dict[str, list[str]]) -> None:
    """The visit itself: when, the process checks, satisfaction, duration; the night and late rules."""
    now = now_local()
    on = partial(changed, "visit")
    err = form.field_errors
    c = st.columns([1.2, 1, 1.3, 1.3])
    with c[0]:
        st.date_input(t("logv.date"), key=P("date"), max_value=now.date(), on_change=on, format="YYYY-MM-DD")
    with c[1]:
        st.time_input(t("logv.time"), key=P("time"), step=60, on_change=on)
    err(errors, "visited_at")
    yes_no = {form.YES: t("logv.yes"), form.NO: t("logv.no")}
    with c[2]:
        st.radio(t("logv.id_shown"), list(yes_no), key=P("id_shown"), horizontal=True, format_func=yes_no.get,
                 on_change=on)
        err(errors, "id_shown")
    with c[3]:
        st.radio(t("logv.bodycam"), list(yes_no), key=P("bodycam"), horizontal=True, format_func=yes_no.get,
                 on_change=on)
        err(errors, "bodycam_on")
    sat_labels = {v: t(f"logv.sat.{v}") for v in range(1, 6)}  # bound labels: format_func must not read the session
    st.radio(t("logv.satisfaction"), list(sat_labels), key=P("sat"), horizontal=True, on_change=on,
             format_func=sat_labels.get)
    err(errors, "satisfaction")
    st.columns([1, 3])[0].number_input(t("logv.duration"), key=P("dur"), min_value=1, max_value=480, step=5,
                                       on_change=on, help=t("logv.duration_help"))
    err(errors, "duration_min")

    data_now = gather()
    visited = data_now.visited_at if isinstance(data_now.visited_at, datetime) else None
    if visited is not None and is_night(visited) or errors.get("appointment_made_at") or errors.get("justification"):
        with st.container(border=True):
            st.markdown(f":material/bedtime: {t('logv.night_rule')}")
            opts = [b.id for b in ss["lv_bookings"]]
            labels = {b.id: t("logv.booking", at=b.scheduled_at.strftime("%m-%d %H:%M"),
                              made=b.made_at.strftime("%m-%d %H:%M")) for b in ss["lv_bookings"]}
            if ss.get(P("appt")) not in opts:
                ss[P("appt")] = None
            st.selectbox(t("logv.appointment"), opts, key=translated(P("appt")), format_func=labels.get,
                         on_change=on, placeholder=t("logv.no_booking") if not opts else t("logv.pick_booking"))
            err(errors, "appointment_made_at")
            err(errors, "appointment_id")
            st.text_area(t("logv.justification"), key=P("just"), max_chars=500, height=68, on_change=on)
            err(errors, "justification")
    if visited is not None and now - visited > timedelta(hours=24) or errors.get("late_entry_reason"):
        st.text_input(t("logv.late_reason"), key=P("late"), max_chars=500, on_change=on)
        err(errors, "late_entry_reason")
    st.caption(t("logv.entry_time"))


def draw_info(items: list[form.Item], errors: dict[str, list[str]]) -> None:
    """Part 1: the information check, with corrections to the household record."""
    on = partial(changed, "info")
    err = form.field_errors
    st.subheader(t("logv.part.info"))
    form.render_section(items, "info", ss["lv"]["prefix"], on, errors)
    c = st.columns([3, 1.4])
    with c[0]:
        st.text_input(t("logv.address"), key=P("addr"), max_chars=200, on_change=on)
        err(errors, "household.address")
    with c[1]:
        cat_labels = {c: t(f"hh_cat.{c}") for c in CATEGORIES}
        st.selectbox(t("logv.category"), list(cat_labels), key=translated(P("cat")), on_change=on,
                     format_func=cat_labels.get)
        err(errors, "household.category")
    err(errors, "household_version")


def draw_hazard(items: list[form.Item], errors: dict[str, list[str]]) -> None:
    """Part 2: hazards."""
    st.subheader(t("logv.part.hazard"))
    form.render_section(items, "hazard", ss["lv"]["prefix"], partial(changed, "hazard"), errors)


def draw_need(items: list[form.Item], errors: dict[str, list[str]]) -> None:
    """Part 3: residents' needs (form items, then any number of needs for the tracker)."""
    on = partial(changed, "need")
    err = form.field_errors
    st.subheader(t("logv.part.need"))
    form.render_section(items, "need", ss["lv"]["prefix"], on, errors)
    need_labels = {c: need_category_label(c) for c in NEED_CATS}
    for i, rid in enumerate(ss["lv"]["needs"]):
        c = st.columns([1.6, 4, 0.9], vertical_alignment="bottom")
        with c[0]:
            st.selectbox(t("logv.need_category", n=i + 1), NEED_CATS, key=translated(P(f"n{rid}_cat")),
                         on_change=on, format_func=need_labels.get, placeholder=t("logv.pick_category"))
            err(errors, f"needs[{i}].category")
        with c[1]:
            st.text_input(t("logv.need_description"), key=P(f"n{rid}_desc"), max_chars=1000, on_change=on)
            err(errors, f"needs[{i}].description")
        with c[2]:
            st.button(t("logv.remove_need"), key=P(f"n{rid}_rm"), on_click=remove_need, args=(rid,),
                      width="stretch")
    err(errors, "needs")
    st.button(t("logv.add_need"), key=P("add_need"), on_click=add_need, icon=":material/add:")


PARTS = {"visit": draw_visit, "info": draw_info, "hazard": draw_hazard, "need": draw_need}


@st.fragment
def form_part(part: str, items: list[form.Item]) -> None:
    """One part of the form, a fragment of its own: an answer reruns its part only (the draft is
    saved by the answer's callback), not the page's frame, household lookup, bookings and the other
    parts — the form is answered a click at a time. Under each part: when its last change was
    saved, or why the draft could not be saved (under the part being edited, where the officer is
    looking; another part's status would be left stale by a run of this one)."""
    if ss.pop("lv_redraw", False):  # messages outside this part changed: draw the whole form
        st.rerun(scope="app")
    PARTS[part](items, ss.get("lv_errors") or {})
    lv = ss["lv"]
    saved = lv.get("saved", {}).get(part)
    if ss.get("lv_draft_error") and lv.get("edited") == part:
        st.warning(t("logv.draft_failed", reason=ss["lv_draft_error"]))
    elif saved:
        st.caption(t("logv.part_saved", time=saved.strftime("%H:%M:%S")))


def visit_form(items: list[form.Item]) -> None:
    """The form of the chosen household: notices, the four parts, submit (a whole run: the form is
    reset or its messages shown everywhere)."""
    ss.pop("lv_redraw", None)  # this run draws every part anyway
    lv = ss["lv"]
    result = ss.get("lv_result")
    if result:
        lines = [t("logv.done_again" if not result["created"] else "logv.done", code=result["code"],
                   household=fmt.md(result["household"]))]
        lines += [t("logv.done_need", code=c, category=fmt.md(need_category_label(cat)),
                    due=due.strftime("%Y-%m-%d %H:%M")) for c, cat, due in result["needs"]]
        (st.success if result["created"] else st.info)("  \n".join(lines))
    if lv.get("resumed") and not lv.get("fresh"):
        st.info(t("logv.resumed"))
    if ss.get("lv_notice"):
        st.info(ss.pop("lv_notice"))
    for part in PARTS:
        form_part(part, items)

    # --- submit
    errors: dict[str, list[str]] = ss.get("lv_errors") or {}
    st.divider()
    if ss.get("lv_fix_n"):
        st.error(t("logv.fix_errors", n=ss["lv_fix_n"]))
    elif ss.get("lv_top_error"):
        st.error(ss["lv_top_error"])
    for field in ("household_id", "client_token"):
        form.field_errors(errors, field)
    c = st.columns([2, 2, 5], vertical_alignment="center")
    c[0].button(t("logv.submit"), key="lv_submit", type="primary", on_click=submit, width="stretch",
                icon=":material/send:")
    c[1].button(t("logv.discard"), key="lv_discard", on_click=discard, width="stretch")
    c[2].caption(t("logv.autosave"))


st.title(t("logv.title"))
now = now_local()
code = st.query_params.get("household")
hit = form.find_household(user.username, code) if code else None
if code and hit is None:
    st.error(t("logv.not_found", code=fmt.md(code)))
if hit is None:
    st.subheader(t("logv.find"))
    q = st.text_input(t("logv.search"), key="lv_q", placeholder=t("logv.search_hint"))
    if not q.strip():
        st.caption(t("logv.search_intro"))
        st.stop()
    try:
        hits = form.search(user.username, q)
    except ValidationError as exc:
        st.error(message(exc))
        st.stop()
    if not hits:
        st.info(t("logv.no_hits"))
        st.stop()
    for h in hits:
        c1, c2, c3 = st.columns([5, 3, 1.4], vertical_alignment="center")
        c1.markdown(f"**{fmt.md(h.code)}** · {fmt.md(h.address)}")
        c2.markdown(f"{risk_label(h.risk_level)} · {fmt.md('、'.join(h.residents)) or '—'}")
        c3.button(t("logv.choose"), key=f"lv_pick_{h.id}", on_click=choose, args=(h.code,), width="stretch")
    st.stop()

items = form.form_items()
hold(hit)
unsaved = ss.get("lv_unsaved")
if unsaved and unsaved["hid"] == hit.id and ss.get("lv", {}).get("hid") == hit.id and P("date") not in ss:
    start_form(hit, unsaved["draft"], items, now)  # widgets dropped by a failed run: the entries come back
    ss["lv_top_error"] = unsaved["msg"]
elif ss.get("lv", {}).get("hid") != hit.id:
    with session_scope() as s:
        draft = vf.load_draft(session=s, user=user.username, draft_key=draft_key(hit.id))
    start_form(hit, draft, items, now)

top = st.columns([6, 1.6], vertical_alignment="center")
top[0].markdown(f"#### {fmt.md(hit.code)} · {fmt.md(hit.address)}  \n{risk_label(hit.risk_level)} · "
                f"{fmt.md('、'.join(hit.residents)) or t('logv.no_residents')}")
top[1].button(t("logv.change_household"), on_click=choose, args=(None,), width="stretch")
visit_form(items)
