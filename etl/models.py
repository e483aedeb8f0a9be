"""Records that flow through the pipeline: raw documents, case drafts and cases.

A raw document is one response or one dataset record as received. A source parser
turns it into case drafts (raw strings, one draft per party), and the normalizers turn
each draft into a validated `Case`. Amounts are in yuan (CNY).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

# Re-exported so that ETL modules import every record type from one place.
from eintel.raw import RawDocument, content_hash, stable_id  # noqa: F401

PartyType = Literal["company", "individual", "institution", "unknown"]
RegulatorLevel = Literal["national", "provincial", "municipal", "county"]
DatePrecision = Literal["day", "month", "year"]
Domain = Literal["data_protection", "other"]


class ParseWarning(BaseModel):
    """A value a normalizer could not parse, kept with the raw value on the case."""

    kind: str
    field: str
    raw: str
    message: str = ""


class CaseDraft(BaseModel):
    """One decision or notice entry against one party, as raw strings from a source parser.

    `record_key` distinguishes the drafts of one document (a row number, an app name).
    Together with the document id it makes the stable `case_id`.
    """

    document_id: str
    source: str
    source_url: str
    record_key: str
    title: str = ""
    party_raw: str = ""
    party_type_hint: PartyType | None = None
    decision_number_raw: str = ""
    regulator_raw: str = ""
    decision_date_raw: str = ""
    publish_date_raw: str = ""
    violation_raw: list[str] = Field(default_factory=list)
    legal_basis_raw: list[str] = Field(default_factory=list)
    penalty_raw: str = ""
    amounts_raw: list[str] = Field(default_factory=list)
    province_hint: str = ""
    industry_hint: str = ""
    domain_hint: str = ""
    summary: str = ""
    text: str = ""
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def case_id(self) -> str:
        return stable_id(self.document_id, self.record_key)


class LegalBasis(BaseModel):
    """A cited provision: the law's canonical title and the article number."""

    law: str
    article: int | None = None
    clause: str = ""

    def label(self) -> str:
        if self.article is None:
            return f"《{self.law}》"
        return f"《{self.law}》第{self.article}条{self.clause}"


class Case(BaseModel):
    """One normalized decision or notice entry against one party.

    Primary key: `case_id` (stable across reloads). Amounts `fine_cny` and
    `confiscation_cny` are in yuan; None means the text states no amount.
    """

    case_id: str
    document_id: str
    source: str
    source_url: str
    title: str
    decision_number: str | None = None
    regulator: str | None = None
    regulator_level: RegulatorLevel | None = None
    regulator_family: str | None = None
    province: str | None = None
    party_name: str | None = None
    party_type: PartyType = "unknown"
    app_name: str | None = None
    industry: str = "other"
    domain: Domain = "other"
    violation_types: list[str] = Field(default_factory=list)
    legal_bases: list[LegalBasis] = Field(default_factory=list)
    outcome_types: list[str] = Field(default_factory=list)
    fine_cny: Decimal | None = None
    confiscation_cny: Decimal | None = None
    decision_date: date | None = None
    decision_date_precision: DatePrecision | None = None
    publish_date: date | None = None
    publish_date_precision: DatePrecision | None = None
    summary: str = ""
    text: str = ""
    parse_warnings: list[ParseWarning] = Field(default_factory=list)
