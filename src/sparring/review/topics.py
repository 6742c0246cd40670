"""Objections by meaning: a counterpart sentence that pushes back on price, a competitor, timing, authority or need
in words no cue of review/data/cues.yaml lists (docs/moments.md, "Objections by meaning").

    from sparring.review.topics import load_prototypes, topics_by_meaning
    topics_by_meaning(["Anything over fifty grand, that's my brother's call."])   # [("authority", 0.61)]

Each sentence with a ``pushback`` marker (a contrast, negation, limit or comparison: the cost stays on sentences
that may push back) is embedded (``sparring.nlp.embeddings``, one batched call) and compared with the prototype
sentences of review/data/objection_prototypes.yaml, written by the team in many voices (not from the corpora). It
is an objection of a topic when its nearest prototype is of that topic with a cosine of at least ``THRESHOLD``,
and that topic's best prototype is at least ``MARGIN`` nearer than the nearest ``none`` sentence (sentences on
the same subjects that push back on nothing: "What would it cost for fifty users?").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sparring.review.cues import OBJECTION_TOPICS, CueError, Cues, Phrases
from sparring.review.reading import TurnRead

PROTOTYPES_PATH = Path(__file__).parent / "data" / "objection_prototypes.yaml"
#: the nearest prototype's cosine similarity must reach this ...
THRESHOLD = 0.4
#: ... and beat the nearest ``none`` sentence by this much
MARGIN = 0.03
#: words of a sentence embedded (its opening), and sentences compared per call at most (cost bound)
MAX_WORDS = 24
MAX_SENTENCES = 64
NONE = "none"

EmbedFn = Callable[[Sequence[str]], Any]


@dataclass(frozen=True)
class Prototypes:
    pushback: Phrases
    topics: tuple[str, ...]  # the topic of each row of ``texts``
    texts: tuple[str, ...]


def parse_prototypes(data: Any, where: str = PROTOTYPES_PATH.name) -> Prototypes:
    """The prototypes from the parsed YAML document (``CueError`` names the field that is wrong)."""
    if not isinstance(data, dict):
        raise CueError(f"{where}: expected a mapping at the top level")
    pushback = data.get("pushback")
    if not isinstance(pushback, list) or not all(isinstance(p, str) and p.strip() for p in pushback):
        raise CueError(f"{where}: pushback: expected a list of non-empty strings (quote \"no\")")
    protos = data.get("prototypes")
    if not isinstance(protos, dict):
        raise CueError(f"{where}: prototypes: expected a mapping of topic to sentences")
    unknown = [t for t in protos if t not in (*OBJECTION_TOPICS, NONE)]
    if unknown:
        raise CueError(f"{where}: prototypes: unknown topic(s) {', '.join(map(str, unknown))} "
                       f"(expected {', '.join(OBJECTION_TOPICS)} or {NONE})")
    missing = [t for t in (*OBJECTION_TOPICS, NONE) if not protos.get(t)]
    if missing:
        raise CueError(f"{where}: prototypes: no sentences for {', '.join(missing)}")
    topics: list[str] = []
    texts: list[str] = []
    for topic, sentences in protos.items():
        if not isinstance(sentences, list):
            raise CueError(f"{where}: prototypes.{topic}: expected a list of sentences")
        for i, s in enumerate(sentences):
            if not isinstance(s, str) or not s.strip():
                raise CueError(f"{where}: prototypes.{topic}[{i}]: {s!r} is not a non-empty sentence")
            topics.append(topic)
            texts.append(s.strip())
    return Prototypes(Phrases(pushback), tuple(topics), tuple(texts))


@lru_cache(maxsize=4)
def load_prototypes(path: Path = PROTOTYPES_PATH) -> Prototypes:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CueError(f"{path}: cannot read the prototype file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise CueError(f"{path}: not valid YAML ({exc})") from exc
    return parse_prototypes(data, str(path.name))


#: the prototypes' vectors, per (prototype set, embedder): computed once per process, like a loaded model (the
#: embedder's own cache may be cleared between calls)
_VECTORS: dict[tuple[int, int], tuple[Prototypes, np.ndarray]] = {}


def _prototype_vectors(protos: Prototypes, embed_fn: EmbedFn) -> np.ndarray:
    key = (id(protos), id(embed_fn))
    held = _VECTORS.get(key)
    if held is None or held[0] is not protos:
        held = (protos, np.asarray(embed_fn(list(protos.texts)), dtype=np.float32))
        if len(_VECTORS) > 8:
            _VECTORS.clear()
        _VECTORS[key] = held
    return held[1]


def _opening(sentence: str) -> str:
    return " ".join(sentence.split()[:MAX_WORDS])


def candidate(sentence: str, protos: Prototypes) -> bool:
    """Whether ``sentence`` is compared at all: four words or more, with a ``pushback`` marker."""
    return len(sentence.split()) >= 4 and protos.pushback.search(sentence)


def topics_by_meaning(sentences: Sequence[str], embed_fn: EmbedFn | None = None,
                      protos: Prototypes | None = None) -> list[tuple[str, float] | None]:
    """Per sentence: (topic, similarity) when it is an objection by meaning (module docstring), else None.
    Sentences without a pushback marker, and any beyond the first ``MAX_SENTENCES`` candidates, are None."""
    protos = protos or load_prototypes()
    out: list[tuple[str, float] | None] = [None] * len(sentences)
    picked = [i for i, s in enumerate(sentences) if candidate(s, protos)][:MAX_SENTENCES]
    if not picked:
        return out
    if embed_fn is None:
        from sparring.nlp.embeddings import embed

        embed_fn = embed
    sent = np.asarray(embed_fn([_opening(sentences[i]) for i in picked]), dtype=np.float32)
    proto = _prototype_vectors(protos, embed_fn)
    sims = sent @ proto.T  # rows are L2-normalised: cosine
    topics = np.array(protos.topics)
    none_best = sims[:, topics == NONE].max(axis=1)
    for row, i in enumerate(picked):
        best = int(np.argmax(sims[row]))
        topic, sim = str(topics[best]), float(sims[row, best])
        if topic != NONE and sim >= THRESHOLD and sim - float(none_best[row]) >= MARGIN:
            out[i] = (topic, round(sim, 3))
    return out


def objections_by_meaning(reads: Sequence[TurnRead], cues: Cues,
                          embed_fn: EmbedFn | None = None) -> dict[int, tuple[str, str]]:
    """Per counterpart turn (by index) with no objection by word cue: (its first sentence that is an objection by
    meaning, the topic). One batched embedding call for the whole call."""
    sentences: list[str] = []
    where: list[int] = []
    for r in reads:
        if r.role == "counterpart" and not any(cues.objection_topic(s) for s in r.sentences):
            sentences.extend(r.sentences)
            where.extend([r.index] * len(r.sentences))
    out: dict[int, tuple[str, str]] = {}
    for s, index, hit in zip(sentences, where, topics_by_meaning(sentences, embed_fn), strict=True):
        if hit is not None and index not in out:
            out[index] = (s, hit[0])
    return out
