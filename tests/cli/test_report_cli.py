"""`pks report weekly` through the real CLI: a PDF whose pages render and whose text holds
the follow-up's numbers, Swedish by default, English on request, exit 2 on user mistakes.
The store is the one of tests/cli/test_followup_cli.py (SQLite only): ORT-NB performs 16
+ 2 bought a week of 2025-W01–W10 against a plan of 20, ORT-HOFT nothing against 6."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import followed_up_region
from pks.cli import app

runner = CliRunner()

pytestmark = pytest.mark.usefixtures("poppler")  # PDF checks need poppler: fail, never skip


@pytest.fixture
def store(sqlite_url: str, tmp_path: Path) -> str:
    """The follow-up CLI test's store with its active plan."""
    return followed_up_region(sqlite_url, tmp_path)


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def _pages(pdf: Path, tmp_path: Path) -> list[Path]:
    """Render every page (pdftoppm -png) and return the images in page order."""
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(pdf), str(tmp_path / "page")], check=True)
    return sorted(tmp_path.glob("page-*.png"))


def _not_blank(png: Path) -> bool:
    """Some pixels differ from white (the page has something drawn on it)."""
    from PIL import Image

    with Image.open(png) as image:
        lowest = image.convert("L").getextrema()[0]
    return bool(lowest < 200)


def _report(store: str, pdf: Path, *extra: str) -> str:
    result = runner.invoke(
        app,
        ["report", "weekly", "--db", store, "--week", "2025-W10", "--output", str(pdf), *extra],
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_swedish_pack_holds_the_followup_numbers(store: str, tmp_path: Path) -> None:
    """ORT in W10: planned 26 (20 + 6), performed 16; 1,352 planned in the year, 180 done,
    at 18 a week for 42 weeks 936: 416 short. ORT-NB 20 planned, 16 performed, 2 bought."""
    pdf = tmp_path / "v10.pdf"
    assert "(4 pages)" in _report(store, pdf, "--unit", "ORT")
    images = _pages(pdf, tmp_path)
    assert len(images) == 4  # title, charts, KPIs, objects
    assert all(_not_blank(png) for png in images)

    followup = runner.invoke(
        app, ["followup", "--db", store, "--week", "2025-W10", "--unit", "ORT", "--format", "json"]
    )
    report = json.loads(followup.stdout)
    ort = next(r for r in report["rollups"] if r["unit"] == "ORT")
    nb = next(r for r in report["objects"] if r["planning_object"] == "ORT-NB")
    end = ort["year_end_projection"]
    assert (ort["planned"], ort["performed"], ort["bought"]) == (26, 16, 2)
    assert (nb["planned"], nb["performed"], nb["bought"], nb["inflow"]) == (20, 16, 2, 20)
    assert (end["planned_year"], end["projected_year"]) == pytest.approx((1352, 936))
    assert end["shortfall"] == pytest.approx(416)

    text = _text(pdf)
    flat = " ".join(text.split())
    assert "Veckouppföljning" in text and "Nyckeltal" in text and "Planeringsobjekt" in text
    assert "Vecka: 2025-W10" in flat and "Planversion: 1 (ORT" in flat
    assert (
        "Årsprognos ORT: planerat 1 352, utfört hittills 180, i nuvarande takt 936 "
        "(416 under plan)" in flat
    )
    assert "ORT-NB Nybesök ortopedi 20 16 2 20 –" in flat  # planned performed bought inflow >90
    assert "Totalt ORT Ortopedkliniken 26 16 2 20 –" in flat
    assert "Beläggningsgrad 61,5 %" in flat  # 16 / 26, with its definition beside it
    assert "utförda / planerade kontakter" in flat


def test_english_option_has_english_headings(store: str, tmp_path: Path) -> None:
    pdf = tmp_path / "w10.pdf"
    assert "(4 pages)" in _report(store, pdf, "--lang", "en")
    assert len(_pages(pdf, tmp_path)) == 4
    flat = " ".join(_text(pdf).split())
    for heading in ("Weekly follow-up", "Key figures", "Planning objects", "Plan versus outcome"):
        assert heading in flat
    assert "Veckouppföljning" not in flat and "Nyckeltal" not in flat
    # the region RE holds the same figures as ORT: English numbers, 1,352
    assert "Year-end projection RE: planned 1,352, performed to date 180" in flat
    assert "Occupancy (beläggningsgrad) 61.5%" in flat


def test_bad_week_and_language_exit_2(store: str, tmp_path: Path) -> None:
    pdf = tmp_path / "x.pdf"
    for args, message in (
        (["--week", "2025-W54"], "2025 has no week 54"),
        (["--week", "v10"], "expected e.g. 2025-W10"),
        (["--week", "2025-W10", "--unit", "NOPE"], "unknown unit 'NOPE'"),
    ):
        result = runner.invoke(
            app, ["report", "weekly", "--db", store, *args, "--output", str(pdf)]
        )
        assert result.exit_code == 2, result.output
        assert message in result.stderr
    assert not pdf.exists()
    result = runner.invoke(
        app,
        [
            "report",
            "weekly",
            "--db",
            store,
            "--week",
            "2025-W10",
            "--lang",
            "de",
            "--output",
            str(pdf),
        ],
    )
    assert result.exit_code == 2
    result = runner.invoke(
        app,
        [
            "report",
            "weekly",
            "--db",
            store,
            "--week",
            "2025-W10",
            "--output",
            str(tmp_path / "missing" / "x.pdf"),
        ],
    )
    assert result.exit_code == 2 and "does not exist" in result.stderr


def _quarterly(store: str, pdf: Path, *extra: str) -> str:
    result = runner.invoke(
        app,
        [
            "report",
            "quarterly",
            "--db",
            store,
            "--quarter",
            "2025-K1",
            "--output",
            str(pdf),
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_quarterly_board_report_holds_the_followup_numbers(store: str, tmp_path: Path) -> None:
    """2025-Q1 is W01–W13: ORT planned 13 × 26 = 338; ORT-NB performed 10 × 16 = 160 and
    bought 10 × 2 = 20 (nothing after W10): 180 of 338 = 53.3 %. No maturity assessment is
    recorded, so the report says so and has no maturity page."""
    pdf = tmp_path / "k1.pdf"
    assert "(5 pages)" in _quarterly(store, pdf, "--unit", "ORT")
    images = _pages(pdf, tmp_path)
    assert len(images) == 5  # front, plan, waiting, units, deviations
    assert all(_not_blank(png) for png in images)

    rows = []
    for week in range(1, 14):
        args = ["--db", store, "--week", f"2025-W{week:02d}", "--unit", "ORT", "--format", "json"]
        done = runner.invoke(app, ["followup", *args])
        rows.append(next(r for r in json.loads(done.stdout)["rollups"] if r["unit"] == "ORT"))
    planned, performed, bought = (
        sum(r[x] for r in rows) for x in ("planned", "performed", "bought")
    )
    assert (planned, performed, bought) == (338, 160, 20)

    flat = " ".join(_text(pdf).split())
    assert "Kvartalsrapport till nämnd/styrelse" in flat and "Kvartal: 2025-Q1" in flat
    assert "Kvartalet (2025-W01–2025-W13) 338 160 20 180 53,3 %" in flat
    assert "ORT-OP Operation ortopedi 78 0 0 0,0 % –" in flat
    assert "ingen är registrerad för ORT till och med 2025-03-30" in flat


def test_quarterly_in_english(store: str, tmp_path: Path) -> None:
    pdf = tmp_path / "q1.pdf"
    assert "(5 pages)" in _quarterly(store, pdf, "--lang", "en", "--against", "original")
    flat = " ".join(_text(pdf).split())
    assert "Quarterly board report" in flat and "Unit: RE – Region Exempel" in flat
    assert "The quarter (2025-W01–2025-W13) 338 160 20 180 53.3%" in flat
    assert "Compared with: original plan" in flat and "Kvartalsrapport" not in flat


def test_quarterly_mistakes_exit_2_without_a_traceback(store: str, tmp_path: Path) -> None:
    pdf = tmp_path / "x.pdf"
    for args, message in (
        (["--quarter", "2025-Q5"], "pks report quarterly: --quarter '2025-Q5': expected e.g. "),
        (["--quarter", "Q1"], "expected e.g. 2025-Q1 or 2025-K1"),
        (["--quarter", "2025-Q1", "--unit", "NOPE"], "unknown unit 'NOPE'"),
    ):
        result = runner.invoke(
            app, ["report", "quarterly", "--db", store, *args, "--output", str(pdf)]
        )
        assert result.exit_code == 2, result.output
        assert message in result.stderr
        assert "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)
    assert not pdf.exists()
