"""The reply path's speed measures (docs/benchmarks.md, "Speed stays") change no output: authored lines' told
facts are read ahead in one batch with the same result as line by line, and a learner turn's sentence vectors are
embedded in one model call that every later comparison of the turn finds cached."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from sparring.content.library import get_library
from sparring.nlp.embeddings import Embedder, get_embedder
from sparring.persona import knowledge as K
from sparring.persona import told
from sparring.persona.listen import read_turn
from sparring.persona.moves import custom_moves, objection_text, sentence_texts, similarities, warm_up


def _knowledge_scenarios() -> list[Any]:
    return [sc for sc in get_library().scenarios.values() if sc.knowledge]


def test_told_facts_read_in_one_batch_equal_line_by_line() -> None:
    scenarios = _knowledge_scenarios()
    assert scenarios, "the library has scenarios with knowledge"
    for sc in scenarios[:3]:
        lines = told.authored_lines(sc)
        assert len(lines) == len(set(lines)) and all(line.strip() for line in lines)
        assert set(sc.opening_lines) <= set(lines) and set(sc.objections[0].lines) <= set(lines)
        batched = K.told_by_lines(sc, lines)
        get_embedder().clear_cache()
        for line in lines:
            get_embedder().clear_cache()  # embedded alone, as a reply did before the warm-up read them
            assert K.told_by(sc, line) == batched[line], line
    assert K.told_by_lines(scenarios[0], ["", "  "]) == {"": frozenset(), "  ": frozenset()}


def test_warm_up_leaves_every_authored_line_in_the_told_memo() -> None:
    sc = _knowledge_scenarios()[0]
    told._TOLD.clear()
    told.warm_told(sc)
    facts = tuple(e.answer for e in sc.knowledge)
    assert all((sc.id, facts, line) in told._TOLD for line in told.authored_lines(sc))


@pytest.fixture
def model_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    calls: list[list[str]] = []
    original = Embedder._compute

    def counted(self: Embedder, texts: list[str], budget: int) -> dict[str, np.ndarray]:
        calls.append(list(texts))
        return original(self, texts, budget)

    monkeypatch.setattr(Embedder, "_compute", counted)
    get_embedder().clear_cache()
    yield calls


def test_a_question_turn_is_embedded_in_one_model_call(model_calls: list[list[str]]) -> None:
    sc = next(s for s in _knowledge_scenarios() if s.custom_moves)
    warm_up([sc])  # the scenario's own lines, as after the opening
    get_embedder().clear_cache()  # the example lines stay in their own caches; the learner's line is new
    model_calls.clear()
    text = "That makes sense, thanks for being straight with me. What would a bad rollout cost you this spring?"
    turn = read_turn(text, sc, context="We tried a tool like this before and it went badly.")
    assert turn.acts & {"question_open", "question_closed", "question_clarifying"}
    assert len(model_calls) == 1
    assert set(sentence_texts(text)) | set(K.question_parts(text)) <= set(model_calls[0])
    # every later comparison of the turn finds its vectors cached: no second model call
    custom_moves(text, sc)
    K.match(sc, text)
    similarities(text, objection_text(sc.objections[0]))
    assert len(model_calls) == 1


def test_asks_is_the_rule_question_parts_picks_sentences_by() -> None:
    assert K.asks("Fair point. What is the eighty based on?")
    assert K.asks("Tell me about the drivers.") and K.asks("so how's it going")
    assert not K.asks("We cut price fifteen percent next month. I need your help.")
    assert not K.asks("")


def test_a_statement_turn_is_embedded_in_one_model_call(model_calls: list[list[str]]) -> None:
    sc = next(s for s in _knowledge_scenarios() if s.custom_moves)
    warm_up([sc])
    get_embedder().clear_cache()
    model_calls.clear()
    text = "I hear you. The rollout would run clinic by clinic, with your team choosing the order."
    read_turn(text, sc, context="We tried a tool like this before and it went badly.")
    assert model_calls == [sentence_texts(text)]
    similarities(text, objection_text(sc.objections[0]))
    assert len(model_calls) == 1
