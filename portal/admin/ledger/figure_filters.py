"""Ledger filters the dashboard's figures link to: 办理进度 and 承办组织（仅本级）.

Each applies the very condition the figure counts (`services.figures`), so the list a figure opens
holds exactly the cases behind it.
"""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla import filters
from flask_login import current_user
from sqlalchemy import false

from portal.admin import guards
from portal.admin.base import OrgSubtreeFilter
from portal.admin.ledger.columns import rules
from portal.extensions import db
from portal.models.case import Case
from portal.models.org import Organization
from portal.services.deadlines import local_today
from portal.services.figures import Progress, progress_clause


class ProgressFilter(filters.BaseSQLAFilter):
    """在办, 已办结, 按期/超期办结, 红牌 — the dashboard's groups of cases."""

    def __init__(self) -> None:
        super().__init__(Case.status, "办理进度", options=Progress.choices())

    def validate(self, value: Any) -> bool:
        return value in Progress._value2member_map_

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(progress_clause(value, local_today(), rules()))

    def operation(self) -> str:
        return "为"


class OrgOwnFilter(OrgSubtreeFilter):
    """Cases held by one organisation itself, not by those below it (the dashboard's 本级 row)."""

    def __init__(self) -> None:
        super().__init__(Case.organization_id, "承办组织（仅本级）")

    def validate(self, value: Any) -> bool:
        return guards.parse_int(value) is not None

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        org = db.session.get(Organization, int(value))
        if org is None or not org.path.startswith(current_user.organization.path):
            return query.filter(false())
        return query.filter(Case.organization_id == org.id)

    def operation(self) -> str:
        return "为"
