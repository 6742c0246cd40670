"""Objections and how they were handled, pain and competitors left unexplored, commitment won or lost
(sparring.review.signals), on turns whose acts the test chooses."""

from __future__ import annotations

from sparring.review.cues import load_cues
from sparring.review.signals import (
    CONCESSION,
    HANDLING_IMPACT,
    commitments,
    concessions,
    handling,
    mentions,
    objections,
    pressure,
)
from sparring.testing.turns import reads

CUES = load_cues()


def _handled(*rep_acts: set[str]) -> str:
    replies = reads(*[("rep", "A reply.", acts) for acts in rep_acts])
    return handling(CUES, replies)[0]


def test_handling_is_decided_by_the_first_reply_that_does_something() -> None:
    assert _handled({"acknowledge"}, {"question_open"}) == "explored"
    assert _handled({"quantified_value"}) == "quantified"
    assert _handled({"concession", "acknowledge"}) == "conceded"
    assert _handled({"concession", "question_open"}) == "explored_then_conceded"
    assert _handled({"confront", "quantified_value"}) == "quantified"  # a good move outweighs an over-read act
    assert _handled({"pressure"}) == "pressured"
    assert _handled({"acknowledge"}, {"information"}) == "acknowledged"
    assert _handled({"feature_pitch"}) == "pitched"
    assert _handled({"information"}) == "ignored"
    assert handling(CUES, [])[0] == "ignored"
    assert HANDLING_IMPACT["explored"] > HANDLING_IMPACT["acknowledged"] > 0 > HANDLING_IMPACT["conceded"]


def test_a_price_objection_and_its_concession_make_one_moment_with_the_concession_as_evidence() -> None:
    call = reads(
        ("rep", "It comes to ninety thousand a year.", {"quantified_value"}),
        ("them", "That is way too expensive for us.", {"confront"}),
        ("rep", "I can take twenty percent off today.", {"concession"}),
        ("them", "Okay."),
    )
    [found] = objections(call, CUES, "Sam")
    assert (found.kind, found.start, found.end) == ("objection_price", 1, 3)  # the counterpart's reaction too
    assert found.base == HANDLING_IMPACT["conceded"] and found.rep_acts == {"concession"}
    assert "raised a price objection" in found.summary and "conceded at once" in found.summary


def test_the_same_objection_raised_again_extends_the_first_moment_and_the_worse_handling_stands() -> None:
    call = reads(
        ("them", "The price is too high.", ()),
        ("rep", "What are you comparing it with?", {"question_open"}),
        ("them", "Just the old tool."),
        ("rep", "Teams like yours save ten hours a week.", {"quantified_value"}),
        ("them", "Still, the price is too high for us."),
        ("rep", "Fine, I'll drop it by fifteen percent.", {"concession"}),
    )
    [found] = objections(call, CUES, "Sam")
    assert (found.start, found.end) == (0, 5)
    assert found.base == HANDLING_IMPACT["conceded"] and "again" in found.summary


def test_a_competitor_objection_the_rep_does_not_take_up_is_the_competitor_left_unexplored() -> None:
    call = reads(
        ("them", "We already use Trackly for this."),
        ("rep", "Our dashboards are the best on the market.", {"feature_pitch"}),
    )
    [found] = objections(call, CUES, "Sam")
    assert found.kind == "competitor_not_explored" and found.base < 0


def test_pain_is_explored_only_when_the_reply_takes_it_up() -> None:
    moved_on = reads(
        ("rep", "How are things?", {"question_open"}),
        ("them", "We are struggling with the backlog, tickets wait four days."),
        ("rep", "Let me ask about your systems. Which CRM are you on?", {"question_open"}),
    )
    taken_up = reads(
        ("rep", "How are things?", {"question_open"}),
        ("them", "We are struggling with the backlog, tickets wait four days."),
        ("rep", "Four days? What happens to the tickets while they wait?", {"question_open"}),
    )
    [missed] = mentions(moved_on, CUES, "Sam", set())
    [explored] = mentions(taken_up, CUES, "Sam", set())
    assert (missed.kind, missed.start, missed.end) == ("pain_not_explored", 1, 2) and missed.base < 0
    assert explored.kind == "pain_explored" and explored.base > 0


def test_commitment_won_lost_and_a_call_with_no_next_step() -> None:
    won = commitments(reads(
        ("rep", "Could we book thirty minutes on Thursday at ten?", {"next_step_proposal"}),
        ("them", "Sounds good, Thursday works."),
    ), CUES, "Sam")
    lost = commitments(reads(
        ("rep", "Can we sign this week?", {"commitment_ask"}),
        ("them", "No thanks, let me think about it.", {"next_step_accept"}),  # an act over-read: the words decide
    ), CUES, "Sam")
    unasked = commitments(reads(
        ("rep", "Thanks for the time."), ("them", "Okay, I'll sign it this week, send me the contract."),
        ("rep", "Great."), ("them", "Bye."), ("rep", "Bye."),
    ), CUES, "Sam")
    none = commitments(reads(("rep", "Hi."), ("them", "Hi."), ("rep", "How are you?"), ("them", "Fine."),
                             ("rep", "Bye.")), CUES, "Sam")
    assert [(f.kind, f.start, f.end) for f in won] == [("commitment_won", 0, 1)]
    assert [(f.kind, f.start, f.end) for f in lost] == [("commitment_lost", 0, 1)]
    assert [(f.kind, f.start) for f in unasked] == [("commitment_won", 1), ("no_next_step", 4)]
    assert [f.kind for f in none] == ["no_next_step"]


def test_an_answer_that_raises_an_objection_declines_the_ask() -> None:
    [found] = commitments(reads(
        ("rep", "Could we set up the workshop next week?", {"next_step_proposal"}),
        ("them", "Not this quarter. Put it to me again in Q3.", {"next_step_accept"}),
    ), CUES, "Sam")
    assert found.kind == "commitment_lost"


def test_pressure_outside_an_objection_is_its_own_moment() -> None:
    call = reads(
        ("rep", "This pricing is only good if we sign before the thirty-first.", {"pressure"}),
        ("them", "Before the thirty-first?"),
        ("rep", "I can take ten percent off.", {"pressure"}),
    )
    found = pressure(call, CUES, "Sam", covered={2})
    assert [(f.kind, f.start) for f in found] == [("pressure", 0)]
    assert "only good if" in found[0].summary


def test_a_discount_named_outside_an_objection_is_an_unasked_concession() -> None:
    call = reads(
        ("them", "We have a couple of other bids in, to be fair.", set()),
        ("rep", "Honestly, I could get you eight percent off today without asking anyone.", {"concession"}),
        ("them", "Eight off the new rate or the old one?", set()),
        ("rep", "I can take five percent off if you sign in March.", {"concession"}),
    )
    found = concessions(call, CUES, "Sam", covered={3})
    assert [(f.kind, f.start, f.end, f.base) for f in found] == [("concession", 1, 1, CONCESSION)]
    assert "percent off" in found[0].summary and found[0].rep_acts == {"concession"}


def test_a_concession_read_by_the_model_alone_or_negated_is_not_an_unasked_concession() -> None:
    call = reads(
        ("rep", "Oh. Wow. Eleven percent.", {"concession"}),  # a number repeated back, read as a concession
        ("rep", "We don't do percent off on renewals.", {"concession"}),
        ("rep", "The list price is fourteen dollars.", {"information"}),
    )
    assert concessions(call, CUES, "Sam", covered=set()) == []


def test_an_objection_span_takes_in_the_counterparts_reaction_only_when_it_follows_the_reply_at_once() -> None:
    call = reads(
        ("them", "That is way too expensive for us.", set()),
        ("rep", "What were you expecting to pay?", {"question_open"}),
        ("them", "Half that. It is more than my first truck.", set()),
    )
    [found] = objections(call, CUES, "Sam")
    assert (found.start, found.end) == (0, 2)
    alone = reads(("them", "That is way too expensive for us.", set()), ("rep", "I hear you.", {"acknowledge"}))
    [found] = objections(alone, CUES, "Sam")
    assert (found.start, found.end) == (0, 1)
