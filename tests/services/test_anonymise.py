"""脱敏 rules: names, 身份证号, phone numbers, house numbers and case numbers, and what `leaks` finds."""

from __future__ import annotations

from portal.services.anonymise import Rules, anonymise, leaks, pseudonyms, surname

ID = "371525198005010513"


def rules(*people: str, bodies: tuple[str, ...] = (), numbers: tuple[str, ...] = ()) -> Rules:
    return Rules(names=pseudonyms(people, bodies), numbers=numbers)


def test_names_keep_the_surname_and_repeated_surnames_are_told_apart() -> None:
    names = pseudonyms(["张三", "李四", "张三丰", "欧阳明月", "李四"])
    assert names == {"张三": "张某甲", "张三丰": "张某乙", "李四": "李某", "欧阳明月": "欧阳某"}
    assert surname("司马光") == "司马" and surname("司马") == "司"


def test_the_longest_name_is_replaced_first() -> None:
    text = anonymise("张三丰与张三系邻居，张三丰称张三占用其宅基地。", rules("张三", "张三丰"))
    assert text == "张某乙与张某甲系邻居，张某乙称张某甲占用其宅基地。"


def test_organisations_become_their_kind() -> None:
    names = pseudonyms([], ["清河县华丰建材有限公司", "马集镇前李村果蔬种植专业合作社", "清河县第二人民医院"])
    assert names["清河县华丰建材有限公司"] == "某公司"
    assert names["马集镇前李村果蔬种植专业合作社"] == "某合作社"
    assert names["清河县第二人民医院"] == "某医院"
    two = pseudonyms([], ["甲乙建筑有限公司", "丙丁劳务有限公司"])
    assert sorted(two.values()) == ["乙公司", "甲公司"]


def test_id_numbers_are_crossed_out_whole_and_only_whole() -> None:
    text = anonymise(f"身份证号{ID}，旧证号371525800501051，金额12000元", Rules())
    assert ID not in text and "371525800501051" not in text
    assert "身份证号" + "×" * 18 in text and "金额12000元" in text
    assert anonymise("身份证号37152519800501051X。", Rules()) == "身份证号" + "×" * 18 + "。"


def test_mobile_and_landline_numbers_are_crossed_out() -> None:
    text = anonymise("电话13800001234，又称138-0000-1234，座机0635-7123456，欠款15000元", Rules())
    assert "13800001234" not in text and "1234" not in text and "7123456" not in text
    assert "×××-××××-××××" in text and "欠款15000元" in text


def test_house_numbers_lose_their_number_but_dates_and_document_numbers_stay() -> None:
    text = anonymise(
        "住幸福路18号3号楼2单元501室，前李村二十三号。3月5号调解，依清司发〔2026〕13号文件", Rules()
    )
    assert "幸福路×号×号楼×单元×室" in text and "前李村×号" in text
    assert "3月5号调解" in text and "〔2026〕13号" in text


def test_case_and_agreement_numbers_are_removed() -> None:
    number = "（2026）马集人调字第3号"
    text = anonymise(
        f"本案（{number}）经调解，另见（2025）柳林人调字第12号、（2026）鲁1525民特8号。",
        rules(numbers=(number,)),
    )
    assert text == "本案经调解，另见、。"
    assert "人调字" not in text


def test_leaks_name_what_is_still_there() -> None:
    case_rules = rules("王建国", numbers=("（2026）马集人调字第3号",))
    assert leaks(["王某与李某达成协议"], case_rules) == []
    found = leaks([f"王建国（{ID}，13800001234）", "（2026）马集人调字第3号"], case_rules)
    assert found == ["当事人名称：王建国", "身份证号", "电话号码", "案号或协议编号"]


def test_anonymising_twice_changes_nothing_more() -> None:
    case_rules = rules("张三", "李四")
    once = anonymise(f"张三（{ID}）住幸福路18号，与李四（13800001234）", case_rules)
    assert anonymise(once, case_rules) == once
    assert leaks([once], case_rules) == []


def test_numbers_written_with_brackets_spaces_country_code_or_full_width_digits_are_crossed_out() -> None:
    """A landline's area code in brackets or set off by a space, a mobile with +86, and full-width digits
    (typed with a Chinese input method) are phone and ID numbers too: crossed out, and a leak if left."""
    written = [
        "座机（0635）7123456",
        "座机(0635)7123456",
        "座机0635 7123456",
        "座机0635－7123456",
        "手机+8613800001234",
        "手机86-13800001234",
        "手机１３８００００１２３４",
        "身份证号３７１５２５１９８００５０１０５１Ｘ",
    ]
    for text in written:
        out = anonymise(text, Rules())
        assert not any(ch.isdigit() for ch in out), (text, out)
        assert leaks([text], Rules()), text
    plain = "欠款15000元，2026年3月5号，面积120平方米"
    assert anonymise(plain, Rules()) == plain


def test_a_partys_stored_credit_code_is_crossed_out_and_reported() -> None:
    """A 统一社会信用代码 has no shape the patterns know: the party's own, as stored, is removed by value."""
    code = "91371525MA3C8XQ27K"
    case_rules = Rules(names=pseudonyms([], ("清河县宏达建材有限公司",)), identifiers=(code,))
    assert leaks([f"清河县宏达建材有限公司（统一社会信用代码{code}）"], case_rules) == [
        "当事人名称：清河县宏达建材有限公司",
        "当事人证件号码或电话",
    ]
    text = anonymise(f"清河县宏达建材有限公司（统一社会信用代码{code}）", case_rules)
    assert code not in text and "×" * len(code) in text
    assert leaks([text], case_rules) == []
