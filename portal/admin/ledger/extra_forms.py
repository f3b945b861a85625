"""Forms of the records kept beside a case's workflow: 听证, 领导包案, 三调联动 (services/case_extras.py)."""

from __future__ import annotations

from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.form import DatePickerWidget, DateTimePickerWidget, Select2Widget
from wtforms import DateField, DateTimeField, SelectField, StringField, TextAreaField
from wtforms import validators as v

from portal import clock
from portal.admin.ledger.forms import StepForm, _required
from portal.models.case_extras import (
    HearingOutcome,
    LeaderLevel,
    LeaderNoteKind,
    LiaisonChannel,
    LiaisonOutcome,
)
from portal.validators import PastDate


def _choices(enum_cls: type) -> list[tuple[str, str]]:
    return [("", "请选择"), *enum_cls.choices()]  # type: ignore[attr-defined]


class HearingForm(StepForm):
    """听证."""

    held_at = DateTimeField(
        "听证时间",
        format="%Y-%m-%d %H:%M:%S",
        widget=DateTimePickerWidget(),
        default=clock.now_wall,
        validators=[_required("请填写听证时间"), PastDate()],
    )
    place = StringField("听证地点", validators=[_required("请填写听证地点"), v.Length(max=200)])
    presiding = StringField(
        "主持人",
        validators=[_required("请填写主持人"), v.Length(max=50)],
        description="一般由调委会主任、司法所长或包案领导主持",
    )
    parties_present = TextAreaField(
        "到场当事人", validators=[_required("请填写到场当事人"), v.Length(max=1000)]
    )
    mediators = QuerySelectMultipleField("参加调解员", widget=Select2Widget(multiple=True))
    experts = QuerySelectMultipleField("邀请专家", widget=Select2Widget(multiple=True))
    representatives = TextAreaField(
        "其他参加人员",
        validators=[v.Optional(), v.Length(max=1000)],
        description="如：当事人代理人、村“两委”代表、人大代表、政协委员、群众代表",
    )
    questions = TextAreaField(
        "听证事项",
        validators=[_required("请填写听证事项"), v.Length(max=5000)],
        description="逐项写明听证的争议焦点",
    )
    outcome = SelectField(
        "听证结果", choices=_choices(HearingOutcome), validators=[_required("请选择听证结果")]
    )
    summary = TextAreaField(
        "听证意见及情况",
        validators=[_required("请填写听证意见及情况"), v.Length(max=10000)],
        description="各方陈述要点、专家意见、听证意见",
    )
    recorder = StringField("记录人", validators=[v.Optional(), v.Length(max=50)])


class LeaderForm(StepForm):
    """领导包案."""

    leader = QuerySelectField(
        "包案领导（系统用户）",
        widget=Select2Widget(),
        allow_blank=True,
        blank_text="不是系统用户，手工填写",
        description="可从本单位及上级单位的用户中选择；不是系统用户的，在下方填写姓名",
    )
    # No v.Optional(): it would stop the chain before `validate_leader_name` asks for a name or a user.
    leader_name = StringField("包案领导姓名", validators=[v.Length(max=50)])
    leader_post = StringField(
        "职务",
        validators=[_required("请填写包案领导职务"), v.Length(max=100)],
        description="如：县委常委、政法委书记；镇党委副书记",
    )
    level = SelectField("层级", choices=_choices(LeaderLevel), validators=[_required("请选择层级")])
    started_on = DateField(
        "包案日期", widget=DatePickerWidget(), validators=[_required("请填写包案日期"), PastDate()]
    )
    instructions = TextAreaField(
        "领导批示及包案要求",
        validators=[_required("请填写领导批示或包案要求"), v.Length(max=5000)],
    )

    def validate_leader_name(self, field: StringField) -> None:
        if not (field.data or "").strip() and self.leader.data is None:
            raise v.ValidationError("请选择包案领导或填写姓名")


class LeaderNoteForm(StepForm):
    """A 批示 of the leader, or progress reported to the leader."""

    kind = SelectField("类别", choices=_choices(LeaderNoteKind), validators=[_required("请选择类别")])
    noted_on = DateField("日期", widget=DatePickerWidget(), validators=[_required("请填写日期"), PastDate()])
    content = TextAreaField("内容", validators=[_required("请填写内容"), v.Length(max=5000)])


class LeaderEndForm(StepForm):
    """End a 领导包案 before the case closes."""

    ended_on = DateField(
        "结束日期", widget=DatePickerWidget(), validators=[_required("请填写结束日期"), PastDate()]
    )
    note = TextAreaField("结束原因", validators=[_required("请填写结束原因"), v.Length(max=1000)])


class LiaisonForm(StepForm):
    """三调联动: a referral out (移出) or in (移入); the view sets which dates it asks for."""

    channel = SelectField(
        "对接类型", choices=_choices(LiaisonChannel), validators=[_required("请选择对接类型")]
    )
    partner = StringField(
        "对接单位",
        validators=[_required("请填写对接单位"), v.Length(max=100)],
        description="如：清河县人民法院、马集派出所、县信访局",
    )
    partner_contact = StringField("对方联系人", validators=[v.Optional(), v.Length(max=50)])
    partner_reference = StringField(
        "对方文号/案号",
        validators=[v.Optional(), v.Length(max=60)],
        description="如：（2026）冀0101民诉前调123号",
    )
    sent_on = DateField("移送日期", widget=DatePickerWidget(), validators=[v.Optional(), PastDate()])
    received_on = DateField("接收日期", widget=DatePickerWidget(), validators=[v.Optional(), PastDate()])
    reason = TextAreaField("移送事由", validators=[_required("请填写移送事由"), v.Length(max=2000)])


class LiaisonFeedbackForm(StepForm):
    """对接反馈."""

    received_on = DateField("对方接收日期", widget=DatePickerWidget(), validators=[v.Optional(), PastDate()])
    partner_reference = StringField("对方文号/案号", validators=[v.Optional(), v.Length(max=60)])
    feedback_on = DateField(
        "反馈日期", widget=DatePickerWidget(), validators=[_required("请填写反馈日期"), PastDate()]
    )
    outcome = SelectField(
        "对接结果", choices=_choices(LiaisonOutcome), validators=[_required("请选择对接结果")]
    )
    feedback = TextAreaField("反馈情况", validators=[_required("请填写反馈情况"), v.Length(max=5000)])


class VoidRecordForm(StepForm):
    """作废 a record entered in error."""

    reason = TextAreaField("作废原因", validators=[_required("请填写作废原因"), v.Length(max=1000)])
