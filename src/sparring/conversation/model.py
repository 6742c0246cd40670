"""One conversation model for practice reps and real calls (docs/architecture.md, "Principles")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from sparring.limits import count_words

Role = Literal["learner", "counterpart", "other"]
#: where a conversation came from: a practice rep, a real call, or a drill (what the store accepts)
Source = Literal["practice", "call", "drill"]


class Turn(BaseModel):
    index: int = Field(ge=0)
    speaker: str
    role: Role
    text: str
    start: float | None = Field(default=None, description="seconds from the start, when known")
    end: float | None = None

    @property
    def timed(self) -> bool:
        return self.start is not None and self.end is not None

    @property
    def words(self) -> int:
        return count_words(self.text)  # len(text.split()), without a list of every word of a huge turn


class Conversation(BaseModel):
    source: Source = "practice"
    title: str | None = None
    turns: list[Turn] = Field(default_factory=list)

    @property
    def timed(self) -> bool:
        """True only when every turn has start and end: timed metrics are never invented."""
        return bool(self.turns) and all(t.timed for t in self.turns)

    def by_role(self, role: Role) -> list[Turn]:
        return [t for t in self.turns if t.role == role]

    def speakers(self, role: Role | None = None) -> list[str]:
        seen: list[str] = []
        for t in self.turns:
            if (role is None or t.role == role) and t.speaker not in seen:
                seen.append(t.speaker)
        return seen

    def add(self, speaker: str, role: Role, text: str, start: float | None = None, end: float | None = None) -> Turn:
        turn = Turn(index=len(self.turns), speaker=speaker, role=role, text=text, start=start, end=end)
        self.turns.append(turn)
        return turn
