"""Import of the 特邀专家调解员库: one row per expert, the register's export columns.

The rules are the register form's (`admin/registers/people.py`, ExpertView): name, gender, profession
(from its list) and the keeping organisation (管理单位, in the importer's subtree) required; an optional
身份证号 checked against the gender and unique; phones, dates, lengths. Within a file, two rows with the
same name and phone number are the same person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.models.people import EXPERT_PROFESSIONS, Expert, ExpertStatus, Gender
from portal.services import people
from portal.services.imports import cells
from portal.services.imports.core import Column, Context, Emit, Kind, Row, SheetSpec
from portal.services.imports.lookups import OrgIndex, TypeIndex, Unique
from portal.services.imports.mediators import check_org, check_types, labels, org_column, specialties_column
from portal.validators import id_number_error

E = Expert
L = cells.length_of

SHEET = SheetSpec(
    "特邀专家",
    (
        Column("name", "姓名", cells.text(L(E.name)), required=True),
        Column("gender", "性别", cells.enum(Gender), required=True, options=labels(Gender), width=8),
        Column(
            "id_number",
            "身份证号",
            cells.id_number,
            note="可不填；填写时校验位须正确、与性别一致，且全库唯一",
            as_text=True,
            width=22,
        ),
        Column("phone", "联系电话", cells.phone, as_text=True),
        Column(
            "profession",
            "专业领域",
            cells.choice(EXPERT_PROFESSIONS),
            required=True,
            options=EXPERT_PROFESSIONS,
        ),
        Column("title", "职称/资格", cells.text(L(E.title))),
        Column("employer", "工作单位", cells.text(L(E.employer)), width=24),
        specialties_column(),
        Column("availability", "可参与时间", cells.text(L(E.availability)), width=18),
        org_column("organization", "管理单位"),
        Column("joined_on", "入库日期", cells.past_day(), is_date=True),
        Column("status", "状态", cells.enum(ExpertStatus), note="不填为“在库”", options=labels(ExpertStatus)),
        Column("notes", "备注", cells.text(None, multiline=True), width=30),
    ),
)


@dataclass
class State:
    orgs: OrgIndex
    types: TypeIndex
    ids: Unique
    people: Unique = field(default_factory=lambda: Unique("phone", "姓名和联系电话"))
    created: int = 0


class ExpertsImport(Kind):
    key = "experts"
    title = "特邀专家库"
    aliases = ("专家", "特邀专家", "特邀专家库")
    sheets = (SHEET,)
    entity = "expert"
    instructions = ("每行一名特邀专家；“管理单位”是保管该专家信息的组织，通常为县（区）协调中心。",)

    def start(self, ctx: Context) -> State:
        return State(
            OrgIndex(ctx.session), TypeIndex(ctx.session), Unique("id_number", "身份证号", Expert.id_number)
        )

    def check_row(self, ctx: Context, state: State, sheet: SheetSpec, row: Row, emit: Emit) -> None:
        id_number, gender = row["id_number"], row["gender"]
        if id_number and gender and (error := id_number_error(id_number, gender.value)):
            emit(row.number, "id_number", error, id_number)
        state.ids.add(ctx.session, row.number, id_number, emit)
        if row["name"] and row["phone"]:
            state.people.add(
                ctx.session, row.number, (row["name"], row["phone"]), emit, shown_value=row["phone"]
            )
        check_org(ctx, state.orgs, row, "organization", emit)
        check_types(state.types, row, emit)

    def end_sheet(self, ctx: Context, state: State, sheet: SheetSpec, emit: Emit) -> None:
        state.ids.flush(ctx.session, emit)

    def build(self, ctx: Context, state: State, sheet: SheetSpec, row: Row) -> list[Any]:
        expert = Expert(
            organization_id=state.orgs.find(row["organization"]).org.id,  # type: ignore[union-attr]
            name=row["name"],
            gender=row["gender"],
            id_number=row["id_number"],
            phone=row["phone"],
            profession=row["profession"],
            title=row["title"],
            employer=row["employer"],
            specialties=[state.types.find(name) for name in row["specialties"] or ()],
            availability=row["availability"],
            joined_on=row["joined_on"],
            status=row["status"] or ExpertStatus.ACTIVE,
            notes=row["notes"],
        )
        people.prepare_expert(expert)
        return [expert]

    def after_flush(self, ctx: Context, state: State, sheet: SheetSpec, objects: list[Any]) -> None:
        state.created += len(objects)

    def counts(self, state: State) -> dict[str, int]:
        return {"特邀专家": state.created}
