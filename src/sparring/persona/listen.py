"""How the embedded persona reads a learner turn: the utterance acts of ``sparring.nlp.act_model`` (the one act
vocabulary the scorer uses too), the scenario's ``custom_moves`` (similarity to their examples), the numbers the
turn names, and the events derived from the turn that are not acts (``monologue``, ``repeated``,
``low-effort``; ``sparring.content.vocabulary.DERIVED``).

``read_turn`` is the only place the persona engines learn what the learner did; everything downstream speaks act
names, and content move names are matched through ``sparring.content.vocabulary.expand``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sparring.content.scenario import Scenario
from sparring.content.vocabulary import expand
from sparring.nlp.acts import ACT_NAMES

if TYPE_CHECKING:
    from sparring.nlp.act_model import ActReading

#: a learner turn longer than this many words talks over the counterpart
MONOLOGUE_WORDS = 80
#: the acts a small-talk turn may carry besides small talk
CHAT = frozenset({"small_talk", "other", "acknowledge", "question_closed", "question_open"})
QUESTIONS = frozenset({"question_open", "question_closed", "question_clarifying"})
#: a question after the other's wellbeing or day: what a small-talk answer ("Fine, thanks. Busy.") answers
WELLBEING = re.compile(
    r"\bhow(?:'s| is| are| were|'re| have| was| did)? "
    r"(?:you(?:\s*[?.,!]|\s*$| doing| today| keeping| holding up| been)|things\b|it going|life\b|"
    r"(?:your|the) (?:weekend|trip|holiday|holidays|vacation|break|time off|leave|flight|conference|offsite|"
    r"off-site|summit|event|drive|commute|day|week|morning|family|kids|move|wedding|game|match)\b)"
    r"|\byou (?:well|doing ok|doing okay|keeping)\b|\b(?:good|nice) (?:weekend|holiday|trip|break)\?",
    re.IGNORECASE,
)
#: a long turn that lays out a trade is not talking over the other person
LONG_BUT_LISTENING = frozenset({"tradeoff_offer"})
#: a turn this short that asks nothing and gives nothing is low-effort play
LOW_EFFORT_WORDS = 5
#: acts that carry substance: a short turn with one of them is not low-effort
SUBSTANTIVE = frozenset({
    "question_open", "question_clarifying", "question_closed", "permission_ask", "quantified_value",
    "tradeoff_offer", "next_step_proposal", "commitment_ask", "reflect_complex", "summarise", "empathise",
    "information", "describe_behaviour", "state_impact",
})
#: acts that say nothing about the business at hand: a turn made only of them never counts as a repeat
NEUTRAL = frozenset({"other", "small_talk", "acknowledge"})
#: questions are never a repeat by themselves: asking again is how people follow up
ASKING = frozenset({"question_open", "question_clarifying", "question_closed", "permission_ask"})
#: acts the persona reads generously (see ``_generous``), from this probability on
GENEROUS = frozenset({"question_open", "question_clarifying", "reflect_simple", "reflect_complex", "tradeoff_offer",
                      "quantified_value", "next_step_proposal"})
GENEROUS_BAR = 0.35
#: ... in a turn of at least this many words (a terse line gets no benefit of the doubt)
GENEROUS_MIN_WORDS = 8
HOSTILE_ALL = frozenset({"insult", "blame_label", "confront", "dismiss_need", "pressure", "concession",
                         "instruction_injection"})
#: constructive acts, and the negative acts a constructive line can be misread as (see ``_resolved``)
CONSTRUCTIVE = frozenset({"reflect_simple", "reflect_complex", "summarise", "empathise", "acknowledge",
                          "tradeoff_offer", "quantified_value", "question_open", "question_clarifying",
                          "next_step_proposal", "next_step_accept", "information", "describe_behaviour",
                          "state_impact"})
#: a hostile reading this likely is kept even when a constructive one is likelier ("six years in and you've gone
#: soft" reads as sympathy 0.87 and as a label 0.79: it is a label)
SURE_HOSTILE = 0.7
#: ... for the acts that attack the person (a head-on contradiction or "the worry is less the money" keep the old
#: rule: fair disagreement and reflections are often read that way)
PERSONAL_ATTACKS = frozenset({"insult", "blame_label"})
SOFT_NEGATIVE = frozenset({"dismiss_need", "confront", "blame_label", "insult", "pressure", "advice"})
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class Turn:
    """What one learner turn did."""

    text: str
    acts: frozenset[str]
    custom: frozenset[str] = frozenset()
    derived: frozenset[str] = frozenset()
    numbers: tuple[float, ...] = ()
    subject: str = "none"
    probs: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def names(self) -> frozenset[str]:
        """Every name the turn made: acts, derived events and custom moves."""
        return self.acts | self.derived | self.custom

    @property
    def moves(self) -> list[str]:
        """The names in a stable order (acts in vocabulary order, then derived events, then custom moves), as
        stored in ``PersonaState.moves``."""
        acts = [a for a in ACT_NAMES if a in self.acts]
        return [*acts, *sorted(self.derived), *sorted(self.custom)]

    def made(self, *names: str) -> bool:
        """The turn made any of these content move names (acts, aliases, derived events or custom moves)."""
        return any(expand(n) & self.names for n in names)

    @property
    def chatting(self) -> bool:
        """Small talk and nothing of substance ("Good to see you. How was the conference?"). A greeting before a
        real question ("Thanks for being upfront, Nadia. What's prompting this?") is not chat: the question is
        the point of the turn."""
        if self.acts - CHAT:
            return False
        if self.asks_after_wellbeing:
            return True  # "How was the offsite?" is chat even when the act model misses the small talk in it
        return "small_talk" in self.acts and not self.acts & QUESTIONS

    @property
    def asks_after_wellbeing(self) -> bool:
        """The turn asks how the other is, or about their day, trip or weekend."""
        return bool(WELLBEING.search(self.text))

    @property
    def asks(self) -> bool:
        return bool(self.acts & {"question_open", "question_clarifying"})


#: reads one line in its context (the persona's previous line); the act model by default
Reader = Callable[[str, str], "ActReading"]


def _model_reader(text: str, context: str) -> ActReading:
    from sparring.nlp.act_model import read_act

    return read_act(text, context, embed_questions=False)  # read_turn embeds what it needs in one call


_reader: Reader = _model_reader


def set_reader(reader: Reader | None) -> None:
    """Swap the act reader (tests use a small explicit double); None restores the act model."""
    global _reader
    _reader = reader if reader is not None else _model_reader


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _same_line(a: str, b: str) -> bool:
    return words(a) == words(b) and bool(words(a))


def read_turn(text: str, scenario: Scenario, context: str = "", history: Sequence[Sequence[str]] = (),
              earlier_lines: Sequence[str] = ()) -> Turn:
    """What the learner's ``text`` did. ``context`` is the persona's previous line, ``history`` the names each
    earlier learner turn made (``PersonaState.moves``), ``earlier_lines`` the learner's earlier lines."""
    ahead = prefetch(text, scenario)  # the sentence model reads the turn while the act model does
    try:
        reading = _reader(text, context)
    finally:
        if ahead is not None:
            ahead.result()
    acts = frozenset(reading.acts) | _buried_questions(reading, context)
    if len(words(text)) >= GENEROUS_MIN_WORDS:
        acts = _generous(acts, reading.probs)
    acts = _resolved(acts, reading.probs)
    acts = _framed(acts, text, reading.probs)
    custom = _custom(text, scenario)
    derived: set[str] = set()
    n_words = len(words(text))
    if n_words > MONOLOGUE_WORDS and not acts & LONG_BUT_LISTENING:
        derived.add("monologue")
    if n_words <= LOW_EFFORT_WORDS and not acts & SUBSTANTIVE and not reading.numbers and not custom:
        derived.add("low-effort")
    substantive = acts - NEUTRAL - ASKING
    if any(_same_line(text, line) for line in earlier_lines) or (
        history and substantive and substantive == set(history[-1]) - NEUTRAL - ASKING and not reading.numbers
    ):
        derived.add("repeated")
    return Turn(text=text, acts=acts, custom=custom, derived=frozenset(derived), numbers=tuple(reading.numbers),
                subject=reading.subject, probs=dict(reading.probs))


#: question acts a question sentence read on its own can add to a longer turn: not ``question_closed``, whose
#: yes/no answer to a tag question ("Just sort it out, yeah?" → "No.") reads worse than no answer
ASKING_ACTS = frozenset({"question_open", "question_clarifying", "permission_ask"})


def _buried_questions(reading: ActReading, context: str) -> frozenset[str]:
    """The question acts of a turn's question sentences, read one by one, when the turn read as a whole carries
    none: in "That makes sense… I wouldn't want to look like we're gaming procurement. Who ultimately signs off on
    this?" the model reads the acknowledgement and the information and loses the question at the end, and the
    persona then answers a direct question with "Go on." (live play). Only turns of several sentences whose whole
    reading asks nothing are read again, and only their sentences that end with a question mark, so a plain turn
    costs nothing more."""
    if reading.acts & QUESTIONS:
        return frozenset()
    # only sentences that end with a question mark: "it's about how handoffs have been landing" is not a question
    asked = [c.text for c in reading.clauses
             if c.text.rstrip("\"')\u201d\u2019 ").endswith("?") and c.text.strip() != reading.text.strip()]
    found: set[str] = set()
    for sentence in dict.fromkeys(asked):
        found |= _reader(sentence, context).acts & ASKING_ACTS
    return frozenset(found)


def prefetch(text: str, scenario: Scenario) -> Future[object] | None:
    """Start embedding, in one model call on a background thread, the strings of this turn the persona compares
    by meaning next: its sentences (custom moves, then easing and fitting lines read the same vectors) and, when a
    sentence asks something, the parts the knowledge lookup matches (``knowledge.question_parts``; mostly the
    same strings). Every small call of the sentence model streams all of its weights once (~5 ms on this machine,
    whatever the length), so one call instead of two saves that, and it runs while the act model reads the turn
    on the caller's thread. None when the scenario compares nothing."""
    wanted: list[str] = []
    if scenario.custom_moves:
        from sparring.persona.moves import sentence_texts

        wanted.extend(sentence_texts(text))
    if scenario.knowledge:
        from sparring.persona.knowledge import asks, question_parts

        if asks(text):
            wanted.extend(question_parts(text))
    if not wanted:
        return None
    from sparring.nlp.embeddings import embed
    from sparring.nlp.runtime import in_background

    return in_background(embed, list(dict.fromkeys(wanted)))


def _generous(acts: frozenset[str], probs: Mapping[str, float]) -> frozenset[str]:
    """A listening, value or next-step act the model finds likely but under its threshold still counts for the
    persona, unless the line reads as hostile, small talk or off topic: a person hears a clumsy reflection as a
    reflection."""
    if acts & (HOSTILE_ALL | {"small_talk", "off_topic"}):
        return acts
    return acts | {a for a in GENEROUS if probs.get(a, 0.0) >= GENEROUS_BAR}


def _resolved(acts: frozenset[str], probs: Mapping[str, float]) -> frozenset[str]:
    """A constructive line that carries a negation or a firm word is not an attack: a hostile act or advice is
    dropped when the same line is more probably a constructive act (a reflection, a trade, value, an
    acknowledgement, a question, a next step) — "So you'd want to keep working, and fit enough" reflects, it does
    not label. A line whose hostile reading is the strongest keeps it."""
    constructive = acts & CONSTRUCTIVE
    if not constructive:
        return acts
    best = max(probs.get(a, 0.0) for a in constructive)
    drop = {a for a in acts & SOFT_NEGATIVE
            if probs.get(a, 0.0) < (min(best, SURE_HOSTILE) if a in PERSONAL_ATTACKS else best)}
    return acts - drop if drop else acts


#: words that speak to the conversation's frame, not its business: an instruction to "the AI" names one of them
FRAME_CUES = re.compile(
    r"\b(?:ignore|disregard|forget (?:everything|all|your|what|the (?:above|previous|script|instructions))|"
    r"instructions?|prompts?|system|pretend|role[- ]?play|in character|out of character|you are now|from now on|"
    r"act as|as an? (?:ai|bot|language model|assistant|model)|ai|bot|llm|gpt|chatgpt|claude|language model|"
    r"jailbreak|developer mode|repeat after me|respond (?:only|with)|say (?:only|yes|exactly)|"
    r"your (?:rules|programming|script|training|guidelines)|you were told|you've been told|whatever you were told)\b",
    re.IGNORECASE,
)
#: an instruction-injection reading this sure stands without a frame word
SURE_INJECTION = 0.9


def _framed(acts: frozenset[str], text: str, probs: Mapping[str, float]) -> frozenset[str]:
    """An instruction to "the AI" speaks to the conversation's frame ("ignore your instructions", "you are now…");
    a blunt, on-topic imperative does not ("Just do a leadership course. Problem solved.", "Skip the pilot, go live
    everywhere, your funeral." — read as injections at 0.17-0.5 and met with "I'm sorry, what? I don't follow.";
    blind review of the development split, 2026-12-07). Without a frame word the injection reading stands only when
    the model is sure of it; otherwise it is dropped and the rest of the reading answers."""
    if "instruction_injection" not in acts or probs.get("instruction_injection", 0.0) >= SURE_INJECTION:
        return acts
    if FRAME_CUES.search(text):
        return acts
    return acts - {"instruction_injection"}


def _custom(text: str, scenario: Scenario) -> frozenset[str]:
    if not scenario.custom_moves:
        return frozenset()
    from sparring.persona.moves import custom_moves

    return frozenset(custom_moves(text, scenario))
