"""The Scorecard: the one output shape of every scorer (docs/scoring.md, "The scorecard (JSON)")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from sparring.content.rubric import CriterionKind
from sparring.kernel.usage import Usage

__all__ = ["CriterionResult", "Evidence", "Feedback", "RubricRef", "Scorecard", "Usage", "Verdict"]

Verdict = Literal["met", "partly", "missed", "n/a"]


class Evidence(BaseModel):
    turn: int = Field(description="index of the turn in the conversation")
    quote: str = Field(description="verbatim text from that turn")


class CriterionResult(BaseModel):
    id: str
    kind: CriterionKind
    score: float
    max: float
    verdict: Verdict
    evidence: list[Evidence] = Field(default_factory=list)
    rationale: str = ""
    #: blockers only: whether the rule was broken
    hit: bool | None = None
    #: LLM judge: spread over k samples, and whether the verdict is uncertain
    spread: float | None = None
    uncertain: bool = False
    flagged: str | None = Field(default=None, description="why the result needs a human look, if it does")


class Feedback(BaseModel):
    landed: list[str] = Field(default_factory=list, description="the strongest moments, quoted")
    missed: list[str] = Field(default_factory=list, description="the weakest moments, quoted")
    next_drill: str = ""
    better_line: str = ""
    better_line_for_turn: int | None = None


class RubricRef(BaseModel):
    id: str
    version: str


class Scorecard(BaseModel):
    rubric: RubricRef
    engine: str = Field(description="'embedded' or 'llm:<model>'; the engine that really produced it")
    overall: float = Field(ge=0, le=100)
    passed: bool
    blockers: list[str] = Field(default_factory=list, description="ids of blocker criteria that were hit")
    criteria: list[CriterionResult]
    metrics: dict[str, Any]
    feedback: Feedback
    fallback_reason: str | None = Field(default=None, description="why an LLM engine fell back, if it did")
    usage: Usage | None = None

    def result(self, criterion_id: str) -> CriterionResult:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)
