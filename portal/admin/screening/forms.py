"""Forms of the 排查, meeting and 交办 pages (the small forms of each step), and the inline findings."""

from __future__ import annotations

from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.form import DatePickerWidget, Select2Widget
from flask_admin.model.form import InlineFormAdmin
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms import validators as v

from portal.admin.ledger.forms import StepForm
from portal.models.case import RiskLevel
from portal.validators import PastDate, SaneDate


def _required(message: str) -> v.InputRequired:
    return v.InputRequired(message=message)


class FindingInline(InlineFormAdmin):
    """排查发现, entered with the record (later ones are added on the record's page)."""

    form_columns = (
        "id",
        "summary",
        "place",
        "parties",
        "people_involved",
        "dispute_type",
        "risk_level",
        "occurred_on",
    )
    column_labels = {
        "summary": "纠纷情况",
        "place": "发生地点",
        "parties": "涉及当事人",
        "people_involved": "涉及人数",
        "dispute_type": "纠纷类型",
        "risk_level": "风险等级",
        "occurred_on": "发生日期",
    }
    form_args = {
        "summary": {"validators": [_required("请填写纠纷情况"), v.Length(max=5000)]},
        "place": {"validators": [v.Optional(), v.Length(max=200)]},
        "parties": {"validators": [v.Optional(), v.Length(max=200)], "description": "姓名，多人以顿号分隔"},
        "people_involved": {
            "validators": [_required("请填写涉及人数"), v.NumberRange(1, 100000, "涉及人数应为正整数")]
        },
        "occurred_on": {"validators": [v.Optional(), PastDate()]},
    }
    form_widget_args = {"summary": {"rows": 2}}


class FindingFields:
    """A finding added on the record's page (添加排查发现)."""

    summary = TextAreaField(
        "纠纷情况", validators=[_required("请填写纠纷情况"), v.Length(max=5000)], render_kw={"rows": 4}
    )
    place = StringField("发生地点", validators=[v.Optional(), v.Length(max=200)])
    parties = StringField(
        "涉及当事人", validators=[v.Optional(), v.Length(max=200)], description="姓名，多人以顿号分隔"
    )
    people_involved = IntegerField(
        "涉及人数",
        default=2,
        validators=[_required("请填写涉及人数"), v.NumberRange(1, 100000, "涉及人数应为正整数")],
    )
    dispute_type = QuerySelectField(
        "纠纷类型", widget=Select2Widget(), allow_blank=True, blank_text="（待定）"
    )
    risk_level = SelectField("风险等级", choices=RiskLevel.choices(), default=RiskLevel.LOW.value)
    occurred_on = DateField("发生日期", widget=DatePickerWidget(), validators=[v.Optional(), PastDate()])


class AddFindingForm(StepForm, FindingFields):
    """添加排查发现."""


class ReasonForm(StepForm):
    """A step that needs a reason (撤销计划, 作废记录, 核实不构成纠纷, 撤销议定事项, 作废纪要)."""

    reason = TextAreaField(
        "原因", validators=[_required("请填写原因"), v.Length(max=1000)], render_kw={"rows": 3}
    )


class SummaryForm(StepForm):
    """完成排查计划."""

    summary = TextAreaField(
        "排查工作总结",
        validators=[_required("请填写排查工作总结"), v.Length(max=5000)],
        render_kw={"rows": 6},
        description="排查范围、发现纠纷数量、化解情况、存在问题和下步打算",
    )


class DecisionForm(StepForm):
    """添加议定事项, optionally handing it out at once."""

    content = TextAreaField(
        "议定事项", validators=[_required("请填写议定事项"), v.Length(max=5000)], render_kw={"rows": 3}
    )
    case = QuerySelectField("相关案件", widget=Select2Widget(), allow_blank=True, blank_text="（无）")


class AssignForm(StepForm):
    """交办: who carries it out, by when."""

    organization = QuerySelectField(
        "承办单位", widget=Select2Widget(), validators=[_required("请选择承办单位")]
    )
    owner_person = StringField("责任人", validators=[_required("请填写责任人"), v.Length(max=50)])
    content = TextAreaField(
        "交办内容",
        validators=[v.Optional(), v.Length(max=5000)],
        render_kw={"rows": 3},
        description="留空则为议定事项原文",
    )
    deadline = DateField(
        "办理期限", widget=DatePickerWidget(), validators=[_required("请填写办理期限"), SaneDate()]
    )


class NoteForm(StepForm):
    """报告进展, 催办, 挂牌督办, 撤销交办."""

    note = TextAreaField(
        "说明", validators=[_required("请填写说明"), v.Length(max=2000)], render_kw={"rows": 4}
    )


class ExtendForm(StepForm):
    """延期."""

    deadline = DateField(
        "新的办理期限", widget=DatePickerWidget(), validators=[_required("请填写新的办理期限"), SaneDate()]
    )
    note = TextAreaField("延期理由", validators=[_required("请填写延期理由"), v.Length(max=1000)])


class CompleteForm(StepForm):
    """办结."""

    result = TextAreaField(
        "办理结果", validators=[_required("请填写办理结果"), v.Length(max=5000)], render_kw={"rows": 5}
    )
    completed_on = DateField(
        "办结日期", widget=DatePickerWidget(), validators=[_required("请填写办结日期"), PastDate()]
    )
    note = TextAreaField("备注", validators=[v.Optional(), v.Length(max=1000)])
