"""Dashboard pages in Streamlit's AppTest against the fixture warehouse, and the UI texts."""

from __future__ import annotations

import string
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.i18n import LANGUAGES, format_cny, format_date, load_strings, t
from tests.app.conftest import case_id
from warehouse.db import connect

APP = Path(__file__).resolve().parents[2] / "app.py"

# The first run imports pandas and Plotly, which can take several seconds on a cold machine.
RUN_TIMEOUT_SECONDS = 60


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_SECONDS)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _all_text(at: AppTest) -> str:
    parts = [element.value for kind in ("markdown", "caption", "warning", "info", "error", "header", "subheader", "title")
             for element in at.get(kind)]
    return "\n".join(str(part) for part in parts)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_strings_every_key_in_language(lang: str) -> None:
    missing = [key for key, entry in load_strings()["ui"].items() if not entry.get(lang)]

    assert missing == []


def test_strings_same_placeholders() -> None:
    mismatched = [
        key for key, entry in load_strings()["ui"].items()
        if _placeholders(entry["zh"]) != _placeholders(entry["en"])
    ]

    assert mismatched == []


def test_strings_family_names_bilingual() -> None:
    families = load_strings()["regulator_families"]
    incomplete = [code for code, names in families.items() if not (names.get("zh") and names.get("en"))]

    assert incomplete == []


def test_t_fills_values() -> None:
    assert t("table_count", "en", shown=2, total=5) == "Showing 2 of 5 cases"


@pytest.mark.parametrize(
    ("value", "lang", "compact", "expected"),
    [
        (Decimal("17124000"), "zh", True, "1,712.4万元"),
        (Decimal("8026000000"), "zh", True, "80.26亿元"),
        (Decimal("5780"), "zh", True, "5,780元"),
        (Decimal("444.11"), "zh", True, "444.11元"),
        (Decimal("16217.47"), "zh", False, "16,217.47元"),
        (Decimal("17124000"), "en", True, "CNY 17,124,000"),
        (Decimal("444.11"), "en", True, "CNY 444.11"),
        (None, "zh", True, "—"),
    ],
)
def test_format_cny(value: Decimal | None, lang: str, compact: bool, expected: str) -> None:
    assert format_cny(value, lang, compact=compact) == expected


@pytest.mark.parametrize(
    ("value", "precision", "lang", "expected"),
    [
        (date(2026, 9, 8), "day", "zh", "2026年9月8日"),
        (date(2021, 3, 1), "month", "zh", "2021年3月"),
        (date(2020, 1, 1), "year", "zh", "2020年"),
        (date(2021, 3, 1), "month", "en", "2021-03"),
        (datetime(2026, 9, 8), "day", "en", "2026-09-08"),
        (None, None, "en", "—"),
    ],
)
def test_format_date(value: date | None, precision: str | None, lang: str, expected: str) -> None:
    assert format_date(value, precision, lang) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [("案例数", "15"), ("有罚款的案例", "8"), ("罚款总额", "80.94亿元"), ("罚款中位数", "35万元"), ("无罚款案例占比", "46.7%")],
)
def test_overview_metrics_chinese(app_env: Path, label: str, expected: str) -> None:
    at = _app().run()
    values = {metric.label: metric.value for metric in at.metric}

    assert not at.exception
    assert values[label] == expected


def test_overview_chinese_default(app_env: Path) -> None:
    at = _app().run()

    assert not at.exception
    assert at.title[0].value == "概览"
    assert "46.7% 的案例没有罚款" in at.info[0].value
    assert len(at.dataframe) == 1


def test_overview_english_switch(app_env: Path) -> None:
    at = _app().run()
    at.sidebar.radio(key="lang").set_value("en").run()
    values = {metric.label: metric.value for metric in at.metric}

    assert not at.exception
    assert at.title[0].value == "Overview"
    assert values["Total fines"] == "CNY 8,094,173,000"
    assert values["Cases"] == "15"


def test_overview_domain_all(app_env: Path) -> None:
    at = _app().run()
    at.sidebar.selectbox(key="filter_domain").set_value("all").run()
    values = {metric.label: metric.value for metric in at.metric}

    assert values["案例数"] == "16"


def test_overview_family_filter(app_env: Path) -> None:
    at = _app().run()
    at.sidebar.multiselect(key="filter_regulator_families").set_value(["PBC"]).run()
    values = {metric.label: metric.value for metric in at.metric}

    assert values["案例数"] == "3"
    assert values["有罚款的案例"] == "3"


def test_trends_charts_render(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/trends.py").run()

    assert not at.exception
    assert at.title[0].value == "趋势"
    # monthly cases, monthly fines, yearly cases, fine histogram, top fines
    assert len(at.get("plotly_chart")) == 5


def test_trends_year_only_note(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/trends.py").run()

    assert "每月图表不含 1 个只知道年份的案例和 1 个没有日期的案例" in _all_text(at)


@pytest.mark.parametrize("dimension", ["industry", "regulator", "regulator_family", "province", "violation_type", "outcome_type"])
def test_trends_dimensions_english(app_env: Path, dimension: str) -> None:
    at = _app().run()
    at.sidebar.radio(key="lang").set_value("en").run()
    at.switch_page("app_pages/trends.py").run()
    at.selectbox(key="trends_dimension").set_value(dimension).run()

    assert not at.exception
    assert at.title[0].value == "Trends"
    assert len(at.get("plotly_chart")) == 5


def test_cases_table_renders(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()

    assert not at.exception
    assert at.title[0].value == "案例"
    assert len(at.dataframe) == 1
    assert "共 15 条，显示 15 条" in _all_text(at)


def test_cases_search_narrows(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()
    at.text_input(key="cases_text").input("广发").run()

    assert "共 1 条，显示 1 条" in _all_text(at)


def test_cases_detail_query_param(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()
    at.query_params["case"] = case_id("hangzhou", "1")
    at.run()
    text = _all_text(at)

    assert not at.exception
    assert "《中华人民共和国网络安全法》第64条第一款" in text
    assert "罚款人民币若干万元" in at.warning[0].value
    assert "解析警告（1）" in text


def test_cases_detail_siblings(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()
    at.query_params["case"] = case_id("pbc", "104")
    at.run()
    sibling_buttons = [button.label for button in at.button if button.key and button.key.startswith("sibling_")]

    assert [expander.label for expander in at.expander] == ["同一文件中的其他 2 个案例"]
    assert len(sibling_buttons) == 2


def test_cases_sibling_opens_case(app_env: Path) -> None:
    sibling = case_id("pbc", "105")
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()
    at.query_params["case"] = case_id("pbc", "104")
    at.run()
    at.button(key=f"sibling_{sibling}").click().run()

    assert at.query_params["case"] == sibling
    assert at.selectbox(key="case_pick").value == sibling


def test_cases_detail_english(app_env: Path) -> None:
    at = _app().run()
    at.sidebar.radio(key="lang").set_value("en").run()
    at.switch_page("app_pages/cases.py").run()
    at.query_params["case"] = case_id("miit", "星河阅读")
    at.run()
    text = _all_text(at)

    assert not at.exception
    assert "2021-03 (month only)" in text
    assert "App removal" in text


def test_cases_unknown_case_param(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()
    at.query_params["case"] = "0000000000000000"
    at.run()

    assert not at.exception
    assert "未找到案例：0000000000000000" in at.warning[0].value


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", "未找到数据仓库文件"), ("en", "Warehouse file not found")],
)
def test_missing_warehouse_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env: Path, lang: str, expected: str
) -> None:
    monkeypatch.setenv("EINTEL_DB", str(tmp_path / "absent.duckdb"))
    at = _app()
    at.session_state["lang"] = lang
    at.run()

    assert not at.exception
    assert expected in at.error[0].value
    assert "make demo" in _all_text(at)


def test_empty_warehouse_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    connect(empty).close()
    monkeypatch.setenv("EINTEL_DB", str(empty))
    at = _app().run()

    assert not at.exception
    assert "数据仓库中还没有案例" in at.error[0].value
