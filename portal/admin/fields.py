"""Form fields for numbers kept in Numeric columns: what is typed is checked before it becomes a value.

WTForms' DecimalField takes anything `Decimal()` parses, so `1e400`, `inf` and `nan` became values
(stored as infinity, or a crash on a signalling `snan`). These fields accept plainly written,
non-negative numbers within the column's precision and give a Chinese message under the field otherwise.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wtforms import DecimalField
from wtforms.validators import StopValidation

from portal.validators import MONEY_LIMIT, number_error, parse_decimal


class BoundedDecimalField(DecimalField):
    """A number 0 ≤ value < limit with at most `places` decimals; `what` names it in messages."""

    def __init__(
        self,
        label: str | None = None,
        validators: Any = None,
        *,
        limit: Decimal,
        places: int,
        what: str = "数值",
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, places=places, **kwargs)
        self.limit, self.what = limit, what

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        if raw is None or not str(raw).strip():
            self.data = None
            return
        self.data = None
        if error := number_error(raw, limit=self.limit, places=self.places, what=self.what):
            raise ValueError(error)
        self.data = parse_decimal(raw)

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            # What was typed is not a number: its message says so, the range checks would only add noise.
            raise StopValidation()


class AmountField(BoundedDecimalField):
    """An amount of yuan: 0 ≤ value < 10^12 (Numeric(14, 2)), in whole fen."""

    def __init__(
        self, label: str | None = None, validators: Any = None, *, limit: Decimal = MONEY_LIMIT, **kwargs: Any
    ) -> None:
        super().__init__(label, validators, limit=limit, places=2, what="金额", **kwargs)


def numeric_limit(precision: int | None, scale: int | None) -> Decimal:
    """Return the bound a Numeric(precision, scale) column holds below (10^12 for Numeric(14, 2))."""
    return Decimal(10) ** ((precision or 14) - (scale or 0))
