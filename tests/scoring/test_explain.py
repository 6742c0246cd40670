"""Outcome and score side by side, for the learner and for a manager, in plain words."""

from __future__ import annotations

from sparring.scoring.explain import engine_label, metric_label, metric_value, outcome_and_score
from sparring.scoring.scorecard import CriterionResult, Feedback, RubricRef, Scorecard


def card(passed: bool, missed: bool = True, blocker: bool = False) -> Scorecard:
    criteria = [
        CriterionResult(id="next-step", kind="check", score=0.0 if missed else 1.0, max=1.0,
                        verdict="missed" if missed else "met", rationale="x"),
        CriterionResult(id="permission", kind="check", score=0.0, max=1.0, verdict="n/a", rationale="x"),
        CriterionResult(id="no-discount", kind="blocker", score=0.0, max=0.0, verdict="missed" if blocker else "met",
                        hit=blocker, rationale="x"),
    ]
    return Scorecard(rubric=RubricRef(id="r", version="v"), engine="embedded", overall=80.0 if passed else 40.0,
                     passed=passed, blockers=["no-discount"] if blocker else [], criteria=criteria, metrics={},
                     feedback=Feedback())


NAMES = {"next-step": "Agrees a dated next step", "permission": "Asks permission", "no-discount": "No big discount"}


def test_agreed_but_not_passed_is_explained_for_the_learner() -> None:
    x = outcome_and_score("success", card(False), counterpart="Marta", names=NAMES, pass_mark=70)
    assert x.outcome.startswith("Marta agreed") and "you reached" in x.outcome
    assert "40 of 100 (pass mark 70)" in x.score and "does not pass" in x.score
    assert "Not applicable here, so left out: Asks permission" in x.score
    assert "differ" in x.relation and "Agrees a dated next step" in x.relation


def test_a_manager_reads_the_same_facts_about_the_learner() -> None:
    x = outcome_and_score("failure", card(True, missed=False), audience="manager", learner="Sam", names=NAMES)
    assert "Sam's conversation" in x.outcome and "you" not in x.outcome.lower().split()
    assert "Sam did what the rubric asks" in x.relation


def test_a_broken_rule_and_both_agreeing() -> None:
    x = outcome_and_score("failure", card(False, blocker=True), names=NAMES)
    assert "A rule was broken (No big discount)" in x.score
    assert x.relation.startswith("Both agree")
    assert outcome_and_score(None, card(True)).outcome.startswith("There is no outcome")


def test_words_not_keys() -> None:
    assert engine_label("embedded") == "scored by the built-in scorer (works offline)"
    assert "gpt" in engine_label("llm:gpt-4o-mini")
    assert metric_label("talk_share") == "Share of the talking" and metric_value("talk_share", 0.423) == "42%"
    assert metric_value("question_count", 4) == "4" and metric_label("new_metric") == "New metric"
