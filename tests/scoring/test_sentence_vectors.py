from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from sparring.conversation.model import Conversation
from sparring.nlp.embeddings import embed
from sparring.scoring import segments
from sparring.scoring import sentence_vectors as sv
from sparring.scoring.embedded import EmbeddedScorer
from sparring.scoring.tagging import tag_turns, telling_probabilities
from sparring.scoring.tagmodel import production_model


def _conv(lines: Sequence[tuple[str, str]]) -> Conversation:
    c = Conversation()
    for role, text in lines:
        c.add("Al" if role == "learner" else "Jo", role, text)  # type: ignore[arg-type]
    return c


def test_an_utterance_vector_is_the_mean_of_its_sentences() -> None:
    text = "So you feel stuck at work. And your sleep has suffered too!"
    first, second = embed(["So you feel stuck at work.", "And your sleep has suffered too!"])
    mean = (first + second) / np.linalg.norm(first + second)
    (got,) = sv.utterance_vectors([text])
    assert np.allclose(got, mean, atol=1e-6)
    assert np.isclose(np.linalg.norm(got), 1.0, atol=1e-5)
    # a text without words still gets a vector, and one sentence is its own vector
    blank, one = sv.utterance_vectors(["…", "So you feel stuck at work."])
    assert np.isclose(np.linalg.norm(blank), 1.0, atol=1e-5) and np.allclose(one, first, atol=1e-6)


def test_turn_vectors_leave_out_clauses() -> None:
    long = "That's a fair concern, and I can see why the price gap stands out when you compare the two quotes."
    c = _conv([("counterpart", "It costs too much."), ("learner", long)])
    segs = sv.conversation_segments(c)
    assert any(s.clause for s in segs)
    vecs = embed(segments.embedding_texts(segs))
    by_turn = sv.turn_vectors(segs, vecs)
    assert set(by_turn) == {1}
    assert np.allclose(by_turn[1], embed([long])[0], atol=1e-6)  # one sentence: the clauses do not count


def test_standalone_tagging_reads_the_same_vectors_as_the_scorer() -> None:
    """tag_turns without vectors embeds each turn the way the scorer does, so both give the same tags and
    telling probabilities, and the scorer's own vectors are used without a second model run."""
    if production_model() is None or not production_model().needs_vectors:  # type: ignore[union-attr]
        pytest.skip("the shipped tag model does not read sentence vectors")
    c = _conv([
        ("counterpart", "I barely sleep these days and it's wrecking my work."),
        ("learner", "Your nights have become a real struggle, and it spills into your days."),
        ("counterpart", "Yeah, exactly."),
        ("learner", "…"),
        ("learner", "You should cut caffeine after noon. Would that be something to try?"),
    ])
    learner = [t.index for t in c.turns if t.role == "learner"]
    scorer = EmbeddedScorer()
    ctx = scorer.context(c)
    standalone = tag_turns(c, roles={"learner"})
    assert ctx.tags == standalone
    given = sv.with_empty_turns(c, sv.turn_vectors(ctx.segments, ctx.vectors), "learner")
    assert set(given) == set(learner)
    assert telling_probabilities(c, learner, given) == telling_probabilities(c, learner)


def test_given_vectors_are_not_recomputed(monkeypatch: pytest.MonkeyPatch) -> None:
    if production_model() is None or not production_model().needs_vectors:  # type: ignore[union-attr]
        pytest.skip("the shipped tag model does not read sentence vectors")
    c = _conv([("counterpart", "Prices went up again."), ("learner", "That has you worried about the budget.")])
    vectors = {1: sv.utterance_vectors([c.turns[1].text])[0]}

    def no_embedding(*args: object, **kwargs: object) -> dict[int, np.ndarray]:
        raise AssertionError("the scorer's vectors were given: nothing should be embedded again")

    monkeypatch.setattr("sparring.scoring.tagging.conversation_turn_vectors", no_embedding)
    assert tag_turns(c, roles={"learner"}, vectors=vectors)[1]


def test_long_conversations_tag_from_the_sentences_the_scorer_embeds() -> None:
    sentence = "We looked at the numbers again and the team found a few more places where time is lost today."
    c = _conv([("learner" if i % 2 else "counterpart", sentence if i % 2 else "Okay.") for i in range(400)])
    seen: list[str] = []

    def recording(texts: Sequence[str]) -> np.ndarray:
        seen.extend(texts)
        return embed(texts)

    learner = [t.index for t in c.turns if t.role == "learner"]
    sv.conversation_turn_vectors(c, learner, recording)
    assert seen and all(sentence.startswith(t) and t != sentence for t in seen)  # opening words, as scored


def test_metrics_on_their_own_embed_the_conversation_once(monkeypatch: pytest.MonkeyPatch) -> None:
    if production_model() is None or not production_model().needs_vectors:  # type: ignore[union-attr]
        pytest.skip("the shipped tag model does not read sentence vectors")
    from sparring.scoring import tagging
    from sparring.scoring.metrics import compute_metrics

    calls: list[list[int]] = []
    real = tagging.conversation_turn_vectors

    def counting(conversation: Conversation, indexes: Sequence[int], embed_fn=None):  # type: ignore[no-untyped-def]
        calls.append(list(indexes))
        return real(conversation, indexes, embed_fn)

    monkeypatch.setattr(tagging, "conversation_turn_vectors", counting)
    c = _conv([("counterpart", "Prices went up again."), ("learner", "You should switch plans. Want the details?"),
               ("counterpart", "Maybe."), ("learner", "That has you worried about the budget.")])
    metrics = compute_metrics(c)
    assert len(calls) == 1 and calls[0] == [1, 3]  # the learner's turns, once
    assert metrics["learner_turns"] == 2
