"""Act readings for the scorer: which acts each learner sentence performs, who it is about, and whether it is
negated — the one vocabulary of issue 11 (``sparring.nlp.acts``), read by ``sparring.nlp.act_model``.

The scorer reads with ``sparring.nlp.act_model.read_acts``. ``legacy_read_acts`` gives the same kind of reading
from the phrase rules of ``scoring/lexicon.py``, mapped to act names through ``nlp/act_aliases.TAG_ALIASES`` — the
scorer's behaviour before issue 11, in the new vocabulary, kept as a second opinion beside the model and for
scorers built with it. Its readings are ``RuleReading``s: ``ActReading``s whose clauses come from the rules below.

``effective_acts(reading)`` is what a criterion may count: the reading's acts with speaker, subject and
polarity applied (see its docstring).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sparring.nlp.act_aliases import TAG_ALIASES
from sparring.nlp.act_model import ActReading, Clause, read_acts
from sparring.nlp.acts import ACT_NAMES
from sparring.nlp.next_step import NEXT_STEP_ACTS, proposes_next_step

Reader = Callable[..., list[Any]]


def active_reader() -> Reader:
    """The act model's batched reader."""
    return read_acts


# ---------------------------------------------------------------------------------------------- rule reading
@dataclass(frozen=True)
class RuleReading(ActReading):
    """A reading made by the phrase rules (its own type, so the scorer can tell it from the model's)."""

    def has(self, *names: str) -> bool:
        return any(n in self.acts for n in names)

    def p(self, name: str) -> float:
        return float(self.probs.get(name, 0.0))


_SUBJECT = re.compile(
    r"\b(?P<speaker>i|i'm|i'd|i'll|i've|me|my|mine)\b|\b(?P<we>we|we're|we'd|we'll|we've|us|our|ours|let's)\b|"
    r"\b(?P<listener>you|you're|you'd|you'll|you've|your|yours)\b|"
    r"\b(?P<third>he|she|they|it|he's|she's|they're|it's|his|her|their|them|that|this|there)\b",
    re.I,
)
NEGATION = re.compile(
    r"\b(?:not|no|never|can't|cannot|won't|wouldn't|couldn't|isn't|aren't|don't|doesn't|didn't|shouldn't|"
    r"haven't|hasn't|no longer|unable|nothing)\b|n't\b",
    re.I,
)
_NOT_NEGATION = re.compile(
    r"\b(?:no (?:problem|worries|doubt|question|big deal)|not a problem|don't worry|never mind|no-brainer|"
    r"not only|whether or not)\b", re.I,
)
_CLAUSE_SPLIT = re.compile(r"[,;:\u2013\u2014]\s*|\s-+\s|\s(?:but|and|so|because)\s", re.I)
_NUMBER = re.compile(r"\$?\d+(?:[.,]\d+)?\s*[kK]?\b")


def negated(text: str) -> bool:
    """Whether the clause's verb is negated ("I can't do thirty percent"), not counting set phrases
    ("no problem", "don't worry")."""
    return bool(NEGATION.search(_NOT_NEGATION.sub(" ", text)))


def subject_of(text: str) -> str:
    m = _SUBJECT.search(text)
    if m is None:
        return "none"
    return next(k for k, v in m.groupdict().items() if v)


def rule_clauses(text: str) -> tuple[Clause, ...]:
    parts = [p.strip() for p in _CLAUSE_SPLIT.split(text) if p and len(p.split()) >= 2]
    asks = text.rstrip("\"'”’) ").endswith("?")
    return tuple(Clause(p, subject_of(p), negated(p), asks) for p in (parts or [text.strip()]))


def rule_numbers(text: str) -> tuple[float, ...]:
    from sparring.scoring.segments import percentages

    out = list(percentages(text))
    for m in _NUMBER.finditer(text):
        raw = m.group(0).strip().lstrip("$").replace(",", "")
        scale = 1000.0 if raw[-1:] in "kK" else 1.0
        try:
            value = float(raw.rstrip("kK")) * scale
        except ValueError:
            continue
        if value not in out:
            out.append(value)
    return tuple(out)


_CAN_I_ASK = re.compile(r"^(?:and |so )?(?:can|could|may) i ask (?:what|how|why|about)\b", re.I)
_PERMISSION = re.compile(
    r"\b(?:would it be (?:ok|okay|alright|all right)|is it (?:ok|okay|alright|all right)|(?:do|would) you mind) if i\b|"
    r"^(?:can|could|may) i (?:share|tell you|suggest|offer|give you|make a suggestion)\b", re.I,
)


#: the acts the rule reading can produce (with ``with_turn_tags``); it is blind to the others
LEGACY_ACTS: frozenset[str] = frozenset(a for names in TAG_ALIASES.values() for a in names) | {"permission_ask"}


def legacy_read_acts(texts: Sequence[str], contexts: Sequence[str] | None = None) -> list[RuleReading]:
    """The phrase rules' reading of each text, in act names (``contexts`` is accepted and unused)."""
    from sparring.scoring.tagging import question_kind, rule_tags, sentences

    out: list[RuleReading] = []
    for text in texts:
        tags = set(rule_tags(text))
        if any(_CAN_I_ASK.match(s) for s in sentences(text)):
            tags.discard("closed_question")
            tags.add("open_question")
        acts: set[str] = set()
        for tag in tags:
            named = TAG_ALIASES.get(tag, ())
            acts.update(named[:1] if tag in ("open_question", "proposal") else named)
        if "proposal" in tags and "tradeoff" not in tags:
            acts.add("next_step_proposal")
        if any(_PERMISSION.search(s) for s in sentences(text)):
            acts.add("permission_ask")
        if not acts and any(question_kind(s) for s in sentences(text)):
            acts.add("question_closed")
        acts = acts or {"other"}
        probs = {name: (1.0 if name in acts else 0.0) for name in ACT_NAMES}
        out.append(RuleReading(text, frozenset(acts), probs, rule_clauses(text), rule_numbers(text)))
    return out


def with_turn_tags(reading: RuleReading, turn_tags: frozenset[str]) -> RuleReading:
    """``reading`` plus its turn's tags (phrase rules and the AnnoMI tag model, ``tagging.tag_turns``) in act names:
    the turn-level evidence the scorer counted before the act model (the rules alone miss reflections and
    questions without a stem)."""
    extra: set[str] = set()
    for tag in turn_tags:
        named = TAG_ALIASES.get(tag, ())
        extra.update(named[:1] if tag in ("open_question", "proposal") else named)
    if not extra - reading.acts:
        return reading
    acts = (set(reading.acts) - {"other"}) | extra
    probs = {name: (1.0 if name in acts else 0.0) for name in ACT_NAMES}
    return RuleReading(reading.text, frozenset(acts), probs, reading.clauses, reading.numbers)


# ---------------------------------------------------------------------------------------------- polarity
HOSTILE = frozenset({"insult", "blame_label", "confront", "dismiss_need", "pressure"})
_REFLECTIONS = frozenset({"reflect_simple", "reflect_complex"})
#: "you need to cut down", "you should…": telling, never a reflection
_DIRECTIVE = re.compile(r"^(?:so,? |well,? |look,? )?you (?:need to|have to|must|should|ought to|'d better)\b", re.I)
#: "you don't need to decide today" relieves an obligation; it does not dismiss a need
_RELIEF = re.compile(r"\b(?:don't|do not|doesn't|does not|won't|will not) (?:really |even )?(?:need|have) to\b", re.I)


def effective_acts(reading: Any) -> frozenset[str]:
    """The acts of ``reading`` a criterion may count, with speaker, subject and polarity applied:

    - a reflection is not a reflection when the line tells the other what to do ("You need to cut down.") or
      confronts them;
    - ``dismiss_need`` needs a clause about the listener that is not a relief ("you don't need it" counts;
      "I don't need it" and "you don't need to decide today" do not);
    - insults, blame and confrontation are about someone else, never about the speaker ("I'm an idiot");
    - a ``concession`` is the speaker's own (I/we, no subject, or an imperative: "sign today and I'll take 25%
      off") in a clause that is not negated — naming the other side's number ("when you say 30% over…") or
      refusing ("I can't do thirty percent") is none;
    - a next step or commitment ask counts as ``sparring.nlp.next_step.proposes_next_step`` says.
    """
    acts = set(reading.acts)
    clauses = list(reading.clauses)
    text = reading.text.strip()
    if acts & _REFLECTIONS and (_DIRECTIVE.match(text) or acts & {"advice", "pressure", "confront", "insult",
                                                                  "blame_label"}):
        acts -= _REFLECTIONS
    if "dismiss_need" in acts:
        about_you = [c for c in clauses if c.subject == "listener"]
        if not about_you or all(_RELIEF.search(c.text) for c in about_you):
            acts.discard("dismiss_need")
    if acts & (HOSTILE - {"dismiss_need", "pressure"}) and clauses and all(c.subject == "speaker" for c in clauses):
        acts -= HOSTILE - {"dismiss_need", "pressure"}
    if "concession" in acts:
        own = [c for c in clauses if (c.subject in ("speaker", "we", "none", "third") or _imperative(c))
               and not c.negated]
        if clauses and (not own or all(c.subject == "listener" and not _imperative(c) for c in clauses
                                       if not c.negated)):
            acts.discard("concession")
    if acts & NEXT_STEP_ACTS and not proposes_next_step(reading):
        acts -= NEXT_STEP_ACTS
    return frozenset(acts)


_YOU = re.compile(r"\b(you|your|yours|you're|you've|you'll|you'd)\b", re.IGNORECASE)


def _imperative(clause: Any) -> bool:
    """A clause the rules read as about the listener only because it gives an order ("Sign this week and I'll
    cut the price"): no "you" in it. The offer in it is the speaker's own."""
    return bool(clause.subject == "listener" and not _YOU.search(clause.text))


def concession_numbers(reading: Any, text: str) -> list[float]:
    """Percentages the speaker offers in ``text`` (one sentence): those in the clauses that carry the speaker's own,
    un-negated concession — not the other side's number being named back."""
    from sparring.scoring.segments import percentages

    if "concession" not in effective_acts(reading):
        return []
    own = [c for c in reading.clauses if c.subject != "listener" and not c.negated]
    found = [p for c in own for p in percentages(c.text)]
    return found if own else percentages(text)
