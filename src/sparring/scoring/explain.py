"""Scorecards in plain language (issue 11): what the counterpart decided and what the rubric says, side by side,
for the learner ("you") and for their manager (the learner by name), with metrics and engines named in words —
never a raw metric key, a similarity, or "engine embedded".

Pure string building from a scorecard and the rep's outcome; the web page and the terminal both use it. The
scorecard JSON (docs/scoring.md, "The scorecard (JSON)") is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sparring.scoring.scorecard import Scorecard

Audience = Literal["learner", "manager"]

#: what each conversation metric measures, as a reader says it
METRIC_LABELS: dict[str, str] = {
    "talk_share": "Share of the talking",
    "longest_monologue_words": "Longest stretch of talking (words)",
    "longest_monologue_seconds": "Longest stretch of talking (seconds)",
    "longest_counterpart_story_words": "Other person's longest stretch (words)",
    "longest_counterpart_story_seconds": "Other person's longest stretch (seconds)",
    "interactivity": "Speaker changes per minute",
    "patience_seconds": "Pause before answering (seconds)",
    "question_count": "Questions asked",
    "question_rate": "Turns with a question",
    "open_question_share": "Questions that were open",
    "words_per_minute": "Speaking pace (words per minute)",
    "filler_rate": "Fillers per 100 words",
    "interruptions": "Times talked over the other person",
    "reflection_to_question_ratio": "Reflections per question",
    "telling_share": "Turns that told rather than asked",
    "learner_turns": "Turns taken",
    "learner_words": "Words spoken",
    "counterpart_words": "Words the other person spoke",
    "reflection_count": "Reflections",
}
_PERCENT = frozenset({"talk_share", "question_rate", "open_question_share", "telling_share"})


def metric_label(name: str) -> str:
    return METRIC_LABELS.get(name, name.replace("_", " ").capitalize())


def metric_value(name: str, value: float | int) -> str:
    if name in _PERCENT:
        return f"{100 * float(value):.0f}%"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.1f}"


def engine_label(engine: str) -> str:
    """Who scored the rep, in words: the built-in scorer or a named language model."""
    if engine.startswith("llm:"):
        return f"scored by a language model ({engine[4:]})"
    return "scored by the built-in scorer (works offline)"


_OUTCOMES: dict[str, tuple[str, str]] = {
    # outcome -> (for the learner, for a manager); {who} is the counterpart, {learner} the learner
    "success": ("{who} agreed — you reached what the scenario asked for.",
                "{who} agreed — {learner} reached what the scenario asked for."),
    "failure": ("{who} did not agree — the conversation ended without the result the scenario asked for.",
                "{who} did not agree — {learner}'s conversation ended without the result the scenario asked for."),
    "incomplete": ("{who} had not decided yet when the conversation ended.",
                   "{who} had not decided yet when {learner}'s conversation ended."),
    "in_progress": ("The conversation is still going.", "The conversation is still going."),
}


@dataclass(frozen=True)
class OutcomeAndScore:
    outcome: str  # what the counterpart decided
    score: str  # what the rubric says
    relation: str  # how the two fit together


def outcome_and_score(
    outcome: str | None, card: Scorecard, *, audience: Audience = "learner", learner: str = "the learner",
    counterpart: str = "The other person", names: Mapping[str, str] | None = None, pass_mark: float | None = None,
) -> OutcomeAndScore:
    """The rep's outcome and its score explained side by side (see the module docstring)."""
    names = names or {}
    you = "you" if audience == "learner" else learner
    idx = 0 if audience == "learner" else 1
    who = counterpart[:1].upper() + counterpart[1:]
    said = _OUTCOMES.get(outcome or "", ("There is no outcome for this conversation (it was scored as a transcript).",
                                          "There is no outcome for this conversation (it was scored as a transcript)."))
    outcome_text = said[idx].format(who=who, learner=learner)
    mark = f" (pass mark {pass_mark:g})" if pass_mark is not None else ""
    verdict = "passes" if card.passed else "does not pass"
    score_text = f"The rubric gives {card.overall:.0f} of 100{mark}: it {verdict}."
    broken = [names.get(b, b.replace("-", " ")) for b in card.blockers]
    if broken:
        score_text += f" A rule was broken ({'; '.join(broken)}), which fails the rep whatever the total."
    missed = [names.get(c.id, c.id.replace("-", " ")) for c in card.criteria
              if c.kind != "blocker" and c.verdict == "missed"]
    skipped = [names.get(c.id, c.id.replace("-", " ")) for c in card.criteria if c.verdict == "n/a"]
    if skipped:
        score_text += f" Not applicable here, so left out: {'; '.join(skipped)}."
    agreed = outcome == "success"
    if outcome not in ("success", "failure", "incomplete"):
        relation = "The score says how the conversation went against the rubric."
    elif agreed and card.passed:
        relation = f"Both agree: {'you' if you == 'you' else you} got the result and did what the rubric asks."
    elif agreed:
        gaps = f" — missed: {'; '.join(missed[:3])}" if missed else ""
        relation = (f"The outcome and the score differ: the other person said yes, but the rubric looks at how "
                    f"{you} got there{gaps}. A real buyer or colleague may not be as forgiving.")
    elif card.passed:
        relation = (f"The outcome and the score differ: {you} did what the rubric asks, but the other person was not "
                    "persuaded this time — at a harder level that happens; the score is about the skills shown.")
    else:
        gaps = f" Start with: {'; '.join(missed[:2])}." if missed else ""
        relation = f"Both agree: no result, and the rubric shows why.{gaps}"
    return OutcomeAndScore(outcome_text, score_text, relation)
