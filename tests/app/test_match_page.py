"""The Risk match page (风险匹配) in Streamlit's AppTest, in Chinese and English.

Runs against the made-up warehouse of tests/nlp/match_cases.py with passages and
embeddings of the default encoder, built once for the module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from eintel.settings import get_settings
from nlp.embed import embed_cases
from nlp.profile import example_profile_text
from nlp.search import default_encoder
from tests.nlp.match_cases import build_match_warehouse
from warehouse.db import connect

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGE = "app_pages/match.py"

# The first match loads the embedding model, which takes several seconds on a cold machine.
RUN_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def match_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("match-page") / "eintel.duckdb"
    build_match_warehouse(path)
    with connect(path) as con:
        embed_cases(con, default_encoder())
    return path


@pytest.fixture
def match_env(match_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EINTEL_DB", str(match_warehouse))
    monkeypatch.delenv("EINTEL_LANG", raising=False)
    get_settings.cache_clear()
    yield match_warehouse
    get_settings.cache_clear()


def _page(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_SECONDS)
    at.session_state["lang"] = lang
    at.run()
    return at.switch_page(PAGE).run()


def _button(at: AppTest, label: str):
    return next(button for button in at.button if button.label == label)


def _markdown(at: AppTest) -> str:
    return "\n".join(str(element.value) for element in at.markdown)


def test_page_chinese_default(match_env: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_SECONDS).run()
    at.switch_page(PAGE).run()

    assert not at.exception
    assert at.title[0].value == "风险画像匹配"
    assert at.text_area[0].value == example_profile_text()
    assert at.success[0].value == "画像有效：示例出行科技有限公司，6 项做法。"
    assert at.info[0].value == "画像有效后点击“开始匹配”。"


def test_invalid_profile_errors_beside_editor(match_env: Path) -> None:
    at = _page()

    at.text_area[0].set_value(example_profile_text().replace("industry: internet_platforms", "industry: ecommerce")).run()
    error = at.error[0].value

    assert error.startswith("画像有 1 处错误")
    assert "`industry`" in error
    assert "'ecommerce' is not a known industry code" in error
    assert _button(at, "开始匹配").disabled


def test_invalid_yaml_named_line(match_env: Path) -> None:
    at = _page("en")

    at.text_area[0].set_value("company: x\npractices: [\n").run()

    assert "invalid YAML at line" in at.error[0].value


def test_match_results_chinese(match_env: Path) -> None:
    at = _page()

    _button(at, "开始匹配").click().run()
    subheaders = [element.value for element in at.subheader]
    markdown = _markdown(at)

    assert not at.exception
    assert at.header[0].value == "匹配结果：示例出行科技有限公司"
    assert [title.split(" · ")[0] for title in subheaders[:6]] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert ":red-badge[:material/error: 高风险]" in markdown
    assert "<mark>" in markdown
    assert "（+1 分）" in markdown
    assert len(at.get("download_button")) == 2


def test_match_shows_shared_counts(match_env: Path) -> None:
    at = _page()

    _button(at, "开始匹配").click().run()
    tables = [element.value for element in at.dataframe]
    legal_bases = [frame for frame in tables if "处罚依据" in frame.columns]

    assert any("《个人信息保护法》第66条" in set(frame["处罚依据"]) for frame in legal_bases)
    assert "出境传输与数据类别" in [element.value for element in at.header]


def test_match_results_english(match_env: Path) -> None:
    at = _page("en")

    _button(at, "Match").click().run()
    markdown = _markdown(at)
    metric_labels = [metric.label for metric in at.metric]

    assert not at.exception
    assert at.title[0].value == "Match a risk profile"
    assert at.header[0].value == "Results: 示例出行科技有限公司"
    assert "High-risk practices" in metric_labels
    assert ":red-badge[:material/error: High risk]" in markdown
    assert " (+1)" in markdown


def test_language_switch_keeps_results(match_env: Path) -> None:
    at = _page()
    _button(at, "开始匹配").click().run()

    at.sidebar.radio(key="lang").set_value("en").run()

    assert at.header[0].value == "Results: 示例出行科技有限公司"


def test_edited_profile_marked_stale(match_env: Path) -> None:
    at = _page()
    _button(at, "开始匹配").click().run()

    at.text_area[0].set_value(example_profile_text().replace("十五个工作日", "十个工作日")).run()

    assert at.warning[0].value == "画像已修改，下面是修改前的匹配结果。点击“开始匹配”更新。"


def test_restore_example(match_env: Path) -> None:
    at = _page()
    at.text_area[0].set_value("company: x\n").run()

    _button(at, "恢复示例画像").click().run()

    assert at.text_area[0].value == example_profile_text()


def test_restrict_to_provinces(match_env: Path) -> None:
    at = _page()
    at.button_group(key="match_restrict").set_value(["provinces"]).run()

    _button(at, "开始匹配").click().run()
    captions = "\n".join(str(element.value) for element in at.caption)

    assert not at.exception
    assert "广东省" in captions or "上海市" in captions
    assert "浙江省" not in captions


def test_page_writes_nothing(match_env: Path) -> None:
    folder = match_env.parent
    before = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    at = _page()

    _button(at, "开始匹配").click().run()

    assert {path.name: path.stat().st_mtime_ns for path in folder.iterdir()} == before
