"""调解能手: candidates with evidence, nomination, 公示, approval with a certificate serial, revocation.

Criteria are per year (`RecognitionCriteria`); a mediator is a candidate when every one holds:

- 办案数量: cases accepted in the year naming them as 承办调解员 (not voided) ≥ `min_cases`;
- 调解成功率: settled ÷ (settled + failed) of those cases ≥ `min_success_rate` %, counted exactly as
  the assessment's indicator (`indicators.outcomes`: concluded with or without an agreement by the
  day of evaluation), so a mediator's rate is the same on both pages;
- 考评等次: at least one assessment in a round of that year that is finalised, and none below `min_band`;
- 责任倒查: no decided review that year naming them as responsible, and no 取消评优 (`services.reviews`);
- 培训学时: training hours held in the year ≥ `min_training_hours`.

The evidence behind each check is stored with the nomination, so the committee sees what the
evaluator saw; approval checks the reviews again, since a finding may land during the 公示.

The 公示 starts no earlier than the nomination, and approval comes only after its last day, so an
honour cannot be back-dated past its notice. Certificate serials come from the locked
`DocumentCounter` of the tree's root (the body that issues the honour) and year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.models.assessment import Assessment, AssessmentRound, Band, RoundStatus
from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.models.case import Case, CaseStatus
from portal.models.people import Mediator, MediatorStatus, Training
from portal.models.recognition import Recognition, RecognitionCriteria, RecognitionStatus
from portal.models.review import DocumentCounter
from portal.services import DomainError, documents, reviews
from portal.services.deadlines import local_today
from portal.services.indicators import outcomes, percent
from portal.services.numbering import reserve
from portal.services.scope import can_reach_org, org_in_scope

BAND_ORDER = [Band.EXCELLENT, Band.GOOD, Band.PASS, Band.FAIL]
STALE = "该记录已被他人更新，请刷新页面后再操作（本次操作未保存）。"
#: The certificate series of 调解能手 in `DocumentCounter`.
NUMBER_SERIES = "recognition"
S = RecognitionStatus


#: Years the criteria, the candidate list and nominations accept.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def standard_criteria(year: int) -> RecognitionCriteria:
    """Return the standard criteria of a year, not added to any session."""
    return RecognitionCriteria(
        year=year,
        title="调解能手",
        min_cases=10,
        min_success_rate=Decimal(90),
        min_band=Band.GOOD,
        require_clean_review=True,
        min_training_hours=Decimal(12),
        notice_days=5,
        serial_prefix="能手",
    )


def rules_of(session: Session, year: int) -> RecognitionCriteria:
    """Return the year's stored criteria, or the standard ones without storing them (for reading)."""
    found = session.scalar(select(RecognitionCriteria).where(RecognitionCriteria.year == year))
    return found if found is not None else standard_criteria(year)


def criteria_for(session: Session, year: int) -> RecognitionCriteria:
    """Return the year's criteria, storing the standard ones on first use (at nomination)."""
    found = session.scalar(select(RecognitionCriteria).where(RecognitionCriteria.year == year))
    if found is None:
        found = standard_criteria(year)
        session.add(found)
        session.flush()
    return found


@dataclass
class Check:
    """One criterion for one mediator: what is required, what was found, and the evidence."""

    name: str
    required: str
    found: str
    ok: bool
    case_ids: list[int] = field(default_factory=list)
    items: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the check as stored with a nomination."""
        return {
            "name": self.name,
            "required": self.required,
            "found": self.found,
            "ok": self.ok,
            "case_ids": self.case_ids,
            "items": self.items,
        }


@dataclass
class Candidate:
    """A mediator and the checks of the year."""

    mediator: Mediator
    checks: list[Check]
    recognition: Recognition | None = None

    @property
    def eligible(self) -> bool:
        """Return whether every check holds."""
        return all(c.ok for c in self.checks)


def _band_ok(band: Band | None, minimum: Band) -> bool:
    return band is not None and BAND_ORDER.index(band) <= BAND_ORDER.index(minimum)


def evaluate(session: Session, actor: User, year: int, *, as_of: date | None = None) -> list[Candidate]:
    """Return every active mediator of the actor's subtree with the year's checks; eligible first.

    Outcomes count as they stand on `as_of` (default: today in Beijing).
    """
    as_of = as_of or local_today()
    rules = rules_of(session, year)
    start, end = date(year, 1, 1), date(year, 12, 31)
    mediators = list(
        session.scalars(
            select(Mediator)
            .where(org_in_scope(actor, Mediator.organization_id), Mediator.status == MediatorStatus.ACTIVE)
            .options(selectinload(Mediator.organization))
            .order_by(Mediator.organization_id, Mediator.name)
        )
    )
    cases = list(
        session.scalars(
            select(Case)
            .where(
                org_in_scope(actor, Case.organization_id),
                Case.accepted_on.between(start, end),
                Case.status != CaseStatus.VOIDED,
            )
            .options(selectinload(Case.mediators), selectinload(Case.agreement), selectinload(Case.events))
        )
    )
    by_mediator: dict[int, list[Case]] = {}
    for case in cases:
        for person in case.mediators:
            by_mediator.setdefault(person.id, []).append(case)
    hours = dict(
        session.execute(
            select(Training.mediator_id, func.sum(Training.hours))
            .where(Training.held_on.between(start, end))
            .group_by(Training.mediator_id)
        ).all()
    )
    finals = session.execute(
        select(Assessment.mediator_id, Assessment.band, AssessmentRound.title)
        .join(AssessmentRound, Assessment.round_id == AssessmentRound.id)
        .where(
            AssessmentRound.status == RoundStatus.FINAL,
            AssessmentRound.period_start.between(start, end),
            Assessment.mediator_id.is_not(None),
        )
    ).all()
    bands: dict[int, list[tuple[Band, str]]] = {}
    for mediator_id, band, title in finals:
        bands.setdefault(mediator_id, []).append((band, title))
    existing = {
        r.mediator_id: r for r in session.scalars(select(Recognition).where(Recognition.year == year))
    }
    result = []
    for person in mediators:
        checks = _checks(session, rules, person, by_mediator.get(person.id, []), hours, bands, year, as_of)
        result.append(Candidate(person, checks, existing.get(person.id)))
    result.sort(key=lambda c: (not c.eligible, -sum(ch.ok for ch in c.checks)))
    return result


def _checks(
    session: Session,
    rules: RecognitionCriteria,
    person: Mediator,
    cases: list[Case],
    hours: dict[int, Decimal],
    bands: dict[int, list[tuple[Band, str]]],
    year: int,
    as_of: date,
) -> list[Check]:
    ids = [c.id for c in cases]
    checks = [
        Check("办案数量", f"≥ {rules.min_cases}件", f"{len(cases)}件", len(cases) >= rules.min_cases, ids)
    ]
    settled, failed = outcomes(cases, as_of)
    decided = len(settled) + len(failed)
    rate = percent(len(settled), decided) if decided else None
    checks.append(
        Check(
            "调解成功率",
            f"≥ {rules.min_success_rate.normalize():f}%",
            f"{rate}%（成功{len(settled)}件/有结果{decided}件）" if rate is not None else "无调解结果",
            rate is not None and rate >= rules.min_success_rate,
            settled + failed,
        )
    )
    if rules.min_band is not None:
        held = bands.get(person.id, [])
        ok = bool(held) and all(_band_ok(b, rules.min_band) for b, _ in held)
        checks.append(
            Check(
                "考评等次",
                f"{rules.min_band.label}及以上（{year}年度已定稿批次）",
                "、".join(f"{b.label}" for b, _ in held) or "无已定稿考评",
                ok,
                items=[f"{title}：{b.label}" for b, title in held],
            )
        )
    if rules.require_clean_review:
        found = {r.id: r for r in reviews.findings_against(session, person.id, year)}
        found.update({r.id: r for r in reviews.awards_blocked(session, person.id, year)})
        checks.append(
            Check(
                "责任倒查",
                "本年度无被认定责任、无取消评优",
                "无" if not found else f"被认定责任{len(found)}次",
                not found,
                items=[str(r) for r in found.values()],
            )
        )
    trained = Decimal(hours.get(person.id) or 0)
    checks.append(
        Check(
            "培训学时",
            f"≥ {rules.min_training_hours.normalize():f}学时",
            f"{trained.normalize():f}学时",
            trained >= rules.min_training_hours,
        )
    )
    return checks


def _check_evaluator(
    actor: User, rec: Recognition | None = None, expected_version: int | None = None
) -> None:
    if not actor.has_role(Role.EVALUATOR):
        raise DomainError("只有考评员可以办理调解能手评选")
    if rec is not None:
        if not can_reach_org(actor, rec.organization):
            raise DomainError("该记录不在您单位的管辖范围内")
        if expected_version is not None and expected_version != rec.version:
            raise DomainError(STALE)


def nominate(
    session: Session, actor: User, mediator: Mediator, *, year: int, reason: str | None, today: date
) -> Recognition:
    """提名 an eligible mediator, keeping the evidence as it stands today, and commit."""
    _check_evaluator(actor)
    if year > today.year:
        raise DomainError("不能提名未来年度")
    if year < FIRST_YEAR:
        raise DomainError(f"年度应在{FIRST_YEAR}至{LAST_YEAR}之间")
    if not can_reach_org(actor, mediator.organization):
        raise DomainError(f"调解员{mediator.name}不在您单位的管辖范围内")
    if mediator.organization_id == actor.organization_id:
        raise DomainError(f"调解员{mediator.name}与您同属一个单位，应当回避，请由其他考评员提名")
    if session.scalar(
        select(Recognition.id).where(Recognition.year == year, Recognition.mediator_id == mediator.id)
    ):
        raise DomainError(f"{mediator.name}已有{year}年度的提名记录")
    found = evaluate(session, actor, year, as_of=today)
    candidate = next((c for c in found if c.mediator.id == mediator.id), None)
    if candidate is None or not candidate.eligible:
        failed = "、".join(c.name for c in candidate.checks if not c.ok) if candidate else "不在名册"
        raise DomainError(f"{mediator.name}不符合{year}年度评选条件：{failed}")
    rules = criteria_for(session, year)
    rec = Recognition(
        year=year,
        title=rules.title,
        mediator=mediator,
        organization=mediator.organization,
        status=S.NOMINATED,
        evidence=[c.as_dict() for c in candidate.checks],
        nominated_by=actor,
        nominated_on=today,
        reason=(reason or "").strip() or None,
    )
    session.add(rec)
    session.commit()
    return rec


def start_notice(
    session: Session,
    rec: Recognition,
    actor: User,
    *,
    start: date,
    end: date,
    expected_version: int | None = None,
) -> Recognition:
    """Put a nomination on 公示 from `start` to `end` (inclusive), and commit.

    The notice cannot start before the nomination: a back-dated notice would let an honour be
    approved without the public ever having seen it.
    """
    _check_evaluator(actor, rec, expected_version)
    if rec.status != S.NOMINATED:
        raise DomainError(f"当前状态为「{rec.status.label}」，不能公示")
    if start is None or end is None:
        raise DomainError("请填写公示起止日期", "notice_start")
    if start < rec.nominated_on:
        raise DomainError(f"公示开始日期不得早于提名日期（{rec.nominated_on:%Y-%m-%d}）", "notice_start")
    days = criteria_for(session, rec.year).notice_days
    if end < start + timedelta(days=days - 1):
        raise DomainError(f"公示期不得少于{days}天", "notice_end")
    rec.status, rec.notice_start, rec.notice_end = S.NOTICE, start, end
    session.commit()
    return rec


def approve(
    session: Session, rec: Recognition, actor: User, *, today: date, expected_version: int | None = None
) -> Recognition:
    """批准 once the 公示 is over (from the day after its last day): give the serial, and commit."""
    _check_evaluator(actor, rec, expected_version)
    if rec.status != S.NOTICE:
        raise DomainError(f"当前状态为「{rec.status.label}」，须经公示后方可批准")
    if rec.notice_end is None or today <= rec.notice_end:
        until = f"{rec.notice_end:%Y-%m-%d}" if rec.notice_end else "（未填写）"
        raise DomainError(f"公示期至{until}（含当日），期满后方可批准")
    blocked = reviews.findings_against(session, rec.mediator_id, rec.year) + reviews.awards_blocked(
        session, rec.mediator_id, rec.year
    )
    if blocked:
        raise DomainError(f"公示期间出现责任倒查认定（{blocked[0]}），不能批准，请撤销提名")
    rules = criteria_for(session, rec.year)
    # The counter row stays locked until this transaction ends: serials are unique and gapless.
    # One series per tree (its root issues the honour), as the prefix and criteria are per year.
    rec.serial_seq = reserve(
        session,
        DocumentCounter,
        kind=NUMBER_SERIES,
        organization_id=rec.organization.ancestor_ids[0],
        year=rec.year,
    )
    rec.serial = f"{rules.serial_prefix}〔{rec.year}〕{rec.serial_seq:03d}号"
    rec.status, rec.decided_by, rec.decided_at = S.APPROVED, actor, utcnow()
    session.commit()
    return rec


def revoke(
    session: Session, rec: Recognition, actor: User, *, reason: str, expected_version: int | None = None
) -> Recognition:
    """撤销 a nomination or an honour, with the reason; the serial, if any, is not reused. Commit."""
    _check_evaluator(actor, rec, expected_version)
    if rec.status == S.REVOKED:
        raise DomainError("该记录已撤销")
    if not (reason or "").strip():
        raise DomainError("请填写撤销理由", "reason")
    rec.status, rec.revoke_reason = S.REVOKED, reason.strip()
    rec.decided_by, rec.decided_at = actor, utcnow()
    # Certificates already printed stay on file but /verify now says they were revoked.
    documents.revoke(session, "recognition", rec.id, rec.revoke_reason)
    session.commit()
    return rec


def honours_of(session: Session, mediator_id: int) -> list[Recognition]:
    """Return the mediator's approved recognitions, newest first (for the mediator's record)."""
    return list(
        session.scalars(
            select(Recognition)
            .where(Recognition.mediator_id == mediator_id, Recognition.status == S.APPROVED)
            .order_by(Recognition.year.desc())
        )
    )
