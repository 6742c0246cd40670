"""A drill from a moment of a real call: a short targeted practice scenario (issue 13 item 4; docs/drills.md).

    drill = build_drill(conversation, moment, scorecard, rubric, conversation_id=42)
    drill.scenario          # a valid Scenario: id drill-42-t<start_turn>, the call's rubric, a `source` block
    drill.engine            # "template", or "llm:<model>" when a writer (the "drill" LLM task) wrote the lines

Pure: no database, no web, no network of its own (an LLM ``writer`` may call its provider). From the stored call
(its turns and roles), one moment (anything with the MOMENT keys: ``kind``, ``start_turn``, ``end_turn``,
``summary``, ``criterion``), the call's scorecard and rubric:

- **the target** is the moment's criterion, or else the scorecard's missed (then partly met) criterion whose
  evidence lies nearest the moment (``target_criterion``); none → ``DrillError``;
- **the opening** is the counterpart's pushback at that moment: their words in the moment's span, else in the
  turns just before (or, for a moment the rep made, just after) it (``pushback``), anonymised — the drill's one
  objection, raised at once: the persona's first words are a short lead-in ("Before we go any further, I have to
  be straight with you.") and then the pushback;
- **what eases the objection** (``eased_by``) is what the target criterion asks for: its ``acts`` and
  ``signals`` (a blocker's acts are what it forbids, so a blocker target eases by the moment kind's usual moves
  and doing the forbidden act fails the drill; a metric by the moves that move that metric);
- **persona and context** come from the call, anonymised (``coaching.anonymise``): the counterpart's earlier
  statements as background, the rep's questions and the counterpart's answers as knowledge;
- short (``MAX_TURNS`` learner turns), with the library's three difficulty profiles, and a ``source`` block.

With a ``writer`` (``coaching.drill_writer``), the LLM writes richer persona lines from the anonymised excerpt; its
output is merged, validated against the Scenario schema and checked for names and figures of the call; any error
or invalid output falls back to this template, and ``notes`` says why.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from sparring.coaching.anonymise import Anonymiser
from sparring.content.rubric import Criterion, Rubric
from sparring.content.scenario import MOVES, Scenario
from sparring.conversation.model import Conversation, Turn
from sparring.nlp.act_aliases import resolve_acts
from sparring.scoring.scorecard import Scorecard

MAX_TURNS = 6
#: how far before the moment (in turns) the counterpart's pushback, background and knowledge are looked for
LOOK_BACK = 3
CONTEXT_TURNS = 24
MAX_OPENING_CHARS = 240
MAX_KNOWLEDGE = 4
MAX_BACKGROUND = 4

KIND_WORDS = {
    "objection_price": "a price objection", "objection_competitor": "a competitor objection",
    "objection_timing": "a timing objection", "objection_authority": "an authority objection",
    "objection_need": "a need objection", "pain_not_explored": "a pain left unexplored",
    "pain_explored": "a pain explored", "competitor_not_explored": "a competitor mention left unexplored",
    "competitor_explored": "a competitor mention explored", "disengaging": "the counterpart disengaging",
    "monologue": "a monologue", "talk_dominance": "a stretch the rep dominated", "interruption": "an interruption",
    "long_silence": "a long silence", "fast_pace": "a fast stretch", "commitment_won": "a commitment won",
    "commitment_lost": "a commitment lost", "no_next_step": "a missing next step", "pressure": "the rep's pressure",
    "concession": "an unasked concession",
}
#: the learner moves that usually answer a kind of moment (used when the target criterion names none)
KIND_MOVES: dict[str, tuple[str, ...]] = {
    "objection": ("acknowledge", "question_open", "question_clarifying"),
    "pain": ("question_open", "question_clarifying", "reflect_complex"),
    "competitor": ("question_open", "question_clarifying", "reflect_complex"),
    "commitment": ("next_step_proposal", "commitment_ask", "summarise"),
    "no": ("next_step_proposal", "commitment_ask", "summarise"),
    "disengaging": ("empathise", "question_open", "reflect_simple"),
    "pressure": ("acknowledge", "question_open", "empathise"),
    "concession": ("question_open", "question_clarifying", "tradeoff_offer"),
}
DEFAULT_MOVES = ("question_open", "reflect_simple", "reflect_complex")
#: what the persona says before the pushback (the engine says the opening line, then raises the objection)
LEAD_INS: dict[str, str] = {
    "objection": "Before we go any further, I have to be straight with you.",
    "pain": "Since you ask, here's what's going on.",
    "competitor": "Since you ask, here's what's going on.",
    "disengaging": "Okay.",
}
DEFAULT_LEAD_IN = "Hang on a second."
#: how the persona comes across, by the moment's family ({words}: the kind in words)
PERSONALITIES: dict[str, str] = {
    "objection": "sceptical; raised {words} on the call and wants it taken seriously before hearing any answer",
    "pain": "mentioned something that matters to them on the call and wants it explored, not skipped",
    "competitor": "mentioned another option on the call and wants it explored, not skipped",
    "disengaging": "pulling back, with short replies; comes back only when they feel really listened to",
    "commitment": "hesitant to commit; needs a reason and a clear, concrete next step",
    "no": "hesitant to commit; needs a reason and a clear, concrete next step",
}
DEFAULT_PERSONALITY = "was on the receiving end of {words} on the call and pushed back; wants to be heard, not handled"
#: the moves that move a metric the right way (a metric criterion as the target)
METRIC_MOVES: dict[str, tuple[str, ...]] = {
    "question_count": ("question_open", "question_clarifying"),
    "question_rate": ("question_open", "question_clarifying"),
    "open_question_share": ("question_open",),
    "reflection_to_question_ratio": ("reflect_simple", "reflect_complex"),
}
#: (domain, the counterpart's role) by the call's rubric
ROLES: dict[str, tuple[str, str]] = {
    "sales-objection-handling": ("sales", "Buyer"), "discovery": ("sales", "Prospect"),
    "renewal-value": ("customer-success", "Customer"), "consulting-pushback": ("consulting", "Client"),
    "feedback-conversation": ("management", "Team member"), "coaching-conversation": ("management", "Team member"),
    "motivational-interviewing": ("motivational-interviewing", "Client"), "de-escalation": ("customer-success",
                                                                                            "Customer"),
}
#: moves that never ease a pushback, even when a criterion lists them
NEVER_EASE = frozenset({"concession", "pressure", "confront", "blame_label", "insult", "dismiss_need", "off_topic",
                        "other", "instruction_injection", "identity_question", "small_talk"})


class MomentLike(Protocol):
    """The MOMENT keys a drill needs (``sparring.review.moment.Moment`` has them)."""

    kind: str
    start_turn: int
    end_turn: int
    summary: str
    criterion: str | None


class DrillError(ValueError):
    """The moment cannot become a drill (no criterion to target, no words of the counterpart)."""


class DrillWriter(Protocol):
    """Writes richer lines for a drill (``coaching.drill_writer.LLMDrillWriter``). ``write`` returns the fields
    to merge into the template scenario (a dict of the Scenario's shape) or raises."""

    engine: str

    def write(self, request: DrillRequest) -> dict[str, Any]: ...


@dataclass(frozen=True)
class DrillRequest:
    """What a writer gets: only anonymised text, and the template it improves."""

    template: Scenario
    excerpt: list[str]
    pushback: str
    criterion: Criterion
    kind: str


@dataclass
class Drill:
    scenario: Scenario
    target: str
    engine: str = "template"
    notes: list[str] = field(default_factory=list)


def drill_id(conversation_id: int, start_turn: int) -> str:
    return f"drill-{conversation_id}-t{start_turn}"


def family(kind: str) -> str:
    return kind.split("_", 1)[0]


# ---- what the drill targets and opens with ------------------------------------------------------------------


def target_criterion(moment: MomentLike, scorecard: Scorecard | None, rubric: Rubric) -> Criterion | None:
    """The moment's criterion when the rubric has it, else the missed (then partly met) criterion of the scorecard
    whose evidence lies nearest the moment (no evidence: the rubric's order)."""
    ids = {c.id for c in rubric.criteria}
    if moment.criterion and moment.criterion in ids:
        return rubric.criterion(moment.criterion)
    if scorecard is None:
        return None
    for wanted in ("missed", "partly"):
        best: tuple[int, int, str] | None = None
        for order, result in enumerate(scorecard.criteria):
            if result.verdict != wanted or result.id not in ids:
                continue
            turns = [e.turn for e in result.evidence]
            distance = min((abs(t - moment.start_turn) for t in turns), default=10_000)
            key = (distance, order, result.id)
            best = key if best is None or key < best else best
        if best is not None:
            return rubric.criterion(best[2])
    return None


#: kinds the rep made (pressure, a monologue, a close): the pushback is the counterpart's answer after them
REP_DRIVEN = frozenset({"pressure", "monologue", "talk", "interruption", "fast", "long", "commitment", "no"})


def pushback(conversation: Conversation, moment: MomentLike) -> Turn | None:
    """The counterpart's turn that carries the pushback: their first turn of four words or more in the moment's span
    (else their longest there);
    else, for a moment the rep made (pressure, a monologue, a close), their first substantive reply just after it,
    and for the others their last substantive turn in the ``LOOK_BACK`` turns before it (then the other side)."""
    turns = [t for t in conversation.turns if t.role == "counterpart"]
    inside = [t for t in turns if moment.start_turn <= t.index <= moment.end_turn]
    said = [t for t in inside if t.words >= 4]  # past a backchannel ("Okay.") to the words that push back
    if said or inside:
        return said[0] if said else max(inside, key=lambda t: t.words)
    before = [t for t in turns if moment.start_turn - LOOK_BACK <= t.index < moment.start_turn]
    after = [t for t in turns if moment.end_turn < t.index <= moment.end_turn + LOOK_BACK]
    before = sorted(before, key=lambda t: (t.words >= 4, t.index))[-1:]
    after = sorted(after, key=lambda t: (t.words < 4, t.index))[:1]
    order = after + before if family(moment.kind) in REP_DRIVEN else before + after
    return order[0] if order else None


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?…])\s+", text.strip()) if s.strip()]


def _trim(text: str, limit: int) -> str:
    """Whole sentences of ``text`` up to ``limit`` characters (at least the first, cut at a word if it is longer)."""
    out = ""
    for s in _sentences(text):
        if out and len(out) + 1 + len(s) > limit:
            break
        out = f"{out} {s}".strip()
    if len(out) > limit:
        out = out[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return out


def eased_by(criterion: Criterion, kind: str) -> list[str]:
    """The learner moves that ease the drill's objection: what the target criterion asks for (module docstring)."""
    moves: list[str] = []
    if criterion.kind in ("check", "scale"):
        moves = sorted(resolve_acts([*criterion.acts, *criterion.signals]))
    elif criterion.kind == "metric":
        moves = list(METRIC_MOVES.get(criterion.metric or "", DEFAULT_MOVES))
    moves = [m for m in moves if m in MOVES and m not in NEVER_EASE]
    return moves or [m for m in KIND_MOVES.get(family(kind), DEFAULT_MOVES) if m in MOVES]


# ---- the template --------------------------------------------------------------------------------------------


def _background(conversation: Conversation, moment: MomentLike, anon: Anonymiser, speaker: str) -> list[str]:
    """The counterpart's substantive statements before the moment (most recent last), anonymised."""
    lines = [t for t in conversation.turns if t.speaker == speaker and t.index < moment.start_turn and t.words >= 8
             and moment.start_turn - t.index <= CONTEXT_TURNS]
    picked = [anon.clean(_trim(t.text, 200)) for t in lines[-MAX_BACKGROUND:]]
    return [f"Said earlier: \u201c{p}\u201d" for p in picked if p]


def _knowledge(conversation: Conversation, moment: MomentLike, anon: Anonymiser, speaker: str) -> list[dict[str, Any]]:
    """The rep's questions before (and in) the moment with the counterpart's answers, as knowledge entries."""
    turns = conversation.turns
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for a, b in itertools.pairwise(turns):
        if b.index > moment.end_turn or moment.start_turn - b.index > CONTEXT_TURNS:
            continue
        if a.role != "learner" or b.speaker != speaker or "?" not in a.text or b.words < 4:
            continue
        question = next((s for s in reversed(_sentences(a.text)) if s.endswith("?")), "")
        about = anon.clean(question)[:200].strip()
        answer = anon.clean(_trim(b.text, 280))
        key = " ".join(about.lower().split())
        if len(about) < 8 or not answer or key in seen:
            continue
        seen.add(key)
        out.append({"id": f"from-call-{len(out) + 1}", "about": about, "answer": answer})
    return out[-MAX_KNOWLEDGE:]


def template(conversation: Conversation, moment: MomentLike, scorecard: Scorecard | None, rubric: Rubric, *,
             conversation_id: int, anon: Anonymiser | None = None) -> tuple[Scenario, DrillRequest]:
    """The offline drill (module docstring) and what a writer would be given to improve it."""
    criterion = target_criterion(moment, scorecard, rubric)
    if criterion is None:
        raise DrillError(f"no criterion to target: the moment at turn {moment.start_turn} names none and the "
                         "scorecard has no missed or partly met criterion")
    turn = pushback(conversation, moment)
    if turn is None:
        raise DrillError(f"the counterpart says nothing at or just before turn {moment.start_turn}, so there is no "
                         "pushback to open the drill with")
    anon = anon or Anonymiser.for_call(conversation, salt=str(conversation_id))
    opening = anon.clean(_trim(turn.text, MAX_OPENING_CHARS))
    name = anon.names.get(turn.speaker, "Sam Rivera")
    first = name.split()[0]
    domain, role = ROLES.get(rubric.id, ("other", "Counterpart"))
    moves = eased_by(criterion, moment.kind)
    words = KIND_WORDS.get(moment.kind, moment.kind.replace("_", " "))
    terse = sum(t.words for t in conversation.by_role("counterpart")) / max(1, len(conversation.by_role(
        "counterpart"))) < 10
    later = [anon.clean(_trim(t.text, 280)) for t in conversation.turns
             if t.speaker == turn.speaker and turn.index < t.index <= moment.end_turn + 2 and t.words >= 5]
    goal = criterion.met_when or criterion.description or ""
    doing = (criterion.drill or criterion.better_line or f"Practise: {criterion.name.lower()}.").replace(
        "{their_words}", opening[:80])
    effects: dict[str, Any] = {m: {"deltas": {"openness": 0.12, "trust": 0.05}} for m in moves}
    for bad, deltas in (("pressure", {"trust": -0.1, "patience": -0.15}), ("concession", {"trust": -0.08}),
                        ("monologue", {"patience": -0.15})):
        effects.setdefault(bad, {"deltas": deltas})
    failure: list[dict[str, Any]] = [
        {"description": f"{first} lost patience and ended the conversation",
         "when": {"state_below": {"patience": 0.05}}},
        {"description": f"{first} stopped trusting you", "when": {"state_below": {"trust": 0.1}}},
    ]
    if criterion.kind == "blocker":
        banned = sorted(a for a in resolve_acts(criterion.acts) if a in MOVES)
        if banned:
            failure.insert(0, {"description": f"broke the rule: {criterion.name}",
                               "when": {"move_count_at_least": {banned[0]: 1}}})
    data: dict[str, Any] = {
        "id": drill_id(conversation_id, moment.start_turn),
        "title": (f"Drill: {words} (avoid: {criterion.name})" if criterion.kind == "blocker"
                  else f"Drill: {words} ({criterion.name})")[:120],
        "domain": domain,
        "skills": [criterion.skill or criterion.id],
        "rubric": rubric.id,
        "summary": f"From call {conversation_id}, turn {moment.start_turn}: {words}; target: {criterion.name}.",
        "brief": (f"This drill replays a moment of a real call (names and figures changed). {first}, the "
                  f"{role.lower()}, has just pushed back: \u201c{opening}\u201d Pick it up from there. Your target: "
                  f"{criterion.name}{' — ' + goal.rstrip('.') if goal else ''}. A few turns: ease the pushback the "
                  "way the target asks."),
        "learner_role": "You, in the seat of the rep on the call",
        "objectives": [criterion.name, doing],
        "persona": {
            "name": name, "role": role,
            "personality": ("short-spoken; " if terse else "") + PERSONALITIES.get(
                family(moment.kind), DEFAULT_PERSONALITY).format(words=words),
            "speaking_style": "short, plain sentences" if terse else "conversational, in their own words",
            "background": _background(conversation, moment, anon, turn.speaker),
            "hidden_agenda": [f"Will only move on once the rep shows: {criterion.name.lower()}."],
            "tells": {"trust_low": ["I've heard this kind of answer before."],
                      "trust_high": ["Okay. That's more like it."]},
        },
        "opening_lines": [LEAD_INS.get(family(moment.kind), DEFAULT_LEAD_IN)],
        "state": {"trust": 0.4, "openness": 0.35, "patience": 0.7},
        "moves": effects,
        "objections": [{
            "id": "pushback",
            "lines": [opening],
            "eased_by": moves,
            "eased_lines": ["Okay, that's fair. That's what I needed to hear.", "Right. That helps, actually.",
                            "Fine. I can work with that."],
            "pressing_lines": ["That doesn't really answer what I said.", f"I'm still where I was: {opening[:120]}",
                               "You're not hearing me."],
            "answers": later[:3],
        }],
        "beats": [
            {"situation": "neutral", "lines": ["Okay.", "Go on.", "Right.", "Mm."]},
            {"situation": "react:monologue", "lines": ["That's a lot. What's your point?", "Stop there for a second."]},
            {"situation": "react:pressure", "lines": ["Don't rush me.", "Pushing won't help."]},
            {"situation": "react:concession", "lines": ["That was quick. So the first offer was padding?"]},
            {"situation": "react:closed-question", "lines": ["Yes.", "No.", "More or less."]},
            {"situation": "react:premature-close", "lines": ["Slow down. We're not there yet."]},
            {"situation": "react:rapport", "lines": ["Fair enough.", "Yes, that's about it."]},
            {"situation": "react:value", "lines": ["Okay, keep going with that.", "That is the kind of thing I "
                                                                                 "need."]},
            {"situation": "closing-soon", "lines": ["So what do you suggest?", "Where does that leave us?"]},
        ],
        "knowledge": _knowledge(conversation, moment, anon, turn.speaker),
        "difficulty": {
            "easy": {"steps": 1.3, "penalty": 0.8, "start": {"trust": 0.5}},
            "medium": {"steps": 1.0, "ease_hits": 2},
            "hard": {"steps": 0.7, "penalty": 1.3, "start": {"trust": 0.3}, "ease_hits": 3, "threshold_shift": 0.05,
                     "drift": {"patience": -0.03}, "pushback_after_concession": True},
        },
        "success": {"description": f"the pushback is eased the way the target asks ({criterion.name})",
                    "when": {"objections_eased": True, "turn_at_least": 2}},
        "failure": failure,
        "success_lines": ["Okay. Let's take that forward.", "Alright, that works for me."],
        "failure_lines": ["I think we'll leave it there for today.", "Let's pick this up another time."],
        "max_turns": MAX_TURNS,
        "source": {"kind": "call_moment", "conversation_id": conversation_id, "start_turn": moment.start_turn,
                   "end_turn": moment.end_turn, "criterion": criterion.id, "moment_kind": moment.kind},
    }
    scenario = Scenario.model_validate(data)
    lo = max(0, moment.start_turn - 6)
    excerpt = [f"{'Rep' if t.role == 'learner' else anon.names.get(t.speaker, t.speaker)}: {anon.clean(t.text)}"
               for t in conversation.turns if lo <= t.index <= moment.end_turn + 2]
    return scenario, DrillRequest(scenario, excerpt, opening, criterion, moment.kind)


def build_drill(conversation: Conversation, moment: MomentLike, scorecard: Scorecard | None, rubric: Rubric, *,
                conversation_id: int, writer: DrillWriter | None = None) -> Drill:
    """The drill for ``moment`` (module docstring). DrillError when the moment cannot become one."""
    anon = Anonymiser.for_call(conversation, salt=str(conversation_id))
    scenario, request = template(conversation, moment, scorecard, rubric, conversation_id=conversation_id, anon=anon)
    target = request.criterion.id
    if writer is None:
        return Drill(scenario, target)
    try:
        lines = writer.write(request)
        merged = merge(scenario, lines)
    except Exception as exc:  # any provider or output problem: the offline template stands
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {str(exc)[:160]}"
        return Drill(scenario, target, notes=[f"the drill writer ({writer.engine}) failed ({reason}); "
                                              "used the offline template"])
    leaked = anon.leaks(json.dumps(lines, ensure_ascii=False))  # the writer's text only (authored lines are not)
    if leaked:
        return Drill(scenario, target, notes=[f"the drill writer ({writer.engine}) put {len(leaked)} name(s) or "
                                              "figure(s) of the call back; used the offline template"])
    return Drill(merged, target, engine=writer.engine)


def merge(scenario: Scenario, lines: dict[str, Any]) -> Scenario:
    """``scenario`` with a writer's fields merged in (persona fields, the objection's lines, knowledge) and
    validated again: the opening, the target, eased_by, the rubric and the source stay the template's."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    persona = lines.get("persona") or {}
    for key in ("personality", "speaking_style", "background", "hidden_agenda"):
        if persona.get(key):
            data["persona"][key] = persona[key]
    objection = data["objections"][0]
    for key in ("pressing_lines", "eased_lines", "answers"):
        if lines.get(key):
            objection[key] = list(lines[key])
    if lines.get("variants"):
        objection["lines"] = [objection["lines"][0], *lines["variants"]]
    if lines.get("knowledge"):
        data["knowledge"] = [{"id": f"fact-{i + 1}", **dict(k)} for i, k in enumerate(lines["knowledge"])]
    return Scenario.model_validate(data)
