from __future__ import annotations

import pytest

from sparring.content.rubric import METRIC_NAMES
from sparring.conversation.model import Conversation
from sparring.scoring.metrics import TIMED_METRICS, compute_metrics


def _timed() -> Conversation:
    c = Conversation(source="call")
    c.add("Rep", "learner", "Hi Jo, um, what made you look at us?", 0.0, 4.0)
    c.add("Jo", "counterpart", "Our renewal went up and the team is slow with the old tool every single day.", 5.0,
          15.0)
    c.add("Rep", "learner", "So the cost and the speed both matter to you.", 14.0, 18.0)  # starts 1 s early
    c.add("Rep", "learner", "Do you have a budget?", 18.0, 20.0)
    c.add("Jo", "counterpart", "Yes.", 22.0, 23.0)
    c.add("Rep", "learner", "Great.", 25.0, 26.0)
    return c


def test_untimed_metrics_never_invent_timing() -> None:
    c = _timed()
    for t in c.turns:
        t.end = None
    m = compute_metrics(c)
    assert not (TIMED_METRICS & set(m))
    assert m["talk_share"] == pytest.approx(25 / 42, abs=1e-4)
    assert m["longest_monologue_words"] == 15  # two consecutive learner turns form one monologue
    assert m["longest_counterpart_story_words"] == 16
    assert m["question_count"] == 2 and m["question_rate"] == pytest.approx(0.5)
    assert m["open_question_share"] == pytest.approx(0.5)
    assert m["reflection_count"] == 1 and m["reflection_to_question_ratio"] == pytest.approx(0.5)
    assert m["filler_rate"] == pytest.approx(100 / 25, abs=1e-3)


def test_timed_metrics() -> None:
    m = compute_metrics(_timed())
    assert set(METRIC_NAMES) <= set(m)
    assert m["duration_seconds"] == 26.0
    assert m["longest_monologue_seconds"] == 6.0  # 14.0 .. 20.0
    assert m["longest_counterpart_story_seconds"] == 10.0
    # switches: Rep>Jo, Jo>Rep, Rep>Jo, Jo>Rep = 4 in 26 s
    assert m["interactivity"] == pytest.approx(4 / (26 / 60), abs=1e-3)
    # pauses before answering a counterpart turn: 14-15 -> 0 (overlap), 25-23 = 2
    assert m["patience_seconds"] == pytest.approx(1.0)
    assert m["interruptions"] == 1
    assert m["words_per_minute"] == pytest.approx(25 / (11 / 60), abs=0.01)


def test_explicit_tags_are_used_and_checked() -> None:
    c = _timed()
    tags = [frozenset({"open_question"})] * len(c.turns)
    assert compute_metrics(c, tags=tags)["question_count"] == 4
    with pytest.raises(ValueError):
        compute_metrics(c, tags=tags[:2])


def test_no_learner_turns() -> None:
    c = Conversation()
    c.add("Jo", "counterpart", "Hello?")
    m = compute_metrics(c)
    assert m["talk_share"] == 0.0 and m["question_rate"] is None and m["open_question_share"] is None
    assert m["filler_rate"] is None


def test_telling_share_counts_information_and_advice_turns() -> None:
    from sparring.scoring.tagmodel import use_model

    c = Conversation()
    c.add("Jo", "counterpart", "I smoke about ten a day.")
    c.add("Al", "learner", "You should stop smoking.")
    c.add("Jo", "counterpart", "Maybe.")
    c.add("Al", "learner", "What would help you most?")
    with use_model(None):  # rules only: deterministic without the trained layer
        m = compute_metrics(c)
    assert m["telling_share"] == pytest.approx(0.5)
