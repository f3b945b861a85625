"""Ledger filters of the records beside the workflow (services/case_extras.py): 有听证, 领导包案, 对接类型.

Voided records count for none of them. The dashboard's 三调联动 figures link to 对接类型.
"""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla import filters
from sqlalchemy import and_, select

from portal.models.case import Case
from portal.models.case_extras import Hearing, LeaderCharge, LeaderLevel
from portal.services.case_extras import liaison_clause, liaison_kinds


class HearingFilter(filters.BaseSQLAFilter):
    """Cases with a 听证 (not voided), or without."""

    def __init__(self) -> None:
        super().__init__(Case.id, "有听证", options=[("1", "有听证"), ("0", "无听证")])

    def validate(self, value: Any) -> bool:
        return value in ("0", "1")

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        heard = Case.id.in_(select(Hearing.case_id).where(Hearing.voided_on.is_(None)))
        return query.filter(heard if value == "1" else ~heard)

    def operation(self) -> str:
        return "为"


class LeaderFilter(filters.BaseSQLAFilter):
    """Cases a leader took charge of (领导包案): now, ever, by level, or never."""

    OPTIONS = (
        ("active", "包案中"),
        ("any", "有领导包案（含已结束）"),
        (LeaderLevel.COUNTY.value, "县级领导包案中"),
        (LeaderLevel.TOWNSHIP.value, "乡镇（街道）领导包案中"),
        ("none", "无领导包案"),
    )

    def __init__(self) -> None:
        super().__init__(Case.id, "领导包案", options=self.OPTIONS)

    def validate(self, value: Any) -> bool:
        return value in dict(self.OPTIONS)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        valid = LeaderCharge.voided_on.is_(None)
        active = and_(valid, LeaderCharge.ended_on.is_(None))
        condition = {
            "active": active,
            "any": valid,
            "none": valid,
            LeaderLevel.COUNTY.value: and_(active, LeaderCharge.level == LeaderLevel.COUNTY),
            LeaderLevel.TOWNSHIP.value: and_(active, LeaderCharge.level == LeaderLevel.TOWNSHIP),
        }[value]
        charged = Case.id.in_(select(LeaderCharge.case_id).where(condition))
        return query.filter(~charged if value == "none" else charged)

    def operation(self) -> str:
        return "为"


class LiaisonFilter(filters.BaseSQLAFilter):
    """三调联动: cases referred to or received from the court, police or petition office."""

    def __init__(self) -> None:
        super().__init__(Case.id, "对接类型", options=liaison_kinds())

    def validate(self, value: Any) -> bool:
        return value in dict(liaison_kinds())

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(liaison_clause(value))

    def operation(self) -> str:
        return "为"
