"""The case's extra fields (自定义表单) in the ledger: the form section, its check, exports and the filter."""

from __future__ import annotations

import operator as op
from typing import Any

from flask import abort, flash, g, request
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from markupsafe import Markup
from sqlalchemy import and_, case, exists, false, func, literal, or_, select

from portal.admin.guards import int_arg
from portal.admin.ledger.columns import DisputeTypeFilter
from portal.extensions import db
from portal.lowcode import engine, query, render
from portal.models.case import Case
from portal.models.dictionary import DisputeType
from portal.models.formdef import FormDefinition, FormVersion
from portal.services import answer_index, formdefs
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
    narrowed = answer_index.candidates(condition)
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

    def _section(self, dispute_type: DisputeType | None, case: Case | None) -> Markup:
        """Render the version that applies (the case's own while its type is unchanged), filled in."""
        version = formdefs.version_for(db.session, dispute_type, case)
        if version is None:
            return Markup("")
        errors: dict[str, str] = {}
        if request.method == "POST":
            values: dict[str, Any] = engine.parse_form(version.body, request.form)
            errors = g.get("answer_errors", {})
        elif case is not None and case.form_version_id == version.id:
            values = case.answers or {}
        else:
            values = engine.defaults(version.body)
        note = f"第{version.number}版"
        if case is not None and version.definition.latest is not version:
            note += f"（本案按此版本录入；现行为第{version.definition.latest.number}版）"
        return render.section(
            version.body,
            values,
            errors,
            local_today().isoformat(),
            title=f"附加信息：{version.title}",
            note=note,
        )

    def validate_form(self, form: Any) -> bool:
        valid = super().validate_form(form)  # type: ignore[misc]
        if request.method != "POST" or "dispute_type" not in form or form.dispute_type.data is None:
            return valid
        version = formdefs.version_for(db.session, form.dispute_type.data, self._editing_case())
        if version is None:
            g.case_answers = (None, {})
            return valid
        outcome = engine.check(
            version.body, engine.parse_form(version.body, request.form), local_today().isoformat()
        )
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
                return render.export_value(body, model.answers, key)

            return answer
        return super().export_cell_getter(name)  # type: ignore[misc]
