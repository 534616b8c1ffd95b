"""Use case: the data-quality report (pks quality, and the overview page).

Per planning object and week over the most recent weeks: missing weeks, zero weeks,
outliers (modified z-score, see `core.quality`), late registrations, codes in files that
were unknown, and the share of events without a planning object.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from pks.core.calendar import IsoWeek, is_low_production_week
from pks.core.measures import Measure
from pks.core.quality import modified_z_scores, outliers, share, unexpected_zeros
from pks.store import repositories as repo
from pks.store.db import transaction

EXAMINED = (Measure.INFLOW.value, Measure.PERFORMED.value)
"""Measures whose weekly series are examined for gaps and outliers."""


@dataclass(frozen=True)
class Finding:
    """One problem in one week of one planning object's series."""

    planning_object: str
    unit: str
    measure: str
    week: str
    kind: str  # missing_week | zero_week | outlier | late_registration
    count: int | None
    detail: str


@dataclass
class QualityReport:
    """The whole report; `to_dict` is the JSON of `pks quality --format json`."""

    first_week: str | None
    last_week: str | None
    planning_objects: int
    series_examined: int
    missing_weeks: int = 0
    zero_weeks: int = 0
    outliers: int = 0
    late_registrations: int = 0
    unmapped_events: int = 0
    unmapped_share: float = 0.0
    unknown_codes: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    per_planning_object: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["unmapped_share"] = round(self.unmapped_share, 6)
        return data


def _week_text(day: dt.date) -> str:
    return str(IsoWeek.of(day))


def _series_findings(
    frame: pl.DataFrame, weeks: list[dt.date], units: dict[str, str]
) -> list[Finding]:
    """Missing, zero and outlier weeks of every (planning object, measure) series."""
    low = np.array([is_low_production_week(IsoWeek.of(w)) for w in weeks])
    index = {w: i for i, w in enumerate(weeks)}
    found: list[Finding] = []
    for (code, measure), series in frame.group_by(["code", "measure"], maintain_order=True):
        values = np.full(len(weeks), np.nan)
        for week, count in series.select("week_start", "count").iter_rows():
            values[index[week]] = count
        present = np.isfinite(values)
        first_present = int(np.argmax(present))
        z = modified_z_scores(values)
        median = float(np.nanmedian(values)) if present.any() else 0.0
        flagged = outliers(values, low)
        zeros = unexpected_zeros(values, low)
        for i, week in enumerate(weeks):
            common = (str(code), units[str(code)], str(measure), _week_text(week))
            if i > first_present and not present[i]:
                found.append(Finding(*common, "missing_week", None, "no count registered"))
            elif zeros[i]:
                found.append(
                    Finding(*common, "zero_week", 0, f"registered as zero; median {median:g}/week")
                )
            elif flagged[i]:
                found.append(
                    Finding(
                        *common,
                        "outlier",
                        int(values[i]),
                        f"modified z-score {z[i]:.1f} (|z| > 3.5)",
                    )
                )
    return found


def quality_report(url: str, weeks: int = 52) -> QualityReport:
    """The data-quality report over the ``weeks`` most recent weeks (fewer if the data
    are younger)."""
    with transaction(url) as conn:
        oldest, last = repo.week_span(conn)
        objects = repo.load_planning_objects(conn)
        units = {p.code: p.unit_code for p in objects}
        if last is None:
            return QualityReport(
                None, None, len(objects), 0, unknown_codes=_unknown(repo.unknown_codes(conn))
            )
        assert oldest is not None
        first = max(last - dt.timedelta(weeks=weeks - 1), oldest)
        weeks = (last - first).days // 7 + 1
        counts = repo.weekly_counts(conn, first, last)
        late = repo.late_registrations(conn, first)
        unknown = repo.unknown_codes(conn)
        unmapped = repo.unmapped_counts(conn, first)
    frame = pl.DataFrame(counts, schema=["code", "measure", "week_start", "count"], orient="row")
    week_list = [first + dt.timedelta(weeks=i) for i in range(weeks)]
    examined = frame.filter(pl.col("measure").is_in(EXAMINED)).sort("code", "measure")
    findings = _series_findings(examined, week_list, units)
    findings += [
        Finding(
            code,
            units[code],
            measure,
            _week_text(week),
            "late_registration",
            new,
            f"{old} → {new} in the import of {when:%Y-%m-%d}",
        )
        for code, measure, week, old, new, when in late
    ]
    unmapped_total = sum(c for _, _, c in unmapped)
    mapped_same = (
        int(
            frame.filter(pl.col("measure").is_in(list({m for _, m, _ in unmapped})))
            .get_column("count")
            .sum()
        )
        if unmapped
        else 0
    )
    report = QualityReport(
        _week_text(first),
        _week_text(last),
        len(objects),
        examined.select("code", "measure").n_unique(),
        missing_weeks=sum(f.kind == "missing_week" for f in findings),
        zero_weeks=sum(f.kind == "zero_week" for f in findings),
        outliers=sum(f.kind == "outlier" for f in findings),
        late_registrations=len(late),
        unmapped_events=unmapped_total,
        unmapped_share=share(unmapped_total, unmapped_total + mapped_same),
        unknown_codes=_unknown(unknown),
        findings=findings,
    )
    report.per_planning_object = _per_object(findings)
    return report


def _unknown(rows: list[tuple[str, str, int, dt.date, dt.date]]) -> list[dict[str, Any]]:
    return [
        {"file": f, "code": c, "rows": int(n), "first_day": str(a), "last_day": str(b)}
        for f, c, n, a, b in rows
    ]


def _per_object(findings: list[Finding]) -> list[dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for f in findings:
        entry = table.setdefault(
            f.planning_object,
            {
                "planning_object": f.planning_object,
                "unit": f.unit,
                "missing_week": 0,
                "zero_week": 0,
                "outlier": 0,
                "late_registration": 0,
            },
        )
        entry[f.kind] += 1
    return sorted(
        table.values(),
        key=lambda e: (
            -(e["missing_week"] + e["zero_week"] + e["outlier"] + e["late_registration"]),
            e["planning_object"],
        ),
    )
