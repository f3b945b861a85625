"""Control characters (NUL, other C0) pasted into text: stripped on input, harmless in exports.

A NUL in a party's name used to make every xlsx export of the ledger fail with a 500 (openpyxl's
IllegalCharacterError): forms now strip such characters from every text field, and the sheet writer
drops them from what is already stored.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import Form, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional

from portal.admin.base import PortalForm
from portal.admin.cleaning import CleanTextMeta, text_filter
from portal.extensions import db
from portal.models import Case, DisputeType, Mediator, Party
from portal.services import formdefs, sheets
from portal.services.deadlines import local_today
from portal.text import has_control, strip_control
from tests.admin.test_case_views import registration
from tests.admin.test_registers import mediator_form
from tests.factories import new_case


def _dirty(app) -> str:
    """A name with control characters the database can hold (PostgreSQL refuses NUL in text)."""
    nul = "" if db.engine.dialect.name == "postgresql" else "\x00"
    return f"张{nul}\x01三\x1f"


def _rows(response) -> list[tuple]:
    assert response.status_code == 200, response.status_code
    return list(load_workbook(BytesIO(response.data)).active.iter_rows(values_only=True))


def test_a_stored_party_name_with_control_characters_exports(app, county, login_as):
    case = new_case(db.session, county.users["admin"], county.mj, today=local_today(), parties=("甲", "乙"))
    case.parties[0].name = _dirty(app)
    db.session.commit()
    assert has_control(db.session.get(Case, case.id).party_names)
    client = login_as("admin")
    for url in ("/admin/cases/export/xlsx/", "/admin/my_cases/export/xlsx/"):
        rows = _rows(client.get(url))
        assert any(row and "张三" in (row[rows[0].index("申请人")] or "") for row in rows[1:])
        assert not any(has_control(str(v)) for row in rows for v in row if v is not None)


def test_a_stored_organisation_and_mediator_name_export(app, county, login_as):
    county.mj.name = "马集\x01镇"
    county.mediators["马集调解员"].notes = "第一行\n第二行\x02"
    db.session.commit()
    client = login_as("admin")
    assert any(
        "马集镇" in str(v) for row in _rows(client.get("/admin/organizations/export/xlsx/")) for v in row
    )
    assert _rows(client.get("/admin/mediators/export/xlsx/"))


def test_a_form_post_stores_the_cleaned_party_name(county, login_as):
    data = registration(county, **{"parties-0-name": "欧阳\x01明\x00", "summary": "第一行\n第二行\x07"})
    response = login_as("entry_a").post("/admin/cases/new/", data=data)
    assert response.status_code == 302, response.text
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert [p.name for p in case.parties][0] == "欧阳明"
    assert case.summary == "第一行\n第二行"  # a multi-line field keeps its line breaks
    assert db.session.scalar(select(Party.name).where(Party.name.contains("\x01"))) is None


def test_a_one_line_field_loses_tabs_and_line_breaks_too(county, login_as):
    data = mediator_form(county.mj.id, name="张\t建\r\n国\x1b", notes="备注\r\n第二行\x00")
    response = login_as("admin").post("/admin/mediators/new/", data=data)
    assert response.status_code == 302, response.text
    saved = db.session.scalar(
        select(Mediator).where(Mediator.name.startswith("张")).order_by(Mediator.id.desc())
    )
    assert saved.name == "张 建  国"
    assert saved.notes == "备注\r\n第二行"


def test_a_dispute_form_text_answer_is_cleaned(county, login_as):
    traffic = db.session.scalar(select(DisputeType).where(DisputeType.code == "13"))
    definition = formdefs.create(db.session, "control_test", "道路交通事故", traffic)
    body = {"sections": [{"title": "事故", "fields": [{"key": "plate", "label": "车牌号", "type": "text"}]}]}
    formdefs.save_draft(db.session, definition, body, None)
    formdefs.publish(db.session, definition, county.users["admin"], "首版")
    data = registration(county, dispute_type=traffic.id, **{"answers.plate": "鲁P\x0012345\x01"})
    assert login_as("entry_a").post("/admin/cases/new/", data=data).status_code == 302
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.answers == {"plate": "鲁P12345"}


def test_every_text_field_of_every_portal_form_gets_the_filter(app):
    class Sample(PortalForm):
        name = StringField()
        notes = TextAreaField()
        secret = PasswordField()

    posted = MultiDict({"name": "a\x00\nb", "notes": "a\x00\nb", "secret": "p\x01w"})
    with app.test_request_context():
        form = Sample(formdata=posted, meta={"csrf": False})
    assert (form.name.data, form.notes.data, form.secret.data) == ("a b", "a\nb", "p\x01w")
    assert text_filter(StringField) and text_filter(TextAreaField) and text_filter(PasswordField) is None


@pytest.mark.parametrize(
    ("raw", "cell"),
    [
        ("张\x00三", "张三"),
        ('\x00=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1\x1f", "'+1"),
        ("第一行\n第二行", "第一行\n第二行"),
        ("\x7f", ""),
    ],
)
def test_sheet_text_drops_control_characters_and_still_quotes_formulas(raw, cell):
    assert sheets.text(raw) == cell


def test_strip_control():
    assert strip_control("a\x00b\x08c\x0bd\x0ce\x0ef\x1fg\x7fh") == "abcdefgh"
    assert strip_control("a\tb\nc\rd") == "a\tb\nc\rd"
    assert strip_control("a\tb\nc\rd", multiline=False) == "a b c d"
    assert strip_control("中文\u3000全角") == "中文\u3000全角"


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        ("", []),  # Optional() accepts an empty field (the 月份/季度 of a yearly round)
        ("7", []),
        (str(2**40), ["数值超出允许范围"]),
        ("abc", ["Not a valid integer value."]),
    ],
)
def test_a_bounded_integer_field_leaves_an_empty_optional_field_alone(raw, errors):
    class NumberForm(Form):
        class Meta(CleanTextMeta):
            pass

        number = IntegerField("月份/季度", validators=[Optional(), NumberRange(1, 12)])

    form = NumberForm(MultiDict({"number": raw}))
    form.validate()
    assert [str(e) for e in form.number.errors] == errors
