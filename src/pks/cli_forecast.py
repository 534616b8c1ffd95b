"""`pks forecast …` and `pks forecast-file`: demand forecasting from the command line."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pks.cli_common import DbOption, Format, fail, out, url_of

forecast_app = typer.Typer(
    help="Demand forecast (behovsprognos): run, adjust, show, accuracy.",
    invoke_without_command=True,
)

Engines = ("local", "dask", "spark")


@forecast_app.callback()
def forecast(
    ctx: typer.Context,
    db: DbOption = None,
    horizon: Annotated[int, typer.Option(help="Weeks ahead (ISO weeks).")] = 52,
    unit: Annotated[
        str | None,
        typer.Option(help="Org unit code; its whole subtree is forecast (default: the region)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Last week of data to use, e.g. 2025-W10 (default: newest week)."
        ),
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            help="auto (per object by backtest), pks_default, "
            "seasonal_naive, same_week_last_year, naive, mstl, "
            "auto_ets."
        ),
    ] = "auto",
    engine: Annotated[
        str,
        typer.Option(
            help="local, dask (2-worker local cluster or "
            "PKS_DASK_SCHEDULER) or spark (local[2] or "
            "PKS_SPARK_MASTER)."
        ),
    ] = "local",
    author: Annotated[str, typer.Option(help="Who runs the forecast (stored with it).")] = "pks",
    format: Annotated[Format, typer.Option("--format", help="text or json")] = Format.text,
) -> None:
    """Forecast weekly inflow (referrals, care requests, acute arrivals) per planning object
    and store it as a new forecast version with 80/95 % intervals and backtests.

    Units: patients (or referrals, arrivals) per ISO week; acute objects also per day and
    hour. Roll-ups to unit → clinic → hospital → region are bottom-up sums.

    Examples: pks forecast --horizon 52 --unit ORT;  pks forecast accuracy;
    pks forecast adjust ORT-HOFT-REM --weeks 2026-W10:2026-W30 --percent 8 --reason "…"
    """
    if ctx.invoked_subcommand is not None:
        return
    from pks.services.errors import UserError
    from pks.services.forecasting import run_forecast

    if engine not in Engines:
        fail([f"pks forecast: --engine {engine!r}: use one of {', '.join(Engines)}"])
    try:
        result = run_forecast(
            url_of(db),
            horizon=horizon,
            unit=unit,
            as_of=as_of,
            method=method,
            engine=engine,  # type: ignore[arg-type]  # checked against Engines above
            author=author,
        )
    except UserError as error:
        fail([f"pks forecast: {error}"])
    if format is Format.json:
        out.print_json(json.dumps(asdict(result), default=str))
        return
    out.print(
        f"Forecast version {result.version_id}: {result.objects} planning objects under "
        f"{result.scope}, data up to {result.as_of}, {result.horizon} weeks ahead "
        f"({result.seconds:.1f} s, engine {result.engine})."
    )
    out.print("Methods: " + ", ".join(f"{m} {n}" for m, n in sorted(result.methods_used.items())))
    if result.mean_mase is not None:
        out.print(
            f"Backtest ({3} origins, 13 weeks ahead): MASE {result.mean_mase:.2f}, coverage "
            f"{result.coverage80:.0f} % (80 % interval), {result.coverage95:.0f} % (95 %)."
        )
    if result.acute_daily or result.acute_hourly:
        out.print(f"Acute: {result.acute_daily} objects per day, {result.acute_hourly} per hour.")
    if result.skipped:
        out.print(f"Too short to forecast (< 8 weeks): {', '.join(result.skipped)}")


@forecast_app.command("adjust")
def adjust(
    planning_object: Annotated[str, typer.Argument(help="Planning object code.")],
    weeks: Annotated[str, typer.Option(help="ISO weeks, e.g. 2026-W10:2026-W30 or 2026-W12.")],
    reason: Annotated[str, typer.Option(help="Why (mandatory), e.g. 'Ny vårdcentral i Norrby'.")],
    author: Annotated[str, typer.Option(help="Who makes the adjustment (mandatory).")],
    count: Annotated[float | None, typer.Option(help="+/- patients per week.")] = None,
    percent: Annotated[
        float | None, typer.Option(help="+/- percent of the statistical forecast.")
    ] = None,
    category: Annotated[
        str,
        typer.Option(
            help="demography, new_assignment, moved_in, moved_out or other (or the Swedish term)."
        ),
    ] = "other",
    db: DbOption = None,
) -> None:
    """Add a qualitative adjustment; the statistical forecast is kept beside the adjusted one.

    Planned improvements are not adjustments until they are realised.

    Example: pks forecast adjust ORT-HOFT-REM --weeks 2026-W10:2026-W30 --percent 8
    --category demography --reason "Fler äldre enligt befolkningsprognos" --author anna
    """
    from pks.services.errors import UserError
    from pks.services.forecast_views import add_adjustment

    try:
        number = add_adjustment(
            url_of(db),
            planning_object,
            weeks,
            count=count,
            percent=percent,
            category=category,
            reason=reason,
            author=author,
        )
    except UserError as error:
        fail([f"pks forecast adjust: {error}"])
    out.print(f"Adjustment {number} stored for {planning_object}, weeks {weeks}.")


@forecast_app.command("show")
def show(
    db: DbOption = None,
    unit: Annotated[str | None, typer.Option(help="Org unit code (default: the region).")] = None,
    version: Annotated[int | None, typer.Option(help="Forecast version (default: newest).")] = None,
    weeks: Annotated[int, typer.Option(help="Weeks to print in text mode.")] = 8,
    format: Annotated[Format, typer.Option("--format", help="text or json")] = Format.text,
) -> None:
    """Statistical and adjusted forecast per planning object and per org node."""
    from pks.services.errors import UserError
    from pks.services.forecast_views import forecast_table

    try:
        table = forecast_table(url_of(db), version, unit)
    except UserError as error:
        fail([f"pks forecast show: {error}"])
    if format is Format.json:
        out.print_json(json.dumps(asdict(table), default=str, ensure_ascii=False))
        return
    grid = Table(title=f"Forecast version {table.version['id']} (statistical / adjusted)")
    grid.add_column("unit or object")
    for week in table.weeks[:weeks]:
        grid.add_column(week, justify="right")
    for row in table.rollups:
        grid.add_row(
            f"[bold]{row['unit']}[/bold]",
            *[
                f"{s:.0f}" if abs(s - a) < 0.5 else f"{s:.0f}/{a:.0f}"
                for s, a in zip(row["statistical"][:weeks], row["adjusted"][:weeks], strict=True)
            ],
        )
    out.print(grid)


@forecast_app.command("accuracy")
def accuracy(
    db: DbOption = None,
    format: Annotated[Format, typer.Option("--format", help="text or json")] = Format.text,
) -> None:
    """Accuracy per planning object and roll-up: MASE, bias (mean error as % of the mean)
    and interval coverage, from the newest version's backtests and, for every stored
    version, against the actuals that have arrived since."""
    from pks.services.errors import UserError
    from pks.services.forecast_views import accuracy_report

    try:
        lines = accuracy_report(url_of(db))
    except UserError as error:
        fail([f"pks forecast accuracy: {error}"])
    if format is Format.json:
        out.print_json(json.dumps([asdict(line) for line in lines]))
        return
    grid = Table(title="Forecast accuracy (MASE < 1 beats the same week last year)")
    for column in (
        "source",
        "version",
        "kind",
        "unit or object",
        "weeks",
        "MASE",
        "bias %",
        "80 % cov.",
        "95 % cov.",
    ):
        grid.add_column(column)
    for line in sorted(lines, key=lambda x: (x.source, -x.version_id, x.kind != "unit", x.key)):
        grid.add_row(
            line.source,
            str(line.version_id),
            line.kind,
            line.key,
            str(line.weeks),
            *["" if v is None else f"{v:.2f}" for v in (line.mase, line.bias_pct)],
            *["" if v is None else f"{v:.0f}" for v in (line.coverage80, line.coverage95)],
        )
    out.print(grid)


def forecast_file_command(
    input: Annotated[Path, typer.Argument(help="CSV with columns series,period,value.")],
    horizon: Annotated[int, typer.Option(help="Periods ahead per series.")],
    freq: Annotated[str, typer.Option("--freq", help="W (periods are Mondays), D or H.")] = "W",
    output: Annotated[Path | None, typer.Option(help="Output CSV (default: stdout).")] = None,
    method: Annotated[
        str, typer.Option(help="auto or a method name (see pks forecast --help).")
    ] = "auto",
    season: Annotated[
        int | None, typer.Option(help="Periods per season (default 52 / 7 / 24).")
    ] = None,
) -> None:
    """Forecast any series without a database.

    Gaps are missing periods (not zeros); series may differ in length; each series'
    forecast continues from its own last period. Output columns:
    series,period,forecast,lo80,hi80,lo95,hi95 — exactly HORIZON rows per series.

    Example: pks forecast-file arrivals.csv --horizon 28 --freq D --output forecast.csv
    """
    from pks.ingest.errors import ImportRejected
    from pks.services.errors import UserError
    from pks.services.forecast_file import forecast_file

    try:
        frame = forecast_file(input, horizon, freq.upper(), method, season)
    except ImportRejected as rejected:
        fail(rejected.lines())
    except UserError as error:
        fail([f"pks forecast-file: {error}"])
    if output is None:
        out.print(frame.write_csv(), end="", markup=False, highlight=False, soft_wrap=True)
    else:
        frame.write_csv(output)
        out.print(f"Wrote {frame.height} rows to {output}.")
