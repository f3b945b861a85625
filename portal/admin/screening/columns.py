"""Columns of the 排查记录 list: labels, the filters Flask-Admin lacks, formatters."""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla import filters
from markupsafe import Markup
from sqlalchemy import exists

from portal.models.screening import FindingStatus, ScreeningFinding, ScreeningRecord

LABELS = {
    "plan": "排查计划",
    "organization": "排查单位",
    "org_path": "排查单位",
    "kind": "排查方式",
    "theme": "排查主题",
    "screened_on": "排查日期",
    "ended_on": "结束日期",
    "period_start": "所属半月",
    "areas": "排查村（社区）",
    "scope_note": "排查范围及重点",
    "mediators": "排查人（调解员）",
    "screeners": "排查人（工作人员）",
    "other_screeners": "其他排查人员",
    "screener_names": "排查人",
    "households": "走访户数",
    "situation": "排查情况",
    "result": "排查结果",
    "findings": "排查发现",
    "pending": "待处理发现",
    "zero_reports": "据此报送的零报告",
    "recorded_by": "登记人",
    "voided_on": "作废日期",
    "void_reason": "作废原因",
}


class PendingFilter(filters.BaseSQLAFilter):
    """Records with findings still waiting to be registered or dismissed."""

    def __init__(self) -> None:
        super().__init__(ScreeningRecord.id, "有待处理的排查发现", options=(("1", "是"), ("0", "否")))

    def validate(self, value: Any) -> bool:
        return value in ("0", "1")

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        waiting = exists().where(
            ScreeningFinding.record_id == ScreeningRecord.id, ScreeningFinding.status == FindingStatus.PENDING
        )
        return query.filter(waiting if value == "1" else ~waiting)

    def operation(self) -> str:
        return "为"


class VoidFilter(filters.BaseSQLAFilter):
    """Voided records, or the ones in force (the default list shows both)."""

    def __init__(self) -> None:
        super().__init__(ScreeningRecord.voided_on, "已作废", options=(("1", "是"), ("0", "否")))

    def validate(self, value: Any) -> bool:
        return value in ("0", "1")

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(
            ScreeningRecord.voided_on.is_not(None) if value == "1" else ScreeningRecord.voided_on.is_(None)
        )

    def operation(self) -> str:
        return "为"


def result_badge(view: Any, context: Any, model: ScreeningRecord, name: str) -> Markup:
    if model.is_void:
        return Markup('<span class="badge badge-secondary">已作废</span>')
    return Markup('<span class="badge screening-result-{}">{}</span>').format(
        model.result.value, model.result.label
    )


def pending(record: ScreeningRecord) -> int:
    return sum(1 for f in record.findings if f.status == FindingStatus.PENDING)
