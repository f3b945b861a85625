"""调解组织 register."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters
from flask_login import current_user
from markupsafe import Markup
from wtforms import BooleanField, FileField, validators

from portal.admin.base import SecureModelView, enum_filter, org_path_text
from portal.admin.registers.masking import export_masked
from portal.extensions import db
from portal.models.org import Industry, Organization, OrgKind, OrgLevel, OrgStatus
from portal.pdf import seal_data_url
from portal.services import DomainError, orgs, seals
from portal.validators import CreditCode, PastDate, Phone


class SealUploadField(FileField):
    """The seal file: checked and stored by the view, never copied onto the model by the form."""

    def populate_obj(self, obj: Any, name: str) -> None:
        pass


class SealRemoveField(BooleanField):
    """Tick to remove the seal; handled by the view like the upload."""

    def populate_obj(self, obj: Any, name: str) -> None:
        pass


def seal_preview(view: Any, context: Any, model: Organization, name: str) -> Markup | str:
    """Show the uploaded seal as documents print it (red over the text), or say there is none."""
    if not model.seal_png:
        return "未上传（文书打印后加盖实物印章）"
    return Markup('<img class="org-seal-preview" src="{}" alt="公章" width="160" height="160">').format(
        seal_data_url(model.seal_png)
    )


class OrganizationView(SecureModelView):
    """调解组织: the tree of organisations, with 备案 data and status."""

    scoped_org_fields = ("parent",)
    masked_columns = {"contact_phone": "phone"}

    column_list = ("name", "code", "parent_path", "level", "kind", "status", "credit_code", "filing_number")
    column_export_list = (
        "name",
        "code",
        "parent_path",
        "level",
        "kind",
        "industry",
        "status",
        "credit_code",
        "filing_number",
        "filing_date",
        "established_on",
        "address",
        "contact_person",
        "contact_phone",
        "notes",
    )
    column_details_list = column_export_list + ("seal_png", "created_at", "updated_at")
    column_labels = {
        "name": "组织名称",
        "code": "简称（案号用）",
        "parent": "上级组织",
        "parent_path": "所属上级",
        "level": "层级",
        "kind": "组织类别",
        "industry": "行业领域",
        "credit_code": "统一社会信用代码",
        "filing_number": "备案号",
        "filing_date": "备案日期",
        "established_on": "成立日期",
        "status": "状态",
        "address": "地址",
        "contact_person": "联系人",
        "contact_phone": "联系电话",
        "sort_order": "排序",
        "notes": "备注",
        "seal_png": "公章（文书用）",
        "created_at": "创建时间",
        "updated_at": "更新时间",
    }
    column_searchable_list = ("name", "code", "credit_code", "filing_number")
    column_sortable_list = ("name", "code", "level", "kind", "status", "filing_date")
    column_default_sort = ("path", False)
    column_filters = (
        enum_filter(Organization.level, "层级", OrgLevel),
        enum_filter(Organization.kind, "组织类别", OrgKind),
        enum_filter(Organization.status, "状态", OrgStatus),
        enum_filter(Organization.industry, "行业领域", Industry),
        filters.FilterLike(Organization.name, "组织名称"),
        filters.DateBetweenFilter(Organization.filing_date, "备案日期"),
    )
    column_formatters = {"parent_path": lambda v, c, m, n: org_path_text(m.parent)}
    # As the import template has them (services/imports/orgs.py).
    column_formatters_export = {**column_formatters, "contact_phone": export_masked("phone")}
    column_formatters_detail = {**column_formatters, "seal_png": seal_preview}
    form_columns = (
        "parent",
        "name",
        "code",
        "level",
        "kind",
        "industry",
        "credit_code",
        "filing_number",
        "filing_date",
        "established_on",
        "status",
        "address",
        "contact_person",
        "contact_phone",
        "sort_order",
        "notes",
        "seal_upload",
        "seal_remove",
    )
    # The seal printed over the date of the organisation's documents (人民调解协议书 …).
    form_extra_fields = {
        "seal_upload": SealUploadField(
            "上传公章图片",
            description="PNG，不超过 512 KB，近正方形，边长 200–3000 像素，建议透明背景；不选文件则保留原图",
            render_kw={"accept": "image/png"},
        ),
        "seal_remove": SealRemoveField("删除已上传的公章"),
    }
    form_args = {
        "name": {
            "validators": [validators.InputRequired(message="请填写组织名称"), validators.Length(max=100)]
        },
        "code": {
            "validators": [validators.InputRequired(message="请填写简称"), validators.Length(max=20)],
            "description": "用于案号：（2026）<简称>人调字第N号，须唯一",
        },
        "credit_code": {"validators": [validators.Optional(), CreditCode()]},
        "filing_date": {"validators": [validators.Optional(), PastDate()]},
        "established_on": {"validators": [validators.Optional(), PastDate()]},
        "contact_phone": {"validators": [validators.Optional(), Phone()]},
    }

    def scope_clause(self) -> Any:
        return Organization.path.startswith(current_user.organization.path, autoescape=True)

    def on_model_change(self, form: Any, model: Organization, is_created: bool) -> None:
        # Only the existing root may stand without a parent; a new root would fall outside every scope.
        is_own_root = (
            not is_created and model.id == current_user.organization_id and model.path.count("/") == 2
        )
        if model.parent is None and not is_own_root:
            raise DomainError("请选择上级组织")
        orgs.check_placement(model, model.parent)
        orgs.prepare(model)
        self._apply_seal(form, model)

    def _apply_seal(self, form: Any, model: Organization) -> None:
        """Store an uploaded seal once it is checked, or remove it; the audit log records the change."""
        upload = form.seal_upload.data if "seal_upload" in form else None
        if "seal_remove" in form and form.seal_remove.data:
            model.seal_png = None
            return
        if upload and getattr(upload, "filename", ""):
            data = upload.read(seals.MAX_BYTES + 1)
            for advice in seals.check_seal(data):
                flash(advice, "warning")
            model.seal_png = data

    @action("revoke", "撤销组织", "撤销后该组织不能再受理纠纷，历史记录保留。确定撤销所选组织？")
    def action_revoke(self, ids: list[str]) -> None:
        """Revoke the selected organisations."""
        chosen = self.selected(ids)
        try:
            count = orgs.revoke(db.session, chosen)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return
        flash(f"已撤销 {count} 个组织", "success")

    def search_placeholder(self) -> str:
        return "名称、简称、信用代码、备案号"
