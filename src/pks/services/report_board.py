"""The quarterly board report as PDF (pks report quarterly): what the board (nämnd/styrelse)
reads about a unit's production, waiting and PKS maturity once a quarter.

A quarter is the ISO weeks whose Thursday falls in its three months (so 2025-Q1 is
2025-W01 … W13 and a quarter of a 53-week year may hold 14 weeks); the report stands at the
quarter's last week. Pages: a front page with the key figures; plan against performed
(cumulative from week 1 with the year-end projection, and the quarter's weeks); the waiting
list and those waiting over 90 days per week; a table per child unit; the open deviations;
and the maturity self-assessment (latest against the previous one).

Every production and waiting figure comes from `pks.services.followup.followup`, one call
per week of the quarter, so the report and ``pks followup --format json`` cannot disagree;
the cumulative curve comes from `pks.services.report_pdf.weekly_series` (which ends where
the follow-up's cumulative figures are). Drawn like the weekly pack (`report_charts`).
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pks.core.calendar import IsoWeek, weeks_in_year
from pks.core.deviations import DeviationKind, DeviationStatus
from pks.core.numbers import number, percent
from pks.core.organisation import OrgTree
from pks.services import maturity
from pks.services.deviations import list_deviations
from pks.services.errors import UserError
from pks.services.followup import AGAINST, followup
from pks.services.report_pdf import LANGUAGES, WeeklySeries, weekly_series, year_end_line
from pks.store import repositories as repo
from pks.store.db import transaction

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[QK]([1-4])\s*$", re.IGNORECASE)

DEVIATION_ROWS = 15
"""Open deviations listed (the longest open first); the front page counts all of them."""


# -- the quarter ------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    """One calendar quarter of ISO weeks, e.g. ``Quarter(2025, 1)`` written ``2025-Q1``."""

    year: int
    number: int

    @property
    def weeks(self) -> list[IsoWeek]:
        """The ISO weeks of ``year`` whose Thursday falls in the quarter's months."""
        return [
            w
            for w in (IsoWeek(self.year, n) for n in range(1, weeks_in_year(self.year) + 1))
            if (w.monday + dt.timedelta(days=3)).month
            in range(3 * self.number - 2, 3 * self.number + 1)
        ]

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


def parse_quarter(text: str) -> Quarter:
    """``2025-Q1`` or the Swedish ``2025-K1`` (also ``2025Q1``) → Quarter; else a UserError."""
    match = _QUARTER.match(text)
    if match is None:
        raise UserError(f"--quarter {text!r}: expected e.g. 2025-Q1 or 2025-K1")
    return Quarter(int(match.group(1)), int(match.group(2)))


# -- the figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardFigures:
    """What the report shows, before it is drawn.

    ``weekly`` holds the follow-up (`followup`) of each week of the quarter, oldest first;
    ``series`` the unit's roll-up from ISO week 1 to the quarter's last week; ``children``
    the codes of the units one level down (empty for a leaf unit); ``deviations`` the
    deviations open at the quarter's end (raised in or before its last week, not closed),
    longest open first; ``assessments`` the unit's maturity self-assessments dated on or
    before the quarter's last day, oldest first (as `pks.services.maturity.report`)."""

    quarter: Quarter
    unit: str
    name: str
    against: str
    weekly: list[dict[str, Any]]
    series: WeeklySeries
    children: list[str]
    deviations: list[dict[str, Any]]
    assessments: list[dict[str, Any]]

    def rollup(self, week: int, unit: str | None = None) -> dict[str, Any]:
        """The follow-up's roll-up row of ``unit`` (the report's by default) in the quarter's
        ``week``-th week (0-based; -1 = the last)."""
        code = unit or self.unit
        return next(r for r in self.weekly[week]["rollups"] if r["unit"] == code)

    def quarter_sum(self, field: str, unit: str | None = None) -> float:
        """``field`` (planned, performed, bought: units a week) summed over the quarter."""
        return float(sum(self.rollup(k, unit)[field] for k in range(len(self.weekly))))


def board_figures(
    url: str, quarter: str, unit: str | None = None, against: str = "active"
) -> BoardFigures:
    """Collect the figures of ``unit``'s (the region's by default) report for ``quarter``."""
    q = parse_quarter(quarter)
    if against not in AGAINST:
        raise UserError(f"--against must be active or original, got {against!r}")
    weeks = q.weeks
    weekly = [followup(url, str(w), unit, against) for w in weeks]
    last = weekly[-1]
    scope = last["unit"]
    series = weekly_series(url, str(weeks[-1]), scope, against)
    levels = {r["unit"]: r for r in last["rollups"]}
    with transaction(url) as conn:
        tree = OrgTree(repo.load_org_units(conn))
    children = [u.code for u in tree.children(scope) if u.code in levels]
    deviations = _open_deviations(url, set(levels), weeks[-1])
    assessments = [
        a
        for a in maturity.report(url, scope)["assessments"]
        if dt.date.fromisoformat(a["date"]) <= weeks[-1].sunday
    ]
    return BoardFigures(
        q, scope, levels[scope]["name"], against, weekly, series, children, deviations, assessments
    )


def _open_deviations(url: str, inside: set[str], last: IsoWeek) -> list[dict[str, Any]]:
    """Deviations owned by or about a unit ``inside`` the scope (one about it that was
    escalated above it still concerns it), raised by ``last`` and not closed, each with
    ``weeks_open`` (weeks from the week it was raised to ``last``), longest open first."""
    rows = []
    for d in list_deviations(url):
        raised = IsoWeek.parse(d["week"])
        if d["unit"] not in inside and d["subject"] not in inside:
            continue
        if d["status"] == DeviationStatus.CLOSED.value or raised > last:
            continue
        rows.append({**d, "weeks_open": last - raised})
    return sorted(rows, key=lambda d: (-d["weeks_open"], d["id"]))


# -- language (numbers: pks.core.numbers) -----------------------------------------------------


TEXTS: dict[str, dict[str, str]] = {
    "sv": {
        "doc": "Kvartalsrapport till nämnd/styrelse",
        "unit": "Enhet",
        "quarter": "Kvartal",
        "plan": "Jämförs med",
        "against_active": "aktiv plan",
        "against_original": "ursprunglig plan",
        "version": "version",
        "made": "Framtagen",
        "key": "Nyckeltal",
        "period": "Period",
        "planned": "Planerat",
        "performed": "Utfört",
        "bought": "Köpt",
        "incl": "Utfört inkl. köpt",
        "incl_head": "Utfört\ninkl. köpt",
        "share": "Andel av plan",
        "row_quarter": "Kvartalet ({first}–{last})",
        "row_ytd": "Hittills i år (v. 1–{week})",
        "row_year": "Helår {year}: plan och prognos i nuvarande takt",
        "waiting_90": "Väntat > 90 dagar: {start} vid kvartalets början ({first}), "
        "{end} vid kvartalets slut ({last})",
        "deviations_line": "Öppna avvikelser vid kvartalets slut: {count}",
        "maturity_line": "Självskattning av PKS-mognad: senast {date} (se sista sidan)",
        "maturity_none": "Självskattning av PKS-mognad: ingen är registrerad för {unit} "
        "till och med {day}",
        "charts": "Plan mot utfall",
        "cumulative": "Ackumulerat från vecka 1 med årsprognos",
        "weekly": "Kvartalets veckor: planerat och utfört inkl. köpt",
        "projection": "Årsprognos i nuvarande takt",
        "week_axis": "ISO-vecka",
        "units_axis": "Antal",
        "waiting_title": "Väntelista per vecka",
        "waiting": "Väntande",
        "over_90": "Väntat > 90 dagar",
        "patients_axis": "Patienter",
        "children": "Enheter under",
        "child_share": "Utfört inkl. köpt\ni % av plan",
        "child_over_90": "Väntat > 90 dagar\n({week})",
        "total": "Totalt",
        "own": "{unit} direkt (objekt utan underenhet)",
        "leaf": "{unit} har inga enheter under sig: tabellen visar enheten själv.",
        "deviations": "Öppna avvikelser",
        "kind": "Typ",
        "owner": "Ägare",
        "subject": "Gäller",
        "status": "Status",
        "raised": "Upptäckt vecka",
        "weeks_open": "Veckor öppen",
        "no_deviations": "Inga öppna avvikelser vid kvartalets slut ({week}).",
        "shown": "De {shown} som varit öppna längst av {count}; veckor öppen räknas från "
        "upptäckt vecka till {week}.",
        "maturity": "Självskattning av PKS-mognad (Socialstyrelsen)",
        "area": "Område",
        "assessment": "Självskattning\n{date}",
        "change": "Förändring\n(procentenheter)",
        "score_axis": "Poäng (% av max)",
        "maturity_note": "Poäng per område: i hög grad 2, delvis 1, inte alls 0, vet ej räknas "
        "inte; andel av max. Senaste självskattningen {date}.",
        "maturity_first": "Senaste självskattningen {date} är den första: ingen förändring att "
        "visa.",
    },
    "en": {
        "doc": "Quarterly board report",
        "unit": "Unit",
        "quarter": "Quarter",
        "plan": "Compared with",
        "against_active": "active plan",
        "against_original": "original plan",
        "version": "version",
        "made": "Made",
        "key": "Key figures",
        "period": "Period",
        "planned": "Planned",
        "performed": "Performed",
        "bought": "Bought",
        "incl": "Performed incl. bought",
        "incl_head": "Performed\nincl. bought",
        "share": "Share of plan",
        "row_quarter": "The quarter ({first}–{last})",
        "row_ytd": "Year to date (weeks 1–{week})",
        "row_year": "Year {year}: plan and projection at the current pace",
        "waiting_90": "Waiting > 90 days: {start} at the start of the quarter ({first}), "
        "{end} at its end ({last})",
        "deviations_line": "Open deviations at the end of the quarter: {count}",
        "maturity_line": "PKS maturity self-assessment: latest {date} (see the last page)",
        "maturity_none": "PKS maturity self-assessment: none is recorded for {unit} up to {day}",
        "charts": "Plan versus outcome",
        "cumulative": "Cumulative from week 1 with the year-end projection",
        "weekly": "The quarter's weeks: planned and performed incl. bought",
        "projection": "Projection, current pace",
        "week_axis": "ISO week",
        "units_axis": "Units",
        "waiting_title": "Waiting list per week",
        "waiting": "Waiting",
        "over_90": "Waiting > 90 days",
        "patients_axis": "Patients",
        "children": "Units under",
        "child_share": "Performed incl. bought\nas % of plan",
        "child_over_90": "Waiting > 90 days\n({week})",
        "total": "Total",
        "own": "{unit} itself (objects on no unit below)",
        "leaf": "{unit} has no units under it: the table shows the unit itself.",
        "deviations": "Open deviations",
        "kind": "Kind",
        "owner": "Owner",
        "subject": "Concerns",
        "status": "Status",
        "raised": "Raised in week",
        "weeks_open": "Weeks open",
        "no_deviations": "No open deviations at the end of the quarter ({week}).",
        "shown": "The {shown} open longest of {count}; weeks open are counted from the week "
        "raised to {week}.",
        "maturity": "PKS maturity self-assessment (Socialstyrelsen)",
        "area": "Area",
        "assessment": "Assessment\n{date}",
        "change": "Change\n(percentage points)",
        "score_axis": "Score (% of max)",
        "maturity_note": "Score per area: agree to a high degree 2, partly 1, not at all 0, "
        "don't know left out; share of the maximum. Latest assessment {date}.",
        "maturity_first": "The latest assessment, {date}, is the first: no change to show.",
    },
}
"""Every text of the board report, per language (the numbers are formatted by `number`)."""

AREA_NAMES_EN: dict[int, str] = {
    1: "Systematic and organisation-wide",
    2: "Links between the levels",
    3: "Binding",
    4: "Follow-up used for steering and improvement",
    5: "Competence",
    6: "Data and IT support",
    7: "Results",
    8: "Continuous learning",
}
"""The self-assessment's eight areas in English (the Swedish questions are quoted as
published in `pks.core.maturity`)."""


def _term(value: str, vocabulary: type[DeviationKind] | type[DeviationStatus], lang: str) -> str:
    """A deviation kind or status as the reader says it."""
    return vocabulary(value).swedish if lang == "sv" else value.replace("_", " ")


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardReport:
    """What `quarterly_report` wrote: the file, its page count and the figures it shows."""

    path: Path
    pages: int
    figures: BoardFigures


def quarterly_report(
    url: str,
    quarter: str,
    output: Path,
    unit: str | None = None,
    lang: str = "sv",
    against: str = "active",
    made: dt.date | None = None,
) -> BoardReport:
    """Write the board report of ``unit`` (the region by default) for ``quarter`` to
    ``output`` and return what was written. ``made`` is the date on the front page (today
    by default; tests fix it)."""
    if lang not in LANGUAGES:
        raise UserError(f"--lang must be sv or en, got {lang!r}")
    if not output.parent.is_dir():
        raise UserError(f"--output {output}: the folder {output.parent} does not exist")
    figures = board_figures(url, quarter, unit, against)
    drawn = _pages(figures, lang, made or dt.date.today())

    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    title = f"{TEXTS[lang]['doc']} {figures.quarter}"
    # TrueType (42) instead of Type 3 fonts: the text stays extractable and searchable.
    with (
        matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}),
        PdfPages(output, metadata={"Title": title}) as pdf,
    ):
        for page in drawn:
            pdf.savefig(page)
        count = pdf.get_pagecount()
    return BoardReport(output, count, figures)


# -- the pages -------------------------------------------------------------------------------


def _share(done: float, planned: float, lang: str) -> str:
    """``done`` as a percent of ``planned`` ("–" when nothing is planned)."""
    return percent(done / planned * 100 if planned > 0 else None, lang)


def _pages(f: BoardFigures, lang: str, made: dt.date) -> list[Any]:
    pages = [
        _front_page(f, lang, made),
        _plan_page(f, lang),
        _waiting_page(f, lang),
        _children_page(f, lang),
        _deviations_page(f, lang),
    ]
    if f.assessments:
        pages.append(_maturity_page(f, lang))
    return pages


def _heading(f: BoardFigures, title: str) -> str:
    return f"{title} – {f.unit} {f.name}, {f.quarter}"


def _front_page(f: BoardFigures, lang: str, made: dt.date) -> Any:
    from pks.services.report_charts import summary_page

    t = TEXTS[lang]
    first, last = f.weekly[0]["week"], f.weekly[-1]["week"]
    end = f.rollup(-1)
    year = end["year_end_projection"]
    planned, performed, bought = (f.quarter_sum(x) for x in ("planned", "performed", "bought"))
    ytd_done, ytd_bought = end["cumulative_performed"], end["cumulative_bought"]
    rows = [
        [
            t["row_quarter"].format(first=first, last=last),
            *(number(v, lang) for v in (planned, performed, bought, performed + bought)),
            _share(performed + bought, planned, lang),
        ],
        [
            t["row_ytd"].format(week=f.series.weeks[-1]),
            *(number(v, lang) for v in (end["cumulative_planned"], ytd_done - ytd_bought)),
            number(ytd_bought, lang),
            number(ytd_done, lang),
            _share(ytd_done, end["cumulative_planned"], lang),
        ],
        [
            t["row_year"].format(year=f.quarter.year),
            number(year["planned_year"], lang),
            "–",
            "–",
            number(year["projected_year"], lang),
            _share(year["projected_year"], year["planned_year"], lang),
        ],
    ]
    against = t["against_active"] if f.against == "active" else t["against_original"]
    versions = ", ".join(str(v) for v in f.weekly[-1]["plan_versions"])
    return summary_page(
        t["doc"],
        [
            (f"{t['unit']}: {f.unit} – {f.name}", 20),
            (f"{t['quarter']}: {f.quarter} ({first}–{last})", 20),
            (f"{t['plan']}: {against}, {t['version']} {versions}", 14),
            (f"{t['made']}: {made.isoformat()}", 14),
        ],
        [t["period"], t["planned"], t["performed"], t["bought"], t["incl_head"], t["share"]],
        rows,
        widths=[0.36, 0.12, 0.12, 0.12, 0.16, 0.12],
        numeric=[False, True, True, True, True, True],
        notes=[
            year_end_line(end, lang),
            t["waiting_90"].format(
                start=number(f.rollup(0)["waiting_over_90d"], lang),
                end=number(end["waiting_over_90d"], lang),
                first=first,
                last=last,
            ),
            _deviation_counts(f, lang),
            _maturity_line(f, lang),
        ],
    )


def _deviation_counts(f: BoardFigures, lang: str) -> str:
    """``Öppna avvikelser …: 3 (ny 2, kvitterad 1)``: the open ones by status."""
    counts = Counter(d["status"] for d in f.deviations)
    by_status = ", ".join(
        f"{_term(s.value, DeviationStatus, lang)} {counts[s.value]}"
        for s in DeviationStatus
        if counts[s.value]
    )
    line = TEXTS[lang]["deviations_line"].format(count=len(f.deviations))
    return f"{line} ({by_status})" if by_status else line


def _maturity_line(f: BoardFigures, lang: str) -> str:
    t = TEXTS[lang]
    if f.assessments:
        return t["maturity_line"].format(date=f.assessments[-1]["date"])
    return t["maturity_none"].format(unit=f.unit, day=f.quarter.weeks[-1].sunday.isoformat())


def _plan_page(f: BoardFigures, lang: str) -> Any:
    from itertools import accumulate

    from matplotlib.ticker import FuncFormatter

    from pks.services.report_charts import QuarterChartTexts, quarter_chart_page

    t = TEXTS[lang]
    end = f.rollup(-1)
    year = end["year_end_projection"]
    s = f.series
    weeks = len(f.weekly)
    line = year_end_line(end, lang)
    return quarter_chart_page(
        QuarterChartTexts(
            title=_heading(f, t["charts"]),
            cumulative_title=t["cumulative"],
            weekly_title=t["weekly"],
            planned=t["planned"],
            performed=t["performed"],
            bought=t["bought"],
            performed_incl_bought=t["incl"],
            projection=t["projection"],
            week_axis=t["week_axis"],
            units_axis=t["units_axis"],
        ),
        year_weeks=list(range(1, len(s.planned_year) + 1)),
        cumulative_planned_year=list(accumulate(s.planned_year)),
        weeks_to_date=s.weeks,
        cumulative_done=s.cumulative_performed,
        projection=(
            s.weeks[-1],
            year["performed_to_date"],
            len(s.planned_year),
            year["projected_year"],
        ),
        quarter_weeks=s.weeks[-weeks:],
        planned=[f.rollup(k)["planned"] for k in range(weeks)],
        performed=[f.rollup(k)["performed"] for k in range(weeks)],
        bought=[f.rollup(k)["bought"] for k in range(weeks)],
        number=FuncFormatter(lambda v, _pos: number(v, lang)),
        note=line,
    )


def _waiting_page(f: BoardFigures, lang: str) -> Any:
    from matplotlib.ticker import FuncFormatter

    from pks.services.report_charts import waiting_chart_page

    t = TEXTS[lang]
    weeks = range(len(f.weekly))
    return waiting_chart_page(
        _heading(f, t["waiting_title"]),
        weeks=f.series.weeks[-len(f.weekly) :],
        waiting=[f.rollup(k)["waiting"] for k in weeks],
        over_90=[f.rollup(k)["waiting_over_90d"] for k in weeks],
        labels=(t["waiting"], t["over_90"], t["week_axis"], t["patients_axis"]),
        number=FuncFormatter(lambda v, _pos: number(v, lang)),
        note=t["waiting_90"].format(
            start=number(f.rollup(0)["waiting_over_90d"], lang),
            end=number(f.rollup(-1)["waiting_over_90d"], lang),
            first=f.weekly[0]["week"],
            last=f.weekly[-1]["week"],
        ),
    )


def _unit_figures(f: BoardFigures, code: str) -> list[float | None]:
    """Quarter planned, performed and bought; waiting > 90 days at the quarter's end."""
    sums: list[float | None] = [f.quarter_sum(x, code) for x in ("planned", "performed", "bought")]
    return [*sums, f.rollup(-1, code)["waiting_over_90d"]]


def _unit_row(label: str, values: list[float | None], lang: str) -> list[str]:
    planned, performed, bought, over_90 = values
    return [
        label,
        *(number(v, lang) for v in (planned, performed, bought)),
        _share((performed or 0.0) + (bought or 0.0), planned or 0.0, lang),
        number(over_90, lang),
    ]


def _children_page(f: BoardFigures, lang: str) -> Any:
    """One row per child unit, the objects placed on the unit itself (when any: what the
    children leave of the total) and the total."""
    from pks.services.report_charts import table_page

    t = TEXTS[lang]
    name = {r["unit"]: r["name"] for r in f.weekly[-1]["rollups"]}
    label = {c: f"{c} {textwrap.shorten(name[c], 40)}" for c in [*f.children, f.unit]}
    children = {c: _unit_figures(f, c) for c in f.children}
    total = _unit_figures(f, f.unit)
    rows = [_unit_row(label[c], v, lang) for c, v in children.items()]
    if children:
        own = [
            None if v is None else v - sum(c[i] or 0.0 for c in children.values())
            for i, v in enumerate(total)
        ]
        if any(own):
            rows.append(_unit_row(t["own"].format(unit=f.unit), own, lang))
    rows.append(_unit_row(f"{t['total']} {label[f.unit]}", total, lang))
    return table_page(
        _heading(f, f"{t['children']} {f.unit}"),
        [
            t["unit"],
            t["planned"],
            t["performed"],
            t["bought"],
            t["child_share"],
            t["child_over_90"].format(week=f.weekly[-1]["week"]),
        ],
        rows,
        widths=[0.36, 0.11, 0.11, 0.11, 0.15, 0.16],
        numeric=[False, True, True, True, True, True],
        notes=[] if f.children else [t["leaf"].format(unit=f.unit)],
    )


def _deviations_page(f: BoardFigures, lang: str) -> Any:
    from pks.services.report_charts import table_page

    t = TEXTS[lang]
    last = f.weekly[-1]["week"]
    shown = f.deviations[:DEVIATION_ROWS]
    rows = [
        [
            _term(d["kind"], DeviationKind, lang),
            d["unit"],
            d["subject"] or "–",
            _term(d["status"], DeviationStatus, lang),
            d["week"],
            str(d["weeks_open"]),
        ]
        for d in shown
    ]
    note = (
        t["shown"].format(shown=len(shown), count=len(f.deviations), week=last)
        if shown
        else t["no_deviations"].format(week=last)
    )
    return table_page(
        _heading(f, t["deviations"]),
        [t["kind"], t["owner"], t["subject"], t["status"], t["raised"], t["weeks_open"]],
        rows,
        widths=[0.3, 0.12, 0.12, 0.18, 0.14, 0.14],
        numeric=[False, False, False, False, False, True],
        notes=[_deviation_counts(f, lang), note],
    )


def _maturity_page(f: BoardFigures, lang: str) -> Any:
    from pks.services.report_charts import maturity_page

    t = TEXTS[lang]
    shown = f.assessments[-2:]  # the previous and the latest
    latest = shown[-1]
    scores = [[a["score_percent"] for a in s["areas"]] for s in shown]
    rows = []
    for k, area in enumerate(latest["areas"]):
        n = area["area"]
        name = textwrap.fill(area["question"], 75) if lang == "sv" else AREA_NAMES_EN[n]
        values = [percent(s[k], lang) for s in scores]
        if len(shown) == 2:
            before, now = scores[0][k], scores[1][k]
            change = None if before is None or now is None else now - before
            values.append(("+" if change and change > 0 else "") + number(change, lang, 1))
        rows.append([f"{n} {name}", *values])
    header = [t["area"], *(t["assessment"].format(date=s["date"]) for s in shown)]
    if len(shown) == 2:
        header.append(t["change"])
    note = t["maturity_note" if len(shown) == 2 else "maturity_first"].format(date=latest["date"])
    return maturity_page(
        _heading(f, t["maturity"]),
        header,
        rows,
        widths=[0.55, 0.15, 0.15, 0.15][: len(header)],
        areas=[a["area"] for a in latest["areas"]],
        scores=[
            (t["assessment"].format(date=s["date"]), v) for s, v in zip(shown, scores, strict=True)
        ],
        score_axis=t["score_axis"],
        area_axis=t["area"],
        note=note,
    )
