-- Enforcement Intel warehouse schema (DuckDB).
-- Layers: raw_documents (as received) -> cases (normalized, one decision or notice
-- entry per party) -> v_* analytics views. Amounts are in yuan (CNY).

-- Raw layer. Primary key: document_id (derived from source + URL + record key).
CREATE TABLE IF NOT EXISTS raw_documents (
    document_id     VARCHAR PRIMARY KEY,
    source          VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    fetched_at      TIMESTAMP NOT NULL,
    content_type    VARCHAR NOT NULL,
    content         VARCHAR NOT NULL,
    content_hash    VARCHAR NOT NULL,
    meta            JSON,
    -- parsed / superseded / failed / pending, written by the ETL load
    parse_status    VARCHAR NOT NULL DEFAULT 'pending',
    parse_note      VARCHAR,
    first_seen_at   TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

-- Normalized layer. Primary key: case_id (stable across reloads).
CREATE TABLE IF NOT EXISTS cases (
    case_id                  VARCHAR PRIMARY KEY,
    document_id              VARCHAR NOT NULL,
    source                   VARCHAR NOT NULL,
    source_url               VARCHAR NOT NULL,
    title                    VARCHAR NOT NULL,
    decision_number          VARCHAR,
    regulator                VARCHAR,
    regulator_level          VARCHAR,
    regulator_family         VARCHAR,
    province                 VARCHAR,
    party_name               VARCHAR,
    party_type               VARCHAR NOT NULL,
    app_name                 VARCHAR,
    industry                 VARCHAR NOT NULL,
    domain                   VARCHAR NOT NULL,
    violation_types          VARCHAR[] NOT NULL,
    legal_bases              STRUCT(law VARCHAR, article INTEGER, clause VARCHAR)[] NOT NULL,
    outcome_types            VARCHAR[] NOT NULL,
    fine_cny                 DECIMAL(18, 2),
    confiscation_cny         DECIMAL(18, 2),
    decision_date            DATE,
    decision_date_precision  VARCHAR,
    publish_date             DATE,
    publish_date_precision   VARCHAR,
    summary                  VARCHAR NOT NULL,
    text                     VARCHAR NOT NULL,
    parse_warnings           STRUCT(kind VARCHAR, field VARCHAR, raw VARCHAR, message VARCHAR)[] NOT NULL,
    -- hash of every column above, so a reload touches only changed rows
    row_hash                 VARCHAR NOT NULL,
    loaded_at                TIMESTAMP NOT NULL
);

-- zh/en labels of the taxonomy codes. Primary key: (kind, code).
CREATE TABLE IF NOT EXISTS taxonomy_labels (
    kind    VARCHAR NOT NULL,
    code    VARCHAR NOT NULL,
    zh      VARCHAR NOT NULL,
    en      VARCHAR NOT NULL,
    PRIMARY KEY (kind, code)
);

-- One row per load. Primary key: run_id.
CREATE TABLE IF NOT EXISTS load_runs (
    run_id            VARCHAR PRIMARY KEY,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP NOT NULL,
    documents         INTEGER NOT NULL,
    cases_inserted    INTEGER NOT NULL,
    cases_updated     INTEGER NOT NULL,
    cases_deleted     INTEGER NOT NULL,
    cases_unchanged   INTEGER NOT NULL,
    parse_warnings    INTEGER NOT NULL
);

-- One row per crawl run of a source, copied from the crawl archive by `eintel crawl` and
-- `eintel load`. status: running / ok / shape_changed / failed / interrupted.
CREATE TABLE IF NOT EXISTS crawl_runs (
    run_id          VARCHAR PRIMARY KEY,
    source          VARCHAR NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    pages           INTEGER NOT NULL,
    new_items       INTEGER NOT NULL,
    updated_items   INTEGER NOT NULL,
    errors          INTEGER NOT NULL,
    status          VARCHAR NOT NULL,
    message         VARCHAR NOT NULL,
    full_crawl      BOOLEAN NOT NULL
);

-- How far the warehouse has read each crawl archive (its responses table id).
CREATE TABLE IF NOT EXISTS crawl_archive_loads (
    archive           VARCHAR PRIMARY KEY,
    last_response_id  BIGINT NOT NULL,
    loaded_at         TIMESTAMP NOT NULL
);

-- Analytics views. event_date is the decision date, or the publication date when the
-- decision date is unknown. event_month is NULL for year-only dates, so that monthly
-- charts do not pile year-only records onto January.
CREATE OR REPLACE VIEW v_cases AS
SELECT
    c.*,
    coalesce(c.decision_date, c.publish_date) AS event_date,
    CASE WHEN c.decision_date IS NOT NULL THEN c.decision_date_precision
         ELSE c.publish_date_precision END AS event_date_precision,
    CASE WHEN (CASE WHEN c.decision_date IS NOT NULL THEN c.decision_date_precision
                    ELSE c.publish_date_precision END) IN ('day', 'month')
         THEN date_trunc('month', coalesce(c.decision_date, c.publish_date))::DATE END AS event_month,
    year(coalesce(c.decision_date, c.publish_date)) AS event_year,
    coalesce(c.fine_cny, 0) > 0 AS has_fine,
    len(c.parse_warnings) AS warning_count
FROM cases AS c;

CREATE OR REPLACE VIEW v_case_violations AS
SELECT case_id, unnest(CASE WHEN len(violation_types) = 0 THEN ['other'] ELSE violation_types END) AS violation_type
FROM cases;

CREATE OR REPLACE VIEW v_case_outcomes AS
SELECT case_id, unnest(outcome_types) AS outcome_type
FROM cases;

CREATE OR REPLACE VIEW v_case_legal_bases AS
SELECT case_id, lb.law AS law, lb.article AS article, lb.clause AS clause
FROM (SELECT case_id, unnest(legal_bases) AS lb FROM cases);

CREATE OR REPLACE VIEW v_parse_warnings AS
SELECT case_id, source, w.kind AS kind, w.field AS field, w.raw AS raw, w.message AS message
FROM (SELECT case_id, source, unnest(parse_warnings) AS w FROM cases);

CREATE OR REPLACE VIEW v_source_summary AS
SELECT
    source,
    count(*) AS cases,
    count(*) FILTER (WHERE has_fine) AS cases_with_fine,
    sum(fine_cny) AS fine_total_cny,
    min(event_date) AS first_date,
    max(event_date) AS last_date
FROM v_cases
GROUP BY source;

-- Per crawled source: the last run, the last successful run and the failures so far.
CREATE OR REPLACE VIEW v_source_health AS
SELECT
    source,
    arg_max(status, started_at) AS last_status,
    max(started_at) AS last_run_at,
    max(finished_at) FILTER (WHERE status = 'ok') AS last_success_at,
    arg_max(pages, started_at) AS last_pages,
    arg_max(new_items, started_at) AS last_new_items,
    arg_max(updated_items, started_at) AS last_updated_items,
    arg_max(errors, started_at) AS last_errors,
    arg_max(message, started_at) AS last_message,
    count(*) AS runs,
    count(*) FILTER (WHERE status <> 'ok' AND status <> 'running') AS failed_runs,
    sum(new_items) AS total_new_items
FROM crawl_runs
GROUP BY source;

-- NLP layer, written by `eintel embed` (nlp/embed.py). A passage is a part of one case's
-- text (or summary when the text is empty): facts, violations or decision.
-- start_offset/end_offset are character offsets into cases.<field>, end exclusive.
-- Primary key: passage_id (hash of case_id, field, kind and start_offset).
-- text_hash is the SHA-256 of text.
CREATE TABLE IF NOT EXISTS passages (
    passage_id      VARCHAR PRIMARY KEY,
    case_id         VARCHAR NOT NULL,
    field           VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    start_offset    INTEGER NOT NULL,
    end_offset      INTEGER NOT NULL,
    text            VARCHAR NOT NULL,
    text_hash       VARCHAR NOT NULL
);

-- One L2-normalized embedding per passage and model. Primary key: (passage_id, model_id).
-- text_hash is the hash of the text that was embedded. A row whose hash no longer matches
-- its passage is stale: searches leave it out and the next `eintel embed` replaces it.
CREATE TABLE IF NOT EXISTS passage_embeddings (
    passage_id      VARCHAR NOT NULL,
    model_id        VARCHAR NOT NULL,
    text_hash       VARCHAR NOT NULL,
    embedding       FLOAT[] NOT NULL,
    PRIMARY KEY (passage_id, model_id)
);
