"""里程碑 Milestones: the 2024–2026 timeline with status, owner and evidence; late ones on top;
coordinators and admins update status and evidence (optimistic locking, audited)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.core.clock import today_local
from data_access.core.db import get_engine, session_scope
from data_access.core.errors import ConcurrentEdit, NotFound, ValidationError
from data_access.core.settings import get_settings
from data_access.programme import milestones as ms
from ui import charts, vega
from ui import flash as flashes
from ui import format as fmt
from ui.auth import require, roles_for
from ui.i18n import lang, t

user = require(roles=roles_for("milestones"))  # stops here unless signed in with an allowed role

EDITORS = frozenset({"admin", "coordinator"})
FLASH = "milestones"  # ui.flash: the outcome of a click, shown after the rerun


@st.cache_data(ttl=5, show_spinner=False)
def load_milestones(scope_code: str) -> list[ms.MilestoneRow]:
    """Every milestone (programme-wide rows; keyed by scope like every cache of the app)."""
    with session_scope(get_engine(get_settings().database_url)) as s:
        return ms.list_milestones(session=s)


def status_text(code: str) -> str:
    return t(f"milestones.status.{code}")


today = today_local()
st.title(t("milestones.title"))
st.caption(t("milestones.data_date", date=fmt.day(today)))

with st.spinner(t("milestones.loading")):
    rows = load_milestones(user.scope_code)
if not rows:
    st.info(t("milestones.none"))
    st.stop()

by_code = {r.code: r for r in rows}
frame = charts.timeline_frame(rows, today, lang())
frame["owner"] = [fmt.owner(o, lang()) for o in frame["owner"]]  # timeline tooltips and tables
frame["plan"] = [by_code[c].plan or "—" for c in frame["code"]]
frame["source"] = [by_code[c].source or "" for c in frame["code"]]
frame["done_on"] = [fmt.day(by_code[c].done_on) if by_code[c].done_on else "" for c in frame["code"]]

flashes.show(FLASH)

counts = frame["status"].value_counts()
st.markdown(t("milestones.summary", total=len(frame), **{s: int(counts.get(s, 0)) for s in charts.MILESTONE_STATUSES}))

# --- filters ---------------------------------------------------------------------------------
plans = sorted({p for p in frame["plan"]})
c_status, c_plan = st.columns([3, 2])
with c_status:
    chosen_status = st.multiselect(t("milestones.filter_status"), list(charts.MILESTONE_STATUSES),
                                   default=list(charts.MILESTONE_STATUSES), format_func=status_text,
                                   key=f"ms_filter_status_{lang()}")
with c_plan:
    plan_opts = ["", *plans]
    chosen_plan = st.selectbox(t("milestones.filter_plan"), plan_opts, key=f"ms_filter_plan_{lang()}",
                               format_func=lambda p: p or t("milestones.all"))
in_plan = frame if not chosen_plan else frame[frame["plan"] == chosen_plan]

# --- late ones first -------------------------------------------------------------------------
late = in_plan[in_plan["late"]]
st.subheader(f":red[:material/warning: {t('milestones.late_title')}]" if len(late) else t("milestones.late_title"))
if late.empty:
    st.success(t("milestones.late_none"))
else:
    late_tbl = pd.DataFrame({
        t("milestones.col.due"): [fmt.day(d.date()) for d in late["due"]],
        t("milestones.col.title"): late["title"],
        t("milestones.col.late"): [t("milestones.late_days", days=(today - d.date()).days) for d in late["due"]],
        t("milestones.col.owner"): late["owner"],
        t("milestones.col.evidence"): late["evidence"],
        t("milestones.col.note"): [fmt.bilingual(by_code[c].note, lang()) for c in late["code"]],
    })
    st.dataframe(late_tbl.style.set_properties(**{"color": "#b71c1c", "background-color": "#fdecea"}),
                 hide_index=True, width="stretch")

# --- timeline ------------------------------------------------------------------------------------
shown = in_plan[in_plan["status"].isin(chosen_status)]
st.subheader(t("milestones.timeline"))
if shown.empty:
    st.info(t("milestones.empty"))
else:
    labels = {"due": t("milestones.col.due"), "milestone": t("milestones.col.title"),
              "status": t("milestones.col.status"), "owner": t("milestones.col.owner"),
              "evidence": t("milestones.col.evidence"), "data_date": t("milestones.data_date", date=fmt.day(today))}
    vega.show("timeline", shown, t("milestones.timeline_title"),
              {s: status_text(s) for s in charts.MILESTONE_STATUSES}, today, lang(), labels)
    st.caption(t("milestones.legend"))
    with st.expander(t("milestones.table"), expanded=False):
        table = pd.DataFrame({
            t("milestones.col.due"): [fmt.day(d.date()) for d in shown["due"]],
            t("milestones.col.title"): shown["title"],
            t("milestones.col.status"): [status_text(s) for s in shown["status"]],
            t("milestones.col.owner"): shown["owner"],
            t("milestones.col.evidence"): shown["evidence"],
            t("milestones.col.done_on"): shown["done_on"],
            t("milestones.col.source"): shown["source"],
        })
        st.dataframe(table, hide_index=True, width="stretch")

# --- update (coordinators and admins) ----------------------------------------------------------
st.subheader(t("milestones.edit"))
if user.role not in EDITORS:
    st.info(t("milestones.read_only"))
    st.stop()

titles = {r.code: f"{fmt.day(r.due)} · {r.title_en if lang() == 'en' else r.title_zh}" for r in rows}
codes = list(titles)
late_codes = list(late["code"])
code = st.selectbox(t("milestones.edit_pick"), codes, index=codes.index(late_codes[0]) if late_codes else 0,
                    format_func=titles.get, key=f"ms_edit_pick_{lang()}")
current = by_code[code]
ver_key = f"ms_ver_{current.id}"
if f"ms_status_{current.id}" not in st.session_state:  # a fresh form: it shows this version
    st.session_state[ver_key] = current.version  # a save must still find the milestone at this version
st.caption(t("milestones.current", status=status_text(frame.loc[frame["code"] == code, "status"].iloc[0]),
             version=current.version))

with st.form(f"ms_form_{current.id}", clear_on_submit=False):
    editable = list(ms.EDITABLE_STATUSES)
    new_status = st.selectbox(t("milestones.edit_status"), editable,
                              index=editable.index(current.status) if current.status in editable else 0,
                              format_func=status_text, key=f"ms_status_{current.id}")
    evidence = st.text_area(t("milestones.edit_evidence"), value=current.evidence or "", max_chars=ms.EVIDENCE_MAX,
                            key=f"ms_evidence_{current.id}")
    st.caption(t("milestones.edit_hint"))
    submitted = st.form_submit_button(t("milestones.edit_submit"), type="primary")

if submitted:
    try:
        with session_scope(get_engine(get_settings().database_url)) as s:
            saved = ms.update(s, current.id, st.session_state[ver_key], user.username, new_status, evidence,
                              today=today)
    except ConcurrentEdit:
        # keep the typed text (the form is not cleared); from now on the editor works on the current version
        load_milestones.clear()
        fresh = {r.id: r for r in load_milestones(user.scope_code)}.get(current.id)
        if fresh is not None:
            st.session_state[ver_key] = fresh.version
            st.error(t("milestones.conflict"))
            st.caption(t("milestones.current", status=status_text(charts.effective_status(
                fresh.status, fresh.due, today)), version=fresh.version)
                + (f" · {fresh.evidence}" if fresh.evidence else ""))
        else:
            st.error(t("milestones.err_missing"))
    except NotFound:
        st.error(t("milestones.err_missing"))
    except ValidationError as e:
        st.error(t("milestones.err_status") if e.field == "status" else t("milestones.err_evidence", **e.params))
    else:
        st.session_state[ver_key] = saved.version
        load_milestones.clear()
        flashes.keep(FLASH, "success", t("milestones.saved", title=titles[code]))
        st.rerun()
