"""The one secure base view: sign-in, roles, organisation scope, optimistic locking, CSRF and masking.

Every register view derives from `SecureModelView` and only declares configuration. Scope is applied
in `get_query`, `get_count_query` and `get_one`, which Flask-Admin uses for the list, details, edit,
delete, actions and export alike, so no code path can read a row outside the user's subtree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

from flask import abort, current_app, flash, g, has_request_context, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.sqla import ModelView, filters
from flask_admin.contrib.sqla import form as sqla_form
from flask_admin.form import Select2Field
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, false, select
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField
from wtforms import validators as wtf_validators

from portal import clock
from portal.admin import exports, guards
from portal.admin.cleaning import CleanTextMeta, PortalInlineConverter
from portal.admin.fields import BoundedDecimalField, numeric_limit
from portal.extensions import db
from portal.models.auth import Role
from portal.models.base import LabeledEnum
from portal.models.org import Organization
from portal.services import DomainError, sheets
from portal.services.scope import org_in_scope, scoped_organizations
from portal.text import strip_control
from portal.validators import DateWindow, SaneDate, mask_id_number, mask_phone

ALL_ROLES = frozenset(Role)
INT_MAX = guards.INT_LIMIT - 1  # the largest value of an INTEGER column
#: Flask-Admin's views that change records or show the form that does (SecureModelView._handle_view).
WRITE_VIEWS = frozenset({"create_view", "edit_view", "delete_view", "action_view", "ajax_update"})
STALE_MESSAGE = "保存失败：该记录已被他人修改。请刷新页面查看最新内容后重新修改（您的修改尚未保存）。"


def _enum_label(view: Any, value: Enum, name: str) -> str:
    return value.label if isinstance(value, LabeledEnum) else str(value.value)


def _bool_label(view: Any, value: bool, name: str) -> str:
    return "是" if value else "否"


def _date_text(view: Any, value: date, name: str) -> str:
    return value.strftime("%Y-%m-%d")


def local_time(value: datetime | None) -> str:
    """Return a stored (UTC) time as the office's time (Beijing), to the minute."""
    if value is None:
        return ""
    return clock.as_local(value).strftime("%Y-%m-%d %H:%M")


def _datetime_text(view: Any, value: datetime, name: str) -> str:
    return local_time(value)


def hours_text(value: Decimal) -> str:
    """Return training hours without a trailing '.0' (36, 4.5)."""
    return format(value.normalize(), "f") if value else "0"


# Order matters: formatters are tried in turn, so LabeledEnum precedes Enum and datetime precedes date.
LIST_FORMATTERS = {LabeledEnum: _enum_label, datetime: _datetime_text, **typefmt.BASE_FORMATTERS}
EXPORT_FORMATTERS = {
    LabeledEnum: _enum_label,
    bool: _bool_label,
    datetime: _datetime_text,
    date: _date_text,
    **typefmt.EXPORT_FORMATTERS,
}
DETAIL_FORMATTERS = {
    LabeledEnum: _enum_label,
    bool: _bool_label,
    datetime: _datetime_text,
    **typefmt.DETAIL_FORMATTERS,
}


def masked(kind: str) -> Callable[..., str]:
    """Return a column formatter that masks an ID number ("id") or phone ("phone")."""
    masker = mask_id_number if kind == "id" else mask_phone

    def formatter(view: Any, context: Any, model: Any, name: str) -> str:
        return masker(getattr(model, name) or "")

    return formatter


def attempt(form: Any, action: Callable[[], Any]) -> bool:
    """Run the service call of a submitted form: True if it went through, else roll back and say why.

    A domain error naming one of the form's fields is shown under that field, any other in a flash; a
    save based on a stale version (someone saved first) is refused with STALE_MESSAGE.
    """
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        if exc.field and form is not None and exc.field in form:
            form[exc.field].errors = [*form[exc.field].errors, exc.message]
        else:
            flash(exc.message, "error")
        return False
    except StaleDataError:
        db.session.rollback()
        flash(STALE_MESSAGE, "error")
        return False
    return True


def sheet_text(value: Any) -> Any:
    """Return a value bound for a spreadsheet cell; text is quoted if it looks like a formula."""
    return sheets.text(value) if isinstance(value, str) else value


def enum_filter(column: Any, label: str, enum_cls: type[LabeledEnum]) -> filters.FilterEqual:
    """Return an equality filter offering the enum's Chinese labels."""
    return filters.FilterEqual(column, label, options=enum_cls.choices())


class PortalModelConverter(sqla_form.AdminModelConverter):
    """Form converter that offers LabeledEnum columns with their Chinese labels."""

    @converts("sqlalchemy.sql.sqltypes.Enum")
    def convert_enum(self, column: Any, field_args: dict[str, Any], **extra: Any) -> Select2Field:
        enum_cls = getattr(column.type, "enum_class", None)
        if enum_cls is None or not issubclass(enum_cls, LabeledEnum):
            return super().convert_enum(column, field_args, **extra)
        if column.nullable:
            field_args["allow_blank"] = True
            field_args["blank_text"] = "（未填）"
        self._nullable_common(column, field_args)
        field_args["choices"] = enum_cls.choices()
        field_args["coerce"] = lambda v: v.value if isinstance(v, Enum) else (v or None)
        return Select2Field(**field_args)

    @converts("Date")
    def convert_date(self, field_args: dict[str, Any], **extra: Any) -> Any:
        return super().convert_date(_in_date_window(field_args), **extra)

    @converts("DateTime")
    def convert_datetime(self, field_args: dict[str, Any], **extra: Any) -> Any:
        return super().convert_datetime(_in_date_window(field_args), **extra)

    @converts("Integer")  # includes BigInteger and SmallInteger
    def handle_integer_types(self, column: Any, field_args: dict[str, Any], **extra: Any) -> Any:
        # Counts, years and sort orders: never negative, and within a 32-bit column.
        chain = field_args.setdefault("validators", [])
        if not any(isinstance(check, wtf_validators.NumberRange) for check in chain):
            chain.append(wtf_validators.NumberRange(0, INT_MAX, message=f"请输入0至{INT_MAX}之间的整数"))
        return super().handle_integer_types(column, field_args, **extra)

    @converts("Numeric")
    def handle_decimal_types(self, column: Any, field_args: dict[str, Any], **extra: Any) -> Any:
        # Amounts, hours, points and rates: never negative, within the column's precision, in its places.
        precision, scale = getattr(column.type, "precision", None), getattr(column.type, "scale", None)
        if scale is None:
            return super().handle_decimal_types(column, field_args, **extra)
        field_args.pop("places", None)
        limit, what = numeric_limit(precision, scale), "金额" if column.name.endswith("amount") else "数值"
        return BoundedDecimalField(limit=limit, places=scale, what=what, **field_args)


def _in_date_window(field_args: dict[str, Any]) -> dict[str, Any]:
    """Give a date field the sane window (1949 to 50 years ahead) unless its form_args set a window."""
    chain = field_args.setdefault("validators", [])
    if not any(isinstance(check, DateWindow) for check in chain):
        chain.append(SaneDate())
    return field_args


class PortalForm(FlaskForm):
    """Base form of every admin form: Flask-WTF's CSRF token, checked by CSRFProtect; text fields
    lose control characters (portal.admin.cleaning)."""

    class Meta(CleanTextMeta):
        pass

    def __init__(self, formdata: Any = _Auto, obj: Any = None, **kwargs: Any) -> None:
        # Flask-Admin's Unique validator reads `_obj` to let a record keep its own unique values.
        self._obj = obj
        super().__init__(formdata=formdata, obj=obj, **kwargs)


class SecureModelView(ModelView):
    """Base for every register: declare roles, scope and masking; the rest follows."""

    #: Roles that may open the view at all.
    read_roles: ClassVar[frozenset[Role]] = ALL_ROLES
    #: Roles that may create and edit (and run the write actions).
    write_roles: ClassVar[frozenset[Role]] = frozenset({Role.ADMIN})
    #: Name of the organisation-id column that scopes rows; None for global dictionaries.
    scope_column: ClassVar[str | None] = "organization_id"
    #: Relationship fields in forms whose choices are limited to the user's subtree.
    scoped_org_fields: ClassVar[tuple[str, ...]] = ("organization",)
    #: Columns shown masked in lists, details and exports: {"id_number": "id", "phone": "phone"}.
    masked_columns: ClassVar[dict[str, str]] = {}

    form_base_class = PortalForm
    model_form_converter = PortalModelConverter
    inline_model_form_converter = PortalInlineConverter
    column_type_formatters = LIST_FORMATTERS
    column_type_formatters_export = EXPORT_FORMATTERS
    column_type_formatters_detail = DETAIL_FORMATTERS
    can_delete = False
    can_view_details = True
    can_export = True
    export_types = list(exports.EXPORT_TYPES)
    can_set_page_size = True
    page_size = 20
    page_size_options = (20, 50, 100)
    form_excluded_columns = ("created_at", "updated_at", "version", "path")

    def __init__(self, model: Any, session: Any = db, **kwargs: Any) -> None:
        formatters = {name: masked(kind) for name, kind in self.masked_columns.items()}
        self.column_formatters = {**formatters, **dict(self.column_formatters or {})}
        self.column_formatters_export = {**formatters, **dict(self.column_formatters_export or {})}
        self.column_formatters_detail = {**formatters, **dict(self.column_formatters_detail or {})}
        super().__init__(model, session, **kwargs)

    # --- who may do what -------------------------------------------------------------------------

    def _holds(self, roles: Iterable[Role]) -> bool:
        return current_user.is_authenticated and current_user.has_role(*roles)

    def may_write(self) -> bool:
        """Return whether the user may change this register: a write role and, for a catalogue the whole
        tree shares (no scope column: dispute types, forms, templates, subsidy tiers), an organisation at the
        root, since a township's administrator may not change what every other township uses."""
        if not self._holds(self.write_roles):
            return False
        return self.scope_column is not None or current_user.organization.parent_id is None

    def is_accessible(self) -> bool:
        return self._holds(self.read_roles)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        # A reader without write rights who opens a form or posts a change is refused (the Chinese 403),
        # not bounced to the list; a register nobody writes (the logs) keeps Flask-Admin's redirect.
        refused = super()._handle_view(name, **kwargs)
        if refused is None and name in WRITE_VIEWS and self.write_roles and not self.may_write():
            abort(403)
        # The return address of forms and actions: a path on this site, or the Chinese 400 (open redirect).
        if refused is None and not guards.local_path(request.values.get("url", "/")):
            abort(400)
        return refused

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self.may_write()

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return self.may_write()

    def is_action_allowed(self, name: str) -> bool:
        return self.may_write() and super().is_action_allowed(name)

    # --- scope -----------------------------------------------------------------------------------

    def scope_clause(self) -> ColumnElement[bool] | None:
        """Return the clause that limits rows to the user's subtree (None: no limit)."""
        if self.scope_column is None:
            return None
        return org_in_scope(current_user, getattr(self.model, self.scope_column))

    def _scoped(self, query: Any) -> Any:
        clause = self.scope_clause()
        return query if clause is None else query.filter(clause)

    def page_scope_clause(self) -> ColumnElement[bool] | None:
        """Return the scope clause of the list's rows (the same rows as `scope_clause`; a view may word it
        so the database reads them another way, see `CaseView`)."""
        return self.scope_clause()

    def get_query(self) -> Any:
        clause = self.page_scope_clause()
        query = super().get_query()
        return query if clause is None else query.filter(clause)

    def get_count_query(self) -> Any:
        return self._scoped(super().get_count_query())

    def _pk_values(self, ids: Iterable[Any]) -> list[Any]:
        """Convert ids from the URL or form to the primary key's type, dropping malformed ones."""
        column_type = getattr(self.model, self._primary_key).type
        values = []
        for raw in ids:
            try:
                value = column_type.python_type(raw)
            except (TypeError, ValueError, ArithmeticError):
                continue
            if guards.fits(value, column_type):
                values.append(value)
        return values

    #: Stands for a row's id while a URL is built once per request (see `get_url`).
    _URL_ID = 918273645546372819

    def get_url(self, endpoint: str, **kwargs: Any) -> str:
        """Build a row's URL from one built per endpoint and request, with the row's id put in.

        A list page asks for three or four URLs per row (details, edit, print …); werkzeug's routing
        builds each from scratch, a third of the page's Python time at 20 rows. Only integer ids are
        substituted; anything else goes to `url_for` as before.
        """
        row_id = kwargs.get("id")
        if type(row_id) is not int or not has_request_context():
            return super().get_url(endpoint, **kwargs)
        others = tuple(sorted((name, repr(value)) for name, value in kwargs.items() if name != "id"))
        cache = g.setdefault("portal_url_templates", {})
        key = (self.endpoint, endpoint, others)
        if key not in cache:
            built = super().get_url(endpoint, **{**kwargs, "id": self._URL_ID})
            cache[key] = built if built.count(str(self._URL_ID)) == 1 else None
        template = cache[key]
        if template is None:
            return super().get_url(endpoint, **kwargs)
        return template.replace(str(self._URL_ID), str(row_id))

    def get_one(self, id: Any) -> Any:
        """Return the row if it exists within scope; otherwise 404, whatever the id."""
        values = self._pk_values([id])
        found = (
            self.get_query().filter(getattr(self.model, self._primary_key) == values[0]).one_or_none()
            if values
            else None
        )
        if found is None:
            abort(404)
        return found

    def selected(self, ids: Iterable[Any]) -> list[Any]:
        """Return the in-scope rows chosen for a bulk action; ids outside the scope are ignored."""
        pk = getattr(self.model, self._primary_key)
        return self.get_query().filter(pk.in_(self._pk_values(ids))).all()

    def scoped_org_choices(self) -> list[Organization]:
        """Return the organisations a user may assign records to (active nodes of the subtree)."""
        query = scoped_organizations(current_user).where(Organization.status != "revoked")
        return list(db.session.scalars(query))

    def _limit_org_fields(self, form: Any) -> Any:
        for name in self.scoped_org_fields:
            if name in form:
                form[name].query_factory = self.scoped_org_choices
                form[name].query = None
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._limit_org_fields(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        form = self._limit_org_fields(super().edit_form(obj))
        if "lock_version" in form and request.method == "GET" and obj is not None:
            form.lock_version.data = obj.version
        return form

    # --- optimistic locking ----------------------------------------------------------------------

    def scaffold_form(self) -> Any:
        form_class = super().scaffold_form()
        if hasattr(self.model, "version"):
            form_class.lock_version = HiddenField(validators=[wtf_validators.Optional()])
        return form_class

    def can_write_row(self, model: Any) -> bool:
        """Return whether the user may change this (visible) row; views with wider read scope narrow it."""
        return True

    def update_model(self, form: Any, model: Any) -> bool:
        if not self.can_write_row(model):
            flash("该记录由上级单位管理，您只能查看，不能修改", "error")
            return False
        if "lock_version" in form:
            seen = form.lock_version.data
            del form["lock_version"]
            if str(seen) != str(model.version):
                flash(STALE_MESSAGE, "error")
                return False
        return super().update_model(form, model)

    def create_model(self, form: Any) -> Any:
        if "lock_version" in form:
            del form["lock_version"]
        return super().create_model(form)

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, StaleDataError):
            flash(STALE_MESSAGE, "error")
            return True
        if isinstance(exc, DomainError):
            flash(exc.message, "error")
            return True
        return super().handle_view_exception(exc)

    # --- what the query string may ask of a list ---------------------------------------------------

    def _get_list_filter_args(self) -> Any:
        """Return the list filters of the query string, ignoring (with a message) values they cannot take."""
        if not self._filters:
            return None
        chosen = []
        for arg, value in request.args.items():
            pos, _, key = arg[3:].partition("_")
            if not arg.startswith("flt") or not key or key not in self._filter_args:
                continue
            idx, flt = self._filter_args[key]
            if guards.filter_value_ok(self, flt, value):
                chosen.append((guards.parse_int(pos, 0), (idx, str(flt.name), value)))
            else:
                flash(self.get_invalid_value_msg(value, flt), "error")
        return [item for _pos, item in sorted(chosen, key=lambda pair: pair[0])]

    def get_invalid_value_msg(self, value: str, filter: Any) -> str:
        # A filter that can say why (such as 附加信息条件) does; the others name the value.
        reason = getattr(filter, "invalid_message", None)
        if reason is not None and (message := reason(value)):
            return str(message)
        shown = strip_control(value, multiline=False)
        shown = shown if len(shown) <= 40 else shown[:40] + "…"
        return f"筛选条件“{filter.name}”的值无效：{shown}"

    def _get_list_extra_args(self) -> Any:
        args = super()._get_list_extra_args()
        args.page = guards.page_number(args.page)
        args.search = guards.search_text(args.search)
        return args

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        # Filters and ids are checked before they reach SQL; should a value still be refused by the
        # database (a type it cannot convert), the request was bad, not the server.
        try:
            return super().get_list(*args, **kwargs)
        except (DataError, OverflowError) as exc:
            db.session.rollback()
            current_app.logger.warning("list of %s refused its arguments: %s", self.endpoint, exc)
            abort(400)

    def _get_filter_groups(self) -> Any:
        # Flask-Admin caches filter options at start-up; scope-dependent ones are refreshed per request.
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if getattr(flt, "per_request_options", False):
                    item["options"] = [(str(k), str(v)) for k, v in flt.get_options(self) or []]
        return groups

    # --- export ----------------------------------------------------------------------------------

    @expose("/export/<export_type>/")
    def export(self, export_type: str) -> Any:
        """Export the filtered list as xlsx or csv, streamed, and audit who exported what (admin.exports)."""
        return exports.respond(self, export_type)

    def export_columns(self) -> list[tuple[str, str]]:
        """Return the (column, Chinese header) pairs of this request's export."""
        return list(self._export_columns)

    def export_records(self, query: Any, columns: list[tuple[str, str]]) -> Iterator[Any]:
        """Yield the rows of the filtered, sorted `query` the export's columns read (model objects)."""
        return exports.orm_records(self, query, columns)

    def export_options(self) -> list[Any]:
        """Return loader options the export needs besides those its columns name (for formatters)."""
        return []

    def export_cell_getter(self, name: str) -> Callable[[Any], Any]:
        """Return a function giving a row's value of export column `name` (see portal.admin.exports)."""
        if type(self).get_export_value is not SecureModelView.get_export_value:
            return lambda model: self.get_export_value(model, name)  # a view computing its own values
        return exports.column_getter(self, name)

    def get_export_value(self, model: Any, name: Any) -> Any:
        # Parties, clerks and evaluators type these texts; none of them may become a formula.
        return sheet_text(super().get_export_value(model, name))

    def get_export_name(self, export_type: str = "xlsx") -> str:
        # Browsers keep ASCII file names intact; the sheet itself carries the Chinese headers.
        return f"{self.endpoint}_{clock.today():%Y%m%d}.{export_type}"


class PortalIndexView(AdminIndexView):
    """The dashboard: figures for the user's subtree."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("auth.login", next=request.full_path))


def link(url: str, text: str) -> Markup:
    """Return an escaped link for list formatters."""
    return Markup('<a href="{}">{}</a>').format(url, escape(text))


def org_path_text(org: Organization | None) -> str:
    """Return 'county › township › village' for an organisation, from its cached path."""
    if org is None:
        return ""
    paths = g.setdefault("org_paths", {})  # an export asks once per row
    key = (org.id, org.path)
    if key not in paths:
        names = org_names()
        paths[key] = " › ".join(names.get(i, "") for i in org.ancestor_ids) or org.name
    return paths[key]


def org_names() -> dict[int, str]:
    """Return {id: name} of all organisations, loaded once per request (a county has a few hundred)."""
    if "org_names" not in g:
        g.org_names = dict(db.session.execute(select(Organization.id, Organization.name)).all())
    return g.org_names


class OrgSubtreeFilter(filters.BaseSQLAFilter):
    """Filter rows by an organisation and everything below it, offering only the user's subtree."""

    def __init__(self, column: Any, name: str = "所属组织（含下级）") -> None:
        super().__init__(column, name, options=self._choices)

    #: Options depend on the signed-in user, so the view recomputes them on each request.
    per_request_options = True

    @staticmethod
    def _choices() -> list[tuple[str, str]]:
        if not has_request_context() or not current_user.is_authenticated:
            return []
        if "org_subtree_choices" not in g:  # a view with two such filters asks once per request
            rows = db.session.execute(
                scoped_organizations(current_user).with_only_columns(
                    Organization.id, Organization.name, Organization.path
                )
            ).all()
            # Indent by depth so the dropdown reads as a tree.
            g.org_subtree_choices = [
                (str(i), "\u3000" * (path.count("/") - 2) + name) for i, name, path in rows
            ]
        return list(g.org_subtree_choices)

    def validate(self, value: Any) -> bool:
        return guards.parse_int(value) is not None

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        org = db.session.get(Organization, int(value))
        if org is None or not org.path.startswith(current_user.organization.path):
            return query.filter(false())
        subtree = select(Organization.id).where(Organization.path.startswith(org.path, autoescape=True))
        return query.filter(self.get_column(alias).in_(subtree))

    def operation(self) -> str:
        return "属于"
