"""Passages of a case: kinds from the markers of nlp/passages.yaml, exact offsets, length limits."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from eintel.cli import main
from eintel.settings import get_settings
from nlp.passages import KINDS, RULES_PATH, PassageRulesError, load_rules, split_passages

MAX_CHARS = load_rules().max_chars

# A market-regulator decision in the usual order: party, facts, violated rule, decision.
DECISION = (
    "当事人：青岛示例网络科技有限公司 统一社会信用代码：*** "
    "2026年1月5日，本局根据投诉线索对当事人立案调查。"
    "经查，当事人在其运营的点餐小程序中，未经消费者同意收集消费者的手机号码、位置信息等个人信息。"
    "上述行为违反了《中华人民共和国消费者权益保护法》第二十九条第一款的规定。"
    "依据《中华人民共和国消费者权益保护法》第五十六条第一款第（九）项的规定，本局决定：\n"
    "1.责令当事人改正违法行为；2.罚款人民币叁万元。"
)
# One party row of a PBC penalty table, as the PBC parser writes it.
PBC_ROW = (
    "序号：2\n当事人名称：王小明（示例银行股份有限公司信用卡中心）\n行政处罚决定书文号：银罚决字〔2026〕105号\n"
    "违法行为类型：违反信用信息采集、提供、查询及相关管理规定。\n行政处罚内容：罚款4万元\n"
    "作出行政处罚决定机关名称：中国人民银行"
)
APP_ROW = "应用名称：示例天气\n运营者：深圳示例科技有限公司\n版本：5.2.0\n所涉问题：违规收集个人信息；APP强制、频繁、过度索取权限"


def _source(passage, summary: str, text: str) -> str:
    return text if passage.field == "text" else summary


def _kinds(text: str) -> list[str]:
    return [passage.kind for passage in split_passages("c1", "", "", text)]


# Kinds ---------------------------------------------------------------------------------------


def test_decision_kinds_in_order():
    assert _kinds(DECISION) == ["facts", "violations", "decision"]


def test_decision_parts_start_at_markers():
    facts, violations, decision = split_passages("c1", "", "", DECISION)

    assert facts.text.startswith("当事人：")
    assert "经查，当事人在其运营的点餐小程序中" in facts.text
    assert violations.text.startswith("上述行为违反了")
    assert decision.text.startswith("依据《中华人民共和国消费者权益保护法》第五十六条")
    assert decision.text.endswith("罚款人民币叁万元。")


def test_pbc_row_headings():
    passages = split_passages("c1", "", "", PBC_ROW)

    assert [passage.kind for passage in passages] == ["facts", "violations", "decision"]
    assert passages[1].text == "违法行为类型：违反信用信息采集、提供、查询及相关管理规定。"
    assert passages[2].text.startswith("行政处罚内容：罚款4万元")


def test_table_heading_after_space():
    text = "案件名称：示例公司侵害消费者个人信息案 违法事实当事人未经消费者同意向他人提供消费者信息3000余条 处罚内容警告，罚款人民币5万元"

    passages = split_passages("c1", "", "", text)

    assert [passage.kind for passage in passages] == ["facts", "decision"]
    assert passages[0].text.endswith("3000余条")
    assert passages[1].text.startswith("处罚内容")


def test_heading_inside_sentence_ignored():
    text = "当事人对上述违法事实予以确认，未提出陈述申辩。"

    assert _kinds(text) == ["violations"]


def test_enumeration_stays_with_heading():
    text = "上述行为违反了《企业信息公示暂行条例》第八条的规定。三、违法事实及相关证据 当事人未按规定公示年度报告。"

    passages = split_passages("c1", "", "", text)

    assert [passage.kind for passage in passages] == ["violations", "facts"]
    assert passages[0].text.endswith("的规定。")
    assert passages[1].text.startswith("三、违法事实及相关证据")


def test_sentence_continues_previous_kind():
    text = "经查，当事人存在以下问题：一是未公开收集规则。二是未经同意收集设备标识符。决定给予警告。逾期不缴纳的，每日按罚款数额加处百分之三。"

    passages = split_passages("c1", "", "", text)

    assert passages[-1].kind == "decision"
    assert passages[-1].text.endswith("加处百分之三。")


def test_text_without_markers_is_violations():
    text = "公安部三所检测中心发现医疗小程序既无公开的信息规则，也未经用户同意就收集信息。\n通报"

    passages = split_passages("c1", "", "", text)

    assert [passage.kind for passage in passages] == ["violations"]
    assert passages[0].text == text


def test_app_row_single_passage():
    passages = split_passages("c1", "", "", APP_ROW)

    assert len(passages) == 1
    assert passages[0].kind == "violations"
    assert passages[0].text == APP_ROW


# Fields and offsets ----------------------------------------------------------------------------


def test_summary_used_when_text_blank():
    summary = "  广东省通信管理局将“北溪生”下架，原因是反复强行索要手机权限。"

    passages = split_passages("c1", "标题", summary, " \n")

    assert [passage.field for passage in passages] == ["summary"]
    assert summary[passages[0].start:passages[0].end] == passages[0].text
    assert passages[0].start == 2


def test_text_preferred_over_summary():
    passages = split_passages("c1", "", "摘要一句。", "正文一句。")

    assert [(passage.field, passage.text) for passage in passages] == [("text", "正文一句。")]


def test_empty_case_has_no_passages():
    assert split_passages("c1", "关于下架侵害用户权益APP的通报", "", "") == []


def test_whitespace_trimmed_at_ends():
    text = "  经查，当事人未经同意收集个人信息。 \n 决定给予警告。\n"

    passages = split_passages("c1", "", "", text)

    assert [passage.text for passage in passages] == ["经查，当事人未经同意收集个人信息。", "决定给予警告。"]
    assert all(text[passage.start:passage.end] == passage.text for passage in passages)


def test_ids_stable_and_distinct():
    first = split_passages("c1", "", "", DECISION)
    again = split_passages("c1", "", "", DECISION)
    other_case = split_passages("c2", "", "", DECISION)

    assert [passage.passage_id for passage in first] == [passage.passage_id for passage in again]
    assert len({passage.passage_id for passage in first}) == len(first)
    assert not {passage.passage_id for passage in first} & {passage.passage_id for passage in other_case}


def test_text_hash_follows_text():
    first = split_passages("c1", "", "", "经查，当事人未经同意收集个人信息。")[0]
    second = split_passages("c2", "", "", "经查，当事人未经同意收集个人信息。")[0]
    changed = split_passages("c1", "", "", "经查，当事人未经同意收集人脸信息。")[0]

    assert first.text_hash == second.text_hash
    assert first.text_hash != changed.text_hash


# Lengths -----------------------------------------------------------------------------------


def test_long_facts_cut_at_sentence_ends():
    sentence = "经查，当事人在二〇二五年三月至六月期间通过其运营的应用程序收集用户的通讯录、位置信息和设备标识符，未向用户告知处理目的。"
    text = sentence * 12

    passages = split_passages("c1", "", "", text)

    assert len(passages) > 1
    assert all(len(passage.text) <= MAX_CHARS for passage in passages)
    assert all(passage.text.endswith("。") for passage in passages)
    assert "".join(passage.text for passage in passages) == text


def test_long_sentence_cut_at_clause_end():
    text = "经查，" + "当事人未经同意向第三方提供用户的姓名和手机号码，" * 40 + "情节严重。"

    passages = split_passages("c1", "", "", text)

    assert all(len(passage.text) <= MAX_CHARS for passage in passages)
    assert all(passage.text.endswith(("，", "。")) for passage in passages)
    assert "".join(passage.text for passage in passages) == text


def test_text_without_breaks_cut_at_limit():
    text = "甲" * (MAX_CHARS * 2 + 10)

    passages = split_passages("c1", "", "", text)

    assert [len(passage.text) for passage in passages] == [MAX_CHARS, MAX_CHARS, 10]


def test_short_piece_joins_next():
    # 「一、」 alone would be a passage of two characters.
    text = "一、\n经查，当事人未经同意收集个人信息。"

    passages = split_passages("c1", "", "", text)

    assert [passage.text for passage in passages] == [text]


# Rules file ----------------------------------------------------------------------------------


def test_rules_invalid_pattern(tmp_path):
    rules = RULES_PATH.read_text(encoding="utf-8").replace("'现查明'", "'现查明('")
    path = tmp_path / "passages.yaml"
    path.write_text(rules, encoding="utf-8")

    with pytest.raises(PassageRulesError, match="现查明"):
        load_rules(path)


def test_rules_unknown_kind(tmp_path):
    rules = RULES_PATH.read_text(encoding="utf-8").replace("  decision:\n    - '(?:[一二三", "  remedy:\n    - '(?:[一二三", 1)
    path = tmp_path / "passages.yaml"
    path.write_text(rules, encoding="utf-8")

    with pytest.raises(PassageRulesError, match="remedy"):
        load_rules(path)


# Every case of a warehouse -------------------------------------------------------------------


def _check_every_case(db: Path) -> tuple[int, int]:
    """Split every case of `db` and check each passage; return (cases, passages)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT case_id, title, summary, text FROM cases ORDER BY case_id").fetchall()

    count = 0
    for case_id, title, summary, text in rows:
        passages = split_passages(case_id, title, summary, text)
        count += len(passages)
        source = text if text.strip() else summary
        covered = [False] * len(source)
        for passage in passages:
            assert _source(passage, summary, text)[passage.start:passage.end] == passage.text, passage
            assert passage.kind in KINDS, passage
            assert 0 < len(passage.text) <= MAX_CHARS, passage
            covered[passage.start:passage.end] = [True] * (passage.end - passage.start)
        uncovered = [char for char, inside in zip(source, covered) if not inside and not char.isspace()]
        assert uncovered == [], case_id
        assert bool(passages) == bool(source.strip()), case_id
    return len(rows), count


def test_sample_cases_offsets_exact(tmp_path):
    db = tmp_path / "eintel.duckdb"
    assert main(["--db", str(db), "import", "--no-archive"]) == 0
    assert main(["--db", str(db), "load"]) == 0

    cases, passages = _check_every_case(db)

    assert cases >= 40
    assert passages >= cases


@pytest.mark.real_data
def test_real_cases_offsets_exact(tmp_path):
    archive = get_settings().archive_path
    if not archive.is_dir():
        pytest.skip(f"archive folder {archive} not found; set EINTEL_ARCHIVE to the raw records")
    db = tmp_path / "eintel.duckdb"
    assert main(["--db", str(db), "import", "--archive", str(archive)]) == 0
    # An empty crawl archive keeps locally crawled responses out of the build.
    assert main(["--db", str(db), "load", "--crawl-archive", str(tmp_path / "no-crawls")]) == 0

    cases, passages = _check_every_case(db)

    assert cases >= 6000
    assert passages >= 900
