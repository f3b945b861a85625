"""以案定补发放清单: the payees of a quarter's approved and paid claims in an organisation's subtree.

The list reads what the claims hold (the amounts allowed at 审核 and locked at 审批), never a
recomputation; claims still waiting for 审核 or 审批 are named beside it, and make it a draft. The
xlsx is `subsidy_sheets.payment_workbook`, the PDF `pdf.subsidy_documents.payment_list`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models.auth import User
from portal.models.org import Organization
from portal.models.subsidy import ClaimStatus, SubsidyClaim
from portal.services import DomainError
from portal.services.scope import can_reach_org
from portal.services.subsidy_claims import period_bounds, period_label

S = ClaimStatus


@dataclass
class PaymentRow:
    """One payee of a 发放清单: a mediator's cases and amount on one claim."""

    claim: SubsidyClaim
    mediator_name: str
    mediator_org: str
    cases: int
    amount: Decimal


@dataclass
class PaymentList:
    """The 发放清单 of an organisation's subtree for a quarter: approved and paid claims' payees."""

    organization: Organization
    period: str
    start: date
    end: date
    claims: list[SubsidyClaim]
    rows: list[PaymentRow]
    #: Claims of the quarter not approved yet (申报/审核): the list is a draft while there are any.
    pending: list[SubsidyClaim]

    @property
    def label(self) -> str:
        return period_label(self.period)

    @property
    def title(self) -> str:
        return f"{self.organization.name}{self.label}人民调解“以案定补”补贴发放清单"

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), Decimal(0))

    @property
    def case_count(self) -> int:
        return sum(row.cases for row in self.rows)

    @property
    def is_draft(self) -> bool:
        """Return whether the list is a draft: a claim still under way, or nothing approved yet."""
        return bool(self.pending) or not self.rows

    @property
    def fingerprint(self) -> str:
        """Return a short digest of the claims as they stand, so a print of changed contents is new."""
        text = ",".join(f"{c.id}:{c.version}" for c in sorted(self.claims, key=lambda c: c.id))
        return hashlib.sha256(text.encode()).hexdigest()[:10]


def payment_list(session: Session, actor: User, organization: Organization, period: str) -> PaymentList:
    """Return the quarter's 发放清单 of the organisation's subtree (only what the actor may see)."""
    if not can_reach_org(actor, organization):
        raise DomainError("该单位不在您单位的管辖范围内")
    start, end = period_bounds(period)
    claims = list(
        session.scalars(
            select(SubsidyClaim)
            .join(Organization, SubsidyClaim.organization_id == Organization.id)
            .where(
                SubsidyClaim.period == period,
                SubsidyClaim.status != S.WITHDRAWN,
                Organization.path.startswith(organization.path, autoescape=True),
            )
            .options(selectinload(SubsidyClaim.lines), selectinload(SubsidyClaim.organization))
            .order_by(Organization.path, SubsidyClaim.id)
        )
    )
    done = [c for c in claims if c.status in (S.APPROVED, S.PAID)]
    rows = []
    for claim in done:
        payees: dict[int, PaymentRow] = {}
        for line in claim.lines:
            row = payees.setdefault(
                line.mediator_id, PaymentRow(claim, line.mediator_name, line.mediator_org_name, 0, Decimal(0))
            )
            if line.amount > 0:
                row.cases += 1
                row.amount += line.amount
        rows.extend(
            sorted((r for r in payees.values() if r.amount > 0), key=lambda r: (-r.amount, r.mediator_name))
        )
    pending = [c for c in claims if c.status in (S.DECLARED, S.REVIEWED)]
    return PaymentList(organization, period, start, end, done, rows, pending)


UPPER_DIGITS = "零壹贰叁肆伍陆柒捌玖"
UPPER_UNITS = ("", "拾", "佰", "仟")
UPPER_GROUPS = ("", "万", "亿", "万亿")


def amount_in_words(amount: Decimal) -> str:
    """Return an amount the way finance writes it in capitals: 壹仟零伍拾元伍角整."""
    fen = int((amount * 100).quantize(Decimal(1)))
    if fen <= 0:
        return "零元整"
    yuan, rest = divmod(fen, 100)
    jiao, cents = divmod(rest, 10)
    words, zeros, digits = "", 0, str(yuan)
    for i, char in enumerate(digits):
        place, digit = len(digits) - 1 - i, int(char)
        if digit == 0:
            zeros += 1
        else:
            words += ("零" if zeros and words else "") + UPPER_DIGITS[digit] + UPPER_UNITS[place % 4]
            zeros = 0
        if place % 4 == 0 and place and int(digits[max(0, i - 3) : i + 1]):
            words += UPPER_GROUPS[place // 4]
    words += "元" if yuan else ""
    if jiao:
        words += UPPER_DIGITS[jiao] + "角"
    elif cents and yuan:
        words += "零"
    if cents:
        words += UPPER_DIGITS[cents] + "分"
    return words if cents else words + "整"
