"""Import of the 调解组织 tree: one row per organisation, parents before their children.

The columns are the register's export columns (`admin/registers/orgs.py`), so an administrator's export
imports back. A row names its parent (所属上级) by 简称, full path or unique name: an organisation already
in the system, or one defined by an earlier row of the file. The rules are the register form's: name and
简称 required, 简称 and 统一社会信用代码 unique (GB 32100 check characters), dates that have happened,
phone numbers, and `orgs.check_placement` (a node never above its parent's level, never under a revoked
one). A row describing the importer's own organisation (the first row of its own export) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.models.org import Industry, Organization, OrgKind, OrgLevel, OrgStatus
from portal.services import DomainError, orgs
from portal.services.imports import cells
from portal.services.imports.core import Column, Context, Emit, Kind, Report, Row, SheetSpec
from portal.services.imports.lookups import OrgEntry, OrgIndex, Unique, in_scope

Org = Organization
L = cells.length_of
PLACE_HINT = "上级组织须是系统中已有的组织，或在本表中写在其下级之前"

SHEET = SheetSpec(
    "调解组织",
    (
        Column("name", "组织名称", cells.text(L(Org.name)), required=True, width=28),
        Column(
            "code",
            "简称（案号用）",
            cells.text(L(Org.code)),
            required=True,
            note="用于案号“（2026）<简称>人调字第N号”，全县唯一",
            as_text=True,
        ),
        Column(
            "parent",
            "所属上级",
            cells.text(200),
            note="上级组织的简称、名称或完整路径（如“清河县司法局 › 马集镇人民调解委员会”）；" + PLACE_HINT,
            width=36,
        ),
        Column(
            "level", "层级", cells.enum(OrgLevel), required=True, options=tuple(m.label for m in OrgLevel)
        ),
        Column(
            "kind", "组织类别", cells.enum(OrgKind), required=True, options=tuple(m.label for m in OrgKind)
        ),
        Column(
            "industry",
            "行业领域",
            cells.enum(Industry),
            note="仅行业性专业性调委会填写，其他类别不保存",
            options=tuple(m.label for m in Industry),
        ),
        Column(
            "status",
            "状态",
            cells.enum(OrgStatus),
            note="不填为“正常”",
            options=tuple(m.label for m in OrgStatus),
        ),
        Column("credit_code", "统一社会信用代码", cells.credit_code, as_text=True, width=22),
        Column("filing_number", "备案号", cells.text(L(Org.filing_number))),
        Column("filing_date", "备案日期", cells.past_day(), is_date=True),
        Column("established_on", "成立日期", cells.past_day(), is_date=True),
        Column("address", "地址", cells.text(L(Org.address)), width=30),
        Column("contact_person", "联系人", cells.text(L(Org.contact_person))),
        Column("contact_phone", "联系电话", cells.phone, as_text=True),
        Column("notes", "备注", cells.text(None, multiline=True), width=30),
    ),
)


@dataclass
class State:
    index: OrgIndex
    credit_codes: Unique
    #: Row numbers of the rows that describe the importer's own organisation.
    skipped: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    #: Drafts of the file's organisations (never added to the session), by 简称, for placement checks.
    drafts: dict[str, Organization] = field(default_factory=dict)
    created: int = 0


class OrganizationsImport(Kind):
    key = "organisations"
    title = "调解组织"
    aliases = ("organizations", "orgs", "组织", "调解组织")
    sheets = (SHEET,)
    entity = "organization"
    #: Each row is inserted before the next, so a child finds its parent's id and path in the database.
    batch_size = 1
    instructions = (
        "每行一个调解组织；上级组织须已在系统中，或在本表中写在其下级之前。",
        "“简称”用于案号，全县唯一；“统一社会信用代码”如填写须唯一且校验位正确。",
        "本单位（导入人所在组织）所在行会被跳过，便于直接导入从“调解组织”列表导出的文件。",
    )

    def start(self, ctx: Context) -> State:
        return State(
            OrgIndex(ctx.session), Unique("credit_code", "统一社会信用代码", Organization.credit_code)
        )

    def check_row(self, ctx: Context, state: State, sheet: SheetSpec, row: Row, emit: Emit) -> None:
        code, name = row["code"], row["name"]
        existing = state.index.by_code.get(code) if code else None
        if existing is not None and self._is_own(ctx, existing, name):
            state.skipped.add(row.number)
            state.notes.append(f"第{row.number}行是本单位（{existing.name}），系统中已有，未重复导入")
            return
        if existing is not None:
            where = "系统中已有" if existing.org is not None else f"第{existing.row}行已有"
            emit(row.number, "code", f"{where}简称为“{code}”的组织", code)
        state.credit_codes.add(ctx.session, row.number, row["credit_code"], emit)
        parent = self._parent(ctx, state, row, emit)
        if not row.ok("name", "code", "level", "kind", "status", "parent"):
            return
        if parent is None and (row["parent"] or ctx.actor is not None):
            return  # reported by _parent
        draft = Organization(
            name=name,
            code=code,
            level=row["level"],
            kind=row["kind"],
            status=row["status"] or OrgStatus.NORMAL,
        )
        try:
            orgs.check_placement(draft, parent[1] if parent else None)
        except DomainError as exc:
            emit(row.number, "parent", exc.message, row["parent"])
            return
        if existing is None:
            names = (*parent[0].path_names, name) if parent else (name,)
            state.index.add(OrgEntry(name, code, names, parent[0].path if parent else "", row=row.number))
            state.drafts[code] = draft

    def _is_own(self, ctx: Context, existing: OrgEntry, name: str | None) -> bool:
        """Return whether the row is the importer's own organisation, as stored (its export's first row)."""
        return (
            ctx.actor is not None
            and existing.org is not None
            and existing.org.id == ctx.actor.organization_id
            and name == existing.name
        )

    def _parent(
        self, ctx: Context, state: State, row: Row, emit: Emit
    ) -> tuple[OrgEntry, Organization] | None:
        """Return the parent's entry and object (stored, or a draft of the file), or None after reporting."""
        text = row["parent"]
        if not text:
            if ctx.actor is not None and row.ok("parent"):
                emit(
                    row.number, "parent", "请填写所属上级组织（只有区/县级组织可以没有上级，且须已在系统中）"
                )
            return None
        try:
            entry = state.index.find(text)
        except DomainError as exc:
            emit(row.number, "parent", f"{exc.message}；{PLACE_HINT}", text)
            return None
        if not in_scope(ctx.scope_path, entry):
            emit(row.number, "parent", f"“{entry.name}”不在本单位管辖范围内，不能在其下添加组织", text)
            return None
        return entry, entry.org if entry.org is not None else state.drafts[entry.code]

    def end_sheet(self, ctx: Context, state: State, sheet: SheetSpec, emit: Emit) -> None:
        state.credit_codes.flush(ctx.session, emit)

    def end_checks(self, ctx: Context, state: State, report: Report) -> None:
        report.notes.extend(state.notes)

    def build(self, ctx: Context, state: State, sheet: SheetSpec, row: Row) -> list[Any]:
        if row.number in state.skipped:
            return []
        parent = state.index.find(row["parent"]).org if row["parent"] else None
        org = Organization(
            parent_id=parent.id if parent is not None else None,
            name=row["name"],
            code=row["code"],
            level=row["level"],
            kind=row["kind"],
            industry=row["industry"],
            status=row["status"] or OrgStatus.NORMAL,
            credit_code=row["credit_code"],
            filing_number=row["filing_number"],
            filing_date=row["filing_date"],
            established_on=row["established_on"],
            address=row["address"],
            contact_person=row["contact_person"],
            contact_phone=row["contact_phone"],
            notes=row["notes"],
        )
        orgs.prepare(org)
        return [org]

    def after_flush(self, ctx: Context, state: State, sheet: SheetSpec, objects: list[Any]) -> None:
        for org in objects:
            entry = state.index.by_code[org.code]
            entry.org, entry.path = org, org.path
            state.created += 1

    def counts(self, state: State) -> dict[str, int]:
        return {"调解组织": state.created}
