"""The case's extra fields (自定义表单) in the ledger: the form section, its check, exports and the filter."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, g, request
from flask_admin import expose
from flask_admin.contrib.sqla import filters
from markupsafe import Markup
from sqlalchemy import and_, case, func, or_, select

from portal.admin.base import sheet_text
from portal.admin.guards import int_arg
from portal.admin.ledger.columns import DisputeTypeFilter
from portal.extensions import db
from portal.lowcode import engine, expr, render, schema
from portal.models.case import Case
from portal.models.dictionary import DisputeType
from portal.models.formdef import FormDefinition, FormVersion
from portal.services import formdefs
from portal.services.deadlines import local_today

ANSWER_COLUMN = "answer:"


class AnswerFilter(filters.BaseSQLAFilter):
    """附加信息 condition such as `injured_count >= 3` or `${liability} = 'main'`, joined by `and`."""

    def __init__(self) -> None:
        super().__init__(Case.answers, "附加信息条件")

    @staticmethod
    def parse(value: str) -> list[tuple[str, str, Any]]:
        """Return (key, operator, literal) triples, or raise ExprError for anything else."""
        text = re.sub(r"(^|\band\s+)([a-z][a-z0-9_]*)(?=\s*(=|!=|<|>|is\b))", r"\1${\2}", value.strip())
        text = re.sub(r"\$\{([a-z][a-z0-9_]*)\}\s+is\s+not\s+empty", r"not empty(${\1})", text)
        text = re.sub(r"\$\{([a-z][a-z0-9_]*)\}\s+is\s+empty", r"empty(${\1})", text)
        tree = expr.parse(text)
        terms = tree["and"] if isinstance(tree, dict) and "and" in tree else [tree]
        found = []
        for term in terms:
            found.append(AnswerFilter._term(term))
        return found

    @staticmethod
    def _term(term: Any) -> tuple[str, str, Any]:
        if isinstance(term, dict):
            (operator, arguments), *_ = term.items()
            if operator in {"==", "!=", "<", "<=", ">", ">="}:
                left, right = arguments
                if isinstance(left, dict) and "var" in left and not isinstance(right, dict | list):
                    return left["var"][0], operator, right
            if operator == "empty" and isinstance(arguments[0], dict) and "var" in arguments[0]:
                return arguments[0]["var"][0], "empty", None
            if operator == "!" and isinstance(arguments[0], dict) and "empty" in arguments[0]:
                key, _, _ = AnswerFilter._term(arguments[0])
                return key, "filled", None
        raise expr.ExprError("只支持“字段 运算 值”形式的条件，如 injured_count >= 3，多个条件用 and 连接")

    def validate(self, value: Any) -> bool:
        try:
            terms = self.parse(str(value))
        except expr.ExprError as error:
            flash(f"附加信息条件无效：{error}", "error")
            return False
        personal = personal_keys()
        for key, operator, _ in terms:
            if key in personal and operator not in {"empty", "filled"}:
                # Compared piece by piece, a masked ID or phone number could be read back.
                flash(f"附加信息条件无效：“{key}”是个人证件或联系方式，只能按“已填写/未填写”筛选", "error")
                return False
        return True

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        postgres = db.session.get_bind().dialect.name == "postgresql"
        return query.filter(and_(*(_clause(k, op, v, postgres) for k, op, v in self.parse(str(value)))))

    def operation(self) -> str:
        return "满足"


PERSONAL_TYPES = {"id_number", "phone", "credit_code"}


def personal_keys() -> set[str]:
    """Return the keys that any published version uses for an ID number, phone or credit code."""
    keys: set[str] = set()
    for body in db.session.scalars(select(FormVersion.body)):
        keys |= {k for k, f in schema.fields_by_key(body).items() if f.get("type") in PERSONAL_TYPES}
    return keys


def _clause(key: str, operator: str, literal: Any, postgres: bool) -> Any:
    element = Case.answers[key]
    kind = func.jsonb_typeof(element) if postgres else func.json_type(Case.answers, f'$."{key}"')
    if operator in {"empty", "filled"}:
        blank = or_(Case.answers.is_(None), kind.is_(None), kind == "null", element.as_string() == "")
        return blank if operator == "empty" else ~blank
    if isinstance(literal, bool):
        typed = case((kind.in_(["boolean"] if postgres else ["true", "false"]), element.as_boolean()))
    elif isinstance(literal, int | float):
        typed = case((kind.in_(["number"] if postgres else ["integer", "real"]), element.as_float()))
        literal = float(literal)
    elif isinstance(literal, str):
        typed = case((kind == ("string" if postgres else "text"), element.as_string()))
    else:
        return kind.is_(None) if operator == "==" else kind.is_not(None)
    compare = {
        "==": typed == literal,
        "!=": typed != literal,
        "<": typed < literal,
        "<=": typed <= literal,
        ">": typed > literal,
        ">=": typed >= literal,
    }[operator]
    return compare


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

    @property
    def _export_columns(self) -> list[tuple[str, str]]:
        return g.get("case_export_columns") or self.__dict__.get("_base_export_columns", [])

    @_export_columns.setter
    def _export_columns(self, value: list[tuple[str, str]]) -> None:
        self.__dict__["_base_export_columns"] = value

    def _selected_type(self) -> int | None:
        for index, _name, value in self._get_list_filter_args() or []:  # type: ignore[attr-defined]
            if isinstance(self._filters[index], DisputeTypeFilter) and str(value).isdigit():  # type: ignore[attr-defined]
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

    def get_export_value(self, model: Case, name: str) -> Any:
        if name.startswith(ANSWER_COLUMN):
            body = model.form_version.body if model.form_version is not None else None
            return sheet_text(render.export_value(body, model.answers, name[len(ANSWER_COLUMN) :]))
        return super().get_export_value(model, name)  # type: ignore[misc]
