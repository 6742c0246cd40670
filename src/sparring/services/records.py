"""What the service layer returns: plain pydantic views, never ORM objects, so adapters cannot lazy-load
or mutate rows by accident."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sparring.conversation.model import Conversation, Turn
from sparring.persona.base import Outcome, PersonaState
from sparring.scoring.scorecard import Scorecard


class UserRecord(BaseModel):
    id: int
    org_id: int
    org_slug: str
    email: str
    name: str
    role: str
    is_active: bool
    team_ids: list[int] = Field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0]


class RepSummary(BaseModel):
    """A practice rep: its conversation's owner, privacy and times with the rep's own columns
    (``services.conversations`` reads both)."""

    id: int
    conversation_id: int
    user_id: int
    org_id: int
    team_id: int | None
    scenario_id: str
    scenario_version: str
    rubric_id: str
    rubric_version: str
    difficulty: str
    engine: str
    outcome: Outcome
    ended_reason: str | None
    private: bool
    parent_rep_id: int | None
    branched_from_turn: int | None
    created_at: datetime
    ended_at: datetime | None
    turn_count: int = 0
    overall: float | None = Field(default=None, description="overall of the newest scorecard, if scored")
    passed: bool | None = None

    @property
    def ended(self) -> bool:
        return self.outcome != "in_progress"


class RepRecord(RepSummary):
    turns: list[Turn] = Field(default_factory=list)
    state: PersonaState
    scorecard: Scorecard | None = None

    @property
    def conversation(self) -> Conversation:
        return Conversation(source="practice", title=self.scenario_id, turns=list(self.turns))

    @property
    def awaiting_reply(self) -> bool:
        """The last turn is the learner's and the persona has not answered (e.g. after a crash)."""
        return not self.ended and bool(self.turns) and self.turns[-1].role == "learner"


class TurnResult(BaseModel):
    """What ``submit_turn`` returns: the stored learner turn, the persona's reply, and where the rep stands."""

    rep_id: int
    learner_turn: Turn
    reply: Turn | None
    state: PersonaState
    outcome: Outcome
    ended: bool
    engine: str
    fallback_reason: str | None = None
