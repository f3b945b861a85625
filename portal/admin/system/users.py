"""用户管理 (administrators only); the logs are in `logs`."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, request
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters
from flask_admin.form import Select2Widget
from flask_login import current_user
from wtforms import PasswordField, SelectMultipleField, ValidationError, validators

from portal.admin.base import OrgSubtreeFilter, SecureModelView, org_path_text
from portal.extensions import db
from portal.models.auth import Role, User
from portal.models.base import utcnow
from portal.services import accounts
from portal.validators import Phone

ADMIN_ONLY = frozenset({Role.ADMIN})


class RolesField(SelectMultipleField):
    """Multiple choice of roles, read from and written to `User.roles`."""

    def process_data(self, value: Any) -> None:
        self.data = sorted(r.value for r in value) if value else []

    def populate_obj(self, obj: Any, name: str) -> None:
        obj.roles = self.data or []


class UserView(SecureModelView):
    """用户管理: accounts, their roles and organisation."""

    read_roles = ADMIN_ONLY
    masked_columns = {"phone": "phone"}

    column_list = ("username", "full_name", "org_path", "roles", "active", "locked_until", "last_login_at")
    column_export_list = column_list
    column_details_list = (*column_list, "phone", "failed_logins", "password_changed_at", "created_at")
    column_labels = {
        "username": "用户名",
        "full_name": "姓名",
        "organization": "所属组织",
        "org_path": "所属组织",
        "roles": "角色",
        "active": "启用",
        "locked_until": "锁定至",
        "last_login_at": "最近登录",
        "phone": "联系电话",
        "failed_logins": "连续登录失败次数",
        "password_changed_at": "密码修改时间",
        "created_at": "创建时间",
        "new_password": "新密码",
    }
    column_searchable_list = ("username", "full_name")
    column_sortable_list = ("username", "full_name", "last_login_at")
    column_default_sort = ("username", False)
    column_filters = (
        OrgSubtreeFilter(User.organization_id),
        filters.BooleanEqualFilter(User.active, "启用"),
        filters.FilterLike(User.roles_value, "角色", options=Role.choices()),
    )
    column_formatters = {
        "org_path": lambda v, c, m, n: org_path_text(m.organization),
        "roles": lambda v, c, m, n: "、".join(r.label for r in sorted(m.roles)),
    }
    column_formatters_export = column_formatters
    column_formatters_detail = column_formatters
    form_columns = ("username", "full_name", "organization", "roles", "phone", "active", "new_password")
    form_extra_fields = {
        "roles": RolesField("角色", choices=Role.choices(), widget=Select2Widget(multiple=True)),
        "new_password": PasswordField(
            "新密码", description="新建用户时必填；修改用户时留空表示不修改密码。至少8位，须含字母和数字。"
        ),
    }
    form_args = {
        "username": {
            "validators": [
                validators.InputRequired(message="请填写用户名"),
                validators.Regexp(
                    r"^[A-Za-z0-9_.-]{3,50}$", message="用户名须为3至50位字母、数字、下划线、点或连字符"
                ),
            ]
        },
        "full_name": {"validators": [validators.InputRequired(message="请填写姓名")]},
        "organization": {"validators": [validators.InputRequired(message="请选择所属组织")]},
        "phone": {"validators": [validators.Optional(), Phone()]},
    }

    def scaffold_form(self) -> Any:
        form_class = super().scaffold_form()

        def validate_roles(form: Any, field: Any) -> None:
            if not field.data:
                raise ValidationError("至少选择一个角色")

        def validate_new_password(form: Any, field: Any) -> None:
            creating = getattr(form, "_obj", None) is None
            if creating and not field.data:
                raise ValidationError("新建用户须设置初始密码")
            if field.data:
                problem = accounts.password_problem(field.data, current_app.config["PASSWORD_MIN_LENGTH"])
                if problem:
                    raise ValidationError(problem)

        form_class.validate_roles = validate_roles
        form_class.validate_new_password = validate_new_password
        return form_class

    def on_model_change(self, form: Any, model: User, is_created: bool) -> None:
        if form.new_password.data:
            model.set_password(form.new_password.data)
            model.password_changed_at = utcnow()
        accounts.check_self_change(model, current_user)

    @action("unlock", "解除锁定", "确定解除所选账户的登录锁定？")
    def action_unlock(self, ids: list[str]) -> None:
        """Clear login lockouts."""
        client = accounts.Client(request.remote_addr, request.user_agent.string or None)
        count = accounts.unlock(db.session, self.selected(ids), current_user, client)
        flash(f"已解除 {count} 个账户的登录锁定", "success")

    @action("deactivate", "停用账户", "停用后该账户不能登录，历史记录保留。确定停用所选账户？")
    def action_deactivate(self, ids: list[str]) -> None:
        """Deactivate accounts (never deleted: the audit log refers to them)."""
        count = accounts.deactivate(db.session, self.selected(ids), current_user)
        flash(f"已停用 {count} 个账户", "success")
