"""Forms of the import page: the upload (kind and file) and the confirmation."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, validators

from portal.admin.base import PortalForm


class UploadForm(PortalForm):
    """Choose what to import and the xlsx file to check."""

    kind = SelectField("导入内容", validators=[validators.InputRequired("请选择导入内容")])
    file = FileField(
        "Excel 文件（.xlsx）",
        [FileRequired("请选择要上传的 .xlsx 文件")],
        render_kw={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )


class ConfirmForm(PortalForm):
    """Confirm the import of a file whose dry run found nothing wrong."""

    confirm = BooleanField(
        "我已核对检查结果，确认导入",
        validators=[validators.InputRequired("请先勾选“我已核对检查结果，确认导入”")],
    )


class DiscardForm(PortalForm):
    """Cancel: remove the uploaded file."""
