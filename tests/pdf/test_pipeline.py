"""The rendering pipeline: the sandboxed fetcher, fonts, escaping, and the public verification page."""

from __future__ import annotations

import io

import pytest
from jinja2 import ChoiceLoader, DictLoader
from pypdf import PdfReader

from portal.extensions import db
from portal.models import DocumentKind
from portal.pdf import arabic_date, chinese_date, fonts, lift_inline_images, render
from portal.pdf.fetcher import PortalFetcher
from portal.services import documents

HOSTILE = (
    '<img src="file:///etc/passwd"> <link rel="stylesheet" href="http://127.0.0.1:9/x"> '
    "<style>body { background: url(http://127.0.0.1:9/y) }</style> 禤赟〇，。！"
)
PROBE = """{% extends 'pdf/_base.html' %}{% block content %}
<div class="doc-title">测试文书</div><p>{{ text }}</p>{% endblock %}"""


@pytest.fixture
def probe(app):
    """The app with one extra document template that prints user text."""
    app.jinja_loader = ChoiceLoader([DictLoader({"pdf/probe.html": PROBE}), app.jinja_loader])
    return app


def test_user_text_is_printed_literally_and_nothing_is_fetched(probe):
    """HTML, links and CSS url() in user text are text: the fetcher is asked for nothing at all.

    (The print stylesheet is parsed once by `render`, not fetched by the document.)
    """
    with probe.test_request_context():
        result = render("probe.html", text=HOSTILE, serial=None)
    assert result.requested == []
    text = PdfReader(io.BytesIO(result.pdf)).pages[0].extract_text()
    assert 'src="file:///etc/passwd"' in text and "127.0.0.1:9/x" in text and "禤赟〇" in text


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x",
        "https://example.org/a.css",
        "ftp://x/y",
        "portal:static/../portal/config.py",
        "portal:static/../../etc/passwd",
        "portal:templates/pdf/_base.html",
        "portal:inline/" + "0123456789abcdef" * 4,
    ],
)
def test_fetcher_refuses_everything_but_static_files(app, url):
    """Network, arbitrary files and path escapes are refused before any I/O."""
    fetcher = PortalFetcher(app.static_folder)
    with pytest.raises(ValueError, match="refused|disallowed"):
        fetcher.fetch(url)


def test_inlined_images_leave_the_markup_once_each_and_user_text_stays_text(probe):
    """Template data: images become content-named portal:inline/ URLs; the same seal twice is one image.

    A data: URL typed by a user is escaped by Jinja, so it is neither lifted nor fetched: it prints as text.
    """
    seal, qr = "data:image/png;base64,iVBORw0KGgo=", "data:image/png;base64,R0lGODlh"
    source = lift_inline_images(f'<img src="{seal}"><p>x</p><img src="{seal}"><img src="{qr}">')
    assert "data:" not in source.html and len(source.images) == 2
    assert list(source.images.values()) == [(b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF89a", "image/png")]
    typed = f'<img src="{seal}">'
    with probe.test_request_context():
        result = render("probe.html", text=typed, serial=None)
    assert result.requested == []
    assert "iVBORw0KGgo" in "".join(PdfReader(io.BytesIO(result.pdf)).pages[0].extract_text().split())


def test_fetcher_serves_static_files_and_data_urls(app):
    """The stylesheet and data: URLs are served."""
    fetcher = PortalFetcher(app.static_folder)
    assert b"@page" in fetcher.fetch("portal:static/pdf/print.css").read()
    assert fetcher.fetch("data:text/plain;base64,5Lit").read() == "中".encode()


def test_fonts_and_harfbuzz_are_present():
    """The machine has what documents need (make install puts them there)."""
    assert fonts.check() == []


def test_dates():
    """Certificates print 〇 in Chinese dates; official documents use Arabic numerals."""
    from datetime import date

    assert chinese_date(date(2026, 11, 24)) == "二〇二六年十一月二十四日"
    assert chinese_date(date(2030, 10, 1)) == "二〇三〇年十月一日"
    assert arabic_date(date(2026, 3, 5)) == "2026年3月5日"


def test_issue_verify_revoke(app, county, client):
    """An issued document is recorded with its hash; /verify says valid, then revoked, without signing in."""
    from portal.pdf import Rendered

    pdf = b"%PDF-1.7 test"
    document, data = documents.issue(
        db.session,
        kind=DocumentKind.CERTIFICATE,
        subject_type="recognition",
        subject_id=1,
        title="调解能手",
        number="QH能手〔2026〕001号",
        masked_name="王*国",
        organization=county.mj,
        actor=county.users["clerk"],
        render=lambda serial, original: Rendered(pdf, 1, []),
    )
    assert data == pdf and document.sha256 == documents.sha256_of(pdf) and len(document.serial) == 19
    page = client.get(f"/verify/{document.serial}")
    assert page.status_code == 200 and "核验通过" in page.text and "王*国" in page.text
    again, _ = documents.issue(
        db.session,
        kind=DocumentKind.CERTIFICATE,
        subject_type="recognition",
        subject_id=1,
        title="调解能手",
        number="QH能手〔2026〕001号",
        masked_name="王*国",
        organization=county.mj,
        actor=county.users["clerk"],
        render=lambda serial, original: Rendered(pdf + b"copy", 1, []),
    )
    assert again.reprint_of == document and "补打件" in client.get(f"/verify/{again.serial}").text
    documents.revoke(db.session, "recognition", 1, "撤销荣誉")
    db.session.commit()
    assert "该文书已撤销" in client.get(f"/verify/{document.serial.lower()}").text
    assert client.get("/verify/AAAA-BBBB-CCCC-DDDD").status_code == 404
