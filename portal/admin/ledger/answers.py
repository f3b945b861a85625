"""The case's extra fields (自定义表单) in the ledger: the form section, its check, exports and the filter."""

from __future__ import annotations

import io
import operator as op
from typing import Any

from flask import abort, current_app, flash, g, request, send_file, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import and_, case, exists, false, func, literal, or_, select

from portal.admin.guards import int_arg
from portal.admin.ledger.columns import DisputeTypeFilter
from portal.extensions import db, start_writing
from portal.lowcode import choices, engine, query, render
from portal.models.attachment import Attachment
from portal.models.case import Case
from portal.models.dictionary import DisputeType
from portal.models.formdef import FormDefinition, FormVersion
from portal.services import DomainError, answer_index, attachments, formdefs
from portal.services import choices as registers
from portal.services.deadlines import local_today

ANSWER_COLUMN = "answer:"


class AnswerFilter(filters.BaseSQLAFilter):
    """附加信息 conditions such as `受伤人数 >= 3 and 是否有人受伤 = 是` (see portal.lowcode.query)."""

    def __init__(self) -> None:
        super().__init__(Case.answers, "附加信息条件")

    @staticmethod
    def conditions(value: Any) -> list[query.Condition]:
        """Return the parsed conditions, or raise query.ConditionError (Chinese)."""
        return query.parse(str(value), answer_catalogue())

    def validate(self, value: Any) -> bool:
        return self.invalid_message(value) is None

    def invalid_message(self, value: Any) -> str | None:
        """Return why the conditions cannot be applied, in Chinese, or None."""
        try:
            self.conditions(value)
        except query.ConditionError as error:
            return f"附加信息条件无效：{error}"
        return None

    def apply(self, query_: Any, value: Any, alias: Any = None) -> Any:
        postgres = db.session.get_bind().dialect.name == "postgresql"
        return query_.filter(and_(*(condition_clause(c, postgres) for c in self.conditions(value))))

    def operation(self) -> str:
        return "满足"


def answer_catalogue() -> query.Catalogue:
    """Return the fields of every published form version, loaded once per request."""
    if "answer_catalogue" not in g:
        g.answer_catalogue = query.Catalogue(
            db.session.scalars(select(FormVersion.body).order_by(FormVersion.id))
        )
    return g.answer_catalogue


_JSON_KINDS = {  # jsonb_typeof (PostgreSQL) and json_type (SQLite) names of each stored shape
    "number": (["number"], ["integer", "real"]),
    "boolean": (["boolean"], ["true", "false"]),
    "string": (["string"], ["text"]),
    "array": (["array"], ["array"]),
}


def condition_clause(condition: query.Condition, postgres: bool) -> Any:
    """Return the SQL of one condition; a label naming fields of several forms matches any of them.

    The exact test reads each case's JSON; the typed answer index (`services.answer_index`) narrows
    the cases it is run on, when it can.
    """
    exact = or_(*(_key_clause(key, condition, postgres) for key in condition.keys))
    # The index holds no register choice's label (an object) and cannot narrow `not in`.
    plain = condition.family != "ref" and condition.operator != "not in"
    narrowed = answer_index.candidates(condition) if plain else None
    return exact if narrowed is None else and_(narrowed, exact)


def _key_clause(key: str, condition: query.Condition, postgres: bool) -> Any:
    element, path = Case.answers[key], f'$."{key}"'  # keys are schema.KEY_RE identifiers
    kind = func.jsonb_typeof(element) if postgres else func.json_type(Case.answers, path)

    def shaped(shape: str) -> Any:
        return kind.in_(_JSON_KINDS[shape][0 if postgres else 1])

    family, operator, value = condition.family, condition.operator, condition.value
    if operator in query.PRESENCE:
        length = (
            func.jsonb_array_length(element)
            if postgres
            else func.json_array_length(Case.answers, f'$."{key}"')
        )
        blank = or_(
            Case.answers.is_(None),
            kind.is_(None),
            kind == "null",
            and_(shaped("string"), element.as_string() == ""),
            case((shaped("array"), length == 0), else_=false()),
        )
        return blank if operator == "empty" else ~blank
    if family == "ref":  # a register's record {"id", "label"}: by its label (or the label's name part), or id
        label = Case.answers[(key, "label")].as_string()
        ident = Case.answers[(key, "id")].as_string()
        if operator == "contains":
            return label.contains(value, autoescape=True)
        same = or_(label == value, label.startswith(f"{value}（", autoescape=True), ident == value)
        is_object = kind.in_(["object"])
        return and_(is_object, same) if operator == "=" else and_(is_object, ~same)
    if family == "choices":  # = : the option is ticked; != : answered, and it is not
        if postgres:
            ticked = element.bool_op("?")(value)
        else:
            each = func.json_each(Case.answers, path).table_valued("value")
            ticked = exists(select(literal(1)).select_from(each).where(each.c.value == value))
        return and_(shaped("array"), ticked if operator == "=" else ~ticked)
    if family == "number":
        typed = case((shaped("number"), element.as_float()))
    elif family == "boolean":
        typed = case((shaped("boolean"), element.as_boolean()))
    else:  # text, choice, date and date-time answers are stored as strings
        typed = case((shaped("string"), element.as_string()))
    if operator == "in":
        return typed.in_(list(value))
    if operator == "not in":  # != a label several forms give to different codes
        return and_(typed.is_not(None), typed.not_in(list(value)))
    if operator == "contains":
        return typed.contains(value, autoescape=True)
    if isinstance(value, query.Day):  # a date compared with date-times: the whole day
        start, end = value.start, value.end
        return {
            "=": lambda: and_(typed >= start, typed < end),
            "!=": lambda: or_(typed < start, typed >= end),
            "<": lambda: typed < start,
            "<=": lambda: typed < end,
            ">": lambda: typed >= end,
            ">=": lambda: typed >= start,
        }[operator]()
    # Only the operator asked for is built: the type's operator set (query.OPERATORS) was checked.
    return COMPARE[operator](typed, value)


COMPARE = {"=": op.eq, "!=": op.ne, "<": op.lt, "<=": op.le, ">": op.gt, ">=": op.ge}


class CaseAnswersMixin:
    """Adds the type's published fields to the case form, the case page and the export."""

    create_template = "admin/cases/create.html"
    edit_template = "admin/cases/edit.html"

    # --- the form section -------------------------------------------------------------------------

    def _editing_case(self) -> Case | None:
        if request.endpoint and request.endpoint.endswith(".edit_view") and request.args.get("id"):
            return self.get_one(request.args["id"])  # type: ignore[attr-defined]
        return None

    def answers_section(self, form: Any = None, case: Case | None = None) -> Markup:
        """Render the extra fields of the type chosen in the form (or the case's own version)."""
        dispute_type = form.dispute_type.data if form is not None and "dispute_type" in form else None
        return self._section(dispute_type or (case.dispute_type if case is not None else None), case)

    @expose("/answers/")
    def answers_fragment(self) -> Any:
        """Return the extra-fields section for a dispute type, when the registration form changes type."""
        if not self._holds(self.write_roles):  # type: ignore[attr-defined]
            abort(403)
        dispute_type = db.session.get(DisputeType, int_arg("dispute_type") or 0)
        case = self.get_one(request.args["id"]) if request.args.get("id") else None  # type: ignore[attr-defined]
        return self._section(dispute_type, case) if dispute_type is not None else ""

    def _resolved(self, body: dict[str, Any], case: Case | None) -> dict[str, Any]:
        """Return the body with its register choices and attachments read for the user (lowcode.choices)."""
        if not choices.uses_data(body):
            return body
        user = current_user._get_current_object()
        return choices.resolve(
            body,
            registers.register_options(db.session, user),
            lambda key: attachments.attachable(db.session, user, case, key),
            keep=case.answers if case is not None else None,
        )

    def _posted(self, body: dict[str, Any]) -> dict[str, Any]:
        """Return the posted answers, with each file field's kept and newly uploaded attachment ids."""
        raw: dict[str, Any] = engine.parse_form(body, request.form)
        uploaded = g.get("answer_uploads", {})
        for field in choices.file_fields(body):
            name = f"{engine.PREFIX}.{field['key']}"
            raw[field["key"]] = [*request.form.getlist(name), *uploaded.get(field["key"], [])]
        return raw

    def _upload(self, body: dict[str, Any]) -> dict[str, str]:
        """Keep the files posted to the form's file fields (pending until the case is saved); errors by key.

        They are committed at once, so a form refused for another reason keeps them (as hidden ticks).
        """
        folder = current_app.config["UPLOAD_FOLDER"]
        user = current_user._get_current_object()
        uploads: dict[str, list[str]] = {}
        errors: dict[str, str] = {}
        for field in choices.file_fields(body):
            for posted in request.files.getlist(f"{engine.PREFIX}.{field['key']}"):
                if not posted or (not posted.filename and not posted.content_length):
                    continue  # the file input left empty
                try:
                    kept = attachments.store(db.session, user, field, posted.filename, posted.stream, folder)
                except DomainError as error:
                    errors[field["key"]] = str(error)
                    continue
                finally:
                    posted.close()  # a large upload is spooled to a temporary file: let it go now
                uploads.setdefault(field["key"], []).append(str(kept.id))
        if uploads:
            db.session.commit()
        g.answer_uploads = uploads
        return errors

    def _section(self, dispute_type: DisputeType | None, case: Case | None) -> Markup:
        """Render the version that applies (the case's own while its type is unchanged), filled in."""
        version = formdefs.version_for(db.session, dispute_type, case)
        if version is None:
            return Markup("")
        errors: dict[str, str] = {}
        body = self._resolved(version.body, case)
        if request.method == "POST":
            values: dict[str, Any] = self._posted(version.body)
            errors = g.get("answer_errors", {})
        elif case is not None and case.form_version_id == version.id:
            values = case.answers or {}
        else:
            values = engine.defaults(version.body)
        note = f"第{version.number}版"
        if case is not None and version.definition.latest is not version:
            note += f"（本案按此版本录入；现行为第{version.definition.latest.number}版）"
        return render.section(
            body,
            values,
            errors,
            local_today().isoformat(),
            title=f"附加信息：{version.title}",
            note=note,
            file_url=lambda attachment_id: url_for(".attachment_view", id=attachment_id),
        )

    def validate_form(self, form: Any) -> bool:
        valid = super().validate_form(form)  # type: ignore[misc]
        if request.method != "POST" or "dispute_type" not in form or form.dispute_type.data is None:
            return valid
        case = self._editing_case()
        version = formdefs.version_for(db.session, form.dispute_type.data, case)
        if version is None:
            g.case_answers = (None, {})
            return valid
        upload_errors = self._upload(version.body) if choices.file_fields(version.body) else {}
        outcome, _resolved = choices.check(
            version.body,
            self._posted(version.body),
            local_today().isoformat(),
            registers.register_options(db.session, current_user._get_current_object()),
            lambda key: attachments.attachable(db.session, current_user, case, key),
            keep=case.answers if case is not None else None,
        )
        outcome.errors.update(upload_errors)
        g.case_answers = (version, outcome.values)
        if not outcome.ok:
            g.answer_errors = outcome.errors
            flash(f"附加信息有 {len(outcome.errors)} 处需要修改，请查看标红的项目", "error")
            return False
        return valid

    def apply_answers(self, case: Case) -> None:
        """Store the answers checked in `validate_form` with their version."""
        if "case_answers" in g:
            version, values = g.case_answers
            formdefs.attach_answers(case, version, values)
            attachments.link(
                db.session,
                current_user._get_current_object(),
                case,
                version.body if version else None,
                values,
            )

    @expose("/attachment/")
    def attachment_view(self) -> Any:
        """Download an attachment of a case in the user's scope (else 404, like a missing one); audited."""
        found = db.session.get(Attachment, int_arg("id") or 0)
        if found is None:
            abort(404)
        if found.case_id is not None:
            self.get_one(str(found.case_id))  # type: ignore[attr-defined]  # 404 outside the user's scope
        if not attachments.readable(current_user._get_current_object(), found):
            abort(404)
        served = attachments.read(current_app.config["UPLOAD_FOLDER"], found)
        if served is None:
            current_app.logger.error(
                "attachment %s: its file is missing or does not match its hash", found.id
            )
            abort(404)
        data, mimetype = served
        start_writing()
        attachments.audit_download(db.session, found)
        db.session.commit()
        return send_file(
            io.BytesIO(data),
            mimetype=mimetype,
            as_attachment=True,
            download_name=attachments.download_name(found),
            max_age=0,
        )

    # --- the case page ----------------------------------------------------------------------------

    def answers_shown(self, case: Case) -> list[tuple[str, list[render.Shown]]]:
        """Return the case's answers as text, with its own version's labels."""
        if case.form_version is None:
            return []
        return render.shown_sections(case.form_version.body, case.answers)

    # --- export -----------------------------------------------------------------------------------

    def _selected_type(self) -> int | None:
        """Return the dispute type the list is filtered to, if one is (read quietly: the list flashes)."""
        for arg, value in request.args.items():
            key = arg[3:].partition("_")[2] if arg.startswith("flt") else ""
            found = self._filter_args.get(key) if key else None  # type: ignore[attr-defined]
            if found is not None and isinstance(found[1], DisputeTypeFilter) and str(value).isdigit():
                return int(value)
        return None

    def answer_export_columns(self) -> list[tuple[str, str]]:
        """Return one column per field of the filtered dispute type's forms, over all their versions."""
        type_id = self._selected_type()
        if type_id is None:
            return []
        types = select(DisputeType.id).where(or_(DisputeType.id == type_id, DisputeType.parent_id == type_id))
        bodies = db.session.scalars(
            select(FormVersion.body)
            .join(FormDefinition)
            .where(FormDefinition.dispute_type_id.in_(types))
            .order_by(FormDefinition.id, FormVersion.number)
        ).all()
        return [(ANSWER_COLUMN + key, label) for key, label in render.export_columns(list(bodies))]

    def export_columns(self) -> list[tuple[str, str]]:
        """The register's columns and, with one dispute type filtered, a column per field of its forms."""
        return super().export_columns() + self.answer_export_columns()  # type: ignore[misc]

    def export_cell_getter(self, name: str) -> Any:
        if name.startswith(ANSWER_COLUMN):
            key = name[len(ANSWER_COLUMN) :]

            def answer(model: Case) -> Any:
                body = model.form_version.body if model.form_version is not None else None
                return render.export_cell(body, model.answers, key)

            return answer
        return super().export_cell_getter(name)  # type: ignore[misc]
