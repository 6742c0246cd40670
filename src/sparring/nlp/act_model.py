"""The utterance-act model of issue 11: what a line *does* (``sparring.nlp.acts``), read the same way by the
persona engine, the scorer and the metrics.

    from sparring.nlp.act_model import read_act, read_acts
    r = read_act("Could we book thirty minutes with Marta on Thursday?", context="I'd need to ask our CFO.")
    r.acts            # frozenset({"next_step_proposal", "question_closed"}) — at/over each act's threshold
    r.p("insult")     # probability 0..1 of any act
    r.subject         # "we" — who the line is about (rule-parsed clauses, sparring.nlp.clauses)
    r.numbers         # (30.0,)

``context`` is the other person's previous line (empty for an opening line). ``read_acts`` reads many lines in one
call; both are thread-safe and deterministic, and the model is loaded once per process. A line read as a question
also leaves its sentence vector in the shared embedding cache (``_embed_questions``).

Backend: the fine-tuned act encoder (``sparring.nlp.act_encoder``: MiniLM fine-tuned with a multi-label act head
on the line/context pair plus clause features, ONNX, weight-only int8, lines read in batches), trained by
``python -m sparring.nlp.train_acts`` (docs/acts.md). There is no silent fallback: a missing or altered model
file is an ``ActModelError``. The first backend, a linear head on frozen MiniLM vectors (``sparring.nlp.act_head``),
stays shipped as the baseline the benchmark compares against; ``SPARRING_ACT_MODEL=linear`` selects it
(benchmarks, diagnosis).

**Decision rule** (how ``acts`` is built from ``probs``): every act at or over its own threshold (thresholds
chosen by author-grouped cross-validation on the training split). ``other`` ("none of the above") is dropped when
any real act is chosen. When no act reaches its threshold, the act closest to its threshold (highest
probability / threshold) is taken if that ratio is at least the head's ``fallback_ratio`` (also chosen by
cross-validation), else ``other``; so ``acts`` is never empty. **Answer gate:** a line that replies to a question
(the context has a question clause) without asking one itself (no clause of the line is a question) gets no
``question_open`` / ``question_closed`` / ``question_clarifying``; its ``probs`` are left as the model gave them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

import numpy as np

from sparring.nlp.act_head import ActModelError, LinearHead, clause_features, features
from sparring.nlp.acts import ACT_NAMES
from sparring.nlp.clauses import Clause, clauses, numbers

__all__ = ["ACT_NAMES", "ActModelError", "ActReading", "Clause", "decide", "read_act", "read_acts"]

_INDEX = {name: j for j, name in enumerate(ACT_NAMES)}
_OTHER = _INDEX["other"]


@dataclass(frozen=True)
class ActReading:
    """What one line does: its acts (never empty), every act's probability, its clauses and numbers."""

    text: str
    acts: frozenset[str]
    probs: Mapping[str, float] = field(repr=False)
    clauses: tuple[Clause, ...] = field(repr=False)
    numbers: tuple[float, ...] = ()

    def has(self, *names: str) -> bool:
        """True if any of ``names`` is among the line's acts (an unknown name raises KeyError)."""
        for name in names:
            if name not in _INDEX:
                raise KeyError(f"unknown act {name!r}")
        return any(name in self.acts for name in names)

    def p(self, name: str) -> float:
        """The probability of act ``name`` (KeyError names an unknown act)."""
        try:
            return self.probs[name]
        except KeyError:
            raise KeyError(f"unknown act {name!r}") from None

    @property
    def subject(self) -> str:
        """Who the line is about: the subject of its first clause that has one, else "none"."""
        return next((c.subject for c in self.clauses if c.subject != "none"), "none")


_ASKING = np.array([ACT_NAMES.index(n) for n in ("question_open", "question_closed", "question_clarifying")])


def answer_rows(parsed: Sequence[tuple[Clause, ...]], contexts: Sequence[str]) -> np.ndarray:
    """Rows that reply to a question without asking one: the context has a question clause and the line none.
    The encoder reads the context's question into the line (answers to "Is it live?" came out as questions), so
    ``decide`` gives such rows no question act (the answer gate, docs/acts.md)."""
    return np.array([not any(c.question for c in cl) and bool(ctx.strip()) and any(c.question for c in clauses(ctx))
                     for cl, ctx in zip(parsed, contexts, strict=True)], dtype=bool)


def decide(probs: np.ndarray, thresholds: np.ndarray, fallback_ratio: float,
           answers: np.ndarray | None = None) -> list[frozenset[str]]:
    """The act sets of rows of probabilities (the decision rule in the module docstring); rows flagged in
    ``answers`` (see ``answer_rows``) cannot carry a question act."""
    out: list[frozenset[str]] = []
    if answers is not None and answers.any():
        probs = probs.copy()
        probs[np.ix_(answers, _ASKING)] = 0.0
    ratio = probs / np.clip(thresholds, 1e-6, None)
    for row, r in zip(probs, ratio, strict=True):
        chosen = {ACT_NAMES[j] for j in np.flatnonzero(row >= thresholds)}
        if len(chosen) > 1:
            chosen.discard("other")
        if not chosen:
            masked = r.copy()
            masked[_OTHER] = -1.0
            best = int(np.argmax(masked))
            chosen = {ACT_NAMES[best]} if masked[best] >= fallback_ratio else {"other"}
        out.append(frozenset(chosen))
    return out


class _LinearBackend:
    """Frozen MiniLM vectors of [text; context] + clause features -> the shipped linear head."""

    def __init__(self) -> None:
        from sparring.nlp.embeddings import get_embedder

        self.head = LinearHead.load()
        self.embedder = get_embedder()
        self.thresholds = self.head.thresholds
        self.fallback_ratio = self.head.fallback_ratio

    def probabilities(self, texts: Sequence[str], contexts: Sequence[str],
                      parsed: Sequence[tuple[Clause, ...]]) -> np.ndarray:
        vecs = self.embedder.embed(list(texts) + list(contexts))
        n = len(texts)
        rules = np.vstack([clause_features(t, c, p) for t, c, p in zip(texts, contexts, parsed, strict=True)])
        return self.head.probabilities(features(vecs[:n], vecs[n:], rules))


class Backend(Protocol):
    thresholds: np.ndarray
    fallback_ratio: float

    def probabilities(self, texts: Sequence[str], contexts: Sequence[str],
                      parsed: Sequence[tuple[Clause, ...]]) -> np.ndarray: ...


BACKENDS = ("onnx", "linear")
_LOAD_LOCK = threading.Lock()


@lru_cache(maxsize=2)
def _cached_backend(name: str) -> Backend:
    if name == "linear":
        return _LinearBackend()
    from sparring.nlp.act_encoder import OnnxBackend

    return OnnxBackend()


def backend(name: str | None = None) -> Backend:
    """The loaded model (once per process; ActModelError when its file is missing or not the pinned one).
    ``name``: "onnx" (the default) or "linear"; None reads ``SPARRING_ACT_MODEL``."""
    chosen = name or os.environ.get("SPARRING_ACT_MODEL", "").strip() or "onnx"
    if chosen not in BACKENDS:
        raise ActModelError(f"SPARRING_ACT_MODEL={chosen!r}: use one of {', '.join(BACKENDS)}")
    with _LOAD_LOCK:
        return _cached_backend(chosen)


def read_acts(texts: Sequence[str], contexts: Sequence[str] | None = None, *,
              model: str | None = None, embed_questions: bool = True) -> list[ActReading]:
    """Read many lines at once (one batched model call). ``contexts[i]`` is the other person's line before
    ``texts[i]`` ("" for none). ``model`` picks a backend by name (see ``backend``). ``embed_questions=False``
    leaves the question lines' sentence vectors to the caller (see ``_embed_questions``)."""
    if isinstance(texts, str):
        raise TypeError("read_acts takes a sequence of lines; use read_act for one line")
    texts = [t if isinstance(t, str) else _not_text(t) for t in texts]
    if contexts is None:
        contexts = [""] * len(texts)
    elif len(contexts) != len(texts):
        raise ValueError(f"read_acts: {len(texts)} texts but {len(contexts)} contexts")
    contexts = [c if isinstance(c, str) else _not_text(c) for c in contexts]
    if not texts:
        return []
    chosen = backend(model)
    parsed = [clauses(t) for t in texts]
    probs = chosen.probabilities(texts, contexts, parsed)
    acts = decide(probs, chosen.thresholds, chosen.fallback_ratio, answer_rows(parsed, contexts))
    if embed_questions:
        _embed_questions(texts, acts)
    return [
        ActReading(text=t, acts=a, probs=dict(zip(ACT_NAMES, (float(v) for v in row), strict=True)),
                   clauses=cl, numbers=numbers(t))
        for t, a, row, cl in zip(texts, acts, probs, parsed, strict=True)
    ]


QUESTION_ACTS = frozenset({"question_open", "question_closed", "question_clarifying", "permission_ask",
                            "identity_question"})


def _embed_questions(texts: Sequence[str], acts: Sequence[frozenset[str]]) -> None:
    """Leave the sentence vector (``sparring.nlp.embeddings``) of every line read as a question in the shared
    embedding cache: the persona's knowledge lookup matches exactly that text next, and reuses the vector instead
    of a second model call on the reply path (the linear head embedded every line anyway; the ONNX encoder does
    not). Other lines are not embedded here: it would cost ~5 ms a line nobody asked for. The embedded persona
    reads with ``embed_questions=False`` and embeds what it will compare in one call of its own
    (``sparring.persona.listen.prefetch``)."""
    questions = [t for t, a in zip(texts, acts, strict=True) if a & QUESTION_ACTS]
    if questions:
        from sparring.nlp.embeddings import embed

        embed(questions)


def read_act(text: str, context: str = "", *, embed_questions: bool = True) -> ActReading:
    """Read one line; ``context`` is the other person's previous line."""
    return read_acts([text], [context], embed_questions=embed_questions)[0]


def _not_text(value: object) -> str:
    raise TypeError(f"act model reads strings, got {type(value).__name__}")
