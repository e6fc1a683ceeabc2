"""参数设置 Settings (admin): the time-limit tiers of indicators.md, special-group intervals, night
window, reporting days and status rules — each with its source plan and section — then phase
dates and the assessment weights (sum 100; the plans' minimum weights as warnings). Writes:
data_access.programme.config (validated, versioned, audited there)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.core.clock import now_local
from data_access.core.db import session_scope
from data_access.fieldwork import visit_form
from data_access.programme import catalog
from data_access.programme import config as cfg
from metrics.service import INDICATORS
from ui import admin_config as ac
from ui import format as fmt
from ui.auth import require, roles_for
from ui.i18n import lang, name_of, t

user = require(roles=roles_for("admin_settings"))  # admins only; stops before any data access

st.title(t("cfg.settings.title"))
st.caption(t("cfg.settings.caption"))
ac.show_flash("cs")

with session_scope() as s:
    rows = cfg.settings_rows(session=s)
    phases = catalog.phases(session=s)
    indicators = {i.code: i for i in catalog.indicators(session=s)}
    weights, w_version = cfg.weights(session=s)
row_by = {r.key: r for r in rows}


def unit_word(spec: cfg.SettingSpec) -> str:
    return t(f"cfg.settings.unit.{spec.unit}") if spec.unit else ""


def show(value, spec: cfg.SettingSpec) -> str:
    if spec.kind == "choices":
        return ("、" if lang() == "zh" else ", ").join(t("cfg.sub." + v) for v in value) or t("cfg.none")
    if isinstance(value, dict):
        sep = "；" if lang() == "zh" else "; "
        if spec.kind == "window":
            return f"{value.get('start')}–{value.get('end')}"
        return sep.join(f"{t('cfg.sub.' + k)} {fmt.number(float(v), 0)}" for k, v in value.items() if k in spec.fields)
    return f"{fmt.number(float(value), 1 if spec.kind == 'number' else 0)} {unit_word(spec)}"


def sources(spec: cfg.SettingSpec) -> str:
    if spec.field_sources:
        return ("；" if lang() == "zh" else "; ").join(f"{t('cfg.sub.' + k)}: {src}" for k, src in spec.field_sources)
    return spec.source


tab_limits, tab_phases, tab_form = st.tabs([t("cfg.settings.tab_limits"), t("cfg.settings.tab_phases"),
                                            t("cfg.settings.tab_form")])

# --- time limits and settings -------------------------------------------------------------------------
with tab_limits:
    table = []  # one line per setting, and per tier / colour of the settings that hold several
    for r in rows:
        if r.spec.kind == "map":
            own = dict(r.spec.field_sources)
            for f in r.spec.fields:
                table.append((f"{t('cfg.setting.' + r.key)} · {t('cfg.sub.' + f)}",
                              f"{fmt.number(float(r.value.get(f, 0)), 0)} {unit_word(r.spec)}".strip(),
                              f"{fmt.number(float(r.default.get(f, 0)), 0)} {unit_word(r.spec)}".strip(),
                              own.get(f, r.spec.source)))
        else:
            table.append((t("cfg.setting." + r.key), show(r.value, r.spec), show(r.default, r.spec), sources(r.spec)))
    st.dataframe(pd.DataFrame(table, columns=[t("cfg.settings.col.setting"), t("cfg.settings.col.value"),
                                              t("cfg.settings.col.default"), t("cfg.settings.col.source")]),
                 hide_index=True, width="stretch", height=38 + 35 * len(table))
    key = st.selectbox(t("cfg.settings.pick"), list(row_by), key=f"cs_pick_{lang()}",
                       format_func=lambda k: t("cfg.setting." + k))
    r = row_by[key]
    spec = r.spec
    version = ac.shown_version(f"s_{key}", r.version)
    st.caption(f"{t('cfg.source')}：{sources(spec)}" if lang() == "zh" else f"{t('cfg.source')}: {sources(spec)}")
    if spec.kind == "map":
        cols = st.columns(len(spec.fields))
        value = {f: cols[i].number_input(f"{t('cfg.sub.' + f)} ({unit_word(spec)})" if spec.unit else t("cfg.sub." + f), value=float(r.value.get(f, 0)),
                                         step=1.0, format="%.0f", key=f"cs_{key}_{f}_v{version}")
                 for i, f in enumerate(spec.fields)}
    elif spec.kind == "choices":
        value = [f for f in spec.fields
                 if st.checkbox(t("cfg.sub." + f), value=f in r.value, key=f"cs_{key}_{f}_v{version}")]
    elif spec.kind == "window":
        c1, c2 = st.columns(2)
        value = {"start": c1.text_input(t("cfg.sub.start"), value=r.value["start"], key=f"cs_{key}_start_v{version}",
                                        max_chars=5),
                 "end": c2.text_input(t("cfg.sub.end"), value=r.value["end"], key=f"cs_{key}_end_v{version}",
                                      max_chars=5)}
    else:
        value = st.number_input(f"{t('cfg.setting.' + key)} ({unit_word(spec)})", value=float(r.value),
                                step=1.0 if spec.kind == "integer" else 0.5,
                                format="%.0f" if spec.kind == "integer" else "%.1f", key=f"cs_{key}_v{version}")
    reason = ac.reason_input(f"cs_reason_{key}")
    if st.button(t("cfg.settings.save"), type="primary", key=f"cs_save_{key}"):
        if ac.run_write(lambda s: cfg.save_setting(session=s, username=user.username, key=key, value=value,
                                                   expected_version=version, reason=reason),
                        "cs", t("cfg.setting." + key)):
            st.rerun()

# --- phases and weights ------------------------------------------------------------------------------
with tab_phases:
    st.subheader(t("cfg.phases.title"))
    st.dataframe(pd.DataFrame({
        t("cfg.phases.pick"): [name_of(p) for p in phases],
        t("cfg.phases.start"): [fmt.day(p.start) for p in phases],
        t("cfg.phases.end"): [fmt.day(p.end) for p in phases],
    }), hide_index=True, width="stretch")
    pcode = st.selectbox(t("cfg.phases.pick"), [p.code for p in phases], key=f"cs_phase_{lang()}",
                         format_func=lambda c: next(name_of(p) for p in phases if p.code == c))
    p = next(p for p in phases if p.code == pcode)
    with session_scope() as s:
        p_version = cfg.phase_version(session=s, code=pcode)
    pv = ac.shown_version(f"p_{pcode}", p_version)
    c1, c2 = st.columns(2)
    start = c1.date_input(t("cfg.phases.start"), value=p.start, key=f"cs_pstart_{pcode}_v{pv}")
    end = c2.date_input(t("cfg.phases.end"), value=p.end, key=f"cs_pend_{pcode}_v{pv}")
    reason_p = ac.reason_input(f"cs_preason_{pcode}")
    if st.button(t("cfg.phases.save"), key=f"cs_psave_{pcode}"):
        if ac.run_write(lambda s: cfg.save_phase(session=s, username=user.username, code=pcode, start=start, end=end,
                                                 expected_version=pv, reason=reason_p),
                        "cs", name_of(p)):
            st.rerun()

    st.subheader(t("cfg.weights.title"))
    st.caption(t("cfg.weights.caption"))
    wv = ac.shown_version("weights", w_version)
    choices = [c for c in INDICATORS if c in indicators and c != "assessment_score"]
    cols = st.columns(3)
    new_w = {}
    for i, code in enumerate(choices):
        new_w[code] = cols[i % 3].number_input(
            f"{name_of(indicators[code])} ({indicators[code].source_plan.split()[0] if indicators[code].source_plan else ''})",
            min_value=0.0, max_value=100.0, value=float(weights.get(code, 0.0)), step=5.0, format="%.0f",
            key=f"cs_w_{code}_v{wv}")
    total = sum(new_w.values())
    st.markdown(t("cfg.weights.total", total=fmt.number(total, 1)))
    with session_scope() as s:
        warns = cfg.weight_warnings(session=s, weights={k: v for k, v in new_w.items() if v})
    for w in warns:
        st.warning(t("cfg.weights.warning", block=t("cfg.weights.block." + w.block), total=fmt.number(w.total, 0),
                     minimum=fmt.number(w.minimum, 0), source=w.source))
    st.caption(t("cfg.veto.note"))
    reason_w = ac.reason_input("cs_wreason")
    if st.button(t("cfg.weights.save"), type="primary", key="cs_wsave"):
        if ac.run_write(lambda s: cfg.save_weights(session=s, username=user.username, weights=new_w,
                                                   expected_version=wv, reason=reason_w, allowed=set(choices)),
                        "cs", t("cfg.weights.saved")):
            st.rerun()

# --- the visit e-form ------------------------------------------------------------------------------
with tab_form:
    st.caption(t("cfg.form.caption"))
    with session_scope() as s:
        items = visit_form.load_form(session=s, include_inactive=True)
    label_of = {i.code: (i.label_zh if lang() == "zh" else i.label_en) for i in items}
    st.dataframe(pd.DataFrame({
        t("cfg.form.col.section"): [t("cfg.form.section." + i.section) for i in items],
        t("cfg.form.col.code"): [i.code for i in items],
        t("cfg.form.col.label"): [label_of[i.code] for i in items],
        t("cfg.form.col.kind"): [t("cfg.form.kind." + i.kind) for i in items],
        t("cfg.form.col.required"): ["✓" if i.required else "" for i in items],
        t("cfg.form.col.status"): [t("cfg.form.active" if i.active else "cfg.form.retired") for i in items],
    }), hide_index=True, width="stretch", height=38 + 35 * min(len(items), 12))
    if items:
        code = st.selectbox(t("cfg.form.pick"), [i.code for i in items], key=f"cf_pick_{lang()}",
                            format_func=lambda c: f"{label_of[c]} · {c}")
        item = next(i for i in items if i.code == code)
        iv = ac.shown_version(f"f_{code}", item.version)
        reason_f = ac.reason_input(f"cf_reason_{code}")
        b1, b2, b3 = st.columns([1, 1, 4])
        if item.active and b1.button(t("cfg.form.up"), key=f"cf_up_{code}"):
            if ac.run_write(lambda s: visit_form.move_item(session=s, user=user.username, code=code, step=-1,
                                                           expected_version=iv, reason=reason_f, now=now_local()),
                            "cs", t("cfg.form.saved", code=code)):
                st.rerun()
        if item.active and b2.button(t("cfg.form.down"), key=f"cf_down_{code}"):
            if ac.run_write(lambda s: visit_form.move_item(session=s, user=user.username, code=code, step=1,
                                                           expected_version=iv, reason=reason_f, now=now_local()),
                            "cs", t("cfg.form.saved", code=code)):
                st.rerun()
        if b3.button(t("cfg.form.retire" if item.active else "cfg.form.reinstate"), key=f"cf_active_{code}"):
            if ac.run_write(lambda s: visit_form.set_item_active(
                    session=s, user=user.username, code=code, active=not item.active, expected_version=iv,
                    reason=reason_f, now=now_local()), "cs", t("cfg.form.saved", code=code)):
                st.rerun()
    st.markdown(f"**{t('cfg.form.new')}**")
    c1, c2, c3 = st.columns(3)
    section = c1.selectbox(t("cfg.form.col.section"), ["info", "hazard", "need"], key=f"cf_new_section_{lang()}",
                           format_func=lambda x: t("cfg.form.section." + x))
    kind = c2.selectbox(t("cfg.form.col.kind"), ["bool", "choice", "text", "number"], key=f"cf_new_kind_{lang()}",
                        format_func=lambda x: t("cfg.form.kind." + x))
    new_code = c3.text_input(t("cfg.form.code"), key="cf_new_code", max_chars=40)
    c4, c5 = st.columns(2)
    lzh = c4.text_input(t("cfg.form.label_zh"), key="cf_new_zh", max_chars=200)
    len_ = c5.text_input(t("cfg.form.label_en"), key="cf_new_en", max_chars=200)
    opts = st.text_area(t("cfg.form.options"), key="cf_new_options", height=80) if kind == "choice" else ""
    req = st.checkbox(t("cfg.form.required"), key="cf_new_required")
    reason_n = ac.reason_input("cf_new_reason")
    if st.button(t("cfg.form.add"), type="primary", key="cf_add"):
        options = None
        if kind == "choice":  # "code | 中文 | English" per line (a bare label: code opt1, opt2 …)
            options = []
            for n, line in enumerate([o for o in opts.splitlines() if o.strip()], start=1):
                parts = [x.strip() for x in line.split("|")]
                code_o, zh_o, en_o = parts if len(parts) == 3 else (f"opt{n}", parts[0], parts[0])
                options.append({"code": code_o, "zh": zh_o, "en": en_o})
        if ac.run_write(lambda s: visit_form.add_form_item(
                session=s, user=user.username, code=new_code.strip(), section=section, label_zh=lzh, label_en=len_,
                kind=kind, now=now_local(), reason=reason_n, options=options, required=req),
                "cs", t("cfg.form.saved", code=new_code.strip())):
            st.rerun()

    # --- need categories: the list the officer's form offers (a retired one stays on its needs)
    st.markdown(f"**{t('cfg.cat.title')}**")
    st.caption(t("cfg.cat.caption"))
    with session_scope() as s:
        cats = visit_form.need_categories(session=s, include_inactive=True)
    name_of_cat = {c.code: (c.name_zh if lang() == "zh" else c.name_en) for c in cats}
    st.dataframe(pd.DataFrame({
        t("cfg.form.col.code"): [c.code for c in cats],
        t("cfg.cat.col.name_zh"): [c.name_zh for c in cats],
        t("cfg.cat.col.name_en"): [c.name_en for c in cats],
        t("cfg.form.col.status"): [t("cfg.form.active" if c.active else "cfg.form.retired") for c in cats],
    }), hide_index=True, width="stretch", height=38 + 35 * min(len(cats), 12))
    if cats:
        ccode = st.selectbox(t("cfg.cat.pick"), [c.code for c in cats], key=f"cc_pick_{lang()}",
                             format_func=lambda c: f"{name_of_cat[c]} · {c}")
        cat = next(c for c in cats if c.code == ccode)
        cv = ac.shown_version(f"nc_{ccode}", cat.version)
        reason_c = ac.reason_input(f"cc_reason_{ccode}")
        d1, d2, d3 = st.columns([1, 1, 4])
        for col, step, label in ((d1, -1, "cfg.form.up"), (d2, 1, "cfg.form.down")):
            if cat.active and col.button(t(label), key=f"cc_move_{step}_{ccode}"):
                if ac.run_write(lambda s, step=step: visit_form.move_need_category(
                        session=s, user=user.username, code=ccode, step=step, expected_version=cv, reason=reason_c,
                        now=now_local()), "cs", t("cfg.cat.saved", code=ccode)):
                    st.rerun()
        if d3.button(t("cfg.form.retire" if cat.active else "cfg.form.reinstate"), key=f"cc_active_{ccode}"):
            if ac.run_write(lambda s: visit_form.set_need_category_active(
                    session=s, user=user.username, code=ccode, active=not cat.active, expected_version=cv,
                    reason=reason_c, now=now_local()), "cs", t("cfg.cat.saved", code=ccode)):
                st.rerun()
    e1, e2, e3 = st.columns(3)
    cat_code = e1.text_input(t("cfg.form.code"), key="cc_new_code", max_chars=40, help=t("cfg.cat.code_help"))
    cat_zh = e2.text_input(t("cfg.cat.col.name_zh"), key="cc_new_zh", max_chars=80)
    cat_en = e3.text_input(t("cfg.cat.col.name_en"), key="cc_new_en", max_chars=120)
    reason_nc = ac.reason_input("cc_new_reason")
    if st.button(t("cfg.cat.add"), key="cc_add"):
        if ac.run_write(lambda s: visit_form.add_need_category(
                session=s, user=user.username, code=cat_code, name_zh=cat_zh, name_en=cat_en, reason=reason_nc,
                now=now_local()), "cs", t("cfg.cat.saved", code=cat_code.strip())):
            st.rerun()
