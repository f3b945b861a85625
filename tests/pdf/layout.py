"""Measuring a rendered PDF: text lines with their boxes (poppler's pdftotext), images, embedded fonts.

Lengths are in millimetres from the top-left corner of the page, as GB/T 9704 gives them.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject

MM = 72 / 25.4  # points per millimetre
#: A4 and the text block (版心) of GB/T 9704-2012: 天头 37 mm, 订口 28 mm, 156 × 225 mm.
PAGE = (210.0, 297.0)
BLOCK_LEFT, BLOCK_TOP, BLOCK_WIDTH, BLOCK_HEIGHT = 28.0, 37.0, 156.0, 225.0
BLOCK_RIGHT, BLOCK_BOTTOM = BLOCK_LEFT + BLOCK_WIDTH, BLOCK_TOP + BLOCK_HEIGHT


@dataclass
class Line:
    """A line of text as poppler finds it: page (0-based), box in mm, text."""

    page: int
    left: float
    top: float
    right: float
    bottom: float
    text: str

    @property
    def width(self) -> float:
        return self.right - self.left


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_LINE = re.compile(
    r'<line xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</line>', re.S
)
_WORD = re.compile(r"<word[^>]*>(.*?)</word>", re.S)


def lines(pdf: bytes) -> tuple[list[tuple[float, float]], list[Line]]:
    """Return each page's size (mm) and every text line with its box (pdftotext -bbox-layout)."""
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed to measure documents"
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        out = subprocess.run(  # noqa: S603 - fixed program, our own temporary file
            [pdftotext, "-bbox-layout", str(source), "-"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    sizes, found = [], []
    for number, (width, height, body) in enumerate(_PAGE.findall(out)):
        sizes.append((float(width) / MM, float(height) / MM))
        for x0, y0, x1, y1, words in _LINE.findall(body):
            text = "".join(unescape(w) for w in _WORD.findall(words))
            found.append(Line(number, *(float(v) / MM for v in (x0, y0, x1, y1)), text))
    return sizes, found


def _multiply(a: list[float], b: list[float]) -> list[float]:
    """Return the PDF matrix product a × b (each [a b c d e f])."""
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def images(pdf: bytes) -> list[tuple[int, float, float, float, float]]:
    """Return every image drawn: (page, left, top, right, bottom) in mm, following form XObjects."""
    reader = PdfReader(io.BytesIO(pdf))
    found: list[tuple[int, float, float, float, float]] = []

    def walk(page_no: int, stream: ContentStream, resources: DictionaryObject, ctm: list[float]) -> None:
        stack: list[list[float]] = []
        xobjects = (resources or {}).get("/XObject") or {}
        for operands, operator in stream.operations:
            if operator == b"q":
                stack.append(ctm)
            elif operator == b"Q":
                ctm = stack.pop()
            elif operator == b"cm":
                ctm = _multiply([float(v) for v in operands], ctm)
            elif operator == b"Do":
                xobject = xobjects[operands[0]].get_object()
                if xobject["/Subtype"] == "/Image":
                    xs, ys = (ctm[4], ctm[0] + ctm[4]), (ctm[5], ctm[3] + ctm[5])
                    height = reader.pages[page_no].mediabox.height
                    found.append(
                        (
                            page_no,
                            min(xs) / MM,
                            (height - max(ys)) / MM,
                            max(xs) / MM,
                            (height - min(ys)) / MM,
                        )
                    )
                elif xobject["/Subtype"] == "/Form":
                    matrix = [float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                    inner = ContentStream(xobject, reader)
                    walk(page_no, inner, xobject.get("/Resources") or resources, _multiply(matrix, ctm))

    for number, page in enumerate(reader.pages):
        walk(number, ContentStream(page.get_contents(), reader), page["/Resources"], [1, 0, 0, 1, 0, 0])
    return found


def fonts(pdf: bytes) -> dict[str, bool]:
    """Return each font of the PDF (subset prefix removed) and whether its glyphs are embedded."""
    found: dict[str, bool] = {}

    def embedded(font: DictionaryObject) -> bool:
        if font.get("/Subtype") == "/Type3":
            return True  # drawn by the PDF's own procedures
        if font.get("/Subtype") == "/Type0":
            font = font["/DescendantFonts"][0].get_object()
        descriptor = (font.get("/FontDescriptor") or DictionaryObject()).get_object()
        return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            font = ref.get_object()
            name = str(font.get("/BaseFont", "")).lstrip("/").split("+", 1)[-1]
            found[name] = found.get(name, True) and embedded(font)
    return found
