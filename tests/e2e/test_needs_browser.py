"""Browser (issue 5): the district leader opens the needs tracker filtered to overdue needs (a deep
link), every listed need is overdue and the deadline cells are painted red; no external requests."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
from e2e_server import FAKE_NOW, login, wait_idle
from sqlalchemy import create_engine
from sqlmodel import Session

from data_access.demo.logins import DEMO_LOGINS
from data_access.fieldwork import needs

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}
RED = (0xF8, 0xE0, 0xDE)  # ui.kpi.STATUS_BG["off_track"], the overdue cell background


def overdue_codes(server, username: str) -> list[str]:
    eng = create_engine(server.database_url)
    with Session(eng) as s:
        rows = needs.list_needs(session=s, user=username, now=datetime.fromisoformat(FAKE_NOW),
                                deadline_filter="overdue")
    eng.dispose()
    return [r.code for r in rows]


def red_pixels(png: bytes) -> int:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(1 for px in img.getdata() if all(abs(a - b) <= 3 for a, b in zip(px, RED, strict=True)))


def test_district_leader_sees_overdue_needs_highlighted(e2e_app, page, external):
    expected = overdue_codes(e2e_app, "district")
    assert expected, "the demo city should have overdue needs in the pilot district"
    login(page, e2e_app.url, "district", PASSWORDS["district"])
    page.goto(e2e_app.url + "/needs?deadline=overdue")
    page.get_by_test_id("stDataFrame").first.wait_for(timeout=60_000)
    wait_idle(page)
    assert "deadline=overdue" in page.url
    main = page.get_by_test_id("stMain").inner_text()
    n = len(expected)
    assert f"共 {n} 条：逾期 {n} 条" in main  # every listed need is overdue, and all of them are listed
    shown = page.locator('[data-testid="stSelectbox"]').evaluate_all(
        "els => els.map(e => (e.querySelector('input') || {}).value || e.innerText)")
    assert any("已逾期未响应" in v for v in shown), shown  # the filter shows the deep link's choice
    grid = page.get_by_test_id("stDataFrame").first
    assert red_pixels(grid.screenshot()) > 200  # the deadline cells are painted red
    assert external.urls == []
