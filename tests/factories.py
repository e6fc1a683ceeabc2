"""Tiny builders for small test datasets, written through ``data_access.fieldwork.records`` so that
derived columns and rollups are maintained exactly as in the app."""
from __future__ import annotations

import itertools
from datetime import date, datetime

from sqlmodel import Session

from data_access.fieldwork import records
from data_access.fieldwork.models import Household, Need, SpotCheck, Visit
from data_access.org import units as org_units
from data_access.org.models import OrgUnit, User
from data_access.programme.models import Target, VetoEvent

_seq = itertools.count(1)

_CHILD = {"city": "district", "district": "station", "station": "community", "community": "grid"}


def _code(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


def unit(s: Session, code: str, parent: OrgUnit | None = None, level: str | None = None,
         from_month: int = 0) -> OrgUnit:
    """An org unit; the level follows from the parent (a city without one)."""
    level = level or (_CHILD[parent.level] if parent is not None else "city")
    return org_units.add_org_unit(session=s, code=code, level=level, name_zh=f"单位{code}", name_en=f"Unit {code}",
                                parent=parent, from_month=from_month)


def chain(s: Session, parent: OrgUnit, *codes: str) -> list[OrgUnit]:
    """Units nested one below the other under ``parent`` (e.g. station, community, grid)."""
    out = []
    for c in codes:
        parent = unit(s, c, parent)
        out.append(parent)
    return out


def two_district_city(s: Session) -> dict[str, OrgUnit]:
    """The property tests' city: C with D1 (S1, CM1 with grids G1 and G2) and D2 (S2, CM2, G3),
    by code."""
    u = {"C": unit(s, "C")}
    u["D1"] = unit(s, "D1", u["C"])
    u["S1"], u["CM1"], u["G1"] = chain(s, u["D1"], "S1", "CM1", "G1")
    u["G2"] = unit(s, "G2", u["CM1"])
    u["D2"] = unit(s, "D2", u["C"])
    u["S2"], u["CM2"], u["G3"] = chain(s, u["D2"], "S2", "CM2", "G3")
    return u


def officer(s: Session, scope: OrgUnit, username: str | None = None, role: str = "officer") -> User:
    u = User(username=username or _code("officer"), display_name="警员", role=role, scope_id=scope.id)
    s.add(u)
    s.flush()
    return u


def household(s: Session, grid: OrgUnit, *, category: str = "ordinary", risk: str = "none",
              registered_on: date | None = date(2023, 6, 1), code: str | None = None) -> Household:
    h = Household(code=code or _code("H"), grid_id=grid.id, address="测试地址", category=category,
                  risk_level=risk, registered_on=registered_on)
    return records.add_household(session=s, household=h)


def visit(s: Session, hh: Household, off: User, at: datetime, *, id_shown: bool = True, bodycam_on: bool = True,
          entered_at: datetime | None | str = "same", appointment_made_at: datetime | None = None,
          satisfaction: int | None = None) -> Visit:
    """A visit; by default ID shown, camera on and entered at the visit time (compliant)."""
    v = Visit(code=_code("V"), client_token=_code("tok"), household_id=hh.id, officer_id=off.id, visited_at=at,
              id_shown=id_shown, bodycam_on=bodycam_on, entered_at=at if entered_at == "same" else entered_at,
              appointment_made_at=appointment_made_at, satisfaction=satisfaction)
    v, _ = records.add_visit(session=s, visit=v)
    return v


def need(s: Session, hh: Household, created_at: datetime, *, status: str = "open",
         responded_at: datetime | None = None, resolved_at: datetime | None = None, category: str = "治安") -> Need:
    n = Need(code=_code("N"), household_id=hh.id, category=category, created_at=created_at, status=status,
             responded_at=responded_at, resolved_at=resolved_at)
    return records.add_need(session=s, need=n)


def check(s: Session, hh: Household, on: date, accurate: bool = True) -> SpotCheck:
    c = SpotCheck(code=_code("K"), household_id=hh.id, checked_on=on, accurate=accurate)
    return records.add_check(session=s, check=c)


def target(s: Session, indicator: str, phase: str, value: float, unit_: OrgUnit | None = None) -> Target:
    t = Target(indicator_code=indicator, phase_code=phase, org_unit_id=unit_.id if unit_ else None, target=value)
    s.add(t)
    s.flush()
    return t


def veto(s: Session, unit_: OrgUnit, on: date, confirmed: bool = True) -> VetoEvent:
    e = VetoEvent(org_unit_id=unit_.id, occurred_on=on, kind="privacy_breach", confirmed=confirmed)
    s.add(e)
    s.flush()
    return e


def reported_indicator(s: Session, code: str, *, unit: str = "h", direction: str = "up",
                       targets: dict[str, float] | None = None, source: str = "seed-002 §3.2") -> None:
    """A test-only reported indicator (district entry, monthly, mean, no approval) with city targets —
    for tests that need a reported indicator of a given unit and direction whatever the registry
    turns into computed ones (issue 14 made og_officer_daily_visit_h and og_rural_onsite_week computed)."""
    from data_access.programme.models import Indicator

    s.add(Indicator(code=code, name_zh=f"测试{code}", name_en=f"Test {code}", unit=unit, direction=direction,
                    kind="reported", sort=999, source_plan=source, entry_level="district", period_type="month",
                    aggregation="mean"))
    s.flush()
    for phase, value in (targets or {}).items():
        s.add(Target(indicator_code=code, phase_code=phase, org_unit_id=None, target=value))
    s.flush()
