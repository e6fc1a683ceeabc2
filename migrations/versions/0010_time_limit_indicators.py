"""issue 14: the time-limit indicators are computed, their reported twins go; one-button alarms
(needs of category emergency_alarm) move to the 5-minute emergency tier

- indicator: event_response_in_time (and per tier: emergency, urgent, general) and
  hazard_rectified_in_time, computed from grid events and hazards (indicators.md "Time-limited
  work"). The reported monthly means they replace — cp_emergency_response_min (seed 001 §5.3),
  og_response_general_h, og_response_urgent_min (seed 002 §5.2) and og_hazard_rectify_h (seed 002
  §3.1, §3.3) — are removed with their targets and any values entered for them (a mean under the
  limit hid the late cases; the audit log keeps every entry that was made).
- need: an emergency_alarm need's response columns are derived again on the emergency tier (the
  limit in ``app_setting.time_limits`` if an admin set one, else 5 minutes), and the need rollups
  rebuilt when any changed.
- data: the rows below are frozen here (a migration must not change with the code).

Revision ID: 0010
Revises: 0009
"""
import json
from datetime import datetime, timedelta

from alembic import op
from sqlalchemy import bindparam, text

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TWINS = ("cp_emergency_response_min", "og_response_general_h", "og_response_urgent_min", "og_hazard_rectify_h")
# code, zh, en, sort, source
NEW = [
    ("event_response_in_time", "网格事件按时响应率", "Grid events answered in time", 311, "seed-002 §3.1, §5.2"),
    ("event_response_in_time_emergency", "紧急级事件按时响应率", "Emergency-tier events answered in time", 200,
     "seed-001 §5.3"),
    ("event_response_in_time_urgent", "紧急事项按时响应率", "Urgent-tier events answered in time", 312, "seed-002 §5.2"),
    ("event_response_in_time_general", "一般事项按时响应率", "General-tier events answered in time", 318,
     "seed-002 §5.2; seed-001 §3.2"),
    ("hazard_rectified_in_time", "隐患按时整改率", "Hazards rectified in time", 306, "seed-002 §3.1, §3.3"),
]


def _in(sql: str):
    return text(sql).bindparams(bindparam("c", expanding=True))


def upgrade() -> None:
    conn = op.get_bind()
    conn.execute(_in("DELETE FROM reported_value_change WHERE reported_value_id IN "
                     "(SELECT id FROM reported_value WHERE indicator_code IN :c)"), {"c": list(TWINS)})
    for table, col in (("reported_value", "indicator_code"), ("target", "indicator_code"), ("indicator", "code")):
        conn.execute(_in(f"DELETE FROM {table} WHERE {col} IN :c"), {"c": list(TWINS)})
    from data_access.programme.reference import indicator_rows  # the notes (long texts) as written there

    notes = {r["code"]: (r["note_zh"], r["note_en"]) for r in indicator_rows()}
    for code, zh, en, sort, src in NEW:
        if conn.execute(text("SELECT 1 FROM indicator WHERE code=:c"), {"c": code}).first() is None:
            nz, ne = notes.get(code, (None, None))
            conn.execute(text(
                "INSERT INTO indicator (code, name_zh, name_en, unit, direction, kind, headline, sort, source_plan, "
                "note_zh, note_en, period_type, aggregation, needs_approval, pilot_only) VALUES "
                "(:c, :z, :e, '%', 'up', 'computed', :f, :s, :src, :nz, :ne, 'month', 'mean', :f, :f)"),
                {"c": code, "z": zh, "e": en, "s": sort, "src": src, "nz": nz, "ne": ne, "f": False})
    _alarms_on_the_emergency_tier(conn)


def _alarms_on_the_emergency_tier(conn) -> None:
    minutes = 5.0
    row = conn.execute(text("SELECT value FROM app_setting WHERE key='time_limits'")).first()
    if row is not None:
        try:
            minutes = float(json.loads(row[0]).get("emergency", minutes))
        except (TypeError, ValueError, AttributeError):
            pass
    limit = timedelta(minutes=minutes)
    rows = conn.execute(text("SELECT id, created_at, responded_at FROM need "
                             "WHERE category = 'emergency_alarm'")).all()
    for nid, created, responded in rows:
        if isinstance(created, str):  # SQLite hands back text
            created = datetime.fromisoformat(created)
            responded = datetime.fromisoformat(responded) if responded else None
        deadline = created + limit
        due = responded if (responded is not None and responded < deadline) else deadline
        ok = responded is not None and responded - created <= limit
        conn.execute(text("UPDATE need SET sla_due_at=:d, sla_due_month=:dm, sla_ok=:ok, sla_ok_month=:om "
                          "WHERE id=:i"),
                     {"d": due, "dm": due.year * 100 + due.month, "ok": ok,
                      "om": responded.year * 100 + responded.month if ok else None, "i": nid})
    if rows:
        from sqlmodel import Session

        from data_access.analytics import rollups

        with Session(bind=conn) as s:
            rollups.rebuild(s)
            s.flush()


def downgrade() -> None:
    # the computed indicators go; the reported twins and their values are not brought back
    conn = op.get_bind()
    codes = [c for c, *_ in NEW]
    conn.execute(_in("DELETE FROM target WHERE indicator_code IN :c"), {"c": codes})
    conn.execute(_in("DELETE FROM indicator WHERE code IN :c"), {"c": codes})
