"""Forms of the 优秀案例库 pages: the write-up, the anonymised text and the review steps."""

from __future__ import annotations

from typing import Any

from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms import validators as v

from portal.admin.ledger.forms import StepForm
from portal.models.case import Case
from portal.models.case_library import ExcellentCase, MethodGroup, MethodTag
from portal.services.case_library import MAX_TEXT, MAX_TITLE


def _required(label: str) -> list[Any]:
    return [
        v.InputRequired(message=f"请填写{label}"),
        v.Length(max=MAX_TEXT, message=f"{label}不能超过{MAX_TEXT}字"),
    ]


TEXT_NAMES = ("title", "summary", "process", "technique", "significance")


def form_field(name: str) -> str:
    """Return the form field of a write-up text (the model's `process` is the form's `mediation_process`)."""
    return "mediation_process" if name == "process" else name


class TextFields(StepForm):
    """The five texts of a write-up (the original, or the anonymised one)."""

    title = StringField(
        "标题",
        validators=[
            v.InputRequired(message="请填写标题"),
            v.Length(max=MAX_TITLE, message=f"标题不能超过{MAX_TITLE}字"),
        ],
    )
    summary = TextAreaField("案情简介", validators=_required("案情简介"))
    # Not `process`: that is the name of WTForms' own Form.process.
    mediation_process = TextAreaField("调解过程", validators=_required("调解过程"))
    technique = TextAreaField("调解方法和技巧", validators=_required("调解方法和技巧"))
    significance = TextAreaField("典型意义", validators=_required("典型意义"))

    def texts(self) -> dict[str, str]:
        """Return the texts by the model's field name."""
        return {name: self[form_field(name)].data or "" for name in TEXT_NAMES}


class WriteUpForm(TextFields):
    """推荐 and 修改案例: the write-up as its author writes it, with the method tags."""

    methods = SelectMultipleField(
        "六前工作法和调解方法",
        choices=MethodTag.choices(),
        validators=[v.InputRequired(message="请至少选择一项六前工作法或调解方法")],
    )


class AnonymisedForm(TextFields):
    """脱敏文本: the anonymised texts, corrected by hand."""


class StepNoteForm(StepForm):
    """A review step: the reason (退回, 不予入库, 撤出) or the opinion (入库, 提交审核)."""

    note = TextAreaField("理由/意见", validators=[v.Optional(), v.Length(max=2000, message="不能超过2000字")])


def method_groups() -> list[tuple[MethodGroup, list[MethodTag]]]:
    """Return the method tags by family, for the check boxes."""
    return [(group, [tag for tag in MethodTag if tag.group == group]) for group in MethodGroup]


def prefill_from_case(form: WriteUpForm, case: Case) -> None:
    """Fill an empty proposal from the case: a title, its summary and its mediation records."""
    form.title.data = f"{case.dispute_type.name}调解案例"
    form.summary.data = case.summary
    records = [s.content.strip() for s in case.sessions if s.content and s.content.strip()]
    if case.agreement is not None:
        records.append(f"经调解，双方达成协议：{case.agreement.terms}")
    form.mediation_process.data = "\n".join(records)


def prefill_from_entry(form: TextFields, entry: ExcellentCase, anonymised: bool) -> None:
    """Fill a form with the entry's texts (and tags and version)."""
    for name, value in entry.texts(anonymised).items():
        form[form_field(name)].data = value
    if isinstance(form, WriteUpForm):
        form.methods.data = [tag.value for tag in entry.methods]
    form.lock_version.data = entry.version


def version_of(form: StepForm) -> int | None:
    """Return the version the form was built on (None if it is missing or garbled)."""
    try:
        return int(form.lock_version.data)
    except (TypeError, ValueError):
        return None
