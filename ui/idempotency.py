"""Idempotency keys of the write forms: the same content sent twice in one browser session (a
double click, a rerun, a resubmit after an error) is one record. The services look the key up
(``client_token``) before writing; the key names the form kind so two forms never collide."""
from __future__ import annotations

import hashlib
import secrets

import streamlit as st


def token(kind: str, *parts) -> str:
    """``kind:<session id>:<hash of the content>`` (the session id lives in this browser session)."""
    sid = st.session_state.setdefault("form_session_token", secrets.token_hex(8))
    return f"{kind}:{sid}:" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]
