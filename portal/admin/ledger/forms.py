"""Forms of the case workflow steps: one small form per step, each posted to `CaseView.act`."""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.form import DatePickerWidget, DateTimePickerWidget, Select2Widget
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms import validators as v

from portal import clock
from portal.admin.base import PortalForm
from portal.admin.fields import AmountField
from portal.models.case import (
    AgreementForm,
    Evaluation,
    FollowUpMethod,
    Performance,
    ReferralRoute,
    RemainingRisk,
    SessionResult,
)
from portal.validators import PastDate, SaneDate


def _required(message: str) -> v.InputRequired:
    return v.InputRequired(message=message)


def _enum_choices(enum_cls: Any) -> list[tuple[str, str]]:
    return enum_cls.choices()


class StepForm(PortalForm):
    """Base of every step form: the version the user saw, to refuse a stale step."""

    lock_version = HiddenField()


class NoteForm(StepForm):
    """A step that needs nothing but an optional note (开始调解, 结案归档, 恢复调解)."""

    note = TextAreaField("说明", validators=[v.Optional(), v.Length(max=1000)])


class ReasonForm(StepForm):
    """A step that needs a reason (调解不成, 中止, 作废)."""

    reason = TextAreaField("原因", validators=[_required("请填写原因"), v.Length(max=1000)])


class PetitionForm(StepForm):
    """登记越级上访."""

    level = SelectField(
        "上访层级",
        choices=[
            ("", "请选择"),
            ("county", "县级"),
            ("city", "市级"),
            ("province", "省级"),
            ("national", "国家级"),
        ],
        validators=[_required("请选择上访层级")],
    )
    note = TextAreaField(
        "上访情况",
        validators=[_required("请写明上访时间、地点、人员和诉求"), v.Length(max=1000)],
        description="写明上访时间、地点、人数、当事人和诉求",
    )


class AssignForm(StepForm):
    """分流交办, with the 四定: 定人 (责任人), 定责 (责任单位), 定时限 (办结时限), 定措施 (化解措施)."""

    organization = QuerySelectField(
        "承办组织", widget=Select2Widget(), validators=[_required("请选择承办组织")]
    )
    mediators = QuerySelectMultipleField(
        "承办调解员", widget=Select2Widget(multiple=True), validators=[_required("请至少指定一名承办调解员")]
    )
    responsible_person = StringField(
        "责任人（定人）",
        validators=[_required("请填写责任人（定人）"), v.Length(max=50)],
        description="对化解本纠纷负总责的人，一般为第一名承办调解员",
    )
    lead_leader = StringField(
        "牵头领导",
        validators=[v.Optional(), v.Length(max=50)],
        description="重大、疑难纠纷由领导牵头的，填写",
    )
    responsible_unit = StringField(
        "责任单位（定责）", validators=[_required("请填写责任单位（定责）"), v.Length(max=100)]
    )
    deadline = DateField(
        "办结时限（定时限）",
        widget=DatePickerWidget(),
        validators=[_required("请填写办结时限（定时限）"), SaneDate()],
        description="可早于法定办结时限，不能晚于；需要更长时间的，交办后办理延期",
    )
    measures = TextAreaField(
        "化解措施（定措施）",
        validators=[_required("请填写化解措施（定措施）"), v.Length(max=5000)],
        description="如：走访双方了解诉求、邀请村两委参与、约请专家评估损失、组织面对面调解",
    )
    note = TextAreaField("交办意见", validators=[v.Optional(), v.Length(max=1000)])


class MoveForm(StepForm):
    """提级 or 移交."""

    organization = QuerySelectField(
        "接收组织", widget=Select2Widget(), validators=[_required("请选择接收组织")]
    )
    reason = TextAreaField("原因", validators=[_required("请填写原因"), v.Length(max=1000)])


class SuperviseForm(StepForm):
    """督办."""

    deadline = DateField(
        "督办期限", widget=DatePickerWidget(), validators=[_required("请填写督办期限"), SaneDate()]
    )
    note = TextAreaField("督办要求", validators=[_required("请填写督办要求"), v.Length(max=1000)])


class ExtendForm(StepForm):
    """延期."""

    new_deadline = DateField(
        "延长后的办结时限",
        widget=DatePickerWidget(),
        validators=[_required("请填写延长后的办结时限"), SaneDate()],
    )
    reason = TextAreaField(
        "延期理由",
        validators=[_required("请填写延期理由"), v.Length(max=1000)],
        description="如：经双方当事人同意延长调解期限",
    )


class SessionForm(StepForm):
    """调解记录 (调解工作记录本 entry)."""

    held_at = DateTimeField(
        "调解时间",
        format="%Y-%m-%d %H:%M:%S",
        widget=DateTimePickerWidget(),
        default=clock.now_wall,
        validators=[_required("请填写调解时间"), PastDate()],
    )
    place = StringField("调解地点", validators=[_required("请填写调解地点"), v.Length(max=200)])
    mediators = QuerySelectMultipleField(
        "主持调解员", widget=Select2Widget(multiple=True), validators=[_required("请选择主持调解员")]
    )
    participants = TextAreaField("参加人员", validators=[v.Optional(), v.Length(max=1000)])
    content = TextAreaField(
        "调解过程及内容", validators=[_required("请填写调解过程及内容"), v.Length(max=10000)]
    )
    result = SelectField(
        "本次结果", choices=_enum_choices(SessionResult), default=SessionResult.CONTINUE.value
    )
    recorder = StringField("记录人", validators=[v.Optional(), v.Length(max=50)])


class SettleForm(StepForm):
    """调解成功: the agreement."""

    form = SelectField("协议形式", choices=_enum_choices(AgreementForm), default=AgreementForm.WRITTEN.value)
    signed_on = DateField(
        "协议日期", widget=DatePickerWidget(), validators=[_required("请填写协议日期"), PastDate()]
    )
    terms = TextAreaField("协议内容", validators=[_required("请填写协议内容"), v.Length(max=10000)])
    amount = AmountField("协议金额（元）", validators=[v.Optional()])
    performance_manner = StringField("履行方式", validators=[v.Optional(), v.Length(max=200)])
    performance_deadline = DateField(
        "履行期限", widget=DatePickerWidget(), validators=[v.Optional(), SaneDate()]
    )
    performed = BooleanField("已当场履行")


class AgreementUpdateForm(StepForm):
    """Performance and 司法确认 recorded after the agreement."""

    performed = BooleanField("已履行")
    performed_on = DateField("履行日期", widget=DatePickerWidget(), validators=[v.Optional(), PastDate()])
    confirmation_court = StringField("司法确认法院", validators=[v.Optional(), v.Length(max=100)])
    confirmation_date = DateField(
        "司法确认日期", widget=DatePickerWidget(), validators=[v.Optional(), PastDate()]
    )
    confirmation_number = StringField("司法确认文书编号", validators=[v.Optional(), v.Length(max=60)])


class ReferForm(StepForm):
    """引导诉讼/仲裁/行政途径 with a 稳控方案."""

    route = SelectField(
        "引导途径", choices=_enum_choices(ReferralRoute), validators=[_required("请选择引导途径")]
    )
    stability_plan = TextAreaField(
        "稳控方案",
        validators=[_required("请填写稳控方案"), v.Length(max=5000)],
        description="包括稳控责任人、联系方式、稳控措施和跟踪回访安排",
    )
    note = TextAreaField("说明", validators=[v.Optional(), v.Length(max=1000)])


class FollowUpForm(StepForm):
    """回访."""

    visited_on = DateField(
        "回访日期", widget=DatePickerWidget(), validators=[_required("请填写回访日期"), PastDate()]
    )
    method = SelectField(
        "回访方式", choices=_enum_choices(FollowUpMethod), default=FollowUpMethod.VISIT.value
    )
    visitor = StringField("回访人", validators=[_required("请填写回访人"), v.Length(max=50)])
    person_visited = StringField("被回访人", validators=[_required("请填写被回访人"), v.Length(max=100)])
    performance = SelectField("协议履行情况", choices=_enum_choices(Performance))
    satisfaction = IntegerField(
        "满意度（1–5分）",
        validators=[_required("请填写满意度"), v.NumberRange(1, 5, "满意度应为1至5分")],
        default=5,
    )
    evaluation = SelectField(
        "群众评议",
        choices=[("", "请选择"), *_enum_choices(Evaluation)],
        validators=[_required("请选择当事人的评议（满意、基本满意或不满意）")],
        description="由被回访人本人评价调解工作，计入考评的“群众满意率”",
    )
    evaluation_comment = TextAreaField(
        "评议意见",
        validators=[v.Optional(), v.Length(max=1000)],
        description="当事人的原话或意见；评价“不满意”的，须写明原因",
    )
    remaining_risk = SelectField("遗留风险", choices=_enum_choices(RemainingRisk))
    notes = TextAreaField("回访情况", validators=[v.Optional(), v.Length(max=2000)])
