"""Reference rows the screens label things with: phases and the indicator registry (both languages)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from data_access.programme.models import Indicator, Phase


@dataclass(frozen=True)
class PhaseRow:
    code: str
    name_zh: str
    name_en: str
    start: date
    end: date


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    name_zh: str
    name_en: str
    unit: str  # "%", "score", "count" …
    direction: str  # up = higher is better
    headline: bool
    sort: int
    note_zh: str | None
    note_en: str | None
    source_plan: str | None = None  # "seed-00N §…"
    kind: str = "computed"  # computed | reported

    @property
    def plan(self) -> str | None:
        """The data set / plan: "seed-00N"."""
        return self.source_plan.split()[0] if self.source_plan else None


def phases(*, session: Session) -> list[PhaseRow]:
    """All phases in start order."""
    rows = session.exec(select(Phase).order_by(Phase.start)).all()
    return [PhaseRow(p.code, p.name_zh, p.name_en, p.start, p.end) for p in rows]


def phase_containing(phase_rows: list[PhaseRow], day: date) -> PhaseRow | None:
    """The phase whose [start, end] holds ``day``; before the first → the first; after the last → the last."""
    if not phase_rows:
        return None
    for p in phase_rows:
        if p.start <= day <= p.end:
            return p
    return phase_rows[0] if day < phase_rows[0].start else phase_rows[-1]


def indicators(*, session: Session) -> list[IndicatorRow]:
    """The indicator registry in display order."""
    rows = session.exec(select(Indicator).order_by(Indicator.sort, Indicator.code)).all()
    return [IndicatorRow(i.code, i.name_zh, i.name_en, i.unit, i.direction, bool(i.headline), i.sort,
                         i.note_zh, i.note_en, i.source_plan, i.kind) for i in rows]
