"""The outcome of a click, kept for the next run: a page writes, reruns, and shows the message once
above its content (so a timed redraw or the rerun itself cannot take it away).

``keep(page, kind, text, *extra)`` stores it (``kind``: success / info / warning / error; ``extra``:
what the page needs to place it, e.g. the record it belongs to); ``take(page)`` removes and returns
``(kind, text, *extra)`` or None; ``show(page)`` takes it and draws it (into ``where`` if given).
"""
from __future__ import annotations

import streamlit as st


def _key(page: str) -> str:
    return f"{page}_flash"


def keep(page: str, kind: str, text: str, *extra) -> None:
    st.session_state[_key(page)] = (kind, text, *extra)


def take(page: str) -> tuple | None:
    return st.session_state.pop(_key(page), None)


def show(page: str, where=None) -> tuple | None:
    """Draw the kept message, if any, and return it."""
    msg = take(page)
    if msg:
        getattr(where if where is not None else st, msg[0])(msg[1])
    return msg
