"""Text cleaning shared by every layer: control characters never belong in what people type.

NUL and the other C0 control characters (and DEL) arrive by pasting from other programs; they are
invisible on screen, PostgreSQL refuses NUL in text, and a spreadsheet cannot hold any of them. Tab,
line feed and carriage return are kept in multi-line text and turned into spaces in one-line text.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")


def strip_control(value: str, multiline: bool = True) -> str:
    """Return `value` without control characters; without line breaks and tabs unless `multiline`."""
    value = _CONTROL.sub("", value)
    return value if multiline else _LINE_BREAKS.sub(" ", value)


def has_control(value: str, multiline: bool = True) -> bool:
    """Return whether `value` holds a character `strip_control` would remove or replace."""
    return strip_control(value, multiline) != value
