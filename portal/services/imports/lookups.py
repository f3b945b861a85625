"""Finding what a cell names: an organisation, a dispute type, a mediator; and catching duplicates.

An organisation is named by its 简称 (`MJ`), by its full path as the registers export it
(`清河县司法局 › 马集镇人民调解委员会`) or by its name when no other organisation has it. Duplicates of a
unique key are caught within the file (a dict of the values seen, first row kept) and against the
database, queried in batches of LOOKUP_BATCH values so that neither pass loads a whole table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models.dictionary import DisputeType
from portal.models.org import Organization, OrgStatus
from portal.models.people import Mediator
from portal.services import DomainError
from portal.services.imports.cells import shown

LOOKUP_BATCH = 500
PATH_SEPARATOR = " › "


def path_parts(text: str) -> tuple[str, ...]:
    """Return the names of a path as the export writes it ("A › B"); ">" is accepted for "›"."""
    return tuple(part.strip() for part in text.replace(">", "›").split("›") if part.strip())


@dataclass
class OrgEntry:
    """An organisation as the import sees it: stored (`org` set) or defined by an earlier row of the file."""

    name: str
    code: str
    path_names: tuple[str, ...]
    #: The materialised path of a stored organisation; a new one's is its parent's (for the scope check).
    path: str
    org: Organization | None = None
    row: int | None = None
    revoked: bool = False


class OrgIndex:
    """Every organisation, by 简称, by name path and by name (a county holds a few hundred)."""

    def __init__(self, session: Session) -> None:
        # Kept as objects: new records point at them, and the audit names them from the identity map.
        orgs = list(session.scalars(select(Organization).order_by(Organization.path)))
        names = {org.id: org.name for org in orgs}
        self.by_code: dict[str, OrgEntry] = {}
        self.by_path: dict[tuple[str, ...], OrgEntry] = {}
        self.by_name: dict[str, list[OrgEntry]] = {}
        for org in orgs:
            parts = tuple(names.get(i, "") for i in org.ancestor_ids) or (org.name,)
            self.add(
                OrgEntry(org.name, org.code, parts, org.path, org, revoked=org.status == OrgStatus.REVOKED)
            )

    def add(self, entry: OrgEntry) -> None:
        self.by_code[entry.code] = entry
        self.by_path[entry.path_names] = entry
        self.by_name.setdefault(entry.name, []).append(entry)

    def find(self, text: str) -> OrgEntry:
        """Return the organisation a cell names; DomainError says why none or several match."""
        if text in self.by_code:
            return self.by_code[text]
        parts = path_parts(text)
        if len(parts) > 1:
            if parts in self.by_path:
                return self.by_path[parts]
            raise DomainError(f"找不到组织“{shown(text)}”（按完整路径查找）")
        matches = self.by_name.get(text, [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise DomainError(f"有{len(matches)}个组织名为“{shown(text)}”，请改填简称或完整路径")
        raise DomainError(f"找不到组织“{shown(text)}”，请填写系统中已有组织的简称、名称或完整路径")

    def path_text(self, entry: OrgEntry) -> str:
        return PATH_SEPARATOR.join(entry.path_names)


def in_scope(scope_path: str, entry: OrgEntry) -> bool:
    """Return whether an organisation lies in the importer's subtree ("" scope: the whole tree)."""
    return entry.path.startswith(scope_path)


class TypeIndex:
    """The active dispute types, by name, by "上级 · 名称" and by code (the forms offer only active ones)."""

    def __init__(self, session: Session) -> None:
        types = list(session.scalars(select(DisputeType).where(DisputeType.active)))
        self.by_key: dict[str, DisputeType | None] = {}
        for dispute_type in types:
            for key in (dispute_type.code, str(dispute_type)):
                self.by_key[key] = dispute_type
            # A name shared by two types names neither.
            known = self.by_key.get(dispute_type.name, dispute_type)
            self.by_key[dispute_type.name] = dispute_type if known is dispute_type else None

    def find(self, text: str) -> DisputeType:
        found = self.by_key.get(re.sub(r"\s*·\s*", " · ", text))
        if found is None:
            raise DomainError(f"“{shown(text)}”不是可用的纠纷类型，请按“纠纷类型”字典填写名称")
        return found

    def names(self) -> list[str]:
        return sorted({t.name for t in self.by_key.values() if t is not None}, key=lambda n: n)


class MediatorIndex:
    """Mediators within reach, by name and by 身份证号, with their organisations' paths (case import)."""

    def __init__(self, session: Session, scope_path: str) -> None:
        query = (
            select(Mediator.id, Mediator.name, Mediator.id_number, Organization.path)
            .join(Organization, Mediator.organization_id == Organization.id)
            .where(Organization.path.startswith(scope_path, autoescape=True))
        )
        self.by_name: dict[str, list[tuple[int, str]]] = {}
        self.by_id_number: dict[str, tuple[int, str, str]] = {}
        for mediator_id, name, id_number, path in session.execute(query):
            self.by_name.setdefault(name, []).append((mediator_id, path))
            self.by_id_number[id_number] = (mediator_id, name, path)

    def find(self, text: str, org_path: str) -> tuple[int, str]:
        """Return (id, name) of the mediator a list item names, preferring those of the case's branch."""
        if text.upper() in self.by_id_number:
            mediator_id, name, _path = self.by_id_number[text.upper()]
            return mediator_id, name
        matches = self.by_name.get(text, [])
        if len(matches) > 1:
            # The case's organisation, its ancestors and its subtree before the rest of the scope.
            near = [m for m in matches if org_path.startswith(m[1]) or m[1].startswith(org_path)]
            matches = near or matches
        if len(matches) == 1:
            return matches[0][0], text
        if matches:
            raise DomainError(f"调解员“{shown(text)}”有{len(matches)}人同名，请改填其身份证号")
        raise DomainError(f"找不到调解员“{shown(text)}”（须为本单位及下级名册中的调解员）")


class Unique:
    """A unique key of a sheet: repeats within the file and values already in the database."""

    def __init__(self, key: str, label: str, column: Any = None) -> None:
        self.key = key
        self.label = label
        self.column = column
        self.seen: dict[Any, int] = {}
        self.pending: list[tuple[int, Any]] = []

    def add(self, session: Session, row: int, value: Any, emit: Any, shown_value: str | None = None) -> bool:
        """Record a row's value; report a repeat. Returns False when the value repeats an earlier row."""
        if value is None:
            return True
        first = self.seen.get(value)
        if first is not None:
            emit(row, self.key, f"{self.label}与第{first}行重复", shown_value or value)
            return False
        self.seen[value] = row
        if self.column is not None:
            self.pending.append((row, value))
            if len(self.pending) >= LOOKUP_BATCH:
                self.flush(session, emit)
        return True

    def flush(self, session: Session, emit: Any) -> None:
        """Look up the batched values in the database and report those already there."""
        if not self.pending:
            return
        values = [value for _row, value in self.pending]
        existing = set(session.scalars(select(self.column).where(self.column.in_(values))))
        for row, value in self.pending:
            if value in existing:
                emit(row, self.key, f"系统中已有{self.label}相同的记录", value)
        self.pending = []


def names(items: Iterable[Any]) -> str:
    return "、".join(str(item) for item in items)
