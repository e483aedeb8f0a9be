"""Tests for the shared Chinese-numeral helpers."""

from __future__ import annotations

import pytest

from etl.normalize.chinese_numerals import parse_chinese_integer, to_ascii_digits, to_chinese_numeral


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("六十六", 66),
        ("一百零五", 105),
        ("一百零六", 106),
        ("十", 10),
        ("十二", 12),
        ("二十八", 28),
        ("一千零五", 1005),
        ("两万", 20000),
        ("十万", 100000),
        ("一百零六万", 1060000),
        ("壹佰", 100),
        ("贰仟伍佰", 2500),
        ("壹佰万", 1000000),
        ("叁仟", 3000),
        ("一亿零五百万", 105000000),
        ("二〇二六", 2026),
        ("二○二六", 2026),
        ("二零二六", 2026),
        ("66", 66),
        ("６６", 66),
        (" 六十 六 ", 66),
    ],
)
def test_parse_chinese_integer_value(text: str, expected: int) -> None:
    assert parse_chinese_integer(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "若干", "六十六条", "一二百", "***"])
def test_parse_chinese_integer_rejects(text: str) -> None:
    assert parse_chinese_integer(text) is None


@pytest.mark.parametrize(
    ("number", "expected"),
    [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (66, "六十六"), (105, "一百零五"), (110, "一百一十"), (1050, "一千零五十")],
)
def test_to_chinese_numeral_value(number: int, expected: str) -> None:
    assert to_chinese_numeral(number) == expected


@pytest.mark.parametrize("number", [1, 9, 10, 19, 66, 100, 105, 999, 1001, 9999])
def test_to_chinese_numeral_round_trip(number: int) -> None:
    assert parse_chinese_integer(to_chinese_numeral(number)) == number


def test_to_chinese_numeral_out_of_range() -> None:
    with pytest.raises(ValueError, match="10000"):
        to_chinese_numeral(10_000)


def test_to_ascii_digits_keeps_length() -> None:
    text = "２０２６－０９－２４，罚款１．５万元"
    converted = to_ascii_digits(text)

    assert converted == "2026-09-24，罚款1.5万元"
    assert len(converted) == len(text)
