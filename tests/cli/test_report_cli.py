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
