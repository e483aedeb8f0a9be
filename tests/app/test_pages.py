"""Dashboard pages in Streamlit's AppTest against the fixture warehouse, and the UI texts."""

from __future__ import annotations

import json
import string
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from app_pages.i18n import LANGUAGES, format_cny, format_date, load_strings, t
from eintel.settings import get_settings
from tests.app.conftest import build_warehouse, case_id, make_case
from warehouse.db import connect

APP = Path(__file__).resolve().parents[2] / "app.py"

# The first run imports pandas and Plotly, which can take several seconds on a cold machine.
RUN_TIMEOUT_SECONDS = 60


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_SECONDS)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# Forty-five apps of one MIIT notice in one month, so the monthly count axis needs a
# step larger than one, and one notice whose app list is an image, so it names no party.
NOTICE_APPS = 45
BUSY_CASES = [
    *(
        make_case("miit", f"应用{number}", title="关于下架侵害用户权益APP的通报", regulator="工业和信息化部",
                  regulator_level="national", regulator_family="MIIT", party_name=f"星河{number}号科技有限公司",
                  app_name=f"应用{number}", industry="internet_platforms", domain="data_protection",
                  outcome_types=["app_removal"], publish_date=date(2021, 3, 1), publish_date_precision="month")
        for number in range(NOTICE_APPS)
    ),
    make_case("gdca", "notice", title="广东省通信管理局关于侵害用户权益行为APP的通报", regulator="广东省通信管理局",
              regulator_level="provincial", regulator_family="MIIT", province="广东省",
              industry="internet_platforms", domain="data_protection", outcome_types=["rectification_order"],
              publish_date=date(2021, 4, 2), publish_date_precision="day"),
]


@pytest.fixture(scope="module")
def busy_warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("busy") / "eintel.duckdb"
    build_warehouse(path, BUSY_CASES)
    return path


@pytest.fixture
def busy_env(busy_warehouse_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the dashboard at the busy warehouse, with the default language, for one test."""
    monkeypatch.setenv("EINTEL_DB", str(busy_warehouse_file))
    monkeypatch.delenv("EINTEL_LANG", raising=False)
    get_settings.cache_clear()
    yield busy_warehouse_file
    get_settings.cache_clear()


def _chart_spec(at: AppTest, key: str) -> dict:
    chart = next(chart for chart in at.get("plotly_chart") if chart.key == key)
    return json.loads(chart.proto.spec)


def _trace_colours(spec: dict) -> dict[str, str]:
    return {trace["name"]: trace["marker"]["color"] for trace in spec["data"]}


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


def test_overview_fine_documents_note(app_env: Path) -> None:
    at = _app().run()

    assert "罚款来自 6 份公开文件（处罚决定书或公示表）中的 8 个案例。" in _all_text(at)


def test_overview_intro_unnamed_parties(app_env: Path) -> None:
    at = _app().run()
    at.sidebar.radio(key="lang").set_value("en").run()

    assert "a notice that names no party" in _all_text(at)


def test_case_table_empty_cells_placeholder(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()

    assert at.dataframe[0].proto.placeholder == "—"


def test_case_table_fine_numeric(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()

    assert at.dataframe[0].value["fine_cny"].dtype.kind == "f"


@pytest.mark.parametrize(("lang", "expected"), [("zh", "（未列明）"), ("en", "(not named)")])
def test_case_table_unnamed_party(busy_env: Path, lang: str, expected: str) -> None:
    at = _app()
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("app_pages/cases.py").run()
    parties = list(at.dataframe[0].value["party"])

    assert parties[0] == expected


def test_trends_group_colours_shared(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/trends.py").run()
    monthly = _trace_colours(_chart_spec(at, "monthly_cases"))
    yearly = _trace_colours(_chart_spec(at, "yearly_cases"))
    differing = {group for group in monthly.keys() & yearly.keys() if monthly[group] != yearly[group]}

    assert differing == set()


def test_trends_other_group_grey(app_env: Path) -> None:
    # Ten regulators are more than the charts show, so the smallest fold into 其他.
    at = _app().run()
    at.switch_page("app_pages/trends.py").run()
    at.selectbox(key="trends_dimension").set_value("regulator").run()

    assert _trace_colours(_chart_spec(at, "yearly_cases"))["其他"] == "#9e9e9e"


def test_trends_count_axis_plotly_steps(busy_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/trends.py").run()
    axis = _chart_spec(at, "monthly_cases")["layout"]["yaxis"]

    assert "dtick" not in axis


def test_trends_count_axis_small_whole(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/trends.py").run()
    axis = _chart_spec(at, "monthly_cases")["layout"]["yaxis"]

    assert axis["dtick"] == 1


def test_cases_nothing_open_by_default(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()

    assert at.selectbox(key="case_pick").value is None
    assert len(at.header) == 0


def test_cases_unknown_param_opens_nothing(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()
    at.query_params["case"] = "doesnotexist"
    at.run()

    assert [warning.value for warning in at.warning] == ["未找到案例：doesnotexist"]
    assert len(at.header) == 0


def test_cases_search_clears_unknown_param(app_env: Path) -> None:
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()
    at.query_params["case"] = "doesnotexist"
    at.run()
    at.text_input(key="cases_text").input("广发").run()

    assert len(at.warning) == 0
    assert "case" not in at.query_params


def test_cases_pick_replaces_param(app_env: Path) -> None:
    picked = case_id("csrc", "1")
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()
    at.query_params["case"] = "doesnotexist"
    at.run()
    at.selectbox(key="case_pick").set_value(picked).run()

    assert at.query_params["case"] == picked
    assert len(at.warning) == 0
    assert at.header[0].value == "行政处罚决定书"


@pytest.mark.parametrize(
    ("document_key", "expected"),
    [("didi", True), ("pbc", False), ("miit", False)],
)
def test_case_detail_fine_not_split_note(app_env: Path, document_key: str, expected: bool) -> None:
    record_key = {"didi": "1", "pbc": "104", "miit": "云帆出行"}[document_key]
    at = _app().run()
    at.switch_page("app_pages/cases.py").run()
    at.query_params["case"] = case_id(document_key, record_key)
    at.run()

    assert ("罚款金额针对整个处罚决定，未按违法类型拆分。" in _all_text(at)) is expected
