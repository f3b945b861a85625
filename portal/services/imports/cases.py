"""Import of historical cases: disputes closed or settled in past paper ledgers (纸质台账).

One row per case: registration (organisation, type, dates, summary, the 申请人 and the 被申请人), the
mediators and their 四定, the 调解记录, the outcome (agreement, or failure and referral), the 回访 and the
closing date. Only finished cases come in this way: a settled case (with or without 回访), a case guided
to litigation or arbitration, or either one closed (结案归档, which a settled case reaches after 回访).
Cases still being worked are registered through the workflow.

Each row is built into a full case (`case_build`) and must pass the ledger's own checks
(`case_checks.problem_fields`: the steps' rules, history, outcome, dates in order) before anything is
written; numbers follow `case_build.Numbering`. Data-entry users (录入员) may import the cases of their
subtree; administrators too. An organisation revoked since may still receive its own past cases: the
ledger keeps the history of revoked organisations. The columns are in `case_sheet`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.models.auth import Role
from portal.models.case import Performance
from portal.models.people import Mediator
from portal.services import DomainError, case_checks, cases
from portal.services.imports.case_build import FAILURE, SUCCESS, Numbering, Resolved, build_case, parse_number
from portal.services.imports.case_sheet import SHEET
from portal.services.imports.cells import CellError
from portal.services.imports.core import REQUIRED, Context, Emit, Kind, Report, Row, SheetSpec
from portal.services.imports.lookups import MediatorIndex, OrgIndex, TypeIndex, Unique, in_scope
from portal.services.numbering import format_case_number

NOTE = "历史案件导入"


#: Which column a check's field belongs to (`DomainError.field` of the workflow's checks).
FIELD_COLUMNS = {
    "summary": "summary",
    "accepted_on": "accepted_on",
    "occurred_on": "occurred_on",
    "people_involved": "people_involved",
    "amount": "amount",
    "responsible_person": "responsible_person",
    "responsible_unit": "responsible_unit",
    "measures": "measures",
    "held_at": "session_on",
    "place": "session_place",
    "content": "session_content",
    "terms": "terms",
    "signed_on": "signed_on",
    "performed_on": "performed_on",
    "visited_on": "visited_on",
    "visitor": "visitor",
    "person_visited": "person_visited",
    "satisfaction": "satisfaction",
}
#: (column, the outcome that needs it, the outcome that must not have it).
BY_OUTCOME = (
    ("signed_on", SUCCESS),
    ("terms", SUCCESS),
    ("failure_reason", FAILURE),
    ("referral_route", FAILURE),
    ("stability_plan", FAILURE),
)
SETTLED_ONLY = ("agreement_form", "agreement_amount", "performed_on")


@dataclass
class State:
    orgs: OrgIndex
    types: TypeIndex
    people: MediatorIndex
    numbers: Unique
    numbering: Numbering = field(default_factory=Numbering)
    #: Mediators named by the file, kept loaded (a few hundred at most).
    mediators: dict[int, Mediator] = field(default_factory=dict)
    note: str = NOTE
    created: int = 0


class CasesImport(Kind):
    key = "cases"
    title = "历史案件"
    aliases = ("案件", "历史案件", "台账")
    sheets = (SHEET,)
    roles = frozenset({Role.ADMIN, Role.ENTRY})
    entity = "dispute_case"
    instructions = (
        "用于把纸质台账中已调结的案件录入系统：调解成功（可已回访）、调解不成并已引导诉讼/仲裁，或已结案归档的案件。",
        "尚在办理中的案件请在“纠纷台账”中登记，按流程办理。",
        "调解成功的案件须有协议日期和协议内容；调解不成的须有原因、引导途径和稳控方案；调解成功的案件须回访后才能填写结案日期。",
        "每个案件须通过与台账相同的检查：日期先后（发生≤受理≤交办≤调解≤协议≤回访≤结案，且不晚于今天）、当事人证件号码、金额等。",
    )

    def start(self, ctx: Context) -> State:
        return State(
            OrgIndex(ctx.session),
            TypeIndex(ctx.session),
            MediatorIndex(ctx.session, ctx.scope_path),
            Unique("number", "案号"),  # the database is asked by Numbering.check (number and sequence)
        )

    def check_row(self, ctx: Context, state: State, sheet: SheetSpec, row: Row, emit: Emit) -> None:
        found = self._resolve(ctx, state, row, emit)
        self._check_outcome(row, emit)
        if found is not None and row["accepted_on"] is not None and row.ok("number"):
            self._check_number(ctx, state, row, found, emit)
        if found is None or row.failed or not self._complete(row):
            return
        case = build_case(ctx, row, found, row["number"] or "", 0, state.note)
        reported = set()
        for index, party in enumerate(case.parties):
            try:
                cases.check_party(party, ctx.today)
            except DomainError as exc:
                column = ("applicant_id", "respondent_id")[index]
                emit(row.number, column, exc.message, row[column])
                reported.add(exc.message)
        for name, message in case_checks.problem_fields(case, ctx.today, ctx.rules):
            if message in reported:
                continue
            key: str | None = FIELD_COLUMNS.get(name or "")
            if name == "amount" and message.startswith("协议金额"):
                key = "agreement_amount"
            emit(row.number, key, message, row[key] if key else None)

    def _resolve(self, ctx: Context, state: State, row: Row, emit: Emit) -> Resolved | None:
        """Look up the organisation, dispute type and mediators; report what is not found or not in reach."""
        org = dispute_type = None
        if row["organization"]:
            try:
                entry = state.orgs.find(row["organization"])
                if not in_scope(ctx.scope_path, entry):
                    raise DomainError(f"“{entry.name}”不在本单位管辖范围内")
                org = entry.org
            except DomainError as exc:
                emit(row.number, "organization", exc.message, row["organization"])
        if row["dispute_type"]:
            try:
                dispute_type = state.types.find(row["dispute_type"])
            except DomainError as exc:
                emit(row.number, "dispute_type", exc.message, row["dispute_type"])
        mediators = []
        for text in row["mediators"] or ():
            try:
                mediator_id, _name = state.people.find(text, org.path if org is not None else "")
            except DomainError as exc:
                emit(row.number, "mediators", exc.message, text)
                continue
            if mediator_id not in state.mediators:
                state.mediators[mediator_id] = ctx.session.get_one(Mediator, mediator_id)
            mediators.append(state.mediators[mediator_id])
        if org is None or dispute_type is None or len(mediators) != len(row["mediators"] or ()):
            return None
        return Resolved(org, dispute_type, mediators)

    def _check_outcome(self, row: Row, emit: Emit) -> None:
        """The columns an outcome needs, and those it must leave empty."""
        outcome = row["outcome"]
        if outcome is None:
            return
        for key, needed_by in BY_OUTCOME:
            if outcome == needed_by and row[key] is None and row.ok(key):
                emit(row.number, key, f"{outcome}的案件{REQUIRED}")
                row.failed.add(key)
            elif outcome != needed_by and row[key] is not None:
                emit(row.number, key, f"{outcome}的案件不应填写此项", row[key])
                row.failed.add(key)
        if outcome == FAILURE:
            for key in SETTLED_ONLY:
                if row[key] is not None:
                    emit(row.number, key, "调解不成的案件没有协议，不应填写此项", row[key])
                    row.failed.add(key)
        if row["performed_on"] is not None and row["performance"] != Performance.FULL:
            emit(row.number, "performed_on", "履行情况为“已全部履行”时才填写履行日期", row["performed_on"])
            row.failed.add("performed_on")
        if row["visited_on"] is not None:
            for key in ("performance", "satisfaction"):
                if row[key] is None and row.ok(key):
                    emit(row.number, key, f"填写了回访日期，{REQUIRED}")
                    row.failed.add(key)
        elif outcome == SUCCESS and row["closed_on"] is not None:
            emit(row.number, "visited_on", "调解成功的案件须回访后才能结案归档，请填写回访日期")
            row.failed.add("visited_on")

    def _complete(self, row: Row) -> bool:
        return all(
            row[key] is not None for key in ("accepted_on", "session_on", "summary", "session_content")
        )

    def _check_number(self, ctx: Context, state: State, row: Row, found: Resolved, emit: Emit) -> None:
        org, year = found.org, row["accepted_on"].year
        if not row["number"]:
            state.numbering.blank(org.id, year)
            return
        try:
            number_year, code, seq = parse_number(row["number"])
            if number_year != year:
                raise CellError(f"案号年度（{number_year}）与受理日期的年度（{year}）不一致")
            if code != org.code:
                raise CellError(f"案号中的简称“{code}”不是受理组织“{org.name}”的简称“{org.code}”")
        except (DomainError, CellError) as exc:
            emit(row.number, "number", exc.message, row["number"])
            row.failed.add("number")
            return
        canonical = format_case_number(year, org.code, seq)
        row.values["number"] = canonical
        if state.numbers.add(ctx.session, row.number, canonical, emit):
            state.numbering.give(org.id, year, seq, row.number)

    def end_sheet(self, ctx: Context, state: State, sheet: SheetSpec, emit: Emit) -> None:
        state.numbers.flush(ctx.session, emit)
        codes = {
            entry.org.id: entry.org.code for entry in state.orgs.by_code.values() if entry.org is not None
        }
        for row, message in state.numbering.check(ctx.session, codes):
            emit(row, "number", message)

    def end_checks(self, ctx: Context, state: State, report: Report) -> None:
        state.note = f"{NOTE}（{report.filename}）" if report.filename else NOTE

    def begin_insert(self, ctx: Context, state: State) -> None:
        names = {
            entry.org.id: entry.org.name for entry in state.orgs.by_code.values() if entry.org is not None
        }
        state.numbering.take(ctx.session, names)

    def build(self, ctx: Context, state: State, sheet: SheetSpec, row: Row) -> list[Any]:
        found = self._resolve(ctx, state, row, _refuse)
        assert found is not None  # checked in the first pass
        year = row["accepted_on"].year
        if row["number"]:
            _year, _code, seq = parse_number(row["number"])
        else:
            seq = state.numbering.issue(found.org.id, year)
        number = format_case_number(year, found.org.code, seq)
        return [build_case(ctx, row, found, number, seq, state.note)]

    def after_flush(self, ctx: Context, state: State, sheet: SheetSpec, objects: list[Any]) -> None:
        state.created += len(objects)

    def counts(self, state: State) -> dict[str, int]:
        return {"案件": state.created}


def _refuse(row: int, key: str | None, message: str, value: Any = None) -> None:
    raise DomainError(f"第{row}行在检查后发生了变化（{message}），请重新检查文件")
