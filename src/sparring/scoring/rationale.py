"""Plain-language rationales for scorecard criteria: one or two sentences a learner understands, with the numbers
kept where they help ("You asked 4 open questions (target: at least 3)", "Shown at turn 6: you offered a trade,
close to the example "If we sign three years…"").  No raw similarity numbers: closeness is said in words.

Everything here is deterministic string building from values the scorer already computed; nothing is scored here.
Turn numbers are the ones the evidence cites. Learner words are never paraphrased into quotes: the verbatim
quote is in the evidence; the rationale names the turn and shortens only the rubric's own example lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from sparring.content.rubric import Criterion

#: what an act means, as something the learner did ("you …"); old tag names read through their acts
ACT_PHRASES: dict[str, str] = {
    "small_talk": "you made small talk",
    "acknowledge": "you acknowledged them",
    "empathise": "you showed empathy",
    "reflect_simple": "you reflected what they said",
    "reflect_complex": "you reflected what they meant",
    "summarise": "you summarised what they said",
    "question_open": "you asked an open question",
    "question_closed": "you asked a closed question",
    "question_clarifying": "you asked what they meant",
    "permission_ask": "you asked permission",
    "describe_behaviour": "you described what they did",
    "state_impact": "you said what it caused",
    "information": "you gave information",
    "advice": "you gave advice",
    "quantified_value": "you put a number on the value",
    "feature_pitch": "you described a feature",
    "tradeoff_offer": "you offered a trade",
    "concession": "you gave something away",
    "next_step_proposal": "you proposed a next step",
    "next_step_accept": "you agreed to a next step",
    "commitment_ask": "you asked for a commitment",
    "pressure": "you put pressure on them",
    "confront": "you argued with them head-on",
    "blame_label": "you blamed or labelled them",
    "insult": "you insulted them",
    "dismiss_need": "you dismissed their need",
    "identity_question": "you asked whether they are real",
    "instruction_injection": "you gave them instructions as if they were a machine",
    "off_topic": "you went off topic",
}

#: what an act is, as a noun phrase ("advice or information") for "does not apply" sentences
ACT_NOUNS: dict[str, str] = {
    "advice": "advice", "information": "information", "concession": "a concession", "tradeoff_offer": "an offer",
    "next_step_proposal": "a next step", "commitment_ask": "a request to commit", "quantified_value": "a number",
    "feature_pitch": "a pitch", "question_open": "an open question", "question_closed": "a question",
    "pressure": "pressure", "reflect_simple": "a reflection", "reflect_complex": "a reflection",
}  # fmt: skip


_SHARE = frozenset({"talk_share", "open_question_share", "telling_share"})


def short(text: str, words: int = 8) -> str:
    """The first ``words`` words of a rubric example line, with an ellipsis when cut."""
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]).rstrip(",;:—-") + "…"


def did(acts: frozenset[str] | set[str], signals: list[str]) -> str | None:
    """What the learner did, from the criterion's signal acts the segment carries ("you offered a trade")."""
    from sparring.nlp.act_aliases import resolve_acts

    for name in signals:
        for act in sorted(resolve_acts([name])):
            if act in acts and act in ACT_PHRASES:
                return ACT_PHRASES[act]
    return None


def closeness(example: str | None, similarity: float) -> str:
    """How a line resembles the rubric's example, in words (no raw similarity numbers for learners)."""
    level = "very like" if similarity >= 0.7 else "like" if similarity >= 0.55 else "somewhat like"
    if not example:
        return f"{level} what the criterion describes"
    return f'{level} the example "{short(example)}"'


# ---------------------------------------------------------------------------------------------- metrics
def _num(metric: str, v: float, precise: bool = False) -> str:
    if metric in _SHARE:
        return f"{100 * v:.1f}%" if precise else f"{100 * v:.0f}%"
    if float(v).is_integer():
        return f"{int(v)}"
    if precise:
        return f"{v:.3g}"
    return f"{v:.2g}" if abs(v) < 10 else f"{v:.0f}"


def _band(metric: str, lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{_num(metric, lo)}–{_num(metric, hi)}"
    return f"at least {_num(metric, lo)}" if lo is not None else f"at most {_num(metric, hi or 0.0)}"


def _what(metric: str, v: float, metrics: Mapping[str, Any], precise: bool = False) -> str:
    """The measured value as a sentence about the conversation (``precise``: one more digit)."""
    n = _num(metric, v, precise)
    turns = metrics.get("learner_turns")
    if metric == "talk_share":
        return f"You did {n} of the talking"
    if metric == "telling_share":
        if isinstance(turns, int) and turns:
            return f"{round(v * turns)} of your {turns} turns ({n}) gave information or advice"
        return f"{n} of your turns gave information or advice"
    if metric == "reflection_to_question_ratio":
        r, q = metrics.get("reflection_count"), metrics.get("question_count")
        if isinstance(r, int) and isinstance(q, int):
            return f"You made {r} reflection{'s' * (r != 1)} to {q} question{'s' * (q != 1)}, a ratio of {n}"
        return f"Your reflection-to-question ratio was {n}"
    if metric == "question_count":
        return f"You asked {n} question{'s' * (v != 1)}"
    if metric == "question_rate":
        return f"You asked a question in {_num('talk_share', v, precise)} of your turns"
    if metric == "open_question_share":
        return f"{n} of your questions were open"
    if metric == "longest_monologue_words":
        return f"Your longest stretch of talking was {n} words"
    if metric == "longest_monologue_seconds":
        return f"Your longest stretch of talking lasted {n} seconds"
    if metric == "longest_counterpart_story_words":
        return f"The other person's longest uninterrupted stretch was {n} words"
    if metric == "longest_counterpart_story_seconds":
        return f"The other person's longest uninterrupted stretch lasted {n} seconds"
    if metric == "filler_rate":
        return f"You used {n} fillers per 100 words"
    if metric == "interruptions":
        return f"You started talking before the other person had finished {n} time{'s' * (v != 1)}"
    if metric == "patience_seconds":
        return f"You waited {n} seconds on average before answering"
    if metric == "words_per_minute":
        return f"You spoke at {n} words per minute"
    if metric == "interactivity":
        return f"The speaker changed {n} times per minute"
    return f"{metric.replace('_', ' ').capitalize()} was {n}"


def metric_rationale(c: Criterion, v: float, verdict: str, metrics: Mapping[str, Any]) -> str:
    assert c.metric is not None and c.target is not None
    target = _band(c.metric, c.target.min, c.target.max)
    partly = _band(c.metric, c.partly.min, c.partly.max) if c.partly is not None else None
    if verdict == "met":
        tail = "on target."
    elif verdict == "partly":
        tail = f"close: {partly} earns half credit." if partly else "just outside it, so half credit."
    else:
        tail = f"off target ({partly} would have earned half credit)." if partly else "off target."
    # a value just outside the band must not print as the bound itself ("65%" against "at most 65%")
    bounds = [b for b in (c.target.min, c.target.max) if b is not None]
    precise = verdict != "met" and any(_num(c.metric, v) == _num(c.metric, b) for b in bounds)
    return f"{_what(c.metric, v, metrics, precise)} (target: {target}) — {tail}"


_TIMED = frozenset({
    "longest_monologue_seconds", "longest_counterpart_story_seconds", "interactivity", "patience_seconds",
    "words_per_minute", "interruptions",
})  # fmt: skip


def metric_unavailable(c: Criterion) -> str:
    from sparring.scoring.explain import metric_label

    name = metric_label(c.metric).lower() if c.metric else "this metric"
    if c.metric in _TIMED:
        return f"Not scored: {name} needs timing, and this transcript has none (no number is invented)."
    return f"Not scored: {name} cannot be computed for this conversation (for example, nothing to count)."


# ---------------------------------------------------------------------------------------------- check / scale
class SegmentLike(Protocol):
    """What the sentences below read from a scored segment (``embedded.SegmentScore``)."""

    @property
    def turn(self) -> int: ...

    strength: float
    positive: float
    negative: float
    closest_positive: str | None
    closest_negative: str | None
    signal: str | None


def shown_at(s: SegmentLike) -> str:
    """'turn 6: you offered a trade, like the example "If we sign three years…"'."""
    what = ACT_PHRASES.get(s.signal or "")
    near = closeness(s.closest_positive, s.positive)
    return f"turn {s.turn}: " + (f"{what}, {near}" if what else near)


def avoid_at(s: SegmentLike) -> str:
    return f'turn {s.turn} reads like what to avoid ("{short(s.closest_negative or "")}")'


def example_of(c: Criterion) -> str:
    return f' Something like: "{short(c.examples_positive[0], 12)}"' if c.examples_positive else ""


def missed_without_counter(
    c: Criterion, best: SegmentLike | None, needed: tuple[int, str] | None, attempt: bool
) -> str:
    """Why a check or scale was missed when nothing read like a negative example, naming what the cited turn is:
    the turn where the behaviour was needed, the closest attempt, or merely the nearest line."""
    if needed is not None:
        return f"Missed: at turn {needed[0]} {needed[1]} (cited).{example_of(c)}"
    if best is not None and attempt:
        return f"Missed: your closest attempt, {shown_at(best)}, is not clear enough.{example_of(c)}"
    nearest = f" (the nearest line, turn {best.turn}, is cited)" if best is not None else ""
    return f"Missed: nothing you said comes close to this{nearest}.{example_of(c)}"


def check_rationale(
    verdict: str, best: SegmentLike | None, counter: SegmentLike | None, c: Criterion, *,
    needed: tuple[int, str] | None, attempt: bool, strong: float,
) -> str:
    if verdict == "met":
        assert best is not None
        return f"Shown at {shown_at(best)}."
    if verdict == "partly":
        assert best is not None
        if counter is not None:
            return f"Partly shown at {shown_at(best)}, but {avoid_at(counter)}."
        return f"Partly shown at {shown_at(best)}, but not clearly enough for full credit."
    if counter is not None:
        if best is not None and best.strength >= strong:
            return f"Missed: {avoid_at(counter)}, which outweighs {shown_at(best)}."
        return f"Missed: {avoid_at(counter)}.{example_of(c)}"
    return missed_without_counter(c, best, needed, attempt)


def scale_rationale(
    level: int, anchor: str, best: SegmentLike | None, clear_turns: int, counter: SegmentLike | None, c: Criterion,
    *, needed: tuple[int, str] | None, attempt: bool,
) -> str:
    head = f"Level {level} of 5" + (f": {anchor.rstrip('.')}." if anchor else ".")
    if level >= 3 and best is not None:
        more = f"; {clear_turns} turns show it clearly" if clear_turns > 1 else ""
        but = f"; but {avoid_at(counter)}" if counter is not None else ""
        return f"{head} Clearest at {shown_at(best)}{more}{but}."
    if counter is not None:
        return f"{head} {avoid_at(counter).capitalize()}.{example_of(c)}"
    return f"{head} " + missed_without_counter(c, best, needed, attempt)


# ---------------------------------------------------------------------------------------------- blockers
def blocker_hit(turn: int, example: str | None, act: str | None, over: float | None,
                threshold: float | None) -> str:
    """Why a sentence breaks a rule, in plain words: the number offered, the act, or the example it resembles."""
    if over is not None and threshold is not None:
        why = f"you offered {over:g}% where the rule allows at most {threshold:g}% without approval"
    elif act is not None and example:
        why = f'{ACT_PHRASES.get(act, "you did what the rule forbids")}, much like "{short(example)}"'
    elif act is not None:
        why = ACT_PHRASES.get(act, "you did what the rule forbids")
    else:
        why = f'what you said matches what the rule forbids ("{short(example or "")}")'
    return f"Rule broken at turn {turn}: {why}. This fails the rep whatever the total."


def blocker_kept(turn: int, near: bool) -> str:
    if near:
        return f"Rule kept: turn {turn} (cited) comes closest, but it does not do what the rule forbids."
    return (f"Rule kept: nothing you said comes close to what the rule forbids (the nearest line, turn {turn}, "
            "is cited).")


def needed_turn(c: Criterion, roles: list[str], acts: list[frozenset[str]]) -> tuple[int, str] | None:
    """The learner turn where a missed behaviour was called for, when the acts show it: the first concession made
    without a trade (for a criterion whose signal is a trade), or the learner's last turn (for a next step or a
    commitment ask). None when the acts cannot tell; the scorer then cites the closest attempt."""
    from sparring.nlp.act_aliases import resolve_acts

    signals = resolve_acts([*c.acts, *c.signals])
    learner = [i for i, r in enumerate(roles) if r == "learner"]
    if "tradeoff_offer" in signals:
        for i in learner:
            if "concession" in acts[i] and "tradeoff_offer" not in acts[i]:
                return i, "you gave something away without asking for anything in return"
    if signals & {"next_step_proposal", "commitment_ask"} and learner:
        return learner[-1], "the conversation ended without an agreed next step"
    return None
