"""The linear act head: one logistic regression per act over the frozen MiniLM vectors of the line and of its
context plus rule-parsed clause features (``sparring.nlp.clauses``), with a decision threshold per act.

It is the first backend of ``sparring.nlp.act_model`` (and its fallback): trained by
``python -m sparring.nlp.train_acts --head-only`` on the training split of ``corpus/acts`` and shipped as
``data/act-head.npz`` (weights, feature scaling and thresholds only: no corpus text). The file's sha256 is pinned
here and checked when it is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sparring.nlp.acts import ACT_NAMES
from sparring.nlp.clauses import SUBJECTS, Clause, clauses, numbers
from sparring.nlp.embeddings import sha256_of

HEAD_PATH = Path(__file__).parent / "data" / "act-head.npz"
#: sha256 of the shipped head (printed by ``python -m sparring.nlp.train_acts --head-only``)
HEAD_SHA256 = "2c1d70f49e85fa763e2b1b5df259447f9b3db7d72166e2a3ef02641c12e24ee9"
FORMAT_VERSION = 1
EMBED_DIM = 384


class ActModelError(RuntimeError):
    """The act model file is missing, damaged or not the file pinned in the code."""


CLAUSE_FEATURES: tuple[str, ...] = (
    *(f"subject_{s}" for s in SUBJECTS),  # subject of the first clause that has one
    *(f"any_subject_{s}" for s in SUBJECTS[:4]),
    "negated_first", "negated_any", "question_first", "question_last", "question_any", "ends_with_question_mark",
    "names_number", "names_percent_or_money", "several_clauses", "long_line", "context_question",
    "context_names_number", "context_empty",
)


def clause_features(text: str, context: str, parsed: Sequence[Clause] | None = None) -> np.ndarray:
    """The rule features of one line (0/1 values, in ``CLAUSE_FEATURES`` order)."""
    cl = tuple(parsed) if parsed is not None else clauses(text)
    first_subject = next((c.subject for c in cl if c.subject != "none"), "none")
    subjects = {c.subject for c in cl}
    ctx = clauses(context) if context.strip() else ()
    stripped = text.strip()
    values = [
        *(first_subject == s for s in SUBJECTS),
        *(s in subjects for s in SUBJECTS[:4]),
        bool(cl) and cl[0].negated,
        any(c.negated for c in cl),
        bool(cl) and cl[0].question,
        bool(cl) and cl[-1].question,
        any(c.question for c in cl),
        stripped.endswith("?"),
        bool(numbers(text)),
        any(ch in text for ch in "%$€£") or "percent" in text.lower(),
        len(cl) > 1,
        len(text.split()) > 25,
        any(c.question for c in ctx),
        bool(context.strip()) and bool(numbers(context)),
        not context.strip(),
    ]
    return np.array(values, dtype=np.float32)


def features(text_vecs: np.ndarray, context_vecs: np.ndarray, rule_rows: np.ndarray) -> np.ndarray:
    """The head's input rows: [text vector; context vector; clause features]."""
    return np.hstack([text_vecs, context_vecs, rule_rows]).astype(np.float32)


@dataclass
class LinearHead:
    """Per-act logistic regressions on standardised features; ``thresholds[j]`` decides act j."""

    mean: np.ndarray  # (F,)
    scale: np.ndarray  # (F,)
    coef: np.ndarray  # (A, F)
    intercept: np.ndarray  # (A,)
    thresholds: np.ndarray  # (A,)
    fallback_ratio: float  # see act_model.decide
    names: tuple[str, ...] = ACT_NAMES

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.coef.T + self.intercept
        probs: np.ndarray = (1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))).astype(np.float32)
        return probs

    def save(self, path: Path) -> str:
        """Write the head; returns the file's sha256 (to pin in ``HEAD_SHA256``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            np.savez_compressed(
                f, version=np.array(FORMAT_VERSION), names=np.array(self.names), features=np.array(CLAUSE_FEATURES),
                mean=self.mean.astype(np.float32), scale=self.scale.astype(np.float32),
                coef=self.coef.astype(np.float32), intercept=self.intercept.astype(np.float32),
                thresholds=self.thresholds.astype(np.float32), fallback_ratio=np.array(self.fallback_ratio),
            )
        return sha256_of(path)

    @classmethod
    def load(cls, path: Path = HEAD_PATH, sha256: str | None = HEAD_SHA256) -> LinearHead:
        """Load a head file; ``sha256`` (default: the pinned one) must match unless None."""
        if not path.is_file():
            raise ActModelError(f"act head not found at {path} (train it: python -m sparring.nlp.train_acts "
                                "--head-only)")
        if sha256 is not None and sha256_of(path) != sha256:
            raise ActModelError(f"act head at {path} does not match its pinned sha256 {sha256[:12]}… "
                                "(retrain or restore the shipped file)")
        try:
            with np.load(path, allow_pickle=False) as data:
                version = int(data["version"])
                if version != FORMAT_VERSION:
                    raise ActModelError(f"{path}: act head format {version}, expected {FORMAT_VERSION}")
                names = tuple(str(n) for n in data["names"])
                feats = tuple(str(n) for n in data["features"])
                if names != ACT_NAMES or feats != CLAUSE_FEATURES:
                    raise ActModelError(f"{path}: acts or clause features differ from the code's; retrain the head")
                head = cls(mean=data["mean"], scale=data["scale"], coef=data["coef"], intercept=data["intercept"],
                           thresholds=data["thresholds"], fallback_ratio=float(data["fallback_ratio"]), names=names)
        except (KeyError, ValueError, OSError) as exc:
            raise ActModelError(f"{path}: not a readable act head ({exc})") from exc
        width = 2 * EMBED_DIM + len(CLAUSE_FEATURES)
        if head.coef.shape != (len(ACT_NAMES), width):
            raise ActModelError(f"{path}: coef has shape {head.coef.shape}, expected {(len(ACT_NAMES), width)}")
        return head
