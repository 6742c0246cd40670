"""The rep losing control (sparring.review.control): monologues against the rep's own turns, a stretch the rep
dominates, and — on timed calls only — interruptions, silences and pace."""

from __future__ import annotations

from sparring.review.control import MONOLOGUE_WORDS, dominance, monologues, timed
from sparring.testing.turns import reads

WORDS = "we built this for teams like yours and it saves time every week "


def _say(n: int) -> str:
    words = (WORDS * (n // 12 + 1)).split()[:n]
    return " ".join(words) + "."


def test_a_long_stretch_of_rep_turns_is_one_monologue() -> None:
    call = reads(("rep", _say(10)), ("them", "Go on."), ("rep", _say(70)), ("rep", _say(60)), ("them", "Okay."),
                 ("rep", _say(12)))
    [found] = monologues(call, "Sam")
    assert (found.start, found.end) == (2, 3) and "130 words" in found.summary and found.base < -0.25


def test_a_rep_who_always_talks_at_length_is_measured_against_their_own_turns() -> None:
    call = reads(*[t for _ in range(4) for t in (("rep", _say(MONOLOGUE_WORDS + 5)), ("them", "I see, go on."))])
    assert monologues(call, "Sam") == []


def test_a_dominated_stretch_is_reported_unless_it_is_one_monologue() -> None:
    call = reads(*[t for _ in range(5) for t in (("rep", _say(70)), ("them", "Right."))])
    [found] = dominance(call, "Sam", [])
    assert found.kind == "talk_dominance" and "did 9" in found.summary
    assert dominance(call, "Sam", [(0, 9)]) == []


def test_timed_signals_interruptions_merged_silence_and_pace() -> None:
    call = reads(
        ("them", "We looked at three vendors last year and none of them fit.", (), 0.0, 6.0),
        ("rep", "Right, and that's why we built it.", (), 4.0, 8.0),          # talks over by 2 s
        ("them", "Let me finish, the issue was the integration.", (), 8.5, 12.0),
        ("rep", "Sure, sure.", (), 11.5, 12.5),                               # cuts in by 0.5 s, soon after
        ("them", "So what would the integration take?", (), 13.0, 16.0),
        ("rep", "Good question.", (), 25.0, 26.0),                            # 9 s of silence first
        ("them", "Well?", (), 26.5, 27.0),
        ("rep", _say(80), (), 27.5, 47.5),                                    # 80 words in 20 s: 240 wpm
    )
    found = timed(call, "Sam")
    kinds = [(f.kind, f.start, f.end) for f in found]
    assert ("interruption", 0, 3) in kinds and "several times" in found[0].summary
    assert ("long_silence", 4, 5) in kinds
    assert ("fast_pace", 7, 7) in kinds
    untimed = reads(("them", "Hello."), ("rep", "Hi."))
    assert timed(untimed, "Sam") == []
