"""The risk rule: thresholds and points of risk_rules.yaml applied to a practice's matched cases.

Each practice collects points. Every reason that applies adds its points and carries a
sentence in zh and en, so a reader sees why a level was given. The level is high or
medium from the minimums of risk_rules.yaml, else low. The profile also gets findings
of its own: one per cross-border transfer and one per data category.
docs/risk-profile.md explains the rule.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import yaml

from nlp.formatting import format_cny, format_date, format_similarity, join_items
from nlp.profile import Practice, RiskProfile, data_category, mechanism_term

if TYPE_CHECKING:
    from nlp.match import MatchedCase

RULES_FILE = Path(__file__).with_name("risk_rules.yaml")

LEVELS = ("high", "medium", "low")


class RiskRulesError(ValueError):
    """Raised when the risk rules file is missing, is not valid YAML or lacks an entry."""


def most_common(counter: Counter[str]) -> list[tuple[str, int]]:
    """Order by count, most common first; ties in code order, so reports are stable."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class RiskRules:
    """The thresholds, points and reason sentences of risk_rules.yaml."""

    close_similarity: float
    keyword_close_rank: int
    keyword_close_similarity: float
    many_close_cases: int
    severe_outcomes: tuple[str, ...]
    large_fine_cny: float
    recent_years: int
    points: dict[str, int]
    levels: dict[str, int]
    reasons: dict[str, dict[str, str]]
    transfer_levels: dict[str, str]
    profile_reasons: dict[str, dict[str, str]]
    category_levels: dict[str, str]

    @classmethod
    def load(cls, path: Path = RULES_FILE) -> RiskRules:
        """Read a rules file; raises RiskRulesError naming the file and the missing or invalid entry."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise RiskRulesError(f"failed to read the risk rules {path}: {error}") from error
        try:
            rules = cls(
                close_similarity=float(data["close_similarity"]),
                keyword_close_rank=int(data["keyword_close_rank"]),
                keyword_close_similarity=float(data["keyword_close_similarity"]),
                many_close_cases=int(data["many_close_cases"]),
                severe_outcomes=tuple(data["severe_outcomes"]),
                large_fine_cny=float(data["large_fine_cny"]),
                recent_years=int(data["recent_years"]),
                points={name: int(value) for name, value in data["points"].items()},
                levels={name: int(value) for name, value in data["levels"].items()},
                reasons=data["reasons"],
                transfer_levels=data["transfer_levels"],
                profile_reasons=data["profile_reasons"],
                category_levels=data["category_levels"],
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RiskRulesError(f"invalid risk rules {path}: missing or invalid entry {error}") from error
        return rules

    def is_close(self, similarity: float, keyword_rank: int | None) -> bool:
        """Tell whether a matched case is close: similar enough, or a top keyword match similar enough."""
        if similarity >= self.close_similarity:
            return True
        top_keyword = keyword_rank is not None and keyword_rank <= self.keyword_close_rank
        return top_keyword and similarity >= self.keyword_close_similarity

    def level(self, points: int) -> str:
        """Return the level of a point sum: high or medium from their minimums, else low."""
        if points >= self.levels["high"]:
            return "high"
        if points >= self.levels["medium"]:
            return "medium"
        return "low"


@cache
def default_rules() -> RiskRules:
    """Return the rules of risk_rules.yaml, read once per process."""
    return RiskRules.load()


@dataclass(frozen=True)
class Reason:
    """One reason behind a level: a code of risk_rules.yaml, the points it adds and its sentences."""

    code: str
    points: int
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class ProfileFinding:
    """A profile-level finding: a cross-border transfer or a data category, with its level and reasons.

    `kind` is "cross_border_transfer" or "data_category"; `subject_zh`/`subject_en`
    name the destination or the category.
    """

    kind: str
    subject_zh: str
    subject_en: str
    level: str
    reasons: tuple[Reason, ...]

    def subject(self, lang: str) -> str:
        return self.subject_zh if lang == "zh" else self.subject_en


def _reason(rules: RiskRules, code: str, points: int, values: dict[str, dict[str, Any]], table: str = "reasons") -> Reason:
    """Fill the zh and en sentences of a reason; `values` maps each language to its placeholder values."""
    sentences = getattr(rules, table)[code]
    return Reason(
        code=code,
        points=points,
        zh=sentences["zh"].format(**values.get("zh", {})),
        en=sentences["en"].format(**values.get("en", {})),
    )


def _both(**values: Any) -> dict[str, dict[str, Any]]:
    """Placeholder values that read the same in both languages."""
    return {"zh": values, "en": values}


def _category_labels(codes: Iterable[str]) -> dict[str, str]:
    codes = list(codes)
    return {lang: join_items((data_category(code).label(lang) for code in codes), lang) for lang in ("zh", "en")}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        # 29 February of a leap year has no counterpart in most years.
        return day.replace(year=day.year - years, day=28)


def _severe_outcomes(close: Sequence[MatchedCase], rules: RiskRules, labels: dict[tuple[str, str], tuple[str, str]]) -> dict[str, str] | None:
    """Describe the severe outcomes among the close cases per language, or None when there are none."""
    counter: Counter[str] = Counter()
    for case in close:
        counter.update(code for code in set(case.outcome_types) if code in rules.severe_outcomes)
    large_fines = sum(1 for case in close if case.fine_cny is not None and case.fine_cny >= rules.large_fine_cny)
    if not counter and not large_fines:
        return None

    parts: dict[str, list[str]] = {"zh": [], "en": []}
    for code, count in most_common(counter):
        zh, en = labels.get(("outcome_types", code), (code, code))
        parts["zh"].append(f"{zh}（{count} 个案例）")
        parts["en"].append(f"{en} ({count} case{'s' if count > 1 else ''})")
    if large_fines:
        parts["zh"].append(f"罚款不少于{format_cny(rules.large_fine_cny, 'zh')}（{large_fines} 个案例）")
        parts["en"].append(
            f"fine of at least {format_cny(rules.large_fine_cny, 'en')} ({large_fines} case{'s' if large_fines > 1 else ''})"
        )
    return {lang: join_items(items, lang) for lang, items in parts.items()}


def practice_reasons(
    practice: Practice,
    profile: RiskProfile,
    cases: Sequence[MatchedCase],
    rules: RiskRules,
    labels: dict[tuple[str, str], tuple[str, str]],
    as_of: date,
) -> list[Reason]:
    """Apply the point rule of risk_rules.yaml to one practice and return every reason, in rule order."""
    reasons: list[Reason] = []
    points = rules.points
    close = [case for case in cases if case.close]
    threshold = format_similarity(rules.close_similarity)

    if not cases:
        reasons.append(_reason(rules, "no_match", 0, {}))
    elif close:
        best = max(close, key=lambda case: case.similarity)
        reasons.append(_reason(rules, "close_cases", points["close_cases"], {
            "zh": {"count": len(close), "closest": f"「{best.party}」", "best": format_similarity(best.similarity)},
            "en": {"count": len(close), "closest": f"“{best.party}”", "best": format_similarity(best.similarity)},
        }))
    else:
        best_similarity = max(case.similarity for case in cases)
        reasons.append(_reason(rules, "no_close_case", 0, _both(
            threshold=threshold, rank=rules.keyword_close_rank,
            floor=format_similarity(rules.keyword_close_similarity), best=format_similarity(best_similarity),
        )))

    if len(close) >= rules.many_close_cases:
        reasons.append(_reason(rules, "many_close_cases", points["many_close_cases"],
                               _both(count=len(close), minimum=rules.many_close_cases)))

    severe = _severe_outcomes(close, rules, labels)
    if severe is not None:
        reasons.append(_reason(rules, "severe_outcome", points["severe_outcome"],
                               {lang: {"outcomes": text} for lang, text in severe.items()}))

    dated = [case for case in close if case.event_date is not None]
    if dated:
        newest = max(dated, key=lambda case: case.event_date)  # type: ignore[arg-type, return-value]
        if newest.event_date >= _years_before(as_of, rules.recent_years):  # type: ignore[operator]
            reasons.append(_reason(rules, "recent_case", points["recent_case"], {
                lang: {"date": format_date(newest.event_date, newest.event_date_precision, lang), "years": rules.recent_years}
                for lang in ("zh", "en")
            }))

    sensitive = [code for code in practice.data_categories if data_category(code).sensitive]
    if sensitive:
        labels_by_lang = _category_labels(sensitive)
        reasons.append(_reason(rules, "sensitive_data", points["sensitive_data"],
                               {lang: {"categories": text} for lang, text in labels_by_lang.items()}))

    overlap: list[str] = []
    destinations: list[str] = []
    for transfer in profile.cross_border_transfers:
        shared = [code for code in transfer.data_categories if code in practice.data_categories]
        if transfer.mechanism == "none" and shared:
            overlap += [code for code in shared if code not in overlap]
            destinations.append(transfer.destination)
    if overlap:
        labels_by_lang = _category_labels(overlap)
        reasons.append(_reason(rules, "transfer_without_mechanism", points["transfer_without_mechanism"], {
            lang: {"categories": labels_by_lang[lang], "destinations": join_items(destinations, lang)}
            for lang in ("zh", "en")
        }))

    return reasons


def profile_findings(profile: RiskProfile, rules: RiskRules) -> list[ProfileFinding]:
    """Rate each cross-border transfer and each data category of the profile, transfers first."""
    findings: list[ProfileFinding] = []

    for transfer in profile.cross_border_transfers:
        categories = _category_labels(transfer.data_categories)
        categories = {lang: text or ("个人信息" if lang == "zh" else "Personal information") for lang, text in categories.items()}
        sensitive = [code for code in transfer.data_categories if data_category(code).sensitive]
        reasons: list[Reason] = []

        if transfer.mechanism == "none":
            level = rules.transfer_levels["without_mechanism"]
            reasons.append(_reason(rules, "transfer_without_mechanism", 0, {
                lang: {"destination": transfer.destination, "categories": categories[lang]} for lang in ("zh", "en")
            }, table="profile_reasons"))
        else:
            level = rules.transfer_levels["sensitive_with_mechanism" if sensitive else "with_mechanism"]
            mechanism = mechanism_term(transfer.mechanism)
            reasons.append(_reason(rules, "transfer_with_mechanism", 0, {
                lang: {"destination": transfer.destination, "categories": categories[lang],
                       "mechanism": mechanism.label(lang)}
                for lang in ("zh", "en")
            }, table="profile_reasons"))
        if sensitive:
            labels_by_lang = _category_labels(sensitive)
            reasons.append(_reason(rules, "transfer_sensitive", 0,
                                   {lang: {"categories": text} for lang, text in labels_by_lang.items()},
                                   table="profile_reasons"))
        reasons.append(_reason(rules, "transfer_consent", 0, {}, table="profile_reasons"))
        findings.append(ProfileFinding("cross_border_transfer", transfer.destination, transfer.destination, level, tuple(reasons)))

    for code in profile.all_data_categories():
        term = data_category(code)
        level = rules.category_levels["sensitive" if term.sensitive else "other"]
        reason = Reason(code=f"data_category:{code}", points=0, zh=term.note_zh, en=term.note_en)
        findings.append(ProfileFinding("data_category", term.zh, term.en, level, (reason,)))

    return findings
