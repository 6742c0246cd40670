"""Utterance tagging: which conversational moves a turn makes (docs/scoring.md; issue 3 item 2).

Two layers, both offline and deterministic:

1. **Rules** (``sparring.scoring.lexicon``): phrase patterns for every tag in ``TAGS``.
2. **A small trained model** (``sparring.scoring.tagmodel``, weights in ``scoring/data/``) for the behaviours
   expert coders label in AnnoMI: question, reflection, information/advice ("therapist input"). It adds
   ``reflection_*`` / ``*_question`` when the rules found neither and the model is confident, and removes
   nothing the rules found. Its "therapist input" class is only exposed as a score (``tag_scores``): out of the
   MI domain it fires on nearly every statement. Without the weights file the rules work alone. The model also
   reads each utterance's sentence vectors (``sentence_vectors``): the scorer passes the ones it has; anything
   else is embedded here.

API: ``tag_text(text)``, ``tag_turns(conversation)`` (uses the previous turn as context, so a reflection is
recognised as a reflection *of something*), ``tag_scores(texts)`` for scorers that want graded evidence.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

import numpy as np

from sparring.conversation.model import Conversation
from sparring.scoring import lexicon as lx
from sparring.scoring.sentence_vectors import conversation_turn_vectors, utterance_vectors

TAGS: tuple[str, ...] = (
    "open_question",
    "closed_question",
    "reflection_simple",
    "reflection_complex",
    "acknowledgement",
    "empathy",
    "information",
    "advice",
    "proposal",
    "tradeoff",
    "concession",
    "discount",
    "commitment_ask",
    "next_step",
    "value_statement",
    "filler",
    "hedge",
    "pressure",
)

QUESTION_TAGS = frozenset({"open_question", "closed_question"})
REFLECTION_TAGS = frozenset({"reflection_simple", "reflection_complex"})

_PATTERNS = {
    "acknowledgement": lx.ACKNOWLEDGEMENT,
    "empathy": lx.EMPATHY,
    "information": lx.INFORMATION,
    "advice": lx.ADVICE,
    "proposal": lx.PROPOSAL,
    "tradeoff": lx.TRADEOFF,
    "concession": lx.CONCESSION,
    "discount": lx.DISCOUNT,
    "commitment_ask": lx.COMMITMENT_ASK,
    "next_step": lx.NEXT_STEP,
    "value_statement": lx.VALUE_STATEMENT,
    "hedge": lx.HEDGE,
    "pressure": lx.PRESSURE,
}

_OPEN_POLITE = lx._rx(
    r"^(?:and |so |okay,? )?(?:can|could|would|will) you (?:tell|say|describe|walk|talk|share|explain|"
    r"help me understand|give me a sense)\b"
)
_HOW_ABOUT = lx._rx(r"^(?:and |so )?(?:how|what) about\b")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in lx.SENTENCE_SPLIT.split(text) if s and s.strip()]


def _clauses(sentence: str) -> list[str]:
    """The sentence, then what follows each comma/colon/dash: "Hi Jo, um, what made you call?" asks "what ..."."""
    parts = [p.strip() for p in re.split(r"[,;:\u2013\u2014]|\s-+\s", sentence)]
    return [" ".join(p for p in parts[i:] if p) for i in range(len(parts)) if parts[i]]


def question_kind(sentence: str) -> str | None:
    """'open_question', 'closed_question' or None for one sentence. Without punctuation (ASR output) a sentence
    that starts like a question counts as one. A preface ("Hi Jo, um, ...") is skipped."""
    s = sentence.strip().strip('"“”')
    if not s:
        return None
    ends_q = s.endswith("?")
    unpunctuated = s[-1] not in ".!"
    for clause in _clauses(s) if ends_q else [s]:
        if lx.OPEN_IMPERATIVE.match(clause) or _OPEN_POLITE.match(clause):
            return "open_question"
        wh = bool(lx.QUESTION_WORD_START.match(clause))
        aux = bool(lx.CLOSED_START.match(clause))
        if not (wh or aux):
            continue
        if not ends_q and not unpunctuated:
            return None
        if lx.TAG_QUESTION.search(s) or _HOW_ABOUT.match(clause) or lx.NARROW_WH.match(clause):
            return "closed_question"
        return "open_question" if wh else "closed_question"
    return "closed_question" if ends_q else None


def reflection_kind(sentence: str) -> str | None:
    s = sentence.strip()
    if not s or s.endswith("?") or not lx.REFLECTION_START.match(s):
        return None
    return "reflection_complex" if lx.COMPLEX_MARKERS.search(s) or len(s.split()) > 22 else "reflection_simple"


def rule_tags(text: str) -> set[str]:
    """Tags the phrase rules find in ``text``."""
    tags: set[str] = set()
    if not text.strip():
        return tags
    for sent in sentences(text):
        q = question_kind(sent)
        if q:
            tags.add(q)
            continue
        r = reflection_kind(sent)
        if r:
            tags.add(r)
    if "reflection_complex" in tags:
        tags.discard("reflection_simple")
    for tag, pattern in _PATTERNS.items():
        if pattern.search(text):
            tags.add(tag)
    if lx.count_fillers(text):
        tags.add("filler")
    # "we could" / "let's" inside a question is still a proposal; advice phrased as a question is not advice
    if "advice" in tags and lx.ADVICE.search(text) and all(question_kind(s) for s in sentences(text)):
        tags.discard("advice")
    return tags


def _model_tags(
    texts: Sequence[str], previous: Sequence[str | None], following: Sequence[str | None],
    own: Sequence[str | None], vectors: np.ndarray | None,
) -> list[set[str]]:
    from sparring.scoring import tagmodel

    model = tagmodel.active_model()
    if model is None or not texts:
        return [set() for _ in texts]
    if model.needs_vectors and vectors is None:
        vectors = utterance_vectors(texts)
    probs = model.predict_proba(texts, previous, following, own, vectors)
    return [tagmodel.tags_from_probabilities(p, t) for p, t in zip(probs, texts, strict=True)]


def model_vectors(
    conversation: Conversation, roles: Collection[str] | None = None
) -> dict[int, np.ndarray] | None:
    """The sentence vectors of the turns (of ``roles``, default all) when the active tag model reads them (None
    otherwise): compute them once and pass them to ``tag_turns`` and ``telling_probabilities``."""
    from sparring.scoring import tagmodel

    model = tagmodel.active_model()
    wanted = [i for i, t in enumerate(conversation.turns) if roles is None or t.role in roles]
    if model is None or not model.needs_vectors or not wanted:
        return None
    return conversation_turn_vectors(conversation, wanted)


def _turn_vectors(
    conversation: Conversation, indexes: Sequence[int], given: Mapping[int, np.ndarray] | None
) -> np.ndarray | None:
    """The sentence vectors of the turns at ``indexes`` when the active model reads them (None otherwise):
    taken from ``given`` (the scorer's), the rest embedded here the same way."""
    from sparring.scoring import tagmodel

    model = tagmodel.active_model()
    if model is None or not model.needs_vectors or not indexes:
        return None
    have = dict(given or {})
    missing = [i for i in indexes if i not in have]
    if missing:
        have.update(conversation_turn_vectors(conversation, missing))
    return np.vstack([have[i] for i in indexes])


def _merge(rules: set[str], learned: set[str], text: str) -> frozenset[str]:
    tags = set(rules)
    # a confrontation or a piece of advice about the person ("You're in denial") is not a reflection
    if learned & REFLECTION_TAGS and not tags & (QUESTION_TAGS | REFLECTION_TAGS | {"pressure", "advice"}):
        kind = "reflection_complex" if lx.COMPLEX_MARKERS.search(text) or len(text.split()) > 22 else \
            "reflection_simple"
        tags.add(kind)
    if learned & QUESTION_TAGS and not tags & QUESTION_TAGS:
        tags |= learned & QUESTION_TAGS
    # the model's third class ("therapist input": information, advice, options, negotiation) is learned from MI
    # sessions and fires on almost any statement in sales talk, so it never adds a tag here; information and
    # advice come from the rules. Its probability is still offered by ``tag_scores``.
    return frozenset(tags)


def tag_texts(
    texts: Sequence[str],
    previous: Sequence[str | None] | None = None,
    following: Sequence[str | None] | None = None,
    own_previous: Sequence[str | None] | None = None,
    vectors: np.ndarray | None = None,
) -> list[frozenset[str]]:
    """Tags for many utterances at once (one model call); ``previous``/``following`` are the neighbouring turns
    by another speaker, ``own_previous`` the same speaker's previous turn, if any; ``vectors`` their sentence
    vectors (``sentence_vectors``; computed here when the model reads them and none are given)."""
    prev = list(previous) if previous is not None else [None] * len(texts)
    nxt = list(following) if following is not None else [None] * len(texts)
    own = list(own_previous) if own_previous is not None else [None] * len(texts)
    learned = _model_tags(texts, prev, nxt, own, vectors)
    return [_merge(rule_tags(t), m, t) for t, m in zip(texts, learned, strict=True)]


def tag_text(text: str) -> frozenset[str]:
    """The tags of one utterance without context."""
    return tag_texts([text])[0]


def tag_turns(
    conversation: Conversation, roles: Collection[str] | None = None, vectors: Mapping[int, np.ndarray] | None = None
) -> list[frozenset[str]]:
    """One tag set per turn, in order. Each turn is read with the turns by another speaker just before and just
    after it as context (a reflection follows client talk and is usually confirmed).

    ``roles`` (e.g. ``{"learner"}``) tags only the turns of those roles; the others get an empty set. The
    embedded scorer reads learner tags only, and tagging the counterpart's turns too cost it half the tagging
    time. ``vectors`` (turn index -> sentence vector) are the ones the scorer already computed; the trained model
    reads them, and any turn without one is embedded here (``sentence_vectors.conversation_turn_vectors``)."""
    previous, following = neighbours(conversation)
    own = own_previous(conversation)
    turns = conversation.turns
    wanted = [i for i, t in enumerate(turns) if roles is None or t.role in roles]
    tagged = tag_texts([turns[i].text for i in wanted], [previous[i] for i in wanted],
                       [following[i] for i in wanted], [own[i] for i in wanted],
                       _turn_vectors(conversation, wanted, vectors))
    out: list[frozenset[str]] = [frozenset()] * len(turns)
    for i, tags in zip(wanted, tagged, strict=True):
        out[i] = tags
    return out


def telling_probabilities(
    conversation: Conversation, indexes: Sequence[int], vectors: Mapping[int, np.ndarray] | None = None
) -> list[float]:
    """For the turns at ``indexes``: the trained model's probability that the turn *tells* (gives information,
    advice, options) rather than asks, reflects or just keeps the conversation going. 0.0 without a model.
    ``vectors`` as for ``tag_turns``."""
    from sparring.scoring import tagmodel

    model = tagmodel.active_model()
    if model is None or not indexes:
        return [0.0 for _ in indexes]
    previous, following = neighbours(conversation)
    own = own_previous(conversation)
    turns = conversation.turns
    probs = model.predict_proba([turns[i].text for i in indexes], [previous[i] for i in indexes],
                                [following[i] for i in indexes], [own[i] for i in indexes],
                                _turn_vectors(conversation, indexes, vectors))
    col = tagmodel.LABELS.index("therapist_input")
    return [round(float(p[col]), 4) for p in probs]


def own_previous(conversation: Conversation) -> list[str | None]:
    """For each turn, the same speaker's previous turn (None for their first)."""
    last: dict[str, str] = {}
    out: list[str | None] = []
    for t in conversation.turns:
        out.append(last.get(t.speaker))
        last[t.speaker] = t.text
    return out


def neighbours(conversation: Conversation) -> tuple[list[str | None], list[str | None]]:
    """For each turn, the nearest earlier and the nearest later turn by a different speaker (None at the edges)."""
    turns = conversation.turns
    previous: list[str | None] = []
    current: str | None = None
    for i, t in enumerate(turns):
        if i and turns[i - 1].speaker != t.speaker:
            current = turns[i - 1].text
        previous.append(current)
    following: list[str | None] = [None] * len(turns)
    current = None
    for i in range(len(turns) - 1, -1, -1):
        if i + 1 < len(turns) and turns[i + 1].speaker != turns[i].speaker:
            current = turns[i + 1].text
        following[i] = current
    return previous, following


def tag_scores(texts: Sequence[str], previous: Sequence[str | None] | None = None) -> list[dict[str, float]]:
    """A 0..1 score per tag for each text: 1.0 where a rule fired, else the trained model's probability for the
    tags it knows (questions, reflections, information), else 0.0."""
    from sparring.scoring import tagmodel

    prev = list(previous) if previous is not None else [None] * len(texts)
    model = tagmodel.active_model()
    probs = None
    if model is not None and texts:
        probs = model.predict_proba(texts, prev, vectors=utterance_vectors(texts) if model.needs_vectors else None)
    out: list[dict[str, float]] = []
    for i, text in enumerate(texts):
        rules = rule_tags(text)
        scores = {tag: (1.0 if tag in rules else 0.0) for tag in TAGS}
        if probs is not None:
            for tag, value in tagmodel.tag_probabilities(probs[i], text).items():
                scores[tag] = max(scores[tag], round(value, 4))
        out.append(scores)
    return out
