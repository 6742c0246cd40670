"""Conversation metrics, one library for practice reps and real calls (docs/metrics.md defines each one).

The learner (role ``learner``) is the rep; the counterpart is everyone with role ``counterpart``. Metrics that
need timing (``*_seconds``, ``interactivity``, ``patience_seconds``, ``words_per_minute``, ``interruptions``,
``question_rate_per_minute``) are only present when ``conversation.timed`` is true: a missing key means "not
available", never an invented number. Ratios that have no denominator (no questions asked, no learner words)
are ``None``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from sparring.conversation.model import Conversation, Turn
from sparring.scoring.lexicon import count_fillers
from sparring.scoring.tagging import QUESTION_TAGS, REFLECTION_TAGS, telling_probabilities

MetricValue = float | int | None

#: a learner turn *tells* (MI: "therapist input"; sales: pitching) when it is tagged information or advice, or the
#: trained model gives it at least this probability of telling and it is neither a question nor a reflection
TELLING_TAGS = frozenset({"information", "advice"})
TELLING_THRESHOLD = 0.5

#: a turn that starts this many seconds or more before the previous speaker's turn ended is an interruption;
#: caption timing is rounded, so smaller overlaps are ignored
INTERRUPTION_OVERLAP_SECONDS = 0.25

#: keys only present when the conversation is timed
TIMED_METRICS: frozenset[str] = frozenset({
    "longest_monologue_seconds",
    "longest_counterpart_story_seconds",
    "interactivity",
    "patience_seconds",
    "words_per_minute",
    "interruptions",
    "question_rate_per_minute",
    "duration_seconds",
})


def _runs(turns: Sequence[Turn], role: str) -> list[list[Turn]]:
    """Maximal stretches of consecutive turns by one speaker of ``role`` (a monologue split over several turns
    counts once; another speaker's turn ends it)."""
    runs: list[list[Turn]] = []
    current: list[Turn] = []
    for t in turns:
        if t.role == role and current and current[-1].speaker == t.speaker:
            current.append(t)
            continue
        if current:
            runs.append(current)
        current = [t] if t.role == role else []
    if current:
        runs.append(current)
    return runs


def _longest(turns: Sequence[Turn], role: str, timed: bool) -> tuple[int, float | None]:
    runs = _runs(turns, role)
    words = max((sum(t.words for t in r) for r in runs), default=0)
    if not timed:
        return words, None
    seconds = max(((r[-1].end or 0.0) - (r[0].start or 0.0) for r in runs), default=0.0)
    return words, round(max(seconds, 0.0), 2)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def compute_metrics(
    conversation: Conversation, tags: Sequence[frozenset[str]] | None = None,
    vectors: Mapping[int, np.ndarray] | None = None,
) -> dict[str, MetricValue]:
    """All metrics of ``sparring.content.rubric.METRIC_NAMES`` that apply, plus a few counts
    (``learner_turns``, ``learner_words``, ``counterpart_words``, ``reflection_count``).

    ``tags`` are the per-turn tags from ``tag_turns`` (computed here when not given); ``vectors`` the learner
    turns' sentence vectors when the caller has them (see ``tag_turns``)."""
    turns = conversation.turns
    if tags is None:
        from sparring.scoring.tagging import model_vectors, tag_turns

        # only the learner's tags are read below
        vectors = vectors if vectors is not None else model_vectors(conversation, roles={"learner"})
        tags = tag_turns(conversation, roles={"learner"}, vectors=vectors)
    if len(tags) != len(turns):
        raise ValueError(f"tags has {len(tags)} entries for {len(turns)} turns")
    learner = [t for t in turns if t.role == "learner"]
    learner_tags = [tags[t.index] if t.index < len(tags) else frozenset() for t in learner]
    learner_words = sum(t.words for t in learner)
    counterpart_words = sum(t.words for t in turns if t.role == "counterpart")
    total_words = sum(t.words for t in turns)

    questions = sum(1 for tg in learner_tags if tg & QUESTION_TAGS)
    open_q = sum(1 for tg in learner_tags if "open_question" in tg)
    closed_q = sum(1 for tg in learner_tags if "closed_question" in tg)
    reflections = sum(1 for tg in learner_tags if tg & REFLECTION_TAGS)
    telling_p = telling_probabilities(conversation, [t.index for t in learner], vectors)
    telling = sum(
        1 for tg, p in zip(learner_tags, telling_p, strict=True)
        if tg & TELLING_TAGS or (p >= TELLING_THRESHOLD and not tg & (QUESTION_TAGS | REFLECTION_TAGS))
    )
    fillers = sum(count_fillers(t.text) for t in learner)

    timed = conversation.timed
    mono_words, mono_secs = _longest(turns, "learner", timed)
    story_words, story_secs = _longest(turns, "counterpart", timed)

    out: dict[str, MetricValue] = {
        "talk_share": _round(learner_words / total_words) if total_words else None,
        "longest_monologue_words": mono_words,
        "longest_counterpart_story_words": story_words,
        "question_count": questions,
        "question_rate": _round(questions / len(learner)) if learner else None,
        "open_question_share": _round(open_q / (open_q + closed_q)) if open_q + closed_q else None,
        "filler_rate": _round(100.0 * fillers / learner_words) if learner_words else None,
        # with no questions the ratio is the reflection count (R / max(Q, 1)), as MITI summary tools do
        "reflection_to_question_ratio": _round(reflections / max(questions, 1)) if learner else None,
        "telling_share": _round(telling / len(learner)) if learner else None,
        "learner_turns": len(learner),
        "learner_words": learner_words,
        "counterpart_words": counterpart_words,
        "reflection_count": reflections,
    }
    if timed:
        out.update(_timed_metrics(conversation, learner, questions, mono_secs, story_secs))
    return out


def _timed_metrics(
    conversation: Conversation, learner: list[Turn], questions: int, mono_secs: float | None, story_secs: float | None
) -> dict[str, MetricValue]:
    turns = conversation.turns
    start = min(t.start or 0.0 for t in turns)
    end = max(t.end or 0.0 for t in turns)
    duration = max(end - start, 0.0)
    minutes = duration / 60.0
    switches = sum(1 for a, b in itertools.pairwise(turns) if a.speaker != b.speaker)
    pauses: list[float] = []
    interruptions = 0
    for prev, cur in itertools.pairwise(turns):
        if cur.role != "learner" or prev.speaker == cur.speaker:
            continue
        gap = (cur.start or 0.0) - (prev.end or 0.0)
        if prev.role == "counterpart":
            pauses.append(max(gap, 0.0))
        if gap <= -INTERRUPTION_OVERLAP_SECONDS:
            interruptions += 1
    speaking = sum(max((t.end or 0.0) - (t.start or 0.0), 0.0) for t in learner)
    learner_words = sum(t.words for t in learner)
    return {
        "duration_seconds": round(duration, 2),
        "longest_monologue_seconds": mono_secs,
        "longest_counterpart_story_seconds": story_secs,
        "interactivity": _round(switches / minutes, 3) if minutes > 0 else None,
        "patience_seconds": _round(sum(pauses) / len(pauses), 3) if pauses else None,
        "words_per_minute": _round(learner_words / (speaking / 60.0), 2) if speaking > 0 else None,
        "interruptions": interruptions,
        "question_rate_per_minute": _round(questions / minutes, 3) if minutes > 0 else None,
    }
