"""Import of the 调解员名册 with training records.

Sheet 调解员: one row per mediator, the register's export columns (an administrator's export imports
back). Sheet 培训记录 (optional): one row per training, naming the mediator by 身份证号 — a mediator of
the first sheet or one already on the roster of the importer's subtree — the way a clerk copies a training
sign-in list. The rules are the register form's (`admin/registers/people.py`) through the functions it
calls: GB 11643 ID numbers matching the gender, an adult (`services.people`), phones, date windows, the
term ending after the appointment, the forms' choice lists and the model's lengths; 身份证号 unique.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portal.models.org import Organization
from portal.models.people import (
    BACKGROUND_TAGS,
    EDUCATION_LEVELS,
    ETHNIC_GROUPS,
    POLITICAL_STATUSES,
    Employment,
    Gender,
    Mediator,
    MediatorGrade,
    MediatorPosition,
    MediatorStatus,
    Training,
    TrainingLevel,
)
from portal.models.people import Training as T
from portal.services import DomainError, people
from portal.services.imports import cells
from portal.services.imports.core import Column, Context, Emit, Kind, Row, SheetSpec
from portal.services.imports.lookups import LOOKUP_BATCH, OrgIndex, TypeIndex, Unique, in_scope
from portal.validators import date_order_error, id_number_error

M = Mediator
L = cells.length_of
HOURS_LIMIT = Decimal(10) ** 4  # Numeric(5, 1)


def labels(enum_cls: Any) -> tuple[str, ...]:
    return tuple(member.label for member in enum_cls)


def org_column(key: str, header: str) -> Column:
    return Column(
        key,
        header,
        cells.text(200),
        required=True,
        note="组织的简称、名称或完整路径（如“清河县司法局 › 马集镇人民调解委员会”），须在本单位管辖范围内",
        width=36,
    )


def specialties_column() -> Column:
    return Column(
        "specialties",
        "擅长纠纷类型",
        cells.split_list,
        note="纠纷类型名称，多个用顿号“、”分隔，如“邻里纠纷、婚姻纠纷”",
        width=24,
    )


MEDIATORS = SheetSpec(
    "调解员",
    (
        Column("name", "姓名", cells.text(L(M.name)), required=True),
        Column("gender", "性别", cells.enum(Gender), required=True, options=labels(Gender), width=8),
        Column(
            "ethnicity",
            "民族",
            cells.choice(ETHNIC_GROUPS),
            note="不填为“汉族”",
            options=ETHNIC_GROUPS,
            width=10,
        ),
        Column("birth_date", "出生日期", cells.birth_day(), note="不填按身份证号自动填写", is_date=True),
        Column(
            "id_number",
            "身份证号",
            cells.id_number,
            required=True,
            note="18位公民身份号码，校验位须正确，与性别一致，须年满18周岁；全名册唯一",
            as_text=True,
            width=22,
        ),
        Column("phone", "联系电话", cells.phone, note="手机号或固定电话", as_text=True),
        org_column("organization", "所属组织"),
        Column(
            "position",
            "职务",
            cells.enum(MediatorPosition),
            note="不填为“调解员”",
            options=labels(MediatorPosition),
        ),
        Column(
            "employment", "专兼职", cells.enum(Employment), note="不填为“兼职”", options=labels(Employment)
        ),
        Column("political_status", "政治面貌", cells.choice(POLITICAL_STATUSES), options=POLITICAL_STATUSES),
        Column("education", "学历", cells.choice(EDUCATION_LEVELS), options=EDUCATION_LEVELS),
        Column(
            "background_tags",
            "人员背景",
            cells.choices(BACKGROUND_TAGS),
            note="多个用顿号“、”分隔；可选：" + "、".join(BACKGROUND_TAGS),
            width=20,
        ),
        specialties_column(),
        Column("grade", "等级", cells.enum(MediatorGrade), options=labels(MediatorGrade), width=8),
        Column("appointed_on", "聘任日期", cells.past_day(), is_date=True),
        Column("term_ends_on", "任期届满", cells.sane_day(), note="须晚于聘任日期", is_date=True),
        Column(
            "status", "状态", cells.enum(MediatorStatus), note="不填为“在职”", options=labels(MediatorStatus)
        ),
        Column(
            "left_on",
            "离任日期",
            cells.past_day(),
            note="离任的调解员不填时为导入当天；在职的不保存",
            is_date=True,
        ),
        Column(
            "training_hours", "培训学时", None, note="仅导出时附带，导入时不读取；培训请填在“培训记录”工作表"
        ),
        Column("notes", "备注", cells.text(None, multiline=True), width=30),
    ),
)

TRAININGS = SheetSpec(
    "培训记录",
    (
        Column(
            "id_number",
            "身份证号",
            cells.id_number,
            required=True,
            note="参训调解员的身份证号：本文件“调解员”表中的，或名册中已有的",
            as_text=True,
            width=22,
        ),
        Column("name", "姓名", cells.text(L(M.name)), note="可不填；填写时须与身份证号对应的调解员一致"),
        Column("held_on", "培训日期", cells.past_day(), required=True, is_date=True),
        Column("level", "级别", cells.enum(TrainingLevel), required=True, options=labels(TrainingLevel)),
        Column(
            "hours",
            "学时",
            cells.decimal(HOURS_LIMIT, 1),
            required=True,
            note=people.TRAINING_HOURS_MESSAGE + "，最多一位小数",
            width=8,
        ),
        Column("topic", "培训内容", cells.text(L(T.topic)), required=True, width=30),
        Column("organizer", "主办单位", cells.text(L(T.organizer)), width=20),
    ),
    optional=True,
)


@dataclass
class State:
    orgs: OrgIndex
    types: TypeIndex
    ids: Unique
    #: 身份证号 → name of each mediator of the first sheet; then → id once inserted.
    in_file: dict[str, Any] = field(default_factory=dict)
    #: 身份证号 → (id, name) of mediators on the roster named by the training sheet.
    on_roster: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Training rows waiting for the roster look-up: (row number, 身份证号, name, date, topic).
    pending: list[tuple[int, str, str | None, Any, str]] = field(default_factory=list)
    trainings: Unique = field(default_factory=lambda: Unique("topic", "培训记录"))
    created: dict[str, int] = field(default_factory=lambda: {"调解员": 0, "培训记录": 0})


class MediatorsImport(Kind):
    key = "mediators"
    title = "调解员名册"
    aliases = ("调解员", "调解员名册")
    sheets = (MEDIATORS, TRAININGS)
    entity = "mediator"
    instructions = (
        "“调解员”表每行一名调解员；“培训记录”表每行一次培训，用身份证号对应到调解员，可不填。",
        "“培训记录”也可单独用来为名册中已有的调解员补录培训：“调解员”表只留表头即可。",
        "“培训学时”是导出时附带的合计，导入时不读取。",
    )

    def start(self, ctx: Context) -> State:
        return State(
            OrgIndex(ctx.session), TypeIndex(ctx.session), Unique("id_number", "身份证号", Mediator.id_number)
        )

    def check_row(self, ctx: Context, state: State, sheet: SheetSpec, row: Row, emit: Emit) -> None:
        if sheet is TRAININGS:
            self._check_training(ctx, state, row, emit)
            return
        id_number, gender = row["id_number"], row["gender"]
        if id_number and gender and (error := id_number_error(id_number, gender.value)):
            emit(row.number, "id_number", error, id_number)
        elif id_number and row.ok("birth_date"):
            if row["birth_date"] is not None:
                if error := people.birth_date_error(row["birth_date"], id_number, ctx.today):
                    emit(row.number, "birth_date", error, row["birth_date"])
            elif error := people.adult_by_id_error(id_number, None, ctx.today):
                emit(row.number, "id_number", error, id_number)
        if state.ids.add(ctx.session, row.number, id_number, emit) and id_number:
            state.in_file[id_number] = row["name"]
        check_org(ctx, state.orgs, row, "organization", emit)
        check_types(state.types, row, emit)
        for key, other, label, other_label, equal in (
            ("term_ends_on", "appointed_on", "任期届满", "聘任日期", False),
            ("left_on", "appointed_on", "离任日期", "聘任日期", True),
        ):
            if error := date_order_error(row[key], row[other], label, other_label, equal):
                emit(row.number, key, error, row[key])

    def _check_training(self, ctx: Context, state: State, row: Row, emit: Emit) -> None:
        if row["hours"] is not None and (error := people.training_hours_error(row["hours"])):
            emit(row.number, "hours", error, row["hours"])
        id_number = row["id_number"]
        if id_number is None:
            return
        if row["held_on"] is not None and row["topic"]:
            key = (id_number, row["held_on"], row["topic"])
            state.trainings.add(ctx.session, row.number, key, emit, shown_value=row["topic"])
        if id_number in state.in_file:
            self._check_name(row.number, row["name"], state.in_file[id_number], emit)
            return
        state.pending.append((row.number, id_number, row["name"], row["held_on"], row["topic"]))
        if len(state.pending) >= LOOKUP_BATCH:
            self._look_up(ctx, state, emit)

    def _check_name(self, number: int, typed: str | None, name: str | None, emit: Emit) -> None:
        if typed and name and typed != name:
            emit(number, "name", f"姓名与身份证号对应的调解员（{name}）不一致", typed)

    def _look_up(self, ctx: Context, state: State, emit: Emit) -> None:
        """Find the batched trainings' mediators on the roster (in scope) and their recorded trainings."""
        wanted = {id_number for _n, id_number, *_ in state.pending}
        query = (
            select(Mediator.id, Mediator.id_number, Mediator.name)
            .join(Organization, Mediator.organization_id == Organization.id)
            .where(Mediator.id_number.in_(wanted))
            .where(Organization.path.startswith(ctx.scope_path, autoescape=True))
        )
        for mediator_id, id_number, name in ctx.session.execute(query):
            state.on_roster[id_number] = (mediator_id, name)
        recorded = set(
            ctx.session.execute(
                select(Mediator.id_number, Training.held_on, Training.topic)
                .join(Training, Training.mediator_id == Mediator.id)
                .where(Mediator.id_number.in_(wanted))
            ).all()
        )
        for number, id_number, typed, held_on, topic in state.pending:
            if id_number not in state.on_roster:
                emit(
                    number, "id_number", "本文件“调解员”表和本单位名册中都没有这个身份证号的调解员", id_number
                )
                continue
            self._check_name(number, typed, state.on_roster[id_number][1], emit)
            if (id_number, held_on, topic) in recorded:
                emit(number, "topic", "名册中已有该调解员同日同内容的培训记录", topic)
        state.pending = []

    def end_sheet(self, ctx: Context, state: State, sheet: SheetSpec, emit: Emit) -> None:
        if sheet is TRAININGS:
            self._look_up(ctx, state, emit)
        else:
            state.ids.flush(ctx.session, emit)

    def build(self, ctx: Context, state: State, sheet: SheetSpec, row: Row) -> list[Any]:
        if sheet is TRAININGS:
            id_number = row["id_number"]
            found = state.in_file.get(id_number)
            mediator_id = found if isinstance(found, int) else state.on_roster[id_number][0]
            return [
                Training(
                    mediator_id=mediator_id,
                    held_on=row["held_on"],
                    level=row["level"],
                    hours=row["hours"],
                    topic=row["topic"],
                    organizer=row["organizer"],
                )
            ]
        mediator = Mediator(
            organization_id=state.orgs.find(row["organization"]).org.id,  # type: ignore[union-attr]
            name=row["name"],
            gender=row["gender"],
            ethnicity=row["ethnicity"] or "汉族",
            birth_date=row["birth_date"],
            id_number=row["id_number"],
            phone=row["phone"],
            political_status=row["political_status"],
            education=row["education"],
            position=row["position"] or MediatorPosition.MEDIATOR,
            employment=row["employment"] or Employment.PART_TIME,
            background_tags=row["background_tags"] or [],
            specialties=[state.types.find(name) for name in row["specialties"] or ()],
            grade=row["grade"],
            appointed_on=row["appointed_on"],
            term_ends_on=row["term_ends_on"],
            status=row["status"] or MediatorStatus.ACTIVE,
            left_on=row["left_on"],
            notes=row["notes"],
        )
        people.prepare_mediator(mediator, ctx.today)
        return [mediator]

    def after_flush(self, ctx: Context, state: State, sheet: SheetSpec, objects: list[Any]) -> None:
        if sheet is TRAININGS:
            state.created["培训记录"] += len(objects)
            return
        for mediator in objects:
            state.in_file[mediator.id_number] = mediator.id
        state.created["调解员"] += len(objects)

    def counts(self, state: State) -> dict[str, int]:
        return {noun: n for noun, n in state.created.items() if n}


def check_org(ctx: Context, index: OrgIndex, row: Row, key: str, emit: Emit) -> None:
    """Check that the organisation a row names exists, lies in the importer's subtree and is not revoked
    (the forms offer only those)."""
    text = row[key]
    if not text:
        return
    try:
        entry = index.find(text)
    except DomainError as exc:
        emit(row.number, key, exc.message, text)
        return
    if not in_scope(ctx.scope_path, entry):
        emit(row.number, key, f"“{entry.name}”不在本单位管辖范围内", text)
    elif entry.revoked:
        emit(row.number, key, f"“{entry.name}”已撤销，不能再登记人员", text)


def check_types(types: TypeIndex, row: Row, emit: Emit) -> None:
    """Check the 擅长纠纷类型 list against the active dispute types."""
    for name in row["specialties"] or ():
        try:
            types.find(name)
        except DomainError as exc:
            emit(row.number, "specialties", exc.message, name)
