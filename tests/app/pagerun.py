"""Run one script under AppTest as a signed-in user (or anonymously), the way every AppTest here does."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def open_page(script: str, username: str | None = None, *, lang: str | None = None,
              query: dict[str, str] | None = None) -> AppTest:
    """Run ``script`` with the session streamlit-authenticator leaves after a login; no exception allowed."""
    at = AppTest.from_file(str(script), default_timeout=60)
    if username is not None:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["name"] = username
    if lang is not None:
        at.session_state["lang"] = lang
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
