"""MIIT spider against local copies of app-notice columns: JPaaS list paging, tables, attachments."""

from __future__ import annotations

import functools
import io
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import docx
import duckdb
import openpyxl
import pytest
import yaml
from PIL import Image, ImageDraw
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

from scrapers.archive import CrawlArchive
from scrapers.base import SPIDER_DIR
from scrapers.jpaas import find_unit_query
from tests.scrapers.conftest import FIXTURES, run_crawl, run_load, write_config
from tests.scrapers.server import FixtureServer

PAGES = FIXTURES / "miit"
HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"

MIIT_COLUMN = "/jgsj/xgj/APPqhyhqyzxzzxd/tzgg/index.html"
GDCA_COLUMN = "/zwgk/tzgg/index.html"
SDCA_COLUMN = "/xwdt/tzgg/index.html"
MIIT_PAGE_SIZE = 2
PROVINCIAL_PAGE_SIZE = 20

XLSX_NOTICE = "/jgsj/xgj/gzdt/art/2026/art_1f3a5c7e9b2d4f6a8c0e2b4d6f8a0c21.html"
PDF_NOTICE = "/jgsj/xgj/gzdt/art/2026/art_2a4c6e8f0b1d3f5a7c9e1b3d5f7a9c32.html"
VIEWER_NOTICE = "/jgsj/xgj/gzdt/art/2025/art_3b5d7f9a1c2e4a6c8e0a2c4e6a8c0e43.html"
IMAGE_NOTICE = "/jgsj/xgj/gzdt/art/2020/art_4c6e8a0b2d3f5b7d9f1b3d5f7b9d1f54.html"
TABLE_NOTICE = "/zwgk/tzgg/art/2026/art_5d7f9b1c3e4a6c8e0a2c4e6a8c0e2a65.html"
OTHER_NOTICE = "/zwgk/tzgg/art/2026/art_6e8a0c2d4f5b7d9f1b3d5f7b9d1f3b76.html"
RETRY_NOTICE = "/zwgk/tzgg/art/2026/art_7f9b1d3e5a6c8e0a2c4e6a8c0e2a4c87.html"
BROKEN_NOTICE = "/xwdt/tzgg/art/2026/art_8a0c2e4f6b7d9f1b3d5f7b9d1f3b5d98.html"

ATTACHMENT_DIR = "/cms_files/filemanager/1226211233/attach"
XLSX_FILE = f"{ATTACHMENT_DIR}/20265/app-list-2026-2.xlsx"
PDF_FILE = f"{ATTACHMENT_DIR}/20263/xiajia-2026-03.pdf"
DOC_FILE = f"{ATTACHMENT_DIR}/20259/app-list-batch-2.doc"
IMAGE_FILE = f"{ATTACHMENT_DIR}/202012/list-7-1.png"

APP_HEADER = ["序号", "应用名称", "应用开发者", "应用版本", "应用来源", "所涉问题"]


# Attachments, generated at test time ---------------------------------------------------


def xlsx_list() -> bytes:
    """Three apps; the company cell is merged over the two apps of one company."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2026年第2批侵害用户权益行为的APP名单"])
    sheet.merge_cells("A1:F1")
    sheet.append(APP_HEADER)
    sheet.append([1, "云端相册", "杭州云端数据科技有限公司", "2.4.0", "vivo应用商店", "违规收集个人信息；违规使用个人信息"])
    sheet.append([2, "云端剪辑", None, "1.8.2", "OPPO软件商店", "强制、频繁、过度索取权限"])
    sheet.append([3, "点点外卖", "成都点点餐饮管理有限公司", "6.1.0", "华为应用市场", "APP强制、频繁、过度索取权限\n账号注销难"])
    sheet.merge_cells("C3:C4")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf_list() -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    rows = [
        APP_HEADER,
        ["1", "快乐找工", "武汉快乐人力资源服务有限公司", "4.0.2", "小米应用商店", "超范围收集个人信息"],
        ["2", "邻里团购", "长沙邻里电子商务有限公司", "2.2.9", "应用宝", "欺骗误导强迫用户"],
    ]
    table = Table(rows)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    SimpleDocTemplate(buffer, pagesize=landscape(A4)).build([table])
    return buffer.getvalue()


@functools.cache
def doc_list() -> bytes:
    """A binary Word 97 file converted by LibreOffice, else a Word-HTML file saved as .doc.

    Both kinds sit behind MIIT's .doc links; LibreOffice is needed only for the binary one.
    """
    document = docx.Document()
    document.add_paragraph("问题APP名单")
    table = document.add_table(rows=3, cols=4)
    for row, values in zip(table.rows, [["序号", "APP名称", "开发者", "所涉问题"],
                                        ["1", "掌上停车", "南京易停智能科技有限公司", "未公开收集使用规则"],
                                        ["2", "学霸题库", "西安学霸教育科技有限公司", "APP频繁自启动和关联启动"]]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    soffice = shutil.which("soffice")
    if soffice:
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "list.docx"
            document.save(source)
            completed = subprocess.run(
                [soffice, "--headless", f"-env:UserInstallation=file://{folder}/profile", "--convert-to", "doc",
                 "--outdir", folder, str(source)], capture_output=True, timeout=120, check=False)
            converted = Path(folder) / "list.doc"
            if completed.returncode == 0 and converted.exists():
                return converted.read_bytes()
    rows = "".join(f"<tr>{''.join(f'<td>{value}</td>' for value in values)}</tr>" for values in [
        ["序号", "APP名称", "开发者", "所涉问题"],
        ["1", "掌上停车", "南京易停智能科技有限公司", "未公开收集使用规则"],
        ["2", "学霸题库", "西安学霸教育科技有限公司", "APP频繁自启动和关联启动"]])
    return f'<html xmlns:w="urn:schemas-microsoft-com:office:word"><body><table>{rows}</table></body></html>'.encode()


def image_list() -> bytes:
    image = Image.new("RGB", (240, 60), "white")
    ImageDraw.Draw(image).text((10, 20), "APP LIST 2020-7", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# The fixture site ---------------------------------------------------------------------


def unit_route(column_file: str, column_path: str, page: int, page_size: int, tag_id: str | None = None) -> str:
    """Path and query of a unit page as the spider requests it (the routes are keyed by both)."""
    query = find_unit_query((PAGES / column_file).read_text(encoding="utf-8"), "http://127.0.0.1" + column_path, tag_id)
    parts = urlsplit(query.page_url(page, page_size))
    return f"{parts.path}?{parts.query}"


def site_entry(server: FixtureServer, site_id: str, column: str, **facts: object) -> dict[str, object]:
    names = {"miit": ("工业和信息化部", ""), "gdca": ("广东省通信管理局", "广东省"), "sdca": ("山东省通信管理局", "山东省")}
    name, province = names[site_id]
    return {"id": site_id, "name": name, "issuer": name, "province": province, "list_url": server.url(column), **facts}


def write_miit_config(server: FixtureServer, workdir: Path, with_faults: bool) -> None:
    config = yaml.safe_load((SPIDER_DIR / "miit.yaml").read_text(encoding="utf-8"))
    config["sites"] = [
        site_entry(server, "miit", MIIT_COLUMN, tag_id="右侧内容"),
        site_entry(server, "gdca", GDCA_COLUMN, page_size=PROVINCIAL_PAGE_SIZE),
    ]
    if with_faults:
        config["sites"].append(site_entry(server, "sdca", SDCA_COLUMN, page_size=PROVINCIAL_PAGE_SIZE))
    config["page_size"] = MIIT_PAGE_SIZE
    config["max_list_pages"] = 10
    write_config(workdir / "config", "miit", config)


def serve_site(server: FixtureServer, workdir: Path, with_faults: bool) -> None:
    server.add(MIIT_COLUMN, (PAGES / "column_miit.html").read_bytes(), HTML)
    for page in (1, 2):
        server.add(unit_route("column_miit.html", MIIT_COLUMN, page, MIIT_PAGE_SIZE, "右侧内容"),
                   (PAGES / f"unit_miit_{page}.json").read_bytes(), JSON)
    server.add(GDCA_COLUMN, (PAGES / "column_gdca.html").read_bytes(), HTML)
    server.add(unit_route("column_gdca.html", GDCA_COLUMN, 1, PROVINCIAL_PAGE_SIZE),
               (PAGES / "unit_gdca_1.json").read_bytes(), JSON)

    for path, name in ((XLSX_NOTICE, "notice_xlsx"), (PDF_NOTICE, "notice_pdf"), (VIEWER_NOTICE, "notice_viewer_doc"),
                       (IMAGE_NOTICE, "notice_images"), (TABLE_NOTICE, "notice_table")):
        server.add(path, (PAGES / f"{name}.html").read_bytes(), HTML)
    server.add(XLSX_FILE, xlsx_list(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    server.add(PDF_FILE, pdf_list(), "application/pdf")
    server.add(DOC_FILE, doc_list(), "application/msword")
    server.add(IMAGE_FILE, image_list(), "image/png")

    # The first request of this notice gets a 503 in the faulty site; the retry gets the page.
    server.add(RETRY_NOTICE, (PAGES / "notice_retry.html").read_bytes(), HTML, fail_first=1 if with_faults else 0)
    if with_faults:
        server.add(SDCA_COLUMN, (PAGES / "column_sdca.html").read_bytes(), HTML)
        server.add(unit_route("column_sdca.html", SDCA_COLUMN, 1, PROVINCIAL_PAGE_SIZE),
                   (PAGES / "unit_sdca_1.json").read_bytes(), JSON)
        server.add(BROKEN_NOTICE, (PAGES / "notice_broken.html").read_bytes(), HTML)
    write_miit_config(server, workdir, with_faults)


def build_site(server: FixtureServer, workdir: Path) -> None:
    """Register the routes of a complete, healthy MIIT fixture site and write its config."""
    serve_site(server, workdir, with_faults=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """One crawl of the fixture site with a 503 and a broken notice, shared by the tests below."""
    server = FixtureServer().start()
    workdir = tmp_path_factory.mktemp("miit")
    serve_site(server, workdir, with_faults=True)
    crawled = run_crawl(["miit"], workdir)
    yield server, workdir, crawled
    server.stop()


def unit_items(crawled, site_id: str) -> list[dict]:
    return [item for item in crawled.of_kind("list")
            if item["context"]["site"] == site_id and "page" in item["fields"]]


# Lists --------------------------------------------------------------------------------


def test_miit_unit_pages_paged(site):
    _, _, crawled = site
    pages = unit_items(crawled, "miit")
    assert [item["fields"]["page"] for item in pages] == [1, 2]
    assert [item["fields"]["entries"] for item in pages] == [2, 2]
    assert pages[0]["fields"]["total"] == 4
    assert pages[0]["fields"]["pages"] == 2


def test_miit_column_page_unit_found(site):
    _, _, crawled = site
    columns = [item for item in crawled.of_kind("list") if "unit_found" in item["fields"]]
    assert len(columns) == 3
    assert all(item["fields"]["unit_found"] for item in columns)
    miit = next(item for item in columns if item["context"]["site"] == "miit")
    assert miit["fields"]["unit_params"]["tagId"] == "右侧内容"


def test_miit_unit_request_parameters(site):
    server, _, _ = site
    unit_requests = [urlsplit(request.path) for request in server.requests
                     if request.path.startswith("/api-gateway/jpaas-publish-server/front/page/build/unit")]
    params = [{key: values[0] for key, values in parse_qs(parts.query).items()} for parts in unit_requests]
    miit = [entry for entry in params if entry["pageId"] == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"]
    assert sorted(json.loads(entry["paramJson"])["pageNo"] for entry in miit) == [1, 2]
    assert all(json.loads(entry["paramJson"])["pageSize"] == MIIT_PAGE_SIZE for entry in miit)
    # The side-bar unit that the column page declares first is never requested.
    assert not any(entry["pageId"] == "a1b2c3d4e5f60718293a4b5c6d7e8f90" for entry in params)


def test_miit_title_filter_skips_notice(site):
    server, _, crawled = site
    gdca = unit_items(crawled, "gdca")[0]
    assert gdca["fields"]["entries"] == 2
    assert gdca["fields"]["skipped"] == 1
    assert server.hits(OTHER_NOTICE) == 0


# Notices ------------------------------------------------------------------------------


def test_miit_table_notice_fields(site):
    server, _, crawled = site
    item = crawled.by_url(server.url(TABLE_NOTICE))
    assert item["fields"]["title"] == "广东省通信管理局关于侵害用户权益行为的APP通报（2026年第3批，总第21批）"
    assert item["fields"]["date"] == "2026-06-08"
    assert item["fields"]["issuer"] == "广东省通信管理局"
    assert item["fields"]["app_rows"] == 3
    assert item["fields"]["app_tables"] == 1
    assert item["fields"]["carrier"] == "html-table"
    assert item["fields"]["attachments"] == []
    assert item["context"]["province"] == "广东省"
    # The provincial list shows no date, so the entry carries none.
    assert item["context"]["list_date"] == ""


def test_miit_xlsx_attachment(site):
    server, _, crawled = site
    notice = crawled.by_url(server.url(XLSX_NOTICE))
    assert notice["fields"]["attachments"] == [server.url(XLSX_FILE)]
    assert notice["fields"]["carrier"] == "attachment"
    assert notice["context"]["list_date"] == "2026-05-20"
    attachment = crawled.by_url(server.url(XLSX_FILE))
    assert attachment["kind"] == "attachment"
    assert attachment["context"]["parent_url"] == server.url(XLSX_NOTICE)
    assert attachment["context"]["parent_title"] == "工业和信息化部关于侵害用户权益行为的APP（SDK）通报（2026年第2批，总第52批）"
    assert attachment["context"]["parent_date"] == "2026-05-20"
    assert attachment["context"]["issuer"] == "工业和信息化部"
    assert "《中华人民共和国个人信息保护法》" in attachment["context"]["parent_text"]


def test_miit_pdf_attachment(site):
    server, _, crawled = site
    notice = crawled.by_url(server.url(PDF_NOTICE))
    assert notice["fields"]["attachments"] == [server.url(PDF_FILE)]
    attachment = crawled.by_url(server.url(PDF_FILE))
    assert attachment["kind"] == "attachment"
    assert attachment["context"]["parent_title"] == "关于下架2款侵害用户权益APP的通报"
    assert attachment["size"] > 500


def test_miit_viewer_link_resolved(site):
    server, _, crawled = site
    notice = crawled.by_url(server.url(VIEWER_NOTICE))
    assert notice["fields"]["attachments"] == [server.url(DOC_FILE)]
    assert crawled.by_url(server.url(DOC_FILE))["kind"] == "attachment"
    assert server.hits("/pdfjs/web/viewer.html") == 0


def test_miit_image_notice_fetches_images(site):
    server, _, crawled = site
    notice = crawled.by_url(server.url(IMAGE_NOTICE))
    assert notice["fields"]["carrier"] == "image"
    assert notice["fields"]["images"] == [server.url(IMAGE_FILE)]
    image = crawled.by_url(server.url(IMAGE_FILE))
    assert image["kind"] == "attachment"
    assert image["context"]["image"] is True
    assert image["context"]["parent_title"] == "关于侵害用户权益行为的APP通报（2020年第七批）"


def test_miit_retries_503(site):
    server, _, crawled = site
    item = crawled.by_url(server.url(RETRY_NOTICE))
    assert item["fields"]["app_rows"] == 1
    assert server.hits(RETRY_NOTICE) == 2


def test_miit_broken_page_shape_changed(site):
    server, workdir, crawled = site
    item = crawled.by_url(server.url(BROKEN_NOTICE))
    assert item["fields"]["title"] == "山东省通信管理局关于不合格APP整改情况的通报（2026年第1批）"
    # lxml recovers the rows of the cut-off table.
    assert item["fields"]["app_rows"] == 2
    with CrawlArchive(workdir / "crawl") as archive:
        run = archive.crawl_runs("miit")[-1]
    assert run["status"] == "shape_changed"
    assert "art_8a0c2e4f6b7d9f1b3d5f7b9d1f3b5d98" in run["message"]
    assert "no content area" in run["message"]
    assert crawled.returncode == 1
    assert "shape changed" in crawled.stderr


def test_miit_empty_list_shape_changed(server: FixtureServer, tmp_path: Path):
    server.add(GDCA_COLUMN, (PAGES / "column_gdca.html").read_bytes(), HTML)
    server.add(unit_route("column_gdca.html", GDCA_COLUMN, 1, PROVINCIAL_PAGE_SIZE),
               (PAGES / "unit_empty.json").read_bytes(), JSON)
    config = yaml.safe_load((SPIDER_DIR / "miit.yaml").read_text(encoding="utf-8"))
    config["sites"] = [site_entry(server, "gdca", GDCA_COLUMN, page_size=PROVINCIAL_PAGE_SIZE)]
    write_config(tmp_path / "config", "miit", config)

    crawled = run_crawl(["miit"], tmp_path)
    with CrawlArchive(tmp_path / "crawl") as archive:
        run = archive.crawl_runs("miit")[-1]
    assert run["status"] == "shape_changed"
    assert "first list page of gdca has no entries" in run["message"]
    assert "WARNING" in crawled.stderr
    assert crawled.returncode == 1
    assert unit_items(crawled, "gdca")[0]["fields"]["total"] == 0


# End to end ---------------------------------------------------------------------------


def test_miit_crawl_load_cases(server: FixtureServer, tmp_path: Path):
    build_site(server, tmp_path)
    crawled = run_crawl(["miit"], tmp_path)
    assert crawled.returncode == 0, crawled.stderr

    loaded = run_load(tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    with duckdb.connect(str(tmp_path / "eintel.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT source_url, app_name, party_name, party_type, province, regulator, violation_types, "
            "outcome_types, publish_date, title FROM cases WHERE source = 'miit' ORDER BY source_url, app_name"
        ).fetchall()
        runs = con.execute("SELECT status FROM crawl_runs WHERE source = 'miit'").fetchall()
    cases = {row[1]: row for row in rows if row[1]}

    # One case per app row of the provincial HTML table, with the company of the merged cell.
    qingliang = cases["晴朗日历"]
    assert qingliang[0] == server.url(TABLE_NOTICE)
    assert qingliang[2] == "广州晴朗网络科技有限公司"
    assert cases["快看天气"][2] == "广州晴朗网络科技有限公司"
    assert qingliang[3] == "company"
    assert qingliang[4] == "广东省"
    assert qingliang[5] == "广东省通信管理局"
    assert "forced_permissions" in qingliang[6]
    assert "frequent_self_start" in qingliang[6]
    assert "rectification_order" in qingliang[7]
    assert str(qingliang[8]) == "2026-06-08"
    assert "misleading_users" in cases["悦读小说"][6]

    # The removal notice (下架): its row comes out as an app removal.
    assert cases["闪购优选"][2] == "佛山闪购电子商务有限公司"
    assert "app_removal" in cases["闪购优选"][7]
    assert "account_deletion" in cases["闪购优选"][6]

    # Rows of the XLSX, PDF and DOC attachments, dated and issued like their notices.
    assert cases["云端剪辑"][0] == server.url(XLSX_FILE)
    assert cases["云端剪辑"][2] == "杭州云端数据科技有限公司"
    assert cases["云端剪辑"][5] == "工业和信息化部"
    assert cases["云端剪辑"][4] is None
    assert str(cases["云端剪辑"][8]) == "2026-05-20"
    assert cases["点点外卖"][2] == "成都点点餐饮管理有限公司"
    assert cases["邻里团购"][0] == server.url(PDF_FILE)
    assert "app_removal" in cases["邻里团购"][7]
    assert cases["学霸题库"][0] == server.url(DOC_FILE)
    assert cases["学霸题库"][2] == "西安学霸教育科技有限公司"
    assert "frequent_self_start" in cases["学霸题库"][6]

    # The notice whose list is an image gives one notice-level case without a party.
    image_cases = [row for row in rows if row[0] == server.url(IMAGE_NOTICE)]
    assert len(image_cases) == 1
    assert image_cases[0][2] is None
    assert image_cases[0][9] == "关于侵害用户权益行为的APP通报（2020年第七批）"
    assert not [row for row in rows if row[0] == server.url(IMAGE_FILE)]

    assert len(cases) == 11
    assert runs == [("ok",)]
