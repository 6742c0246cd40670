from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sparring.content.rubric import Criterion
from sparring.scoring.prototypes import PROTO_CACHE, description_texts, prototypes


def _fake_embed(calls: list[list[str]]):  # type: ignore[no-untyped-def]
    def embed(texts: Sequence[str]) -> np.ndarray:
        calls.append(list(texts))
        return np.arange(len(texts) * 384, dtype=np.float32).reshape(len(texts), 384)

    return embed


def test_example_lines_and_rule_lines_become_positive_and_negative_vectors() -> None:
    c = Criterion(
        id="asks-permission", name="Asks permission before advice", kind="check",
        met_when="asks before sharing advice",
        examples_positive=["Would it be okay if I shared an idea?", "Can I suggest something?"],
        examples_negative=["You should do this."],
    )
    calls: list[list[str]] = []
    embed = _fake_embed(calls)
    p = prototypes(c, embed, rule_lines=["You're in denial.", "You should do this."])
    assert p.positive.shape == (2, 384) and p.negative.shape == (2, 384)
    assert p.negative_lines == ["You should do this.", "You're in denial."]  # a rule line already listed counts once
    assert p.own_negatives == 1 and p.question_share == 1.0
    assert description_texts(c) == ["Asks permission before advice", "asks before sharing advice"]
    assert p.description.shape == (2, 384)
    # cached per process: the same criterion is embedded once
    assert prototypes(c, embed, rule_lines=["You're in denial.", "You should do this."]) is p
    assert len(calls) == 1
    PROTO_CACHE.clear()
    prototypes(c, embed, rule_lines=["You're in denial.", "You should do this."])
    assert len(calls) == 2


def test_a_criterion_without_examples_is_described_by_its_own_words() -> None:
    c = Criterion(id="warm", name="Opens warmly", kind="check", description="greets the person by name")
    p = prototypes(c, _fake_embed([]))
    assert p.positive.shape == (0, 384) and p.negative.shape == (0, 384)
    assert description_texts(c) == ["Opens warmly. greets the person by name"]
    assert p.description.shape == (1, 384)
