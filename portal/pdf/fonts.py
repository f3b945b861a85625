"""Fonts and subsetting for documents: CJK fonts from OS packages, HarfBuzz for speed.

The fonts are dependencies, installed by `make install` (scripts/system-deps.sh) from Debian's archive and
found by WeasyPrint through fontconfig; nothing is copied into the repository or fetched at run time.

GB/T 9704-2012 sets 公文 in 仿宋 (body), 小标宋 (titles), 黑体 and 楷体 (headings). None of those is free, and
no open 仿宋 with Simplified Chinese coverage is packaged (Debian's cwTeX 仿宋 draws Traditional characters
only, and PyPI carries no Chinese text fonts): the 公文 use the closest open faces that are.
"""

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
#: The 仿宋 stand-in of 公文 body text (and 楷体 headings, bold): 霞鹜文楷 LXGW WenKai, a 楷 of GB 18030
#: coverage under the SIL Open Font License, Debian's fonts-lxgw-wenkai. 小标宋 is Noto Serif CJK SC bold,
#: 黑体 Noto Sans CJK SC.
FANGSONG = "LXGW WenKai"
#: Debian package of each family, for the health check's advice.
PACKAGES = {SERIF: "fonts-noto-cjk", SANS: "fonts-noto-cjk", FANGSONG: "fonts-lxgw-wenkai"}


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
    families = cjk_families()
    if SERIF not in families:
        warnings.append(
            f"font {SERIF!r} not found: Chinese documents cannot be typeset (install fonts-noto-cjk)"
        )
    if FANGSONG not in families:
        warnings.append(
            f"font {FANGSONG!r} not found: 公文 (考评结果通知书, 责任倒查决定书, 情况通报) fall back to "
            f"{SERIF!r} for their 仿宋 body text (install {PACKAGES[FANGSONG]})"
        )
    for message in warnings:
        logger.warning(message)
    return warnings
