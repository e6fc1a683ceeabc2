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


@pytest.fixture
def page(browser, external):
    """A page in a fresh browser context (no cookies), 1366×768, non-local hosts blocked."""
    ctx = new_context(browser, external)
    pg = ctx.new_page()
    yield pg
    ctx.close()
