"""Rubric tests: run a rubric's own test transcripts and report every verdict that differs from what they expect.

A rubric ships with small transcripts and the verdicts they must get (``tests:`` in the rubric YAML). Transcript
paths are relative to the rubric file; a test may also give the transcript inline (``text:``, plain-text format).
Blockers expect ``hit`` or ``clear``; ``passed`` expects the rep's pass/fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sparring.content.errors import ContentError, Problem
from sparring.content.rubric import Rubric, RubricTest
from sparring.conversation.errors import TranscriptError
from sparring.conversation.importers import parse_transcript, read_transcript
from sparring.conversation.model import Conversation
from sparring.scoring.base import Scorer
from sparring.scoring.scorecard import Scorecard


@dataclass(frozen=True)
class Mismatch:
    criterion: str  # a criterion id, or "passed"
    expected: str
    got: str
    rationale: str = ""

    def __str__(self) -> str:
        why = f" — {self.rationale}" if self.rationale else ""
        return f"{self.criterion}: expected {self.expected}, got {self.got}{why}"


@dataclass
class TestOutcome:
    name: str
    source: str
    scorecard: Scorecard | None
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.mismatches


@dataclass
class RubricTestReport:
    rubric_id: str
    outcomes: list[TestOutcome]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def failures(self) -> list[TestOutcome]:
        return [o for o in self.outcomes if not o.ok]


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _conversation(test: RubricTest, base: Path | None) -> tuple[Conversation, str]:
    if test.text is not None:
        # inline text is any transcript format (imported rubrics carry their test files inline)
        return parse_transcript(test.text, None, file="<inline>", source="practice"), "inline transcript"
    assert test.transcript is not None
    path = (base / test.transcript) if base is not None else Path(test.transcript)
    if base is None and not path.is_absolute():
        raise ContentError(
            [Problem(test.transcript, 0, "transcript", "the rubric was not loaded from a file, so this path "
                                                        "cannot be resolved; give the rubric as a file path")]
        )  # fmt: skip
    return read_transcript(path, source="practice"), str(path)


def compare(test: RubricTest, card: Scorecard) -> list[Mismatch]:
    """Every expectation of ``test`` that ``card`` does not meet."""
    out: list[Mismatch] = []
    for key, expected in test.expect.items():
        if key == "passed":
            if card.passed != expected:
                out.append(Mismatch("passed", _fmt(expected), _fmt(card.passed), f"overall {card.overall:g}"))
            continue
        result = card.result(key)
        got = ("hit" if result.hit else "clear") if result.kind == "blocker" else result.verdict
        if got != expected:
            out.append(Mismatch(key, _fmt(expected), got, result.rationale))
    return out


def run_rubric_tests(rubric: Rubric, rubric_path: Path | None, scorer: Scorer | None = None) -> RubricTestReport:
    """Score every test transcript of ``rubric`` and compare with its expectations.

    ``rubric_path`` is the rubric's file (test transcript paths resolve against its folder)."""
    if scorer is None:
        from sparring.scoring.embedded import EmbeddedScorer

        scorer = EmbeddedScorer()
    base = rubric_path.parent if rubric_path is not None else None
    outcomes: list[TestOutcome] = []
    for i, test in enumerate(rubric.tests):
        name = test.name or test.transcript or f"test {i + 1}"
        try:
            conv, source = _conversation(test, base)
        except (ContentError, TranscriptError) as exc:
            outcomes.append(TestOutcome(name, test.transcript or "inline", None, error=str(exc)))
            continue
        card = scorer.score(conv, rubric)
        outcomes.append(TestOutcome(name, source, card, compare(test, card)))
    return RubricTestReport(rubric.id, outcomes)
