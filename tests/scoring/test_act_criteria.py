"""Criteria judge acts, not topic words (issue 11 item 3): a paraphrase in another vocabulary counts, conditional
criteria are n/a, blockers check speaker, subject and polarity. Unit tests use an explicit act double; the issue's
own lines also go through the active reader (the act model when installed)."""

from __future__ import annotations

import pytest

from sparring.content.library import get_library
from sparring.conversation.importers import parse_transcript
from sparring.conversation.model import Conversation
from sparring.scoring.embedded import EmbeddedScorer
from sparring.testing.acts import reader

LIB = get_library()


def conv(*pairs: str) -> Conversation:
    lines = ["# roles: Rep=learner, Them=counterpart"]
    for i, text in enumerate(pairs):
        lines.append(f"{'Them' if i % 2 == 0 else 'Rep'}: {text}")
    return parse_transcript("\n".join(lines) + "\n", "txt", source="practice")


@pytest.fixture(scope="module")
def active() -> EmbeddedScorer:
    return EmbeddedScorer()


def test_a_dated_next_step_without_the_topic_word_is_met(active: EmbeddedScorer) -> None:
    c = conv("I'd need to run this past our finance lead.",
             "Could we book thirty minutes with Marta on Thursday to walk her through the numbers?")
    assert active.score(c, LIB.rubric("sales-objection-handling")).result("advance").verdict == "met"


def test_can_i_ask_what_is_an_open_question(active: EmbeddedScorer) -> None:
    c = conv("We're also looking at another proposal.", "Can I ask what the other proposal covers?")
    assert active.score(c, LIB.rubric("sales-objection-handling")).result("explore-objection").verdict == "met"


def test_naming_the_buyers_gap_does_not_break_the_discount_rule(active: EmbeddedScorer) -> None:
    c = conv("You're 30% over what the other vendor quoted.",
             "When you say 30% over, what is that compared with — the same seat count?")
    card = active.score(c, LIB.rubric("sales-objection-handling"))
    assert card.result("unapproved-discount").hit is False
    c = conv("You're 30% over what the other vendor quoted.", "Fine, I'll take thirty percent off if you sign today.")
    assert active.score(c, LIB.rubric("sales-objection-handling")).result("unapproved-discount").hit is True


def test_a_paraphrase_in_another_domains_words_counts_through_its_act() -> None:
    line = "Worth pencilling in forty minutes with your head of ops, say Tuesday around nine?"
    double = EmbeddedScorer(read_fn=reader({line: ["next_step_proposal", "question_closed"]}))
    c = conv("I can't decide this on my own.", line)
    r = double.score(c, LIB.rubric("renewal-value")).result("next-step")
    assert r.verdict == "met" and "you proposed a next step" in r.rationale
    # the same line read as no act at all (the phrase rules do not know it) is judged on similarity alone
    blind = EmbeddedScorer(read_fn=reader({}))
    assert blind.score(c, LIB.rubric("renewal-value")).result("next-step").verdict != "met"


def test_a_conditional_criterion_with_nothing_to_judge_is_na_and_left_out() -> None:
    rubric = LIB.rubric("motivational-interviewing")
    lines = ("I don't know, I just like a drink after work.", "It sounds like it's how you wind down.",
             "Yeah, it is.", "What would you want to be different?")
    plain = EmbeddedScorer(read_fn=reader({"sounds like": ["reflect_simple"], "What would": ["question_open"]}))
    card = plain.score(conv(*lines), rubric)
    r = card.result("permission-before-advice")
    assert r.verdict == "n/a" and r.rationale.startswith("Not applicable:") and "advice" in r.rationale
    advised = EmbeddedScorer(read_fn=reader({"sounds like": ["reflect_simple"], "What would": ["advice"]}))
    assert advised.score(conv(*lines), rubric).result("permission-before-advice").verdict == "missed"
    # n/a counts for nothing either way: the overall is the weighted mean over the criteria that apply
    applying = [c for c in rubric.criteria if c.kind != "blocker" and card.result(c.id).verdict != "n/a"]
    assert "permission-before-advice" not in {c.id for c in applying}


@pytest.mark.parametrize(("line", "acts", "hit"), [
    ("You don't need it, honestly.", ["dismiss_need"], True),
    ("I don't need it either, to be fair.", ["dismiss_need"], False),
    ("You don't need to decide today.", ["dismiss_need"], False),
    ("You're just being difficult now.", ["blame_label"], True),
])  # fmt: skip
def test_blockers_check_speaker_subject_and_polarity(line: str, acts: list[str], hit: bool) -> None:
    scorer = EmbeddedScorer(read_fn=reader({line: acts}))
    card = scorer.score(conv("This is the third time the payroll file failed.", line), LIB.rubric("de-escalation"))
    assert card.result("blames-customer").hit is hit, card.result("blames-customer").rationale


@pytest.mark.parametrize("line", ["You've gotten lazy about this.", "You're just a drunk, face it."])
def test_insults_trip_personal_attack_and_confrontation(line: str) -> None:
    scorer = EmbeddedScorer(read_fn=reader({line: ["insult", "blame_label"]}))
    c = conv("I've been late with the reports again.", line)
    assert scorer.score(c, LIB.rubric("feedback-conversation")).result("personal-attack").hit is True
    assert scorer.score(c, LIB.rubric("motivational-interviewing")).result("confrontation").hit is True


def test_blocker_example_lines_are_not_negatives_of_other_criteria(active: EmbeddedScorer) -> None:
    rubric = LIB.rubric("sales-objection-handling")
    blocker_lines = {line for c in rubric.criteria if c.kind == "blocker" for line in c.examples_positive}
    _card, ctx = active.score_with_context(conv("It's too expensive.", "I hear you. What are you comparing it with?"),
                                           rubric)
    for scores in ctx.per_criterion.values():
        assert not {s.closest_negative for s in scores} & blocker_lines


def test_a_directive_is_not_a_reflection() -> None:
    scorer = EmbeddedScorer(read_fn=reader({"You need to cut down.": ["reflect_simple", "advice"]}))
    c = conv("I drink most nights, I suppose.", "You need to cut down.")
    assert scorer.score(c, LIB.rubric("motivational-interviewing")).result("reflective-listening").verdict == "missed"


class _ModelReading:
    """A reading shaped like the act model's (not the rule reading): every act gets a probability."""

    def __init__(self, text: str, probs: dict[str, float]):
        from sparring.nlp.acts import ACT_NAMES
        from sparring.scoring.act_reading import rule_clauses, rule_numbers

        self.text, self.clauses, self.numbers = text, rule_clauses(text), rule_numbers(text)
        self.probs = {a: probs.get(a, 0.01) for a in ACT_NAMES}
        self.acts = frozenset(a for a, p in self.probs.items() if p >= 0.5) or frozenset({"other"})

    def has(self, *names: str) -> bool:
        return any(n in self.acts for n in names)

    def p(self, name: str) -> float:
        return self.probs[name]

    @property
    def subject(self) -> str:
        return next((c.subject for c in self.clauses if c.subject != "none"), "none")


def test_a_line_like_a_rules_examples_breaks_it_only_if_the_model_allows_the_act() -> None:
    """Similarity alone breaks a rule unless the act model all but rules out the rule's acts (ACT_FLOOR)."""
    from sparring.scoring.blockers import ACT_FLOOR

    line = "Fine, we'll skip the testing phase so we hit your date."  # near an example line of caves-on-scope

    def scorer(p_concession: float) -> EmbeddedScorer:
        return EmbeddedScorer(read_fn=lambda texts, contexts=None: [
            _ModelReading(t, {"concession": p_concession, "other": 0.6}) for t in texts])

    c = conv("The board needs all five markets by the 15th.", line)
    rubric = LIB.rubric("consulting-pushback")
    assert scorer(ACT_FLOOR + 0.1).score(c, rubric).result("caves-on-scope").hit is True
    assert scorer(ACT_FLOOR - 0.15).score(c, rubric).result("caves-on-scope").hit is False


def test_the_act_floor_keeps_real_caving_a_hit(active: EmbeddedScorer) -> None:
    c = conv("The board needs all five markets by the 15th.",
             "Sure, fine, we'll drop the testing phase and get all five done by then at the same fee.")
    assert active.score(c, LIB.rubric("consulting-pushback")).result("caves-on-scope").hit is True
