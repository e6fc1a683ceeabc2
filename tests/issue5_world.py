"""A small org tree with one user per role, shared by the issue-5 workflow tests.

city C ─ district D1 ─ station S1 ─ community M1 ─ grids G1, G2
       └ district D2 ─ station S2 ─ community M2 ─ grid G3
Users: off1 (officer, G1), off2 (officer, G2), off3 (officer, G3), dl1 (district leader, D1),
dl2 (district leader, D2), cl (city leader), admin, coord (coordinator, city).
One household per grid: h1 (G1), h2 (G2), h3 (G3).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

import factories as f
from data_access.fieldwork.models import Household
from data_access.org.models import OrgUnit, User

NOW = datetime(2025, 6, 10, 10, 0)  # a Tuesday in the rollout phase


@dataclass
class World:
    units: dict[str, OrgUnit]
    users: dict[str, User]
    hh: dict[str, Household]


def build(s: Session, password_hash: str | None = None) -> World:
    c = f.unit(s, "C")
    d1, s1, m1, g1 = f.chain(s, c, "D1", "S1", "M1", "G1")
    g2 = f.unit(s, "G2", m1)
    d2, s2, m2, g3 = f.chain(s, c, "D2", "S2", "M2", "G3")
    units = {u.code: u for u in (c, d1, s1, m1, g1, g2, d2, s2, m2, g3)}
    spec = {"off1": ("officer", g1), "off2": ("officer", g2), "off3": ("officer", g3),
            "dl1": ("district_leader", d1), "dl2": ("district_leader", d2), "cl": ("city_leader", c),
            "admin": ("admin", c), "coord": ("coordinator", c)}
    users = {}
    for name, (role, scope) in spec.items():
        u = f.officer(s, scope, username=name, role=role)
        if password_hash:
            u.password_hash = password_hash
            s.add(u)
        users[name] = u
    hh = {"h1": f.household(s, g1, code="HH-G1-001"), "h2": f.household(s, g2, code="HH-G2-001"),
          "h3": f.household(s, g3, code="HH-G3-001")}
    s.flush()
    return World(units, users, hh)
