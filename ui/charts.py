"""Chart builders (altair 6): pure functions that return ``alt.Chart`` objects, and the data-frame
builders they draw, kept separate so the arithmetic is unit-tested without rendering.

Rules for every chart here:

- No text of its own: titles, series names and captions are passed in by the caller from the
  ``ui.i18n`` catalogue (``labels`` mappings; the required keys are listed in ``*_LABEL_KEYS``).
- Offline: data is inlined in the spec (no ``url`` data), no external fonts or images.
- Every chart shows its target (step line, city value or due dates) and its data's date (rule).

Rates are in percent (0–100), months are ints YYYYMM, as everywhere in the app.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import altair as alt
import pandas as pd

from metrics.definitions import MIN_TREND_POINTS, Z95, Z998, funnel_limits, least_squares, month_index

ACTUAL, TARGET, PROJECTION = "actual", "target", "projection"
BASELINE = "baseline"

TREND_LABEL_KEYS = (ACTUAL, TARGET, PROJECTION, "data_date", "month")
TIMELINE_LABEL_KEYS = ("due", "milestone", "status", "owner", "evidence", "data_date")
FUNNEL_LABEL_KEYS = ("n", "value", "unit", "centre", "limit95", "limit998", "target", "data_date")

SERIES_COLOURS = {ACTUAL: "#1f5fa8", TARGET: "#c0392b", PROJECTION: "#7fa7d6"}
SERIES_DASH = {ACTUAL: [1, 0], TARGET: [6, 4], PROJECTION: [2, 3]}
DATE_RULE_COLOUR = "#6b6b6b"

MILESTONE_STATUSES = ("planned", "in_progress", "done", "late")
MILESTONE_COLOURS = {"planned": "#8c9bab", "in_progress": "#1f77b4", "done": "#2e7d32", "late": "#c62828"}

DATE_FORMAT = {"zh": "%Y年%m月", "en": "%b %Y"}


# --- small helpers -------------------------------------------------------------------------

def month_start(month: int) -> pd.Timestamp:
    """YYYYMM → timestamp of the first day of that month (the x of a monthly point)."""
    return pd.Timestamp(year=month // 100, month=month % 100, day=1)


def month_of(d: date) -> int:
    return d.year * 100 + d.month


def months_between(first: int, last: int) -> list[int]:
    """Every month YYYYMM from ``first`` to ``last`` inclusive."""
    out, m = [], first
    while m <= last:
        out.append(m)
        m = m + 1 if m % 100 < 12 else (m // 100 + 1) * 100 + 1
    return out


def _get(obj: Any, name: str, index: int | None = None):
    if isinstance(obj, Mapping):
        return obj.get(name)
    if index is not None and isinstance(obj, tuple | list):
        return obj[index] if len(obj) > index else None
    return getattr(obj, name, None)


@dataclass(frozen=True)
class PhaseSpan:
    code: str
    start: date
    end: date

    @property
    def first_month(self) -> int:
        return month_of(self.start)

    @property
    def last_month(self) -> int:
        return month_of(self.end)


def _phases(phases: Iterable[Any]) -> list[PhaseSpan]:
    """Accepts ``Phase`` rows, mappings or ``(code, start, end)`` tuples; sorted by start."""
    out = [PhaseSpan(_get(p, "code", 0), _get(p, "start", 1), _get(p, "end", 2)) for p in phases]
    return sorted(out, key=lambda p: p.start)


def _series(series: Mapping[int, Any] | Iterable[Sequence[Any]]) -> list[tuple[int, float, int | None]]:
    """``{month: value}`` or ``[(month, value[, n])]`` → sorted ``[(month, value, n)]`` without gaps in value."""
    items = series.items() if isinstance(series, Mapping) else series
    out = []
    for row in items:
        month, value = int(row[0]), row[1]
        n = row[2] if len(row) > 2 else None
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        out.append((month, float(value), n))
    return sorted(out)


def _labels(labels: Mapping[str, str] | None, keys: Sequence[str]) -> dict[str, str]:
    """The caller's texts; a missing key shows the key itself (visible in review, never a crash)."""
    labels = labels or {}
    return {k: labels.get(k, k) for k in keys}


# --- trend ---------------------------------------------------------------------------------

def trend_frame(series: Mapping[int, Any] | Iterable[Sequence[Any]],
                targets_by_phase: Mapping[str, float | None], phases: Iterable[Any],
                baseline: float | None, *, projection_phase: str | None = None,
                last_complete_month: int | None = None, window: int = 6) -> pd.DataFrame:
    """Tidy frame ``month, date, value, n, series, phase`` of one indicator for the trend chart.

    - ``actual``: the monthly values (``series``: ``{YYYYMM: value}`` or ``[(YYYYMM, value, n)]``,
      e.g. ``metrics.service.monthly_series``); a month without a value between two with one gets
      an empty row (value NaN), where the chart's line breaks.
    - ``target``: one row per month from January of the baseline year (the year before the first
      phase) to the last phase's end: the ``baseline`` in the baseline year, then the phase's
      target from ``targets_by_phase`` (``None`` where a phase has no target): drawn as a step.
    - ``projection``: the least-squares line through the last ``window`` (6) monthly values of
      the projection phase (``projection_phase``, default: the phase holding the last actual
      month), from the last of those months to the phase's end month. Only with at least 3 values
      (as the status rule). ``last_complete_month`` leaves out a month still in progress.
    """
    spans = _phases(phases)
    actual = _series(series)
    rows: list[dict] = []

    for month, value, n in actual:
        rows.append({"month": month, "value": value, "n": n, "series": ACTUAL, "phase": _phase_of(month, spans)})
    if actual:  # a month without data between two with: an empty row, so the line breaks there (not bridged)
        have = {m for m, _v, _n in actual}
        for month in months_between(actual[0][0], actual[-1][0]):
            if month not in have:
                rows.append({"month": month, "value": None, "n": None, "series": ACTUAL,
                             "phase": _phase_of(month, spans)})

    if spans:
        base_year = spans[0].start.year - 1
        for month in months_between(base_year * 100 + 1, spans[-1].last_month):
            phase = _phase_of(month, spans)
            if month // 100 == base_year:
                phase, value = BASELINE, baseline
            else:
                value = targets_by_phase.get(phase) if phase else None
            rows.append({"month": month, "value": None if value is None else float(value), "n": None,
                         "series": TARGET, "phase": phase})

    rows.extend(_projection_rows(actual, spans, projection_phase, last_complete_month, window))

    frame = pd.DataFrame(rows, columns=["month", "value", "n", "series", "phase"])
    frame["date"] = [month_start(m) for m in frame["month"]]
    frame["value"] = frame["value"].astype("float64")
    frame["n"] = frame["n"].astype("Int64")
    return frame[["month", "date", "value", "n", "series", "phase"]]


def _phase_of(month: int, spans: Sequence[PhaseSpan]) -> str | None:
    for p in spans:
        if p.first_month <= month <= p.last_month:
            return p.code
    return None


def _projection_rows(actual, spans, projection_phase, last_complete_month, window) -> list[dict]:
    if not actual or not spans:
        return []
    code = projection_phase or _phase_of(actual[-1][0], spans)
    span = next((p for p in spans if p.code == code), None)
    if span is None:
        return []
    pts = [(m, v) for m, v, _ in actual if span.first_month <= m <= span.last_month
           and (last_complete_month is None or m <= last_complete_month)][-window:]
    if len(pts) < MIN_TREND_POINTS:
        return []
    a, b = least_squares([(float(month_index(m)), v) for m, v in pts])
    return [{"month": m, "value": a + b * month_index(m), "n": None, "series": PROJECTION, "phase": span.code}
            for m in months_between(pts[-1][0], span.last_month)]


def trend_chart(frame: pd.DataFrame, title: str, unit: str, data_date: date | datetime | None, lang: str,
                labels: Mapping[str, str] | None = None, *, height: int = 300) -> alt.LayerChart:
    """Monthly actuals (line + points), the target step line (dashed), the projection (dotted)
    and a rule with a caption at the data's date. ``labels`` keys: ``TREND_LABEL_KEYS`` —
    series names, ``data_date`` (the caption, already formatted) and ``month`` (tooltip title)."""
    lab = _labels(labels, TREND_LABEL_KEYS)
    df = frame.copy()
    df["label"] = df["series"].map({ACTUAL: lab[ACTUAL], TARGET: lab[TARGET], PROJECTION: lab[PROJECTION]})
    # the legend lists only the series drawn (no projection line when there is too little to project)
    series = [k for k in (ACTUAL, TARGET, PROJECTION) if k != PROJECTION or (df["series"] == PROJECTION).any()]
    domain = [lab[k] for k in series]
    legend = alt.Legend(orient="bottom", symbolType="stroke", symbolStrokeWidth=2.5, labelLimit=0)
    colour = alt.Color("label:N", title=None, legend=legend,
                       scale=alt.Scale(domain=domain, range=[SERIES_COLOURS[k] for k in series]))
    dash = alt.StrokeDash("label:N", title=None, legend=legend,
                          scale=alt.Scale(domain=domain, range=[SERIES_DASH[k] for k in series]))
    x = alt.X("date:T", title=None, axis=alt.Axis(format=DATE_FORMAT.get(lang, DATE_FORMAT["en"])))
    y = alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False))
    tooltip = [alt.Tooltip("label:N", title=" "), alt.Tooltip("date:T", title=lab["month"],
                                                               format=DATE_FORMAT.get(lang, "%Y-%m")),
               alt.Tooltip("value:Q", title=unit, format=".1f")]
    base = alt.Chart(df).encode(x=x, y=y, color=colour, strokeDash=dash, tooltip=tooltip)

    def only(series: str):
        return base.transform_filter(alt.datum.series == series)

    layers = [
        only(TARGET).mark_line(interpolate="step-after", strokeWidth=2),
        only(PROJECTION).mark_line(strokeWidth=2),
        only(ACTUAL).mark_line(strokeWidth=2.5),
        only(ACTUAL).mark_point(filled=True, size=40),
    ]
    layers.extend(_date_rule(data_date, lab["data_date"]))
    return alt.layer(*layers).properties(title=title, height=height, width="container")


def _date_rule(data_date, caption: str) -> list[alt.Chart]:
    """A vertical rule at the data's date with its caption just above the plot, ending at the
    rule (inside the plot it would cover lines near the top); nothing when the date is unknown."""
    if data_date is None:
        return []
    when = pd.Timestamp(data_date)
    d = pd.DataFrame({"date": [when], "caption": [caption]})
    rule = alt.Chart(d).mark_rule(color=DATE_RULE_COLOUR, strokeDash=[3, 3]).encode(x="date:T")
    text = alt.Chart(d).mark_text(align="right", baseline="bottom", dx=2, dy=-3, color=DATE_RULE_COLOUR,
                                  fontSize=11).encode(x="date:T", y=alt.value(0), text="caption:N")
    return [rule, text]


# --- milestones ----------------------------------------------------------------------------

def effective_status(status: str, due: date, as_of: date) -> str:
    """A milestone past its due date and not done is *late* (indicators.md, Milestones)."""
    if status == "done":
        return "done"
    if due < as_of:
        return "late"
    return status if status in MILESTONE_STATUSES else "planned"


def timeline_frame(milestones: Iterable[Any], as_of: date | datetime, lang: str = "zh") -> pd.DataFrame:
    """One row per milestone: ``code, title, due (Timestamp), status (effective), late, owner,
    evidence``, sorted by due date. ``milestones`` are ``Milestone`` rows or mappings with
    ``code, title_zh, title_en, due, status, owner, evidence`` (or a ready ``title``)."""
    as_day = as_of.date() if isinstance(as_of, datetime) else as_of
    rows = []
    for m in milestones:
        due = _get(m, "due")
        title = _get(m, "title") or (_get(m, "title_en") if lang == "en" else None) or _get(m, "title_zh") or ""
        status = effective_status(_get(m, "status") or "planned", due, as_day)
        rows.append({"code": _get(m, "code"), "title": title, "due": pd.Timestamp(due), "status": status,
                     "late": status == "late", "owner": _get(m, "owner") or "", "evidence": _get(m, "evidence") or ""})
    frame = pd.DataFrame(rows, columns=["code", "title", "due", "status", "late", "owner", "evidence"])
    return frame.sort_values(["due", "code"], kind="stable").reset_index(drop=True)


def milestone_timeline(frame: pd.DataFrame, title: str, status_labels: Mapping[str, str],
                       data_date: date | datetime | None, lang: str, labels: Mapping[str, str] | None = None,
                       *, start: date = date(2024, 1, 1), end: date = date(2026, 12, 31)) -> alt.LayerChart:
    """2024–2026 timeline: one row per milestone at its due date, coloured by status; late ones are
    larger, outlined and bold. The x domain covers ``start``–``end`` and any milestone outside it.
    ``status_labels``: status code → text; ``labels`` keys: ``TIMELINE_LABEL_KEYS``."""
    lab = _labels(labels, TIMELINE_LABEL_KEYS)
    df = frame.copy()
    df["status_label"] = [status_labels.get(s, s) for s in df["status"]]
    lo = min([pd.Timestamp(start)] + list(df["due"]))
    hi = max([pd.Timestamp(end)] + list(df["due"]))
    domain = [status_labels.get(s, s) for s in MILESTONE_STATUSES]
    colour = alt.Color("status_label:N", title=lab["status"], legend=alt.Legend(orient="bottom", labelLimit=0),
                       scale=alt.Scale(domain=domain, range=[MILESTONE_COLOURS[s] for s in MILESTONE_STATUSES]))
    fmt = DATE_FORMAT.get(lang, DATE_FORMAT["en"])
    x = alt.X("due:T", title=None, scale=alt.Scale(domain=[lo.isoformat(), hi.isoformat()]),
              axis=alt.Axis(format=fmt))
    y = alt.Y("title:N", title=None, sort=alt.EncodingSortField(field="due", op="min"),
              axis=alt.Axis(labelLimit=320))
    tooltip = [alt.Tooltip("title:N", title=lab["milestone"]), alt.Tooltip("due:T", title=lab["due"], format="%Y-%m-%d"),
               alt.Tooltip("status_label:N", title=lab["status"]), alt.Tooltip("owner:N", title=lab["owner"]),
               alt.Tooltip("evidence:N", title=lab["evidence"])]
    base = alt.Chart(df).encode(x=x, y=y, color=colour, tooltip=tooltip)
    points = base.mark_point(filled=True).encode(
        size=alt.condition(alt.datum.late, alt.value(260), alt.value(90)),
        stroke=alt.condition(alt.datum.late, alt.value("#000000"), alt.value(None)),
        strokeWidth=alt.condition(alt.datum.late, alt.value(1.5), alt.value(0)),
        shape=alt.condition(alt.datum.late, alt.value("diamond"), alt.value("circle")),
    )
    late_text = base.transform_filter(alt.datum.late).mark_text(align="left", dx=10, fontWeight="bold").encode(
        text="status_label:N")
    layers = [points, late_text, *_date_rule(data_date, lab["data_date"])]
    # One 32 px band per milestone (a step height: the chart grows with the list, never squeezes).
    return alt.layer(*layers).properties(title=title, height=alt.Step(32), width="container")


# --- funnel plot ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Funnel:
    """Frames of a funnel plot: ``points`` (one row per unit) and ``limits`` (the curves)."""
    points: pd.DataFrame
    limits: pd.DataFrame
    p0: float


def _classify(value: float, lo95: float, hi95: float, lo998: float, hi998: float) -> str:
    if value > hi998:
        return "above_998"
    if value < lo998:
        return "below_998"
    if value > hi95:
        return "above_95"
    if value < lo95:
        return "below_95"
    return "within"


def worse_flags(direction: str = "up") -> list[str]:
    """The funnel flags on the worse side of the centre: below it when higher is better, above it
    when lower is better."""
    return ["above_998", "above_95"] if direction == "down" else ["below_998", "below_95"]


def funnel_frame(units: Iterable[Sequence[Any]], p0: float, *, curve_points: int = 60) -> Funnel:
    """Funnel plot of a proportion: each unit's value ``100·k/n`` against its sample size ``n``,
    with control limits around the centre ``p0`` (percent, e.g. the city value 90.0).

    Limits use the normal approximation to the binomial on ``n``:
    ``p0 ± z·sqrt(p0(1 − p0)/n)`` (p0 as a fraction), z = 1.96 (95 %) and z = 3.09 (99.8 %),
    clipped to 0–100 (``metrics.definitions.funnel_limits``). The approximation is rough for
    very small ``n`` or ``p0`` near 0/100; a unit outside the 99.8 % limits is very unlikely to
    differ by chance. ``units``: ``[(name, k, n)]`` (or ``(name, k, n, code)``); units with
    ``n = 0`` have no value and are left out. ``points.flag``: ``within`` / ``above_95`` /
    ``below_95`` / ``above_998`` / ``below_998``.
    """
    rows = []
    for u in units:
        name, k, n = u[0], int(u[1]), int(u[2])
        code = u[3] if len(u) > 3 else None
        if n <= 0:
            continue
        lo95, hi95 = funnel_limits(p0, n, Z95)
        lo998, hi998 = funnel_limits(p0, n, Z998)
        value = 100.0 * k / n
        rows.append({"name": name, "code": code, "k": k, "n": n, "value": value, "lo95": lo95, "hi95": hi95,
                     "lo998": lo998, "hi998": hi998, "flag": _classify(value, lo95, hi95, lo998, hi998)})
    points = pd.DataFrame(rows, columns=["name", "code", "k", "n", "value", "lo95", "hi95", "lo998", "hi998", "flag"])
    ns = _curve_ns(points["n"].tolist(), curve_points)
    curve = []
    for n in ns:
        lo95, hi95 = funnel_limits(p0, n, Z95)
        lo998, hi998 = funnel_limits(p0, n, Z998)
        curve.append({"n": n, "lo95": lo95, "hi95": hi95, "lo998": lo998, "hi998": hi998})
    limits = pd.DataFrame(curve, columns=["n", "lo95", "hi95", "lo998", "hi998"])
    return Funnel(points=points, limits=limits, p0=float(p0))


def _curve_ns(ns: list[int], count: int) -> list[int]:
    """Sample sizes at which to draw the limit curves: geometric steps from the smallest to the
    from half the smallest unit's n (at least 1) to the largest one's, plus every unit's own n."""
    if not ns:
        return []
    lo, hi = max(1, min(ns) // 2), max(ns)
    steps = {lo, hi}
    if hi > lo and count > 1:
        r = (hi / lo) ** (1.0 / (count - 1))
        steps.update(int(round(lo * r ** i)) for i in range(count))
    steps.update(ns)
    return sorted(steps)


def funnel_chart(funnel: Funnel, title: str, data_date: date | datetime | None, lang: str,
                 labels: Mapping[str, str] | None = None, *, target: float | None = None,
                 height: int = 320, direction: str = "up") -> alt.LayerChart:
    """Units as points (value vs n), the centre line, the 95 % (dashed) and 99.8 % (dotted) limits,
    the target (if given) and the data's date as a caption. ``labels`` keys: ``FUNNEL_LABEL_KEYS``.
    Points beyond a limit on the worse side are red: below for ``up`` indicators, above for ``down``."""
    lab = _labels(labels, FUNNEL_LABEL_KEYS)
    lim = funnel.limits
    long = pd.concat([
        pd.DataFrame({"n": lim["n"], "value": lim[col], "line": name, "side": col})
        for col, name in (("lo95", lab["limit95"]), ("hi95", lab["limit95"]),
                          ("lo998", lab["limit998"]), ("hi998", lab["limit998"]))
    ], ignore_index=True)
    x = alt.X("n:Q", title=lab["n"], scale=alt.Scale(type="log"))
    y_scale = alt.Scale(zero=False, padding=8)  # points at 100 % stay whole inside the plot
    limit_lines = alt.Chart(long).mark_line(color="#7f7f7f").encode(
        x=x, y=alt.Y("value:Q", title=lab["value"], scale=y_scale), detail="side:N",
        strokeDash=alt.StrokeDash("line:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0),
                                  scale=alt.Scale(domain=[lab["limit95"], lab["limit998"]], range=[[6, 4], [2, 3]])),
    )
    refs = [{"value": funnel.p0, "what": lab["centre"], "colour": "#1f5fa8"}]
    if target is not None:
        refs.append({"value": float(target), "what": lab["target"], "colour": SERIES_COLOURS[TARGET]})
    ref_df = pd.DataFrame(refs)
    ref_rules = alt.Chart(ref_df).mark_rule().encode(
        y="value:Q", color=alt.Color("colour:N", scale=None), tooltip=[alt.Tooltip("what:N", title=" "),
                                                                     alt.Tooltip("value:Q", format=".1f")])
    # centre label at the left above its line, target label mid-width below its line: the two lines
    # are often a point apart (their labels would overlap) and the date caption sits above, right
    ref_text = alt.layer(
        alt.Chart(ref_df.iloc[:1]).mark_text(align="left", baseline="bottom", x=4, dy=-2).encode(
            y="value:Q", text="what:N", color=alt.Color("colour:N", scale=None)),
        alt.Chart(ref_df.iloc[1:]).mark_text(align="center", baseline="top", x=alt.expr("width / 2"), dy=2).encode(
            y="value:Q", text="what:N", color=alt.Color("colour:N", scale=None)))
    flag_colour = alt.condition(alt.FieldOneOfPredicate(field="flag", oneOf=worse_flags(direction)),
                                alt.value("#c62828"), alt.value("#1f5fa8"))
    points = alt.Chart(funnel.points).mark_circle(size=70, opacity=0.85).encode(
        x=x, y=alt.Y("value:Q", scale=y_scale), color=flag_colour,
        tooltip=[alt.Tooltip("name:N", title=" "), alt.Tooltip("value:Q", title=lab["value"], format=".1f"),
                 alt.Tooltip("n:Q", title=lab["n"])])
    caption = []
    if data_date is not None:
        caption = [alt.Chart(pd.DataFrame({"caption": [lab["data_date"]]})).mark_text(
            # just above the plot's top right corner: inside it, it covered points near 100 %
            align="right", baseline="bottom", x="width", y=0, dy=-3, color=DATE_RULE_COLOUR,
            fontSize=11).encode(text="caption:N")]
    return alt.layer(limit_lines, ref_rules, ref_text, points, *caption).properties(
        title=title, height=height, width="container")


# --- pilot vs rest -------------------------------------------------------------------------

def group_trend_frame(rows: Iterable[Sequence[Any]], group_labels: Mapping[str, str]) -> pd.DataFrame:
    """``[(YYYYMM, group, k, n)]`` → ``month, date, group, label, value, n`` with ``value = 100·k/n``
    (months with ``n = 0`` left out), e.g. pilot units vs the rest over time."""
    out = []
    for month, group, k, n in rows:
        if n:
            out.append({"month": int(month), "date": month_start(int(month)), "group": group,
                        "label": group_labels.get(group, group), "value": 100.0 * k / n, "n": int(n)})
    frame = pd.DataFrame(out, columns=["month", "date", "group", "label", "value", "n"])
    return frame.sort_values(["group", "month"], kind="stable").reset_index(drop=True)


def group_trend_chart(frame: pd.DataFrame, title: str, unit: str, data_date: date | datetime | None, lang: str,
                      labels: Mapping[str, str] | None = None, *, target_steps: pd.DataFrame | None = None,
                      height: int = 320) -> alt.LayerChart:
    """One line per group (pilot / rest) with points, the target as a dashed step line over time
    (``target_steps``: ``date, value``, e.g. the target rows of ``trend_frame``; in the legend) and
    the data's date."""
    lab = _labels(labels, ("month", "target", "data_date"))
    fmt = DATE_FORMAT.get(lang, DATE_FORMAT["en"])
    lines = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format=fmt)),  # dates label themselves (as the trend chart)
        y=alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False)),
        color=alt.Color("label:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0)),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("date:T", format=fmt, title=lab["month"]),
                 alt.Tooltip("value:Q", format=".1f", title=unit), alt.Tooltip("n:Q")])
    layers = [lines]
    if target_steps is not None and target_steps["value"].notna().any():
        steps = target_steps.dropna(subset=["value"]).assign(what=lab["target"])
        legend = alt.Legend(orient="bottom", title=None, symbolType="stroke", symbolStrokeWidth=2,
                            symbolStrokeColor=SERIES_COLOURS[TARGET], labelLimit=0)
        layers.append(alt.Chart(steps).mark_line(interpolate="step-after", color=SERIES_COLOURS[TARGET],
                                                 strokeWidth=1.5).encode(
            x="date:T", y="value:Q",
            strokeDash=alt.StrokeDash("what:N", legend=legend,
                                      scale=alt.Scale(domain=[lab["target"]], range=[SERIES_DASH[TARGET]])),
            tooltip=[alt.Tooltip("what:N", title=" "), alt.Tooltip("date:T", format=fmt, title=lab["month"]),
                     alt.Tooltip("value:Q", format=".1f")]))
    layers.extend(_date_rule(data_date, lab["data_date"]))
    return alt.layer(*layers).properties(title=title, height=height, width="container")
