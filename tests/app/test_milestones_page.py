"""AppTest: the milestones screen (late ones on top, coordinator/admin update audited and
version-checked, read-only for leaders, refused for officers) and the pilot-vs-rest screen.

The tiny city (tiny_city.py) has the seeded milestones (all 'planned' after migration) and
today = 2026-03-15, so every milestone due before that day is late."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest
from tiny_city import TODAY

from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
MILESTONES = str(ROOT / "pages" / "milestones.py")
PILOT = str(ROOT / "pages" / "pilot.py")
TODAY_D = date.fromisoformat(TODAY[:10])


def run(script: str, username: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(script, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def db_rows(url: str, sql: str, **params) -> list:
    eng = create_engine(url)
    with eng.connect() as c:
        rows = c.execute(text(sql), params).all()
    eng.dispose()
    return rows


def execute(url: str, sql: str, **params) -> None:
    eng = create_engine(url)
    with eng.begin() as c:
        c.execute(text(sql), params)
    eng.dispose()


def late_codes(url: str) -> list[str]:
    """Milestones past due and not done at TODAY, from the database itself."""
    rows = db_rows(url, "SELECT code, due, status FROM milestone ORDER BY due, code")
    return [c for c, due, st in rows if st != "done" and date.fromisoformat(str(due)[:10]) < TODAY_D]


def charts(at: AppTest) -> int:
    """Altair charts on the page (the element's proto name differs between Streamlit versions)."""
    return len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart"))


def zh(key: str) -> str:
    return CATALOGUE[key]["zh"]


def test_officer_is_refused(app_env):
    for script in (MILESTONES, PILOT):
        at = run(script, "officer")
        assert [e.value for e in at.error] == [zh("auth.forbidden")]
        assert not at.dataframe and not at.selectbox


def test_district_leader_sees_late_list_but_no_form(app_env):
    at = run(MILESTONES, "district")
    late = late_codes(app_env)
    assert late  # the seed has milestones due before 2026-03-15
    late_table = at.dataframe[0].value
    titles = set(db_rows(app_env, "SELECT title_zh FROM milestone WHERE code IN ({})".format(
        ",".join(f"'{c}'" for c in late))))
    assert set(late_table[zh("milestones.col.title")]) == {t for (t,) in titles}
    assert charts(at) == 1  # the timeline
    assert [i.value for i in at.info] == [zh("milestones.read_only")]
    assert not at.text_area and not at.button  # no update form


def test_coordinator_updates_a_milestone_persisted_and_audited(app_env):
    at = run(MILESTONES, "coord")
    code = late_codes(app_env)[0]
    (mid, version) = db_rows(app_env, "SELECT id, version FROM milestone WHERE code=:c", c=code)[0]
    before = len(late_codes(app_env))
    assert at.selectbox(key="ms_edit_pick_zh").value == code  # the first late one is preselected
    at.selectbox(key=f"ms_status_{mid}").set_value("done")
    at.text_area(key=f"ms_evidence_{mid}").input("市局文件〔2024〕12 号")
    at.button[0].click()
    at.run()
    assert not at.exception and not at.error
    assert at.success and "已保存" in at.success[0].value
    status, evidence, new_version, done_on = db_rows(
        app_env, "SELECT status, evidence, version, done_on FROM milestone WHERE id=:i", i=mid)[0]
    assert (status, evidence, new_version) == ("done", "市局文件〔2024〕12 号", version + 1)
    assert str(done_on)[:10] == TODAY[:10]
    audits = db_rows(app_env, "SELECT username, detail FROM audit_log WHERE action='milestone.update' "
                              "AND entity_id=:c", c=code)
    assert len(audits) == 1 and audits[0][0] == "coord"
    assert json.loads(audits[0][1])["status"] == "done"
    # it left the late list on the page
    assert len(late_codes(app_env)) == before - 1
    assert len(at.dataframe[0].value) == before - 1


def test_concurrent_edit_is_refused_and_the_typed_text_stays(app_env):
    at = run(MILESTONES, "admin")
    code = late_codes(app_env)[0]
    (mid,) = db_rows(app_env, "SELECT id FROM milestone WHERE code=:c", c=code)[0]
    at.text_area(key=f"ms_evidence_{mid}").input("我的佐证")
    # someone else saves in between
    execute(app_env, "UPDATE milestone SET status='in_progress', evidence='别人的', version=version+1 WHERE id=:i",
            i=mid)
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == [zh("milestones.conflict")]
    assert at.text_area(key=f"ms_evidence_{mid}").value == "我的佐证"
    assert db_rows(app_env, "SELECT status, evidence FROM milestone WHERE id=:i", i=mid)[0] == ("in_progress", "别人的")
    assert db_rows(app_env, "SELECT count(*) FROM audit_log WHERE action='milestone.update'")[0][0] == 0
    # a second save, now knowing the current version, goes through
    at.button[0].click()
    at.run()
    assert not at.error
    assert db_rows(app_env, "SELECT evidence FROM milestone WHERE id=:i", i=mid)[0] == ("我的佐证",)


def test_pilot_city_roles_compare_and_district_leader_gets_an_explanation(app_env):
    # tiny city: D1 is the pilot district, D2 the rest; all checks are in 2026-02 (G1 4/3, G1B 1/0, G2 2/2)
    at = run(PILOT, "city")
    assert charts(at) >= 1
    did = at.dataframe[0].value
    assert len(did) == 3  # info accuracy, need resolution, satisfaction
    # no 2023/2024 data in the tiny city → no estimate, said so
    assert set(did[zh("pilot.col.verdict")]) == {zh("pilot.verdict.no_data")}
    at = run(PILOT, "district")
    assert not at.dataframe
    assert "东湖区" in at.info[0].value and zh("pilot.group.pilot") in at.info[0].value


def test_english_milestones_screen_has_no_chinese_owner_or_note(app_env):
    """The plans' owners and notes are Chinese reference data; the English screen shows them in English."""
    import re

    from pagerun import open_page

    at = open_page(MILESTONES, "district", lang="en")
    late = at.dataframe[0].value
    en = {k: v["en"] for k, v in CATALOGUE.items()}
    owners = list(late[en["milestones.col.owner"]])
    notes = [n for n in late[en["milestones.col.note"]] if n]
    assert owners and "Not stated in the plan" in owners
    cjk = re.compile(r"[\u3400-\u9fff]")
    assert not [o for o in owners if cjk.search(o)]
    assert not [n for n in notes if cjk.search(n.replace("实施细则", ""))]
    assert not [t for t in late[en["milestones.col.title"]] if cjk.search(t)]
