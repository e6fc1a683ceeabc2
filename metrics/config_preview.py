"""What an admin's target change would do before it is saved: for every changed unit (and its direct
children, which may inherit the value) the target and status of the indicator in that phase, now
and with the change — computed by the KPI service with the changes as overrides (nothing written).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from data_access.org.models import OrgUnit
from data_access.programme.config import TargetChange

from .service import compute_kpis


@dataclass(frozen=True)
class PreviewRow:
    unit_code: str
    indicator: str
    phase: str
    value: float | None
    target_before: float | None
    target_after: float | None
    status_before: str
    status_after: str

    @property
    def status_changed(self) -> bool:
        return self.status_before != self.status_after


def target_preview(session: Session, *, changes: list[TargetChange], as_of: date | datetime) -> list[PreviewRow]:
    """Rows whose target changes (own or inherited), with the status before and after, unit order."""
    groups: dict[tuple[str, str], dict] = defaultdict(dict)
    for c in changes:
        groups[(c.indicator, c.phase)][(c.indicator, c.unit_id)] = c.target
    root = session.exec(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)).first()
    out: list[PreviewRow] = []
    for (indicator, phase), overrides in groups.items():
        units: dict[str, None] = {}
        for _ind, uid in overrides:
            u = session.get(OrgUnit, uid) if uid is not None else root
            if u is not None:
                units[u.code] = None
        seen = set()
        for code in units:
            before = [k for k in compute_kpis(session, unit_code=code, period=phase, as_of=as_of)
                      if k.indicator == indicator]
            after = {k.unit_code: k for k in compute_kpis(session, unit_code=code, period=phase, as_of=as_of,
                                                          target_overrides=overrides) if k.indicator == indicator}
            for b in before:
                a = after[b.unit_code]
                if b.unit_code in seen or (a.target == b.target and a.status == b.status):
                    continue
                seen.add(b.unit_code)
                out.append(PreviewRow(b.unit_code, indicator, phase, b.value, b.target, a.target, b.status, a.status))
    return out
