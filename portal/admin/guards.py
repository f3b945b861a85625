"""Guards on what arrives in a URL: ids, numbers, list-filter values, search text and page numbers.

Anyone can type anything after `?`. A value the database cannot take (a number beyond the column's
range, a word for an enum, a NUL in text for PostgreSQL) must be refused before it reaches SQL, so
the page answers 400/404 or ignores the value with a message, never 500. `SecureModelView` routes
list filters, search, paging and ids through these functions; custom pages read their numeric
arguments with `int_arg`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from sqlalchemy import BigInteger, Float, Integer, Numeric, SmallInteger

from portal.text import strip_control

#: Ranges of the integer column types (PostgreSQL's; SQLite's one INTEGER is as wide as BigInteger).
INT_RANGES = (
    (SmallInteger, 2**15),
    (BigInteger, 2**63),
    (Integer, 2**31),
)
INT_LIMIT = 2**31  # a plain `id` column is Integer
#: The widest page number accepted; beyond it the page is the last one anyway.
MAX_PAGE = 100_000
#: Search text longer than this is cut (a search box, not a document).
MAX_SEARCH = 200
_INTEGER = re.compile(r"[+-]?\d{1,20}")


def parse_int(raw: Any, default: int | None = None, *, limit: int = INT_LIMIT) -> int | None:
    """Return `raw` as an int if it is a plain decimal number within ±`limit`, else `default`."""
    if raw is None:
        return default
    text = str(raw).strip()
    if not _INTEGER.fullmatch(text):
        return default
    value = int(text)
    return value if -limit <= value < limit else default


def int_arg(name: str, default: int | None = None, source: Mapping[str, Any] | None = None) -> int | None:
    """Return the request argument `name` as an int that fits an id column, else `default`."""
    return parse_int((request.args if source is None else source).get(name), default)


def int_limit(column_type: Any) -> int:
    """Return the bound of an integer column type: values lie in [-limit, limit)."""
    for kind, limit in INT_RANGES:
        if isinstance(column_type, kind):
            return limit
    return 2**63


def fits(value: Any, column_type: Any = None) -> bool:
    """Return whether the database can take `value` as a parameter for a column of `column_type`."""
    if isinstance(value, list | tuple | set):
        return all(fits(v, column_type) for v in value)
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        limit = int_limit(column_type)
        return -limit <= value < limit
    if isinstance(value, float):
        return math.isfinite(value) and (
            not isinstance(column_type, Numeric) or fits(Decimal(str(value)), column_type)
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            return False
        if not isinstance(column_type, Numeric) or column_type.precision is None:
            return True
        return abs(value) < Decimal(10) ** (column_type.precision - (column_type.scale or 0))
    if isinstance(value, str):
        return "\x00" not in value
    return True  # dates, times and the like bind as they are


def filter_value_ok(view: Any, flt: Any, value: str) -> bool:
    """Return whether a list filter can be applied with `value` (the raw text from the URL).

    Stricter than Flask-Admin's own `validate`: a filter offering options takes only those, the
    filter's `clean` must succeed (an enum filter's raises KeyError, not ValueError), and the cleaned
    value must fit the filter's column.
    """
    if not isinstance(value, str) or not fits(value):
        return False
    try:
        if not flt.validate(value):
            return False
        options = flt.get_options(view)
        if options:
            keys = {str(key) for key, _label in options}
            items = value.split(",") if getattr(flt, "data_type", None) == "select2-tags" else [value]
            if not all(item.strip() in keys for item in items):
                return False
        cleaned = flt.clean(value)
    except (ValueError, LookupError, TypeError, ArithmeticError, InvalidOperation):
        return False
    column_type = getattr(getattr(flt, "column", None), "type", None)
    if not type(flt).__module__.startswith("flask_admin."):
        return fits(cleaned)  # the portal's own filters apply the value as they see fit
    # Flask-Admin's filters compare the column with the value: text for a number column must be one.
    if isinstance(cleaned, str) and isinstance(column_type, Integer):
        return parse_int(cleaned, limit=int_limit(column_type)) is not None
    if isinstance(cleaned, str) and isinstance(column_type, Numeric | Float):
        try:
            return fits(Decimal(cleaned.strip()), column_type)
        except InvalidOperation:
            return False
    return fits(cleaned, column_type)


def search_text(value: str | None) -> str | None:
    """Return search text without control characters, cut to MAX_SEARCH; None if nothing is left."""
    if value is None:
        return None
    cleaned = strip_control(value, multiline=False).strip()[:MAX_SEARCH]
    return cleaned or None


def page_number(value: int | None) -> int:
    """Return a list page number within 0..MAX_PAGE."""
    return min(max(value or 0, 0), MAX_PAGE)


#: What browsers drop from a URL (tabs, line breaks, other controls) or read as a slash (a backslash).
_URL_NOISE = re.compile(r"[\x00-\x1f\x7f]")


def local_path(value: str) -> bool:
    """Return whether a return address (Flask-Admin's `?url=`) is a path on this site.

    Flask-Admin accepts `http:evil.example` (same scheme, no host: "relative" to Python), which its redirect
    writes as `http:///evil.example`, and browsers go to evil.example. A path must start with one slash,
    and may not become `//host` once a browser has dropped controls and read backslashes as slashes.
    """
    seen = _URL_NOISE.sub("", value).strip().replace("\\", "/")
    return seen.startswith("/") and not seen.startswith("//")
