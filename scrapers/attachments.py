"""Text and tables of attachments (PDF, DOCX, DOC, XLS, XLSX, images, HTML saved as .doc/.xls).

Regulators publish app lists and penalty tables as attachments. `extract_attachment` turns
one downloaded body into an `AttachmentText` and never raises: a damaged, encrypted or
oversized file becomes a record with `error` set, and a WARNING with its URL is logged.

Libraries: pdfplumber (PDF text and ruled tables), python-docx (DOCX), the Debian program
antiword (old binary DOC, run as a subprocess), xlrd (XLS), openpyxl (XLSX), Pillow and the
optional RapidOCR (images, see `scrapers.attachment_ocr`).

Cells are normalized the same way for every format: each line of a cell is stripped, empty
lines are dropped, line breaks inside a cell stay as "\\n", and fully empty rows are dropped.
A merged cell's value is copied into every cell of its range in PDF, DOCX, XLS, XLSX and
HTML tables, because app lists merge the company cell over all apps of that company. In
`text`, a table row is one line with its cells joined by a tab.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePosixPath
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

logger = logging.getLogger(__name__)

# Bodies larger than this are not parsed at all.
# Version of what extract_attachment returns. Raise it when a change alters the output, so
# the extraction results cached in the crawl archive are computed again on the next load.
EXTRACTION_VERSION = 1

MAX_BODY_BYTES = 50 * 1024 * 1024
# Pages read from one PDF. A longer PDF is read up to this page, and its error states that.
MAX_PDF_PAGES = 300
# Sheets read from one workbook and rows read from one sheet. The rest is cut, and the error states that.
MAX_SHEETS = 50
MAX_SHEET_ROWS = 50_000
# Max uncompressed size of all parts of one DOCX or XLSX. Larger files (or ZIP bombs) are not opened.
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
# Time allowed to antiword for one DOC file.
ANTIWORD_TIMEOUT_SECONDS = 60
# A PDF page counts as scanned when its text layer has fewer characters than this and
# images cover at least this share of it (a page with only a seal image is not scanned).
MIN_PAGE_TEXT_CHARS = 10
MIN_SCAN_IMAGE_SHARE = 0.5

FORMATS = ("pdf", "docx", "doc", "xls", "xlsx", "image", "html", "unknown")
REOPEN_HINT = "The attachment stays in the archive, so open it by hand."

_EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".doc": "doc",
    ".xls": "xls",
    ".xlsx": "xlsx",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".gif": "image",
    ".bmp": "image",
    ".webp": "image",
    ".tif": "image",
    ".tiff": "image",
    ".htm": "html",
    ".html": "html",
}
_CONTENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/html": "html",
    "application/xhtml+xml": "html",
}
_IMAGE_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
)
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|table|meta)\b",
    re.IGNORECASE | re.DOTALL,
)
_FORMAT_NAMES = {
    "pdf": "PDF",
    "docx": "DOCX",
    "doc": "DOC",
    "xls": "XLS",
    "xlsx": "XLSX",
    "image": "Image",
    "html": "HTML",
    "unknown": "Attachment",
}


@dataclass(frozen=True)
class AttachmentText:
    """Text, tables and problems read from one attachment.

    `format` is one of FORMATS. `error` is "" when extraction worked and otherwise a plain
    message saying what failed and what to do. `needs_ocr` is True for images and scanned
    PDF pages whose text was not read by OCR.
    """

    format: str
    text: str = ""
    tables: list[list[list[str]]] = field(default_factory=list)
    needs_ocr: bool = False
    error: str = ""


class AttachmentError(Exception):
    """Raised inside an extractor when a file cannot be read. Its message becomes the record's error."""


def attachment_url_from_viewer(url: str) -> str:
    """Return the file URL behind a PDF.js `viewer.html?file=<url-encoded path>` link.

    MIIT links some attachments through such a viewer. The `file` parameter is resolved
    against the viewer URL; a path encoded twice (`%252F`) is decoded twice. Any other
    URL is returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.path.lower().endswith("viewer.html"):
        return url
    values = parse_qs(parts.query).get("file")
    if not values or not values[0].strip():
        return url
    target = values[0].strip()
    if re.match(r"^(%2F|https?%3A)", target, re.IGNORECASE):
        target = unquote(target)
    return urljoin(url, target)


def detect_format(body: bytes, url: str = "", content_type: str = "") -> str:
    """Name the format of an attachment: magic bytes first, then URL extension, then content type."""
    by_content = _format_from_bytes(body)
    if by_content is not None:
        return by_content
    by_url = _format_from_url(url)
    if by_url is not None:
        return by_url
    mime = content_type.split(";")[0].strip().lower()
    if mime.startswith("image/"):
        return "image"
    return _CONTENT_TYPES.get(mime, "unknown")


def extract_attachment(body: bytes, url: str = "", content_type: str = "") -> AttachmentText:
    """Read the text and tables of one attachment body.

    Bad input never raises: it returns a record whose `error` names the problem.
    """
    fmt = detect_format(body, url, content_type)
    if not body:
        return _failed(fmt, url, f"{_FORMAT_NAMES[fmt]} file is empty (0 bytes). Download it again.")
    if len(body) > MAX_BODY_BYTES:
        message = (
            f"{_FORMAT_NAMES[fmt]} file is {len(body)} bytes, over the limit of {MAX_BODY_BYTES} bytes, "
            f"so it was not read. {REOPEN_HINT}"
        )
        return _failed(fmt, url, message)

    if "EncryptedPackage" in (_ole2_streams(body) or ()):
        message = f"{_FORMAT_NAMES[fmt]} is encrypted with a password (Office encryption). {REOPEN_HINT}"
        return _failed(fmt, url, message)
    extractor = _EXTRACTORS.get(fmt)
    if extractor is None:
        return _failed(fmt, url, _unknown_format_message(body, url, content_type))
    try:
        result = extractor(body)
    except AttachmentError as exc:
        return _failed(fmt, url, str(exc))
    except Exception as exc:  # noqa: BLE001 - parsers of damaged files raise many types; none may stop a crawl
        return _failed(fmt, url, f"{_FORMAT_NAMES[fmt]} is damaged ({type(exc).__name__}: {exc}). {REOPEN_HINT}")
    if result.error:
        logger.warning("Attachment %s (%s) is incomplete: %s", url, fmt, result.error)
    return result


def _failed(fmt: str, url: str, message: str, needs_ocr: bool = False) -> AttachmentText:
    logger.warning("Attachment %s (%s) could not be read: %s", url, fmt, message)
    return AttachmentText(format=fmt, needs_ocr=needs_ocr, error=message)


def _unknown_format_message(body: bytes, url: str, content_type: str) -> str:
    head = body[:8]
    if body.lstrip().startswith(b"{\\rtf"):
        kind = "an RTF document, which is not supported"
    elif head.startswith(b"PK\x03\x04"):
        kind = "a ZIP archive that is neither DOCX nor XLSX"
    elif head.startswith(b"Rar!"):
        kind = "a RAR archive, which is not unpacked"
    else:
        kind = f"of unknown format (first bytes {head.hex()}, content type {content_type or 'none'})"
    return f"Attachment {url or '(no URL)'} is {kind}. {REOPEN_HINT}"


# --- format detection ---------------------------------------------------------------


def _format_from_bytes(body: bytes) -> str | None:
    head = body[:16]
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(body)
    if head.startswith(_OLE2_SIGNATURE):
        return _ole2_format(body)
    if _is_image(head):
        return "image"
    # Some servers put a few bytes of junk before the header; PDF readers accept that.
    if b"%PDF-" in body[:1024]:
        return "pdf"
    if _HTML_START.match(body[:4096].lstrip(b"\xef\xbb\xbf")):
        return "html"
    return None


def _is_image(head: bytes) -> bool:
    if head.startswith(_IMAGE_SIGNATURES):
        return True
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return True
    # BMP: "BM", the file size, then four reserved bytes that are zero.
    return head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00"


def _zip_format(body: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # A truncated file has no central directory, but its local headers still name the parts.
        names = [match.decode("ascii") for match in re.findall(rb"(word/|xl/)", body[:65536])]
    if any(name.startswith("word/") for name in names):
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    return None


def _ole2_streams(body: bytes) -> set[str] | None:
    """Return the stream names of an OLE2 compound file, or None when it is not one or is damaged."""
    import olefile

    if not body.startswith(_OLE2_SIGNATURE):
        return None
    try:
        with olefile.OleFileIO(io.BytesIO(body)) as ole:
            return {"/".join(entry) for entry in ole.listdir()}
    except Exception:  # noqa: BLE001 - olefile raises OSError, IndexError or struct.error on damaged files
        return None


def _ole2_format(body: bytes) -> str | None:
    streams = _ole2_streams(body)
    if streams is None:
        return None
    if "WordDocument" in streams:
        return "doc"
    if "Workbook" in streams or "Book" in streams:
        return "xls"
    # An encrypted DOCX or XLSX is an OLE2 file with an EncryptedPackage stream, so the URL decides.
    return None


def _format_from_url(url: str) -> str | None:
    if not url:
        return None
    try:
        path = urlsplit(attachment_url_from_viewer(url)).path
    except ValueError:
        return None
    return _EXTENSIONS.get(PurePosixPath(unquote(path)).suffix.lower())


# --- cell and text normalization ----------------------------------------------------


def clean_cell(value: object) -> str:
    """Return the text of one cell: each line stripped, empty lines dropped, lines joined by "\\n"."""
    if value is None:
        return ""
    text = _cell_value_text(value)
    lines = (line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _cell_value_text(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0, 0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def clean_table(rows: Iterable[Iterable[object]]) -> list[list[str]]:
    """Clean every cell, drop fully empty rows and cut empty columns off the right edge."""
    cleaned = [[clean_cell(cell) for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    width = max((max(i for i, cell in enumerate(row) if cell) + 1 for row in cleaned), default=0)
    return [row[:width] + [""] * (width - len(row)) for row in cleaned]


def _row_line(row: list[str]) -> str:
    return "\t".join(cell.replace("\n", " ") for cell in row)


def _join_lines(lines: Iterable[str]) -> str:
    stripped = (line.strip() for line in lines)
    return "\n".join(line for line in stripped if line)


def _table_lines(tables: list[list[list[str]]]) -> Iterator[str]:
    for table in tables:
        for row in table:
            yield _row_line(row)


# --- PDF --------------------------------------------------------------------------------


def _extract_pdf(body: bytes) -> AttachmentText:
    import pdfplumber
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(io.BytesIO(body))
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if "Password" in type(cause).__name__ or "Encryption" in type(cause).__name__:
            raise AttachmentError(
                f"PDF is encrypted and needs a password ({type(cause).__name__}). {REOPEN_HINT}"
            ) from exc
        raise AttachmentError(f"PDF is damaged ({type(cause).__name__}: {cause}). {REOPEN_HINT}") from exc

    with pdf:
        page_count = len(pdf.pages)
        lines: list[str] = []
        tables: list[list[list[str]]] = []
        scanned_pages: list[int] = []
        damaged_pages: list[str] = []
        for number, page in enumerate(pdf.pages[:MAX_PDF_PAGES], start=1):
            try:
                page_text = page.extract_text() or ""
                if _looks_scanned(page, page_text):
                    scanned_pages.append(number)
                page_tables = [_pdf_table(found) for found in page.find_tables()]
            except Exception as exc:  # noqa: BLE001 - one broken content stream must not lose the other pages
                damaged_pages.append(f"page {number} ({type(exc).__name__}: {exc})")
                continue
            finally:
                page.close()
            lines.append(page_text)
            tables.extend(table for table in page_tables if table)

    text = _join_lines(lines)
    if not text and not damaged_pages and page_count:
        # No text at all: scanned pages, or text drawn as outlines. Either way only OCR can read it.
        scanned_pages = list(range(1, min(page_count, MAX_PDF_PAGES) + 1))
    problems = []
    if scanned_pages:
        problems.append(
            f"PDF pages {_page_ranges(scanned_pages)} of {page_count} have no text layer (scanned images) "
            "and were not read by OCR."
        )
    if damaged_pages:
        problems.append(f"PDF has damaged pages that were skipped: {'; '.join(damaged_pages)}. {REOPEN_HINT}")
    if page_count > MAX_PDF_PAGES:
        problems.append(f"PDF has {page_count} pages, and only the first {MAX_PDF_PAGES} were read.")
    return AttachmentText(
        format="pdf",
        text=text,
        tables=tables,
        needs_ocr=bool(scanned_pages),
        error=" ".join(problems),
    )


def _looks_scanned(page, page_text: str) -> bool:
    if len("".join(page_text.split())) >= MIN_PAGE_TEXT_CHARS:
        return False
    page_area = float(page.width * page.height) or 1.0
    image_area = sum(
        max(0.0, float(min(image["x1"], page.width) - max(image["x0"], 0)))
        * max(0.0, float(min(image["bottom"], page.height) - max(image["top"], 0)))
        for image in page.images
    )
    return image_area / page_area >= MIN_SCAN_IMAGE_SHARE


def _pdf_table(table) -> list[list[str]]:
    """Extract a pdfplumber table, filling each position a merged cell covers with that cell's text."""
    texts = table.extract()
    by_bbox = {}
    for row, row_texts in zip(table.rows, texts, strict=True):
        for bbox, text in zip(row.cells, row_texts, strict=True):
            if bbox is not None:
                by_bbox[bbox] = text
    column_centres = [
        None if column.bbox is None else (column.bbox[0] + column.bbox[2]) / 2 for column in table.columns
    ]

    filled = []
    for row, row_texts in zip(table.rows, texts, strict=True):
        y = (row.bbox[1] + row.bbox[3]) / 2
        values = []
        for index, (bbox, text) in enumerate(zip(row.cells, row_texts, strict=True)):
            if bbox is None and index < len(column_centres) and column_centres[index] is not None:
                text = _text_covering(by_bbox, column_centres[index], y)
            values.append(text)
        filled.append(values)
    return clean_table(filled)


def _text_covering(by_bbox: dict, x: float, y: float) -> str | None:
    for (x0, top, x1, bottom), text in by_bbox.items():
        if x0 <= x <= x1 and top <= y <= bottom:
            return text
    return None


def _page_ranges(numbers: list[int]) -> str:
    ranges = []
    start = previous = numbers[0]
    for number in numbers[1:] + [None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        ranges.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(ranges)


# --- DOCX -------------------------------------------------------------------------------


def _check_zip_size(body: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise AttachmentError(f"{name} is damaged or truncated (BadZipFile: {exc}). {REOPEN_HINT}") from exc
    if size > MAX_UNCOMPRESSED_BYTES:
        message = (
            f"{name} unpacks to {size} bytes, over the limit of {MAX_UNCOMPRESSED_BYTES} bytes, "
            f"so it was not read. {REOPEN_HINT}"
        )
        raise AttachmentError(message)


def _extract_docx(body: bytes) -> AttachmentText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    _check_zip_size(body, "DOCX")
    try:
        document = docx.Document(io.BytesIO(body))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError) as exc:
        raise AttachmentError(f"DOCX is damaged ({type(exc).__name__}: {exc}). {REOPEN_HINT}") from exc

    lines: list[str] = []
    tables: list[list[list[str]]] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            # python-docx repeats a merged cell in every grid position it spans (both directions).
            table = clean_table([cell.text for cell in row.cells] for row in block.rows)
            if table:
                tables.append(table)
                lines.extend(_row_line(row) for row in table)
        else:
            lines.append(block.text)
    return AttachmentText(format="docx", text=_join_lines(lines), tables=tables)


# --- DOC (Word 97-2003) -----------------------------------------------------------------


def _extract_doc(body: bytes) -> AttachmentText:
    antiword = shutil.which("antiword")
    if antiword is None:
        raise AttachmentError("antiword not installed; install the Debian package antiword")

    with tempfile.TemporaryDirectory(prefix="eintel-doc-") as folder:
        path = os.path.join(folder, "attachment.doc")
        with open(path, "wb") as handle:
            handle.write(body)
        try:
            # -x db writes DocBook XML, which keeps tables as rows and entries.
            completed = subprocess.run(
                [antiword, "-x", "db", path],
                capture_output=True,
                timeout=ANTIWORD_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise AttachmentError(
                f"antiword timed out after {ANTIWORD_TIMEOUT_SECONDS} s on this DOC. {REOPEN_HINT}"
            ) from exc

    stderr = completed.stderr.decode("utf-8", "replace").strip()
    if completed.returncode != 0 or not completed.stdout.strip():
        raise AttachmentError(_antiword_message(stderr, completed.returncode))
    # NOTE: antiword's DocBook output does not mark vertically merged cells, so in DOC tables
    # the cells under a merged cell come out empty instead of repeating its value.
    text, tables = _parse_docbook(completed.stdout)
    return AttachmentText(format="doc", text=text, tables=tables)


def _antiword_message(stderr: str, returncode: int) -> str:
    detail = " ".join(stderr.split()) or f"exit status {returncode}"
    if "too small" in stderr:
        return (
            f"DOC could not be read by antiword ({detail}): antiword rejects documents whose "
            f"WordDocument stream is under 4096 bytes. {REOPEN_HINT}"
        )
    if "encrypt" in stderr.lower():
        return f"DOC is encrypted ({detail}). {REOPEN_HINT}"
    return f"DOC could not be read by antiword ({detail}). {REOPEN_HINT}"


def _parse_docbook(xml: bytes) -> tuple[str, list[list[list[str]]]]:
    """Return the text and tables of antiword's DocBook output, in document order."""
    from lxml import etree

    parser = etree.XMLParser(recover=True, resolve_entities=False, load_dtd=False, no_network=True)
    root = etree.fromstring(xml, parser)
    if root is None:
        raise AttachmentError(f"antiword wrote no readable DocBook XML for this DOC. {REOPEN_HINT}")

    lines: list[str] = []
    tables: list[list[list[str]]] = []
    for element in root.iter("title", "para", "informaltable", "table"):
        if element.tag in ("informaltable", "table"):
            if _inside(element, ("entry",)):
                continue
            rows = element.xpath("./tgroup/thead/row | ./tgroup/tbody/row | ./tgroup/tfoot/row")
            table = clean_table([_own_text(entry) for entry in row.xpath("./entry")] for row in rows)
            if table:
                tables.append(table)
                lines.extend(_row_line(row) for row in table)
        elif not _inside(element, ("entry", "bookinfo")):
            lines.append(_own_text(element))
    return _join_lines(lines), tables


def _inside(element, tags: tuple[str, ...]) -> bool:
    return any(ancestor.tag in tags for ancestor in element.iterancestors())


def _own_text(element) -> str:
    """Return the text of an element, leaving out tables nested inside it."""
    parts = [element.text or ""]
    for child in element:
        if child.tag not in ("informaltable", "table"):
            parts.append(_own_text(child))
        parts.append(child.tail or "")
    return clean_cell("".join(parts))


# --- XLS and XLSX ----------------------------------------------------------------------


def _extract_xls(body: bytes) -> AttachmentText:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=body, formatting_info=True, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise AttachmentError(f"XLS is encrypted ({exc}). {REOPEN_HINT}") from exc
        raise AttachmentError(f"XLS is damaged ({exc}). {REOPEN_HINT}") from exc

    problems = []
    tables = []
    sheet_names = book.sheet_names()
    if len(sheet_names) > MAX_SHEETS:
        problems.append(f"XLS has {len(sheet_names)} sheets, and only the first {MAX_SHEETS} were read.")
    for index in range(min(len(sheet_names), MAX_SHEETS)):
        sheet = book.sheet_by_index(index)
        row_count = min(sheet.nrows, MAX_SHEET_ROWS)
        if sheet.nrows > MAX_SHEET_ROWS:
            problems.append(
                f"XLS sheet {sheet.name!r} has {sheet.nrows} rows, and only the first {MAX_SHEET_ROWS} were read."
            )
        grid = [[_xls_value(sheet.cell(r, c), book.datemode) for c in range(sheet.ncols)] for r in range(row_count)]
        for top, bottom, left, right in sheet.merged_cells:
            _fill_range(grid, top, bottom, left, right)
        table = clean_table(grid)
        if table:
            tables.append(table)
        book.unload_sheet(index)
    return AttachmentText(format="xls", text=_join_lines(_table_lines(tables)), tables=tables, error=" ".join(problems))


def _xls_value(cell, datemode: int) -> object:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    return cell.value


def _extract_xlsx(body: bytes) -> AttachmentText:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_zip_size(body, "XLSX")
    try:
        # read_only mode would not report merged ranges, so the whole workbook is loaded.
        book = openpyxl.load_workbook(io.BytesIO(body), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError) as exc:
        raise AttachmentError(f"XLSX is damaged ({type(exc).__name__}: {exc}). {REOPEN_HINT}") from exc

    problems = []
    tables = []
    if len(book.worksheets) > MAX_SHEETS:
        problems.append(f"XLSX has {len(book.worksheets)} sheets, and only the first {MAX_SHEETS} were read.")
    for sheet in book.worksheets[:MAX_SHEETS]:
        if sheet.max_row > MAX_SHEET_ROWS:
            problems.append(
                f"XLSX sheet {sheet.title!r} extends to row {sheet.max_row}, "
                f"and only the first {MAX_SHEET_ROWS} rows were read."
            )
        # iter_rows creates every cell up to max_row, so it must not go past the sheet's own end.
        rows = sheet.iter_rows(max_row=min(sheet.max_row, MAX_SHEET_ROWS), values_only=True)
        grid = [list(row) for row in rows]
        for merged in sheet.merged_cells.ranges:
            # openpyxl ranges are 1-based and inclusive, while _fill_range takes 0-based, end-exclusive bounds.
            _fill_range(grid, merged.min_row - 1, merged.max_row, merged.min_col - 1, merged.max_col)
        table = clean_table(grid)
        if table:
            tables.append(table)
    book.close()
    return AttachmentText(
        format="xlsx", text=_join_lines(_table_lines(tables)), tables=tables, error=" ".join(problems)
    )


def _fill_range(grid: list[list[object]], top: int, bottom: int, left: int, right: int) -> None:
    """Copy the top-left value of a merged range (0-based, end-exclusive) into every cell of it."""
    if top >= len(grid) or left >= len(grid[top]):
        return
    value = grid[top][left]
    # A range may run to the sheet's last column; cells past the widest row hold no data.
    right = min(right, max(len(row) for row in grid))
    for r in range(top, min(bottom, len(grid))):
        row = grid[r]
        if len(row) < right:
            row.extend([None] * (right - len(row)))
        for c in range(left, right):
            row[c] = value


# --- images and HTML --------------------------------------------------------------------


def _extract_image(body: bytes) -> AttachmentText:
    from PIL import Image, UnidentifiedImageError

    from scrapers.attachment_ocr import MAX_OCR_PIXELS, ocr_image

    try:
        image = Image.open(io.BytesIO(body))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise AttachmentError(f"Image is damaged ({type(exc).__name__}: {exc}). {REOPEN_HINT}") from exc

    pixels = image.width * image.height
    if pixels > MAX_OCR_PIXELS:
        message = (
            f"Image is {image.width}x{image.height} pixels, over the OCR limit of {MAX_OCR_PIXELS} pixels, "
            "so its text was not read."
        )
        return AttachmentText(format="image", needs_ocr=True, error=message)
    try:
        lines = ocr_image(image)
    except Exception as exc:  # noqa: BLE001 - onnxruntime and OpenCV errors have no common base class
        message = f"OCR failed on this image ({type(exc).__name__}: {exc}), so its text was not read."
        return AttachmentText(format="image", needs_ocr=True, error=message)
    if lines is None:
        message = "Image text was not read because OCR is not installed. Install rapidocr-onnxruntime to read it."
        return AttachmentText(format="image", needs_ocr=True, error=message)
    if not any(line.strip() for line in lines):
        # A logo or a photo; a list image that OCR could not read looks the same.
        return AttachmentText(format="image", error="OCR found no text in this image. If it shows a list, read it by hand.")
    return AttachmentText(format="image", text=_join_lines(lines))


def _extract_html(body: bytes) -> AttachmentText:
    import lxml.html
    from w3lib.encoding import html_to_unicode

    _encoding, markup = html_to_unicode(None, body)
    if not markup.strip():
        raise AttachmentError(f"HTML attachment has no content. {REOPEN_HINT}")
    root = lxml.html.document_fromstring(markup)
    for element in root.xpath("//script | //style"):
        element.drop_tree()
    # text_content() ignores markup, so line breaks and block ends become newlines first.
    for element in root.iter("br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"):
        element.tail = "\n" + (element.tail or "")

    tables = []
    for table_element in root.xpath("//table[not(ancestor::table)]"):
        table = clean_table(_html_grid(table_element))
        if table:
            tables.append(table)
        # The table's rows take its place in the text, one line per row.
        placeholder = lxml.html.Element("pre")
        placeholder.text = "\n" + "\n".join(_row_line(row) for row in table) + "\n"
        placeholder.tail = table_element.tail
        table_element.getparent().replace(table_element, placeholder)
    return AttachmentText(format="html", text=_join_lines(root.text_content().split("\n")), tables=tables)


def _html_grid(table_element) -> list[list[str]]:
    """Lay out a table's cells on a grid, copying rowspan and colspan cells into every position."""
    grid: dict[tuple[int, int], str] = {}
    rows = table_element.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
    for r, row in enumerate(rows):
        c = 0
        for cell in row.xpath("./td | ./th"):
            while (r, c) in grid:
                c += 1
            text = cell.text_content()
            for dr in range(_span(cell, "rowspan")):
                for dc in range(_span(cell, "colspan")):
                    grid.setdefault((r + dr, c + dc), text)
            c += _span(cell, "colspan")
    if not grid:
        return []
    height = max(r for r, _c in grid) + 1
    width = max(c for _r, c in grid) + 1
    return [[grid.get((r, c), "") for c in range(width)] for r in range(height)]


def _span(cell, attribute: str) -> int:
    try:
        return max(1, min(int(cell.get(attribute, "1")), 1000))
    except ValueError:
        return 1


_EXTRACTORS = {
    "pdf": _extract_pdf,
    "docx": _extract_docx,
    "doc": _extract_doc,
    "xls": _extract_xls,
    "xlsx": _extract_xlsx,
    "image": _extract_image,
    "html": _extract_html,
}
