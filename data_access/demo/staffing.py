"""Demo roster, presence and joint meetings (issue 14, staffing): called once from
``data_access.demo.city.generate`` after the bulk load, with a random stream of its own so the
rest of the city does not change with it.

The story it tells: the old-town (pilot) districts are urban, the outer districts half rural;
about one grid in seven is a key area. Each grid's officer is on the roster (linked to the grid's
login) and leads the grid — except the few who are not certified (seed 002 §3.7), whose grids then
have no lead; in rural grids some officers also cover a neighbouring grid (一警多村). Urban grids
get one auxiliary (two in key areas, sometimes missing), rural grids two (often only one);
communities two or three full-time grid workers, some only one. Visits get a duration (15–60
min); officers log office hours over the last eight weeks, rural grids 0–3 sessions a week; each
community holds its monthly joint meeting most months of the last year, some months are missing.
"""
from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

RISKS = ["电动车楼道充电", "出租屋人员流动大", "老旧小区消防通道堵塞", "电信诈骗高发", "邻里噪音纠纷",
         "独居老人安全", "夜市治安", "施工工地矛盾", "校园周边交通", "河道溺水隐患"]
TASKS = ["逐户排查出租屋", "清理消防通道", "开展反诈宣传", "走访独居老人", "调解邻里纠纷", "夜间巡查",
         "联系城管整治占道", "更新重点人员台账"]
WEEKS = 8


def _insert(conn: Connection, table: str, rows: list[dict]) -> None:
    if rows:
        cols = list(rows[0])
        conn.execute(text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"),
                     rows)


def generate(conn: Connection, g) -> dict[str, int]:
    """Write the demo roster etc. for the city ``g`` (a ``city._Gen`` after its bulk load)."""
    from data_access.demo.city import person_name
    from data_access.fieldwork.derive import week_of

    rng = random.Random(g.seed * 104729 + 15)
    cutoff: datetime = g.cutoff
    start_base = date(2024, 1, 1)
    profiles, staff, assigns, sessions, meetings = [], [], [], [], []
    sid = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM staff").scalar()

    def person(code, name, kind, unit_id, user_id=None, full_time=True, certified=True):
        nonlocal sid
        sid += 1
        cert_on = start_base - timedelta(days=rng.randrange(30, 400)) if certified else None
        staff.append(dict(id=sid, code=code, name=name, staff_type=kind, full_time=full_time, unit_id=unit_id,
                          user_id=user_id, certified=certified, certified_on=cert_on, active=True, version=1))
        return sid

    def assign(staff_id, grid_id, lead=False, start=None):
        start = start or start_base + timedelta(days=rng.randrange(0, 120))
        if start >= cutoff.date():
            start = cutoff.date() - timedelta(days=1)
        assigns.append(dict(staff_id=staff_id, grid_id=grid_id, lead=lead, start_on=start, end_on=None, version=1))

    rural_of: dict[int, bool] = {}
    officer_staff: dict[int, tuple[int, int]] = {}  # grid id → (staff id, user id)
    communities = []
    for d in g.districts:
        for su in d.children:
            for cu in su.children:
                communities.append(cu)
                for gr in cu.children:
                    rural = (not d.pilot) and rng.random() < 0.5
                    key = (not rural) and rng.random() < 0.15
                    rural_of[gr.id] = rural
                    profiles.append(dict(grid_id=gr.id, area_type="rural" if rural else "urban", key_area=key,
                                         version=1))
                    certified = rng.random() > 0.05
                    osid = person(f"P{gr.id:05d}", person_name(rng), "officer", cu.id, gr.officer_id,
                                  certified=certified)
                    officer_staff[gr.id] = (osid, gr.officer_id)
                    assign(osid, gr.id, lead=certified)  # an uncertified officer cannot lead (§3.7)
                    n_aux = (2 if rural else 1) + (1 if key else 0)
                    if rng.random() < (0.3 if rural else 0.12):
                        n_aux -= 1  # understaffed
                    for k in range(n_aux):
                        xid = person(f"X{gr.id:05d}{k}", person_name(rng), "auxiliary", cu.id,
                                     certified=rng.random() > 0.08)
                        assign(xid, gr.id)
                # grid workers per community: 2–3, some only 1; each covers one or two grids
                n_gw = rng.choice((1, 2, 2, 2, 3, 3)) if len(cu.children) else 0
                for k in range(n_gw):
                    wid = person(f"W{cu.id:05d}{k}", person_name(rng), "grid_worker", cu.id,
                                 full_time=rng.random() > 0.1, certified=rng.random() > 0.06)
                    for gr in rng.sample(cu.children, min(len(cu.children), rng.choice((1, 2)))):
                        assign(wid, gr.id)
                # one officer, several villages: a rural grid's officer also covers a neighbour
                rural_grids = [gr for gr in cu.children if rural_of[gr.id]]
                if len(rural_grids) >= 2 and rng.random() < 0.5:
                    a, b = rng.sample(rural_grids, 2)
                    assign(officer_staff[a.id][0], b.id)

    # office hours over the last WEEKS weeks (working days only)
    last = cutoff.date() - timedelta(days=1)
    first = last - timedelta(weeks=WEEKS)
    for d in g.districts:
        q = g.traj[g.districts.index(d)].q
        for su in d.children:
            for cu in su.children:
                for gr in cu.children:
                    _sid, uid = officer_staff[gr.id]
                    day = first
                    while day <= last:
                        if day.weekday() == 0:
                            n = rng.choice((0, 1, 2, 2, 3)) if rural_of[gr.id] else rng.choice((1, 2, 3, 4))
                            if rng.random() < q:  # better districts keep the rule more often
                                n = max(n, 2)
                            days = sorted(rng.sample(range(5), min(n, 5)))
                            for k in days:
                                sd = day + timedelta(days=k)
                                if sd > last:
                                    continue
                                st = datetime.combine(sd, time(rng.choice((8, 9, 14, 15)), rng.choice((0, 30))))
                                mins = rng.choice((90, 120, 150, 180, 240))
                                sessions.append(dict(client_token=None, officer_id=uid, grid_id=gr.id, started_at=st,
                                                     ended_at=st + timedelta(minutes=mins), note=None, minutes=mins,
                                                     day=sd, week=week_of(sd)))
                        day += timedelta(days=1)

    # monthly joint meetings of the last 12 ended months (plus this month so far)
    m_last = cutoff.year * 100 + cutoff.month
    months = []
    m = m_last
    for _ in range(13):
        months.append(m)
        m = m - 1 if m % 100 != 1 else (m // 100 - 1) * 100 + 12
    for cu in communities:
        q = g.traj[g.districts.index(cu.parent.parent)].q
        for m in months:
            y, mo = divmod(m, 100)
            dday = date(y, mo, rng.randrange(5, 26))
            if dday >= cutoff.date() or rng.random() > 0.7 + 0.28 * q:
                continue  # a month without its meeting (flagged on the page)
            tasks = [{"task": rng.choice(TASKS), "owner": person_name(rng)} for _ in range(rng.randint(1, 3))]
            meetings.append(dict(client_token=None, community_id=cu.id, held_on=dday, month=m,
                                 attendees=f"社区民警{person_name(rng)}、网格员{rng.randint(2, 5)}名、物业、志愿者",
                                 risks="；".join(rng.sample(RISKS, 2)),
                                 tasks=json.dumps(tasks, ensure_ascii=False), created_by=None, version=1))

    _insert(conn, "grid_profile", profiles)
    _insert(conn, "staff", staff)
    _insert(conn, "staff_assignment", assigns)
    _insert(conn, "office_session", sessions)
    _insert(conn, "joint_meeting", meetings)
    # visit durations (15–60 minutes, spread by id) are written with the visits (city.py); this fills
    # any visit added without one (rewriting 13.8 M rows at L took over 15 minutes)
    conn.execute(text("UPDATE visit SET duration_min = 15 + (id * 37) % 46 WHERE duration_min IS NULL"))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('staff', 'id'), "
                             "(SELECT COALESCE(MAX(id), 1) FROM staff))")
    return {"staff": len(staff), "staff_assignment": len(assigns), "office_session": len(sessions),
            "joint_meeting": len(meetings)}
