"""Built-in persona lines for moments a scenario may not have authored, and the yes/no reading of lines.

A scenario's own beats always come first; these keep the persona human when they are missing: an insult gets a
reaction (not "Okay."), a contradiction disagreement, "are you an AI?" an in-character answer that goes back to the
scene, small talk a brief answer, an instruction to the "AI" a puzzled look, and a yes/no question an answer that
follows from the state (an open objection means "not yet"), never a random "Yes.".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from sparring.content.scenario import Scenario

YesNo = Literal["yes", "no", "hedge"]

BUILTIN: dict[str, tuple[str, ...]] = {
    "react:hostile": (
        "Excuse me? There's no need for that.",
        "Wow. Okay. I didn't expect that from you.",
        "That's uncalled for.",
        "I'm not going to be spoken to like that.",
        "Right. I'll remember you said that.",
    ),
    "react:disagree": (  # a head-on contradiction or a need waved away: disagreement, not offence
        "I don't see it that way.",
        "Hm. That's not how it looks from where I sit.",
        "I'm not sure that's right.",
        "I'd push back on that.",
    ),
    "react:pressure": (
        "Don't push me.",
        "I'm not deciding anything under pressure.",
        "Pushing harder won't get you a faster yes.",
    ),
    "react:injection": (
        "I'm sorry, what? I don't follow.",
        "That's a strange thing to say. Shall we get back to it?",
        "I'm not sure what that means.",
    ),
    "react:small-talk": (
        "Fine, thanks. Busy.",
        "Good, thanks. Let's make the most of the time.",
        "Not bad, thanks.",
    ),
    "react:curt": (  # a close from a learner who has only ever said a few words at a time
        "Hang on. You've hardly talked this through with me.",
        "I'd need more than a few words before I agree to anything.",
        "Slow down. I don't feel we've actually discussed it.",
    ),
    "react:not-yet": (
        "Not yet.",
        "Not so fast.",
        "We're not there yet.",
    ),
    "react:leaving": (
        "Okay. Bye.",
        "Right. Speak soon.",
        "Fine. Let's leave it there.",
    ),
    "react:send-it": (
        "Fine, send it over.",
        "Sure. Put it in writing.",
        "Okay, send it and I'll have a look.",
    ),
    "yes": ("Yes, broadly.", "Yes, that's about right.", "Roughly, yes."),
    "no": ("Not yet, no.", "No, not as it stands.", "Not really, no."),
    "hedge": ("More or less.", "Depends.", "Partly."),
}

_YES = re.compile(r"^(?:yes|yeah|yep|sure|right|correct|roughly|exactly|that's right|probably|i think so|fair)\b")
_NO = re.compile(r"^(?:no|nope|not|nah|hardly|never|i don't think so)\b")


def identity_lines(scenario: Scenario) -> tuple[str, ...]:
    """In-character answers to "are you a bot?" that go back to the scene."""
    p = scenario.persona
    first = p.name.split()[0]
    where = f" at {p.company}" if p.company else ""
    return (
        f"I'm {p.name}, {p.role}{where}. Last time I checked, anyway. Can we get back to it?",
        f"Ha. No, it's just me, {first}. Where were we?",
        f"That's an odd question. I'm {first}, and I've got a job to do. Shall we carry on?",
    )


def builtin(situation: str, scenario: Scenario) -> tuple[str, ...]:
    if situation == "react:identity":
        return identity_lines(scenario)
    return BUILTIN.get(situation, ())


def polarity(line: str) -> YesNo:
    """Whether a line answers yes, no, or neither."""
    s = line.lower().replace("\u2019", "'").strip(" \"'")
    if _NO.match(s):
        return "no"
    if _YES.match(s):
        return "yes"
    return "hedge"


def yes_no_pool(authored: Sequence[str], answer: YesNo) -> list[str]:
    """The authored closed-question lines that give ``answer``; the built-in ones when none does."""
    return [line for line in authored if polarity(line) == answer] or list(BUILTIN[answer])
