"""组织与网格 Org units & grids (admin): rename a unit and set its pilot flag, create a unit, move a
grid to another community from a chosen month (history kept, rollups re-derived), and upload grid
boundaries as GeoJSON — checked before anything is written, previewed on the map beside the current
boundaries, applied in one transaction. Writes: data_access.org.units and data_access.org.boundaries."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.core.db import session_scope
from data_access.org import boundaries as bnd
from data_access.org import units as org_units
from data_access.org.models import LEVELS
from ui import admin_config as ac
from ui.auth import forget_users, require, roles_for, scope_units
from ui.i18n import lang, name_of, t

user = require(roles=roles_for("admin_org"))  # admins only; stops before any data access

st.title(t("cfg.org.title"))
st.caption(t("cfg.org.caption"))
ac.show_flash("og")

units = scope_units(user.scope_code, "grid")
by_id = {u.id: u for u in units}
by_code = {u.code: u for u in units}
with session_scope() as s:
    versions = org_units.versions(session=s, unit_ids=list(by_id))


def label(uid: int) -> str:
    u = by_id[uid]
    return f"{name_of(u)} · {t('level.' + u.level)} · {u.code}"


def month_text(m: int | None) -> str:
    return t("cfg.org.open") if m is None else ("—" if m == 0 else f"{m // 100}-{m % 100:02d}")


def done() -> None:
    forget_users()  # the guard caches units and users: names and the tree take effect at once
    st.rerun()


tab_units, tab_move, tab_new, tab_bounds = st.tabs([t("cfg.org.tab_units"), t("cfg.org.tab_move"),
                                                    t("cfg.org.tab_new"), t("cfg.org.tab_bounds")])

# --- rename, pilot flag ---------------------------------------------------------------------------
with tab_units:
    shown = [u for u in units if u.level != "grid"]
    st.dataframe(pd.DataFrame({
        t("cfg.org.col.name"): ["\u3000" * LEVELS.index(u.level) + name_of(u) for u in shown],
        t("cfg.org.col.code"): [u.code for u in shown],
        t("cfg.org.col.level"): [t("level." + u.level) for u in shown],
        t("cfg.org.col.pilot"): ["✓" if u.pilot else "" for u in shown],
    }), hide_index=True, width="stretch", height=min(38 + 35 * len(shown), 360))
    uid = st.selectbox(t("cfg.org.unit"), [u.id for u in units], key=f"og_unit_{lang()}", format_func=label)
    u = by_id[uid]
    v_now = versions.get(uid, 1)
    version = ac.shown_version(f"u_{uid}", v_now)
    c1, c2, c3 = st.columns([3, 3, 1])
    zh = c1.text_input(t("cfg.org.name_zh"), value=u.name_zh, key=f"og_zh_{uid}_v{version}", max_chars=120)
    en = c2.text_input(t("cfg.org.name_en"), value=u.name_en or "", key=f"og_en_{uid}_v{version}", max_chars=160)
    pilot = c3.checkbox(t("cfg.org.pilot"), value=bool(u.pilot), key=f"og_pilot_{uid}_v{version}")
    reason = ac.reason_input(f"og_reason_{uid}")
    if st.button(t("cfg.org.save"), type="primary", key=f"og_save_{uid}"):
        def write(s):
            v = version
            if zh != u.name_zh or (en or None) != (u.name_en or None):
                org_units.rename_unit(session=s, username=user.username, unit_id=uid, name_zh=zh, name_en=en,
                                      expected_version=v, reason=reason)
                v += 1
            if pilot != bool(u.pilot):
                org_units.set_pilot(session=s, username=user.username, unit_id=uid, pilot=pilot, expected_version=v,
                                    reason=reason)
        if ac.run_write(write, "og", t("cfg.org.saved_unit", code=u.code)):
            done()

# --- move a grid ----------------------------------------------------------------------------------
with tab_move:
    grids = [u.id for u in units if u.level == "grid"]
    communities = [u.id for u in units if u.level == "community"]
    if grids and communities:
        gid = st.selectbox(t("cfg.org.grid"), grids, key=f"og_grid_{lang()}", format_func=label)
        g = by_id[gid]
        gv = ac.shown_version(f"u_{gid}", versions.get(gid, 1))
        others = [c for c in communities if c != g.parent_id]
        c1, c2 = st.columns([3, 2])
        cid = c1.selectbox(t("cfg.org.community"), others, key=f"og_comm_{gid}_{lang()}", format_func=label)
        month = c2.text_input(t("cfg.org.month"), key=f"og_month_{gid}", max_chars=7, placeholder="2026-04")
        with session_scope() as s:
            hist = org_units.assignments(session=s, grid_id=gid)
        st.markdown(f"**{t('cfg.org.history')}**")
        st.dataframe(pd.DataFrame({
            t("cfg.org.col.community"): [label(a.community_id) if a.community_id in by_id else a.community_id
                                         for a in hist],
            t("cfg.org.col.from"): [month_text(a.from_month) for a in hist],
            t("cfg.org.col.to"): [month_text(a.to_month) for a in hist],
        }), hide_index=True, width="stretch")
        reason_m = ac.reason_input(f"og_mreason_{gid}")
        if st.button(t("cfg.org.move"), type="primary", key=f"og_move_{gid}"):
            raw = (month or "").strip().replace("/", "-")
            ym = int(raw[:4]) * 100 + int(raw[5:]) if len(raw) == 7 and raw[4] == "-" and raw.replace("-", "").isdigit() else -1
            if ac.run_write(lambda s: org_units.move_grid_admin(
                    session=s, username=user.username, grid_id=gid, community_id=cid, from_month=ym,
                    expected_version=gv, reason=reason_m),
                    "og", t("cfg.org.saved_move", code=g.code, community=name_of(by_id[cid]), month=raw)):
                done()

# --- new unit -------------------------------------------------------------------------------------
with tab_new:
    c1, c2 = st.columns(2)
    level = c1.selectbox(t("cfg.org.level"), LEVELS[1:], key=f"og_new_level_{lang()}",
                         format_func=lambda lv: t("level." + lv))
    parents = [u.id for u in units if u.level == LEVELS[LEVELS.index(level) - 1]]
    parent = c2.selectbox(t("cfg.org.parent"), parents, key=f"og_new_parent_{level}_{lang()}", format_func=label)
    c3, c4, c5, c6 = st.columns([2, 3, 3, 1])
    code = c3.text_input(t("cfg.org.code"), key="og_new_code", max_chars=40)
    nzh = c4.text_input(t("cfg.org.name_zh"), key="og_new_zh", max_chars=120)
    nen = c5.text_input(t("cfg.org.name_en"), key="og_new_en", max_chars=160)
    npilot = c6.checkbox(t("cfg.org.pilot"), key="og_new_pilot")
    reason_n = ac.reason_input("og_new_reason")
    if st.button(t("cfg.org.create"), type="primary", key="og_create"):
        if ac.run_write(lambda s: org_units.create_unit(
                session=s, username=user.username, code=code, level=level, parent_id=parent, name_zh=nzh,
                name_en=nen, pilot=npilot, reason=reason_n),
                "og", t("cfg.org.saved_unit", code=code.strip())):
            done()

# --- grid boundaries ------------------------------------------------------------------------------
with tab_bounds:
    upload = st.file_uploader(t("cfg.bounds.upload"), type=["geojson", "json"], key="og_geojson")
    if upload is not None:
        raw = upload.getvalue()
        with session_scope() as s:
            res = bnd.check_geojson(session=s, raw=raw)

        def grid_name(code: str | None) -> str:
            u = by_code.get(code or "")
            return f"{name_of(u)} ({code})" if u else str(code)

        def problem_text(p: bnd.Problem) -> str:
            params = dict(p.params)
            params["grid"] = grid_name(p.grid)
            if "other" in params:
                params["other"] = grid_name(params["other"])
            if "community" in params:
                params["community"] = grid_name(params["community"]) if params["community"] in by_code else "—"
            if "grids" in params:
                params["grids"] = ("、" if lang() == "zh" else ", ").join(grid_name(c) for c in params["grids"])
            return t("cfg.bounds.problem." + p.code, **params)

        st.caption(t("cfg.bounds.checking", name=upload.name, n=len(res.geometries) + sum(
            1 for p in res.errors if p.grid)))
        if res.errors:
            st.error(t("cfg.bounds.refused") + "\n\n" + "\n".join(f"- {problem_text(p)}" for p in res.errors))
        else:
            st.success(t("cfg.bounds.ok", n=len(res.geometries)))
        if res.warnings:
            st.warning(t("cfg.bounds.warnings") + "\n\n" + "\n".join(f"- {problem_text(p)}" for p in res.warnings))
        if res.geometries:
            with session_scope() as s:
                current = org_units.grid_geometries(session=s, codes=list(res.geometries))
            st.pydeck_chart(ac.boundary_deck(current, res.geometries, {c: grid_name(c) for c in res.geometries}),
                            height=420, key="og_preview")
            st.caption(t("cfg.bounds.legend"))
        if res.ok:
            reason_b = ac.reason_input("og_breason")
            if st.button(t("cfg.bounds.apply"), type="primary", key="og_apply"):
                try:
                    ok = ac.run_write(lambda s: bnd.apply_boundaries(session=s, username=user.username, raw=raw,
                                                                     expected_versions=res.versions, reason=reason_b),
                                      "og", t("cfg.bounds.saved", n=len(res.geometries)))
                except bnd.BoundariesInvalid as e:
                    ok = False
                    st.error(t("cfg.bounds.refused") + "\n\n" + "\n".join(f"- {problem_text(p)}" for p in e.problems))
                if ok:
                    st.rerun()
