"""Forms of the assessment pages: opening a round, confirmations with a reason, 公示 dates, nominations."""

from __future__ import annotations

from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.form import DatePickerWidget, Select2Widget
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms import validators as v

from portal.admin.base import PortalForm
from portal.models.assessment import PeriodKind
from portal.validators import SaneDate


class LockedForm(PortalForm):
    """A confirmation that carries the version the user saw (and the CSRF token)."""

    lock_version = HiddenField()

    def version(self) -> int | None:
        """Return the version seen, or None."""
        try:
            return int(self.lock_version.data)
        except (TypeError, ValueError):
            return None


class ReasonForm(LockedForm):
    """A step that must be explained (重新开启, 撤销)."""

    reason = TextAreaField("理由", validators=[v.InputRequired(message="请填写理由"), v.Length(max=1000)])


class RoundForm(PortalForm):
    """开启考评批次."""

    template = QuerySelectField(
        "考评方案", widget=Select2Widget(), validators=[v.InputRequired(message="请选择考评方案")]
    )
    period_kind = SelectField("考评周期", choices=PeriodKind.choices(), default=PeriodKind.YEAR.value)
    year = IntegerField("年度", validators=[v.InputRequired(message="请填写年度"), v.NumberRange(2000, 2100)])
    number = IntegerField(
        "月份/季度",
        validators=[v.Optional(), v.NumberRange(1, 12, "月份应为1至12")],
        description="月度考评填月份（1–12），季度考评填季度（1–4），年度考评留空",
    )
    mediators = QuerySelectMultipleField(
        "考评对象（调解员）",
        widget=Select2Widget(multiple=True),
        description="方案考评调解员时使用；留空则为本单位及下级的全部在职调解员",
    )
    organizations = QuerySelectMultipleField(
        "考评对象（调解组织）",
        widget=Select2Widget(multiple=True),
        description="方案考评调解组织时使用；留空则为本单位及下级的全部调解组织",
    )
    title = StringField(
        "批次名称", validators=[v.Optional(), v.Length(max=150)], description="留空时自动生成"
    )


class NoticeForm(LockedForm):
    """公示 dates."""

    notice_start = DateField(
        "公示开始日期",
        widget=DatePickerWidget(),
        validators=[v.InputRequired(message="请填写公示开始日期"), SaneDate()],
    )
    notice_end = DateField(
        "公示结束日期",
        widget=DatePickerWidget(),
        validators=[v.InputRequired(message="请填写公示结束日期"), SaneDate()],
    )


class NominateForm(PortalForm):
    """提名 one candidate."""

    mediator_id = HiddenField(validators=[v.InputRequired()])
    year = HiddenField(validators=[v.InputRequired()])
    reason = StringField("推荐理由", validators=[v.Optional(), v.Length(max=500)])
