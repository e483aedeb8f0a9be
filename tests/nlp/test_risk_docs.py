"""docs/risk-profile.md and its Chinese version list every profile term and quote the rule's current defaults."""

from __future__ import annotations

import pytest

from eintel.settings import REPO_ROOT
from etl.taxonomy import all_codes
from nlp.profile import data_categories, transfer_mechanisms
from nlp.risk import default_rules

DOCS = ["docs/risk-profile.md", "docs/risk-profile.zh-CN.md"]


def _read(doc: str) -> str:
    return (REPO_ROOT / doc).read_text(encoding="utf-8")


@pytest.mark.parametrize("doc", DOCS)
def test_docs_list_data_categories(doc: str) -> None:
    text = _read(doc)
    rows = [f"| `{term.code}` | {term.zh} | {term.en} |" for term in data_categories()]

    assert [row for row in rows if row not in text] == []


@pytest.mark.parametrize("doc", DOCS)
def test_docs_list_mechanisms(doc: str) -> None:
    text = _read(doc)

    assert [term.code for term in transfer_mechanisms() if f"`{term.code}`" not in text] == []


@pytest.mark.parametrize("doc", DOCS)
def test_docs_list_industries(doc: str) -> None:
    text = _read(doc)

    assert [code for code in all_codes("industries") if f"`{code}`" not in text] == []


@pytest.mark.parametrize("doc", DOCS)
def test_docs_quote_defaults(doc: str) -> None:
    text = _read(doc)
    rules = default_rules()
    quoted = [
        f"`close_similarity`（{rules.close_similarity:g}）" if doc.endswith("zh-CN.md") else f"`close_similarity` ({rules.close_similarity:g})",
        f"`keyword_close_rank`（{rules.keyword_close_rank}）" if doc.endswith("zh-CN.md") else f"`keyword_close_rank` ({rules.keyword_close_rank})",
        f"`many_close_cases`（{rules.many_close_cases}）" if doc.endswith("zh-CN.md") else f"`many_close_cases` ({rules.many_close_cases})",
        f"`recent_years`（{rules.recent_years}）" if doc.endswith("zh-CN.md") else f"`recent_years` ({rules.recent_years})",
        f"{rules.large_fine_cny:,.0f}",
        f"{rules.keyword_close_similarity:g}",
    ]

    assert [phrase for phrase in quoted if phrase not in text] == []


@pytest.mark.parametrize("doc", DOCS)
def test_docs_name_every_reason(doc: str) -> None:
    text = _read(doc)

    assert [code for code in default_rules().points if f"`{code}`" not in text] == []


def test_docs_level_minimums() -> None:
    levels = default_rules().levels

    assert f"**high** from {levels['high']} points, **medium** from {levels['medium']}" in _read(DOCS[0])
    assert f"**高** 不少于 {levels['high']} 分，**中** 不少于 {levels['medium']} 分" in _read(DOCS[1])
