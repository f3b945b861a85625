"""Organisation seals (公章) for documents: what an uploaded image must be, and the demo county's seals.

The demo seals are drawn here (Pillow): a red ring, the five-pointed star, the organisation's name along
the upper arc and 演示专用 / DEMO across the lower half, so that nobody takes a demo document for a real
one. An organisation's real seal is uploaded as a scan (`check_seal`).
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import warnings
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from portal.services import DomainError

MAX_BYTES = 512 * 1024
#: Enough for a 42 mm seal at 300 dpi is ~500 px; below 200 px it prints blurred.
MIN_SIDE, MAX_SIDE = 200, 3000


def check_seal(data: bytes) -> list[str]:
    """Refuse anything but a squarish PNG of at most 512 KB; return advice (e.g. no transparency)."""
    if len(data) > MAX_BYTES:
        raise DomainError(f"公章图片不能超过 {MAX_BYTES // 1024} KB")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise DomainError("公章图片须为 PNG 格式")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()  # checks the chunks' CRCs without decoding the pixels
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height), mode = image.format, image.size, image.mode
                has_alpha = mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise DomainError("公章图片无法读取，请上传有效的 PNG 图片") from None
    if kind != "PNG":
        raise DomainError("公章图片须为 PNG 格式")
    if not (MIN_SIDE <= min(width, height) and max(width, height) <= MAX_SIDE):
        raise DomainError(f"公章图片边长应在 {MIN_SIDE}–{MAX_SIDE} 像素之间（当前 {width}×{height}）")
    if max(width, height) > 1.2 * min(width, height):
        raise DomainError(f"公章图片应接近正方形（当前 {width}×{height}），请裁去多余的边")
    return [] if has_alpha else ["公章图片没有透明背景，打印时会遮住下方的文字，建议上传透明背景的 PNG"]


#: The red of the drawn seals (印泥), slightly transparent so that the text under it stays legible.
SEAL_RED = (214, 24, 30, 230)
#: The face the demo seals are lettered in (fontconfig pattern; fonts-noto-cjk).
SEAL_FONT = "Noto Sans CJK SC:bold"
#: What every drawn seal says across its lower half: it is not a real one.
DEMO_MARK, DEMO_LATIN = "演示专用", "DEMO"


@cache
def _font_file() -> tuple[str, int]:
    """Return the file and face index of SEAL_FONT, as fontconfig resolves it."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        raise DomainError(
            "未找到字体配置工具 fc-match，无法绘制演示公章（请安装 fontconfig 和 fonts-noto-cjk）"
        )
    result = subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [fc_match, "-f", "%{file}\t%{index}", SEAL_FONT],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    path, _, index = result.stdout.partition("\t")
    if not path:
        raise DomainError("未找到中文字体，无法绘制演示公章（请安装 fonts-noto-cjk）")
    return path, int(index or 0)


def _font(size: int) -> ImageFont.FreeTypeFont:
    path, index = _font_file()
    return ImageFont.truetype(path, size, index=index)


def draw_demo_seal(name: str, size: int = 480) -> bytes:
    """Return a round red 公章 for `name` as a transparent PNG, marked 演示专用 and DEMO inside.

    Drawn like a real seal: a thick ring, a star in the centre, the name clockwise along the upper arc
    (wider for longer names, at most 250°), the mark across under the star. It passes `check_seal`.
    """
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre, ring = size / 2, max(2, round(size * 0.03))
    draw.ellipse((ring, ring, size - ring, size - ring), outline=SEAL_RED, width=ring)
    outer, inner = size * 0.17, size * 0.065
    star = [
        (
            centre + (outer if i % 2 == 0 else inner) * math.sin(math.pi * i / 5),
            centre - (outer if i % 2 == 0 else inner) * math.cos(math.pi * i / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=SEAL_RED)
    name = name.strip()[:24] or "演示单位"
    span = min(250.0, 19.0 * len(name) + 20.0)
    glyph_size = round(size * min(0.13, 0.95 * math.radians(span / len(name)) * 0.36))
    font = _font(glyph_size)
    box = round(glyph_size * 1.3)
    radius = size / 2 - ring * 2 - glyph_size * 0.62
    for i, ch in enumerate(name):
        angle = -span / 2 + span * (i + 0.5) / len(name)
        glyph = Image.new("RGBA", (box, box), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((box / 2, box / 2), ch, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.sin(math.radians(angle)) - box / 2
        y = centre - radius * math.cos(math.radians(angle)) - box / 2
        image.alpha_composite(glyph, (round(x), round(y)))
    draw.text(
        (centre, centre + size * 0.235),
        DEMO_MARK,
        font=_font(round(size * 0.085)),
        fill=SEAL_RED,
        anchor="mm",
    )
    draw.text(
        (centre, centre + size * 0.34), DEMO_LATIN, font=_font(round(size * 0.06)), fill=SEAL_RED, anchor="mm"
    )
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
