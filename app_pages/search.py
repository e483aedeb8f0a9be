"""Search (检索): find the cases whose passages match a described practice or problem.

The reader types a query and picks keyword, semantic or hybrid search; the sidebar
filters restrict the hits. Each hit shows the case (linked to its detail on the Cases
page), its party, regulator, date and fine, the best-matching passage with the query's
words marked, and the official source URL. The embedding model loads once per server
process, and results are cached per query, mode and filters.
"""

from __future__ import annotations

import html
from typing import Any

import streamlit as st

from app_pages import common
from app_pages.i18n import format_cny, format_date, regulator_label, t
from eintel.settings import get_settings
from nlp.encoders import EncoderError
from nlp.search import MODES, MissingEmbeddingsError, NoPassagesError, SearchError, SearchHit, hit_cases, search
from warehouse.queries import Filters

DEFAULT_MODE = "hybrid"
HIT_COUNTS = (5, 10, 20, 50)
DEFAULT_HIT_COUNT = 10

# Characters with an inline meaning in Streamlit Markdown; "<" and ">" are HTML-escaped before.
_MARKDOWN_SPECIALS = "\\`*_{}[]#|~$"


@st.cache_resource(show_spinner=False)
def _encoder(model: str) -> Any:
    """Load the embedding model once per server process and model name."""
    from nlp.encoders import load_encoder

    return load_encoder(model)


@st.cache_data(ttl=common.CACHE_TTL_SECONDS, show_spinner=False)
def _search(path: str, query: str, filters: Filters, k: int, mode: str, model: str) -> tuple[list[SearchHit], dict[str, dict[str, Any]]]:
    """Run one search and fetch its cases' facts; raises SearchError as `nlp.search.search` does."""
    encoder = None if mode == "keyword" else _encoder(model)
    cursor = common.warehouse_cursor(path)
    try:
        hits = search(cursor, query, filters, k=k, mode=mode, encoder=encoder)
        return hits, hit_cases(cursor, [hit.case_id for hit in hits])
    finally:
        cursor.close()


def _escape(text: str) -> str:
    """Escape HTML, then Markdown syntax, so party names masked as 张** stay literal."""
    escaped = html.escape(text, quote=False)
    escaped = "".join("\\" + char if char in _MARKDOWN_SPECIALS else char for char in escaped)
    return escaped.replace("\n", "<br>")


def passage_markup(text: str, spans: list[tuple[int, int]]) -> str:
    """Return the passage as Markdown with each highlighted span inside <mark>."""
    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts.append(_escape(text[position:start]))
        parts.append(f"<mark>{_escape(text[start:end])}</mark>")
        position = end
    parts.append(_escape(text[position:]))
    return "".join(parts)


def _rank_text(rank: int | None) -> str:
    return "—" if rank is None else str(rank)


def show_hit(rank: int, hit: SearchHit, case: dict[str, Any], lang: str) -> None:
    """Draw one hit: a link to the case, its facts, the marked passage and the source link."""
    with st.container(border=True):
        title = case.get("title") or case.get("party_name") or hit.case_id
        st.page_link("app_pages/cases.py", label=f"{rank}. {title}", query_params={"case": hit.case_id},
                     icon=":material/gavel:")

        facts = [
            common.party_label(case.get("party_name"), case.get("app_name"), lang),
            regulator_label(case.get("regulator"), lang),
            format_date(case.get("event_date"), case.get("event_date_precision"), lang),
            format_cny(case.get("fine_cny"), lang),
            t("search_ranks", lang, keyword=_rank_text(hit.keyword_rank), dense=_rank_text(hit.dense_rank)),
        ]
        st.caption(" · ".join(_escape(str(fact)) for fact in facts))

        kind = t(f"search_passage_{hit.passage_kind}", lang)
        st.markdown(f"**{kind}**：{passage_markup(hit.passage_text, hit.highlights)}", unsafe_allow_html=True)

        url = case.get("source_url")
        if url:
            target = url.replace(")", "%29").replace(" ", "%20")
            st.markdown(f"[{t('open_source', lang)}]({target})")


lang = common.current_lang()
st.title(t("search_page_title", lang))
st.caption(t("search_page_intro", lang))

query_column, mode_column, count_column = st.columns([6, 3, 2], vertical_alignment="bottom")
with query_column:
    query = st.text_input(t("search_query_label", lang), placeholder=t("search_query_placeholder", lang),
                          key="search_query")
with mode_column:
    # The default goes through session state, which the language switch rewrites (common._relabel_widgets).
    st.session_state.setdefault("search_mode", DEFAULT_MODE)
    mode = st.segmented_control(
        t("search_mode_label", lang),
        options=list(MODES),
        required=True,
        format_func=lambda value: t(f"search_mode_{value}", lang),
        help=t("search_mode_help", lang),
        key="search_mode",
    )
with count_column:
    k = st.selectbox(t("search_count_label", lang), options=HIT_COUNTS, index=HIT_COUNTS.index(DEFAULT_HIT_COUNT),
                     key="search_count")

if not query.strip():
    st.info(t("search_enter_query", lang))
    st.stop()

model = get_settings().embedding_model
try:
    with st.spinner(t("search_running", lang)):
        hits, cases = _search(str(common.warehouse_path()), query, common.current_filters(), k, mode or DEFAULT_MODE, model)
except MissingEmbeddingsError:
    st.warning(t("search_no_embeddings", lang, model=model))
    st.stop()
except NoPassagesError:
    st.warning(t("search_no_passages", lang))
    st.stop()
except (SearchError, EncoderError) as error:
    st.error(str(error))
    st.stop()

if not hits:
    st.info(t("search_no_hits", lang))
    st.stop()

st.caption(t("search_hit_count", lang, count=len(hits)))
for rank, hit in enumerate(hits, start=1):
    show_hit(rank, hit, cases.get(hit.case_id, {}), lang)
