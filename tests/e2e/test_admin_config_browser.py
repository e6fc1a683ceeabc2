"""Browser (issue 13): an admin uploads grid boundaries on 组织与网格 → 网格边界. A file with one
crossing polygon is refused with the grid named and nothing written; a good file (the community's
grids moved 50 m east) is shown on the map beside the current boundaries and applied; no external
requests."""
from __future__ import annotations

import json

import pytest
from e2e_server import login, repeat_until, settle, wait_idle
from sqlalchemy import create_engine
from sqlmodel import Session, select

from data_access.demo.logins import DEMO_LOGINS
from data_access.org.models import OrgUnit

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}


def community_grids(url: str) -> list[OrgUnit]:
    eng = create_engine(url)
    with Session(eng) as s:
        first = s.exec(select(OrgUnit).where(OrgUnit.level == "grid").order_by(OrgUnit.code)).first()
        grids = list(s.exec(select(OrgUnit).where(OrgUnit.parent_id == first.parent_id).order_by(OrgUnit.code)))
    eng.dispose()
    return grids


def shifted(geom: dict, dx: float) -> dict:
    def move(c):
        return [round(c[0] + dx, 7), c[1]] if isinstance(c[0], float | int) else [move(x) for x in c]
    return {"type": geom["type"], "coordinates": move(geom["coordinates"])}


def ring_of(geom: dict) -> list:
    return geom["coordinates"][0] if geom["type"] == "Polygon" else geom["coordinates"][0][0]


def upload(page, path) -> None:
    """Choose the file and wait until the page has read it (its caption names the file); a choice
    that Streamlit dropped under load (the first file still shown) is made again."""
    repeat_until(page, lambda: page.locator('input[type="file"]').set_input_files(str(path)),
                 page.get_by_text(f"文件 {path.name}"))
    wait_idle(page)


def test_a_bad_polygon_is_refused_and_named_then_a_good_file_is_mapped_and_applied(e2e_app, page, external, tmp_path):
    grids = community_grids(e2e_app.database_url)
    before = {g.code: g.geometry for g in grids}
    good = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": g.code}, "geometry": shifted(json.loads(g.geometry), 0.0005)}
        for g in grids]}
    bad = json.loads(json.dumps(good))
    ring = ring_of(bad["features"][0]["geometry"])
    ring[1], ring[2] = ring[2], ring[1]  # two vertices swapped: the boundary crosses itself
    (tmp_path / "bad.geojson").write_text(json.dumps(bad), encoding="utf-8")
    (tmp_path / "good.geojson").write_text(json.dumps(good), encoding="utf-8")

    login(page, e2e_app.url, "admin", PASSWORDS["admin"])
    page.goto(e2e_app.url + "/admin_org")
    settle(page, page.get_by_role("heading", name="组织机构与网格边界"))
    page.get_by_role("tab", name="网格边界").click()
    upload(page, tmp_path / "bad.geojson")
    err = page.get_by_test_id("stAlertContentError").first
    err.wait_for(timeout=30_000)
    text = err.inner_text()
    assert "文件未通过检查" in text and f"{grids[0].name_zh} ({grids[0].code})：多边形边界自相交" in text
    assert page.get_by_role("button", name="应用新边界").count() == 0

    upload(page, tmp_path / "good.geojson")
    page.get_by_test_id("stAlertContentSuccess").first.wait_for(timeout=30_000)
    assert f"检查通过：{len(grids)} 个网格" in page.get_by_test_id("stAlertContentSuccess").first.inner_text()
    deck = page.get_by_test_id("stDeckGlJsonChart")
    deck.wait_for(timeout=30_000)
    assert deck.locator("canvas").count() >= 1
    page.screenshot(path=str(tmp_path / "preview.png"))
    page.get_by_label("修改原因（必填，记入审计）").last.fill("测绘院 2026 年边界更新（浏览器测试）")
    page.get_by_role("button", name="应用新边界").click()
    wait_idle(page)
    page.get_by_test_id("stAlertContentSuccess").filter(has_text="已保存").first.wait_for(timeout=30_000)

    eng = create_engine(e2e_app.database_url)
    with Session(eng) as s:
        after = {g.code: g.geometry for g in s.exec(select(OrgUnit).where(OrgUnit.code.in_(list(before))))}
    eng.dispose()
    assert {c: json.loads(g) for c, g in after.items()} == {f["properties"]["code"]: f["geometry"]
                                                         for f in good["features"]}
    assert external.urls == []
