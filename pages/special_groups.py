"""重点人员 Special groups: households with a risk level in the user's scope (level, reason, last visit,
next visit due, overdue), one household's level history and masked residents; raising or lowering
a level needs a reason (audited); a full ID number or phone is revealed only with a reason
(audited as resident.reveal, the value is never logged) and shown once."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationError
from data_access.fieldwork import residents as svc
from data_access.fieldwork import worklist
from data_access.fieldwork.models import RISK_LEVELS, Household
from data_access.org import users
from ui import flash as flashes
from ui import format as fmt
from ui.auth import require, roles_for
from ui.errors import message
from ui.i18n import lang, t, translated
from ui.kpi import STATUS_BG

user = require(roles=roles_for("special_groups"))  # stops here unless signed in with an allowed role

LEVELS = ("red", "yellow", "blue")
LEVEL_BG = {"red": STATUS_BG["off_track"], "yellow": STATUS_BG["at_risk"], "blue": STATUS_BG["on_track"]}
FLASH = "special"  # ui.flash: the outcome of a click, shown after the rerun
REVEALED = "special_revealed"
SERVICE_ERRORS = (ValidationError, PermissionDenied, NotFound)
REVEAL_FIELDS = ("id_number", "phone")


def ts(v: datetime | None) -> str:
    return "—" if v is None else f"{v:%Y-%m-%d %H:%M}"


def level_label(level: str | None) -> str:
    return t(f"risk.{level or 'none'}")


@st.cache_data(ttl=5, show_spinner=False)
def load_register(scope_code: str, username: str, levels: tuple[str, ...], now: datetime):
    """(rows, visit intervals in days) for the user's scope (cache key: scope + filters; cleared on writes)."""
    with session_scope() as s:
        rows = svc.special_groups(session=s, user=username, now=now, levels=levels)
        return rows, worklist.intervals(session=s)


def next_due(row: svc.SpecialRow, ivl: dict[str, int]) -> datetime | None:
    """The last visit (else the day the level was set) plus the level's interval; None: never visited."""
    base = row.last_visit_at or row.changed_at
    return None if base is None or row.risk_level not in ivl else base + timedelta(days=ivl[row.risk_level])


flash = partial(flashes.keep, FLASH)


def do_level(username: str, household_id: int, code: str, seen_version: int, old: str) -> None:
    level = st.session_state.get(f"special_level_{household_id}")
    reason = st.session_state.get(f"special_reason_{household_id}") or ""
    try:
        with session_scope() as s:
            svc.set_risk_level(session=s, user=username, household_id=household_id, level=level or "",
                               reason=reason, expected_version=seen_version, now=now_local())
    except ConcurrentEdit:
        flash("warning", t("special.conflict"), household_id)  # the reason stays in its box
    except SERVICE_ERRORS as e:
        flash("error", message(e), household_id)
    else:
        st.session_state[f"special_reason_{household_id}"] = ""
        flash("success", t("special.change.done", code=code, old=level_label(old), new=level_label(level)),
              household_id)
    load_register.clear()


def do_reveal(username: str, household_id: int) -> None:
    rid = st.session_state.get(f"special_rv_res_{household_id}")
    field = st.session_state.get(f"special_rv_field_{household_id}")
    reason = st.session_state.get(f"special_rv_reason_{household_id}") or ""
    try:
        with session_scope() as s:
            value = svc.reveal(session=s, user=username, resident_id=rid or 0, field=field or "", reason=reason,
                               now=now_local())
    except SERVICE_ERRORS as e:
        flash("error", message(e), household_id)
    else:
        st.session_state[f"special_rv_reason_{household_id}"] = ""
        st.session_state[REVEALED] = (household_id, field, value)  # shown on the next run only


def load_detail(username: str, household_id: int):
    """The household as it is now (never cached), its level history and masked residents."""
    with session_scope() as s:
        history = svc.risk_history(session=s, user=username, household_id=household_id)  # scope-checked
        people = svc.list_residents(session=s, user=username, household_id=household_id)
        h = s.get(Household, household_id)
        s.expunge(h)
        names = users.display_names(session=s, ids={c.user_id for c in history})
        revealable = {r.id for r in people if svc.can_reveal(session=s, user=username, resident_id=r.id)}
    return h, history, people, names, revealable


st.title(t("special.title"))
last_click = flashes.take(FLASH)
top = st.empty()  # the outcome of a click on a household that left the list is shown up here
if last_click:
    getattr(top, last_click[0])(last_click[1])
now = now_local().replace(second=0)
c_level, c_over = st.columns([3, 2], vertical_alignment="bottom")
with c_level:
    url_levels = [v for v in (st.query_params.get("level") or "").split(",") if v in LEVELS]
    levels = st.multiselect(t("special.filter.level"), LEVELS, default=url_levels or list(LEVELS),
                            format_func=level_label, key=f"special_levels_{lang()}")
with c_over:
    overdue_only = st.toggle(t("special.overdue_only"), value=st.query_params.get("overdue") == "1",
                             key="special_overdue")
if levels and set(levels) != set(LEVELS):
    st.query_params["level"] = ",".join(levels)
elif "level" in st.query_params:
    del st.query_params["level"]
if overdue_only:
    st.query_params["overdue"] = "1"
elif "overdue" in st.query_params:
    del st.query_params["overdue"]

with st.spinner(t("special.loading")):
    try:
        rows, ivl = load_register(user.scope_code, user.username, tuple(levels or LEVELS), now)
    except SERVICE_ERRORS as e:
        st.error(message(e))
        st.stop()

dues = {r.household_id: next_due(r, ivl) for r in rows}
late = {hid for hid, due in dues.items() if due is None or due <= now}
if overdue_only:
    rows = [r for r in rows if r.household_id in late]
if not rows:
    st.info(t("special.empty"))
    st.stop()
st.caption(t("special.count", n=len(rows), overdue=sum(r.household_id in late for r in rows)))

C = {k: t(f"special.col.{k}") for k in ("household", "address", "level", "reason", "changed", "last_visit",
                                        "next_due", "overdue")}
table = pd.DataFrame([{
    C["household"]: r.code, C["level"]: level_label(r.risk_level),
    C["overdue"]: t("special.yes") if r.household_id in late else t("special.no"),
    C["next_due"]: ts(dues[r.household_id]), C["last_visit"]: ts(r.last_visit_at),
    C["reason"]: r.reason or "—", C["changed"]: ts(r.changed_at), C["address"]: r.address,
} for r in rows])


def paint(row: pd.Series) -> list[str]:
    r = rows[row.name]
    out = []
    for col in row.index:
        if col == C["level"]:
            out.append(f"background-color: {LEVEL_BG[r.risk_level]}")
        elif col in (C["overdue"], C["next_due"]) and r.household_id in late:
            out.append(f"background-color: {STATUS_BG['off_track']}; font-weight: 600")
        else:
            out.append("")
    return out


st.dataframe(table.style.apply(paint, axis=1), hide_index=True, width="stretch",
             height=min(36 + 35 * len(rows), 387),
             # the household stays in view when the wide table scrolls sideways; long text gets a fixed width
             column_config={C["household"]: st.column_config.TextColumn(pinned=True),
                            C["reason"]: st.column_config.TextColumn(width="medium"),
                            C["address"]: st.column_config.TextColumn(width="medium")})
st.caption(t("special.legend", red=ivl.get("red", 7), yellow=ivl.get("yellow", 30)))

# --- one household ----------------------------------------------------------------------------------

by_id = {r.household_id: r for r in rows}
ids = list(by_id)
want = st.query_params.get("household")
first = next((i for i, r in enumerate(rows) if r.code == want), 0)
hid = st.selectbox(t("special.pick"), ids, index=first, key=f"special_pick_{lang()}",
                   format_func=lambda i: f"{by_id[i].code} · {level_label(by_id[i].risk_level)} · {by_id[i].address}")
st.query_params["household"] = by_id[hid].code
try:
    house, history, people, names, revealable = load_detail(user.username, hid)
except SERVICE_ERRORS as e:
    st.error(message(e))
    st.stop()

st.subheader(t("special.detail", code=fmt.md(house.code)))
if last_click and last_click[2] == hid:  # shown next to the household instead
    top.empty()
    getattr(st, last_click[0])(last_click[1])
shown = st.session_state.pop(REVEALED, None)

left, right = st.columns([3, 2])
with left:
    st.markdown(f"**{t('special.history')}** · :{house.risk_level if house.risk_level != 'none' else 'gray'}"
                f"-badge[{level_label(house.risk_level)}]".replace(":yellow-badge", ":orange-badge"))
    if history:
        st.dataframe(pd.DataFrame([{
            t("special.h.at"): ts(c.changed_at),
            t("special.h.change"): f"{level_label(c.old_level)} → {level_label(c.new_level)}",
            t("special.h.reason"): c.reason or "—",
            t("needs.h.user"): names.get(c.user_id, "—"),
        } for c in history]), hide_index=True, width="stretch", height=min(36 + 35 * len(history), 247))
    else:
        st.info(t("special.history.empty"))
with right:
    st.markdown(f"**{t('special.residents')}**")
    if people:
        st.dataframe(pd.DataFrame([{
            t("special.r.name"): p.name, t("special.r.id_number"): p.id_number or "—",
            t("special.r.phone"): p.phone or "—"} for p in people]), hide_index=True, width="stretch",
            height=min(36 + 35 * len(people), 212))
    else:
        st.info(t("special.residents.empty"))
    if shown and shown[0] == hid:
        _h, field, value = shown
        if value:
            st.warning(t("special.reveal.shown", field=t(f"special.r.{field}"), value=fmt.md(value)), icon=":material/visibility:")
        else:
            st.info(t("special.reveal.none"))

act_left, act_right = st.columns([3, 2])
with act_left:
    st.markdown(f"**{t('special.change')}**")
    if user.role in svc.RISK_ROLES:
        options = [lv for lv in reversed(RISK_LEVELS) if lv != house.risk_level]
        st.selectbox(t("special.change.level"), options, key=translated(f"special_level_{hid}"), format_func=level_label)
        st.text_area(t("special.change.reason"), key=f"special_reason_{hid}", max_chars=svc.RISK_REASON_MAX,
                     height=80)
        st.button(t("special.change.submit"), key="special_change", type="primary",
                  on_click=do_level, args=(user.username, hid, house.code, house.version, house.risk_level))
    else:
        st.caption(t("special.change.read_only"))
with act_right:
    st.markdown(f"**{t('special.reveal')}**")
    choices = [p for p in people if p.id in revealable]
    if choices:
        st.selectbox(t("special.reveal.resident"), [p.id for p in choices], key=f"special_rv_res_{hid}",
                     format_func=lambda i: next(p.name for p in choices if p.id == i))
        st.radio(t("special.reveal.field"), REVEAL_FIELDS, key=translated(f"special_rv_field_{hid}"), horizontal=True,
                 format_func=lambda f: t(f"special.r.{f}"))
        st.text_input(t("special.reveal.reason"), key=f"special_rv_reason_{hid}", max_chars=svc.REASON_MAX)
        st.button(t("special.reveal.submit"), key="special_reveal", on_click=do_reveal, args=(user.username, hid))
    elif people:
        st.caption(t("special.reveal.not_allowed"))
