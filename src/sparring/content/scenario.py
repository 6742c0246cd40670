"""Scenario and persona models: who the learner talks to, what that person hides, and what moves them.

The embedded persona engine (``sparring.persona.embedded``) and the LLM persona engine read the same
fields. docs/content-format.md documents every field with a complete example.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from sparring.content.hashing import content_hash
from sparring.content.rubric import Slug
from sparring.content.vocabulary import BUILTIN_MOVES

Difficulty = Literal["easy", "medium", "hard"]
DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")
#: the learner move names content may use: utterance acts, derived events and the older aliases
#: (``sparring.content.vocabulary``; docs/content-format.md, "Move vocabulary")
MOVES: tuple[str, ...] = BUILTIN_MOVES
Domain = Literal["sales", "customer-success", "consulting", "management", "motivational-interviewing", "other"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Condition(_Strict):
    """When something happens. Every given part must hold (an AND); an empty condition always holds.

    State thresholds are shifted by the difficulty's ``threshold_shift`` (harder levels need more)."""

    turn_at_least: int | None = Field(default=None, ge=0, description="learner turns so far")
    state_below: dict[str, float] = Field(default_factory=dict)
    state_above: dict[str, float] = Field(default_factory=dict)
    learner_move: list[str] = Field(default_factory=list, description="any of these moves in the last turn")
    after_objection: str | None = Field(default=None, description="this objection has been eased")
    objections_eased: bool = Field(default=False, description="every required objection has been eased")
    move_count_at_least: dict[str, int] = Field(
        default_factory=dict, description="a move was made at least N times in the rep so far"
    )


#: the longest knowledge answer (characters): one or two sentences a person would say in one breath
MAX_ANSWER_CHARS = 300


class Objection(_Strict):
    """A hidden objection or goal the persona raises in order, and what eases it."""

    id: Slug
    lines: list[str] = Field(min_length=1, description="how the persona raises it (variants)")
    raised_when: Condition = Field(default_factory=Condition)
    eased_by: list[str] = Field(min_length=1, description="learner moves that ease it")
    eased_lines: list[str] = Field(default_factory=list, description="what the persona says once it is eased")
    pressing_lines: list[str] = Field(default_factory=list, description="re-statements when it is not eased")
    answers: list[str] = Field(
        default_factory=list,
        description="replies to an open question about it that does not (yet) ease it (facts belong in knowledge)",
    )
    required: bool = Field(default=True, description="must be eased before the rep can succeed")


class KnowledgeEntry(_Strict):
    """One thing the persona knows, and when it will say it (docs/content-format.md, "knowledge")."""

    id: Slug
    about: str = Field(description="what the fact is about, one line (what a question about it would ask)")
    answer: str = Field(description="what the persona says when asked, 1-2 sentences in its own voice")
    also_answers: list[str] = Field(default_factory=list, description="other ways a learner might ask for it")
    share_when: Condition = Field(default_factory=Condition, description="when it is said (default: always)")
    guarded: list[str] = Field(default_factory=list, description="what the persona says while share_when does not hold")
    again: str | None = Field(default=None, description="a brief re-statement when asked again")

    def problems(self, where: str) -> list[str]:
        """Checks of the entry on its own (the scenario checks share_when against its state and moves)."""
        problems: list[str] = []
        for name in ("about", "answer"):
            text = getattr(self, name)
            if not text.strip():
                problems.append(f"{where}.{name}: must not be empty")
            elif "\n" in text.strip():
                problems.append(f"{where}.{name}: must be one line (no line breaks)")
        if len(self.answer) > MAX_ANSWER_CHARS:
            problems.append(f"{where}.answer: too long ({len(self.answer)} characters; at most {MAX_ANSWER_CHARS}, "
                            "one or two sentences)")
        for name in ("also_answers", "guarded"):
            for i, text in enumerate(getattr(self, name)):
                if not text.strip():
                    problems.append(f"{where}.{name}[{i}]: must not be empty")
        if self.again is not None and not self.again.strip():
            problems.append(f"{where}.again: must not be empty (leave it out for the default re-statement)")
        if self.guarded and self.share_when == Condition():
            problems.append(f"{where}.guarded: never said, because share_when is empty (always holds); "
                            "add a share_when or remove guarded")
        return problems


class PersonaVoice(_Strict):
    """How the counterpart sounds when its replies are read aloud (docs/voice.md, "The counterpart's voice"). The
    browser picks, among its own voices for ``lang``, the one that best fits ``gender`` and speaks with ``pitch`` and
    ``rate``; the optional server voice applies ``rate`` (docs/voice.md)."""

    lang: str = Field(default="en-US", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                      description="a BCP 47 language tag, e.g. en-US or en-GB")
    gender: Literal["female", "male", "any"] = Field(
        default="any", description="which of the device's voices to prefer; a hint, as voices are the device's")
    pitch: float = Field(default=1.0, ge=0.5, le=1.5, description="1 is the voice's own pitch")
    rate: float = Field(default=1.0, ge=0.7, le=1.3, description="1 is the voice's own speed; 1.1 is 10% faster")


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
    voice: PersonaVoice | None = Field(default=None, description="how replies sound read aloud; none: the default")


class DifficultyProfile(_Strict):
    """How a difficulty changes behaviour: step size of state changes, starting values, thresholds."""

    steps: float = Field(default=1.0, gt=0, le=3, description="factor on positive state changes")
    penalty: float = Field(default=1.0, gt=0, le=3, description="factor on negative state changes")
    start: dict[str, float] = Field(default_factory=dict, description="overrides of the starting state")
    drift: dict[str, float] = Field(default_factory=dict, description="change of a state variable every turn")
    threshold_shift: float = Field(
        default=0.0, ge=-0.3, le=0.3, description="added to every state_above (taken from state_below) threshold"
    )
    ease_hits: int = Field(default=1, ge=1, le=5, description="easing turns each objection needs")
    pushback_after_concession: bool = Field(default=False, description="a concession makes the persona ask for more")
    extra_objections: list[str] = Field(default_factory=list, description="objection ids only raised at this level")


class StateEffect(_Strict):
    """How one learner move changes the hidden state (before the difficulty's step factor)."""

    deltas: dict[str, float] = Field(default_factory=dict)
    note: str | None = None


class Outcome(_Strict):
    description: str
    when: Condition = Field(default_factory=Condition)


SITUATIONS = (
    "react:concession",
    "react:pressure",
    "react:monologue",
    "react:off-topic",
    "react:closed-question",
    "react:advise",
    "react:premature-close",
    "react:push-for-more",
    "react:rapport",
    "react:open-question",
    "react:value",
    "react:hostile",
    "react:disagree",
    "react:identity",
    "react:injection",
    "react:small-talk",
    "react:not-yet",
    "react:send-it",
    "react:leaving",
    "neutral",
    "closing-soon",
)


#: situations the engine has built-in lines for (``sparring.persona.reply``): a scenario may leave them out
OPTIONAL_SITUATIONS = frozenset({"react:hostile", "react:disagree", "react:identity", "react:injection",
                                 "react:small-talk", "react:not-yet", "react:send-it", "react:leaving"})


class Beat(_Strict):
    """Authored persona lines for a situation (see SITUATIONS and docs/content-format.md)."""

    situation: str
    lines: list[str] = Field(min_length=1)
    when: Condition = Field(default_factory=Condition)

    @model_validator(mode="after")
    def _known_situation(self) -> Beat:
        if self.situation not in SITUATIONS:
            raise ValueError(f"situation: unknown situation '{self.situation}' (one of: {', '.join(SITUATIONS)})")
        return self


class CustomMove(_Strict):
    """A scenario-specific learner move, recognised by similarity to example lines."""

    examples: list[str] = Field(min_length=2, description="learner lines that make this move")
    threshold: float = Field(default=0.6, ge=0.3, le=0.95, description="cosine similarity needed")


class ScenarioSource(_Strict):
    """Where a generated scenario came from: a drill made from a moment of a real call (docs/drills.md). Authored
    scenarios leave it out; it changes nothing in how the scenario plays."""

    kind: Literal["call_moment"] = Field(description="what it was made from: a moment of a stored call")
    conversation_id: int = Field(ge=1, description="the stored call (a conversation of source call)")
    start_turn: int = Field(ge=0, description="the moment's first turn")
    end_turn: int = Field(ge=0, description="the moment's last turn")
    criterion: Slug | None = Field(default=None, description="the rubric criterion the drill targets")
    moment_kind: str = Field(min_length=1, max_length=80, description="the moment's kind, e.g. objection_price")


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
    custom_moves: dict[str, CustomMove] = Field(default_factory=dict)
    objections: list[Objection] = Field(default_factory=list)
    beats: list[Beat] = Field(default_factory=list)
    difficulty: dict[Difficulty, DifficultyProfile] = Field(default_factory=dict)
    success: Outcome
    failure: list[Outcome] = Field(default_factory=list)
    knowledge: list[KnowledgeEntry] = Field(
        default_factory=list, description="what the persona knows, and when it says it"
    )
    unknown_lines: list[str] = Field(
        default_factory=list, description="said when asked something the persona does not know (built-in default)"
    )
    guarded_lines: list[str] = Field(
        default_factory=list, description="said for a knowledge entry held back without its own guarded lines"
    )
    success_lines: list[str] = Field(default_factory=list)
    failure_lines: list[str] = Field(default_factory=list)
    max_turns: int = Field(default=14, ge=2, le=60)
    source: ScenarioSource | None = Field(
        default=None, description="where a generated scenario came from (a drill from a call moment); optional"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        """Cross-field checks. Every problem is reported (as "field.path: message"), not just the first."""
        problems: list[str] = []
        for key, value in self.state.items():
            if not 0 <= value <= 1:
                problems.append(f"state.{key}: must be between 0 and 1 (got {value})")
        ids = [o.id for o in self.objections]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            problems.append(f"objections: duplicate objection ids: {', '.join(dupes)}")
        for level, profile in self.difficulty.items():
            for key in profile.start:
                if key not in self.state:
                    problems.append(f"difficulty.{level}.start.{key}: is not a state variable")
            for oid in profile.extra_objections:
                if oid not in ids:
                    problems.append(f"difficulty.{level}.extra_objections: unknown objection '{oid}'")
        known_moves = set(MOVES) | set(self.custom_moves)
        for name in self.custom_moves:
            if name in MOVES:
                problems.append(f"custom_moves.{name}: is a built-in move; pick another name")
        for move, effect in self.moves.items():
            if move not in known_moves:
                problems.append(f"moves.{move}: unknown move (built-in moves or custom_moves)")
            for key in effect.deltas:
                if key not in self.state:
                    problems.append(f"moves.{move}.deltas.{key}: is not a state variable")
        for level, profile in self.difficulty.items():
            for key in profile.drift:
                if key not in self.state:
                    problems.append(f"difficulty.{level}.drift.{key}: is not a state variable")
        for i, o in enumerate(self.objections):
            for move in o.eased_by:
                if move not in known_moves:
                    problems.append(f"objections[{i}].eased_by: unknown move '{move}'")
            problems += self._check_condition(o.raised_when, f"objections[{i}].raised_when", known_moves, ids)
        for i, b in enumerate(self.beats):
            problems += self._check_condition(b.when, f"beats[{i}].when", known_moves, ids)
        problems += self._check_condition(self.success.when, "success.when", known_moves, ids)
        for i, f in enumerate(self.failure):
            problems += self._check_condition(f.when, f"failure[{i}].when", known_moves, ids)
        problems += self._check_knowledge(known_moves, ids)
        if self.source is not None and self.source.end_turn < self.source.start_turn:
            problems.append("source.end_turn: must not come before source.start_turn")
        for key in self.persona.tells:
            var, _, mood = key.rpartition("_")
            if mood not in ("low", "high") or var not in self.state:
                problems.append(f"persona.tells.{key}: expected '<state>_low' or '<state>_high' for a state variable")
        if len(problems) == 1:
            raise ValueError(problems[0])
        if problems:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [InitErrorDetails(type=PydanticCustomError("value_error", "{msg}", {"msg": m}), loc=(), input=None)
                 for m in problems],
            )
        return self

    def _check_knowledge(self, moves: set[str], objection_ids: list[str]) -> list[str]:
        problems: list[str] = []
        first: dict[str, int] = {}
        asked: dict[str, str] = {}
        for i, entry in enumerate(self.knowledge):
            where = f"knowledge[{i}]"
            if entry.id in first:
                problems.append(f"{where}.id: duplicate knowledge id '{entry.id}' (also knowledge[{first[entry.id]}])")
            first.setdefault(entry.id, i)
            problems += entry.problems(where)
            problems += self._check_condition(entry.share_when, f"{where}.share_when", moves, objection_ids)
            for name, text in [("about", entry.about)] + [(f"also_answers[{j}]", t) for j, t in
                                                           enumerate(entry.also_answers)]:
                key = " ".join(text.lower().split())
                if key and key in asked and asked[key] != where:
                    problems.append(f"{where}.{name}: the same question is also in {asked[key]}; "
                                    "a question should lead to one entry")
                elif key:
                    asked.setdefault(key, where)
        for name in ("unknown_lines", "guarded_lines"):
            for i, text in enumerate(getattr(self, name)):
                if not text.strip():
                    problems.append(f"{name}[{i}]: must not be empty")
        return problems

    def _check_condition(self, cond: Condition, where: str, moves: set[str], objection_ids: list[str]) -> list[str]:
        problems: list[str] = []
        for part in ("state_below", "state_above"):
            for key in getattr(cond, part):
                if key not in self.state:
                    problems.append(f"{where}.{part}.{key}: is not a state variable")
        for move in cond.learner_move:
            if move not in moves:
                problems.append(f"{where}.learner_move: unknown move '{move}'")
        for move in cond.move_count_at_least:
            if move not in moves:
                problems.append(f"{where}.move_count_at_least.{move}: unknown move")
        if cond.after_objection is not None and cond.after_objection not in objection_ids:
            problems.append(f"{where}.after_objection: unknown objection '{cond.after_objection}'")
        return problems

    @property
    def version(self) -> str:
        data = self.model_dump(mode="json")
        if data.get("source") is None:  # content without a source keeps the version it had before the field existed
            data.pop("source", None)
        if data.get("persona", {}).get("voice") is None:  # likewise a persona without a voice (added later)
            data.get("persona", {}).pop("voice", None)
        return content_hash(data)

    @property
    def difficulties(self) -> list[Difficulty]:
        return list(DIFFICULTIES)

    def profile(self, difficulty: Difficulty) -> DifficultyProfile:
        return self.difficulty.get(difficulty, DifficultyProfile())
