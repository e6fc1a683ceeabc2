"""Browser (issue 4, 差距分析): a district leader opens the gaps screen, clicks a child unit in the
table, and sees the breadcrumb and that unit's own children; the breadcrumb leads back up.
No request leaves the machine."""
from __future__ import annotations

import pytest
from e2e_server import login, wait_idle
from sqlalchemy import create_engine
from sqlmodel import Session

from data_access.demo.logins import DEMO_LOGINS
from data_access.org import users
from data_access.org.models import OrgUnit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}
ROW_HEIGHT = 35  # Streamlit's data grid: header and rows are 35 px; the row tick box is at the left edge


def tree(server, username: str):
    """The user's scope, its parent, and for each child of the scope: (child, the child's children)."""
    eng = create_engine(server.database_url)
    with Session(eng) as s:
        scope = users.get_user(session=s, username=username).scope
        parent = s.get(OrgUnit, scope.parent_id) if scope.parent_id else None
        below = {c.code: (c, users.children(session=s, parent=c)) for c in users.children(session=s, parent=scope)}
    eng.dispose()
    return scope, parent, below


UNIT_IS = "code => new URLSearchParams(location.search).get('unit') === code"
UNIT_IS_NOT = "code => new URLSearchParams(location.search).get('unit') !== code"


def grid_lines(page) -> str:
    """Text of the first data grid (the canvas has a hidden accessible table with the cells)."""
    return page.get_by_test_id("stDataFrame").first.text_content()


def test_click_a_child_unit_to_drill_down_and_back(e2e_app, page, external):
    scope, parent, below = tree(e2e_app, "district")
    login(page, e2e_app.url, "district", PASSWORDS["district"])
    page.goto(e2e_app.url + "/gaps")
    page.get_by_role("heading", name="差距分析").first.wait_for(timeout=30_000)
    page.get_by_test_id("stDataFrame").first.wait_for(timeout=30_000)
    wait_idle(page)
    assert f"unit={scope.code}" in page.url
    # every child of the district is listed (the grid fills its accessible table after it paints)
    names = [child.name_zh for child, _kids in below.values()]
    page.wait_for_function("names => names.every(n => document.querySelector('[data-testid=stDataFrame]')"
                           ".textContent.includes(n))", arg=names, timeout=30_000)
    table = grid_lines(page)
    for name in names:
        assert name in table

    # the first row is the largest gap: tick it
    box = page.get_by_test_id("stDataFrame").first.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + ROW_HEIGHT * 1.5)
    page.wait_for_function(UNIT_IS_NOT, arg=scope.code, timeout=30_000)
    wait_idle(page)
    code = page.evaluate("() => new URLSearchParams(location.search).get('unit')")
    assert code in below, (code, list(below))
    child, kids = below[code]

    # breadcrumb: the scope as a button, the child as the current crumb; the table lists the child's children
    crumb = page.get_by_role("button", name=f"{scope.name_zh} · 分局")
    crumb.wait_for(timeout=30_000)
    page.get_by_text(f"{child.name_zh} · 派出所", exact=True).first.wait_for(timeout=30_000)
    page.wait_for_function("names => names.every(n => document.querySelector('[data-testid=stDataFrame]')"
                           ".textContent.includes(n))", arg=[k.name_zh for k in kids], timeout=30_000)
    if parent is not None:
        assert page.get_by_role("button", name=parent.name_zh).count() == 0  # nothing above the scope

    crumb.click()
    page.wait_for_function(UNIT_IS, arg=scope.code, timeout=30_000)
    wait_idle(page)
    assert external.urls == []
