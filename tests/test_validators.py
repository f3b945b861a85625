"""Tests for portal.validators: 身份证号, 统一社会信用代码, phones, masking and the WTForms validators."""

import enum
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import DateField, DateTimeField, Form, StringField
from wtforms.validators import Optional

from portal import clock
from portal import validators as v
from portal.validators import (
    CreditCode,
    DateAfter,
    IdNumber,
    PastDate,
    Phone,
    birth_date_from_id,
    credit_code_error,
    gender_from_id,
    id_number_error,
    make_credit_code,
    make_id_number,
    mask_id_number,
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
    phone_error,
)

TODAY = date(2024, 6, 1)
# Widely published valid examples; the second is checksum-valid but born before our 1900 floor.
KNOWN_ID = "11010519491231002X"
KNOWN_PRE_1900_ID = "440524188001010014"
KNOWN_CREDIT_CODES = ["91350100M000100Y43", "91110000600037341L"]
# Keep hypothesis from writing an example database into the working tree.
no_db = settings(database=None, max_examples=200)


def with_id_check(first17: str) -> str:
    """Append the correct MOD 11-2 check character, to build numbers that fail only on other rules."""
    return first17 + v._id_check_char(first17)


def with_credit_checks(first16: str) -> str:
    """Append correct organisation-code and MOD 31 check characters to 16 credit-code characters."""
    first17 = first16 + v._org_check_char(first16[8:16])
    return first17 + v._credit_check_char(first17)


# --- 身份证号 ---


def test_id_weights_are_powers_of_two_mod_11():
    assert v.ID_WEIGHTS == tuple(pow(2, 17 - i, 11) for i in range(17))


@pytest.mark.parametrize(
    "value",
    [
        KNOWN_ID,
        "11010519491231002x",
        " 110105 19491231 002X ",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width, as some IMEs type it
        make_id_number("370102", date(1985, 7, 15), 42, "male"),
        make_id_number("650102", date(2000, 2, 29), 0, "female"),
        make_id_number("810000", date(1990, 1, 1), 7, "male"),
        make_id_number("110105", TODAY, 99, "female"),
        make_id_number("110105", date(1900, 1, 1), 1, "male"),
    ],
)
def test_valid_id_numbers(value):
    assert id_number_error(value, today=TODAY) is None


def test_published_pre_1900_example_has_a_valid_checksum_but_is_rejected_for_its_date():
    assert v._id_check_char(KNOWN_PRE_1900_ID[:17]) == KNOWN_PRE_1900_ID[17]
    assert id_number_error(KNOWN_PRE_1900_ID, today=TODAY) == v.ID_BIRTH_ERROR


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("", v.ID_FORMAT_ERROR),
        ("11010519491231002", v.ID_FORMAT_ERROR),
        ("11010519491231002X1", v.ID_FORMAT_ERROR),
        ("11010519491231002Y", v.ID_FORMAT_ERROR),
        ("1101051949123100X2", v.ID_FORMAT_ERROR),
        ("110105491231002", v.ID_FORMAT_ERROR),  # old 15-digit numbers are no longer accepted
        ("110105194912310021", v.ID_CHECKSUM_ERROR),
        ("11010519491231003X", v.ID_CHECKSUM_ERROR),
        (with_id_check("11010519900230123"), v.ID_BIRTH_ERROR),  # 30 February
        (with_id_check("11010519901301123"), v.ID_BIRTH_ERROR),  # month 13
        (with_id_check("11010519000229123"), v.ID_BIRTH_ERROR),  # 1900 was not a leap year
        (with_id_check("11010518991231123"), v.ID_BIRTH_ERROR),
        (with_id_check("11010520240602123"), v.ID_FUTURE_ERROR),
        (with_id_check("99010519491231002"), v.ID_REGION_ERROR),
        (with_id_check("10010519491231002"), v.ID_REGION_ERROR),
        (with_id_check("72010519491231002"), v.ID_REGION_ERROR),
        (with_id_check("00010519491231002"), v.ID_REGION_ERROR),
    ],
)
def test_invalid_id_numbers(value, error):
    assert id_number_error(value, today=TODAY) == error


@pytest.mark.parametrize(
    ("gender", "error"),
    [(None, None), ("female", None), ("male", v.ID_GENDER_ERROR), ("unknown", None)],
)
def test_id_number_gender(gender, error):
    # The 17th digit of KNOWN_ID is 2, so its holder is female.
    assert id_number_error(KNOWN_ID, gender=gender, today=TODAY) == error


def test_checksum_message_does_not_reveal_the_expected_check_character():
    message = id_number_error("110105194912310021", today=TODAY)
    assert message == "身份证号校验位不正确，请核对"
    assert not any(c in message for c in v.ID_CHECK_CHARS)


@pytest.mark.usefixtures("frozen_clock")
def test_id_number_defaults_to_the_offices_today():
    today = clock.today()  # Beijing's date, a day ahead of UTC's from 16:00 UTC
    assert id_number_error(make_id_number("110105", today, 1, "male")) is None
    tomorrow = today + timedelta(days=1)
    assert id_number_error(make_id_number("110105", tomorrow, 1, "male")) == v.ID_FUTURE_ERROR


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" 11010519491231002x ", KNOWN_ID), ("", ""), (None, ""), ("1101 0519 4912 3100 2X", KNOWN_ID)],
)
def test_normalize_id_number(value, expected):
    assert normalize_id_number(value) == expected


@pytest.mark.parametrize(
    ("value", "birth", "gender"),
    [
        (KNOWN_ID, date(1949, 12, 31), "female"),
        (KNOWN_PRE_1900_ID, date(1880, 1, 1), "male"),
        ("11010519491231002x", date(1949, 12, 31), "female"),
        (with_id_check("11010519900230123"), None, "male"),
        ("not an id", None, None),
        ("", None, None),
    ],
)
def test_birth_date_and_gender_from_id(value, birth, gender):
    assert birth_date_from_id(value) == birth
    assert gender_from_id(value) == gender


def test_make_id_number_layout():
    number = make_id_number("370102", date(1985, 7, 15), 42, "female")
    assert number.startswith("37010219850715" + "42")
    assert gender_from_id(number) == "female"


def test_make_id_number_is_unique_per_seq_and_gender():
    numbers = {
        make_id_number("110105", date(1980, 1, 1), seq, gender)
        for seq in range(100)
        for gender in ("male", "female")
    }
    assert len(numbers) == 200


@pytest.mark.parametrize(
    ("region", "seq", "gender"),
    [
        ("11010", 1, "male"),
        ("99010a", 1, "male"),
        ("990105", 1, "male"),
        ("110105", 100, "male"),
        ("110105", -1, "male"),
        ("110105", 1, "M"),
    ],
)
def test_make_id_number_rejects_bad_arguments(region, seq, gender):
    with pytest.raises(ValueError):
        make_id_number(region, date(1980, 1, 1), seq, gender)


id_regions = st.builds(
    lambda province, rest: f"{province}{rest:04d}",
    st.sampled_from(sorted(v.ID_PROVINCES)),
    st.integers(0, 9999),
)
id_numbers = st.builds(
    make_id_number,
    id_regions,
    st.dates(min_value=v.ID_MIN_BIRTH, max_value=TODAY),
    st.integers(0, 99),
    st.sampled_from(["male", "female"]),
)


@no_db
@given(
    region=id_regions,
    birth=st.dates(min_value=v.ID_MIN_BIRTH, max_value=TODAY),
    seq=st.integers(0, 99),
    gender=st.sampled_from(["male", "female"]),
)
def test_make_id_number_always_validates(region, birth, seq, gender):
    number = make_id_number(region, birth, seq, gender)
    assert id_number_error(number, gender=gender, today=TODAY) is None
    assert birth_date_from_id(number) == birth
    assert gender_from_id(number) == gender


# Why every single-character substitution is caught: the weights are 2**k mod 11, never 0 mod the prime 11,
# and a digit changes by 1..9, so the weighted sum changes by a non-multiple of 11 and the check character,
# a bijection of the residue, no longer matches. A changed check character mismatches directly.
@no_db
@given(number=id_numbers, data=st.data())
def test_any_single_substitution_invalidates_an_id_number(number, data):
    position = data.draw(st.integers(0, 17))
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    mutated = number[:position] + replacement + number[position + 1 :]
    assert id_number_error(mutated, today=TODAY) is not None


def test_every_single_substitution_of_the_known_id_is_rejected():
    mutations = [
        KNOWN_ID[:i] + c + KNOWN_ID[i + 1 :]
        for i in range(18)
        for c in ("0123456789X" if i == 17 else "0123456789")
        if c != KNOWN_ID[i]
    ]
    assert len(mutations) == 17 * 9 + 10
    assert all(id_number_error(m, today=TODAY) for m in mutations)


# --- 统一社会信用代码 ---


def test_credit_weights_are_powers_of_three_mod_31():
    assert v.CREDIT_WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


@pytest.mark.parametrize(
    "value",
    [
        *KNOWN_CREDIT_CODES,
        "91350100m000100y43",
        " 9111 0000 6000 3734 1L ",
        make_credit_code("440300", rng=random.Random(1)),
        make_credit_code("100000", "00001234", kind="11"),
        make_credit_code("370102", rng=random.Random(2), kind="Y1"),
        make_credit_code("310101", rng=random.Random(3), kind="N2"),
    ],
)
def test_valid_credit_codes(value):
    assert credit_code_error(value) is None


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("", v.CREDIT_FORMAT_ERROR),
        ("91350100M000100Y4", v.CREDIT_FORMAT_ERROR),
        ("91350100M000100Y430", v.CREDIT_FORMAT_ERROR),
        ("91350100I000100Y43", v.CREDIT_FORMAT_ERROR),
        ("91350100O000100Y43", v.CREDIT_FORMAT_ERROR),
        ("91350100Z000100Y43", v.CREDIT_FORMAT_ERROR),
        ("91350100S000100Y43", v.CREDIT_FORMAT_ERROR),
        ("91350100V000100Y43", v.CREDIT_FORMAT_ERROR),
        ("91350100M000100Y4-", v.CREDIT_FORMAT_ERROR),
        ("91350100M000100Y44", v.CREDIT_CHECKSUM_ERROR),
        ("91350100M000100Y33", v.CREDIT_CHECKSUM_ERROR),
        ("91110000600037341M", v.CREDIT_CHECKSUM_ERROR),
        (with_credit_checks("0135010012345678"), v.CREDIT_DEPARTMENT_ERROR),
        (with_credit_checks("B135010012345678"), v.CREDIT_DEPARTMENT_ERROR),
        (with_credit_checks("9035010012345678"), v.CREDIT_CATEGORY_ERROR),
        (with_credit_checks("9A35010012345678"), v.CREDIT_CATEGORY_ERROR),
        (with_credit_checks("913501A012345678"), v.CREDIT_REGION_ERROR),
    ],
)
def test_invalid_credit_codes(value, error):
    assert credit_code_error(value) == error


def test_credit_code_with_a_wrong_organisation_check_digit_is_rejected():
    # Organisation code 60003734 has check digit 1; use 2 and recompute the outer check so only it fails.
    first17 = "9111000060003734" + "2"
    code = first17 + v._credit_check_char(first17)
    assert credit_code_error(code) == v.CREDIT_ORG_CODE_ERROR


@pytest.mark.parametrize(("body", "check"), [("M000100Y", "4"), ("60003734", "1"), ("D2143569", "X")])
def test_organisation_check_digit(body, check):
    assert v._org_check_char(body) == check


@pytest.mark.parametrize("code", KNOWN_CREDIT_CODES)
def test_make_credit_code_reproduces_known_codes(code):
    assert make_credit_code(code[2:8], code[8:16]) == code


def test_make_credit_code_is_reproducible_with_a_seeded_rng():
    first = make_credit_code("110105", rng=random.Random(7))
    assert first == make_credit_code("110105", rng=random.Random(7))
    assert first.startswith("91110105")


@pytest.mark.parametrize(
    ("region", "body", "kind"),
    [
        ("11010", None, "91"),
        ("11010A", None, "91"),
        ("110105", "1234567", "91"),
        ("110105", "1234567I", "91"),
        ("110105", None, "01"),
        ("110105", None, "90"),
        ("110105", None, "9"),
    ],
)
def test_make_credit_code_rejects_bad_arguments(region, body, kind):
    with pytest.raises(ValueError):
        make_credit_code(region, body, kind=kind)


credit_kinds = st.builds(
    lambda department, category: department + category,
    st.sampled_from(v.CREDIT_DEPARTMENTS),
    st.sampled_from("123456789"),
)
credit_regions = st.integers(0, 999999).map(lambda n: f"{n:06d}")
credit_codes = st.builds(
    lambda region, seed, kind: make_credit_code(region, rng=random.Random(seed), kind=kind),
    credit_regions,
    st.integers(0, 2**32),
    credit_kinds,
)


@no_db
@given(
    region=credit_regions,
    body=st.text(alphabet=v.CREDIT_CHARSET, min_size=8, max_size=8) | st.none(),
    seed=st.integers(0, 2**32),
    kind=credit_kinds,
)
def test_make_credit_code_always_validates(region, body, seed, kind):
    code = make_credit_code(region, body, random.Random(seed), kind=kind)
    assert credit_code_error(code) is None
    assert code[:8] == kind + region


# Same argument as for 身份证号: weights 3**k mod 31 are non-zero mod the prime 31 and values differ by 1..30.
@no_db
@given(code=credit_codes, data=st.data())
def test_any_single_substitution_invalidates_a_credit_code(code, data):
    position = data.draw(st.integers(0, 17))
    replacement = data.draw(st.sampled_from([c for c in v.CREDIT_CHARSET if c != code[position]]))
    mutated = code[:position] + replacement + code[position + 1 :]
    assert credit_code_error(mutated) is not None


def test_normalize_credit_code():
    assert normalize_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert normalize_credit_code(None) == ""


# --- Phones ---


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("13800138000", "13800138000"),
        ("19912345678", "19912345678"),
        ("+86 138 0013 8000", "13800138000"),
        ("+86-138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("0531-88888888", "0531-88888888"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("053188888888", "0531-88888888"),
        ("(021)12345678", "021-12345678"),
        ("（0755）8888 8888", "0755-88888888"),
        ("0531-8888888", "0531-8888888"),
        ("0531-8888-8888", "0531-88888888"),
        ("0531-88888888-123", "0531-88888888-123"),
        ("0531-88888888转123", "0531-88888888-123"),
        ("0531－88888888", "0531-88888888"),
        ("0531-88888888-", "0531-88888888"),  # stray separators are as harmless as in mobiles
    ],
)
def test_valid_phones(value, normalized):
    assert phone_error(value) is None
    assert normalize_phone(value) == normalized


@pytest.mark.parametrize(
    "value",
    [
        "",
        "12345",
        "12800138000",
        "10800138000",
        "1380013800",
        "138001380001",
        "+1 202 555 0123",
        "0531-0888888",
        "0531-888888",
        "0531-888888888",
        "531-88888888",
        "0131-88888888",
        "0531-88888888-1234567",
        "abc",
        "138 0013 800O",
    ],
)
def test_invalid_phones(value):
    assert phone_error(value) == "请输入有效的手机号或固定电话号码"


def test_normalize_phone_leaves_unrecognised_input_readable():
    assert normalize_phone(" 12 345 ") == "12345"
    assert normalize_phone(None) == ""


# --- Masking ---


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110105194912310234", "110105********0234"),
        ("11010519491231002x", "110105********002X"),
        ("110105491231002", "110105*****1002"),
        ("12345", "*****"),
        ("1234567890", "**********"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812341234", "138****1234"),
        ("+86 138 1234 1234", "138****1234"),
        ("0531-88888888", "0531-****8888"),
        ("010-1234567", "010-***4567"),
        ("0531-88881234-123", "0531-****1234"),
        ("12345", "*****"),
        ("123456789", "*********"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


# --- WTForms validators ---


class PersonForm(Form):
    gender = StringField("性别")
    id_number = StringField("身份证号", [Optional(), IdNumber(gender_field="gender")])
    phone = StringField("联系电话", [Optional(), Phone()])
    credit_code = StringField("统一社会信用代码", [Optional(), CreditCode()])
    born = DateField("出生日期", [Optional(), PastDate()])
    appointed = DateField("任职日期", [Optional()])
    term_end = DateField("任期届满", [Optional(), DateAfter("appointed")])


def make_form(form_class=PersonForm, **data):
    """Bind a form to submitted data the way a POST would."""
    return form_class(MultiDict({key: str(value) for key, value in data.items()}))


def test_empty_form_passes_and_keeps_empty_values():
    form = make_form(gender="male", id_number="", phone=" ", credit_code="", born="", term_end="")
    assert form.validate(), form.errors
    assert form.id_number.data == ""


def test_valid_form_normalises_values():
    form = make_form(
        gender="female",
        id_number="11010519491231002x",
        phone="+86 138-0013-8000",
        credit_code="91350100m000100y43",
        born="1949-12-31",
        appointed="2021-01-01",
        term_end="2026-01-01",
    )
    assert form.validate(), form.errors
    assert form.id_number.data == KNOWN_ID
    assert form.phone.data == "13800138000"
    assert form.credit_code.data == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("id_number", "110105194912310021", v.ID_CHECKSUM_ERROR),
        ("id_number", "123", v.ID_FORMAT_ERROR),
        ("phone", "12345", v.PHONE_ERROR),
        ("credit_code", "91350100M000100Y44", v.CREDIT_CHECKSUM_ERROR),
    ],
)
def test_invalid_fields_report_chinese_errors(field, value, error):
    form = make_form(**{field: value})
    assert not form.validate()
    assert form.errors == {field: [error]}


@pytest.mark.usefixtures("frozen_clock")
def test_the_offices_today_is_accepted_and_its_tomorrow_refused():
    today = clock.today()
    assert make_form(born=today.isoformat()).validate()
    form = make_form(born=(today + timedelta(days=1)).isoformat())
    assert not form.validate()
    assert form.errors == {"born": ["日期不能晚于今天"]}


@pytest.mark.parametrize(("gender", "valid"), [("female", True), ("male", False), ("", True)])
def test_id_number_checks_the_gender_field(gender, valid):
    form = make_form(gender=gender, id_number=KNOWN_ID)
    assert form.validate() is valid
    if not valid:
        assert form.errors == {"id_number": [v.ID_GENDER_ERROR]}


class Gender(enum.Enum):
    MALE = "male"
    FEMALE = "female"


class FakeField:
    """Stand in for a field whose data is an Enum, as a QuerySelectField or EnumField would give."""

    def __init__(self, data):
        self.data = data


def test_id_number_reads_an_enum_gender():
    form = {"gender": FakeField(Gender.MALE)}
    with pytest.raises(v.ValidationError, match=v.ID_GENDER_ERROR):
        IdNumber("gender")(form, FakeField(KNOWN_ID))
    IdNumber("gender")({"gender": FakeField(Gender.FEMALE)}, FakeField(KNOWN_ID))


def test_misspelt_gender_field_fails_loudly():
    with pytest.raises(KeyError):
        IdNumber("sex")({}, FakeField(KNOWN_ID))


class OverrideForm(Form):
    id_number = StringField("身份证号", [Optional(), IdNumber(message="证件号码有误")])
    phone = StringField("电话", [Optional(), Phone(message="电话有误")])
    credit_code = StringField("代码", [Optional(), CreditCode(message="代码有误")])
    born = DateField("出生日期", [Optional(), PastDate(message="不能是未来")])


@pytest.mark.usefixtures("frozen_clock")
def test_messages_can_be_overridden():
    form = make_form(
        OverrideForm, id_number="1", phone="1", credit_code="1", born=(clock.today() + timedelta(days=1))
    )
    assert not form.validate()
    assert form.errors == {
        "id_number": ["证件号码有误"],
        "phone": ["电话有误"],
        "credit_code": ["代码有误"],
        "born": ["不能是未来"],
    }


class StrictPastForm(Form):
    born = DateField("出生日期", [Optional(), PastDate(allow_today=False)])
    seen = DateTimeField("时间", [Optional(), PastDate()], format="%Y-%m-%d %H:%M")


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize(("days", "error"), [(-1, None), (0, "日期必须早于今天"), (1, "日期必须早于今天")])
def test_past_date_without_today(days, error):
    form = make_form(StrictPastForm, born=clock.today() + timedelta(days=days))
    assert form.validate() is (error is None)
    assert form.errors == ({"born": [error]} if error else {})


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize(("days", "valid"), [(-1, True), (0, True), (1, False)])
def test_past_date_allows_today_by_default_and_handles_datetimes(days, valid):
    moment = datetime.combine(clock.today() + timedelta(days=days), datetime.min.time())
    form = make_form(StrictPastForm, seen=moment.strftime("%Y-%m-%d %H:%M"))
    assert form.validate() is valid


@pytest.mark.parametrize(
    ("appointed", "term_end", "valid"),
    [
        ("2021-01-01", "2026-01-01", True),
        ("2021-01-01", "2021-01-01", False),
        ("2021-01-01", "2020-12-31", False),
        ("", "2020-12-31", True),
        ("2021-01-01", "", True),
    ],
)
def test_date_after(appointed, term_end, valid):
    form = make_form(appointed=appointed, term_end=term_end)
    assert form.validate() is valid
    if not valid:
        assert form.errors == {"term_end": ["任期届满应晚于任职日期"]}


class TermForm(Form):
    appointed = DateField("任职日期", [Optional()])
    same_day_ok = DateField("交接日期", [Optional(), DateAfter("appointed", allow_equal=True)])
    custom = DateField("结束", [Optional(), DateAfter("appointed", message="须在%(other_label)s之后")])
    misspelt = DateField("错误", [Optional(), DateAfter("appointment")])


def test_date_after_allow_equal_and_custom_message():
    form = make_form(TermForm, appointed="2021-01-01", same_day_ok="2021-01-01", custom="2021-01-01")
    assert not form.validate()
    assert form.errors == {"custom": ["须在任职日期之后"]}
    form = make_form(TermForm, appointed="2021-01-01", same_day_ok="2020-12-31")
    assert not form.validate()
    assert form.errors == {"same_day_ok": ["交接日期应不早于任职日期"]}


def test_date_after_with_a_misspelt_field_fails_loudly():
    with pytest.raises(KeyError):
        make_form(TermForm, appointed="2021-01-01", misspelt="2022-01-01").validate()


# --- Sane values: a window for dates, bounds for amounts ---


class WindowForm(Form):
    occurred = DateField("发生日期", [Optional(), v.PastDate()])
    born = DateField("出生日期", [Optional(), v.BirthDate()])
    deadline = DateField("办结时限", [Optional(), v.SaneDate()])
    held_at = DateTimeField("调解时间", [Optional(), v.PastDate()], format="%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("occurred", "0001-01-01", "日期不能早于1949年10月1日"),
        ("occurred", "1949-09-30", "日期不能早于1949年10月1日"),
        ("occurred", "1949-10-01", None),
        ("held_at", "0001-01-01 09:00", "日期不能早于1949年10月1日"),
        ("born", "1899-12-31", "日期不能早于1900年1月1日"),
        ("born", "1936-05-04", None),  # an elderly party, born before 1949
        ("deadline", "1900-01-01", "日期不能早于1949年10月1日"),
        ("deadline", "9999-12-31", "日期不能晚于"),
    ],
)
def test_every_date_has_a_sane_window(field, value, error):
    form = make_form(WindowForm, **{field: value})
    assert form.validate() is (error is None)
    if error:
        assert form.errors[field][0].startswith(error)


@pytest.mark.usefixtures("frozen_clock")
def test_a_deadline_may_lie_fifty_years_ahead_and_no_further():
    today = clock.today()
    try:
        last = today.replace(year=today.year + v.FUTURE_YEARS)
    except ValueError:  # 29 February
        last = today.replace(year=today.year + v.FUTURE_YEARS, day=28)
    assert make_form(WindowForm, deadline=last.isoformat()).validate()
    form = make_form(WindowForm, deadline=(last + timedelta(days=1)).isoformat())
    assert not form.validate()
    assert form.errors == {"deadline": [f"日期不能晚于{v.chinese_date(last)}"]}
    assert not make_form(WindowForm, occurred=(today + timedelta(days=1)).isoformat()).validate()


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("1200.50", None),
        ("1,200.50", None),
        ("０.５", None),  # full-width digits from a Chinese IME
        (" 999999999999.99 ", None),
        ("0", None),
        ("1e400", v.AMOUNT_ERROR),
        ("1E5", v.AMOUNT_ERROR),
        ("nan", v.AMOUNT_ERROR),
        ("NaN", v.AMOUNT_ERROR),
        ("sNaN", v.AMOUNT_ERROR),
        ("inf", v.AMOUNT_ERROR),
        ("-Infinity", v.AMOUNT_ERROR),
        ("abc", v.AMOUNT_ERROR),
        ("", v.AMOUNT_ERROR),
        ("-0.01", "金额不能为负数"),
        ("1.005", "金额最多两位小数（分）"),
        ("1000000000000", "金额不能超过999,999,999,999.99元"),
        (Decimal("Infinity"), v.AMOUNT_ERROR),
        (Decimal("NaN"), v.AMOUNT_ERROR),
        (Decimal("1E+400"), "金额不能超过999,999,999,999.99元"),
        (float("inf"), v.AMOUNT_ERROR),
        (True, v.AMOUNT_ERROR),
        (Decimal("12.30"), None),
    ],
)
def test_amounts_are_finite_non_negative_bounded_and_in_fen(value, error):
    assert v.amount_error(value) == error


@given(st.one_of(st.text(max_size=30), st.decimals(), st.floats(), st.integers()))
def test_amount_error_never_raises_and_what_it_accepts_is_a_fen_amount(value):
    if v.amount_error(value) is None:
        number = v.parse_decimal(value)
        assert number is not None and number.is_finite()
        assert 0 <= number < v.MONEY_LIMIT and number == number.quantize(Decimal("0.01"))


def test_number_error_names_the_quantity_and_its_places():
    limit = Decimal(10) ** 4
    assert v.number_error("2.55", limit=limit, places=1, what="扣分") == "扣分最多1位小数"
    assert v.number_error("2.5", limit=limit, places=0, what="人数") == "人数应为整数"
    assert v.number_error("10000", limit=limit, places=1, what="扣分") == "扣分不能超过9,999.9"
    assert v.number_error("nan", limit=limit, places=1, what="评分") == "请输入有效的评分"
