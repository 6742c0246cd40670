"""Fake engines and a fake clock: deterministic stand-ins for the persona engine and the scorer, so that a test of a
service, a command, a web page or a plugin does not depend on the embedded engines and can inject failures and
delays (docs/testing.md).

- ``FakePersona`` answers ``Reply N: you said '...'``; a line with "deal" ends the rep in success, "bye" in
  failure, "crash" raises; the rep ends (failure, max turns) after half the scenario's ``max_turns``.
- ``FakeScorer`` meets every non-blocker criterion when a learner line asks a question ('?') and hits every
  blocker on "discount".
- ``FakeClock`` is a clock the test moves by hand, for code that takes ``clock=`` (Unix seconds).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sparring.content.rubric import Rubric
from sparring.content.scenario import Difficulty, Scenario
from sparring.conversation.model import Conversation
from sparring.persona.base import PersonaReply, PersonaState
from sparring.scoring.scorecard import CriterionResult, Evidence, Feedback, RubricRef, Scorecard

__all__ = ["FakeClock", "FakePersona", "FakeScorer"]


class FakeClock:
    """A clock a test moves by hand (``clock.now += 61``), for code that takes ``clock=`` (Unix seconds)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakePersona:
    """Deterministic persona: answers 'Reply N: ...'; 'deal' ends in success, 'bye' in failure, 'crash' raises.
    With SPARRING_TEST_SLOW_AT=N and SPARRING_TEST_MARKER=FILE it writes FILE and sleeps on learner turn N."""

    name = "fake"

    def __init__(self) -> None:
        self.calls = 0

    def open(self, scenario: Scenario, difficulty: Difficulty) -> PersonaReply:
        state = PersonaState(scenario_id=scenario.id, difficulty=difficulty, values=dict(scenario.state))
        return PersonaReply(text=scenario.opening_lines[0], state=state, engine="fake")

    def reply(self, scenario: Scenario, state: PersonaState, conversation: Conversation) -> PersonaReply:
        self.calls += 1
        last = conversation.turns[-1]
        assert last.role == "learner", "the engine must be asked to answer a learner turn"
        new = state.model_copy(deep=True)
        new.learner_turns += 1
        slow_at = os.environ.get("SPARRING_TEST_SLOW_AT")
        if slow_at and new.learner_turns == int(slow_at):
            Path(os.environ["SPARRING_TEST_MARKER"]).write_text(str(new.learner_turns))
            time.sleep(120)
        if "crash" in last.text.lower():
            raise RuntimeError("engine exploded")
        moves = ["question"] if "?" in last.text else ["statement"]
        new.moves.append(moves)
        new.values["trust"] = round(min(1.0, new.values.get("trust", 0.5) + (0.1 if "?" in last.text else -0.05)), 3)
        text_out = f"Reply {new.learner_turns}: you said '{last.text[:30]}'"
        if "deal" in last.text.lower():
            new.ended, new.outcome, new.reason = True, "success", "next step agreed"
            text_out = "Fine, send me the invite for Thursday."
        elif "bye" in last.text.lower():
            new.ended, new.outcome, new.reason = True, "failure", "buyer hung up"
            text_out = "I have to go."
        elif new.learner_turns >= scenario.max_turns // 2:
            new.ended, new.outcome, new.reason = True, "failure", "max turns reached"
        new.used_lines.append(text_out)
        return PersonaReply(text=text_out, state=new, moves=moves, engine="fake")


class FakeScorer:
    """Scores 'asks-questions' met when a learner turn has '?', blockers hit on 'discount'."""

    name = "fake"

    def score(self, conversation: Conversation, rubric: Rubric) -> Scorecard:
        learner = conversation.by_role("learner")
        results = []
        for c in rubric.criteria:
            hits = [t for t in learner if ("?" in t.text if c.kind != "blocker" else "discount" in t.text.lower())]
            if c.kind == "blocker":
                results.append(
                    CriterionResult(
                        id=c.id,
                        kind=c.kind,
                        score=0,
                        max=0,
                        verdict="missed" if hits else "met",
                        hit=bool(hits),
                        evidence=[Evidence(turn=t.index, quote=t.text) for t in hits],
                    )
                )
            else:
                results.append(
                    CriterionResult(
                        id=c.id,
                        kind=c.kind,
                        score=1.0 if hits else 0.0,
                        max=1.0,
                        verdict="met" if hits else "missed",
                        evidence=[Evidence(turn=t.index, quote=t.text) for t in hits[:1]],
                    )
                )
        scored = [r for r in results if r.kind != "blocker"]
        overall = 100 * sum(r.score for r in scored) / max(1, len(scored))
        blockers = [r.id for r in results if r.hit]
        return Scorecard(
            rubric=RubricRef(id=rubric.id, version=rubric.version),
            engine="fake",
            overall=overall,
            passed=overall >= rubric.pass_mark and not blockers,
            blockers=blockers,
            criteria=results,
            metrics={"question_count": sum("?" in t.text for t in learner)},
            feedback=Feedback(),
        )


if TYPE_CHECKING:  # the fakes satisfy the engine protocols, as a plugin's engines must
    from sparring.persona.base import PersonaEngine
    from sparring.scoring.base import Scorer

    _persona: PersonaEngine = FakePersona()
    _scorer: Scorer = FakeScorer()
