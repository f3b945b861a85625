"""调解员 and 特邀专家 registers."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters
from flask_admin.form import Select2Widget
from flask_admin.model.form import InlineFormAdmin
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectMultipleField, ValidationError, validators

from portal import clock
from portal.admin.base import OrgSubtreeFilter, SecureModelView, enum_filter, hours_text, org_path_text
from portal.admin.registers.masking import export_masked
from portal.extensions import db
from portal.models.auth import Role
from portal.models.dictionary import DisputeType
from portal.models.people import (
    BACKGROUND_TAGS,
    EDUCATION_LEVELS,
    ETHNIC_GROUPS,
    EXPERT_PROFESSIONS,
    POLITICAL_STATUSES,
    Employment,
    Expert,
    ExpertStatus,
    Gender,
    Mediator,
    MediatorGrade,
    MediatorPosition,
    MediatorStatus,
    Training,
)
from portal.services import people, recognition
from portal.services.scope import can_reach_org, org_in_scope_or_above
from portal.validators import BirthDate, DateAfter, IdNumber, PastDate, Phone

PERSON_LABELS = {
    "name": "姓名",
    "gender": "性别",
    "ethnicity": "民族",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "phone": "联系电话",
    "organization": "所属组织",
    "org_path": "所属组织",
    "status": "状态",
    "specialties": "擅长纠纷类型",
    "notes": "备注",
    "created_at": "登记时间",
    "updated_at": "更新时间",
}


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


def _active_dispute_types() -> list[DisputeType]:
    return list(
        db.session.scalars(db.select(DisputeType).where(DisputeType.active).order_by(DisputeType.sort_order))
    )


def adult_matching_id(form: Any, field: Any) -> None:
    """Check the birth date agrees with the ID number and makes the person an adult (services.people)."""
    if error := people.birth_date_error(field.data, form.id_number.data, clock.today()):
        raise ValidationError(error)


def adult_by_id(form: Any, field: Any) -> None:
    """Without a birth date typed in, the ID number's birth date must make the person an adult."""
    if error := people.adult_by_id_error(field.data, form.birth_date.data, clock.today()):
        raise ValidationError(error)


class TrainingInline(InlineFormAdmin):
    """Trainings edited inside the mediator form."""

    form_columns = ("id", "held_on", "level", "hours", "topic", "organizer")
    column_labels = {
        "held_on": "培训日期",
        "level": "级别",
        "hours": "学时",
        "topic": "培训内容",
        "organizer": "主办单位",
    }
    form_args = {
        "held_on": {"validators": [validators.InputRequired(message="请填写培训日期"), PastDate()]},
        "hours": {
            "validators": [
                validators.InputRequired(message="请填写学时"),
                validators.NumberRange(*people.TRAINING_HOURS, people.TRAINING_HOURS_MESSAGE),
            ]
        },
        "topic": {
            "validators": [validators.InputRequired(message="请填写培训内容"), validators.Length(max=200)]
        },
    }


class MediatorView(SecureModelView):
    """调解员名册 with trainings."""

    write_roles = frozenset({Role.ADMIN, Role.ENTRY})
    masked_columns = {"id_number": "id", "phone": "phone"}

    column_list = (
        "name",
        "gender",
        "org_path",
        "position",
        "employment",
        "phone",
        "grade",
        "status",
        "training_hours",
    )
    column_export_list = (
        "name",
        "gender",
        "ethnicity",
        "birth_date",
        "id_number",
        "phone",
        "org_path",
        "position",
        "employment",
        "political_status",
        "education",
        "background_tags",
        "specialties",
        "grade",
        "appointed_on",
        "term_ends_on",
        "status",
        "left_on",
        "training_hours",
        "notes",
    )
    column_details_list = column_export_list + ("trainings", "honours", "created_at", "updated_at")
    column_labels = {
        **PERSON_LABELS,
        "honours": "荣誉（调解能手）",
        "position": "职务",
        "employment": "专兼职",
        "political_status": "政治面貌",
        "education": "学历",
        "background_tags": "人员背景",
        "grade": "等级",
        "appointed_on": "聘任日期",
        "term_ends_on": "任期届满",
        "left_on": "离任日期",
        "training_hours": "培训学时",
        "trainings": "培训记录",
    }
    column_searchable_list = ("name",)
    column_sortable_list = ("name", "gender", "position", "employment", "grade", "status", "appointed_on")
    column_default_sort = ("name", False)
    column_filters = (
        OrgSubtreeFilter(Mediator.organization_id),
        enum_filter(Mediator.status, "状态", MediatorStatus),
        enum_filter(Mediator.position, "职务", MediatorPosition),
        enum_filter(Mediator.employment, "专兼职", Employment),
        enum_filter(Mediator.grade, "等级", MediatorGrade),
        enum_filter(Mediator.gender, "性别", Gender),
        filters.FilterEqual(Mediator.political_status, "政治面貌", options=_choices(POLITICAL_STATUSES)),
        filters.FilterEqual(Mediator.education, "学历", options=_choices(EDUCATION_LEVELS)),
        filters.DateBetweenFilter(Mediator.appointed_on, "聘任日期"),
        filters.DateBetweenFilter(Mediator.term_ends_on, "任期届满"),
    )
    column_formatters = {
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
        "training_hours": lambda v, c, m, n: hours_text(m.training_hours),
        "background_tags": lambda v, c, m, n: "、".join(m.background_tags or []),
        "specialties": lambda v, c, m, n: "、".join(t.name for t in m.specialties),
        "honours": lambda v, c, m, n: "；".join(
            f"{r.year}年度{r.title}（{r.serial}）" for r in recognition.honours_of(db.session, m.id)
        ),
    }
    # Headers and values as the import template has them (services/imports/mediators.py): an
    # administrator's export imports back unchanged.
    column_formatters_export = {
        **column_formatters,
        "id_number": export_masked("id"),
        "phone": export_masked("phone"),
    }
    column_formatters_detail = column_formatters
    form_columns = (
        "organization",
        "name",
        "gender",
        "id_number",
        "birth_date",
        "ethnicity",
        "phone",
        "political_status",
        "education",
        "position",
        "employment",
        "background_tags",
        "specialties",
        "grade",
        "appointed_on",
        "term_ends_on",
        "status",
        "left_on",
        "notes",
        "trainings",
    )
    form_choices = {
        "ethnicity": _choices(ETHNIC_GROUPS),
        "political_status": _choices(POLITICAL_STATUSES),
        "education": _choices(EDUCATION_LEVELS),
    }
    form_overrides = {"background_tags": SelectMultipleField}
    form_args = {
        "organization": {"validators": [validators.InputRequired(message="请选择所属组织")]},
        "name": {"validators": [validators.InputRequired(message="请填写姓名"), validators.Length(max=50)]},
        "id_number": {
            "validators": [
                validators.InputRequired(message="请填写身份证号"),
                IdNumber(gender_field="gender"),
                adult_by_id,
            ],
            "description": "18位公民身份号码，保存后在列表和导出中脱敏显示",
        },
        "birth_date": {
            "validators": [validators.Optional(), BirthDate(), adult_matching_id],
            "description": "留空时按身份证号自动填写",
        },
        "phone": {"validators": [validators.Optional(), Phone()]},
        "background_tags": {"choices": _choices(BACKGROUND_TAGS), "widget": Select2Widget(multiple=True)},
        "specialties": {"query_factory": _active_dispute_types},
        "appointed_on": {"validators": [validators.Optional(), PastDate()]},
        "term_ends_on": {"validators": [validators.Optional(), DateAfter("appointed_on")]},
        "left_on": {
            "validators": [validators.Optional(), PastDate(), DateAfter("appointed_on", allow_equal=True)]
        },
    }
    inline_models = (TrainingInline(Training),)

    def get_query(self) -> Any:
        # The list shows each mediator's organisation and training hours: load them with the page.
        return (
            super().get_query().options(joinedload(Mediator.organization), selectinload(Mediator.trainings))
        )

    def on_model_change(self, form: Any, model: Mediator, is_created: bool) -> None:
        people.prepare_mediator(model, clock.today())

    @action("retire", "办理离任", "离任后调解员保留在名册中，历史记录不变。确定将所选调解员设为离任？")
    def action_retire(self, ids: list[str]) -> None:
        """Record the selected mediators as retired today."""
        chosen = self.selected(ids)
        count = people.retire_mediators(db.session, chosen, clock.today())
        flash(f"已为 {count} 名调解员办理离任", "success")

    @action("reinstate", "恢复在职", "确定将所选调解员恢复为在职？")
    def action_reinstate(self, ids: list[str]) -> None:
        """Put the selected mediators back in office."""
        chosen = self.selected(ids)
        count = people.reinstate_mediators(db.session, chosen)
        flash(f"已将 {count} 名调解员恢复为在职", "success")


class ExpertView(SecureModelView):
    """特邀专家调解员库: kept by the county, visible to the townships below it."""

    masked_columns = {"id_number": "id", "phone": "phone"}

    column_list = (
        "name",
        "gender",
        "profession",
        "title",
        "employer",
        "specialties",
        "availability",
        "phone",
        "status",
    )
    column_export_list = (
        "name",
        "gender",
        "id_number",
        "phone",
        "profession",
        "title",
        "employer",
        "specialties",
        "availability",
        "org_path",
        "joined_on",
        "status",
        "notes",
    )
    column_details_list = column_export_list + ("created_at", "updated_at")
    column_labels = {
        **PERSON_LABELS,
        "profession": "专业领域",
        "title": "职称/资格",
        "employer": "工作单位",
        "availability": "可参与时间",
        "joined_on": "入库日期",
        "organization": "管理单位",
        "org_path": "管理单位",
    }
    column_searchable_list = ("name", "employer", "title")
    column_sortable_list = ("name", "profession", "status", "joined_on")
    column_default_sort = ("name", False)
    column_filters = (
        filters.FilterEqual(Expert.profession, "专业领域", options=_choices(EXPERT_PROFESSIONS)),
        enum_filter(Expert.status, "状态", ExpertStatus),
        enum_filter(Expert.gender, "性别", Gender),
        filters.DateBetweenFilter(Expert.joined_on, "入库日期"),
    )
    column_formatters = {
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
        "specialties": lambda v, c, m, n: "、".join(t.name for t in m.specialties),
    }
    # As the import template has them (services/imports/experts.py).
    column_formatters_export = {
        **column_formatters,
        "id_number": export_masked("id"),
        "phone": export_masked("phone"),
    }
    column_formatters_detail = column_formatters
    form_columns = (
        "organization",
        "name",
        "gender",
        "id_number",
        "phone",
        "profession",
        "title",
        "employer",
        "specialties",
        "availability",
        "joined_on",
        "status",
        "notes",
    )
    form_choices = {"profession": _choices(EXPERT_PROFESSIONS)}
    form_args = {
        "organization": {"validators": [validators.InputRequired(message="请选择管理单位")]},
        "name": {"validators": [validators.InputRequired(message="请填写姓名"), validators.Length(max=50)]},
        "id_number": {"validators": [validators.Optional(), IdNumber(gender_field="gender")]},
        "phone": {"validators": [validators.Optional(), Phone()]},
        "specialties": {"query_factory": _active_dispute_types},
        "joined_on": {"validators": [validators.Optional(), PastDate()]},
    }

    def scope_clause(self) -> Any:
        return org_in_scope_or_above(current_user, Expert.organization_id)

    def can_write_row(self, model: Expert) -> bool:
        # The pool is visible from below but kept by its own organisation: only that subtree edits it.
        return can_reach_org(current_user, model.organization)

    def on_model_change(self, form: Any, model: Expert, is_created: bool) -> None:
        people.prepare_expert(model)

    @action("withdraw", "退出专家库", "退出后专家保留在库中备查，不再推荐参与调解。确定？")
    def action_withdraw(self, ids: list[str]) -> None:
        """Take the selected experts out of the pool."""
        chosen = [expert for expert in self.selected(ids) if self.can_write_row(expert)]
        count = people.withdraw_experts(db.session, chosen)
        flash(f"已有 {count} 名专家退出专家库", "success")
