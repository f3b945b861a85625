"""Test data: a small county with two townships, users of every role, mediators and experts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import (
    Case,
    CaseSource,
    DisputeType,
    Expert,
    Gender,
    Mediator,
    Organization,
    OrgKind,
    OrgLevel,
    Party,
    PartyKind,
    PartyRole,
    Recognition,
    User,
)
from portal.models.recognition import RecognitionStatus
from portal.services import cases
from portal.validators import make_credit_code, make_id_number

REGION = "371525"

# username -> (full name, organisation code, roles)
USERS = {
    "admin": ("系统管理员", "QH", ["admin"]),
    "evaluator": ("考评员甲", "QH", ["evaluator"]),
    "clerk": ("文书甲", "QH", ["clerk"]),
    "entry_a": ("马集录入员", "MJ", ["entry"]),
    "entry_b": ("柳林录入员", "LL", ["entry"]),
    "admin_a": ("马集管理员", "MJ", ["admin"]),
}


def org(session: Session, name: str, code: str, level: OrgLevel, kind: OrgKind, parent=None) -> Organization:
    """Add an organisation and flush so its path is set."""
    node = Organization(name=name, code=code, level=level, kind=kind, parent=parent)
    session.add(node)
    session.flush()
    return node


def mediator(
    session: Session, name: str, organization: Organization, seq: int, gender=Gender.MALE
) -> Mediator:
    """Add a mediator with a valid ID number."""
    person = Mediator(
        name=name,
        gender=gender,
        organization=organization,
        id_number=make_id_number(REGION, date(1970, 1, 1 + seq % 28), seq, gender.value),
        birth_date=date(1970, 1, 1 + seq % 28),
        phone=f"1380000{seq:04d}",
    )
    session.add(person)
    return person


def honour(session: Session, person: Mediator, seq: int, year: int = 2025) -> Recognition:
    """Add an approved 调解能手 of `year` for `person` (serial 能手〔year〕00N号), as approval leaves it."""
    rec = Recognition(
        year=year,
        title="调解能手",
        mediator=person,
        organization=person.organization,
        status=RecognitionStatus.APPROVED,
        nominated_on=date(year, 12, 1),
        decided_at=datetime(year + 1, 1, 5, 2, tzinfo=UTC),
        serial=f"能手〔{year}〕{seq:03d}号",
        serial_seq=seq,
    )
    session.add(rec)
    return rec


def build_county(session: Session, password: str) -> None:
    """Create the shared county: 清河县 › 马集镇 (MJ) › 前李村, and 柳林镇 (LL) › 后王村."""
    root = org(session, "清河县司法局", "QH", OrgLevel.COUNTY, OrgKind.COORDINATION_CENTRE)
    root.credit_code = make_credit_code(REGION, "00000001", kind="11")
    mj = org(session, "马集镇人民调解委员会", "MJ", OrgLevel.TOWNSHIP, OrgKind.COMMITTEE, root)
    ll = org(session, "柳林镇人民调解委员会", "LL", OrgLevel.TOWNSHIP, OrgKind.COMMITTEE, root)
    mj_v = org(session, "前李村人民调解委员会", "MJQL", OrgLevel.VILLAGE, OrgKind.COMMITTEE, mj)
    ll_v = org(session, "后王村人民调解委员会", "LLHW", OrgLevel.VILLAGE, OrgKind.COMMITTEE, ll)
    mediator(session, "马集调解员", mj, 1)
    mediator(session, "前李调解员", mj_v, 2, Gender.FEMALE)
    mediator(session, "柳林调解员", ll, 3)
    mediator(session, "后王调解员", ll_v, 4, Gender.FEMALE)
    session.add(Expert(name="县专家", gender=Gender.MALE, profession="律师", organization=root))
    session.add(Expert(name="柳林专家", gender=Gender.FEMALE, profession="医生", organization=ll))
    codes = {"QH": root, "MJ": mj, "LL": ll}
    for username, (full_name, code, roles) in USERS.items():
        user = User(username=username, full_name=full_name, organization=codes[code])
        user.roles = roles
        user.set_password(password)
        session.add(user)
    session.flush()


@dataclass
class County:
    """Handles on the shared county's rows, loaded in the test's session."""

    root: Organization
    mj: Organization
    ll: Organization
    mj_village: Organization
    ll_village: Organization
    users: dict[str, User]
    mediators: dict[str, Mediator]
    experts: dict[str, Expert]

    @classmethod
    def load(cls, session: Session) -> County:
        """Load the shared county's rows by their codes and names."""
        orgs = {o.code: o for o in session.scalars(select(Organization))}
        return cls(
            root=orgs["QH"],
            mj=orgs["MJ"],
            ll=orgs["LL"],
            mj_village=orgs["MJQL"],
            ll_village=orgs["LLHW"],
            users={u.username: u for u in session.scalars(select(User))},
            mediators={m.name: m for m in session.scalars(select(Mediator))},
            experts={e.name: e for e in session.scalars(select(Expert))},
        )


def person(name: str, role: PartyRole = PartyRole.APPLICANT, seq: int = 1, gender=Gender.MALE) -> Party:
    """Return a natural-person party with a valid ID number."""
    return Party(
        name=name,
        role=role,
        kind=PartyKind.PERSON,
        gender=gender,
        id_number=make_id_number(REGION, date(1980, 5, seq % 28 + 1), 50 + seq % 50, gender.value),
        phone=f"1390000{seq:04d}",
    )


def new_case(
    session: Session,
    actor: User,
    organization: Organization,
    *,
    today: date,
    type_code: str = "02",
    parties: tuple[str, ...] = ("张三", "李四"),
    summary: str = "邻里之间因宅前排水沟堵塞发生争执",
    **fields: Any,
) -> Case:
    """Register a case through the workflow service (numbered, with its first event)."""
    dispute_type = session.scalar(select(DisputeType).where(DisputeType.code == type_code))
    roles = (PartyRole.APPLICANT, PartyRole.RESPONDENT, PartyRole.THIRD)
    case = Case(
        organization=organization,
        source=fields.pop("source", CaseSource.APPLICATION),
        dispute_type=dispute_type,
        summary=summary,
        people_involved=fields.pop("people_involved", max(2, len(parties))),
        accepted_on=fields.pop("accepted_on", today),
        parties=[person(name, roles[min(i, 2)], i + 1) for i, name in enumerate(parties)],
        **fields,
    )
    return cases.register(session, case, actor, today=today)


def four_fixed(case: Case, person: str = "前李调解员") -> dict[str, Any]:
    """Return the 四定 of an assignment (keywords of `cases.assign`): 定人, 定责, 定时限, 定措施."""
    return {
        "responsible_person": person,
        "responsible_unit": case.organization.name,
        "deadline": case.deadline,
        "measures": "走访双方当事人了解诉求，查明事实后组织面对面调解",
    }
