"""The one next-step predicate shared by the scorer and the persona."""

from __future__ import annotations

import pytest

from sparring.nlp.next_step import dated, proposes_next_step
from sparring.testing.acts import reading


@pytest.mark.parametrize(("text", "when"), [
    ("Could we book thirty minutes with Marta on Thursday?", True),
    ("I'll send it by end of day.", True),
    ("Let's meet at 2pm.", True),
    ("Can we regroup next week?", True),
    ("I'll send something over.", False),
    ("Let's talk soon.", False),
])  # fmt: skip
def test_dated(text: str, when: bool) -> None:
    assert dated(text) is when


def test_proposes_and_concrete() -> None:
    r = reading("Could we book thirty minutes with Marta on Thursday?", "next_step_proposal", "question_closed")
    assert proposes_next_step(r) and dated(r.text)
    vague = reading("I'll send something over.", "next_step_proposal")
    assert proposes_next_step(vague) and not dated(vague.text)
    assert not proposes_next_step(reading("Could we book a call on Thursday?", "question_closed"))
    assert not proposes_next_step(reading("I won't book anything on Thursday.", "next_step_proposal"))
