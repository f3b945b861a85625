"""The builder's editing pages (表单设计器): a field's properties with its display condition picked
from menus, the form's named choice lists and its second language; every edit goes to the draft through
`services.formdefs.save_draft`, version-checked, audited, and undoable until the next publish."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose

from portal.admin.base import SecureModelView
from portal.admin.guards import parse_int
from portal.admin.system.formdef_forms import (
    ChoiceListForm,
    FieldForm,
    LanguageForm,
    SectionConditionForm,
    posted_rules,
)
from portal.extensions import db
from portal.lowcode import builder, schema
from portal.models.formdef import FormDefinition
from portal.services import DomainError, formdefs


class BuilderPages(SecureModelView):
    """The builder's shared helpers and its field, choice-list and language pages."""

    def _definition(self) -> FormDefinition:
        definition = self.get_one(request.values.get("id"))
        if definition is None:
            abort(404)
        return definition

    def _back(self, definition: FormDefinition, anchor: str = "") -> Any:
        return redirect(self.get_url(".details_view", id=definition.id) + anchor)

    def _save(self, definition: FormDefinition, body: dict[str, Any], message: str) -> bool:
        try:
            formdefs.save_draft(
                db.session,
                definition,
                body,
                lock_version(request.form.get("lock_version")),
                step=message.removeprefix("已"),  # 已上移字段 x → the undo button's 撤销：上移字段 x
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return False
        flash(message, "success")
        return True

    @expose("/field/", methods=("GET", "POST"))
    def field_view(self) -> Any:
        """Add a field (to a section or a repeat group) or change one's properties.

        The display condition is picked from menus (field, comparison, value) and written as an
        expression by `builder.condition_text`; the expression itself stays open to experts.
        """
        definition = self._definition()
        key, group = request.args.get("key"), request.args.get("group")
        body = definition.draft
        form = FieldForm(lock_version=definition.version)
        parts = schema.sections(body)
        form.section.choices = [(i, p.get("title") or f"分组{i + 1}") for i, p in enumerate(parts)]
        form.choices.choices = [("", "（不使用）")] + [(n, n) for n in (body.get("choices") or {})]
        try:
            existing = builder.find(body, key) if key else None
        except builder.BuildError:
            abort(404)
        if group is not None and (existing is None and _repeat_group(body, group) is None):
            abort(404)
        if body.get("language2"):
            form.label2.label.text = f"{body['language2']}标签"
        join, rules = "and", list[builder.Rule]()
        if request.method == "GET":
            if existing is not None:
                form.load(existing, builder.section_of(body, str(key)))
                found = builder.condition_rules(body, existing.get("relevant"))
                if not existing.get("relevant"):
                    form.relevant_mode.data = "always"
                elif found is None:
                    form.relevant_mode.data = "expr"
                else:
                    form.relevant_mode.data = "rules"
                    join, rules = found
            else:
                form.section.data = request.args.get("section", 0, type=int)
        else:
            join, rules = request.form.get("relevant_join", "and"), posted_rules(request.form)
            if "relevant_mode" not in request.form:  # a client of the older page, or a script
                form.relevant_mode.data = "expr" if (form.relevant.data or "").strip() else "always"
        if form.validate_on_submit() and self._store_field(
            definition, form, existing, key, group, join, rules
        ):
            return self._back(definition, f"#field-{form.key.data}")
        return self.render(
            "admin/forms/field.html",
            definition=definition,
            form=form,
            existing=existing,
            group=group,
            spec={
                "fields": _condition_fields(body, key, group or _group_of(body, key)),
                "join": join,
                "rules": [vars(r) for r in rules],
                "joins": builder.JOINS,
            },
            language2=body.get("language2"),
            in_group=bool(key) and _in_group(body, key or ""),
            return_url=self.get_url(".details_view", id=definition.id),
        )

    def _store_field(
        self,
        definition: FormDefinition,
        form: FieldForm,
        existing: dict[str, Any] | None,
        key: str | None,
        group: str | None,
        join: str,
        rules: list[builder.Rule],
    ) -> bool:
        """Check a posted field and save it to the draft; False (with the messages on the form) if not."""
        body = definition.draft
        if existing is not None:
            form.key.data = key
        elif not form.key.data:
            taken = {k for v in definition.versions for k in schema.fields_by_key(v.body)}
            form.key.data = builder.generate_key(body, form.label.data, taken)
        text = self._condition(form, body, join, rules)
        if text is None:
            return False
        form.relevant.data = text
        field = form.field(form.type.data)
        try:
            if existing is None:
                new_body = builder.add_field(body, field, form.section.data, group)
            else:
                section = None if group or _in_group(body, key or "") else form.section.data
                new_body = builder.update_field(body, str(key), field, section)
        except builder.BuildError as error:
            form.key.errors = [str(error)]
            return False
        own = [p for p in schema.lint(new_body) if p.key == field["key"]]
        if own:
            flash("字段未保存，请修改以下问题：" + "；".join(p.message for p in own), "error")
            return False
        return self._save(definition, new_body, f"已保存字段“{field['label']}”")

    @expose("/section/", methods=("GET", "POST"))
    def section_view(self) -> Any:
        """Show a whole section only when a condition holds, picked from rows like a field's."""
        definition = self._definition()
        body = definition.draft
        parts = schema.sections(body)
        number = parse_int(request.args.get("section"))
        if number is None or not 0 <= number < len(parts):
            abort(404)
        part = parts[number]
        form = SectionConditionForm(lock_version=definition.version)
        join, rules = "and", list[builder.Rule]()
        if request.method == "GET":
            found = builder.condition_rules(body, part.get("relevant"))
            form.relevant.data = part.get("relevant") or ""
            if not part.get("relevant"):
                form.relevant_mode.data = "always"
            elif found is None:
                form.relevant_mode.data = "expr"
            else:
                form.relevant_mode.data = "rules"
                join, rules = found
        else:
            join, rules = request.form.get("relevant_join", "and"), posted_rules(request.form)
        if form.validate_on_submit():
            text = self._condition(form, body, join, rules)
            if text is not None:
                new_body = builder.set_section_condition(body, number, text)
                before = set(schema.lint(body))
                own = [p for p in schema.lint(new_body) if p not in before]  # what this condition breaks
                if own:
                    form.relevant_mode.errors = [str(p) for p in own]
                elif self._save(definition, new_body, f"已保存分组“{part.get('title')}”的显示条件"):
                    return self._back(definition)
        inside = {f.get("key") for f in part.get("fields") or []}
        inside |= {i.get("key") for f in part.get("fields") or [] for i in f.get("fields") or []}
        return self.render(
            "admin/forms/section.html",
            definition=definition,
            form=form,
            title=part.get("title"),
            spec={
                "fields": [f for f in _condition_fields(body, None, None) if f["key"] not in inside],
                "join": join,
                "rules": [vars(r) for r in rules],
                "joins": builder.JOINS,
            },
            return_url=self.get_url(".details_view", id=definition.id),
        )

    @staticmethod
    def _condition(form: Any, body: dict[str, Any], join: str, rules: list[builder.Rule]) -> str | None:
        """Return the posted display condition ('' for always), or None with the error on the form."""
        mode = form.relevant_mode.data
        if mode == "always":
            return ""
        if mode == "rules":
            try:
                return builder.condition_text(body, rules, join)
            except builder.BuildError as error:
                form.relevant_mode.errors = [str(error)]
                return None
        text = (form.relevant.data or "").strip()
        if not text:
            form.relevant.errors = ["请填写显示条件，或选择“总是显示”"]
            return None
        return text

    @expose("/language/", methods=("POST",))
    def language_view(self) -> Any:
        """Set or clear the form's second language."""
        definition = self._definition()
        form = LanguageForm()
        if not form.validate_on_submit():
            flash("；".join(e for errors in form.errors.values() for e in errors) or "请重试", "error")
            return self._back(definition)
        try:
            body = builder.set_language2(definition.draft, form.language2.data or "")
        except builder.BuildError as error:
            flash(str(error), "error")
            return self._back(definition)
        name = (form.language2.data or "").strip()
        self._save(definition, body, f"第二语言设为“{name}”" if name else "已取消第二语言")
        return self._back(definition)

    @expose("/choices/", methods=("GET", "POST"))
    def choices_view(self) -> Any:
        """Add or change a named choice list of the form (fields choose it by name)."""
        definition = self._definition()
        body = definition.draft
        lists = builder.choice_lists(body)
        old = request.args.get("name")
        if old is not None and old not in lists:
            abort(404)
        form = ChoiceListForm(lock_version=definition.version)
        if request.method == "GET" and old is not None:
            form.name.data = old
            form.options.data = builder.options_to_text(lists[old])
        if form.validate_on_submit():
            try:
                new_body = builder.set_choice_list(
                    body, form.name.data, builder.options_from_text(form.options.data), old
                )
            except builder.BuildError as error:
                form.options.errors = [str(error)]
            else:
                if self._save(definition, new_body, f"已保存选项列表“{form.name.data.strip()}”"):
                    return self._back(definition, "#choice-lists")
        return self.render(
            "admin/forms/choices.html",
            definition=definition,
            form=form,
            old=old,
            language2=body.get("language2"),
            return_url=self.get_url(".details_view", id=definition.id),
        )


def lock_version(value: Any) -> int | None:
    """Return the posted lock version, or None when it is not a plain number (not "²", which isdigit())."""
    lock = parse_int(value)
    return lock if lock is not None and lock >= 0 else None


def _in_group(body: dict[str, Any], key: str) -> bool:
    return any(g is not None and f.get("key") == key for f, g in schema.walk(body))


def _group_of(body: dict[str, Any], key: str | None) -> str | None:
    return next((g["key"] for f, g in schema.walk(body) if g is not None and f.get("key") == key), None)


def _repeat_group(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    found = schema.fields_by_key(body).get(key)
    return found if found is not None and found.get("type") == "repeat" else None


def _condition_fields(body: dict[str, Any], key: str | None, group: str | None) -> list[dict[str, Any]]:
    """The fields a condition of field `key` may test, with their comparisons and options.

    The top-level fields, and in a repeat group its own row's fields too (another row is out of reach).
    """
    found = []
    for item, parent in schema.walk(body):
        kind = item.get("type")
        if item.get("key") == key or kind not in builder.CONDITION_TYPES:
            continue
        if parent is not None and parent.get("key") != group:
            continue
        options = schema.options_of(body, item)
        if kind == "boolean":
            options = [{"value": "true", "label": "是"}, {"value": "false", "label": "否"}]
        found.append(
            {
                "key": item["key"],
                "label": item.get("label", ""),
                "type": kind,
                "type_label": schema.TYPES.get(kind, kind),
                "ops": builder.operators_for(kind),
                "options": options,
            }
        )
    return found
