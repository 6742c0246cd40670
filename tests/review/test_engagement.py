"""The counterpart disengaging (sparring.review.engagement): scores against the speaker's own baseline, bare
answers and backchannels, and the stretches that make a moment."""

from __future__ import annotations

from sparring.review.cues import load_cues
from sparring.review.engagement import LONG_REP_WORDS, disengaging_runs, score_turns
from sparring.testing.turns import reads

CUES = load_cues()
LONG = "We have been talking to customers about this for a while and here is what we hear from them. " * 2


def test_replies_shorter_than_the_speakers_own_earlier_turns_score_higher() -> None:
    call = reads(
        ("rep", "How is the rollout going?", {"question_open"}),
        ("them", "It is going well overall, the team in Lisbon started last week and they like the new reports."),
        ("rep", "What do they like most?", {"question_open"}),
        ("them", "Mostly the exports, they used to build them by hand every Friday afternoon for the managers."),
        ("rep", "And the other offices?", {"question_open"}),
        ("them", "Later."),
    )
    scores = {s.index: s for s in score_turns(call, CUES)}
    assert scores[1].score == 0.0 and scores[3].score == 0.0
    assert scores[5].shortness > 0.9 and scores[5].score > 0.4
    assert scores[5].baseline > 15  # their earlier turns, not the call's median


def test_a_bare_no_is_an_answer_to_a_question_but_a_refusal_otherwise() -> None:
    asked = reads(("rep", "Did you see the report?", {"question_closed"}), ("them", "No."))
    told = reads(("rep", "I'll send the contract over now."), ("them", "No."))
    assert not score_turns(asked, CUES)[0].negative
    assert score_turns(told, CUES)[0].negative


def test_an_acceptance_lowers_the_score_and_a_hostile_act_raises_it() -> None:
    call = reads(
        ("rep", "Thursday at ten?", {"next_step_proposal"}),
        ("them", "Sounds good.", {"next_step_accept"}),
        ("rep", "Great."),
        ("them", "That is simply not true.", {"confront"}),
    )
    accept, hostile = score_turns(call, CUES)
    assert accept.accepting and not accept.negative
    assert hostile.negative and hostile.negative_cue == "[confront]" and hostile.score > accept.score


def test_a_fading_exchange_and_a_sharp_reply_after_a_long_pitch_make_moments_but_objections_do_not() -> None:
    call = reads(
        ("rep", "How are things going with the team?", {"question_open"}),
        ("them", "Pretty busy, we are hiring for three roles and onboarding two new managers at the same time."),
        ("rep", LONG + LONG + LONG),
        ("them", "Okay. Send it in an email."),
        ("rep", "Sure. What would you like to see in it?", {"question_open"}),
        ("them", "Whatever."),
        ("rep", "And the pricing?", {"question_open"}),
        ("them", "Not interested."),
    )
    assert sum(r.words for r in call[2:3]) >= LONG_REP_WORDS
    runs = disengaging_runs(score_turns(call, CUES), call)
    assert [[t.index for t in run] for run in runs] == [[3, 5, 7]]
    assert disengaging_runs(score_turns(call, CUES), call, skip={3, 5, 7}) == []
