"""Registry indicators grouped by plan (seed) for the dashboards: the indicator pickers of the
overview, gaps, map and report screens, and the lines a *reported* value shows (its period,
"k / m units" and completeness).

Every registry indicator is offered: ``metrics.reported.compute_all`` computes each of them
(computed ones from the app's records, reported ones from ``metrics.reported.compute_reported``),
all as ``metrics.service.Kpi`` rows, so the tables, cards and map colours take either (gap and
status are direction-aware in both).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from data_access.programme.catalog import IndicatorRow
from metrics.service import INDICATORS as MONTHLY  # computed indicators with a monthly series

from . import format as fmt
from .i18n import name_of, t

PLANS = ("seed-000", "seed-001", "seed-002", "seed-003", "seed-004")


def plan_of(ind: IndicatorRow) -> str:
    """The indicator's plan ("seed-00N"); seed 000 when the registry row names none."""
    p = ind.plan
    return p if p in PLANS else PLANS[0]


def offered(indicators: Sequence[IndicatorRow], only: Callable[[IndicatorRow], bool] | None = None
            ) -> list[IndicatorRow]:
    """Every registry indicator (or those ``only`` keeps) grouped by plan (plan order), registry
    order within a plan."""
    keep = [i for i in indicators if only is None or only(i)]
    return sorted(keep, key=lambda i: PLANS.index(plan_of(i)))  # stable: registry order kept inside a plan


def has_trend(ind: IndicatorRow) -> bool:
    """A monthly trend exists: the computed indicators of ``metrics.service.monthly_series`` and
    every reported one (``metrics.reported.reported_series``)."""
    return ind.kind == "reported" or ind.code in MONTHLY


def of_plan(indicators: Sequence[IndicatorRow], plan: str) -> list[IndicatorRow]:
    return [i for i in offered(indicators) if plan_of(i) == plan]


def option_label(ind: IndicatorRow) -> str:
    return t("pind.option", plan=t(f"plan.{plan_of(ind)}"), name=name_of(ind))


def picker(indicators: Sequence[IndicatorRow], *, label: str, key: str, default: str | None = None,
           param: str | None = "indicator", only: Callable[[IndicatorRow], bool] | None = None) -> IndicatorRow:
    """Selectbox of every registry indicator (or those ``only`` keeps), grouped by plan ("plan ›
    indicator"); bound to ``?<param>=`` when ``param`` is given. ``key`` should carry the language
    (options are labelled)."""
    inds = offered(indicators, only)
    by_code = {i.code: i for i in inds}
    codes = list(by_code)
    wanted = st.query_params.get(param) if param else None
    first = next(c for c in (wanted, default, codes[0]) if c in by_code)
    code = st.selectbox(label, codes, index=codes.index(first), key=key, format_func=lambda c: option_label(by_code[c]))
    if param:
        st.query_params[param] = code
    return by_code[code]


def plan_picker(*, key: str, default: str = "seed-001", param: str | None = "plan", label: str | None = None,
                help: str | None = None) -> str:
    """Selectbox of the five plans (``?plan=``)."""
    wanted = st.query_params.get(param) if param else None
    first = wanted if wanted in PLANS else default
    plan = st.selectbox(label or t("pind.plan"), list(PLANS), index=PLANS.index(first), key=key,
                        format_func=lambda p: t("plan." + p), help=help)
    if param:
        st.query_params[param] = plan
    return plan


def is_reported(k) -> bool:
    return getattr(k, "kind", "computed") == "reported"


def units_text(k) -> str:
    """"k / m 单位" of a reported value (empty when no unit is expected at this level)."""
    return t("pind.units", k=fmt.count(k.k or 0), m=fmt.count(k.m)) if k.m else ""


def pct(v: float | None) -> str:
    return fmt.NONE if v is None else f"{fmt.number(v)}%"


def reported_line(k) -> str:
    """Period · k / m units · completeness, the line under a reported value."""
    if not k.m:
        return t("pind.not_entered_here")
    parts = [t("pind.period", period=k.period) if k.period else t("pind.no_period"), units_text(k)]
    if k.completeness is not None:
        parts.append(t("pind.completeness", pct=pct(k.completeness)))
    return " · ".join(p for p in parts if p)
