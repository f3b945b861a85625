"""Helpers of the assessment, review and certificate document tests: a drawn seal, PDF text, samples.

`SAMPLES=1 pytest tests/pdf` writes the first page of one document of each kind to docs/samples/ as PNG,
so reviewers can look at them without running the portal.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader

from portal.pdf.coverage import font_files

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
RED = (200, 16, 16, 235)


def seal_png(name: str, size: int = 400) -> bytes:
    """Return a round red seal (公章) with the organisation's name along the rim and a star, as a PNG."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre, rim = size / 2, size * 0.035
    draw.ellipse((rim, rim, size - rim, size - rim), outline=RED, width=int(rim))
    star = [
        (
            centre + (0.19 if i % 2 == 0 else 0.075) * size * math.sin(math.pi * i / 5),
            centre - (0.19 if i % 2 == 0 else 0.075) * size * math.cos(math.pi * i / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=RED)
    path, index = font_files()[0]
    font = ImageFont.truetype(path, int(size * 0.11), index=index)
    span = min(240.0, 26.0 * len(name))
    for i, ch in enumerate(name):
        angle = -span / 2 + span * (i + 0.5) / len(name)
        glyph = Image.new("RGBA", (int(size * 0.14), int(size * 0.14)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, font=font, fill=RED, anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
        radius = size * 0.36
        x = centre + radius * math.sin(math.radians(angle)) - glyph.width / 2
        y = centre - radius * math.cos(math.radians(angle)) - glyph.height / 2
        image.alpha_composite(glyph, (int(x), int(y)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def text_of(pdf: bytes) -> str:
    """Return the text of every page as pypdf extracts it, runs of spaces made one (草  稿 → 草 稿)."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"[ \t]+", " ", text)


def fetched_only_our_own(requested: list[str]) -> bool:
    """Return whether a render asked for nothing but the print stylesheet and its own images (seal, QR)."""
    ours = ("data:", "portal:inline/", "portal:static/pdf/print.css")
    return all(u.startswith(ours) for u in requested)


def flat(pdf: bytes) -> str:
    """Return the text with all whitespace removed, so that line breaks do not split expected phrases."""
    return re.sub(r"\s+", "", text_of(pdf))


def page_size_mm(pdf: bytes, page: int = 0) -> tuple[int, int]:
    """Return a page's width and height in whole millimetres."""
    box = PdfReader(io.BytesIO(pdf)).pages[page].mediabox
    return round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)


def save_sample(pdf: bytes, name: str) -> None:
    """Write the first page as docs/samples/<name>.png when SAMPLES=1 (pdftoppm, 80 dpi)."""
    if os.environ.get("SAMPLES") != "1":
        return
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (poppler-utils) is needed to write samples"
    SAMPLES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(pdf)
        subprocess.run(  # noqa: S603 - fixed program, our own temporary file
            [
                pdftoppm,
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(source),
                str(SAMPLES / name),
            ],
            check=True,
            timeout=60,
        )
