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
