"""Tests of the helpers that split one decision's penalty passage between its parties."""

from __future__ import annotations

import pytest

from etl.sources.multiparty import (
    PartyMention,
    assign_clauses,
    bare_name,
    match_keys,
    persons_named,
    split_clauses,
    split_names,
)

SUFFIXES = ["股份有限公司", "有限责任公司", "有限公司", "公司"]


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("李明、张伟", ["李明", "张伟"]),
        ("李明（时任甲银行股份有限公司行长、董事）\n张伟", ["李明（时任甲银行股份有限公司行长、董事）", "张伟"]),
        ("李明，时任甲银行行长", ["李明，时任甲银行行长"]),
        ("甲银行股份有限公司；乙银行股份有限公司。", ["甲银行股份有限公司", "乙银行股份有限公司"]),
        ("—", []),
        ("", []),
    ],
)
def test_split_names_cases(value: str, names: list[str]) -> None:
    assert split_names(value) == names


@pytest.mark.parametrize(
    ("name", "bare"),
    [
        ("李明（时任甲银行股份有限公司行长）", "李明"),
        ("李明，时任甲银行行长", "李明"),
        ("甲投资中心(有限合伙)", "甲投资中心"),
        ("甲银行股份有限公司", "甲银行股份有限公司"),
    ],
)
def test_bare_name_cases(name: str, bare: str) -> None:
    assert bare_name(name) == bare


def test_match_keys_short_form() -> None:
    assert match_keys("甲银行股份有限公司", SUFFIXES) == ["甲银行股份有限公司", "甲银行"]


def test_match_keys_keeps_two_characters() -> None:
    assert match_keys("甲公司", SUFFIXES) == ["甲公司"]


def test_match_keys_aliases_added() -> None:
    assert match_keys("甲科技股份有限公司", SUFFIXES, ["甲科技", "乙", "丙科"]) == ["甲科技股份有限公司", "甲科技", "丙科"]


def test_split_clauses_before_dui() -> None:
    text = "对甲银行罚款50万元，对李明给予警告；对张伟给予警告。"

    assert split_clauses(text) == ["对甲银行罚款50万元", "对李明给予警告", "对张伟给予警告"]


def test_assign_clauses_by_name() -> None:
    parties = [
        PartyMention("甲银行股份有限公司", keys=match_keys("甲银行股份有限公司", SUFFIXES)),
        PartyMention("李明", individual=True, keys=["李明"]),
    ]

    per_party, unassigned = assign_clauses(["对甲银行罚款50万元", "对李明给予警告", "上述罚款汇交国库"], parties)

    assert per_party == [["对甲银行罚款50万元"], ["对李明给予警告"]]
    assert unassigned == ["上述罚款汇交国库"]


def test_assign_clauses_ignores_brackets() -> None:
    parties = [
        PartyMention("甲银行股份有限公司", keys=["甲银行股份有限公司", "甲银行"]),
        PartyMention("李明", individual=True, keys=["李明"]),
    ]

    per_party, _ = assign_clauses(["对李明（时任甲银行股份有限公司行长）给予警告"], parties)

    assert per_party == [[], ["对李明（时任甲银行股份有限公司行长）给予警告"]]


def test_assign_clauses_longest_name_wins() -> None:
    parties = [PartyMention("李明", keys=["李明"]), PartyMention("李明华", keys=["李明华"])]

    per_party, _ = assign_clauses(["对李明华给予警告", "对李明、李明华分别罚款1万元"], parties)

    assert per_party[0] == ["对李明、李明华分别罚款1万元"]
    assert per_party[1] == ["对李明华给予警告", "对李明、李明华分别罚款1万元"]


def test_persons_named_lists_individuals() -> None:
    bank = PartyMention("甲银行股份有限公司", keys=["甲银行股份有限公司"])
    li_ming = PartyMention("李明（时任行长）", individual=True, keys=["李明"])
    zhang_wei = PartyMention("张伟", individual=True, keys=["张伟"])

    assert persons_named([bank, li_ming, zhang_wei]) == ["李明", "张伟"]
    assert persons_named([bank]) == []
