"""`pks waitinglist …`: waiting-list projection from files, without a database.

``pks waitinglist project`` reads a snapshot (patients by whole weeks waited) and weekly
flows (inflow, capacity) and writes the projected list per week as CSV; the model and its
choices are described in ``pks.core.waitinglist``. File problems are reported like every
import, ``FILE:ROW:COLUMN: problem (expected)``, all of them, with exit code 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import numpy as np
import polars as pl
import typer

from pks.cli_common import fail, out

waitinglist_app = typer.Typer(
    help="Waiting lists (väntelistor): project a snapshot forward week by week.",
    no_args_is_help=True,
)

SNAPSHOT_COLUMNS = ("weeks_waited", "count")
FLOW_COLUMNS = ("week_start", "inflow", "capacity")
PROFILE_COLUMNS = ("weeks_waited", "share")
DEFAULT_SEED = 20260101


class _Rejected(Exception):
    """Problems with an input file, already as printable lines."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _read(path: Path, columns: tuple[str, ...]) -> pl.DataFrame:
    """Every column as text with line numbers; missing file or columns → _Rejected."""
    from pks.ingest.errors import NO_COLUMN, IssueList
    from pks.ingest.source import detect_dialect, read_csv_text

    issues = IssueList(path.name)
    if not path.is_file():
        issues.add(1, NO_COLUMN, "no such file", "a readable CSV file")
        raise _Rejected(issues.lines())
    dialect = detect_dialect(path, issues)
    if dialect is None:
        raise _Rejected(issues.lines())
    try:
        frame = read_csv_text(path, dialect)
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else "unreadable"
        issues.add(1, NO_COLUMN, f"the file cannot be read: {reason}", "a CSV text file")
        raise _Rejected(issues.lines()) from None
    for name in columns:
        if name not in frame.columns:
            issues.add(1, name, "missing column", f"columns {', '.join(columns)}")
    if not issues and frame.height == 0:
        issues.add(2, NO_COLUMN, "the file has a header but no data rows", "at least one row")
    if issues:
        raise _Rejected(issues.lines())
    return frame


Check = tuple[pl.Expr, str, pl.Expr, str]
"""(rows with a problem, column, problem text, what was expected)"""


def _check(path: Path, frame: pl.DataFrame, checks: list[Check]) -> None:
    """Report every (mask, column, problem, expected) hit in line order; raise if any."""
    from pks.ingest.errors import IssueList
    from pks.ingest.source import LINE

    found: list[tuple[int, int, str, str, str]] = []
    for order, (mask, column, problem, expected) in enumerate(checks):
        hits = frame.filter(mask.fill_null(False)).head(50).select(LINE, problem.alias("p"))
        found.extend((line, order, column, text, expected) for line, text in hits.iter_rows())
    issues = IssueList(path.name)
    for line, _, column, text, expected in sorted(found):
        issues.add(line, column, text, expected)
    if issues:
        raise _Rejected(issues.lines())


def _number_checks(column: str, whole: bool) -> list[Check]:
    """Empty, not a number (or not whole), negative: for a count column."""
    from pks.ingest import parse

    typed = pl.col(f"_{column}")
    text = pl.col(column)
    what = "a whole number of weeks ≥ 0, e.g. 12" if whole else "a number ≥ 0, e.g. 42 or 42,5"
    wrong = "is not a whole number" if whole else "is not a number"
    number = parse.decimal(text)
    return [
        (text.is_null(), column, pl.lit("empty"), what),
        (text.is_not_null() & number.is_null(), column, pl.lit("'") + text + f"' {wrong}", what),
        (
            number.is_not_null() & typed.is_null(),
            column,
            pl.lit("'") + text + f"' {wrong}",
            what,
        ),
        (typed < 0, column, pl.lit("'") + text + "' is negative", what),
    ]


def _weeks_waited(path: Path, value_column: str) -> np.ndarray:
    """A ``weeks_waited,<value>`` file as an array indexed by weeks waited."""
    from pks.ingest import parse
    from pks.ingest.source import LINE

    frame = _read(path, ("weeks_waited", value_column))
    typed = frame.with_columns(
        parse.integer(pl.col("weeks_waited")).alias("_weeks_waited"),
        parse.decimal(pl.col(value_column)).alias(f"_{value_column}"),
    ).with_columns(pl.col(LINE).min().over("_weeks_waited").alias("_first"))
    checks = _number_checks("weeks_waited", True) + _number_checks(value_column, False)
    checks.append(
        (
            pl.col("_weeks_waited").is_not_null() & (pl.col(LINE) != pl.col("_first")),
            "weeks_waited",
            pl.lit("duplicate: the same weeks_waited as on row ")
            + pl.col("_first").cast(pl.String),
            "one row per weeks_waited",
        )
    )
    _check(path, typed, checks)
    weeks = typed["_weeks_waited"].to_numpy().astype(np.int64)
    values = typed[f"_{value_column}"].to_numpy().astype(np.float64)
    result = np.zeros(int(weeks.max()) + 1)
    result[weeks] = values
    return result


def _flows(path: Path) -> tuple[list[dt.date], np.ndarray, np.ndarray]:
    """Weeks (Mondays, consecutive), inflow and capacity per week."""
    from pks.ingest import parse
    from pks.ingest.source import LINE

    frame = _read(path, FLOW_COLUMNS)
    typed = frame.with_columns(
        parse.date(pl.col("week_start")).alias("_week_start"),
        parse.decimal(pl.col("inflow")).alias("_inflow"),
        parse.decimal(pl.col("capacity")).alias("_capacity"),
    )
    typed = typed.with_columns(
        pl.col("_week_start").shift(1).alias("_previous"),
        pl.col(LINE).shift(1).alias("_previous_line"),
    )
    text = pl.col("week_start")
    day = pl.col("_week_start")
    monday = "a date YYYY-MM-DD, the Monday that starts the week"
    checks: list[Check] = [
        (text.is_null(), "week_start", pl.lit("empty"), monday),
        (
            text.is_not_null() & day.is_null(),
            "week_start",
            pl.lit("'") + text + "' is not a date",
            monday,
        ),
        (day.dt.weekday() != 1, "week_start", pl.lit("'") + text + "' is not a Monday", monday),
        (
            (day.dt.weekday() == 1)
            & pl.col("_previous").is_not_null()
            & (pl.col("_previous").dt.weekday() == 1)
            & (day != pl.col("_previous") + pl.duration(days=7)),
            "week_start",
            pl.lit("'")
            + text
            + "' is not the week after row "
            + pl.col("_previous_line").cast(pl.String),
            "consecutive weeks, one row per week, in date order",
        ),
    ]
    checks += _number_checks("inflow", False) + _number_checks("capacity", False)
    _check(path, typed, checks)
    weeks = typed["_week_start"].to_list()
    return (
        weeks,
        typed["_inflow"].to_numpy().astype(np.float64),
        typed["_capacity"].to_numpy().astype(np.float64),
    )


def _thresholds(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        fail(
            [f"pks waitinglist project: --thresholds {text!r}: use whole weeks ≥ 1, e.g. 13,18,52"]
        )
    return tuple(sorted(set(values)))


def _renege(text: str, snapshot: np.ndarray, inflow: np.ndarray) -> tuple[float, str]:
    from pks.core.waitinglist import NHS_RENEGE_SHARE, estimate_renege_rate

    if text.strip().lower() == "auto":
        rate = estimate_renege_rate(snapshot, inflow)
        how = (
            f"auto: {NHS_RENEGE_SHARE:.1%} of the inflow leaves untreated, "
            f"spread over the {snapshot.sum():,.0f} waiting"
            if snapshot.sum() > 0 and inflow.sum() > 0
            else "auto: default for an empty list or no inflow"
        )
        return rate, how
    try:
        rate = float(text.replace(",", "."))
    except ValueError:
        rate = float("nan")
    if not 0 <= rate < 1:
        fail(
            [
                f"pks waitinglist project: --renege-rate {text!r}: use auto or a fraction per "
                "patient per week, 0 ≤ X < 1 (e.g. 0.01)"
            ]
        )
    return rate, "given"


def _output_frame(
    weeks: list[dt.date], projection: object, thresholds: tuple[int, ...], extra: bool
) -> pl.DataFrame:
    from pks.core.waitinglist import Projection

    assert isinstance(projection, Projection)
    names = [
        "waiting_total",
        *(f"waiting_over_{t}w" for t in thresholds),
        "mean_wait_weeks",
        "p92_wait_weeks",
    ]
    if extra:
        names += ["median_wait_weeks", "waiting_over_guarantee", "inflow", "treated", "reneged"]
    columns: dict[str, object] = {"week_start": [w.isoformat() for w in weeks]}
    for name in names:
        columns[name] = projection.total.get(name)
        if projection.runs:
            for level in (95, 80) if extra else (95,):
                lo, hi = projection.interval(name, level)
                columns[f"{name}_lo{level}"] = lo
                columns[f"{name}_hi{level}"] = hi
    frame = pl.DataFrame(columns)
    return frame.with_columns(pl.col(pl.Float64).round(2).fill_nan(None))


@waitinglist_app.command("project")
def project_command(
    snapshot: Annotated[
        Path,
        typer.Option(
            "--snapshot",
            help="CSV weeks_waited,count: patients who have waited that many whole weeks "
            "at the start (0 = less than a week).",
        ),
    ],
    flows: Annotated[
        Path,
        typer.Option(
            "--flows",
            help="CSV week_start,inflow,capacity: one row per week (consecutive Mondays); "
            "inflow = new patients, capacity = patients that can be treated that week.",
        ),
    ],
    output: Annotated[Path | None, typer.Option(help="Output CSV (default: stdout).")] = None,
    policy: Annotated[
        str,
        typer.Option(
            help="longest-first, fifo, or history (needs --profile); Swedish terms too, "
            "e.g. 'längst väntande först'."
        ),
    ] = "longest-first",
    profile: Annotated[
        Path | None,
        typer.Option(
            help="For --policy history: CSV weeks_waited,share of the patients treated "
            "(e.g. last year's by weeks waited); the last row covers all longer waits."
        ),
    ] = None,
    renege_rate: Annotated[
        str,
        typer.Option(
            "--renege-rate",
            help="Patients leaving the list untreated: a fraction per patient per week, or "
            "auto (15.5 % of the inflow, as a rate over the list's size).",
        ),
    ] = "auto",
    runs: Annotated[
        int, typer.Option(help="0 = deterministic; N = Monte Carlo runs for the 95 % band.")
    ] = 0,
    thresholds: Annotated[
        str, typer.Option(help="Waits to count beyond, in weeks, comma separated.")
    ] = "13,18,52",
    seed: Annotated[int, typer.Option(help="Seed of the Monte Carlo runs.")] = DEFAULT_SEED,
    all_columns: Annotated[
        bool,
        typer.Option(
            "--all-columns",
            help="Also median_wait_weeks, waiting_over_guarantee (> 90 days), inflow, "
            "treated, reneged, and 80 % bands.",
        ),
    ] = False,
) -> None:
    """Project a waiting list week by week (stock and flow by weeks waited).

    Each output row is the list at the END of the week starting week_start: columns
    week_start, waiting_total, waiting_over_{N}w for each threshold (waited N whole weeks
    or more), mean_wait_weeks (band midpoints) and p92_wait_weeks (92nd percentile,
    interpolated within the week band), plus _lo95/_hi95 (Monte Carlo 95 % band) per
    numeric column with --runs N. The main columns are always the deterministic
    projection.

    Example: pks waitinglist project --snapshot snap.csv --flows flows.csv --runs 1000
    --output projection.csv
    """
    from pks.core.waitinglist import Policy, project_one

    try:
        chosen = Policy.parse(policy.replace("-", "_"))
    except ValueError:
        fail([f"pks waitinglist project: --policy {policy!r}: use longest-first, fifo or history"])
    if runs < 0:
        fail([f"pks waitinglist project: --runs {runs}: use 0 or a positive number of runs"])
    if chosen is Policy.HISTORY and profile is None:
        fail(["pks waitinglist project: --policy history needs --profile PROFILE.csv"])
    levels = _thresholds(thresholds)
    problems: list[str] = []
    counts = inflow = capacity = shares = None
    weeks: list[dt.date] = []
    try:
        counts = _weeks_waited(snapshot, "count")
    except _Rejected as rejected:
        problems += rejected.lines
    try:
        weeks, inflow, capacity = _flows(flows)
    except _Rejected as rejected:
        problems += rejected.lines
    if profile is not None and chosen is Policy.HISTORY:
        try:
            shares = _weeks_waited(profile, "share")
        except _Rejected as rejected:
            problems += rejected.lines
        if shares is not None and not shares.sum() > 0:
            problems.append(f"{profile.name}:-:share: every share is 0 (at least one > 0)")
    if problems:
        fail(problems)
    assert counts is not None and inflow is not None and capacity is not None
    rate, how = _renege(renege_rate, counts, inflow)
    result = project_one(
        counts,
        inflow,
        capacity,
        policy=chosen,
        renege_rate=rate,
        removal_profile=shares,
        runs=runs,
        seed=seed,
        thresholds_weeks=levels,
    )
    frame = _output_frame(weeks, result, levels, all_columns)
    if output is None:
        out.print(frame.write_csv(), end="", markup=False, highlight=False, soft_wrap=True)
        return
    frame.write_csv(output)
    out.print(
        f"Wrote {frame.height} weeks to {output} (renege rate {rate:.4f} per patient per week, "
        f"{how}; policy {chosen.value.replace('_', '-')}"
        + (f"; {runs} Monte Carlo runs, seed {seed})." if runs else ")."),
        soft_wrap=True,
    )
