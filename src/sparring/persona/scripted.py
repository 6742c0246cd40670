"""Scripted learners that play a rep against a persona engine: for tests, benchmarks and demos.

``AdaptiveLearner`` answers whatever the persona currently holds against it from a bank of lines (one list per
objection id, plus probing lines and closing lines), the way a skilled rep would. ``FixedLearner`` plays a
fixed list of lines in order, cycling (e.g. a poor learner who concedes and talks over the persona).
A bank file is YAML: ``{probe: [...], objections: {<id>: [...]}, close: [...]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml

from sparring.content.scenario import Difficulty, Scenario
from sparring.conversation.model import Conversation
from sparring.persona.base import PersonaEngine, PersonaState
from sparring.persona.rules import active_objections


class Learner(Protocol):
    def next_line(self, scenario: Scenario, state: PersonaState) -> str: ...


@dataclass
class AdaptiveLearner:
    probe: list[str]
    objections: dict[str, list[str]]
    close: list[str]
    _used: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: str | Path) -> AdaptiveLearner:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return cls(probe=list(data["probe"]), objections=dict(data.get("objections") or {}), close=list(data["close"]))

    def _take(self, key: str, pool: list[str]) -> str:
        i = self._used.get(key, 0)
        self._used[key] = i + 1
        return pool[i % len(pool)]

    def next_line(self, scenario: Scenario, state: PersonaState) -> str:
        active = active_objections(scenario, state.difficulty)
        current = next((o.id for o in active if o.id in state.raised and o.id not in state.eased), None)
        if current is not None and self.objections.get(current):
            return self._take(current, self.objections[current])
        if all(o.id in state.eased for o in active):
            return self._take("close", self.close)
        return self._take("probe", self.probe)


@dataclass
class FixedLearner:
    lines: list[str]
    _i: int = 0

    def next_line(self, scenario: Scenario, state: PersonaState) -> str:
        line = self.lines[self._i % len(self.lines)]
        self._i += 1
        return line


@dataclass
class RepResult:
    conversation: Conversation
    state: PersonaState
    persona_lines: list[str]


def play(
    engine: PersonaEngine,
    scenario: Scenario,
    difficulty: Difficulty,
    learner: Learner,
    learner_name: str = "Learner",
    max_turns: int | None = None,
) -> RepResult:
    """Play a whole rep: the persona opens, then learner and persona alternate until the rep ends."""
    conv = Conversation(source="practice", title=scenario.title)
    opening = engine.open(scenario, difficulty)
    conv.add(scenario.persona.name, "counterpart", opening.text)
    state = opening.state
    lines = [opening.text]
    limit = max_turns or scenario.max_turns
    while not state.ended and state.learner_turns < limit:
        conv.add(learner_name, "learner", learner.next_line(scenario, state))
        reply = engine.reply(scenario, state, conv)
        state = reply.state
        conv.add(scenario.persona.name, "counterpart", reply.text)
        lines.append(reply.text)
    return RepResult(conv, state, lines)
