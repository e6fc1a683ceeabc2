"""AppTest (issue 5): the officer's screens 我的任务 and 走访登记 on the tiny city (tiny_city.py).

The officer ``officer`` (张伟) works grid G1: households H-G1-0 … H-G1-3. G1B and G2 belong to
other officers. 'Now' is frozen at tiny_city.TODAY (2026-03-15 10:00). Expected values are
computed here from those facts and from what each test types.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from tiny_city import CHECKS, TODAY

from data_access.core import db as dbmod
from data_access.fieldwork.models import FormItem, Household, Need, Visit, VisitDraft
from data_access.fieldwork.visit_form import item_options
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
MY_WORK = str(ROOT / "pages" / "my_work.py")
LOG_VISIT = str(ROOT / "pages" / "log_visit.py")
NOW = datetime.fromisoformat(TODAY)
OWN = {f"H-G1-{i}" for i in range(CHECKS["G1"][0])}
OTHERS = {f"H-{g}-{i}" for g in ("G1B", "G2") for i in range(CHECKS[g][0])}


def zh(key: str, **fmt) -> str:
    text = CATALOGUE[key]["zh"]
    return text.format(**fmt) if fmt else text


def run(script: str, username: str, household: str | None = None) -> AppTest:
    at = AppTest.from_file(script, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    if household:
        at.query_params["household"] = household
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def db(url: str) -> Session:
    return Session(dbmod.make_engine(url))


def key(at: AppTest, name: str) -> str:
    return at.session_state["lv"]["prefix"] + name


def box(at: AppTest, name: str):
    """The form's select box ``name``."""
    return at.selectbox(key=key(at, name))


def fill_valid(at: AppTest, url: str) -> None:
    """Answer the process checks and every required form item (read from the form_item rows)."""
    at.radio(key=key(at, "id_shown")).set_value("yes").run()
    at.radio(key=key(at, "bodycam")).set_value("yes").run()
    at.radio(key=key(at, "sat")).set_value(5).run()
    with db(url) as s:
        required = [(i.code, i.kind, item_options(i)) for i in s.exec(select(FormItem)).all()
                    if i.required and i.active]
    assert required  # the default form has required items
    for code, kind, opts in required:
        w = at.radio(key=key(at, "a_" + code))
        w.set_value("no" if kind == "bool" else opts[0]["code"]).run()
    assert not at.exception, [e.value for e in at.exception]


def red_notes(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith(":red[")]


def visits(url: str) -> list[Visit]:
    with db(url) as s:
        return list(s.exec(select(Visit)).all())


# --- access -------------------------------------------------------------------------------------

@pytest.mark.parametrize("script", [MY_WORK, LOG_VISIT])
def test_district_leader_cannot_open_the_officer_pages(app_env, script):
    at = run(script, "district", household="H-G1-0")
    assert [e.value for e in at.error] == [zh("auth.forbidden")]
    assert not at.metric and not at.button and not at.radio and not at.text_input


def test_officer_lands_on_my_work():
    from ui.auth import pages_for

    sections = pages_for("officer")
    first = next(iter(sections.values()))[0]
    assert first.key == "my_work"  # st.navigation's default is the first page of the first section
    assert "log_visit" in [p.key for p in sections[first.section_key]]
    for role in ("admin", "city_leader", "district_leader", "coordinator"):
        assert all(p.key not in ("my_work", "log_visit") for ps in pages_for(role).values() for p in ps)


def test_officer_app_opens_on_my_work_and_leaders_on_the_overview(app_env):
    at = run(str(ROOT / "app.py"), "officer")
    assert [x.value for x in at.title] == [zh("mywork.title")]
    at = run(str(ROOT / "app.py"), "district")
    assert [x.value for x in at.title] == [zh("overview.title")]


def test_my_work_lists_only_the_officers_grid(app_env):
    at = run(MY_WORK, "officer")
    rows = " ".join(m.value for m in at.markdown)
    for code in OWN:
        assert f"**{code}**" in rows, code
    for code in OTHERS:
        assert code not in rows, code
    # no visits yet: each of the 4 households is due or pending for the phase; nothing else
    labels = {m.label: m.value for m in at.metric}
    assert labels[zh("mywork.bucket.need_overdue")] == "0"
    assert labels[zh("mywork.bucket.visit_overdue")] == "0"
    assert len([b for b in at.button if b.label == zh("mywork.start")]) == len(OWN)


def test_search_finds_only_own_grid_households(app_env):
    at = run(LOG_VISIT, "officer")
    at.text_input(key="lv_q").input("H-").run()
    shown = " ".join(m.value for m in at.markdown)
    assert {c for c in OWN | OTHERS if f"**{c}**" in shown} == OWN
    at.text_input(key="lv_q").input("路").run()  # address fragment shared by every household
    shown = " ".join(m.value for m in at.markdown)
    assert {c for c in OWN | OTHERS if f"**{c}**" in shown} == OWN


def test_household_of_another_grid_in_the_url_is_refused(app_env):
    at = run(LOG_VISIT, "officer", household="H-G2-0")
    assert [e.value for e in at.error] == [zh("logv.not_found", code="H-G2-0")]
    assert not at.radio  # no form
    assert "lv" not in at.session_state


# --- validation ---------------------------------------------------------------------------------

def test_future_visit_time_is_refused_and_nothing_is_written(app_env):
    at = run(LOG_VISIT, "officer", household="H-G1-0")
    fill_valid(at, app_env)
    at.time_input(key=key(at, "time")).set_value(time(NOW.hour + 1, 0)).run()
    at.button(key="lv_submit").click().run()
    assert not at.exception
    assert ":red[:material/error: " + zh("error.future") + "]" in red_notes(at)
    assert [e.value for e in at.error] == [zh("logv.fix_errors", n=1)]
    assert visits(app_env) == []
    assert not at.success


def test_missing_required_answers_are_shown_next_to_each_field(app_env):
    at = run(LOG_VISIT, "officer", household="H-G1-0")
    at.button(key="lv_submit").click().run()
    with db(app_env) as s:
        n_required = len([i for i in s.exec(select(FormItem)).all() if i.required and i.active])
    # every required item plus the two process checks
    assert red_notes(at).count(":red[:material/error: " + zh("error.required") + "]") == n_required + 2
    assert visits(app_env) == []


def test_the_count_above_submit_follows_the_fixes(app_env):
    """A refused submit counts the problems; each answer that fixes one lowers the count (the whole
    form is drawn again when its messages change); the last fix clears it."""
    at = run(LOG_VISIT, "officer", household="H-G1-0")
    at.button(key="lv_submit").click().run()
    n = len(red_notes(at))
    assert n >= 3 and [e.value for e in at.error] == [zh("logv.fix_errors", n=n)]
    at.radio(key=key(at, "id_shown")).set_value("yes").run()
    assert [e.value for e in at.error] == [zh("logv.fix_errors", n=n - 1)] and len(red_notes(at)) == n - 1
    fill_valid(at, app_env)
    assert not at.error and not red_notes(at)
    assert visits(app_env) == []  # fixing is not submitting


# --- submission ---------------------------------------------------------------------------------

def test_valid_submission_writes_one_visit_and_its_needs(app_env):
    at = run(LOG_VISIT, "officer", household="H-G1-1")
    fill_valid(at, app_env)
    at.button(key=key(at, "add_need")).click().run()
    at.button(key=key(at, "add_need")).click().run()
    box(at, "n1_cat").set_value("lighting").run()
    at.text_input(key=key(at, "n1_desc")).input("楼道灯坏了").run()
    box(at, "n2_cat").set_value("anti_fraud").run()
    assert at.number_input(key=key(at, "dur")).value == 30  # the visit duration's default
    at.number_input(key=key(at, "dur")).set_value(45).run()
    token = at.session_state["lv"]["token"]
    at.button(key="lv_submit").click().run()
    assert not at.exception and not red_notes(at), red_notes(at)

    vs = visits(app_env)
    assert len(vs) == 1
    v = vs[0]
    with db(app_env) as s:
        h = s.exec(select(Household).where(Household.code == "H-G1-1")).one()
        ns = list(s.exec(select(Need).order_by(Need.id)).all())
        drafts = list(s.exec(select(VisitDraft)).all())
    assert (v.household_id, v.client_token, v.visited_at, v.entered_at) == (h.id, token, NOW, NOW)
    assert (v.id_shown, v.bodycam_on, v.satisfaction, v.duration_min) == (True, True, 5, 45)
    assert [(n.category, n.description, n.visit_id, n.created_at) for n in ns] == [
        ("lighting", "楼道灯坏了", v.id, NOW), ("anti_fraud", None, v.id, NOW)]
    assert drafts == []  # the draft is gone once the visit is in
    due = (NOW + timedelta(hours=48)).strftime("%Y-%m-%d %H:%M")
    msg = at.success[0].value
    assert v.code in msg
    for n, label in zip(ns, ("照明", "反诈宣传"), strict=True):
        assert zh("logv.done_need", code=n.code, category=label, due=due) in msg
    # the form is reset for the next visit: a new token, nothing answered
    assert at.session_state["lv"]["token"] != token
    assert at.radio(key=key(at, "id_shown")).value is None
    assert at.session_state["lv"]["needs"] == []


def test_pressing_submit_twice_writes_one_visit(app_env):
    at = run(LOG_VISIT, "officer", household="H-G1-2")
    fill_valid(at, app_env)
    at.button(key="lv_submit").click().run()
    at.button(key="lv_submit").click().run()
    assert not at.exception
    assert len(visits(app_env)) == 1
    assert len(at.success) == 1 and not at.error


def test_the_same_draft_submitted_from_two_laptops_writes_one_visit(app_env):
    a = run(LOG_VISIT, "officer", household="H-G1-3")
    fill_valid(a, app_env)  # every change is saved as a draft
    b = run(LOG_VISIT, "officer", household="H-G1-3")  # the draft, with its token, resumes here
    assert b.session_state["lv"]["token"] == a.session_state["lv"]["token"]
    a.button(key="lv_submit").click().run()
    b.button(key="lv_submit").click().run()
    assert not b.exception
    vs = visits(app_env)
    assert len(vs) == 1
    assert zh("logv.done_again", code=vs[0].code, household="H-G1-3") in b.info[0].value


def test_draft_saved_in_one_session_is_loaded_in_a_fresh_one(app_env):
    a = run(LOG_VISIT, "officer", household="H-G1-0")
    a.radio(key=key(a, "id_shown")).set_value("yes").run()
    a.radio(key=key(a, "a_hz_fire")).set_value("yes").run()
    a.text_input(key=key(a, "a_hz_note")).input("电动车在楼道充电").run()
    a.button(key=key(a, "add_need")).click().run()
    box(a, "n1_cat").set_value("elderly_care").run()
    with db(app_env) as s:
        assert len(s.exec(select(VisitDraft)).all()) == 1

    b = run(LOG_VISIT, "officer", household="H-G1-0")  # another laptop: a new session
    assert zh("logv.resumed") in [i.value for i in b.info]
    assert b.radio(key=key(b, "id_shown")).value == "yes"
    assert b.radio(key=key(b, "bodycam")).value is None
    assert b.radio(key=key(b, "a_hz_fire")).value == "yes"
    assert b.text_input(key=key(b, "a_hz_note")).value == "电动车在楼道充电"
    assert box(b, "n1_cat").value == "elderly_care"
    assert b.session_state["lv"]["token"] == a.session_state["lv"]["token"]
    assert visits(app_env) == []  # a draft is not a visit


def test_night_visit_without_appointment_needs_a_justification(app_env):
    at = run(LOG_VISIT, "officer", household="H-G1-0")
    fill_valid(at, app_env)
    at.date_input(key=key(at, "date")).set_value((NOW - timedelta(days=1)).date()).run()
    at.time_input(key=key(at, "time")).set_value(time(21, 30)).run()
    at.button(key="lv_submit").click().run()
    assert any(zh("logv.night_rule") in m.value for m in at.markdown)
    assert visits(app_env) == []
    at.text_area(key=key(at, "just")).input("居民白天上班，只能晚上在家").run()
    at.button(key="lv_submit").click().run()
    assert not red_notes(at), red_notes(at)
    vs = visits(app_env)
    assert [(v.visited_at, v.justification) for v in vs] == [
        (datetime.combine((NOW - timedelta(days=1)).date(), time(21, 30)), "居民白天上班，只能晚上在家")]


def test_english_form_messages(app_env):
    at = AppTest.from_file(LOG_VISIT, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "officer"
    at.session_state["lang"] = "en"
    at.query_params["household"] = "H-G1-0"
    at.run()
    fill_valid(at, app_env)
    at.time_input(key=key(at, "time")).set_value(time(NOW.hour + 1, 0)).run()
    at.button(key="lv_submit").click().run()
    assert ":red[:material/error: " + CATALOGUE["error.future"]["en"] + "]" in red_notes(at)


def test_switching_language_mid_form_keeps_what_was_typed(app_env):
    at = run(LOG_VISIT, "officer", household="H-G1-0")
    at.radio(key=key(at, "id_shown")).set_value("yes").run()
    at.text_input(key=key(at, "a_hz_note")).input("楼道堆放杂物").run()
    at.session_state["lang"] = "en"
    at.run()
    assert at.radio(key=key(at, "id_shown")).label == CATALOGUE["logv.id_shown"]["en"]
    assert at.radio(key=key(at, "id_shown")).value == "yes"
    assert at.text_input(key=key(at, "a_hz_note")).value == "楼道堆放杂物"


def test_switching_language_keeps_the_chosen_categories_valid(app_env):
    """The form's select boxes are noted as translated (``ui.i18n.translated``: a box's value
    travels as the text it shows, so the language switch sends them again; the browser test checks
    what is shown): after a switch to English the need category chosen in Chinese is the same
    choice, and the visit is written with it and with the household's category unchanged."""
    at = run(LOG_VISIT, "officer", household="H-G1-1")
    fill_valid(at, app_env)
    at.button(key=key(at, "add_need")).click().run()
    box(at, "n1_cat").set_value("lighting").run()
    with db(app_env) as s:
        category = s.exec(select(Household).where(Household.code == "H-G1-1")).one().category
    at.session_state["lang"] = "en"
    at.run()
    assert box(at, "n1_cat").value == "lighting"
    assert box(at, "cat").value == category
    at.radio(key=key(at, "sat")).set_value(4).run()  # a later run sends every box's value back
    at.button(key="lv_submit").click().run()
    assert not at.exception and not red_notes(at), red_notes(at)
    with db(app_env) as s:
        assert [n.category for n in s.exec(select(Need)).all()] == ["lighting"]
        assert s.exec(select(Household).where(Household.code == "H-G1-1")).one().category == category


def test_a_new_household_leaves_no_entries_of_the_previous_form(app_env):
    """Each form has its own widget keys; switching households drops the previous form's, also
    those of fields never drawn (appointment, late-entry reason), so a day of visits does not grow
    the session (Streamlit scans the whole state for every radio)."""
    at = run(LOG_VISIT, "officer", household="H-G1-0")
    first = at.session_state["lv"]["prefix"]
    assert any(k.startswith(first) for k in at.session_state.keys())
    for code in ("H-G1-1", "H-G1-2"):
        at.query_params["household"] = code
        at.run()
        assert not at.exception
    assert at.session_state["lv"]["code"] == "H-G1-2"
    prefix = at.session_state["lv"]["prefix"]
    stale = [k for k in at.session_state.keys() if k.startswith("lv") and "_" in k and k[:k.index("_") + 1] != prefix
             and k[2:3].isdigit()]
    assert stale == []
