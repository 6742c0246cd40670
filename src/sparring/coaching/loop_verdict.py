"""The verdict of a coaching loop (docs/loops.md; issue 13 item 6): did the targeted behaviour change between the
call a moment came from and the rep's next real call, with the drill reps in between shown beside it?

Pure: numbers in, a ``LoopVerdict`` out; the service (``sparring.services.loops``) reads the scorecards and the
turns. Every threshold below was fixed, with its reason, before any loop was judged (docs/loops.md, "Rules"):

- **The criterion decides.** One call is one noisy sample, so the verdict asks for a change of at least one verdict
  step (missed → partly → met) *and* of ``MIN_CRITERION_CHANGE`` of the criterion's maximum (one anchor step of a 1–5
  scale). A smaller rise is within the noise (not enough evidence); no rise at all, when the situation came up, is
  not improved.
- **Not enough evidence** when the new call cannot show the behaviour: the criterion is n/a or missing there, the
  situation of the moment (an objection, a pain or competitor mention, the buyer disengaging) did not come up, or
  the original call left nothing to improve (already met).
- **Linked metrics** (``linked_metrics``: the scorecard metrics that bear on the criterion) are reported with their
  change and its uncertainty; a metric criterion also needs its metric's change to be clear (outside the
  bootstrap interval's zero and at least the metric's resolution), otherwise it is within the noise.
- **Drill reps** (all reps on the drill scenario by the rep since the loop opened) do not change the verdict; they
  choose the next step: a not-improved call after drill reps that went well is a transfer gap (live coaching).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sparring.content.rubric import Criterion, Rubric

IMPROVED, NOT_IMPROVED, NOT_ENOUGH = "improved", "not_improved", "not_enough_evidence"
#: what to do next (docs/loops.md, "Next step")
MOVE_ON, REPEAT, LIVE, WATCH = "move_on", "repeat_another_angle", "live_coaching", "watch_next_call"

#: the smallest change of a criterion (as a share of its maximum) that counts: one anchor step of a 1–5 scale
MIN_CRITERION_CHANGE = 0.2
#: drill reps "went well" when at least this many were scored on the criterion with at least this mean share
DRILL_GOOD_MIN_REPS = 2
DRILL_GOOD_MEAN = 2 / 3
#: the level of every interval shown (two-sided)
INTERVAL_LEVEL = 0.90
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 13
#: the smallest change of a metric read as a change on one call (its resolution); see docs/loops.md for each reason
METRIC_RESOLUTION: dict[str, float] = {
    "talk_share": 0.05,
    "question_count": 2,
    "question_rate": 0.15,
    "open_question_share": 0.15,
    "reflection_to_question_ratio": 0.25,
    "telling_share": 0.10,
    "longest_monologue_words": 25,
    "longest_monologue_seconds": 10,
    "longest_counterpart_story_words": 25,
    "interruptions": 1,
    "patience_seconds": 0.3,
    "words_per_minute": 15,
    "filler_rate": 1.0,
    "interactivity": 1.0,
}
#: which way is better for a metric with no target band in the rubric (+1 up, -1 down)
METRIC_DIRECTION: dict[str, int] = {
    "question_count": 1, "question_rate": 1, "open_question_share": 1, "reflection_to_question_ratio": 1,
    "longest_counterpart_story_words": 1, "longest_counterpart_story_seconds": 1, "interactivity": 1,
    "patience_seconds": 1, "telling_share": -1, "longest_monologue_words": -1, "longest_monologue_seconds": -1,
    "interruptions": -1, "filler_rate": -1, "words_per_minute": -1,
}
#: target bands used when the rubric sets none for the metric (the built-in sales rubrics' talk share band)
DEFAULT_BANDS: dict[str, tuple[float | None, float | None]] = {"talk_share": (0.3, 0.6)}
#: acts a criterion declares → the metrics that count the same behaviour (docs/loops.md, "Linked metrics")
ACT_METRICS: dict[str, tuple[str, ...]] = {
    "question_open": ("open_question_share", "question_count"),
    "question_clarifying": ("question_count", "open_question_share"),
    "question_closed": ("question_count",),
    "reflect_simple": ("reflection_to_question_ratio",),
    "reflect_complex": ("reflection_to_question_ratio",),
    "summarise": ("reflection_to_question_ratio",),
    "information": ("telling_share",),
    "advice": ("telling_share",),
}
#: a criterion's skill → metrics, when its acts name none
SKILL_METRICS: dict[str, tuple[str, ...]] = {
    "listening": ("talk_share", "longest_monologue_words"),
    "discovery": ("question_count", "open_question_share"),
    "clarity": ("longest_monologue_words",),
}
#: metrics that move together with a metric criterion's own metric
METRIC_COMPANIONS: dict[str, tuple[str, ...]] = {
    "talk_share": ("longest_monologue_words",),
    "longest_monologue_words": ("talk_share",),
    "longest_monologue_seconds": ("talk_share",),
    "question_count": ("open_question_share",),
    "open_question_share": ("question_count",),
    "reflection_to_question_ratio": ("question_count",),
    "telling_share": ("talk_share",),
}
MAX_LINKED = 3
#: moment kinds the *counterpart* brings about (review/data/cues.yaml): the new call can only show the behaviour
#: when such a situation comes up again; every other kind (a monologue, a missing next step) is the rep's own doing
#: and can come up on any call
SITUATIONS: dict[str, str] = {"objection": "an objection", "pain": "a pain mentioned",
                              "competitor": "a competitor mentioned", "disengaging": "the buyer disengaging"}
_RANK = {"missed": 0, "partly": 1, "met": 2}


def situation_of(moment_kind: str | None) -> str | None:
    """The situation a moment kind needs the counterpart to bring about (a ``SITUATIONS`` key), or None when the
    rep's own behaviour makes it (or the kind is unknown): objection_price → "objection"."""
    if not moment_kind:
        return None
    family = moment_kind.split("_", 1)[0]
    return family if family in SITUATIONS else None


def linked_metrics(criterion: Criterion) -> list[str]:
    """The scorecard metrics that bear on ``criterion`` (at most ``MAX_LINKED``, strongest first): a metric
    criterion's own metric and its companions; else the metrics of its acts, then of its signals, then of its
    skill (the tables above)."""
    if criterion.kind == "metric" and criterion.metric:
        found = [criterion.metric, *METRIC_COMPANIONS.get(criterion.metric, ())]
    else:
        found = [m for act in criterion.acts for m in ACT_METRICS.get(act, ())]
        if not found:
            found = [m for act in criterion.signals for m in ACT_METRICS.get(act, ())]
        if not found and criterion.skill:
            found = list(SKILL_METRICS.get(criterion.skill, ()))
    return list(dict.fromkeys(found))[:MAX_LINKED]


@dataclass(frozen=True)
class CriterionScore:
    """One conversation's result for the criterion."""

    score: float
    max: float
    verdict: str  # met | partly | missed | n/a

    @property
    def share(self) -> float | None:
        """Score as a share of the maximum, or None when the criterion did not apply."""
        if self.verdict == "n/a" or self.max <= 0:
            return None
        return max(0.0, min(1.0, self.score / self.max))

    def as_json(self) -> dict[str, Any]:
        share = self.share
        return {"score": round(self.score, 3), "max": round(self.max, 3), "verdict": self.verdict,
                "share": None if share is None else round(share, 3)}


@dataclass(frozen=True)
class CallSample:
    """A real call as the verdict sees it. ``criterion`` None: the call has no result for the criterion (its
    rubric has no such criterion). ``turns``: (is the rep, words) per turn, for the talk-share bootstrap.
    ``situation_arose`` False: the moment's situation did not come up (``situation_note`` says why)."""

    conversation_id: int
    criterion: CriterionScore | None
    metrics: Mapping[str, Any]
    turns: Sequence[tuple[bool, int]] = ()
    situation_arose: bool = True
    situation_note: str = ""


@dataclass(frozen=True)
class DrillSample:
    """One drill rep: its conversation, the criterion's result there (None: not scored on it) and its metrics."""

    conversation_id: int
    criterion: CriterionScore | None
    metrics: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Spread:
    """Drill reps on the criterion: how many, mean, standard deviation, best, and a t interval of the mean."""

    n: int
    mean: float | None
    sd: float | None
    best: float | None
    interval: tuple[float, float] | None
    shares: tuple[float, ...]

    def as_json(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 3)

        return {"n": self.n, "mean": r(self.mean), "sd": r(self.sd), "best": r(self.best),
                "interval": None if self.interval is None else [round(self.interval[0], 3),
                                                                round(self.interval[1], 3)],
                "shares": [round(s, 3) for s in self.shares]}

    @property
    def went_well(self) -> bool:
        return self.n >= DRILL_GOOD_MIN_REPS and self.mean is not None and self.mean >= DRILL_GOOD_MEAN


# one-sided 95% points of Student's t (a two-sided 90% interval) by degrees of freedom; between rows the smaller
# df is used, which is wider (conservative)
_T95 = ((1, 6.314), (2, 2.920), (3, 2.353), (4, 2.132), (5, 2.015), (6, 1.943), (7, 1.895), (8, 1.860),
        (9, 1.833), (10, 1.812), (15, 1.753), (20, 1.725), (30, 1.697), (60, 1.671), (120, 1.658))


def _t95(df: int) -> float:
    value = _T95[0][1]
    for d, t in _T95:
        if d <= df:
            value = t
    return value if df <= 120 else 1.645


def spread(shares: Sequence[float]) -> Spread:
    """Mean, sd, best and a 90% t interval (clipped to 0..1) of the drill reps' shares; no interval under 2 reps."""
    n = len(shares)
    if n == 0:
        return Spread(0, None, None, None, None, ())
    mean = sum(shares) / n
    if n == 1:
        return Spread(1, mean, None, shares[0], None, tuple(shares))
    sd = math.sqrt(sum((s - mean) ** 2 for s in shares) / (n - 1))
    half = _t95(n - 1) * sd / math.sqrt(n)
    return Spread(n, mean, sd, max(shares), (max(0.0, mean - half), min(1.0, mean + half)), tuple(shares))


def _talk_share(turns: Sequence[tuple[bool, int]], picks: np.ndarray) -> np.ndarray:
    rep = np.array([w if is_rep else 0 for is_rep, w in turns], dtype=float)
    words = np.array([w for _, w in turns], dtype=float)
    total = words[picks].sum(axis=1)
    shares: np.ndarray = np.divide(rep[picks].sum(axis=1), total, out=np.full(total.shape, np.nan), where=total > 0)
    return shares


def bootstrap_talk_share_delta(before: Sequence[tuple[bool, int]],
                               after: Sequence[tuple[bool, int]]) -> tuple[float, float] | None:
    """A 90% percentile interval of talk share(after) − talk share(before), resampling each call's turns with
    replacement (``BOOTSTRAP_SAMPLES`` times, a fixed seed: the same calls give the same interval). None when a
    call has fewer than 2 turns with words."""
    if sum(1 for _, w in before if w) < 2 or sum(1 for _, w in after if w) < 2:
        return None
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    a = _talk_share(before, rng.integers(0, len(before), size=(BOOTSTRAP_SAMPLES, len(before))))
    b = _talk_share(after, rng.integers(0, len(after), size=(BOOTSTRAP_SAMPLES, len(after))))
    delta = (b - a)[~np.isnan(b - a)]
    if delta.size == 0:
        return None
    tail = (1 - INTERVAL_LEVEL) / 2 * 100
    return float(np.percentile(delta, tail)), float(np.percentile(delta, 100 - tail))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return None
    return float(value)


def _distance(value: float, band: tuple[float | None, float | None]) -> float:
    low, high = band
    if low is not None and value < low:
        return low - value
    if high is not None and value > high:
        return value - high
    return 0.0


@dataclass(frozen=True)
class MetricChange:
    """One linked metric on the original call, the drill reps (mean) and the new call, and whether it changed."""

    name: str
    original: float | None
    drill_mean: float | None
    new: float | None
    delta: float | None
    interval: tuple[float, float] | None
    resolution: float
    target: str
    change: str  # better | worse | no clear change | n/a

    @property
    def clear(self) -> bool:
        return self.change in ("better", "worse")

    def as_json(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {"name": self.name, "original": r(self.original), "drill_mean": r(self.drill_mean), "new": r(self.new),
                "delta": r(self.delta), "interval": None if self.interval is None else [r(self.interval[0]),
                                                                                       r(self.interval[1])],
                "resolution": self.resolution, "target": self.target, "change": self.change}


def metric_change(name: str, original: CallSample, drills: Sequence[DrillSample], new: CallSample,
                  band: tuple[float | None, float | None] | None) -> MetricChange:
    """How ``name`` moved from the original call to the new one: better / worse when the change is at least the
    metric's resolution (and, for talk share, its bootstrap interval leaves out zero), else no clear change."""
    before, after = _number(original.metrics.get(name)), _number(new.metrics.get(name))
    drill_values = [v for d in drills if (v := _number(d.metrics.get(name))) is not None]
    drill_mean = sum(drill_values) / len(drill_values) if drill_values else None
    resolution = float(METRIC_RESOLUTION.get(name, 0.0))
    band = band if band is not None else DEFAULT_BANDS.get(name)
    direction = METRIC_DIRECTION.get(name, 0)
    if band is not None:
        target = f"within {band[0] if band[0] is not None else '…'}–{band[1] if band[1] is not None else '…'}"
    else:
        target = {1: "higher is better", -1: "lower is better"}.get(direction, "no direction")
    if before is None or after is None:
        return MetricChange(name, before, drill_mean, after, None, None, resolution, target, "n/a")
    delta = after - before
    interval = bootstrap_talk_share_delta(original.turns, new.turns) if name == "talk_share" else None
    noisy = abs(delta) < resolution or (resolution == 0 and delta == 0)
    if interval is not None and interval[0] <= 0 <= interval[1]:
        noisy = True
    gain = _distance(before, band) - _distance(after, band) if band is not None else delta * direction
    change = "no clear change" if noisy or gain == 0 else "better" if gain > 0 else "worse"
    return MetricChange(name, before, drill_mean, after, delta, interval, resolution, target, change)


@dataclass(frozen=True)
class LoopVerdict:
    """The verdict, the plain-words reason, the next step and every number behind them (``as_json`` is what the
    loop stores in ``numbers``)."""

    verdict: str
    reason: str
    next_step: str
    next_step_reason: str
    criterion_id: str
    criterion_name: str
    original: CriterionScore | None
    new: CriterionScore | None
    delta: float | None
    drills: Spread
    metrics: tuple[MetricChange, ...]
    situation_arose: bool
    situation_note: str

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict, "reason": self.reason, "next_step": self.next_step,
            "next_step_reason": self.next_step_reason,
            "criterion": {"id": self.criterion_id, "name": self.criterion_name,
                          "original": self.original.as_json() if self.original else None,
                          "new": self.new.as_json() if self.new else None,
                          "delta": None if self.delta is None else round(self.delta, 3),
                          "min_change": MIN_CRITERION_CHANGE},
            "drills": self.drills.as_json(),
            "metrics": [m.as_json() for m in self.metrics],
            "situation": {"arose": self.situation_arose, "note": self.situation_note},
            "interval_level": INTERVAL_LEVEL,
        }


def _said(c: CriterionScore | None) -> str:
    if c is None:
        return "not scored"
    if c.verdict == "n/a":
        return "n/a"
    return f"{c.verdict} ({c.score:g}/{c.max:g})"


def _drill_words(d: Spread) -> str:
    if d.n == 0:
        return "no drill reps were scored on it"
    text = f"{d.n} drill rep{'' if d.n == 1 else 's'}, mean {d.mean:.2f} of the maximum, best {d.best:.2f}"
    if d.interval is not None:
        text += f" (90% interval {d.interval[0]:.2f}–{d.interval[1]:.2f})"
    return text


def _decide(criterion: Criterion, original: CallSample, new: CallSample,
            own: MetricChange | None) -> tuple[str, str]:
    """(verdict, reason) from the criterion's result on both calls (module docstring)."""
    was, now = original.criterion, new.criterion
    name = criterion.name
    if now is None:
        return NOT_ENOUGH, f"the next call was not scored on “{name}”, so it cannot show a change"
    if now.share is None:
        return NOT_ENOUGH, f"“{name}” did not apply on the next call (n/a): the situation did not come up"
    if not new.situation_arose:
        return NOT_ENOUGH, new.situation_note or "the situation of the moment did not come up on the next call"
    if was is None or was.share is None:
        return NOT_ENOUGH, f"“{name}” had no result on the original call, so there is nothing to compare with"
    if was.verdict == "met" and now.verdict == "met":
        return NOT_ENOUGH, f"“{name}” was already met on the original call and is met again: nothing to improve"
    delta = now.share - was.share
    rose = _RANK.get(now.verdict, 0) > _RANK.get(was.verdict, 0)
    moved = f"“{name}” went from {_said(was)} to {_said(now)} (change {delta:+.2f} of the maximum)"
    if rose and delta >= MIN_CRITERION_CHANGE - 1e-9:
        if own is not None and own.change != "better":
            return NOT_ENOUGH, (f"{moved}, but {own.name} did not clearly get better ({own.change}: a change under "
                                "its resolution or an interval that holds zero), so the rise is within the noise of "
                                "one call")
        return IMPROVED, f"{moved}: at least one verdict step and {MIN_CRITERION_CHANGE:.1f} of the maximum"
    if _RANK.get(now.verdict, 0) < _RANK.get(was.verdict, 0) or delta <= 0:
        return NOT_IMPROVED, f"{moved}: the situation came up and the behaviour did not get better"
    return NOT_ENOUGH, (f"{moved}: a rise smaller than one verdict step and {MIN_CRITERION_CHANGE:.1f} of the "
                        "maximum is within the noise of one call")


def _next_step(verdict: str, drills: Spread, why: str) -> tuple[str, str]:
    """The next step for a verdict; ``why`` tells the kinds of "not enough evidence" apart (``_why_not_enough``)."""
    if verdict == IMPROVED:
        return MOVE_ON, "the behaviour showed up on a real call: move on to the next criterion"
    if verdict == NOT_IMPROVED:
        if drills.went_well:
            return LIVE, ("the drill reps went well but the call did not change: a transfer gap — coach it live "
                          "(listen in on a call, or role-play right before one)")
        if drills.n < DRILL_GOOD_MIN_REPS:
            done = "no drill reps were" if drills.n == 0 else "only one drill rep was"
            return REPEAT, (f"{done} scored on the criterion, too few to tell whether the drill works: do at least "
                            f"{DRILL_GOOD_MIN_REPS} reps (or the drill from another angle), then watch the next call")
        return REPEAT, ("the drill reps did not go well either: repeat from another angle (a different difficulty "
                        "or scenario)")
    if why == "met_twice":
        return MOVE_ON, "it was met on both calls: nothing to coach here, move on"
    if why == "noise":
        return WATCH, ("the change is within the noise of one call: keep practising and judge it on another call "
                       "(open a loop again)")
    if drills.went_well:
        return WATCH, "the drill reps went well; open a loop again on the next call where the situation comes up"
    return WATCH, "open a loop again on the next call where the situation comes up"


def _why_not_enough(original: CallSample, new: CallSample) -> str:
    """Why a verdict is "not enough evidence": ``met_twice``, ``noise`` (both calls scored it, the situation came
    up) or ``absent`` (the situation did not come up, or a call has no result for the criterion)."""
    was, now = original.criterion, new.criterion
    if not new.situation_arose or was is None or now is None or was.share is None or now.share is None:
        return "absent"
    return "met_twice" if was.verdict == now.verdict == "met" else "noise"


def judge(rubric: Rubric, criterion_id: str, original: CallSample, drills: Sequence[DrillSample],
          new: CallSample) -> LoopVerdict:
    """The loop's verdict for ``criterion_id`` of ``rubric`` (KeyError when the rubric has no such criterion)."""
    criterion = rubric.criterion(criterion_id)
    bands = {c.metric: (c.target.min, c.target.max) for c in rubric.criteria
             if c.kind == "metric" and c.metric and c.target is not None}
    changes = tuple(metric_change(name, original, drills, new, bands.get(name))
                    for name in linked_metrics(criterion))
    own = changes[0] if criterion.kind == "metric" and changes else None
    verdict, reason = _decide(criterion, original, new, own)
    shares = [s for d in drills if d.criterion is not None and (s := d.criterion.share) is not None]
    drill_spread = spread(shares)
    step, why = _next_step(verdict, drill_spread, _why_not_enough(original, new) if verdict == NOT_ENOUGH else "")
    was, now = original.criterion, new.criterion
    delta = now.share - was.share if was and now and was.share is not None and now.share is not None else None
    reason = f"{reason[:1].upper()}{reason[1:]}. Drill reps: {_drill_words(drill_spread)}."
    return LoopVerdict(verdict, reason, step, why, criterion.id, criterion.name, was, now, delta, drill_spread,
                       changes, new.situation_arose, new.situation_note)
