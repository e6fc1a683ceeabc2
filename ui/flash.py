"""The outcome of a click, kept for the next run: a page writes, reruns, and shows the message once
above its content (so a timed redraw or the rerun itself cannot take it away).

``keep(page, kind, text, *extra)`` stores it (``kind``: success / info / warning / error; ``extra``:
what the page needs to place it, e.g. the record it belongs to); ``take(page)`` removes and returns
``(kind, text, *extra)`` or None; ``show(page)`` takes it and draws it (into ``where`` if given).
"""
from __future__ import annotations

import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from . import swr

WROTE_AT = "_wrote_at"


def wrote() -> None:
    """This session has just written: its dashboards recompute rather than serve an older result."""
    st.session_state[WROTE_AT] = time.time()


def _last_write() -> float | None:
    if get_script_run_ctx(suppress_warning=True) is None:  # a background refresh, a bare script
        return None
    return st.session_state.get(WROTE_AT)


swr.set_floor(_last_write)


def _key(page: str) -> str:
    return f"{page}_flash"


def keep(page: str, kind: str, text: str, *extra) -> None:
    st.session_state[_key(page)] = (kind, text, *extra)
    if kind != "error":  # an outcome other than a refusal: something was written
        wrote()


def take(page: str) -> tuple | None:
    return st.session_state.pop(_key(page), None)


def show(page: str, where=None) -> tuple | None:
    """Draw the kept message, if any, and return it."""
    msg = take(page)
    if msg:
        getattr(where if where is not None else st, msg[0])(msg[1])
    return msg
