"""Scenario and persona models: who the learner talks to, what that person hides, and what moves them.

The embedded persona engine (``sparring.persona.embedded``) and the LLM persona engine read the same
fields. docs/content-format.md documents every field with a complete example.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sparring.content.hashing import content_hash
from sparring.content.rubric import Slug

Difficulty = Literal["easy", "medium", "hard"]
DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")
Domain = Literal["sales", "customer-success", "consulting", "management", "motivational-interviewing", "other"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Condition(_Strict):
    """When something happens. Every given part must hold (an AND); an empty condition always holds."""

    turn_at_least: int | None = Field(default=None, ge=0)
    state_below: dict[str, float] = Field(default_factory=dict)
    state_above: dict[str, float] = Field(default_factory=dict)
    learner_move: list[str] = Field(default_factory=list, description="any of these moves in the last turn")
    after_objection: str | None = None


class Objection(_Strict):
    """A hidden objection or goal the persona raises in order, and what eases it."""

    id: Slug
    lines: list[str] = Field(min_length=1, description="how the persona raises it (variants)")
    raised_when: Condition = Field(default_factory=Condition)
    eased_by: list[str] = Field(min_length=1, description="learner moves that ease it")
    eased_lines: list[str] = Field(default_factory=list, description="what the persona says once it is eased")
    pressing_lines: list[str] = Field(default_factory=list, description="re-statements when it is not eased")
    required: bool = Field(default=True, description="must be eased before the rep can succeed")


class Persona(_Strict):
    name: str
    role: str
    company: str | None = None
    personality: str
    speaking_style: str = ""
    background: list[str] = Field(default_factory=list, description="facts the persona knows")
    hidden_agenda: list[str] = Field(default_factory=list, description="motives never said outright")
    tells: dict[str, list[str]] = Field(
        default_factory=dict,
        description="lines keyed by '<state>_low' / '<state>_high' that let the learner read the mood",
    )


class DifficultyProfile(_Strict):
    """How a difficulty changes behaviour: step size of state changes, starting values, thresholds."""

    steps: float = Field(default=1.0, gt=0, le=3)
    start: dict[str, float] = Field(default_factory=dict, description="overrides of the starting state")
    success_threshold: float | None = Field(default=None, ge=0, le=1)
    pushback_after_concession: bool = False
    extra_objections: list[str] = Field(default_factory=list, description="objection ids only raised at this level")


class StateEffect(_Strict):
    """How one learner move changes the hidden state (before the difficulty's step factor)."""

    deltas: dict[str, float] = Field(default_factory=dict)
    note: str | None = None


class Outcome(_Strict):
    description: str
    when: Condition = Field(default_factory=Condition)


class Beat(_Strict):
    """Authored persona lines for a situation (keyed by situation name, see docs/content-format.md)."""

    situation: str
    lines: list[str] = Field(min_length=1)
    when: Condition = Field(default_factory=Condition)


class Scenario(_Strict):
    id: Slug
    title: str = Field(min_length=3)
    domain: Domain
    skills: list[str] = Field(min_length=1)
    rubric: Slug
    summary: str = Field(default="", description="one line for the library list")
    brief: str = Field(min_length=20, description="what the learner sees before starting")
    learner_role: str = Field(default="", description="who the learner plays")
    objectives: list[str] = Field(min_length=1)
    persona: Persona
    opening_lines: list[str] = Field(min_length=1, description="the persona's first line (variants)")
    state: dict[str, float] = Field(min_length=1, description="hidden state, 0..1 starting values")
    moves: dict[str, StateEffect] = Field(default_factory=dict)
    objections: list[Objection] = Field(default_factory=list)
    beats: list[Beat] = Field(default_factory=list)
    difficulty: dict[Difficulty, DifficultyProfile] = Field(default_factory=dict)
    success: Outcome
    failure: list[Outcome] = Field(default_factory=list)
    success_lines: list[str] = Field(default_factory=list)
    failure_lines: list[str] = Field(default_factory=list)
    max_turns: int = Field(default=14, ge=2, le=60)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        for key, value in self.state.items():
            if not 0 <= value <= 1:
                raise ValueError(f"state.{key}: must be between 0 and 1 (got {value})")
        ids = [o.id for o in self.objections]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"objections: duplicate objection ids: {', '.join(dupes)}")
        for level, profile in self.difficulty.items():
            for key in profile.start:
                if key not in self.state:
                    raise ValueError(f"difficulty.{level}.start.{key}: is not a state variable")
            for oid in profile.extra_objections:
                if oid not in ids:
                    raise ValueError(f"difficulty.{level}.extra_objections: unknown objection '{oid}'")
        for move, effect in self.moves.items():
            for key in effect.deltas:
                if key not in self.state:
                    raise ValueError(f"moves.{move}.deltas.{key}: is not a state variable")
        return self

    @property
    def version(self) -> str:
        return content_hash(self.model_dump(mode="json"))

    @property
    def difficulties(self) -> list[Difficulty]:
        return list(DIFFICULTIES)

    def profile(self, difficulty: Difficulty) -> DifficultyProfile:
        return self.difficulty.get(difficulty, DifficultyProfile())
