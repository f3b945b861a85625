"""What the analyst adds to a period's 分析研判 (研判意见), and the 情况通报 issued from it.

Notes are kept per organisation and period (`AnalysisReport`), written by administrators and evaluators
of the organisation's tree (司法局 staff and the 协调中心 who prepare the meeting); every save is audited
by the session listener and a save based on a stale version is refused.

A 情况通报 takes its number, `<org code>矛调通〔2026〕3号`, from the organisation's yearly series at its
first issue; a reprint keeps it. Its paragraphs are written from the report's figures here, so the
document, the page and the tests read the same words.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from portal.models.analysis import AnalysisReport
from portal.models.auth import Role, User
from portal.models.org import Organization
from portal.models.review import DocumentCounter
from portal.services import DomainError
from portal.services.analysis import Report, metric, notes_of
from portal.services.analysis_periods import Period
from portal.services.numbering import reserve
from portal.services.scope import can_reach_org
from portal.text import strip_control

#: Who writes 研判意见: administrators (协调中心) and evaluators (司法局 staff), within their subtree.
NOTE_WRITERS = frozenset({Role.ADMIN, Role.EVALUATOR})
NOTE_FIELDS = {"situation": "总体形势研判", "risks": "风险隐患及预警", "suggestions": "工作建议"}
NOTE_LIMIT = 5000
#: The 发文字号 series of circulars in `DocumentCounter`.
CIRCULAR_SERIES = "circular"
STALE = "保存失败：研判意见已被他人修改。请刷新页面查看最新内容后重新填写（您的修改尚未保存）。"


def may_write(user: User, org: Organization) -> bool:
    """Return whether the user may write the organisation's 研判意见."""
    return user.has_role(*NOTE_WRITERS) and can_reach_org(user, org)


def record_for(session: Session, org: Organization, period: Period) -> AnalysisReport:
    """Return the period's record, adding an empty one (not flushed) when there is none yet."""
    found = notes_of(session, org, period)
    if found is None:
        found = AnalysisReport(
            organization=org, period_kind=period.kind, period_start=period.start, period_end=period.end
        )
        session.add(found)
    return found


def save_notes(
    session: Session,
    actor: User,
    org: Organization,
    period: Period,
    *,
    texts: dict[str, str | None],
    expected_version: int | None,
) -> AnalysisReport:
    """Save the 研判意见 of the organisation's period; refuse a stale save. Commits.

    `expected_version` is the version the form was shown with (None: the form showed no record yet).
    """
    if not may_write(actor, org):
        raise DomainError("您无权填写该单位的研判意见")
    cleaned: dict[str, str | None] = {}
    for key, label in NOTE_FIELDS.items():
        value = strip_control(texts.get(key) or "").strip()
        if len(value) > NOTE_LIMIT:
            raise DomainError(f"{label}不能超过{NOTE_LIMIT}字", key)
        cleaned[key] = value or None
    existing = notes_of(session, org, period)
    if (existing.version if existing is not None else None) != expected_version:
        raise DomainError(STALE)
    record = existing or record_for(session, org, period)
    for key, text in cleaned.items():
        setattr(record, key, text)
    record.updated_by = actor
    session.commit()
    return record


def format_circular_number(org_code: str, year: int, seq: int) -> str:
    """Return a circular's 发文字号: `<org code>矛调通〔2026〕3号`."""
    return f"{org_code}矛调通〔{year}〕{seq}号"


def number_circular(session: Session, record: AnalysisReport, today: date) -> str:
    """Number the period's 情况通报 at its first issue (in the year of issue); keep it after. No commit."""
    if record.circular_number:
        return record.circular_number
    org = record.organization
    seq = reserve(session, DocumentCounter, kind=CIRCULAR_SERIES, organization_id=org.id, year=today.year)
    record.circular_year, record.circular_seq = today.year, seq
    record.circular_number = format_circular_number(org.code, today.year, seq)
    return record.circular_number


# --- the circular's words ---------------------------------------------------------------------------


def village_name(committee: str) -> str:
    """Return a village committee's place: 前李村人民调解委员会 → 前李村."""
    return committee.removesuffix("人民调解委员会")


def circular_paragraphs(report: Report) -> list[str]:
    """Return the paragraphs of a 情况通报, written from the report's figures."""
    area, period = report.area_word, report.period
    accepted, settled = metric(report, "accepted"), metric(report, "settled")
    rate = report.current.success_rate
    so_far = f"（截至{report.as_of.month}月{report.as_of.day}日）" if report.running else ""
    lines = [
        f"{period.label}{so_far}，{area}各级调解组织共受理矛盾纠纷{accepted.current}件，"
        f"环比{accepted.vs_previous.text}，同比{accepted.vs_last_year.text}；"
        f"调解成功{settled.current}件" + (f"，调解成功率{rate}%" if rate is not None else "") + "；"
        f"涉及当事人{report.current.people}人"
        + (f"、金额{report.current.amount_wan:.2f}万元" if report.current.amount else "")
        + "。"
    ]
    if report.top_types:
        named = "，".join(f"{r.name}{r.current}件（占{r.share}%）" for r in report.top_types[:3])
        rising = [r for r in report.types if r.current > r.previous and r.previous and r.current >= 3]
        rising.sort(key=lambda r: -(r.vs_previous.ratio or 0))
        text = f"从纠纷类型看，{named}位居前列"
        if rising:
            text += f"；{rising[0].name}环比{rising[0].vs_previous.text}，需重点关注"
        lines.append(text + "。")
    if report.hot_spots:
        spots = "、".join(
            f"{r.name.removesuffix('人民调解委员会')}（{r.current}件）" for r in report.hot_spots[:3]
        )
        lines.append(f"从地域分布看，纠纷较为集中的村（社区）为{spots}。")
    elif [r for r in report.areas if r.current]:
        areas = "、".join(f"{r.name}（{r.current}件）" for r in report.areas[:3] if r.current)
        lines.append(f"从地域分布看，纠纷较多的为{areas}。")
    group, major, high = (metric(report, key).current for key in ("group", "major", "high_risk"))
    if report.serious_total:
        lines.append(
            f"本期受理群体性纠纷{group}件、重大纠纷{major}件、高风险纠纷{high}件，"
            "请相关单位逐件落实包案领导和稳控措施，名单附后。"
        )
    else:
        lines.append("本期未受理群体性、重大或高风险纠纷。")
    if report.overdue:
        owners = "、".join(dict.fromkeys(r.case.organization.name for r in report.overdue[:5]))
        lines.append(
            f"截至{report.as_of.month}月{report.as_of.day}日，超过办结时限仍在调解的纠纷{report.overdue_total}件，"
            f"涉及{owners}等单位，请责任单位和责任人按照“四定”要求限期化解，逾期仍未化解的予以督办。"
        )
    else:
        lines.append(f"截至{report.as_of.month}月{report.as_of.day}日，无超过办结时限仍在调解的纠纷。")
    return lines
