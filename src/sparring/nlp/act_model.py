"""The utterance-act model of issue 11: what a line *does* (``sparring.nlp.acts``), read the same way by the
persona engine, the scorer and the metrics.

    from sparring.nlp.act_model import read_act, read_acts
    r = read_act("Could we book thirty minutes with Marta on Thursday?", context="I'd need to ask our CFO.")
    r.acts            # frozenset({"next_step_proposal", "question_closed"}) — at/over each act's threshold
    r.p("insult")     # probability 0..1 of any act
    r.subject         # "we" — who the line is about (rule-parsed clauses, sparring.nlp.clauses)
    r.numbers         # (30.0,)

``context`` is the other person's previous line (empty for an opening line). ``read_acts`` reads many lines in one
batched model call; both are thread-safe and deterministic, and the model is loaded once per process.

Backend: a linear head (``sparring.nlp.act_head``: per-act logistic regression on the frozen MiniLM vectors of
the line and its context plus clause features), trained on the training split of ``corpus/acts`` only.

**Decision rule** (how ``acts`` is built from ``probs``): every act at or over its own threshold (thresholds
chosen by author-grouped cross-validation on the training split). ``other`` ("none of the above") is dropped when
any real act is chosen. When no act reaches its threshold, the act closest to its threshold (highest
probability / threshold) is taken if that ratio is at least the head's ``fallback_ratio`` (also chosen by
cross-validation), else ``other``; so ``acts`` is never empty.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

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


def decide(probs: np.ndarray, thresholds: np.ndarray, fallback_ratio: float) -> list[frozenset[str]]:
    """The act sets of rows of probabilities (the decision rule in the module docstring)."""
    out: list[frozenset[str]] = []
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

    def probabilities(self, texts: Sequence[str], contexts: Sequence[str],
                      parsed: Sequence[tuple[Clause, ...]]) -> np.ndarray:
        vecs = self.embedder.embed(list(texts) + list(contexts))
        n = len(texts)
        rules = np.vstack([clause_features(t, c, p) for t, c, p in zip(texts, contexts, parsed, strict=True)])
        return self.head.probabilities(features(vecs[:n], vecs[n:], rules))

    @property
    def thresholds(self) -> np.ndarray:
        return self.head.thresholds

    @property
    def fallback_ratio(self) -> float:
        return self.head.fallback_ratio


_LOAD_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _cached_backend() -> _LinearBackend:
    return _LinearBackend()


def backend() -> _LinearBackend:
    """The loaded model (once per process; ActModelError when its file is missing or not the pinned one)."""
    with _LOAD_LOCK:
        return _cached_backend()


def read_acts(texts: Sequence[str], contexts: Sequence[str] | None = None) -> list[ActReading]:
    """Read many lines at once (one batched model call). ``contexts[i]`` is the other person's line before
    ``texts[i]`` ("" for none)."""
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
    model = backend()
    parsed = [clauses(t) for t in texts]
    probs = model.probabilities(texts, contexts, parsed)
    acts = decide(probs, model.thresholds, model.fallback_ratio)
    return [
        ActReading(text=t, acts=a, probs=dict(zip(ACT_NAMES, (float(v) for v in row), strict=True)),
                   clauses=cl, numbers=numbers(t))
        for t, a, row, cl in zip(texts, acts, probs, parsed, strict=True)
    ]


def read_act(text: str, context: str = "") -> ActReading:
    """Read one line; ``context`` is the other person's previous line."""
    return read_acts([text], [context])[0]


def _not_text(value: object) -> str:
    raise TypeError(f"act model reads strings, got {type(value).__name__}")
