"""Spoken delivery from word times (sparring.review.delivery): pace, fillers, mid-turn pauses, the longest
stretch, talking over and waiting, and the rep's findings with the call review's thresholds."""

from __future__ import annotations

import pytest

from sparring.review.control import FAST_WPM, MONOLOGUE_SECONDS
from sparring.review.delivery import (
    LONG_PAUSE_SECONDS,
    TakeDelivery,
    TimedWord,
    rep_delivery,
    take_delivery,
)


def spoken(text: str, *, start: float = 0.0, wpm: float = 150.0, pause_after: dict[int, float] | None = None
           ) -> list[TimedWord]:
    """``text``'s words at an even ``wpm`` (each word takes 60/wpm s), with extra silence after word i."""
    step = 60.0 / wpm
    out, t = [], start
    for i, word in enumerate(text.split()):
        out.append(TimedWord(word, t, t + step * 0.8))
        t += step + (pause_after or {}).get(i, 0.0)
    return out


def test_pace_fillers_and_a_mid_turn_pause() -> None:
    words = spoken("So um what would change for you if the checks ran by themselves and uh who signs off", wpm=150,
                   pause_after={8: 2.5})
    d = take_delivery(words)
    assert d.words == 18 and d.fillers == 2
    assert d.long_pauses == 1
    assert d.wpm is not None and 110 < d.wpm < 130  # 18 words over ~9.2 s, the pause included
    assert d.longest_run_seconds == pytest.approx(words[-1].end - words[9].start)


def test_short_answers_have_no_pace_and_pauses_under_the_bar_do_not_count() -> None:
    d = take_delivery(spoken("Yes, Thursday works.", pause_after={0: LONG_PAUSE_SECONDS - 0.1}))
    assert d.wpm is None and d.long_pauses == 0
    assert take_delivery([]).words == 0


def test_browser_timings_are_clamped() -> None:
    words = spoken("I hear you, the renewal price is a real jump for the team this year")
    d = take_delivery(words, talked_over_seconds=99.0, waited_seconds=-3.0)
    assert d.talked_over_seconds == pytest.approx(d.speech_seconds) and d.waited_seconds == 0.0
    again = TakeDelivery.from_dict(d.as_dict())
    assert again.words == d.words and again.wpm == pytest.approx(d.wpm, abs=0.05)


def test_rep_findings_use_the_call_thresholds() -> None:
    fast = take_delivery(spoken(" ".join(["word"] * 40), wpm=FAST_WPM + 40))
    calm = take_delivery(spoken("What would a good outcome look like for you by the end of the quarter?", wpm=140),
                         talked_over_seconds=1.2, waited_seconds=7.0)
    long_run = take_delivery(spoken(" ".join(["and"] * 200), wpm=170))
    rep = rep_delivery({1: fast, 3: calm, 5: long_run})
    assert rep is not None
    kinds = {(f.kind, f.turn) for f in rep.findings}
    assert ("fast_pace", 1) in kinds and ("interruption", 3) in kinds and ("long_silence", 3) in kinds
    assert long_run.longest_run_seconds >= MONOLOGUE_SECONDS and ("monologue", 5) in kinds
    assert ("fast_pace", 3) not in kinds and ("monologue", 1) not in kinds
    assert rep.spoken_turns == 3 and rep.interruptions == 1 and rep.words == 40 + 15 + 200
    assert rep.as_dict()["findings"][0]["turn"] in (1, 3, 5)


def test_fillers_are_mentioned_only_when_frequent() -> None:
    few = rep_delivery({1: take_delivery(spoken("um I think the price works if the pilot stays at eight stores"))})
    many = rep_delivery({1: take_delivery(spoken("um so uh like the um price uh you know works I mean basically"))})
    assert few is not None and many is not None
    assert "fillers" not in {f.kind for f in few.findings}
    assert "fillers" in {f.kind for f in many.findings} and many.fillers_per_100_words is not None
    assert rep_delivery({}) is None
