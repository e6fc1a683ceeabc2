"""Charts drawn from cached Vega-Lite specs.

Building an Altair chart and turning it into Vega-Lite (``st.altair_chart`` validates the whole
spec against the JSON schema on every run) was a quarter of a dashboard rerun's CPU — the same
chart again and again, since the dashboards' data is shared for seconds (``ui.swr``). ``show``
builds a chart once per distinct input, keeps its spec with the data already in Arrow (what
``st.vega_lite_chart`` would otherwise convert on every run), and hands the spec to
``st.vega_lite_chart``. Its inputs are told apart by ``key`` where the page has a cheap identity of
them: looking a spec up by hashing the frames themselves cost a gaps page a quarter of its run
under load. The pages key a chart by its title, language and day and, through ``content_key``, by
the small inputs its frame is made of (a series of tuples, a dict of targets) — not by when the
data was computed, so a recomputation that changed nothing finds its spec again.
Without ``key`` the arguments themselves are the key (``st.cache_data``). The builders stay pure
functions in ``ui.charts`` (their unit tests validate the full spec there).
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import streamlit as st
from streamlit import dataframe_util

from . import charts

BUILDERS = {"trend": charts.trend_chart, "funnel": charts.funnel_chart, "timeline": charts.milestone_timeline,
            "group_trend": charts.group_trend_chart}
MAX_KEYED = 500  # specs kept by key in this process (least recently drawn dropped first)
_KEYED: OrderedDict[tuple, dict] = OrderedDict()
_LOCK = threading.Lock()


def build(kind: str, *args, **kwargs) -> dict:
    """The Vega-Lite spec of ``BUILDERS[kind](*args, **kwargs)``, its datasets as Arrow IPC bytes."""
    out = BUILDERS[kind](*args, **kwargs).to_dict(validate=False)
    if isinstance(out.get("datasets"), dict):
        out["datasets"] = {name: rows if isinstance(rows, bytes) else dataframe_util.convert_anything_to_arrow_bytes(rows)
                           for name, rows in out["datasets"].items()}
    return out


@st.cache_data(ttl=600, max_entries=500, show_spinner=False)
def spec(kind: str, *args, **kwargs) -> dict:
    """``build`` cached by its arguments (validated by the builders' tests)."""
    return build(kind, *args, **kwargs)


def keyed_spec(kind: str, key: tuple, *args, **kwargs) -> dict:
    """``spec`` cached by ``key``, which must tell apart every input that changes the chart: a hit
    costs a dictionary lookup; a new key (the data recomputed) looks the arguments up by content."""
    k = (kind, key)
    with _LOCK:
        found = _KEYED.get(k)
        if found is not None:
            _KEYED.move_to_end(k)
            return found
    made = spec(kind, *args, **kwargs)  # a refresh that changed nothing finds the spec by content
    with _LOCK:
        _KEYED[k] = made
        while len(_KEYED) > MAX_KEYED:
            _KEYED.popitem(last=False)
    return made


def content_key(value) -> object:
    """``value`` (nested lists, tuples, dicts, scalars) as a hashable key equal for equal content."""
    if isinstance(value, dict):
        return ("dict", tuple(sorted(((str(k), content_key(v)) for k, v in value.items()), key=lambda kv: kv[0])))
    if isinstance(value, list | tuple):
        return tuple(content_key(v) for v in value)
    hash(value)  # a scalar (or a frozen value): refuse what cannot be a key here rather than at the lookup
    return value


def clear() -> None:
    spec.clear()
    with _LOCK:
        _KEYED.clear()


def show(kind: str, *args, key: tuple | None = None, **kwargs) -> None:
    """Draw the chart ``BUILDERS[kind]`` makes of these arguments, full width (``key``: module docstring)."""
    s = spec(kind, *args, **kwargs) if key is None else keyed_spec(kind, key, *args, **kwargs)
    st.vega_lite_chart(s, width="stretch")  # Streamlit copies the spec before it moves the data out
