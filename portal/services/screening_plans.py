"""排查计划: an organisation's screening for a period (集中, 专项 with its theme, 滚动), who answers for
it, and its close (完成 with a summary, or 撤销 with a reason). Shared by `services.screening`: the
writers, the stale-form message and the small checks.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.auth import Role, User
from portal.models.org import Organization, OrgStatus
from portal.models.screening import PlanStatus, ScreeningKind, ScreeningPlan
from portal.services import DomainError
from portal.services.scope import can_reach_org, org_in_scope
from portal.services.screening_rhythm import is_monthly, period_of
from portal.services.workflow import required

WRITERS = frozenset({Role.ADMIN, Role.ENTRY})
STALE = "该记录已被他人更新，请刷新页面查看最新情况后再办理（本次操作未保存）。"


def check_writer(actor: User, what: str) -> None:
    if not actor.has_role(*WRITERS):
        raise DomainError(f"您的角色不能{what}")


def check_fresh(row: Any, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != row.version:
        raise DomainError(STALE)


def clean_text(value: str | None, most: int, what: str, field: str) -> str | None:
    text = (value or "").strip()
    if len(text) > most:
        raise DomainError(f"{what}不能超过{most}字", field)
    return text or None


# --- plans ----------------------------------------------------------------------------------------


def default_title(org: Organization, kind: ScreeningKind, start: date, theme: str | None) -> str:
    """Return a plan's title as offices write it: 马集镇2026年3月上半月矛盾纠纷滚动排查."""
    period = period_of(start, is_monthly(org))
    topic = f"{theme}" if theme and kind == ScreeningKind.SPECIAL else ""
    return f"{org.name}{period.label}{topic}矛盾纠纷{kind.label}"[:200]


def prepare_plan(session: Session, plan: ScreeningPlan, actor: User, *, today: date) -> ScreeningPlan:
    """Check a new or corrected plan and add it, without committing (the admin form commits)."""
    check_writer(actor, "制定排查计划")
    if plan.status not in (None, PlanStatus.ACTIVE):
        raise DomainError(f"排查计划{plan.status.label}，不能修改")
    org = plan.organization
    if org is None:
        raise DomainError("请选择组织单位", "organization")
    if not can_reach_org(actor, org):
        raise DomainError("只能为本单位及下级单位制定排查计划", "organization")
    if org.status == OrgStatus.REVOKED:
        raise DomainError(f"{org.name}已撤销，不能组织排查", "organization")
    required(plan.kind, "请选择排查方式", "kind")
    plan.kind = ScreeningKind(plan.kind)  # a form hands in the value
    plan.theme = clean_text(plan.theme, 100, "排查主题", "theme")
    if plan.kind == ScreeningKind.SPECIAL and not plan.theme:
        raise DomainError("专项排查请填写排查主题（如节前、婚恋家庭、土地承包）", "theme")
    required(plan.period_start, "请填写排查开始日期", "period_start")
    required(plan.period_end, "请填写排查结束日期", "period_end")
    if plan.period_end < plan.period_start:
        raise DomainError("结束日期不能早于开始日期", "period_end")
    if (plan.period_end - plan.period_start).days > 92:
        raise DomainError("一个排查计划最长三个月，请分期制定", "period_end")
    required(plan.responsible_person, "请填写责任人", "responsible_person")
    plan.responsible_person = clean_text(plan.responsible_person, 50, "责任人", "responsible_person") or ""
    plan.leader = clean_text(plan.leader, 50, "带队领导", "leader")
    plan.title = clean_text(plan.title, 200, "计划名称", "title") or default_title(
        org, plan.kind, plan.period_start, plan.theme
    )
    plan.status = PlanStatus.ACTIVE
    if plan.id is None:
        plan.created_by = actor
    session.add(plan)
    return plan


def _plan_step(plan: ScreeningPlan, actor: User, what: str, expected_version: int | None) -> None:
    check_writer(actor, what)
    if not can_reach_org(actor, plan.organization):
        raise DomainError("该排查计划不在您单位的管辖范围内")
    if plan.status != PlanStatus.ACTIVE:
        raise DomainError(f"排查计划{plan.status.label}，不能{what}")
    check_fresh(plan, expected_version)


def complete_plan(
    session: Session,
    plan: ScreeningPlan,
    actor: User,
    *,
    summary: str,
    today: date,
    expected_version: int | None = None,
) -> ScreeningPlan:
    """Close a plan with its summary (排查总结); commit."""
    _plan_step(plan, actor, "完成", expected_version)
    required(summary, "请填写排查工作总结", "summary")
    if plan.period_start > today:
        raise DomainError("排查尚未开始，不能完成", "summary")
    plan.summary = clean_text(summary, 5000, "排查工作总结", "summary")
    plan.status, plan.closed_on = PlanStatus.COMPLETED, today
    session.commit()
    return plan


def cancel_plan(
    session: Session,
    plan: ScreeningPlan,
    actor: User,
    *,
    reason: str,
    today: date,
    expected_version: int | None = None,
) -> ScreeningPlan:
    """Cancel a plan with a reason (撤销); the records filed under it stay; commit."""
    _plan_step(plan, actor, "撤销", expected_version)
    required(reason, "请填写撤销原因", "reason")
    plan.cancel_reason = clean_text(reason, 1000, "撤销原因", "reason")
    plan.status, plan.closed_on = PlanStatus.CANCELLED, today
    session.commit()
    return plan


def open_plans(session: Session, actor: User) -> list[ScreeningPlan]:
    """Return the active plans a record of the actor may be filed under (its subtree's and above)."""
    ids = [*actor.organization.ancestor_ids]
    query = (
        select(ScreeningPlan)
        .join(Organization, ScreeningPlan.organization_id == Organization.id)
        .where(
            ScreeningPlan.status == PlanStatus.ACTIVE,
            org_in_scope(actor, ScreeningPlan.organization_id) | ScreeningPlan.organization_id.in_(ids),
        )
        .order_by(ScreeningPlan.period_start.desc(), ScreeningPlan.id.desc())
    )
    return list(session.scalars(query))
