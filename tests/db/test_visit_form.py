"""Visit e-form: validation rules (table + hypothesis), one-transaction submit, idempotent resubmit,
drafts that resume in another session, appointments for night visits."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from issue5_world import NOW, build
from sqlalchemy import text
from sqlmodel import Session, func, select

from data_access.core.errors import FormInvalid
from data_access.core.models import AuditLog
from data_access.fieldwork import visit_form as vf
from data_access.fieldwork import worklist
from data_access.fieldwork.models import FormItem, Household, Need, NeedEvent, Visit, VisitAnswer

H = timedelta(hours=1)


def _items() -> list[FormItem]:
    """A hand-written form (independent of the seeded one) for the pure validation tests."""
    return [
        FormItem(section="info", code="addr_ok", label_zh="地址一致", label_en="Address ok", kind="bool",
                 required=True),
        FormItem(section="info", code="people", label_zh="人数", label_en="People", kind="number",
                 options='{"min": 0, "max": 50}'),
        FormItem(section="hazard", code="fraud", label_zh="诈骗风险", label_en="Fraud risk", kind="choice",
                 options='[{"code": "none"}, {"code": "high"}]', required=True),
        FormItem(section="need", code="other", label_zh="其他", label_en="Other", kind="text",
                 options='{"max_length": 20}'),
        FormItem(section="need", code="old", label_zh="停用", label_en="Retired", kind="bool", required=True,
                 active=False),
    ]


def _valid(**over) -> dict:
    d = {"household_id": 1, "visited_at": NOW - H, "id_shown": True, "bodycam_on": True, "satisfaction": 5,
         "answers": {"addr_ok": True, "people": 3, "fraud": "none", "other": "无"},
         "needs": [{"category": "lighting", "description": "路灯坏"}], "client_token": "tok-valid-0001"}
    d.update(over)
    return d


def _codes(errors) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in errors}


def test_valid_input_has_no_errors():
    assert vf.validate_visit(_valid(), now=NOW, items=_items()) == []


NIGHT = datetime(2025, 6, 9, 21, 30)  # 21:30 the evening before NOW


@pytest.mark.parametrize("over,expected", [
    ({"visited_at": NOW + timedelta(minutes=1)}, ("visited_at", "future")),
    ({"visited_at": None}, ("visited_at", "required")),
    ({"visited_at": "2025-13-01T10:00"}, ("visited_at", "format")),
    ({"visited_at": NOW - timedelta(days=31), "late_entry_reason": "居民长期外出，事后补录"}, ("visited_at", "too_old")),
    ({"visited_at": NOW - 25 * H}, ("late_entry_reason", "required_late")),
    ({"visited_at": NIGHT}, ("appointment_made_at", "night_needs_appointment")),
    ({"visited_at": NIGHT, "appointment_made_at": NIGHT - 23 * H}, ("appointment_made_at", "night_needs_appointment")),
    ({"visited_at": NIGHT, "justification": "居民白天上班"}, ("justification", "too_short")),  # 6 characters
    ({"visited_at": datetime(2025, 6, 10, 6, 59)}, ("appointment_made_at", "night_needs_appointment")),
    ({"appointment_made_at": NOW}, ("appointment_made_at", "after_visit")),
    ({"id_shown": None}, ("id_shown", "required")),
    ({"bodycam_on": "yes"}, ("bodycam_on", "type")),
    ({"satisfaction": 0}, ("satisfaction", "range")),
    ({"satisfaction": 6}, ("satisfaction", "range")),
    ({"satisfaction": True}, ("satisfaction", "range")),
    ({"satisfaction": "²"}, ("satisfaction", "range")),  # superscript two is a "digit" but not a rating
    ({"duration_min": 0}, ("duration_min", "range")),
    ({"duration_min": 481}, ("duration_min", "range")),
    ({"duration_min": "half an hour"}, ("duration_min", "range")),
    ({"answers": {"addr_ok": True, "fraud": "none", "people": 10**400}}, ("answers.people", "range")),
    ({"answers": {"addr_ok": True, "fraud": "none", "people": "3 people"}}, ("answers.people", "type")),
    ({"answers": {"people": 3, "fraud": "none"}}, ("answers.addr_ok", "required")),
    ({"answers": {"addr_ok": True, "fraud": "maybe"}}, ("answers.fraud", "choice")),
    ({"answers": {"addr_ok": True, "fraud": "none", "people": 51}}, ("answers.people", "range")),
    ({"answers": {"addr_ok": True, "fraud": "none", "people": float("nan")}}, ("answers.people", "type")),
    ({"answers": {"addr_ok": True, "fraud": "none", "other": "x" * 21}}, ("answers.other", "too_long")),
    ({"answers": {"addr_ok": True, "fraud": "none", "other": "bell\x07"}}, ("answers.other", "bad_character")),
    ({"answers": {"addr_ok": True, "fraud": "none", "other": "abc\u202edef"}}, ("answers.other", "bad_character")),
    ({"answers": {"addr_ok": True, "fraud": "none", "ghost": 1}}, ("answers.ghost", "unknown_item")),
    ({"needs": [{"category": "  ", "description": "x"}]}, ("needs[0].category", "required")),
    ({"needs": [{"category": "c" * 41}]}, ("needs[0].category", "too_long")),
    ({"needs": [{"category": "c"}] * 21}, ("needs", "too_many")),
    ({"client_token": "short"}, ("client_token", "format")),
    ({"household_id": None}, ("household_id", "required")),
    ({"household_changes": {"category": "castle"}, "household_version": 1}, ("household.category", "choice")),
    ({"household_changes": {"address": "新地址"}}, ("household_version", "required")),
])
def test_each_rule_gives_its_error(over, expected):
    errors = vf.validate_visit(_valid(**over), now=NOW, items=_items())
    assert expected in _codes(errors)


@pytest.mark.parametrize("over", [
    {"visited_at": NIGHT, "appointment_made_at": NIGHT - 24 * H},  # booked exactly 24 h ahead
    {"visited_at": NIGHT, "justification": "居民白天在外地上班无法见面"},  # ≥ 10 characters
    {"visited_at": datetime(2025, 6, 10, 7, 0)},  # 07:00 is day time
    {"visited_at": datetime(2025, 6, 9, 19, 59)},
    {"visited_at": NOW - 25 * H, "late_entry_reason": "当日系统故障，次日补录"},
    {"satisfaction": None},
    {"duration_min": None}, {"duration_min": 480}, {"duration_min": "45"},
    {"answers": {"addr_ok": False, "fraud": "high"}},  # False is an answer; retired item not required
])
def test_acceptable_edge_cases(over):
    assert vf.validate_visit(_valid(**over), now=NOW, items=_items()) == []


def test_text_is_nfc_normalised():
    clean, errors = vf.clean_visit(_valid(answers={"addr_ok": True, "fraud": "none", "other": " Cafe\u0301 "}),
                                   now=NOW, items=_items())
    assert errors == [] and clean.answers["other"] == "Caf\u00e9"


# --- hypothesis: a valid form broken in one way gives that error ------------------------------

odd_chars = st.sampled_from(["\x00", "\x1b", "\x7f", "\u202e", "\u2066", "\ue000", "\U0010fffd"])
MUTATIONS = st.one_of(
    st.tuples(st.just("future"), st.integers(1, 10_000)).map(
        lambda t: ({"visited_at": NOW + timedelta(minutes=t[1])}, ("visited_at", "future"))),
    st.tuples(st.just("night"), st.integers(0, 10 * 60 - 1), st.integers(0, 23 * 60 + 59)).map(
        lambda t: ({"visited_at": datetime(2025, 6, 9, 20, 0) + timedelta(minutes=t[1]),
                    "appointment_made_at": datetime(2025, 6, 9, 20, 0) + timedelta(minutes=t[1])
                    - timedelta(minutes=t[2])},
                   ("appointment_made_at", "night_needs_appointment"))),
    st.sampled_from(["id_shown", "bodycam_on", "visited_at", "household_id"]).map(
        lambda k: ({k: None}, (k, "required"))),
    st.text(min_size=21, max_size=60).filter(lambda s: len(s.strip()) > 20 and all(
        c.isprintable() for c in s)).map(
        lambda s: ({"answers": {"addr_ok": True, "fraud": "none", "other": s}}, ("answers.other", None))),
    st.tuples(st.text(max_size=5), odd_chars, st.text(max_size=5)).map(
        lambda t: ({"justification": t[0] + t[1] + t[2] + "abcdefghij"}, ("justification", "bad_character"))),
    st.integers().filter(lambda i: not 1 <= i <= 5).map(lambda i: ({"satisfaction": i}, ("satisfaction", "range"))),
)


@settings(max_examples=150, deadline=None)
@given(MUTATIONS)
def test_hypothesis_one_broken_rule_one_clear_error(mutation):
    over, (field, code) = mutation
    errors = vf.validate_visit(_valid(**over), now=NOW, items=_items())
    assert errors, over
    assert field in {e.field for e in errors}
    if code is not None:
        assert (field, code) in _codes(errors)
    else:  # overlong text may also contain a refused character; either way the field is named
        assert {e.code for e in errors if e.field == field} <= {"too_long", "bad_character"}


# --- database ------------------------------------------------------------------------------

@pytest.fixture
def world(session):
    return build(session)


def _db_input(w, token="tok-db-000001", **over) -> dict:
    d = {"household_id": w.hh["h1"].id, "visited_at": NOW - H, "id_shown": True, "bodycam_on": True,
         "satisfaction": 4, "client_token": token,
         "answers": {"info_address_ok": True, "info_residents_ok": False, "info_tenancy": "rental",
                     "info_people_count": 3, "hz_fire": True, "hz_gas": False, "hz_security": False,
                     "nd_feedback_told": True, "hz_note": "楼道堆放杂物"},
         "needs": [{"category": "lighting", "description": "楼道灯坏"}, {"category": "anti_fraud"}]}
    d.update(over)
    return d


def _counts(s) -> tuple[int, int, int, int]:
    return tuple(s.exec(select(func.count()).select_from(t)).one() for t in (Visit, VisitAnswer, Need, NeedEvent))


def test_default_form_is_seeded_in_three_parts(session):
    items = vf.load_form(session=session)
    assert len(items) >= 12
    assert [i.section for i in items] == sorted((i.section for i in items), key=("info", "hazard", "need").index)
    assert {i.section for i in items} == {"info", "hazard", "need"}
    assert all(i.label_zh and i.label_en for i in items)


def test_submit_writes_visit_answers_needs_in_one_go_and_resubmit_is_a_no_op(session, world):
    off = world.users["off1"]
    r = vf.submit_visit(session=session, user=off, data=_db_input(world, duration_min=40), now=NOW)
    assert r.created and len(r.needs) == 2
    v = r.visit
    assert v.duration_min == 40  # seed 002's time in the grid
    assert (v.officer_id, v.entered_at, v.visited_at, v.compliant, v.grid_id) == (
        off.id, NOW, NOW - H, True, world.units["G1"].id)
    answers = dict(session.exec(select(VisitAnswer.item_code, VisitAnswer.value)
                                .where(VisitAnswer.visit_id == v.id)).all())
    assert answers == {"info_address_ok": "1", "info_residents_ok": "0", "info_tenancy": "rental",
                       "info_people_count": "3", "hz_fire": "1", "hz_gas": "0", "hz_security": "0",
                       "nd_feedback_told": "1", "hz_note": "楼道堆放杂物"}
    assert [(n.category, n.visit_id, n.created_at, n.status) for n in r.needs] == [
        ("lighting", v.id, NOW - H, "open"), ("anti_fraud", v.id, NOW - H, "open")]
    assert _counts(session) == (1, 9, 2, 2)
    session.commit()
    again = vf.submit_visit(session=session, user=off, data=_db_input(world), now=NOW + timedelta(seconds=2))
    assert (again.created, again.visit.id, [n.id for n in again.needs]) == (False, v.id, [n.id for n in r.needs])
    assert _counts(session) == (1, 9, 2, 2)


def test_invalid_submit_writes_nothing(session, world):
    before = (_counts(session), session.exec(select(func.count()).select_from(AuditLog)).one())
    with pytest.raises(FormInvalid) as e:
        vf.submit_visit(session=session, user=world.users["off1"], now=NOW,
                        data=_db_input(world, visited_at=NOW + H, answers={"hz_fire": "x"}))
    got = {(x.field, x.code) for x in e.value.errors}
    assert {("visited_at", "future"), ("answers.hz_fire", "type"), ("answers.info_address_ok", "required")} <= got
    assert (_counts(session), session.exec(select(func.count()).select_from(AuditLog)).one()) == before


def test_only_officers_of_the_grid_submit(session, world):
    from data_access.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        vf.submit_visit(session=session, user=world.users["off2"], data=_db_input(world), now=NOW)
    with pytest.raises(PermissionDenied):
        vf.submit_visit(session=session, user=world.users["dl1"], data=_db_input(world), now=NOW)
    assert _counts(session) == (0, 0, 0, 0)


def test_household_correction_and_stale_version(session, world):
    from data_access.core.errors import ConcurrentEdit

    h = world.hh["h1"]
    r = vf.submit_visit(session=session, user=world.users["off1"], now=NOW, data=_db_input(
        world, household_changes={"address": "和平路1号", "category": "rental"}, household_version=h.version))
    assert r.created
    h2 = session.get(Household, h.id)
    assert (h2.address, h2.category, h2.version) == ("和平路1号", "rental", 2)
    with pytest.raises(ConcurrentEdit):
        vf.submit_visit(session=session, user=world.users["off1"], now=NOW, data=_db_input(
            world, token="tok-db-000002", household_changes={"address": "和平路2号"}, household_version=1))


def test_booked_night_visit_is_compliant_and_closes_the_appointment(session, world):
    off = world.users["off1"]
    night = datetime(2025, 6, 9, 20, 30)
    appt = worklist.book_appointment(session=session, user=off, household_id=world.hh["h1"].id,
                                     scheduled_at=night, now=night - 30 * H)
    r = vf.submit_visit(session=session, user=off, now=NOW, data=_db_input(
        world, visited_at=night, appointment_id=appt.id))
    assert (r.visit.is_night, r.visit.night_ok, r.visit.appointment_made_at) == (True, True, night - 30 * H)
    assert (appt.status, appt.visit_id) == ("done", r.visit.id)


def test_unbooked_night_visit_with_justification_is_recorded_as_not_ok(session, world):
    r = vf.submit_visit(session=session, user=world.users["off1"], now=NOW, data=_db_input(
        world, visited_at=datetime(2025, 6, 9, 22, 0), justification="居民白天在外地上班，本人主动约定当晚见面"))
    assert (r.visit.is_night, r.visit.night_ok, r.visit.justification) == (True, False,
                                                                            "居民白天在外地上班，本人主动约定当晚见面")


def test_stored_night_flag_follows_the_night_window_setting(session, world):
    """The form and the stored visit read the same app_setting: with a 22:00–06:00 window a visit
    at 21:00 is a day visit (no appointment asked, not counted as night), one at 22:30 is night."""
    from data_access.core.models import Setting

    session.merge(Setting(key="night_window", value='{"start": "22:00", "end": "06:00"}'))
    session.flush()
    off = world.users["off1"]
    day = vf.submit_visit(session=session, user=off, now=NOW, data=_db_input(
        world, token="tok-win-000001", visited_at=datetime(2025, 6, 9, 21, 0)))
    assert (day.visit.is_night, day.visit.night_ok) == (False, False)
    night = vf.submit_visit(session=session, user=off, now=NOW, data=_db_input(
        world, token="tok-win-000002", visited_at=datetime(2025, 6, 9, 22, 30),
        justification="居民夜班，白天无法见面"))
    assert (night.visit.is_night, night.visit.night_ok) == (True, False)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(over=st.one_of(
    st.integers(1, 5000).map(lambda m: {"visited_at": NOW + timedelta(minutes=m)}),
    st.sampled_from(["info_address_ok", "hz_fire", "nd_feedback_told", "info_tenancy"]).map(
        lambda k: {"answers": {"info_address_ok": True, "hz_fire": True, "nd_feedback_told": True,
                               "info_tenancy": "owner", k: None}}),
    st.text(min_size=501, max_size=700).map(lambda s: {"answers": {
        "info_address_ok": True, "info_residents_ok": True, "info_tenancy": "owner", "hz_fire": False,
        "hz_gas": False, "hz_security": False, "nd_feedback_told": True, "hz_note": s}}),
    st.sampled_from(["\x00", "\u202e", "\ue000", "\x1b[31m"]).map(
        lambda c: {"needs": [{"category": "lighting", "description": "灯" + c}]}),
))
def test_hypothesis_bad_forms_write_nothing(engine, over):
    with Session(engine, expire_on_commit=False) as s:
        w = build(s)
        s.commit()
        before = (_counts(s), s.exec(select(func.count()).select_from(AuditLog)).one())
        with pytest.raises(FormInvalid) as e:
            vf.submit_visit(session=s, user=w.users["off1"], data=_db_input(w, **over), now=NOW)
        assert e.value.errors and all(x.code for x in e.value.errors)
        s.rollback()
        assert (_counts(s), s.exec(select(func.count()).select_from(AuditLog)).one()) == before
        # clean up so the next example starts from an empty database
        for t in ("need_event", "need", "visit_answer", "visit", "rollup", "household", "grid_assignment",
                  "audit_log", "app_user", "org_unit"):
            s.execute(text(f"DELETE FROM {t}"))
        s.commit()


def test_drafts_resume_in_another_session_and_are_private(engine):
    with Session(engine, expire_on_commit=False) as laptop_a:
        w = build(laptop_a)
        partial = vf.VisitInput(household_id=w.hh["h1"].id, visited_at=NOW - H, id_shown=True,
                                answers={"hz_fire": True, "hz_note": "电动车楼道充电"},
                                needs=[vf.NeedInput("lighting", "灯坏")], client_token="tok-draft-0001")
        vf.save_draft(session=laptop_a, user=w.users["off1"], draft_key="draft-h1-0001", payload=partial, now=NOW)
        laptop_a.commit()
    with Session(engine) as laptop_b:
        got = vf.load_draft(session=laptop_b, user=w.users["off1"].id, draft_key="draft-h1-0001")
        assert vf.VisitInput.from_dict(got) == partial
        assert vf.load_draft(session=laptop_b, user=w.users["off2"].id, draft_key="draft-h1-0001") is None
        partial.bodycam_on = True
        vf.save_draft(session=laptop_b, user=w.users["off1"].id, draft_key="draft-h1-0001", payload=partial,
                      now=NOW + H)
        laptop_b.commit()
    with Session(engine) as laptop_a2:
        drafts = vf.list_drafts(session=laptop_a2, user=w.users["off1"].id)
        assert [(d.draft_key, d.household_id, d.updated_at) for d in drafts] == [
            ("draft-h1-0001", w.hh["h1"].id, NOW + H)]
        data = vf.VisitInput.from_dict(vf.load_draft(session=laptop_a2, user=w.users["off1"].id,
                                                     draft_key="draft-h1-0001"))
        assert data.bodycam_on is True
        data.satisfaction = 5
        data.answers.update({"info_address_ok": True, "info_residents_ok": True, "info_tenancy": "owner",
                             "hz_gas": False, "hz_security": False, "nd_feedback_told": True})
        r = vf.submit_visit(session=laptop_a2, user=w.users["off1"].id, data=data, now=NOW + H,
                            draft_key="draft-h1-0001")
        laptop_a2.commit()
        assert r.created
        assert vf.list_drafts(session=laptop_a2, user=w.users["off1"].id) == []


def test_double_click_from_two_sessions_at_once_creates_one_visit(engine):
    """Issue 17, finding 4: two tabs submitting one draft at once — both are told the visit is saved
    (one created it, the other gets it back), on SQLite as on PostgreSQL."""
    with Session(engine, expire_on_commit=False) as s:
        w = build(s)
        s.commit()
    results: list = []

    def click(token, barrier):
        with Session(engine) as s:
            barrier.wait()
            try:
                r = vf.submit_visit(session=s, user=w.users["off1"].id, data=_db_input(w, token=token), now=NOW)
                s.commit()
                results.append(("ok", r.created, r.visit.id))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                s.rollback()
                results.append(("error", f"{type(exc).__name__}: {exc}"[:200], None))

    for i in range(5):
        results.clear()
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=click, args=(f"tok-double-click-{i}", barrier)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(r[:2] for r in results) == [("ok", False), ("ok", True)], results
        assert len({r[2] for r in results}) == 1
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Visit)).one() == 5
        assert s.exec(select(func.count()).select_from(Need)).one() == 10


def test_second_tab_waits_for_the_first_and_gets_its_visit(engine):
    """The first tab's transaction is still open when the second submits the same draft: the second
    waits, then finds the visit (before the fix SQLite let it run into the unique index)."""
    with Session(engine, expire_on_commit=False) as s:
        w = build(s)
        s.commit()
    data = _db_input(w, token="tok-two-tabs")
    first = Session(engine, expire_on_commit=False)
    mine = vf.submit_visit(session=first, user=w.users["off1"].id, data=data, now=NOW)
    out: list = []

    def second_tab():
        try:
            with Session(engine) as s:
                r = vf.submit_visit(session=s, user=w.users["off1"].id, data=data, now=NOW)
                s.commit()
                out.append((r.created, r.visit.code))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            out.append(("error", f"{type(exc).__name__}: {exc}"[:200]))

    th = threading.Thread(target=second_tab)
    th.start()
    time.sleep(1.0)  # the second tab is now waiting (for the token's lock, or before the fix for the insert)
    first.commit()
    first.close()
    th.join(60)
    assert out == [(False, mine.visit.code)]


def test_every_error_code_raised_by_the_workflow_services_is_listed():
    import re
    from pathlib import Path

    from data_access.core.errors import ERROR_CODES

    root = Path(vf.__file__).parents[1]  # data_access/
    raised = set()
    for path in root.rglob("*.py"):
        src = path.read_text(encoding="utf-8")
        raised |= set(re.findall(r'(?:ValidationError|PermissionDenied)\([^,()]+, "([a-z_]+)"', src))
        raised |= set(re.findall(r'AuthFailed\("([a-z_]+)"\)', src))
    assert len(raised) > 20
    assert raised - set(ERROR_CODES) == set()


# --- need categories (issue 13): data an admin edits ------------------------------------------------

def test_need_categories_come_from_the_database_in_order_and_a_retired_one_stays_on_its_needs(session):
    from data_access.core.errors import PermissionDenied, ValidationError
    from data_access.fieldwork import needs

    w = build(session)
    # the ten categories the code offered before, in their order, from migration 0015
    assert [c.code for c in vf.need_categories(session=session)] == [
        "lighting", "anti_fraud", "elderly_care", "emergency_alarm", "disability", "employment", "dispute",
        "security", "environment", "other"]
    with pytest.raises(PermissionDenied):
        vf.add_need_category(session=session, user=w.users["dl1"], code="pet_lost", name_zh="宠物走失",
                             name_en="Lost pet", reason="x", now=NOW)
    with pytest.raises(ValidationError) as e:
        vf.add_need_category(session=session, user=w.users["admin"], code="lighting", name_zh="照明",
                             name_en="Lighting", reason="重复", now=NOW)
    assert e.value.code == "unit_taken"
    with pytest.raises(ValidationError) as e:  # a reason is required
        vf.add_need_category(session=session, user=w.users["admin"], code="pet_lost", name_zh="宠物走失",
                             name_en="Lost pet", reason=" ", now=NOW)
    vf.add_need_category(session=session, user=w.users["admin"], code="pet_lost", name_zh="宠物走失",
                         name_en="Lost pet", reason="seed 001 §2.1.3", now=NOW)
    n = needs.create_need(session=session, user=w.users["off1"], household_id=w.hh["h1"].id, category="lighting",
                          description="路灯坏了", now=NOW)
    lighting = session.get(vf.NeedCategory, "lighting")
    vf.set_need_category_active(session=session, user=w.users["admin"], code="lighting", active=False,
                                expected_version=lighting.version, reason="并入 security", now=NOW)
    offered = [c.code for c in vf.need_categories(session=session)]
    assert "lighting" not in offered and offered[-1] == "pet_lost"
    assert session.get(Need, n.id).category == "lighting"  # the need keeps its category
    assert [c.code for c in vf.need_categories(session=session, include_inactive=True)][0] == "lighting"
    acts = session.exec(select(AuditLog.action).where(AuditLog.entity == "need_category")).all()
    assert acts == ["need_category.add", "need_category.retire"]
