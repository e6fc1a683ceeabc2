"""The visit e-form rendered from its FormItem rows (the form is data: an admin changes items, not code).

Widgets are keyed ``<prefix>a_<item code>`` and their values live in ``st.session_state``:
``seed`` puts a draft's answers (or blanks) there before the widgets are drawn, the widgets are
drawn without their own default (no double source of truth), and ``read_answers`` turns the
widget values back into the ``answers`` dict of ``data_access.fieldwork.visit_form.VisitInput``.

Kinds: bool → yes/no radio, choice → radio of the item's options, number → number input
(min/max from the options), text → text input (max length from the options). Required items
carry a "*". Each item's messages (``errors["answers.<code>"]``) are shown right under it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import streamlit as st
from sqlmodel import select

from data_access.core.db import session_scope
from data_access.core.settings import get_settings
from data_access.fieldwork import residents, worklist
from data_access.fieldwork import visit_form as vf
from data_access.fieldwork.models import Appointment, FormItem
from data_access.fieldwork.visit_form import item_options
from data_access.org.scope import actor_of

from . import format as fmt
from .i18n import lang, t

YES, NO = "yes", "no"


@dataclass(frozen=True)
class Item:
    """A FormItem detached from its session (safe to cache and to use across reruns)."""
    code: str
    section: str
    label_zh: str
    label_en: str
    kind: str
    options: object
    required: bool

    @classmethod
    def of(cls, row: FormItem) -> Item:
        return cls(row.code, row.section, row.label_zh, row.label_en, row.kind, item_options(row), bool(row.required))

    @property
    def label(self) -> str:
        text = self.label_en if lang() == "en" else self.label_zh
        return f"{text} *" if self.required else text


def key_of(prefix: str, code: str) -> str:
    return f"{prefix}a_{code}"


def _choices(item: Item) -> list[tuple[str, str]]:
    out = []
    for o in item.options if isinstance(item.options, list) else []:
        if isinstance(o, dict):
            out.append((str(o.get("code")), str(o.get("en" if lang() == "en" else "zh") or o.get("code"))))
        else:
            out.append((str(o), str(o)))
    return out


def to_widget(item: Item, value):
    """An answer (as in a draft) → the widget's session-state value."""
    if value is None or value == "":
        return None if item.kind != "text" else ""
    if item.kind == "bool":
        if isinstance(value, str):
            value = value.strip().lower() in ("1", "true", YES)
        return YES if value else NO
    if item.kind == "number":
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    return str(value)


def from_widget(item: Item, value):
    """The widget's value → the answer passed to validate/submit (None = not answered)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if item.kind == "bool":
        return value == YES
    if item.kind == "number":
        return int(value) if float(value).is_integer() else float(value)
    return value


def seed(items: list[Item], prefix: str, answers: dict | None) -> None:
    """Put ``answers`` (a draft's, or none) into the widgets' session state."""
    answers = answers or {}
    for item in items:
        st.session_state[key_of(prefix, item.code)] = to_widget(item, answers.get(item.code))


def read_answers(items: list[Item], prefix: str) -> dict:
    out = {}
    for item in items:
        v = from_widget(item, st.session_state.get(key_of(prefix, item.code)))
        if v is not None:
            out[item.code] = v
    return out


def field_errors(errors: dict[str, list[str]], field: str) -> None:
    """The messages of ``field`` in red, right under its widget."""
    for m in errors.get(field, ()):
        st.markdown(f":red[:material/error: {m}]")


def render_item(item: Item, prefix: str, on_change: Callable[[], None], errors: dict[str, list[str]]) -> None:
    key = key_of(prefix, item.code)
    label = fmt.md(item.label)  # an admin's wording: widget labels and radio options render markdown
    if item.kind == "bool":
        yes_no = {YES: t("logv.yes"), NO: t("logv.no")}  # bound now: format_func must not read the session
        st.radio(label, list(yes_no), key=key, horizontal=True, on_change=on_change, format_func=yes_no.get)
    elif item.kind == "choice":
        opts = {k: fmt.md(v) for k, v in _choices(item)}
        st.radio(label, list(opts), key=key, horizontal=True, on_change=on_change, format_func=opts.get)
    elif item.kind == "number":
        o = item.options if isinstance(item.options, dict) else {}
        lo, hi = o.get("min"), o.get("max")
        st.number_input(label, key=key, value=None, min_value=None if lo is None else float(lo),
                        max_value=None if hi is None else float(hi), step=1.0,
                        format="%g", on_change=on_change, placeholder=t("logv.number_placeholder"))
    else:
        o = item.options if isinstance(item.options, dict) else {}
        st.text_input(label, key=key, max_chars=int(o.get("max_length") or 500), on_change=on_change)
    field_errors(errors, f"answers.{item.code}")


def render_section(items: list[Item], section: str, prefix: str, on_change: Callable[[], None],
                   errors: dict[str, list[str]], columns: int = 2) -> None:
    """The section's items in ``columns`` columns (short yes/no items side by side, text full width)."""
    mine = [i for i in items if i.section == section]
    short = [i for i in mine if i.kind in ("bool", "choice", "number")]
    long = [i for i in mine if i.kind == "text"]
    if not mine:
        st.caption(t("logv.section_empty"))
        return
    for row in range(0, len(short), columns):
        cols = st.columns(columns)
        for col, item in zip(cols, short[row:row + columns], strict=False):
            with col:
                render_item(item, prefix, on_change, errors)
    for item in long:
        render_item(item, prefix, on_change, errors)


# --- data for the officer screens (cached briefly: a write must show within 5 s) ---------------

@st.cache_data(ttl=5, show_spinner=False)
def load_work(username: str, scope_code: str, now: datetime) -> list:
    """The officer's work list (``scope_code`` keys the cache by scope as well as by user)."""
    with session_scope() as s:
        return worklist.my_work(session=s, user=username, now=now)


@st.cache_data(ttl=60, show_spinner=False)
def load_items(url: str) -> list[Item]:
    """The active form items in display order (``url`` keys the cache per database)."""
    with session_scope() as s:
        return [Item.of(r) for r in vf.load_form(session=s)]


def form_items() -> list[Item]:
    return load_items(get_settings().database_url)


def find_household(username: str, code: str):
    """The household with exactly this code inside the user's scope (a HouseholdHit), else None."""
    with session_scope() as s:
        hits = residents.search_households(session=s, user=username, query=code, limit=1)
    return hits[0] if hits and hits[0].code == code else None


def search(username: str, query: str, limit: int = 12) -> list:
    with session_scope() as s:
        return residents.search_households(session=s, user=username, query=query, limit=limit)


@dataclass(frozen=True)
class Booking:
    id: int
    scheduled_at: datetime
    made_at: datetime


def bookings(username: str, household_id: int) -> list[Booking]:
    """The officer's planned appointments with this household (for a night visit), soonest first."""
    with session_scope() as s:
        actor = actor_of(session=s, user=username)
        rows = s.exec(select(Appointment).where(Appointment.household_id == household_id,
                                                Appointment.officer_id == actor.id,
                                                Appointment.status == "planned")
                      .order_by(Appointment.scheduled_at)).all()
        return [Booking(a.id, a.scheduled_at, a.made_at) for a in rows]
