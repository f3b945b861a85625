"""Forms of the 以案定补申报 pages: declaring a quarter, and the steps of a claim."""

from __future__ import annotations

from decimal import Decimal

from flask_admin.form import DatePickerWidget
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms import validators as v

from portal.admin.assessment.forms import LockedForm
from portal.admin.base import PortalForm
from portal.admin.fields import BoundedDecimalField
from portal.models.subsidy import ClaimEventKind, PaymentMethod
from portal.services.subsidy_claims import MAX_LINE
from portal.validators import PastDate

K = ClaimEventKind


def _required(message: str) -> v.InputRequired:
    return v.InputRequired(message=message)


class DeclareForm(PortalForm):
    """申报: the organisation and quarter chosen on the page, and the note."""

    organization = HiddenField(validators=[_required("请选择申报单位")])
    period = HiddenField(validators=[_required("请选择申报季度")])
    note = TextAreaField(
        "申报说明",
        validators=[v.Optional(), v.Length(max=1000)],
        description="可填写本季度案件办理、卷宗整理等需要说明的情况",
    )


class NoteForm(LockedForm):
    """审核通过, 审批: an optional opinion."""

    note = TextAreaField("意见", validators=[v.Optional(), v.Length(max=1000)])


class ReasonForm(LockedForm):
    """退回, 撤回: the reason is required."""

    reason = TextAreaField("理由", validators=[_required("请填写理由"), v.Length(max=1000)])


class ResubmitForm(LockedForm):
    """重新报送: how the organisation answered the 退回."""

    note = TextAreaField("补正情况", validators=[_required("请说明补正情况"), v.Length(max=1000)])


class AdjustForm(LockedForm):
    """核定金额 of one line, with the reason."""

    amount = BoundedDecimalField(
        "核定金额（元）",
        validators=[_required("请填写核定金额")],
        limit=MAX_LINE + Decimal("0.01"),
        places=2,
        what="金额",
        description=f"0至{MAX_LINE}元；核减为0即该案件对该调解员不予计补",
    )
    reason = TextAreaField("调整理由", validators=[_required("请填写调整理由"), v.Length(max=1000)])


class PayForm(LockedForm):
    """发放: date, method and voucher number."""

    paid_on = DateField(
        "发放日期", widget=DatePickerWidget(), validators=[_required("请填写发放日期"), PastDate()]
    )
    payment_method = SelectField(
        "发放方式",
        choices=[("", "（请选择）"), *PaymentMethod.choices()],
        validators=[_required("请选择发放方式")],
    )
    voucher_number = StringField(
        "凭证号",
        validators=[_required("请填写凭证号"), v.Length(max=60)],
        description="银行回单号、记账凭证号或现金支出凭单号",
    )
    note = TextAreaField("备注", validators=[v.Optional(), v.Length(max=1000)])


#: The form of each step, and what the confirmation page says before it is taken.
STEP_FORMS: dict[ClaimEventKind, type[LockedForm]] = {
    K.ADJUST: AdjustForm,
    K.REVIEW: NoteForm,
    K.RETURN: ReasonForm,
    K.RESUBMIT: ResubmitForm,
    K.WITHDRAW: ReasonForm,
    K.APPROVE: NoteForm,
    K.PAY: PayForm,
}
STEP_HINTS: dict[ClaimEventKind, str] = {
    K.ADJUST: "核定金额只能在审核阶段调整，调整理由记入办理记录和审计日志；申报金额保持不变以备查。",
    K.REVIEW: "审核通过后报县（区）司法局管理员审批；审批前仍可退回。",
    K.RETURN: "退回后申报单回到“已申报”状态，由申报单位补正后重新报送或撤回；退回理由记入办理记录。",
    K.RESUBMIT: "重新报送后由县（区）司法局考评员重新审核。",
    K.WITHDRAW: "撤回后申报单作废，其中的案件可以重新申报；撤回不可恢复。",
    K.APPROVE: "审批后补贴金额锁定，任何人不能再修改；请核对核定金额合计无误后再审批。",
    K.PAY: "请按财务凭证如实填写发放日期、方式和凭证号；发放记录不可修改。",
}
