"""The ledger's columns, badges, filters and the parties sub-form, shared by its list views."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context
from flask_admin.contrib.sqla import filters
from flask_admin.model.form import InlineFormAdmin
from markupsafe import Markup
from sqlalchemy import and_, or_, select
from wtforms import ValidationError, validators

from portal.extensions import db
from portal.models.case import (
    MEDIATION_STATUSES,
    OPEN_STATUSES,
    Agreement,
    AgreementForm,
    Case,
    CaseStatus,
    PartyKind,
    PartyRole,
    case_mediator,
)
from portal.models.dictionary import DisputeType
from portal.models.people import Mediator
from portal.services.deadlines import (
    Colour,
    DeadlineRules,
    assess,
    colour_clause,
    local_today,
)
from portal.validators import CreditCode, IdNumber, Phone, mask_id_number, mask_phone


def rules() -> DeadlineRules:
    """Return the deadline rules of the running app, read once per request (an export asks per row)."""
    if "deadline_rules" not in g:
        g.deadline_rules = DeadlineRules.from_config(current_app.config)
    return g.deadline_rules


def colour_badge(case: Case) -> Markup:
    """Return the 红/黄/蓝 badge of a case, with its reasons as a tooltip."""
    result = assess(case, local_today(), rules())
    if result.colour is None:
        return Markup('<span class="badge badge-light">—</span>')
    title = "；".join(result.reasons) or "进展正常"
    return Markup('<span class="badge badge-risk-{}" title="{}">{}</span>').format(
        result.colour.value, title, result.colour.label
    )


def status_badge(case: Case) -> Markup:
    """Return the status as a badge."""
    return Markup('<span class="badge case-status case-status-{}">{}</span>').format(
        case.status.value, case.status.label
    )


def short(text: str | None, length: int = 40) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= length else text[: length - 1] + "…"


def parties(case: Case, role: PartyRole) -> str:
    return "、".join(p.name for p in case.parties_in(role))


def party_ids(case: Case) -> str:
    return "；".join(
        f"{p.name} {mask_id_number(p.id_number) if p.id_number else (p.credit_code or '')}".strip()
        for p in case.parties
    )


def party_phones(case: Case) -> str:
    return "；".join(f"{p.name} {mask_phone(p.phone)}" for p in case.parties if p.phone)


def outcome(case: Case) -> str:
    if case.agreement is not None:
        return f"调解成功（{case.agreement.form.label}）"
    if case.status in (CaseStatus.FAILED, CaseStatus.REFERRED) or case.failure_reason:
        return "调解不成" + (f"，{case.referral_route.label}" if case.referral_route else "")
    return ""


def performance(case: Case) -> str:
    if case.agreement is None:
        return ""
    return "已履行" if case.agreement.performed else "未履行"


def satisfaction(case: Case) -> str:
    return str(case.follow_ups[-1].satisfaction) if case.follow_ups else ""


# --- filters ---------------------------------------------------------------------------------------


class DisputeTypeFilter(filters.BaseSQLAFilter):
    """A dispute type together with its sub-types."""

    per_request_options = True

    def __init__(self) -> None:
        super().__init__(Case.dispute_type_id, "纠纷类型", options=self._choices)

    @staticmethod
    def _choices() -> list[tuple[str, str]]:
        if not has_request_context():
            return []
        types = db.session.scalars(select(DisputeType).order_by(DisputeType.sort_order))
        return [(str(t.id), ("\u3000" if t.parent_id else "") + t.name) for t in types]

    def validate(self, value: Any) -> bool:
        return str(value).isdigit()

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        ids = select(DisputeType.id).where(
            or_(DisputeType.id == int(value), DisputeType.parent_id == int(value))
        )
        return query.filter(Case.dispute_type_id.in_(ids))

    def operation(self) -> str:
        return "属于"


class ColourFilter(filters.BaseSQLAFilter):
    """The 红/黄/蓝 badge, computed from today's date and the deadline rules."""

    def __init__(self) -> None:
        super().__init__(Case.status, "预警颜色", options=[(c.value, c.label) for c in Colour])

    def validate(self, value: Any) -> bool:
        return value in Colour._value2member_map_

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(colour_clause(Colour(value), local_today(), rules()))

    def operation(self) -> str:
        return "为"


class MediatorNameFilter(filters.BaseSQLAFilter):
    """Cases whose mediators' names contain the text."""

    def __init__(self) -> None:
        super().__init__(Case.id, "承办调解员")

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        named = (
            select(case_mediator.c.case_id)
            .join(Mediator, Mediator.id == case_mediator.c.mediator_id)
            .where(Mediator.name.contains(value.strip(), autoescape=True))
        )
        return query.filter(Case.id.in_(named))

    def operation(self) -> str:
        return "姓名包含"


class ResponsiblePersonFilter(filters.BaseSQLAFilter):
    """Cases whose 责任人 (定人) contains the text."""

    def __init__(self) -> None:
        super().__init__(Case.responsible_person, "责任人（定人）")

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(Case.responsible_person.contains(value.strip(), autoescape=True))

    def operation(self) -> str:
        return "包含"


class OverdueFilter(filters.BaseSQLAFilter):
    """Cases past their 办结时限 (定时限) today, or within it; the clock runs only while in mediation."""

    def __init__(self) -> None:
        super().__init__(Case.deadline, "超期", options=[("1", "已超期"), ("0", "未超期")])

    def validate(self, value: Any) -> bool:
        return value in ("0", "1")

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        # The same rule as the 红 badge's 已超期 reason in `deadlines.assess`.
        overdue = and_(Case.status.in_(MEDIATION_STATUSES), Case.deadline < local_today())
        return query.filter(overdue if value == "1" else ~overdue)

    def operation(self) -> str:
        return "为"


class OutcomeFilter(filters.BaseSQLAFilter):
    """What mediation came to (调解结果), voided cases left out: the counts of 分析研判 and the statistics
    table link here, so the list shows exactly the cases behind a figure."""

    OPTIONS = (
        ("valid", "全部有效案件（不含已作废）"),
        ("settled", "调解成功"),
        ("written", "调解成功（书面协议）"),
        ("oral", "调解成功（口头协议）"),
        ("failed", "调解不成"),
        ("pending", "尚无调解结果"),
    )

    def __init__(self) -> None:
        super().__init__(Case.status, "调解结果", options=self.OPTIONS)

    def validate(self, value: Any) -> bool:
        return value in dict(self.OPTIONS)

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        valid = Case.status != CaseStatus.VOIDED
        agreed = select(Agreement.case_id)
        clause = {
            "valid": valid,
            "settled": and_(valid, Case.id.in_(agreed)),
            "written": and_(valid, Case.id.in_(agreed.where(Agreement.form == AgreementForm.WRITTEN))),
            "oral": and_(valid, Case.id.in_(agreed.where(Agreement.form == AgreementForm.ORAL))),
            "failed": and_(valid, Case.id.not_in(agreed), Case.failure_reason.is_not(None)),
            "pending": and_(valid, Case.id.not_in(agreed), Case.failure_reason.is_(None)),
        }[value]
        return query.filter(clause)

    def operation(self) -> str:
        return "为"


class SupervisedFilter(filters.BaseSQLAFilter):
    """Cases under 督办."""

    def __init__(self) -> None:
        super().__init__(Case.supervision_deadline, "督办", options=[("1", "督办中"), ("0", "未督办")])

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        supervised = and_(Case.supervision_deadline.is_not(None), Case.status.in_(OPEN_STATUSES))
        return query.filter(supervised if value == "1" else ~supervised)

    def operation(self) -> str:
        return "为"


# --- parties inline --------------------------------------------------------------------------------


def party_id_number(form: Any, field: Any) -> None:
    """A person's ID number is checked (GB 11643); an organisation has none."""
    if form.kind.data == PartyKind.ORGANIZATION.value:
        if field.data:
            raise ValidationError("单位当事人请填写统一社会信用代码，不填身份证号")
        return
    IdNumber(gender_field="gender")(form, field)


def party_credit_code(form: Any, field: Any) -> None:
    """An organisation's credit code is checked (GB 32100); a person has none."""
    if form.kind.data != PartyKind.ORGANIZATION.value:
        if field.data:
            raise ValidationError("自然人当事人无需填写统一社会信用代码")
        return
    CreditCode()(form, field)


class PartyInline(InlineFormAdmin):
    """Parties edited inside the case form."""

    form_columns = (
        "id",
        "role",
        "kind",
        "name",
        "gender",
        "id_number",
        "credit_code",
        "legal_representative",
        "phone",
        "address",
        "occupation",
    )
    column_labels = {
        "role": "当事人类别",
        "kind": "自然人/单位",
        "name": "姓名/名称",
        "gender": "性别",
        "id_number": "身份证号",
        "credit_code": "统一社会信用代码",
        "legal_representative": "法定代表人",
        "phone": "联系电话",
        "address": "住址/住所地",
        "occupation": "职业",
    }
    form_args = {
        "name": {
            "validators": [
                validators.InputRequired(message="请填写当事人姓名或名称"),
                validators.Length(max=100),
            ]
        },
        "id_number": {
            "validators": [validators.Optional(), party_id_number],
            "filters": [lambda x: x or None],
        },
        "credit_code": {
            "validators": [validators.Optional(), party_credit_code],
            "filters": [lambda x: x or None],
        },
        "phone": {"validators": [validators.Optional(), Phone()]},
    }


# --- the ledger ------------------------------------------------------------------------------------

LABELS = {
    "colour": "预警",
    "number": "案件编号",
    "accepted_on": "受理日期",
    "source": "纠纷来源",
    "dispute_type": "纠纷类型",
    "party_names": "当事人",
    "applicants": "申请人",
    "respondents": "被申请人",
    "party_ids": "当事人证件号码",
    "party_phones": "当事人联系电话",
    "summary": "纠纷简要情况",
    "claims": "当事人诉求",
    "occurred_on": "发生日期",
    "place": "发生地点",
    "people_involved": "涉及人数",
    "amount": "涉及金额（元）",
    "risk_level": "风险等级",
    "difficulty": "难易程度",
    "is_group": "群体性纠纷",
    "prevented_crime": "防止民转刑",
    "prevented_group_petition": "防止群体性上访",
    "organization": "承办组织",
    "org_path": "承办组织",
    "mediators": "承办调解员",
    "experts": "邀请专家",
    "lead_leader": "牵头领导",
    "responsible_unit": "责任单位",
    "responsible_person": "责任人",
    "measures": "化解措施",
    "deadline": "办结时限",
    "status": "办理状态",
    "outcome": "调解结果",
    "agreement_amount": "协议金额（元）",
    "performance": "履行情况",
    "satisfaction": "回访满意度",
    "closed_on": "结案日期",
    "warnings": "预警情况",
    "parties": "当事人",
}
