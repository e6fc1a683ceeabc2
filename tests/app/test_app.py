"""AppTest (issue 3): login required, each role sees its own scope only, language switch.

Expected numbers come from the tiny city in tiny_city.py (spot checks per grid):
G1 4 checks / 3 accurate, G1B 1 / 0, G2 2 / 2.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from pagerun import open_page
from streamlit.testing.v1 import AppTest
from tiny_city import CHECKS, PASSWORD, UNITS

from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
OVERVIEW = str(ROOT / "pages" / "overview.py")
NAMES_ZH = {code: zh for code, _l, _p, zh, _e in UNITS}
NAMES_EN = {code: en for code, _l, _p, _z, en in UNITS}
PERCENT = re.compile(r"\d+\.\d%")
CJK = re.compile(r"[\u3400-\u9fff]")


def pct(*grids: str) -> str:
    """info_accuracy of the grids together, computed from the dataset: accurate / checks, one decimal."""
    k = sum(CHECKS[g][1] for g in grids)
    n = sum(CHECKS[g][0] for g in grids)
    return f"{100 * k / n:.1f}%"


def run(script: str, username: str | None = None, lang: str | None = None) -> AppTest:
    return open_page(script, username, lang=lang)


def texts(at: AppTest) -> str:
    """All visible text of the run: markdown, captions, titles, metrics, alerts, widgets, tables."""
    parts: list[str] = []
    for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
        parts += [str(e.value) for e in getattr(at.sidebar, kind)]
    for m in at.metric:
        parts += [str(m.label), str(m.value)]
    for sb in at.selectbox:
        parts += [str(sb.label)] + [str(o) for o in sb.options]
    for r in at.radio:
        parts.append(str(r.label))
    for b in at.button:
        parts.append(str(b.label))
    for df in at.dataframe:
        v = df.value
        parts += [str(c) for c in v.columns] + [str(i) for i in v.index] + [str(x) for x in v.to_numpy().ravel()]
    return "\n".join(parts)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


# --- anonymous --------------------------------------------------------------------------------

def test_anonymous_app_shows_only_the_login_form(app_env):
    at = run(APP)
    assert len(at.text_input) == 2  # username, password
    assert not at.metric and not at.dataframe
    body = texts(at)
    assert not PERCENT.search(body)
    assert not any(name in body for name in NAMES_ZH.values() if name != "测试市")
    assert "测试市" not in body  # no unit name before login


def test_overview_opened_directly_stops_at_the_guard(app_env):
    at = run(OVERVIEW)
    assert [e.value for e in at.info] == [CATALOGUE["auth.login_required"]["zh"]]
    assert not at.metric and not at.dataframe and not at.selectbox


def test_failed_login_flag_is_not_a_login(app_env):
    at = AppTest.from_file(OVERVIEW, default_timeout=60)
    at.session_state["authentication_status"] = False
    at.session_state["username"] = "district"
    at.run()
    assert not at.exception
    assert not at.metric and not at.dataframe


def test_deactivated_user_is_stopped(app_env):
    at = run(OVERVIEW, "gone")
    assert [e.value for e in at.error] == [CATALOGUE["auth.inactive"]["zh"]]
    assert not at.metric and not at.dataframe


# --- roles and scopes -------------------------------------------------------------------------

def test_district_leader_sees_own_district_and_its_children_only(app_env):
    at = run(APP, "district")
    body = texts(at)
    assert metric(at, "信息准确率") == pct("G1", "G1B")  # 3/5 = 60.0%
    assert NAMES_ZH["D1"] in body
    for other in ("D2", "S2", "M2", "G2"):
        assert NAMES_ZH[other] not in body, other
    unit_box = at.selectbox(key="unit_zh")
    assert unit_box.value == "D1"
    assert [o.strip("\u3000") for o in unit_box.options] == [
        f"{NAMES_ZH['D1']} · 分局", f"{NAMES_ZH['S1']} · 派出所", f"{NAMES_ZH['M1']} · 社区"]
    children = at.dataframe[0].value.set_index("单位")
    assert list(children.index) == [NAMES_ZH["S1"]]  # the district's one station
    assert children.loc[NAMES_ZH["S1"], "信息准确率"] == pct("G1", "G1B")


def test_city_leader_sees_city_and_every_district(app_env):
    at = run(APP, "city")
    assert metric(at, "信息准确率") == pct("G1", "G1B", "G2")  # 5/7 = 71.4%
    children = at.dataframe[0].value.set_index("单位")
    assert list(children.index) == [NAMES_ZH["D1"], NAMES_ZH["D2"]]
    assert children.loc[NAMES_ZH["D1"], "信息准确率"] == pct("G1", "G1B")
    assert children.loc[NAMES_ZH["D2"], "信息准确率"] == pct("G2")


def test_officer_sees_only_their_grid(app_env):
    at = run(OVERVIEW, "officer")  # officers land on 我的任务; the overview is their second screen
    body = texts(at)
    assert metric(at, "信息准确率") == pct("G1")  # 3/4 = 75.0%
    assert [o.strip("\u3000") for o in at.selectbox(key="unit_zh").options] == [f"{NAMES_ZH['G1']} · 网格"]
    for other in ("D1", "D2", "G1B", "G2", "M2"):
        assert NAMES_ZH[other] not in body, other
    assert not at.dataframe  # a grid has no units below it


@pytest.mark.parametrize("username,scope,grids", [
    ("admin", "C", ("G1", "G1B", "G2")),
    ("city", "C", ("G1", "G1B", "G2")),
    ("coord", "C", ("G1", "G1B", "G2")),
    ("district", "D1", ("G1", "G1B")),
    ("officer", "G1", ("G1",)),
])
def test_each_role_opens_on_its_own_scope(app_env, username, scope, grids):
    at = run(OVERVIEW if username == "officer" else APP, username)  # officers land on 我的任务
    assert at.selectbox(key="unit_zh").value == scope
    assert metric(at, "信息准确率") == pct(*grids)
    assert at.query_params["unit"] in (scope, [scope])


@pytest.mark.parametrize("username,unit", [("district", "D2"), ("district", "C"), ("officer", "G1B")])
def test_unit_outside_scope_in_url_falls_back_to_own_scope(app_env, username, unit):
    at = AppTest.from_file(OVERVIEW if username == "officer" else APP, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.query_params["unit"] = unit
    at.run()
    assert not at.exception
    assert [e.value for e in at.warning] == [CATALOGUE["auth.out_of_scope"]["zh"]]
    body = texts(at)
    assert NAMES_ZH[unit] not in body
    if username == "district":
        assert metric(at, "信息准确率") == pct("G1", "G1B")


def test_unit_inside_scope_in_url_is_shown(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "city"
    at.query_params["unit"] = "D2"
    at.run()
    assert not at.exception and not at.warning
    assert metric(at, "信息准确率") == pct("G2")
    assert list(at.dataframe[0].value["单位"]) == [NAMES_ZH["S2"]]


def test_role_pages_table_drives_the_navigation():
    from ui.auth import PAGES, pages_for

    for role in ("admin", "city_leader", "district_leader", "coordinator", "officer"):
        keys = [p.key for pages in pages_for(role).values() for p in pages]
        assert keys == [p.key for p in PAGES if role in p.roles]
    assert pages_for("nobody") == {}


def test_every_page_script_is_in_the_page_table_and_calls_the_guard_first():
    from ui.auth import PAGES

    scripts = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
    assert scripts == sorted(p.script for p in PAGES)
    for script in scripts:
        body = ast.parse((ROOT / script).read_text(encoding="utf-8")).body
        first = next(n for n in body if not isinstance(n, ast.Import | ast.ImportFrom)
                     and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)))
        # nothing runs before the guard
        assert isinstance(first, ast.Assign) and ast.unparse(first.value).startswith("require("), script


# --- language -----------------------------------------------------------------------------------

def test_language_switch_turns_the_whole_screen_english(app_env):
    at = run(APP, "city")
    at.sidebar.radio(key="lang_switch").set_value("en").run()
    assert not at.exception
    assert at.session_state["lang"] == "en"
    assert metric(at, "Information accuracy") == pct("G1", "G1B", "G2")
    body = texts(at)
    assert "City leader" in body and "Sign out" in body
    leftovers = [line for line in body.replace("王建国", "").splitlines() if CJK.search(line)]
    assert leftovers == []


def test_english_screen_has_no_chinese_ui_labels(app_env):
    at = run(APP, "city", lang="en")
    assert at.query_params["lang"] in ("en", ["en"])  # mirrored to the URL
    body = texts(at)
    assert metric(at, "Information accuracy") == pct("G1", "G1B", "G2")
    assert NAMES_EN["D1"] in body and NAMES_EN["C"] in body
    assert "City leader" in body  # the role under the user's name in the sidebar
    display_name = "王建国"  # the user's own name is data, not a UI label
    leftovers = [line for line in body.replace(display_name, "").splitlines() if CJK.search(line)]
    assert leftovers == []


def test_language_from_url(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.session_state["lang"] == "en"
    assert at.text_input[0].label == "Username"


# --- the real login form --------------------------------------------------------------------------

def _submit(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _audit_actions(url: str) -> list[tuple[str, str]]:
    from sqlmodel import Session, select

    from data_access.core.db import make_engine
    from data_access.core.models import AuditLog

    eng = make_engine(url)
    with Session(eng) as s:
        rows = [(r.username, r.action) for r in s.exec(select(AuditLog).order_by(AuditLog.id))]
    eng.dispose()
    return rows


def test_login_form_with_wrong_password_is_refused_and_audited(app_env):
    at = _submit(run(APP), "district", "wrong-password")
    assert at.session_state["authentication_status"] is False
    assert CATALOGUE["login.failed"]["zh"] in [e.value for e in at.error]
    assert not at.metric
    assert _audit_actions(app_env)[-1] == ("district", "login_failed")


def test_login_form_signs_in_and_is_audited(app_env):
    at = _submit(run(APP), "district", PASSWORD)
    assert at.session_state["authentication_status"] is True
    assert at.session_state["username"] == "district"
    assert _audit_actions(app_env)[-1] == ("district", "login")


def test_deactivated_user_cannot_sign_in(app_env):
    at = _submit(run(APP), "gone", PASSWORD)
    assert at.session_state["authentication_status"] is not True
    assert not at.metric


def test_fifth_failed_login_locks_the_account_even_for_the_right_password(app_env):
    at = run(APP)
    for _ in range(5):
        _submit(at, "district", "wrong-password")
    locked = [e.value for e in at.error]
    assert len(locked) == 1 and locked[0] != CATALOGUE["login.failed"]["zh"]
    _submit(at, "district", PASSWORD)
    assert at.session_state["authentication_status"] is not True
    assert ("district", "login_locked") in _audit_actions(app_env)
