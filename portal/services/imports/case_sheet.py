"""The sheet of the historical-case import: one row per case, registration to closing (see `cases`)."""

from __future__ import annotations

from portal.models.case import (
    AgreementForm,
    Case,
    CaseSource,
    Difficulty,
    FollowUpMethod,
    PartyKind,
    Performance,
    ReferralRoute,
    RiskLevel,
)
from portal.models.people import Gender
from portal.services.imports import cells
from portal.services.imports.case_build import FAILURE, SUCCESS
from portal.services.imports.core import Column, SheetSpec
from portal.services.imports.mediators import labels, org_column
from portal.validators import MONEY_LIMIT

C = Case
L = cells.length_of


def party_columns(prefix: str, title: str) -> tuple[Column, ...]:
    return (
        Column(prefix, title, cells.text(100), required=True, note="姓名或单位名称"),
        Column(
            f"{prefix}_kind",
            f"{title}类别",
            cells.enum(PartyKind),
            note="不填为“自然人”",
            options=labels(PartyKind),
        ),
        Column(f"{prefix}_gender", f"{title}性别", cells.enum(Gender), options=labels(Gender), width=8),
        Column(
            f"{prefix}_id",
            f"{title}证件号码",
            cells.identifier,
            note="自然人填身份证号，单位填统一社会信用代码；可不填",
            as_text=True,
            width=22,
        ),
        Column(f"{prefix}_phone", f"{title}联系电话", cells.phone, as_text=True),
        Column(f"{prefix}_address", f"{title}住址", cells.text(200), width=24),
    )


def money(header: str, key: str) -> Column:
    return Column(key, header, cells.decimal(MONEY_LIMIT, 2, "金额"), note="单位：元，最多两位小数", width=12)


SHEET = SheetSpec(
    "历史案件",
    (
        Column(
            "number",
            "案号",
            cells.text(L(C.number)),
            note="可不填，由系统按受理组织和受理年度接续编号；填写时为“（2023）MJ人调字第12号”，年度与受理日期一致、"
            "简称为受理组织的简称、不得与已有案号重复，同一组织同一年度的案号须连续",
            as_text=True,
            width=26,
        ),
        org_column("organization", "受理组织"),
        Column(
            "dispute_type", "纠纷类型", cells.text(60), required=True, note="“纠纷类型”字典中的名称", width=16
        ),
        Column(
            "source",
            "纠纷来源",
            cells.enum(CaseSource),
            note="不填为“当事人申请”",
            options=labels(CaseSource),
        ),
        Column("accepted_on", "受理日期", cells.past_day(), required=True, is_date=True),
        Column("occurred_on", "纠纷发生日期", cells.past_day(), is_date=True),
        Column("place", "纠纷发生地点", cells.text(L(C.place)), width=20),
        Column("summary", "纠纷简要情况", cells.text(None, multiline=True), required=True, width=40),
        Column("claims", "当事人诉求", cells.text(None, multiline=True), width=30),
        Column(
            "people_involved",
            "涉及人数",
            cells.whole(1, 100_000, "涉及人数"),
            note="不填为当事人人数",
            width=8,
        ),
        money("涉及金额（元）", "amount"),
        Column("risk_level", "风险等级", cells.enum(RiskLevel), note="不填为“低”", options=labels(RiskLevel)),
        Column(
            "difficulty", "难易程度", cells.enum(Difficulty), note="不填为“一般”", options=labels(Difficulty)
        ),
        Column("prevented_crime", "防止民转刑", cells.yes_no, note="是/否，不填为“否”", options=("是", "否")),
        Column(
            "prevented_group_petition",
            "防止群体性上访",
            cells.yes_no,
            note="是/否，不填为“否”",
            options=("是", "否"),
        ),
        *party_columns("applicant", "申请人"),
        *party_columns("respondent", "被申请人"),
        Column(
            "mediators",
            "承办调解员",
            cells.split_list,
            required=True,
            note="名册中调解员的姓名，多人用顿号“、”分隔；同名时改填身份证号",
            width=20,
        ),
        Column("assigned_on", "交办日期", cells.past_day(), note="不填为受理日期", is_date=True),
        Column(
            "responsible_person", "责任人", cells.text(L(C.responsible_person)), note="不填为第一名承办调解员"
        ),
        Column("responsible_unit", "责任单位", cells.text(L(C.responsible_unit)), note="不填为受理组织"),
        Column("measures", "化解措施", cells.text(5000, multiline=True), note="不填为调解情况", width=30),
        Column("session_on", "调解日期", cells.past_day(), required=True, is_date=True),
        Column("session_place", "调解地点", cells.text(200), note="不填为受理组织名称", width=20),
        Column("session_content", "调解情况", cells.text(None, multiline=True), required=True, width=40),
        Column(
            "outcome", "调解结果", cells.choice((SUCCESS, FAILURE)), required=True, options=(SUCCESS, FAILURE)
        ),
        Column(
            "agreement_form",
            "协议形式",
            cells.enum(AgreementForm),
            note="调解成功时填写，不填为“书面协议”",
            options=labels(AgreementForm),
        ),
        Column("signed_on", "协议日期", cells.past_day(), note="调解成功时必填", is_date=True),
        Column("terms", "协议内容", cells.text(None, multiline=True), note="调解成功时必填", width=40),
        money("协议金额（元）", "agreement_amount"),
        Column(
            "performance",
            "履行情况",
            cells.enum(Performance),
            note="填写回访时必填",
            options=labels(Performance),
        ),
        Column(
            "performed_on",
            "履行日期",
            cells.past_day(),
            note="已全部履行时可填，不填为回访或协议日期",
            is_date=True,
        ),
        Column(
            "failure_reason",
            "调解不成原因",
            cells.text(None, multiline=True),
            note="调解不成时必填",
            width=30,
        ),
        Column(
            "referral_route",
            "引导途径",
            cells.enum(ReferralRoute),
            note="调解不成时必填",
            options=labels(ReferralRoute),
        ),
        Column(
            "stability_plan", "稳控方案", cells.text(None, multiline=True), note="调解不成时必填", width=30
        ),
        Column(
            "visited_on", "回访日期", cells.past_day(), note="调解成功的案件须回访后才能结案", is_date=True
        ),
        Column(
            "visit_method",
            "回访方式",
            cells.enum(FollowUpMethod),
            note="不填为“上门回访”",
            options=labels(FollowUpMethod),
        ),
        Column("visitor", "回访人", cells.text(50), note="不填为第一名承办调解员"),
        Column("person_visited", "被回访人", cells.text(100), note="不填为申请人"),
        Column("satisfaction", "满意度", cells.whole(1, 5, "满意度"), note="1至5分，填写回访时必填", width=8),
        Column("closed_on", "结案日期", cells.past_day(), note="填写即为结案归档", is_date=True),
    ),
)
