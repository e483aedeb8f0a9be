"""Trends (趋势): cases and fines per month and year by a chosen dimension, the spread of
fines on a log scale, the largest fines and a breakdown table."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from app_pages import common
from app_pages.i18n import format_cny, format_date, t
from warehouse import queries

# More groups than this make a stacked bar unreadable; the rest are summed as "other".
MAX_GROUPS = 8

# Dimension of the queries -> kind of its label map in common.label_formatter.
_LABEL_KINDS = {
    "industry": "industries",
    "regulator": "regulators",
    "regulator_family": "regulator_families",
    "province": "provinces",
    "violation_type": "violation_types",
    "outcome_type": "outcome_types",
}


# One colour per group, given out in the order of the groups' case counts, so a group
# keeps its colour in every chart of the page. "Other" is always grey.
PALETTE = px.colors.qualitative.Plotly
OTHER_COLOUR = "#9e9e9e"


@dataclass(frozen=True)
class GroupStyle:
    """The groups the charts show on their own, in legend order, and their colours."""

    order: list[str]
    colours: dict[str, str]
    other: str


def group_style(by: str, lang: str) -> GroupStyle:
    """Pick the largest groups over all filtered cases and give each a fixed colour.

    Every chart folds the same groups into "other", because the choice rests on the
    breakdown of all filtered cases rather than on the months or years one chart shows.
    """
    names = common.label_formatter(_LABEL_KINDS[by], lang)
    totals = common.query(queries.breakdown, common.current_filters(), by)
    groups = list(dict.fromkeys(names(code) for code in totals["group"]))

    # A taxonomy's own "other" code carries the same label, so it joins the folded groups.
    other = t("group_other", lang)
    named = [group for group in groups if group != other]
    shown_groups = named if len(groups) <= MAX_GROUPS else named[: MAX_GROUPS - 1]

    colours = {group: PALETTE[index % len(PALETTE)] for index, group in enumerate(shown_groups)}
    colours[other] = OTHER_COLOUR
    return GroupStyle(order=list(colours), colours=colours, other=other)


def _labelled(frame: pd.DataFrame, by: str, lang: str, style: GroupStyle) -> pd.DataFrame:
    """Replace group codes by labels and fold the groups outside `style` into "other"."""
    names = common.label_formatter(_LABEL_KINDS[by], lang)
    labelled = frame.assign(group=[names(code) for code in frame["group"]])
    labelled["group"] = [group if group in style.colours else style.other for group in labelled["group"]]

    period = labelled.columns[0]
    return labelled.groupby([period, "group"], as_index=False)[["cases", "fine_total_cny"]].sum()


def _money_scale(frame: pd.DataFrame, column: str, lang: str) -> tuple[pd.DataFrame, str]:
    """Scale a yuan column for display (亿元 or 万元 in zh, yuan in en) and name its axis."""
    if lang != "zh":
        return frame, t("axis_fine_cny", lang)

    # Stacked bars reach the largest per-period sum, so that picks the unit.
    peak = frame.groupby(frame.columns[0])[column].sum().max()
    if peak >= 100_000_000:
        return frame.assign(**{column: frame[column] / 100_000_000}), t("axis_fine_yi", lang)
    return frame.assign(**{column: frame[column] / 10_000}), t("axis_fine_wan", lang)


# Below this many cases Plotly would put ticks at halves; above it, its own steps are whole numbers.
SMALL_COUNT = 10


def count_axis(fig: go.Figure, peak: float) -> None:
    """Start a count axis at zero and step it by one for small counts; Plotly picks larger steps."""
    fig.update_yaxes(rangemode="tozero")
    if peak < SMALL_COUNT:
        fig.update_yaxes(tick0=0, dtick=1)


def _peak(frame: pd.DataFrame, x: str, y: str) -> float:
    """Return the tallest stack of a stacked bar chart."""
    return frame.groupby(x)[y].sum().max()


def _stacked_bars(frame: pd.DataFrame, x: str, y: str, y_title: str, lang: str, style: GroupStyle) -> go.Figure:
    fig = px.bar(
        frame, x=x, y=y, color="group", labels={"group": t("legend_group", lang)},
        color_discrete_map=style.colours, category_orders={"group": style.order},
    )
    fig.update_layout(barmode="stack", legend_title_text="", xaxis_title=None, yaxis_title=y_title,
                      margin={"t": 10, "b": 10}, height=360)
    return fig


def monthly_charts(by: str, lang: str, style: GroupStyle) -> None:
    """Draw monthly case counts and fine sums, and note the cases they leave out."""
    filters = common.current_filters()
    frame = common.query(queries.monthly_counts, filters, by)
    year_only = common.query(queries.year_only_count, filters)
    undated = common.query(queries.undated_count, filters)

    if frame.empty:
        st.info(t("no_monthly_data", lang))
    else:
        labelled = _labelled(frame, by, lang, style)
        left, right = st.columns(2)
        with left:
            st.markdown(f"**{t('chart_monthly_cases', lang)}**")
            counts = _stacked_bars(labelled, "month", "cases", t("axis_cases", lang), lang, style)
            count_axis(counts, _peak(labelled, "month", "cases"))
            st.plotly_chart(counts, key="monthly_cases")
        with right:
            st.markdown(f"**{t('chart_monthly_fines', lang)}**")
            scaled, axis_title = _money_scale(labelled, "fine_total_cny", lang)
            fines = _stacked_bars(scaled, "month", "fine_total_cny", axis_title, lang, style)
            if lang == "zh":
                fines.update_yaxes(tickformat=",.6~g")
            else:
                # Billions as "B", not the SI "G" Plotly uses by default.
                fines.update_yaxes(exponentformat="B")
            st.plotly_chart(fines, key="monthly_fines")

    st.caption(t("year_only_note", lang, year_only=year_only, undated=undated))


def yearly_chart(by: str, lang: str, style: GroupStyle) -> None:
    """Draw case counts per year, year-only cases included."""
    frame = common.query(queries.yearly_counts, common.current_filters(), by)
    if frame.empty:
        return

    labelled = _labelled(frame, by, lang, style).assign(year=lambda df: df["year"].astype(int).astype(str))
    st.markdown(f"**{t('chart_yearly_cases', lang)}**")
    fig = _stacked_bars(labelled, "year", "cases", t("axis_cases", lang), lang, style)
    count_axis(fig, _peak(labelled, "year", "cases"))
    st.plotly_chart(fig, key="yearly_cases")


_SI_SUFFIXES = ((9, "B"), (6, "M"), (3, "k"), (0, ""))


def power_label(exponent: int, lang: str) -> str:
    """Name 10**exponent yuan for an axis tick: 10万元 in zh, 100k in en."""
    if lang == "zh":
        return format_cny(10**exponent, lang)
    if exponent < 0:
        return f"{10.0**exponent:g}"
    power, suffix = next((p, s) for p, s in _SI_SUFFIXES if exponent >= p)
    return f"{10 ** (exponent - power)}{suffix}"


def fine_histogram(lang: str) -> None:
    """Draw the spread of fines as a histogram over log10 of the amount."""
    fines = common.query(queries.fine_distribution, common.current_filters())
    st.markdown(f"**{t('chart_fine_distribution', lang)}**")
    if fines.empty:
        st.info(t("no_fines", lang))
        return

    # Fines run from hundreds of yuan to billions, so bins are even in log10, not in yuan.
    exponents = np.log10(fines["fine_cny"].to_numpy())
    low, high = math.floor(exponents.min()), math.ceil(exponents.max())
    high = max(high, low + 1)
    ticks = list(range(low, high + 1))

    fig = go.Figure(go.Histogram(x=exponents, xbins={"start": low, "end": high + 0.25, "size": 0.25}, marker_color="#c0392b"))
    fig.update_xaxes(tickvals=ticks, ticktext=[power_label(k, lang) for k in ticks], title=t("axis_fine_log", lang))
    counts, _ = np.histogram(exponents, bins=np.arange(low, high + 0.5, 0.25))
    fig.update_yaxes(title=t("axis_cases", lang))
    count_axis(fig, counts.max())
    fig.update_layout(margin={"t": 10, "b": 10}, height=360, bargap=0.05)
    st.plotly_chart(fig, key="fine_histogram")


def _log_money_ticks(fig: go.Figure, amounts: pd.Series, lang: str) -> None:
    """Put a tick at powers of ten of a log money axis."""
    low = math.floor(math.log10(amounts.min()))
    high = math.ceil(math.log10(amounts.max()))
    # Every other power of ten once the labels would crowd a half-width chart.
    step = 1 if high - low <= 4 else 2
    exponents = list(range(low, high + 1, step))
    fig.update_xaxes(tickvals=[10**k for k in exponents], ticktext=[power_label(k, lang) for k in exponents])


def _bar_labels(top: pd.DataFrame, lang: str) -> list[str]:
    """Label each bar with party and date; a category axis would merge two bars of one label."""
    labels: list[str] = []
    for row in top.itertuples():
        party = common.party_label(row.party_name, row.app_name, lang)
        label = f"{party} · {format_date(row.event_date, row.event_date_precision, lang)}"
        while label in labels:
            label += " "
        labels.append(label)
    return labels


def top_fines_chart(lang: str) -> None:
    """Draw the largest fines as horizontal bars, then as a table with links."""
    top = common.query(queries.top_fines, common.current_filters(), 20)
    st.markdown(f"**{t('chart_top_fines', lang)}**")
    if top.empty:
        st.info(t("no_fines", lang))
        return

    bars = top.assign(
        party=_bar_labels(top, lang),
        amount=[format_cny(value, lang) for value in top["fine_cny"]],
    ).iloc[::-1]
    fig = px.bar(bars, x="fine_cny", y="party", orientation="h", text="amount", log_x=True)
    fig.update_traces(marker_color="#c0392b", textposition="auto")
    _log_money_ticks(fig, bars["fine_cny"], lang)
    fig.update_layout(xaxis_title=t("axis_fine_cny_log", lang), yaxis_title=None,
                      margin={"t": 10, "b": 10}, height=max(300, 28 * len(bars)))
    st.plotly_chart(fig, key="top_fines")

    with st.expander(t("top_fines_table", lang)):
        common.show_case_table(top, lang, key="top_fines_table")


def breakdown_table(by: str, lang: str) -> None:
    """Draw cases, fined cases and fine totals per group of the chosen dimension."""
    frame = common.query(queries.breakdown, common.current_filters(), by)
    if frame.empty:
        return

    names = common.label_formatter(_LABEL_KINDS[by], lang)
    table = frame.assign(group=[names(code) for code in frame["group"]])
    st.markdown(f"**{t('breakdown_title', lang)}**")
    st.dataframe(
        table,
        hide_index=True,
        placeholder=common.EMPTY_CELL,
        column_config={
            "group": st.column_config.TextColumn(t(f"dimension_{by}", lang)),
            "cases": st.column_config.NumberColumn(t("col_cases", lang)),
            "cases_with_fine": st.column_config.NumberColumn(t("col_cases_with_fine", lang)),
            "fine_total_cny": st.column_config.NumberColumn(t("col_fine_total", lang), format="localized"),
        },
    )


lang = common.current_lang()
st.title(t("trends_title", lang))
st.caption(t("trends_intro", lang))

dimension = st.selectbox(
    t("dimension_label", lang),
    options=list(queries.DIMENSIONS),
    format_func=lambda by: t(f"dimension_{by}", lang),
    key="trends_dimension",
)

style = group_style(dimension, lang)
monthly_charts(dimension, lang, style)
yearly_chart(dimension, lang, style)

left, right = st.columns(2)
with left:
    fine_histogram(lang)
with right:
    top_fines_chart(lang)

breakdown_table(dimension, lang)
st.caption(t("multi_value_note", lang))
