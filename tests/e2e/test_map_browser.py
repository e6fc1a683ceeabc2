"""Browser (issue 4): the grid map renders its polygons with every request to another host
aborted and counted — no basemap, no tile, no font from the internet."""
from __future__ import annotations

import io

import pytest
from e2e_server import login, wait_idle
from PIL import Image

from data_access.demo.logins import DEMO_LOGINS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}
DECK = '[data-testid="stDeckGlJsonChart"]'


def test_map_renders_polygons_offline(e2e_app, page, external):
    login(page, e2e_app.url, "district", PASSWORDS["district"])
    page.goto(e2e_app.url + "/map")
    chart = page.locator(DECK).first
    chart.wait_for(timeout=60_000)
    wait_idle(page)
    canvas = chart.locator("canvas").first
    canvas.wait_for(timeout=30_000)
    # deck.gl creates its canvas at the browser's default 300 x 150 and sizes it to the chart a moment later
    page.wait_for_function("""sel => { const c = document.querySelector(sel + ' canvas');
                                       return c && c.clientWidth > 200 && c.clientHeight > 200; }""",
                           arg=DECK, timeout=30_000)
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    # deck.gl draws asynchronously: wait until the canvas shows more than one colour (polygons
    # on the empty background), then check that a good share of it is painted
    painted = 0.0
    for _ in range(30):
        img = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
        small = img.resize((120, 90))
        pixels = list(small.getdata())
        background = max(set(pixels), key=pixels.count)
        painted = sum(p != background for p in pixels) / len(pixels)
        if painted > 0.05:
            break
        page.wait_for_timeout(500)
    assert painted > 0.05, f"only {painted:.1%} of the map canvas is painted"
    body = page.locator("body").inner_text()
    assert "网格地图" in body and "图例" in body
    assert external.urls == []  # zero requests to other hosts (each would have been aborted)
