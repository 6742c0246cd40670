"""Per-segment strength: a trusted act is strong on its own, an undated next step is not, a vetoed act stays low."""

from __future__ import annotations

import numpy as np

from sparring.content.rubric import Criterion
from sparring.scoring.prototypes import Prototypes
from sparring.scoring.segments import Segment
from sparring.scoring.strength import ACT_STRONG, MODERATE, score_segments


def _proto(sim: float) -> tuple[Prototypes, np.ndarray]:
    example = np.zeros((1, 4), dtype=np.float32)
    example[0, 0] = 1.0
    line = np.array([[sim, np.sqrt(1 - sim * sim), 0.0, 0.0]], dtype=np.float32)
    desc = np.array([[0.0, 0.0, 1.0, 0.0]], dtype=np.float32)
    return Prototypes(example, np.zeros((0, 4), dtype=np.float32), desc, ["ex"], []), line


def _score(text: str, acts: set[str], kinds: list[str], sim: float = 0.35, raw: set[str] | None = None) -> float:
    c = Criterion(id="c", name="Does the thing", kind="check", acts=kinds)
    proto, vec = _proto(sim)
    seg = Segment(turn=1, start=0, end=len(text), text=text)
    out = score_segments(c, [seg], vec, [frozenset(acts)], proto, raw_acts=[frozenset(raw or acts)],
                         sure_acts=[frozenset(acts)])
    return out[0].strength


def test_a_trusted_act_is_strong_whatever_the_words() -> None:
    assert _score("Let's put Tuesday at nine in the diary.", {"next_step_proposal"}, ["next_step_proposal"]) == \
        round(ACT_STRONG, 3)
    assert _score("Let's talk soon.", {"next_step_proposal"}, ["next_step_proposal"]) < ACT_STRONG
    assert _score("What drives the date?", set(), ["question_open"]) < MODERATE


def test_a_vetoed_act_cannot_come_back_on_similarity() -> None:
    assert _score("You need to cut down.", set(), ["reflect_simple"], sim=0.9, raw={"reflect_simple"}) < MODERATE


class _Reading:
    def __init__(self, probs: dict[str, float]) -> None:
        self.probs = probs

    def p(self, name: str) -> float:
        return self.probs.get(name, 0.0)


def test_a_clause_act_counts_only_when_its_sentence_supports_it() -> None:
    from sparring.scoring.strength import _clause_contradicted

    text = "Our customers save forty percent, and the setup is really quick."
    whole = Segment(0, 0, len(text), text)
    cut = text.index("and the")
    clause = Segment(0, cut, len(text), text[cut:], clause=True)
    acts = [frozenset({"feature_pitch"}), frozenset({"reflect_simple"})]
    signals = frozenset({"reflect_simple", "summarise"})
    # the sentence reads as a pitch, with no fair chance of a reflection: the fragment's reflection does not count
    out = _clause_contradicted([whole, clause], acts, [_Reading({"reflect_simple": 0.05}), _Reading({})], signals)
    assert out.tolist() == [False, True]
    # a sentence that gives the act a fair chance (or reads it) keeps the clause's act
    out = _clause_contradicted([whole, clause], acts, [_Reading({"reflect_simple": 0.4}), _Reading({})], signals)
    assert out.tolist() == [False, False]
    acts = [frozenset({"reflect_simple"}), frozenset({"reflect_simple"})]
    out = _clause_contradicted([whole, clause], acts, [_Reading({}), _Reading({})], signals)
    assert out.tolist() == [False, False]
