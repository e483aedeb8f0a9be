"""Turn raw documents into normalized cases: parse, resolve overlaps, normalize.

A document that fails to parse is marked `failed` with the error, and a draft whose
normalization fails still becomes a case carrying a `normalize_failed` warning, so one
bad record never stops a run and nothing is dropped silently.
"""

from __future__ import annotations

import logging
import multiprocessing
import re
import sys
import types
from collections import defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult, Pool
from typing import Callable, Iterable, Iterator, TypeVar

from tqdm import tqdm

from etl.models import Case, CaseDraft, LegalBasis, ParseWarning, RawDocument, stable_id
from etl.normalize.dates import parse_date
from etl.normalize.decision_numbers import find_decision_numbers, normalize_decision_number
from etl.normalize.legal_bases import deduplicate_legal_bases, extract_legal_bases, legal_bases_from_titles
from etl.normalize.money import extract_penalty_amounts, sum_listed_amounts
from etl.normalize.parties import classify_party, clean_party_name, mask_names_in_text
from etl.normalize.regions import canonical_province, find_province, province_from_url, province_of_city
from etl.normalize.regulators import resolve_regulator
from etl.sources import parse_document
from etl.sources.overlap import DocumentSummary, OverlapPlan, summarize_document
from etl.taxonomy.classify import (
    classify_app_problem_labels,
    classify_domain,
    classify_industry,
    classify_outcomes,
    classify_violations,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Sources whose violation labels are MIIT/CAC app problem labels, not free text.
APP_LABEL_SOURCES = frozenset({"lawdatify_appviol", "miit"})

# A local market regulator named in a title or text (「江苏省苏州市市场监管局公布…」),
# used when the issuer field holds only the placeholder 「地方市场监管局」.
LOCAL_MARKET_REGULATOR = re.compile(r"[\u4e00-\u9fa5]{2,14}?(?:市场监督管理局|市场监管局)")


@dataclass
class EtlResult:
    """Cases of one run, the parse status of each document and the sources seen."""

    cases: list[Case] = field(default_factory=list)
    statuses: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)


def run_etl(documents: Iterable[RawDocument], mask_persons: bool = True, progress: bool = False) -> EtlResult:
    """Parse and normalize every document in memory; see `EtlRun` for the steps and failure handling."""
    documents = list(documents)
    run = EtlRun(lambda: documents, mask_persons=mask_persons, progress=progress, total=len(documents))
    run.plan()
    cases = list(run.cases())
    return EtlResult(cases=cases, statuses=run.statuses, sources=run.sources)


class EtlRun:
    """One ETL run that streams: documents are read twice and cases are yielded one by one.

    `plan` parses every document, records its status and keeps only a summary of it for
    overlap resolution. `cases` reads the documents again, parses those that were kept
    and yields their normalized cases in document order. Memory stays bounded by the
    batches in flight and the per-document summaries, not by the run.

    With `workers` > 1 and at least PARALLEL_MIN_DOCUMENTS documents, both passes parse
    and normalize in that many worker processes; the output is the same as in one process.
    `read_documents` must return the same documents in the same order on every call.
    """

    def __init__(
        self,
        read_documents: Callable[[], Iterable[RawDocument]],
        mask_persons: bool = True,
        progress: bool = False,
        total: int | None = None,
        workers: int = 1,
    ) -> None:
        self.read_documents = read_documents
        self.mask_persons = mask_persons
        self.progress = progress
        self.total = total
        self.workers = workers
        self.statuses: dict[str, tuple[str, str | None]] = {}
        self.sources: set[str] = set()
        self.drafts = 0
        self.overlaps = OverlapPlan()

    def plan(self) -> OverlapPlan:
        """Parse every document once, record its status and decide the overlaps."""
        summaries = []
        documents = tqdm(self.read_documents(), desc="parse", unit="doc", total=self.total, disable=not self.progress)
        with self._pool() as pool:
            for result in _map_batches(pool, _plan_batch, documents, BATCHES_IN_FLIGHT * self.workers):
                self.sources.add(result.source)
                self.statuses[result.document_id] = result.status
                self.drafts += result.drafts
                if result.summary is not None:
                    summaries.append(result.summary)

        self.overlaps = OverlapPlan.build(summaries)
        for document_id, reason in self.overlaps.reasons.items():
            self.statuses[document_id] = ("superseded", reason)
        return self.overlaps

    def cases(self) -> Iterator[Case]:
        """Yield the normalized cases of the kept documents; call `plan` first."""
        seen_ids: set[str] = set()
        count = 0
        documents = (
            doc
            for doc in tqdm(self.read_documents(), desc="normalize", unit="doc", total=self.total, disable=not self.progress)
            if self.statuses.get(doc.document_id, ("",))[0] == "parsed"
        )
        with self._pool(self.overlaps) as pool:
            for result in _map_batches(pool, _normalize_batch, documents, BATCHES_IN_FLIGHT * self.workers):
                if result.failure is not None:
                    self.statuses[result.document_id] = ("failed", result.failure)
                for case, record_key in result.cases:
                    if case.case_id in seen_ids:
                        # Two drafts of one document with the same record key: keep both, apart.
                        case = case.model_copy(update={"case_id": stable_id(case.case_id, len(seen_ids))})
                        case.parse_warnings.append(
                            ParseWarning(kind="duplicate_record_key", field="case_id", raw=record_key)
                        )
                    seen_ids.add(case.case_id)
                    count += 1
                    yield case

        logger.info(
            "etl finished: documents=%d drafts=%d superseded=%d cases=%d",
            len(self.statuses), self.drafts, len(self.overlaps.winners), count,
        )

    @contextmanager
    def _pool(self, overlaps: OverlapPlan | None = None) -> Iterator[Pool | None]:
        """Start the worker processes, or yield None to work in this process."""
        parallel = self.workers > 1 and (self.total is None or self.total >= PARALLEL_MIN_DOCUMENTS)
        settings = (self.mask_persons, overlaps or OverlapPlan())
        if not parallel:
            logger.info("etl runs in one process: workers=%d documents=%s", self.workers, self.total)
            _init_worker(*settings)
            yield None
            return
        logger.info("etl worker processes started: workers=%d documents=%s", self.workers, self.total)
        # spawn, not fork, because the parent has open DuckDB connections and their threads.
        context = multiprocessing.get_context("spawn")
        with _without_main_module():
            pool = context.Pool(self.workers, initializer=_init_worker, initargs=settings)
        with pool:
            yield pool


# Documents sent to a worker process at a time, and the run size below which one process is faster.
WORKER_BATCH = 200
PARALLEL_MIN_DOCUMENTS = 5_000
# Batches per worker sent ahead, so a worker seldom waits for its next batch.
BATCHES_IN_FLIGHT = 3

# Settings of the current process's share of an EtlRun, set by `_init_worker`.
_worker_mask_persons = True
_worker_overlaps = OverlapPlan()


@dataclass
class _PlanResult:
    document_id: str
    source: str
    status: tuple[str, str | None]
    drafts: int
    summary: DocumentSummary | None


@dataclass
class _NormalizeResult:
    document_id: str
    cases: list[tuple[Case, str]]
    failure: str | None = None


@contextmanager
def _without_main_module() -> Iterator[None]:
    """Start spawned workers without running the parent's __main__ file again.

    A spawned process imports the parent's main script first. That is harmless for the
    `eintel` command, whose script only runs under `if __name__ == "__main__"`. A
    Streamlit AppTest or a test runner can leave a __main__ whose import has side
    effects, and then the workers died at start and the pool replaced them forever. The
    workers need only etl.pipeline, which they import by name.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _init_worker(mask_persons: bool, overlaps: OverlapPlan) -> None:
    global _worker_mask_persons, _worker_overlaps
    _worker_mask_persons = mask_persons
    _worker_overlaps = overlaps


def _map_batches(
    pool: Pool | None, work: Callable[[list[RawDocument]], list[T]], documents: Iterable[RawDocument], in_flight: int
) -> Iterator[T]:
    """Apply `work` to batches of documents, in a pool when there is one, and yield the results in order.

    At most `in_flight` batches wait in the pool. Pool.imap would read the whole input
    ahead and hold every pending document in memory.
    """
    batches = _document_batches(documents, WORKER_BATCH)
    if pool is None:
        for batch in batches:
            yield from work(batch)
        return

    pending: deque[AsyncResult] = deque()
    for batch in batches:
        pending.append(pool.apply_async(work, (batch,)))
        if len(pending) >= in_flight:
            yield from pending.popleft().get()
    while pending:
        yield from pending.popleft().get()


def _document_batches(documents: Iterable[RawDocument], size: int) -> Iterator[list[RawDocument]]:
    batch: list[RawDocument] = []
    for doc in documents:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _parse_or_failure(doc: RawDocument) -> tuple[list[CaseDraft] | None, str | None]:
    try:
        return parse_document(doc), None
    except Exception as error:  # one broken document must not stop the run
        logger.error("parse failed: document_id=%s source=%s url=%s error=%r", doc.document_id, doc.source, doc.url, error)
        return None, f"{type(error).__name__}: {error}"[:500]


def _plan_batch(documents: list[RawDocument]) -> list[_PlanResult]:
    results = []
    for doc in documents:
        drafts, failure = _parse_or_failure(doc)
        if drafts is None:
            status: tuple[str, str | None] = ("failed", failure)
        elif drafts:
            status = ("parsed", None)
        else:
            status = ("empty", "no case in document")
        summary = summarize_document(drafts) if drafts else None
        results.append(_PlanResult(doc.document_id, doc.source, status, len(drafts or []), summary))
    return results


def _normalize_batch(documents: list[RawDocument]) -> list[_NormalizeResult]:
    results = []
    for doc in documents:
        drafts, failure = _parse_or_failure(doc)
        if not drafts:
            results.append(_NormalizeResult(doc.document_id, [], failure))
            continue
        kept, _ = _worker_overlaps.apply(drafts)
        persons = persons_by_document(kept).get(doc.document_id, ()) if _worker_mask_persons else ()
        cases = [(normalize_draft_safely(draft, _worker_mask_persons, persons), draft.record_key) for draft in kept]
        results.append(_NormalizeResult(doc.document_id, cases))
    return results


def persons_by_document(drafts: list[CaseDraft]) -> dict[str, tuple[str, ...]]:
    """Real names of the natural persons who are parties in each document.

    A decision against a company often names its staff, who are parties of their own cases.
    Their names are masked in every case of the document, not only in their own.
    """
    # NOTE: a person named in the text who is no party of any draft (a witness, a manager)
    # is not found here and stays unmasked.
    names: dict[str, set[str]] = defaultdict(set)
    for draft in drafts:
        # Parsers that know which parties are persons (a decision's 当事人 lines) list them.
        names[draft.document_id].update(str(name) for name in draft.extra.get("persons_named", []) if name)
        if not draft.party_raw:
            continue
        party, _ = classify_party(draft.party_raw, mask_persons=False)
        party_type = party.party_type if party.party_type != "unknown" else draft.party_type_hint
        if party_type == "individual" and party.name and not party.masked:
            names[draft.document_id].add(party.name)
    return {document_id: tuple(sorted(found)) for document_id, found in names.items() if found}


def normalize_draft_safely(draft: CaseDraft, mask_persons: bool = True, co_party_persons: Iterable[str] = ()) -> Case:
    """Normalize a draft; on an unexpected error return a bare case that carries the error."""
    try:
        return normalize_draft(draft, mask_persons, co_party_persons)
    except Exception as error:
        logger.error("normalize failed: case_id=%s document_id=%s error=%r", draft.case_id, draft.document_id, error)
        return Case(
            case_id=draft.case_id,
            document_id=draft.document_id,
            source=draft.source,
            source_url=draft.source_url,
            title=draft.title,
            summary=draft.summary,
            text=draft.text,
            parse_warnings=[ParseWarning(kind="normalize_failed", field="*", raw=draft.record_key, message=repr(error)[:300])],
        )


def normalize_draft(draft: CaseDraft, mask_persons: bool = True, co_party_persons: Iterable[str] = ()) -> Case:
    """Apply every normalizer to one draft and assemble the validated case.

    `co_party_persons` are real names of natural persons who are parties elsewhere in the
    same document; with `mask_persons` they are masked in this case's texts too.
    """
    warnings: list[ParseWarning] = []
    extra = draft.extra

    party, party_warnings = classify_party(draft.party_raw, mask_persons=mask_persons)
    warnings += party_warnings
    party_type = party.party_type
    if party_type == "unknown" and draft.party_type_hint:
        party_type = draft.party_type_hint
    if extra.get("suspect_row"):
        warnings.append(ParseWarning(kind="suspect_row", field="party_name", raw=draft.party_raw or str(extra.get("app", "")),
                                     message="row looks like a heading, not an app or party"))

    title, summary, text = draft.title, draft.summary, draft.text
    if mask_persons:
        names = list(co_party_persons)
        if party_type == "individual" and draft.party_raw:
            # The bare name: 「王小明（某公司，部门）」 masks to 「王某某（某公司，部门）」, not the bracket too.
            unmasked, _ = classify_party(draft.party_raw, mask_persons=False)
            names.append(unmasked.name or clean_party_name(draft.party_raw))
        title, summary, text = (mask_names_in_text(value, names) for value in (title, summary, text))

    regulators, regulator_warnings = resolve_regulator(draft.regulator_raw) if draft.regulator_raw else ([], [])
    if any(w.kind == "regulator_generic" for w in regulator_warnings):
        named, named_warnings = _regulator_named_in(title, text)
        if named:
            regulators, regulator_warnings = named, named_warnings
    warnings += regulator_warnings
    regulator = regulators[0] if regulators else None

    province = (
        (regulator.province if regulator else None)
        or (find_province(draft.province_hint) if draft.province_hint else None)
        or province_from_url(draft.source_url)
        or find_province(title)
    )

    decision_number, number_warnings = _decision_number(draft, title)
    warnings += number_warnings
    decision_date, publish_date, date_warnings = _dates(draft)
    warnings += date_warnings

    fine, confiscation, amount_warnings = _amounts(draft, text)
    warnings += amount_warnings

    legal_bases, basis_warnings = _legal_bases(draft, text)
    warnings += basis_warnings

    violations = _violations(draft, title, text)

    outcome_text = "\n".join(part for part in (draft.penalty_raw, text) if part)
    notice_kind = str(extra.get("notice_kind") or extra.get("kind") or "")
    outcomes = classify_outcomes(outcome_text, fine, confiscation, notice_kind=notice_kind)

    app_name = (extra.get("app") or "").strip() or None
    if party.name is None and not app_name and not party_warnings:
        warnings.append(ParseWarning(
            kind="party_missing", field="party_name", raw=draft.party_raw,
            message="the record names no party; a notice's app list may be an image or was not captured",
        ))
    industry_name = party.affiliation or party.name or draft.party_raw
    industry = classify_industry(
        industry_name, " ".join([title, text]), default="internet_platforms" if app_name else "other"
    )
    domain = classify_domain(
        [title, text, summary, draft.penalty_raw, *draft.violation_raw],
        violations,
        regulator_family=regulator.family if regulator else None,
        upstream_type=draft.domain_hint,
    )

    return Case(
        case_id=draft.case_id,
        document_id=draft.document_id,
        source=draft.source,
        source_url=draft.source_url,
        title=title,
        decision_number=decision_number,
        regulator=regulator.canonical if regulator else None,
        regulator_level=regulator.level if regulator else None,
        regulator_family=regulator.family if regulator else None,
        province=province,
        party_name=party.name,
        party_type=party_type,
        app_name=app_name,
        industry=industry,
        domain=domain,
        violation_types=violations,
        legal_bases=legal_bases,
        outcome_types=outcomes,
        fine_cny=fine,
        confiscation_cny=confiscation,
        decision_date=decision_date.value if decision_date else None,
        decision_date_precision=decision_date.precision if decision_date else None,
        publish_date=publish_date.value if publish_date else None,
        publish_date_precision=publish_date.precision if publish_date else None,
        summary=summary,
        text=text,
        parse_warnings=warnings,
    )


def _regulator_named_in(title: str, text: str):
    """Resolve the first local market regulator named in the title, else in the text.

    The match may start with words before the place name (「记者从广西…市场监督管理局」),
    so the name is cut to start at the first province or city it contains.
    """
    for value in (title, text):
        for match in LOCAL_MARKET_REGULATOR.finditer(value or ""):
            name = _from_first_place(match.group(0))
            if not name:
                continue
            regulators, warnings = resolve_regulator(name)
            if regulators and not any(w.kind in ("regulator_generic", "regulator_unknown") for w in warnings):
                return regulators, warnings
    return [], []


def _from_first_place(name: str) -> str | None:
    for start in range(len(name)):
        for end in range(start + 2, min(start + 9, len(name))):
            if canonical_province(name[start:end]) or province_of_city(name[start:end]):
                return name[start:]
    return None


def _violations(draft: CaseDraft, title: str, text: str) -> list[str]:
    """Classify the violation items one by one, so an item outside the taxonomy shows as `other`.

    A PBC row lists ten violations of which two concern data; classifying the joined
    list would return only those two and hide the rest.
    """
    if draft.source in APP_LABEL_SOURCES:
        return classify_app_problem_labels(draft.violation_raw) if draft.violation_raw else []
    if not draft.violation_raw:
        return classify_violations([title, text])

    codes: list[str] = []
    for item in draft.violation_raw:
        for code in classify_violations([item]):
            if code not in codes:
                codes.append(code)
    if "other" in codes and len(codes) > 1:
        codes = [code for code in codes if code != "other"] + ["other"]
    return codes


def _decision_number(draft: CaseDraft, title: str) -> tuple[str | None, list[ParseWarning]]:
    """Normalize the stated decision number (文号), else take the first one in the title.

    A stated number that does not normalize (masked as 〔2022〕***号, or garbled) is
    kept as a warning with its raw value.
    """
    warnings: list[ParseWarning] = []
    if draft.decision_number_raw:
        number = normalize_decision_number(draft.decision_number_raw)
        if number:
            return number, warnings
        kind = "decision_number_masked" if "*" in draft.decision_number_raw else "decision_number_unparsed"
        warnings.append(ParseWarning(kind=kind, field="decision_number", raw=draft.decision_number_raw[:200]))

    found = find_decision_numbers(title)
    return (found[0] if found else None), warnings


def _dates(draft: CaseDraft):
    warnings: list[ParseWarning] = []
    decision_date, found = parse_date(draft.decision_date_raw or None, field="decision_date")
    warnings += found

    hint = draft.extra.get("date_precision")
    publish_date, found = parse_date(
        draft.publish_date_raw or None, field="publish_date", precision_hint=hint if hint in ("year", "month") else None
    )
    warnings += found
    return decision_date, publish_date, warnings


def _amounts(draft: CaseDraft, text: str):
    """Take fine and confiscation from the penalty statement, else from the text.

    The upstream `fines` lists of one dataset hold every amount found in a page, so a
    confiscation or a total can stand beside the fine. A single listed amount is taken
    as the fine only when the text mentions a fine (罚款). Several are left unset
    with an `amount_ambiguous` warning rather than guessed.
    """
    warnings: list[ParseWarning] = []
    for statement in (draft.penalty_raw, text):
        if not statement:
            continue
        amounts = extract_penalty_amounts(statement)
        warnings += amounts.warnings
        if amounts.fine_cny is not None or amounts.confiscation_cny is not None:
            return amounts.fine_cny, amounts.confiscation_cny, warnings

    if not draft.amounts_raw:
        return None, None, warnings

    values, listed_warnings = sum_listed_amounts(draft.amounts_raw)
    warnings += listed_warnings
    mentions_fine = "罚款" in text or "罚款" in draft.penalty_raw or "罚" in draft.title
    if len(values) == 1 and mentions_fine:
        return values[0], None, warnings
    if values:
        warnings.append(ParseWarning(
            kind="amount_ambiguous", field="fine_cny", raw="; ".join(draft.amounts_raw)[:300],
            message="several amounts listed without context; fine left unset",
        ))
    return None, None, warnings


def _legal_bases(draft: CaseDraft, text: str) -> tuple[list[LegalBasis], list[ParseWarning]]:
    """Collect cited provisions; a bare law title is dropped when an article of it is cited."""
    bases: list[LegalBasis] = []
    warnings: list[ParseWarning] = []

    for raw in draft.legal_basis_raw:
        found, found_warnings = extract_legal_bases(raw)
        warnings += found_warnings
        bases += found or legal_bases_from_titles([raw])
    found, found_warnings = extract_legal_bases(text)
    bases += found
    warnings += found_warnings

    return deduplicate_legal_bases(bases), warnings
