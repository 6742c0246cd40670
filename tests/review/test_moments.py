"""The scored summary of a call (sparring.review.moments): planted moments in the fixtures under
tests/review/fixtures/ are found at their turns, moments come in turn order within the cap, the pivotal moment is
the largest with its reason, ties and "no clear moment" are said honestly, and the criterion comes from the
rubric's declared acts and metrics. These read with the real act model (deterministic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.content.library import builtin_rubric
from sparring.conversation.importers import read_transcript
from sparring.conversation.model import Conversation
from sparring.review.moment import CallSummary, Moment
from sparring.review.moments import (
    CLEAR_IMPACT,
    MAX_MOMENTS,
    MAX_PER_KIND,
    TIE_WINDOW,
    choose_pivotal,
    summarise_call,
)
from sparring.scoring.embedded import EmbeddedScorer

FIXTURES = Path(__file__).parent / "fixtures"


def _call(name: str) -> Conversation:
    return read_transcript(FIXTURES / name)


@pytest.fixture(scope="module")
def renewal() -> CallSummary:
    return summarise_call(_call("renewal-discount.txt"))


def _kinds_at(summary: CallSummary) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for m in summary.moments:
        out.setdefault(m.kind, []).append((m.start_turn, m.end_turn))
    return out


def _spans(summary: CallSummary, kind: str, turn: int) -> bool:
    return any(m.kind == kind and m.start_turn <= turn <= m.end_turn for m in summary.moments)


def test_a_price_objection_answered_with_a_discount_is_found_and_is_the_pivotal_moment(renewal: CallSummary) -> None:
    price = next(m for m in renewal.moments if m.kind == "objection_price")
    assert price.start_turn == 7 and price.end_turn >= 8
    assert price.impact < -0.5
    assert "conceded" in price.summary and "over our budget" in price.summary
    assert renewal.pivotal is not None and renewal.pivotal.kind == "objection_price"
    assert renewal.pivotal.reason.startswith("Chosen")
    assert renewal.note == ""


def test_the_other_planted_moments_of_the_renewal_call_are_at_their_turns(renewal: CallSummary) -> None:
    assert _spans(renewal, "pain_not_explored", 3)
    assert _spans(renewal, "commitment_lost", 13)
    assert any(m.kind == "disengaging" and m.start_turn <= 11 and m.end_turn >= 13 for m in renewal.moments)
    assert all(m.criterion is None for m in renewal.moments)  # no scorecard, no rubric: no criterion


def test_moments_are_in_turn_order_capped_and_quote_the_call(renewal: CallSummary) -> None:
    starts = [(m.start_turn, m.end_turn) for m in renewal.moments]
    assert starts == sorted(starts)
    assert len(renewal.moments) <= MAX_MOMENTS
    for kind, spans in _kinds_at(renewal).items():
        assert len(spans) <= MAX_PER_KIND, kind
    call = _call("renewal-discount.txt")
    for m in renewal.moments:
        assert 0 <= m.start_turn <= m.end_turn < len(call.turns)
        assert -1.0 <= m.impact <= 1.0
        assert m.summary.endswith(".")


def test_the_same_call_gives_the_same_summary() -> None:
    call = _call("renewal-discount.txt")
    assert summarise_call(call).model_dump() == summarise_call(call).model_dump()


def test_a_timed_three_speaker_call_finds_the_interruption_the_silence_and_the_commitment() -> None:
    call = _call("discovery-explored.vtt")
    assert len(call.speakers()) == 3 and call.timed
    summary = summarise_call(call)
    interruption = next(m for m in summary.moments if m.kind == "interruption")
    assert (interruption.start_turn, interruption.end_turn) == (7, 8)
    assert "talked over Raj" in interruption.summary
    assert interruption.start_s == 52.5 and interruption.end_s == 70.0
    assert _spans(summary, "long_silence", 10)
    assert _spans(summary, "commitment_won", 11)
    competitor = next(m for m in summary.moments if m.kind == "objection_competitor")
    assert competitor.start_turn == 3 and competitor.impact > 0  # explored: helped
    assert not any(m.kind.startswith("objection_") and m.impact < 0 for m in summary.moments)


def test_untimed_calls_have_no_timed_moments(renewal: CallSummary) -> None:
    assert not {"interruption", "long_silence", "fast_pace"} & {m.kind for m in renewal.moments}
    assert all(m.start_s is None for m in renewal.moments)


def test_a_coaching_monologue_and_the_reply_that_shrinks_after_it() -> None:
    summary = summarise_call(_call("coaching-monologue.json"))
    mono = next(m for m in summary.moments if m.kind == "monologue")
    assert (mono.start_turn, mono.end_turn) == (4, 4) and "147 words" in mono.summary
    assert _spans(summary, "disengaging", 5)
    assert summary.pivotal is not None and summary.pivotal.kind == "monologue"


def test_an_uneventful_call_has_no_clear_pivotal_moment_and_says_why() -> None:
    summary = summarise_call(_call("flat-checkin.txt"))
    assert summary.pivotal is None
    assert all(abs(m.impact) < CLEAR_IMPACT for m in summary.moments)
    assert summary.note.startswith("No clear pivotal moment")


def test_an_empty_call_and_a_call_without_a_rep_say_so() -> None:
    assert summarise_call(Conversation(source="call")).note.startswith("The call has no turns")
    only = Conversation(source="call")
    only.add("Dana", "counterpart", "Hello, is anyone there?")
    summary = summarise_call(only)
    assert summary.moments == [] and summary.pivotal is None and "rep" in summary.note


def _m(kind: str, turn: int, impact: float) -> Moment:
    return Moment(kind=kind, start_turn=turn, end_turn=turn, summary=f"{kind} at {turn}.", impact=impact)


def test_a_near_tie_a_few_turns_apart_picks_the_earliest_moment_of_the_same_sign_and_says_so() -> None:
    moments = [_m("objection_price", 3, -0.5), _m("objection_need", 5, 0.6), _m("pressure", 7, -0.6)]
    pivotal, note = choose_pivotal(moments)
    assert pivotal is not None and pivotal.start_turn == 3 and note == ""
    assert "earliest of 2 moments that mattered about as much, a few turns apart" in pivotal.reason
    assert "turn 7" in pivotal.reason


def test_a_near_tie_far_earlier_in_the_call_does_not_take_the_pivotal_from_the_larger_moment() -> None:
    # the price objection ended more than TIE_WINDOW turns before the pressure: the pressure did not follow from it
    moments = [_m("objection_price", 3, -0.5), _m("objection_need", 5, 0.6), _m("pressure", 3 + TIE_WINDOW + 1, -0.6)]
    pivotal, _ = choose_pivotal(moments)
    assert pivotal is not None and pivotal.kind == "pressure"
    assert "largest of 3 moments" in pivotal.reason and "next largest" in pivotal.reason


def test_a_clear_largest_moment_is_chosen_and_the_runner_up_is_named() -> None:
    moments = [_m("objection_price", 3, -0.3), _m("monologue", 8, -0.7)]
    pivotal, _ = choose_pivotal(moments, ["", "Dana pulled back right after it"])
    assert pivotal is not None and pivotal.kind == "monologue"
    assert "largest of 2 moments" in pivotal.reason and "next largest" in pivotal.reason
    assert pivotal.reason.endswith("Dana pulled back right after it.")


def test_no_moments_at_all_is_no_pivotal() -> None:
    assert choose_pivotal([]) == (None, "No key moments were found in this call.")


def test_with_a_scorecard_each_moment_names_the_criterion_it_bears_on() -> None:
    call = _call("renewal-discount.txt")
    rubric = builtin_rubric("sales-objection-handling")
    assert rubric is not None
    card, ctx = EmbeddedScorer().score_with_context(call, rubric)
    summary = summarise_call(call, card, scoring=ctx)
    by_kind = {m.kind: m.criterion for m in summary.moments}
    criteria = {c.id for c in rubric.criteria}
    assert by_kind["objection_price"] in criteria
    assert by_kind["commitment_lost"] == "advance"
    assert by_kind["pain_not_explored"] == "explore-objection"
    # the scorecard alone finds the built-in rubric by id and version
    alone = summarise_call(call, card)
    assert {m.kind: m.criterion for m in alone.moments}["commitment_lost"] == "advance"


def test_reusing_the_scorers_readings_reads_only_the_counterparts_lines() -> None:
    call = _call("renewal-discount.txt")
    rubric = builtin_rubric("sales-objection-handling")
    assert rubric is not None
    card, ctx = EmbeddedScorer().score_with_context(call, rubric)
    seen: list[str] = []

    def spy(texts, contexts=None):  # type: ignore[no-untyped-def]
        from sparring.nlp.act_model import read_acts

        seen.extend(texts)
        return read_acts(texts, contexts)

    summary = summarise_call(call, card, scoring=ctx, read_fn=spy)
    counterpart = [t for t in call.turns if t.role == "counterpart"]
    assert len(seen) == len(counterpart)  # one opening per counterpart turn, in one call, and no rep line
    assert all(any(line in t.text for t in counterpart) for line in seen)
    assert _spans(summary, "objection_price", 7)


def test_after_the_embedded_scorer_read_the_call_its_reading_is_reused_without_being_passed(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sparring.nlp.act_model as act_model

    call = _call("renewal-discount.txt")
    rubric = builtin_rubric("sales-objection-handling")
    assert rubric is not None
    card = EmbeddedScorer().score(call, rubric)
    real = act_model.read_acts
    seen: list[str] = []

    def spy(texts, contexts=None, **kw):  # type: ignore[no-untyped-def]
        seen.extend(texts)
        return real(texts, contexts, **kw)

    monkeypatch.setattr(act_model, "read_acts", spy)
    summary = summarise_call(call, card)
    assert len(seen) == len(call.by_role("counterpart"))
    assert summary.model_dump() == summarise_call(call, card, scoring=EmbeddedScorer().score_with_context(
        call, rubric)[1]).model_dump()


def test_impact_adds_how_the_counterpart_engaged_after_the_moment_against_before() -> None:
    from sparring.review.cues import load_cues
    from sparring.review.engagement import score_turns
    from sparring.review.found import Found
    from sparring.review.moments import CONSEQUENCE_WEIGHT, add_impact
    from sparring.testing.turns import reads

    long = "We are rolling the new planning process out to every site this spring, with training for the leads."
    call = reads(("them", long), ("rep", "Tell me more?"), ("them", long), ("rep", "Here is our pitch."),
                 ("them", "Okay."), ("rep", "And?"), ("them", "Fine."), ("rep", "So?"), ("them", "Sure."))
    cues = load_cues()
    engagement = score_turns(call, cues)
    hurt = Found("monologue", "monologue", 3, 3, "A pitch.", -0.3)
    flat = Found("no_next_step", "no_next_step", 3, 3, "No ask.", -0.25, consequence=False)
    add_impact([hurt, flat], call, engagement)
    assert hurt.impact <= -0.3 - CONSEQUENCE_WEIGHT * 0.2 and "pulled back" in hurt.why
    assert flat.impact == -0.25 and flat.why == ""


def test_moments_of_one_kind_that_touch_merge_and_the_cap_keeps_the_largest() -> None:
    from sparring.review.found import Found
    from sparring.review.moments import _cap, _dedupe

    a = Found("pressure", "pressure", 3, 3, "a", -0.3, impact=-0.3)
    b = Found("pressure", "pressure", 4, 4, "b", -0.5, impact=-0.5)
    c = Found("pressure", "pressure", 9, 9, "c", -0.2, impact=-0.2)
    d = Found("pressure", "pressure", 12, 12, "d", -0.4, impact=-0.4)
    tiny = Found("long_silence", "long_silence", 1, 1, "e", -0.05, impact=-0.05)
    merged = _dedupe([a, b, c, d, tiny])
    assert [(f.summary, f.start, f.end) for f in merged] == [("e", 1, 1), ("b", 3, 4), ("c", 9, 9), ("d", 12, 12)]
    assert [f.summary for f in _cap(merged)] == ["b", "d"]  # two of a kind at most; nothing under 0.1


def test_an_unasked_discount_is_its_own_moment_and_a_conceded_objection_is_not_counted_twice() -> None:
    from sparring.review.cues import load_cues
    from sparring.review.engagement import score_turns
    from sparring.review.moments import find_moments
    from sparring.testing.turns import reads

    cues = load_cues()
    call = reads(
        ("rep", "The renewal is at the same rate as this year.", {"information"}),
        ("them", "Okay. Send me the details.", set()),
        ("rep", "And I could take ten percent off today, no problem.", {"concession"}),
        ("them", "That is way too expensive anyway.", set()),
        ("rep", "Then let me take twenty percent off.", {"concession"}),
        ("them", "Fine.", set()),
    )
    found = find_moments(call, cues, "Sam", score_turns(call, cues))
    assert [(f.kind, f.start) for f in found if f.kind == "concession"] == [("concession", 2)]
    assert any(f.kind == "objection_price" and f.start == 3 and "conceded" in f.summary for f in found)
