"""Similarity helpers of the embedded persona: the scenario's ``custom_moves`` (nearest example line), how close
a learner turn comes to the persona's own lines (is a question about this objection? which answer fits best?),
and the background warm-up that embeds a scenario's lines while the learner reads the opening.

What a learner turn *does* is read by the act model (``sparring.persona.listen`` over
``sparring.nlp.act_model``); this module only compares sentences with the offline MiniLM embeddings. Example
embeddings are computed once per process and cached; a new learner sentence costs a few milliseconds.
"""

from __future__ import annotations

import atexit
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sparring.content.scenario import Objection, Scenario

if TYPE_CHECKING:
    import numpy as np

#: an open question eases an objection only when it is at least this close to what the objection is about
RELEVANT_QUESTION = 0.25
#: a question this short that says "it", "that", "this" … follows up on the last thing said
FOLLOW_UP_MAX_WORDS = 8
#: beats whose line is chosen by how well it fits the learner's words (the others are varied by a hash)
RELEVANT_SITUATIONS = ("react:open-question", "react:value")
#: embedding budget per turn (sentences, and words per sentence)
EMBED_MAX_SENTENCES = 6
EMBED_MAX_WORDS = 28

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


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


def sentence_texts(text: str) -> list[str]:
    """The strings embedded for a learner turn (its sentences, bounded by ``_for_embedding``)."""
    return _for_embedding(split_sentences(text))


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
    """Load the models and embed every example and persona line now, so the first reply is as fast as the rest."""
    from sparring.nlp.act_model import read_act

    read_act("Hello, thanks for making the time.")
    for sc in scenarios or []:
        _custom_prototypes(sc)
        for o in sc.objections:
            _lines_matrix(objection_text(o))
            for lines in (o.answers, o.eased_lines):
                if lines:
                    _lines_matrix(tuple(lines))
        for situation in RELEVANT_SITUATIONS:
            beat_lines = tuple(line for b in sc.beats if b.situation == situation for line in b.lines)
            if beat_lines:
                _lines_matrix(beat_lines)
        if sc.knowledge:
            from sparring.persona.knowledge import warm_up as warm_knowledge
            from sparring.persona.told import warm_told

            warm_knowledge(sc)
            warm_told(sc)


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
    from sparring.nlp.clauses import parse_clause

    questions = [parse_clause(s).question for s in sentences]
    if len(sentences) > EMBED_MAX_SENTENCES:
        questions = [*questions[: EMBED_MAX_SENTENCES - 1], questions[-1]]
    vecs = embed(_for_embedding(sentences))
    return sorted(_nearest_custom(custom, vecs, questions))

