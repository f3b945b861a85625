"""优秀案例 as PDF: the published entry's anonymised write-up, for training and exchange.

Only the anonymised text is printed: no case number, no party, no link to the case. It is not an
official document (no serial, not issued); each print is recorded in the audit log by the view.
"""

from __future__ import annotations

from portal import clock
from portal.models.case_library import TEXT_FIELDS, ExcellentCase
from portal.pdf import Rendered, arabic_date, render


def paragraphs(text: str | None) -> list[str]:
    """Return a text's non-empty lines, each printed as its own paragraph."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def excellent_case(entry: ExcellentCase) -> Rendered:
    """Render the 优秀案例 of a published entry (anonymised text only)."""
    texts = entry.texts(anonymised=True)
    published = clock.as_local(entry.published_at).date() if entry.published_at else None
    return render(
        "excellent_case.html",
        entry=entry,
        title=texts["title"],
        sections=[(label, paragraphs(texts[name])) for name, label in TEXT_FIELDS[1:]],
        published_on=arabic_date(published) if published else "",
        printed_on=arabic_date(clock.today()),
        draft=False,
        reprint=None,
        serial=None,
    )
