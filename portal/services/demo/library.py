"""Demo 优秀案例库: a handful of excellent cases written up from settled demo cases, in several states.

Each plan picks the first settled and followed-up (or archived) demo case of its dispute type and writes it
up with the parties' real names, as an office would; the library's own rules anonymise the text, the
county evaluator checks and reviews it through the real services. Choices are made by ordering, so the
same ledger always gives the same library.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models.auth import User
from portal.models.case import Case, CaseStatus
from portal.models.case_library import ExcellentCaseEventKind
from portal.models.dictionary import DisputeType
from portal.services import case_library

K = ExcellentCaseEventKind


@dataclass(frozen=True)
class _Plan:
    """One demo write-up: the dispute type it needs, its texts ({a}, {b}: the parties), how far it got."""

    type_code: str
    title: str
    summary: str
    process: str
    technique: str
    significance: str
    methods: tuple[str, ...]
    stage: str  # draft / submitted / returned / published / withdrawn
    note: str = ""


PLANS = (
    _Plan(
        "03",
        "{a}与{b}宅基地边界纠纷案",
        "{a}与{b}系前后院邻居。{a}翻建房屋时，{b}认为其新砌院墙越过原有界址约四十厘米，双方多次争吵，"
        "{b}之子将{a}家刚砌的墙基推倒，双方亲属聚集对峙，矛盾一触即发（{number}）。",
        "网格员当天上报后，调解员会同村“两委”干部赶到现场，先劝散围观人员，分别稳住双方情绪。"
        "随后调取1998年宅基地确权档案，邀请县自然资源局工作人员现场测量，确认{a}新墙基越界约二十厘米。"
        "调解员分别与双方背靠背谈话：向{a}讲明越界部分须退回，向{b}讲明推倒墙基应当赔偿。"
        "第二次调解时双方同意：{a}将墙基后移二十厘米，{b}赔偿{a}材料损失一千二百元，双方签订书面协议。",
        "一是抓早抓小，接报即到现场，防止群体冲突；二是以确权档案和现场测量说话，用事实消除猜疑；"
        "三是背靠背做工作，给双方台阶下，再面对面签协议。",
        "宅基地边界纠纷历史成因复杂，极易因小事激化。本案调解员第一时间介入、借助专业部门精准测量，"
        "体现了“预防在前、调解在前”的工作要求，实现了案结事了人和。",
        ("prevent_first", "mediate_first", "back_to_back", "joint"),
        "published",
    ),
    _Plan(
        "0103",
        "{a}等兄妹赡养老人纠纷案",
        "八旬老人{b}育有二子一女，老伴去世后独居。长子{a}认为自己已为父亲翻修房屋，应由弟妹承担主要赡养费用，"
        "兄妹三人互相推诿，老人生活无着，到司法所求助。",
        "调解员先上门看望老人，了解其生活和就医需要，再逐一走访三名子女，倾听各自的难处。"
        "在村里德高望重的老党员参与下，组织家庭会议，结合《民法典》关于赡养义务的规定释法明理，"
        "并请老人讲述当年抚养子女的经历。最终兄妹三人商定轮流照料，每人每月支付赡养费六百元，医疗费用均摊。",
        "情理法结合：先讲亲情，再讲道理，最后讲法律；借助乡贤的威望化解兄妹间的积怨；协议约定具体到月、到人，便于履行和回访。",
        "赡养纠纷关系家庭和睦与老年人权益。本案通过乡贤参与、以案释法，引导子女自觉履行赡养义务，"
        "回访时老人满意，具有较好的示范作用。",
        ("law_and_reason", "elders", "precedent"),
        "published",
    ),
    _Plan(
        "1001",
        "{a}等十二名农民工追讨欠薪纠纷案",
        "{a}等十二名农民工在某工地务工五个月，项目完工后包工头{b}以开发商未结算工程款为由拖欠工资共计二十八万元。"
        "临近春节，农民工多次到项目部讨要未果，扬言集体上访。",
        "县矛盾纠纷调处中心接报后启动联合调解，召集人社、住建部门和项目所在地司法所共同参与。"
        "调解员核对考勤表和工资表，逐人确认欠薪数额；住建部门约谈开发商，督促其从农民工工资专用账户先行支付。"
        "经三轮调解，开发商同意先行垫付，{b}出具还款承诺，二十八万元工资于春节前全部发放到位。",
        "一是部门联动、联合调解，压实开发商和包工头的责任；二是逐人核账，用数据说话；三是及时疏导农民工情绪，防止过激行为。",
        "欠薪纠纷涉及人数多、时间敏感。本案坚持“工作在前”，把纠纷化解在春节前、化解在基层，防止了群体性上访。",
        ("work_first", "joint", "counselling"),
        "published",
    ),
    _Plan(
        "13",
        "{a}与{b}道路交通事故损害赔偿纠纷案",
        "{b}驾驶电动三轮车与{a}驾驶的小型轿车相撞，{b}腿部骨折。交警认定{a}负主要责任。"
        "双方对误工费、护理费计算标准分歧较大，{b}家属多次到{a}单位吵闹。",
        "调解员邀请特邀调解专家（执业律师）参与，依据交通事故赔偿计算标准逐项核算医疗费、误工费、护理费和交通费，"
        "向双方出示计算依据。{a}所投保的保险公司派员到场，当场确认理赔范围。双方达成协议并申请司法确认。",
        "专家参与、逐项核算，让双方看得懂、算得清；引入保险公司现场确认，缩短赔付周期；协议经司法确认，保障履行。",
        "交通事故赔偿纠纷专业性强，本案借助专家力量和诉调对接，做到快调快赔，减轻了当事人诉累。",
        ("expert", "judicial_confirmation", "face_to_face"),
        "submitted",
    ),
    _Plan(
        "02",
        "{a}与{b}排水沟堵塞邻里纠纷案",
        "{a}在自家门前硬化路面时将公共排水沟填平，雨季{b}家院内积水倒灌，双方发生口角。",
        "调解员实地查看积水情况，召集双方和村民小组长现场协商，{a}同意恢复排水沟并加装盖板，费用由两家分担。",
        "现场调解，就地化解。",
        "邻里纠纷以和为贵。",
        ("mediate_first", "face_to_face"),
        "returned",
        note="调解过程和方法技巧写得过于简单，请补充调解员如何做双方工作的细节，并充实典型意义。",
    ),
    _Plan(
        "0401",
        "{a}与{b}民间借贷纠纷案",
        "{b}向{a}借款五万元用于经营，约定一年归还，到期后{b}以经营亏损为由迟迟不还。",
        "调解员分别了解双方经济状况，提出分期还款方案，{b}同意分十个月还清，双方签订协议并申请司法确认。",
        "分期还款兼顾双方利益；申请司法确认保障履行。",
        "民间借贷纠纷通过调解分期履行，既保护了出借人权益，又给借款人留出了经营空间。",
        ("judicial_confirmation", "back_to_back"),
        "draft",
    ),
    _Plan(
        "12",
        "{a}与某医院医疗损害赔偿纠纷案",
        "{a}之母在某医院手术后出现并发症，{a}认为医院存在过错，要求赔偿二十万元，并在医院门诊大厅拉横幅。",
        "医疗纠纷人民调解委员会受理后，委托医学专家进行评估，认定医院在术后观察方面存在一定不足。"
        "经调解，医院一次性补偿{a}六万元，{a}撤除横幅、不再就此事主张权利。",
        "引入第三方医学专家评估，以专业意见为基础调解；院外调解，避免纠纷在医院内激化。",
        "医疗纠纷专业性强、情绪对立，本案通过专家调解实现了依法理性解决。",
        ("expert", "counselling"),
        "withdrawn",
        note="当事人对公开案例提出异议，暂撤出案例库。",
    ),
)


def _candidates(session: Session, code: str) -> list[Case]:
    """Return the followed-up or closed demo cases of a dispute type (and its sub-types), oldest first."""
    dispute_type = session.scalar(select(DisputeType).where(DisputeType.code == code))
    if dispute_type is None:
        return []
    type_ids = [dispute_type.id, *(child.id for child in dispute_type.children)]
    query = (
        select(Case)
        .where(
            Case.dispute_type_id.in_(type_ids),
            Case.status.in_([CaseStatus.FOLLOWED_UP, CaseStatus.CLOSED]),
        )
        .options(selectinload(Case.parties), selectinload(Case.agreement))
        .order_by(Case.id)
        .limit(20)
    )
    return list(session.scalars(query))


def seed_library(session: Session, author: User | None, reviewer: User | None) -> int:
    """Write the demo cases up as `author` and review them as `reviewer`; return how many were made."""
    if author is None or reviewer is None:
        raise ValueError("the demo's admin and evaluator accounts must exist before its case library")
    made = 0
    used: set[int] = set()
    for plan in PLANS:
        case = next(
            (
                c
                for c in _candidates(session, plan.type_code)
                if c.id not in used
                and len(c.parties) >= 2
                and case_library.refusal_to_propose(c, author) is None
                and not case_library.entries_of_case(session, c)
            ),
            None,
        )
        if case is None:
            continue
        used.add(case.id)
        names = {"a": case.parties[0].name, "b": case.parties[1].name, "number": case.number}
        texts = {
            "title": plan.title.format(**names),
            "summary": plan.summary.format(**names),
            "process": plan.process.format(**names),
            "technique": plan.technique.format(**names),
            "significance": plan.significance.format(**names),
        }
        entry = case_library.propose(session, author, case, texts, plan.methods)
        made += 1
        if plan.stage == "draft":
            continue
        case_library.take_step(session, author, entry, K.SUBMIT, entry.version)
        if plan.stage == "submitted":
            continue
        if plan.stage == "returned":
            case_library.take_step(session, reviewer, entry, K.RETURN, entry.version, plan.note)
            continue
        case_library.save_anonymised(
            session, reviewer, entry, entry.texts(anonymised=True), entry.version, confirm=True
        )
        case_library.take_step(
            session, reviewer, entry, K.PUBLISH, entry.version, "同意入库，供全县调解员学习借鉴。"
        )
        if plan.stage == "withdrawn":
            case_library.take_step(session, reviewer, entry, K.WITHDRAW, entry.version, plan.note)
    return made
