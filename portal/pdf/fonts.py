"""Fonts and subsetting for documents: CJK fonts from the OS (fonts-noto-cjk), HarfBuzz for speed."""

from __future__ import annotations

import ctypes.util
import logging
import shutil
import subprocess

log = logging.getLogger(__name__)

# The families the print stylesheet asks for, in order: Noto Serif CJK SC (宋体-like) for titles and
# body text, Noto Sans CJK SC (黑体-like) for headings and tables. Both ship with Debian/Ubuntu's
# fonts-noto-cjk under the SIL Open Font License.
SERIF = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"


def harfbuzz_subset_available() -> bool:
    """Return whether libharfbuzz-subset is present (WeasyPrint subsets CJK fonts 30–50× faster with it)."""
    return ctypes.util.find_library("harfbuzz-subset") is not None


def cjk_families() -> set[str]:
    """Return the CJK font families fontconfig knows."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return set()
    result = subprocess.run(  # noqa: S603 - fixed arguments, no user input
        [fc_list, ":lang=zh-cn", "family"], capture_output=True, text=True, timeout=10, check=False
    )
    return {name.strip() for line in result.stdout.splitlines() for name in line.split(",")}


def check(logger: logging.Logger = log) -> list[str]:
    """Log a warning for each missing piece; return the warnings (empty when all is well)."""
    warnings = []
    if not harfbuzz_subset_available():
        warnings.append(
            "libharfbuzz-subset0 is not installed: PDFs fall back to fontTools subsetting, 30–50× slower "
            "with CJK fonts (install it: apt-get install libharfbuzz-subset0)"
        )
    if SERIF not in cjk_families():
        warnings.append(
            f"font {SERIF!r} not found: Chinese documents cannot be typeset (install fonts-noto-cjk)"
        )
    for message in warnings:
        logger.warning(message)
    return warnings
