"""Learner-facing rationales: plain sentences, numbers where they help, and a missed verdict says what it cites."""

from __future__ import annotations

import re

import pytest

from sparring.content.library import get_library
from sparring.content.rubric import Criterion
from sparring.conversation.importers import read_transcript
from sparring.scoring.embedded import EmbeddedScorer
from sparring.scoring.rationale import metric_rationale, short

LIB = get_library()
CASES = [(r.id, LIB.rubric_paths[r.id].parent / t.transcript) for r in LIB.rubrics.values() for t in r.tests
         if t.transcript]  # fmt: skip
#: every missed check or scale says which kind of turn it cites
SAYS_WHICH = re.compile(r"reads like what to avoid|closest attempt|nearest line|\(cited\)|Not in time|every line you",
                       re.I)


@pytest.fixture(scope="module")
def scorer() -> EmbeddedScorer:
    return EmbeddedScorer()


@pytest.mark.parametrize(("rubric_id", "path"), CASES, ids=[f"{r}:{p.stem}" for r, p in CASES])
def test_rationales_are_plain_sentences(rubric_id: str, path: object, scorer: EmbeddedScorer) -> None:
    card = scorer.score(read_transcript(path), LIB.rubric(rubric_id))  # type: ignore[arg-type]
    for r in card.criteria:
        why = r.rationale
        assert (why[0].isupper() or why[0].isdigit()) and why.rstrip()[-1] in ".…\"?)", (r.id, why)
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", why), (r.id, why)  # no metric or tag identifiers
        if r.kind in ("check", "scale") and r.verdict == "missed":
            assert SAYS_WHICH.search(why), (r.id, why)
        for ev in r.evidence:
            assert f"turn {ev.turn}" in why.lower() or r.kind in ("metric", "blocker") or len(r.evidence) > 1 or \
                "Not in time" in why, (r.id, why)


def test_a_missed_trade_cites_the_concession_given_without_one(scorer: EmbeddedScorer) -> None:
    rubric = LIB.rubric("renewal-value")
    path = LIB.rubric_paths["renewal-value"].parent / "tests" / "renewal-value-mixed.txt"
    conv = read_transcript(path)
    r = scorer.score(conv, rubric).result("trade-not-give")
    assert r.verdict == "missed"
    turn = r.evidence[0].turn
    assert "ten percent off" in conv.turns[turn].text
    assert f"at turn {turn} you gave something away without asking for anything in return (cited)" in r.rationale


def _metric(metric: str, target: dict[str, float], partly: dict[str, float] | None = None) -> Criterion:
    data: dict[str, object] = {"id": "m", "kind": "metric", "name": "A metric", "metric": metric, "target": target}
    if partly:
        data["partly"] = partly
    return Criterion.model_validate(data)


def test_metric_rationales_read_as_sentences_with_their_numbers() -> None:
    tells = _metric("telling_share", {"max": 0.1}, {"max": 0.2})
    why = metric_rationale(tells, 0.15, "partly", {"learner_turns": 20})
    assert why == "3 of your 20 turns (15%) gave information or advice (target: at most 10%) — close: " \
                  "at most 20% earns half credit."
    rq = _metric("reflection_to_question_ratio", {"min": 1.0})
    why = metric_rationale(rq, 0.5, "missed", {"reflection_count": 2, "question_count": 4})
    assert why == "You made 2 reflections to 4 questions, a ratio of 0.5 (target: at least 1) — off target."
    questions = _metric("question_count", {"min": 3})
    assert metric_rationale(questions, 4, "met", {}) == "You asked 4 questions (target: at least 3) — on target."


def test_examples_are_shortened_at_a_word() -> None:
    assert short("Which part of the proposal matters most to your team this quarter?") == \
        "Which part of the proposal matters most to…"
    assert short("Short line.") == "Short line."


def test_a_value_just_outside_the_band_does_not_print_as_the_bound() -> None:
    air = _metric("talk_share", {"min": 0.3, "max": 0.65})
    assert metric_rationale(air, 0.652, "partly", {}).startswith("You did 65.2% of the talking (target: 30%–65%)")
    assert metric_rationale(air, 0.5, "met", {}).startswith("You did 50% of the talking")
