"""Browser (issue 4): a coordinator opens /milestones and sees the late milestones on top,
highlighted, and the timeline; no request leaves the machine."""
from __future__ import annotations

from datetime import date

import pytest
from e2e_server import AS_OF, login, wait_idle
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from data_access.demo.logins import DEMO_LOGINS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}


def late_count(url: str) -> int:
    """Milestones past due and not done at the server's fixed today, from the database."""
    eng = create_engine(url)
    with eng.connect() as c:
        rows = c.execute(text("SELECT due, status FROM milestone")).all()
    eng.dispose()
    today = date.fromisoformat(AS_OF)
    return sum(1 for due, status in rows if status != "done" and date.fromisoformat(str(due)[:10]) < today)


def test_coordinator_sees_late_milestones_highlighted(e2e_app, page, external):
    login(page, e2e_app.url, "coord", PASSWORDS["coord"])
    page.goto(e2e_app.url + "/milestones")
    page.get_by_role("heading", name="逾期未完成").wait_for(timeout=30_000)
    wait_idle(page)
    n = late_count(e2e_app.database_url)
    assert n > 0  # the demo city keeps some milestones late
    main = page.get_by_test_id("stMain")
    assert f"逾期 {n}。" in main.inner_text()
    colours = page.get_by_role("heading", name="逾期未完成").evaluate(
        "el => [el, ...el.querySelectorAll('*')].map(e => getComputedStyle(e).color)")
    rgb = [tuple(int(x) for x in c[c.index("(") + 1:c.index(")")].split(",")[:3]) for c in colours]
    assert any(r > g + 60 and r > b + 60 for r, g, b in rgb), colours  # the late heading is red
    page.get_by_test_id("stDataFrame").first.wait_for(timeout=30_000)  # the late list
    page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first.wait_for(
        timeout=30_000)  # the timeline drew
    expect(page.get_by_role("button", name="保存")).to_have_count(1, timeout=30_000)  # a coordinator may update
    assert external.urls == []
