"""Matplotlib pages of the PDF reports: the seed 004 charts and plain tables.

Figures are built with ``matplotlib.figure.Figure`` directly, never pyplot, so no GUI
backend is chosen and no global figure state leaks between reports (the web server and
tests may build several at once). Texts and numbers arrive already translated and
formatted: this module only draws, `report_pdf` decides what is said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

A4_LANDSCAPE = (11.69, 8.27)
"""Inches: the pack is printed for the weekly meeting, so A4 landscape."""

# Colours close to the seed 004 charts: plan blue, outcome green, inflow orange, forecast grey.
PLAN, DONE, BOUGHT, INFLOW, FORECAST = "#1f4e9c", "#2e8b57", "#9acd9a", "#e67e22", "#7f7f7f"


@dataclass(frozen=True)
class ChartTexts:
    """Translated labels of one chart page (legend entries and axis titles)."""

    title: str
    weekly_title: str
    cumulative_title: str
    planned: str
    performed: str
    bought: str
    performed_incl_bought: str
    inflow: str
    inflow_forecast: str
    projection: str
    week_axis: str
    units_axis: str


def _page(title: str) -> Figure:
    fig = Figure(figsize=A4_LANDSCAPE)
    fig.suptitle(title, fontsize=16, fontweight="bold", x=0.05, ha="left")
    return fig


def _none_to_nan(values: Sequence[float | None]) -> list[float]:
    """Unknown values (no forecast that week) are gaps in a line, not zeros."""
    return [float("nan") if v is None else v for v in values]


def chart_page(
    texts: ChartTexts,
    weeks: Sequence[int],
    planned: Sequence[float],
    performed: Sequence[float],
    bought: Sequence[float],
    inflow: Sequence[float],
    inflow_forecast: Sequence[float | None],
    year_weeks: Sequence[int],
    cumulative_planned_year: Sequence[float],
    projection: tuple[int, float, int, float] | None,
    number: FuncFormatter,
    projection_text: str,
) -> Figure:
    """Weekly (bars: own + bought stacked; lines: plan, inflow, forecast) and cumulative
    ("ack") charts of the seed 004 follow-up. ``weeks`` are the ISO week numbers up to the
    report's week; the cumulative plan runs over ``year_weeks`` so the gap to year end shows;
    ``projection`` = (from week, from value, to week, to value) at the current pace."""
    fig = _page(texts.title)
    weekly, cumulative = fig.subplots(2, 1)
    weekly.bar(weeks, performed, color=DONE, label=texts.performed)
    weekly.bar(weeks, bought, bottom=performed, color=BOUGHT, label=texts.bought)
    weekly.plot(weeks, planned, color=PLAN, marker="o", label=texts.planned)
    weekly.plot(weeks, inflow, color=INFLOW, marker="s", label=texts.inflow)
    weekly.plot(
        weeks,
        _none_to_nan(inflow_forecast),
        color=FORECAST,
        linestyle="--",
        marker="^",
        label=texts.inflow_forecast,
    )
    _decorate(weekly, texts.weekly_title, texts, number)
    weekly.set_xticks(list(weeks))

    def running(values: Sequence[float]) -> list[float]:
        total, out = 0.0, []
        for v in values:
            total += v
            out.append(total)
        return out

    done = [p + b for p, b in zip(performed, bought, strict=True)]
    cumulative.plot(
        year_weeks, cumulative_planned_year, color=PLAN, label=texts.planned, linewidth=2
    )
    cumulative.plot(
        weeks, running(done), color=DONE, label=texts.performed_incl_bought, linewidth=2
    )
    cumulative.plot(weeks, running(inflow), color=INFLOW, label=texts.inflow)
    known = [v for v in inflow_forecast if v is not None]
    if known:
        cumulative.plot(
            weeks,
            running([0.0 if v is None else v for v in inflow_forecast]),
            color=FORECAST,
            linestyle="--",
            label=texts.inflow_forecast,
        )
    if projection is not None:
        w0, v0, w1, v1 = projection
        cumulative.plot([w0, w1], [v0, v1], color=DONE, linestyle=":", label=texts.projection)
    _decorate(cumulative, texts.cumulative_title, texts, number)
    fig.text(0.05, 0.015, projection_text, fontsize=10)
    fig.subplots_adjust(left=0.08, right=0.78, top=0.9, bottom=0.09, hspace=0.35)
    return fig


def _decorate(ax: Axes, title: str, texts: ChartTexts, number: FuncFormatter) -> None:
    ax.set_title(title, loc="left", fontsize=12)
    ax.set_xlabel(texts.week_axis)
    ax.set_ylabel(texts.units_axis)
    ax.yaxis.set_major_formatter(number)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)


def text_page(title: str, lines: Sequence[tuple[str, float]]) -> Figure:
    """A page of lines, each with its font size (the title page)."""
    fig = _page(title)
    y = 0.8
    for text, size in lines:
        fig.text(0.08, y, text, fontsize=size)
        y -= size / 72 / A4_LANDSCAPE[1] * 1.9
    return fig


def table_page(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    numeric: Sequence[bool],
    notes: Sequence[str] = (),
) -> Figure:
    """A page with one table; cells may hold several lines (``\\n``), the row grows to fit.
    ``widths`` are fractions of the page width; ``numeric`` columns are right-aligned;
    ``notes`` are printed under the table."""
    fig = _page(title)
    ax = fig.add_axes((0.05, 0.05, 0.9, 0.83))
    ax.axis("off")
    line = 0.028
    y = 1.0
    total = sum(widths)
    for i, cells in enumerate([header, *rows]):
        height = line * max(1 + c.count("\n") for c in cells) + 0.008
        x = 0.0
        for j, cell in enumerate(cells):
            w = widths[j] / total
            ax.add_patch(_rect(x, y - height, w, height, "#dde5f2" if i == 0 else "white", ax))
            right = numeric[j] and i > 0
            ax.text(
                x + w - 0.005 if right else x + 0.005,
                y - 0.006,
                cell,
                ha="right" if right else "left",
                va="top",
                fontsize=9,
                fontweight="bold" if i == 0 else "normal",
                transform=ax.transAxes,
            )
            x += w
        y -= height
    for note in notes:
        y -= line * 1.5
        ax.text(0.0, y, note, fontsize=10, va="top", transform=ax.transAxes)
    return fig


def _rect(x: float, y: float, w: float, h: float, colour: str, ax: Axes) -> Rectangle:
    return Rectangle(
        (x, y), w, h, facecolor=colour, edgecolor="#9aa7bd", linewidth=0.5, transform=ax.transAxes
    )
