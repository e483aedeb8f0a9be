"""The JPaaS list client: queryData scripts, page URLs, unit responses and page counts."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from scrapers.jpaas import (
    UNIT_PATH,
    JpaasError,
    find_unit_query,
    page_count,
    parse_query_data,
    parse_unit_response,
)

LIST_URL = "https://www.miit.gov.cn/jgsj/xgj/APPqhyhqyzxzzxd/tzgg/index.html"
DETAIL_PATTERN = r"/art/\d{4}/art_[0-9a-f]{32}\.html$"

COLUMN_PAGE = """<html><body>
<script src="/assets/js/unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/build/unit"
  queryData="{'webId':'8d828e408d90447786ddbe128d495e9e','pageId':'column-side','tplSetId':'tpl1',
  'pageType':'column','tagId':'侧栏','editType':'null'}"></script>
<script src="/assets/js/unitbuild.js" url="/api-gateway/jpaas-publish-server/front/page/build/unit"
  queryData="{'webId':'8d828e408d90447786ddbe128d495e9e','pageId':'column-list','tplSetId':'tpl1',
  'pageType':'column','tagId':'右侧内容','editType':'null','pageSize':'24'}"></script>
</body></html>"""


def unit_response(fragment: str) -> str:
    return json.dumps({"success": True, "code": "200", "data": {"html": fragment}}, ensure_ascii=False)


def test_unit_query_picks_tag():
    query = find_unit_query(COLUMN_PAGE, LIST_URL, tag_id="右侧内容")
    assert query.params["pageId"] == "column-list"
    assert query.endpoint == "https://www.miit.gov.cn" + UNIT_PATH
    assert query.declared_page_size == 24


def test_unit_query_first_without_tag():
    query = find_unit_query(COLUMN_PAGE, LIST_URL)
    assert query.params["pageId"] == "column-side"


def test_unit_query_missing_script():
    with pytest.raises(JpaasError, match="no <script queryData"):
        find_unit_query("<html><body><ul></ul></body></html>", LIST_URL)


def test_unit_query_default_endpoint():
    page = """<script queryData='{"webId":"w","pageId":"p","tplSetId":"t"}'></script>"""
    query = find_unit_query(page, "https://sdca.miit.gov.cn/xwdt/tzgg/index.html")
    assert query.endpoint == "https://sdca.miit.gov.cn" + UNIT_PATH


def test_query_data_quote_inside_value():
    params = parse_query_data("{'webId':'w1','tagId':'张伟's list','pageSize':20}")
    assert params["webId"] == "w1"
    assert params["pageSize"] == "20"


def test_query_data_empty():
    assert parse_query_data("  ") == {}


def test_page_url_param_json():
    query = find_unit_query(COLUMN_PAGE, LIST_URL, tag_id="右侧内容")
    url = query.page_url(3, 15)
    params = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    assert json.loads(params["paramJson"]) == {"pageNo": 3, "pageSize": 15}
    assert "pageSize" not in params
    assert params["tagId"] == "右侧内容"
    assert params["webId"] == "8d828e408d90447786ddbe128d495e9e"


def test_page_url_rejects_page_zero():
    query = find_unit_query(COLUMN_PAGE, LIST_URL)
    with pytest.raises(JpaasError, match="pageNo=0"):
        query.page_url(0, 15)


def test_unit_response_entries_and_counts():
    fragment = (
        '<div class="page-content"><ul>'
        '<li><a href="/jgsj/xgj/art/2026/art_0123456789abcdef0123456789abcdef.html" '
        'title="关于侵害用户权益行为的APP（SDK）通报（2026年第2批，总第52批）">关于侵害用户权益行为的...</a>'
        '<span>2026-05-20</span></li>'
        '<li><a href="https://www.miit.gov.cn/jgsj/xgj/art/2026/art_fedcba9876543210fedcba9876543210.html">'
        '关于下架12款APP的通报</a><span>2026年4月2日</span></li>'
        '<li><a href="/jgsj/xgj/APPqhyhqyzxzzxd/tzgg/index_2.html">更多</a></li>'
        '</ul><div class="page-box" count="37" rows="15" pageNo="1"></div></div>'
    )
    page = parse_unit_response(unit_response(fragment), "https://api", LIST_URL, DETAIL_PATTERN)
    assert [entry.date for entry in page.entries] == ["2026-05-20", "2026-04-02"]
    assert page.entries[0].title == "关于侵害用户权益行为的APP（SDK）通报（2026年第2批，总第52批）"
    assert page.entries[0].url == "https://www.miit.gov.cn/jgsj/xgj/art/2026/art_0123456789abcdef0123456789abcdef.html"
    assert page.entries[1].title == "关于下架12款APP的通报"
    assert page.total == 37
    assert page.rows == 15
    assert page.page_count() == 3


def test_unit_response_without_dates():
    fragment = '<ul><li><a href="/zwgk/tzgg/art/2026/art_0123456789abcdef0123456789abcdef.html">通报</a></li></ul>'
    page = parse_unit_response(unit_response(fragment), "https://api", "https://gdca.miit.gov.cn/zwgk/tzgg/index.html")
    assert page.entries[0].date == ""
    assert page.total is None
    assert page.page_count(fallback_page_size=20) is None


def test_unit_response_empty_column():
    page = parse_unit_response(unit_response('<div count="0" rows="15"></div>'), "https://api", LIST_URL)
    assert page.entries == []
    assert page.page_count() == 0


def test_unit_response_not_json():
    with pytest.raises(JpaasError, match="not JSON"):
        parse_unit_response("<html>访问过于频繁</html>", "https://api", LIST_URL)


def test_unit_response_success_false():
    with pytest.raises(JpaasError, match="success=false"):
        parse_unit_response(json.dumps({"success": False, "code": "500", "message": "error"}), "https://api", LIST_URL)


def test_unit_response_without_html():
    with pytest.raises(JpaasError, match="no data.html"):
        parse_unit_response(json.dumps({"success": True, "data": {"list": []}}), "https://api", LIST_URL)


@pytest.mark.parametrize(("total", "size", "expected"), [(37, 15, 3), (30, 15, 2), (0, 15, 0), (None, 15, None), (10, None, None)])
def test_page_count(total, size, expected):
    assert page_count(total, size) == expected
