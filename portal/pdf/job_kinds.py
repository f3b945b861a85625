"""What a batch print (批量打印) can print: the choice a clerk confirms, and how each document is made.

Three kinds, each with its criteria and its documents:

- 调解能手荣誉证书: every approved honour of a year in the clerk's subtree, one page each;
- 考评结果通知书: every target of an assessment round (草稿 while the round is open: no serials);
- 人民调解协议书: the written agreements of an organisation's subtree signed within a span of dates,
  optionally only those never printed; each carries the parties' full 身份证号 and its print is audited.

`criteria_from` reads the criteria a form sent (Chinese messages for what it cannot use), `select` lists
what they cover — the count and the names the clerk confirms — and `plan` tells `pdf.jobs` how to check,
lay out and record each document when the job runs. A document that can no longer be printed when its
turn comes (an honour revoked, a case voided) is left out with the reason; the rest of the batch prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session, selectinload

from portal import clock
from portal.models.assessment import Assessment, AssessmentRound
from portal.models.auth import User
from portal.models.case import Agreement, AgreementForm, Case, CaseStatus
from portal.models.document import DocumentKind, IssuedDocument
from portal.models.org import Organization
from portal.models.print_job import PrintJob, PrintJobKind
from portal.models.recognition import Recognition, RecognitionStatus
from portal.pdf import Source, assessment_documents, case_documents, certificates
from portal.services import DomainError
from portal.services.scope import can_reach_org, org_in_scope
from portal.validators import date_window_error

#: The most documents one job may hold (a county has a few hundred honours or targets a year).
MAX_ITEMS = 5000
#: The years a certificate batch may name.
YEARS = range(2000, 2101)


@dataclass
class Item:
    """One document of a selection: the subject's id and how the confirmation lists it."""

    id: int
    label: str
    note: str = ""


@dataclass
class Selection:
    """What a batch would print, shown to the clerk before it starts (and stored on the job)."""

    kind: PrintJobKind
    #: What it prints, without the count: 2025年度调解能手荣誉证书.
    heading: str
    #: The subtree the records come from: who may see and download the job.
    organization: Organization
    #: The criteria as stored on the job (JSON): year, round_id, or org/signed_from/signed_to/unprinted.
    criteria: dict[str, Any]
    items: list[Item]
    #: In words, for the confirmation: 2025年度 · 清河县司法局及下级 …
    description: str
    #: A 草稿 batch: no serials, nothing issued.
    draft: bool = False
    #: How many of the items were issued before (printed again as 补打).
    reprints: int = 0

    @property
    def ids(self) -> list[int]:
        return [item.id for item in self.items]

    def title_for(self, count: int) -> str:
        """Return the job's title for `count` documents: 2025年度调解能手荣誉证书（12份）."""
        return f"{self.heading}（{count}份{'，草稿' if self.draft else ''}）"

    @property
    def title(self) -> str:
        return self.title_for(len(self.items))


@dataclass
class Plan:
    """How a running job checks, lays out and records its documents."""

    kind: DocumentKind
    draft: bool
    #: ids -> {id: subject} (missing ids are absent).
    load: Callable[[list[int]], dict[int, Any]]
    #: (id, subject or None) -> (name, reason) when the document cannot be printed now, else None.
    refuse: Callable[[int, Any], tuple[str, str] | None]
    #: A chunk of (subject, serial or None) -> its markup, as (source, documents in it) pairs.
    sources: Callable[[list[tuple[Any, str | None]]], list[tuple[Source, int]]]
    #: subject -> the `IssuedDocument` fields (kind, subject, title, number, masked name, organisation).
    fields: Callable[[Any], dict[str, Any]]
    #: Called for each issued document with (session, subject, serial): the agreements' personal-data audit.
    on_issue: Callable[[Session, Any, str], None] | None = None
    #: Subject ids already issued before this job, for the 补打 marks: filled by `pdf.jobs`.
    originals: dict[int, IssuedDocument] = field(default_factory=dict)


# --- criteria ------------------------------------------------------------------------------------------


def criteria_from(kind: PrintJobKind, values: Mapping[str, Any], actor: User) -> dict[str, Any]:
    """Return the criteria of `kind` read from a form or query string (`values`); DomainError if unusable."""
    if kind == PrintJobKind.CERTIFICATES:
        year = _int(values.get("year"))
        if year is None or year not in YEARS:
            raise DomainError("请填写要打印证书的年度", field="year")
        return {"year": year}
    if kind == PrintJobKind.EVALUATIONS:
        if not values.get("round_id"):
            raise DomainError("请选择考评批次", field="round_id")
        round_id = _int(values.get("round_id"))
        if round_id is None:
            raise DomainError("考评批次不存在或不在您的管辖范围内", field="round_id")
        return {"round_id": round_id}
    org_id = _int(values.get("org")) if values.get("org") else actor.organization_id
    if org_id is None:
        raise DomainError("调解组织不存在或不在您的管辖范围内", field="org")
    today = clock.today()
    signed_from = _date(values.get("signed_from"), "起始日期", today - timedelta(days=30))
    signed_to = _date(values.get("signed_to"), "截止日期", today)
    if signed_from > signed_to:
        raise DomainError("协议签订日期的起始日期不能晚于截止日期", field="signed_from")
    unprinted = str(values.get("unprinted") or "") in ("1", "y", "on", "true")
    return {
        "org": org_id,
        "signed_from": signed_from.isoformat(),
        "signed_to": signed_to.isoformat(),
        "unprinted": unprinted,
    }


def _date(raw: Any, label: str, default: date) -> date:
    text = str(raw or "").strip()
    if not text:
        return default
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise DomainError(f"协议签订{label}格式应为 年-月-日，例如 2026-11-01", field="signed_from") from None
    if message := date_window_error(value, past=True):
        raise DomainError(f"协议签订{label}：{message}", field="signed_from")
    return value


# --- selections ----------------------------------------------------------------------------------------


def select(session: Session, actor: User, kind: PrintJobKind, criteria: dict[str, Any]) -> Selection:
    """Return what `criteria` cover in the actor's subtree; DomainError when nothing (or too much) does."""
    chosen = SELECTIONS[kind](session, actor, criteria)
    if len(chosen.items) > MAX_ITEMS:
        raise DomainError(f"一次最多打印{MAX_ITEMS}份，请缩小范围后分批打印")
    return chosen


def _certificates(session: Session, actor: User, criteria: dict[str, Any]) -> Selection:
    year = criteria["year"]
    recs = session.scalars(
        sql_select(Recognition)
        .where(
            Recognition.year == year,
            Recognition.status == RecognitionStatus.APPROVED,
            org_in_scope(actor, Recognition.organization_id),
        )
        .options(selectinload(Recognition.mediator), selectinload(Recognition.organization))
        .order_by(Recognition.serial_seq, Recognition.id)
    ).all()
    if not recs:
        raise DomainError(f"{year}年度在您的管辖范围内没有已批准的调解能手，没有可打印的证书")
    before = _issued_before(session, DocumentKind.CERTIFICATE, "recognition", [r.id for r in recs])
    return Selection(
        kind=PrintJobKind.CERTIFICATES,
        heading=f"{year}年度调解能手荣誉证书",
        organization=actor.organization,
        criteria={"year": year},
        items=[Item(r.id, f"{r.serial or ''} {r.mediator.name}", r.organization.name) for r in recs],
        description=f"{year}年度已批准的调解能手 · {actor.organization.name}及下级",
        reprints=len(before),
    )


def _evaluations(session: Session, actor: User, criteria: dict[str, Any]) -> Selection:
    rnd = session.get(AssessmentRound, criteria["round_id"])
    if rnd is None or not can_reach_org(actor, rnd.organization):
        raise DomainError("考评批次不存在或不在您的管辖范围内", field="round_id")
    ranked = sorted(rnd.assessments, key=lambda a: (a.rank or 10**6, a.target_name))
    if not ranked:
        raise DomainError("该考评批次没有考评对象，没有可打印的通知书", field="round_id")
    draft = assessment_documents.is_draft(rnd)
    before = (
        []
        if draft
        else _issued_before(session, DocumentKind.EVALUATION, "assessment", [a.id for a in ranked])
    )
    return Selection(
        kind=PrintJobKind.EVALUATIONS,
        heading=f"{rnd.title}考评结果通知书",
        organization=rnd.organization,
        criteria={"round_id": rnd.id, "draft": draft},
        items=[Item(a.id, a.target_name, f"第{a.rank}名" if a.rank else "") for a in ranked],
        description=f"考评批次：{rnd.title}" + ("（未定稿，打印为草稿，不出具核验码）" if draft else ""),
        draft=draft,
        reprints=len(before),
    )


def _agreements(session: Session, actor: User, criteria: dict[str, Any]) -> Selection:
    org = session.get(Organization, criteria["org"])
    if org is None or not can_reach_org(actor, org):
        raise DomainError("调解组织不存在或不在您的管辖范围内", field="org")
    signed_from, signed_to = (
        date.fromisoformat(criteria["signed_from"]),
        date.fromisoformat(criteria["signed_to"]),
    )
    found = session.scalars(
        sql_select(Case)
        .join(Case.agreement)
        .join(Case.organization)
        .where(
            Organization.path.startswith(org.path, autoescape=True),
            Case.status != CaseStatus.VOIDED,
            Agreement.form == AgreementForm.WRITTEN,
            Agreement.signed_on.between(signed_from, signed_to),
        )
        .options(selectinload(Case.agreement), selectinload(Case.parties))
        .order_by(Case.accepted_on, Case.id)
        .limit(MAX_ITEMS + 1)
    ).all()
    before = _issued_before(session, DocumentKind.AGREEMENT, "case", [c.id for c in found])
    if criteria.get("unprinted"):
        found = [c for c in found if c.id not in before]
    span = f"{_cn(signed_from)}至{_cn(signed_to)}"
    if not found:
        what = "尚未打印过的" if criteria.get("unprinted") else ""
        raise DomainError(f"{org.name}及下级在{span}没有{what}书面调解协议，没有可打印的协议书")
    return Selection(
        kind=PrintJobKind.AGREEMENTS,
        heading=f"{org.name}{span}签订的调解协议书",
        organization=org,
        criteria=criteria,
        items=[
            Item(c.id, f"{c.number} {case_documents.masked_parties(c)}", _cn(c.agreement.signed_on))
            for c in found
            if c.agreement is not None
        ],
        description=f"{org.name}及下级 · 协议签订日期{span}"
        + (" · 仅尚未打印过的" if criteria.get("unprinted") else ""),
        reprints=0 if criteria.get("unprinted") else sum(1 for c in found if c.id in before),
    )


def _int(raw: Any) -> int | None:
    """Return `raw` as a positive int that fits an id column (plain digits only), else None."""
    text = str(raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value < 2**31 else None


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _issued_before(session: Session, kind: DocumentKind, subject_type: str, ids: list[int]) -> set[int]:
    """Return the subjects among `ids` with a document of `kind` issued before."""
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(
            session.scalars(
                sql_select(IssuedDocument.subject_id).where(
                    IssuedDocument.kind == kind,
                    IssuedDocument.subject_type == subject_type,
                    IssuedDocument.subject_id.in_(ids[start : start + 500]),
                )
            )
        )
    return found


SELECTIONS: dict[PrintJobKind, Callable[[Session, User, dict[str, Any]], Selection]] = {
    PrintJobKind.CERTIFICATES: _certificates,
    PrintJobKind.EVALUATIONS: _evaluations,
    PrintJobKind.AGREEMENTS: _agreements,
}


# --- plans -----------------------------------------------------------------------------------------------


def plan(session: Session, job: PrintJob) -> Plan:
    """Return how `job` prints its documents; DomainError when the whole job cannot go on."""
    return PLANS[job.kind](session, job)


def _by_id(session: Session, model: Any, ids: list[int], *options: Any) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for start in range(0, len(ids), 500):
        query = sql_select(model).where(model.id.in_(ids[start : start + 500])).options(*options)
        found.update((row.id, row) for row in session.scalars(query))
    return found


def _certificate_plan(session: Session, job: PrintJob) -> Plan:
    def refuse(rid: int, rec: Recognition | None) -> tuple[str, str] | None:
        if rec is None:
            return f"编号{rid}", "荣誉记录已不存在，证书未打印"
        if rec.status != RecognitionStatus.APPROVED or not rec.serial:
            return rec.mediator.name, f"荣誉当前为「{rec.status.label}」，证书未打印"
        return None

    made = Plan(
        kind=DocumentKind.CERTIFICATE,
        draft=False,
        load=lambda ids: _by_id(
            session,
            Recognition,
            ids,
            selectinload(Recognition.mediator),
            selectinload(Recognition.organization),
        ),
        refuse=refuse,
        sources=lambda chunk: [
            (_source(certificates.certificate_batch(cast(Any, chunk), made.originals)), len(chunk))
        ],
        fields=certificates.issue_fields,
    )
    return made


def _evaluation_plan(session: Session, job: PrintJob) -> Plan:
    rnd = session.get(AssessmentRound, job.parameters["round_id"])
    if rnd is None:
        raise DomainError("考评批次已不存在，通知书未打印")
    draft = bool(job.parameters.get("draft", assessment_documents.is_draft(rnd)))
    if not draft and assessment_documents.is_draft(rnd):
        raise DomainError("考评批次已重新打开，通知书未打印；定稿后请重新提交批量打印")
    members = {a.id: a for a in rnd.assessments}

    def refuse(aid: int, assessment: Assessment | None) -> tuple[str, str] | None:
        if assessment is None:
            return f"编号{aid}", "考评对象已从批次中移除，通知书未打印"
        return None

    return Plan(
        kind=DocumentKind.EVALUATION,
        draft=draft,
        load=lambda ids: {i: members[i] for i in ids if i in members},
        refuse=refuse,
        sources=lambda chunk: [(_source(assessment_documents.evaluation_batch(chunk, draft)), len(chunk))],
        fields=assessment_documents.evaluation_issue_fields,
    )


def _agreement_plan(session: Session, job: PrintJob) -> Plan:
    requester = job.requested_by

    def refuse(cid: int, case: Case | None) -> tuple[str, str] | None:
        if case is None:
            return f"编号{cid}", "案件已不存在，协议书未打印"
        if requester is not None and not can_reach_org(requester, case.organization):
            return case.number, "案件已不在提交人的管辖范围内，协议书未打印"
        try:
            case_documents.check_printable(case, DocumentKind.AGREEMENT)
        except DomainError as exc:
            return case.number, exc.message
        return None

    def sources(chunk: list[tuple[Case, str | None]]) -> list[tuple[Source, int]]:
        return [
            (_source(case_documents.agreement(case, serial=serial, original=made.originals.get(case.id))), 1)
            for case, serial in chunk
        ]

    def audit_full_id(session: Session, case: Case, serial: str) -> None:
        if requester is not None:
            case_documents.audit_full_id(session, case, DocumentKind.AGREEMENT, requester, serial=serial)

    made = Plan(
        kind=DocumentKind.AGREEMENT,
        draft=False,
        load=lambda ids: _by_id(
            session,
            Case,
            ids,
            selectinload(Case.agreement),
            selectinload(Case.parties),
            selectinload(Case.organization),
        ),
        refuse=refuse,
        sources=sources,
        fields=agreement_fields,
        on_issue=audit_full_id,
    )
    return made


def agreement_fields(case: Case) -> dict[str, Any]:
    """Return the `IssuedDocument` fields of a case's 协议书, as a single print records them."""
    kind = DocumentKind.AGREEMENT
    return {
        "kind": kind,
        "subject_type": "case",
        "subject_id": case.id,
        "title": f"{kind.label}（{case.number}）",
        "number": case.number,
        "masked_name": case_documents.masked_parties(case),
        "organization": case.organization,
    }


def _source(rendered: Any) -> Source:
    """Return the markup of a document built inside `markup_only()`."""
    source = rendered.source
    if source is None:  # rendered outside markup_only(): a programming error, not the clerk's
        raise RuntimeError("batch documents must be built inside pdf.markup_only()")
    return source


PLANS: dict[PrintJobKind, Callable[[Session, PrintJob], Plan]] = {
    PrintJobKind.CERTIFICATES: _certificate_plan,
    PrintJobKind.EVALUATIONS: _evaluation_plan,
    PrintJobKind.AGREEMENTS: _agreement_plan,
}
