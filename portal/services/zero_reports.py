"""零报告: organisations that found no disputes in a screening period say so; missing ones are listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from portal.models.auth import Role, User
from portal.models.case import Case, CaseStatus
from portal.models.org import Organization, OrgKind, OrgLevel, OrgStatus
from portal.models.zero_report import ZeroReport
from portal.services import DomainError
from portal.services.deadlines import add_months
from portal.services.scope import can_reach_org, scoped_organizations

#: Who screens and reports: the people's mediation committees of townships and villages.
REPORTING_KINDS = frozenset({OrgKind.COMMITTEE})
REPORTING_LEVELS = frozenset({OrgLevel.TOWNSHIP, OrgLevel.VILLAGE})


def month_period(day: date) -> tuple[date, date]:
    """Return the first and last day of the month containing `day` (the screening period)."""
    first = day.replace(day=1)
    return first, add_months(first, 1) - timedelta(days=1)


def has_cases(session: Session, org: Organization, start: date, end: date) -> bool:
    """Return whether the organisation registered a dispute (not voided) accepted start … end."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Case.numbering_organization_id == org.id,
                    Case.accepted_on.between(start, end),
                    Case.status != CaseStatus.VOIDED,
                )
            )
        )
    )


def prepare_report(session: Session, report: ZeroReport, actor: User, *, today: date) -> ZeroReport:
    """Check a 零报告 for a month and add it, without committing (Flask-Admin's create view commits)."""
    if not actor.has_role(Role.ADMIN, Role.ENTRY):
        raise DomainError("您的角色不能报送零报告")
    org = report.organization
    if org is None:
        raise DomainError("请选择报送单位", "organization")
    if not can_reach_org(actor, org):
        raise DomainError("只能为本单位及下级调解组织报送零报告", "organization")
    if report.period_start is None:
        raise DomainError("请选择排查月份", "period_start")
    report.period_start, report.period_end = month_period(report.period_start)
    if report.period_start > today:
        raise DomainError("不能为尚未开始的月份报送零报告", "period_start")
    # The report may be pending already; it must not be flushed before it is complete.
    with session.no_autoflush:
        if has_cases(session, org, report.period_start, report.period_end):
            raise DomainError(
                f"{org.name}在{report.period_start:%Y年%m月}已登记矛盾纠纷，不能报送零报告", "period_start"
            )
        duplicate = session.scalar(
            select(ZeroReport.id).where(
                ZeroReport.organization_id == org.id,
                ZeroReport.period_start == report.period_start,
                ZeroReport.id != (report.id or 0),
            )
        )
    if duplicate:
        raise DomainError(f"{org.name}已报送{report.period_start:%Y年%m月}的零报告", "period_start")
    report.reported_by = actor
    report.reported_on = report.reported_on or today
    session.add(report)
    return report


def file_report(session: Session, report: ZeroReport, actor: User, *, today: date) -> ZeroReport:
    """File a 零报告 for a month; refused if the organisation registered a case in it."""
    prepare_report(session, report, actor, today=today)
    session.commit()
    return report


@dataclass(frozen=True)
class MissingReport:
    """An organisation that neither registered a dispute nor filed a 零报告 for the period."""

    organization: Organization
    period_start: date
    period_end: date


def missing_reports(session: Session, user: User, period_start: date) -> list[MissingReport]:
    """Return the reporting organisations in the user's subtree with nothing for the month."""
    start, end = month_period(period_start)
    cases = exists().where(
        Case.numbering_organization_id == Organization.id,
        Case.accepted_on.between(start, end),
        Case.status != CaseStatus.VOIDED,
    )
    reports = exists().where(ZeroReport.organization_id == Organization.id, ZeroReport.period_start == start)
    query = scoped_organizations(user).where(
        Organization.kind.in_(REPORTING_KINDS),
        Organization.level.in_(REPORTING_LEVELS),
        Organization.status != OrgStatus.REVOKED,
        ~cases,
        ~reports,
    )
    return [MissingReport(org, start, end) for org in session.scalars(query)]
