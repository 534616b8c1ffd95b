"""The self-assessment is transcribed faithfully from seed 003 and scored as documented."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pks.core.maturity import AREAS, STATEMENTS, MaturityAnswer, compare, score

SEEDS = Path(
    os.environ.get("PKS_SEEDS", Path(__file__).resolve().parents[3] / "shared" / "seeds")
)


def _normal(text: str) -> str:
    """Whitespace collapsed, tick boxes gone, words split at a line-end hyphen joined."""
    text = re.sub(r"\s+", " ", text.replace("☐", " "))
    return re.sub(r"(\w)- (\w)", r"\1-\2", text).strip()


def test_every_statement_and_question_is_in_the_seed_word_for_word() -> None:
    seed = _normal(next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8"))
    start = seed.index("Ett stöd för självskattning")
    appendix = seed[start : seed.index("D. Checklista", start)]
    for area in AREAS:
        assert _normal(area.question) in appendix, area.question
        for text in area.statements:
            assert _normal(text) in appendix, text
    # eight main questions, 40 statements, in the seed's order
    assert [a.number for a in AREAS] == list(range(1, 9))
    assert len(STATEMENTS) == 40
    positions = [appendix.index(_normal(t)) for a in AREAS for t in a.statements]
    assert positions == sorted(positions)


def test_score_by_hand() -> None:
    """Area 5 (three statements): i hög grad (2), delvis (1), vet ej (left out) →
    3 of 4 points = 75 %; develop first 5.3, look closer 5.2. Area 6 unanswered: every
    statement counts as vet ej, no score, all four to develop."""
    scores = {s.area.number: s for s in score({
        "5.1": MaturityAnswer.AGREE_FULLY,
        "5.2": MaturityAnswer.AGREE_PARTLY,
        "5.3": MaturityAnswer.UNKNOWN,
    })}
    assert scores[5].score_percent == pytest.approx(75.0)
    assert scores[5].develop_first == ("5.3",) and scores[5].look_closer == ("5.2",)
    assert scores[6].score_percent is None and len(scores[6].develop_first) == 4
    all_no = score(dict.fromkeys(STATEMENTS, MaturityAnswer.DISAGREE))
    assert all(s.score_percent == 0 for s in all_no)


def test_answers_parse_from_swedish_and_unknown_ids_fail() -> None:
    assert MaturityAnswer.parse("Instämmer delvis") is MaturityAnswer.AGREE_PARTLY
    assert MaturityAnswer.parse("vet ej") is MaturityAnswer.UNKNOWN
    with pytest.raises(ValueError, match=r"unknown statement ids: 9\.1"):
        score({"9.1": MaturityAnswer.AGREE_FULLY})


def test_compare_over_time() -> None:
    before = {"4.1": MaturityAnswer.DISAGREE}
    after = {"4.1": MaturityAnswer.AGREE_FULLY}
    result = compare([("ORT", "2025-01-15", before), ("ORT", "2026-01-15", after)])
    area4 = {key: scores[3].score_percent for key, scores in result.items()}
    assert area4 == {("ORT", "2025-01-15"): 0.0, ("ORT", "2026-01-15"): 100.0}
