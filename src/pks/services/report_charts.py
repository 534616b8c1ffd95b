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
    _axes(ax, title, texts.week_axis, texts.units_axis, number)


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
    y = _table(ax, header, rows, widths, numeric)
    _notes(ax, y, notes, 0.028)
    return fig


def _table(
    ax: Axes,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    numeric: Sequence[bool],
    line: float = 0.028,
) -> float:
    """Draw the table from the top of ``ax`` down; ``line`` is one text line's height as a
    share of the axes' height (0.028 on a full page: rows pad 0.008, text sits 0.006 low).
    Returns where the table ends (axes fraction)."""
    y = 1.0
    total = sum(widths)
    for i, cells in enumerate([header, *rows]):
        height = line * max(1 + c.count("\n") for c in cells) + line * 2 / 7
        x = 0.0
        for j, cell in enumerate(cells):
            w = widths[j] / total
            ax.add_patch(_rect(x, y - height, w, height, "#dde5f2" if i == 0 else "white", ax))
            right = numeric[j] and i > 0
            ax.text(
                x + w - 0.005 if right else x + 0.005,
                y - line * 3 / 14,
                cell,
                ha="right" if right else "left",
                va="top",
                fontsize=9,
                fontweight="bold" if i == 0 else "normal",
                transform=ax.transAxes,
            )
            x += w
        y -= height
    return y


def _notes(ax: Axes, y: float, notes: Sequence[str], line: float) -> None:
    for note in notes:
        y -= line * 1.5
        ax.text(0.0, y, note, fontsize=10, va="top", transform=ax.transAxes)


def summary_page(
    title: str,
    lines: Sequence[tuple[str, float]],
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    numeric: Sequence[bool],
    notes: Sequence[str] = (),
) -> Figure:
    """A front page: ``lines`` (text, font size) at the top, then a table of key figures in
    the lower half and ``notes`` under it."""
    fig = text_page(title, lines)
    ax = fig.add_axes((0.08, 0.05, 0.84, 0.5))
    ax.axis("off")
    line = 0.028 * 0.83 / 0.5
    _notes(ax, _table(ax, header, rows, widths, numeric, line), notes, line)
    return fig


@dataclass(frozen=True)
class QuarterChartTexts:
    """Translated labels of the board report's plan-versus-outcome page."""

    title: str
    cumulative_title: str
    weekly_title: str
    planned: str
    performed: str
    bought: str
    performed_incl_bought: str
    projection: str
    week_axis: str
    units_axis: str


def quarter_chart_page(
    texts: QuarterChartTexts,
    year_weeks: Sequence[int],
    cumulative_planned_year: Sequence[float],
    weeks_to_date: Sequence[int],
    cumulative_done: Sequence[float],
    projection: tuple[int, float, int, float],
    quarter_weeks: Sequence[int],
    planned: Sequence[float],
    performed: Sequence[float],
    bought: Sequence[float],
    number: FuncFormatter,
    note: str,
) -> Figure:
    """Top: the cumulative plan of the whole year against cumulative own + bought up to the
    quarter's last week and the projection to year end, (from week, from value, to week, to
    value). Bottom: the quarter's weeks, own and bought stacked against the plan line."""
    fig = _page(texts.title)
    cumulative, weekly = fig.subplots(2, 1)
    cumulative.plot(
        year_weeks, cumulative_planned_year, color=PLAN, label=texts.planned, linewidth=2
    )
    cumulative.plot(
        weeks_to_date, cumulative_done, color=DONE, label=texts.performed_incl_bought, linewidth=2
    )
    w0, v0, w1, v1 = projection
    cumulative.plot([w0, w1], [v0, v1], color=DONE, linestyle=":", label=texts.projection)
    _axes(cumulative, texts.cumulative_title, texts.week_axis, texts.units_axis, number)
    weekly.bar(quarter_weeks, performed, color=DONE, label=texts.performed)
    weekly.bar(quarter_weeks, bought, bottom=performed, color=BOUGHT, label=texts.bought)
    weekly.plot(quarter_weeks, planned, color=PLAN, marker="o", label=texts.planned)
    _axes(weekly, texts.weekly_title, texts.week_axis, texts.units_axis, number)
    weekly.set_xticks(list(quarter_weeks))
    fig.text(0.05, 0.015, note, fontsize=10)
    fig.subplots_adjust(left=0.08, right=0.78, top=0.9, bottom=0.09, hspace=0.35)
    return fig


def waiting_chart_page(
    title: str,
    weeks: Sequence[int],
    waiting: Sequence[float | None],
    over_90: Sequence[float | None],
    labels: tuple[str, str, str, str],
    number: FuncFormatter,
    note: str,
) -> Figure:
    """The waiting list and those waiting over 90 days per week (a gap where no snapshot
    covers the week). ``labels`` = (waiting, over 90 days, week axis, patients axis)."""
    fig = _page(title)
    ax = fig.add_axes((0.08, 0.12, 0.7, 0.72))
    waiting_label, over_label, week_axis, patients_axis = labels
    ax.plot(weeks, _none_to_nan(waiting), color=PLAN, marker="o", label=waiting_label)
    ax.plot(weeks, _none_to_nan(over_90), color=INFLOW, marker="s", label=over_label)
    _axes(ax, "", week_axis, patients_axis, number)
    ax.set_xticks(list(weeks))
    ax.set_ylim(bottom=0)
    fig.text(0.05, 0.03, note, fontsize=10)
    return fig


def maturity_page(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    areas: Sequence[int],
    scores: Sequence[tuple[str, Sequence[float | None]]],
    score_axis: str,
    area_axis: str,
    note: str,
) -> Figure:
    """The self-assessment: a table per area on top and bars below, one group per area and
    one bar per assessment in ``scores`` ((label, score in percent or None per area))."""
    fig = _page(title)
    top = fig.add_axes((0.05, 0.47, 0.9, 0.41))
    top.axis("off")
    line = 0.028 * 0.83 / 0.41
    numeric = [False] + [True] * (len(header) - 1)
    _notes(top, _table(top, header, rows, widths, numeric, line), [note], line)
    bars = fig.add_axes((0.08, 0.06, 0.7, 0.3))
    width = 0.8 / max(1, len(scores))
    for k, (label, values) in enumerate(scores):
        xs = [a - 0.4 + width * (k + 0.5) for a in areas]
        colour = PLAN if k == len(scores) - 1 else FORECAST
        bars.bar(xs, _none_to_nan(values), width=width, color=colour, label=label)
    bars.set_xticks(list(areas))
    bars.set_ylim(0, 100)
    bars.set_xlabel(area_axis)
    bars.set_ylabel(score_axis)
    bars.grid(axis="y", alpha=0.3)
    bars.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    return fig


def _axes(ax: Axes, title: str, x_label: str, y_label: str, number: FuncFormatter) -> None:
    if title:
        ax.set_title(title, loc="left", fontsize=12)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.yaxis.set_major_formatter(number)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)


def _rect(x: float, y: float, w: float, h: float, colour: str, ax: Axes) -> Rectangle:
    return Rectangle(
        (x, y), w, h, facecolor=colour, edgecolor="#9aa7bd", linewidth=0.5, transform=ax.transAxes
    )
