"""The weekly follow-up pack as PDF (pks report weekly): what the weekly meeting looks at.

Pages: a title page (unit, week, plan version, date made); the seed 004 charts of the unit's
roll-up — weekly plan vs performed incl. bought vs inflow and forecast, and the cumulative
("ack") curves from ISO week 1 with the year-end projection; the KPI table with each
definition written next to it; and a table per planning object. Swedish by default (the
users' language, numbers as ``1 234,5``), English on request.

Every figure of the week comes from `pks.services.followup.followup`, so the PDF and
``pks followup --format json`` cannot disagree; the weekly series of the charts comes from
`weekly_series`, which loads the same plan, counts and forecasts once for the whole year
(instead of a follow-up per week) — its last cumulative values equal the follow-up's.

Drawn with matplotlib (``PdfPages``): one well-kept library for both charts and tables,
with its bundled DejaVu fonts (å, ä, ö and − without any download) embedded as TrueType so
that the text can be searched and extracted (pdftotext) from the PDF.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pks.core.calendar import IsoWeek, weeks_in_year
from pks.core.measures import Measure
from pks.core.numbers import number, percent
from pks.services.errors import UserError
from pks.services.followup import (
    StoredForecasts,
    followup,
    parse_week,
    scope_and_plan,
    weekly_cells,
)
from pks.store import plans as plan_store
from pks.store.db import transaction

LANGUAGES = ("sv", "en")


# -- the weekly series --------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklySeries:
    """The unit's roll-up week by week of the ISO year, for the charts.

    ``weeks`` are the ISO week numbers 1 … the report's week; ``planned``, ``performed``
    (own), ``bought``, ``inflow`` and ``inflow_forecast`` (None: no stored forecast covers
    the week for any object) follow them. ``planned_year`` is the plan of every week of
    the year (the cumulative plan is drawn to year end)."""

    unit: str
    weeks: list[int]
    planned: list[float]
    performed: list[float]
    bought: list[float]
    inflow: list[float]
    inflow_forecast: list[float | None]
    planned_year: list[float]
    plan_versions: list[int]

    @property
    def cumulative_planned(self) -> list[float]:
        """Ack plan from week 1 (as the follow-up's ``cumulative_planned``)."""
        return _running(self.planned)

    @property
    def cumulative_performed(self) -> list[float]:
        """Ack own + bought from week 1 (as the follow-up's ``cumulative_performed``)."""
        return _running([p + b for p, b in zip(self.performed, self.bought, strict=True)])


def _running(values: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


def weekly_series(
    url: str, week: str, unit: str | None = None, against: str = "active"
) -> WeeklySeries:
    """Weeks 1 … ``week`` of its ISO year summed over the planning objects under ``unit``
    (the region by default), against the same plan the follow-up uses, in one read."""
    iso = parse_week(week)
    with transaction(url) as conn:
        _tree, scope, objects, plan = scope_and_plan(conn, unit, against)
        codes = [o.code for o in objects]
        start = IsoWeek(iso.year, 1)
        counts = {
            m: weekly_cells(conn, codes, m, start.monday, iso.monday)
            for m in (Measure.PERFORMED, Measure.BOUGHT, Measure.INFLOW)
        }
        forecasts = StoredForecasts(conn)
        year = [IsoWeek(iso.year, n) for n in range(1, weeks_in_year(iso.year) + 1)]
        upto = year[: iso.week]

        def total(cells: dict[tuple[str, dt.date], float], w: IsoWeek) -> float:
            return sum(cells.get((c, w.monday), 0.0) for c in codes)

        def forecast(w: IsoWeek) -> float | None:
            known = [f for f in (forecasts.get(c, w.monday) for c in codes) if f is not None]
            return sum(known) if known else None

        return WeeklySeries(
            unit=scope,
            weeks=[w.week for w in upto],
            planned=[total(plan.values, w) for w in upto],
            performed=[total(counts[Measure.PERFORMED], w) for w in upto],
            bought=[total(counts[Measure.BOUGHT], w) for w in upto],
            inflow=[total(counts[Measure.INFLOW], w) for w in upto],
            inflow_forecast=[forecast(w) for w in upto],
            planned_year=[total(plan.values, w) for w in year],
            plan_versions=plan.versions,
        )


# -- language (numbers: pks.core.numbers) ---------------------------------------------------


TEXTS: dict[str, dict[str, str]] = {
    "sv": {
        "doc": "Veckouppföljning",
        "unit": "Enhet",
        "week": "Vecka",
        "plan": "Planversion",
        "against_active": "aktiv plan",
        "against_original": "ursprunglig plan",
        "made": "Framtagen",
        "charts": "Plan mot utfall",
        "weekly": "Per vecka: planerat, utfört inkl. köpt, inflöde och prognos",
        "cumulative": "Ackumulerat från vecka 1 (ack)",
        "planned": "Planerat",
        "performed": "Utfört",
        "bought": "Köpt",
        "performed_incl_bought": "Utfört inkl. köpt",
        "inflow": "Inflöde",
        "inflow_forecast": "Prognos inflöde",
        "projection": "Årsprognos i nuvarande takt",
        "week_axis": "ISO-vecka",
        "units_axis": "Antal",
        "kpis": "Nyckeltal",
        "kpi": "Nyckeltal",
        "value": "Värde",
        "definition": "Definition",
        "objects": "Planeringsobjekt",
        "code": "Kod",
        "name": "Namn",
        "over_90": "Väntat > 90 dagar",
        "total": "Totalt",
        "quality": "Datakvalitet veckan: {late} sena registreringar, {unknown} okända koder",
        "year_end": "Årsprognos {unit}: planerat {planned}, utfört hittills {done}, "
        "i nuvarande takt {projected} ({gap} {verdict} plan)",
        "under": "under",
        "over": "över",
        "page": "Sida",
    },
    "en": {
        "doc": "Weekly follow-up",
        "unit": "Unit",
        "week": "Week",
        "plan": "Plan version",
        "against_active": "active plan",
        "against_original": "original plan",
        "made": "Made",
        "charts": "Plan versus outcome",
        "weekly": "Per week: planned, performed incl. bought, inflow and forecast",
        "cumulative": "Cumulative from week 1",
        "planned": "Planned",
        "performed": "Performed",
        "bought": "Bought",
        "performed_incl_bought": "Performed incl. bought",
        "inflow": "Inflow",
        "inflow_forecast": "Inflow forecast",
        "projection": "Year-end projection at current pace",
        "week_axis": "ISO week",
        "units_axis": "Units",
        "kpis": "Key figures",
        "kpi": "Key figure",
        "value": "Value",
        "definition": "Definition",
        "objects": "Planning objects",
        "code": "Code",
        "name": "Name",
        "over_90": "Waiting > 90 days",
        "total": "Total",
        "quality": "Data quality of the week: {late} late registrations, {unknown} unknown codes",
        "year_end": "Year-end projection {unit}: planned {planned}, performed to date {done}, "
        "at the current pace {projected} ({gap} {verdict} plan)",
        "under": "short of",
        "over": "over",
        "page": "Page",
    },
}
"""Every text of the pack, per language (the numbers are formatted by `number`)."""

KPI_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "sv": {
        "beläggningsgrad": (
            "Beläggningsgrad",
            "utförda / planerade kontakter: egen produktion ÷ planens enheter i veckan "
            "(utan plan i veckan: ÷ bokade kontakter)",
        ),
        "utförande": (
            "Utförande",
            "värdeskapande tid / utnyttjad tid: utförda × kompetensernas tidsstandard "
            "(timmar) ÷ tillgängliga timmar för dessa kompetenser i veckan",
        ),
        "kvalitetsutfall": (
            "Kvalitetsutfall",
            "utförda kontakter / (utförda kontakter + oplanerade återbesök)",
        ),
        "prognosfel": (
            "Prognosfel",
            "(inflöde − prognostiserat inflöde) ÷ prognostiserat inflöde × 100; "
            "positivt = fler kom än prognosen sa",
        ),
    },
    "en": {
        "beläggningsgrad": (
            "Occupancy (beläggningsgrad)",
            "performed / planned contacts: own production ÷ the plan's units of the week "
            "(no plan that week: ÷ booked contacts)",
        ),
        "utförande": (
            "Execution (utförande)",
            "value-creating time / used time: performed × the competences' time standards "
            "(hours) ÷ the available hours of those competences in the week",
        ),
        "kvalitetsutfall": (
            "Quality outcome (kvalitetsutfall)",
            "performed contacts / (performed contacts + unplanned return visits)",
        ),
        "prognosfel": (
            "Forecast error (prognosfel)",
            "(inflow − forecast inflow) ÷ forecast inflow × 100; positive = more arrived "
            "than forecast",
        ),
    },
}
"""KPI names and definitions as printed (the same definitions as `pks.core.followup`)."""


def year_end_line(row: dict[str, Any], lang: str) -> str:
    """The year-end projection sentence of a roll-up row, as the pack prints it."""
    end = row["year_end_projection"]
    t = TEXTS[lang]
    return t["year_end"].format(
        unit=row["unit"],
        planned=number(end["planned_year"], lang),
        done=number(end["performed_to_date"], lang),
        projected=number(end["projected_year"], lang),
        gap=number(abs(end["shortfall"]), lang),
        verdict=t["under"] if end["shortfall"] > 0 else t["over"],
    )


# -- the pack ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyPack:
    """What `weekly_report` wrote: the file, its page count and the follow-up it shows."""

    path: Path
    pages: int
    followup: dict[str, Any]


OBJECT_ROWS_PER_PAGE = 22
"""Rows of the object table per A4 landscape page (the demo region's units fit on one)."""


def weekly_report(
    url: str,
    week: str,
    output: Path,
    unit: str | None = None,
    lang: str = "sv",
    made: dt.date | None = None,
) -> WeeklyPack:
    """Write the weekly follow-up pack of ``unit`` (the region by default) for ``week`` to
    ``output`` and return what was written. ``made`` is the date on the title page (today
    by default; tests fix it)."""
    if lang not in LANGUAGES:
        raise UserError(f"--lang must be sv or en, got {lang!r}")
    if not output.parent.is_dir():
        raise UserError(f"--output {output}: the folder {output.parent} does not exist")
    report = followup(url, week, unit)
    series = weekly_series(url, week, unit)
    with transaction(url) as conn:
        versions = [plan_store.load_version(conn, v) for v in report["plan_versions"]]
    titles = [
        f"{v.id} ({v.unit_code}{': ' + v.title if v.title else ''})"
        for v in versions
        if v is not None
    ]
    pages = _pages(report, series, titles, lang, made or dt.date.today())

    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    # TrueType (42) instead of Type 3 fonts: the text stays extractable and searchable.
    with (
        matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}),
        PdfPages(output, metadata={"Title": f"{TEXTS[lang]['doc']} {report['week']}"}) as pdf,
    ):
        for page in pages:
            pdf.savefig(page)
        count = pdf.get_pagecount()
    return WeeklyPack(output, count, report)


def _pages(
    report: dict[str, Any], series: WeeklySeries, titles: list[str], lang: str, made: dt.date
) -> list[Any]:
    from matplotlib.ticker import FuncFormatter

    from pks.services.report_charts import ChartTexts, chart_page, table_page, text_page

    t = TEXTS[lang]
    rollup = next(r for r in report["rollups"] if r["unit"] == report["unit"])
    heading = f"{t['doc']} {report['week']} – {rollup['unit']} {rollup['name']}"
    against = t["against_active"] if report["against"] == "active" else t["against_original"]
    quality = report["data_quality"]
    quality_line = t["quality"].format(
        late=quality["late_registrations"], unknown=quality["unknown_codes"]
    )
    end_line = year_end_line(rollup, lang)
    title = text_page(
        t["doc"],
        [
            (f"{t['unit']}: {rollup['unit']} – {rollup['name']}", 20),
            (f"{t['week']}: {report['week']}", 20),
            (f"{t['plan']}: {', '.join(titles)} ({against})", 14),
            (f"{t['made']}: {made.isoformat()}", 14),
            ("", 10),
            (end_line, 12),
            (quality_line, 12),
        ],
    )

    end = rollup["year_end_projection"]
    last = len(series.planned_year)
    iso_week = series.weeks[-1]
    charts = chart_page(
        ChartTexts(
            title=f"{t['charts']} – {heading}",
            weekly_title=t["weekly"],
            cumulative_title=t["cumulative"],
            planned=t["planned"],
            performed=t["performed"],
            bought=t["bought"],
            performed_incl_bought=t["performed_incl_bought"],
            inflow=t["inflow"],
            inflow_forecast=t["inflow_forecast"],
            projection=t["projection"],
            week_axis=t["week_axis"],
            units_axis=t["units_axis"],
        ),
        weeks=series.weeks,
        planned=series.planned,
        performed=series.performed,
        bought=series.bought,
        inflow=series.inflow,
        inflow_forecast=series.inflow_forecast,
        year_weeks=list(range(1, last + 1)),
        cumulative_planned_year=_running(series.planned_year),
        projection=(iso_week, end["performed_to_date"], last, end["projected_year"]),
        number=FuncFormatter(lambda v, _pos: number(v, lang)),
        projection_text=end_line,
    )

    k = KPI_TEXTS[lang]
    kpi_rows = []
    for name, kpi in rollup["kpis"].items():
        label, definition = k[name]
        raw = kpi["value"]
        # ratios print as percent; prognosfel already is one
        value = percent(None if raw is None else raw * (1 if name == "prognosfel" else 100), lang)
        kpi_rows.append([label, value, textwrap.fill(definition, 105)])
    kpi_page = table_page(
        f"{t['kpis']} – {heading}",
        [t["kpi"], t["value"], t["definition"]],
        kpi_rows,
        widths=[0.22, 0.1, 0.68],
        numeric=[False, True, False],
        notes=[end_line, quality_line],
    )

    header = [
        t["code"],
        t["name"],
        t["planned"],
        t["performed"],
        t["bought"],
        t["inflow"],
        t["over_90"],
    ]
    keys = ("planned", "performed", "bought", "inflow", "waiting_over_90d")
    rows = [
        [o["planning_object"], textwrap.shorten(o["name"], 48), *(number(o[x], lang) for x in keys)]
        for o in report["objects"]
    ]
    rows.append(
        [t["total"], f"{rollup['unit']} {rollup['name']}", *(number(rollup[x], lang) for x in keys)]
    )
    chunks = [rows[i : i + OBJECT_ROWS_PER_PAGE] for i in range(0, len(rows), OBJECT_ROWS_PER_PAGE)]
    tables = [
        table_page(
            f"{t['objects']} – {heading}"
            + (f" ({t['page'].lower()} {n}/{len(chunks)})" if len(chunks) > 1 else ""),
            header,
            chunk,
            widths=[0.14, 0.31, 0.11, 0.11, 0.11, 0.11, 0.11],
            numeric=[False, False, True, True, True, True, True],
        )
        for n, chunk in enumerate(chunks, start=1)
    ]
    return [title, charts, kpi_page, *tables]
