"""What the 公文 macros (templates/pdf/_gongwen.html, GB/T 9704-2012) print besides the record itself.

The title is broken into centred lines the way the standard asks (§7.3.1: words kept whole, the lines
symmetric, 梯形 or 菱形), and the 版记's 抄送 names the bodies over the addressees, so that a notice to a
mediator is copied to the mediator's committee and one to a committee to the body above it.
"""

from __future__ import annotations

from collections.abc import Iterable

from portal.models.org import Organization

#: A 2号 (22 pt) title line holds 20 characters in the 156 mm text block; the standard wants long titles
#: in several balanced lines, so lines stay at most this long.
TITLE_LINE = 18
#: Characters a title line may end with (a word ends there): 关于…的, 年, 月, 和/及/与, 、.
_BREAK_AFTER = set("的于年月和及与、")
#: Characters that continue the word before them (年度, 月份): no line starts with them.
_NO_BREAK_BEFORE = set("度份底")


def _width(text: str) -> float:
    """Return a text's width in characters: half-width digits and letters count half."""
    return sum(0.5 if ord(ch) < 0x2000 else 1.0 for ch in text)


def title_lines(text: str, width: int = TITLE_LINE) -> list[str]:
    """Return a title as centred lines at most `width` characters wide, broken after a word.

    A title that fits stays one line. A longer one is cut where a word ends (after 的, 于, 年, 月, …),
    as close to even as possible, the upper line preferably not the longer (梯形); with no such place
    it is cut evenly.
    """
    text = text.strip()
    total = _width(text)
    if total <= width:
        return [text]
    count = -(-int(total * 2) // (width * 2))
    target = total / count
    cuts = [
        i + 1 for i, ch in enumerate(text[:-1]) if ch in _BREAK_AFTER and text[i + 1] not in _NO_BREAK_BEFORE
    ]
    usable = [c for c in cuts if _width(text[:c]) <= width and _width(text[c:]) <= width * (count - 1)]
    if usable:
        cut = min(usable, key=lambda c: (abs(_width(text[:c]) - target), _width(text[:c]) > target))
    else:
        cut = next(i for i in range(1, len(text)) if _width(text[:i]) >= target)
    return [text[:cut], *title_lines(text[cut:], width)]


def superiors(
    issuer: Organization, over: Iterable[Organization | None], addressees: Iterable[str] = ()
) -> list[str]:
    """Return the names for 抄送: the bodies `over` the addressees, each once, in order.

    `over` holds, for each addressee, the organisation above it: a mediator's committee, an
    organisation's parent. The issuer itself, bodies already addressed (主送) and gaps are left out.
    """
    skip = set(addressees)
    names: dict[str, None] = {}
    for org in over:
        if org is not None and org.id != issuer.id and org.name not in skip:
            names.setdefault(org.name, None)
    return list(names)
