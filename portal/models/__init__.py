"""Models, one module per aggregate; importing this package registers them all with the metadata."""

from portal.models.audit import AuditAction, AuditEvent
from portal.models.auth import Role, User
from portal.models.base import Base, LabeledEnum
from portal.models.case import DisputeType
from portal.models.org import Industry, Organization, OrgKind, OrgLevel, OrgStatus
from portal.models.people import Expert, Gender, Mediator, MediatorStatus, Training

__all__ = [
    "AuditAction",
    "AuditEvent",
    "Base",
    "DisputeType",
    "Expert",
    "Gender",
    "Industry",
    "LabeledEnum",
    "Mediator",
    "MediatorStatus",
    "OrgKind",
    "OrgLevel",
    "OrgStatus",
    "Organization",
    "Role",
    "Training",
    "User",
]
