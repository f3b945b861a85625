"""Forms of the 责任倒查 pages, and the glue that hands each step's data to the services."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.form import DatePickerWidget, DateTimePickerWidget, Select2Widget
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms import validators as v

from portal import clock
from portal.admin.base import PortalForm
from portal.admin.fields import BoundedDecimalField
from portal.admin.ledger.forms import StepForm
from portal.models.review import (
    AccountabilityReview,
    IncidentKind,
    ResponsibilityCause,
    ResponsibleKind,
    ResponsibleParty,
    ReviewCase,
    ReviewEventKind,
)
from portal.services import review_parties, review_steps, reviews
from portal.services.review_parties import Measures
from portal.validators import PastDate, SaneDate

K = ReviewEventKind


def _required(message: str) -> v.InputRequired:
    return v.InputRequired(message=message)


def _blank_choice(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "（请选择）"), *choices]


class IncidentFields:
    """The incident (事件情况) a review is opened from."""

    title = StringField(
        "倒查事项",
        validators=[_required("请填写倒查事项名称"), v.Length(max=200)],
        description="如：柳林镇后王村宅基地纠纷引发越级上访",
    )
    incident_kind = SelectField(
        "事件类型",
        choices=_blank_choice(IncidentKind.choices()),
        validators=[_required("请选择事件类型")],
    )
    incident_at = DateTimeField(
        "发生时间",
        format="%Y-%m-%d %H:%M:%S",
        widget=DateTimePickerWidget(),
        validators=[_required("请填写事件发生时间"), PastDate()],
    )
    incident_place = StringField("发生地点", validators=[_required("请填写事件发生地点"), v.Length(max=200)])
    people_involved = TextAreaField(
        "涉及人员",
        validators=[_required("请填写涉及人员"), v.Length(max=2000)],
        description="上访人、参与人员、受害人等的姓名或概况",
    )
    people_count = IntegerField(
        "涉及人数", validators=[v.Optional(), v.NumberRange(1, 100000, "涉及人数应为正整数")]
    )
    description = TextAreaField(
        "事件经过", validators=[_required("请填写事件经过"), v.Length(max=10000)], render_kw={"rows": 5}
    )


class OpenForm(PortalForm, IncidentFields):
    """立案: the incident and the cases behind it."""

    case_numbers = TextAreaField(
        "关联案件编号",
        validators=[v.Optional(), v.Length(max=5000)],
        description="每行一个案件编号，如（2026）MJ人调字第3号；立案时将保存各案件当时的流转记录",
    )
    note = TextAreaField("立案说明", validators=[v.Optional(), v.Length(max=1000)])


class ReviseForm(StepForm, IncidentFields):
    """修改案情."""

    note = TextAreaField("修改说明", validators=[_required("请说明修改原因"), v.Length(max=1000)])


class LinkForm(StepForm):
    """关联案件."""

    case_numbers = TextAreaField(
        "案件编号",
        validators=[_required("请填写要关联的案件编号"), v.Length(max=5000)],
        description="每行一个案件编号；将保存各案件此刻的流转记录",
    )
    note = TextAreaField("说明", validators=[v.Optional(), v.Length(max=1000)])


class ReasonForm(StepForm):
    """撤销关联 or 撤销责任认定."""

    reason = TextAreaField("原因", validators=[_required("请填写原因"), v.Length(max=1000)])


class InvestigateForm(StepForm):
    """开始调查."""

    investigators = StringField("调查组成员", validators=[_required("请填写调查组成员"), v.Length(max=200)])
    note = TextAreaField("调查安排", validators=[v.Optional(), v.Length(max=1000)])


class PartyFields:
    """Who is held responsible (fields declared first, so they come first on the page)."""

    kind = SelectField(
        "责任主体类别", choices=ResponsibleKind.choices(), default=ResponsibleKind.MEDIATOR.value
    )
    organization = QuerySelectField(
        "责任单位", widget=Select2Widget(), allow_blank=True, blank_text="（类别为责任单位时选择）"
    )
    mediator = QuerySelectField(
        "责任调解员", widget=Select2Widget(), allow_blank=True, blank_text="（类别为调解员时选择）"
    )
    person_name = StringField(
        "其他责任人姓名", validators=[v.Optional(), v.Length(max=50)], description="类别为其他责任人时填写"
    )


class MeasureFields:
    """Cause, facts and measures of a responsible party."""

    position = StringField(
        "单位及职务",
        validators=[v.Optional(), v.Length(max=100)],
        description="调解员留空时取其所在组织及职务",
    )
    cause = SelectField(
        "责任类型",
        choices=_blank_choice(ResponsibilityCause.choices()),
        validators=[_required("请选择责任类型")],
    )
    facts = TextAreaField(
        "事实依据",
        validators=[_required("请填写认定责任的事实依据"), v.Length(max=5000)],
        render_kw={"rows": 4},
    )
    criticism = BooleanField("批评")
    notice = BooleanField("通报")
    interview = BooleanField("约谈")
    supervision = BooleanField("挂牌督办")
    deduction_points = BoundedDecimalField(
        "扣分（分）",
        limit=Decimal(10) ** 4,  # Numeric(5, 1); the range check below keeps it within 100
        places=1,
        what="扣分",
        validators=[v.Optional(), v.NumberRange(min=0, max=100, message="扣分分值应在0至100分之间")],
        description="计入考评对应指标的扣分",
    )
    award_ban = BooleanField("取消评优", description="取消决定当年度的评先评优资格")
    measure_note = TextAreaField("措施说明", validators=[v.Optional(), v.Length(max=1000)])

    def measures(self) -> Measures:
        """Return the measures ticked."""
        return Measures(
            criticism=self.criticism.data,
            notice=self.notice.data,
            interview=self.interview.data,
            supervision=self.supervision.data,
            deduction_points=self.deduction_points.data,
            award_ban=self.award_ban.data,
            note=self.measure_note.data,
        )


class NamePartyForm(StepForm, PartyFields, MeasureFields):
    """认定责任."""


class RevisePartyForm(StepForm, MeasureFields):
    """修改责任认定."""


class FindingForm(StepForm):
    """记录调查结论 (a draft until the decision)."""

    finding = TextAreaField(
        "调查结论", validators=[_required("请填写调查结论"), v.Length(max=10000)], render_kw={"rows": 6}
    )
    rectification_deadline = DateField(
        "整改期限", widget=DatePickerWidget(), validators=[v.Optional(), SaneDate()]
    )


class DecideForm(FindingForm):
    """作出决定."""

    decided_on = DateField(
        "决定日期", widget=DatePickerWidget(), validators=[_required("请填写决定日期"), PastDate()]
    )
    note = TextAreaField("说明", validators=[v.Optional(), v.Length(max=1000)])


class ArchiveForm(StepForm):
    """归档."""

    rectification_report = TextAreaField(
        "整改落实情况",
        validators=[_required("请填写整改落实情况"), v.Length(max=10000)],
        render_kw={"rows": 5},
    )
    note = TextAreaField("说明", validators=[v.Optional(), v.Length(max=1000)])


STEP_FORMS: dict[ReviewEventKind, type[StepForm]] = {
    K.REVISE: ReviseForm,
    K.LINK_CASE: LinkForm,
    K.UNLINK_CASE: ReasonForm,
    K.INVESTIGATE: InvestigateForm,
    K.NAME_PARTY: NamePartyForm,
    K.REVISE_PARTY: RevisePartyForm,
    K.WITHDRAW_PARTY: ReasonForm,
    K.FINDING: FindingForm,
    K.DECIDE: DecideForm,
    K.ARCHIVE: ArchiveForm,
}

#: What the step page says before the user confirms.
STEP_HINTS = {
    K.LINK_CASE: "关联时保存案件此刻的流转记录和主要信息，作为倒查依据，之后不可修改。",
    K.UNLINK_CASE: "撤销关联仅用于误关联的案件；关联记录和快照仍保留在倒查档案中。",
    K.INVESTIGATE: "开始调查后，可认定责任主体、记录调查结论。",
    K.NAME_PARTY: "认定责任须写明事实依据。扣分计入考评，取消评优影响当年度调解能手评选。",
    K.WITHDRAW_PARTY: "经调查不应承担责任的，撤销认定并写明原因；原认定保留在办理记录中。",
    K.DECIDE: "作出决定后将生成倒查文号，调查结论、责任认定和处理措施即不可修改，扣分和取消评优随即生效。",
    K.ARCHIVE: "归档前请确认整改已落实；归档后倒查不可再办理。",
}


def incident_fields(form: Any) -> dict[str, Any]:
    """Return the incident fields of a form as service arguments."""
    return {
        "title": form.title.data,
        "incident_kind": form.incident_kind.data,
        "incident_at": clock.from_wall(form.incident_at.data) if form.incident_at.data else None,
        "incident_place": form.incident_place.data,
        "people_involved": form.people_involved.data,
        "people_count": form.people_count.data,
        "description": form.description.data,
    }


def prefill(form: Any, step: ReviewEventKind, review: AccountabilityReview, target: Any, today: Any) -> None:
    """Fill a new step form with what the review already holds."""
    form.lock_version.data = review.version
    if step == K.REVISE:
        for name in ("title", "incident_place", "people_involved", "people_count", "description"):
            form[name].data = getattr(review, name)
        form.incident_kind.data = review.incident_kind.value
        form.incident_at.data = clock.to_wall(review.incident_at)
    elif step in (K.FINDING, K.DECIDE):
        form.finding.data = review.finding
        form.rectification_deadline.data = review.rectification_deadline
        if step == K.DECIDE:
            form.decided_on.data = today
    elif step == K.REVISE_PARTY:
        party: ResponsibleParty = target
        for name in ("position", "facts", "criticism", "notice", "interview", "supervision", "award_ban"):
            form[name].data = getattr(party, name)
        form.cause.data = party.cause.value
        form.deduction_points.data = party.deduction_points
        form.measure_note.data = party.measure_note


def run_step(
    session: Any,
    actor: Any,
    step: ReviewEventKind,
    review: AccountabilityReview,
    target: Any,
    form: Any,
    today: Any,
) -> Any:
    """Call the service of the step with the form's data."""
    try:
        version = int(form.lock_version.data)
    except (TypeError, ValueError):
        version = None
    common = {"expected_version": version}
    handlers: dict[ReviewEventKind, Callable[[], Any]] = {
        K.REVISE: lambda: review_steps.revise(
            session, review, actor, **incident_fields(form), note=form.note.data, today=today, **common
        ),
        K.LINK_CASE: lambda: review_steps.link_cases(
            session,
            review,
            actor,
            reviews.find_cases(session, actor, form.case_numbers.data),
            note=form.note.data,
            **common,
        ),
        K.UNLINK_CASE: lambda: review_steps.unlink_case(
            session, review, actor, target, reason=form.reason.data, **common
        ),
        K.INVESTIGATE: lambda: review_steps.investigate(
            session, review, actor, investigators=form.investigators.data, note=form.note.data, **common
        ),
        K.NAME_PARTY: lambda: review_parties.name_party(
            session,
            review,
            actor,
            kind=form.kind.data,
            organization=form.organization.data,
            mediator=form.mediator.data,
            person_name=form.person_name.data,
            position=form.position.data,
            cause=form.cause.data,
            facts=form.facts.data,
            measures=form.measures(),
            **common,
        ),
        K.REVISE_PARTY: lambda: review_parties.revise_party(
            session,
            review,
            actor,
            target,
            cause=form.cause.data,
            facts=form.facts.data,
            position=form.position.data,
            measures=form.measures(),
            **common,
        ),
        K.WITHDRAW_PARTY: lambda: review_parties.withdraw_party(
            session, review, actor, target, reason=form.reason.data, **common
        ),
        K.FINDING: lambda: review_steps.record_finding(
            session,
            review,
            actor,
            finding=form.finding.data,
            rectification_deadline=form.rectification_deadline.data,
            today=today,
            **common,
        ),
        K.DECIDE: lambda: review_steps.decide(
            session,
            review,
            actor,
            finding=form.finding.data,
            rectification_deadline=form.rectification_deadline.data,
            decided_on=form.decided_on.data,
            note=form.note.data,
            today=today,
            **common,
        ),
        K.ARCHIVE: lambda: review_steps.archive(
            session,
            review,
            actor,
            rectification_report=form.rectification_report.data,
            note=form.note.data,
            today=today,
            **common,
        ),
    }
    return handlers[step]()


#: Steps taken on one linked case or one responsible party, named by `?link=` or `?party=`.
TARGETS: dict[ReviewEventKind, tuple[str, type]] = {
    K.UNLINK_CASE: ("link", ReviewCase),
    K.REVISE_PARTY: ("party", ResponsibleParty),
    K.WITHDRAW_PARTY: ("party", ResponsibleParty),
}
