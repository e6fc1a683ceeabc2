"""审计 Audit (admin): the audit log filtered by user, action and date range (counted and paged in the
database, newest first), one row's detail JSON, the hash-chain check and an audited CSV export."""
from __future__ import annotations

import csv
import io
import json
import zlib
from datetime import datetime, time, timedelta

import pandas as pd
import streamlit as st

from data_access.core import audit
from data_access.core.clock import now_local, today_local
from data_access.core.db import session_scope
from ui import admin_forms as forms
from ui.auth import require, roles_for
from ui.i18n import CATALOGUE, lang, t

user = require(roles=roles_for("audit"))  # admins only; stops before any data access

PAGE_SIZE = 50
EXPORT_MAX = 50_000
DEFAULT_DAYS = 30
ALL = "*"


def action_label(code: str) -> str:
    key = f"admin.action.{code}"
    return t(key) if key in CATALOGUE else code


def entity_label(code: str | None) -> str:
    if code is None:
        return "—"
    key = f"admin.entity.{code}"
    return t(key) if key in CATALOGUE else code


st.title(t("admin.audit.title"))

with session_scope() as s:
    usernames = audit.distinct(s, "username")
    actions = audit.distinct(s, "action")

today = today_local()
c_user, c_action, c_from, c_to = st.columns([2, 3, 2, 2])
f_user = c_user.selectbox(t("admin.audit.user"), [ALL, *usernames], key=f"ad_user_{lang()}",
                          format_func=lambda u: t("admin.all") if u == ALL else u)
f_action = c_action.selectbox(t("admin.audit.action"), [ALL, *actions], key=f"ad_action_{lang()}",
                              format_func=lambda a: t("admin.all") if a == ALL else action_label(a))
d_from = c_from.date_input(t("admin.audit.from"), value=today - timedelta(days=DEFAULT_DAYS), key="ad_from",
                           max_value=today)
d_to = c_to.date_input(t("admin.audit.to"), value=today, key="ad_to")
if d_from > d_to:
    st.error(t("admin.audit.bad_range"))
    st.stop()

flt = audit.AuditFilter(username=None if f_user == ALL else f_user, actions=() if f_action == ALL else (f_action,),
                        start=datetime.combine(d_from, time.min), end=datetime.combine(d_to + timedelta(days=1), time.min))
with session_scope() as s:
    total = audit.count(s, flt)
pages = max(1, -(-total // PAGE_SIZE))
signature = f"{flt.username}|{flt.actions}|{d_from}|{d_to}"  # a new filter starts at page 1
page_no = 1
if pages > 1:
    page_no = int(st.number_input(t("admin.audit.page"), min_value=1, max_value=pages, value=1, step=1,
                                  key=f"ad_page_{zlib.crc32(signature.encode())}"))
st.caption(t("admin.audit.count", n=f"{total:,}", page=page_no, pages=pages, size=PAGE_SIZE))

if total == 0:
    st.info(t("admin.audit.none"))
else:
    with session_scope() as s:
        rows = audit.search(s, flt, offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    table = pd.DataFrame({
        t("admin.audit.col.id"): [r.id for r in rows],
        t("admin.audit.col.at"): [r.at.strftime("%Y-%m-%d %H:%M:%S") for r in rows],
        t("admin.audit.col.user"): [r.username for r in rows],
        t("admin.audit.col.action"): [action_label(r.action) for r in rows],
        t("admin.audit.col.entity"): [entity_label(r.entity) for r in rows],
        t("admin.audit.col.entity_id"): [r.entity_id or "—" for r in rows],
    })
    st.dataframe(table, hide_index=True, width="stretch", height=forms.table_height(len(rows), 12))
    details = {r.id: r for r in rows}
    pick = st.selectbox(t("admin.audit.detail"), list(details), key=f"ad_detail_{lang()}",
                        format_func=lambda i: f"{i} · {details[i].at:%Y-%m-%d %H:%M} · {details[i].username} · "
                                              f"{action_label(details[i].action)}")
    row = details[pick]
    if row.detail:
        try:
            st.json(json.loads(row.detail), expanded=True)
        except ValueError:
            st.code(row.detail, language=None)
    else:
        st.caption(t("admin.audit.no_detail"))
    st.caption(t("admin.audit.detail_note"))

c_verify, c_export = st.columns(2)
with c_verify:
    if st.button(t("admin.audit.verify"), key="ad_verify", icon=":material/verified:"):
        with st.spinner(t("admin.audit.verifying")), session_scope() as s:
            st.session_state["ad_verified"] = (audit.verify(s), now_local())
    if "ad_verified" in st.session_state:  # the last check stays on screen (e.g. across a language switch)
        result, checked_at = st.session_state["ad_verified"]
        if result.ok:
            st.success(t("admin.audit.verify_ok", n=f"{result.rows:,}"))
            if result.unkeyed:
                st.caption(t("admin.audit.unkeyed", n=f"{result.unkeyed:,}"))
            st.caption(t("admin.audit.anchor_hint"))
        else:
            reason = t(f"admin.audit.reason.{result.code or 'content'}")
            st.error(t("admin.audit.verify_bad", id=result.bad_id, n=f"{result.rows:,}", reason=reason))
        st.caption(t("admin.audit.verified_at", at=checked_at.strftime("%Y-%m-%d %H:%M:%S")))


def export_csv() -> tuple[bytes, int]:
    """The filtered rows (newest first, at most EXPORT_MAX) as CSV; the export itself is audited."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "at", "username", "action", "entity", "entity_id", "detail", "prev_hash", "hash"])
    with session_scope() as s:
        rows = audit.search(s, flt, limit=EXPORT_MAX)
        for r in rows:
            w.writerow([r.id, r.at.isoformat(timespec="seconds"), r.username, r.action, r.entity or "",
                        r.entity_id or "", r.detail or "", r.prev_hash, r.hash])
        audit.write(s, user.username, "audit.export", "audit_log", None,
                    {"rows": len(rows), "username": flt.username, "actions": list(flt.actions),
                     "from": d_from.isoformat(), "to": d_to.isoformat()}, at=now_local())
    return ("\ufeff" + buf.getvalue()).encode("utf-8"), len(rows)  # BOM: Excel opens it as UTF-8


with c_export:
    if st.button(t("admin.audit.export"), key="ad_export", icon=":material/download:", disabled=total == 0):
        data, n = export_csv()
        st.session_state["ad_export_file"] = (signature, data, n)
    ready = st.session_state.get("ad_export_file")
    if ready and ready[0] == signature:
        _sig, data, n = ready
        st.caption(t("admin.audit.export_ready", n=f"{n:,}"))
        if total > EXPORT_MAX:
            st.warning(t("admin.audit.export_capped", n=f"{EXPORT_MAX:,}"))
        st.download_button(t("admin.audit.download"), data, file_name=f"audit_{today:%Y%m%d}.csv", mime="text/csv",
                           key="ad_download", on_click="ignore")
