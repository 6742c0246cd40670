"""Try a draft scenario in the editor: the first turns of a conversation with its persona, nothing stored.

The preview is stateless, like the persona engines: each call gets the draft YAML and the learner's lines so
far, opens the draft with the same persona engine practice uses, and replays the lines in order. So the preview
always plays the draft as it is *now* (an edit between two lines is picked up), and no hidden state travels
through the browser. The embedded engine is deterministic, so earlier replies stay the same when nothing
changed; an LLM engine answers every replayed line again, which is why a preview stops after
``MAX_PREVIEW_TURNS`` learner lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sparring.content.scenario import DIFFICULTIES, Scenario
from sparring.conversation.model import Conversation, Turn
from sparring.persona.base import PersonaEngine, PersonaState
from sparring.services import authoring
from sparring.services.errors import EngineFailed, InvalidInput
from sparring.services.practice import clean_turn

#: learner lines a preview plays (every call replays them all)
MAX_PREVIEW_TURNS = 6


class PreviewInvalid(InvalidInput):
    """The draft cannot be played: its problems (``editor.yaml:LINE: field: message``) say why."""

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems


@dataclass
class Preview:
    scenario_id: str
    version: str
    difficulty: str
    turns: list[Turn] = field(default_factory=list)
    state: PersonaState | None = None

    @property
    def ended(self) -> bool:
        return self.state is not None and self.state.ended

    def as_json(self) -> dict[str, Any]:
        state = self.state
        return {
            "scenario": self.scenario_id,
            "version": self.version,
            "difficulty": self.difficulty,
            "turns": [{"index": t.index, "speaker": t.speaker, "role": t.role, "text": t.text} for t in self.turns],
            "ended": self.ended,
            "outcome": state.outcome if state else "in_progress",
            "reason": state.reason if state else None,
            "learner_turns_left": MAX_PREVIEW_TURNS - sum(t.role == "learner" for t in self.turns),
        }


def draft_scenario(text: str, known_rubrics: set[str]) -> Scenario:
    """The draft as a scenario, or PreviewInvalid naming every problem."""
    result = authoring.validate_text(text, known_rubrics)
    if result.kind == "rubric":
        raise PreviewInvalid("a rubric has no persona to talk to: the preview plays scenarios", [])
    if not result.ok or not isinstance(result.model, Scenario):
        raise PreviewInvalid("fix the problems before trying the scenario", [str(p) for p in result.problems])
    return result.model


def play(engine: PersonaEngine, text: str, known_rubrics: set[str], lines: list[str],
         difficulty: str = "medium", learner: str = "You") -> Preview:
    """The draft's opening line, then each learner line with the persona's reply, as practice would play them.
    Lines after the persona ended the conversation are refused, like a turn on an ended rep."""
    if difficulty not in DIFFICULTIES:
        raise InvalidInput(f"difficulty: must be one of {', '.join(DIFFICULTIES)}")
    if len(lines) > MAX_PREVIEW_TURNS:
        raise InvalidInput(f"lines: a preview plays at most {MAX_PREVIEW_TURNS} learner lines; start it again "
                           "or practise the published scenario")
    cleaned = [clean_turn(line) for line in lines]
    scenario = draft_scenario(text, known_rubrics)
    preview = Preview(scenario.id, scenario.version, difficulty)
    try:
        opening = engine.open(scenario, difficulty)
    except Exception as exc:
        raise EngineFailed(f"the persona engine could not open the draft: {exc}") from exc
    preview.state = opening.state
    preview.turns.append(Turn(index=0, speaker=scenario.persona.name, role="counterpart", text=opening.text))
    for line in cleaned:
        if preview.ended:
            raise InvalidInput("the persona has ended the conversation; start the preview again")
        preview.turns.append(Turn(index=len(preview.turns), speaker=learner, role="learner", text=line))
        conversation = Conversation(source="practice", title=scenario.title, turns=list(preview.turns))
        try:
            reply = engine.reply(scenario, preview.state, conversation)
        except Exception as exc:
            raise EngineFailed(f"the persona engine failed on line {len(preview.turns) // 2}: {exc}") from exc
        preview.state = reply.state
        preview.turns.append(Turn(index=len(preview.turns), speaker=scenario.persona.name, role="counterpart",
                                  text=reply.text))
    return preview
