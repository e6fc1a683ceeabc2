"""Demo assisted persons (帮扶对象, seed 004) for the demo city, from a random stream of their own.

The story: about three persons in five grids are on the register (community-corrections subjects,
released prisoners, people in drug rehabilitation, migrants), each helped by their grid's officer.
High-risk persons are visited every week — most on time, about one in six is overdue at as_of.
Community-corrections and rehabilitation subjects have fortnightly counselling; most attend, some
missed three in a row lately, so their helpers have open alerts (older alerts were acknowledged
with a note). The demo officer's own grid always holds one overdue high-risk person and one with
an open alert. Nothing happens at or after 00:00 of the as_of day.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import text
from sqlmodel import Session

from data_access.assistance.models import (
    AssistanceMeasure,
    AssistedPerson,
    AssistedRiskChange,
    CounsellingAlert,
    CounsellingSession,
    PersonVisit,
)
from data_access.assistance.services import alert_triggers

GROUPS_W = (("community_correction", 40), ("released_prisoner", 25), ("drug_rehab", 15), ("migrant", 15),
            ("other", 5))
RISKS_W = (("high", 25), ("medium", 40), ("low", 35))
EMPLOYMENT_W = (("unemployed", 35), ("employed", 35), ("self_employed", 10), ("in_training", 15), ("unknown", 5))
MEASURES_BY_GROUP = {
    "community_correction": ("skills_training", "job_referral", "counselling"),
    "released_prisoner": ("housing", "loan", "schooling", "job_referral"),
    "drug_rehab": ("counselling", "skills_training", "job_referral"),
    "migrant": ("schooling", "housing", "job_referral"),
    "other": ("job_referral", "counselling"),
}
OUTCOME_W = (("success", 45), ("partial", 25), ("pending", 20), ("failed", 10))
RISK_REASONS = ("连续三个月按时报到，表现稳定", "已稳定就业，家属配合", "近期与邻居发生纠纷，情绪波动", "未按时报到，需加强走访")
VISIT_NOTES = ("上门走访，情况稳定", "电话联系后上门，已就业", "与家属面谈，了解近况", "走访未遇，约定下次时间", None, None)
ACK_NOTES = ("已上门约谈，重新约定疏导时间", "联系司法所共同走访，已恢复参加", "家属说明情况，已调整疏导时段")
MEASURE_NOTES = {"skills_training": "电工培训班", "job_referral": "推荐至物流园区", "counselling": "社工每两周一次",
                 "housing": "安排过渡性住房", "schooling": "子女转入片区小学", "loan": "申请创业担保贷款"}
SHARE = 0.6  # persons per grid


def _pick(rng: random.Random, weighted) -> str:
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights=weights)[0]


def generate(session: Session, *, seed: int, as_of: date, demo_officer: str = "officer") -> dict[str, int]:
    """Write the demo register into the demo city (after its residents and officers exist)."""
    rng = random.Random(seed * 7919 + 15)
    cutoff = datetime.combine(as_of, time(0, 0))
    conn = session.connection()
    officers = {gid: uid for uid, gid in conn.execute(text(
        "SELECT u.id, u.scope_id FROM app_user u JOIN org_unit o ON o.id = u.scope_id "
        "WHERE u.role = 'officer' AND o.level = 'grid' ORDER BY u.id"))}
    demo = conn.execute(text("SELECT id, scope_id FROM app_user WHERE username = :u"), {"u": demo_officer}).first()
    if not officers:
        return {}
    n_res = conn.execute(text("SELECT COUNT(*) FROM resident")).scalar_one()
    k = max(1, int(n_res / (len(officers) * SHARE)))
    rows = conn.execute(text("SELECT r.id, r.household_id, h.grid_id FROM resident r "
                             "JOIN household h ON h.id = r.household_id WHERE r.id % :k = 0 ORDER BY r.id"),
                        {"k": k}).all()
    people = [tuple(r) for r in rows]
    if demo is not None:  # the demo officer's grid: two persons with a story of their own
        own = conn.execute(text("SELECT r.id, r.household_id, h.grid_id FROM resident r JOIN household h "
                                "ON h.id = r.household_id WHERE h.grid_id = :g ORDER BY r.id LIMIT 2"),
                           {"g": demo.scope_id}).all()
        taken = {p[0] for p in people}
        people = [tuple(r) for r in own if r[0] not in taken] + people
        story = {r[0]: s for r, s in zip(own, ("overdue", "alert"), strict=False)}
    else:
        story = {}
    counts = dict.fromkeys(("persons", "visits", "sessions", "alerts_open", "high_overdue"), 0)
    first_day = max(date(2024, 7, 1), as_of - timedelta(days=700))
    span = (as_of - timedelta(days=45) - first_day).days
    if span <= 0:
        return counts
    for n, (rid, hid, gid) in enumerate(people, start=1):
        role = story.get(rid)
        group = "community_correction" if role else _pick(rng, GROUPS_W)
        risk = "high" if role else _pick(rng, RISKS_W)
        reg = first_day + timedelta(days=rng.randrange(span))
        p = AssistedPerson(code=f"BF{n:05d}", resident_id=rid, household_id=hid, grid_id=gid, group=group,
                           risk_level=risk, helper_id=officers.get(gid), employment=_pick(rng, EMPLOYMENT_W),
                           registered_on=reg)
        session.add(p)
        session.flush()
        counts["persons"] += 1
        reg_at = datetime.combine(reg, time(9, 0))
        start_level = risk
        if rng.random() < 0.3:  # a risk change during the year: the first level differs
            start_level = rng.choice([r for r, _ in RISKS_W if r != risk])
            changed = reg_at + timedelta(days=rng.randrange(7, max(8, (cutoff - reg_at).days - 7)))
            session.add(AssistedRiskChange(person_id=p.id, changed_at=changed, old_level=start_level, new_level=risk,
                                           reason=rng.choice(RISK_REASONS), user_id=p.helper_id))
        session.add(AssistedRiskChange(person_id=p.id, changed_at=reg_at, old_level=None, new_level=start_level,
                                       user_id=p.helper_id))
        for kind in rng.sample(MEASURES_BY_GROUP[group], k=rng.randint(1, len(MEASURES_BY_GROUP[group]))):
            started = reg + timedelta(days=rng.randrange(0, 40))
            if started >= as_of:
                continue
            outcome = _pick(rng, OUTCOME_W)
            ended = None if outcome == "pending" else min(as_of - timedelta(days=1),
                                                          started + timedelta(days=rng.randrange(20, 120)))
            session.add(AssistanceMeasure(person_id=p.id, kind=kind, started_on=started, ended_on=ended,
                                          outcome=outcome, note=MEASURE_NOTES[kind], recorded_by=p.helper_id))
        # visits: weekly for high risk over the last 12 weeks (one in six overdue now), monthly otherwise
        step, back = (7, 84) if risk == "high" else (30, 180)
        overdue = role == "overdue" or (risk == "high" and role is None and rng.random() < 1 / 6)
        end = cutoff - timedelta(days=rng.randint(9, 20) if overdue else rng.randint(1, 6))
        at, last = end, None
        while at > max(reg_at, cutoff - timedelta(days=back)):
            if rng.random() < 0.93 or at == end:
                v_at = at.replace(hour=rng.choice((9, 10, 14, 15, 16)), minute=rng.randrange(60))
                session.add(PersonVisit(person_id=p.id, visited_at=v_at, officer_id=p.helper_id,
                                        note=rng.choice(VISIT_NOTES)))
                last = max(last or v_at, v_at)
                counts["visits"] += 1
            at -= timedelta(days=step + rng.randint(-1, 0) if risk == "high" else step + rng.randint(-5, 5))
        p.last_visit_at = last
        counts["high_overdue"] += overdue and risk == "high"
        # counselling every two weeks for corrections and rehabilitation subjects
        if group in ("community_correction", "drug_rehab"):
            streak = role == "alert" or (role is None and rng.random() < 0.12)
            at = cutoff - timedelta(days=rng.randint(2, 5))
            slots = []
            while at > max(reg_at, cutoff - timedelta(days=140)):
                slots.append(at.replace(hour=15, minute=0))
                at -= timedelta(days=14)
            slots.reverse()
            made = []
            for i, s_at in enumerate(slots):
                if streak and i >= len(slots) - 3:
                    status = "missed"
                else:
                    status = "attended" if rng.random() < 0.85 else "missed"
                made.append(CounsellingSession(person_id=p.id, scheduled_at=s_at, status=status,
                                               marked_at=s_at + timedelta(hours=2), marked_by=p.helper_id))
            session.add_all(made)
            session.flush()  # once per person: the alerts name their session
            marks = [(c.id, c.status, c.scheduled_at) for c in made]
            counts["sessions"] += len(made)
            session.add(CounsellingSession(person_id=p.id, scheduled_at=(cutoff + timedelta(days=9)).replace(hour=15)))
            last_id = marks[-1][0] if marks else None
            at_of = {sid: s_at for sid, _, s_at in marks}
            for sid, run in alert_triggers([(sid, st) for sid, st, _ in marks]):
                raised = at_of[sid] + timedelta(hours=2)
                still_open = sid == last_id or (cutoff - raised).days < 3
                a = CounsellingAlert(person_id=p.id, session_id=sid, helper_id=p.helper_id, raised_at=raised,
                                     misses=run)
                if not still_open:
                    a.acknowledged_at = raised + timedelta(hours=rng.randint(3, 40))
                    a.acknowledged_by, a.note = p.helper_id, rng.choice(ACK_NOTES)
                else:
                    counts["alerts_open"] += 1
                session.add(a)
        session.add(p)
    session.flush()
    return counts
