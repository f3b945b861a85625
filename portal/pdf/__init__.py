"""Official documents as PDF (WeasyPrint): a template, the sandboxed fetcher and the print stylesheet.

One function per document kind lives in `portal/pdf/documents.py`; they all come through `render`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from typing import Any

import segno
from flask import current_app, render_template, url_for
from weasyprint import HTML

from portal.pdf.fetcher import PortalFetcher


@dataclass
class Rendered:
    """A rendered document: the PDF bytes, its page count and every URL the renderer asked for."""

    pdf: bytes
    pages: int
    requested: list[str]


def render(template: str, **context: Any) -> Rendered:
    """Render `templates/pdf/<template>` to PDF; Jinja escapes user text, resources come only from the app."""
    html = render_template(f"pdf/{template}", **context)
    fetcher = PortalFetcher(current_app.static_folder or "static")
    document = HTML(string=html, base_url="portal:static/", url_fetcher=fetcher).render()
    pdf = document.write_pdf()
    return Rendered(pdf=pdf, pages=len(document.pages), requested=list(fetcher.requested))


def qr_data_url(serial: str) -> str:
    """Return a QR code of the verification page for `serial`, drawn locally, as an SVG data URL."""
    target = url_for("verify.verify", serial=serial, _external=True)
    return segno.make(target, error="m").svg_data_uri(scale=4, border=1)


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
