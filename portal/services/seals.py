"""Organisation seals (公章) for documents: what an uploaded image must be before it is printed."""

from __future__ import annotations

import io
import warnings

from PIL import Image

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
