"""Browser (issue 4, screen 5): the district leader opens the monthly report, downloads the Excel
file, and the file opens with openpyxl and holds the numbers shown on the screen."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from e2e_server import login, settle
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from data_access.demo.logins import DEMO_LOGINS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PASSWORDS = {u: pw for u, pw, _role, _scope in DEMO_LOGINS}
TABLE_JS = """el => {
  const head = [...el.querySelectorAll('thead th')].map(c => c.innerText.trim());
  const rows = [...el.querySelectorAll('tbody tr')].map(r => [...r.children].map(c => c.innerText.trim()));
  return {head, rows};
}"""


def screen_kpis(page) -> dict[str, dict[str, str]]:
    """The KPI table as shown: {indicator: {column: text}}."""
    table = page.get_by_test_id("stTable").first.locator("table")
    got = table.evaluate(TABLE_JS)
    head = got["head"]
    return {r[0]: dict(zip(head[1:], r[1:], strict=False)) for r in got["rows"]}


def exports(server) -> list[str]:
    """Details of the report.export audit rows so far (the server is shared: compare before/after)."""
    eng = create_engine(server.database_url)
    with eng.connect() as c:
        rows = [r[0] for r in c.execute(text(
            "SELECT detail FROM audit_log WHERE action = 'report.export' AND username = 'district' ORDER BY id"))]
    eng.dispose()
    return rows


def test_excel_download_matches_the_screen(e2e_app, page, external):
    login(page, e2e_app.url, "district", PASSWORDS["district"])
    page.goto(e2e_app.url + "/report")
    settle(page, page.get_by_test_id("stTable"))
    assert "month=2026-02" in page.url  # the last complete month before the demo's 2026-03-15
    shown = screen_kpis(page)
    acc = shown["信息准确率"]
    assert acc["实际"] not in ("", "—")  # the demo district has spot checks every month

    before = exports(e2e_app)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="下载 Excel").click()
    download = info.value
    assert download.suggested_filename.endswith("_2026-02.xlsx")
    wb = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))  # the temp file has no extension
    assert wb.sheetnames[0] == "指标"
    ws = wb["指标"]
    assert "2026-02" in ws["A1"].value and "数据截至 2026-03-15" in ws["A1"].value
    header = [c.value for c in ws[2]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=3, values_only=True)}
    cell = rows["信息准确率"]
    assert isinstance(cell["实际"], (int, float))  # a number, not text (openpyxl reads 100.0 back as 100)
    assert f"{cell['实际']:.1f}" == acc["实际"]
    assert f"{cell['样本量']:,}" == acc["样本量"]
    assert f"{cell['目标']:.1f}" == acc["目标"]
    assert set(rows) == set(shown)  # every indicator on the screen is in the file, and no other
    page.wait_for_timeout(500)
    after = exports(e2e_app)
    assert len(after) == len(before) + 1  # the download was audited
    assert '"format": "xlsx"' in after[-1] and '"month": "2026-02"' in after[-1]
    assert external.urls == []
