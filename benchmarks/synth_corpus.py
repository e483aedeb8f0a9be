"""Generate a synthetic archive of enforcement records (10k to 1M cases) for the performance benchmark.

The output is a folder in the layout of the saved public-record archive
(scrapers/importers/archive.yaml), so the real importer and ETL build a warehouse from it:

    .venv/bin/python benchmarks/synth_corpus.py --cases 100000 --out /tmp/synth-100k [--seed 7]
    .venv/bin/eintel --db /tmp/synth-100k.duckdb import --archive /tmp/synth-100k --no-sample
    .venv/bin/eintel --db /tmp/synth-100k.duckdb load
    .venv/bin/python benchmarks/synth_corpus.py --compare data/eintel.duckdb /tmp/synth-100k.duckdb

What is measured: the generation time and the bytes written. `--compare` prints two warehouses
side by side (see `distribution_table`): the shares of regulator families, provinces,
industries, violation and outcome types, and the fine and text length quantiles.

Method. The generator reads the real lawdatify files at run time and runs the real importer,
parsers and overlap resolution on them. Every real document that yields cases becomes a
template, with the number of cases it yields. Templates are resampled in proportion to reach
the requested case count, and each copy is perturbed so that it is distinct:

- a unique URL (a `synth=<n>` query parameter) and, for app notices, a new upstream id;
- a date drawn from the real dates of the same dataset and issuer, moved by up to 15 days,
  or, for one copy in ten, drawn uniformly from the real span so that every month is covered.
  Dates written in the text move by the same number of days;
- made-up company, app and person names: the brand part of a name is replaced by syllables
  from a pool, and location prefixes, legal forms and industry keywords are kept, so the
  ETL derives the same industry and party type. Person names get a made-up surname and
  given name;
- fines and other amounts scaled by one factor per copy, so the fine keeps the real
  distribution and the text and the upstream `fines` list agree. Statutory ranges are left
  alone;
- a new number in the decision number (文号).

The copies of the whole real set are repeated floor(cases / real cases) times, and the rest
is a systematic sample of templates (see `plan_documents`), so app rows per notice and the
shares of sources and issuers follow the real records and the case count is exact.

Everything else (issuer, notice kind, problem labels, law citations, text) is kept, so the ETL
re-derives regulators, provinces, industries, violation types and outcomes with the real
shares. Each template is checked once before use: a perturbed probe copy goes through the
parser and the normalizer and must give the same regulator, province, industry, domain,
violation and outcome types, party type and fine presence as the original, and its fine
must equal the scaled original. App rows whose made-up names fail the check keep their real
names; any other template that fails is used with fewer perturbations (first without new
names, then without new amounts), so the expected case count stays exact.

Limits: the PBC saved page (13 cases, 13 of the 78 fines in the real warehouse) is not
reproduced, and app rows that inherited legal bases from a superseded cases.json copy of
their notice get none here. Masked names (张某, ***), media and public bodies (日报社) and
names without a recognisable brand part keep their real form.

Output files are streamed, so memory stays bounded by the templates and the planned
document order (about 190k small integers at 1M cases). docs.json, cases.json and
batches.json are single JSON objects as the importer expects ({"docs": [...], "meta": {...}}),
so DuckDB's read_json needs maximum_object_size above the file size (docs.json is about
200 MB at 1M cases); local_amr.jsonl has one record per line.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import logging
import math
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.machine import describe_machine  # noqa: E402
from eintel.raw import RawDocument  # noqa: E402
from eintel.settings import get_settings  # noqa: E402
from etl.normalize.money import AMOUNT_RE, RANGE_PATTERNS, parse_amount  # noqa: E402
from etl.normalize.parties import SURNAMES, classify_party  # noqa: E402
from etl.normalize.regions import canonical_province, province_of_city, region_tables  # noqa: E402
from etl.pipeline import normalize_draft  # noqa: E402
from etl.sources import parse_document  # noqa: E402
from etl.sources.lawdatify_appviol import is_suspect_row  # noqa: E402
from etl.sources.overlap import resolve_overlaps  # noqa: E402
from etl.taxonomy import load_lookups, load_taxonomy  # noqa: E402
from etl.taxonomy.classify import classify_industry  # noqa: E402
from scrapers.importers import import_archive, load_archive_spec  # noqa: E402
from scrapers.importers.lawdatify import split_fragment  # noqa: E402

logger = logging.getLogger(__name__)

DEFAULT_REAL_ROOT = get_settings().archive_path

SOURCES = ("lawdatify_appviol", "lawdatify_cases", "lawdatify_batches")

# Share of copies whose date is drawn uniformly from the real span rather than near a real date.
UNIFORM_DATE_SHARE = 0.1
DATE_JITTER_DAYS = 15

# Spread of the per-copy factor applied to amounts: log-normal with this sigma.
AMOUNT_SIGMA = 0.3

# Tries to find a date (then a title suffix) that gives a copy an overlap key no other copy has.
DATE_REDRAWS = 8

# Candidate characters of made-up brand and given names. Characters that occur in the taxonomy,
# regulator, amount or lawdatify pattern files, and common surnames, are removed at run time
# (see `brand_pool`), so a made-up name rarely adds a keyword that the ETL reads.
# NOTE: only the probe copy of each template is checked, so a rare draw can still match a
# regex with a character class (「[^餐歌舞展大客]厅」) and change a copy's industry.
BRAND_CANDIDATES = (
    "朗星博瑞泽恒嘉昊睿晟澜锦悦逸轩宸翔鸿辰曜骏铭越弘煦霖琪璟祺凯灏峰岚墨蓝橙柏桐枫松竹梧荷棠"
    "葵芮芷萱菁蔚茗岩汐溪洛沐禾稻穗米豆橘柚桔杏梅兰菊雀鹊鹤鹭鸥燕莺鲸鲲鹏麒麟虎豹狸猫熊鹿驰骐"
    "骋跃腾飞扬帆舟航晨曦昕晖曙旭昱晴霁虹霓霞峻崇嵘澄淳沛涵泓湛漫潇瀚浩波涛泉渊溢洋优佳美善"
    "真诚顺谐乐欢喜福禄泰丰盛茂荣昌隆兴旺富贵吉祥尚卓拓远志"
)
SURNAME_CANDIDATES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡杜叶程苏魏吕丁沈姚卢姜崔谭陆汪范廖贾夏韦方白邹孟秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵钱严覃戴莫孔汤"

PATTERN_FILES = (
    REPO / "etl" / "taxonomy" / "industries.yaml",
    REPO / "etl" / "taxonomy" / "violation_types.yaml",
    REPO / "etl" / "taxonomy" / "outcome_types.yaml",
    REPO / "etl" / "taxonomy" / "domains.yaml",
    REPO / "etl" / "data" / "amount_keywords.yaml",
    REPO / "etl" / "data" / "regulators.yaml",
    REPO / "etl" / "data" / "decision_number_words.yaml",
    REPO / "etl" / "sources" / "lawdatify.yaml",
)

# Legal forms and other name endings that a made-up brand must not replace.
NAME_FORM_WORDS = (
    "股份有限公司", "有限责任公司", "有限公司", "分公司", "公司", "集团", "经营部", "门诊部", "合作社",
    "事务所", "工作室", "商行", "医院", "中心", "协会", "厂", "店", "部", "社", "所", "站", "馆",
)
# Business words kept in made-up company names so they read like real ones.
BUSINESS_WORDS = (
    "科技", "网络", "信息", "技术", "软件", "数字", "数据", "智能", "电子", "文化", "传媒", "传播", "商务",
    "贸易", "发展", "管理", "服务", "咨询", "互娱", "互动", "在线", "实业", "控股", "投资",
)

# Syllables of made-up Latin brand words (「Beijing Haotui Technology」 → 「Beijing Lanrui Technology」).
LATIN_SYLLABLES = (
    "an", "bo", "chen", "da", "feng", "hao", "hua", "jia", "kai", "lan", "le", "lin", "ming", "mu", "nuo",
    "qi", "rui", "shan", "tai", "tian", "wei", "xin", "yao", "yun", "ze", "zhi",
)
# Words of Latin-script company names that are legal forms or business words, not the brand.
LATIN_FORM_WORDS = frozenset(
    "co ltd limited inc corp company group technology technologies tech network information software "
    "media culture internet science development service services trading digital intelligent "
    "communication travel sport sports hospital games labs the and of".split()
)
LATIN_WORD_RE = re.compile(r"[A-Za-z]{3,}")

HAN_RE = re.compile(r"[\u4e00-\u9fff]")
TEXT_DATE_RE = re.compile(r"(\d{4})(\s*年\s*)(\d{1,2})(\s*月\s*)(\d{1,2})(\s*日)")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CASE_NUMBER_DIGITS_RE = re.compile(r"(\d+)(\s*号)")
MASK_CHARS = "某*＊Xx×Ｘ"

# Output file of each real dataset file, by its name; the importer's archive.yaml gives the paths.
OUTPUT_BY_DATASET = {"docs.json": "docs", "batches.json": "batches", "cases.json": "cases", "local_amr.jsonl": "local_amr"}


# ---------------------------------------------------------------------------
# Made-up names


@dataclass(frozen=True)
class NamePlan:
    """How to make up a name: `prefix` + a random part of `length` characters + `suffix`.

    `kind` is "brand" (pool characters), "surname" (a surname replaces the first character
    of a masked name such as 朱某) or "person" (surname plus given-name characters).
    """

    prefix: str
    length: int
    suffix: str
    kind: str


@functools.cache
def brand_pool() -> str:
    """Return the brand characters that no pattern file of the ETL contains."""
    excluded: set[str] = set(SURNAMES)
    for path in PATTERN_FILES:
        excluded |= set(HAN_RE.findall(path.read_text(encoding="utf-8")))
    return "".join(char for char in dict.fromkeys(BRAND_CANDIDATES) if char not in excluded)


class NameMaker:
    """Made-up names from syllable pools, drawn from one seeded random stream."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pool = brand_pool()
        self.surnames = [char for char in SURNAME_CANDIDATES if char in SURNAMES]
        self.place_pattern = region_tables().name_pattern
        if len(self.pool) < 50:
            raise RuntimeError(
                f"only {len(self.pool)} brand characters are left after removing the ETL's pattern characters; "
                "add neutral characters to BRAND_CANDIDATES"
            )

    def brand(self, length: int) -> str:
        """Return `length` pool characters that do not spell a place name."""
        text = ""
        for _ in range(5):
            text = "".join(self.rng.choices(self.pool, k=length))
            if not self.place_pattern.search(text):
                break
        return text

    def latin_word(self, syllables: int, upper: bool) -> str:
        word = "".join(self.rng.choices(LATIN_SYLLABLES, k=syllables))
        return word.upper() if upper else word.capitalize()

    def render(self, plan: NamePlan) -> str:
        if plan.kind in ("latin", "latin_upper"):
            return plan.prefix + self.latin_word(plan.length, plan.kind == "latin_upper") + plan.suffix
        if plan.kind == "surname":
            middle = self.rng.choice(self.surnames)
        elif plan.kind == "person":
            middle = self.rng.choice(self.surnames) + self.brand(plan.length - 1)
        else:
            middle = self.brand(plan.length)
        return plan.prefix + middle + plan.suffix


@functools.cache
def _protected_words() -> tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]:
    """Return the words and patterns a made-up name keeps: legal forms and industry keywords."""
    words = [*NAME_FORM_WORDS, *BUSINESS_WORDS]
    patterns: list[re.Pattern[str]] = []
    lookups = load_lookups("industries")
    for category in load_taxonomy("industries"):
        words += category.keywords
        words += lookups.get(category.code, {}).get("text_keywords", ())
        patterns += category.patterns
    return tuple(dict.fromkeys(word for word in words if word)), tuple(patterns)


def _protected_positions(name: str) -> list[bool]:
    """Mark the characters of a name that belong to an industry keyword, business word or legal form."""
    protected = [False] * len(name)
    words, patterns = _protected_words()
    spans = [match.span() for pattern in patterns for match in pattern.finditer(name)]
    for word in words:
        start = name.find(word)
        while start >= 0:
            spans.append((start, start + len(word)))
            start = name.find(word, start + 1)
    for start, end in spans:
        for index in range(start, end):
            protected[index] = True
    return protected


def _location_prefix_length(name: str) -> int:
    for length in (5, 4, 3, 2):
        head = name[:length]
        if len(head) == length and (canonical_province(head) or province_of_city(head)):
            if name[length:length + 1] in ("省", "市", "区", "县"):
                length += 1
            return length
    return 0


def plan_name(name: str, maker: NameMaker, check_party: bool) -> NamePlan | None:
    """Plan a made-up replacement of a name, or return None when the name must stay.

    The plan is kept only when a sample made-up name gets the same industry and, with
    `check_party`, the same party type as the original.
    """
    text = name.strip()
    if len(text) < 2 or text != name:
        return None

    original_party, _ = classify_party(text, mask_persons=False)
    if original_party.party_type == "individual":
        plan = _person_plan(text)
    elif not HAN_RE.search(text):
        plan = _latin_plan(text)
    else:
        plan = _brand_plan(text)
    if plan is None:
        return None

    # App names reach the industry classifier as text, company names as the party name.
    sample = plan.prefix + _sample_part(plan, maker.pool) + plan.suffix
    if classify_industry(sample, sample) != classify_industry(text, text):
        return None
    if check_party:
        party, _ = classify_party(sample, mask_persons=False)
        if party.party_type != original_party.party_type:
            return None
    return plan


def _sample_part(plan: NamePlan, pool: str) -> str:
    if plan.kind in ("latin", "latin_upper"):
        return "Lanrui"
    if plan.kind == "surname":
        return "王"
    if plan.kind == "person":
        return "王" + pool[: plan.length - 1]
    return (pool * 2)[: plan.length]


def _person_plan(name: str) -> NamePlan | None:
    if any(char in MASK_CHARS for char in name):
        # 朱某, 张**: a new surname, the mask kept.
        return NamePlan("", 1, name[1:], "surname") if name[0] not in MASK_CHARS else None
    if 2 <= len(name) <= 4 and all(HAN_RE.match(char) for char in name):
        return NamePlan("", len(name), "", "person")
    return None


def _latin_plan(name: str) -> NamePlan | None:
    """Plan a new brand word for a Latin-script name: its first word that is no place and no legal form."""
    tables = region_tables()
    places = {label.lower() for label in tables.pinyin_province} | {label.lower() for label in tables.city_en.values()}
    for match in LATIN_WORD_RE.finditer(name):
        word = match.group(0)
        if word.lower() in LATIN_FORM_WORDS or word.lower() in places:
            continue
        kind = "latin_upper" if word.isupper() else "latin"
        return NamePlan(name[: match.start()], 2, name[match.end():], kind)
    return None


def _brand_plan(name: str) -> NamePlan | None:
    start = _location_prefix_length(name)
    protected = _protected_positions(name)
    end = start
    while end < len(name) and HAN_RE.match(name[end]) and not protected[end]:
        end += 1
    if end - start >= 2:
        return NamePlan(name[:start], end - start, name[end:], "brand")
    if start < len(name) and HAN_RE.match(name[start]):
        # No free brand part (「北京教育科技有限公司」): put a made-up brand after the location.
        return NamePlan(name[:start], 2, name[start:], "brand")
    return None


# ---------------------------------------------------------------------------
# Templates


@dataclass(frozen=True)
class Perturbation:
    """Parts of a copy that change besides the URL, upstream id and record date, which always change."""

    names: bool = True
    amounts: bool = True
    case_numbers: bool = True
    text_dates: bool = True


# Tried in this order; the first that passes the template's probe check is used.
PERTURBATION_LADDER = (
    Perturbation(),
    Perturbation(names=False),
    Perturbation(amounts=False),
    Perturbation(names=False, amounts=False),
    Perturbation(names=False, amounts=False, case_numbers=False, text_dates=False),
)


@dataclass
class Template:
    """A real record that yields cases, and how its copies are perturbed."""

    source: str
    output: str  # value of OUTPUT_BY_DATASET
    record: dict[str, Any]
    cases: int
    issuer: str
    date_mode: str  # "day", "year" or "none"
    base_date: date | None
    row_plans: list[tuple[NamePlan | None, NamePlan | None]] = field(default_factory=list)
    party_plans: list[tuple[str, NamePlan]] = field(default_factory=list)
    primary_fine: Decimal | None = None
    has_amounts: bool = False
    perturbation: Perturbation = field(default_factory=Perturbation)


@dataclass
class DatePools:
    """Real dates per (output file, issuer) with cumulative weights (the cases of their templates), and the real span."""

    day: dict[tuple[str, str], tuple[list[date], list[int]]]
    year: dict[tuple[str, str], tuple[list[int], list[int]]]
    first_day: date
    last_day: date


@functools.lru_cache(maxsize=2)
def load_templates(real_root: Path) -> tuple[list[Template], dict[str, Any]]:
    """Import and parse the real records, keep the documents that yield cases, and plan their copies.

    The result does not depend on the seed, so it is cached per folder for repeated runs in
    one process. Callers must not change the returned templates.
    """
    maker = NameMaker(random.Random(0))
    result = import_archive(real_root)
    documents = [document for document in result.documents if document.source in SOURCES]
    if not documents:
        raise FileNotFoundError(
            f"no lawdatify records found under {real_root}; pass real_root (--real-root) as the folder "
            "that contains lawdatify/cases/cases.json and lawdatify/appviol/docs.json"
        )

    drafts = []
    for document in documents:
        try:
            drafts += parse_document(document)
        except Exception as error:  # the ETL marks such a document failed too; it yields no case
            logger.warning("real document not parsed, left out: document_id=%s error=%r", document.document_id, error)
    kept, _superseded = resolve_overlaps(drafts)
    kept_by_document: dict[str, list] = defaultdict(list)
    for draft in kept:
        kept_by_document[draft.document_id].append(draft)

    templates: list[Template] = []
    levels: Counter[int] = Counter()
    dropped = 0
    for document in documents:
        document_drafts = kept_by_document.get(document.document_id)
        if not document_drafts:
            continue
        template = _build_template(document, document_drafts, maker)
        if template is None:
            dropped += 1
            continue
        levels[PERTURBATION_LADDER.index(template.perturbation)] += 1
        templates.append(template)

    stats = {
        "real_documents": len(documents),
        "templates": len(templates),
        "template_cases": sum(template.cases for template in templates),
        "templates_dropped": dropped,
        "templates_by_perturbation": {_ladder_label(level): count for level, count in sorted(levels.items())},
        "templates_with_fine": sum(1 for template in templates if template.primary_fine is not None),
        "app_rows": sum(len(template.row_plans) for template in templates),
        "app_rows_with_new_operator": sum(
            1 for template in templates if template.perturbation.names for _app, dev in template.row_plans if dev is not None
        ),
    }
    logger.info("templates prepared: %s", stats)
    return templates, stats


def _ladder_label(level: int) -> str:
    perturbation = PERTURBATION_LADDER[level]
    changed = [name for name, value in vars(perturbation).items() if value]
    return "+".join(changed) or "url+date only"


def _output_key(document: RawDocument) -> str:
    return OUTPUT_BY_DATASET[str(document.meta.get("dataset", ""))]


def _build_template(document: RawDocument, drafts: list, maker: NameMaker) -> Template | None:
    record = document.json_content()
    record.pop("merged_from", None)
    record["url"] = str(document.meta.get("upstream_url") or record.get("url"))

    date_text = str(record.get("date") or "")
    if not ISO_DATE_RE.match(date_text):
        date_mode, base_date = "none", None
    else:
        base_date = date.fromisoformat(date_text)
        date_mode = "year" if record.get("date_precision") == "year" else "day"

    template = Template(
        source=document.source,
        output=_output_key(document),
        record=record,
        cases=len(drafts),
        issuer=str(record.get("agency") or record.get("org") or ""),
        date_mode=date_mode,
        base_date=base_date,
    )
    originals = [normalize_draft(draft) for draft in drafts]
    _plan_names(template, drafts, maker)
    _plan_amounts(template, originals)

    probe_rng = random.Random(hash_seed("probe", document.document_id))
    probe_maker = NameMaker(probe_rng)
    for perturbation in PERTURBATION_LADDER:
        candidate = replace(template, perturbation=perturbation, row_plans=list(template.row_plans))
        # App rows whose made-up names change the case keep their real names; the other rows still change.
        for _attempt in range(3):
            failing = _probe_failures(candidate, originals, probe_maker, probe_rng)
            if failing == []:
                return candidate
            if failing is None or not (perturbation.names and candidate.row_plans):
                break
            for index in failing:
                candidate.row_plans[index] = (None, None)
    logger.warning("template left out, every probe copy differs from the original: document_id=%s", document.document_id)
    return None


def _plan_names(template: Template, drafts: list, maker: NameMaker) -> None:
    if template.source == "lawdatify_appviol":
        for entry in template.record.get("entries") or []:
            app, dev = str(entry.get("app") or ""), str(entry.get("dev") or "")
            if is_suspect_row(app, dev):
                template.row_plans.append((None, None))
                continue
            template.row_plans.append((plan_name(app, maker, check_party=False), plan_name(dev, maker, check_party=True)))
        return

    if template.source != "lawdatify_cases":
        return
    names: list[str] = []
    for draft in drafts:
        candidates = [draft.party_raw, *draft.extra.get("parties_mentioned", []), *draft.extra.get("co_parties_mentioned", [])]
        for name in candidates:
            if name and str(name) not in names:
                names.append(str(name))
    # Longer names first, so 「甲科技有限公司」 is replaced before a shorter name inside it.
    for name in sorted(names, key=len, reverse=True):
        plan = plan_name(name, maker, check_party=True)
        if plan is not None:
            template.party_plans.append((name, plan))


def _plan_amounts(template: Template, originals: list) -> None:
    if template.source != "lawdatify_cases":
        return
    texts = [str(template.record.get("fact") or ""), *(str(amount) for amount in template.record.get("fines") or [])]
    template.has_amounts = any(AMOUNT_RE.search(text) for text in texts)
    fines = [case.fine_cny for case in originals if case.fine_cny is not None and case.fine_cny > 0]
    template.primary_fine = fines[0] if fines else None


def _signature(case) -> tuple:
    return (
        case.regulator, case.regulator_family, case.province, case.industry, case.domain, case.party_type,
        tuple(case.violation_types), tuple(case.outcome_types), case.fine_cny is not None,
        case.confiscation_cny is not None, case.decision_number is not None,
        case.decision_date is not None, case.publish_date_precision,
    )


def _probe_failures(template: Template, originals: list, maker: NameMaker, rng: random.Random) -> list[int] | None:
    """Render one copy, parse and normalize it, and list the cases that differ from the original.

    Returns None when the copy does not parse or gives another number of cases.
    """
    copier = Copier(_own_date_pools(template), maker, rng, seed=0)
    moved = None
    if template.base_date is not None:
        # A moved date exercises the shift of the dates in the text.
        moved = template.base_date if template.date_mode == "year" else template.base_date + timedelta(days=40)
    record, factor = copier.render(template, sequence=-1, new_date=moved)
    document = _raw_document(template.source, record)
    try:
        cases = [normalize_draft(draft) for draft in parse_document(document)]
    except Exception as error:  # a probe copy that breaks the parser fails the check
        logger.debug("probe copy failed to parse: url=%s error=%r", record.get("url"), error)
        return None
    if len(cases) != len(originals):
        return None

    failing = []
    for index, (original, probe) in enumerate(zip(originals, cases)):
        if _signature(original) != _signature(probe):
            failing.append(index)
        elif original.fine_cny is not None and factor is not None:
            expected = original.fine_cny * factor
            if probe.fine_cny is None or abs(probe.fine_cny - expected) > max(Decimal(1), expected * Decimal("0.002")):
                failing.append(index)
    return failing


def _own_date_pools(template: Template) -> DatePools:
    """Date pools that hold only the template's own date, for its probe copy."""
    day = template.base_date or date(2020, 1, 1)
    key = (template.output, template.issuer)
    return DatePools(day={key: ([day], [1])}, year={key: ([day.year], [1])}, first_day=day, last_day=day)


def _raw_document(source: str, record: dict[str, Any]) -> RawDocument:
    """Build the raw document the importer would build for one record."""
    page_url, fragment = split_fragment(str(record["url"]))
    return RawDocument.build(
        source=source,
        url=page_url,
        content=json.dumps(record, ensure_ascii=False),
        content_type="application/json",
        fetched_at=datetime(2026, 9, 16, tzinfo=timezone.utc),
        record_key=fragment,
        meta={"record_key": fragment, "upstream_url": record["url"]},
    )


def build_date_pools(templates: list[Template]) -> DatePools:
    """Collect the real dates of the templates per (output file, issuer), weighted by their cases."""
    day: dict[tuple[str, str], tuple[list[date], list[int]]] = {}
    year: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    days = [template.base_date for template in templates if template.date_mode == "day" and template.base_date]
    for template in templates:
        if template.base_date is None:
            continue
        key = (template.output, template.issuer)
        if template.date_mode == "day":
            values, weights = day.setdefault(key, ([], []))
            values.append(template.base_date)
        else:
            values, weights = year.setdefault(key, ([], []))
            values.append(template.base_date.year)
        weights.append(template.cases)

    # random.choices takes cumulative weights without summing them on every draw.
    for pools in (day, year):
        for key, (values, weights) in pools.items():
            pools[key] = (values, list(itertools.accumulate(weights)))
    return DatePools(day=day, year=year, first_day=min(days), last_day=max(days))


# ---------------------------------------------------------------------------
# Copies


def hash_seed(*parts: object) -> int:
    """Hash the parts into a 64-bit integer that, unlike hash(), is the same in every process."""
    digest = hashlib.blake2b("\x1f".join(str(part) for part in parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def synthetic_url(url: str, sequence: int) -> str:
    """Return the URL with a `synth=<sequence>` query parameter, its fragment kept."""
    page_url, fragment = split_fragment(url)
    separator = "&" if "?" in page_url else "?"
    return f"{page_url}{separator}synth={sequence}" + (f"#{fragment}" if fragment else "")


def shift_text_dates(text: str, days: int) -> str:
    """Move every full date written as 「2024年3月6日」 by `days`; impossible dates stay as written."""
    if not days:
        return text

    def shift(match: re.Match[str]) -> str:
        try:
            moved = date(int(match.group(1)), int(match.group(3)), int(match.group(5))) + timedelta(days=days)
        except ValueError:
            return match.group(0)
        return f"{moved.year}{match.group(2)}{moved.month}{match.group(4)}{moved.day}{match.group(6)}"

    return TEXT_DATE_RE.sub(shift, text)


def scale_amounts(text: str, factor: Decimal) -> str:
    """Multiply every amount in yuan in a text by `factor`, leaving statutory ranges as written."""
    if not text:
        return text
    ranges = [match.span() for pattern in RANGE_PATTERNS for match in pattern.finditer(text)]

    def scale(match: re.Match[str]) -> str:
        start, end = match.span()
        if any(start < range_end and range_start < end for range_start, range_end in ranges):
            return match.group(0)
        value = parse_amount(match.group(0))
        if value is None:
            return match.group(0)
        return format_amount(value * factor, match) + "元"

    return AMOUNT_RE.sub(scale, text)


def format_amount(value: Decimal, match: re.Match[str]) -> str:
    """Write an amount in the unit its original used: 「4.3万」 for a 万 amount, else 「43000」 (without 元)."""
    approximate = match.group("approx") or ""
    uses_wan = "万" in (match.group("multiplier") or "") or "万" in (match.group("chinese") or "")
    if uses_wan and value >= 10000:
        return _plain(value / 10000, 4) + "万" + approximate
    return _plain(value, 2) + approximate


def _plain(value: Decimal, places: int) -> str:
    text = f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _round_significant(value: Decimal, digits: int) -> Decimal:
    if value <= 0:
        return value
    exponent = math.floor(math.log10(float(value))) - digits + 1
    return value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)


class Copier:
    """Renders perturbed copies of templates from one seeded random stream."""

    def __init__(self, dates: DatePools, maker: NameMaker, rng: random.Random, seed: int):
        self.dates = dates
        self.maker = maker
        self.rng = rng
        self.seed = seed

    def draw_date(self, template: Template) -> date | None:
        if template.date_mode == "none" or template.base_date is None:
            return None
        key = (template.output, template.issuer)
        uniform = self.rng.random() < UNIFORM_DATE_SHARE
        if template.date_mode == "year":
            if uniform:
                year = self.rng.randint(self.dates.first_day.year, self.dates.last_day.year)
            else:
                values, weights = self.dates.year.get(key, ([template.base_date.year], [1]))
                year = self.rng.choices(values, cum_weights=weights)[0]
            return date(year, 1, 1)

        first, last = self.dates.first_day, self.dates.last_day
        if uniform:
            return first + timedelta(days=self.rng.randint(0, (last - first).days))
        values, weights = self.dates.day.get(key, ([template.base_date], [1]))
        drawn = self.rng.choices(values, cum_weights=weights)[0] + timedelta(days=self.rng.randint(-DATE_JITTER_DAYS, DATE_JITTER_DAYS))
        return min(max(drawn, first), last)

    def render(self, template: Template, sequence: int, new_date: date | None = None) -> tuple[dict[str, Any], Decimal | None]:
        """Return a perturbed copy of the template's record and the factor its amounts were scaled by."""
        record = dict(template.record)
        record["url"] = synthetic_url(str(template.record["url"]), sequence)
        new_date = new_date or self.draw_date(template)
        days = 0
        if new_date is not None and template.base_date is not None:
            record["date"] = new_date.isoformat()
            days = (new_date - template.base_date).days

        factor = None
        if template.source == "lawdatify_appviol":
            self._perturb_notice(template, record, sequence)
        elif template.source == "lawdatify_cases":
            factor = self._perturb_decision(template, record, days)
        elif template.source == "lawdatify_batches" and new_date is not None and record.get("year"):
            record["year"] = new_date.year
        return record, factor

    def _perturb_notice(self, template: Template, record: dict[str, Any], sequence: int) -> None:
        record["id"] = hashlib.blake2b(f"{self.seed}:{sequence}".encode(), digest_size=6).hexdigest()
        if record.get("batch_year") and record.get("date"):
            record["batch_year"] = int(str(record["date"])[:4])
        if not template.perturbation.names or not template.row_plans:
            return
        entries = []
        for entry, (app_plan, dev_plan) in zip(record.get("entries") or [], template.row_plans):
            entry = dict(entry)
            if app_plan is not None:
                entry["app"] = self.maker.render(app_plan)
            if dev_plan is not None:
                entry["dev"] = self.maker.render(dev_plan)
            entries.append(entry)
        record["entries"] = entries

    def _perturb_decision(self, template: Template, record: dict[str, Any], days: int) -> Decimal | None:
        perturbation = template.perturbation
        title = str(record.get("title") or "")
        fact = str(record.get("fact") or "")

        if perturbation.names:
            for name, plan in template.party_plans:
                new_name = self.maker.render(plan)
                title = title.replace(name, new_name)
                fact = fact.replace(name, new_name)

        caseno = str(record.get("caseno") or "")
        if perturbation.case_numbers and caseno:
            matches = list(CASE_NUMBER_DIGITS_RE.finditer(caseno))
            if matches:
                last = matches[-1]
                width = len(last.group(1))
                number = str(self.rng.randint(10 ** (width - 1) if width > 1 else 1, 10**width - 1))
                new_caseno = caseno[: last.start(1)] + number + caseno[last.end(1):]
                title, fact = title.replace(caseno, new_caseno), fact.replace(caseno, new_caseno)
                record["caseno"] = new_caseno

        if perturbation.text_dates and days:
            fact = shift_text_dates(fact, days)

        factor = None
        if perturbation.amounts and template.has_amounts:
            jitter = Decimal(str(round(math.exp(self.rng.gauss(0.0, AMOUNT_SIGMA)), 4)))
            if template.primary_fine is not None:
                factor = _round_significant(template.primary_fine * jitter, 2) / template.primary_fine
            else:
                factor = jitter
            fact = scale_amounts(fact, factor)
            record["fines"] = [scale_amounts(str(amount), factor) for amount in record.get("fines") or []]

        record["title"], record["fact"] = title, fact
        return factor


# ---------------------------------------------------------------------------
# Output


class RecordListWriter:
    """Writer of one output file: records streamed into `{"<key>": [...], "meta": {...}}`, or one JSON line each."""

    def __init__(self, path: Path, list_key: str | None):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.list_key = list_key
        self.handle: TextIO = path.open("w", encoding="utf-8")
        self.count = 0
        if list_key is not None:
            self.handle.write(f'{{"{list_key}": [\n')

    def write(self, record: dict[str, Any]) -> None:
        text = json.dumps(record, ensure_ascii=False)
        if self.list_key is None:
            self.handle.write(text + "\n")
        else:
            self.handle.write((",\n" if self.count else "") + text)
        self.count += 1

    def close(self, meta: dict[str, Any] | None) -> int:
        """Write the meta block (after the records, so it can hold their count) and return the file size."""
        if self.list_key is not None:
            self.handle.write("\n],\n" + f'"meta": {json.dumps(meta or {}, ensure_ascii=False)}' + "}\n")
        self.handle.close()
        return self.path.stat().st_size


def plan_documents(templates: list[Template], cases: int, rng: random.Random) -> list[int]:
    """Return the template index of every synthetic document, shuffled, with cases summing to `cases`.

    Every template is copied floor(cases / real cases) times. The rest is a systematic
    sample: templates sorted by source, issuer and size are taken at an even step from a
    random start, so each has the same chance and every source and issuer keeps its share.
    Templates are then added or removed, smallest fitting first in random order, until the
    case count is exact.
    """
    total = sum(template.cases for template in templates)
    whole = cases // total
    order = [index for _ in range(whole) for index in range(len(templates))]
    remaining = cases - whole * total
    if remaining:
        order += _systematic_sample(templates, remaining / total, remaining, rng)
    rng.shuffle(order)
    return order


def _systematic_sample(templates: list[Template], fraction: float, target: int, rng: random.Random) -> list[int]:
    ranked = sorted(range(len(templates)), key=lambda i: (templates[i].source, templates[i].issuer, templates[i].cases, i))
    chosen: list[int] = []
    position = rng.random()
    for index in ranked:
        position += fraction
        if position >= 1.0:
            position -= 1.0
            chosen.append(index)

    # Fix the total: drop chosen templates while over the target, add others while under it.
    excess = sum(templates[index].cases for index in chosen) - target
    if excess > 0:
        rng.shuffle(chosen)
        remaining_chosen = []
        for index in chosen:
            if excess > 0 and templates[index].cases <= excess:
                excess -= templates[index].cases
            else:
                remaining_chosen.append(index)
        chosen = remaining_chosen
    if excess < 0:
        already_chosen = set(chosen)
        others = [index for index in range(len(templates)) if index not in already_chosen]
        rng.shuffle(others)
        for index in others:
            if excess < 0 and templates[index].cases <= -excess:
                chosen.append(index)
                excess += templates[index].cases
    return chosen


def _real_meta(real_root: Path, relative: str) -> dict[str, Any]:
    path = real_root / relative
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return dict(data.get("meta") or {}) if isinstance(data, dict) else {}


def _check_output_folder(out_dir: Path) -> None:
    resolved = out_dir.resolve()
    if resolved == REPO or REPO in resolved.parents:
        raise ValueError(
            f"output folder {out_dir} is inside the repository {REPO}; write synthetic archives under /tmp"
        )


def generate(out_dir: Path, cases: int, seed: int = 7, real_root: Path = DEFAULT_REAL_ROOT, progress: bool | None = None) -> dict:
    """Write a synthetic archive of about `cases` cases to `out_dir` and return a summary.

    The summary contains the documents per file, the expected case count, app rows, bytes per
    file, the wall-clock seconds (preparing templates, and in all), the CPU seconds and template
    stats. The expected count is the sum of the drafts of every document, because no document
    shares a URL or overlap key with another. The same seed, real files and ETL code give the
    same output.
    """
    if cases < 1:
        raise ValueError(f"cases must be a positive number, got {cases}")
    out_dir, real_root = Path(out_dir), Path(real_root)
    _check_output_folder(out_dir)
    if not real_root.is_dir():
        raise FileNotFoundError(
            f"real records folder not found: {real_root}; pass the folder that contains lawdatify/ "
            "as real_root (--real-root)"
        )
    started, cpu_started = time.perf_counter(), time.process_time()

    templates, template_stats = load_templates(real_root.resolve())
    rng = random.Random(seed)
    maker = NameMaker(rng)
    dates = build_date_pools(templates)
    prepared = time.perf_counter()

    order = plan_documents(templates, cases, rng)
    copier = Copier(dates, maker, rng, seed)
    spec = load_archive_spec()["lawdatify"]
    paths = {"docs": spec["appviol_docs"]["path"], "batches": spec["batches"]["path"],
             "cases": spec["cases"]["path"], "local_amr": spec["local_amr"]["path"]}
    list_keys = {"docs": "docs", "batches": "batches", "cases": "cases", "local_amr": None}
    writers = {key: RecordListWriter(out_dir / paths[key], list_keys[key]) for key in paths}

    used_keys: set[int] = set()
    expected_cases = app_rows = redraws = title_suffixes = 0
    show = sys.stderr.isatty() and cases >= 50_000 if progress is None else progress
    try:
        from tqdm import tqdm

        for sequence, index in enumerate(tqdm(order, desc="documents", unit="doc", disable=not show)):
            template = templates[index]
            record, _factor = copier.render(template, sequence)
            if _needs_unique_key(template):
                record, tries, suffixed = _make_key_unique(copier, template, record, sequence, used_keys)
                redraws += tries
                title_suffixes += suffixed
            writers[template.output].write(record)
            expected_cases += template.cases
            app_rows += len(record.get("entries") or [])
    finally:
        sizes = {}
        for key, writer in writers.items():
            meta = {
                "updated": _real_meta(real_root, paths[key]).get("updated"),
                "synthetic": True,
                "generator": "benchmarks/synth_corpus.py",
                "seed": seed,
                "records": writer.count,
            }
            sizes[paths[key]] = writer.close(meta if list_keys[key] else None)

    seconds = time.perf_counter() - started
    summary = {
        "out_dir": str(out_dir),
        "seed": seed,
        "cases_requested": cases,
        "cases_expected": expected_cases,
        "documents": {paths[key]: writer.count for key, writer in writers.items()},
        "app_rows": app_rows,
        "bytes": sizes,
        "bytes_total": sum(sizes.values()),
        "date_redraws": redraws,
        "title_suffixes": title_suffixes,
        "seconds_prepare": round(prepared - started, 2),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(time.process_time() - cpu_started, 2),
        "templates": dict(template_stats),
        "real_root": str(real_root),
    }
    _write_readme(out_dir, summary)
    logger.info("synthetic archive written: %s", summary)
    return summary


def _needs_unique_key(template: Template) -> bool:
    """Tell whether a copy could share its overlap key (title, date, issuer, app rows) with another copy.

    The ETL links app notices with app rows, or without rows but with a day date, and dated
    decisions. A notice with at least two renamed app names differs from other copies by
    its rows; batch records and undated decisions have no such key.
    """
    if template.source == "lawdatify_batches":
        return False
    if template.source == "lawdatify_cases":
        return template.date_mode != "none"

    has_rows = bool(template.record.get("entries"))
    if not has_rows and template.date_mode != "day":
        return False
    renamed = sum(plan is not None for row in template.row_plans for plan in row) if template.perturbation.names else 0
    return renamed < 2


def _make_key_unique(
    copier: Copier, template: Template, record: dict[str, Any], sequence: int, used: set[int]
) -> tuple[dict[str, Any], int, int]:
    """Redraw the date (then add a title suffix) until (source, title, date, issuer) is unused."""
    def key(candidate: dict[str, Any]) -> int:
        return hash_seed(template.source, re.sub(r"\s+", "", str(candidate.get("title") or "")), candidate.get("date"), template.issuer)

    tries = 0
    while key(record) in used and tries < DATE_REDRAWS:
        tries += 1
        record, _factor = copier.render(template, sequence)
    suffixed = 0
    number = 2
    title = str(record.get("title") or "")
    while key(record) in used:
        suffixed = 1
        record["title"] = f"{title}（{number}）"
        number += 1
    used.add(key(record))
    return record, tries, suffixed


def _write_readme(out_dir: Path, summary: dict[str, Any]) -> None:
    lines = [
        "# Synthetic enforcement records",
        "",
        "Generated by benchmarks/synth_corpus.py from the real lawdatify records as templates.",
        "Names, URLs, dates, amounts and decision numbers are made up: these are not real records.",
        "",
        f"- seed: {summary['seed']}",
        f"- cases expected: {summary['cases_expected']} (requested {summary['cases_requested']})",
        *(f"- {path}: {count} records" for path, count in summary["documents"].items()),
        "",
    ]
    (out_dir / "SYNTHETIC.md").write_text("\n".join(lines), encoding="utf-8")


# ---------------------------------------------------------------------------
# Distributions of a built warehouse


QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


def distribution_table(db_path: Path, top: int = 10) -> dict:
    """Return the shares of the top values of the main dimensions and the fine and text length quantiles.

    Shares are fractions of all cases: for violation and outcome types a case with several
    types counts once under each, so those shares can sum to more than 1. A missing
    province or regulator family counts as "(none)".
    """
    from warehouse.db import connect

    con = connect(Path(db_path), read_only=True)
    try:
        total = con.execute("SELECT count(*) FROM v_cases").fetchone()[0]
        if not total:
            raise ValueError(f"warehouse {db_path} has no cases; run `eintel import` and `eintel load` first")

        def shares(sql: str) -> list[tuple[str, float]]:
            rows = con.execute(sql + f" ORDER BY 2 DESC, 1 LIMIT {int(top)}").fetchall()
            return [(value if value is not None else "(none)", round(count / total, 4)) for value, count in rows]

        table: dict[str, Any] = {"cases": total}
        for column in ("source", "regulator_family", "province", "industry", "domain"):
            table[column] = shares(f"SELECT {column}, count(*) FROM v_cases GROUP BY 1")
        table["violation_type"] = shares("SELECT violation_type, count(DISTINCT case_id) FROM v_case_violations GROUP BY 1")
        table["outcome_type"] = shares("SELECT outcome_type, count(DISTINCT case_id) FROM v_case_outcomes GROUP BY 1")

        quantile_list = ", ".join(str(q) for q in QUANTILES)
        with_fine, fine_quantiles = con.execute(
            f"SELECT count(*), quantile_cont(fine_cny::DOUBLE, [{quantile_list}]) FROM v_cases WHERE has_fine"
        ).fetchone()
        table["fine"] = {
            "share_with_fine": round(with_fine / total, 4),
            "quantiles_cny": dict(zip(map(str, QUANTILES), [round(v, 2) for v in fine_quantiles or []])),
        }
        text_quantiles = con.execute(f"SELECT quantile_cont(length(text), [{quantile_list}]) FROM v_cases").fetchone()[0]
        table["text_length"] = dict(zip(map(str, QUANTILES), [round(v, 1) for v in text_quantiles]))
        months, first, last = con.execute(
            "SELECT count(DISTINCT event_month), min(event_month), max(event_month) FROM v_cases"
        ).fetchone()
        span = (last.year - first.year) * 12 + last.month - first.month + 1 if first and last else 0
        table["event_months"] = {"covered": months, "span": span, "first": str(first), "last": str(last)}
        return table
    finally:
        con.close()


def format_comparison(real: dict, synthetic: dict, real_label: str = "real", synthetic_label: str = "synthetic") -> str:
    """Render two distribution tables side by side as plain text."""
    lines = [f"{'':28}{real_label:>22}{synthetic_label:>22}", f"{'cases':28}{real['cases']:>22}{synthetic['cases']:>22}"]
    for dimension in ("source", "regulator_family", "province", "industry", "domain", "violation_type", "outcome_type"):
        lines.append(f"[{dimension}] share of cases")
        real_shares, synthetic_shares = dict(real[dimension]), dict(synthetic[dimension])
        for value in dict.fromkeys([*real_shares, *synthetic_shares]):
            left = f"{real_shares[value]:.3f}" if value in real_shares else "-"
            right = f"{synthetic_shares[value]:.3f}" if value in synthetic_shares else "-"
            lines.append(f"  {str(value)[:26]:26}{left:>22}{right:>22}")
    lines.append("[fine]")
    lines.append(f"  {'share with fine':26}{real['fine']['share_with_fine']:>22.4f}{synthetic['fine']['share_with_fine']:>22.4f}")
    for q in real["fine"]["quantiles_cny"]:
        right = synthetic["fine"]["quantiles_cny"].get(q, "-")
        lines.append(f"  {'fine p' + q:26}{real['fine']['quantiles_cny'][q]:>22}{right:>22}")
    lines.append("[text length, characters]")
    for q in real["text_length"]:
        lines.append(f"  {'p' + q:26}{real['text_length'][q]:>22}{synthetic['text_length'].get(q, '-'):>22}")
    lines.append("[event months covered / span]")
    lines.append(
        f"  {'months':26}{str(real['event_months']['covered']) + '/' + str(real['event_months']['span']):>22}"
        f"{str(synthetic['event_months']['covered']) + '/' + str(synthetic['event_months']['span']):>22}"
    )
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Command line


def machine_info() -> dict[str, Any]:
    return describe_machine(("duckdb", "pydantic", "pyyaml"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, help="number of cases the ETL should produce from the archive")
    parser.add_argument("--out", help="output folder of the synthetic archive (outside the repository, e.g. under /tmp)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--real-root", default=str(DEFAULT_REAL_ROOT),
                        help=f"folder of the real records used as templates (default {DEFAULT_REAL_ROOT})")
    parser.add_argument("--results", help="also write the summary with machine, command and timestamp to this JSON file")
    parser.add_argument("--compare", nargs=2, metavar=("REAL_DB", "SYNTHETIC_DB"),
                        help="print the distribution tables of two warehouses side by side and stop")
    parser.add_argument("--top", type=int, default=10, help="values per dimension in --compare (default 10)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if args.compare:
        real, synthetic = (distribution_table(Path(path), top=args.top) for path in args.compare)
        print(format_comparison(real, synthetic))
        return 0
    if args.cases is None or args.out is None:
        parser.error("--cases and --out are required unless --compare is given")

    try:
        summary = generate(Path(args.out), args.cases, seed=args.seed, real_root=Path(args.real_root))
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if args.results:
        record = {
            "benchmark": "synth_corpus",
            "command": " ".join([".venv/bin/python", "benchmarks/synth_corpus.py", *(argv if argv is not None else sys.argv[1:])]),
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "summary": summary,
        }
        Path(args.results).write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
