"""Which rubric criterion a moment bears on (sparring.review.criteria): from the criterion's declared acts, signals
and metric, the blocker the rep's own acts break, and the verdict that agrees with the moment."""

from __future__ import annotations

from sparring.content.library import builtin_rubric
from sparring.content.rubric import Rubric
from sparring.review.criteria import criterion_for
from sparring.review.cues import load_cues
from sparring.review.found import Found
from sparring.scoring.scorecard import CriterionResult, Feedback, RubricRef, Scorecard

CUES = load_cues()


def _rubric(rubric_id: str) -> Rubric:
    rubric = builtin_rubric(rubric_id)
    assert rubric is not None
    return rubric


def _found(kind: str, family: str, impact: float, acts: frozenset[str] = frozenset()) -> Found:
    return Found(kind, family, 3, 4, "A moment.", impact, acts, impact=impact)


def _card(rubric: Rubric, verdicts: dict[str, str], hits: dict[str, bool] | None = None) -> Scorecard:
    results = [CriterionResult(id=c.id, kind=c.kind, score=0, max=1, verdict=verdicts.get(c.id, "met"),  # type: ignore[arg-type]
                               hit=(hits or {}).get(c.id, False) if c.kind == "blocker" else None)
               for c in rubric.criteria]
    return Scorecard(rubric=RubricRef(id=rubric.id, version=rubric.version), engine="embedded", overall=50,
                     passed=False, criteria=results, metrics={}, feedback=Feedback())


def test_a_concession_under_a_discount_rule_bears_on_the_blocker_it_broke() -> None:
    rubric = _rubric("sales-objection-handling")
    conceded = _found("objection_price", "objection", -0.6, frozenset({"concession"}))
    assert criterion_for(conceded, rubric, CUES) == "unapproved-discount"
    assert criterion_for(conceded, rubric, CUES, _card(rubric, {}, {"unapproved-discount": True})) \
        == "unapproved-discount"
    # the scorer found the rule kept (a discount within what is allowed): the handling criterion comes first
    kept = criterion_for(conceded, rubric, CUES, _card(rubric, {"acknowledge-objection": "missed"}))
    assert kept == "acknowledge-objection"


def test_an_objection_maps_by_the_act_that_earned_it_else_the_kinds_acts_and_a_verdict_that_agrees() -> None:
    rubric = _rubric("sales-objection-handling")
    explored = _found("objection_need", "objection", 0.45, frozenset({"question_open"}))
    assert criterion_for(explored, rubric, CUES) == "explore-objection"  # the act that earned it
    ignored = _found("objection_need", "objection", -0.4)
    assert criterion_for(ignored, rubric, CUES) == "acknowledge-objection"  # first listed act of bears_on
    card = _card(rubric, {"acknowledge-objection": "met", "explore-objection": "missed"})
    assert criterion_for(ignored, rubric, CUES, card) == "explore-objection"  # hurt: the missed one


def test_a_monologue_bears_on_the_monologue_metric_then_talk_share() -> None:
    assert criterion_for(_found("monologue", "monologue", -0.4), _rubric("consulting-pushback"), CUES) == "concise"
    assert criterion_for(_found("monologue", "monologue", -0.4), _rubric("discovery"), CUES) == "listen-more"


def test_a_commitment_bears_on_the_next_step_criterion_and_nothing_fits_gives_none() -> None:
    rubric = _rubric("discovery")
    assert criterion_for(_found("commitment_lost", "commitment_lost", -0.35), rubric, CUES) == "agree-next-step"
    assert criterion_for(_found("interruption", "interruption", -0.3), rubric, CUES) is None


def test_a_criterion_that_did_not_apply_comes_last() -> None:
    rubric = _rubric("discovery")
    pain = _found("pain_not_explored", "pain_not_explored", -0.35)
    first = criterion_for(pain, rubric, CUES)
    assert first == "dig-deeper"
    assert criterion_for(pain, rubric, CUES, _card(rubric, {"dig-deeper": "n/a"})) != "dig-deeper"
