"""The shapes of a call review: a key moment and a call's summary (the MOMENT keys of ``sparring call review
--json``, docs/moments.md).

``Moment`` carries the contract keys (``kind``, ``start_turn``, ``end_turn``, ``summary``, ``impact``,
``criterion``) plus the plain-words ``reason`` and, when the call is timed, the moment's position in seconds.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Moment(BaseModel):
    """One key moment of a conversation: a span of turns, what happened there and how much it mattered."""

    kind: str = Field(description="what happened, e.g. objection_price, pain_not_explored, disengaging, monologue")
    start_turn: int = Field(ge=0, description="index of the first turn of the moment")
    end_turn: int = Field(ge=0, description="index of the last turn of the moment (inclusive)")
    summary: str = Field(description="one sentence a manager can read: what happened and how it was handled")
    impact: float = Field(description="signed effect on the outcome: negative hurt the call, positive helped it")
    criterion: str | None = Field(default=None, description="the rubric criterion this moment bears on, if any")
    reason: str = Field(default="", description="for the pivotal moment: why it was chosen, in plain words")
    start_s: float | None = Field(default=None, description="seconds from the start of the call, when timed")
    end_s: float | None = None


class CallSummary(BaseModel):
    """The scored summary of a call: its key moments in turn order and the one that most changed the outcome."""

    moments: list[Moment] = Field(default_factory=list)
    pivotal: Moment | None = None
    note: str = Field(default="", description="why there is no pivotal moment (or no moment at all), when so")
