"""The two shipped assessment templates (调解员 and 调委会), loadable on an empty install.

Thresholds are for a year; a county copies a template and scales the counts for quarterly rounds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.assessment import (
    AssessmentCriterion,
    AssessmentTemplate,
    CriterionKind,
    Indicator,
    ScoringRule,
    TargetKind,
)

I = Indicator  # noqa: E741
A, M = CriterionKind.AUTO, CriterionKind.MANUAL
LIN, DED, MAN = ScoringRule.LINEAR, ScoringRule.DEDUCTION, ScoringRule.MANUAL

# (name, kind, indicator, rule, max, low, high, per_item, cap, standard)
MEDIATOR_CRITERIA: list[tuple[Any, ...]] = [
    ("办案数量", A, I.CASES_HANDLED, LIN, 15, 0, 20, None, None, "年度承办20件及以上得满分，不足按比例计分"),
    ("调解成功率", A, I.SUCCESS_RATE, LIN, 15, 60, 98, None, None, "成功率98%及以上满分，60%及以下不得分"),
    ("按期办结率", A, I.ON_TIME_RATE, LIN, 10, 70, 100, None, None, "100%满分，70%及以下不得分"),
    (
        "群众评议（回访满意度）",
        A,
        I.SATISFACTION,
        LIN,
        10,
        3,
        5,
        None,
        None,
        "回访满意度平均5分满分，3分及以下不得分",
    ),
    ("超期办理", A, I.OVERDUE_COUNT, DED, 5, None, None, 1, 5, "每超期1件扣1分，扣完为止"),
    ("红牌督办", A, I.RED_CARD_COUNT, DED, 5, None, None, 2.5, 5, "交办后逾期未处理被红牌1件扣2.5分"),
    ("越级上访", A, I.PETITION_COUNT, DED, 10, None, None, 5, 10, "承办纠纷引发越级上访1件扣5分"),
    ("责任倒查扣分", A, I.REVIEW_DEDUCTIONS, DED, 10, None, None, 1, 10, "按责任倒查决定扣分，最多扣10分"),
    ("台账规范（卷宗制作）", M, None, MAN, 10, None, None, None, None, "调解记录、协议、回访材料齐全规范"),
    ("培训参与", M, None, MAN, 5, None, None, None, None, "按时参加各级培训，学习笔记完整"),
    ("群众评议会测评", M, None, MAN, 5, None, None, None, None, "群众评议会测评结果折算"),
]

ORGANIZATION_CRITERIA: list[tuple[Any, ...]] = [
    ("受理纠纷数量", A, I.CASES_HANDLED, LIN, 10, 0, 50, None, None, "年度受理50件及以上满分（含下级组织）"),
    ("调解成功率", A, I.SUCCESS_RATE, LIN, 15, 60, 98, None, None, "成功率98%及以上满分，60%及以下不得分"),
    ("按期办结率", A, I.ON_TIME_RATE, LIN, 10, 70, 100, None, None, "100%满分，70%及以下不得分"),
    ("群众满意度", A, I.SATISFACTION, LIN, 10, 3, 5, None, None, "回访满意度平均5分满分，3分及以下不得分"),
    ("超期办理", A, I.OVERDUE_COUNT, DED, 5, None, None, 0.5, 5, "每超期1件扣0.5分，扣完为止"),
    ("红牌督办", A, I.RED_CARD_COUNT, DED, 5, None, None, 1, 5, "红牌1件扣1分"),
    ("越级上访", A, I.PETITION_COUNT, DED, 10, None, None, 5, 10, "辖区纠纷引发越级上访1件扣5分"),
    ("责任倒查扣分", A, I.REVIEW_DEDUCTIONS, DED, 10, None, None, 1, 10, "按责任倒查决定扣分，最多扣10分"),
    ("组织建设", M, None, MAN, 10, None, None, None, None, "场所、牌子、印章、制度、人员配备“五有”"),
    ("台账规范与零报告", M, None, MAN, 10, None, None, None, None, "台账完整、零报告按月报送"),
    ("矛盾纠纷排查预警", M, None, MAN, 5, None, None, None, None, "定期排查、重大纠纷及时报告"),
]

TEMPLATES = [
    (
        "调解员年度绩效考评方案",
        TargetKind.MEDIATOR,
        "适用于人民调解员年度考评：办案实绩自动计算，台账、培训和群众评议会由考评员打分。",
        MEDIATOR_CRITERIA,
    ),
    (
        "人民调解委员会年度考评方案",
        TargetKind.ORGANIZATION,
        "适用于乡镇（街道）及村（社区）人民调解委员会年度考评，统计口径含下级组织。",
        ORGANIZATION_CRITERIA,
    ),
]


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def build(name: str, kind: TargetKind, description: str, rows: list[tuple[Any, ...]]) -> AssessmentTemplate:
    """Return a template with its criteria (not added to a session)."""
    template = AssessmentTemplate(
        name=name,
        target_kind=kind,
        description=description,
        excellent_min=Decimal(90),
        good_min=Decimal(80),
        pass_min=Decimal(60),
        active=True,
    )
    for order, (title, ckind, indicator, rule, top, low, high, per_item, cap, standard) in enumerate(rows):
        template.criteria.append(
            AssessmentCriterion(
                sort_order=order,
                name=title,
                kind=ckind,
                indicator=indicator,
                rule=rule,
                max_points=_dec(top),
                low=_dec(low),
                high=_dec(high),
                per_item=_dec(per_item),
                cap=_dec(cap),
                standard=standard,
            )
        )
    return template


def install(session: Session) -> list[AssessmentTemplate]:
    """Add the shipped templates that are not there yet (by name); flush, do not commit."""
    present = set(session.scalars(select(AssessmentTemplate.name)))
    added = [build(*spec) for spec in TEMPLATES if spec[0] not in present]
    session.add_all(added)
    session.flush()
    return added
