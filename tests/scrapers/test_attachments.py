"""Tests of attachment extraction on files built here: PDF, DOCX, DOC, XLS, XLSX, PNG, HTML.

Every file is generated in a temporary folder from text written for these tests. DOC files
come from LibreOffice (`soffice`) and are read by antiword. Both are Debian packages, and a
test that needs a missing one is skipped with the package name. The OCR tests need the
optional rapidocr-onnxruntime and the Noto CJK font.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
import pytest
import xlwt
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

from scrapers import attachment_ocr, attachments
from scrapers.attachments import (
    AttachmentText,
    attachment_url_from_viewer,
    clean_cell,
    detect_format,
    extract_attachment,
)

# Noto Sans CJK SC is face 2 of the collection in Debian's fonts-noto-cjk.
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FONT_INDEX = 2

HEADER = ["序号", "应用名称", "应用开发者", "应用版本", "应用来源", "所涉问题"]
APP_ROW = ["1", "李明记账", "北京某某科技有限公司", "3.2.1", "应用宝", "违规收集个人信息"]
# Same company as APP_ROW: app lists merge the company cell over both rows.
SECOND_APP_ROW = ["2", "张伟阅读", "北京某某科技有限公司", "1.0.5", "华为应用市场", "超范围收集个人信息"]
TITLE = "关于侵害用户权益行为的APP通报（2026年第1批）"
CLOSING = "请上述APP运营者在规定时间内完成整改。"

MIIT_PDF_URL = "https://www.miit.gov.cn/cms_files/filemanager/attach/2026/app_list.pdf"


# --- files built for the tests --------------------------------------------------------------


def build_pdf(pages: int = 1, encrypt: StandardEncryption | None = None) -> bytes:
    """Build an app-list PDF: a title, then a ruled table whose company cell spans two rows."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("body", fontName="STSong-Light", fontSize=10)
    buffer = io.BytesIO()
    story = []
    for page in range(pages):
        if page:
            story.append(PageBreak())
        table = Table([HEADER, APP_ROW, SECOND_APP_ROW])
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                    ("GRID", (0, 0), (-1, -1), 0.5, "black"),
                    ("SPAN", (2, 1), (2, 2)),
                ]
            )
        )
        story += [Paragraph(f"{TITLE} 第{page + 1}页", style), table]
    SimpleDocTemplate(buffer, pagesize=A4, encrypt=encrypt).build(story)
    return buffer.getvalue()


def build_scanned_pdf() -> bytes:
    """Build a PDF whose only page is a full-page image, as a scanner produces."""
    picture = Image.new("RGB", (600, 850), "white")
    ImageDraw.Draw(picture).rectangle((40, 40, 560, 160), outline="black", width=4)
    return _pdf_with_image(picture, (0, 0, A4[0], A4[1]), caption="")


def build_sealed_pdf() -> bytes:
    """Build a PDF whose only page has a short signature line and a small seal image."""
    seal = Image.new("RGB", (120, 120), "white")
    ImageDraw.Draw(seal).ellipse((5, 5, 115, 115), outline="red", width=6)
    return _pdf_with_image(seal, (400, 80, 120, 120), caption="工业和信息化部")


def _pdf_with_image(picture: Image.Image, box: tuple[float, float, float, float], caption: str) -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    x, y, width, height = box
    page.drawImage(ImageReader(picture), x, y, width=width, height=height)
    if caption:
        page.setFont("STSong-Light", 12)
        page.drawString(400, 220, caption)
    page.showPage()
    page.save()
    return buffer.getvalue()


def build_docx(filler_paragraphs: int = 0) -> bytes:
    """Build a DOCX: title, app table with a vertically merged company cell, closing paragraph."""
    document = docx.Document()
    document.add_paragraph(TITLE)
    table = document.add_table(rows=3, cols=len(HEADER))
    for row, values in zip(table.rows, [HEADER, APP_ROW, SECOND_APP_ROW], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    merged = table.cell(1, 2).merge(table.cell(2, 2))
    merged.text = "北京某某科技有限公司"
    # A cell of two lines with stray spaces, as typed in real lists.
    table.cell(2, 5).text = "  超范围收集个人信息 \n  频繁索取权限  "
    document.add_paragraph(CLOSING)
    for number in range(filler_paragraphs):
        document.add_paragraph(f"第{number + 1}条 运营者应当依法处理个人信息，并及时完成整改报告。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_xlsx() -> bytes:
    """Build a workbook of two sheets. The company cell of the first sheet spans two rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "APP列表"
    sheet.append(HEADER)
    sheet.append([1, "李明记账", "北京某某科技有限公司", "3.2.1", "应用宝", " 违规收集个人信息 \n 强制授权 "])
    sheet.append([2, "张伟阅读", None, "1.0.5", "华为应用市场", "超范围收集个人信息"])
    sheet.append([None] * len(HEADER))
    sheet.append([3, "王小明地图", "上海某某网络有限公司", "2.0", "小米应用商店", "APP强制、频繁、过度索取权限"])
    sheet.merge_cells("C2:C3")
    penalties = book.create_sheet("处罚")
    penalties.append(["当事人", "罚款（元）", "决定日期"])
    penalties.append(["北京某某科技有限公司", 50000.0, datetime(2026, 3, 15)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def build_xls() -> bytes:
    """Build an XLS with xlwt: the company cell spans two rows, and one cell is a date."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("APP列表")
    for column, value in enumerate(HEADER + ["通报日期"]):
        sheet.write(0, column, value)
    for row_index, row in enumerate([APP_ROW, SECOND_APP_ROW], start=1):
        # The serial number is a float, as spreadsheets store numbers.
        sheet.write(row_index, 0, float(row[0]))
        for column, value in enumerate(row[1:], start=1):
            if column != 2:
                sheet.write(row_index, column, value)
    sheet.write_merge(1, 2, 2, 2, "北京某某科技有限公司")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet.write(1, len(HEADER), datetime(2026, 3, 15), date_style)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def build_png(lines: list[str], width: int = 1000) -> bytes:
    """Draw one line of 32-pixel text every 70 pixels, the first at y=30."""
    font = ImageFont.truetype(str(CJK_FONT), 32, index=CJK_FONT_INDEX)
    picture = Image.new("RGB", (width, 80 + 70 * len(lines)), "white")
    draw = ImageDraw.Draw(picture)
    for number, line in enumerate(lines):
        draw.text((30, 30 + 70 * number), line, font=font, fill="black")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def convert_to_doc(docx_body: bytes, folder: Path) -> bytes:
    """Convert a DOCX to Word 97-2003 with LibreOffice, in a profile of its own under `folder`."""
    source = folder / "source.docx"
    source.write_bytes(docx_body)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (folder / "source.doc").read_bytes()


@pytest.fixture(scope="module")
def doc_body(tmp_path_factory) -> bytes:
    if shutil.which("soffice") is None:
        pytest.skip("soffice not found; install the Debian package libreoffice-writer-nogui to build DOC files")
    # antiword rejects a WordDocument stream under 4096 bytes, so the document gets filler paragraphs.
    return convert_to_doc(build_docx(filler_paragraphs=40), tmp_path_factory.mktemp("doc"))


@pytest.fixture(scope="module")
def small_doc_body(tmp_path_factory) -> bytes:
    if shutil.which("soffice") is None:
        pytest.skip("soffice not found; install the Debian package libreoffice-writer-nogui to build DOC files")
    document = docx.Document()
    document.add_paragraph(CLOSING)
    buffer = io.BytesIO()
    document.save(buffer)
    return convert_to_doc(buffer.getvalue(), tmp_path_factory.mktemp("small_doc"))


def needs_antiword() -> None:
    if shutil.which("antiword") is None:
        pytest.skip("antiword not found; install the Debian package antiword")


# --- viewer links and format detection ------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (
            "https://www.miit.gov.cn/pdfjs/web/viewer.html?file=%2Fcms_files%2Ffilemanager%2Fattach%2F2026%2Fapp_list.pdf",
            MIIT_PDF_URL,
        ),
        (
            "https://www.miit.gov.cn/pdfjs/web/viewer.html?file=https%3A%2F%2Fwww.miit.gov.cn%2Fcms_files%2Ffilemanager%2Fattach%2F2026%2Fapp_list.pdf#page=2",
            MIIT_PDF_URL,
        ),
        (
            "https://www.miit.gov.cn/pdfjs/web/viewer.html?file=%252Fcms_files%252Ffilemanager%252Fattach%252F2026%252Fapp_list.pdf",
            MIIT_PDF_URL,
        ),
        (
            "https://www.miit.gov.cn/pdfjs/web/viewer.html?file=..%2F..%2Fcms_files%2Ffilemanager%2Fattach%2F2026%2Fapp_list.pdf",
            MIIT_PDF_URL,
        ),
        (MIIT_PDF_URL, MIIT_PDF_URL),
        ("https://www.miit.gov.cn/pdfjs/web/viewer.html", "https://www.miit.gov.cn/pdfjs/web/viewer.html"),
    ],
)
def test_viewer_url_resolved(viewer, expected):
    assert attachment_url_from_viewer(viewer) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
        (b"\r\n\r\n%PDF-1.4\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
        (b"GIF89a\x01\x00\x01\x00", "image"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image"),
        (b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00", "image"),
        (b"\xef\xbb\xbf<!DOCTYPE html><html><body>", "html"),
        (b'<html xmlns:o="urn:schemas-microsoft-com:office:office"><table>', "html"),
    ],
)
def test_detect_format_magic(head, expected):
    # The URL points elsewhere on purpose: magic bytes win over the extension.
    assert detect_format(head, "https://example.gov.cn/file.xlsx", "application/msword") == expected


def test_detect_format_containers():
    assert detect_format(build_docx(), "https://example.gov.cn/a.xls") == "docx"
    assert detect_format(build_xlsx(), "https://example.gov.cn/a.doc") == "xlsx"
    assert detect_format(build_xls(), "https://example.gov.cn/a.doc") == "xls"


def test_detect_format_doc_stream(doc_body):
    assert detect_format(doc_body, "https://example.gov.cn/a.xls") == "doc"


@pytest.mark.parametrize(
    ("url", "content_type", "expected"),
    [
        ("https://example.gov.cn/files/%E5%90%8D%E5%8D%95.XLSX", "", "xlsx"),
        ("https://example.gov.cn/files/list.doc?version=2", "", "doc"),
        ("https://example.gov.cn/download?id=7", "application/vnd.ms-excel; charset=binary", "xls"),
        ("https://example.gov.cn/download?id=8", "image/jpeg", "image"),
        ("https://www.miit.gov.cn/pdfjs/web/viewer.html?file=%2Fattach%2Flist.pdf", "text/html", "pdf"),
        ("https://example.gov.cn/download?id=9", "application/octet-stream", "unknown"),
    ],
)
def test_detect_format_fallbacks(url, content_type, expected):
    assert detect_format(b"\x00\x01 no signature", url, content_type) == expected


# --- normalization ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  北京某某科技有限公司 \u3000", "北京某某科技有限公司"),
        (" 超范围收集个人信息 \r\n\r\n  频繁索取权限 ", "超范围收集个人信息\n频繁索取权限"),
        (50000.0, "50000"),
        (0.5, "0.5"),
        (datetime(2026, 3, 15), "2026-03-15"),
        (datetime(2026, 3, 15, 9, 30), "2026-03-15 09:30:00"),
        (None, ""),
    ],
)
def test_clean_cell(value, expected):
    assert clean_cell(value) == expected


# --- PDF --------------------------------------------------------------------------------


def test_pdf_text_and_tables():
    result = extract_attachment(build_pdf(), url=MIIT_PDF_URL)

    assert result.format == "pdf"
    assert result.error == ""
    assert result.needs_ocr is False
    assert TITLE in result.text
    assert "李明记账" in result.text
    assert len(result.tables) == 1
    assert result.tables[0][0] == HEADER
    assert result.tables[0][1] == APP_ROW


def test_pdf_merged_cell_filled():
    table = extract_attachment(build_pdf(), url=MIIT_PDF_URL).tables[0]

    assert table[2] == SECOND_APP_ROW


def test_pdf_page_limit(monkeypatch):
    monkeypatch.setattr(attachments, "MAX_PDF_PAGES", 1)
    result = extract_attachment(build_pdf(pages=2), url=MIIT_PDF_URL)

    assert "第1页" in result.text
    assert "第2页" not in result.text
    assert len(result.tables) == 1
    assert "only the first 1 were read" in result.error


def test_pdf_scanned_needs_ocr():
    result = extract_attachment(build_scanned_pdf(), url=MIIT_PDF_URL)

    assert result.format == "pdf"
    assert result.text == ""
    assert result.needs_ocr is True
    assert "pages 1 of 1 have no text layer" in result.error


def test_pdf_seal_not_scanned():
    result = extract_attachment(build_sealed_pdf(), url=MIIT_PDF_URL)

    assert result.text == "工业和信息化部"
    assert result.needs_ocr is False
    assert result.error == ""


def test_pdf_encrypted():
    body = build_pdf(encrypt=StandardEncryption("secret-password", canPrint=0))
    result = extract_attachment(body, url=MIIT_PDF_URL)

    assert result.format == "pdf"
    assert result.text == ""
    assert "PDF is encrypted and needs a password" in result.error


def test_pdf_corrupt_logs_url(caplog):
    with caplog.at_level(logging.WARNING, logger="scrapers.attachments"):
        result = extract_attachment(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", url=MIIT_PDF_URL)

    assert result.format == "pdf"
    assert result.error.startswith("PDF is damaged")
    assert "open it by hand" in result.error
    assert MIIT_PDF_URL in caplog.text


def test_pdf_truncated():
    body = build_pdf()
    result = extract_attachment(body[: len(body) // 2], url=MIIT_PDF_URL)

    assert result.format == "pdf"
    assert result.text == ""
    assert result.error.startswith("PDF is damaged")


# --- DOCX and DOC ----------------------------------------------------------------------


def test_docx_document_order():
    result = extract_attachment(build_docx(), url="https://example.gov.cn/list.docx")
    lines = result.text.split("\n")

    assert result.format == "docx"
    assert result.error == ""
    assert lines[0] == TITLE
    assert lines[1] == "\t".join(HEADER)
    assert lines[2] == "\t".join(APP_ROW)
    assert lines[-1] == CLOSING


def test_docx_table_cells():
    table = extract_attachment(build_docx(), url="https://example.gov.cn/list.docx").tables[0]

    assert table[0] == HEADER
    assert table[1] == APP_ROW
    assert table[2][2] == "北京某某科技有限公司"
    assert table[2][5] == "超范围收集个人信息\n频繁索取权限"


def test_docx_truncated():
    body = build_docx()
    result = extract_attachment(body[: len(body) // 2], url="https://example.gov.cn/list.docx")

    assert result.format == "docx"
    assert result.tables == []
    assert "DOCX is damaged or truncated" in result.error


def test_doc_text_and_table(doc_body):
    needs_antiword()
    result = extract_attachment(doc_body, url="https://example.gov.cn/list.doc")
    lines = result.text.split("\n")

    assert result.format == "doc"
    assert result.error == ""
    assert lines[0] == TITLE
    assert lines[2] == "\t".join(APP_ROW)
    assert CLOSING in lines
    assert result.tables[0][0] == HEADER
    assert result.tables[0][1] == APP_ROW
    assert result.tables[0][2][5] == "超范围收集个人信息\n频繁索取权限"


def test_doc_small_stream(small_doc_body):
    needs_antiword()
    result = extract_attachment(small_doc_body, url="https://example.gov.cn/list.doc")

    assert result.format == "doc"
    assert result.text == ""
    assert "under 4096 bytes" in result.error


def test_doc_without_antiword(doc_body, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = extract_attachment(doc_body, url="https://example.gov.cn/list.doc")

    assert result.format == "doc"
    assert result.error == "antiword not installed; install the Debian package antiword"


# --- XLS and XLSX ----------------------------------------------------------------------


def test_xlsx_merged_cells_filled():
    result = extract_attachment(build_xlsx(), url="https://example.gov.cn/list.xlsx")
    apps = result.tables[0]

    assert result.format == "xlsx"
    assert result.error == ""
    assert apps[0] == HEADER
    assert apps[1][2] == "北京某某科技有限公司"
    assert apps[2][2] == "北京某某科技有限公司"


def test_xlsx_cells_normalized():
    apps, penalties = extract_attachment(build_xlsx(), url="https://example.gov.cn/list.xlsx").tables

    assert apps[1][0] == "1"
    assert apps[1][5] == "违规收集个人信息\n强制授权"
    assert len(apps) == 4
    assert apps[3][1] == "王小明地图"
    assert penalties[1] == ["北京某某科技有限公司", "50000", "2026-03-15"]


def test_xlsx_text_lines():
    text = extract_attachment(build_xlsx(), url="https://example.gov.cn/list.xlsx").text

    assert "1\t李明记账\t北京某某科技有限公司\t3.2.1\t应用宝\t违规收集个人信息 强制授权" in text.split("\n")
    assert "北京某某科技有限公司\t50000\t2026-03-15" in text.split("\n")


def test_xls_merged_cells_and_date():
    result = extract_attachment(build_xls(), url="https://example.gov.cn/list.xls")
    table = result.tables[0]

    assert result.format == "xls"
    assert result.error == ""
    assert table[0] == HEADER + ["通报日期"]
    assert table[1] == APP_ROW + ["2026-03-15"]
    assert table[2] == SECOND_APP_ROW + [""]


def test_xls_damaged():
    body = build_xls()
    result = extract_attachment(body[:1024], url="https://example.gov.cn/list.xls")

    assert result.format == "xls"
    assert result.tables == []
    assert result.error.startswith("XLS is damaged")


# --- images --------------------------------------------------------------------------------


def test_image_ocr_chinese():
    if attachment_ocr.ocr_engine() is None:
        pytest.skip("rapidocr-onnxruntime not installed; install it to read images")
    if not CJK_FONT.exists():
        pytest.skip(f"{CJK_FONT} not found; install the Debian package fonts-noto-cjk")
    body = build_png(["李明记账", "北京某某科技有限公司", "违规收集个人信息"])
    result = extract_attachment(body, url="https://www.cac.gov.cn/images/app_list.png")

    assert result.format == "image"
    assert result.needs_ocr is False
    assert result.error == ""
    assert result.text.split("\n") == ["李明记账", "北京某某科技有限公司", "违规收集个人信息"]


def test_image_ocr_strips(monkeypatch):
    if attachment_ocr.ocr_engine() is None:
        pytest.skip("rapidocr-onnxruntime not installed; install it to read images")
    if not CJK_FONT.exists():
        pytest.skip(f"{CJK_FONT} not found; install the Debian package fonts-noto-cjk")
    # The 640-pixel image is read as strips 0-270, 190-460 and 380-640. The edges at 190
    # and 270 cut through the glyphs of lines 3 (y 180-212) and 4 (y 250-282).
    monkeypatch.setattr(attachment_ocr, "OCR_STRIP_HEIGHT", 270)
    monkeypatch.setattr(attachment_ocr, "OCR_STRIP_OVERLAP", 80)
    expected = [f"第{number}款李明记账" for number in range(1, 9)]
    body = build_png(expected, width=400)
    result = extract_attachment(body, url="https://www.cac.gov.cn/images/long_list.png")

    assert result.needs_ocr is False
    assert result.text.split("\n") == expected


def test_image_blank_reported():
    if attachment_ocr.ocr_engine() is None:
        pytest.skip("rapidocr-onnxruntime not installed; install it to read images")
    picture = Image.new("RGB", (300, 120), "white")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    result = extract_attachment(buffer.getvalue(), url="https://www.cac.gov.cn/images/blank.png")

    assert result.text == ""
    assert result.needs_ocr is False
    assert "OCR found no text" in result.error


def test_image_without_ocr(monkeypatch):
    # A None entry in sys.modules makes the import fail as if the package were not installed.
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    attachment_ocr.ocr_engine.cache_clear()
    try:
        picture = Image.new("RGB", (200, 100), "white")
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        result = extract_attachment(buffer.getvalue(), url="https://www.cac.gov.cn/images/app_list.png")
    finally:
        attachment_ocr.ocr_engine.cache_clear()

    assert result.format == "image"
    assert result.text == ""
    assert result.needs_ocr is True
    assert "Install rapidocr-onnxruntime" in result.error


def test_image_damaged():
    result = extract_attachment(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, url="https://www.cac.gov.cn/a.png")

    assert result.format == "image"
    assert result.error.startswith("Image is damaged")


# --- HTML, empty, oversized and unknown bodies ----------------------------------------


def test_html_saved_as_xls():
    body = (
        "<html><head><meta charset='gbk'></head><body><p>附件：APP名单</p><table>"
        "<tr><th>应用名称</th><th>应用开发者</th></tr>"
        "<tr><td>李明记账</td><td rowspan='2'>北京某某科技<br>有限公司</td></tr>"
        "<tr><td>张伟阅读</td></tr>"
        "</table><p>工业和信息化部</p></body></html>"
    ).encode("gbk")
    result = extract_attachment(body, url="https://example.gov.cn/list.xls")

    assert result.format == "html"
    assert result.tables == [
        [["应用名称", "应用开发者"], ["李明记账", "北京某某科技\n有限公司"], ["张伟阅读", "北京某某科技\n有限公司"]]
    ]
    assert result.text.split("\n") == [
        "附件：APP名单",
        "应用名称\t应用开发者",
        "李明记账\t北京某某科技 有限公司",
        "张伟阅读\t北京某某科技 有限公司",
        "工业和信息化部",
    ]


def test_empty_body():
    result = extract_attachment(b"", url=MIIT_PDF_URL)

    assert result == AttachmentText(format="pdf", error="PDF file is empty (0 bytes). Download it again.")


def test_oversized_body_skipped():
    body = b"%PDF-1.4\n" + b"\x00" * attachments.MAX_BODY_BYTES
    result = extract_attachment(body, url=MIIT_PDF_URL)

    assert result.format == "pdf"
    assert result.text == ""
    assert "over the limit of 52428800 bytes" in result.error


def test_unknown_format():
    result = extract_attachment(b"\x00\x01\x02\x03 binary", url="https://example.gov.cn/download?id=3")

    assert result.format == "unknown"
    assert "unknown format (first bytes 00010203" in result.error


def test_rtf_rejected():
    result = extract_attachment(b"{\\rtf1\\ansi \\u26446? \\u26126?}", url="https://example.gov.cn/download?id=4")

    assert result.format == "unknown"
    assert "RTF document, which is not supported" in result.error
