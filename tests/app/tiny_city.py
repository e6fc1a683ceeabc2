"""The tiny hand-made city the AppTests compute their expectations from.

The city (every number below is what the tests compute their expectations from):

    测试市 Test City (C)
    ├── 东湖区 Donghu District (D1) → 东湖派出所 (S1) → 东湖社区 (M1) → grids G1, G1B
    └── 西山区 Xishan District (D2) → 西山派出所 (S2) → 西山社区 (M2) → grid G2

Spot checks in the deepening phase (2026): G1 4 checks / 3 accurate, G1B 1 / 0, G2 2 / 2.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from data_access.core import db as dbmod
from data_access.fieldwork import records
from data_access.fieldwork.models import Household, SpotCheck
from data_access.org import units as org_units
from data_access.org.models import User
from data_access.org.passwords import hash_password

TODAY = "2026-03-15T10:00:00"
CHECKS = {"G1": (4, 3), "G1B": (1, 0), "G2": (2, 2)}  # grid: (checks, accurate)

UNITS = [  # code, level, parent, zh, en
    ("C", "city", None, "测试市", "Test City"),
    ("D1", "district", "C", "东湖区", "Donghu District"),
    ("D2", "district", "C", "西山区", "Xishan District"),
    ("S1", "station", "D1", "东湖派出所", "Donghu Station"),
    ("S2", "station", "D2", "西山派出所", "Xishan Station"),
    ("M1", "community", "S1", "东湖社区", "Donghu Community"),
    ("M2", "community", "S2", "西山社区", "Xishan Community"),
    ("G1", "grid", "M1", "东湖一网格", "Donghu Grid 1"),
    ("G1B", "grid", "M1", "东湖二网格", "Donghu Grid 2"),
    ("G2", "grid", "M2", "西山一网格", "Xishan Grid 1"),
]
USERS = [  # username, name, role, scope
    ("admin", "赵敏", "admin", "C"),
    ("city", "王建国", "city_leader", "C"),
    ("district", "李东海", "district_leader", "D1"),
    ("station", "周海", "station_leader", "S2"),
    ("coord", "陈静", "coordinator", "C"),
    ("officer", "张伟", "officer", "G1"),
    ("gone", "刘洋", "district_leader", "D2"),  # deactivated below
]
PASSWORD = "Test#2026"


def build_city(url: str) -> None:
    eng = dbmod.make_engine(url)
    pw = hash_password(PASSWORD, rounds=4)
    with dbmod.session_scope(eng) as s:
        units = {}
        for code, level, parent, zh, en in UNITS:
            units[code] = org_units.add_org_unit(session=s, code=code, level=level, name_zh=zh, name_en=en,
                                               parent=units.get(parent), pilot=code == "D1", from_month=202301)
        for username, name, role, scope in USERS:
            s.add(User(username=username, display_name=name, role=role, scope_id=units[scope].id,
                       password_hash=pw, active=username != "gone"))
        for grid, (n, ok) in CHECKS.items():
            for i in range(n):
                h = records.add_household(session=s, household=Household(
                    code=f"H-{grid}-{i}", grid_id=units[grid].id, address=f"{grid} 路 {i} 号",
                    registered_on=date(2023, 1, 1)))
                records.add_check(session=s, check=SpotCheck(
                    code=f"K-{grid}-{i}", household_id=h.id, grid_id=units[grid].id,
                    checked_on=date(2026, 2, 1 + i), accurate=i < ok))
    eng.dispose()


@contextmanager
def serving(url: str, mp) -> Iterator[str]:
    """Point the app (DATABASE_URL, frozen 'today') at ``url``, build the tiny city there, and clear
    Streamlit's caches and the engines around it; ``mp`` is a pytest MonkeyPatch."""
    import streamlit as st

    from data_access.core.settings import reset_settings
    from ui import swr

    mp.setenv("DATABASE_URL", url)
    mp.setenv("APP_FAKE_NOW", TODAY)
    reset_settings()
    dbmod.dispose_engines()
    build_city(url)
    st.cache_data.clear()
    st.cache_resource.clear()
    swr.clear_all()
    try:
        yield url
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
        swr.wait_idle()
        swr.clear_all()
        dbmod.dispose_engines()
        reset_settings()
