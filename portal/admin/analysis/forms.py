"""The 研判意见 form of a 分析研判 page."""

from __future__ import annotations

from wtforms import HiddenField, TextAreaField, validators

from portal.admin.base import PortalForm
from portal.services.analysis_notes import NOTE_FIELDS, NOTE_LIMIT


def _area(key: str) -> TextAreaField:
    return TextAreaField(
        NOTE_FIELDS[key],
        validators=[
            validators.Optional(),
            validators.Length(max=NOTE_LIMIT, message=f"不能超过{NOTE_LIMIT}字"),
        ],
        render_kw={"rows": 4},
    )


class NotesForm(PortalForm):
    """总体形势研判, 风险隐患及预警, 工作建议; `lock_version` is the version the form was shown with."""

    situation = _area("situation")
    risks = _area("risks")
    suggestions = _area("suggestions")
    lock_version = HiddenField()
