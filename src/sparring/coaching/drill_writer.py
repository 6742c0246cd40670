"""The "drill" LLM task: richer persona lines and knowledge for a drill, written from the anonymised call excerpt
(docs/drills.md, "With an LLM").

``LLMDrillWriter(client)`` asks the model configured for the ``drill`` task (``SPARRING_DRILL_MODEL``;
``sparring.engines.llm_client("drill", settings)``) for ``DrillLines``: the structured output is validated by the
client (one validation retry), then merged into the offline template and validated again against the Scenario
schema by ``coaching.drills.build_drill``, which falls back to the template on any error. The model only ever sees
anonymised text (the excerpt, the pushback, the template): the call's names and figures never leave the machine.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from sparring.content.scenario import MAX_ANSWER_CHARS

if TYPE_CHECKING:
    from sparring.coaching.drills import DrillRequest
    from sparring.llm.client import LLMClient


class DrillPersona(BaseModel):
    personality: str = Field(max_length=300, description="how the counterpart comes across, one line")
    speaking_style: str = Field(default="", max_length=200, description="how they talk, one line")
    background: list[str] = Field(default_factory=list, max_length=6, description="facts they know from the call")
    hidden_agenda: list[str] = Field(default_factory=list, max_length=3, description="motives never said outright")


class DrillFact(BaseModel):
    about: str = Field(min_length=3, max_length=200, description="what a question about the fact would ask")
    answer: str = Field(min_length=3, max_length=MAX_ANSWER_CHARS, description="their answer, 1-2 sentences")


class DrillLines(BaseModel):
    """Persona lines for a short practice drill that replays one moment of a real call."""

    persona: DrillPersona
    variants: list[str] = Field(default_factory=list, max_length=3,
                                description="other ways the counterpart would restate the same pushback")
    pressing_lines: list[str] = Field(min_length=2, max_length=5,
                                      description="what they say when the rep's answer does not ease the pushback")
    eased_lines: list[str] = Field(min_length=2, max_length=4, description="what they say once it is eased")
    answers: list[str] = Field(default_factory=list, max_length=4,
                               description="replies to an open question about the pushback that do not yet ease it")
    knowledge: list[DrillFact] = Field(default_factory=list, max_length=6,
                                       description="facts from the excerpt the counterpart shares when asked")


INSTRUCTIONS = """You write the counterpart's lines for a short practice drill. The drill replays one moment of a
real business call: the counterpart has just pushed back, and the learner (the rep) practises one behaviour.
Write in the counterpart's voice, grounded in the call excerpt: what they know, what worries them, how they talk.
Use only the names and figures that appear in the excerpt (they are already anonymised): never invent a real
person, company, e-mail, phone number or figure. Lines are short, spoken sentences. Eased lines show the concern
settling because the rep did what the target asks; pressing lines keep the pushback alive when they did not."""


class LLMDrillWriter:
    """A ``coaching.drills.DrillWriter`` over an LLM client of the ``drill`` task."""

    def __init__(self, client: LLMClient):
        self.client = client
        self.engine = client.engine_name

    def write(self, request: DrillRequest) -> dict[str, Any]:
        result = self.client.run(instructions=INSTRUCTIONS, prompt=prompt(request), output_type=DrillLines)
        return result.output.model_dump(mode="json")


def prompt(request: DrillRequest) -> str:
    """The request as the model reads it: the target, the pushback, the excerpt and the template's lines."""
    c = request.criterion
    template = request.template
    return "\n".join([
        f"Target behaviour: {c.name}" + (f" ({c.met_when})" if c.met_when else ""),
        f"Counterpart: {template.persona.name}, {template.persona.role}",
        f"The pushback that opens the drill: {request.pushback}",
        f"Moves that ease it: {', '.join(template.objections[0].eased_by)}",
        "Call excerpt (anonymised):",
        *request.excerpt,
        "The offline template's lines, to improve on:",
        json.dumps({"persona": template.persona.model_dump(mode="json", exclude_defaults=True),
                    "pressing_lines": template.objections[0].pressing_lines,
                    "eased_lines": template.objections[0].eased_lines}, ensure_ascii=False),
    ])
