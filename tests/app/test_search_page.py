"""The search page in Streamlit's AppTest, in Chinese and English, over an embedded fixture warehouse."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from eintel.settings import get_settings
from tests.app.conftest import build_warehouse, case_id
from tests.nlp.search_fixtures import build_search_warehouse

APP = Path(__file__).resolve().parents[2] / "app.py"

# The first run imports pandas and Plotly, and the first search loads the encoder.
RUN_TIMEOUT_SECONDS = 90

FACE = case_id("hangzhou", "face")


@pytest.fixture(scope="module")
def search_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_search_warehouse(tmp_path_factory.mktemp("search_page") / "eintel.duckdb")


@pytest.fixture
def search_env(search_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the dashboard at the embedded warehouse, with the default language, for one test."""
    monkeypatch.setenv("EINTEL_DB", str(search_warehouse))
    monkeypatch.delenv("EINTEL_LANG", raising=False)
    get_settings.cache_clear()
    yield search_warehouse
    get_settings.cache_clear()


def _search_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_SECONDS).run()
    at.switch_page("app_pages/search.py").run()
    return at


def _query(at: AppTest, text: str) -> AppTest:
    at.text_input(key="search_query").input(text).run()
    return at


def _markdown(at: AppTest) -> list[str]:
    return [element.value for element in at.markdown]


def test_search_page_chinese_default(search_env: Path) -> None:
    at = _search_page()

    assert not at.exception
    assert at.title[0].value == "案例检索"
    assert at.info[0].value == "输入检索内容后按回车。"
    assert at.button_group(key="search_mode").value == "hybrid"


def test_search_page_marks_terms(search_env: Path) -> None:
    at = _query(_search_page(), "人脸识别")
    links = [link.value for link in at.page_link]
    passages = [text for text in _markdown(at) if "<mark>" in text]

    assert not at.exception
    assert links[0] == "1. 杭州明镜商业管理有限公司违法处理人脸信息案"
    assert at.page_link[0].proto.query_string == f"case={FACE}"
    assert "<mark>人脸识别</mark>" in passages[0]
    assert passages[0].startswith("**违法行为**：") or passages[0].startswith("**事实**：")


def test_search_page_keyword_mode(search_env: Path) -> None:
    at = _search_page()
    at.button_group(key="search_mode").set_value("keyword").run()
    _query(at, "征信 信用报告")

    assert not at.exception
    assert at.page_link[0].value == "1. 中国人民银行行政处罚信息公示表"
    assert "关键词排名 1 · 语义排名 —" in at.main.caption[2].value


def test_search_page_sidebar_filter(search_env: Path) -> None:
    at = _search_page()
    at.sidebar.multiselect(key="filter_regulator_families").set_value(["MIIT"]).run()
    _query(at, "收集个人信息")
    titles = {link.value.split(". ", 1)[1] for link in at.page_link}

    assert not at.exception
    assert titles == {"关于侵害用户权益行为的APP（SDK）通报"}
    assert len(at.page_link) == 2


def test_search_page_english(search_env: Path) -> None:
    at = _search_page()
    at.sidebar.radio(key="lang").set_value("en").run()
    _query(at, "shops film customers' faces at the door without asking them")

    assert not at.exception
    assert at.title[0].value == "Search cases"
    assert at.page_link[0].value == "1. 杭州明镜商业管理有限公司违法处理人脸信息案"
    # Dense search ranks every data-protection case with a passage: the nine with a text or summary.
    assert at.main.caption[1].value == "9 cases found"
    assert "keyword rank — · semantic rank 1" in at.main.caption[2].value


def test_search_page_loads_encoder_once(search_env: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="nlp.encoders")
    at = _query(_search_page(), "人脸识别")
    _query(at, "征信")
    _query(at, "短信营销")
    loads = [record for record in caplog.records if record.getMessage().startswith("Loaded embedding model")]

    assert not at.exception
    # Zero when an earlier test of this process loaded it already; never once per rerun.
    assert len(loads) <= 1


def test_search_page_no_hits(search_env: Path) -> None:
    at = _search_page()
    at.button_group(key="search_mode").set_value("keyword").run()
    _query(at, "量子纠缠")

    assert not at.exception
    assert at.info[0].value == "没有匹配的案例。可以换一种说法、改用语义检索或放宽筛选条件。"


def test_search_page_without_embeddings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = build_search_warehouse(tmp_path / "eintel.duckdb", embed=False)
    monkeypatch.setenv("EINTEL_DB", str(path))
    monkeypatch.delenv("EINTEL_LANG", raising=False)
    get_settings.cache_clear()
    try:
        at = _query(_search_page(), "人脸识别")
        warning = at.warning[0].value
        at.button_group(key="search_mode").set_value("keyword").run()
        keyword_link = at.page_link[0].value
    finally:
        get_settings.cache_clear()

    assert "eintel embed" in warning
    assert keyword_link == "1. 杭州明镜商业管理有限公司违法处理人脸信息案"


def test_search_page_without_passages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "eintel.duckdb"
    build_warehouse(path)
    monkeypatch.setenv("EINTEL_DB", str(path))
    monkeypatch.delenv("EINTEL_LANG", raising=False)
    get_settings.cache_clear()
    try:
        at = _query(_search_page(), "人脸识别")
    finally:
        get_settings.cache_clear()

    assert not at.exception
    assert at.warning[0].value == "数据仓库中还没有可检索的段落。请先运行 `eintel embed` 切分并向量化案例。"
