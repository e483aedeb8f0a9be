"""Parse CAC (国家网信办) and provincial 网信办 articles and their attachments into case drafts.

Both spiders, `cac` and `cac_provincial`, archive the same article format. An article is
read in this order:

- an HTML table listing apps (App名称, 运营者, 存在问题 …) gives one draft per app row
  (record key "app-<n>");
- a round-up (「…执法典型案例」) gives one draft per listed case (record key "case-<n>"). The
  cases are split with the lawdatify round-up functions, and a case that names no party is
  kept with an empty party rather than dropped;
- an app notice whose list is an image or an attachment gives one notice-level draft
  (record key "notice") that names the list's images. The attachment documents give the
  app rows once their text is read;
- a press release of one decision gives one draft for the company (record key "case") and
  one per executive fined by name (record key "person-<n>"). Such releases state the fine in
  prose (「处人民币80.26亿元罚款」) and carry no decision number;
- anything else (meetings, policy news) gives no draft.

An attachment document (an image read by OCR, or a PDF/DOC/XLS table) gives one draft per
app row of its tables or text lines. An attachment whose text was not read (needs_ocr) gives
none, so it is marked empty and stays in the raw layer.

The regulator is the cyberspace office a case names (「北京市网信办依法约谈…」), else the
article's issuer (来源) when that is an office, else the site's name. Provincial sites pass
their province as a hint; the national site passes none.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.html
import yaml
from lxml.etree import ParserError, XPathError

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from etl.models import CaseDraft, RawDocument
from etl.normalize.regions import region_tables
from etl.normalize.regulators import resolve_regulator
from etl.sources.lawdatify_cases import (
    PARTY_LINE_RE,
    co_parties_after,
    decision_date_from_text,
    legal_basis_sentences,
    organisations_after_chachu,
    penalty_sentences,
    roundup_party,
    roundup_total,
    split_roundup,
    split_sentences,
)
from etl.sources.lawdatify_cases import _organisation_at_start as organisation_at_start
from etl.sources.lawdatify_cases import load_patterns as lawdatify_patterns
from etl.sources.pbc import cell_text, table_grid

logger = logging.getLogger(__name__)

PATTERNS_PATH = Path(__file__).with_name("cac.yaml")

ISSUER_PREFIX_RE = re.compile(r"^\s*(?:信息)?来源\s*[:：]\s*")
# A round-up case's marker at the start of its first line: 「案例一：」, 「一、」, 「1.」.
CASE_MARKER_RE = re.compile(
    r"^(?:案\s*[例件]\s*[一二三四五六七八九十\d]{1,3}|[一二三四五六七八九十]{1,3}\s*、|\d{1,2}\s*[.．、])\s*[:：、.．]?\s*"
)
# Clauses of one penalty sentence that start a new object (「…罚款，对该公司董事长…罚款」).
OBJECT_CLAUSE_RE = re.compile(r"[，,；;](?=\s*对)")
ROW_NUMBER_RE = re.compile(r"^\d{1,4}$")
VERSION_RE = re.compile(r"^[vV]?\d+(?:\.\d+){1,3}$")
PROBLEM_SEPARATOR_RE = re.compile(r"[；;\n]")
ITEM_NUMBER_RE = re.compile(r"^\s*[（(]?\d{1,2}\s*[.、．)）]\s*")


@functools.cache
def load_patterns() -> dict[str, Any]:
    """Load the CAC text patterns from cac.yaml."""
    with PATTERNS_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@dataclass
class Article:
    """Title, date, issuer, text lines, tables and image URLs of one article page."""

    title: str
    publish_date: str
    issuer: str
    lines: list[str]
    tables: list[list[list[str]]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class AppRow:
    """One app of an app list, as printed."""

    app: str
    operator: str = ""
    version: str = ""
    store: str = ""
    problems: tuple[str, ...] = ()


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse one CAC article or attachment document into drafts, as the module docstring describes."""
    if doc.content_type == ATTACHMENT_CONTENT_TYPE:
        return parse_attachment(doc)

    article = read_article(doc)
    if article is None:
        return []

    rows = [row for table in article.tables for row in app_rows_from_table(table, headerless=False)]
    if rows:
        return app_drafts(doc, rows, _article_origin(doc, article))

    roundup = roundup_drafts(doc, article)
    if roundup:
        return roundup

    if is_app_notice(article.title):
        return [notice_draft(doc, article)]
    return decision_drafts(doc, article)


# Articles -------------------------------------------------------------------------------


def read_article(doc: RawDocument) -> Article | None:
    """Read title, date, issuer, text lines and tables of an article, or return None when it has no content."""
    tree = _parse_html(doc.content)
    if tree is None:
        logger.warning("CAC document is not parseable HTML: url=%s", doc.url)
        return None

    patterns = load_patterns()
    fields = doc.meta.get("fields") or {}
    context = doc.meta.get("context") or {}
    xpaths = [fields["content_xpath"]] if fields.get("content_xpath") else []
    content = _first_node(tree, xpaths + patterns["content_xpaths"])
    if content is None:
        logger.warning("CAC article has no content container: url=%s", doc.url)
        return None

    issuer = fields.get("issuer") or ISSUER_PREFIX_RE.sub("", _first_text(tree, patterns["issuer_xpaths"]))
    return Article(
        title=fields.get("title") or _first_text(tree, patterns["title_xpaths"]) or context.get("list_title", ""),
        publish_date=fields.get("date") or _first_text(tree, patterns["date_xpaths"]) or context.get("list_date", ""),
        issuer=issuer.strip(),
        lines=[line for line in cell_text(content).split("\n") if line.strip()],
        tables=[table_grid(table) for table in content.iter("table")],
        images=list(fields.get("images") or []),
    )


def roundup_drafts(doc: RawDocument, article: Article) -> list[CaseDraft]:
    """Build one draft per case of a round-up, or return [] when the article is no round-up.

    An article is a round-up when its text splits into at least two numbered cases and
    either two of them name a party or the title announces cases (「典型案例」).
    """
    segments = split_roundup(article.text)
    if len(segments) < 2:
        return []
    named = sum(1 for segment in segments if roundup_party(segment)[0])
    announced = any(marker in article.title for marker in load_patterns()["roundup_title_markers"])
    if named < 2 and not announced:
        return []

    segments[-1] = _without_closing(segments[-1])
    origin = _article_origin(doc, article)
    total = roundup_total(article.title)
    drafts = []
    for position, segment in enumerate(segments, start=1):
        party, party_from = roundup_party(segment)
        heading = CASE_MARKER_RE.sub("", segment.split("\n", 1)[0]).strip()
        extra: dict[str, Any] = {**origin.extra, "roundup_position": position, "roundup_segments": len(segments)}
        if party_from:
            extra["party_from"] = party_from
        if total is not None:
            extra["roundup_total"] = total
        co_parties = co_parties_after(segment, party) if party else []
        if co_parties:
            extra["co_parties_mentioned"] = co_parties

        drafts.append(CaseDraft(
            **origin.draft_fields(doc),
            record_key=f"case-{position}",
            party_raw=party,
            regulator_raw=office_named_in(segment) or origin.regulator,
            decision_date_raw=decision_date(segment),
            violation_raw=[heading, *finding_sentences(segment)] if heading else finding_sentences(segment),
            legal_basis_raw=legal_basis_sentences(segment),
            penalty_raw="\n".join(penalty_sentences(segment)),
            summary=heading,
            text=segment,
            extra=extra,
        ))
    return drafts


def notice_draft(doc: RawDocument, article: Article) -> CaseDraft:
    """Build the notice-level draft of an app notice whose app list is not in the page's text."""
    origin = _article_origin(doc, article)
    extra = {**origin.extra, "app_list_images": article.images}
    return CaseDraft(
        **origin.draft_fields(doc),
        record_key="notice",
        regulator_raw=origin.regulator,
        legal_basis_raw=legal_basis_sentences(article.text),
        penalty_raw="\n".join(penalty_sentences(article.text)),
        text=article.text,
        extra=extra,
    )


def decision_drafts(doc: RawDocument, article: Article) -> list[CaseDraft]:
    """Build the drafts of a press release on one decision: the company, then each executive fined by name.

    Returns [] for an article such as meeting news, whose title names no sanction and whose
    penalty sentences name no party. A title that names a sanction without a party found
    gives one draft with an empty party.
    """
    text = article.text
    sentences = penalty_sentences(text)
    company, company_from = decision_party(article.title, text, sentences)
    clauses = [clause for sentence in sentences for clause in OBJECT_CLAUSE_RE.split(sentence)]
    persons = executives_fined(clauses)
    if not _names_sanction(article.title) and not (sentences and (company or persons)):
        logger.debug("CAC article names no sanction: url=%s title=%s", doc.url, article.title)
        return []

    origin = _article_origin(doc, article)
    regulator = office_named_in("\n".join(sentences)) or origin.regulator
    person_clauses = {clause for _, clause in persons}
    company_penalty = [clause for clause in clauses if clause not in person_clauses]
    shared = {
        **origin.draft_fields(doc),
        "regulator_raw": regulator,
        "decision_date_raw": decision_date(text),
        "legal_basis_raw": legal_basis_sentences(text),
        "text": text,
    }

    extra = dict(origin.extra)
    if company_from:
        extra["party_from"] = company_from
    if persons:
        extra["persons_fined"] = [name for name, _ in persons]
    drafts = []
    if company or not persons:
        drafts.append(CaseDraft(
            **shared,
            record_key="case",
            party_raw=company,
            penalty_raw="\n".join(company_penalty),
            summary=company_penalty[0] if company_penalty else "",
            extra=extra,
        ))

    for number, (name, clause) in enumerate(persons, start=1):
        drafts.append(CaseDraft(
            **shared,
            record_key=f"person-{number}",
            party_raw=name,
            party_type_hint="individual",
            penalty_raw=clause,
            summary=clause,
            extra={**origin.extra, "party_from": "executive fined by name", "company": company},
        ))
    return drafts


def decision_party(title: str, text: str, sentences: list[str]) -> tuple[str, str]:
    """Return the company a one-decision press release sanctions and where it was found, or ("", "").

    Tried in order: a 「当事人：」 line, the organisation after a sanction's object word
    (「对」, 「约谈」, 「查处」) in the title, the one organisation after 「查处」 in the text, and
    the organisation after an object word in a penalty sentence.
    """
    match = PARTY_LINE_RE.search(text)
    if match:
        return match.group(1), "当事人 line"

    organisation = organisation_after_object(title)
    if organisation:
        return organisation, "title"

    investigated = organisations_after_chachu(text)
    if len(investigated) == 1:
        return investigated[0], "查处 sentence"

    for sentence in sentences:
        organisation = organisation_after_object(sentence)
        if organisation:
            return organisation, "penalty sentence"
    return "", ""


def organisation_after_object(text: str) -> str:
    """Return the first organisation that follows a sanction's object word (「依法对甲有限公司处…」), or ""."""
    for match in re.finditer(load_patterns()["sanction_object_pattern"], text):
        organisation = organisation_at_start(text[match.end():].lstrip())
        if organisation:
            return organisation
    return ""


def executives_fined(clauses: list[str]) -> list[tuple[str, str]]:
    """List (name, clause) for each person a penalty clause names by role (「董事长兼CEO张伟、总裁李明各处…」)."""
    roles = "|".join(re.escape(role) for role in load_patterns()["person_roles"])
    # A name does not start with the verb that follows a bare role (「负责人处以罚款」).
    person_re = re.compile(
        rf"(?:{roles})(?![处给予罚各分作依进等])([\u4e00-\u9fa5]{{2,3}}?)(?=[、，,。；;和及与]|各|分别|处|罚款|给予|$)"
    )
    found: list[tuple[str, str]] = []
    for clause in clauses:
        for match in person_re.finditer(clause):
            name = match.group(1)
            if name not in {person for person, _ in found}:
                found.append((name, clause))
    return found


def decision_date(text: str) -> str:
    """Return the decision date a text states (「2026年7月21日，国家互联网信息办公室依法…」), or ""."""
    stated = decision_date_from_text(text)
    if stated:
        return stated
    for pattern in load_patterns()["decision_date_patterns"]:
        match = re.search(pattern, text)
        if match:
            return match.group(1)
    return ""


def finding_sentences(text: str) -> list[str]:
    """List the sentences of a case that state findings (经查…, 存在…), leaving out penalty sentences."""
    markers = tuple(load_patterns()["finding_markers"])
    penalties = set(penalty_sentences(text))
    return [sentence for sentence in split_sentences(text)
            if any(marker in sentence for marker in markers) and sentence not in penalties]


def is_app_notice(title: str) -> bool:
    """Tell whether a title announces an app notice (「关于33款App个人信息收集使用问题的通报」)."""
    return bool(re.search(load_patterns()["app_notice_title"], title or ""))


def app_notice_kind(title: str) -> str:
    """Return the notice kind an app notice's title implies (下架处置, 批次通报), or "" for other titles."""
    if not is_app_notice(title):
        return ""
    for entry in load_patterns()["app_notice_kinds"]:
        if entry["word"] in title:
            return entry["kind"]
    return ""


# Regulators -----------------------------------------------------------------------------


def office_named_in(text: str) -> str:
    """Return the first cyberspace office a text names (国家网信办, 北京市委网信办, 杭州市网信办), or "".

    The name runs from the earliest place name before the office ending that makes the whole
    a known CAC office, so lead-in words (「近期北京市网信办」) are left out.
    """
    patterns = load_patterns()
    places = region_tables().name_pattern
    for match in re.finditer(patterns["office_name_endings"], text or ""):
        before = text[max(0, match.start() - 12):match.start()]
        for prefix in patterns["national_office_prefixes"]:
            if before.endswith(prefix):
                return prefix + match.group(0)
        for place in places.finditer(before):
            name = before[place.start():] + match.group(0)
            if _is_cac_office(name):
                return name
    return ""


def issuing_office(issuer: str, site_name: str) -> str:
    """Return the issuer (来源) when it names a cyberspace office, else the site's name."""
    patterns = load_patterns()
    if issuer and (issuer in patterns["national_issuer_names"] or re.search(patterns["office_name_endings"], issuer)):
        return issuer
    return site_name or issuer


def _is_cac_office(name: str) -> bool:
    regulators, _warnings = resolve_regulator(name)
    return bool(regulators) and regulators[0].family == "CAC"


# App lists ------------------------------------------------------------------------------


def app_rows_from_table(table: list[list[str]], headerless: bool = True) -> list[AppRow]:
    """Read the app rows of a table whose header (in its first five rows) names an app column.

    With `headerless`, a table without such a header, such as a continuation page of a PDF
    list, is read row by row by the shape of its cells, keeping only rows that name an
    operator. Article tables are read only by their header, because they list other things too.
    """
    for index, row in enumerate(table[:5]):
        columns = header_columns(row)
        if columns is not None:
            return [app for app in (_app_from_columns(data, columns) for data in table[index + 1:]) if app]
    if not headerless:
        return []
    rows = (app_row_from_cells(row) for row in table)
    return [app for app in rows if app and app.operator]


def app_rows_from_lines(text: str) -> list[AppRow]:
    """Read the app rows of text lines whose cells are separated by tabs, as OCR writes a table.

    Lines up to a header line are titles and are skipped. OCR can merge neighbouring header
    cells (「序号App名称」), so the data lines are read by the shape of their cells. Text
    without a header line keeps only the rows that name an operator.
    """
    rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    start = next((index + 1 for index, row in enumerate(rows) if header_columns(row) is not None), None)
    apps = [app for app in (app_row_from_cells(row) for row in rows[start or 0:]) if app]
    return apps if start is not None else [app for app in apps if app.operator]


def header_columns(row: list[str]) -> dict[str, int] | None:
    """Map the fields of an app list to the columns of a header row, or None when it names no app column."""
    headers = load_patterns()["app_table_headers"]
    columns: dict[str, int] = {}
    for index, cell in enumerate(row):
        compact = re.sub(r"\s+", "", cell or "")
        for name, words in headers.items():
            if name not in columns and any(word in compact for word in words):
                columns[name] = index
                break
    if "app" not in columns or not {"operator", "problems", "number"} & set(columns):
        return None
    return columns


def app_row_from_cells(cells: list[str]) -> AppRow | None:
    """Read one app row by the shape of its cells: number, app, operator (an organisation), version, problems."""
    values = [" ".join((cell or "").split()) for cell in cells]
    values = [value for value in values if value]
    if values and ROW_NUMBER_RE.match(values[0]):
        values = values[1:]
    if len(values) < 2 or header_columns(values) is not None:
        return None

    operator_at = next((index for index, value in enumerate(values) if _is_organisation(value)), None)
    version = next((value for value in values if VERSION_RE.match(value)), "")
    app = values[0] if operator_at != 0 else values[1]
    if _is_heading(app) or app == version:
        return None

    after = values[operator_at + 1:] if operator_at is not None else values[1:]
    problems = [piece for value in after if value not in (version, app) for piece in _split_problems(value)]
    operator = values[operator_at] if operator_at is not None else ""
    return AppRow(app=app, operator=operator, version=version, problems=tuple(problems))


def app_drafts(doc: RawDocument, rows: list[AppRow], origin: _Origin) -> list[CaseDraft]:
    """Build one draft per app row, with the notice's title, date, issuer and province."""
    kind = app_notice_kind(origin.title)
    drafts = []
    for number, row in enumerate(rows, start=1):
        extra: dict[str, Any] = {**origin.extra, "app": row.app}
        if kind:
            extra["notice_kind"] = kind
        if row.version:
            extra["app_version"] = row.version
        if row.store:
            extra["app_store"] = row.store
        drafts.append(CaseDraft(
            **origin.draft_fields(doc),
            record_key=f"app-{number}",
            party_raw=row.operator,
            regulator_raw=origin.regulator,
            violation_raw=list(row.problems),
            text="\t".join(part for part in (row.app, row.operator, "；".join(row.problems)) if part),
            extra=extra,
        ))
    return drafts


def _app_from_columns(row: list[str], columns: dict[str, int]) -> AppRow | None:
    def cell(name: str) -> str:
        index = columns.get(name)
        return " ".join(row[index].split()) if index is not None and index < len(row) and row[index] else ""

    app = cell("app")
    if not app or _is_heading(app) or header_columns(row) is not None:
        return None
    return AppRow(
        app=app,
        operator=cell("operator"),
        version=cell("version"),
        store=cell("store"),
        problems=tuple(_split_problems(cell("problems"))),
    )


def _split_problems(value: str) -> list[str]:
    pieces = (ITEM_NUMBER_RE.sub("", piece).strip(" 。.;；,，") for piece in PROBLEM_SEPARATOR_RE.split(value))
    return [piece for piece in pieces if piece]


def _is_organisation(value: str) -> bool:
    return value.endswith(tuple(lawdatify_patterns()["cases"]["organisation_suffixes"]))


def _is_heading(value: str) -> bool:
    return any(re.search(pattern, value) for pattern in load_patterns()["app_heading_patterns"])


# Attachments ----------------------------------------------------------------------------


def parse_attachment(doc: RawDocument) -> list[CaseDraft]:
    """Parse an attachment document (JSON of its text and tables) into one draft per app row."""
    try:
        content = doc.json_content()
    except ValueError as error:
        logger.warning("CAC attachment content is not JSON: url=%s error=%s", doc.url, error)
        return []
    if not isinstance(content, dict):
        logger.warning("CAC attachment content is not a JSON object: url=%s", doc.url)
        return []

    rows = [row for table in content.get("tables") or [] for row in app_rows_from_table(table)]
    if not rows and content.get("text"):
        rows = app_rows_from_lines(content["text"])
    if not rows:
        if content.get("needs_ocr"):
            logger.info("CAC attachment was not read (needs OCR): url=%s error=%s", doc.url, content.get("error", ""))
        else:
            logger.debug("CAC attachment lists no apps: url=%s format=%s", doc.url, content.get("format"))
        return []
    return app_drafts(doc, rows, _attachment_origin(doc, content))


# Shared draft fields --------------------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    """The article a draft comes from: its title, date, regulator, province and list facts."""

    title: str
    publish_date: str
    regulator: str
    province: str
    extra: dict[str, Any]

    def draft_fields(self, doc: RawDocument) -> dict[str, Any]:
        return {
            "document_id": doc.document_id,
            "source": doc.source,
            "source_url": doc.url,
            "title": self.title,
            "publish_date_raw": self.publish_date,
            "province_hint": self.province,
        }


def _article_origin(doc: RawDocument, article: Article) -> _Origin:
    context = doc.meta.get("context") or {}
    extra: dict[str, Any] = {"site": context.get("site", ""), "issuer": article.issuer}
    if context.get("list_url"):
        extra["list_url"] = context["list_url"]
    return _Origin(
        title=article.title,
        publish_date=article.publish_date,
        regulator=office_named_in(article.title) or issuing_office(article.issuer, context.get("site_name", "")),
        province=context.get("province") or "",
        extra=extra,
    )


def _attachment_origin(doc: RawDocument, content: dict[str, Any]) -> _Origin:
    context = doc.meta.get("context") or {}
    title = context.get("parent_title", "")
    extra = {
        "site": context.get("site", ""),
        "issuer": context.get("issuer", ""),
        "parent_url": context.get("parent_url", ""),
        "attachment_format": content.get("format", ""),
    }
    return _Origin(
        title=title,
        publish_date=context.get("parent_date", ""),
        regulator=office_named_in(title) or issuing_office(context.get("issuer", ""), context.get("site_name", "")),
        province=context.get("province") or "",
        extra=extra,
    )


def _names_sanction(title: str) -> bool:
    return any(word in title for word in load_patterns()["enforcement_title_words"])


def _without_closing(segment: str) -> str:
    """Cut the closing paragraphs (「下一步，网信部门将…」) off the last case of a round-up."""
    starts = tuple(load_patterns()["roundup_closing_starts"])
    lines = segment.split("\n")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip().startswith(starts):
            return "\n".join(lines[:index]).strip()
    return segment


def _parse_html(html: str) -> lxml.html.HtmlElement | None:
    if not html or not html.strip():
        return None
    try:
        return lxml.html.fromstring(html)
    except (ParserError, ValueError) as error:
        logger.warning("page is not parseable HTML: error=%s", error)
        return None


def _first_node(tree: lxml.html.HtmlElement, xpaths: list[str]) -> lxml.html.HtmlElement | None:
    for xpath in xpaths:
        try:
            nodes = tree.xpath(xpath)
        except XPathError as error:
            logger.warning("invalid content XPath %r: %s", xpath, error)
            continue
        elements = [node for node in nodes if isinstance(node, lxml.html.HtmlElement)]
        if elements:
            return elements[0]
    return None


def _first_text(tree: lxml.html.HtmlElement, xpaths: list[str]) -> str:
    """Return the text of the first XPath's first node, its own text nodes first (see the spider's `first_text`)."""
    for xpath in xpaths:
        for node in tree.xpath(xpath)[:1]:
            if isinstance(node, str):
                text = node
            else:
                text = " ".join(node.xpath("./text()")) or node.text_content()
            text = " ".join(str(text).split())
            if text:
                return text
    return ""
