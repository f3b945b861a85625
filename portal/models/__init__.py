"""Models, one module per aggregate; importing this package registers them all with the metadata."""

from portal.models.audit import AuditAction, AuditEvent
from portal.models.auth import Role, User
from portal.models.base import Base, LabeledEnum
from portal.models.case import (
    Case,
    CaseCounter,
    CaseEvent,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    Difficulty,
    Party,
    PartyKind,
    PartyRole,
    ReferralRoute,
    RiskLevel,
)
from portal.models.dictionary import DisputeType
from portal.models.formdef import FormDefinition, FormVersion
from portal.models.org import Industry, Organization, OrgKind, OrgLevel, OrgStatus
from portal.models.people import Expert, Gender, Mediator, MediatorStatus, Training
from portal.models.records import (
    Agreement,
    AgreementForm,
    FollowUp,
    FollowUpMethod,
    MediationSession,
    Performance,
    RemainingRisk,
    SessionResult,
    ZeroReport,
)

__all__ = [
    "Agreement",
    "AgreementForm",
    "AuditAction",
    "AuditEvent",
    "Base",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "CaseEventKind",
    "CaseSource",
    "CaseStatus",
    "Difficulty",
    "DisputeType",
    "Expert",
    "FollowUp",
    "FollowUpMethod",
    "FormDefinition",
    "FormVersion",
    "Gender",
    "Industry",
    "LabeledEnum",
    "MediationSession",
    "Mediator",
    "MediatorStatus",
    "OrgKind",
    "OrgLevel",
    "OrgStatus",
    "Organization",
    "Party",
    "PartyKind",
    "PartyRole",
    "Performance",
    "ReferralRoute",
    "RemainingRisk",
    "RiskLevel",
    "Role",
    "SessionResult",
    "Training",
    "User",
    "ZeroReport",
]
