"""Demo 研判会议 and 交办督办: a year of minutes whose decisions hand work out, followed up until done.

Built as the services would leave them (see `demo.screening`, which calls `build_meetings`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.auth import User
from portal.models.case import Case, CaseStatus, RiskLevel
from portal.models.meeting import (
    Assignment,
    AssignmentEvent,
    AssignmentEventKind,
    AssignmentStatus,
    Meeting,
    MeetingDecision,
    MeetingKind,
)
from portal.models.org import Organization, OrgKind, OrgLevel
from portal.models.people import Expert, Mediator
from portal.models.review import DocumentCounter
from portal.services import assignments, meetings
from portal.services.deadlines import add_months
from portal.services.screening_rhythm import periods_between

K = AssignmentEventKind
DECISIONS = (
    "{org}牵头，对辖区{topic}纠纷逐户走访，十日内形成化解方案",
    "{org}对重点人员落实“一人一档”稳控措施，每周报告动态",
    "{org}会同派出所对涉及群体性的{topic}纠纷开展联合调处",
    "{org}对上月排查发现的{topic}纠纷开展回访，防止反弹",
)
TOPICS = ("土地承包", "婚姻家庭", "邻里", "宅基地", "劳资", "物业")
PROGRESS = ("已组织双方当事人见面沟通，正在拟定调解方案。", "已走访当事人及村“两委”，掌握基本情况。")
RESULTS = (
    "经调解双方达成书面协议，纠纷化解。",
    "已落实稳控措施，当事人情绪稳定，未发生上访。",
    "回访完毕，协议履行到位。",
)


@dataclass
class Township:
    """A 司法所, its township committee and villages."""

    office: Organization
    committee: Organization | None
    villages: list[Organization]
    mediators: list[Mediator] = field(default_factory=list)


def townships(session: Session) -> list[Township]:
    orgs = list(session.scalars(select(Organization).order_by(Organization.path)))
    found = []
    for office in (o for o in orgs if o.kind == OrgKind.JUSTICE_OFFICE and o.level == OrgLevel.TOWNSHIP):
        children = [o for o in orgs if o.parent_id == office.id and o.kind == OrgKind.COMMITTEE]
        committee = next((o for o in children if o.level == OrgLevel.TOWNSHIP), None)
        villages = [o for o in children if o.level == OrgLevel.VILLAGE]
        found.append(Township(office, committee, villages))
    people = list(session.scalars(select(Mediator).order_by(Mediator.id)))
    for town in found:
        town.mediators = [m for m in people if m.organization.path.startswith(town.office.path)]
    return found


def _morning(day: date) -> datetime:
    return datetime.combine(day, time(2, 0), tzinfo=UTC)  # 10:00 in Beijing


def _open_cases(session: Session, under: Organization, before: date, count: int) -> list[Case]:
    query = (
        select(Case)
        .join(Organization, Case.organization_id == Organization.id)
        .where(
            Organization.path.startswith(under.path),
            Case.accepted_on < before,
            Case.status.in_((CaseStatus.REGISTERED, CaseStatus.ASSIGNED, CaseStatus.MEDIATING)),
            (Case.risk_level == RiskLevel.HIGH) | Case.is_group,
        )
        .order_by(Case.accepted_on.desc(), Case.id)
        .limit(count)
    )
    return list(session.scalars(query))


class _FollowUp:
    """Hands a decision's work out and takes the item through its 督办 steps as its dates allow.

    The rows are those `services.assignments` writes (numbered per assigning office and year, one
    history row per step, the item's fields as each step leaves them), dated to the day of each step.
    """

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng, self.today = rng, today
        self.counters: dict[tuple[int, int], int] = {}
        self.cancelled = False

    def _step(
        self,
        item: Assignment,
        actor: User,
        kind: AssignmentEventKind,
        day: date,
        note: str | None = None,
        to: AssignmentStatus | None = None,
        **details: Any,
    ) -> None:
        item.events.append(
            AssignmentEvent(
                kind=kind,
                from_status=item.status,
                to_status=to or item.status,
                at=_morning(day),
                actor=actor,
                actor_name=actor.full_name,
                organization_id=actor.organization_id,
                note=note,
                details=details,
            )
        )
        item.status = to or item.status

    def assign(
        self, decision: MeetingDecision, org: Organization, assignee: Organization, actor: User, day: date
    ) -> Assignment:
        key = (org.id, day.year)
        self.counters[key] = seq = self.counters.get(key, 0) + 1
        deadline = day + timedelta(days=self.rng.randint(10, 25))
        owner = f"{assignee.name.removesuffix('人民调解委员会')}负责人"[:50]
        item = Assignment(
            decision=decision,
            number=assignments.format_number(org.code, day.year, seq),
            year=day.year,
            seq=seq,
            assigning_organization=org,
            organization=assignee,
            owner_person=owner,
            content=decision.content,
            case=decision.case,
            assigned_on=day,
            deadline=deadline,
            status=AssignmentStatus.OPEN,
            reminders=0,
            created_by=actor,
        )
        self._step(
            item,
            actor,
            K.ASSIGN,
            day,
            to=AssignmentStatus.OPEN,
            organization=assignee.name,
            owner_person=owner,
            deadline=deadline.isoformat(),
        )
        return item

    def run(self, item: Assignment, assigner: User, assignee: User) -> None:
        rng, today = self.rng, self.today
        first = item.assigned_on + timedelta(days=rng.randint(2, 5))
        if first <= today:
            item.last_progress_on = first
            self._step(item, assignee, K.PROGRESS, first, rng.choice(PROGRESS))
        if item.deadline + timedelta(days=10) < today:
            roll = rng.random()
            if roll < 0.05 and not self.cancelled:
                self.cancelled = True
                item.cancel_reason = "当事人已撤回诉求，事项不再办理"
                self._step(item, assigner, K.CANCEL, first, item.cancel_reason, to=AssignmentStatus.CANCELLED)
                return
            late = roll < 0.2
            if late:
                item.reminders += 1
                self._step(
                    item,
                    assigner,
                    K.REMIND,
                    item.deadline,
                    "已到办理期限，请抓紧办结并报送结果",
                    times=item.reminders,
                )
            done = (
                item.deadline + timedelta(days=rng.randint(1, 8))
                if late
                else max(first, item.deadline - timedelta(days=rng.randint(0, 6)))
            )
            item.result, item.completed_on = rng.choice(RESULTS), done
            self._step(
                item, assignee, K.COMPLETE, done, to=AssignmentStatus.DONE, completed_on=done.isoformat()
            )
            return
        if item.deadline < today:
            item.reminders += 1
            self._step(
                item,
                assigner,
                K.REMIND,
                item.deadline + timedelta(days=1),
                "已逾期，请说明原因并尽快办结",
                times=item.reminders,
            )
            if rng.random() < 0.5:
                item.escalated_on = min(item.deadline + timedelta(days=3), today)
                self._step(item, assigner, K.ESCALATE, item.escalated_on, "列为县级挂牌督办事项")

    def counter_rows(self) -> list[DocumentCounter]:
        """Return the 交办文号 counters the items used, as `numbering.reserve` would have left them."""
        return [
            DocumentCounter(
                kind=assignments.NUMBER_SERIES, organization_id=org_id, year=year, last_value=value
            )
            for (org_id, year), value in self.counters.items()
        ]


def build_meetings(
    session: Session,
    rng: random.Random,
    today: date,
    first: date,
    root: Organization,
    towns: Sequence[Township],
    admin: User,
    entry: User | None,
) -> tuple[list[Meeting], _FollowUp]:
    """Return a year of minutes with their decisions and items (not added to the session)."""
    experts = list(session.scalars(select(Expert).order_by(Expert.id).limit(6)))
    follow = _FollowUp(rng, today)
    made: list[Meeting] = []
    home = next((t for t in towns if entry is not None and t.office.id == entry.organization_id), None)
    for month in periods_between(first, today, monthly=True):
        plans = [(root, MeetingKind.MONTHLY, admin, [t.office for t in towns])]
        if month.start.month % 3 == 0:
            plans.append((root, MeetingKind.JOINT, admin, [t.office for t in towns]))
        if home is not None and entry is not None and month.start >= add_months(first, 6):
            plans.append((home.office, MeetingKind.MONTHLY, entry, home.villages))
        for org, kind, actor, assignees in plans:
            day = month.start + timedelta(days=rng.randint(3, 8) + (10 if kind == MeetingKind.JOINT else 0))
            if day > today:
                continue
            county = org.id == root.id
            chosen = rng.sample(assignees, min(len(assignees), 2 if kind == MeetingKind.MONTHLY else 1))
            cases = _open_cases(session, org, day, 3)
            meeting = Meeting(
                organization=org,
                kind=kind,
                title=meetings.default_title(org, kind, day),
                held_on=day,
                place="县司法局三楼会议室" if county else f"{org.name}会议室",
                host="县司法局局长" if county else "司法所所长",
                recorder="办公室" if county else "司法所干事",
                external_attendees=(
                    "县公安局、县信访局、县人民法院、县人社局有关负责同志"
                    if kind == MeetingKind.JOINT
                    else ("县法院诉调对接中心负责同志" if county else "派出所所长、综治中心主任")
                ),
                content=f"通报{(month.start - timedelta(days=1)):%Y年%m月}矛盾纠纷排查化解情况，"
                "对重大疑难、群体性纠纷逐件研判，明确化解责任和时限。",
                created_by=actor,
            )
            meeting.attendee_organizations = list(assignees[:12])
            meeting.attendee_users = [actor]
            meeting.attendee_experts = rng.sample(experts, min(len(experts), 1 if county else 0))
            meeting.cases = cases
            for seq, assignee in enumerate(chosen, start=1):
                text = rng.choice(DECISIONS).format(org=assignee.name, topic=rng.choice(TOPICS))
                decision = MeetingDecision(
                    seq=seq, content=text, case=cases[seq - 1] if len(cases) >= seq else None
                )
                meeting.decisions.append(decision)
                doer = (
                    entry
                    if entry is not None and home is not None and assignee.path.startswith(home.office.path)
                    else admin
                )
                follow.run(follow.assign(decision, org, assignee, actor, day), actor, doer)
            made.append(meeting)
    return made, follow
