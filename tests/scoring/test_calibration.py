"""Per-criterion calibration of similarity against lines of other behaviours."""

from __future__ import annotations

from sparring.content.library import get_library
from sparring.nlp.act_aliases import resolve_acts
from sparring.nlp.embeddings import embed
from sparring.scoring.calibration import background_level, background_lines, similarity_offset
from sparring.scoring.prototypes import prototypes

LIB = get_library()


def test_background_is_other_behaviours_only() -> None:
    rubric = LIB.rubric("renewal-value")
    c = rubric.criterion("next-step")
    lines = background_lines(c, rubric)
    assert lines and not set(lines) & set(c.examples_positive)
    own = resolve_acts([*c.acts, *c.signals])
    sharing = [o for r in LIB.rubrics.values() for o in r.criteria if resolve_acts([*o.acts, *o.signals]) & own]
    assert not set(lines) & {line for o in sharing for line in o.examples_positive}


def test_level_and_offset() -> None:
    rubric = LIB.rubric("sales-objection-handling")
    c = rubric.criterion("advance")
    level = background_level(c, prototypes(c, embed).positive, embed, rubric)
    assert 0.2 < level < 0.9
    assert similarity_offset(0.40, 0.52) == 0.0
    assert similarity_offset(0.60, 0.52) == 0.11
