"""Learner move classifier: what did the learner *do* in a turn (ask, acknowledge, concede, push …)?

Rules find the clear-cut cases (question forms, concession and pressure phrases, numbers next to value words);
offline sentence embeddings add recall for varied phrasing (nearest example line per move, see
``data/move_prototypes.yaml``) and recognise a scenario's own ``custom_moves``. The move vocabulary is
``sparring.content.scenario.MOVES`` and is documented in docs/content-format.md.

Deterministic: the same text and scenario always give the same moves. Example embeddings are computed once
per process and cached; a new learner sentence costs a few milliseconds.
"""

from __future__ import annotations

import atexit
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from sparring.content.scenario import MOVES, Objection, Scenario

if TYPE_CHECKING:
    import numpy as np

PROTOTYPES_PATH = Path(__file__).parent / "data" / "move_prototypes.yaml"

#: a learner turn longer than this many words talks over the counterpart
MONOLOGUE_WORDS = 80
#: an open question eases an objection only when it is at least this close to what the objection is about
RELEVANT_QUESTION = 0.25
#: a question this short that says "it", "that", "this" … follows up on the last thing said
FOLLOW_UP_MAX_WORDS = 8
#: a bare "Why?" or "How so?" keeps the talk going but does not explore anything
OPEN_MIN_WORDS = 3
#: beats whose line is chosen by how well it fits the learner's words (the others are varied by a hash)
RELEVANT_SITUATIONS = ("react:open-question", "react:value")
#: a what/how/when … sentence without a question mark this long is a statement ("When we looked at the data, …")
OPEN_UNMARKED_MAX_WORDS = 12
#: embedding budget per turn (sentences, and words per sentence)
EMBED_MAX_SENTENCES = 6
EMBED_MAX_WORDS = 28
#: below this similarity to everything the scenario is about, a move-less turn is off-topic
OFF_TOPIC_SIMILARITY = 0.18

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_OPEN_START = re.compile(
    r"^(?:so,?\s+|and\s+|but\s+|okay,?\s+|ok,?\s+|right,?\s+|well,?\s+)?"
    r"(?:what|how(?! about)|why|which|who|where|when|in what way|tell me|walk me|talk me|describe|help me understand|"
    r"(?:can|could|would) you (?:tell|walk|talk|describe|say more|help me understand|share)|"
    r"say more|i'm curious|i am curious|i'd love to hear|i'd like to understand)\b"
)
_WH_WORD = re.compile(
    r"^(?:so,?\s+|and\s+|but\s+|okay,?\s+|ok,?\s+|right,?\s+|well,?\s+)?(?:what|how|why|which|who|where|when)\b"
)
#: an open question after a lead-in clause: "So it fits, what made you pick up the guide?"
_LATE_WH = re.compile(r"[,;:\u2014-]\s*(?:and\s+|so\s+|but\s+)?(?:what|how(?! about)|why|which|who|where|when)\b")
_CLOSED_START = re.compile(
    r"^(?:so,?\s+|and\s+|but\s+|okay,?\s+|ok,?\s+|right,?\s+)?"
    r"(?:is|are|do|does|did|can|could|would|will|have|has|had|should|shall|was|were|isn't|aren't|don't|won't)\b"
)
_RULES: dict[str, re.Pattern[str]] = {
    "acknowledge": re.compile(
        r"\b(?:i hear you|i hear that|i understand|that makes sense|fair (?:point|enough|question|concern)|"
        r"i appreciate|thank(?:s| you) for (?:telling|being|sharing|raising|saying|your honesty|the honesty)|"
        r"you're right|you are right|good point|i get (?:it|that|why)|understood|"
        r"that's (?:a )?(?:fair|reasonable|legitimate|real|valid)|point taken|that's on me|i should have|"
        r"(?:my|our) (?:fault|mistake|failure)|i own that|you have every right|i'm accountable|i am accountable|"
        r"i take (?:full |the )?responsibility|i'll answer for)\b"
    ),
    "reflect": re.compile(
        r"\b(?:it sounds like|sounds like you|so you're|so you are|so you feel|what i'm hearing|what i hear|"
        r"if i (?:understand|hear) (?:you )?(?:correctly|right)|you feel|you're feeling|you seem|"
        r"on (?:the )?one hand|part of you|you're (?:worried|concerned|saying|torn)|so what matters|"
        r"so the real|so for you|you'd like to|you want to make sure|so you'd|so you would|"
        r"you'd be the one|you're the one|so it's (?:about|less about|more about|not about)|"
        r"from where you(?:'re| are) (?:sitting|standing)|the way you see it|as you see it|"
        r"^so you(?:'ve| have| had| think| see))\b"
    ),
    "empathise": re.compile(
        r"\b(?:that must (?:be|have been|weigh|hurt|sting|feel)|(?:i'm|i am) (?:\w+ )?sorry|i can imagine|"
        r"i can see why|no wonder|"
        r"that's (?:hard|tough|frustrating|difficult|stressful|a lot|awful|rough)|"
        r"that sounds (?:\w+ )?(?:worrying|hard|tough|frustrating|difficult|stressful|exhausting|scary|awful|painful)|"
        r"i'd be (?:upset|frustrated|angry|annoyed) too|i would be (?:upset|frustrated|angry) too)\b"
    ),
    "trade-off": re.compile(
        r"\b(?:in exchange|in return|on condition|provided that|as long as you|trade[- ]off|"
        r"if (?:you|your)\b[^.?!]*\b(?:we|i|my \w+|our \w+) (?:can|could|would|will)\b|"
        r"if (?:you|your)\b[^.?!]*\b(?:we'll|i'll)|"
        r"if (?:we|i) [^.?!]*,? (?:would|will|could|can) you|"
        r"what if we [^.?!]*(?:and|if) you|"
        r"if we (?:phase|stage|split) |"
        r"if we (?:move|go|switch|commit|sign|agree|extend|renew|lock|bundle|take|add|drop|shift|phase|start|keep|"
        r"run)\b"
        r"[^.?!]*\b(?:(?:i|we) (?:can|could|would|will)|that's|that is|you'd|you get|you save)\b|"
        r"if we [^.?!]*\b(?:i'll|we'll|i'd|we'd)\b)\b"
    ),
    "concession": re.compile(
        r"\b(?:(?:give|offer|offering|throw in|apply|extend|get you|can do|could do|we'll do|i'll do)\b[^.?!]{0,25}"
        r"\bdiscount|\d+ ?(?:%|percent|per cent) (?:off|discount)|discount of \d|"
        r"(?:lower|drop|cut|reduce|slash) (?:the|our|my) (?:price|fee|rate)|"
        r"waive|for free|at no (?:extra )?(?:cost|charge)|match (?:their|that|the) (?:price|quote|offer)|"
        r"knock (?:off|\d)|cheaper for you|give you \d|forget (?:i said|i mentioned|it|about it)|never ?mind|"
        r"let's drop it|it's not a big deal|it doesn't matter|i'll let it go|we'll do it your way|"
        r"i'll just do it myself|whatever you (?:want|prefer)|you can have (?:it|whatever)|i'll back off|"
        r"we can skip (?:it|that)|i'll take it off|"
        r"(?:okay|ok|fine|alright|all right|so),? \d+ ?(?:%|percent|per cent)(?: off)?,? then|"
        r"(?:make it|go to|down to|stretch to) \d+ ?(?:%|percent|per cent)|"
        r"if that's what (?:you|they|he|she|the \w+) (?:want|wants|need|needs|prefer|prefers))\b"
    ),
    "pressure": re.compile(
        r"\b(?:final offer|take it or leave it|today only|"
        r"sign (?:today|now|this week)|no choice|i insist|just (?:do it|sign|accept|agree|say yes|stop|get on)|"
        r"end of (?:the )?(?:quarter|month)|stop making excuses|bottom line is|non-negotiable|"
        r"whether you like it|or else|i need an answer (?:now|today)|last chance)\b"
    ),
    "advise": re.compile(
        r"\b(?:you should|you shouldn't|i (?:would|'d) (?:recommend|suggest|advise)|have you tried|why don't you|"
        r"my advice|the best thing (?:you|to do)|what you need to do|you could try|if i were you)\b"
    ),
    "ask-commitment": re.compile(
        r"\b(?:can we agree|will you (?:commit|sign|agree|renew|go ahead)|are you (?:ready|willing|happy) to|"
        r"shall we (?:go ahead|proceed|move forward)|do we have a deal|can i count on|would you be willing|"
        r"can you commit|are we agreed|let's (?:move forward|go ahead|agree)|do you want to (?:go ahead|move forward)|"
        r"would you agree|are you open to|could we agree|would you (?:be )?(?:up for|open to)|"
        r"(?:can|could|will) you (?:sign|promise|guarantee|commit))\b"
    ),
    "next-step": re.compile(
        r"\b(?:next step|first step|follow[- ]up|let's (?:schedule|set up|book|meet|put|get)|calendar|"
        r"set up (?:a|the) (?:call|meeting|time|session|review)|(?:i'll|i will|let me) send you|"
        r"by (?:monday|tuesday|wednesday|thursday|friday|next week|end of)|next (?:week|meeting|time we meet)|"
        r"check in|what will you do|one small thing|what might you try|plan for|pilot|a trial|"
        r"how about (?:i|we)\b|(?:i|we) (?:can|could|will|'ll) (?:write|send|join|set up|schedule|book)\b|"
        r"(?:i'll|i will|let me) (?:write|put together|draft|share)|"
        r"(?:meet|talk|speak) again|walk (?:\w+ ){1,3}through|put (?:some )?time in|"
        r"(?:this|next) (?:monday|tuesday|wednesday|thursday|friday)|(?:go|head|take it) from here|"
        r"(?:can|could|shall) we (?:meet|book|set up|get together|sit down|go over|go through|present|review|"
        r"schedule|bring))\b"
    ),
}
_VALUE_WORDS = re.compile(
    r"\b(?:sav(?:e|ed|es|ing)|cut|reduc\w*|fell|fewer|less|more|grew|increase\w*|return|roi|hours?|days?|weeks?|"
    r"revenue|cost|churn|no-shows?|errors?|time|per (?:week|month|year)|value|outcome|impact|results?)\b"
)
_NUMBER = re.compile(r"(?:\$|€|£)?\d[\d,.]*\s?(?:%|percent|per cent|k\b|x\b)?")
_VALUE_PHRASES = re.compile(
    r"\b(?:which means|so that|that means|the value|the outcome|the impact|helps you|what you get|"
    r"protects|pays for itself|pays back|payback|worth it because|the reason it matters|"
    r"(?:so|which means|that way) (?:your|the|you) (?:[\w-]+ ){0,2}"
    r"(?:would|wouldn't|won't|don't|never|can|can't|keep|save|avoid|stop|get))\b"
)
#: "you need to …" pushes, unless it mirrors what the speaker has to do for someone else, or follows an
#: acknowledgement without a "but" ("That makes sense, you need to show real savings.")
_SOFT_PRESSURE = re.compile(r"\byou (?:really |just )?(?:need|have|must|ought|got) to\b|\byou've got to\b")
_MIRRORED_NEED = re.compile(
    r"\byou (?:really )?(?:need|have|must|ought|got) to (?:show|prove|justify|defend|explain|answer|report|bring|"
    r"take|find|save|cut|deliver|go back|walk in|get (?:this|it|something) past)\b(?! me\b| us\b| it to me\b)"
)
_WE_ASK = re.compile(r"^(?:so,?\s+|and\s+|then,?\s+)?(?:(?:can|could|shall|should) we|let's|how about)\b")
_WHEN = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|tomorrow|next week|this week|in two weeks|"
    r"\d{1,2}(?::\d\d)? ?(?:am|pm)|at \d{1,2}\b)"
)
_CONTRAST = re.compile(r"\b(?:but|however|still|anyway)\b")


def embed(texts: list[str]) -> np.ndarray:
    """The sentence embeddings (``sparring.nlp.embeddings.embed``). Imported on first use: numpy and the ONNX
    runtime are not needed for a rep's opening line, and importing them up front slows the CLI's cold start."""
    from sparring.nlp.embeddings import embed as _embed

    return _embed(texts)


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_END.split(text.strip())]
    return [p for p in parts if p]


@dataclass(frozen=True)
class _Prototypes:
    names: tuple[str, ...]
    matrix: np.ndarray  # (K, 384)
    thresholds: dict[str, float]
    #: moves whose examples are all statements: never read into a question ("Which clinics use it?" is not
    #: an offer to roll it out, however close the words)
    statements_only: frozenset[str] = frozenset()
    #: and moves whose examples are all questions ("asks-about-usage") are never read into a statement
    questions_only: frozenset[str] = frozenset()


#: one lock for every cache below, so a background warm-up and a reply never embed the same lines twice
_LOCK = threading.RLock()


def _builtin_prototypes() -> _Prototypes:
    with _LOCK:
        return _load_builtin_prototypes()


@lru_cache(maxsize=1)
def _load_builtin_prototypes() -> _Prototypes:
    data = yaml.safe_load(PROTOTYPES_PATH.read_text(encoding="utf-8"))
    names: list[str] = []
    lines: list[str] = []
    for move, examples in data["prototypes"].items():
        if move not in MOVES:
            raise ValueError(f"{PROTOTYPES_PATH}: prototypes.{move}: unknown move")
        for ex in examples:
            names.append(move)
            lines.append(ex)
    return _Prototypes(tuple(names), embed(lines), {k: float(v) for k, v in data["thresholds"].items()})


_custom_cache: dict[tuple[tuple[str, tuple[str, ...], float], ...], _Prototypes] = {}
_context_cache: dict[tuple[str, ...], np.ndarray] = {}


def _custom_prototypes(scenario: Scenario) -> _Prototypes | None:
    if not scenario.custom_moves:
        return None
    key = tuple((name, tuple(m.examples), m.threshold) for name, m in sorted(scenario.custom_moves.items()))
    hit = _custom_cache.get(key)
    if hit is not None:
        return hit
    with _LOCK:
        cached = _custom_cache.get(key)
        if cached is not None:
            return cached
        names = [name for name, m in sorted(scenario.custom_moves.items()) for _ in m.examples]
        lines = [ex for _, m in sorted(scenario.custom_moves.items()) for ex in m.examples]
        thresholds = {name: m.threshold for name, m in scenario.custom_moves.items()}
        statements = frozenset(
            name for name, m in scenario.custom_moves.items() if not any(ex.rstrip().endswith("?") for ex in m.examples)
        )
        questions = frozenset(
            name for name, m in scenario.custom_moves.items() if all(ex.rstrip().endswith("?") for ex in m.examples)
        )
        hit = _Prototypes(tuple(names), embed(lines), thresholds, statements, questions)
        _custom_cache[key] = hit
    return hit


def _context(scenario: Scenario) -> np.ndarray:
    """Embeddings of what the scenario is about (brief, objectives, persona facts, objections)."""
    texts = [*split_sentences(scenario.brief), *scenario.objectives, *scenario.persona.background,
             *scenario.persona.hidden_agenda, *scenario.opening_lines]
    for o in scenario.objections:
        texts.extend(o.lines)
    for cm in scenario.custom_moves.values():
        texts.extend(cm.examples)
    key = tuple(texts)  # an edited scenario gets a fresh context
    hit = _context_cache.get(key)
    if hit is not None:
        return hit
    with _LOCK:
        hit = _context_cache.get(key)
        if hit is None:
            hit = embed(texts)
            _context_cache[key] = hit
    return hit


def _rule_moves(sentence: str) -> set[str]:
    s = sentence.lower().replace("’", "'")
    found: set[str] = set()
    stripped = s.strip()
    words = len(stripped.split())
    asked = stripped.endswith("?")
    if (
        _OPEN_START.search(stripped)
        and words >= OPEN_MIN_WORDS
        and (asked or words <= OPEN_UNMARKED_MAX_WORDS or not _WH_WORD.match(stripped))
    ) or (asked and _LATE_WH.search(stripped)):
        found.add("open-question")
    elif stripped.endswith("?") or (_CLOSED_START.search(stripped) and len(stripped.split()) <= 15):
        found.add("closed-question")  # a yes/no question, typed with or without its question mark
    for move, pattern in _RULES.items():
        if pattern.search(s):
            found.add(move)
    if _WE_ASK.search(stripped) and _WHEN.search(s):
        found.add("next-step")  # "Can we put both options to the team on Wednesday?"
    if _SOFT_PRESSURE.search(s) and "pressure" not in found:
        if not _CONTRAST.search(s) and (_MIRRORED_NEED.search(s) or found & {"acknowledge", "empathise", "reflect"}):
            found.add("reflect")
        else:
            found.add("pressure")
    if "reflect" in found:
        found -= {"pressure", "advise"}  # "it sounds like you need to …" mirrors the speaker; it does not push
    if "trade-off" in found and "concession" in found:
        found.discard("concession")  # a conditional give is a trade, not a give-away
    if "concession" not in found and _NUMBER.search(s) and _VALUE_WORDS.search(s):
        found.add("quantified-value")
    if _VALUE_PHRASES.search(s):
        found.add("value-statement")
    return found


def _nearest(protos: _Prototypes, vecs: np.ndarray) -> set[str]:
    sims = vecs @ protos.matrix.T  # (S, K)
    found: set[str] = set()
    best = sims.max(axis=0)
    for k, name in enumerate(protos.names):
        if best[k] >= protos.thresholds.get(name, 0.65):
            found.add(name)
    return found


def _nearest_custom(protos: _Prototypes, vecs: np.ndarray, questions: list[bool]) -> set[str]:
    """Scenario moves, at most one per sentence: the closest one above its threshold. Two custom moves are two
    intents ("explains what went wrong" vs "blames the bank"); one sentence is read as the one it is closest to.
    A move whose examples are all statements is never read into a question, nor one of questions into a
    statement."""
    sims = vecs @ protos.matrix.T  # (S, K)
    found: set[str] = set()
    for i, is_question in enumerate(questions):
        best: tuple[float, str] | None = None
        for k, name in enumerate(protos.names):
            score = float(sims[i, k])
            if name in (protos.statements_only if is_question else protos.questions_only):
                continue
            if score >= protos.thresholds.get(name, 0.65) and (best is None or score > best[0]):
                best = (score, name)
        if best is not None:
            found.add(best[1])
    return found


def _for_embedding(sentences: list[str]) -> list[str]:
    """Bound the embedding work of a long turn: the opening words of each sentence carry its intent, and a
    monologue is already a move of its own (the rules still read every word)."""
    if len(sentences) > EMBED_MAX_SENTENCES:
        sentences = [*sentences[: EMBED_MAX_SENTENCES - 1], sentences[-1]]
    return [" ".join(s.split()[:EMBED_MAX_WORDS]) for s in sentences]


def classify(text: str, scenario: Scenario | None = None) -> list[str]:
    """The moves a learner turn makes, built-in moves first (in vocabulary order), then custom moves."""
    sentences = split_sentences(text)
    if not sentences:
        return []
    found: set[str] = set()
    questions: list[bool] = []
    for sentence in sentences:
        moves = _rule_moves(sentence)
        found |= moves
        questions.append(bool(moves & {"open-question", "closed-question"}))
    vecs = embed(_for_embedding(sentences))
    if len(sentences) > EMBED_MAX_SENTENCES:  # the same selection as _for_embedding
        questions = [*questions[: EMBED_MAX_SENTENCES - 1], questions[-1]]
    embedded = _nearest(_builtin_prototypes(), vecs)
    # the embedding never overrides a clear rule: no pressure/advice read into a question or a conditional offer
    if found & {"open-question", "trade-off", "reflect"}:
        embedded -= {"pressure", "advise"}
    found |= embedded
    if scenario is not None:
        custom = _custom_prototypes(scenario)
        if custom is not None:
            found |= _nearest_custom(custom, vecs, questions)
    if len(text.split()) > MONOLOGUE_WORDS:
        found.add("monologue")
    if (
        scenario is not None
        and found <= {"open-question", "closed-question"}
        and float((vecs @ _context(scenario).T).max()) < OFF_TOPIC_SIMILARITY
    ):
        found.add("off-topic")
    builtin = [m for m in MOVES if m in found]
    custom_found = sorted(m for m in found if m not in MOVES)
    return builtin + custom_found


_lines_cache: dict[tuple[str, ...], np.ndarray] = {}


def _lines_matrix(lines: tuple[str, ...]) -> np.ndarray:
    hit = _lines_cache.get(lines)
    if hit is not None:
        return hit
    with _LOCK:
        hit = _lines_cache.get(lines)
        if hit is None:
            hit = embed(list(lines))
            _lines_cache[lines] = hit
    return hit


def objection_text(objection: Objection) -> tuple[str, ...]:
    return (*objection.lines, *objection.pressing_lines, *objection.eased_lines)


_FOLLOW_UP = re.compile(r"\b(?:it|that|this)\b")


def is_follow_up(text: str) -> bool:
    """A short question that points back at what was just said ("What's been hardest about it?"): it is about
    the last thing the persona said, even though it shares no words with it."""
    words = text.lower().split()
    return len(words) <= FOLLOW_UP_MAX_WORDS and bool(_FOLLOW_UP.search(" ".join(words)))


def relevance(text: str, lines: tuple[str, ...]) -> float:
    """How close a learner turn comes to a set of persona lines (max cosine over sentences and lines)."""
    sentences = split_sentences(text)
    if not sentences or not lines:
        return 0.0
    vecs = embed(_for_embedding(sentences))
    return float((vecs @ _lines_matrix(lines).T).max())


def similarities(text: str, lines: tuple[str, ...]) -> list[float]:
    """For each line, how close the learner turn comes to it (max cosine over the turn's sentences)."""
    sentences = split_sentences(text)
    if not sentences or not lines:
        return [0.0] * len(lines)
    vecs = embed(_for_embedding(sentences))
    return [float(x) for x in (vecs @ _lines_matrix(lines).T).max(axis=0)]


def warm_up(scenarios: list[Scenario] | None = None) -> None:
    """Load the model and embed every example line now, so the first reply is as fast as the rest."""
    _builtin_prototypes()
    for sc in scenarios or []:
        _custom_prototypes(sc)
        _context(sc)
        for o in sc.objections:
            _lines_matrix(objection_text(o))
            for lines in (o.answers, o.eased_lines):
                if lines:
                    _lines_matrix(tuple(lines))
        for situation in RELEVANT_SITUATIONS:
            beat_lines = tuple(line for b in sc.beats if b.situation == situation for line in b.lines)
            if beat_lines:
                _lines_matrix(beat_lines)


_warming: set[str] = set()


#: the background warm-up starts this long after the opening, so it does not compete with printing it
WARM_UP_DELAY_S = 0.3


def warm_up_in_background(scenario: Scenario) -> None:
    """Run ``warm_up([scenario])`` on a daemon thread (once per scenario and process) while the learner reads
    the opening line. Errors surface later, on the first reply, where they are reported properly."""
    with _LOCK:
        if scenario.id in _warming:
            return
        _warming.add(scenario.id)

    def run() -> None:
        try:
            warm_up([scenario])
        except Exception:  # the reply path loads the same things and raises the real error
            return

    timer = threading.Timer(WARM_UP_DELAY_S, run)
    timer.name, timer.daemon = f"sparring-warm-up-{scenario.id}", True
    with _LOCK:
        if not _timers:
            atexit.register(_stop_warm_ups)
        _timers.append(timer)
    timer.start()


_timers: list[threading.Timer] = []


def _stop_warm_ups() -> None:
    """At exit: cancel warm-ups that have not started and wait for a running one, because tearing down the
    interpreter under a running ONNX session aborts the process."""
    for timer in list(_timers):
        timer.cancel()
        timer.join()


def custom_moves(text: str, scenario: Scenario) -> list[str]:
    """The scenario's ``custom_moves`` a learner turn makes (similarity to their examples, at most one per
    sentence; see ``_nearest_custom``)."""
    custom = _custom_prototypes(scenario)
    sentences = split_sentences(text)
    if custom is None or not sentences:
        return []
    questions = [bool(_rule_moves(s) & {"open-question", "closed-question"}) for s in sentences]
    if len(sentences) > EMBED_MAX_SENTENCES:
        questions = [*questions[: EMBED_MAX_SENTENCES - 1], questions[-1]]
    vecs = embed(_for_embedding(sentences))
    return sorted(_nearest_custom(custom, vecs, questions))

