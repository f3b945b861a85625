"""考评结果通知书 (one target of a round) and 考评结果汇总表 (the whole round), from the stored results.

The documents print what the round holds (points, evidence, rank), never a recomputation. A round not
yet finalised prints as a 草稿 (watermark, no serial, not recorded): its scores may still change.

Layout: the notice is a 公文 (GB/T 9704-2012, `templates/pdf/_gongwen.html`): the round's organisation as
the red masthead, the round's title and 考评结果通知书 as the title, 主送 the target, the signature under
the seal, and a 版记 copied (抄送) to the body over the target (a mediator's committee, an organisation's
parent).

Numbering: the 考评结果通知书 of a round carry the round's 发文字号 (`清司考〔2026〕3号`), given when the
round is first finalised (`scoring.number_round`), so a print and its 补打 show the same number; every
notice of the round (one per target) shares it, told apart by its 主送 and verification serial. A draft
(a round not finalised, or reopened) prints the number line empty. The 汇总表 is not a 公文 and has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from portal import clock
from portal.models.assessment import (
    Assessment,
    AssessmentCriterion,
    AssessmentRound,
    CriterionKind,
    CriterionResult,
    Indicator,
    ScoringRule,
)
from portal.models.document import DocumentKind, IssuedDocument
from portal.pdf import Rendered, arabic_date, qr_data_url, render, seal_data_url
from portal.pdf.case_documents import mask_name
from portal.pdf.gongwen import superiors
from portal.services.scoring import period_label

PERCENT = {
    Indicator.SUCCESS_RATE,
    Indicator.ON_TIME_RATE,
    Indicator.SCREENING_RATE,
    Indicator.ASSIGNMENT_ON_TIME_RATE,
    Indicator.SATISFACTION_RATE,
}
COUNTS = {
    Indicator.CASES_HANDLED,
    Indicator.OVERDUE_COUNT,
    Indicator.RED_CARD_COUNT,
    Indicator.PETITION_COUNT,
}


# --- what the callers of `documents.issue` need --------------------------------------------------


def masked_name(assessment: Assessment) -> str:
    """Return the target as the verification page may show it: a mediator masked, an organisation named."""
    if assessment.mediator is not None:
        return mask_name(assessment.mediator.name)
    return assessment.target_organization.name[:40]


def evaluation_issue_fields(assessment: Assessment) -> dict[str, Any]:
    """Return the `documents.issue` arguments of a 考评结果通知书 (all but `actor` and `render`)."""
    rnd = assessment.round
    return {
        "kind": DocumentKind.EVALUATION,
        "subject_type": "assessment",
        "subject_id": assessment.id,
        "title": f"{rnd.title}考评结果通知书（{assessment.target_name}）",
        "number": rnd.number if rnd.is_final else None,
        "masked_name": masked_name(assessment),
        "organization": rnd.organization,
    }


def summary_issue_fields(rnd: AssessmentRound) -> dict[str, Any]:
    """Return the `documents.issue` arguments of a round's 考评结果汇总表 (all but `actor` and `render`)."""
    return {
        "kind": DocumentKind.ROUND_SUMMARY,
        "subject_type": "assessment_round",
        "subject_id": rnd.id,
        "title": f"{rnd.title}考评结果汇总表",
        "number": None,
        "masked_name": None,
        "organization": rnd.organization,
    }


def is_draft(rnd: AssessmentRound) -> bool:
    """Return whether the round's documents print as 草稿 (the round is not finalised)."""
    return not rnd.is_final


# --- figures as printed -----------------------------------------------------------------------------


def points_text(value: Decimal | None) -> str:
    """Return points with two decimals (86.50), or a dash when there are none."""
    return "—" if value is None else f"{value:.2f}"


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def figure_text(criterion: AssessmentCriterion, result: CriterionResult | None) -> str:
    """Return the measured figure with its unit: 12件, 91.67%, 4.5分; 无数据 when nothing was measured."""
    if result is None or result.value is None:
        return "无数据" if criterion.kind == CriterionKind.AUTO else "未评分"
    if criterion.indicator in PERCENT:
        return f"{_plain(result.value)}%"
    if criterion.indicator in COUNTS:
        return f"{_plain(result.value)}件"
    return f"{_plain(result.value)}分"


@dataclass
class Line:
    """One criterion of a report: name, maximum, figure, points and how they were reached."""

    name: str
    max_points: str
    figure: str
    points: str
    evidence: str


@dataclass
class Report:
    """One 考评结果通知书, ready for the template."""

    assessment: Assessment
    round: AssessmentRound
    addressee: str
    you: str
    lines: list[Line]
    deductions: list[str]
    evaluators: list[str]
    total: str
    max_total: str
    band: str
    rank: str
    #: 发文字号: the round's number, none on a draft.
    number: str | None
    period: str
    issued_on: str
    seal: str | None
    serial: str | None
    qr: str | None
    #: 抄送 of the 版记: the body over the target.
    cc: list[str]


def _deductions(results: dict[int, CriterionResult], criteria: list[AssessmentCriterion]) -> list[str]:
    """Return every deduction in words, each 责任倒查 decision on its own line."""
    found = []
    for criterion in criteria:
        result = results.get(criterion.id)
        if criterion.rule != ScoringRule.DEDUCTION or result is None or result.points is None:
            continue
        items = (result.evidence or {}).get("deductions") or []
        if items:
            for item in items:
                reason = item.get("reason") or f"{item.get('review')}《{item.get('title')}》"
                found.append(f"{criterion.name}：{reason}，扣{item.get('points')}分")
            continue
        lost = criterion.max_points - result.points
        if lost > 0:
            found.append(f"{criterion.name}：{result.explanation or ''}，扣{_plain(lost)}分")
    return found


def evaluators_of(assessments: list[Assessment], rnd: AssessmentRound) -> list[str]:
    """Return the evaluators who scored these assessments, or who opened the round when none scored."""
    names = sorted({s.evaluator.full_name for a in assessments for s in a.scores if s.evaluator})
    if not names and rnd.opened_by is not None:
        names = [rnd.opened_by.full_name]
    return names


def issued_on(rnd: AssessmentRound) -> date:
    """Return the 成文日期: the day the round was finalised (today for a draft)."""
    return clock.local_date(rnd.finalised_at) if rnd.finalised_at and rnd.is_final else clock.today()


def period_text(rnd: AssessmentRound) -> str:
    """Return 2025年度（2025年1月1日至2025年12月31日）."""
    label = period_label(rnd.period_kind, rnd.period_start)
    return f"{label}（{arabic_date(rnd.period_start)}至{arabic_date(rnd.period_end)}）"


def report(assessment: Assessment, serial: str | None, *, draft: bool = False) -> Report:
    """Return what one 考评结果通知书 prints (a draft: no serial, no 发文字号)."""
    rnd = assessment.round
    criteria = list(rnd.template.criteria)
    results = {r.criterion_id: r for r in assessment.results}
    lines = [
        Line(
            name=c.name,
            max_points=_plain(c.max_points),
            figure=figure_text(c, results.get(c.id)),
            points=points_text(results[c.id].points if c.id in results else None),
            evidence=(results[c.id].explanation or "") if c.id in results else "尚未计算",
        )
        for c in criteria
    ]
    person = assessment.mediator
    target = assessment.target_organization
    over = person.organization if person is not None else target.parent
    return Report(
        assessment=assessment,
        round=rnd,
        addressee=person.name if person is not None else target.name,
        you="你" if person is not None else "你单位",
        lines=lines,
        deductions=_deductions(results, criteria),
        evaluators=evaluators_of([assessment], rnd),
        total=points_text(assessment.total),
        max_total=_plain(rnd.template.max_total),
        band=assessment.band.label if assessment.band else "—",
        rank=f"第{assessment.rank}名/共{len(rnd.assessments)}名" if assessment.rank else "—",
        number=None if draft or is_draft(rnd) else rnd.number,
        period=period_text(rnd),
        issued_on=arabic_date(issued_on(rnd)),
        seal=seal_data_url(rnd.organization.seal_png),
        serial=serial,
        qr=qr_data_url(serial) if serial else None,
        cc=superiors(rnd.organization, [over], [person.name if person is not None else target.name]),
    )


# --- the builders -----------------------------------------------------------------------------------


def evaluation_report(
    assessment: Assessment, *, serial: str | None, original: IssuedDocument | None, draft: bool = False
) -> Rendered:
    """Render one target's 考评结果通知书 (a draft carries no serial)."""
    draft = draft or is_draft(assessment.round)
    return render(
        "evaluation.html",
        reports=[report(assessment, None if draft else serial, draft=draft)],
        draft=draft,
        reprint=original,
        serial=None,
    )


def evaluation_batch(items: list[tuple[Assessment, str | None]], draft: bool) -> Rendered:
    """Render several 考评结果通知书 as one PDF in one pass, each starting on a new page with its serial."""
    return render(
        "evaluation.html",
        reports=[report(a, None if draft else serial, draft=draft) for a, serial in items],
        draft=draft,
        reprint=None,
        serial=None,
    )


def round_summary(
    rnd: AssessmentRound, *, serial: str | None, original: IssuedDocument | None, draft: bool = False
) -> Rendered:
    """Render the round's 考评结果汇总表: rank, target, per-criterion points, total and band."""
    draft = draft or is_draft(rnd)
    serial = None if draft else serial
    criteria = list(rnd.template.criteria)
    ranked = sorted(rnd.assessments, key=lambda a: (a.rank or 10**6, a.target_name))
    rows = []
    for a in ranked:
        results = {r.criterion_id: r for r in a.results}
        rows.append(
            {
                "rank": a.rank or "—",
                "target": a.mediator.name if a.mediator else a.target_organization.name,
                "unit": a.target_organization.name if a.mediator else "",
                "points": [points_text(results[c.id].points if c.id in results else None) for c in criteria],
                "total": points_text(a.total),
                "band": a.band.label if a.band else "—",
            }
        )
    return render(
        "round_summary.html",
        rnd=rnd,
        criteria=[(c.name, _plain(c.max_points)) for c in criteria],
        max_total=_plain(rnd.template.max_total),
        rows=rows,
        units=any(row["unit"] for row in rows),
        cutoffs="优秀≥{}分，良好≥{}分，合格≥{}分".format(
            *(_plain(v) for v in (rnd.template.excellent_min, rnd.template.good_min, rnd.template.pass_min))
        ),
        evaluators=evaluators_of(list(rnd.assessments), rnd),
        period=period_text(rnd),
        issued_on=arabic_date(issued_on(rnd)),
        seal=seal_data_url(rnd.organization.seal_png),
        doc_serial=serial,
        qr=qr_data_url(serial) if serial else None,
        draft=draft,
        reprint=original,
        serial=None,
    )
