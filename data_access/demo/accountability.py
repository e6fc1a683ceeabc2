"""Demo accountability records (issue 15), written through the services after the rest of the city:

- the lag list of the last three finished months for the reported indicators (the rule in SQL,
  ``programme.lag``): the weakest district's local dispute resolution has stayed > 15 % behind for
  three months and its urgent response time for two, the next one's rural on-site days for two, a
  third district's station coverage slipped last month (``LAG_STORY`` sets those reported values);
  units lagging two months running got an interview (约谈) by the city leader,
  the longest-running ones also a supervision team, each with a ledger item "rectify within two
  months" (the computed indicators join the list when a leader derives a month on the screen or
  with ``python -m metrics derive-lag``);
- a rectification ledger from spot checks, inspections, hazards, complaints and incidents: some
  closed with evidence, some in progress, several overdue;
- five security incidents near as_of: one handled in time, a data leak whose trace analysis ran
  late (confirmed: the station's one-vote veto), one whose plan started late, one whose
  rectification report is overdue and a fresh one still running;
- four data-rights requests: an access request answered with an export, an erasure carried out
  (the resident anonymised), one refused and one waiting.

Its own ``random.Random`` stream derived from the seed; nothing happens at or after 00:00 of as_of.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlmodel import Session

from data_access.fieldwork import data_rights as dr
from data_access.fieldwork.models import Hazard, PrivacyComplaint, Resident
from data_access.org.models import OrgUnit, User
from data_access.programme import incidents as inc
from data_access.programme import lag, ledger
from data_access.programme.models import Indicator, LagEntry, ReportedValue, ReportedValueChange

INTERVIEWERS = ("市局副局长 周国平", "市局政治部主任 郑文", "市局副局长 韩立新")
TEAMS = ("市局督导组（第一组）", "市局督导组（第二组）")


def _month_add(month: int, k: int) -> int:
    y, m = divmod(month // 100 * 12 + month % 100 - 1 + k, 12)
    return y * 100 + m + 1


# the story of the lag list: (which district by weakness rank, indicator, months back → value); the
# city's targets in 2026 (deepening): og_dispute_local_resolution 95 %, cp_emergency_dispatch_min 8 min,
# sa_police_ratio 3,000 residents per officer, cp_station_coverage 80 % — each value below is > 15 % behind
LAG_STORY = [
    (0, "og_dispute_local_resolution", {3: 79.4, 2: 80.1, 1: 80.6}),  # 16.4 %, 15.7 %, 15.2 % behind
    (0, "cp_emergency_dispatch_min", {2: 9.6, 1: 9.9}),  # 20 %, 23.75 % (lower is better)
    (1, "sa_police_ratio", {2: 3600.0, 1: 3525.0}),  # 20 %, 17.5 % (residents per officer, lower is better)
    (2, "cp_station_coverage", {1: 66.5}),  # 16.9 %, first month
]


def _lagging_values(session: Session, months: list[int], cutoff: datetime) -> int:
    """Set the story's reported values (the weakest districts' last months, and the value their entry
    history shows) so that the lag list has units lagging one, two and three months running. Only
    districts whose last month is already entered at as_of take part (the late one is not in it)."""
    rv, ch = ReportedValue.__table__, ReportedValueChange.__table__
    current = select(rv.c.org_unit_id).where(rv.c.period == lag.month_label(months[-1]), rv.c.entered_at < cutoff)
    dists = list(session.execute(
        select(rv.c.org_unit_id).join(OrgUnit, OrgUnit.id == rv.c.org_unit_id)
        .where(rv.c.indicator_code == "og_dispute_local_resolution", OrgUnit.level == "district",
               rv.c.org_unit_id.in_(current))
        .group_by(rv.c.org_unit_id).order_by(func.avg(rv.c.value), rv.c.org_unit_id)).scalars())
    n = 0
    for rank, code, by_back in LAG_STORY:
        if rank >= len(dists):
            continue
        for back, value in by_back.items():
            if back > len(months):
                continue
            period = lag.month_label(months[-back])
            row = session.execute(select(rv.c.id).where(rv.c.indicator_code == code, rv.c.period == period,
                                                        rv.c.org_unit_id == dists[rank])).first()
            if row is None:
                continue
            session.execute(update(rv).where(rv.c.id == row[0]).values(value=value))
            session.execute(update(ch).where(ch.c.reported_value_id == row[0]).values(new_value=value))
            session.execute(update(ch).where(ch.c.reported_value_id == row[0], ch.c.old_value.is_not(None))
                            .values(old_value=value))
            n += 1
    return n


def _code(prefix: str, at: datetime, counts: dict) -> str:
    """A deterministic ledger code (the app's own codes carry a random part)."""
    return f"{prefix}{at:%Y%m%d}-{counts['ledger_items'] + 1:03d}"


def _user(session: Session, role: str) -> User | None:
    return session.scalars(select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)).first()


def generate(session: Session, *, seed: int, as_of: date) -> dict[str, int]:
    """Write the accountability demo; returns counts for the demo's audit row."""
    rng = random.Random(seed + 15)
    cutoff = datetime.combine(as_of, time(0, 0))
    admin, leader, coord = _user(session, "admin"), _user(session, "city_leader"), _user(session, "coordinator")
    if admin is None or leader is None or coord is None:
        return {}
    stations = list(session.scalars(select(OrgUnit).where(OrgUnit.level == "station").order_by(OrgUnit.code)))
    if not stations:
        return {}
    counts = {"lag_entries": 0, "lag_actions": 0, "ledger_items": 0, "incidents": 0, "rights_requests": 0}

    # --- lag list: the last three finished months, in order ------------------------------------
    # the last three months whose reports are all in (the period locked 15 days after its end)
    last_done = _month_add(as_of.year * 100 + as_of.month, -1)
    while datetime.combine(date(last_done // 100, last_done % 100, 1), time()) + timedelta(days=31 + 15) > cutoff:
        last_done = _month_add(last_done, -1)
    months = [_month_add(last_done, k) for k in (-2, -1, 0)]
    _lagging_values(session, months, cutoff)
    for m in months:
        end = datetime.combine(date(m // 100, m % 100, 1), time()) + timedelta(days=32)
        end = end.replace(day=1)  # the first day after the month
        now = min(end + timedelta(days=20, hours=9), cutoff - timedelta(minutes=1))  # the month's values are in
        if now < end:
            continue
        rows = lag.reported_candidates(session=session, month=m, as_of=now)
        lag.store_month(session=session, user=admin, month=m, rows=rows, now=now)
    last = next((m for m in reversed(months) if session.scalar(
        select(func.count()).select_from(LagEntry).where(LagEntry.month == m))), None)
    if last is not None:
        entries = list(session.scalars(select(LagEntry).where(LagEntry.month == last, LagEntry.months_running >= 2)
                                       .order_by(LagEntry.months_running.desc(), LagEntry.share.desc(),
                                                 LagEntry.id)))
        counts["lag_entries"] = session.scalar(select(func.count()).select_from(LagEntry))
        seen_units: set[int] = set()
        names = dict(session.execute(select(Indicator.code, Indicator.name_zh)).all())
        after = datetime.combine(date(last // 100, last % 100, 1), time()) + timedelta(days=32)
        after = after.replace(day=1)
        for k, e in enumerate(entries):
            if e.org_unit_id in seen_units or len(seen_units) >= 3:
                continue  # one interview per unit, three units
            seen_units.add(e.org_unit_id)
            held = min(after + timedelta(days=12 + k), cutoff - timedelta(days=1))
            if held < after:
                continue
            now = held.replace(hour=16)
            lag.record_action(session=session, user=leader, entry_id=e.id, kind="interview", held_on=held.date(),
                              who=INTERVIEWERS[k % len(INTERVIEWERS)], now=now,
                              note="约谈主要负责人，要求两个月内完成整改并报送整改方案")
            counts["lag_actions"] += 1
            if e.months_running >= 3:
                lag.record_action(session=session, user=leader, entry_id=e.id, kind="supervision",
                                  held_on=held.date(), who=TEAMS[k % len(TEAMS)], now=now,
                                  note="派驻督导组蹲点两周，逐项跟踪整改")
                counts["lag_actions"] += 1
            ledger.create_item(session=session, user=leader, source="lag", org_unit_id=e.org_unit_id,
                               source_ref=f"{lag.month_label(e.month)} {e.indicator_code}",
                               title=f"{names.get(e.indicator_code, e.indicator_code)}连续 {e.months_running} 个月"
                                     f"滞后 {e.share * 100:.0f}%",
                               due=held.date() + timedelta(days=60), now=now, code=_code("R", now, counts))
            counts["ledger_items"] += 1

    # --- rectification ledger from the other sources ---------------------------------------------
    def day_ago(n: int, hour: int = 10) -> datetime:
        return cutoff - timedelta(days=n) + timedelta(hours=hour)

    plan = [  # source, days ago opened, days to due, outcome, title
        ("inspection", 75, 45, "closed", "双随机抽查：社区矫正对象帮扶台账缺项"),
        ("inspection", 50, 30, "overdue", "双随机抽查：刑满释放人员安置帮教衔接不及时"),
        ("spot_check", 40, 20, "overdue", "出租屋信息抽查准确率低于 80%"),
        ("spot_check", 20, 30, "in_progress", "住户登记信息与人口库不一致"),
        ("complaint", 30, 15, "closed", "群众投诉：民警入户未亮证"),
        ("inspection", 10, 45, "open", "治安帮扶资金使用台账不规范"),
    ]
    hazards = list(session.scalars(select(Hazard).where(Hazard.status == "open", Hazard.due_at < cutoff)
                                   .order_by(Hazard.found_at.desc()).limit(2)))
    complaints = list(session.scalars(select(PrivacyComplaint).order_by(PrivacyComplaint.received_at.desc()).limit(1)))
    for source, ago, days, outcome, title in plan:
        unit = stations[rng.randrange(len(stations))]
        opened = day_ago(ago)
        if opened < datetime(2024, 1, 2):
            continue
        ref = complaints[0].code if source == "complaint" and complaints else None
        item = ledger.create_item(session=session, user=coord, source=source, org_unit_id=unit.id, title=title,
                                  due=(opened + timedelta(days=days)).date(), now=opened, source_ref=ref,
                                  code=_code("R", opened, counts))
        counts["ledger_items"] += 1
        if outcome in ("closed", "in_progress", "overdue"):
            item = ledger.start(session=session, user=coord, item_id=item.id, expected_version=item.version,
                                now=opened + timedelta(days=2))
        if outcome == "closed":
            ledger.close(session=session, user=coord, item_id=item.id, expected_version=item.version,
                         now=opened + timedelta(days=days - 3), evidence="整改报告及复查记录已归档（附现场照片 6 张）")
    for h in hazards:
        unit = session.get(OrgUnit, session.get(OrgUnit, h.grid_id).station_id)
        opened = min(h.due_at + timedelta(hours=6), cutoff - timedelta(minutes=5))
        ledger.create_item(session=session, user=coord, source="hazard", org_unit_id=unit.id, source_ref=h.code,
                           title="隐患超期未整改，列入台账督办", due=(h.due_at + timedelta(days=3)).date(),
                           now=opened, code=_code("R", opened, counts))
        counts["ledger_items"] += 1

    # --- security incidents ----------------------------------------------------------------------
    incidents = [  # kind, days ago detected, plan min, trace h, rectify days (None: not yet), confirm, title
        ("intrusion", 70, 35, 18, 5, False, "门户网站遭 SQL 注入尝试，已拦截"),
        ("data_leak", 40, 45, 30, 6, True, "社区民警工作群外传住户名单截图"),
        ("outage", 12, 95, 20, 5, False, "警务平台数据库宕机 3 小时"),
        ("intrusion", 9, 30, 22, None, False, "异常账号批量导出人口数据被告警拦截"),
        ("malware", 2, 40, 20, None, False, "派出所终端发现勒索病毒样本"),
    ]
    for k, (kind, ago, plan_min, trace_h, rect_days, confirm, title) in enumerate(incidents):
        unit = stations[(k * 7 + rng.randrange(3)) % len(stations)]
        detected = day_ago(ago, hour=rng.randrange(8, 20))
        if detected < datetime(2024, 1, 2):
            continue
        i = inc.register(session=session, user=coord, org_unit_id=unit.id, kind=kind, title=title,
                         detected_at=detected, now=detected + timedelta(minutes=5),
                         code=f"SI{detected:%Y%m%d}-{k + 1:03d}")
        counts["incidents"] += 1
        steps = [("plan", detected + timedelta(minutes=plan_min)), ("trace", detected + timedelta(hours=trace_h))]
        if rect_days is not None:
            steps.append(("rectify", detected + timedelta(days=rect_days)))
        for step, at in steps:
            if at >= cutoff:
                break
            i = inc.record_step(session=session, user=coord, incident_id=i.id, step=step, at=at,
                                expected_version=i.version, now=at + timedelta(minutes=10),
                                report="已完成溯源，封堵漏洞，对相关人员追责，整改报告已报市局" if step == "rectify" else None)
        if confirm and i.rectified_at is not None:
            inc.confirm_leak(session=session, user=leader, incident_id=i.id, expected_version=i.version,
                             now=i.rectified_at + timedelta(hours=2), note="经核查确有住户信息外泄")
            ledger.create_item(session=session, user=coord, source="security_incident", org_unit_id=unit.id,
                               source_ref=i.code, title="数据泄露事件整改：工作群管理与保密培训",
                               due=(i.rectified_at + timedelta(days=30)).date(), now=i.rectified_at + timedelta(hours=3),
                               code=_code("R", i.rectified_at, counts))
            counts["ledger_items"] += 1

    # --- data-rights requests --------------------------------------------------------------------
    people = list(session.scalars(select(Resident).where(Resident.id_number_enc.is_not(None))
                                  .order_by(Resident.id).limit(400)))
    if len(people) >= 4:
        chosen = rng.sample(people, 4)
        plan_r = [("access", 25, "export"), ("erasure", 18, "erase"), ("erasure", 12, "refuse"), ("erasure", 3, None)]
        for r, (kind, ago, outcome) in zip(chosen, plan_r, strict=True):
            at = day_ago(ago, hour=9)
            req = dr.open_request(session=session, user=admin, resident_id=r.id, kind=kind, received_on=at.date(),
                                  channel=rng.choice(dr.CHANNELS), now=at,
                                  code=f"DR{at:%Y%m%d}-{counts['rights_requests'] + 1:03d}")
            counts["rights_requests"] += 1
            later = at + timedelta(days=2)
            if outcome == "export":
                dr.export_data(session=session, user=admin, request_id=req.id, now=later)
            elif outcome == "erase":
                dr.erase(session=session, user=admin, request_id=req.id, expected_version=req.version, now=later,
                         decision_note="身份已核实，已迁出本市，同意删除")
            elif outcome == "refuse":
                dr.refuse(session=session, user=admin, request_id=req.id, expected_version=req.version, now=later,
                          decision_note="本人系在册社区矫正对象，依法须保留登记信息，不予删除")
    session.flush()
    return counts
