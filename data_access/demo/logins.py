"""Demo logins, one per role (printed by `make run`, listed in README, used by browser tests)."""
DEMO_LOGINS = [
    # username, password, role, scope (resolved by the demo generator)
    ("admin", "Admin#2026", "admin", "city"),
    ("city", "City#2026", "city_leader", "city"),
    ("district", "District#2026", "district_leader", "first pilot district"),
    ("station", "Station#2026", "station_leader", "the officer's station"),
    ("coord", "Coord#2026", "coordinator", "city"),
    ("officer", "Officer#2026", "officer", "first grid of that district"),
]
