"""Shared fixtures.

``engine``/``session`` are parametrised over SQLite and a real throwaway PostgreSQL cluster
(started once per test worker from the installed server binaries). Each test gets a fresh
database copied from a migrated template, so tests never see each other's rows.
"""
from __future__ import annotations

import itertools
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

# Isolate every test process from a developer's ./data and real secrets.
_TMP = Path(os.environ.get("PYTEST_TMP_BASE", "/tmp")) / f"gridpolice-tests-{os.getpid()}"
_TMP.mkdir(parents=True, exist_ok=True)
os.environ["APP_DATA_DIR"] = str(_TMP / "data")
os.environ["APP_SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["COOKIE_KEY"] = "test-cookie-key"
os.environ.pop("DATABASE_URL", None)

from sqlmodel import Session  # noqa: E402

from data_access.core import db as dbmod  # noqa: E402
from data_access.core.settings import reset_settings  # noqa: E402

reset_settings()
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster():
    """One PostgreSQL cluster per test worker (started as the postgres OS user when root)."""
    from pg import PgCluster

    cluster = PgCluster().start()
    template = cluster.create_db("template_app")
    eng = dbmod.make_engine(template)
    dbmod.migrate(eng)
    eng.dispose()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    eng = dbmod.make_engine(f"sqlite:///{path}")
    dbmod.migrate(eng)
    eng.dispose()
    return path


def _fresh_url(kind: str, request, tmp_path) -> str:
    if kind == "sqlite":
        path = tmp_path / f"db{next(_counter)}.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    cluster = request.getfixturevalue("pg_cluster")
    import psycopg

    name = f"t{os.getpid()}_{next(_counter)}"
    with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres",
                         autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE template_app')
    return cluster.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """URL of a fresh, migrated database on each backend."""
    return _fresh_url(request.param, request, tmp_path)


@pytest.fixture
def sqlite_url(request, tmp_path):
    """URL of a fresh, migrated SQLite database (for tests that need one backend only)."""
    return _fresh_url("sqlite", request, tmp_path)


@pytest.fixture
def pg_url(request, tmp_path):
    """URL of a fresh, migrated PostgreSQL database (for what only PostgreSQL can show: concurrency)."""
    return _fresh_url("postgresql", request, tmp_path)


@pytest.fixture
def engine(db_url):
    eng = dbmod.make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def use_db(monkeypatch, db_url):
    """Point the app's configured DATABASE_URL at a fresh database (for CLI/app code paths)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    reset_settings()
    dbmod.dispose_engines()
    yield db_url
    dbmod.dispose_engines()
    reset_settings()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium under Playwright, one per test worker (browser and cluster tests)."""
    from e2e.e2e_server import launch
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_TMP, ignore_errors=True)
