"""A historical case as the ledger would hold it had it gone through the workflow step by step.

`build_case` turns a checked row into a `Case` with its parties, 调解记录, agreement or referral, 回访 and
the 流转记录 the workflow writes (受理登记 → 分流交办 → 开始调解 → 调解记录 → 调解成功/调解不成 →
引导 → 回访 → 结案归档), dated on the row's dates. The dry run builds it without adding it to the session
and puts it through `case_checks` (the ledger's own rules); the import adds it.

Numbering (`Numbering`): a case keeps the number its paper ledger gave it when that number is free, and a
case without one is numbered after the highest number of its organisation and year. Either way the
counter of (organisation, year) ends at the highest number issued and every number up to it exists, so
`services/numbering` goes on issuing gapless, unique numbers; the counter rows are taken (compare and set)
before the first case is inserted, so a case registered meanwhile stops the import instead of colliding.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal import clock
from portal.models.case import (
    Agreement,
    AgreementForm,
    Case,
    CaseCounter,
    CaseEvent,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    Difficulty,
    FollowUp,
    FollowUpMethod,
    MediationSession,
    Party,
    PartyKind,
    PartyRole,
    Performance,
    RiskLevel,
    SessionResult,
)
from portal.models.dictionary import DisputeType
from portal.models.org import Organization
from portal.models.people import Mediator
from portal.services import DomainError
from portal.services.deadlines import DeadlineRules
from portal.services.numbering import format_case_number
from portal.services.workflow import GROUP_SIZE
from portal.validators import normalize_credit_code, normalize_id_number

S = CaseStatus
K = CaseEventKind
SUCCESS, FAILURE = "调解成功", "调解不成"
NUMBER = re.compile(r"\((\d{4})\)(.+?)人调字第(\d{1,9})号")
NUMBER_HINT = "案号格式应为“（2023）MJ人调字第12号”"
START_OF_DAY = time(9, 0)


def parse_number(text: str) -> tuple[int, str, int]:
    """Return (year, organisation code, sequence) of a case number; DomainError if it is not one."""
    match = NUMBER.fullmatch("".join(unicodedata.normalize("NFKC", text).split()))
    if match is None or int(match[3]) < 1:
        raise DomainError(NUMBER_HINT)
    return int(match[1]), match[2], int(match[3])


@dataclass
class _Series:
    """The numbers of one organisation and year: the counter, the numbers the file gives, its blank rows."""

    counter: int = 0
    given: dict[int, int] = field(default_factory=dict)  # sequence → row
    blanks: int = 0
    next: int = 0

    @property
    def top(self) -> int:
        return max([self.counter, *self.given])


class Numbering:
    """Case numbers of the file, per (organisation id, year)."""

    def __init__(self) -> None:
        self.series: dict[tuple[int, int], _Series] = {}

    def give(self, org_id: int, year: int, seq: int, row: int) -> None:
        self.series.setdefault((org_id, year), _Series()).given[seq] = row

    def blank(self, org_id: int, year: int) -> None:
        self.series.setdefault((org_id, year), _Series()).blanks += 1

    def check(self, session: Session, codes: dict[int, str]) -> list[tuple[int, str]]:
        """Read the counters and the stored numbers; return (row, message) for taken and missing numbers."""
        found: list[tuple[int, str]] = []
        for (org_id, year), series in self.series.items():
            series.counter = (
                session.scalar(
                    select(CaseCounter.last_value).where(
                        CaseCounter.organization_id == org_id, CaseCounter.year == year
                    )
                )
                or 0
            )
            if series.given:
                taken = session.scalars(
                    select(Case.seq).where(
                        Case.numbering_organization_id == org_id,
                        Case.year == year,
                        Case.seq.in_(list(series.given)),
                    )
                )
                for seq in taken:
                    number = format_case_number(year, codes[org_id], seq)
                    found.append(
                        (series.given[seq], f"系统中已有案号“{number}”（或同组织同年度的第{seq}号）")
                    )
            missing = [n for n in range(series.counter + 1, series.top + 1) if n not in series.given]
            if missing:
                shown = "、".join(f"第{n}号" for n in missing[:5]) + (
                    f"等{len(missing)}个" if len(missing) > 5 else ""
                )
                row = min(r for seq, r in series.given.items() if seq > missing[0])
                prefix = format_case_number(year, codes[org_id], 0).removesuffix("第0号")
                found.append(
                    (
                        row,
                        f"{prefix}：{shown}在系统和本文件中都没有，同一组织同一年度的案号须连续；"
                        "请补齐这些案件，或把该组织该年度的案号都留空，由系统接续编号",
                    )
                )
        return found

    def take(self, session: Session, names: dict[int, str]) -> None:
        """Move each counter to the highest number the file issues, unless it moved since the check."""
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for (org_id, year), series in self.series.items():
            series.next = series.top
            final = series.top + series.blanks
            if final == series.counter:
                continue
            where = (CaseCounter.organization_id == org_id, CaseCounter.year == year)
            result: Any = session.execute(
                update(CaseCounter)
                .where(*where, CaseCounter.last_value == series.counter)
                .values(last_value=final)
                .execution_options(synchronize_session=False)
            )
            moved = result.rowcount
            if not moved and series.counter == 0:
                session.execute(
                    insert(CaseCounter)
                    .values(organization_id=org_id, year=year, last_value=final)
                    .on_conflict_do_nothing()
                )
                moved = session.scalar(select(CaseCounter.last_value).where(*where)) == final
            if not moved:
                raise DomainError(
                    f"检查之后{names[org_id]}{year}年度又登记了新案件，案号已变化；请重新检查文件后再导入"
                )

    def issue(self, org_id: int, year: int) -> int:
        """Return the next number for a row without one (after `take`)."""
        series = self.series[(org_id, year)]
        series.next += 1
        return series.next


@dataclass
class Resolved:
    """What a case row names, looked up: its organisation, dispute type and mediators."""

    org: Organization
    dispute_type: DisputeType
    mediators: list[Mediator]


def _party(row: Any, prefix: str, role: PartyRole, order: int) -> Party:
    kind = row[f"{prefix}_kind"] or PartyKind.PERSON
    identifier = row[f"{prefix}_id"] or None
    person = kind == PartyKind.PERSON
    return Party(
        role=role,
        kind=kind,
        name=row[prefix],
        gender=row[f"{prefix}_gender"],
        id_number=normalize_id_number(identifier) if identifier and person else None,
        credit_code=normalize_credit_code(identifier) if identifier and not person else None,
        phone=row[f"{prefix}_phone"],
        address=row[f"{prefix}_address"],
        sort_order=order,
    )


class _Steps:
    """The 流转记录 of the case, with times on the rows' dates (09:00 office time on), in order."""

    def __init__(self, case: Case, actor: Any, actor_name: str, org_id: int, now: datetime) -> None:
        self.case, self.actor, self.actor_name, self.org_id, self.now = case, actor, actor_name, org_id, now
        self.last: datetime | None = None

    def __call__(self, kind: CaseEventKind, day: date, to: CaseStatus | None = None, **details: Any) -> None:
        at = datetime.combine(day, START_OF_DAY, clock.zone()).astimezone(UTC)
        if self.last is not None:
            at = max(at, self.last + timedelta(minutes=1))
        self.last = at
        case = self.case
        case.events.append(
            CaseEvent(
                kind=kind,
                from_status=case.status,
                to_status=to or case.status,
                at=min(at, self.now),
                actor=self.actor,
                actor_name=self.actor_name,
                organization_id=self.org_id,
                note=details.pop("note", None),
                details={k: v for k, v in details.items() if v not in (None, "")},
            )
        )
        if to is not None:
            case.status = to
        case.last_activity_on = max(case.last_activity_on, day)


def build_case(ctx: Any, row: Any, found: Resolved, number: str, seq: int, note: str) -> Case:
    """Return the case of a checked row with everything the workflow would have recorded (see module)."""
    org, rules = found.org, ctx.rules or DeadlineRules()
    accepted: date = row["accepted_on"]
    parties = [
        _party(row, "applicant", PartyRole.APPLICANT, 0),
        _party(row, "respondent", PartyRole.RESPONDENT, 1),
    ]
    people_involved = row["people_involved"] or len(parties)
    first_mediator = found.mediators[0].name if found.mediators else None
    case = Case(
        number=number,
        year=accepted.year,
        seq=seq,
        numbering_organization=org,
        organization=org,
        registered_by=ctx.actor,
        source=row["source"] or CaseSource.APPLICATION,
        dispute_type=found.dispute_type,
        occurred_on=row["occurred_on"],
        place=row["place"],
        summary=row["summary"],
        claims=row["claims"],
        people_involved=people_involved,
        amount=row["amount"],
        risk_level=row["risk_level"] or RiskLevel.LOW,
        difficulty=row["difficulty"] or Difficulty.NORMAL,
        is_group=people_involved >= GROUP_SIZE,
        prevented_crime=bool(row["prevented_crime"]),
        prevented_group_petition=bool(row["prevented_group_petition"]),
        responsible_person=row["responsible_person"] or first_mediator,
        responsible_unit=row["responsible_unit"] or org.name,
        measures=row["measures"] or row["session_content"],
        accepted_on=accepted,
        deadline=rules.due_date(accepted, found.dispute_type.default_deadline_days),
        assigned_on=row["assigned_on"] or accepted,
        status=S.REGISTERED,
        last_activity_on=accepted,
        parties=parties,
        mediators=list(found.mediators),
    )
    step = _Steps(
        case, ctx.actor, ctx.actor_name, ctx.actor.organization_id if ctx.actor else org.id, clock.utcnow()
    )
    step(K.REGISTER, accepted, S.REGISTERED, number=number, note=note)
    assigned: date = row["assigned_on"] or accepted
    step(
        K.ASSIGN,
        assigned,
        S.ASSIGNED,
        organization=org.name,
        mediators="、".join(m.name for m in found.mediators),
        responsible_person=case.responsible_person,
        deadline=case.deadline.isoformat(),
    )
    step(K.START, assigned, S.MEDIATING)
    success = row["outcome"] == SUCCESS
    held = row["session_on"]
    record = MediationSession(
        held_at=datetime.combine(held, START_OF_DAY, clock.zone()).astimezone(UTC),
        place=row["session_place"] or org.name,
        content=row["session_content"],
        result=SessionResult.AGREED if success else SessionResult.NOT_AGREED,
        mediators=list(found.mediators),
    )
    case.sessions.append(record)
    step(K.SESSION, held, note=record.result.label, place=record.place)
    if success:
        _settle(case, row, step)
    else:
        case.failure_reason = row["failure_reason"]
        case.concluded_on = held  # 办结日期: the day mediation failed, as services/workflow.py sets it
        step(K.FAIL, held, S.FAILED, note=case.failure_reason)
        case.referral_route = row["referral_route"]
        case.stability_plan = row["stability_plan"]
        step(K.REFER, held, S.REFERRED, route=case.referral_route.label if case.referral_route else None)
    if row["visited_on"] is not None:
        visit = FollowUp(
            visited_on=row["visited_on"],
            method=row["visit_method"] or FollowUpMethod.VISIT,
            visitor=row["visitor"] or first_mediator,
            person_visited=row["person_visited"] or row["applicant"],
            performance=row["performance"],
            satisfaction=row["satisfaction"],
        )
        case.follow_ups.append(visit)
        step(
            K.FOLLOW_UP,
            visit.visited_on,
            S.FOLLOWED_UP if case.status == S.SETTLED else None,
            satisfaction=f"{visit.satisfaction}分" if visit.satisfaction else None,
            performance=visit.performance.label if visit.performance else None,
        )
    if row["closed_on"] is not None:
        case.closed_on = row["closed_on"]
        step(K.ARCHIVE, case.closed_on, S.CLOSED)
    return case


def _settle(case: Case, row: Any, step: _Steps) -> None:
    performance = row["performance"]
    performed = performance == Performance.FULL
    signed = row["signed_on"]
    agreement = Agreement(
        number=case.number,
        form=row["agreement_form"] or AgreementForm.WRITTEN,
        signed_on=signed,
        terms=row["terms"],
        amount=row["agreement_amount"],
        performed=performed,
        performed_on=(row["performed_on"] or row["visited_on"] or signed)
        if performed
        else row["performed_on"],
    )
    case.agreement = agreement
    case.concluded_on = signed  # 办结日期: the agreement's date, as services/case_records.py sets it
    step(
        K.SETTLE,
        signed,
        S.SETTLED,
        form=agreement.form.label,
        amount=str(agreement.amount) if agreement.amount is not None else None,
    )
