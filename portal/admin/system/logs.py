"""审计日志 and 登录日志 (administrators only, read-only).

An audit entry is shown in the words of the pages: the field names are the Chinese labels the
register views give their columns (`column_labels`, completed by `MORE_LABELS` for fields no view
shows), references show the names of the objects recorded with the change, coded values their
Chinese names, and a workflow step its own name (分流交办, 督办, …).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any

from flask import current_app
from flask_admin.contrib.sqla import filters
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Boolean, DateTime, Enum
from sqlalchemy.orm import MANYTOONE, Mapper

from portal.admin.base import SecureModelView, enum_filter, local_time
from portal.extensions import db
from portal.models.assessment import RoundEventKind
from portal.models.audit import AuditAction, AuditEvent, SignInEvent, SignInKind
from portal.models.auth import Role, User
from portal.models.base import Base, LabeledEnum
from portal.models.case import CaseEventKind
from portal.models.meeting import AssignmentEventKind
from portal.models.review import ReviewEventKind
from portal.services.audit import UNAUDITED
from portal.services.scope import subtree_ids

ADMIN_ONLY = frozenset({Role.ADMIN})
LABELS_KEY = "portal.audit_labels"

#: The audited tables, in Chinese.
ENTITY_LABELS = {
    "organization": "调解组织",
    "mediator": "调解员",
    "training": "培训记录",
    "expert": "专家",
    "dispute_type": "纠纷类型",
    "user_account": "用户",
    "dispute_case": "矛盾纠纷",
    "party": "当事人",
    "case_event": "流转记录",
    "case_counter": "案件编号计数",
    "mediation_session": "调解记录",
    "agreement": "调解协议",
    "follow_up": "回访记录",
    "zero_report": "零报告",
    "form_definition": "自定义表单",
    "form_version": "表单版本",
    "assessment_template": "考评方案",
    "assessment_criterion": "考评项目",
    "assessment_round": "考评批次",
    "round_event": "考评批次记录",
    "assessment": "考评对象",
    "criterion_result": "考评项目得分",
    "manual_score": "人工评分",
    "subsidy_policy": "以案定补标准",
    "recognition_criteria": "调解能手评选条件",
    "recognition": "调解能手",
    "accountability_review": "责任倒查",
    "review_case": "倒查关联案件",
    "review_party": "倒查责任认定",
    "review_event": "责任倒查记录",
    "document_counter": "文书编号计数",
    "issued_document": "文书出具记录",
    "print_job": "批量打印",
    "screening_plan": "排查计划",
    "screening_record": "排查记录",
    "screening_finding": "排查发现",
    "meeting": "研判会议",
    "meeting_decision": "议定事项",
    "assignment": "交办事项",
    "assignment_event": "督办记录",
    "database": "数据库（备份与恢复）",
    "analysis_report": "分析研判",
    "hearing": "听证",
    "leader_charge": "领导包案",
    "leader_note": "包案批示与进展",
    "liaison": "三调联动",
    "attachment": "附件",
    "excellent_case": "优秀案例",
    "excellent_case_event": "优秀案例办理记录",
    "subsidy_claim": "以案定补申报",
    "subsidy_claim_case": "申报案件",
    "subsidy_claim_line": "申报补贴明细",
    "subsidy_claim_event": "以案定补办理记录",
}
ENTITY_CHOICES = list(ENTITY_LABELS.items())

#: The Chinese names of the workflow steps, for the filter of 办理 entries.
STEP_KINDS = (CaseEventKind, ReviewEventKind, RoundEventKind, AssignmentEventKind)
STEP_CHOICES = [(name, name) for name in dict.fromkeys(kind.label for kinds in STEP_KINDS for kind in kinds)]

#: Labels of fields that no register view shows (bookkeeping, or edited through a page of its own).
MORE_LABELS: dict[str, dict[str, str]] = {
    "*": {
        "id": "编号",
        "note": "办理说明",
        "reason": "理由",
        "details": "办理详情",
        "kind": "类别",
        "at": "时间",
        "from_status": "原状态",
        "to_status": "新状态",
        "year": "年度",
        "seq": "序号",
        "actor_id": "操作人",
        "actor": "操作人",
        "actor_name": "操作人",
        # What an export and an import record (AuditAction.EXPORT, IMPORT).
        "criteria": "导出条件",
        "file": "导入文件",
        "rows": "数据行数",
    },
    "user_account": {"password_hash": "密码", "roles_value": "角色"},
    "organization": {"children": "下级组织"},
    "dispute_case": {
        "numbering_organization": "编号单位",
        "registered_by": "登记人",
        "extension_reason": "延期理由",
        "assigned_on": "交办日期",
        "last_activity_on": "最近办理日期",
        "concluded_on": "办结日期",
        "suspended_from": "中止前状态",
        "suspended_on": "中止日期",
        "supervision_deadline": "督办期限",
        "supervision_note": "督办要求",
        "supervising_organization": "督办单位",
        "failure_reason": "调解不成原因",
        "referral_route": "引导途径",
        "stability_plan": "稳控措施",
        "void_reason": "作废原因",
        "answers": "附加信息",
        "form_version": "表单版本",
    },
    "screening_finding": {
        "record": "所属排查记录",
        "status": "处理状态",
        "case": "登记的案件",
        "handled_on": "处理日期",
        "handled_by": "处理人",
        "dismiss_reason": "核实情况",
    },
    "meeting_decision": {
        "meeting": "所属会议",
        "content": "议定事项",
        "case": "相关案件",
        "withdrawn_on": "撤销日期",
        "withdrawn_reason": "撤销原因",
    },
    "assignment_event": {"assignment": "所属交办事项", "organization": "办理单位"},
    "party": {"case": "所属案件", "ethnicity": "民族", "birth_date": "出生日期", "sort_order": "排序"},
    "case_event": {"case": "所属案件", "organization": "办理单位"},
    "mediation_session": {
        "case": "所属案件",
        "held_at": "调解时间",
        "place": "调解地点",
        "participants": "参加人员",
        "content": "调解情况",
        "result": "本次结果",
        "recorder": "记录人",
        "mediators": "调解员",
    },
    "agreement": {
        "case": "所属案件",
        "number": "协议编号",
        "form": "协议形式",
        "signed_on": "签订日期",
        "terms": "协议内容",
        "amount": "涉及金额",
        "performance_manner": "履行方式",
        "performance_deadline": "履行期限",
        "performed": "已履行",
        "performed_on": "履行日期",
        "confirmation_court": "司法确认法院",
        "confirmation_date": "司法确认日期",
        "confirmation_number": "司法确认文书编号",
    },
    "follow_up": {
        "case": "所属案件",
        "visited_on": "回访日期",
        "method": "回访方式",
        "visitor": "回访人",
        "person_visited": "被回访人",
        "performance": "协议履行情况",
        "satisfaction": "满意度",
        "remaining_risk": "遗留风险",
        "notes": "回访情况",
        "evaluation": "群众评议",
        "evaluation_comment": "评议意见",
    },
    "case_counter": {"organization_id": "编号单位", "last_value": "已用到的序号"},
    "document_counter": {"organization_id": "发文单位", "last_value": "已用到的序号"},
    "training": {"mediator": "调解员"},
    "form_definition": {"draft": "草稿内容"},
    "form_version": {
        "definition": "自定义表单",
        "number": "版本号",
        "title": "标题",
        "body": "表单内容",
        "published_at": "发布时间",
        "published_by": "发布人",
    },
    "assessment_criterion": {"template": "考评方案"},
    "assessment_round": {
        "number_year": "文号年度",
        "number_seq": "文号序号",
        "number": "发文字号",
        "organization": "考评单位",
        "opened_by": "开启人",
        "finalised_at": "定稿时间",
        "finalised_by": "定稿人",
        "notes": "备注",
    },
    "round_event": {"round": "考评批次"},
    "assessment": {
        "round": "考评批次",
        "mediator": "调解员",
        "target_organization": "考评对象单位",
        "total": "总分",
        "rank": "名次",
        "band": "等次",
    },
    "criterion_result": {
        "assessment": "考评对象",
        "criterion": "考评项目",
        "value": "统计值",
        "points": "得分",
        "explanation": "计分说明",
        "evidence": "依据",
    },
    "manual_score": {
        "assessment": "考评对象",
        "criterion": "考评项目",
        "evaluator": "评分人",
        "points": "得分",
        "comment": "评分意见",
    },
    "recognition": {
        "title": "荣誉称号",
        "evidence": "评选依据",
        "nominated_by": "推荐人",
        "decided_by": "审批人",
        "decided_at": "审批时间",
        "serial_seq": "证书序号",
    },
    "accountability_review": {"opened_by": "立案人", "decided_by": "决定人"},
    "review_case": {
        "review": "责任倒查",
        "case": "关联案件",
        "linked_at": "关联时间",
        "linked_by_name": "关联人",
        "snapshot": "案件快照",
        "withdrawn_at": "撤回时间",
        "withdrawn_reason": "撤回理由",
    },
    "review_party": {
        "review": "责任倒查",
        "kind": "责任主体类别",
        "organization": "责任单位",
        "mediator": "责任调解员",
        "person_name": "责任人",
        "position": "单位及职务",
        "cause": "责任情形",
        "facts": "认定事实",
        "criticism": "批评",
        "notice": "通报",
        "interview": "约谈",
        "supervision": "挂牌督办",
        "deduction_points": "考评扣分",
        "award_ban": "取消评优",
        "measure_note": "措施说明",
        "named_at": "认定时间",
        "withdrawn_at": "撤回时间",
        "withdrawn_reason": "撤回理由",
    },
    "review_event": {"review": "责任倒查"},
    "issued_document": {"issued_by": "出具人"},
    "analysis_report": {
        "organization": "研判单位",
        "period_kind": "研判周期",
        "period_start": "期间起",
        "period_end": "期间止",
        "situation": "总体形势研判",
        "risks": "风险隐患及预警",
        "suggestions": "工作建议",
        "updated_by": "填写人",
        "circular_year": "通报年度",
        "circular_seq": "通报期号",
        "circular_number": "通报文号",
    },
    "hearing": {
        "case": "所属案件",
        "held_at": "听证时间",
        "place": "听证地点",
        "presiding": "主持人",
        "parties_present": "到场当事人",
        "representatives": "代理人及其他参加人",
        "questions": "听证事项",
        "outcome": "听证结果",
        "summary": "听证情况",
        "recorder": "记录人",
        "voided_on": "作废日期",
        "void_reason": "作废原因",
        "mediators": "参加调解员",
        "experts": "参加专家",
    },
    "leader_charge": {
        "case": "所属案件",
        "leader": "包案领导",
        "leader_name": "包案领导",
        "leader_post": "职务",
        "level": "领导层级",
        "started_on": "包案日期",
        "instructions": "包案要求",
        "ended_on": "结束日期",
        "end_note": "结束说明",
        "voided_on": "作废日期",
        "void_reason": "作废原因",
    },
    "leader_note": {"charge": "所属包案", "noted_on": "日期", "content": "内容", "author_name": "记录人"},
    "liaison": {
        "case": "所属案件",
        "channel": "对接部门",
        "direction": "方向",
        "partner": "对接单位",
        "partner_contact": "对方联系人",
        "partner_reference": "对方文书编号",
        "sent_on": "移送日期",
        "received_on": "接收日期",
        "feedback_on": "反馈日期",
        "outcome": "对接结果",
        "feedback": "反馈情况",
        "voided_on": "作废日期",
        "void_reason": "作废原因",
    },
    "attachment": {
        "case": "所属案件",
        "field_key": "表单字段",
        "name": "文件名",
        "content_type": "文件类型",
        "size": "文件大小",
        "sha256": "SHA-256",
        "status": "状态",
        "uploaded_by": "上传人",
        "uploaded_at": "上传时间",
        "removed_at": "移除时间",
        "removed_by": "移除人",
    },
    "excellent_case": {
        "case": "原案件",
        "proposal_no": "推荐次序",
        "county": "所属县（区）",
        "method_codes": "调解方法标签",
        "summary": "案情简介",
        "process": "调解过程",
        "technique": "调解方法与技巧",
        "significance": "典型意义",
        "anon_checked_by": "脱敏核对人",
        "anon_checked_by_name": "脱敏核对人",
        "anon_checked_at": "脱敏核对时间",
        "revision": "文本版本",
        "proposed_by": "推荐人",
        "reviewed_at": "审核时间",
        "review_note": "审核意见",
        "withdrawn_at": "撤出时间",
        "withdrawn_by_name": "撤出人",
        "withdraw_reason": "撤出原因",
    },
    "excellent_case_event": {"entry": "所属案例", "organization": "办理单位"},
    "subsidy_claim": {
        "period_start": "期间开始",
        "period_end": "期间结束",
        "declared_by": "申报人",
        "reviewed_by": "审核人",
        "approved_by": "审批人",
        "paid_by": "发放人",
    },
    "subsidy_claim_case": {
        "claim": "所属申报",
        "case": "案件",
        "case_number": "案件编号",
        "organization_name": "调解组织",
        "difficulty": "难易程度",
        "tier_amount": "补贴标准",
        "signed_on": "协议签订日期",
        "released": "已释放（撤回后可重新申报）",
    },
    "subsidy_claim_line": {
        "claim": "所属申报",
        "claim_case": "申报案件",
        "mediator": "调解员",
        "mediator_name": "调解员姓名",
        "mediator_org_name": "调解员所在组织",
        "sharers": "分摊人数",
        "declared_amount": "申报金额",
        "amount": "核定金额",
        "adjust_reason": "调整理由",
    },
    "subsidy_claim_event": {"claim": "所属申报"},
    "print_job": {
        "parameters": "参数",
        "requested_by": "提交人",
        "total": "总份数",
        "error": "错误",
        "pdf": "PDF文件",
        "pdf_size": "文件大小",
        "pages": "页数",
        "sha256": "SHA-256",
        "started_at": "开始时间",
        "finished_at": "结束时间",
    },
}

#: Keys of a workflow step's details (CaseEvent.details and the like), in Chinese.
DETAIL_LABELS = {
    "organization": "承办组织",
    "mediators": "调解员",
    "responsible_person": "责任人",
    "to_org": "接收组织",
    "from_org": "原承办组织",
    "deadline": "期限",
    "old_deadline": "原期限",
    "route": "途径",
    "number": "编号",
    "satisfaction": "满意度",
    "performance": "履行",
    "held_at": "时间",
    "place": "地点",
    "form": "协议形式",
    "amount": "金额",
    "paused_days": "中止天数",
}


def collect_labels(views: Iterable[Any]) -> dict[str, dict[str, str]]:
    """Return {table: {field: label}} from the views' column_labels and their inline forms'."""
    labels: dict[str, dict[str, str]] = {}
    for view in views:
        sources = [(getattr(view, "model", None), getattr(view, "column_labels", None))]
        for inline in getattr(view, "inline_models", None) or ():
            sources.append((getattr(inline, "model", None), getattr(inline, "column_labels", None)))
        for model, column_labels in sources:
            if model is None or not hasattr(model, "__table__"):
                continue
            merged = labels.setdefault(model.__table__.name, {})
            for key, text in (column_labels or {}).items():
                merged.setdefault(key, str(text))
    for table, extra in MORE_LABELS.items():
        if table != "*":
            for key, text in extra.items():
                labels.setdefault(table, {}).setdefault(key, text)
    return labels


def install_labels(app: Any, views: Iterable[Any]) -> None:
    """Keep the labels of `views` for the audit log pages of `app`."""
    app.extensions[LABELS_KEY] = collect_labels(views)


@cache
def mappers_by_table() -> dict[str, Mapper]:
    """Return the mapper of every audited table."""
    return {
        mapper.class_.__table__.name: mapper
        for mapper in Base.registry.mappers
        if hasattr(mapper.class_, "__table__") and not issubclass(mapper.class_, UNAUDITED)
    }


def field_label(entity: str, key: str, labels: dict[str, dict[str, str]] | None = None) -> str | None:
    """Return the Chinese label of a field of an audited table, or None if it has none."""
    labels = labels if labels is not None else current_app.extensions.get(LABELS_KEY, {})
    table = labels.get(entity, {})
    found = table.get(key) or MORE_LABELS["*"].get(key)
    if found:
        return found
    reference = _references(entity).get(key)  # organization_id: the label of `organization`
    return table.get(reference) if reference else None


def _references(entity: str) -> dict[str, str]:
    """Return {foreign key attribute: relationship attribute} of a table's many-to-one references."""
    mapper = mappers_by_table().get(entity)
    if mapper is None:
        return {}
    found = {}
    for rel in mapper.relationships:
        if rel.direction is MANYTOONE and len(rel.local_columns) == 1:
            found[mapper.get_property_by_column(next(iter(rel.local_columns))).key] = rel.key
    return found


def _column_type(entity: str, key: str) -> Any:
    mapper = mappers_by_table().get(entity)
    if mapper is None or key not in mapper.column_attrs:
        return None
    return mapper.column_attrs[key].columns[0].type


def value_text(entity: str, key: str, value: Any) -> str:
    """Return a recorded value as the pages show it: names of codes, 是/否, local times."""
    if value is None or value == "" or value == []:
        return "—"
    kind = _column_type(entity, key)
    enum_class = getattr(kind, "enum_class", None) if isinstance(kind, Enum) else None
    if enum_class is not None and issubclass(enum_class, LabeledEnum):
        return enum_class.label_of(value)
    if isinstance(value, bool) or isinstance(kind, Boolean):
        return "是" if value in (True, 1, "1", "true") else "否"
    if isinstance(kind, DateTime) and isinstance(value, str):
        try:
            return local_time(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{DETAIL_LABELS.get(k, k)}：{_plain_text(v)}" for k, v in value.items())
    return str(value)


def _plain_text(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return "—" if value is None else str(value)


def described_changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """Return the entry's changes as (field, before, after) in Chinese, references by name."""
    changes = event.changes or {}
    references = _references(event.entity)
    rows = []
    for key, pair in changes.items():
        if references.get(key) in changes:
            continue  # the names, recorded under the relationship's key, say it better than ids
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        label = field_label(event.entity, key) or key
        rows.append((label, value_text(event.entity, key, before), value_text(event.entity, key, after)))
    return rows


def changes_table(event: AuditEvent) -> Markup:
    """Return the before/after diff as an escaped HTML table."""
    rows = described_changes(event)
    if not rows:
        return Markup("")
    body = Markup("").join(
        Markup("<tr><th>{}</th><td>{}</td><td>{}</td></tr>").format(label, before, after)
        for label, before, after in rows
    )
    head = Markup('<table class="table table-sm table-bordered mb-0">')
    head += Markup("<tr><th>字段</th><th>修改前</th><th>修改后</th></tr>")
    return head + body + Markup("</table>")


def changes_text(event: AuditEvent) -> str:
    """Return the diff as one line of text, for the export."""
    return "；".join(f"{label}：{before} → {after}" for label, before, after in described_changes(event))


def users_in_scope(user_column: Any) -> Any:
    """Return a clause keeping rows whose user belongs to the current user's subtree; None at the county."""
    if current_user.organization.parent_id is None:
        return None
    return user_column.in_(db.select(User.id).where(User.organization_id.in_(subtree_ids(current_user))))


class AuditEventView(SecureModelView):
    """审计日志: read-only, filtered by entity, step, user and time."""

    read_roles = ADMIN_ONLY
    write_roles = frozenset()
    scoped_org_fields = ()
    can_view_details = True
    column_list = ("at", "actor_name", "ip", "action", "entity", "entity_id", "summary")
    column_export_list = (*column_list, "changes")
    column_details_list = column_export_list
    column_labels = {
        "at": "时间",
        "actor_name": "操作人",
        "ip": "IP地址",
        "action": "操作",
        "entity": "对象类型",
        "entity_id": "对象编号",
        "summary": "摘要",
        "changes": "变更内容（修改前 → 修改后）",
    }
    column_searchable_list = ("actor_name", "summary", "entity_id")
    column_sortable_list = ("at", "actor_name", "action", "entity")
    column_default_sort = ("at", True)
    column_filters = (
        filters.FilterEqual(AuditEvent.entity, "对象类型", options=lambda: ENTITY_CHOICES),
        filters.FilterEqual(AuditEvent.entity_id, "对象编号"),
        enum_filter(AuditEvent.action, "操作", AuditAction),
        filters.FilterLike(AuditEvent.actor_name, "操作人"),
        filters.DateTimeBetweenFilter(AuditEvent.at, "时间"),
        filters.FilterEqual(AuditEvent.step, "办理环节", options=lambda: STEP_CHOICES),
    )
    column_formatters = {
        "at": lambda v, c, m, n: local_time(m.at),
        "action": lambda v, c, m, n: m.operation,
        "entity": lambda v, c, m, n: ENTITY_LABELS.get(m.entity, m.entity),
    }
    column_formatters_detail = {**column_formatters, "changes": lambda v, c, m, n: changes_table(m)}
    column_formatters_export = {**column_formatters, "changes": lambda v, c, m, n: changes_text(m)}

    def scope_clause(self) -> Any:
        # A sub-county administrator sees what the users of its subtree did.
        return users_in_scope(AuditEvent.actor_id)


class SignInEventView(SecureModelView):
    """登录日志: sign-ins, sign-outs, failed attempts, lockouts and unlocks; read-only."""

    read_roles = ADMIN_ONLY
    write_roles = frozenset()
    scoped_org_fields = ()
    can_view_details = True
    column_list = ("at", "kind", "username", "full_name", "ip", "detail")
    column_export_list = (*column_list, "user_agent")
    column_details_list = column_export_list
    column_labels = {
        "at": "时间",
        "kind": "事件",
        "username": "用户名",
        "full_name": "姓名",
        "ip": "IP地址",
        "detail": "说明",
        "user_agent": "浏览器",
    }
    column_searchable_list = ("username", "full_name", "ip")
    column_sortable_list = ("at", "kind", "username", "ip")
    column_default_sort = ("at", True)
    column_filters = (
        enum_filter(SignInEvent.kind, "事件", SignInKind),
        filters.FilterLike(SignInEvent.username, "用户名"),
        filters.FilterLike(SignInEvent.full_name, "姓名"),
        filters.FilterEqual(SignInEvent.ip, "IP地址"),
        filters.DateTimeBetweenFilter(SignInEvent.at, "时间"),
    )
    column_formatters = {"at": lambda v, c, m, n: local_time(m.at)}
    column_formatters_export = column_formatters
    column_formatters_detail = column_formatters

    def scope_clause(self) -> Any:
        # A sub-county administrator sees the accounts of its subtree; names nobody holds stay with
        # the county, which alone can tell a mistyped name from an attack.
        return users_in_scope(SignInEvent.user_id)
