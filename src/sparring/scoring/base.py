"""The scorer interface. The embedded scorer and the LLM judge implement it."""

from __future__ import annotations

from typing import Protocol

from sparring.content.rubric import Rubric
from sparring.conversation.model import Conversation
from sparring.scoring.scorecard import Scorecard


class Scorer(Protocol):
    name: str

    def score(self, conversation: Conversation, rubric: Rubric) -> Scorecard: ...
