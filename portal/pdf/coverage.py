"""Glyph coverage: which characters of a document the CJK fonts cannot draw (they would print as tofu).

WeasyPrint falls back silently, per character, to whatever font fontconfig offers, and a rare surname
character missing from every font prints as an empty box. Documents are checked against the fonts the
print stylesheet names (Noto Serif/Sans CJK SC and the 公文's LXGW WenKai, regular and bold), found the
way WeasyPrint finds them: through fontconfig.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from functools import cache

from fontTools.ttLib import TTFont
from pypdf import PdfReader

from portal.pdf.fonts import FANGSONG, SANS, SERIF

#: The faces the print stylesheet uses: the families, regular body text and bold titles/headings.
FACES = tuple(f"{family}:{style}" for family in (SERIF, SANS, FANGSONG) for style in ("regular", "bold"))


def font_files() -> list[tuple[str, int]]:
    """Return (file, face index in a .ttc) of each face fontconfig resolves the stylesheet's fonts to."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return []
    found = []
    for pattern in FACES:
        result = subprocess.run(  # noqa: S603 - fixed arguments, no user input
            [fc_match, "-f", "%{file}\t%{index}\t%{family}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        path, _, rest = result.stdout.partition("\t")
        index, _, family = rest.partition("\t")
        # fc-match always answers with *some* font; only the CJK families themselves count.
        if path and pattern.split(":")[0] in family.split(","):
            found.append((path, int(index or 0)))
    return sorted(set(found))


@cache
def covered() -> frozenset[int]:
    """Return the code points the stylesheet's CJK fonts can draw (read once per process)."""
    points: set[int] = set()
    for path, index in font_files():
        font = TTFont(path, fontNumber=index, lazy=True)
        points.update(font.getBestCmap() or {})
        font.close()
    return frozenset(points)


def pdf_text(pdf: bytes) -> str:
    """Return the text of every page of a PDF, as pypdf extracts it."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def missing_glyphs(document: bytes | str) -> set[str]:
    """Return the characters of a PDF (or of a text) that none of the CJK fonts covers."""
    text = pdf_text(document) if isinstance(document, bytes) else document
    points = covered()
    if not points:
        raise RuntimeError("no CJK font found through fontconfig (install fonts-noto-cjk)")
    return {ch for ch in set(text) if not ch.isspace() and ord(ch) not in points}


def embedded_fonts(pdf: bytes) -> set[str]:
    """Return the names of the fonts a PDF embeds, without subset prefixes (a fallback font shows here)."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            name = str(ref.get_object().get("/BaseFont", ""))
            names.add(name.lstrip("/").split("+", 1)[-1])
    return names
