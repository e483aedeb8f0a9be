"""Risk profile (风险画像): what a company does with personal information, read from YAML.

A profile names the company, its industry, the provinces it operates in, the data
categories it processes, its practices (free-text statements matched against
enforcement cases), its cross-border transfers and the controls it has in place.
docs/risk-profile.md documents the format; examples/profile.example.yaml is a full
example. The data categories and transfer mechanisms are fixed lists in
profile_terms.yaml beside this module.

Validation turns labels into codes: an industry given as its zh or en label becomes
its code from etl/taxonomy/industries.yaml, a province becomes its full name (广东 →
广东省), a data category or mechanism given as its label becomes its code. Every
problem raises `ProfileError`, whose issues name the field path
(`practices[2].statement`, counting from 0), the bad value and the fix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from etl.normalize.regions import canonical_province, province_of_city, region_tables
from etl.taxonomy import load_taxonomy

logger = logging.getLogger(__name__)

TERMS_FILE = Path(__file__).with_name("profile_terms.yaml")
EXAMPLE_FILE = Path(__file__).resolve().parent.parent / "examples" / "profile.example.yaml"

Mechanism = Literal["standard_contract", "certification", "security_assessment", "none"]

# Shown after a bad value is repeated back; long free text is cut to this many characters.
VALUE_PREVIEW_CHARS = 60


@dataclass(frozen=True)
class Term:
    """One entry of a fixed vocabulary: a data category or a transfer mechanism."""

    code: str
    zh: str
    en: str
    sensitive: bool = False
    note_zh: str = ""
    note_en: str = ""

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def note(self, lang: str) -> str:
        return self.note_zh if lang == "zh" else self.note_en


@dataclass(frozen=True)
class ProfileIssue:
    """One problem of a profile: the field path ("" for the whole file), a kind and a message.

    `kind` is a short code such as `missing`, `unknown_industry` or `invalid_yaml`. The
    message repeats the bad value and names the fix.
    """

    path: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ProfileError(ValueError):
    """Raised when a profile file cannot be read, is not valid YAML or is not a valid profile."""

    def __init__(self, issues: list[ProfileIssue], source: str = "profile") -> None:
        self.issues = issues
        self.source = source
        if len(issues) == 1:
            text = f"{source}: {issues[0]}"
        else:
            lines = "\n".join(f"  {issue}" for issue in issues)
            text = f"{source}: {len(issues)} problems\n{lines}"
        super().__init__(text)


# Vocabularies ------------------------------------------------------------------------------

@cache
def _terms() -> dict[str, tuple[Term, ...]]:
    data = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))
    return {
        "data_categories": tuple(Term(**entry) for entry in data["data_categories"]),
        "transfer_mechanisms": tuple(Term(**entry) for entry in data["transfer_mechanisms"]),
    }


def data_categories() -> list[Term]:
    """Return the data categories of profile_terms.yaml in file order."""
    return list(_terms()["data_categories"])


def transfer_mechanisms() -> list[Term]:
    """Return the cross-border transfer mechanisms of profile_terms.yaml in file order."""
    return list(_terms()["transfer_mechanisms"])


def data_category(code: str) -> Term:
    """Return the data category of a code; raises KeyError for an unknown code."""
    for term in _terms()["data_categories"]:
        if term.code == code:
            return term
    raise KeyError(code)


def mechanism_term(code: str) -> Term:
    """Return the transfer mechanism of a code; raises KeyError for an unknown code."""
    for term in _terms()["transfer_mechanisms"]:
        if term.code == code:
            return term
    raise KeyError(code)


def _lookup(entries: list[tuple[str, str, str]]) -> dict[str, str]:
    """Map each code, zh label and lower-case en label to the code."""
    table: dict[str, str] = {}
    for code, zh, en in entries:
        table[code.lower()] = code
        table[zh] = code
        table[en.lower()] = code
    return table


@cache
def _industry_lookup() -> dict[str, str]:
    return _lookup([(category.code, category.zh, category.en) for category in load_taxonomy("industries")])


@cache
def _term_lookup(kind: str) -> dict[str, str]:
    return _lookup([(term.code, term.zh, term.en) for term in _terms()[kind]])


@cache
def _english_provinces() -> dict[str, str]:
    return {province.en.lower(): name for name, province in region_tables().provinces.items()}


# Field validators ---------------------------------------------------------------------------

def _preview(value: Any) -> str:
    text = repr(value)
    if len(text) > VALUE_PREVIEW_CHARS:
        text = text[: VALUE_PREVIEW_CHARS - 3] + "..."
    return text


def _codes_text(kind: str) -> str:
    return ", ".join(term.code for term in _terms()[kind])


def _as_list(value: Any) -> Any:
    """Let an optional list be left empty (None) or be written as a single item."""
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        return [value]
    return value


def _to_industry(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    code = _industry_lookup().get(value.strip().lower()) or _industry_lookup().get(value.strip())
    if code is None:
        codes = ", ".join(category.code for category in load_taxonomy("industries"))
        raise PydanticCustomError(
            "unknown_industry",
            "{value} is not a known industry code; use one of: {codes} (or the zh or en label of one)",
            {"value": _preview(value), "codes": codes},
        )
    return code


def _to_province(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    name = value.strip()
    full = canonical_province(name) or _english_provinces().get(name.lower())
    if full is not None:
        return full

    city_province = province_of_city(name)
    if city_province is not None:
        raise PydanticCustomError(
            "city_not_province",
            "{value} is a city; list its province instead: {province}",
            {"value": _preview(value), "province": city_province},
        )
    raise PydanticCustomError(
        "unknown_province",
        "{value} is not a province of China; write its Chinese name (广东省 or 广东) or its English name "
        "(Guangdong), or leave provinces empty for a company active nationwide",
        {"value": _preview(value)},
    )


def _to_data_category(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    code = _term_lookup("data_categories").get(value.strip().lower()) or _term_lookup("data_categories").get(value.strip())
    if code is None:
        raise PydanticCustomError(
            "unknown_data_category",
            "{value} is not a known data category; use one of: {codes} (or the zh or en label of one)",
            {"value": _preview(value), "codes": _codes_text("data_categories")},
        )
    return code


def _to_mechanism(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError(
            "missing_mechanism",
            "is empty; use one of: {codes} (none for a transfer without one)",
            {"codes": _codes_text("transfer_mechanisms")},
        )
    if not isinstance(value, str):
        return value
    code = _term_lookup("transfer_mechanisms").get(value.strip().lower()) or _term_lookup("transfer_mechanisms").get(value.strip())
    if code is None:
        raise PydanticCustomError(
            "unknown_mechanism",
            "{value} is not a known transfer mechanism; use one of: {codes} (none for a transfer without one)",
            {"value": _preview(value), "codes": _codes_text("transfer_mechanisms")},
        )
    return code


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
DataCategory = Annotated[str, BeforeValidator(_to_data_category)]
DataCategories = Annotated[list[DataCategory], BeforeValidator(_as_list), AfterValidator(_unique)]
Province = Annotated[str, BeforeValidator(_to_province)]
TextList = Annotated[list[Text], BeforeValidator(_as_list)]


# Models -------------------------------------------------------------------------------------

class _ProfileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Practice(_ProfileModel):
    """One practice of the company, matched against enforcement cases by its statement.

    `id` defaults to P1, P2 ... by position; `data_categories` are codes of
    profile_terms.yaml; `tags` are free labels for the reader.
    """

    id: Text | None = None
    statement: Text
    data_categories: DataCategories = Field(default_factory=list)
    tags: TextList = Field(default_factory=list)


class CrossBorderTransfer(_ProfileModel):
    """Personal information sent abroad: where to, which categories, under which mechanism."""

    destination: Text
    data_categories: DataCategories = Field(default_factory=list)
    mechanism: Annotated[Mechanism, BeforeValidator(_to_mechanism)]


class RiskProfile(_ProfileModel):
    """A company's risk profile; every code in it is known and every province is a full name."""

    company: Text
    industry: Annotated[str, BeforeValidator(_to_industry)]
    provinces: Annotated[list[Province], BeforeValidator(_as_list), AfterValidator(_unique)] = Field(default_factory=list)
    data_categories: DataCategories = Field(default_factory=list)
    practices: Annotated[list[Practice], BeforeValidator(_as_list)] = Field(min_length=1)
    cross_border_transfers: Annotated[list[CrossBorderTransfer], BeforeValidator(_as_list)] = Field(default_factory=list)
    controls_in_place: TextList = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _number_practices(cls, data: Any) -> Any:
        """Give each practice without an id its position as id (P1, P2 ...)."""
        if not isinstance(data, dict):
            return data
        entries = _as_list(data.get("practices"))
        if not isinstance(entries, list):
            return data
        practices = [
            {**entry, "id": f"P{index + 1}"} if isinstance(entry, dict) and entry.get("id") in (None, "") else entry
            for index, entry in enumerate(entries)
        ]
        return {**data, "practices": practices}

    def all_data_categories(self) -> list[str]:
        """Return the data categories named anywhere in the profile, profile-level ones first."""
        codes = list(self.data_categories)
        for practice in self.practices:
            codes += practice.data_categories
        for transfer in self.cross_border_transfers:
            codes += transfer.data_categories
        return _unique(codes)

    def practice(self, practice_id: str) -> Practice:
        """Return the practice with this id; raises KeyError for an unknown id."""
        for practice in self.practices:
            if practice.id == practice_id:
                return practice
        raise KeyError(practice_id)


# Error messages -----------------------------------------------------------------------------

_FIELD_HINTS: dict[str, str] = {
    "company": "give the company's name, e.g. company: 示例出行科技有限公司",
    "industry": "give an industry code such as internet_platforms; docs/risk-profile.md lists them",
    "practices": "list at least one practice, each with a statement",
    "statement": "describe the practice in a sentence, e.g. statement: App 首次启动即读取设备 IMEI",
    "destination": "name the country or region that receives the data, e.g. destination: 新加坡",
    "mechanism": "use one of: standard_contract, certification, security_assessment, none",
}

_MODEL_FIELDS: dict[str, type[BaseModel]] = {
    "practices": Practice,
    "cross_border_transfers": CrossBorderTransfer,
}


def _format_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _allowed_fields(parent: tuple[Any, ...]) -> list[str]:
    model = _MODEL_FIELDS.get(parent[0]) if parent else RiskProfile
    return list((model or RiskProfile).model_fields)


def _issue_from_error(error: dict[str, Any]) -> ProfileIssue:
    """Turn one pydantic error into an issue whose message names the bad value and the fix."""
    loc = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    field = next((part for part in reversed(loc) if isinstance(part, str)), "")
    hint = _FIELD_HINTS.get(field, "fill it in or remove the line")

    if kind == "missing":
        return ProfileIssue(_format_path(loc), kind, f"is missing; {hint}")
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_fields(loc[:-1]))
        return ProfileIssue(
            _format_path(loc), kind, f"{_preview(loc[-1])} is not a field here; the fields are: {allowed}"
        )
    if kind == "string_type" and value is None:
        return ProfileIssue(_format_path(loc), "empty", f"is empty; {hint}")
    if kind == "string_type":
        return ProfileIssue(_format_path(loc), kind, f"must be text, got {_preview(value)}; {hint}")
    if kind == "string_too_short":
        return ProfileIssue(_format_path(loc), "empty", f"is empty; {hint}")
    if kind == "too_short":
        return ProfileIssue(_format_path(loc), "empty", f"is empty; {hint}")
    if kind == "list_type":
        return ProfileIssue(_format_path(loc), kind, f"must be a list of items (lines starting with -), got {_preview(value)}")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        fields = ", ".join(_allowed_fields(loc[:1]) if loc else RiskProfile.model_fields)
        return ProfileIssue(_format_path(loc), kind, f"must be a mapping with the fields {fields}, got {_preview(value)}")
    return ProfileIssue(_format_path(loc), kind, error["msg"])


# Reading -------------------------------------------------------------------------------------

def profile_from_dict(data: Any, source: str = "profile") -> RiskProfile:
    """Validate parsed YAML as a profile; raises ProfileError listing every problem found."""
    if not isinstance(data, dict):
        raise ProfileError(
            [ProfileIssue("", "not_a_mapping",
                          f"the profile must be a YAML mapping with company, industry and practices at the top level, "
                          f"got {type(data).__name__}; start from examples/profile.example.yaml")],
            source,
        )
    try:
        profile = RiskProfile.model_validate(data)
    except ValidationError as error:
        raise ProfileError([_issue_from_error(item) for item in error.errors()], source) from None

    duplicates = _duplicate_ids(profile)
    if duplicates:
        raise ProfileError(duplicates, source)
    return profile


def _duplicate_ids(profile: RiskProfile) -> list[ProfileIssue]:
    issues: list[ProfileIssue] = []
    seen: set[str | None] = set()
    for index, practice in enumerate(profile.practices):
        if practice.id in seen:
            issues.append(ProfileIssue(
                f"practices[{index}].id", "duplicate_practice_id",
                f"{_preview(practice.id)} is used by an earlier practice; give each practice its own id, "
                "or leave id out to number the practices P1, P2 ...",
            ))
        seen.add(practice.id)
    return issues


def parse_profile(text: str, source: str = "profile") -> RiskProfile:
    """Read a profile from YAML text; raises ProfileError for invalid YAML or an invalid profile."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        where = f"at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ProfileError(
            [ProfileIssue("", "invalid_yaml",
                          f"invalid YAML {where}: {problem}; check the indentation and quoting on that line")],
            source,
        ) from None

    if data is None:
        raise ProfileError(
            [ProfileIssue("", "empty", "the profile is empty; start from examples/profile.example.yaml")], source
        )
    return profile_from_dict(data, source)


def load_profile(path: Path | str) -> RiskProfile:
    """Read a profile file (UTF-8 YAML); raises ProfileError when it is missing, unreadable or invalid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(
            [ProfileIssue("", "file_not_found",
                          f"profile file not found: {path}; check the path, or copy examples/profile.example.yaml")],
            str(path),
        ) from None
    except UnicodeDecodeError as error:
        raise ProfileError(
            [ProfileIssue("", "not_utf8", f"the file is not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8")],
            str(path),
        ) from None
    except OSError as error:
        raise ProfileError(
            [ProfileIssue("", "unreadable", f"failed to read the profile file: {error.strerror}")], str(path)
        ) from None

    profile = parse_profile(text, source=str(path))
    logger.info("profile read: path=%s practices=%d", path, len(profile.practices))
    return profile


def example_profile_text() -> str:
    """Return the text of examples/profile.example.yaml, which prefills the dashboard's editor."""
    return EXAMPLE_FILE.read_text(encoding="utf-8")
