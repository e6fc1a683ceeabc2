"""KPI loading (cached, scope-checked) and widgets: cards, status badges, child-unit tables."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from data_access.core.db import get_engine, read_engine, replica_lag_s, session_scope
from data_access.core.settings import TIMEZONE, get_settings
from data_access.org import users
from data_access.programme import catalog
from data_access.programme.catalog import IndicatorRow, PhaseRow

from . import (
    flash,  # noqa: F401  (installs ui.swr's read-your-writes hook)
    swr,
)
from . import format as fmt
from . import plan_indicators as pi
from .i18n import lang, name_of, t, t_opt

STATUS_COLORS = {"met": "green", "on_track": "blue", "at_risk": "orange", "off_track": "red",
                 "too_early": "gray", "no_data": "gray", "no_target": "gray"}
FLAG_COLORS = {"vetoed": "red", "incomplete": "gray", "small_sample": "gray"}
CARD_WIDTH = 288  # px: three cards a line in the main area of a 1366 px laptop, more on wider screens
# light cell backgrounds for tables (same meaning as the badges)
STATUS_BG = {"met": "#e3f1e6", "on_track": "#e4ecf7", "at_risk": "#fbefd9", "off_track": "#f8e0de"}
SCORE = "assessment_score"
SCORE_PARTS = ("info_accuracy", "need_resolution", "satisfaction")


# Everything the overview shows for one unit, phase and day (plain data: cacheable).
@dataclass(frozen=True)
class OverviewData:
    kpis: tuple  # metrics.service.Kpi rows: the unit itself and each direct child (computed, then reported)
    weights: dict  # assessment-score weights by component
    children: tuple[users.UnitRef, ...]


@st.cache_data(ttl=60, show_spinner=False)
def reference(url: str | None = None) -> tuple[tuple[PhaseRow, ...], tuple[IndicatorRow, ...]]:
    """Phases and the indicator registry (rarely change; a minute of cache)."""
    with session_scope(get_engine(url) if url else read_engine()) as s:
        return tuple(catalog.phases(session=s)), tuple(catalog.indicators(session=s))


@swr.cached()
def load_overview(scope_code: str, unit_code: str, period: str, as_of: date) -> OverviewData | None:
    """KPIs of ``unit_code`` and its direct children — every registry indicator, computed and
    reported (``metrics.reported.compute_all``); None when the unit is not inside ``scope_code``.

    Keyed by the user's scope as well as the unit, so one user's entry never serves another
    scope; stale-while-revalidate (``ui.swr``): fresh 30–120 s (20 × what it cost), then served at
    once while one thread recomputes it.
    """
    from data_access.analytics.kpi_queries import setting
    from metrics.definitions import DEFAULT_WEIGHTS
    from metrics.reported import compute_all

    with session_scope(read_engine()) as s:
        scope = users.unit_by_code(session=s, code=scope_code)
        unit = users.unit_by_code(session=s, code=unit_code)
        if scope is None or unit is None or not users.in_scope(scope, unit):
            return None
        kpis = compute_all(s, unit_code=unit.code, period=period, as_of=as_of, children=True, parallel=True)
        weights = setting(s, "score_weights", DEFAULT_WEIGHTS) or DEFAULT_WEIGHTS
        kids = users.children(session=s, parent=unit)
    return OverviewData(kpis=tuple(kpis), weights={k: float(v) for k, v in weights.items()}, children=tuple(kids))


@st.cache_data(ttl=2, show_spinner=False)
def _replica_lag(url: str) -> float | None:
    try:
        return replica_lag_s(get_engine(url))
    except Exception:  # replica down: the caption says so, the page's own query reports the error
        return None


def freshness_caption(computed_at: float | None = None, replica: bool = True) -> None:
    """"数据截至 …" on the dashboards: when the data on screen was computed (``computed_at``, epoch
    seconds, from ``ui.swr``: a leader may see a result up to a few seconds old while a newer one is
    computed), less the read replica's replay lag when the dashboards read from one
    (DATABASE_READ_URL; ``replica=False`` for a screen that reads the primary)."""
    url = get_settings().database_read_url if replica else None
    lag = None
    if url:
        lag = _replica_lag(url)
        if lag is None:
            st.caption(f":material/database: {t('freshness.unknown')}")
            return
    if computed_at is None and lag is None:
        return
    base = datetime.fromtimestamp(computed_at, ZoneInfo(TIMEZONE)) if computed_at else datetime.now(ZoneInfo(TIMEZONE))
    at = (base - timedelta(seconds=lag or 0)).strftime("%H:%M:%S")
    text = t("freshness.as_of", time=at, lag=f"{lag:.0f}") if lag is not None else t("freshness.computed", time=at)
    st.caption(f":material/database: {text}", help=t("freshness.help"))


# --- formatting helpers --------------------------------------------------------------------------

def status_label(status: str | None) -> str:
    return t_opt(f"status.{status}", "status.unknown")


def badge(status: str | None) -> str:
    """Markdown badge for a status (colour + label)."""
    return f":{STATUS_COLORS.get(status or '', 'gray')}-badge[{status_label(status)}]"


def kpi_value(k, ind: IndicatorRow) -> str:
    return fmt.value(k.value, ind.unit)


def _points_suffix(ind: IndicatorRow) -> str:
    return t("unit.pp") if ind.unit == "%" else (t("unit.points") if ind.unit == "score" else "")


# --- KPI cards ------------------------------------------------------------------------------------

def kpi_card(k, ind: IndicatorRow, *, parts: dict | None = None, weights: dict | None = None,
             indicators: dict[str, IndicatorRow] | None = None) -> None:
    """One bordered card: value, status, target and gap, n and 95% interval, needed gain per month."""
    L = lang()
    with st.container(border=True, width=CARD_WIDTH):
        flags = " ".join(f":{FLAG_COLORS.get(f, 'gray')}-badge[{t_opt('flag.' + f, 'status.unknown')}]"
                         for f in (k.flags or ()) if f != k.status)
        st.markdown(f"**{name_of(ind)}** {badge(k.status)} {flags}".strip())  # wraps: a label would cut it
        delta = None
        if k.value is not None and k.target is not None:
            # ASCII sign first: Streamlit colours the delta by its leading "-"
            delta = fmt.signed(k.value - k.target, ind.unit, L, ascii_minus=True)
        st.metric(name_of(ind), kpi_value(k, ind), delta=delta, label_visibility="collapsed",
                  delta_color="normal" if ind.direction == "up" else "inverse", delta_arrow="off",
                  delta_description=t("kpi.vs_target") if delta else None, help=name_of(ind, "note"))
        lines = []
        if k.target is not None:
            line = f"{t('kpi.target')} {fmt.value(k.target, ind.unit)}"
            if k.gap is not None:  # in words: a signed gap beside the signed delta above read as a contradiction
                key = "kpi.gap_behind" if k.gap > 0 else ("kpi.gap_ahead" if k.gap < 0 else "kpi.gap_none")
                line += " · " + t(key, gap=fmt.points(k.gap, ind.unit, L))
            lines.append(line)
        else:
            lines.append(t("kpi.no_target"))
        if pi.is_reported(k):
            lines.append(pi.reported_line(k))
        elif k.n and ind.code != SCORE:
            n_line = f"{t('kpi.n')} {fmt.count(k.n)}"
            if k.ci_low is not None and k.ci_high is not None:
                n_line += f" · {t('kpi.ci')} {fmt.interval(k.ci_low, k.ci_high, ind.unit)}"
            lines.append(n_line)
        gain = getattr(k, "required_gain", None)
        if gain is not None and gain > 0 and k.status not in ("met",):
            lines.append(f"{t('kpi.required_gain')} {fmt.number(gain)} {_points_suffix(ind)}")
        if ind.code == SCORE and parts is not None and weights and indicators:
            comp = []
            for code in SCORE_PARTS:
                w = weights.get(code)
                v = parts.get(code)
                if w is None or code not in indicators:
                    continue
                pts = None if v is None else w * v / 100.0
                comp.append(f"{name_of(indicators[code])} {fmt.number(pts)}/{fmt.number(w, 0)}")
            lines.append(f"{t('kpi.components')}：" if L == "zh" else f"{t('kpi.components')}: ")
            lines[-1] += " · ".join(comp)
        if "vetoed" in (k.flags or ()):
            lines.append(t("kpi.vetoed_note"))
        st.caption("  \n".join(lines))
        if k.value is None:
            st.caption(t("pind.empty") if pi.is_reported(k) and k.m else t_opt(f"empty.{ind.code}", "empty.default"))


def card_grid():
    """The cards' row: they wrap, as many per line as the screen holds (three on an officer's laptop).
    One container for all the cards, not a row of columns per three: fewer elements per run."""
    return st.container(horizontal=True, gap="small")


def kpi_cards(kpis: Sequence, indicators: Sequence[IndicatorRow], weights: dict) -> None:
    """Cards for the headline indicators of the unit itself (``is_self``), in registry order."""
    by_code = {i.code: i for i in indicators}
    own = {k.indicator: k for k in kpis if k.is_self}
    heads = [i for i in indicators if i.headline and i.code in own]
    parts = {c: own[c].value if c in own else None for c in SCORE_PARTS}
    with card_grid():
        for ind in heads:
            kpi_card(own[ind.code], ind, parts=parts, weights=weights, indicators=by_code)


def plan_cards(kpis: Sequence, indicators: Sequence[IndicatorRow], plan: str) -> int:
    """Cards of the unit's own indicators of one plan (seed 000: its non-headline ones, the
    headline cards being shown already); returns how many were drawn."""
    own = {k.indicator: k for k in kpis if k.is_self}
    inds = [i for i in pi.of_plan(indicators, plan) if i.code in own and not i.headline]
    with card_grid():
        for ind in inds:
            kpi_card(own[ind.code], ind)
    return len(inds)


# --- child-unit tables ----------------------------------------------------------------------------

def _child_rows(kpis: Sequence) -> dict[str, dict[str, object]]:
    rows: dict[str, dict[str, object]] = {}
    for k in kpis:
        if not k.is_self:
            rows.setdefault(k.unit_code, {})[k.indicator] = k
    return rows


def _unit_name(k) -> str:
    return fmt.unit_name(k, lang())


def children_matrix(kpis: Sequence, indicators: Sequence[IndicatorRow]) -> pd.io.formats.style.Styler | None:
    """Direct children × headline indicators: formatted values, cells tinted by status.

    The first column holds the unit names (render with ``hide_index=True``).
    """
    rows = _child_rows(kpis)
    if not rows:
        return None
    heads = [i for i in indicators if i.headline]
    unit_col = t("col.unit")
    values, statuses = [], []
    for by_ind in rows.values():
        first = next(iter(by_ind.values()))
        values.append([_unit_name(first)] + [kpi_value(by_ind[i.code], i) if i.code in by_ind else fmt.NONE
                                             for i in heads])
        statuses.append([None] + [getattr(by_ind.get(i.code), "status", None) for i in heads])
    cols = [unit_col] + [name_of(i) for i in heads]
    df = pd.DataFrame(values, columns=cols)
    colors = pd.DataFrame([[f"background-color: {STATUS_BG[s]}" if s in STATUS_BG else "" for s in r]
                           for r in statuses], columns=cols, index=df.index)
    return df.style.apply(lambda _: colors, axis=None)


def table_height(rows: int, max_rows: int = 20) -> int:
    """Pixel height that shows up to ``max_rows`` rows without an inner scrollbar (35 px a row + header)."""
    return 38 + 35 * max(1, min(rows, max_rows))


def unit_column_config() -> dict:
    """Column config for tables whose first column is the unit name (wide enough, pinned)."""
    return {t("col.unit"): st.column_config.TextColumn(pinned=True)}  # auto width: names stay whole


def children_detail(kpis: Sequence, ind: IndicatorRow) -> pd.DataFrame:
    """Direct children for one indicator: actual, target, gap, n, 95% interval, status, needed gain
    (a reported indicator: its period, k / m units and completeness instead of n and the interval)."""
    L = lang()
    out = []
    for _code, by_ind in _child_rows(kpis).items():
        k = by_ind.get(ind.code)
        if k is None:
            continue
        gain = getattr(k, "required_gain", None)
        row = {t("col.unit"): _unit_name(k), t("col.value"): kpi_value(k, ind),
               t("col.target"): fmt.value(k.target, ind.unit), t("col.gap"): fmt.gap(k.gap, ind.unit, L)}
        if pi.is_reported(k):
            row[t("pind.col.period")] = k.period or fmt.NONE
            row[t("pind.col.units")] = pi.units_text(k) or fmt.NONE
            row[t("pind.col.completeness")] = pi.pct(k.completeness)
        else:
            row[t("col.n")] = fmt.count(k.n) if ind.code != SCORE else fmt.NONE
            row[t("col.ci")] = fmt.interval(k.ci_low, k.ci_high, ind.unit)
        row[t("col.status")] = status_label(k.status)
        row[t("col.required_gain")] = fmt.number(gain) if gain is not None and gain > 0 else fmt.NONE
        out.append(row)
    return pd.DataFrame(out)
