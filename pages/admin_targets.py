"""目标值 Targets (admin): indicator × phase × unit, the inherited value where a unit has none of its
own ("沿用 江北区 / 全市默认值"), one unit's edit or a table pasted from Excel, with a preview of the
units whose target or status changes before saving. Writes: data_access.programme.config (validated,
versioned, audited there)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.core.errors import FormInvalid
from data_access.org.models import LEVELS
from data_access.programme import catalog
from data_access.programme import config as cfg
from metrics.config_preview import target_preview
from ui import admin_config as ac
from ui import format as fmt
from ui.auth import require, roles_for, scope_units
from ui.i18n import lang, name_of, t

user = require(roles=roles_for("admin_targets"))  # admins only; stops before any data access

st.title(t("cfg.targets.title"))
st.caption(t("cfg.targets.caption"))
ac.show_flash("tg")

with session_scope() as s:
    indicators = [i for i in catalog.indicators(session=s) if i.code != "assessment_score"]
    phases = catalog.phases(session=s)
units = scope_units(user.scope_code, "grid")
by_id = {u.id: u for u in units}
ind_by = {i.code: i for i in indicators}

c1, c2, c3 = st.columns([3, 2, 2])
ind_code = c1.selectbox(t("cfg.targets.indicator"), list(ind_by), key=f"tg_ind_{lang()}",
                        format_func=lambda c: f"{name_of(ind_by[c])} ({ind_by[c].unit})")
phase_code = c2.selectbox(t("cfg.targets.phase"), [p.code for p in phases], key=f"tg_phase_{lang()}",
                          format_func=lambda c: next(f"{name_of(p)} {p.start.year}" for p in phases if p.code == c))
depth = c3.selectbox(t("cfg.targets.depth"), LEVELS[1:], index=2, key=f"tg_depth_{lang()}",
                     format_func=lambda lv: t("level." + lv))
ind = ind_by[ind_code]
shown_units = [u for u in units if LEVELS.index(u.level) <= LEVELS.index(depth)]

with session_scope() as s:
    cells = cfg.target_rows(session=s, indicator=ind_code, phase=phase_code)
cell_by = {c.unit_id: c for c in cells}


def unit_name(uid: int | None) -> str:
    return t("cfg.city_default") if uid is None else (name_of(by_id[uid]) if uid in by_id else str(uid))


def source_text(c: cfg.TargetCell) -> str:
    if c.effective is None:
        return t("cfg.targets.none")
    if not c.inherited:
        return t("cfg.targets.from_own")
    return t("cfg.targets.from_unit", unit=unit_name(c.source_unit_id)) if c.source_unit_id else t("cfg.targets.from_city")


def phase_name(code: str) -> str:
    return next((name_of(p) for p in phases if p.code == code), code)


def val(v: float | None) -> str:
    return fmt.value(v, ind.unit) if v is not None else fmt.NONE


root = cell_by[None]
rows = [(t("cfg.city_default"), "", root)] + [
    ("\u3000" * (LEVELS.index(u.level) - 1) + name_of(u), t("level." + u.level), cell_by[u.id])
    for u in shown_units if u.id in cell_by]
st.dataframe(pd.DataFrame({
    t("cfg.targets.col.unit"): [r[0] for r in rows],
    t("cfg.targets.col.level"): [r[1] for r in rows],
    t("cfg.targets.col.own"): [val(r[2].own) for r in rows],
    t("cfg.targets.col.effective"): [val(r[2].effective) for r in rows],
    t("cfg.targets.col.from"): [source_text(r[2]) if r[2].unit_id is not None else "" for r in rows],
    t("cfg.targets.col.baseline"): [val(r[2].baseline) for r in rows],
}), hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 420))
if ind.source_plan:
    st.caption(t("cfg.targets.baseline_source", source=ind.source_plan))

lo, hi = cfg.target_bounds(ind.unit)


def show_preview(changes: list[cfg.TargetChange]) -> None:
    with session_scope() as s:
        prev = target_preview(s, changes=changes, as_of=now_local())
    st.markdown(f"**{t('cfg.targets.preview_title')}**")
    if not prev:
        st.info(t("cfg.targets.preview_none"))
        return
    names = {u.code: name_of(u) for u in units}
    st.dataframe(pd.DataFrame({
        t("cfg.targets.col.unit"): [names.get(r.unit_code, r.unit_code) for r in prev],
        t("cfg.targets.phase"): [phase_name(r.phase) for r in prev],
        t("cfg.targets.col.value"): [val(r.value) for r in prev],
        t("cfg.targets.col.before"): [val(r.target_before) for r in prev],
        t("cfg.targets.col.after"): [val(r.target_after) for r in prev],
        t("cfg.targets.col.status_before"): [t("status." + r.status_before) for r in prev],
        t("cfg.targets.col.status_after"): [t("status." + r.status_after) for r in prev],
        t("cfg.targets.col.changes"): [t("cfg.targets.yes") if r.status_changed else "" for r in prev],
    }), hide_index=True, width="stretch")


tab_one, tab_paste = st.tabs([t("cfg.targets.tab_one"), t("cfg.targets.tab_paste")])

# --- one unit --------------------------------------------------------------------------------------
with tab_one:
    choices = [None] + [u.id for u in shown_units]
    uid = st.selectbox(t("cfg.targets.unit"), choices, key=f"tg_unit_{lang()}", format_func=unit_name)
    cell = cell_by.get(uid)
    vkey = f"t_{ind_code}_{phase_code}_{uid}"
    version = ac.shown_version(vkey, cell.version if cell else 0)
    st.markdown(t("cfg.targets.current", own=val(cell.own), effective=val(cell.effective),
                  source=source_text(cell) if uid is not None else t("cfg.city_default")))
    clear = uid is not None and cell.own is not None and st.checkbox(t("cfg.targets.clear"), key=f"tg_clear_{vkey}")
    cn, cb = st.columns(2)
    new = cn.number_input(t("cfg.targets.new"), value=cell.own if cell.own is not None else cell.effective,
                          step=1.0, format="%.1f", key=f"tg_new_{vkey}", disabled=clear,
                          help=t("cfg.targets.range", min=fmt.number(lo), max=fmt.number(hi), unit=ind.unit))
    base = cb.number_input(t("cfg.targets.baseline"), value=None, step=1.0, format="%.1f", key=f"tg_base_{vkey}",
                           disabled=clear)
    change = cfg.TargetChange(ind_code, phase_code, uid, None if clear else new, version,
                              baseline=base, keep_baseline=base is None)
    reason = ac.reason_input(f"tg_reason_{vkey}")
    b1, b2 = st.columns([1, 4])
    if b1.button(t("cfg.targets.save"), type="primary", key=f"tg_save_{vkey}"):
        if clear or new is not None:
            if ac.run_write(lambda s: cfg.apply_targets(session=s, username=user.username, changes=[change],
                                                        reason=reason),
                            "tg", f"{name_of(ind)} · {unit_name(uid)}"):
                st.rerun()
    if b2.button(t("cfg.targets.preview"), key=f"tg_prev_{vkey}") and (clear or new is not None):
        show_preview([change])

# --- bulk paste from Excel -----------------------------------------------------------------------------
with tab_paste:
    st.caption(t("cfg.targets.paste_help"))
    text = st.text_area(t("cfg.targets.paste"), key="tg_paste", height=160,
                        placeholder="单位\t" + "\t".join(p.code for p in phases) + "\n"
                                    + "\n".join(u.code + "\t" + "\t".join("" for _ in phases) for u in shown_units[:3]))
    labels: dict[str, int | None] = {t("cfg.city_default"): None, "全市默认值": None, "city default": None,
                                     "city": None}
    for u in units:
        for label in (u.code, u.name_zh, u.name_en):
            if label:
                labels.setdefault(label, u.id)
                labels.setdefault(label.lower(), u.id)
    phase_labels = {}
    for p in phases:
        for label in (p.code, p.name_zh, p.name_en, str(p.start.year)):
            phase_labels[label] = p.code
            phase_labels[label.lower()] = p.code
    if st.button(t("cfg.targets.check"), key="tg_check"):
        try:
            pasted = cfg.parse_paste(text, units=labels, phases=phase_labels)
            with session_scope() as s:
                st.session_state["tg_pending"] = (ind_code, cfg.pasted_changes(session=s, indicator=ind_code,
                                                                               cells=pasted))
        except FormInvalid as e:
            st.session_state.pop("tg_pending", None)
            for x in e.errors:
                st.error(ac.error_text(x))
    pending = st.session_state.get("tg_pending")
    if pending and pending[0] == ind_code:
        changes = pending[1]
        if not changes:
            st.info(t("cfg.nothing"))
        else:
            st.markdown(t("cfg.targets.changes", n=len(changes)))
            st.dataframe(pd.DataFrame({
                t("cfg.targets.col.unit"): [unit_name(c.unit_id) for c in changes],
                t("cfg.targets.phase"): [phase_name(c.phase) for c in changes],
                t("cfg.targets.col.after"): [val(c.target) if c.target is not None else t("cfg.targets.clear")
                                             for c in changes],
            }), hide_index=True, width="stretch")
            show_preview(changes)
            reason_p = ac.reason_input("tg_paste_reason")
            if st.button(t("cfg.targets.save_all", n=len(changes)), type="primary", key="tg_save_all"):
                if ac.run_write(lambda s: cfg.apply_targets(session=s, username=user.username, changes=changes,
                                                            reason=reason_p),
                                "tg", t("cfg.targets.saved", n=len(changes))):
                    st.session_state.pop("tg_pending", None)
                    st.rerun()
