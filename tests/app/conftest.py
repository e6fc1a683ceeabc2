"""AppTest fixtures: a fresh SQLite database holding the tiny city (tiny_city.py), frozen 'today'."""
from __future__ import annotations

import pytest
from tiny_city import serving


@pytest.fixture
def app_env(sqlite_url, monkeypatch):
    """Point the app at a fresh database holding the tiny city; clear Streamlit caches around the test."""
    with serving(sqlite_url, monkeypatch) as url:
        yield url
