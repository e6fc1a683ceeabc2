"""Service errors → one translated message (catalogue ``error.<code>``, ui/strings/errors.py).

``message(err)`` accepts a ValidationError, PermissionDenied, InvalidTransition, FormInvalid
(all its errors joined), ConcurrentEdit or NotFound; pages show it with ``st.error`` once.
``by_field(err)`` groups a FormInvalid (or a list of ValidationErrors) by field so a form can
show each message next to its widget. ``run_page(page)`` runs the selected page and turns an
unexpected error into one message in the user's language with a reference to the server log.
"""
from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import streamlit as st

from data_access.core.errors import (
    ConcurrentEdit,
    FormInvalid,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)

from .i18n import CATALOGUE, lang, t

log = logging.getLogger(__name__)


class _Params(dict):
    def __missing__(self, key):  # a message never fails on a param the error did not carry
        return "—"


def _param(v) -> str:
    if isinstance(v, list | tuple):
        return "、".join(_param(x) for x in v) if lang() == "zh" else ", ".join(_param(x) for x in v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d %H:%M")
    return "—" if v is None else str(v)


def code_message(code: str, params: dict | None = None) -> str:
    key = f"error.{code}"
    if key not in CATALOGUE:
        key = "error.invalid"
    text = CATALOGUE[key][lang()]
    return text.format_map(_Params({k: _param(v) for k, v in (params or {}).items()}))


# SQLSTATE classes/codes and SQLite messages of a database that is up but refuses to write
_READ_ONLY_STATES = ("25006", "53100", "53")  # read_only_sql_transaction, disk_full, insufficient resources
_READ_ONLY_TEXT = ("readonly database", "read-only", "disk is full", "no space left", "disk full")


def db_problem(err: BaseException) -> str | None:
    """``"db_read_only"`` (disk full, read-only database or standby), ``"db_unavailable"`` (the
    connection failed or was cut: a restart, an outage) or None for any other error."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if not isinstance(err, DBAPIError):
        return None
    orig = err.orig
    state = str(getattr(orig, "sqlstate", "") or getattr(orig, "pgcode", "") or "")
    text = str(orig).lower()
    if state.startswith(_READ_ONLY_STATES) or any(x in text for x in _READ_ONLY_TEXT):
        return "db_read_only"
    if err.connection_invalidated or isinstance(err, OperationalError | InterfaceError):
        return "db_unavailable"
    return None


def message(err: BaseException) -> str:
    """The user's-language message for a service error (or a database outage, ``db_problem``)."""
    problem = db_problem(err)
    if problem:
        return t(f"error.{problem}")
    if isinstance(err, FormInvalid):
        return " ".join(dict.fromkeys(message(e) for e in err.errors))
    if isinstance(err, ValidationError | PermissionDenied | InvalidTransition):
        return code_message(err.code, getattr(err, "params", {}))
    if isinstance(err, ConcurrentEdit):
        return t("error.concurrent_edit")
    if isinstance(err, NotFound):
        return t("error.not_found")
    return t("error.unexpected")


def by_field(err: FormInvalid | Iterable[ValidationError]) -> dict[str, list[str]]:
    """{field: [messages]} in the order the errors came."""
    errors = err.errors if isinstance(err, FormInvalid) else list(err)
    out: dict[str, list[str]] = defaultdict(list)
    for e in errors:
        m = message(e)
        if m not in out[e.field]:
            out[e.field].append(m)
    return dict(out)


@contextmanager
def database_guard() -> Iterator[None]:
    """Around the app frame's own queries (sign-in, the user): a database that is restarting or down
    shows one message in the user's language and stops the run, instead of a traceback."""
    try:
        yield
    except Exception as exc:
        if not db_problem(exc):
            raise
        log.warning("database problem: %s", exc)
        st.error(t("error.db_unavailable_page"), icon=":material/cloud_off:")
        st.stop()


def run_page(page) -> None:
    """Run the page ``st.navigation`` selected. An unexpected error shows one message in the
    user's language with a short reference, and its traceback goes to the server log under that
    reference (Streamlit's own error box is English and links to web search engines).
    ``st.stop``/``st.rerun`` are not errors (BaseException) and pass through."""
    try:
        page.run()
    except Exception as exc:
        if db_problem(exc):  # a restart or an outage of the database: no reference needed
            log.warning("page %r: database problem: %s", getattr(page, "url_path", page), exc)
            st.error(t("error.db_unavailable_page"), icon=":material/cloud_off:")
            return
        ref = secrets.token_hex(4)
        log.exception("page %r failed; reference %s", getattr(page, "url_path", page), ref)
        st.error(t("error.page_failed", ref=ref), icon=":material/error:")
