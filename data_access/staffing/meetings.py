"""Monthly grid policing joint meetings (网格警务联席会议, seed 002 §3.5, §5.2): led by the community
officer, every month, with grid workers, property companies and volunteers; risks analysed and
tasks assigned with owners. A community-month that has ended without a meeting is flagged.

Writes take a keyword-only ``session``, never commit, validate everything before writing and are
audited; a resubmission with the same ``client_token`` returns the first meeting.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from data_access.core import audit
from data_access.core.errors import PermissionDenied, ValidationError
from data_access.core.text import checked_text
from data_access.fieldwork.derive import month_of
from data_access.org.models import OrgUnit
from data_access.org.scope import actor_of, require_role, scope_clause, unit_in_scope
from data_access.staffing.models import JointMeeting
from data_access.staffing.roster import EDIT_ROLES, READ_ROLES

MAX_TASKS = 20


def record_meeting(*, session: Session, user, community_id: int, held_on: date, attendees: str, now: datetime,
                   risks: str | None = None, tasks: list | None = None,
                   client_token: str | None = None) -> JointMeeting:
    """Record one joint meeting of a community. ``tasks``: [{"task": …, "owner": …}], both required."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "meeting.create", EDIT_ROLES)
    if client_token:
        prior = session.execute(select(JointMeeting).where(JointMeeting.client_token == client_token)).scalar()
        if prior is not None:
            return prior
    c = session.get(OrgUnit, community_id) if isinstance(community_id, int) else None
    if c is None or c.level != "community":
        raise ValidationError("community_id", "invalid")
    if not unit_in_scope(actor, c):
        raise PermissionDenied("meeting.create", "scope")
    if isinstance(held_on, datetime):
        held_on = held_on.date()
    if not isinstance(held_on, date):
        raise ValidationError("held_on", "required")
    if held_on > now.date():
        raise ValidationError("held_on", "future")
    att = checked_text("attendees", attendees, 1000, required=True)
    risks = checked_text("risks", risks, 2000)
    clean: list[dict] = []
    for i, t in enumerate(tasks or []):
        if not isinstance(t, dict):
            raise ValidationError(f"tasks[{i}]", "type")
        task = checked_text(f"tasks[{i}].task", t.get("task"), 300)
        owner = checked_text(f"tasks[{i}].owner", t.get("owner"), 60)
        if not task and not owner:
            continue  # an empty row of the editor
        if not task:
            raise ValidationError(f"tasks[{i}].task", "required")
        if not owner:
            raise ValidationError(f"tasks[{i}].owner", "required")
        clean.append({"task": task, "owner": owner})
    if len(clean) > MAX_TASKS:
        raise ValidationError("tasks", "too_many", {"max": MAX_TASKS})
    m = JointMeeting(client_token=client_token or None, community_id=c.id, held_on=held_on, month=month_of(held_on),
                     attendees=att, risks=risks, tasks=json.dumps(clean, ensure_ascii=False) if clean else None,
                     created_by=actor.id)
    session.add(m)
    session.flush()
    audit.write(session, actor.username, "meeting.create", "joint_meeting", m.id,
                {"community": c.code, "held_on": held_on.isoformat(), "tasks": len(clean)}, at=now)
    return m


@dataclass(frozen=True)
class CommunityMeetings:
    community_id: int
    code: str
    name: str
    held: dict  # month (YYYYMM) → number of meetings
    missing: list[int]  # ended months without a meeting
    name_en: str | None = None


def meetings_by_community(*, session: Session, user, months: list[int], ended: set[int],
                          unit_id: int | None = None) -> list[CommunityMeetings]:
    """Per community of the actor's scope (under ``unit_id``): meetings per month of ``months``,
    and the months in ``ended`` (months that are over) without one."""
    actor = actor_of(session=session, user=user)
    require_role(actor, "staff.read", READ_ROLES)
    conds = [OrgUnit.level == "community", scope_clause(actor)]
    if unit_id is not None:
        u = session.get(OrgUnit, unit_id)
        if u is not None:
            conds.append(OrgUnit.path.startswith(u.path))
    comms = session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.name_zh, OrgUnit.name_en).where(*conds)
                            .order_by(OrgUnit.code)).all()
    if not comms or not months:
        return []
    from sqlalchemy import func

    held: dict = {}
    for cid, month, n in session.execute(
            select(JointMeeting.community_id, JointMeeting.month, func.count())
            .where(JointMeeting.community_id.in_([c[0] for c in comms]), JointMeeting.month >= min(months),
                   JointMeeting.month <= max(months)).group_by(JointMeeting.community_id, JointMeeting.month)):
        held.setdefault(cid, {})[month] = int(n)
    return [CommunityMeetings(cid, code, name, held.get(cid, {}),
                              [m for m in months if m in ended and not held.get(cid, {}).get(m)], name_en)
            for cid, code, name, name_en in comms]


def meetings_of(*, session: Session, user, community_id: int, limit: int = 24) -> list[JointMeeting]:
    actor = actor_of(session=session, user=user)
    require_role(actor, "staff.read", READ_ROLES)
    c = session.get(OrgUnit, community_id)
    if c is None or not unit_in_scope(actor, c):
        return []
    return list(session.execute(select(JointMeeting).where(JointMeeting.community_id == community_id)
                                .order_by(JointMeeting.held_on.desc()).limit(limit)).scalars())
