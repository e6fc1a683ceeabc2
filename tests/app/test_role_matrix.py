"""Role × page × data matrix (issue 5), for EVERY page in ``ui.auth.PAGES`` (read at collection
time, so screens added later are covered without editing this file).

Each page script is run on its own (as a direct page URL would run it) for a signed-in user of
each role, for a deactivated user and for an anonymous visitor, on the tiny city:

* a role the table allows: the page renders without an exception, shows no refusal, and no
  household code, address or unit name from outside the user's scope appears anywhere on it;
* a role the table refuses: the refusal and nothing else (no table, metric, chart, input);
* anonymous: the sign-in prompt and nothing else; deactivated: the inactive message and nothing else.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest
from tiny_city import CHECKS, UNITS, USERS, serving

from ui.auth import PAGES
from ui.i18n import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
ROLE_USER = {role: username for username, _n, role, _s in USERS if username != "gone"}
SCOPE = {username: scope for username, _n, _r, scope in USERS}
PARENT = {code: parent for code, _l, parent, _z, _e in UNITS}
NAMES = {code: (zh, en) for code, _l, _p, zh, en in UNITS}


def _chain(code: str) -> list[str]:
    out = []
    while code is not None:
        out.append(code)
        code = PARENT[code]
    return out


def _inside(unit: str, scope: str) -> bool:
    return scope in _chain(unit)


def forbidden_strings(username: str) -> list[str]:
    """What must never appear on a page for ``username``: households of grids outside the scope
    (codes, addresses) and names of units that are neither in the scope nor above it."""
    scope = SCOPE[username]
    out = []
    for grid, (n, _ok) in CHECKS.items():
        if not _inside(grid, scope):
            out += [f"H-{grid}-{i}" for i in range(n)] + [f"{grid} 路 {i} 号" for i in range(n)]
    above = set(_chain(scope))
    for code, (zh, en) in NAMES.items():
        if not _inside(code, scope) and code not in above:
            out += [zh, en]
    return out


@pytest.fixture(scope="module")
def matrix_env(tmp_path_factory, sqlite_template):
    """ONE tiny city for the whole matrix (pages only read here); caches cleared around it."""
    path = tmp_path_factory.mktemp("role-matrix") / "city.db"
    shutil.copy(sqlite_template, path)
    with pytest.MonkeyPatch.context() as mp, serving(f"sqlite:///{path}", mp) as url:
        yield url


def run_page(script: str, username: str | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / script), default_timeout=60)
    if username is not None:  # what streamlit-authenticator leaves in the session after a login
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["name"] = username
    at.run()
    return at


def leaves(at: AppTest) -> list:
    return [n for n in at._tree if not hasattr(n, "children")]


def page_text(at: AppTest) -> str:
    """Everything the run sent to the browser, as text: every element's message (labels, options,
    bodies, chart specs) plus the cells of every table."""
    parts = []
    for node in leaves(at):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            parts.append(text_format.MessageToString(proto, as_utf8=True))
        if node.type in ("arrow_data_frame", "dataframe", "table"):
            df = node.value
            df = getattr(df, "data", df)  # a Styler
            parts += [str(c) for c in df.columns] + [str(x) for x in df.astype(str).to_numpy().ravel()]
    return "\n".join(parts)


def only(at: AppTest, kind: str, key: str) -> None:
    """The run shows exactly one ``kind`` alert with the catalogue text ``key`` and nothing else."""
    assert not at.exception, [e.value for e in at.exception]
    assert [n.type for n in leaves(at)] == [kind], [n.type for n in leaves(at)]
    assert getattr(at, kind)[0].value == CATALOGUE[key]["zh"]


CASES = [(p.key, role) for p in PAGES for role in sorted(ROLE_USER)]


@pytest.mark.parametrize("page_key,role", CASES)
def test_role_on_page(matrix_env, page_key, role):
    spec = next(p for p in PAGES if p.key == page_key)
    username = ROLE_USER[role]
    at = run_page(spec.script, username)
    if role not in spec.roles:
        only(at, "error", "auth.forbidden")
        return
    assert not at.exception, [e.value for e in at.exception]
    refusals = {CATALOGUE[k]["zh"] for k in ("auth.forbidden", "auth.login_required", "auth.inactive")}
    assert not refusals & {e.value for e in [*at.error, *at.info]}
    body = page_text(at)
    leaked = [s for s in forbidden_strings(username) if s in body]
    assert leaked == [], f"{page_key} shows data outside {username}'s scope {SCOPE[username]}: {leaked}"


@pytest.mark.parametrize("page_key", [p.key for p in PAGES])
def test_anonymous_and_deactivated_on_page(matrix_env, page_key):
    spec = next(p for p in PAGES if p.key == page_key)
    only(run_page(spec.script, None), "info", "auth.login_required")
    only(run_page(spec.script, "gone"), "error", "auth.inactive")


def test_the_matrix_covers_every_role_and_page():
    from data_access.org.models import ROLES

    assert set(ROLE_USER) == set(ROLES)  # the tiny city has a user for every role
    assert {k for k, _r in CASES} == {p.key for p in PAGES}
    # the scope rule of this file is itself right: a district leader may not see the other district
    assert "西山区" in forbidden_strings("district") and "东湖区" not in forbidden_strings("district")
    assert "H-G1B-0" in forbidden_strings("officer") and "东湖社区" not in forbidden_strings("officer")
    assert forbidden_strings("admin") == []
