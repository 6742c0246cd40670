"""Reading a call once for its moments (sparring.review.reading): what is read of each turn, in one batch, and
which acts count."""

from __future__ import annotations

from collections.abc import Sequence

from sparring.conversation.model import Conversation
from sparring.review.reading import OPENING_WORDS, confident, opening, pieces, read_call
from sparring.testing.acts import reader, reading


def test_a_long_statement_is_read_by_its_opening_and_a_long_question_by_its_end() -> None:
    statement = " ".join(f"w{i}" for i in range(30)) + "."
    question = "And so, on the structure, if we did twenty-five percent, would you be open to a two-year term?"
    assert opening(statement).split() == statement.split()[:OPENING_WORDS]
    assert opening(question).endswith("would you be open to a two-year term?")
    assert opening("Short one.") == "Short one."


def test_short_sentences_are_joined_to_the_next_and_at_most_three_pieces_are_read() -> None:
    got = pieces(["Okay.", "Um.", "I hear you.", "I can take twenty percent off today.", "One.", "Two more words here.",
                  "Never read."])
    assert got == ["Okay. Um. I hear you.", "I can take twenty percent off today.", "One. Two more words here."]
    assert pieces(["Fine."]) == ["Fine."]


def test_an_act_under_its_threshold_or_a_shaky_hostile_act_does_not_count() -> None:
    r = reading("That's not true at all.", "confront", "acknowledge")
    assert confident(r, frozenset({"confront", "acknowledge"})) == {"confront", "acknowledge"}  # 0.97 each
    low = type(r)(r.text, r.acts, {**r.probs, "confront": 0.7, "acknowledge": 0.4}, r.clauses, r.numbers)
    assert confident(low, frozenset({"confront", "acknowledge"}), {"confront": 0.5, "acknowledge": 0.3}) \
        == {"acknowledge"}  # confront needs 0.8 whatever its threshold


def test_every_turn_is_read_in_one_batch_with_the_rep_words_added() -> None:
    call = Conversation(source="call")
    call.add("Dana Kim", "counterpart", "That is way over our budget. We would need to see real savings first.")
    call.add("Sam Ortiz", "learner", "I hear you. This pricing is only good if you sign before Friday.")
    call.add("Dana Kim", "counterpart", "Sounds good.")
    call.add("Sam Ortiz", "learner", "I can't give you a discount.")
    batches: list[Sequence[str]] = []
    double = reader({"I hear you": ["acknowledge"], "Sounds good": ["next_step_accept"]})

    def spy(texts, contexts=None):  # type: ignore[no-untyped-def]
        batches.append(list(texts))
        return double(texts, contexts)

    reads = read_call(call, read_fn=spy)
    assert len(batches) == 1
    assert batches[0][0] == "That is way over our budget."  # the counterpart's first sentence only
    assert [r.acts for r in reads] == [frozenset(), {"acknowledge", "pressure"}, {"next_step_accept"}, frozenset()]
    assert reads[0].sentences == ("That is way over our budget.", "We would need to see real savings first.")
    assert reads[1].is_rep and not reads[0].is_rep and reads[1].words == 13
