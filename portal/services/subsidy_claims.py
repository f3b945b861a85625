"""以案定补申报: a quarter's claim, 申报 → 审核 → 审批 → 发放, and what it may not do twice.

The period is the quarter (季度): the county pays the subsidy quarterly, each committee or 司法所
declaring the settled cases of its subtree whose agreement was signed in the quarter, once the
quarter has ended. A claim is made from the computed sheet (`subsidies.compute_sheet`), one line
per mediator per case, with the amounts frozen as declared.

Who does what (属地管理: every step also needs the claim's organisation in the actor's subtree):

- 申报, 撤回 (before 审核), 重新报送 (after a 退回): 录入员 or 管理员 of the organisation's subtree;
- 审核 — 核定金额 per line with a reason, 审核通过, or 退回 with a reason: the county's 考评员;
- 审批 (the amounts are locked from here on) or 退回: the county's 管理员, not the one who reviewed;
- 发放 (date, method, voucher number): the county's 管理员.

"The county" is a user whose organisation is at the 区/县 level. Every step checks the version the
user saw, records a `SubsidyClaimEvent` (logged in the audit as that step), bumps the claim's
version and commits; a refused step raises `DomainError` and changes nothing.

No double pay: a case already held by a claim in force (not withdrawn) is left off a new claim and
listed; the partial unique index on `subsidy_claim_case` refuses it in the database should two
claims be declared at the same moment. One claim in force per organisation and quarter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import clock
from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.models.case import Case
from portal.models.org import Organization, OrgLevel
from portal.models.people import Mediator
from portal.models.review import DocumentCounter
from portal.models.subsidy import (
    ClaimEventKind,
    ClaimStatus,
    PaymentMethod,
    SubsidyClaim,
    SubsidyClaimCase,
    SubsidyClaimEvent,
    SubsidyClaimLine,
)
from portal.services import DomainError, subsidies
from portal.services.numbering import reserve
from portal.services.scope import can_reach_org, org_in_scope

K = ClaimEventKind
S = ClaimStatus
CENT = Decimal("0.01")
#: The highest amount one line may be allowed (the tier table's own bound).
MAX_LINE = Decimal(100000)
#: The 申报单号 series in `DocumentCounter`.
NUMBER_SERIES = "subsidy_claim"
FIRST_YEAR, LAST_YEAR = 2000, 2100
QUARTERS = "一二三四"

DECLARERS = frozenset({Role.ADMIN, Role.ENTRY})
STALE = "该申报单已被他人更新，请刷新页面查看最新情况后再办理（本次操作未保存）。"
DOUBLE_CASE = "同一案件只能列入一份有效的申报单（已撤回的除外），不能重复申报（本次申报未保存）。"
DOUBLE_PERIOD = "该单位本季度已有申报单，不能重复申报（本次申报未保存）。"

#: The statuses each step may be taken from. Everything a user can do to a claim is listed here.
STEPS: dict[ClaimEventKind, frozenset[ClaimStatus]] = {
    K.ADJUST: frozenset({S.DECLARED}),
    K.REVIEW: frozenset({S.DECLARED}),
    K.RETURN: frozenset({S.DECLARED, S.REVIEWED}),
    K.RESUBMIT: frozenset({S.DECLARED}),
    K.WITHDRAW: frozenset({S.DECLARED}),
    K.APPROVE: frozenset({S.REVIEWED}),
    K.PAY: frozenset({S.APPROVED}),
}


# --- periods ----------------------------------------------------------------------------------------

PERIOD_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")


def quarter_of(day: date) -> str:
    """Return the quarter of a day as `2026Q4`."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def parse_period(value: str | None) -> tuple[int, int] | None:
    """Return (year, quarter) of `2026Q4`, or None unless it is a quarter of the accepted years."""
    found = PERIOD_PATTERN.match((value or "").strip().upper())
    if found is None:
        return None
    year, quarter = int(found[1]), int(found[2])
    return (year, quarter) if FIRST_YEAR <= year <= LAST_YEAR else None


def period_bounds(period: str) -> tuple[date, date]:
    """Return the first and last day of a quarter `2026Q4`."""
    parsed = parse_period(period)
    if parsed is None:
        raise DomainError("申报期间应为某年某季度，如2026Q4", "period")
    year, quarter = parsed
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def period_label(period: str) -> str:
    """Return `2026年第四季度` for `2026Q4` (the value itself when it is not a quarter)."""
    parsed = parse_period(period)
    if parsed is None:
        return period
    return f"{parsed[0]}年第{QUARTERS[parsed[1] - 1]}季度"


def recent_periods(today: date, count: int = 8) -> list[str]:
    """Return the current quarter and the `count - 1` before it, newest first."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    found = []
    for _ in range(count):
        found.append(f"{year}Q{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return found


def last_ended_period(today: date) -> str:
    """Return the last quarter that has ended (the one offices declare)."""
    return recent_periods(today, 2)[1]


# --- who may do what ---------------------------------------------------------------------------------


def is_county(actor: User) -> bool:
    """Return whether the actor works at the county (区/县) level, which reviews, approves and pays."""
    return actor.organization is not None and actor.organization.level == OrgLevel.COUNTY


def _role_refusal(claim: SubsidyClaim, actor: User, kind: ClaimEventKind) -> str | None:
    if kind in (K.WITHDRAW, K.RESUBMIT):
        if not actor.has_role(*DECLARERS):
            return f"只有申报单位的录入员或管理员可以{kind.label}"
        if kind == K.RESUBMIT and not claim.is_returned:
            return "申报单未被退回，无需重新报送"
        return None
    reviewing = kind in (K.ADJUST, K.REVIEW) or (kind == K.RETURN and claim.status == S.DECLARED)
    if reviewing:
        if not (actor.has_role(Role.EVALUATOR) and is_county(actor)):
            return f"以案定补由县（区）司法局考评员审核，您不能办理「{kind.label}」"
        if claim.is_returned:
            return "申报单已退回申报单位，待其重新报送或撤回后再审核"
        return None
    if not (actor.has_role(Role.ADMIN) and is_county(actor)):
        return f"以案定补由县（区）司法局管理员审批和发放，您不能办理「{kind.label}」"
    if kind == K.APPROVE and claim.reviewed_by_id == actor.id:
        return "审核人与审批人不能为同一人"
    if kind == K.APPROVE and claim.declared_by_id == actor.id:
        return "申报人与审批人不能为同一人"
    return None


def refusal(claim: SubsidyClaim, actor: User, kind: ClaimEventKind) -> str | None:
    """Return why `actor` may not take step `kind` on `claim` now, or None if they may."""
    if not can_reach_org(actor, claim.organization):
        return "该申报单不在您单位的管辖范围内，不能办理"
    if claim.status not in STEPS[kind]:
        return f"申报单当前状态为「{claim.status.label}」，不能办理「{kind.label}」"
    return _role_refusal(claim, actor, kind)


def available_steps(claim: SubsidyClaim, actor: User) -> list[ClaimEventKind]:
    """Return the steps the actor may take on the claim now, in `STEPS` order."""
    return [kind for kind in STEPS if refusal(claim, actor, kind) is None]


def check_step(claim: SubsidyClaim, actor: User, kind: ClaimEventKind, expected_version: int | None) -> None:
    """Raise `DomainError` unless the actor may take the step on the version they saw."""
    reason = refusal(claim, actor, kind)
    if reason:
        raise DomainError(reason)
    if expected_version is not None and expected_version != claim.version:
        raise DomainError(STALE)


def _required(value: Any, message: str, name: str | None = None) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(message, name)
    return value.strip() if isinstance(value, str) else value


def record_step(
    session: Session,
    claim: SubsidyClaim,
    actor: User,
    kind: ClaimEventKind,
    *,
    to: ClaimStatus | None = None,
    note: str | None = None,
    **details: Any,
) -> SubsidyClaimEvent:
    """Record a step, move the claim to `to` and bump its version."""
    step = SubsidyClaimEvent(
        claim=claim,
        kind=kind,
        from_status=claim.status,
        to_status=to or claim.status,
        actor=actor,
        actor_name=actor.full_name,
        note=(note or "").strip() or None,
        details={k: v for k, v in details.items() if v not in (None, "")},
    )
    session.add(step)
    if to is not None:
        claim.status = to
    claim.updated_at = utcnow()  # the row changes even when only a line did, so its version moves on
    return step


# --- the draft of a claim ----------------------------------------------------------------------------


@dataclass
class DraftCase:
    """A case the claim would list: its tier and each mediator's share (lowest mediator id first)."""

    case: Case
    tier: Decimal
    shares: list[tuple[Mediator, Decimal]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((share for _m, share in self.shares), Decimal(0))

    @property
    def signed_on(self) -> date:
        """Return the day the agreement was signed (every case of a sheet has one)."""
        assert self.case.agreement is not None
        return self.case.agreement.signed_on


@dataclass
class Draft:
    """What a claim of `organization` for `period` would hold, and the cases it leaves out."""

    organization: Organization
    period: str
    start: date
    end: date
    cases: list[DraftCase]
    #: Cases already on a claim in force: (case, that claim's number).
    held: list[tuple[Case, str]]
    #: Cases of the period that earn nothing, with the reason (`subsidies.exclusion`).
    excluded: list[tuple[Case, str]]

    @property
    def total(self) -> Decimal:
        return sum((c.total for c in self.cases), Decimal(0))

    @property
    def label(self) -> str:
        return period_label(self.period)


def held_by(session: Session, case_ids: Iterable[int]) -> dict[int, str]:
    """Return {case id: claim number} of the cases held by a claim in force."""
    ids = list(case_ids)
    if not ids:
        return {}
    return dict(
        session.execute(
            select(SubsidyClaimCase.case_id, SubsidyClaim.number)
            .join(SubsidyClaim, SubsidyClaimCase.claim_id == SubsidyClaim.id)
            .where(SubsidyClaimCase.case_id.in_(ids), SubsidyClaimCase.released.is_(False))
        ).all()
    )


def prepare(session: Session, actor: User, organization: Organization, period: str) -> Draft:
    """Compute what a claim of the organisation's subtree for the quarter would hold (nothing stored)."""
    start, end = period_bounds(period)
    sheet = subsidies.compute_sheet(session, actor, start=start, end=end, organization=organization)
    by_case: dict[int, DraftCase] = {}
    for row in sheet.rows:
        for line in row.lines:
            entry = by_case.setdefault(line.case.id, DraftCase(line.case, line.tier_amount))
            entry.shares.append((row.mediator, line.share))
    taken = held_by(session, by_case)
    cases, held = [], []
    for entry in sorted(by_case.values(), key=lambda c: (c.signed_on, c.case.id)):
        entry.shares.sort(key=lambda pair: pair[0].id)
        if entry.case.id in taken:
            held.append((entry.case, taken[entry.case.id]))
        else:
            cases.append(entry)
    return Draft(organization, period, start, end, cases, held, sheet.excluded)


def live_claim(session: Session, organization: Organization, period: str) -> SubsidyClaim | None:
    """Return the organisation's claim in force for the quarter, if any."""
    return session.scalar(
        select(SubsidyClaim).where(
            SubsidyClaim.organization_id == organization.id,
            SubsidyClaim.period == period,
            SubsidyClaim.status != S.WITHDRAWN,
        )
    )


def check_declare(actor: User, organization: Organization | None, period: str, today: date) -> None:
    """Raise `DomainError` unless the actor may declare for the organisation and the ended quarter."""
    if not actor.has_role(*DECLARERS):
        raise DomainError("只有录入员或管理员可以申报以案定补")
    if organization is None or not can_reach_org(actor, organization):
        raise DomainError("请选择本单位或下级的调解组织", "organization")
    _start, end = period_bounds(period)
    if end >= today:
        raise DomainError(
            f"{period_label(period)}尚未结束（至{end:%Y年%m月%d日}），季度结束后方可申报", "period"
        )


# --- the steps ---------------------------------------------------------------------------------------


def declare(
    session: Session,
    actor: User,
    organization: Organization,
    *,
    period: str,
    note: str | None = None,
    today: date,
) -> SubsidyClaim:
    """申报: store the claim of the organisation's subtree for the quarter, amounts frozen. Commits."""
    check_declare(actor, organization, period, today)
    existing = live_claim(session, organization, period)
    if existing is not None:
        raise DomainError(
            f"{organization.name}{period_label(period)}已有申报单{existing.number}（{existing.status.label}），"
            "不能重复申报；如需更正，请先撤回原申报单"
        )
    draft = prepare(session, actor, organization, period)
    if not draft.cases:
        if draft.held:
            listed = "、".join(f"{case.number}（{number}）" for case, number in draft.held[:10])
            raise DomainError(f"该期间可计补的案件均已列入其他申报单，同一案件不能重复申报：{listed}")
        raise DomainError(f"{period_label(period)}没有符合以案定补条件的案件，无需申报")
    start, end = draft.start, draft.end
    seq = reserve(
        session, DocumentCounter, kind=NUMBER_SERIES, organization_id=organization.id, year=today.year
    )
    claim = SubsidyClaim(
        organization=organization,
        period=period,
        period_start=start,
        period_end=end,
        year=today.year,
        seq=seq,
        number=f"{organization.code}补申〔{today.year}〕{seq}号",
        declared_total=draft.total,
        total=draft.total,
        note=(note or "").strip() or None,
        declared_on=today,
        declared_by=actor,
    )
    session.add(claim)
    with session.no_autoflush:
        for entry in draft.cases:
            claim_case = SubsidyClaimCase(
                claim=claim,
                case=entry.case,
                case_number=entry.case.number,
                organization_name=entry.case.organization.name,
                difficulty=entry.case.difficulty,
                tier_amount=entry.tier,
                signed_on=entry.signed_on,
            )
            session.add(claim_case)
            for person, share in entry.shares:
                session.add(
                    SubsidyClaimLine(
                        claim=claim,
                        claim_case=claim_case,
                        mediator=person,
                        mediator_name=person.name,
                        mediator_org_name=person.organization.name,
                        sharers=len(entry.shares),
                        declared_amount=share,
                        amount=share,
                    )
                )
    step = record_step(
        session,
        claim,
        actor,
        K.DECLARE,
        note=note,
        period=period_label(period),
        cases=len(draft.cases),
        total=f"{draft.total:.2f}",
        held="、".join(case.number for case, _n in draft.held),
    )
    step.from_status = None
    claim.status = S.DECLARED
    _flush_refusing_doubles(session)
    session.commit()
    return claim


def _flush_refusing_doubles(session: Session) -> None:
    """Flush; a case or quarter another claim took meanwhile is the Chinese message, not a 500."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        text = str(exc.orig)
        raise DomainError(DOUBLE_PERIOD if "period" in text else DOUBLE_CASE) from None


def parse_amount(value: Any) -> Decimal:
    """Return an allowed amount in yuan to the fen, or raise `DomainError` (0 to MAX_LINE)."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError("请填写核定金额（元），如80或80.50", "amount") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_LINE:
        raise DomainError(f"核定金额应在0至{MAX_LINE}元之间", "amount")
    if amount != amount.quantize(CENT):
        raise DomainError("核定金额最多保留两位小数（分）", "amount")
    return amount.quantize(CENT)


def adjust(
    session: Session,
    claim: SubsidyClaim,
    line: SubsidyClaimLine,
    actor: User,
    *,
    amount: Any,
    reason: str,
    expected_version: int | None = None,
) -> SubsidyClaimLine:
    """核定金额: change one line's allowed amount during 审核, with the reason. Commits."""
    check_step(claim, actor, K.ADJUST, expected_version)
    if line.claim_id != claim.id:
        raise DomainError("该明细不属于本申报单")
    allowed = parse_amount(amount)
    reason = _required(reason, "请填写调整理由", "reason")
    if allowed == line.amount:
        raise DomainError("核定金额与现有金额相同，无需调整", "amount")
    before = line.amount
    line.amount = allowed
    line.adjust_reason = reason
    claim.total = sum((item.amount for item in claim.lines), Decimal(0))
    record_step(
        session,
        claim,
        actor,
        K.ADJUST,
        note=reason,
        case=line.claim_case.case_number,
        mediator=line.mediator_name,
        before=f"{before:.2f}",
        after=f"{allowed:.2f}",
        total=f"{claim.total:.2f}",
    )
    session.commit()
    return line


def return_claim(
    session: Session, claim: SubsidyClaim, actor: User, *, reason: str, expected_version: int | None = None
) -> SubsidyClaim:
    """退回: send the claim back to its organisation (to 申报) with the reason, for another 审核. Commits."""
    check_step(claim, actor, K.RETURN, expected_version)
    claim.return_reason = _required(reason, "请填写退回理由", "reason")
    claim.reviewed_by = None
    claim.reviewed_at = None
    record_step(session, claim, actor, K.RETURN, to=S.DECLARED, note=reason)
    session.commit()
    return claim


def resubmit(
    session: Session, claim: SubsidyClaim, actor: User, *, note: str, expected_version: int | None = None
) -> SubsidyClaim:
    """重新报送: the organisation answers a 退回 and sends the claim for 审核 again. Commits."""
    check_step(claim, actor, K.RESUBMIT, expected_version)
    _required(note, "请说明补正情况", "note")
    record_step(session, claim, actor, K.RESUBMIT, note=note, returned=claim.return_reason)
    claim.return_reason = None
    session.commit()
    return claim


def withdraw(
    session: Session, claim: SubsidyClaim, actor: User, *, reason: str, expected_version: int | None = None
) -> SubsidyClaim:
    """撤回: withdraw the claim before 审核; its cases may be declared again. Commits."""
    check_step(claim, actor, K.WITHDRAW, expected_version)
    claim.withdraw_reason = _required(reason, "请填写撤回理由", "reason")
    for claim_case in claim.cases:
        claim_case.released = True
    record_step(session, claim, actor, K.WITHDRAW, to=S.WITHDRAWN, note=reason)
    session.commit()
    return claim


def review(
    session: Session,
    claim: SubsidyClaim,
    actor: User,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> SubsidyClaim:
    """审核通过: the county's evaluator confirms the allowed amounts and passes the claim on. Commits."""
    check_step(claim, actor, K.REVIEW, expected_version)
    if claim.total <= 0:
        raise DomainError("核定金额合计为0元，不能审核通过；请退回申报单位撤回")
    claim.reviewed_by = actor
    claim.reviewed_at = utcnow()
    adjusted = sum(1 for line in claim.lines if line.adjusted)
    record_step(
        session,
        claim,
        actor,
        K.REVIEW,
        to=S.REVIEWED,
        note=note,
        total=f"{claim.total:.2f}",
        adjusted=adjusted or None,
    )
    session.commit()
    return claim


def approve(
    session: Session,
    claim: SubsidyClaim,
    actor: User,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> SubsidyClaim:
    """审批: the county's administrator approves; from here on the amounts are locked. Commits."""
    check_step(claim, actor, K.APPROVE, expected_version)
    claim.approved_by = actor
    claim.approved_at = utcnow()
    record_step(session, claim, actor, K.APPROVE, to=S.APPROVED, note=note, total=f"{claim.total:.2f}")
    session.commit()
    return claim


def pay(
    session: Session,
    claim: SubsidyClaim,
    actor: User,
    *,
    paid_on: date | None,
    method: PaymentMethod | str | None,
    voucher_number: str | None,
    note: str | None = None,
    today: date,
    expected_version: int | None = None,
) -> SubsidyClaim:
    """发放: record the payment of an approved claim (date, method, voucher number). Commits."""
    check_step(claim, actor, K.PAY, expected_version)
    if paid_on is None:
        raise DomainError("请填写发放日期", "paid_on")
    if paid_on > today:
        raise DomainError("发放日期不能晚于今天", "paid_on")
    approved_on = clock.local_date(claim.approved_at) if claim.approved_at else claim.declared_on
    if paid_on < approved_on:
        raise DomainError(f"发放日期不能早于审批日期（{approved_on:%Y-%m-%d}）", "paid_on")
    wanted = method.value if isinstance(method, PaymentMethod) else (method or "")
    chosen = next((m for m in PaymentMethod if m.value == wanted), None)
    if chosen is None:
        raise DomainError("请选择发放方式", "payment_method")
    voucher = _required(voucher_number, "请填写凭证号", "voucher_number")
    if len(voucher) > 60:
        raise DomainError("凭证号不能超过60个字符", "voucher_number")
    claim.paid_on = paid_on
    claim.payment_method = chosen
    claim.voucher_number = voucher
    claim.paid_by = actor
    record_step(
        session,
        claim,
        actor,
        K.PAY,
        to=S.PAID,
        note=note,
        paid_on=paid_on.isoformat(),
        method=chosen.label,
        voucher=voucher,
        total=f"{claim.total:.2f}",
    )
    session.commit()
    return claim


# --- reading -----------------------------------------------------------------------------------------


def scoped_claims(actor: User) -> Select[Any]:
    """Return a query of the claims the actor may see (its subtree's)."""
    return select(SubsidyClaim).where(org_in_scope(actor, SubsidyClaim.organization_id))
