"""Assessment templates (考评方案): checking criteria before saving, freezing used templates, copying them.

A template used by a round is frozen, so that a finalised round's points always mean what they
meant when it was scored; an admin revises a copy instead. Only `active` (to retire it) and the
description may still change.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from portal.models.assessment import (
    AssessmentCriterion,
    AssessmentRound,
    AssessmentTemplate,
    CriterionKind,
    ScoringRule,
)
from portal.services import DomainError

COPIED = (
    "sort_order",
    "name",
    "kind",
    "indicator",
    "rule",
    "max_points",
    "low",
    "high",
    "per_item",
    "cap",
    "no_data_points",
    "standard",
)


def check_criterion(criterion: AssessmentCriterion) -> None:
    """Check a criterion is complete for its kind and rule; raise DomainError naming it."""
    name = criterion.name or "（未命名）"
    if not criterion.max_points or Decimal(criterion.max_points) <= 0:
        raise DomainError(f"考评项目「{name}」的分值应大于0")
    if criterion.kind == CriterionKind.MANUAL:
        if criterion.rule != ScoringRule.MANUAL:
            raise DomainError(f"人工评分项目「{name}」的计分方式应为「评委打分」")
        return
    if criterion.indicator is None:
        raise DomainError(f"自动计算项目「{name}」须选择计算指标")
    if criterion.rule == ScoringRule.LINEAR and (criterion.low is None or criterion.high is None):
        raise DomainError(f"项目「{name}」按区间线性计分，须填写零分线和满分线")
    if criterion.rule == ScoringRule.DEDUCTION and criterion.per_item is None:
        raise DomainError(f"项目「{name}」逐项扣分，须填写每项扣分")
    if criterion.rule == ScoringRule.MANUAL:
        raise DomainError(f"自动计算项目「{name}」不能选择「评委打分」")


#: What may still change on a template that rounds use: retiring it, and its description.
FREE_WHEN_USED = frozenset({"active", "description"})


def check_template(session: Session, template: AssessmentTemplate) -> None:
    """Check a template's unsaved changes: not frozen by a round, criteria complete, cut-offs ordered.

    Call it before anything is flushed: the edit form deletes criteria in the session, and a flush
    would hit the rounds' foreign keys before the Chinese message could be given.
    """
    with session.no_autoflush:
        if (
            template.id is not None
            and template_in_use(session, template)
            and rules_changed(session, template)
        ):
            raise DomainError("该考评方案已被考评批次使用，不能再修改评分规则；请复制为新方案后修改。")
        criteria = [c for c in template.criteria if c not in session.deleted]
    if not criteria:
        raise DomainError("考评方案至少应有一个考评项目")
    for criterion in criteria:
        check_criterion(criterion)
    if not (template.excellent_min > template.good_min > template.pass_min >= 0):
        raise DomainError("等次分数线应为：优秀 > 良好 > 合格 ≥ 0")


def rules_changed(session: Session, template: AssessmentTemplate) -> bool:
    """Return whether the pending changes touch more than `FREE_WHEN_USED` (criteria included)."""
    state = inspect(template)
    for attr in state.mapper.column_attrs:
        if attr.key not in FREE_WHEN_USED and state.attrs[attr.key].history.has_changes():
            return True
    if state.attrs.criteria.history.has_changes():
        return True
    return any(
        c in session.deleted or inspect(c).pending or inspect(c).transient or session.is_modified(c)
        for c in template.criteria
    )


def template_in_use(session: Session, template: AssessmentTemplate) -> bool:
    """Return whether a round uses the template (its criteria are then frozen)."""
    return bool(
        session.scalar(select(AssessmentRound.id).where(AssessmentRound.template_id == template.id).limit(1))
    )


def copy_name(session: Session, template: AssessmentTemplate) -> str:
    """Return a free name for a copy: 「<name>（副本）」, then （副本2）, （副本3）…"""
    taken = set(
        session.scalars(
            select(AssessmentTemplate.name).where(
                AssessmentTemplate.name.startswith(template.name, autoescape=True)
            )
        )
    )
    number = 1
    while (name := f"{template.name}（副本{number if number > 1 else ''}）") in taken:
        number += 1
    return name


def copy_template(
    session: Session, template: AssessmentTemplate, name: str | None = None
) -> AssessmentTemplate:
    """Copy a template with its criteria under a new name (default: a free 「副本」 name), and commit."""
    name = name or copy_name(session, template)
    if len(name) > 100:
        raise DomainError(f"方案名称「{name}」超过100字，请先缩短原方案名称")
    if session.scalar(select(AssessmentTemplate.id).where(AssessmentTemplate.name == name)):
        raise DomainError(f"已有名为「{name}」的考评方案")
    copy = AssessmentTemplate(
        name=name,
        target_kind=template.target_kind,
        description=template.description,
        excellent_min=template.excellent_min,
        good_min=template.good_min,
        pass_min=template.pass_min,
        criteria=[AssessmentCriterion(**{k: getattr(c, k) for k in COPIED}) for c in template.criteria],
    )
    session.add(copy)
    session.commit()
    return copy
