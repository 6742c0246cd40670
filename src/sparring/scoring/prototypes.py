"""A criterion's example vectors: what the embedded scorer compares each learner segment with.

Positive and negative example lines, plus the criterion's own words (name, description, ``met_when``, top
anchors) as a fallback description, embedded once per process and cached (``PROTO_CACHE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sparring.content.rubric import Criterion


@dataclass
class Prototypes:
    positive: np.ndarray  # (P, 384), may be empty
    negative: np.ndarray  # (N, 384), may be empty
    description: np.ndarray  # (D, 384), at least one row
    positive_lines: list[str]
    negative_lines: list[str]
    #: how many of ``negative`` are the criterion's own (the rest are the rubric's blocker lines)
    own_negatives: int = 0
    #: share of the positive examples that are questions: the behaviour's form (asking vs telling)
    question_share: float = 0.0


def description_texts(c: Criterion) -> list[str]:
    texts = [c.name + (". " + c.description if c.description else "")]
    if c.met_when:
        texts.append(c.met_when)
    if c.anchors:
        texts.extend(c.anchors[lvl] for lvl in (5, 4) if lvl in c.anchors)
    return texts


PROTO_CACHE: dict[tuple[Any, ...], Prototypes] = {}


def prototypes(c: Criterion, embed_fn: Any, rule_lines: Sequence[str] = ()) -> Prototypes:
    """Example vectors for ``c``. ``rule_lines`` (the rubric's blocker examples) count as negative examples of
    every non-blocker criterion: a line that breaks a rule is never evidence of good behaviour."""
    desc = description_texts(c)
    negatives = list(c.examples_negative) + [line for line in rule_lines if line not in c.examples_negative]
    key = (embed_fn, tuple(c.examples_positive), tuple(negatives), tuple(desc))
    hit = PROTO_CACHE.get(key)
    if hit is not None:
        return hit
    lines = list(c.examples_positive) + negatives + desc
    vecs = embed_fn(lines)
    p, n = len(c.examples_positive), len(negatives)
    q_share = sum("?" in line for line in c.examples_positive) / p if p else 0.0
    proto = Prototypes(
        vecs[:p], vecs[p : p + n], vecs[p + n :], list(c.examples_positive), negatives,
        len(c.examples_negative), q_share,
    )  # fmt: skip
    if len(PROTO_CACHE) > 512:
        PROTO_CACHE.clear()
    PROTO_CACHE[key] = proto
    return proto
