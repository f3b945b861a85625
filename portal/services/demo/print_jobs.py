"""Demo 批量打印: a batch of last month's 协议书 that the clerk started, cut short by a server restart.

It shows what a clerk meets after a restart: the job 失败 with the reason, and 重试 on its page, which
prints the batch (in the web process's own thread under `make run`). Built as rows (the job records the
confirmed list, as `pdf.jobs.submit` would); the printing itself is the portal's.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import clock
from portal.models.auth import User
from portal.models.case import Agreement, AgreementForm, Case, CaseStatus
from portal.models.org import Organization
from portal.models.print_job import PrintJob, PrintJobKind, PrintJobStatus

#: The most agreements the demo batch holds.
BATCH = 30


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def seed_print_jobs(session: Session, today: date) -> int:
    """Add the interrupted 协议书 batch of the county's clerk; commit; return how many jobs were added."""
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    if clerk is None:
        return 0
    root: Organization = clerk.organization
    start = today - timedelta(days=30)
    ids = list(
        session.scalars(
            select(Case.id)
            .join(Case.agreement)
            .where(
                Case.status != CaseStatus.VOIDED,
                Agreement.form == AgreementForm.WRITTEN,
                Agreement.signed_on.between(start, today),
            )
            .order_by(Case.accepted_on, Case.id)
            .limit(BATCH)
        )
    )
    if not ids:
        return 0
    began = clock.utcnow() - timedelta(days=1, hours=2)
    session.add(
        PrintJob(
            kind=PrintJobKind.AGREEMENTS,
            title=f"{root.name}{_cn(start)}至{_cn(today)}签订的调解协议书（{len(ids)}份）",
            parameters={
                "org": root.id,
                "signed_from": start.isoformat(),
                "signed_to": today.isoformat(),
                "unprinted": False,
                "ids": ids,
                "token": "demo-interrupted",
            },
            organization=root,
            requested_by=clerk,
            requested_by_name=clerk.full_name,
            status=PrintJobStatus.FAILED,
            total=len(ids),
            done=0,
            error="生成中断：服务已重启，处理进程已停止，可点击“重试”从中断处继续",
            created_at=began,
            started_at=began,
            finished_at=began + timedelta(minutes=1),
        )
    )
    session.commit()
    return 1
