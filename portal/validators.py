"""Validate, normalise, mask and generate PRC identifiers: 身份证号, 统一社会信用代码 and phone numbers."""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from wtforms.validators import ValidationError

from portal import clock

__all__ = [
    "EARLIEST_DATE",
    "MONEY_LIMIT",
    "Amount",
    "BirthDate",
    "CreditCode",
    "DateAfter",
    "DateWindow",
    "IdNumber",
    "PastDate",
    "Phone",
    "SaneDate",
    "amount_error",
    "number_error",
    "parse_decimal",
    "birth_date_from_id",
    "chinese_date",
    "credit_code_error",
    "date_order_error",
    "date_window_error",
    "gender_from_id",
    "id_number_error",
    "make_credit_code",
    "make_id_number",
    "mask_id_number",
    "mask_phone",
    "normalize_credit_code",
    "normalize_id_number",
    "normalize_phone",
    "phone_error",
]

MALE, FEMALE = "male", "female"

# --- 身份证号 (GB 11643-1999) ---

# Weight i is 2**(17 - i) mod 11; all are non-zero mod the prime 11, so any single-character substitution
# changes the sum by a non-multiple of 11 and is caught by the check character.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# 71 台湾, 81 香港, 82 澳门 and 83 (台湾居民居住证) are kept: offices register residence-permit holders.
ID_PROVINCES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66)]
    + [71, 81, 82, 83]
)
ID_MIN_BIRTH = date(1900, 1, 1)
_ID_SHAPE = re.compile(r"\d{17}[\dX]")

ID_FORMAT_ERROR = "身份证号应为18位，前17位为数字，末位为数字或X"
# Never name the expected check character: that would turn the form into a free forging oracle.
ID_CHECKSUM_ERROR = "身份证号校验位不正确，请核对"
ID_BIRTH_ERROR = "身份证号中的出生日期无效"
ID_FUTURE_ERROR = "身份证号中的出生日期不能晚于今天"
ID_REGION_ERROR = "身份证号的地区码无效"
ID_GENDER_ERROR = "身份证号的性别位与所选性别不一致"


def _clean(value: str | None) -> str:
    """Fold full-width characters to ASCII and drop whitespace; Chinese IMEs often type full-width digits."""
    if not value:
        return ""
    return "".join(unicodedata.normalize("NFKC", value).split())


def normalize_id_number(value: str | None) -> str:
    """Return the ID number without spaces and with an upper-case check character."""
    return _clean(value).upper()


def _id_check_char(first17: str) -> str:
    """Return the MOD 11-2 check character for the first 17 digits."""
    return ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _id_birth_date(id_number: str) -> date | None:
    """Return the calendar date in digits 7-14, or None if it does not exist."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def age_on(born: date, day: date) -> int:
    """Return the age in whole years on `day` of someone born on `born`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def birth_date_from_id(value: str | None) -> date | None:
    """Return the birth date encoded in a well-formed ID number (checksum not verified), else None."""
    id_number = normalize_id_number(value)
    return _id_birth_date(id_number) if _ID_SHAPE.fullmatch(id_number) else None


def gender_from_id(value: str | None) -> str | None:
    """Return "male" or "female" from the 17th digit of a well-formed ID number, else None."""
    id_number = normalize_id_number(value)
    if not _ID_SHAPE.fullmatch(id_number):
        return None
    return MALE if int(id_number[16]) % 2 else FEMALE


def id_number_error(value: str, gender: str | None = None, today: date | None = None) -> str | None:
    """Return a Chinese error message if value is not a valid 18-digit 身份证号, else None."""
    id_number = normalize_id_number(value)
    if not _ID_SHAPE.fullmatch(id_number):
        return ID_FORMAT_ERROR
    if int(id_number[:2]) not in ID_PROVINCES:
        return ID_REGION_ERROR
    # Date problems are reported before the checksum: they point the clerk at the digits to re-read.
    birth = _id_birth_date(id_number)
    if birth is None or birth < ID_MIN_BIRTH:
        return ID_BIRTH_ERROR
    if birth > (today or clock.today()):
        return ID_FUTURE_ERROR
    if _id_check_char(id_number[:17]) != id_number[17]:
        return ID_CHECKSUM_ERROR
    if gender in (MALE, FEMALE) and gender_from_id(id_number) != gender:
        return ID_GENDER_ERROR
    return None


def make_id_number(region: str, birth: date, seq: int, gender: str) -> str:
    """Build a valid ID number for demo data and tests; seq (0-99) and gender pick the 3-digit order code."""
    if not (len(region) == 6 and region.isdigit() and int(region[:2]) in ID_PROVINCES):
        raise ValueError(f"region must be 6 digits with a valid province code, got {region!r}")
    if not 0 <= seq <= 99:
        raise ValueError(f"seq must be 0-99, got {seq}")
    if gender not in (MALE, FEMALE):
        raise ValueError(f"gender must be 'male' or 'female', got {gender!r}")
    # Vary the gender digit with seq so generated people do not all end in ...1/...2, keeping its parity.
    gender_digit = 2 * (seq % 5) + (1 if gender == MALE else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq:02d}{gender_digit}"
    return first17 + _id_check_char(first17)


# --- 统一社会信用代码 (GB 32100-2015) ---

# I, O, Z, S and V are excluded because they are easily confused with 1, 0, 2, 5 and U.
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Weight i is 3**i mod 31; non-zero mod the prime 31, so every single-character substitution is detected.
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_DEPARTMENTS = "123456789ANY"
# GB 11714 organisation code weights; letters count as A=10 ... Z=35 there, not as charset positions.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_CREDIT_SHAPE = re.compile(f"[{CREDIT_CHARSET}]{{18}}")

CREDIT_FORMAT_ERROR = "统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）"
CREDIT_DEPARTMENT_ERROR = "统一社会信用代码的登记管理部门代码无效"
CREDIT_CATEGORY_ERROR = "统一社会信用代码的机构类别代码无效"
CREDIT_REGION_ERROR = "统一社会信用代码的行政区划码无效"
CREDIT_CHECKSUM_ERROR = "统一社会信用代码校验位不正确，请核对"
CREDIT_ORG_CODE_ERROR = "统一社会信用代码中的组织机构代码校验位不正确，请核对"


def normalize_credit_code(value: str | None) -> str:
    """Return the credit code without spaces and in upper case."""
    return _clean(value).upper()


def _credit_check_char(first17: str) -> str:
    """Return the MOD 31 check character for the first 17 characters."""
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def _org_check_char(body: str) -> str:
    """Return the GB 11714 MOD 11 check character for an 8-character organisation code body."""
    total = sum(int(c, 36) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code_error(value: str) -> str | None:
    """Return a Chinese error message if value is not a valid 统一社会信用代码, else None."""
    code = normalize_credit_code(value)
    if not _CREDIT_SHAPE.fullmatch(code):
        return CREDIT_FORMAT_ERROR
    if code[0] not in CREDIT_DEPARTMENTS:
        return CREDIT_DEPARTMENT_ERROR
    # Category tables differ per department and grow over time, so accept any category digit 1-9.
    if code[1] not in "123456789":
        return CREDIT_CATEGORY_ERROR
    if not code[2:8].isdigit():
        return CREDIT_REGION_ERROR
    if _credit_check_char(code[:17]) != code[17]:
        return CREDIT_CHECKSUM_ERROR
    if _org_check_char(code[8:16]) != code[16]:
        return CREDIT_ORG_CODE_ERROR
    return None


def make_credit_code(
    region: str, body: str | None = None, rng: random.Random | None = None, *, kind: str = "91"
) -> str:
    """Build a valid credit code; body is the 8-character organisation code body, random when omitted."""
    if not (len(region) == 6 and region.isdigit()):
        raise ValueError(f"region must be 6 digits, got {region!r}")
    if not (len(kind) == 2 and kind[0] in CREDIT_DEPARTMENTS and kind[1] in "123456789"):
        raise ValueError(f"kind must be a department code and a category digit, got {kind!r}")
    if body is None:
        # Demo data only, never a secret: a seedable Random keeps fixtures reproducible.
        rng = rng or random.Random()  # noqa: S311
        body = "".join(rng.choice(CREDIT_CHARSET) for _ in range(8))
    elif not (len(body) == 8 and all(c in CREDIT_CHARSET for c in body)):
        raise ValueError(f"body must be 8 characters from {CREDIT_CHARSET}, got {body!r}")
    first17 = f"{kind}{region}{body}{_org_check_char(body)}"
    return first17 + _credit_check_char(first17)


# --- Phone numbers ---

_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")
# Real area codes are 010 and 02x (three digits) or 03xx-09xx (four), which splits numbers typed without "-".
_AREA = r"\(?(010|02\d|0[3-9]\d\d)\)?"
_LANDLINE = re.compile(_AREA + r"-?([1-9]\d{6,7})(?:(?:-|转)(\d{1,6}))?")
_LANDLINE_NO_EXT = re.compile(_AREA + r"([1-9]\d{6,7})")

PHONE_ERROR = "请输入有效的手机号或固定电话号码"


def _parse_phone(value: str | None) -> tuple[str, str, str] | None:
    """Split a phone number into (area code, number, extension); area code is "" for mobiles."""
    compact = _clean(value)
    if mobile := _MOBILE.fullmatch(compact.replace("-", "")):
        return "", mobile[1], ""
    if landline := _LANDLINE.fullmatch(compact):
        return landline[1], landline[2], landline[3] or ""
    # Hyphens inside the local number ("0531-8888-8888") leave no room for an extension, so drop them all.
    if landline := _LANDLINE_NO_EXT.fullmatch(compact.replace("-", "")):
        return landline[1], landline[2], ""
    return None


def normalize_phone(value: str | None) -> str:
    """Return "13800138000" or "0531-88888888[-ext]"; unrecognised input comes back with spaces removed."""
    parts = _parse_phone(value)
    if parts is None:
        return _clean(value)
    area, number, ext = parts
    return "-".join(p for p in (area, number, ext) if p)


def phone_error(value: str) -> str | None:
    """Return a Chinese error message if value is neither a mainland mobile nor a landline, else None."""
    return None if _parse_phone(value) else PHONE_ERROR


# --- Masking (docs/architecture.md §4) ---


def _mask(value: str, head: int, tail: int) -> str:
    """Keep head and tail characters; mask everything when too short to hide a meaningful middle."""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_number(value: str | None) -> str:
    """Return the ID number as 110105********1234 for lists, exports and documents."""
    return _mask(normalize_id_number(value), 6, 4)


def mask_phone(value: str | None) -> str:
    """Return 138****1234 for mobiles, 0531-****8888 for landlines (extension dropped), else all stars."""
    parts = _parse_phone(value)
    if parts is None:
        # Without knowing the format we cannot tell which digits identify the person, so hide them all.
        return "*" * len(_clean(value))
    area, number, _ext = parts
    if not area:
        return _mask(number, 3, 4)
    return f"{area}-{_mask(number, 0, 4)}"


# --- WTForms validators ---


def _is_empty(data: Any) -> bool:
    """Return True for values that Optional/DataRequired should handle instead of these validators."""
    return data is None or (isinstance(data, str) and not data.strip())


class IdNumber:
    """Validate and normalise a 身份证号 field, optionally against a gender field."""

    def __init__(self, gender_field: str | None = None, message: str | None = None) -> None:
        self.gender_field = gender_field
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if _is_empty(field.data):
            return
        field.data = normalize_id_number(field.data)
        gender = None
        if self.gender_field:
            # A misspelt gender_field raises KeyError: a configuration bug must not pass silently.
            raw = form[self.gender_field].data
            gender = getattr(raw, "value", raw)  # gender may be stored as an Enum whose value is "male"
        if error := id_number_error(field.data, gender=gender):
            raise ValidationError(self.message or error)


class Phone:
    """Validate and normalise a mobile or landline phone number field."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if _is_empty(field.data):
            return
        if error := phone_error(field.data):
            raise ValidationError(self.message or error)
        field.data = normalize_phone(field.data)


class CreditCode:
    """Validate and normalise a 统一社会信用代码 field."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if _is_empty(field.data):
            return
        field.data = normalize_credit_code(field.data)
        if error := credit_code_error(field.data):
            raise ValidationError(self.message or error)


def _as_date(value: date) -> date:
    """Return value as a date, since comparing a datetime with a date raises TypeError."""
    return value.date() if isinstance(value, datetime) else value


# --- Dates: a sane window ---

# No record of the portal predates the People's Republic; birth dates reach back further (ID_MIN_BIRTH).
EARLIEST_DATE = date(1949, 10, 1)
# A date that may lie ahead (a deadline, the end of a term) lies at most this many years ahead.
FUTURE_YEARS = 50


def chinese_date(day: date) -> str:
    """Return 1949年10月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _years_later(day: date, years: int) -> date:
    """Return the same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def date_window_error(
    value: date,
    *,
    past: bool,
    allow_today: bool = True,
    earliest: date = EARLIEST_DATE,
    today: date | None = None,
) -> str | None:
    """Return a Chinese message if the date is outside its window, else None.

    Every date lies on or after `earliest`. The date of something that has happened (`past`) lies on or
    before the office's today (before it, when `allow_today` is False); any other date (a deadline) lies
    at most FUTURE_YEARS ahead.
    """
    value, today = _as_date(value), today or clock.today()
    if value < earliest:
        return f"日期不能早于{chinese_date(earliest)}"
    if past and (value > today or (value == today and not allow_today)):
        return "日期不能晚于今天" if allow_today else "日期必须早于今天"
    if not past and value > (latest := _years_later(today, FUTURE_YEARS)):
        return f"日期不能晚于{chinese_date(latest)}"
    return None


class DateWindow:
    """Keep a date or date-time field in its window (`date_window_error`); empty fields pass."""

    def __init__(
        self,
        *,
        past: bool,
        allow_today: bool = True,
        earliest: date = EARLIEST_DATE,
        message: str | None = None,
    ) -> None:
        self.past = past
        self.allow_today = allow_today
        self.earliest = earliest
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if field.data is None:
            return
        error = date_window_error(
            field.data, past=self.past, allow_today=self.allow_today, earliest=self.earliest
        )
        if error:
            raise ValidationError(self.message or error)


class PastDate(DateWindow):
    """The date of something that has happened: from 1 October 1949 (or `earliest`) up to today."""

    def __init__(
        self, allow_today: bool = True, message: str | None = None, earliest: date = EARLIEST_DATE
    ) -> None:
        super().__init__(past=True, allow_today=allow_today, earliest=earliest, message=message)


class BirthDate(PastDate):
    """A birth date: from 1 January 1900 (the earliest an ID number holds) up to today."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message=message, earliest=ID_MIN_BIRTH)


class SaneDate(DateWindow):
    """A date that may lie ahead (a deadline, a term's end): from 1 October 1949 to FUTURE_YEARS ahead."""

    def __init__(self, message: str | None = None, earliest: date = EARLIEST_DATE) -> None:
        super().__init__(past=False, earliest=earliest, message=message)


# --- Numbers and amounts of money ---

# Money columns are Numeric(14, 2) (yuan with fen): below a trillion yuan, two decimal places.
MONEY_LIMIT = Decimal(10) ** 12
AMOUNT_ERROR = "请输入有效的金额（元），如 1200.50"
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_decimal(value: Any) -> Decimal | None:
    """Return a finite Decimal from a number or from plainly written text (1200.50, 1,200.50), else None.

    Text in exponent notation (1e400) or naming a non-number (nan, inf) is refused, as are booleans.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
        if not _PLAIN_NUMBER.fullmatch(text):
            return None
        number = Decimal(text)
    else:
        return None
    return number if number.is_finite() else None


def number_error(value: Any, *, limit: Decimal, places: int, what: str = "数值") -> str | None:
    """Return a Chinese message unless value is a finite number, 0 ≤ value < limit, with ≤ `places` decimals.

    `what` names the quantity in the message; "金额" words it for yuan and fen.
    """
    money = what == "金额"
    number = parse_decimal(value)
    if number is None:
        return AMOUNT_ERROR if money else f"请输入有效的{what}"
    if number < 0:
        return f"{what}不能为负数"
    step = Decimal(1).scaleb(-places)
    if number >= limit:
        return f"{what}不能超过{limit - step:,.{places}f}" + ("元" if money else "")
    if number != number.quantize(step, rounding=ROUND_DOWN):
        if money:
            return "金额最多两位小数（分）"
        return f"{what}应为整数" if places == 0 else f"{what}最多{places}位小数"
    return None


def amount_error(value: Any, limit: Decimal = MONEY_LIMIT) -> str | None:
    """Return a Chinese message unless value is an amount of yuan: finite, 0 ≤ value < limit, whole fen."""
    return number_error(value, limit=limit, places=2, what="金额")


class Amount:
    """Validate an amount of money (`amount_error`); empty fields pass."""

    def __init__(self, limit: Decimal = MONEY_LIMIT, message: str | None = None) -> None:
        self.limit = limit
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if _is_empty(field.data):
            return
        if error := amount_error(field.data, self.limit):
            raise ValidationError(self.message or error)


def date_order_error(
    value: date | None, other: date | None, label: str, other_label: str, allow_equal: bool = False
) -> str | None:
    """Return "任期届满应晚于聘任日期" unless `value` lies after `other` (or on it, with `allow_equal`).

    Either date missing: nothing to compare, None.
    """
    if value is None or other is None:
        return None
    value, other = _as_date(value), _as_date(other)
    if value > other or (value == other and allow_equal):
        return None
    return f"{label}{'应不早于' if allow_equal else '应晚于'}{other_label}"


class DateAfter:
    """Require this date to be later than another field's date, e.g. a term ending after appointment."""

    def __init__(self, other_field: str, message: str | None = None, allow_equal: bool = False) -> None:
        self.other_field = other_field
        self.message = message
        self.allow_equal = allow_equal

    def __call__(self, form: Any, field: Any) -> None:
        # A misspelt other_field raises KeyError: a configuration bug must not pass silently.
        other = form[self.other_field]
        labels = {
            "field_label": field.label.text if field.label else "日期",
            "other_label": other.label.text if other.label else self.other_field,
        }
        error = date_order_error(
            field.data, other.data, labels["field_label"], labels["other_label"], self.allow_equal
        )
        if error:
            raise ValidationError(self.message % labels if self.message else error)
