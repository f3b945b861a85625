"""自定义表单: the builder where administrators keep each dispute type's extra fields, without code."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup
from wtforms import validators

from portal.admin.base import local_time
from portal.admin.system.formdef_forms import LanguageForm, PublishForm, SectionForm, UploadForm
from portal.admin.system.formdef_pages import BuilderPages, lock_version
from portal.extensions import db
from portal.lowcode import builder, engine, render, schema
from portal.models.auth import Role
from portal.models.formdef import FormDefinition, FormVersion
from portal.services import DomainError, formdefs
from portal.services.deadlines import local_today


class FormDefinitionView(BuilderPages):
    """Form definitions per dispute type: drafts, the builder, preview, publishing and history."""

    read_roles = frozenset({Role.ADMIN})
    write_roles = frozenset({Role.ADMIN})
    # One catalogue for the whole county, like the dispute types it belongs to.
    scope_column = None
    can_delete = False
    details_template = "admin/forms/builder.html"
    list_template = "admin/forms/list.html"
    column_list = ("title", "key", "dispute_type", "latest", "draft_dirty", "archived", "updated_at")
    column_labels = {
        "title": "表单名称",
        "key": "表单标识",
        "dispute_type": "纠纷类型",
        "latest": "现行版本",
        "draft_dirty": "草稿待发布",
        "archived": "已停用",
        "updated_at": "最后修改",
    }
    column_searchable_list = ("title", "key")
    column_sortable_list = ("title", "key", "updated_at")
    column_default_sort = "title"
    column_formatters = {
        "title": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            v.get_url(".details_view", id=m.id), m.title
        ),
        "latest": lambda v, c, m, n: f"第{m.latest.number}版" if m.latest else "未发布",
        "updated_at": lambda v, c, m, n: local_time(m.updated_at),
    }
    column_formatters_export = {"latest": column_formatters["latest"]}
    form_columns = ("key", "title", "dispute_type", "archived")
    form_args = {
        "key": {
            "label": "表单标识",
            "validators": [
                validators.InputRequired("请填写表单标识"),
                validators.Regexp(
                    r"^[a-z][a-z0-9_]{0,63}$", message="小写字母开头，只含小写字母、数字和下划线"
                ),
            ],
            "description": "英文标识，如 traffic_accident；创建后不能修改",
        },
        "title": {"label": "表单名称", "validators": [validators.InputRequired("请填写表单名称")]},
        "dispute_type": {
            "label": "纠纷类型",
            "description": "一个纠纷类型只有一张表；子类型没有自己的表时使用上级类型的表",
        },
        "archived": {"label": "停用", "description": "停用后新登记的案件不再填写此表，已有案件不受影响"},
    }

    def is_accessible(self) -> bool:
        # The designer changes the forms of every township: only administrators at the root may open it.
        return super().is_accessible() and self.may_write()

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        del form["key"]  # immutable: files, exports and filters refer to it
        return form

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        del form["archived"]
        return form

    def on_model_change(self, form: Any, model: FormDefinition, is_created: bool) -> None:
        if is_created:
            model.draft = {"sections": [{"title": "基本情况", "fields": []}]}
        if model.dispute_type is not None:
            owner = db.session.scalar(
                db.select(FormDefinition).where(
                    FormDefinition.dispute_type_id == model.dispute_type.id,
                    FormDefinition.id != (model.id or 0),
                )
            )
            if owner is not None:
                raise DomainError(f"纠纷类型“{model.dispute_type}”已有表单“{owner.title}”")

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        return self.get_url(".details_view", id=model.id)

    # --- the builder page ---------------------------------------------------------------------------

    def builder_page(self, definition: FormDefinition) -> dict[str, Any]:
        """Return what the builder page shows besides the definition."""
        body = definition.draft
        problems = schema.lint(body) + formdefs._history_problems(definition)
        preview = None
        if not problems:
            today = local_today().isoformat()
            preview = render.section(body, engine.defaults(body), {}, today)
        return {
            "sections": schema.sections(body),
            "problems": problems,
            "changes": formdefs.draft_changes(definition),
            "history": formdefs.history(definition),
            "types": schema.TYPES,
            "publish_form": PublishForm(lock_version=definition.version),
            "section_form": SectionForm(lock_version=definition.version),
            "language_form": LanguageForm(lock_version=definition.version, language2=body.get("language2")),
            "choice_lists": builder.choice_lists(body),
            "choice_users": {
                name: [f.get("label") for f, _g in schema.walk(body) if f.get("choices") == name]
                for name in body.get("choices") or {}
            },
            "language2": body.get("language2"),
            "undo": formdefs.undo_label(definition),
            "undo_count": len(definition.undo_stack or []),
            "describe": lambda text: builder.describe(body, text),
            "preview": preview,
            "local_time": local_time,
        }

    @expose("/op/", methods=("POST",))
    def op_view(self) -> Any:
        """Move or remove a field or section, or add and rename sections."""
        definition = self._definition()
        body, op = definition.draft, request.form.get("op", "")
        key = request.form.get("key", "")
        section = request.form.get("section", -1, type=int)
        if op == "undo":
            return self._undo(definition)
        form = SectionForm()
        if not form.validate() and op in {"add_section", "rename_section"}:
            flash("；".join(e for errors in form.errors.values() for e in errors), "error")
            return self._back(definition)
        try:
            new_body, message = {
                "up": lambda: (builder.move_field(body, key, -1), f"已上移字段 {key}"),
                "down": lambda: (builder.move_field(body, key, 1), f"已下移字段 {key}"),
                "move_to": lambda: (
                    builder.move_field_to(body, key, section, request.form.get("before") or None),
                    f"已移动字段 {key}",
                ),
                "remove_choices": lambda: (
                    builder.remove_choice_list(body, request.form.get("name", "")),
                    f"已删除选项列表“{request.form.get('name', '')}”",
                ),
                "remove": lambda: (
                    builder.remove_field(body, key),
                    f"已删除字段 {key}（已录入的案件仍按原版本保留该项）",
                ),
                "section_up": lambda: (builder.move_section(body, section, -1), "分组已上移"),
                "section_down": lambda: (builder.move_section(body, section, 1), "分组已下移"),
                "remove_section": lambda: (builder.remove_section(body, section), "分组已删除"),
                "add_section": lambda: (builder.add_section(body, form.title.data), "已添加分组"),
                "rename_section": lambda: (
                    builder.rename_section(body, section, form.title.data),
                    "分组已改名",
                ),
            }[op]()
        except KeyError:
            abort(400)
        except builder.BuildError as error:
            flash(str(error), "error")
            return self._back(definition)
        self._save(definition, new_body, message)
        return self._back(definition, f"#field-{key}" if key else "")

    def _undo(self, definition: FormDefinition) -> Any:
        try:
            undone = formdefs.undo(db.session, definition, lock_version(request.form.get("lock_version")))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(f"已撤销：{undone}", "success")  # 已撤销：移动字段 x
        return self._back(definition)

    @expose("/publish/", methods=("GET", "POST"))
    def publish_view(self) -> Any:
        """Show what publishing changes and ask to confirm (GET); lint the draft and publish it (POST)."""
        definition = self._definition()
        form = PublishForm(lock_version=definition.version)
        if request.method == "GET":
            latest = definition.latest
            return self.render(
                "admin/forms/publish.html",
                definition=definition,
                form=form,
                problems=schema.lint(definition.draft) + formdefs._history_problems(definition),
                changes=formdefs.draft_changes(definition) if latest else None,
                fields=[f for f, _g in schema.walk(definition.draft)],
                types=schema.TYPES,
                return_url=self.get_url(".details_view", id=definition.id),
            )
        if form.validate_on_submit():
            try:
                version = formdefs.publish(
                    db.session, definition, current_user, form.note.data, lock_version(form.lock_version.data)
                )
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "error")
            else:
                flash(
                    f"已发布第{version.number}版；此后新登记的案件使用新版本，已有案件保留原版本", "success"
                )
        return self._back(definition)

    @expose("/preview/", methods=("GET", "POST"))
    def preview_view(self) -> Any:
        """Try the draft (or a version) as clerks will see it, with live conditions and a server check."""
        definition = self._definition()
        version = self._version(definition)
        body = version.body if version is not None else definition.draft
        problems = schema.lint(body)
        section = None
        outcome = None
        if not problems:
            today = local_today().isoformat()
            if request.method == "POST":
                raw = engine.parse_form(body, request.form)
                outcome = engine.check(body, raw, today)
                section = render.section(body, raw, outcome.errors, today)
            else:
                section = render.section(body, engine.defaults(body), {}, today)
        return self.render(
            "admin/forms/preview.html",
            definition=definition,
            version=version,
            section=section,
            problems=problems,
            outcome=outcome,
            shown=render.shown_sections(body, outcome.values, mask=False) if outcome and outcome.ok else None,
            return_url=self.get_url(".details_view", id=definition.id),
        )

    def _version(self, definition: FormDefinition) -> FormVersion | None:
        number = request.args.get("version", type=int)
        if number is None:
            return None
        found = next((v for v in definition.versions if v.number == number), None)
        if found is None:
            abort(404)
        return found

    @expose("/download/")
    def download_view(self) -> Any:
        """Download the draft or one version as a YAML or JSON file."""
        definition = self._definition()
        fmt = "json" if request.args.get("format") == "json" else "yaml"
        version = self._version(definition)
        text = formdefs.dump(formdefs.to_file(definition, version), fmt)
        suffix = f"v{version.number}" if version else "draft"
        return Response(
            text,
            mimetype="application/json" if fmt == "json" else "application/x-yaml",
            headers={"Content-Disposition": f"attachment; filename={definition.key}-{suffix}.{fmt}"},
        )

    @expose("/upload/", methods=("GET", "POST"))
    def upload_view(self) -> Any:
        """Import a definition file: a new form, or the next draft of an existing one (found by key)."""
        if not self._holds(self.write_roles):
            abort(403)
        form = UploadForm()
        if form.validate_on_submit():
            try:
                data = formdefs.parse_file(form.file.data.read().decode("utf-8"))
                definition, version = formdefs.import_file(
                    db.session, data, current_user, publish_it=form.publish.data == "publish"
                )
            except UnicodeDecodeError:
                flash("文件不是 UTF-8 编码的文本", "error")
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "error")
            else:
                flash(
                    f"已导入“{definition.title}”" + (f"并发布第{version.number}版" if version else "为草稿"),
                    "success",
                )
                return redirect(self.get_url(".details_view", id=definition.id))
        return self.render("admin/forms/upload.html", form=form, return_url=self.get_url(".index_view"))
