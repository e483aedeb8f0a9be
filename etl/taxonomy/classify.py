"""Keyword and regex classifiers over the taxonomies of this package.

Each classifier folds its input with `normalize_text` and tries the categories of one
taxonomy in file order. None of them raises on odd input: empty or unmatched text
gives the documented fallback (`other`, or an empty list when there is no input).
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from functools import lru_cache

from etl.taxonomy import Category, load_lookups, load_taxonomy, normalize_text

logger = logging.getLogger(__name__)

OTHER = "other"
DATA_PROTECTION = "data_protection"

# Footnote digits and sentence ends that PDF and OCR extraction leave on MIIT problem
# labels: 「未向用户明示申请的全部隐私权限。2」, 「Java代码反编译风险等中高危漏洞多处。。」.
LABEL_TAIL_RE = re.compile(r"[。.,;、\s]*\d{0,2}\s*$")
WHITESPACE_RE = re.compile(r"\s+")


def classify_violations(texts: list[str]) -> list[str]:
    """Return the violation-type codes found in the texts, in taxonomy order and without repeats.

    Returns ["other"] when the texts hold something but no type matches, and [] when
    every text is empty or blank.
    """
    normalized = [normalize_text(text) for text in texts if text and text.strip()]
    if not normalized:
        return []

    codes = _matching_codes(load_taxonomy("violation_types"), normalized)
    return codes or [OTHER]


def classify_app_problem_labels(labels: list[str]) -> list[str]:
    """Return the violation-type codes of the problem labels (probs) of one app in a MIIT notice.

    Footnote digits and trailing punctuation are cut from each label before matching.
    Returns ["other"] when no label matches, [] when there are no non-blank labels.
    """
    # MIIT words its problems in a few dozen standard labels, so label sets repeat across apps.
    return list(_classify_label_set(tuple(labels)))


@lru_cache(maxsize=4096)
def _classify_label_set(labels: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = [_clean_problem_label(label) for label in labels if label and label.strip()]
    cleaned = [label for label in cleaned if label]
    if not cleaned:
        return ()

    codes = _matching_codes(load_taxonomy("violation_types"), [normalize_text(label) for label in cleaned])
    if not codes:
        logger.debug("No violation type for problem labels %r", cleaned)
    return tuple(codes or [OTHER])


def classify_outcomes(
    text: str,
    fine_cny: Decimal | None,
    confiscation_cny: Decimal | None,
    notice_kind: str = "",
) -> list[str]:
    """Return the outcome-type codes of a decision, in taxonomy order and without repeats.

    Evidence comes from the text (a decision or a 行政处罚内容 cell), the known amounts
    (a fine amount implies `fine`, a confiscation amount `confiscation`) and the notice
    kind (批次通报 implies `public_notice` and `rectification_order`, 下架处置 implies
    `app_removal`). Returns ["other"] when there is evidence to read but nothing
    matches, and [] only when text, amounts and notice kind are all empty.
    """
    normalized_text = normalize_text(text or "")
    normalized_kind = normalize_text(notice_kind or "")
    if not normalized_text and not normalized_kind and fine_cny is None and confiscation_cny is None:
        return []

    found = set(_matching_codes(load_taxonomy("outcome_types"), [normalized_text] if normalized_text else []))
    if fine_cny is not None and fine_cny > 0:
        found.add("fine")
    if confiscation_cny is not None and confiscation_cny > 0:
        found.add("confiscation")
    found.update(_codes_for_notice_kind(normalized_kind))

    codes = [category.code for category in load_taxonomy("outcome_types") if category.code in found]
    return codes or [OTHER]


def classify_industry(party_name: str | None, text: str = "", default: str = OTHER) -> str:
    """Return one industry code, decided by the party name when it matches and else by the text.

    The first category in taxonomy order whose keywords or patterns occur in the party
    name wins. Without a match there, the category with the most distinct
    `text_keywords` in the text wins (ties go to the earlier category). Returns
    `default` when neither decides, so an app notice can pass "internet_platforms".
    """
    categories = load_taxonomy("industries")

    name = WHITESPACE_RE.sub("", normalize_text(party_name or ""))
    if name:
        for category in categories:
            if category.code != OTHER and category.matches(name):
                return category.code

    code = _industry_from_text(normalize_text(text or ""))
    return code or default


def classify_domain(
    texts: list[str],
    violation_codes: list[str],
    regulator_family: str | None = None,
    upstream_type: str = "",
) -> str:
    """Return "data_protection" or "other" for a case.

    Text evidence decides first: the distinct data-protection keywords and patterns
    found in the texts, plus one point per violation code other than `other`, against
    the distinct other-domain keywords. On a tie the regulator family decides (CAC,
    MIIT and MPS are data protection), then the upstream `type` hint. Without any of
    them the result is "other".
    """
    normalized = [normalize_text(text) for text in texts if text and text.strip()]
    data_protection_score = _evidence_count(DATA_PROTECTION, normalized)
    data_protection_score += sum(1 for code in set(violation_codes) if code != OTHER)
    other_score = _evidence_count(OTHER, normalized)

    if data_protection_score != other_score:
        return DATA_PROTECTION if data_protection_score > other_score else OTHER

    lookups = load_lookups("domains")
    family = normalize_text(regulator_family or "")
    if family:
        for code in (DATA_PROTECTION, OTHER):
            if family in lookups[code]["regulator_families"]:
                return code

    hint = normalize_text(upstream_type or "")
    if hint:
        for code in (DATA_PROTECTION, OTHER):
            if hint in lookups[code]["upstream_types"]:
                return code

    return OTHER


def _matching_codes(categories: list[Category], normalized_texts: list[str]) -> list[str]:
    codes: list[str] = []
    for category in categories:
        if category.code == OTHER:
            continue
        if any(category.matches(text) for text in normalized_texts):
            codes.append(category.code)
    return codes


def _clean_problem_label(label: str) -> str:
    stripped = label.strip()
    return LABEL_TAIL_RE.sub("", stripped).strip()


def _codes_for_notice_kind(normalized_kind: str) -> list[str]:
    if not normalized_kind:
        return []

    lookups = load_lookups("outcome_types")
    return [code for code, fields in lookups.items() if normalized_kind in fields["notice_kinds"]]


def _industry_from_text(normalized_text: str) -> str | None:
    if not normalized_text:
        return None

    lookups = load_lookups("industries")
    best_code: str | None = None
    best_hits = 0
    for category in load_taxonomy("industries"):
        hits = sum(1 for keyword in lookups[category.code]["text_keywords"] if keyword in normalized_text)
        if hits > best_hits:
            best_code, best_hits = category.code, hits
    return best_code


def _evidence_count(domain_code: str, normalized_texts: list[str]) -> int:
    category = next(category for category in load_taxonomy("domains") if category.code == domain_code)
    joined = "\n".join(normalized_texts)
    for pattern in category.exclude:
        joined = pattern.sub(" ", joined)

    keyword_hits = sum(1 for keyword in category.keywords if keyword in joined)
    pattern_hits = sum(1 for pattern in category.patterns if pattern.search(joined))
    return keyword_hits + pattern_hits
