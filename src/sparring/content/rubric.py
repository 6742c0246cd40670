"""Rubric models: what an organisation scores a conversation against.

Four criterion kinds (docs/content-format.md):
- ``check``   yes/no behaviour ("acknowledged the concern before answering");
- ``scale``   1..5 with a behaviourally anchored description for every level;
- ``metric``  a conversation metric with a target band (e.g. talk share 0.35-0.60);
- ``blocker`` a rule that fails the rep whatever the total ("promised an unapproved discount").
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from sparring.content.hashing import content_hash

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", min_length=1, max_length=80)]
CriterionKind = Literal["check", "scale", "metric", "blocker"]

#: Conversation metrics a ``metric`` criterion may target. The scoring package computes every one of them
#: (docs/metrics.md). Ratios are 0..1.
METRIC_NAMES: tuple[str, ...] = (
    "talk_share",
    "longest_monologue_words",
    "longest_monologue_seconds",
    "longest_counterpart_story_words",
    "longest_counterpart_story_seconds",
    "interactivity",
    "patience_seconds",
    "question_count",
    "question_rate",
    "open_question_share",
    "words_per_minute",
    "filler_rate",
    "interruptions",
    "reflection_to_question_ratio",
    "telling_share",
)

#: Verdicts a rubric test may expect for a criterion. ``hit``/``clear`` are for blockers.
ExpectedVerdict = Literal["met", "partly", "missed", "n/a", "hit", "clear"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class MetricTarget(_Strict):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _band(self) -> MetricTarget:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class Criterion(_Strict):
    id: Slug
    name: str = Field(min_length=3)
    kind: CriterionKind
    description: str = ""
    weight: float = Field(default=1.0, ge=0, le=100)
    skill: str | None = None
    #: for ``check``: when the behaviour counts as met (free text shown to learners and the LLM judge)
    met_when: str | None = None
    #: for ``scale``: a description for each level 1..5
    anchors: dict[int, str] | None = None
    #: for ``metric``: which conversation metric and the band that counts as met
    metric: str | None = None
    target: MetricTarget | None = None
    #: for ``metric``: the band that earns half credit (default: just outside ``target``, see docs/scoring.md)
    partly: MetricTarget | None = None
    #: acts that show the behaviour on their own (``sparring.nlp.acts``): a line performing one is strong
    #: evidence whatever its words; for a blocker, performing one (as the rule means it) breaks the rule
    acts: list[str] = Field(default_factory=list)
    #: acts that support the behaviour (a bonus when present, a small cost when absent); the older tag names are
    #: accepted here as aliases (docs/content-format.md)
    signals: list[str] = Field(default_factory=list)
    #: a conditional criterion: it applies only when the learner performs one of these acts, and is ``n/a``
    #: (left out of the total) otherwise — e.g. permission before advice: ``applies_when: [advice]``
    applies_when: list[str] = Field(default_factory=list)
    examples_positive: list[str] = Field(default_factory=list)
    examples_negative: list[str] = Field(default_factory=list)
    #: a stronger line the feedback can adapt when this criterion is the weakest
    better_line: str | None = None
    #: a short drill suggestion when this criterion is missed
    drill: str | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> Criterion:
        if self.kind == "scale":
            if not self.anchors:
                raise ValueError("anchors: a scale criterion needs anchors for levels 1..5")
            missing = [lvl for lvl in range(1, 6) if lvl not in self.anchors]
            extra = [lvl for lvl in self.anchors if lvl not in range(1, 6)]
            if missing or extra:
                raise ValueError(
                    f"anchors: must have exactly the levels 1..5 (missing {missing or 'none'}, extra {extra or 'none'})"
                )
        elif self.anchors:
            raise ValueError(f"anchors: only apply to scale criteria, not '{self.kind}'")
        if self.kind == "metric":
            if not self.metric:
                raise ValueError("metric: a metric criterion needs one of: " + ", ".join(METRIC_NAMES) + ")")
            if self.metric not in METRIC_NAMES:
                raise ValueError(f"metric: unknown metric '{self.metric}' (known: {', '.join(METRIC_NAMES)})")
            if self.target is None:
                raise ValueError("target: a metric criterion needs a target band: {min: ..., max: ...}")
        elif self.metric or self.target or self.partly:
            raise ValueError(f"metric: metric/target only apply to metric criteria, not '{self.kind}'")
        from sparring.nlp.act_aliases import KNOWN_SIGNALS, unknown_signals

        bad_acts = unknown_signals(self.acts)
        if bad_acts:
            raise ValueError(f"acts: unknown act(s) {', '.join(bad_acts)} (known: {', '.join(sorted(KNOWN_SIGNALS))})")
        if self.acts and self.kind == "metric":
            raise ValueError("acts: a metric criterion is measured, not read from acts")
        if self.applies_when:
            if self.kind not in ("check", "scale"):
                raise ValueError(f"applies_when: only check and scale criteria can be conditional, not '{self.kind}'")
            bad = unknown_signals(self.applies_when)
            if bad:
                raise ValueError(f"applies_when: unknown act(s) {', '.join(bad)} (known: "
                                 f"{', '.join(sorted(KNOWN_SIGNALS))})")
        return self


class RubricTest(_Strict):
    """A transcript with the verdicts it must get. ``transcript`` is a path relative to the rubric file;
    ``text`` is an inline transcript (plain text, or JSON / WebVTT / SRT, recognised by its content)."""

    name: str | None = None
    transcript: str | None = None
    text: str | None = None
    expect: dict[str, ExpectedVerdict | bool]

    @model_validator(mode="after")
    def _one_source(self) -> RubricTest:
        if (self.transcript is None) == (self.text is None):
            raise ValueError("give exactly one of 'transcript' (a file) or 'text' (inline)")
        if not self.expect:
            raise ValueError("expect must name at least one verdict")
        return self


class Rubric(_Strict):
    id: Slug
    title: str = Field(min_length=3)
    description: str = ""
    pass_mark: float = Field(default=70, ge=0, le=100)
    criteria: list[Criterion] = Field(min_length=1)
    tests: list[RubricTest] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        ids = [c.id for c in self.criteria]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"criteria: duplicate criterion ids: {', '.join(dupes)}")
        if not any(c.weight > 0 for c in self.criteria if c.kind != "blocker"):
            raise ValueError("criteria: at least one non-blocker criterion needs a weight above 0")
        known = set(ids) | {"passed"}
        for i, test in enumerate(self.tests):
            for key, value in test.expect.items():
                if key not in known:
                    raise ValueError(f"tests[{i}].expect.{key}: names no criterion of this rubric")
                if key == "passed":
                    if not isinstance(value, bool):
                        raise ValueError(f"tests[{i}].expect.passed: must be true or false")
                    continue
                kind = next(c.kind for c in self.criteria if c.id == key)
                if kind == "blocker" and value not in ("hit", "clear"):
                    raise ValueError(f"tests[{i}].expect.{key}: a blocker expects 'hit' or 'clear'")
                if kind != "blocker" and value in ("hit", "clear", True, False):
                    raise ValueError(f"tests[{i}].expect.{key}: expects met, partly, missed or n/a")
        return self

    @property
    def version(self) -> str:
        return content_hash(self.model_dump(mode="json"))

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)
