"""ui.auth configuration: cookie key sources and secrets.toml → environment."""
from __future__ import annotations

import os
import stat

import streamlit as st

from data_access.core.settings import reset_settings
from ui import auth


def test_cookie_key_comes_from_a_generated_key_file_without_configuration(monkeypatch, tmp_path):
    monkeypatch.delenv("COOKIE_KEY", raising=False)
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path))
    reset_settings()
    try:
        first = auth.cookie_key()
        path = tmp_path / "cookie.key"
        assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert auth.cookie_key() == first and len(first) == 64
        monkeypatch.setenv("COOKIE_KEY", "configured")
        reset_settings()
        assert auth.cookie_key() not in (first, "configured")  # the configured key wins, stretched
    finally:
        reset_settings()


class _Secrets:
    def __init__(self, values):
        self.values = values

    def to_dict(self):
        return dict(self.values)


def test_secrets_fill_the_environment_but_never_override_it(monkeypatch):
    monkeypatch.setenv("COOKIE_KEY", "from-env")
    monkeypatch.delenv("APP_SECRET_KEY", raising=False)
    monkeypatch.setattr(st, "secrets", _Secrets({"cookie_key": "from-secrets", "APP_SECRET_KEY": "s3cret"}))
    try:
        auth.apply_secrets()
        assert os.environ["COOKIE_KEY"] == "from-env"
        assert os.environ["APP_SECRET_KEY"] == "s3cret"
    finally:
        reset_settings()
