"""差距分析 District gaps: pure table/breadcrumb/funnel builders (tested by hand) and their widgets.

The builders take ``metrics.service.Kpi`` rows (the unit itself and its direct children, as
``compute_kpis(children=True)`` returns them) and return plain data; the widgets below them
localise and draw it. Loading reuses ``ui.kpi.load_overview`` (cached per scope, unit, phase
and day, ttl 5 s), so this screen and the overview share one cache entry.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import pandas as pd
import streamlit as st

from data_access.core.db import read_engine, session_scope
from data_access.org.models import OrgUnit
from data_access.org.users import UnitRef, in_scope
from data_access.programme.catalog import IndicatorRow
from metrics.definitions import UNRANKED_STATUSES, rank_by_gap

from . import charts, kpi
from . import format as fmt
from . import plan_indicators as pi
from .i18n import lang, name_of, t, t_opt

DEFAULT_INDICATOR = "info_accuracy"
# Indicators that are a share k/n (percent, or satisfaction's 0–100 share): a funnel plot applies.
FUNNEL_INDICATORS = ("info_accuracy", "rental_accuracy", "need_resolution", "need_response_48h", "satisfaction",
                     "process_compliance", "night_visit_compliance", "visit_coverage", "special_visit_compliance",
                     "sa_cc_highrisk_weekly_visit")
GAP_COLUMNS = ["code", "name_zh", "name_en", "value", "target", "gap", "n", "status", "required_gain", "rank",
               "period", "m", "completeness"]  # the last three: reported indicators only (n is then k)


# --- pure builders --------------------------------------------------------------------------------

def gap_frame(kpis: Sequence, indicator: str) -> pd.DataFrame:
    """One row per direct child for ``indicator``: ``GAP_COLUMNS``, sorted by rank (unranked last,
    then by name code). Values stay numeric so the table sorts by number, not by text."""
    rows = [k for k in kpis if not k.is_self and k.indicator == indicator]
    gaps = [None if k.status in UNRANKED_STATUSES else k.gap for k in rows]
    ranks = rank_by_gap(gaps)
    data = [{
        "code": k.unit_code, "name_zh": k.unit_name_zh, "name_en": k.unit_name_en, "value": k.value,
        "target": k.target, "gap": k.gap, "n": k.n, "status": k.status,
        "required_gain": k.required_gain if k.required_gain is not None and k.required_gain > 0 else None,
        "rank": r, "period": getattr(k, "period", None), "m": getattr(k, "m", None),
        "completeness": getattr(k, "completeness", None),
    } for k, r in zip(rows, ranks, strict=True)]
    frame = pd.DataFrame(data, columns=GAP_COLUMNS)
    for col in ("value", "target", "gap", "required_gain", "completeness"):
        frame[col] = frame[col].astype("float64")
    for col in ("n", "rank", "m"):
        frame[col] = frame[col].astype("Int64")
    order = frame.assign(_unranked=frame["rank"].isna()).sort_values(["_unranked", "rank", "code"], kind="stable")
    return order.drop(columns="_unranked").reset_index(drop=True)


def gap_matrix(kpis: Sequence, indicators: Sequence[IndicatorRow]) -> tuple[list[str], list[dict], list[dict]]:
    """Direct children × headline indicators: ``(codes, gaps, statuses)`` where ``gaps[i]`` and
    ``statuses[i]`` map indicator code → the child's gap / status (children in ``kpis`` order)."""
    heads = {i.code for i in indicators if i.headline}
    codes: list[str] = []
    gaps: dict[str, dict] = {}
    statuses: dict[str, dict] = {}
    for k in kpis:
        if k.is_self or k.indicator not in heads:
            continue
        if k.unit_code not in gaps:
            codes.append(k.unit_code)
            gaps[k.unit_code], statuses[k.unit_code] = {}, {}
        gaps[k.unit_code][k.indicator] = k.gap
        statuses[k.unit_code][k.indicator] = k.status
    return codes, [gaps[c] for c in codes], [statuses[c] for c in codes]


def breadcrumb(scope: UnitRef, unit: UnitRef, ancestors: Sequence[UnitRef]) -> list[UnitRef]:
    """The units from ``scope`` down to ``unit`` (both included), never above the scope.

    ``ancestors`` may hold any units (e.g. all of ``unit``'s ancestors up to the city); the ones
    on the path from the scope to ``unit`` are kept, top first. A unit outside the scope gives
    ``[scope]``.
    """
    if not in_scope(scope, unit):
        return [scope]
    chain = {u.code: u for u in (*ancestors, scope, unit)
             if unit.path.startswith(u.path) and in_scope(scope, u)}
    return sorted(chain.values(), key=lambda u: len(u.path))


def funnel_units(kpis: Sequence, indicator: str, language: str = "zh") -> list[tuple[str, int, int, str]]:
    """``(name, k, n, code)`` of each child with a sample for ``indicator`` (k = value·n/100,
    rounded: the count behind the one-decimal rate), input of ``charts.funnel_frame``."""
    out = []
    for k in kpis:
        if k.is_self or k.indicator != indicator or not k.n or k.value is None:
            continue
        out.append((fmt.unit_name(k, language), int(round(k.value * k.n / 100.0)), int(k.n), k.unit_code))
    return out


def own_kpi(kpis: Sequence, indicator: str):
    """The unit's own Kpi row for ``indicator`` (None if absent)."""
    return next((k for k in kpis if k.is_self and k.indicator == indicator), None)


# --- loading --------------------------------------------------------------------------------------

@st.cache_data(ttl=60, show_spinner=False)
def ancestors(unit_code: str) -> tuple[UnitRef, ...]:
    """``unit_code`` and every unit above it (from the materialised path), top first."""
    from data_access.org import users

    with session_scope(read_engine()) as s:
        unit = users.unit_by_code(session=s, code=unit_code)
        if unit is None:
            return ()
        ids = [int(p) for p in unit.path.strip("/").split("/") if p]
        rows = s.exec(OrgUnit.__table__.select().where(OrgUnit.id.in_(ids))).all()
        refs = [UnitRef(id=r.id, code=r.code, level=r.level, path=r.path, name_zh=r.name_zh, name_en=r.name_en,
                        parent_id=r.parent_id, pilot=bool(r.pilot)) for r in rows]
    return tuple(sorted(refs, key=lambda u: len(u.path)))


# --- widgets --------------------------------------------------------------------------------------

def go_to(code: str, param: str = "unit") -> None:
    """Show unit ``code``: the URL carries it (a deep link) and the unit picker re-reads it."""
    st.query_params[param] = code
    # set the picker too: its widget state would otherwise win over the URL (and the browser would
    # keep showing the old choice); the URL unit is among its options on the next run
    st.session_state[f"{param}_{lang()}"] = code


def indicator_picker(indicators: Sequence[IndicatorRow], *, param: str = "indicator") -> IndicatorRow:
    """Selectbox of every registry indicator the dashboards show, grouped by plan, bound to
    ``?indicator=`` (default info accuracy)."""
    return pi.picker(indicators, label=t("gaps.indicator"), key=f"gaps_{param}_{lang()}", default=DEFAULT_INDICATOR,
                     param=param)


def breadcrumb_bar(chain: Sequence[UnitRef], on_pick: Callable[[str], None]) -> None:
    """Crumbs from the scope to the current unit; every crumb above the current one is a button."""
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.markdown(f":material/account_tree: **{t('gaps.breadcrumb')}**", width="content")
        for i, u in enumerate(chain):
            label = f"{fmt.md(name_of(u))} · {t('level.' + u.level)}"
            if i:
                st.markdown("›", width="content")
            if i == len(chain) - 1:
                st.markdown(f"**{label}**", width="content")
            else:
                st.button(label, key=f"gaps_crumb_{u.code}", type="tertiary", on_click=on_pick, args=(u.code,))


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _status_bg(status: str | None) -> str:
    return f"background-color: {kpi.STATUS_BG[status]}" if status in kpi.STATUS_BG else ""


class _KM:
    """k and m of a gap-frame row, as ``plan_indicators.units_text`` reads them from a Kpi."""

    def __init__(self, k, m):
        self.k = 0 if pd.isna(k) else int(k)
        self.m = 0 if pd.isna(m) else int(m)


def unit_name(row) -> str:
    return (row["name_en"] or row["code"]) if lang() == "en" else row["name_zh"]


def gap_table(frame: pd.DataFrame, ind: IndicatorRow):
    """``(styler, column_config)`` of ``gap_frame``'s rows: localised headers, numbers kept numeric
    (the table sorts by value), actual and status cells tinted by status."""
    suffix = t("unit.pp") if ind.unit == "%" else (t("unit.points") if ind.unit == "score" else "")
    reported = ind.kind == "reported"
    cols = {"unit": t("col.unit"), "value": t("col.value"), "target": t("col.target"), "gap": t("col.gap"),
            "n": t("pind.col.units") if reported else t("gaps.col.n"), "status": t("col.status"),
            "required_gain": t("col.required_gain"), "rank": t("gaps.col.rank"), "period": t("pind.col.period"),
            "completeness": t("pind.col.completeness")}
    data = {
        cols["rank"]: frame["rank"],
        cols["unit"]: [unit_name(r) for _, r in frame.iterrows()],
        cols["value"]: frame["value"],
        cols["target"]: frame["target"],
        cols["gap"]: frame["gap"],
        cols["n"]: frame["n"] if ind.code != kpi.SCORE else pd.array([pd.NA] * len(frame), dtype="Int64"),
        cols["status"]: [kpi.status_label(s) for s in frame["status"]],
        cols["required_gain"]: frame["required_gain"],
    }
    if reported:  # "k / m units" in place of n, the period and the completeness
        data[cols["n"]] = [pi.units_text(_KM(r["n"], r["m"])) or fmt.NONE for _, r in frame.iterrows()]
        data[cols["period"]] = [p or fmt.NONE for p in frame["period"]]
        data[cols["completeness"]] = frame["completeness"]
    shown = pd.DataFrame(data)
    tints = pd.DataFrame("", index=shown.index, columns=shown.columns)
    bg = [_status_bg(s) for s in frame["status"]]
    tints[cols["value"]] = bg
    tints[cols["status"]] = bg
    L = lang()
    formats = {
        cols["value"]: lambda v: fmt.value(_num(v), ind.unit),
        cols["target"]: lambda v: fmt.value(_num(v), ind.unit),
        cols["gap"]: lambda v: fmt.gap(_num(v), ind.unit, L),
        cols["n"]: lambda v: fmt.count(None if pd.isna(v) else int(v)),
        cols["required_gain"]: lambda v: fmt.number(_num(v)) + (f" {suffix}" if suffix and not pd.isna(v) else ""),
        cols["rank"]: lambda v: fmt.NONE if pd.isna(v) else str(int(v)),
    }
    if reported:
        formats.pop(cols["n"])  # already text
        formats[cols["completeness"]] = lambda v: pi.pct(_num(v))
    styler = shown.style.apply(lambda _: tints, axis=None).format(formats)
    # numbers stay numbers underneath (the table sorts by value); the styler supplies the text
    config = {
        cols["rank"]: st.column_config.NumberColumn(width="small"),
        cols["unit"]: st.column_config.TextColumn(pinned=True),
        cols["gap"]: st.column_config.NumberColumn(help=t("gaps.gap_help")),
    }
    return styler, config


def matrix_table(kpis: Sequence, indicators: Sequence[IndicatorRow]):
    """Children × headline indicators, each cell the gap (formatted), tinted by the status."""
    codes, gaps, statuses = gap_matrix(kpis, indicators)
    if not codes:
        return None
    L = lang()  # once: a session-state read is not free, and this runs for every child × indicator
    names = {k.unit_code: fmt.unit_name(k, L) for k in kpis if not k.is_self}
    heads = [i for i in indicators if i.headline]
    cols = [t("col.unit")] + [name_of(i) for i in heads]
    values = [[names[c]] + [fmt.gap(g.get(i.code), i.unit, L) for i in heads] for c, g in zip(codes, gaps, strict=True)]
    tints = [[""] + [_status_bg(s.get(i.code)) for i in heads] for s in statuses]
    df = pd.DataFrame(values, columns=cols)
    colours = pd.DataFrame(tints, columns=cols, index=df.index)
    return df.style.apply(lambda _: colours, axis=None)


def funnel_labels(data_date: date) -> dict[str, str]:
    labels = {k: t(f"gaps.fn.{k}") for k in charts.FUNNEL_LABEL_KEYS if k != "data_date"}
    labels["data_date"] = t("overview.data_date", date=fmt.day(data_date))
    return labels


def empty_reason(indicator: str) -> str:
    return t_opt(f"empty.{indicator}", "empty.default")
