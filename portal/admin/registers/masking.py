"""What a register's xlsx export shows of 身份证号 and phone numbers.

Lists and details mask them for everyone (`SecureModelView.masked_columns`). The export of a register is
what an administrator keeps the roster with: it is the file the import reads back (`services/imports`),
and an import needs whole numbers. So administrators, who keep the registers and are the only role that
may import them, export whole numbers (each export is audited with its filters); every other role
exports them masked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_login import current_user

from portal.admin.base import masked
from portal.models.auth import Role

#: Roles whose register exports carry whole ID numbers and phone numbers.
UNMASKED_EXPORT_ROLES = frozenset({Role.ADMIN})


def export_masked(kind: str) -> Callable[..., str]:
    """Return an export formatter: the whole value for UNMASKED_EXPORT_ROLES, else masked like lists."""
    masker = masked(kind)

    def formatter(view: Any, context: Any, model: Any, name: str) -> str:
        if current_user.is_authenticated and current_user.has_role(*UNMASKED_EXPORT_ROLES):
            return getattr(model, name) or ""
        return masker(view, context, model, name)

    return formatter
