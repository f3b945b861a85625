"""Filters of the 优秀案例库 list: dispute type (with its sub-types), method tag, year, organisation.

The library is read across the county, so the organisation filter offers the county's organisations, not
only the user's subtree; options that depend on the user are computed per request.
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_admin.contrib.sqla import filters
from flask_login import current_user
from sqlalchemy import false, or_, select

from portal.admin import guards
from portal.extensions import db
from portal.models.case_library import ExcellentCase, LibraryStatus, MethodTag
from portal.models.dictionary import DisputeType
from portal.models.org import Organization, OrgLevel
from portal.services.case_library import county_id_of


class TypeFilter(filters.BaseSQLAFilter):
    """纠纷类型: a type, or a category with its sub-types."""

    per_request_options = True

    def __init__(self) -> None:
        super().__init__(ExcellentCase.dispute_type_id, "纠纷类型", options=self._choices)

    @staticmethod
    def _choices() -> list[tuple[str, str]]:
        if not has_request_context():
            return []
        rows = db.session.scalars(select(DisputeType).order_by(DisputeType.code)).all()
        return [(str(t.id), ("\u3000" if t.parent_id else "") + t.name) for t in rows]

    def validate(self, value: Any) -> bool:
        return guards.parse_int(value) is not None

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        chosen = int(value)
        children = select(DisputeType.id).where(DisputeType.parent_id == chosen)
        return query.filter(
            or_(ExcellentCase.dispute_type_id == chosen, ExcellentCase.dispute_type_id.in_(children))
        )

    def operation(self) -> str:
        return "属于"


class MethodFilter(filters.BaseSQLAFilter):
    """六前工作法/调解方法: entries tagged with the method."""

    def __init__(self) -> None:
        super().__init__(ExcellentCase.method_codes, "工作法/调解方法", options=MethodTag.choices())

    def validate(self, value: Any) -> bool:
        return value in {tag.value for tag in MethodTag}

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(ExcellentCase.method_codes.contains(f",{value},", autoescape=True))

    def operation(self) -> str:
        return "包含"


class YearFilter(filters.BaseSQLAFilter):
    """年度: the year mediation ended, among the years the user's library holds."""

    per_request_options = True

    def __init__(self) -> None:
        super().__init__(ExcellentCase.year, "年度", options=self._choices)

    @staticmethod
    def _choices() -> list[tuple[str, str]]:
        if not has_request_context() or not current_user.is_authenticated:
            return []
        years = db.session.scalars(
            select(ExcellentCase.year)
            .where(
                ExcellentCase.county_id == county_id_of(current_user.organization),
                ExcellentCase.status == LibraryStatus.PUBLISHED,
            )
            .distinct()
            .order_by(ExcellentCase.year.desc())
        ).all()
        return [(str(y), f"{y}年") for y in years]

    def validate(self, value: Any) -> bool:
        return guards.parse_int(value) is not None

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(ExcellentCase.year == int(value))

    def operation(self) -> str:
        return "为"


class CountyOrgFilter(filters.BaseSQLAFilter):
    """推荐单位: a county- or township-level organisation of the user's county, with its subtree."""

    per_request_options = True

    def __init__(self) -> None:
        super().__init__(ExcellentCase.organization_id, "推荐单位（含下级）", options=self._choices)

    @staticmethod
    def _county_path() -> str:
        return f"/{county_id_of(current_user.organization)}/"

    @classmethod
    def _choices(cls) -> list[tuple[str, str]]:
        if not has_request_context() or not current_user.is_authenticated:
            return []
        rows = db.session.execute(
            select(Organization.id, Organization.name, Organization.level)
            .where(
                Organization.path.startswith(cls._county_path(), autoescape=True),
                Organization.level.in_([OrgLevel.COUNTY, OrgLevel.TOWNSHIP]),
            )
            .order_by(Organization.path)
        ).all()
        return [(str(i), ("" if level == OrgLevel.COUNTY else "\u3000") + name) for i, name, level in rows]

    def validate(self, value: Any) -> bool:
        return guards.parse_int(value) is not None

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        org = db.session.get(Organization, int(value))
        if org is None or not org.path.startswith(self._county_path()):
            return query.filter(false())
        subtree = select(Organization.id).where(Organization.path.startswith(org.path, autoescape=True))
        return query.filter(ExcellentCase.organization_id.in_(subtree))

    def operation(self) -> str:
        return "属于"
