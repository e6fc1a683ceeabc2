"""Browser-test fixtures: one demo database and one Streamlit server per test session.

All e2e tests share the ``e2e`` xdist group (``make test`` runs ``--dist loadgroup``), so the
server and the demo city are built once, on one worker.
"""
from __future__ import annotations

import pytest
from e2e_server import ExternalRequests, build_demo, new_context, run_server


@pytest.fixture(scope="session")
def e2e_app(tmp_path_factory):
    """A fresh APP_DATA_DIR with the S demo city (seed 7, fixed as-of) and a server on it."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    build_demo(data_dir)
    with run_server(data_dir) as server:
        yield server


@pytest.fixture
def external():
    """Requests the page tried to send to other hosts (aborted); tests assert it stays empty."""
    return ExternalRequests()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(request, browser, external, tmp_path):
    """A page in a fresh browser context (no cookies), 1366×768, non-local hosts blocked. When the
    test fails, the page's URL and the text of its main area are printed (the report's teardown section) and a
    screenshot is kept next to the test's tmp_path: what the browser showed, not only the timeout."""
    ctx = new_context(browser, external)
    pg = ctx.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        try:
            pg.screenshot(path=tmp_path / "failure.png", full_page=True)
            print(f"page at failure: {pg.url}\nscreenshot: {tmp_path / 'failure.png'}\n"
                  + pg.get_by_test_id("stMain").or_(pg.locator("body")).first.inner_text(timeout=5_000)[:4000])
        except Exception as exc:  # noqa: BLE001 - the diagnosis must not hide the failure
            print(f"no page diagnosis: {exc}")
    ctx.close()
