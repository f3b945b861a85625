"""Documents about a case: 人民调解协议书 (人民调解法 第二十九条) and 人民调解受理登记表.

Builders take the case and what `services.documents.issue` hands them (the serial, the original issue
of a reprint) and return the rendered PDF. They refuse what may not be printed.

身份证号: the 协议书 is handed to the parties and is what they bring to the court for 司法确认
(人民调解法 第三十三条), which identifies each party by the full number; it prints it in full, and each
print (or preview) is audited as an export of personal data. The 受理登记表 stays in the committee's
file (卷宗) and goes to neither the parties nor the court: it prints the number masked, as the screens and
exports do. Only `PRINTERS` within their subtree print either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from portal.lowcode.render import Shown, shown_sections
from portal.models.audit import AuditAction
from portal.models.auth import Role, User
from portal.models.case import AgreementForm, Case, CaseStatus, Party, PartyKind
from portal.models.document import DocumentKind, IssuedDocument
from portal.pdf import Rendered, arabic_date, qr_data_url, render, seal_data_url
from portal.services import DomainError, audit, documents
from portal.services.scope import can_reach_org
from portal.validators import age_on, birth_date_from_id, mask_id_number

#: What the print route accepts, and the IssuedDocument kind of each.
KINDS = {"acceptance": DocumentKind.ACCEPTANCE, "agreement": DocumentKind.AGREEMENT}
#: Who prints case documents: the office (文书), administrators, and mediators on site (录入员).
PRINTERS = frozenset({Role.ADMIN, Role.CLERK, Role.ENTRY})
#: Documents addressed to the parties and the court: they carry the parties' full 身份证号.
FULL_ID_KINDS = frozenset({DocumentKind.AGREEMENT})


@dataclass
class PartyLine:
    """A party as a document prints it: role, name and the particulars the law asks for, as phrases."""

    role: str
    name: str
    details: list[str]

    @property
    def text(self) -> str:
        """Return 禤国强，男，1980年5月2日出生（46岁），汉族，… as one sentence."""
        return "，".join([self.name, *self.details])


def party_line(party: Party, day: date, *, full_id: bool = False) -> PartyLine:
    """Return a party's particulars as article 29 lists them; the 身份证号 masked unless `full_id`."""
    if party.kind == PartyKind.ORGANIZATION:
        details = [
            f"统一社会信用代码{party.credit_code}" if party.credit_code else "",
            f"法定代表人{party.legal_representative}" if party.legal_representative else "",
            f"住所地{party.address}" if party.address else "",
        ]
    else:
        born = party.birth_date or birth_date_from_id(party.id_number)
        details = [
            party.gender.label if party.gender else "",
            f"{arabic_date(born)}出生（{age_on(born, day)}岁）" if born else "",
            party.ethnicity or "",
            party.occupation or "",
            f"身份证号{party.id_number if full_id else mask_id_number(party.id_number)}"
            if party.id_number
            else "",
            f"住{party.address}" if party.address else "",
        ]
    return PartyLine(party.role.label, party.name, [d for d in details if d])


def mask_name(name: str) -> str:
    """Return a person's name as the verification page may show it: 王*国, 张*."""
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 2 if len(name) > 2 else 1) + (name[-1] if len(name) > 2 else "")


def masked_parties(case: Case) -> str:
    """Return the parties for the verification page: persons masked, organisations by name."""
    names = [p.name if p.kind == PartyKind.ORGANIZATION else mask_name(p.name) for p in case.parties]
    text = "、".join(names)
    return text if len(text) <= 40 else text[:38] + "等"


def answers_of(case: Case) -> tuple[str, list[tuple[str, list[Shown]]]]:
    """Return the case's form answers (masked) under a heading naming its own form version."""
    version = case.form_version
    if version is None:
        return "", []
    title = version.title if version.title.endswith("表") else f"{version.title}表"
    return f"附加信息（{title}第{version.number}版）", shown_sections(version.body, case.answers, mask=True)


def check_printable(case: Case, kind: DocumentKind) -> None:
    """Refuse a document that does not exist for this case (no agreement, oral agreement, voided case)."""
    if case.status == CaseStatus.VOIDED:
        raise DomainError("已作废的案件不出具文书")
    if kind == DocumentKind.AGREEMENT:
        if case.agreement is None:
            raise DomainError("该案件尚未达成调解协议，不能打印调解协议书")
        if case.agreement.form == AgreementForm.ORAL:
            # 人民调解法 第二十八条: the parties chose not to have a written agreement; it is only recorded.
            raise DomainError("该案为口头协议，不制作调解协议书（人民调解法第二十八条）")


def printable(case: Case, kind: DocumentKind) -> bool:
    """Return whether `check_printable` lets the document through."""
    try:
        check_printable(case, kind)
    except DomainError:
        return False
    return True


def _common(case: Case, serial: str | None, original: IssuedDocument | None, draft: bool) -> dict[str, Any]:
    heading, sections = answers_of(case)
    return {
        "case": case,
        "answers_heading": heading,
        "answers": sections,
        # The verification line is the running element of the other documents (bottom-left margin), so
        # `serial` for the base template's fixed line stays unset.
        "doc_serial": serial,
        "qr": qr_data_url(serial) if serial else None,
        "reprint": original,
        "draft": draft,
    }


def agreement(
    case: Case, *, serial: str | None, original: IssuedDocument | None, draft: bool = False
) -> Rendered:
    """Render the 人民调解协议书 of a settled case, numbered like the case."""
    check_printable(case, DocumentKind.AGREEMENT)
    record = case.agreement
    assert record is not None  # noqa: S101 - check_printable refused it otherwise
    organization = case.organization
    return render(
        "agreement.html",
        agreement=record,
        parties=[party_line(p, record.signed_on, full_id=True) for p in case.parties],
        # One copy per party and one kept by the committee (人民调解法 第二十九条).
        copies=len(case.parties) + 1,
        organization=organization,
        seal=seal_data_url(organization.seal_png),
        signed_on=arabic_date(record.signed_on),
        deadline=arabic_date(record.performance_deadline) if record.performance_deadline else "",
        **_common(case, serial, original, draft),
    )


def acceptance(
    case: Case, *, serial: str | None, original: IssuedDocument | None, draft: bool = False
) -> Rendered:
    """Render the 人民调解受理登记表 of a case."""
    check_printable(case, DocumentKind.ACCEPTANCE)
    return render(
        "acceptance.html",
        parties=[party_line(p, case.accepted_on) for p in case.parties],
        accepted_on=arabic_date(case.accepted_on),
        occurred_on=arabic_date(case.occurred_on) if case.occurred_on else "",
        deadline=arabic_date(case.deadline),
        **_common(case, serial, original, draft),
    )


BUILDERS = {DocumentKind.AGREEMENT: agreement, DocumentKind.ACCEPTANCE: acceptance}


def issue(session: Session, case: Case, kind: DocumentKind, actor: User) -> tuple[IssuedDocument, bytes]:
    """Print a case document for `actor` and record it; a second print is a 补打 of the first. Commits."""
    if not actor.has_role(*PRINTERS) or not can_reach_org(actor, case.organization):
        raise DomainError("您不能出具该案件的文书")
    check_printable(case, kind)
    build = BUILDERS[kind]

    def render_and_audit(serial: str, original: IssuedDocument | None) -> Rendered:
        rendered = build(case, serial=serial, original=original)
        if kind in FULL_ID_KINDS:
            audit_full_id(session, case, kind, actor, serial=serial)
        return rendered

    return documents.issue(
        session,
        kind=kind,
        subject_type="case",
        subject_id=case.id,
        title=f"{kind.label}（{case.number}）",
        number=case.number,
        masked_name=masked_parties(case),
        organization=case.organization,
        actor=actor,
        render=render_and_audit,
    )


def audit_full_id(
    session: Session, case: Case, kind: DocumentKind, actor: User, *, serial: str | None
) -> None:
    """Record that `actor` printed a document of `case` carrying the parties' full 身份证号; no commit."""
    what = f"{kind.label}（草稿）" if serial is None else kind.label
    audit.record(
        session,
        AuditAction.EXPORT,
        "dispute_case",
        case.id,
        f"{actor.full_name}打印{what}（含当事人完整身份证号）：{case.number}",
        document=[None, kind.label],
        case_number=[None, case.number],
        printed_by=[None, actor.full_name],
        serial=[None, serial],
    )
