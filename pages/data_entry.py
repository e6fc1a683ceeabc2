"""数据填报 Data entry: the reported indicators of one plan (data set) for one unit and period —
last period's value, the target, method/source note; validation before saving, corrections with a
reason (history, audited), lock date, admin reopen, approval by the level above, missing reports."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import get_engine, session_scope
from data_access.core.errors import ConcurrentEdit, NotFound, PermissionDenied, ValidationError
from data_access.core.settings import get_settings
from data_access.programme import reporting as rp
from ui import errors
from ui import flash as flashes
from ui import format as fmt
from ui.auth import require, roles_for, scope_units
from ui.i18n import lang, name_of, t, translated

user = require(roles=roles_for("data_entry"))  # stops here unless signed in with an allowed role

PLANS = ("seed-001", "seed-002", "seed-003", "seed-004")
FLASH = "entry"  # ui.flash: the outcome of a click, shown after the rerun


def _session():
    return session_scope(get_engine(get_settings().database_url))


def _bi(zh: str | None, en: str | None) -> str:
    return (en if lang() == "en" else zh) or ""


now = now_local()
today = now.date()
st.title(t("entry.title"))
st.caption(t("entry.intro"))
flashes.show(FLASH)

units = [u for u in scope_units(user.scope_code, "district") if u.level in ("city", "district")]
if not units:
    st.info(t("entry.no_units"))
    st.stop()
c_plan, c_unit, c_type, c_period = st.columns([2, 2, 1, 1])
with c_plan:
    plan = st.selectbox(t("entry.plan"), PLANS, format_func=lambda p: t(f"plan.{p}"), key=f"entry_plan_{lang()}")
with c_unit:
    by_code = {u.code: u for u in units}
    default = next((u.code for u in units if u.level == "district"), units[0].code)
    unit_code = st.selectbox(t("entry.unit"), list(by_code), index=list(by_code).index(default),
                             format_func=lambda c: f"{name_of(by_code[c])} · {t('level.' + by_code[c].level)}",
                             key=f"entry_unit_{lang()}")
with c_type:
    kind = st.selectbox(t("entry.period_type"), ("month", "quarter", "year"),
                        format_func=lambda k: t(f"entry.period_type.{k}"), key=f"entry_type_{lang()}")
periods = list(reversed(rp.periods_between(date(2024, 1, 1), today, kind, ended_by=today - timedelta(days=1))))[:24]
if not periods:
    st.info(t("entry.no_periods"))
    st.stop()
with c_period:
    period = st.selectbox(t("entry.period"), periods, key=f"entry_period_{kind}_{lang()}")

# every widget of the form and of the review/reopen parts is keyed by data set, unit and period: a value,
# reason or outlier confirmation typed for one never carries over to another
scope_key = f"{plan}_{unit_code}_{period}"

with _session() as s:
    rows = rp.entry_form(session=s, user=user.username, plan=plan, unit=unit_code, period=period, today=today)
if not rows:
    st.info(t("entry.empty"))
else:
    lock = rows[0].lock_date
    if rows[0].locked:
        st.warning(t("entry.locked", date=fmt.day(lock)))
    else:
        st.caption(t("entry.lock_date", date=fmt.day(lock)))
    table = pd.DataFrame({
        t("entry.col.indicator"): [_bi(r.name_zh, r.name_en) for r in rows],
        t("entry.col.unit"): [r.unit for r in rows],
        t("entry.col.last", period=rows[0].last_period): [fmt.number(r.last_value, 2) if r.last_value is not None
                                                           else "—" for r in rows],
        t("entry.col.target"): [fmt.number(r.target, 2) if r.target is not None else "—" for r in rows],
        t("entry.col.value"): [fmt.number(r.current.value, 2) if r.current else "—" for r in rows],
        t("entry.col.status"): [t(f"entry.status.{r.current.status}") if r.current else t("entry.status.missing")
                                for r in rows],
        t("entry.col.comment"): [(r.current.review_comment or "") if r.current else "" for r in rows],
    })
    st.dataframe(table, hide_index=True, width="stretch")

    with st.form(f"entry_form_{plan}_{unit_code}_{period}"):
        inputs = {}
        for r in rows:
            editable = not r.locked and not (r.current and r.current.status == "approved")
            label = f"{_bi(r.name_zh, r.name_en)}（{r.unit}）" if lang() == "zh" else f"{r.name_en} ({r.unit})"
            c_v, c_n = st.columns([1, 2])
            with c_v:
                inputs[r.code] = (
                    st.text_input(label, value="" if r.current is None else f"{r.current.value:g}",
                                  key=f"val_{r.code}_{unit_code}_{period}", disabled=not editable,
                                  help=_bi(r.note_zh, r.note_en)[:600]),
                    st.session_state.setdefault(f"ver_{r.code}_{unit_code}_{period}",
                                                r.current.version if r.current else None))
            with c_n:
                st.text_input(t("entry.note"), value=(r.current.note or "") if r.current else "",
                              key=f"note_{r.code}_{unit_code}_{period}", disabled=not editable)
        reason = st.text_input(t("entry.reason"), key=f"entry_reason_{scope_key}")
        confirm = st.checkbox(t("entry.confirm_outliers"), key=f"entry_confirm_{scope_key}")
        submitted = st.form_submit_button(t("entry.save"), type="primary")

    if submitted:
        stored = {r.code: r for r in rows}
        changed = []
        problems = []
        warnings = []
        with _session() as s:
            for code, (raw, _ver) in inputs.items():
                r = stored[code]
                raw = (raw or "").strip()
                note = (st.session_state.get(f"note_{code}_{unit_code}_{period}") or "").strip() or None
                if not raw:
                    continue
                try:
                    value, warn = rp.validate(session=s, indicator_code=code, unit_id=by_code[unit_code].id,
                                              period=period, raw_value=raw)
                except ValidationError as e:
                    problems.append(f"{_bi(r.name_zh, r.name_en)}：{errors.message(e)}")
                    continue
                if r.current is not None and r.current.value == value and (r.current.note or None) == note:
                    continue  # unchanged
                warnings += [f"{_bi(r.name_zh, r.name_en)}：{t('entry.outlier', **w.params)}" for w in warn]
                changed.append((code, value, note, _ver))
        if problems:
            st.error(t("entry.not_saved") + "\n\n" + "\n".join(f"- {p}" for p in problems))
        elif warnings and not confirm:
            st.warning(t("entry.outliers_found") + "\n\n" + "\n".join(f"- {w}" for w in warnings))
        elif not changed:
            st.info(t("entry.nothing"))
        else:
            try:
                with _session() as s:  # all or nothing
                    for code, value, note, shown in changed:  # the version the form showed
                        rp.enter(session=s, user=user.username, indicator_code=code, unit=unit_code, period=period,
                                 value=value, note=note, expected_version=shown,
                                 reason=reason if shown is not None else None, now=now_local())
            except ConcurrentEdit:
                for r in rows:  # the typed values stay; the next save works on the current versions
                    st.session_state.pop(f"ver_{r.code}_{unit_code}_{period}", None)
                st.error(t("entry.conflict"))
            except (ValidationError, PermissionDenied, NotFound) as e:
                st.error(t("entry.not_saved") + " " + errors.message(e))
            else:
                for r in rows:
                    st.session_state.pop(f"ver_{r.code}_{unit_code}_{period}", None)
                flashes.keep(FLASH, "success", t("entry.saved", n=len(changed)))
                st.rerun()

    with st.expander(t("entry.history")):
        hist = []
        with _session() as s:
            for r in rows:
                if r.current is None:
                    continue
                for c in rp.changes(session=s, value_id=r.current.id):
                    hist.append({t("entry.col.indicator"): _bi(r.name_zh, r.name_en),
                                 t("entry.h.at"): c.at.strftime("%Y-%m-%d %H:%M"), t("entry.h.who"): c.username,
                                 t("entry.h.action"): t(f"entry.action.{c.action}"),
                                 t("entry.h.old"): "—" if c.old_value is None else f"{c.old_value:g}",
                                 t("entry.h.new"): "—" if c.new_value is None else f"{c.new_value:g}",
                                 t("entry.h.reason"): c.reason or ""})
        if hist:
            st.dataframe(pd.DataFrame(hist), hide_index=True, width="stretch")
        else:
            st.caption(t("entry.history_none"))

# --- approval (the level above) ---------------------------------------------------------------------
with _session() as s:
    pending = rp.pending_review(session=s, user=user.username, plan=plan)
if pending:
    st.subheader(t("entry.review"))
    names = {r.code: _bi(r.name_zh, r.name_en) for r in rows}
    unit_names = {u.id: name_of(u) for u in units}
    labels = {v.id: f"{unit_names.get(v.unit_id, v.unit_id)} · {v.period} · {names.get(v.indicator_code, v.indicator_code)}"
              f" = {v.value:g}" for v in pending}
    pick = st.selectbox(t("entry.review_pick"), list(labels), format_func=labels.get, key=translated(f"review_pick_{plan}"))
    comment = st.text_input(t("entry.review_comment"), key=f"review_comment_{plan}_{pick}")
    c_ok, c_back = st.columns(2)
    chosen = next(v for v in pending if v.id == pick)
    for col, approve, key in ((c_ok, True, f"review_approve_{plan}"), (c_back, False, f"review_return_{plan}")):
        with col:
            if st.button(t("entry.approve" if approve else "entry.return"), key=key):
                try:
                    with _session() as s:
                        rp.review(session=s, user=user.username, value_id=chosen.id, expected_version=chosen.version,
                                  approve=approve, comment=comment, now=now_local())
                except ConcurrentEdit:
                    st.error(t("entry.conflict"))
                except (ValidationError, PermissionDenied, NotFound) as e:
                    st.error(errors.message(e))
                else:
                    flashes.keep(FLASH, "success", t("entry.approved" if approve else "entry.returned"))
                    st.rerun()

# --- reopen (admin) --------------------------------------------------------------------------------
if user.role == "admin":
    with st.expander(t("entry.reopen")):
        st.caption(t("entry.reopen_hint", unit=name_of(by_code[unit_code]), period=period))
        why = st.text_input(t("entry.reopen_reason"), key=f"reopen_reason_{unit_code}_{period}")
        if st.button(t("entry.reopen_button"), key=f"reopen_button_{unit_code}_{period}"):
            try:
                with _session() as s:
                    r = rp.reopen(session=s, user=user.username, unit=unit_code, period=period, reason=why,
                                  now=now_local())
            except (ValidationError, PermissionDenied, NotFound) as e:
                st.error(errors.message(e))
            else:
                flashes.keep(FLASH, "success", t("entry.reopened", until=fmt.day(r.until)))
                st.rerun()

# --- missing reports ----------------------------------------------------------------------------------
st.subheader(t("entry.missing"))
with _session() as s:
    missing = rp.missing_reports(session=s, user=user.username, plan=plan, root=unit_code, today=today)
    meta = {i.code: i for i in rp.data_set(session=s, plan=plan)}
if not missing:
    st.success(t("entry.missing_none"))
else:
    st.caption(t("entry.missing_summary", n=len(missing), overdue=sum(m.overdue for m in missing)))
    st.dataframe(pd.DataFrame({
        t("entry.col.unit_name"): [name_of(by_code[m.unit_code]) if m.unit_code in by_code else m.unit_code
                                   for m in missing],
        t("entry.col.indicator"): [_bi(meta[m.indicator_code].name_zh, meta[m.indicator_code].name_en)
                                   for m in missing],
        t("entry.period"): [m.period for m in missing],
        t("entry.col.due"): [fmt.day(m.due) for m in missing],
        t("entry.col.overdue"): [t("entry.yes") if m.overdue else "" for m in missing],
    }), hide_index=True, width="stretch")
