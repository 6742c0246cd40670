"""Per-criterion calibration of example similarity against background lines (issue 11).

Similarity to a criterion's example lines is partly *topic*: a line about the CFO sits close to an example that
names the CFO whatever it does. So similarity alone only counts as strong evidence when it beats what lines of
*other* behaviours reach. For each criterion the background is every example line (positive or negative) of the
built-in library's criteria (all five domains) and of the criterion's own rubric, except the criterion's own
lines and those of criteria that share one of its signal acts. For each background line we take its highest
similarity to the criterion's positive examples; the criterion's *background level* is the 95th percentile of
those. The similarity part of a segment's strength is lowered by how far that level reaches above
``STRONG - MARGIN``, so a typical line of another behaviour, however close in topic, cannot be "met" on
similarity alone. The acts a line performs are read separately (``act_reading``) and are not affected.

Computed once per process per criterion (``CALIBRATION_CACHE``), from the embedding function the scorer uses.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from sparring.content.rubric import Criterion, Rubric
from sparring.nlp.act_aliases import resolve_acts

PERCENTILE = 95.0
#: the background level may reach up to this far below STRONG before the similarity part is lowered
MARGIN = 0.03

CALIBRATION_CACHE: dict[tuple[Any, ...], float] = {}


@lru_cache(maxsize=1)
def _library_criteria() -> tuple[Criterion, ...]:
    from sparring.content.library import get_library

    return tuple(c for r in get_library().rubrics.values() for c in r.criteria if c.kind in ("check", "scale"))


def background_lines(c: Criterion, rubric: Rubric | None = None) -> list[str]:
    """Example lines of other behaviours (see the module docstring)."""
    own = resolve_acts([*c.acts, *c.signals])
    pool = list(_library_criteria()) + (list(rubric.criteria) if rubric is not None else [])
    mine = set(c.examples_positive) | set(c.examples_negative)
    out: list[str] = []
    seen: set[str] = set()
    for other in pool:
        if other.kind not in ("check", "scale") or resolve_acts([*other.acts, *other.signals]) & own:
            continue
        for line in [*other.examples_positive, *other.examples_negative]:
            if line not in mine and line not in seen:
                seen.add(line)
                out.append(line)
    return out


def background_level(c: Criterion, positive: np.ndarray, embed_fn: Any, rubric: Rubric | None = None) -> float:
    """The 95th percentile of the background lines' best similarity to ``positive`` (0.0 without examples)."""
    if not len(positive):
        return 0.0
    lines = background_lines(c, rubric)
    key = (embed_fn, c.id, tuple(c.examples_positive), tuple(lines))
    hit = CALIBRATION_CACHE.get(key)
    if hit is not None:
        return hit
    level = 0.0
    if lines:
        sims = (np.asarray(embed_fn(lines)) @ positive.T).max(axis=1)
        level = round(float(np.percentile(sims, PERCENTILE)), 3)
    if len(CALIBRATION_CACHE) > 512:
        CALIBRATION_CACHE.clear()
    CALIBRATION_CACHE[key] = level
    return level


def similarity_offset(level: float, strong: float) -> float:
    """How much to lower a criterion's similarity strength so its background level sits below ``strong``."""
    return round(max(0.0, level - (strong - MARGIN)), 3)
