"""脱敏: rules that take the parties out of a case write-up before it is read outside the case's scope.

The rules are built from the case (`rules_for_case`): each party's name becomes a pseudonym (张三 → 张某;
two parties named 张 become 张某甲 and 张某乙; an organisation becomes 某公司, 某合作社 …), the case's and
the agreement's numbers and anything written like a case number are removed, 身份证号 and 手机/电话号码 are
crossed out digit by digit (×), and house numbers lose their number (幸福路18号501室 → 幸福路×号×室).
What the rules cannot know (a nickname, a relative's name) a person finds when checking the text side by
side with the original; `leaks` lists what is still recognisable, and publication refuses a text with any.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from portal.models.case import Case, PartyKind

#: Two-character surnames (复姓) commonly met; any other name keeps its first character as the surname.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 夏侯 轩辕 令狐 宇文 司徒 端木 澹台 西门 南宫 独孤"
    " 呼延".split()
)
#: Order words for parties sharing a surname (张某甲, 张某乙 …) or a kind of organisation (甲公司 …).
ORDINALS = "甲乙丙丁戊己庚辛壬癸"
#: An organisation's kind, read from the end of its name, and how the pseudonym calls it.
ORG_KINDS: tuple[tuple[str, str], ...] = (
    ("公司", "公司"),
    ("合作社", "合作社"),
    ("医院", "医院"),
    ("卫生院", "卫生院"),
    ("诊所", "诊所"),
    ("学校", "学校"),
    ("小学", "学校"),
    ("中学", "学校"),
    ("幼儿园", "幼儿园"),
    ("物业服务中心", "物业服务企业"),
    ("酒店", "酒店"),
    ("超市", "超市"),
    ("工厂", "厂"),
    ("厂", "厂"),
    ("店", "店"),
    ("中心", "单位"),
    ("委员会", "单位"),
)

CROSS = "×"
#: A digit as people type it, ASCII or full-width (１２３), and what separates groups of digits.
_D = "[0-9０-９]"
_SEP = "[-－ ]"
_ALNUM = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ"
#: 身份证号: 18 characters (the last may be X) or the old 15 digits, not part of a longer number.
ID_NUMBER = re.compile(rf"(?<![{_ALNUM}])(?:{_D}{{17}}[0-9０-９XxＸｘ]|{_D}{{15}})(?![{_ALNUM}])")
#: 手机号码 (with or without separators, with or without +86) and landline numbers with an area code,
#: the area code possibly in brackets: 0635-7123456, 0635 7123456, （0635）7123456.
PHONE = re.compile(
    rf"(?<!{_D})(?:(?:[+＋]?[8８][6６]{_SEP}?)?[1１][3-9３-９]{_D}{_SEP}?{_D}{{4}}{_SEP}?{_D}{{4}}"
    rf"|[（(]?[0０]{_D}{{2,3}}[）)]?{_SEP}?{_D}{{7,8}})(?!{_D})"
)
#: Anything written like a case or ruling number: （2026）马集人调字第3号, （2026）鲁1525民特12号.
CASE_NUMBER = re.compile(
    r"[（(〔\[]\d{4}[）)〕\]][^\s，。；、：:]{0,20}?[\u4e00-\u9fff][^\s，。；、：:]{0,12}?\d+号"
)
_NUMERAL = "0-9０-９一二三四五六七八九十百零〇两"
#: A house number: the number before 号, 号楼, 栋, 幢, 单元, 室, 户 or 弄, unless it is a date (3月5号), a
#: document number (〔2026〕3号) or an ordinal (第3号).
HOUSE_NUMBER = re.compile(rf"(?<![{_NUMERAL}月〕第])[{_NUMERAL}]+(?=号|栋|幢|单元|室|户|弄)")
_DIGIT = re.compile(r"[0-9０-９XxＸｘ]")


@dataclass(frozen=True)
class Rules:
    """What to take out of a case's texts: names with their pseudonyms, numbers to remove."""

    #: Real name → pseudonym, for every party and legal representative.
    names: dict[str, str] = field(default_factory=dict)
    #: Literal numbers to remove (the case number, the agreement number, a 司法确认 ruling number).
    numbers: tuple[str, ...] = ()
    #: The parties' own 身份证号, 统一社会信用代码 and phone numbers as stored, removed wherever they are
    #: written out whole (a credit code has no shape the patterns know).
    identifiers: tuple[str, ...] = ()

    def _names_pattern(self) -> re.Pattern[str] | None:
        if not self.names:
            return None
        ordered = sorted(self.names, key=len, reverse=True)  # 张三丰 before 张三
        return re.compile("|".join(re.escape(name) for name in ordered))


def surname(name: str) -> str:
    """Return a person's surname: a known 复姓, else the first character."""
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def org_kind(name: str) -> str:
    """Return what an organisation is called in a pseudonym (公司, 合作社, … or 单位)."""
    for ending, kind in ORG_KINDS:
        if name.endswith(ending):
            return kind
    return "单位"


def pseudonyms(people: Sequence[str], organisations: Sequence[str] = ()) -> dict[str, str]:
    """Return a pseudonym for each person (张某, or 张某甲/张某乙 when a surname repeats) and organisation.

    People keep their surname; organisations become 某公司 (甲公司, 乙公司 when several are of one kind).
    A name given twice gets one pseudonym.
    """
    result: dict[str, str] = {}
    persons = list(dict.fromkeys(n.strip() for n in people if n and n.strip()))
    by_surname: dict[str, list[str]] = {}
    for name in persons:
        by_surname.setdefault(surname(name), []).append(name)
    for family, names in by_surname.items():
        if len(names) == 1:
            result[names[0]] = f"{family}某"
        else:
            for i, name in enumerate(names):
                result[name] = f"{family}某{ORDINALS[i] if i < len(ORDINALS) else i + 1}"
    bodies = [n.strip() for n in organisations if n and n.strip() and n.strip() not in result]
    by_kind: dict[str, list[str]] = {}
    for name in dict.fromkeys(bodies):
        by_kind.setdefault(org_kind(name), []).append(name)
    for kind, names in by_kind.items():
        if len(names) == 1:
            result[names[0]] = f"某{kind}"
        else:
            for i, name in enumerate(names):
                result[name] = f"{ORDINALS[i] if i < len(ORDINALS) else i + 1}{kind}"
    return result


def rules_for_case(case: Case) -> Rules:
    """Return the rules for a case: its parties' names, its numbers."""
    people: list[str] = []
    bodies: list[str] = []
    for party in case.parties:
        if party.kind == PartyKind.ORGANIZATION:
            bodies.append(party.name)
            if party.legal_representative:
                people.append(party.legal_representative)
        else:
            people.append(party.name)
    numbers = [case.number]
    if case.agreement is not None:
        numbers += [case.agreement.number, case.agreement.confirmation_number or ""]
    identifiers = [
        value.strip()
        for party in case.parties
        for value in (party.id_number, party.credit_code, party.phone)
        if value and len(value.strip()) >= 6
    ]
    return Rules(
        names=pseudonyms(people, bodies),
        numbers=tuple(n for n in dict.fromkeys(numbers) if n),
        identifiers=tuple(dict.fromkeys(identifiers)),
    )


def _cross_digits(match: re.Match[str]) -> str:
    return _DIGIT.sub(CROSS, match[0])


def anonymise(text: str, rules: Rules) -> str:
    """Return the text with the rules applied (numbers, 身份证号, phones, names, house numbers)."""
    if not text:
        return text
    for number in sorted(rules.numbers, key=len, reverse=True):
        text = text.replace(number, "")
    for identifier in sorted(rules.identifiers, key=len, reverse=True):
        text = text.replace(identifier, CROSS * len(identifier))
    text = CASE_NUMBER.sub("", text)
    text = ID_NUMBER.sub(_cross_digits, text)
    text = PHONE.sub(_cross_digits, text)
    pattern = rules._names_pattern()
    if pattern is not None:
        text = pattern.sub(lambda m: rules.names[m[0]], text)
    text = HOUSE_NUMBER.sub(CROSS, text)
    # A number removed from brackets leaves them empty: （）, ().
    return re.sub(r"[（(]\s*[)）]", "", text)


def anonymise_all(texts: dict[str, str], rules: Rules) -> dict[str, str]:
    """Return each text anonymised, under the same keys."""
    return {key: anonymise(value, rules) for key, value in texts.items()}


def leaks(texts: Iterable[str], rules: Rules) -> list[str]:
    """Return what still identifies the parties in the texts, in Chinese (empty: nothing found).

    The real names of the rules, anything shaped like a 身份证号, a phone number or a case number, and the
    case's own numbers. House numbers are left to the person checking (a 3号 may well be a date).
    """
    joined = "\n".join(texts)
    found: list[str] = []
    names = [name for name in rules.names if name in joined]
    if names:
        found.append("当事人名称：" + "、".join(names))
    if ID_NUMBER.search(joined):
        found.append("身份证号")
    if PHONE.search(joined):
        found.append("电话号码")
    if CASE_NUMBER.search(joined) or any(number in joined for number in rules.numbers):
        found.append("案号或协议编号")
    if any(identifier in joined for identifier in rules.identifiers):
        found.append("当事人证件号码或电话")
    return found
