"""The 公文 (GB/T 9704-2012): 考评结果通知书, 责任倒查决定书 and 情况通报 measured on the rendered page.

Each document is rendered once, then measured: A4, every font embedded, the 仿宋 stand-in used for the
body, all text inside the 版心 (156 × 225 mm at 28 mm / 37 mm) except the page number and the
verification line under it, no line wider than the 版心, 28 characters to a full body line at a 10.2 mm
pitch, the masthead 35 mm into the 版心, page numbers "— n —" at the outer corner 7 mm under the 版心,
the seal over the signature and the date, the 版记 at the foot of the last page.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

from fontTools.ttLib import TTFont

from portal.extensions import db
from portal.pdf import analysis_documents, assessment_documents, fonts, review_documents
from portal.pdf.coverage import font_files
from portal.pdf.gongwen import superiors, title_lines
from portal.services import analysis, scoring
from portal.services.analysis_periods import Period
from portal.services.demo.seals import seal_demo_orgs
from portal.services.seals import check_seal, draw_demo_seal
from tests import analysis_ledger
from tests.pdf import layout
from tests.pdf.layout import BLOCK_BOTTOM, BLOCK_LEFT, BLOCK_RIGHT, BLOCK_TOP, BLOCK_WIDTH
from tests.pdf.test_assessment_documents import mediator_round, top  # noqa: F401 - fixture
from tests.pdf.test_review_document import review  # noqa: F401 - fixture

TOLERANCE = 1.0  # mm: GB/T 9704 allows ±1 mm on the margins
LINE_PITCH = 225 / 22


def keep(pdf: bytes, name: str) -> None:
    """Write the PDF to $GONGWEN_PDF_DIR/<name>.pdf when set (docs/documents.md's pictures come from it)."""
    if os.environ.get("GONGWEN_PDF_DIR"):
        Path(os.environ["GONGWEN_PDF_DIR"], f"{name}.pdf").write_bytes(pdf)


def check_page_geometry(pdf: bytes) -> list[layout.Line]:
    """Assert what every 公文 page keeps to; return the lines of the text block for further checks."""
    sizes, found = layout.lines(pdf)
    assert all(abs(w - 210) < 0.5 and abs(h - 297) < 0.5 for w, h in sizes), sizes
    embedded = layout.fonts(pdf)
    assert embedded and all(embedded.values()), embedded
    assert "LXGW-WenKai" in embedded, embedded  # the 仿宋 stand-in
    assert "Noto-Serif-CJK-SC-Bold" in embedded, embedded  # 小标宋
    body, below = [], []
    for line in found:
        assert 0 <= line.left and line.right <= 210 and 0 <= line.top and line.bottom <= 297, line
        (below if line.top >= BLOCK_BOTTOM else body).append(line)
    for line in body:  # inside the 版心, never wider than it
        assert line.left >= BLOCK_LEFT - TOLERANCE and line.right <= BLOCK_RIGHT + TOLERANCE, line
        assert line.top >= BLOCK_TOP - TOLERANCE and line.bottom <= BLOCK_BOTTOM + TOLERANCE, line
        assert line.width <= BLOCK_WIDTH + TOLERANCE, line
    # Under the 版心 only the page number, at the outer corner 7 mm down, and the verification line.
    pages = len(sizes)
    for page in range(pages):
        [number] = [ln for ln in below if ln.page == page and ln.text.startswith("—")]
        assert number.text == f"—{page + 1}—"
        middle = (number.top + number.bottom) / 2  # the dashes sit mid-height
        assert abs(middle - (BLOCK_BOTTOM + 7)) < 1.5, number
        if page % 2 == 0:  # odd page: right, one character in
            assert BLOCK_RIGHT - 8 < number.right < BLOCK_RIGHT - 3, number
        else:
            assert BLOCK_LEFT + 3 < number.left < BLOCK_LEFT + 8, number
    others = [ln for ln in below if not ln.text.startswith("—")]
    assert all("核验" in ln.text or "-" in ln.text for ln in others), others
    return body


def check_body_grid(body: list[layout.Line], full_lines: bool = True) -> None:
    """3号 on a 22 × 28 grid: lines of the body follow at 225 / 22 mm; a full line of Chinese characters
    (where the text has one: figures are narrower) holds 28 of them, no line more."""
    text = [ln for ln in body if 6 < ln.bottom - ln.top < 7 and ln.left < BLOCK_LEFT + 12]  # 3号 body lines
    # Consecutive lines (a table between two paragraphs is off the grid, as in any 公文).
    pitches = [b.top - a.top for a, b in zip(text, text[1:], strict=False) if b.page == a.page]
    close = [p for p in pitches if p < 1.5 * LINE_PITCH]
    assert len(close) >= 3 and all(abs(p - LINE_PITCH) < 0.2 for p in close), pitches
    chinese = [ln for ln in text if all(ord(ch) > 0x2000 for ch in ln.text)]
    full = [ln for ln in chinese if ln.width > BLOCK_WIDTH - 2]
    assert all(len(ln.text) == 28 for ln in full) and (full or not full_lines), [ln.text for ln in full]
    assert all(len(ln.text) + (2 if ln.left > BLOCK_LEFT + 5 else 0) <= 28 for ln in chinese)


def check_masthead_and_seal(pdf: bytes, body: list[layout.Line], organ: str, day: str) -> None:
    """The organ's name 35 mm into the 版心; the seal centred over the signature and date, just above."""
    head = next(ln for ln in body if ln.page == 0 and ln.text == organ)
    em = (head.bottom - head.top) / 1.437  # the line box is Noto Serif CJK's ascent + descent
    assert abs(head.top + 0.271 * em - (BLOCK_TOP + 35)) < 1, head  # the characters' top
    date_line = next(ln for ln in body if ln.text == day)
    sign = max(
        (ln for ln in body if ln.text == organ and ln.page == date_line.page and ln.top < date_line.top),
        key=lambda ln: ln.top,
    )
    assert 0 < date_line.top - sign.top < 11
    assert abs(BLOCK_RIGHT - date_line.right - 4 * 16 / layout.MM) < 2.5  # 右空四字: four 3号 characters
    date_centre = (date_line.left + date_line.right) / 2
    assert abs((sign.left + sign.right) / 2 - date_centre) < 1  # 署名 centred on the date
    seals = [img for img in layout.images(pdf) if abs((img[3] - img[1]) - 42) < 1]
    [(page, left, top_, right, bottom)] = seals
    assert page == date_line.page
    centre_x, centre_y = (left + right) / 2, (top_ + bottom) / 2
    assert abs(centre_x - date_centre) < 1
    # 署名 and 成文日期 sit a little under the seal's centre; its top within one line of the text above.
    assert sign.top < centre_y < (sign.top + date_line.bottom) / 2
    above = max(ln.bottom for ln in body if ln.page == page and ln.bottom <= sign.top - 1)
    assert 0 <= top_ - above <= LINE_PITCH


def check_banji(body: list[layout.Line], printed: str) -> None:
    """The 版记 ends the last page: 印发 at the foot of the 版心."""
    last_page = max(ln.page for ln in body)
    footer = next(ln for ln in body if ln.page == last_page and ln.text.endswith(f"{printed}印发"))
    assert BLOCK_BOTTOM - 12 < footer.bottom <= BLOCK_BOTTOM + TOLERANCE, footer


def test_evaluation_notice_follows_gbt_9704(app, county, mediator_round):  # noqa: F811
    """考评结果通知书: page, fonts, 版心, 22 × 28 grid, masthead, seal, 版记 with 抄送 to the committee."""
    scoring.finalise(db.session, mediator_round, county.users["evaluator"])
    county.root.seal_png = draw_demo_seal(county.root.name)
    with app.test_request_context():
        result = assessment_documents.evaluation_report(
            top(mediator_round), serial="K7QM-3XD2-PW9A-H4TC", original=None
        )
    keep(result.pdf, "evaluation")
    body = check_page_geometry(result.pdf)
    check_body_grid(body, full_lines=False)  # its sentences are full of figures
    day = next(ln.text for ln in body if ln.text.startswith("20") and ln.text.endswith("日"))
    check_masthead_and_seal(result.pdf, body, "清河县司法局", day)
    check_banji(body, day)
    text = "".join(ln.text for ln in body)
    assert "抄送：马集镇人民调解委员会。" in text and "考评结果通知书" in text
    # The round's 发文字号, given at 定稿, centred two lines under the masthead.
    number = next(ln for ln in body if ln.text == mediator_round.number)
    head = next(ln for ln in body if ln.text == "清河县司法局")
    centre = BLOCK_LEFT + BLOCK_WIDTH / 2
    assert abs((number.left + number.right) / 2 - centre) < 0.5 and 18 < number.top - head.bottom < 26


def test_a_row_taller_than_a_page_still_prints_whole(app, county, mediator_round):  # noqa: F811
    """Rows are kept whole, but a row longer than a page is split rather than lost or pushed off it."""
    scoring.finalise(db.session, mediator_round, county.users["evaluator"])
    assessment = top(mediator_round)
    result = assessment.results[0]
    result.explanation = "依据" + "调解卷宗逐件核对，" * 120 + "核对完毕"
    with app.test_request_context():
        rendered = assessment_documents.evaluation_report(assessment, serial=None, original=None)
    keep(rendered.pdf, "long_row")
    body = check_page_geometry(rendered.pdf)
    text = "".join(ln.text for ln in body)
    # Count one character of the phrase: a page break (and the repeated header) may cut the phrase itself.
    assert text.count("逐") == 120 and "核对完毕" in text


def test_review_decision_follows_gbt_9704(app, county, review):  # noqa: F811
    """责任倒查决定书: the same measures, the number two lines under the masthead, no needless 抄送."""
    county.root.seal_png = draw_demo_seal(county.root.name)
    with app.test_request_context():
        result = review_documents.review_decision(review, serial="K7QM-3XD2-PW9A-H4TC", original=None)
    keep(result.pdf, "review_decision")
    body = check_page_geometry(result.pdf)
    check_body_grid(body)
    check_masthead_and_seal(result.pdf, body, "清河县司法局", "2026年3月10日")
    check_banji(body, "2026年3月10日")
    number = next(ln for ln in body if ln.text == "QH司倒查〔2026〕1号")
    head = next(ln for ln in body if ln.text == "清河县司法局")
    centre = BLOCK_LEFT + BLOCK_WIDTH / 2  # the 版心's, not the page's
    assert abs((number.left + number.right) / 2 - centre) < 0.5 and 18 < number.top - head.bottom < 26
    # The parties' superiors are the issuer itself and a party (马集镇人民调解委员会): nothing to copy to.
    assert not any("抄送" in ln.text for ln in body)


def test_circular_and_its_annex_follow_gbt_9704(app, county):
    """情况通报: two-line masthead, a title in balanced lines, the annex on its own page, 版记 last."""
    ledger = analysis_ledger.build(county)
    county.root.seal_png = draw_demo_seal(county.root.name)
    db.session.commit()
    period = Period(2025, 10)
    with app.test_request_context():
        report = analysis.build_report(db.session, county.root, period, date(2026, 1, 5))
        result = analysis_documents.circular(
            report, number="QH矛调通〔2026〕1号", serial="K7QM-3XD2-PW9A-H4TC", original=None
        )
    keep(result.pdf, "circular")
    body = check_page_geometry(result.pdf)
    assert result.pages >= 2
    annex = next(ln for ln in body if ln.text == "附件")
    assert annex.page > 0 and abs(annex.top - BLOCK_TOP) < 2 and abs(annex.left - BLOCK_LEFT) < 1
    assert ledger["c3"].number in "".join(ln.text for ln in body if ln.page >= annex.page)
    wanted = title_lines(analysis_documents.circular_title(report))
    assert len(wanted) == 2 and [ln.text for ln in body if ln.page == 0 and ln.text in wanted] == wanted
    assert "抄送" not in "".join(ln.text for ln in body)  # the county has no body above it


def test_fonts_cover_the_documents_and_the_health_check_names_a_missing_one(monkeypatch, caplog):
    """The 仿宋 stand-in draws 〇, 〔〕 and the documents' words; a missing family is reported at start."""
    wenkai = [(path, index) for path, index in font_files() if "LXGWWenKai" in path]
    assert wenkai, "LXGW WenKai (fonts-lxgw-wenkai) is not installed"
    for path, index in wenkai:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            cmap = font.getBestCmap()
        text = "〇〔〕清河县司法局考评结果通知书责任倒查决定书抄送印发禤赟堃燊，。、：；“”（）《》—"
        assert [ch for ch in text if ord(ch) not in cmap] == []
    monkeypatch.setattr(fonts, "cjk_families", lambda: {fonts.SERIF, fonts.SANS})
    with caplog.at_level(logging.WARNING):
        warnings = fonts.check(logging.getLogger("test"))
    assert any("LXGW WenKai" in w and "fonts-lxgw-wenkai" in w for w in warnings), warnings


def test_titles_break_after_words_and_cc_names_the_bodies_above(county):
    """Long titles break into balanced lines after a word; 抄送 skips the issuer and the addressees."""
    assert title_lines("责任倒查决定书") == ["责任倒查决定书"]
    assert title_lines("关于马集镇土地纠纷引发越级上访事件的责任倒查决定") == [
        "关于马集镇土地纠纷引发越级上访事件的",
        "责任倒查决定",
    ]
    long_title = "关于清河县2025年度人民调解员绩效考评结果的通报"
    assert all(not line.startswith("度") for line in title_lines(long_title))
    assert superiors(county.root, [county.root, county.mj, None, county.mj]) == [county.mj.name]
    assert superiors(county.root, [county.mj], [county.mj.name]) == []


def test_demo_seals_are_marked_and_valid(county):
    """The drawn seals pass the upload check, are red on transparent, and only issuing bodies get one."""
    png = draw_demo_seal("马集镇人民调解委员会")
    assert check_seal(png) == []  # transparent: no advice
    sealed = seal_demo_orgs([county.root, county.mj, county.mj_village])
    assert sealed == 2 and county.root.seal_png and county.mj.seal_png and county.mj_village.seal_png is None
    assert Decimal(len(png)) < 200 * 1024
