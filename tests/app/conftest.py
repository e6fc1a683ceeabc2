"""AppTest fixtures: a fresh SQLite database holding the tiny city (tiny_city.py), frozen 'today'."""
from __future__ import annotations

import pytest
import streamlit as st
from tiny_city import TODAY, build_city

from data_access.core import db as dbmod
from data_access.core.settings import reset_settings


@pytest.fixture
def app_env(sqlite_url, monkeypatch):
    """Point the app at a fresh database holding the tiny city; clear Streamlit caches around the test."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("APP_FAKE_NOW", TODAY)
    reset_settings()
    dbmod.dispose_engines()
    build_city(sqlite_url)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield sqlite_url
    st.cache_data.clear()
    st.cache_resource.clear()
    dbmod.dispose_engines()
    reset_settings()
