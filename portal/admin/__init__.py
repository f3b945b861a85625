"""Flask-Admin setup: one `Admin` per app, the dashboard and the register views."""

from __future__ import annotations

import os

from flask import Flask
from flask_admin import Admin
from flask_admin import babel as flask_admin_babel
from flask_admin.theme import Bootstrap4Theme

from portal.admin.analysis import AnalysisView, DisputeTableView
from portal.admin.assessment.reviews import ReviewView, case_reviews
from portal.admin.assessment.rewards import (
    RecognitionCriteriaView,
    RecognitionView,
    SubsidyPolicyView,
    SubsidyView,
)
from portal.admin.assessment.rounds import AssessmentRoundView, AssessmentTemplateView
from portal.admin.assessment.subsidy_claims import SubsidyClaimView
from portal.admin.dashboard import DashboardView
from portal.admin.documents.issued import IssuedDocumentView
from portal.admin.documents.print_jobs import PrintJobView
from portal.admin.imports.views import ImportView
from portal.admin.library import ExcellentCaseView, LibraryView, case_library_block
from portal.admin.ledger.cases import CaseView, CaseWarningView, MyCaseView
from portal.admin.ledger.zero_reports import ZeroReportView
from portal.admin.registers.orgs import OrganizationView
from portal.admin.registers.people import ExpertView, MediatorView
from portal.admin.screening.assignments import AssignmentView
from portal.admin.screening.common import CATEGORY as SCREENING
from portal.admin.screening.meetings import MeetingView
from portal.admin.screening.plans import ScreeningPlanView
from portal.admin.screening.records import ScreeningRecordView
from portal.admin.system.dictionary import DisputeTypeView
from portal.admin.system.formdefs import FormDefinitionView
from portal.admin.system.formdesign import FormDesignView
from portal.admin.system.logs import AuditEventView, SignInEventView, install_labels
from portal.admin.system.users import UserView
from portal.models import (
    AssessmentRound,
    AssessmentTemplate,
    Assignment,
    AuditEvent,
    Case,
    DisputeType,
    ExcellentCase,
    Expert,
    FormDefinition,
    IssuedDocument,
    Mediator,
    Meeting,
    Organization,
    PrintJob,
    Recognition,
    RecognitionCriteria,
    ScreeningPlan,
    ScreeningRecord,
    SignInEvent,
    SubsidyPolicy,
    User,
    ZeroReport,
)
from portal.models.review import AccountabilityReview
from portal.models.subsidy import SubsidyClaim

LEDGER = "矛盾纠纷"
REGISTERS = "组织与人员"
SYSTEM = "系统管理"
ASSESSMENT = "考核评价"
ANALYSIS = "分析研判"
LIBRARY = "优秀案例"


TRANSLATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "translations")


def use_admin_catalogue() -> None:
    """Serve Flask-Admin's strings from our catalogue instead of the one it ships.

    Ours is Flask-Admin's .po, completed (its shipped .mo lags the .po) and reworded for offices.
    `Admin(translations_path=...)` cannot do this: Flask-Babel merges catalogues in order and the
    shipped one, merged last, would win; so the domain is pointed at ours alone.
    """
    flask_admin_babel.domain._translation_directories = [TRANSLATIONS]
    flask_admin_babel.domain.cache.clear()


def init_admin(app: Flask) -> Admin:
    """Build the admin for this app (a new one per `create_app`, so tests do not share views)."""
    use_admin_catalogue()
    admin = Admin(
        name="大调解综合管理平台",
        theme=Bootstrap4Theme(base_template="admin/portal_base.html", fluid=True),
        index_view=DashboardView(name="工作台", url="/admin", menu_icon_type="fa", menu_icon_value="fa-home"),
    )
    admin.add_view(CaseView(Case, name="纠纷台账", endpoint="cases", category=LEDGER))
    admin.add_view(MyCaseView(Case, name="我的待办", endpoint="my_cases", category=LEDGER))
    admin.add_view(CaseWarningView(Case, name="超期预警", endpoint="case_warnings", category=LEDGER))
    admin.add_view(ZeroReportView(ZeroReport, name="零报告", endpoint="zero_reports", category=LEDGER))
    admin.add_view(LibraryView(ExcellentCase, name="优秀案例库", endpoint="case_library", category=LIBRARY))
    admin.add_view(
        ExcellentCaseView(ExcellentCase, name="案例推荐审核", endpoint="excellent_cases", category=LIBRARY)
    )
    admin.add_view(AnalysisView(name="分析研判报告", endpoint="analysis", category=ANALYSIS))
    admin.add_view(DisputeTableView(name="纠纷分类统计表", endpoint="dispute_table", category=ANALYSIS))
    admin.add_view(
        ScreeningPlanView(ScreeningPlan, name="排查计划", endpoint="screening_plans", category=SCREENING)
    )
    admin.add_view(
        ScreeningRecordView(
            ScreeningRecord, name="排查记录", endpoint="screening_records", category=SCREENING
        )
    )
    admin.add_view(MeetingView(Meeting, name="研判会议", endpoint="meetings", category=SCREENING))
    admin.add_view(AssignmentView(Assignment, name="交办督办", endpoint="assignments", category=SCREENING))
    admin.add_view(
        OrganizationView(Organization, name="调解组织", endpoint="organizations", category=REGISTERS)
    )
    admin.add_view(MediatorView(Mediator, name="调解员名册", endpoint="mediators", category=REGISTERS))
    admin.add_view(ExpertView(Expert, name="特邀专家库", endpoint="experts", category=REGISTERS))
    admin.add_view(
        AssessmentRoundView(
            AssessmentRound, name="考评批次", endpoint="assessment_rounds", category=ASSESSMENT
        )
    )
    admin.add_view(
        AssessmentTemplateView(
            AssessmentTemplate, name="考评方案", endpoint="assessment_templates", category=ASSESSMENT
        )
    )
    admin.add_view(SubsidyView(name="以案定补", endpoint="subsidies", category=ASSESSMENT))
    admin.add_view(
        SubsidyClaimView(SubsidyClaim, name="以案定补申报", endpoint="subsidy_claims", category=ASSESSMENT)
    )
    admin.add_view(
        SubsidyPolicyView(SubsidyPolicy, name="以案定补标准", endpoint="subsidy_policy", category=ASSESSMENT)
    )
    admin.add_view(
        RecognitionView(Recognition, name="调解能手", endpoint="recognitions", category=ASSESSMENT)
    )
    admin.add_view(
        RecognitionCriteriaView(
            RecognitionCriteria, name="调解能手评选条件", endpoint="recognition_criteria", category=ASSESSMENT
        )
    )
    admin.add_view(ReviewView(AccountabilityReview, name="责任倒查", endpoint="reviews", category=ASSESSMENT))
    admin.add_view(DisputeTypeView(DisputeType, name="纠纷类型", endpoint="dispute_types", category=SYSTEM))
    admin.add_view(FormDesignView(name="表单设计", endpoint="form_design", category=SYSTEM))
    admin.add_view(
        FormDefinitionView(FormDefinition, name="自定义表单", endpoint="form_definitions", category=SYSTEM)
    )
    admin.add_view(UserView(User, name="用户管理", endpoint="users", category=SYSTEM))
    admin.add_view(
        IssuedDocumentView(IssuedDocument, name="文书出具记录", endpoint="issued_documents", category=SYSTEM)
    )
    admin.add_view(PrintJobView(PrintJob, name="批量打印", endpoint="print_jobs", category=SYSTEM))
    admin.add_view(AuditEventView(AuditEvent, name="审计日志", endpoint="audit", category=SYSTEM))
    admin.add_view(SignInEventView(SignInEvent, name="登录日志", endpoint="sign_ins", category=SYSTEM))
    admin.add_view(
        ImportView(name="数据导入", endpoint="imports", menu_icon_type="fa", menu_icon_value="fa-upload")
    )
    admin.init_app(app)
    install_labels(app, admin._views)
    # The case page lists the reviews linking the case (templates/admin/reviews/_case_reviews.html).
    app.add_template_global(case_reviews)
    # The case page lists the case's excellent-case proposals (templates/admin/library/_case_library.html).
    app.add_template_global(case_library_block)
    return admin
