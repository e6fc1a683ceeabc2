"""Charts drawn from cached Vega-Lite specs.

Building an Altair chart and turning it into Vega-Lite (``st.altair_chart`` validates the whole
spec against the JSON schema on every run) was a quarter of a dashboard rerun's CPU — the same
chart again and again, since the dashboards' data is shared for seconds (``ui.swr``). ``show``
builds a chart once per distinct input (the frames, titles, labels, language and date: all part
of the cache key), keeps its spec, and hands the spec to ``st.vega_lite_chart``. The builders stay
pure functions in ``ui.charts`` (their unit tests validate the full spec there).
"""
from __future__ import annotations

import streamlit as st

from . import charts

BUILDERS = {"trend": charts.trend_chart, "funnel": charts.funnel_chart, "timeline": charts.milestone_timeline,
            "group_trend": charts.group_trend_chart}


@st.cache_data(ttl=600, max_entries=500, show_spinner=False)
def spec(kind: str, *args, **kwargs) -> dict:
    """The Vega-Lite spec of ``BUILDERS[kind](*args, **kwargs)`` (validated by the builders' tests)."""
    return BUILDERS[kind](*args, **kwargs).to_dict(validate=False)


def show(kind: str, *args, **kwargs) -> None:
    """Draw the chart ``BUILDERS[kind]`` makes of these arguments, full width."""
    st.vega_lite_chart(spec(kind, *args, **kwargs), width="stretch")
