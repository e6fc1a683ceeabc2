"""Open grid events and hazards as the Events screen and 我的任务 show them: the countdown in words
and the table with late (red) and near (orange) cells."""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from data_access.core.db import session_scope
from data_access.fieldwork import events as ev

from . import format as fmt
from .i18n import lang, t, t_opt
from .kpi import STATUS_BG

RED, AMBER = STATUS_BG["off_track"], STATUS_BG["at_risk"]


def ts(v: datetime | None) -> str:
    return fmt.NONE if v is None else f"{v:%m-%d %H:%M}"


def span(d: timedelta) -> str:
    """A duration in words: minutes below 2 h, hours below 2 days, then days."""
    s = abs(d.total_seconds())
    if s < 7200:
        return t("events.minutes", m=fmt.count(int(s // 60)))
    if s < 172800:
        return t("events.hours", h=fmt.number(s / 3600))
    return t("events.days", d=fmt.count(int(s // 86400)))


def left_text(c: ev.Clock) -> str:
    return t("events.over", t=span(c.remaining)) if c.late else t("events.left", t=span(c.remaining))


@st.cache_data(ttl=5, show_spinner=False)
def load_open_cases(scope_code: str, username: str, under_path: str | None, kinds: tuple[str, ...],
                    tiers: tuple[str, ...], escalated: bool, now: datetime, limit: int) -> list[ev.OpenCase]:
    """Cache key: the user's scope and every filter; cleared after each write."""
    with session_scope() as s:
        return ev.open_cases(session=s, user=username, now=now, kinds=kinds, tiers=tiers or None,
                             escalated_only=escalated, under_path=under_path, limit=limit)


def case_table(rows: list[ev.OpenCase]) -> None:
    C = {k: t(f"events.col.{k}") for k in ("code", "kind", "tier", "grid", "category", "started", "due", "left",
                                             "escalation")}
    table = pd.DataFrame([{
        C["code"]: r.code, C["kind"]: t(f"events.kind.{r.kind}"), C["tier"]: t(f"events.tier.{r.tier}"),
        C["left"]: left_text(r.clock), C["due"]: ts(r.clock.due_at),
        C["escalation"]: t(f"events.escalation.{r.clock.escalation}") if r.clock.escalation else "",
        C["grid"]: r.grid_name_zh if lang() == "zh" else (r.grid_name_en or r.grid_name_zh),
        C["category"]: t_opt(f"events.cat.{r.category}", "events.cat.other") if r.kind == "event"
        else t("events.cat.hazard"),
        C["started"]: ts(r.started_at),
    } for r in rows])
    late = [r.clock.late for r in rows]
    near = [r.clock.near for r in rows]

    def paint(row: pd.Series) -> list[str]:
        bg = RED if late[row.name] else AMBER if near[row.name] else None
        hot = {C["left"], C["due"], C["escalation"]}
        return [f"background-color: {bg}; font-weight: 600" if bg and col in hot else "" for col in row.index]

    st.dataframe(table.style.apply(paint, axis=1), hide_index=True, width="stretch",
                 height=min(36 + 35 * len(rows), 387), column_config={C["code"]: st.column_config.TextColumn(pinned=True)})
    st.caption(t("events.legend"))


@st.cache_data(ttl=60, show_spinner=False)
def load_time_limits(scope_code: str, unit_code: str, as_of: datetime):
    """The current phase's time-limit figures for the unit and its children (cache key: the user's
    scope, the unit and the minute)."""
    from data_access.org import users
    from data_access.programme.catalog import phase_containing, phases

    with session_scope() as s:
        unit = users.unit_by_code(session=s, code=unit_code)
        phase = phase_containing(phases(session=s), as_of.date())
        if unit is None or phase is None:
            return None
        kids = {k.id: k for k in users.children(session=s, parent=unit)} if unit.level != "grid" else {}
        own, rows = ev.time_limit_summary(
            session=s, unit_id=unit.id, start=datetime.combine(phase.start, datetime.min.time()),
            end=datetime.combine(phase.end, datetime.max.time()), as_of=as_of)
        return phase, unit, own, [(kids[r.unit_id], r) for r in rows if r.unit_id in kids]


def _share(x: ev.InTime) -> str:
    if x.n == 0:
        return fmt.NONE
    share = fmt.value(100.0 * x.k / x.n, "%")
    return f"{share}（{fmt.count(x.k)}/{fmt.count(x.n)}）" if lang() == "zh" else f"{share} ({x.k:,}/{x.n:,})"


def time_limit_panel(scope_code: str, unit_code: str, as_of: datetime) -> None:
    """事件响应及时率 and 隐患整改及时率 of the current phase: the unit, then each child."""
    data = load_time_limits(scope_code, unit_code, as_of)
    if data is None:
        return
    phase, unit, own, kids = data
    st.subheader(t("events.perf.title", phase=phase.name_zh if lang() == "zh" else phase.name_en))
    c1, c2, c3 = st.columns(3)
    for col, key, x in ((c1, "events.perf.events", own.events), (c2, "events.perf.hazards", own.hazards)):
        counts = "" if x.n == 0 else (f"（{fmt.count(x.k)}/{fmt.count(x.n)}）" if lang() == "zh"
                                      else f" ({x.k:,}/{x.n:,})")
        col.metric(t(key) + counts, fmt.NONE if x.n == 0 else fmt.value(100.0 * x.k / x.n, "%"))
    c3.metric(t("events.perf.response"), fmt.NONE if own.median_min is None
              else t("events.perf.median_p90", m=fmt.number(own.median_min), p=fmt.number(own.p90_min)))
    if kids:
        name = (lambda u: u.name_zh) if lang() == "zh" else (lambda u: u.name_en or u.name_zh)
        st.dataframe(pd.DataFrame([{
            t("events.perf.unit"): name(k), t("events.perf.events"): _share(r.events),
            t("events.perf.hazards"): _share(r.hazards)} for k, r in kids]),
            hide_index=True, width="stretch", height=min(36 + 35 * len(kids), 317))
    st.caption(t("events.perf.note"))
