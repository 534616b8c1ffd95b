"""The quarterly board report (services/report_board.py) on SQLite and PostgreSQL.

The store is `helpers.quarter_region`: ORT's plan of 20 (ORT-NB, on ORT itself) + 6
(ORT-HOFT, on ORT-OP) a week; in 2025-W01 … W13 ORT-NB performed 15 + (w mod 3) and bought
2, ORT-HOFT 5 + 1 bought; w patients over 90 days in week w. The deviation rules run for
W10 (production under plan and rising long waits, both owned by ORT; the first one then
acknowledged), so both are 3 weeks open at W13. ORT assessed its maturity on 2024-09-15
(every statement "delvis": 50 % in each area), 2025-03-10 (areas 1 and 4 "i hög grad",
area 7 "inte alls", the rest unanswered) and 2025-05-02 (after the quarter: left out).
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
from pathlib import Path

import pytest

from helpers import quarter_region
from pks.core.maturity import STATEMENTS
from pks.core.numbers import number, percent
from pks.services import maturity
from pks.services.deviations import act, run
from pks.services.errors import UserError
from pks.services.followup import followup
from pks.services.report_board import Quarter, parse_quarter, quarterly_report
from pks.services.report_pdf import year_end_line

pytestmark = pytest.mark.usefixtures("poppler")  # PDF checks need poppler: fail, never skip

MADE = dt.date(2025, 4, 2)


def _assessment(folder: Path, name: str, answers: dict[str, str]) -> Path:
    """The maturity template with ``answers`` (statement id → answer) filled in."""
    path = folder / name
    maturity.write_template(path)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["answer"] = answers.get(row["statement"], "")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> str:
    quarter_region(db_url, tmp_path)
    raised = run(db_url, "2025-W10", "ORT")["raised"]
    assert [d["kind"] for d in raised] == ["production_shortfall", "long_waits_rising"]
    act(db_url, raised[0]["id"], "acknowledge", "Eva")
    partly = {s: "delvis" for s in STATEMENTS}
    later = {s: "hög grad" for s in STATEMENTS if s[0] in "14"}
    later |= {s: "inte alls" for s in STATEMENTS if s[0] == "7"}
    for day, answers in (("2024-09-15", partly), ("2025-03-10", later), ("2025-05-02", partly)):
        maturity.record(db_url, _assessment(tmp_path, f"{day}.csv", answers), "ORT", day, "Eva")
    return db_url


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True)
    return " ".join(out.stdout.split())


def _rendered(pdf: Path, folder: Path) -> list[Path]:
    """Every page as a PNG (pdftoppm), each checked to have something drawn on it."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-png", "-r", "30", str(pdf), str(folder / "p")], check=True)
    images = sorted(folder.glob("p-*.png"))
    for png in images:
        with Image.open(png) as image:
            assert image.convert("L").getextrema()[0] < 200, f"{png.name} is blank"
    return images


def test_quarters_are_iso_weeks_by_their_thursday() -> None:
    assert parse_quarter("2025-Q1") == parse_quarter("2025-K1") == Quarter(2025, 1)
    assert parse_quarter(" 2025k4 ") == Quarter(2025, 4)
    assert [str(w) for w in Quarter(2025, 1).weeks] == [f"2025-W{n:02d}" for n in range(1, 14)]
    assert [w.week for w in Quarter(2025, 2).weeks] == list(range(14, 27))
    # 2020 has 53 weeks: W53's Thursday is 31 December, so Q4 holds 14 weeks
    assert [w.week for w in Quarter(2020, 4).weeks] == list(range(40, 54))
    # 2026-W01 starts on 29 December 2025 but its Thursday (1 January) puts it in 2026-Q1
    assert str(Quarter(2026, 1).weeks[0]) == "2026-W01"
    for bad in ("2025-Q5", "2025-W10", "Q1 2025", "2025-Q"):
        with pytest.raises(UserError, match=r"expected e\.g\. 2025-Q1 or 2025-K1"):
            parse_quarter(bad)


def test_board_report_pages_and_numbers(store: str, tmp_path: Path) -> None:
    """ORT 2025-Q1 (W01–W13): planned 13 × 26 = 338; performed 13 × 15 + 13 (the w mod 3
    add up to 13) = 208 for ORT-NB and 65 for ORT-HOFT = 273; bought 26 + 13 = 39; 312 of
    338 = 92.3 %. ORT-OP: 78 planned, 65 + 13 = 100 %; ORT itself 260, 208 + 26 = 90 %.
    The quarter is the year to date, so both rows agree."""
    pdf = tmp_path / "q1.pdf"
    report = quarterly_report(store, "2025-Q1", pdf, "ORT", made=MADE)
    assert report.pages == 6  # front, plan, waiting, units, deviations, maturity
    assert len(_rendered(pdf, tmp_path)) == 6

    # the follow-up JSON of each week, summed by hand
    weeks = [followup(store, f"2025-W{w:02d}", "ORT") for w in range(1, 14)]
    ort = [next(r for r in f["rollups"] if r["unit"] == "ORT") for f in weeks]
    planned, performed, bought = (
        sum(r[x] for r in ort) for x in ("planned", "performed", "bought")
    )
    assert (planned, performed, bought) == (338, 273, 39)
    assert ort[-1]["cumulative_performed"] == performed + bought

    text = _text(pdf)
    assert "Kvartalsrapport till nämnd/styrelse" in text
    assert "Enhet: ORT – Ortopedkliniken" in text and "Framtagen: 2025-04-02" in text
    assert "Kvartal: 2025-Q1 (2025-W01–2025-W13)" in text
    row = " ".join(number(v) for v in (planned, performed, bought, performed + bought))
    assert f"Kvartalet (2025-W01–2025-W13) {row} 92,3 %" in text
    assert f"Hittills i år (v. 1–13) {row} 92,3 %" in text
    assert year_end_line(ort[-1], "sv") in text
    assert "Väntat > 90 dagar: 1 vid kvartalets början (2025-W01), 13 vid kvartalets slut" in text
    assert "Öppna avvikelser vid kvartalets slut: 2 (ny 1, kvitterad 1)" in text
    assert "Självskattning av PKS-mognad: senast 2025-03-10" in text
    # one row per child unit, ORT's own objects, the total
    assert "ORT-OP Operation ortopedi 78 65 13 100,0 % 0" in text
    assert "ORT direkt (objekt utan underenhet) 260 208 26 90,0 % 13" in text
    assert "Totalt ORT Ortopedkliniken 338 273 39 92,3 % 13" in text
    # open deviations, longest open first
    assert "produktion under plan ORT ORT kvitterad 2025-W10 3" in text
    assert "ökande väntande över 90 dagar ORT ORT ny 2025-W10 3" in text

    # maturity: the two assessments of the quarter as the maturity service scores them
    scored = maturity.report(store, "ORT")["assessments"]
    assert [a["date"] for a in scored] == ["2024-09-15", "2025-03-10", "2025-05-02"]
    before, latest = scored[0]["areas"], scored[1]["areas"]
    assert [a["score_percent"] for a in latest] == [100.0, None, None, 100.0, None, None, 0.0, None]
    for old, new in zip(before[:7], latest[:7], strict=True):
        change = "–"
        if new["score_percent"] is not None:
            change = f"{new['score_percent'] - old['score_percent']:+.1f}".replace(".", ",")
        scores = f"{percent(old['score_percent'])} {percent(new['score_percent'])} {change}"
        assert f"{new['area']} {new['question']} {scores}" in text
    assert "1 Hur systematisk och organisationsövergripande är PKS? 50,0 % 100,0 % +50,0" in text
    assert "7 Finns det några resultat av PKS-arbetet? 50,0 % 0,0 % -50,0" in text
    assert "2025-05-02" not in text  # after the quarter
    assert "Quarterly board report" not in text


def test_english_option(store: str, tmp_path: Path) -> None:
    pdf = tmp_path / "q1-en.pdf"
    assert quarterly_report(store, "2025-K1", pdf, "ORT", lang="en", made=MADE).pages == 6
    text = _text(pdf)
    for heading in ("Quarterly board report", "Plan versus outcome", "Open deviations"):
        assert heading in text
    assert "Kvartalsrapport" not in text and "Väntelista" not in text
    assert "The quarter (2025-W01–2025-W13) 338 273 39 312 92.3%" in text
    assert "Total ORT Ortopedkliniken 338 273 39 92.3% 13" in text
    assert "production shortfall ORT ORT acknowledged 2025-W10 3" in text
    assert "1 Systematic and organisation-wide 50.0% 100.0% +50.0" in text


def test_without_an_assessment_the_report_says_so(store: str, tmp_path: Path) -> None:
    """ORT-OP has no units under it and no self-assessment: no maturity page, a sentence."""
    pdf = tmp_path / "op.pdf"
    report = quarterly_report(store, "2025-Q1", pdf, "ORT-OP", made=MADE)
    assert report.pages == 5
    assert len(_rendered(pdf, tmp_path)) == 5
    text = _text(pdf)
    assert "ingen är registrerad för ORT-OP till och med 2025-03-30" in text
    assert "ORT-OP har inga enheter under sig" in text
    assert "Kvartalet (2025-W01–2025-W13) 78 65 13 78 100,0 %" in text
    assert "(Socialstyrelsen)" not in text


def test_user_mistakes(store: str, tmp_path: Path) -> None:
    pdf = tmp_path / "x.pdf"
    with pytest.raises(UserError, match=r"--quarter .2025-W10.: expected e\.g\. 2025-Q1"):
        quarterly_report(store, "2025-W10", pdf)
    with pytest.raises(UserError, match="--lang must be sv or en"):
        quarterly_report(store, "2025-Q1", pdf, lang="de")
    with pytest.raises(UserError, match="does not exist"):
        quarterly_report(store, "2025-Q1", tmp_path / "no" / "x.pdf")
    with pytest.raises(UserError, match="unknown unit 'XX'"):
        quarterly_report(store, "2025-Q1", pdf, unit="XX")
    with pytest.raises(UserError, match="--against must be active or original"):
        quarterly_report(store, "2025-Q1", pdf, against="newest")
    assert not pdf.exists()
