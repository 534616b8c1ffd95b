"""Forecasting through the store on SQLite and PostgreSQL: versions, roll-ups that add up,
adjustments that change only the adjusted forecast, realised accuracy by formula."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from helpers import write, write_master
from pks.services.errors import UserError
from pks.services.forecast_views import accuracy_report, add_adjustment, forecast_table
from pks.services.forecasting import run_forecast
from pks.services.imports import import_files
from pks.store.db import transaction

FIRST = dt.date(2023, 1, 2)  # 2023-W01
WEEKS = 150


def _history(tmp_path: Path, seed: int = 5) -> Path:
    """150 weeks of seasonal Poisson inflow for the two elective objects."""
    rng = np.random.default_rng(seed)
    week_of_year = np.array(
        [(FIRST + dt.timedelta(weeks=i)).isocalendar().week for i in range(WEEKS)]
    )
    season = 1 + 0.3 * np.cos(2 * np.pi * week_of_year / 52)
    lines = ["iso_week,planning_object_code,measure,count"]
    for code, level in (("ORT-NB", 40.0), ("ORT-HOFT", 12.0)):
        counts = rng.poisson(level * season)
        for i, count in enumerate(counts):
            iso = (FIRST + dt.timedelta(weeks=i)).isocalendar()
            lines.append(f"{iso.year}-W{iso.week:02d},{code},inflow,{count}")
    return write(tmp_path, "weekly.csv", "\n".join(lines) + "\n")


@pytest.fixture
def region(db_url: str, tmp_path: Path) -> str:
    import_files(db_url, [*write_master(tmp_path), _history(tmp_path)])
    return db_url


def test_version_values_and_rollups_add_up(region: str) -> None:
    result = run_forecast(region, horizon=10, method="pks_default", author="anna")
    assert (result.objects, result.scope, result.as_of) == (2, "RE", "2025-W46")
    with transaction(region) as conn:
        version = conn.execute(
            sa.text(
                "SELECT created_by, horizon_weeks, method, reconciliation FROM forecast_version"
            )
        ).one()
        weekly = conn.execute(
            sa.text("SELECT count(*) FROM forecast_value WHERE frequency = 'W'")
        ).scalar()
        tested = conn.execute(sa.text("SELECT count(*) FROM forecast_backtest")).scalar()
    assert tuple(version) == ("anna", 10, "pks_default", "bottom-up")
    assert weekly == 2 * 10 and tested == 2
    table = forecast_table(region)
    assert table.weeks[0] == "2025-W47" and len(table.weeks) == 10
    objects = np.array([o["statistical"] for o in table.objects])
    by_unit = {r["unit"]: r for r in table.rollups}
    np.testing.assert_allclose(by_unit["RE"]["statistical"], objects.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(by_unit["ORT"]["statistical"], objects.sum(axis=0), rtol=1e-12)
    for row in (*table.objects, *table.rollups):
        assert np.all(np.array(row["lo95"]) <= np.array(row["lo80"]) + 1e-9)
        assert np.all(np.array(row["lo80"]) <= np.array(row["statistical"]) + 1e-9)
        assert np.all(np.array(row["statistical"]) <= np.array(row["hi80"]) + 1e-9)
        assert np.all(np.array(row["hi80"]) <= np.array(row["hi95"]) + 1e-9)


def test_an_adjustment_changes_the_adjusted_forecast_and_nothing_else(region: str) -> None:
    run_forecast(region, horizon=6, method="pks_default")
    before = forecast_table(region)
    add_adjustment(
        region,
        "ORT-NB",
        "2025-W48:2025-W49",
        count=5,
        category="nytt uppdrag",
        reason="Ny vårdcentral i Norrby",
        author="anna",
    )
    add_adjustment(
        region,
        "ORT-HOFT",
        "2025-W51",
        percent=-50,
        reason="Flyttas till länssjukhuset",
        author="anna",
        category="moved_out",
    )
    after = forecast_table(region)
    nb_before = next(o for o in before.objects if o["planning_object"] == "ORT-NB")
    nb_after = next(o for o in after.objects if o["planning_object"] == "ORT-NB")
    hoft_after = next(o for o in after.objects if o["planning_object"] == "ORT-HOFT")
    assert nb_after["statistical"] == nb_before["statistical"]
    np.testing.assert_allclose(
        np.subtract(nb_after["adjusted"], nb_after["statistical"]), [0, 5, 5, 0, 0, 0]
    )
    np.testing.assert_allclose(hoft_after["adjusted"][4], hoft_after["statistical"][4] / 2)
    region_row = next(r for r in after.rollups if r["unit"] == "RE")
    change = np.subtract(region_row["adjusted"], region_row["statistical"])
    np.testing.assert_allclose(change, [0, 5, 5, 0, -hoft_after["statistical"][4] / 2, 0])
    assert len(after.adjustments) == 2


def test_realised_accuracy_is_mase_bias_and_coverage_by_formula(region: str) -> None:
    """Forecast from 2025-W36 (10 weeks before the newest data), then check the realised
    MASE of ORT-NB against mean|e| / mean|y[t] − y[t−52]| computed here from the data."""
    run_forecast(region, horizon=10, as_of="2025-W36", method="pks_default")
    lines = [a for a in accuracy_report(region) if a.source == "realised"]
    nb = next(a for a in lines if a.key == "ORT-NB")
    with transaction(region) as conn:
        rows = conn.execute(
            sa.text(
                "SELECT w.week_start, w.count FROM weekly_count w JOIN planning_object p "
                "ON p.id = w.planning_object_id WHERE p.code = 'ORT-NB' ORDER BY w.week_start"
            )
        ).all()
        forecast = [
            r[0]
            for r in conn.execute(
                sa.text(
                    "SELECT v.mean FROM forecast_value v JOIN planning_object p "
                    "ON p.id = v.planning_object_id WHERE p.code = 'ORT-NB' ORDER BY v.period_start"
                )
            )
        ]
    counts = np.array([c for _, c in rows], dtype=float)
    history, actual = counts[:-10], counts[-10:]
    scale = np.mean(np.abs(history[52:] - history[:-52]))
    errors = actual - np.array(forecast)
    assert nb.weeks == 10
    assert nb.mase == pytest.approx(np.mean(np.abs(errors)) / scale, rel=1e-9)
    assert nb.bias_pct == pytest.approx(100 * np.mean(errors) / np.mean(actual), rel=1e-9)
    assert any(a.key == "RE" and a.kind == "unit" for a in lines)


def test_user_errors(region: str) -> None:
    with pytest.raises(UserError, match="unknown unit 'XX'"):
        run_forecast(region, unit="XX")
    with pytest.raises(UserError, match="--as-of"):
        run_forecast(region, as_of="2025-13")
    with pytest.raises(UserError, match="--method"):
        run_forecast(region, method="crystal_ball")
    with pytest.raises(UserError, match="no planning object under AKM"):
        run_forecast(region, unit="AKM")
    with pytest.raises(UserError, match="exactly one of"):
        add_adjustment(region, "ORT-NB", "2025-W47", count=1, percent=2, reason="x", author="a")
    with pytest.raises(UserError, match="reason"):
        add_adjustment(region, "ORT-NB", "2025-W47", count=1, reason=" ", author="a")


def test_acute_objects_get_daily_and_hourly_forecasts(db_url: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    times = []
    day0 = dt.datetime(2025, 1, 6)
    for day in range(7 * 20):
        for hour in range(24):
            for _ in range(rng.poisson(2 if 8 <= hour <= 20 else 0.5)):
                times.append(day0 + dt.timedelta(days=day, hours=hour, minutes=10))
    events = write(
        tmp_path,
        "events.csv",
        "event_time,planning_object_code,event_kind\n"
        + "".join(f"{t:%Y-%m-%d %H:%M},AKM-ANK,inflow\n" for t in times),
    )
    import_files(db_url, [*write_master(tmp_path), events])
    result = run_forecast(db_url, horizon=4, unit="AKM", method="pks_default")
    assert (result.objects, result.acute_daily, result.acute_hourly) == (1, 1, 1)
    with transaction(db_url) as conn:
        counts = dict(
            conn.execute(
                sa.text("SELECT frequency, count(*) FROM forecast_value GROUP BY frequency")
            ).all()
        )
        day_hours = conn.execute(
            sa.text(
                "SELECT period_start, mean FROM forecast_value WHERE frequency = 'H' "
                "ORDER BY period_start"
            )
        ).all()
    assert counts == {"W": 4, "D": 91, "H": 28 * 24}
    means = np.array([m for _, m in day_hours[:24]])
    assert means[8:21].mean() > 2 * means[:6].mean()  # days are busier than nights


def test_forecast_on_dask_stores_the_same_numbers_as_local(region: str) -> None:
    local = run_forecast(region, horizon=8, method="pks_default", engine="local")
    dask = run_forecast(region, horizon=8, method="pks_default", engine="dask")
    tables = [forecast_table(region, version_id=v.version_id) for v in (local, dask)]
    for a, b in zip(tables[0].objects, tables[1].objects, strict=True):
        assert a["planning_object"] == b["planning_object"]
        for field in ("statistical", "lo80", "hi80", "lo95", "hi95"):
            np.testing.assert_allclose(a[field], b[field], rtol=1e-12)
    assert tables[1].version["engine"] == "dask"


def test_progress_comes_between_clinics_and_a_hook_that_raises_stores_nothing(
    region: str, tmp_path: Path
) -> None:
    """With AKM-ANK (another clinic) forecast too, the run reports after loading, after
    each clinic and after the backtest; the hook changes no number, and a hook that raises
    (a cancelled job) leaves no version behind."""
    lines = ["iso_week,planning_object_code,measure,count"]
    for i in range(WEEKS):
        iso = (FIRST + dt.timedelta(weeks=i)).isocalendar()
        lines.append(f"{iso.year}-W{iso.week:02d},AKM-ANK,inflow,{30 + i % 4}")
    import_files(region, [write(tmp_path, "weekly_akm.csv", "\n".join(lines) + "\n")])
    reports: list[tuple[float, str]] = []
    hooked = run_forecast(region, horizon=4, method="pks_default",
                          progress=lambda share, message: reports.append((share, message)))
    shares = [share for share, _ in reports]
    assert shares == sorted(shares) and shares[0] == 0.1 and shares[-1] == 0.8
    assert [m for _, m in reports if m.startswith("forecast clinic")] == [
        "forecast clinic 1 of 2", "forecast clinic 2 of 2"]
    plain = run_forecast(region, horizon=4, method="pks_default")

    def values(version: int) -> list[tuple[object, ...]]:
        with transaction(region) as conn:
            return [tuple(r) for r in conn.execute(sa.text(
                "SELECT planning_object_id, period_start, mean, lo80, hi95 FROM forecast_value "
                f"WHERE version_id = {version} AND frequency = 'W' "
                "ORDER BY planning_object_id, period_start"))]

    assert values(hooked.version_id) == values(plain.version_id) and len(values(1)) == 3 * 4

    class Stop(Exception):
        pass

    def stop(share: float, message: str) -> None:
        if share > 0.3:
            raise Stop()

    with pytest.raises(Stop):
        run_forecast(region, horizon=4, method="pks_default", progress=stop)
    with transaction(region) as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM forecast_version")).scalar() == 2


def test_accuracy_reads_scores_stored_as_null(db_url: str, tmp_path: Path) -> None:
    """A constant series has no seasonal scale: its backtest MASE is stored as NULL and
    the report shows it as unknown (it used to fail on the NULL)."""
    from helpers import planned_region

    planned_region(db_url, tmp_path)
    nb = next(a for a in accuracy_report(db_url) if a.key == "ORT-NB")
    assert (nb.source, nb.mase, nb.bias_pct, nb.coverage80) == ("backtest", None, 0.0, 100.0)
