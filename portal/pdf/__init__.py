"""Official documents as PDF (WeasyPrint): a template, the sandboxed fetcher and the print stylesheet.

One function per document kind lives in `portal/pdf/documents.py`; they all come through `render`.
"""

from __future__ import annotations

import base64
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

from portal.pdf.fetcher import PortalFetcher

PRINT_CSS = "pdf/print.css"


@dataclass
class Rendered:
    """A rendered document: the PDF bytes, its page count and every URL the renderer asked for."""

    pdf: bytes
    pages: int
    requested: list[str]
    #: The laid-out document, set only inside `layout_only()` (then `pdf` is empty).
    document: Any = None


# Per thread (Pango's font map is not thread-safe; print jobs render on a background thread): the font
# configuration, and the print stylesheet parsed once, re-read only when the file changes. Parsing it
# and setting up fonts took a quarter of a certificate's render time.
_cache = threading.local()
_layout_only: ContextVar[bool] = ContextVar("pdf_layout_only", default=False)


@contextmanager
def layout_only() -> Iterator[None]:
    """Within the block `render` lays documents out without writing them (`Rendered.document`).

    Batch jobs lay out chunks for progress and write them once with `join_pdf`: one font subset and
    one file, instead of a subset per chunk.
    """
    token = _layout_only.set(True)
    try:
        yield
    finally:
        _layout_only.reset(token)


def join_pdf(documents: list[Any]) -> tuple[bytes, int]:
    """Write the pages of several laid-out documents as one PDF; return it and its page count."""
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf(), len(pages)


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


def render(template: str, **context: Any) -> Rendered:
    """Render `templates/pdf/<template>` to PDF; Jinja escapes user text, resources come only from the app.

    The print stylesheet is applied here (parsed once per thread), not linked from the template.
    """
    html = render_template(f"pdf/{template}", **context)
    static_folder = current_app.static_folder or "static"
    stylesheet, fonts = _print_stylesheet(static_folder)
    fetcher = PortalFetcher(static_folder)
    document = HTML(string=html, base_url="portal:static/", url_fetcher=fetcher).render(
        stylesheets=[stylesheet], font_config=fonts
    )
    if _layout_only.get():
        return Rendered(
            pdf=b"", pages=len(document.pages), requested=list(fetcher.requested), document=document
        )
    pdf = document.write_pdf()
    return Rendered(pdf=pdf, pages=len(document.pages), requested=list(fetcher.requested))


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
