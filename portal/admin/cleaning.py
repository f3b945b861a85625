"""What every form takes: text without control characters, whole numbers within their column.

`CleanTextMeta` is mixed into the Meta of the portal's form bases (`PortalForm`, and `PortalInlineForm`
for the rows of inline lists such as a case's parties), so every StringField and TextAreaField of every
form gets `portal.text.strip_control` as its last filter: a one-line field loses tabs and line breaks
too, a multi-line one keeps them. Passwords are left exactly as typed. Every IntegerField is bound as a
`BoundedIntegerField`: a number beyond what an Integer column holds is a message on the field, not an
overflow in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_admin.contrib.sqla.form import InlineModelConverter
from flask_admin.form import BaseForm
from wtforms import IntegerField, PasswordField, StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.validators import StopValidation

from portal.admin.guards import INT_LIMIT
from portal.text import strip_control


def _one_line(value: Any) -> Any:
    return strip_control(value, multiline=False) if isinstance(value, str) else value


def _multi_line(value: Any) -> Any:
    return strip_control(value, multiline=True) if isinstance(value, str) else value


def text_filter(field_class: type) -> Callable[[Any], Any] | None:
    """Return the cleaning filter for a field class, or None for fields that hold no free text."""
    if not issubclass(field_class, StringField) or issubclass(field_class, PasswordField):
        return None
    return _multi_line if issubclass(field_class, TextAreaField) else _one_line


class CleanTextMeta:
    """WTForms Meta mixin: every text field gets the control-character filter appended, every plain
    IntegerField is bound as a BoundedIntegerField."""

    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
        if unbound_field.field_class is IntegerField:
            unbound_field = UnboundField(BoundedIntegerField, *unbound_field.args, **unbound_field.kwargs)
        extra = text_filter(unbound_field.field_class)
        if extra is not None:
            filters = list(options.get("filters") or unbound_field.kwargs.get("filters") or ())
            options = {**options, "filters": [*filters, extra]}
        return super().bind_field(form, unbound_field, options)  # type: ignore[misc]


class BoundedIntegerField(IntegerField):
    """An IntegerField that refuses numbers outside [-limit, limit) (an Integer column's range)."""

    def __init__(self, *args: Any, limit: int = INT_LIMIT, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not -self.limit <= self.data < self.limit:
            self.data = None
            raise ValueError("数值超出允许范围")

    def pre_validate(self, form: Any) -> None:
        typed = bool(self.raw_data and str(self.raw_data[0]).strip())
        if self.process_errors and typed:
            # Not a number the column holds: the other checks (a Unique lookup) must not see it. An empty
            # field goes on to its validators, so that Optional() accepts it and InputRequired() names it.
            raise StopValidation()


class PortalInlineForm(BaseForm):
    """Base of the row forms of inline lists (parties, trainings, criteria)."""

    class Meta(CleanTextMeta):
        pass


class PortalInlineConverter(InlineModelConverter):
    """Builds inline row forms on `PortalInlineForm` unless an inline admin names its own base."""

    def get_info(self, p: Any) -> Any:
        info = super().get_info(p)
        if info is not None and getattr(info, "form_base_class", None) is None:
            info.form_base_class = PortalInlineForm
        return info
