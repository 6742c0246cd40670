from __future__ import annotations

from sparring.nlp.act_aliases import TAG_ALIASES, resolve_acts, unknown_signals
from sparring.nlp.acts import ACT_NAMES


def test_every_alias_names_real_acts() -> None:
    for tag, acts in TAG_ALIASES.items():
        assert tag not in ACT_NAMES or acts == (tag,)
        assert set(acts) <= set(ACT_NAMES), tag


def test_resolve_and_unknown() -> None:
    assert resolve_acts(["next_step", "question_open"]) == {"next_step_proposal", "question_open"}
    assert resolve_acts(["open_question"]) == {"question_open", "question_clarifying"}
    assert unknown_signals(["smalltalk", "small_talk", "hedge"]) == ["smalltalk"]
