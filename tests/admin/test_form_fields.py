"""Every form of the portal keeps its values sane: each date has a window, each number a bound.

The forms are found, not listed: the create and edit forms Flask-Admin builds for every model view
(inline forms included) and every form class defined in the portal's modules. A new date field without
a window, or a plain DecimalField that would take `1e400` or `nan`, fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

from flask_admin.contrib.sqla import ModelView
from wtforms import DateField, DateTimeField, DecimalField, FloatField, Form, IntegerField
from wtforms.fields.core import UnboundField
from wtforms.validators import NumberRange

import portal
from portal.admin.fields import BoundedDecimalField
from portal.validators import ID_MIN_BIRTH, DateWindow

# Fields that record something that has happened: no later than the office's today.
PAST_EVENTS = {
    "accepted_on",
    "appointed_on",
    "birth_date",
    "confirmation_date",
    "decided_on",
    "established_on",
    "filing_date",
    "held_at",
    "held_on",
    "incident_at",
    "joined_on",
    "left_on",
    "occurred_on",
    "performed_on",
    "signed_on",
    "visited_on",
}


def _validators(field: UnboundField) -> list[Any]:
    found = field.kwargs.get("validators")
    if found is None and len(field.args) > 1:
        found = field.args[1]
    return list(found or [])


def _fields(form_class: type, prefix: str = "") -> Iterator[tuple[str, str, UnboundField]]:
    """Yield (path, name, unbound field) of a form class, descending into inline and nested forms."""
    for name in dir(form_class):
        attr = inspect.getattr_static(form_class, name, None)
        if not isinstance(attr, UnboundField):
            continue
        yield f"{prefix}{name}", name, attr
        for nested in (*attr.args, *attr.kwargs.values()):
            if inspect.isclass(nested) and issubclass(nested, Form):
                yield from _fields(nested, f"{prefix}{name}.")


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def all_forms(app) -> list[tuple[str, type]]:
    """Return (where, form class) for every model view's forms and every form class in portal.*."""
    forms = []
    for admin in app.extensions["admin"]:
        for view in admin._views:
            if isinstance(view, ModelView):
                forms += [(f"{view.endpoint} (create)", view._create_form_class)]
                forms += [(f"{view.endpoint} (edit)", view._edit_form_class)]
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        importlib.import_module(module.name)
    forms += [
        (f"{cls.__module__}.{cls.__qualname__}", cls)
        for cls in set(_subclasses(Form))
        if cls.__module__.startswith("portal.")
    ]
    return forms


def test_the_walk_finds_the_forms_it_must_check(app):
    found = {where for where, _ in all_forms(app)}
    assert {"cases (create)", "mediators (edit)", "portal.admin.ledger.forms.SettleForm"} <= found
    fields = {path for _, form in all_forms(app) for path, _, _ in _fields(form)}
    assert "trainings.held_on" in fields and "parties.name" in fields  # inline forms are walked


def test_every_date_field_has_a_sane_window(app):
    problems = []
    for where, form in all_forms(app):
        for path, name, field in _fields(form):
            if not issubclass(field.field_class, DateField | DateTimeField):
                continue
            windows = [check for check in _validators(field) if isinstance(check, DateWindow)]
            if len(windows) != 1:
                problems.append(f"{where}: {path} has {len(windows)} date windows")
            elif name in PAST_EVENTS and not windows[0].past:
                problems.append(f"{where}: {path} records a past event but may lie in the future")
            elif name == "birth_date" and windows[0].earliest != ID_MIN_BIRTH:
                problems.append(f"{where}: {path} is a birth date but starts at {windows[0].earliest}")
    assert problems == []


def test_every_number_field_is_bounded(app):
    problems = []
    for where, form in all_forms(app):
        for path, _name, field in _fields(form):
            kind = field.field_class
            if issubclass(kind, DecimalField | FloatField) and not issubclass(kind, BoundedDecimalField):
                problems.append(f"{where}: {path} is a {kind.__name__}, which takes 1e400 and nan")
            elif issubclass(kind, IntegerField) and not any(
                isinstance(check, NumberRange) for check in _validators(field)
            ):
                problems.append(f"{where}: {path} is an IntegerField without a NumberRange")
    assert problems == []
