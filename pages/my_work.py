"""我的任务 My work: what the signed-in officer should do next, most urgent first, one click to start a visit."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from data_access.core.clock import now_local
from data_access.fieldwork.worklist import BUCKETS, summary
from ui import assistance as assist
from ui import cases
from ui import format as fmt
from ui.auth import require, roles_for
from ui.i18n import lang, need_category_label, risk_label, t
from ui.staffing import office_hours_form
from ui.visit_form import load_work

user = require(roles=roles_for("my_work"))  # officers only; stops here otherwise

LOG_VISIT = str(Path(__file__).resolve().parent / "log_visit.py")
EVENTS = str(Path(__file__).resolve().parent / "events.py")
CASES_SHOWN = 20
PAGE_SIZE = 15
BADGE = {"need_overdue": "red", "visit_overdue": "red", "appointment_soon": "orange", "need_near": "orange",
         "visit_due": "blue", "appointment": "gray", "phase_pending": "gray"}
HEADLINE = ("need_overdue", "visit_overdue", "appointment_soon", "need_near", "visit_due")

st.title(t("mywork.title"))
now = now_local()
with st.spinner(t("mywork.loading")):
    items = load_work(user.username, user.scope_code, now.replace(second=0, microsecond=0))  # a minute-wide key
counts = summary(items)

for col, bucket in zip(st.columns(len(HEADLINE)), HEADLINE, strict=True):
    col.metric(t(f"mywork.bucket.{bucket}"), fmt.count(counts[bucket]))
st.caption(t("mywork.counts_note", pending=counts["phase_pending"], later=counts["appointment"],
             time=now.strftime("%Y-%m-%d %H:%M")))
office_hours_form(user.username)  # seed 002: on-site office hours (坐班/驻点) count as time in the grid

# grid events and hazards on their clocks, in the same place (most urgent first)
open_cases = cases.load_open_cases(user.scope_code, user.username, None, ("event", "hazard"), (), False,
                                   now.replace(second=0, microsecond=0), CASES_SHOWN)
if open_cases:
    st.subheader(t("mywork.cases", n=len(open_cases)))
    cases.case_table(open_cases)
    if st.button(t("mywork.cases_link"), icon=":material/notification_important:", key="mw_events"):
        st.switch_page(EVENTS)

# assisted persons: open counselling alerts and overdue weekly visits of high-risk persons (seed 004)
assisted = assist.alerts_and_visits(user.username, now, acknowledge=False, link=True)

if not items:
    if not open_cases and not assisted:
        st.success(t("mywork.empty"))
    st.stop()

kinds = {"all": t("mywork.kind.all"), "visit": t("mywork.kind.visit"), "need": t("mywork.kind.need"),
         "appointment": t("mywork.kind.appointment")}
c_kind, c_page = st.columns([4, 1], vertical_alignment="bottom")
with c_kind:
    kind = st.radio(t("mywork.show"), list(kinds), format_func=kinds.get, horizontal=True, key=f"mw_kind_{lang()}")
shown = [i for i in items if kind == "all" or i.kind == kind]
pages = max(1, -(-len(shown) // PAGE_SIZE))
with c_page:
    page_no = st.number_input(t("mywork.page", pages=pages), min_value=1, max_value=pages, value=1, step=1,
                              key="mw_page") if pages > 1 else 1
page_items = shown[(page_no - 1) * PAGE_SIZE: page_no * PAGE_SIZE]
if not page_items:
    st.info(t("mywork.none_of_kind"))
    st.stop()


def detail(item) -> str:
    if item.kind == "need":
        due = t("mywork.need_due", due=item.due_at.strftime("%m-%d %H:%M"))
        return f"{fmt.md(item.need_code)} · {fmt.md(need_category_label(item.need_category))} · {due}"
    if item.kind == "appointment":
        night = f" · {t('mywork.night')}" if item.is_night else ""
        return t("mywork.appointment_at", at=item.due_at.strftime("%m-%d %H:%M")) + night
    last = fmt.day(item.last_visit_at.date()) if item.last_visit_at else t("mywork.never")
    return t("mywork.visit_detail", risk=risk_label(item.risk_level), last=last, due=fmt.day(item.due_at.date()))


head = st.columns([1.6, 3.4, 4.2, 1.4])
for col, key in zip(head, ("mywork.col.urgency", "mywork.col.household", "mywork.col.detail", "mywork.col.action"),
                    strict=True):
    col.markdown(f"**{t(key)}**")
for n, item in enumerate(page_items):
    c1, c2, c3, c4 = st.columns([1.6, 3.4, 4.2, 1.4], vertical_alignment="center")
    c1.markdown(f":{BADGE[item.bucket]}-badge[{t('mywork.bucket.' + item.bucket)}]")
    c2.markdown(f"**{fmt.md(item.household_code)}** · {fmt.md(item.address)}")
    c3.markdown(detail(item))
    if c4.button(t("mywork.start"), key=f"mw_go_{(page_no - 1) * PAGE_SIZE + n}", type="primary"
                 if item.rank <= BUCKETS.index("need_near") else "secondary", width="stretch"):
        st.switch_page(LOG_VISIT, query_params={"household": item.household_code})
