"""One filter for the text of every form: control characters typed or pasted in are stripped.

`CleanTextMeta` is mixed into the Meta of the portal's form bases (`PortalForm`, and `PortalInlineForm`
for the rows of inline lists such as a case's parties), so every StringField and TextAreaField of every
form gets `portal.text.strip_control` as its last filter: a one-line field loses tabs and line breaks
too, a multi-line one keeps them. Passwords are left exactly as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_admin.contrib.sqla.form import InlineModelConverter
from flask_admin.form import BaseForm
from wtforms import PasswordField, StringField, TextAreaField

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
    """WTForms Meta mixin: binds every text field with the control-character filter appended."""

    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
        extra = text_filter(unbound_field.field_class)
        if extra is not None:
            filters = list(options.get("filters") or unbound_field.kwargs.get("filters") or ())
            options = {**options, "filters": [*filters, extra]}
        return super().bind_field(form, unbound_field, options)  # type: ignore[misc]


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
