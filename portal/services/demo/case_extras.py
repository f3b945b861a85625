"""Demo 群众评议, 领导包案, 听证 and 三调联动 on the demo ledger (models/case_extras.py).

Added after the cases, as the services would have left them: every 回访 carries the party's verdict (in
line with its 1–5 score, a few with the party's words); the county's major open disputes (高风险,
群体性, 重大) and a few closed ones have a leader in charge, with 批示 and progress notes, and most of
them a 听证 during mediation; cases the court, police or petition office sent (纠纷来源) carry the 移入
record with the partner's number and our feedback; failed cases guided to court, and a few high-risk
ones, were referred out (移出). Each record has its step in the case's history at a time the workflow
allows it (`case_checks` holds them to the same rules). Loaded with the ledger, under its one audit row.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from portal import clock
from portal.models.case import (
    MEDIATION_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    Difficulty,
    Evaluation,
    FollowUp,
    RiskLevel,
)
from portal.models.case_extras import (
    Hearing,
    HearingOutcome,
    LeaderCharge,
    LeaderLevel,
    LeaderNote,
    LeaderNoteKind,
    Liaison,
    LiaisonChannel,
    LiaisonDirection,
    LiaisonOutcome,
)
from portal.services.demo import data

K = CaseEventKind
S = CaseStatus
COURT = f"{data.COUNTY_NAME}人民法院"
PETITION_OFFICE = f"{data.COUNTY_NAME}信访局"
COUNTY_LEADERS = (
    ("王建国", "县委常委、政法委书记"),
    ("李卫东", "副县长、县公安局局长"),
    ("刘振华", "县人大常委会副主任"),
    ("陈淑芬", "县政协副主席"),
)
TOWNSHIP_LEADERS = (
    ("张立新", "党委书记"),
    ("赵红梅", "党委副书记、镇长"),
    ("孙志强", "党委委员、政法委员"),
    ("周海涛", "党委副书记"),
)
INSTRUCTIONS = (
    "此案涉及人数多、情绪激烈，由我包案。请司法所会同村“两委”逐户走访，十日内拿出化解方案，每周报告进展。",
    "要把矛盾化解在基层，防止事态扩大。请相关部门密切配合，依法依规妥善处理，确保不发生越级上访。",
    "请县矛调中心牵头，邀请法律顾问和相关专家参与，必要时组织听证，做到案结事了。",
)
NOTES = (
    (LeaderNoteKind.PROGRESS, "已分别约谈双方当事人，掌握诉求，正在核实有关证据。"),
    (LeaderNoteKind.INSTRUCTION, "同意化解方案。注意做好重点人员稳控，有情况随时报告。"),
    (LeaderNoteKind.PROGRESS, "已组织双方面对面协商，分歧缩小，拟组织听证听取各方意见。"),
    (LeaderNoteKind.INSTRUCTION, "听证意见要充分吸收，补偿标准要公开透明，一把尺子量到底。"),
)
QUESTIONS = (
    "一、争议款项的数额及计算依据；二、各方责任如何划分；三、履行期限和方式。",
    "一、土地界址是否清楚；二、地上附着物补偿标准；三、历史遗留问题如何处理。",
    "一、拖欠工资的人数、月份和数额；二、发包方、承包方的付款责任；三、分期支付的安排。",
)
HEARING_SUMMARIES = {
    HearingOutcome.CONSENSUS: "各方充分陈述，专家就补偿标准作了说明，各方认可方案，同意按听证意见签订协议。",
    HearingOutcome.OPINION: "经听证，形成听证意见：按评估价格补偿，分两期支付。申请人表示回去商量后答复。",
    HearingOutcome.DIVIDED: "双方对赔偿数额分歧较大，约定一周内补充证据后再行调解，期间不得采取过激行为。",
}
REPRESENTATIVES = (
    "村“两委”代表2人、群众代表3人",
    "县人大代表1人、村民代表4人",
    "当事人代理律师1人、村民代表2人",
)
EVALUATION_COMMENTS = {
    Evaluation.SATISFIED: (
        "调解员很耐心，问题解决了，谢谢政府。",
        "处理得公道，我们服气。",
        "没花一分钱就把事办了。",
    ),
    Evaluation.BASIC: ("结果还行，就是拖的时间长了点。", "钱还没全部到位，希望继续督促。"),
    Evaluation.DISSATISFIED: ("对方一直没按协议给钱，调解员催得不够。", "觉得赔偿标准偏低，心里还是不服。"),
}
REFER_OUT = {
    LiaisonChannel.COURT: "调解不成，当事人同意诉讼解决，移送法院立案前再行委派调解。",
    LiaisonChannel.POLICE: "一方当事人扬言报复，有引发治安案件的风险，移送派出所依法处置并协助稳控。",
}
RECEIVED = {
    LiaisonChannel.COURT: "法院诉前委派调解",
    LiaisonChannel.POLICE: "派出所接警后移送调解",
    LiaisonChannel.PETITION: "信访局转交办理",
}
FEEDBACK = {
    LiaisonOutcome.SETTLED: "经调解双方达成协议，已按期履行，纠纷化解。",
    LiaisonOutcome.FAILED: "经调解未能达成协议，已引导当事人通过诉讼途径解决。",
    LiaisonOutcome.RETURNED: "不属于人民调解受理范围，已退回并说明理由。",
}
PARTNER_FEEDBACK = {
    LiaisonOutcome.SETTLED: "法院诉前调解成功，出具调解书，当事人已履行。",
    LiaisonOutcome.FAILED: "诉前调解未成，已转立案审理。",
    LiaisonOutcome.RETURNED: "经审查不属于本单位管辖，已退回并建议继续调解。",
}


def _at(event: CaseEvent) -> datetime:
    return event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)


class _Slots:
    """Moments in a case's history at which a status allowed a step, between its recorded steps."""

    def __init__(self, session: Session, case: Case, now: datetime) -> None:
        self.session, self.case, self.now = session, case, now
        self.events = sorted(case.events, key=lambda e: (_at(e), e.id or 0))

    def after(
        self, allowed: frozenset[CaseStatus], start: datetime | None = None
    ) -> tuple[datetime, Any] | None:
        """Return a moment after `start` (and the status then) where the status is in `allowed`."""
        for index, event in enumerate(self.events):
            status = event.to_status or event.from_status
            if status not in allowed or (start is not None and _at(event) < start):
                continue
            later = self.events[index + 1] if index + 1 < len(self.events) else None
            end = _at(later) if later is not None else min(_at(event) + timedelta(days=2), self.now)
            if end - _at(event) < timedelta(minutes=2):
                continue
            return _at(event) + (end - _at(event)) / 2, status
        return None

    def add(
        self, kind: CaseEventKind, moment: datetime, status: CaseStatus, note: str, **details: Any
    ) -> None:
        case = self.case
        event = CaseEvent(
            case=case,
            kind=kind,
            from_status=status,
            to_status=status,
            at=moment,
            actor_name=case.mediators[0].name if case.mediators else "录入员",
            organization_id=case.organization_id,
            note=note,
            details={k: v for k, v in details.items() if v not in (None, "")},
        )
        self.session.add(event)
        case.last_activity_on = max(case.last_activity_on, clock.local_date(moment))  # as record_event does
        self.events.append(event)
        self.events.sort(key=lambda e: (_at(e), e.id or 0))


def seed_case_extras(session: Session, today: date, seed: int) -> dict[str, int]:
    """Add the verdicts, 包案, hearings and referrals to the demo ledger (flushed, not committed)."""
    rng = random.Random(f"case_extras:{seed}")
    now = min(clock.utcnow(), clock.from_wall(datetime.combine(today, time(23, 59))))
    counts = {"evaluations": _evaluations(session, rng)}
    counts.update(_major_cases(session, rng, today, now))
    counts["liaisons"] = _liaisons(session, rng, today, now)
    session.flush()
    return counts


def _evaluations(session: Session, rng: random.Random) -> int:
    """Give every 回访 the party's verdict, in line with its score; a few with the party's words."""
    weights = {
        5: ((Evaluation.SATISFIED, 92), (Evaluation.BASIC, 8)),
        4: ((Evaluation.SATISFIED, 50), (Evaluation.BASIC, 50)),
        3: ((Evaluation.BASIC, 70), (Evaluation.DISSATISFIED, 30)),
        2: ((Evaluation.DISSATISFIED, 80), (Evaluation.BASIC, 20)),
        1: ((Evaluation.DISSATISFIED, 100),),
    }
    visits = list(session.scalars(select(FollowUp).order_by(FollowUp.id)))
    for visit in visits:
        options = weights[visit.satisfaction]
        visit.evaluation = rng.choices([o for o, _ in options], [w for _, w in options])[0]
        if visit.evaluation == Evaluation.DISSATISFIED or rng.random() < 0.3:
            visit.evaluation_comment = rng.choice(EVALUATION_COMMENTS[visit.evaluation])
    return len(visits)


def _major_cases(session: Session, rng: random.Random, today: date, now: datetime) -> dict[str, int]:
    """领导包案 on the major disputes (most of those still open, a few closed), 听证 on most of them."""
    query = (
        select(Case)
        .where(
            Case.status.not_in([S.VOIDED, S.REGISTERED]),
            or_(Case.risk_level == RiskLevel.HIGH, Case.is_group, Case.difficulty == Difficulty.MAJOR),
        )
        .options(selectinload(Case.events), selectinload(Case.mediators), selectinload(Case.experts))
        .options(selectinload(Case.organization))
        .order_by(Case.accepted_on.desc(), Case.id)
        .execution_options(populate_existing=True)
    )
    found = list(session.scalars(query))
    open_cases = [c for c in found if c.status in OPEN_STATUSES][:12]
    closed = [c for c in found if c.status == S.CLOSED][:4]
    charges = hearings = 0
    for index, case in enumerate(open_cases + closed):
        slots = _Slots(session, case, now)
        if _charge(session, rng, case, slots, today, county=index % 3 == 0):
            charges += 1
        if index % 4 != 3 and _hearing(session, rng, case, slots):
            hearings += 1
    return {"leader_charges": charges, "hearings": hearings}


def _township(case: Case) -> str | None:
    """Return the township (乡镇/街道) the case's organisation lies in, or None for a county body."""
    org = case.organization
    while org is not None:
        for full, short in data.TOWNSHIPS:
            if org.name.startswith((full, short)):
                return full
        org = org.parent
    return None


def _charge(
    session: Session, rng: random.Random, case: Case, slots: _Slots, today: date, *, county: bool
) -> bool:
    slot = slots.after(OPEN_STATUSES - {S.REGISTERED})
    if slot is None:
        return False
    moment, status = slot
    started = clock.local_date(moment)
    township = _township(case)
    county = county or township is None
    name, post = rng.choice(COUNTY_LEADERS if county else TOWNSHIP_LEADERS)
    if township is not None and not county:
        head = "镇长" if township.endswith("镇") else "乡长" if township.endswith("乡") else "办事处主任"
        post = township + post.replace("镇长", head)
    charge = LeaderCharge(
        case=case,
        leader_name=name,
        leader_post=post,
        level=LeaderLevel.COUNTY if county else LeaderLevel.TOWNSHIP,
        started_on=started,
        instructions=rng.choice(INSTRUCTIONS),
    )
    session.add(charge)
    slots.add(K.LEADER, moment, status, charge.instructions, leader=str(charge), level=charge.level.label)
    start = moment
    for kind, content in NOTES[: rng.randint(1, len(NOTES))]:
        slot = slots.after(OPEN_STATUSES, start + timedelta(minutes=1))
        if slot is None:
            break
        start, status = slot
        author = (
            name
            if kind == LeaderNoteKind.INSTRUCTION
            else (case.mediators[0].name if case.mediators else "录入员")
        )
        charge.notes.append(
            LeaderNote(kind=kind, noted_on=clock.local_date(start), content=content, author_name=author)
        )
        slots.add(K.LEADER_NOTE, start, status, content, leader=str(charge), note_kind=kind.label)
    if case.status == S.CLOSED:
        charge.ended_on = max(case.closed_on or today, charge.started_on)
        charge.end_note = "案件结案归档，包案结束"
    return True


def _hearing(session: Session, rng: random.Random, case: Case, slots: _Slots) -> bool:
    slot = slots.after(frozenset({S.MEDIATING}))
    if slot is None or not case.mediators:
        return False
    moment, status = slot
    outcome = rng.choice(list(HearingOutcome))
    hearing = Hearing(
        case=case,
        held_at=moment,
        place=f"{case.organization.name}调解室",
        presiding=case.mediators[0].name,
        parties_present=case.party_names or "双方当事人",
        representatives=rng.choice(REPRESENTATIVES),
        questions=rng.choice(QUESTIONS),
        outcome=outcome,
        summary=HEARING_SUMMARIES[outcome],
        recorder=case.mediators[-1].name,
        mediators=list(case.mediators),
        experts=list(case.experts),
    )
    session.add(hearing)
    slots.add(
        K.HEARING,
        moment,
        status,
        hearing.summary,
        held_at=clock.as_local(moment).strftime("%Y-%m-%d %H:%M"),
        place=hearing.place,
        presiding=hearing.presiding,
        hearing_outcome=outcome.label,
    )
    return True


def _liaisons(session: Session, rng: random.Random, today: date, now: datetime) -> int:
    """移入 records on cases the partners sent, with our feedback once concluded; 移出 on a few others."""
    received = list(
        session.scalars(
            select(Case)
            .where(
                Case.source.in_([CaseSource.COURT, CaseSource.POLICE, CaseSource.PETITION]),
                Case.status.not_in([S.VOIDED, S.CLOSED]),
            )
            .options(selectinload(Case.events), selectinload(Case.agreement), selectinload(Case.organization))
            .options(selectinload(Case.mediators))
            .order_by(Case.accepted_on.desc(), Case.id)
            .limit(24)
            .execution_options(populate_existing=True)
        )
    )
    channel_of = {CaseSource.COURT: LiaisonChannel.COURT, CaseSource.POLICE: LiaisonChannel.POLICE}
    added = 0
    for seq, case in enumerate(received, start=1):
        channel = channel_of.get(case.source, LiaisonChannel.PETITION)
        slots = _Slots(session, case, now)
        slot = slots.after(OPEN_STATUSES)
        if slot is None:
            continue
        moment, status = slot
        received_on = case.accepted_on
        liaison = Liaison(
            case=case,
            channel=channel,
            direction=LiaisonDirection.IN,
            partner=_partner(case, channel),
            partner_reference=_reference(channel, case.accepted_on.year, seq),
            reason=RECEIVED[channel],
            sent_on=received_on - timedelta(days=rng.randint(0, 3)),
            received_on=received_on,
        )
        session.add(liaison)
        slots.add(
            K.LIAISON_IN, moment, status, liaison.reason, channel=channel.label, partner=liaison.partner
        )
        done = (
            LiaisonOutcome.SETTLED
            if case.agreement is not None
            else LiaisonOutcome.FAILED
            if case.failure_reason
            else None
        )
        later = slots.after(frozenset(CaseStatus) - {S.VOIDED, *MEDIATION_STATUSES}, moment) if done else None
        if later is not None and done is not None:
            _feedback(slots, liaison, later, done, FEEDBACK[done])
        added += 1
    out = list(
        session.scalars(
            select(Case)
            .where(
                Case.status.in_([S.REFERRED, S.FAILED]),
                Case.source.not_in([CaseSource.COURT, CaseSource.POLICE, CaseSource.PETITION]),
            )
            .options(selectinload(Case.events), selectinload(Case.organization), selectinload(Case.mediators))
            .order_by(Case.accepted_on.desc(), Case.id)
            .limit(8)
            .execution_options(populate_existing=True)
        )
    )
    for seq, case in enumerate(out, start=1):
        channel = LiaisonChannel.POLICE if case.risk_level == RiskLevel.HIGH else LiaisonChannel.COURT
        slots = _Slots(session, case, now)
        slot = slots.after(frozenset({S.FAILED, S.REFERRED}))
        if slot is None:
            continue
        moment, status = slot
        liaison = Liaison(
            case=case,
            channel=channel,
            direction=LiaisonDirection.OUT,
            partner=_partner(case, channel),
            partner_contact=rng.choice(("立案庭 王法官", "值班民警 刘警官", "诉调对接中心 张书记员")),
            reason=REFER_OUT.get(channel, REFER_OUT[LiaisonChannel.COURT]),
            sent_on=clock.local_date(moment),
        )
        session.add(liaison)
        slots.add(
            K.LIAISON_OUT, moment, status, liaison.reason, channel=channel.label, partner=liaison.partner
        )
        later = slots.after(frozenset(CaseStatus) - {S.VOIDED}, moment + timedelta(minutes=1))
        if later is not None and seq % 3 != 0:
            sent = clock.local_date(moment)
            liaison.received_on = sent
            liaison.partner_reference = _reference(channel, sent.year, 100 + seq)
            outcome = (LiaisonOutcome.SETTLED, LiaisonOutcome.FAILED, LiaisonOutcome.RETURNED)[seq % 3]
            _feedback(slots, liaison, later, outcome, PARTNER_FEEDBACK[outcome])
        added += 1
    return added


def _feedback(
    slots: _Slots, liaison: Liaison, slot: tuple[datetime, Any], outcome: LiaisonOutcome, text: str
) -> None:
    moment, status = slot
    start = max(d for d in (liaison.sent_on, liaison.received_on, slots.case.accepted_on) if d is not None)
    day = clock.local_date(moment)
    if day < start:
        return
    liaison.feedback_on, liaison.outcome, liaison.feedback = day, outcome, text
    slots.add(
        K.LIAISON_FEEDBACK,
        moment,
        status,
        text,
        channel=str(liaison),
        partner=liaison.partner,
        outcome=outcome.label,
    )


def _partner(case: Case, channel: LiaisonChannel) -> str:
    if channel == LiaisonChannel.COURT:
        return COURT
    if channel == LiaisonChannel.POLICE:
        township = _township(case)
        short = dict(data.TOWNSHIPS).get(township or "", "城关")
        return f"{data.COUNTY_NAME}公安局{short}派出所"
    return PETITION_OFFICE


def _reference(channel: LiaisonChannel, year: int, seq: int) -> str:
    if channel == LiaisonChannel.COURT:
        return f"（{year}）鲁民诉前调{seq:03d}号"
    if channel == LiaisonChannel.POLICE:
        return f"清公（治）调字〔{year}〕{seq}号"
    return f"清信转〔{year}〕{seq}号"
