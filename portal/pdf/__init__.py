"""Official documents as PDF (WeasyPrint): a template, the sandboxed fetcher and the print stylesheet.

One module per document family (`case_documents`, `assessment_documents`, `review_documents`,
`certificates`); they all come through `render`. Batch jobs lay documents out with `layout`, on worker
processes where configured (`portal.pdf.pool`).
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import segno
from flask import current_app, render_template, url_for
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from portal.pdf.fetcher import INLINE, PortalFetcher

PRINT_CSS = "pdf/print.css"


@dataclass
class Source:
    """A document's markup, ready for WeasyPrint: the HTML and the images lifted out of it."""

    html: str
    images: dict[str, tuple[bytes, str]]


@dataclass
class Rendered:
    """A rendered document: the PDF bytes, its page count and every URL the renderer asked for."""

    pdf: bytes
    pages: int
    requested: list[str]
    #: The markup, set only inside `markup_only()` (then nothing is laid out: `pdf` is empty).
    source: Source | None = None


# Per thread (Pango's font map is not thread-safe; print jobs render on a background thread): the font
# configuration, and the print stylesheet parsed once, re-read only when the file changes. Parsing it
# and setting up fonts took a quarter of a certificate's render time.
_cache = threading.local()
_markup_only: ContextVar[bool] = ContextVar("pdf_markup_only", default=False)
#: An image a template inlined: `src="data:image/png;base64,…"` (a seal, a QR code).
_INLINE_IMAGE = re.compile(r'src="data:(image/[a-z+.-]+);base64,([A-Za-z0-9+/=]+)"')


@contextmanager
def markup_only() -> Iterator[None]:
    """Within the block `render` returns the document's markup (`Rendered.source`) and lays nothing out.

    Batch jobs (`pdf.jobs`) build the markup of each chunk here, in the app, then lay the
    chunks out with `layout` (here or on worker processes, `portal.pdf.pool`) and write them as one file.
    """
    token = _markup_only.set(True)
    try:
        yield
    finally:
        _markup_only.reset(token)


def lift_inline_images(html: str) -> Source:
    """Take the images a template inlined as `data:` URLs out of the markup.

    The HTML parser is pure Python and reads a 30 KB seal character by character, on every page of a
    batch: a tenth of a certificate's time. The images become `portal:inline/<sha256>`, named by content,
    so a seal printed on 200 pages is also embedded in the PDF once (WeasyPrint keys images by URL).
    """
    images: dict[str, tuple[bytes, str]] = {}

    def lift(match: re.Match[str]) -> str:
        url = INLINE + hashlib.sha256(match[2].encode()).hexdigest()
        if url not in images:
            images[url] = (base64.b64decode(match[2]), match[1])
        return f'src="{url}"'

    return Source(_INLINE_IMAGE.sub(lift, html), images)


def _print_stylesheet(static_folder: str) -> tuple[CSS, FontConfiguration]:
    """Return the parsed print stylesheet and this thread's font configuration."""
    path = Path(static_folder) / PRINT_CSS
    key = (str(path), path.stat().st_mtime_ns)
    if getattr(_cache, "key", None) != key:
        _cache.fonts = getattr(_cache, "fonts", None) or FontConfiguration()
        fetcher = PortalFetcher(static_folder)
        _cache.css = CSS(url=f"portal:static/{PRINT_CSS}", url_fetcher=fetcher, font_config=_cache.fonts)
        _cache.key = key
    return _cache.css, _cache.fonts


def warm(static_folder: str) -> None:
    """Parse the print stylesheet and set up fonts for this thread now (a worker process starting)."""
    _print_stylesheet(static_folder)


def layout(source: Source, static_folder: str, images: dict[str, Any] | None = None) -> tuple[Any, list[str]]:
    """Lay `source` out with the print stylesheet; return the WeasyPrint document and the URLs it asked for.

    Needs no Flask context (worker processes call it). `images` is WeasyPrint's image cache, shared by
    the chunks of a batch so the seal is decoded once.
    """
    stylesheet, fonts = _print_stylesheet(static_folder)
    fetcher = PortalFetcher(static_folder, source.images)
    document = HTML(string=source.html, base_url="portal:static/", url_fetcher=fetcher).render(
        stylesheets=[stylesheet], font_config=fonts, cache=images
    )
    return document, fetcher.requested


def join_pdf(documents: list[Any]) -> tuple[bytes, int]:
    """Write the pages of several laid-out documents as one PDF; return it and its page count.

    One file, one font subset for all of them (writing chunk by chunk would embed a subset per chunk).
    """
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf(), len(pages)


def render(template: str, **context: Any) -> Rendered:
    """Render `templates/pdf/<template>` to PDF; Jinja escapes user text, resources come only from the app.

    The print stylesheet is applied here (parsed once per thread), not linked from the template.
    """
    source = lift_inline_images(render_template(f"pdf/{template}", **context))
    if _markup_only.get():
        return Rendered(pdf=b"", pages=0, requested=[], source=source)
    document, requested = layout(source, current_app.static_folder or "static")
    return Rendered(pdf=document.write_pdf(), pages=len(document.pages), requested=list(requested))


def qr_data_url(serial: str) -> str:
    """Return a QR code of the verification page for `serial`, drawn locally, as a PNG data URL.

    One pixel per module (≈400 bytes), printed sharp because print.css sets `image-rendering: pixelated`
    on QR images: WeasyPrint draws an SVG QR path by path, which cost ~20 ms a page in batches. The mask
    is fixed (any of the eight decodes alike; choosing the "best" one tripled the encoding time).
    """
    target = url_for("verify.verify", serial=serial, _external=True)
    return segno.make(target, error="m", mask=0).png_data_uri(scale=1, border=1)


def seal_data_url(png: bytes | None) -> str | None:
    """Return an organisation's seal image as a data URL (None when it has none)."""
    return "data:image/png;base64," + base64.b64encode(png).decode() if png else None


CHINESE_DIGITS = "〇一二三四五六七八九"


def chinese_date(day: date) -> str:
    """Return a date the way certificates print it: 二〇二六年十一月二十四日."""

    def number(n: int) -> str:
        if n < 10:
            return CHINESE_DIGITS[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else CHINESE_DIGITS[tens]) + "十" + (CHINESE_DIGITS[ones] if ones else "")

    return (
        "".join(CHINESE_DIGITS[int(d)] for d in str(day.year)) + f"年{number(day.month)}月{number(day.day)}日"
    )


def arabic_date(day: date) -> str:
    """Return 成文日期 as GB/T 9704-2012 wants it: 2026年11月24日 (Arabic numerals)."""
    return f"{day.year}年{day.month}月{day.day}日"
