"""Shared selectors whose choice lives in the URL, so a view can be sent as a link.

``unit_picker``: the user's scope unit and everything below it (``?unit=CODE``; a unit outside
the scope falls back to the scope with a warning); in a large scope the tree opened along the
path to the chosen unit (``users.picker_units``). ``phase_picker``: the programme phases
(``?phase=CODE``; default the phase containing today).

Widget keys carry the language: options are labelled by language, so a language switch starts
fresh widgets that re-read the selection from the URL.
"""
from __future__ import annotations

from datetime import date

import streamlit as st

from data_access.org.users import UnitRef
from data_access.programme.catalog import PhaseRow, phase_containing

from . import format as fmt
from .auth import CurrentUser, assert_in_scope, picker_units, resolve_unit
from .i18n import lang, name_of, t


def unit_picker(user: CurrentUser, *, max_level: str = "community", param: str = "unit") -> UnitRef:
    """Selectbox of the scope and its descendants down to ``max_level``; returns a unit in scope."""
    unit, why = resolve_unit(user, st.query_params.get(param))
    if why:
        st.warning(t(why))
    units = {u.code: u for u in picker_units(user.scope_code, unit.code, max_level)}
    units.setdefault(unit.code, unit)  # a deeper unit from the URL stays selectable
    codes = list(units)
    top = user.scope.depth
    labels = {c: "\u3000" * max(0, u.depth - top) + f"{name_of(u)} · {t('level.' + u.level)}"
              for c, u in units.items()}
    code = st.selectbox(t("overview.unit"), codes, index=codes.index(unit.code), key=f"{param}_{lang()}",
                        format_func=labels.get)
    chosen = units[code]
    assert_in_scope(user, chosen)
    st.query_params[param] = chosen.code
    return chosen


def phase_picker(phases: tuple[PhaseRow, ...] | list[PhaseRow], today: date, *, param: str = "phase") -> PhaseRow:
    """Selectbox of the phases, default the one containing ``today`` (or ``?phase=``)."""
    by_code = {p.code: p for p in phases}
    default = by_code.get(st.query_params.get(param)) or phase_containing(list(phases), today)
    labels = {p.code: t("overview.phase_range", name=name_of(p), start=fmt.day(p.start), end=fmt.day(p.end))
              for p in phases}
    codes = list(labels)
    code = st.selectbox(t("overview.phase"), codes, index=codes.index(default.code), key=f"{param}_{lang()}",
                        format_func=labels.get)
    st.query_params[param] = code
    return by_code[code]
