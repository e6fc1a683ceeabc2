"""Command line: ``python -m metrics kpis --unit CODE --period pilot|rollout|deepening|YYYY-MM
--as-of YYYY-MM-DD --json``. Migrates the database to head first."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime


def _as_of(text: str) -> date | datetime:
    try:
        return datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid --as-of {text!r}: use YYYY-MM-DD") from None


def kpi_rows(kpis) -> list[dict]:
    """The CLI's JSON objects: one per (unit, indicator); a reported indicator's row also carries
    its kind, the period shown, k of m units, completeness and timeliness (percent); a time-limit
    indicator's row of the unit itself its median and 90th-percentile response time (minutes)."""
    rows = []
    for k in kpis:
        row = {"unit": k.unit_code, "indicator": k.indicator, "value": k.value, "n": k.n,
               "ci_low": k.ci_low, "ci_high": k.ci_high, "target": k.target, "gap": k.gap, "status": k.status}
        if k.median_min is not None or k.p90_min is not None:
            row.update(median_min=k.median_min, p90_min=k.p90_min)
        if k.kind == "reported":
            row.update(kind="reported", period=k.period, k=k.k, m=k.m, completeness=k.completeness,
                       timeliness=k.timeliness)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m metrics", description="网格警务 indicators")
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("kpis", help="every registry indicator of a unit and its direct children")
    sp.add_argument("--unit", required=True, help="org unit code")
    sp.add_argument("--period", required=True, help="pilot | rollout | deepening | YYYY-MM")
    sp.add_argument("--as-of", dest="as_of", type=_as_of, default=None,
                    help="YYYY-MM-DD (end of that day; default today)")
    sp.add_argument("--json", action="store_true", help="print a JSON list (default: a table)")
    lp = sub.add_parser("derive-lag", help="derive and store the month-end lag list (约谈/督导) of a finished month")
    lp.add_argument("--month", required=True, help="YYYY-MM (a month that has ended)")
    lp.add_argument("--user", default="admin", help="the admin or coordinator account it runs as (audited)")
    args = p.parse_args(argv)
    if args.cmd == "derive-lag":
        return _derive_lag(args.month, args.user)

    from data_access.core.clock import today_local
    from data_access.core.db import get_engine, migrate, session_scope

    from .reported import compute_all
    from .service import UnknownPeriod, UnknownUnit

    migrate()
    as_of = args.as_of or today_local()
    try:
        with session_scope(get_engine()) as s:
            kpis = compute_all(s, unit_code=args.unit, period=args.period, as_of=as_of, response_times=True)
    except (UnknownUnit, UnknownPeriod) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    rows = kpi_rows(kpis)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        v = "—" if r["value"] is None else f"{r['value']:.1f}"
        t = "—" if r["target"] is None else f"{r['target']:g}"
        print(f"{r['unit']:<14} {r['indicator']:<26} {v:>7} n={r['n']:<7} target={t:<5} {r['status']}")
    return 0


def _derive_lag(month_text: str, username: str) -> int:
    from data_access.core.clock import now_local
    from data_access.core.db import get_engine, migrate, session_scope
    from data_access.core.errors import NotFound, PermissionDenied, ValidationError
    from data_access.programme.lag import month_label, parse_month

    from .lag import derive_lag

    migrate()
    try:
        month = parse_month(month_text)
        with session_scope(get_engine()) as s:
            counts = derive_lag(s, user=username, month=month, now=now_local())
    except (ValidationError, PermissionDenied, NotFound) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{month_label(month)}: {counts['lagging']} lagging (unit × indicator), {counts['added']} new, "
          f"{counts['removed']} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
