"""Demo dispute cases: about 5,000 cases over two years, each with the history the workflow would leave.

The workflow service (`portal.services.cases`) checks and commits one step at a time, far too slowly
for thousands of cases, so this module writes the same rows directly: each case is played through
`_History`, which records a `CaseEvent` per step exactly as the service would and stops at the first
step that would fall after `today`. What a case went through is decided up front from its age, so
old cases are mostly closed, recent ones still in hand, and a few are stuck, overdue or red-carded.
Only `faker.rng` is drawn from, so the same seed and `today` always give the same ledger.
"""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session, selectinload

from portal import clock
from portal.models.auth import Role, User
from portal.models.case import (
    Agreement,
    AgreementForm,
    Case,
    CaseCounter,
    CaseEvent,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    Difficulty,
    FollowUp,
    FollowUpMethod,
    MediationSession,
    Party,
    PartyKind,
    PartyRole,
    Performance,
    ReferralRoute,
    RemainingRisk,
    RiskLevel,
    SessionResult,
    refresh_party_names,
)
from portal.models.dictionary import DisputeType
from portal.models.formdef import FormVersion
from portal.models.org import Industry, Organization, OrgKind, OrgLevel
from portal.models.people import Expert, Gender, Mediator, MediatorStatus
from portal.models.zero_report import ZeroReport
from portal.services import formdefs
from portal.services.deadlines import DeadlineRules, add_months
from portal.services.demo import data
from portal.services.demo.answers import fake_answers
from portal.services.demo.fake import DemoFaker, format_money
from portal.services.demo.form_choices import RegisterAnswers
from portal.services.numbering import format_case_number
from portal.services.workflow import CONCLUDING, GROUP_SIZE
from portal.services.zero_reports import REPORTING_KINDS, REPORTING_LEVELS, month_period

__all__ = ["seed_cases"]

S = CaseStatus
K = CaseEventKind
# The events go in as plain rows through the Core table (see _History).
EVENT_TABLE = cast(Table, CaseEvent.__table__)

#: Cases are accepted over this many days before today.
WINDOW_DAYS = 730
#: Cases are flushed in batches of this many.
BATCH = 400
#: Share of the months without cases for which a committee filed its 零报告.
ZERO_REPORT_SHARE = 0.7
#: Court and case-number prefix of 司法确认 rulings: 清河县 is 371729, so 鲁1729.
COURT = f"{data.COUNTY_NAME}人民法院"
COURT_PREFIX = "鲁1729民特"

# How often each kind of dispute reaches a village or township committee (by type stem).
TYPE_WEIGHTS = {
    "婚姻家庭": 17,
    "邻里": 17,
    "房屋宅基地": 12,
    "合同": 12,
    "损害赔偿": 10,
    "山林土地": 6,
    "生产经营": 4,
    "劳动争议": 4,
    "其他": 4,
    "征地拆迁": 3,
    "消费": 3,
    "道路交通事故": 3,
    "物业": 2,
    "环境污染": 2,
    "医疗": 1,
}
# Disputes that turn violent if left alone (邻里, 婚姻家庭, 宅基地…): mediation more often averts a crime.
CRIME_PRONE = frozenset({"婚姻家庭", "邻里", "房屋宅基地", "损害赔偿", "山林土地", "征地拆迁"})
# The types an industry committee handles, and how busy it is relative to a village committee.
INDUSTRY_TYPES: dict[Industry, tuple[str, float]] = {
    Industry.TRAFFIC: ("道路交通事故", 10),
    Industry.LABOUR: ("劳动争议", 7),
    Industry.MARRIAGE: ("婚姻家庭", 6),
    Industry.PROPERTY: ("物业", 5),
    Industry.MEDICAL: ("医疗", 4),
    Industry.CONSUMER: ("消费", 4),
    Industry.ENVIRONMENT: ("环境污染", 3),
}
TOWNSHIP_WEIGHT = 4.5
# Share of cases of a type that a village or township committee hands to the industry committee (移交).
TRANSFER_SHARE = {
    "道路交通事故": 0.15,
    "医疗": 0.3,
    "劳动争议": 0.12,
    "物业": 0.1,
    "消费": 0.1,
    "婚姻家庭": 0.03,
}
# A sub-type is recorded when the summary shows it: (keyword, sub-type), first match wins.
SUB_TYPES = {
    "婚姻家庭": (("遗产", "继承纠纷"), ("赡养", "赡养纠纷"), ("探望", "抚养纠纷"), ("婚", "婚姻纠纷")),
    "合同": (("借款", "民间借贷纠纷"), ("货款", "买卖合同纠纷"), ("装修", "建设工程合同纠纷")),
    "损害赔偿": (
        ("骨折", "人身损害赔偿纠纷"),
        ("受伤", "人身损害赔偿纠纷"),
        ("麦", "财产损害赔偿纠纷"),
        ("柴草垛", "财产损害赔偿纠纷"),
    ),
    "劳动争议": (("农民工", "拖欠农民工工资纠纷"), ("砸伤", "工伤赔偿纠纷")),
    "消费": (("旅游", "旅游纠纷"), ("网店", "电子商务纠纷")),
}
# (share of cases with a sum, smallest, largest) in yuan.
AMOUNTS = {
    "婚姻家庭": (0.35, 5000, 200000),
    "邻里": (0.3, 500, 20000),
    "房屋宅基地": (0.35, 5000, 300000),
    "合同": (0.95, 3000, 300000),
    "生产经营": (0.85, 10000, 500000),
    "损害赔偿": (0.9, 2000, 150000),
    "山林土地": (0.3, 2000, 50000),
    "征地拆迁": (0.8, 20000, 600000),
    "环境污染": (0.6, 3000, 100000),
    "劳动争议": (0.9, 5000, 300000),
    "消费": (0.8, 300, 30000),
    "医疗": (0.9, 20000, 800000),
    "道路交通事故": (0.95, 5000, 500000),
    "物业": (0.6, 800, 30000),
    "其他": (0.25, 1000, 50000),
}
# Chance that mediation succeeds, by type; harder cases succeed less often.
SETTLE_RATE = {
    "婚姻家庭": 0.86,
    "邻里": 0.94,
    "房屋宅基地": 0.88,
    "合同": 0.9,
    "生产经营": 0.86,
    "损害赔偿": 0.9,
    "山林土地": 0.82,
    "征地拆迁": 0.72,
    "环境污染": 0.82,
    "劳动争议": 0.86,
    "消费": 0.93,
    "医疗": 0.76,
    "道路交通事故": 0.88,
    "物业": 0.9,
    "其他": 0.9,
}
DIFFICULTY_PENALTY = {
    Difficulty.SIMPLE: -0.03,
    Difficulty.NORMAL: 0.0,
    Difficulty.HARD: 0.08,
    Difficulty.MAJOR: 0.15,
}
# Share of cases whose respondent is an organisation, and the kinds of firm it is.
ORG_RESPONDENT = {
    "医疗": 0.9,
    "物业": 0.6,
    "消费": 0.5,
    "劳动争议": 0.35,
    "环境污染": 0.3,
    "合同": 0.15,
    "生产经营": 0.1,
    "征地拆迁": 0.05,
    "损害赔偿": 0.03,
    "道路交通事故": 0.05,
}
FIRM_WORDS = tuple(
    "鑫源 恒泰 宏达 金穗 盛世 永兴 瑞丰 德信 嘉禾 万通 "
    "聚隆 祥和 顺达 广源 福润 天成 众诚 益农 华鲁 牡丹".split()
)
FIRM_TRADES = {
    "物业": ("物业服务有限公司", "物业管理有限公司"),
    "消费": (
        "电动车销售有限公司",
        "旅行社有限公司",
        "电子商务有限公司",
        "健身服务有限公司",
        "餐饮管理有限公司",
    ),
    "劳动争议": ("建筑工程有限公司", "食品有限公司", "纺织有限公司", "木业有限公司"),
    "环境污染": ("木业有限公司", "石材有限公司", "畜牧养殖有限公司", "化工有限公司"),
    "合同": ("商贸有限公司", "农资有限公司", "建材有限公司", "粮油购销有限公司"),
    "生产经营": ("农业科技有限公司", "食品有限公司", "果蔬专业合作社"),
    "征地拆迁": ("城市建设投资有限公司",),
    "损害赔偿": ("建筑工程有限公司", "物流有限公司"),
    "道路交通事故": ("物流有限公司", "运输有限公司"),
}
HOSPITALS = (f"{data.COUNTY_NAME}人民医院", f"{data.COUNTY_NAME}中医医院", f"{data.COUNTY_NAME}妇幼保健院")
INSURERS = (
    "中国人民财产保险股份有限公司清河支公司",
    "中国平安财产保险股份有限公司清河支公司",
    "中国太平洋财产保险股份有限公司清河支公司",
)
SOURCES = (
    (CaseSource.APPLICATION, 40),
    (CaseSource.SCREENING, 14),
    (CaseSource.VISIT, 14),
    (CaseSource.GRID, 10),
    (CaseSource.POLICE, 8),
    (CaseSource.COURT, 6),
    (CaseSource.PETITION, 3),
    (CaseSource.GOVERNMENT, 3),
    (CaseSource.OTHER, 2),
)
OCCUPATIONS = (
    ("务农", 30),
    ("务工", 18),
    ("个体经营", 14),
    ("退休", 8),
    ("自由职业", 8),
    ("司机", 5),
    ("教师", 3),
)
# Gender and age of applicant and respondent when the summary names their relationship.
RELATIONS: tuple[tuple[str, str | None, str | None, tuple[int, int], tuple[int, int]], ...] = (
    ("母子关系", "female", "male", (65, 86), (38, 60)),
    ("兄弟关系", "male", "male", (40, 68), (38, 66)),
    ("叔侄关系", "male", "male", (28, 50), (52, 75)),
    ("之妻", "male", None, (24, 40), (22, 60)),
    ("订婚", "male", "female", (22, 30), (20, 28)),
    ("结婚", "opposite", "opposite", (26, 50), (25, 50)),
    ("离婚", "opposite", "opposite", (26, 45), (25, 45)),
)

OPENINGS = (
    "调解员核实了双方当事人身份，告知了人民调解的性质、原则以及当事人在调解活动中享有的权利和承担的义务，双方均表示自愿接受调解。",
    "调解开始前，调解员宣读了调解纪律，告知双方当事人权利义务，双方均无回避申请，同意由本调委会主持调解。",
    "调解员向双方说明了人民调解自愿、平等、不违背法律法规和国家政策的原则，双方表示愿意在调解员主持下协商解决。",
)
DEFENCES = (
    "对基本事实没有异议，但认为申请人主张的数额过高，只同意承担一部分",
    "认为自己并无过错，不同意申请人的要求",
    "表示愿意协商解决，但称目前家庭经济困难，无力一次性承担",
    "对申请人陈述的部分事实有异议，认为双方都有责任",
    "称此前已多次与申请人协商，是申请人漫天要价才导致矛盾升级",
)
FOLLOW_ON = (
    "调解员向双方通报了前次调解后调查了解的情况，结合相关法律规定对双方分别进行了释法说理。",
    "调解员会同村（居）两委成员到现场进行了实地查看，并听取了周边群众的意见。",
    "调解员分别与双方当事人进行了背对背沟通，了解各自的真实想法和底线。",
    "调解员邀请双方亲友共同参与，从亲情、乡情角度做双方的思想工作。",
)
CONTINUE_ENDINGS = (
    "双方分歧仍然较大，同意回去考虑后再行调解。",
    "双方情绪较为激动，调解员进行了心理疏导，约定另行确定时间继续调解。",
    "双方态度有所缓和，但在具体数额上仍未达成一致，约定补充材料后再次调解。",
)
AGREED_ENDINGS = (
    "经调解员释法明理、耐心疏导，双方互谅互让，自愿达成调解协议，当场签订了人民调解协议书。",
    "在调解员主持下，双方各让一步，就争议事项达成一致意见，并签订了调解协议。",
    "经过反复协商，双方最终达成一致，调解员当场制作了调解协议，双方签字确认。",
)
NOT_AGREED_ENDINGS = (
    "经反复调解，双方仍各执己见、差距较大，未能达成协议。调解员告知双方可以依法通过诉讼等途径解决。",
    "被申请人坚持不同意申请人的要求，调解无法继续进行，本次调解未能达成协议。",
    "双方对争议事实和责任认定分歧较大，且均不愿让步，调解未能达成协议。",
)
FAILURE_REASONS = {
    "劳动争议": ("双方对是否存在劳动关系意见分歧较大，需通过劳动仲裁予以确认。",),
    "医疗": ("双方对医疗过错及责任比例分歧较大，需经医疗损害鉴定后依法处理。",),
    "山林土地": ("争议涉及土地承包经营权权属确认，需由乡镇人民政府依法处理。",),
    "征地拆迁": ("争议涉及征收补偿标准的认定，需由征收部门依法处理。",),
    "": (
        "双方对赔偿数额分歧过大，经多次调解仍无法达成一致。",
        "被申请人经多次通知拒不到场参加调解。",
        "申请人坚持要求通过诉讼解决，不同意继续调解。",
        "双方对基本事实认定存在根本分歧，调解无法达成协议。",
    ),
}
STABILITY_PLANS = {
    ReferralRoute.LITIGATION: (
        "引导当事人依法向{court}提起诉讼，为经济困难的一方联系法律援助；"
        "由调解员{m}负责与双方保持联系，发现矛盾激化苗头及时报告、及时处置。"
    ),
    ReferralRoute.ARBITRATION: (
        "引导申请人向{county}劳动人事争议仲裁委员会申请仲裁，协助整理劳动关系证明材料；"
        "由调解员{m}跟踪仲裁进展，防止出现过激行为。"
    ),
    ReferralRoute.ADMINISTRATIVE: (
        "告知当事人向有关行政主管部门申请处理，协调相关部门尽快介入；"
        "由调解员{m}会同村（居）两委做好双方稳控工作。"
    ),
}
VOID_REASONS = (
    "重复登记，该纠纷已由本调委会另行登记办理。",
    "当事人信息及纠纷类型录入错误，已作废后重新登记。",
    "当事人撤回调解申请，且尚未开展调解工作。",
    "经核实该纠纷已进入诉讼程序，不属于人民调解受理范围。",
)
SUSPEND_REASONS = {
    "道路交通事故": ("伤者仍在住院治疗，需待伤残等级鉴定结论作出后再行调解。",),
    "损害赔偿": ("伤者需进行伤残等级鉴定，待鉴定结论作出后继续调解。",),
    "医疗": ("双方同意委托医疗损害鉴定，待鉴定意见作出后继续调解。",),
    "山林土地": ("需待村委会调取二轮延包档案核实地界后继续调解。",),
    "房屋宅基地": ("需待自然资源部门核实宅基地使用权证载面积后继续调解。",),
    "": ("当事人外出务工，暂时无法到场参加调解。", "一方当事人住院治疗，暂无法参加调解。"),
}
# 定措施 at 分流交办: the first moves of the mediation, by kind of dispute ("" for any).
MEASURES = {
    "婚姻家庭": ("分别与双方谈心，了解矛盾症结；邀请双方近亲属和村（居）妇联执委参与，做好疏导劝和工作。",),
    "邻里": ("实地查看现场，听取双方及周边群众意见；邀请村（居）两委成员参与，组织双方面对面协商。",),
    "房屋宅基地": ("调取宅基地审批档案，会同村委会实地测量界址；释明相关法律政策后组织双方协商。",),
    "山林土地": ("调取二轮延包档案，会同村委会核实地界；邀请老党员、老干部参与说和。",),
    "征地拆迁": ("会同镇（街道）征迁办核实补偿标准和依据，逐户做好解释疏导，落实稳控责任人。",),
    "劳动争议": ("核实用工关系和工资发放记录，约谈用人单位负责人，释明劳动法律法规后组织协商。",),
    "医疗": ("邀请医学专家分析诊疗过程，释明医疗损害鉴定和赔偿规定，组织医患双方协商赔偿方案。",),
    "道路交通事故": ("调取事故认定书和医疗费票据，联系保险公司核定理赔范围，组织双方协商赔偿数额。",),
    "": (
        "听取双方陈述，核实证据材料，释法明理后组织面对面调解。",
        "走访双方当事人了解诉求，查明争议焦点，提出调解方案后组织协商。",
    ),
}
EXTEND_REASONS = (
    "案情较为复杂，经双方当事人同意，延长调解期限。",
    "当事人需补充提交证据材料，经双方同意延期调解。",
    "需等待相关部门出具核实意见，经双方同意延期调解。",
)
FOLLOW_UP_NOTES = {
    Performance.FULL: (
        "协议已全部履行完毕，双方表示对调解结果满意，未再发生争执。",
        "当事人表示款项已足额到账，双方关系已恢复正常。",
        "经回访核实，协议约定事项均已履行，纠纷已彻底化解。",
    ),
    Performance.PARTIAL: (
        "被申请人已履行部分义务，剩余部分承诺按期履行，调解员将继续跟踪。",
        "协议部分履行，当事人情绪稳定，调解员督促被申请人尽快履行剩余义务。",
    ),
    Performance.NONE: ("被申请人尚未履行协议，调解员已督促其履行，并告知申请人可申请司法确认后强制执行。",),
    Performance.NOT_DUE: ("协议约定的履行期限尚未届满，双方表示将按约履行，目前情绪稳定。",),
}
REFERRED_NOTES = (
    "当事人已按引导向人民法院提起诉讼，案件正在审理中，双方情绪稳定，未发生过激行为。",
    "当事人已申请仲裁，调解员协助其准备了相关材料，目前无异常情况。",
    "经回访，双方均表示将通过法律途径解决，未再发生冲突。",
)
# A few recent cases are held in each status, so that even a thin demo ledger shows every one of them;
# the ages (days since acceptance) leave a plain case ample time to get there.
SHOWCASE: tuple[tuple[CaseStatus, int, int], ...] = (
    (S.REGISTERED, 0, 2),
    (S.ASSIGNED, 6, 14),
    (S.MEDIATING, 20, 30),
    (S.SUSPENDED, 30, 45),
    (S.SETTLED, 40, 55),
    (S.FAILED, 40, 60),
    (S.REFERRED, 45, 65),
    (S.FOLLOWED_UP, 80, 92),
    (S.VOIDED, 10, 60),
)
LEADER_TITLES = {
    OrgLevel.VILLAGE: ("党支部书记", "村委会主任"),
    OrgLevel.TOWNSHIP: ("党委副书记", "政法委员", "司法所所长"),
    OrgLevel.COUNTY: ("司法局副局长", "主任"),
}

_UPPER_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def rmb_upper(yuan: int) -> str:
    """Write a whole sum in 大写 as agreements do: 35000 → 叁万伍仟元整."""
    if yuan <= 0:
        return "零元整"
    groups: list[int] = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    text, zero = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            zero = True
            continue
        if text and (group < 1000 or zero):
            text += "零"
        text += _upper_group(group) + ("", "万", "亿")[index]
        zero = False
    return text + "元整"


def _upper_group(group: int) -> str:
    text, zero = "", False
    for unit, div in (("仟", 1000), ("佰", 100), ("拾", 10), ("", 1)):
        digit = group // div % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text, zero = text + "零", False
        text += _UPPER_DIGITS[digit] + unit
    return text


class _Stop(Exception):  # noqa: N818 - control flow, not an error
    """The next step would fall after today: the case stays where it is."""


@dataclass
class _Plan:
    """A case to build: when and where it was accepted, and its number."""

    accepted_on: date
    org: Organization
    seq: int = 0
    #: Stop the case as soon as it reaches this status (see SHOWCASE).
    hold: CaseStatus | None = None


@dataclass
class _Info:
    """What the script of one case needs to know besides the Case itself."""

    stem: str
    village: str | None
    township: str | None
    applicant: Party
    respondent: Party
    third: Party | None
    claims: str
    amount: int | None
    mediators: list[Mediator] = field(default_factory=list)
    experts: list[Expert] = field(default_factory=list)
    handling: Organization | None = None


class _History:
    """Records the steps of one case in order, with plausible times, as the workflow service would.

    The events are kept as plain rows (`events`), inserted in bulk once the case has its id: they
    are half of all the rows, and skipping the unit of work for them halves the load time.
    """

    def __init__(self, seeder: _Seeder, case: Case) -> None:
        self.seeder = seeder
        self.case = case
        self.day = case.accepted_on
        self.clock: datetime | None = None
        self.events: list[dict[str, Any]] = []
        #: A case that has reached this status takes no further step.
        self.hold: CaseStatus | None = None

    def stamp(self, day: date) -> datetime:
        """Return the time of a step on `day` (never before the previous one); _Stop if after today."""
        day = max(day, self.day)
        if day > self.seeder.today or (self.events and self.case.status == self.hold):
            raise _Stop
        rng = self.seeder.rng
        if self.clock is not None and day == self.day:
            local = self.clock + timedelta(minutes=rng.randint(5, 90))
            if local.date() != day:
                local = self.clock + timedelta(seconds=30)
        else:
            start = datetime.combine(day, time(8, 30), clock.zone())
            local = start + timedelta(minutes=rng.randint(0, 8 * 60))
        self.clock, self.day = local, day
        return min(local.astimezone(UTC), self.seeder.now)

    def step(
        self,
        kind: CaseEventKind,
        day: date,
        to: CaseStatus | None = None,
        *,
        org: Organization,
        actor: str,
        actor_id: int | None = None,
        note: str | None = None,
        **details: Any,
    ) -> date:
        """Record a step on `day` (or the last step's day, if later) and return the day it fell on."""
        at = self.stamp(day)
        case = self.case
        self.events.append(
            {
                "kind": kind,
                "from_status": case.status,
                "to_status": to or case.status,
                "at": at,
                "actor_id": actor_id,
                "actor_name": actor,
                "organization_id": org.id,
                "note": note,
                "details": {k: v for k, v in details.items() if v not in (None, "")},
            }
        )
        if to is not None:
            case.status = to
        if to in CONCLUDING:
            case.concluded_on = self.day
        if kind != K.SUPERVISE:
            case.last_activity_on = max(case.last_activity_on, self.day)
        case.updated_at = at
        return self.day

    @property
    def last_at(self) -> datetime:
        """Return the time of the latest step."""
        return self.events[-1]["at"]


class _Seeder:
    """Shared lookups and generators for building the demo ledger."""

    def __init__(self, session: Session, faker: DemoFaker, orgs: Sequence[Organization], today: date) -> None:
        self.faker = faker
        self.rng = faker.rng
        self.today = today
        # Steps on today itself may not be stamped later than the clock shows.
        self.now = min(clock.utcnow(), clock.from_wall(datetime.combine(today, time(23, 59))))
        self.rules = DeadlineRules()
        self.orgs = list(orgs)
        self.by_id = {org.id: org for org in self.orgs}
        self.committees = [
            org
            for org in self.orgs
            if org.kind in (OrgKind.COMMITTEE, OrgKind.INDUSTRY_COMMITTEE) and org.is_active
        ]
        self.industry = {org.industry: org for org in self.committees if org.industry is not None}
        ids = [org.id for org in self.orgs]
        self.types = {t.name: t for t in session.scalars(select(DisputeType)) if t.active}
        mediators = session.scalars(
            select(Mediator)
            .where(Mediator.organization_id.in_(ids), Mediator.status == MediatorStatus.ACTIVE)
            .order_by(Mediator.id)
        )
        self.mediators: dict[int, list[Mediator]] = defaultdict(list)
        for person in mediators:
            self.mediators[person.organization_id].append(person)
        self.experts = list(
            session.scalars(
                select(Expert)
                .where(Expert.organization_id.in_(ids))
                .options(selectinload(Expert.specialties))
                .order_by(Expert.id)
            )
        )
        users = session.scalars(select(User).where(User.organization_id.in_(ids)).order_by(User.id))
        self.entry = next((u for u in users if u.has_role(Role.ENTRY)), None)
        self.entry_org = self.by_id.get(self.entry.organization_id) if self.entry else None
        county = faker.county()
        self.township_of = {v["name"]: t["name"] for t in county["townships"] for v in t["villages"]}
        self.villages_of = {t["name"]: [v["name"] for v in t["villages"]] for t in county["townships"]}
        names = sorted(self.township_of, key=len, reverse=True)
        self.village_re = re.compile("|".join(map(re.escape, names)))
        self.township_re = re.compile(
            "|".join(map(re.escape, sorted(self.villages_of, key=len, reverse=True)))
        )
        self.staff: dict[int, list[str]] = {}
        self.firms: dict[str, tuple[str, str, str]] = {}
        self.confirmations: dict[int, int] = {}
        self.root = next(org for org in self.orgs if org.parent_id is None or org.parent_id not in self.by_id)

    # --- where and when -----------------------------------------------------------------------------------

    def plans(self, count: int) -> list[_Plan]:
        """Draw `count` acceptances, recent months a little denser and weekends quieter, in date order."""
        rng = self.rng
        weights = [self._org_weight(org) for org in self.committees]
        plans: list[_Plan] = []
        while len(plans) < count:
            age = rng.randrange(WINDOW_DAYS)
            day = self.today - timedelta(days=age)
            keep = 1 - 0.45 * age / WINDOW_DAYS
            if day.weekday() >= 5:
                keep *= 0.4
            if rng.random() >= keep:
                continue
            plans.append(_Plan(day, rng.choices(self.committees, weights=weights)[0]))
        plans.sort(key=lambda plan: plan.accepted_on)
        per_status = 1 + count // 2500
        for status, youngest, oldest in SHOWCASE:
            fits = [
                plan
                for plan in plans
                if plan.hold is None and youngest <= (self.today - plan.accepted_on).days <= oldest
            ]
            for plan in rng.sample(fits, min(per_status, len(fits))):
                plan.hold = status
        seqs: dict[tuple[int, int], int] = defaultdict(int)
        for plan in plans:
            key = (plan.org.id, plan.accepted_on.year)
            seqs[key] += 1
            plan.seq = seqs[key]
        return plans

    def _org_weight(self, org: Organization) -> float:
        if org.kind == OrgKind.INDUSTRY_COMMITTEE:
            return INDUSTRY_TYPES[org.industry][1] if org.industry in INDUSTRY_TYPES else 3.0
        if org.level == OrgLevel.TOWNSHIP:
            return TOWNSHIP_WEIGHT
        return min(3.0, self.rng.lognormvariate(0, 0.6))

    def place_of(self, org: Organization) -> tuple[str | None, str | None]:
        """Return the (township, village) a case of `org` comes from."""
        rng = self.rng
        name = org.name.removesuffix("人民调解委员会")
        if org.level == OrgLevel.VILLAGE and name in self.township_of:
            return self.township_of[name], name
        if org.level == OrgLevel.TOWNSHIP and name in self.villages_of:
            return name, rng.choice(self.villages_of[name])
        village = rng.choice(sorted(self.township_of))
        return self.township_of[village], village

    # --- people --------------------------------------------------------------------------------------------

    def staff_names(self, org: Organization) -> list[str]:
        """Return the people who act for `org` in the records: its mediators, else made-up clerks."""
        if org.id not in self.staff:
            names = [m.name for m in self.mediators.get(org.id, [])[:3]]
            self.staff[org.id] = names or [self.faker.person_name() for _ in range(2)]
        return self.staff[org.id]

    def actor(self, org: Organization) -> str:
        """Return one of the people who act for `org`."""
        return self.rng.choice(self.staff_names(org))

    def mediator_pool(self, org: Organization, day: date) -> list[Mediator]:
        """Return the active mediators for a case of `org`: its own, else those of the committee above it.

        A village committee's parent is the 司法所, which has no roster of its own; the township
        committee beside it stands in (as it does for thin demo rosters at small scales).
        """
        node, pool = org, self.mediators.get(org.id, [])
        while not pool and node.parent_id in self.by_id:
            node = self.by_id[node.parent_id]
            pool = self.mediators.get(node.id, []) or [
                person
                for child in self.orgs
                if child.parent_id == node.id
                and child.kind == OrgKind.COMMITTEE
                and child.level == node.level
                for person in self.mediators.get(child.id, [])
            ]
        if not pool:
            pool = [m for people in self.mediators.values() for m in people]
        appointed = [m for m in pool if m.appointed_on is None or m.appointed_on <= day]
        return appointed or pool

    def pick_mediators(self, org: Organization, day: date) -> list[Mediator]:
        pool = self.mediator_pool(org, day)
        if not pool:
            return []
        k = 2 if len(pool) > 1 and self.rng.random() < 0.4 else 1
        return self.rng.sample(pool, k)

    def person(
        self, role: PartyRole, order: int, village: str | None, gender: str | None, ages: tuple[int, int]
    ) -> Party:
        """Return a natural person living in `village` (or anywhere in the county), with a valid 身份证号."""
        faker, rng = self.faker, self.rng
        gender = gender or faker.gender()
        age = rng.randint(*ages)
        birth = faker.birth_date(age, age)
        return Party(
            role=role,
            kind=PartyKind.PERSON,
            name=faker.person_name(gender),
            gender=Gender.MALE if gender == "male" else Gender.FEMALE,
            ethnicity="汉族" if rng.random() < 0.97 else rng.choice(("回族", "满族")),
            birth_date=birth,
            id_number=faker.id_number(gender, birth),
            phone=faker.mobile(),
            address=faker.address(village) if village else faker.address(),
            occupation="退休" if age >= 62 and rng.random() < 0.5 else _weighted(rng, OCCUPATIONS),
            sort_order=order,
        )

    def organisation(self, role: PartyRole, order: int, stem: str) -> Party:
        """Return a company (or, in medical disputes, a hospital) of the kind the dispute involves."""
        rng = self.rng
        if stem == "医疗":
            township = rng.choice(sorted(self.villages_of))
            name = rng.choice((*HOSPITALS, f"{data.COUNTY_NAME}{township}卫生院"))
            kind = "institution"
        else:
            trade = rng.choice(FIRM_TRADES.get(stem, FIRM_TRADES["合同"]))
            prefix = data.COUNTY_NAME if rng.random() < 0.8 else data.PROVINCE.removesuffix("省")
            name, kind = f"{prefix}{rng.choice(FIRM_WORDS)}{trade}", "company"
        return self.firm(name, kind, role, order)

    def firm(self, name: str, kind: str, role: PartyRole, order: int) -> Party:
        """Return a party for the organisation `name`, with the same code and representative every time."""
        if name not in self.firms:
            road = self.rng.choice(data.ROADS)
            address = f"{data.COUNTY_NAME}{road}{self.rng.randint(1, 300)}号"
            self.firms[name] = (self.faker.credit_code(kind), self.faker.person_name(), address)
        code, representative, address = self.firms[name]
        return Party(
            role=role,
            kind=PartyKind.ORGANIZATION,
            name=name,
            credit_code=code,
            legal_representative=representative,
            phone=self.faker.landline() if self.rng.random() < 0.6 else self.faker.mobile(),
            address=address,
            sort_order=order,
        )

    # --- one case ------------------------------------------------------------------------------------------

    def build(self, plan: _Plan) -> tuple[Case, list[dict[str, Any]]]:
        """Return one case with its parties and records as of today, and the rows of its events."""
        rng, org = self.rng, plan.org
        if org.kind == OrgKind.INDUSTRY_COMMITTEE and org.industry in INDUSTRY_TYPES:
            stem = INDUSTRY_TYPES[org.industry][0]
        else:
            stem = _weighted(rng, tuple(TYPE_WEIGHTS.items()))
        township, village = self.place_of(org)
        share, low, high = AMOUNTS.get(stem, AMOUNTS["其他"])
        amount = _money(rng, low, high) if rng.random() < share else None
        org_respondent = rng.random() < ORG_RESPONDENT.get(stem, 0.0)
        summary, claims = self.faker.case_summary(stem, "\ue000", "\ue001", amount)
        summary = self._localise(summary, township, village)
        claims = self._localise(claims, township, village)
        genders: tuple[str | None, str | None] = (None, None)
        ages = ((22, 78), (22, 78))
        for keyword, a_gender, r_gender, a_ages, r_ages in RELATIONS:
            if keyword in summary:
                if a_gender == "opposite":
                    a_gender = self.faker.gender()
                    r_gender = "female" if a_gender == "male" else "male"
                genders, ages = (a_gender, r_gender), (a_ages, r_ages)
                break
        applicant = self.person(PartyRole.APPLICANT, 0, village, genders[0], ages[0])
        near = village if rng.random() < 0.75 else None
        respondent = (
            self.organisation(PartyRole.RESPONDENT, 1, stem)
            if org_respondent
            else self.person(PartyRole.RESPONDENT, 1, near, genders[1], ages[1])
        )
        third = None
        if stem == "道路交通事故" and rng.random() < 0.5:
            third = self.firm(rng.choice(INSURERS), "company", PartyRole.THIRD, 2)
        elif rng.random() < 0.08:
            third = self.person(PartyRole.THIRD, 2, near, None, (25, 75))
        parties = [p for p in (applicant, respondent, third) if p is not None]
        names = {"\ue000": applicant.name, "\ue001": respondent.name}
        summary = re.sub("[\ue000\ue001]", lambda m: names[m.group()], summary)
        claims = re.sub("[\ue000\ue001]", lambda m: names[m.group()], claims)

        group = rng.random() < (0.25 if stem in ("劳动争议", "征地拆迁", "环境污染", "物业") else 0.04)
        people = rng.randint(GROUP_SIZE, 40) if group else len(parties) + (rng.random() < 0.2)
        if group:
            risk = _weighted(rng, ((RiskLevel.LOW, 20), (RiskLevel.MEDIUM, 50), (RiskLevel.HIGH, 30)))
        else:
            risk = _weighted(rng, ((RiskLevel.LOW, 755), (RiskLevel.MEDIUM, 190), (RiskLevel.HIGH, 55)))
        difficulty = _weighted(
            rng,
            {
                RiskLevel.LOW: (
                    (Difficulty.SIMPLE, 50),
                    (Difficulty.NORMAL, 42),
                    (Difficulty.HARD, 7),
                    (Difficulty.MAJOR, 1),
                ),
                RiskLevel.MEDIUM: (
                    (Difficulty.SIMPLE, 20),
                    (Difficulty.NORMAL, 55),
                    (Difficulty.HARD, 20),
                    (Difficulty.MAJOR, 5),
                ),
                RiskLevel.HIGH: ((Difficulty.NORMAL, 30), (Difficulty.HARD, 50), (Difficulty.MAJOR, 20)),
            }[risk],
        )
        if plan.hold is not None and difficulty in (Difficulty.HARD, Difficulty.MAJOR):
            difficulty = Difficulty.NORMAL  # a showcase case must reach its status in time
        if stem == "道路交通事故" and rng.random() < 0.4:
            source = CaseSource.POLICE
        else:
            source = _weighted(rng, SOURCES)
        dispute_type = self._type(stem, summary + claims)
        accepted = plan.accepted_on
        leader = None
        if risk != RiskLevel.LOW or group or rng.random() < 0.25:
            leader = f"{self.faker.person_name()}（{rng.choice(LEADER_TITLES[org.level])}）"
        registered_by = None
        if self.entry and self.entry_org and org.path.startswith(self.entry_org.path) and rng.random() < 0.5:
            registered_by = self.entry
        number = format_case_number(accepted.year, org.code, plan.seq)
        case = Case(
            number=number,
            year=accepted.year,
            seq=plan.seq,
            numbering_organization_id=org.id,
            organization_id=org.id,
            registered_by_id=registered_by.id if registered_by else None,
            source=source,
            dispute_type_id=dispute_type.id,
            occurred_on=accepted - timedelta(days=rng.choice((0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60))),
            place=self._place(stem, township, village, respondent),
            summary=summary,
            claims=claims,
            people_involved=people,
            amount=Decimal(amount) if amount is not None else None,
            risk_level=risk,
            difficulty=difficulty,
            is_group=people >= GROUP_SIZE,
            lead_leader=leader,
            accepted_on=accepted,
            deadline=self.rules.due_date(accepted, dispute_type.default_deadline_days),
            status=S.REGISTERED,
            last_activity_on=accepted,
            parties=parties,
        )
        refresh_party_names(case)  # as the model's flush hook would, in its own format
        info = _Info(stem, village, township, applicant, respondent, third, claims, amount, handling=org)
        history = _History(self, case)
        try:
            history.step(
                K.REGISTER,
                accepted,
                S.REGISTERED,
                org=self.by_id.get(registered_by.organization_id, org) if registered_by else org,
                actor=registered_by.full_name if registered_by else self.actor(org),
                actor_id=registered_by.id if registered_by else None,
                number=number,
            )
            case.created_at = history.events[0]["at"]
            self._script(history, info, plan.hold)
        except _Stop:
            pass
        self._averted(case, stem)
        return case, history.events

    def _averted(self, case: Case, stem: str) -> None:
        """防止民转刑 / 防止群体性上访: what a successful mediation averted (counted by the 司法部 table).

        Drawn from the case's own number rather than the shared stream, so the rest of the demo is unchanged.
        """
        if case.agreement is None:
            return
        draw = random.Random(f"{case.number}/averted")
        crime = {RiskLevel.HIGH: 0.4, RiskLevel.MEDIUM: 0.12, RiskLevel.LOW: 0.01}[case.risk_level]
        case.prevented_crime = draw.random() < crime * (1.5 if stem in CRIME_PRONE else 0.4)
        case.prevented_group_petition = case.is_group and draw.random() < 0.6

    def _localise(self, text: str, township: str | None, village: str | None) -> str:
        """Put the case's own village and township into a template's text."""
        if village:
            text = self.village_re.sub(village, text)
        if township:
            text = self.township_re.sub(township, text)
        return text

    def _type(self, stem: str, text: str) -> DisputeType:
        top = self.types.get(f"{stem}纠纷") or self.types.get("其他纠纷") or next(iter(self.types.values()))
        for keyword, sub in SUB_TYPES.get(stem, ()):
            if keyword in text:
                if sub in self.types and self.rng.random() < 0.8:
                    return self.types[sub]
                break
        return top

    def _place(self, stem: str, township: str | None, village: str | None, respondent: Party) -> str | None:
        rng = self.rng
        if stem == "医疗":
            return respondent.name if respondent.kind == PartyKind.ORGANIZATION else rng.choice(HOSPITALS)
        if stem == "道路交通事故":
            return f"{township}{village}附近{rng.choice(('路口', '乡村道路', '省道路段'))}"
        if stem == "物业":
            return f"{data.COUNTY_NAME}{rng.choice(data.COMMUNITY_WORDS)}小区"
        return f"{township}{village}" if village else None

    # --- the script ----------------------------------------------------------------------------------------

    def _script(self, h: _History, info: _Info, hold: CaseStatus | None) -> None:
        """Play the case through the workflow until today; raises _Stop where it stands now.

        Most cases simply run their course. A few are stuck: held in some status for months
        ("held"), assigned and never touched (red card), or still in mediation past the deadline.
        """
        rng, case = self.rng, h.case
        org = self.by_id[case.numbering_organization_id]
        age = (self.today - case.accepted_on).days
        roll = rng.random()
        fate = "normal"
        if hold is not None:
            fate = "void" if hold == S.VOIDED else "held"
        elif roll < 0.011:
            fate = "void"
        elif age > 95 and roll < 0.022:
            fate = "held"
            hold = rng.choice((S.ASSIGNED, S.MEDIATING, S.MEDIATING, S.SUSPENDED, S.SETTLED))
        elif 17 <= age <= 92 and roll < 0.065:
            fate = "untouched"
        elif 36 <= age <= 92 and roll < 0.11:
            fate = "overdue"
        # A case held in mediation still had its first session (below), so it is stopped there.
        h.hold = hold if hold != S.MEDIATING else None

        if fate == "void":
            if rng.random() < 0.3:
                self._assign(h, case.accepted_on + timedelta(days=rng.randint(0, 2)), org, org, info)
            reason = rng.choice(VOID_REASONS)
            h.step(
                K.VOID,
                h.day + timedelta(days=rng.randint(0, 6)),
                S.VOIDED,
                org=org,
                actor=self.actor(org),
                note=reason,
            )
            case.void_reason = reason
            return

        handling = org
        industry = _industry_of(info.stem)
        target = self.industry.get(industry) if industry else None
        transfer = (
            fate == "normal"
            and org.kind == OrgKind.COMMITTEE
            and target is not None
            and rng.random() < TRANSFER_SHARE.get(info.stem, 0.0)
        )
        if transfer and target is not None:
            if rng.random() < 0.5:
                self._assign(h, case.accepted_on + timedelta(days=rng.randint(0, 2)), org, org, info)
            reason = f"该纠纷属于{info.stem}纠纷，依照专业调解分工移交{target.name}调解。"
            self._move(h, K.TRANSFER, h.day + timedelta(days=rng.randint(0, 3)), org, target, reason, info)
            handling = target

        if fate == "untouched":
            latest = max(0, age - 16)
            self._assign(
                h, case.accepted_on + timedelta(days=rng.randint(0, min(2, latest))), handling, handling, info
            )
            self._maybe_supervise(h, info, force=rng.random() < 0.2)
            raise _Stop
        self._assign(
            h, h.day + timedelta(days=_delay(rng, (0, 0, 0, 1, 1, 2, 3, 5))), handling, handling, info
        )
        self._maybe_supervise(h, info)
        self._start(h, h.day + timedelta(days=_delay(rng, (0, 0, 1, 1, 2, 3, 4, 7))), info)

        sessions = {
            Difficulty.SIMPLE: rng.choice((1, 1, 1, 2)),
            Difficulty.NORMAL: rng.choice((1, 2, 2, 3)),
            Difficulty.HARD: rng.choice((2, 3, 3)),
            Difficulty.MAJOR: 3,
        }[case.difficulty]
        length = {
            Difficulty.SIMPLE: rng.randint(0, 6),
            Difficulty.NORMAL: rng.randint(2, 18),
            Difficulty.HARD: rng.randint(8, 38),
            Difficulty.MAJOR: rng.randint(15, 52),
        }[case.difficulty]
        escalate = (
            fate == "normal"
            and org.level == OrgLevel.VILLAGE
            and handling is org
            and case.difficulty != Difficulty.SIMPLE
            and rng.random() < 0.08
        )
        suspend = hold == S.SUSPENDED or (
            fate == "normal" and rng.random() < (0.12 if info.stem in SUSPEND_REASONS else 0.03)
        )
        if escalate or suspend or fate != "normal":
            sessions = max(sessions, 2)
        outcome = h.day + timedelta(days=max(length, sessions - 1))

        if sessions > 1:
            self._session(h, h.day + timedelta(days=rng.randint(0, 2)), info, SessionResult.CONTINUE)
            sessions -= 1
            if escalate:
                outcome = self._escalate(h, info, org)
            if suspend:
                outcome = self._suspend(h, info, outcome)
            if hold == S.MEDIATING:
                raise _Stop
            if fate == "overdue":
                recent = self.today - timedelta(days=rng.randint(2, 12))
                if recent > h.day:
                    self._session(h, recent, info, SessionResult.CONTINUE)
                raise _Stop

        if outcome > case.deadline and rng.random() < 0.85:
            self._extend(h, info, outcome)
        for index in range(sessions - 1):
            span = max((outcome - h.day).days, 0)
            self._session(
                h, h.day + timedelta(days=span * (index + 1) // sessions), info, SessionResult.CONTINUE
            )
        if hold in (S.SETTLED, S.FOLLOWED_UP, S.FAILED, S.REFERRED):
            settles = hold in (S.SETTLED, S.FOLLOWED_UP)
        else:
            settles = rng.random() < SETTLE_RATE.get(info.stem, 0.88) - DIFFICULTY_PENALTY[case.difficulty]
        self._session(h, outcome, info, SessionResult.AGREED if settles else SessionResult.NOT_AGREED)
        if settles:
            self._settle(h, info)
        else:
            self._fail(h, info)

    def _suspend(self, h: _History, info: _Info, outcome: date) -> date:
        """中止 and, after a while, 恢复调解 with the deadline moved; return the new outcome day."""
        rng, case = self.rng, h.case
        org = info.handling or self.root
        reason = rng.choice(SUSPEND_REASONS.get(info.stem, SUSPEND_REASONS[""]))
        actor = self._mediator_name(info)
        day = h.step(
            K.SUSPEND,
            h.day + timedelta(days=rng.randint(1, 4)),
            S.SUSPENDED,
            org=org,
            actor=actor,
            note=reason,
        )
        case.suspended_from, case.suspended_on = S.MEDIATING, day
        paused = rng.randint(10, 45)
        deadline = case.deadline + timedelta(days=paused)
        h.step(
            K.RESUME,
            day + timedelta(days=paused),
            S.MEDIATING,
            org=org,
            actor=actor,
            paused_days=paused,
            deadline=deadline.isoformat(),
        )
        case.deadline, case.suspended_from, case.suspended_on = deadline, None, None
        return max(outcome + timedelta(days=paused), h.day)

    def _assign(
        self, h: _History, day: date, actor_org: Organization, target: Organization, info: _Info
    ) -> None:
        case = h.case
        mediators = self.pick_mediators(target, max(day, h.day))
        names = "、".join(m.name for m in mediators)
        # 四定 (as `cases.assign` requires them): 定人, 定责, 定措施; 定时限 keeps the statutory deadline.
        person = mediators[0].name if mediators else self.actor(target)
        measures = MEASURES.get(info.stem, MEASURES[""])
        h.step(
            K.ASSIGN,
            day,
            S.ASSIGNED,
            org=actor_org,
            actor=self.actor(actor_org),
            organization=target.name,
            mediators=names,
            responsible_person=person,
            deadline=case.deadline.isoformat(),
        )
        case.organization_id = target.id
        case.mediators = mediators
        case.responsible_unit = target.name
        case.responsible_person = person
        # Picked by number, not drawn: the random stream (and so the rest of the demo) stays as it was.
        case.measures = measures[case.seq % len(measures)]
        case.assigned_on = h.day
        info.mediators, info.handling = mediators, target
        if not info.experts and self.experts and self.rng.random() < _expert_share(info.stem):
            fitting = [e for e in self.experts if any(t.name.startswith(info.stem) for t in e.specialties)]
            info.experts = [self.rng.choice(fitting or self.experts)]
            case.experts = list(info.experts)

    def _start(self, h: _History, day: date, info: _Info) -> None:
        h.step(K.START, day, S.MEDIATING, org=info.handling or self.root, actor=self._mediator_name(info))

    def _move(
        self,
        h: _History,
        kind: CaseEventKind,
        day: date,
        from_org: Organization,
        to_org: Organization,
        reason: str,
        info: _Info,
    ) -> None:
        case = h.case
        was = case.status
        h.step(
            kind,
            day,
            S.REGISTERED,
            org=from_org,
            actor=self.actor(from_org),
            note=reason,
            from_org=from_org.name,
            to_org=to_org.name,
            was=was.label,
        )
        case.organization_id = to_org.id
        case.mediators = []
        info.mediators, info.handling = [], to_org

    def _escalate(self, h: _History, info: _Info, village_org: Organization) -> date:
        """提级 from a village committee to the 司法所 above, which gives it to the township committee."""
        rng = self.rng
        office = self.by_id.get(village_org.parent_id) if village_org.parent_id else None
        if office is None:
            return h.day
        township = next(
            (o for o in self.committees if o.parent_id == office.id and o.level == OrgLevel.TOWNSHIP), office
        )
        reason = rng.choice(
            (
                "纠纷涉及多户村民，案情复杂，村调委会多次调解未果，提请上级调解组织调解。",
                "双方矛盾较深，村调委会调解难度大，存在矛盾激化风险，提级由镇（街道）调委会调解。",
                "一方当事人对村调委会调解存有疑虑，申请由上级调解组织主持调解。",
            )
        )
        self._move(
            h, K.ESCALATE, h.day + timedelta(days=rng.randint(1, 5)), village_org, office, reason, info
        )
        self._assign(h, h.day + timedelta(days=rng.randint(0, 2)), office, township, info)
        self._start(h, h.day + timedelta(days=rng.randint(0, 3)), info)
        self._session(h, h.day + timedelta(days=rng.randint(0, 3)), info, SessionResult.CONTINUE)
        return h.day + timedelta(days=rng.randint(4, 25))

    def _maybe_supervise(self, h: _History, info: _Info, force: bool = False) -> None:
        case, rng = h.case, self.rng
        share = {RiskLevel.HIGH: 0.3, RiskLevel.MEDIUM: 0.06, RiskLevel.LOW: 0.01}[case.risk_level]
        if case.is_group:
            share += 0.15
        if not force and rng.random() >= share:
            return
        day = h.day + timedelta(days=rng.randint(1, 7))
        deadline = max(day, h.day) + timedelta(days=rng.randint(7, 30))
        group = "涉及人数较多、" if case.is_group else ""
        note = (
            f"该纠纷{group}存在矛盾激化风险，请承办单位高度重视，于{deadline:%m月%d日}前化解并报告办理进展。"
        )
        h.step(
            K.SUPERVISE,
            day,
            org=self.root,
            actor=self.actor(self.root),
            note=note,
            deadline=deadline.isoformat(),
        )
        case.supervision_deadline = deadline
        case.supervision_note = note
        case.supervising_organization_id = self.root.id

    def _extend(self, h: _History, info: _Info, outcome: date) -> None:
        case, rng = h.case, self.rng
        limit = self.rules.due_date(case.accepted_on) + timedelta(days=self.rules.max_extension_days)
        if case.deadline >= limit:
            return
        day = max(h.day, case.deadline - timedelta(days=rng.randint(0, 5)))
        if day > case.deadline:
            return
        new = min(limit, max(outcome + timedelta(days=rng.randint(0, 5)), case.deadline + timedelta(days=10)))
        reason = rng.choice(EXTEND_REASONS)
        old = case.deadline
        h.step(
            K.EXTEND,
            day,
            org=info.handling or self.root,
            actor=self._mediator_name(info),
            note=reason,
            old_deadline=old.isoformat(),
            deadline=new.isoformat(),
        )
        case.deadline, case.extension_reason = new, reason

    def _mediator_name(self, info: _Info) -> str:
        if info.mediators:
            return info.mediators[0].name
        return self.actor(info.handling or self.root)

    # --- records -------------------------------------------------------------------------------------------

    def _session(self, h: _History, day: date, info: _Info, result: SessionResult) -> None:
        rng, case = self.rng, h.case
        at = h.stamp(day)
        org = info.handling or self.root
        a, r = info.applicant.name, info.respondent.name
        mediator_names = "、".join(m.name for m in info.mediators) or self.actor(org)
        participants = f"申请人：{a}；被申请人：{r}"
        if info.third:
            participants += f"；第三人：{info.third.name}"
        participants += f"；调解员：{mediator_names}"
        if info.experts:
            participants += f"；特邀专家：{'、'.join(e.name for e in info.experts)}"
        if org.level == OrgLevel.VILLAGE and rng.random() < 0.3:
            participants += "；列席：村（居）两委成员"
        if not case.sessions:
            claim = info.claims.removeprefix("请求").rstrip("。")
            body = (
                f"{rng.choice(OPENINGS)}申请人{a}陈述了纠纷经过，要求{claim}。"
                f"被申请人{r}{rng.choice(DEFENCES)}。"
            )
        else:
            body = rng.choice(FOLLOW_ON)
        ending = {
            SessionResult.CONTINUE: CONTINUE_ENDINGS,
            SessionResult.AGREED: AGREED_ENDINGS,
            SessionResult.NOT_AGREED: NOT_AGREED_ENDINGS,
        }[result]
        place = self._session_place(org, info)
        record = MediationSession(
            held_at=at,
            place=place,
            participants=participants,
            content=body + rng.choice(ending),
            result=result,
            recorder=info.mediators[-1].name if info.mediators else self.actor(org),
            mediators=list(info.mediators),
            created_at=at,
            updated_at=at,
        )
        case.sessions.append(record)
        local = clock.as_local(at)
        h.step(
            K.SESSION,
            h.day,
            org=org,
            actor=self._mediator_name(info),
            note=result.label,
            held_at=local.strftime("%Y-%m-%d %H:%M"),
            place=place,
        )

    def _session_place(self, org: Organization, info: _Info) -> str:
        rng = self.rng
        if org.level == OrgLevel.VILLAGE:
            name = org.name.removesuffix("人民调解委员会")
            if info.stem in ("邻里", "房屋宅基地", "山林土地") and rng.random() < 0.25:
                return f"{name}纠纷现场"
            return f"{name}{'居委会' if name.endswith('社区') else '村委会'}调解室"
        if info.stem == "医疗" and rng.random() < 0.3:
            return f"{data.COUNTY_NAME}人民医院医患沟通办公室"
        return f"{org.name}调解室"

    def _settle(self, h: _History, info: _Info) -> None:
        rng, case = self.rng, h.case
        signed = h.day
        agreed = None
        if info.amount is not None:
            agreed = max(_round_money(info.amount * rng.uniform(0.5, 1.0)), min(info.amount, 100))
        form = (
            AgreementForm.ORAL
            if (agreed is None or agreed < 3000) and rng.random() < 0.25
            else AgreementForm.WRITTEN
        )
        manner, due, on_spot = self._performance(agreed, signed)
        terms = self._terms(info, agreed, signed, due, manner, form)
        agreement = Agreement(
            number=case.number,
            form=form,
            signed_on=signed,
            terms=terms,
            amount=Decimal(agreed) if agreed is not None else None,
            performance_manner=manner,
            performance_deadline=due,
            performed=on_spot,
            performed_on=signed if on_spot else None,
        )
        if form == AgreementForm.WRITTEN and agreed is not None and rng.random() < 0.07:
            confirmed = signed + timedelta(days=rng.randint(3, 20))
            if confirmed <= self.today:
                year = confirmed.year
                self.confirmations[year] = self.confirmations.get(year, rng.randint(20, 60)) + rng.randint(
                    1, 6
                )
                agreement.confirmation_court = COURT
                agreement.confirmation_date = confirmed
                agreement.confirmation_number = f"（{year}）{COURT_PREFIX}{self.confirmations[year]}号"
        org = info.handling or self.root
        h.step(
            K.SETTLE,
            signed,
            S.SETTLED,
            org=org,
            actor=self._mediator_name(info),
            form=form.label,
            amount=str(agreement.amount) if agreement.amount is not None else None,
        )
        agreement.created_at = agreement.updated_at = h.last_at
        case.agreement = agreement
        self._follow_ups(h, info, agreement)

    def _performance(self, agreed: int | None, signed: date) -> tuple[str | None, date | None, bool]:
        """Return (manner, deadline, performed at signing) of an agreement."""
        rng = self.rng
        if agreed is None:
            if rng.random() < 0.5:
                return "按协议约定自行履行", signed + timedelta(days=rng.randint(3, 30)), False
            return "协议签订后即时履行", signed, rng.random() < 0.6
        roll = rng.random()
        if agreed < 5000 and roll < 0.45 or roll < 0.15:
            return "当场一次性付清", signed, True
        if agreed >= 10000 and roll < 0.4:
            return "分期支付（银行转账）", signed + timedelta(days=rng.choice((60, 90, 120, 180))), False
        return "一次性支付（银行转账）", signed + timedelta(days=rng.choice((3, 7, 10, 15, 30))), False

    def _terms(
        self,
        info: _Info,
        agreed: int | None,
        signed: date,
        due: date | None,
        manner: str | None,
        form: AgreementForm,
    ) -> str:
        rng = self.rng
        a, r = info.applicant.name, info.respondent.name
        core = info.claims.removeprefix("请求").rstrip("。")
        if info.amount is not None and agreed is not None:
            core = core.replace(format_money(info.amount), format_money(agreed))
        if "解除婚姻关系" in core:
            core = rng.choice(
                (
                    "双方同意和好，今后互相尊重、互相关爱，共同抚养教育子女，不再因家庭琐事争吵",
                    "双方同意协议离婚，婚生子女由申请人抚养，共同财产按照双方协商意见分割，双方自行到婚姻登记机关办理离婚登记",
                )
            )
        elif not core.startswith((r, a)):
            core = "双方同意" + core.removeprefix("依法")
        lines = [f"一、{core}。"]
        if agreed is not None and due is not None:
            money = f"{format_money(agreed)}（大写：人民币{rmb_upper(agreed)}）"
            if manner == "当场一次性付清":
                lines.append(f"二、上述款项{money}由{r}于协议签订时当场一次性支付给{a}，{a}当面点清。")
            elif manner and manner.startswith("分期"):
                first = _round_money(agreed * 0.5)
                lines.append(
                    f"二、上述款项{money}由{r}分两期支付：协议签订之日起十日内支付{format_money(first)}，"
                    f"余款于{due:%Y年%m月%d日}前付清。"
                )
            else:
                lines.append(f"二、上述款项{money}由{r}于{due:%Y年%m月%d日}前一次性支付给{a}。")
        elif due is not None and due > signed:
            lines.append(f"二、上述事项由{r}于{due:%Y年%m月%d日}前履行完毕。")
        n = "三" if len(lines) > 1 else "二"
        lines.append(
            f"{n}、本协议履行完毕后，双方就本纠纷再无其他争议，今后和睦相处，任何一方不得再以此为由滋事。"
        )
        if form == AgreementForm.WRITTEN:
            n = "四" if n == "三" else "三"
            lines.append(
                f"{n}、本协议自双方当事人签名、人民调解员签名并加盖人民调解委员会印章之日起生效。"
                "本协议一式三份，双方当事人各执一份，人民调解委员会留存一份。"
            )
        return "\n".join(lines)

    def _follow_ups(self, h: _History, info: _Info, agreement: Agreement) -> None:
        """回访 once, and again after the performance deadline if the agreement was not yet carried out."""
        rng = self.rng
        org = info.handling or self.root
        day = agreement.signed_on + timedelta(days=rng.randint(7, 40))
        due = agreement.performance_deadline
        if agreement.performed:
            performance = Performance.FULL
        elif due is not None and day < due:
            performance = _weighted(
                rng, ((Performance.NOT_DUE, 6), (Performance.PARTIAL, 2), (Performance.FULL, 2))
            )
        else:
            performance = _weighted(
                rng, ((Performance.FULL, 88), (Performance.PARTIAL, 8), (Performance.NONE, 4))
            )
        self._agreement_visit(h, info, agreement, day, performance, org)
        if performance != Performance.FULL and rng.random() < 0.85:
            day = max(h.day, due or h.day) + timedelta(days=rng.randint(3, 30))
            performance = _weighted(
                rng, ((Performance.FULL, 88), (Performance.PARTIAL, 8), (Performance.NONE, 4))
            )
            self._agreement_visit(h, info, agreement, day, performance, org)
        self._archive(h, org, info)

    def _agreement_visit(
        self,
        h: _History,
        info: _Info,
        agreement: Agreement,
        day: date,
        performance: Performance,
        org: Organization,
    ) -> None:
        rng = self.rng
        satisfaction = {
            Performance.FULL: ((5, 62), (4, 30), (3, 7), (2, 1)),
            Performance.NOT_DUE: ((5, 40), (4, 45), (3, 15)),
            Performance.PARTIAL: ((4, 40), (3, 45), (2, 15)),
            Performance.NONE: ((3, 30), (2, 50), (1, 20)),
        }[performance]
        risk = {
            Performance.FULL: ((RemainingRisk.NONE, 92), (RemainingRisk.LOW, 8)),
            Performance.NOT_DUE: ((RemainingRisk.LOW, 70), (RemainingRisk.NONE, 30)),
            Performance.PARTIAL: ((RemainingRisk.LOW, 60), (RemainingRisk.MEDIUM, 40)),
            Performance.NONE: ((RemainingRisk.MEDIUM, 60), (RemainingRisk.HIGH, 40)),
        }[performance]
        visited = self._visit(
            h, info, day, performance, _weighted(rng, satisfaction), _weighted(rng, risk), org
        )
        if performance == Performance.FULL and not agreement.performed:
            # Paid by the deadline when visited after it; early otherwise.
            due = agreement.performance_deadline
            agreement.performed = True
            agreement.performed_on = min(visited, due) if due and due >= agreement.signed_on else visited

    def _visit(
        self,
        h: _History,
        info: _Info,
        day: date,
        performance: Performance,
        satisfaction: int,
        risk: RemainingRisk,
        org: Organization,
        notes: str | None = None,
    ) -> date:
        """Record a 回访 and return the day it was made."""
        rng, case = self.rng, h.case
        visited = (
            info.applicant
            if rng.random() < 0.7 or info.respondent.kind == PartyKind.ORGANIZATION
            else info.respondent
        )
        notes = notes or rng.choice(FOLLOW_UP_NOTES[performance])
        visitor = self._mediator_name(info)
        step_day = h.step(
            K.FOLLOW_UP,
            day,
            S.FOLLOWED_UP if case.status == S.SETTLED else None,
            org=org,
            actor=visitor,
            note=notes,
            satisfaction=f"{satisfaction}分",
            performance=performance.label,
        )
        at = h.last_at
        case.follow_ups.append(
            FollowUp(
                visited_on=step_day,
                method=_weighted(
                    rng,
                    ((FollowUpMethod.PHONE, 45), (FollowUpMethod.VISIT, 40), (FollowUpMethod.INTERVIEW, 15)),
                ),
                visitor=visitor,
                person_visited=visited.name,
                performance=performance,
                satisfaction=satisfaction,
                remaining_risk=risk,
                notes=notes,
                created_at=at,
                updated_at=at,
            )
        )
        return step_day

    def _archive(self, h: _History, org: Organization, info: _Info) -> None:
        day = h.step(
            K.ARCHIVE,
            h.day + timedelta(days=self.rng.randint(0, 10)),
            S.CLOSED,
            org=org,
            actor=self.actor(org),
        )
        h.case.closed_on = day

    def _fail(self, h: _History, info: _Info) -> None:
        rng, case = self.rng, h.case
        org = info.handling or self.root
        reason = rng.choice(FAILURE_REASONS.get(info.stem, ()) + FAILURE_REASONS[""])
        h.step(K.FAIL, h.day, S.FAILED, org=org, actor=self._mediator_name(info), note=reason)
        case.failure_reason = reason
        if info.stem == "劳动争议" and rng.random() < 0.8:
            route = ReferralRoute.ARBITRATION
        elif info.stem in ("征地拆迁", "山林土地", "环境污染") and rng.random() < 0.6:
            route = ReferralRoute.ADMINISTRATIVE
        else:
            route = ReferralRoute.LITIGATION
        plan = STABILITY_PLANS[route].format(
            court=COURT, county=data.COUNTY_NAME, m=self._mediator_name(info)
        )
        h.step(
            K.REFER,
            h.day + timedelta(days=rng.randint(0, 5)),
            S.REFERRED,
            org=org,
            actor=self._mediator_name(info),
            route=route.label,
        )
        case.referral_route, case.stability_plan = route, plan
        if rng.random() < 0.35:
            day = h.day + timedelta(days=rng.randint(10, 40))
            satisfaction = _weighted(rng, ((5, 25), (4, 45), (3, 25), (2, 5)))
            risk = _weighted(
                rng, ((RemainingRisk.LOW, 60), (RemainingRisk.NONE, 25), (RemainingRisk.MEDIUM, 15))
            )
            self._visit(
                h, info, day, Performance.NOT_DUE, satisfaction, risk, org, rng.choice(REFERRED_NOTES)
            )
        self._archive(h, org, info)

    # --- 零报告 ---------------------------------------------------------------------------------------------

    def zero_reports(self, cases: Sequence[Case]) -> list[ZeroReport]:
        """File a 零报告 for most committee-months without a case, leaving the rest missing."""
        rng = self.rng
        busy = {
            (case.numbering_organization_id, case.accepted_on.replace(day=1))
            for case in cases
            if case.status != S.VOIDED
        }
        first = (self.today - timedelta(days=WINDOW_DAYS - 1)).replace(day=1)
        this_month = self.today.replace(day=1)
        months = []
        month = first
        while month < this_month:
            months.append(month)
            month = add_months(month, 1)
        reporters = [
            org for org in self.committees if org.kind in REPORTING_KINDS and org.level in REPORTING_LEVELS
        ]
        reports = []
        for org in reporters:
            by_entry = (
                self.entry is not None
                and self.entry_org is not None
                and org.path.startswith(self.entry_org.path)
            )
            for month in months:
                if (org.id, month) in busy or rng.random() >= ZERO_REPORT_SHARE:
                    continue
                start, end = month_period(month)
                reports.append(
                    ZeroReport(
                        organization_id=org.id,
                        period_start=start,
                        period_end=end,
                        reported_by_id=self.entry.id if by_entry and self.entry else None,
                        reported_on=min(end + timedelta(days=rng.randint(1, 5)), self.today),
                        notes=rng.choice(
                            (
                                "经排查，本月未发现矛盾纠纷。",
                                "本月组织网格员开展矛盾纠纷排查，未发现矛盾纠纷。",
                                "经走访排查，辖区内本月无矛盾纠纷。",
                            )
                        ),
                    )
                )
        return reports


def _weighted(rng: Any, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def _delay(rng: Any, days: Sequence[int]) -> int:
    return rng.choice(days)


def _money(rng: Any, low: int, high: int) -> int:
    """Return a sum between low and high, log-uniform, rounded the way people name sums."""
    return max(_round_money(math.exp(rng.uniform(math.log(low), math.log(high)))), 100)


def _round_money(value: float) -> int:
    step = 1000 if value >= 20000 else 100
    return int(round(value / step) * step)


def _industry_of(stem: str) -> Industry | None:
    return next((industry for industry, (s, _) in INDUSTRY_TYPES.items() if s == stem), None)


def _expert_share(stem: str) -> float:
    return {"医疗": 0.3, "道路交通事故": 0.1, "征地拆迁": 0.08, "房屋宅基地": 0.06}.get(stem, 0.03)


def seed_cases(
    session: Session, faker: DemoFaker, orgs: Sequence[Organization], today: date, count: int = 5000
) -> int:
    """Build `count` demo cases accepted over the two years before `today`, with 零报告 and counters.

    Rows are added in batches and flushed, not committed; the caller commits. Returns the number of cases.
    """
    seeder = _Seeder(session, faker, orgs, today)
    if not seeder.committees:
        return 0
    answer = _Answerer(session, faker.seed)
    cases: list[Case] = []
    batch: list[tuple[Case, list[dict[str, Any]]]] = []
    plans = seeder.plans(count)
    for index, plan in enumerate(plans, start=1):
        case, events = seeder.build(plan)
        answer(case)
        cases.append(case)
        batch.append((case, events))
        if len(batch) >= BATCH or index == len(plans):
            session.add_all(case for case, _ in batch)
            session.flush()
            rows = [event | {"case_id": case.id} for case, events in batch for event in events]
            session.execute(insert(EVENT_TABLE), rows)
            batch = []
    session.add_all(seeder.zero_reports(cases))
    last: dict[tuple[int, int], int] = {}
    for case in cases:
        key = (case.numbering_organization_id, case.year)
        last[key] = max(last.get(key, 0), case.seq)
    session.add_all(
        CaseCounter(organization_id=org_id, year=year, last_value=value)
        for (org_id, year), value in last.items()
    )
    session.flush()
    return len(cases)


class _Answerer:
    """Fill each demo case's extra fields (自定义表单) with plausible answers of its type's version."""

    def __init__(self, session: Session, seed: int) -> None:
        self.session = session
        # Its own random stream, so the rest of the demo ledger is the same with or without forms.
        self.rng = random.Random(f"answers:{seed}")
        self.versions: dict[int, FormVersion | None] = {}
        self.registers = RegisterAnswers(session, random.Random(f"registers:{seed}"))

    def __call__(self, case: Case) -> None:
        if case.dispute_type_id not in self.versions:
            dispute_type = self.session.get(DisputeType, case.dispute_type_id)
            self.versions[case.dispute_type_id] = formdefs.version_for_type(self.session, dispute_type)
        version = self.versions[case.dispute_type_id]
        if version is not None:
            case.form_version_id = version.id
            answers = fake_answers(version.body, self.rng, case.accepted_on)
            case.answers = self.registers.fill(case.organization_id, version.body, answers)
