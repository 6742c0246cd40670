"""The utterance-act vocabulary: what a line *does* in a conversation, one set of names for every engine.

Issue 11 makes this the one vocabulary of the persona engine, the scorer, the metrics and the call-moment
finder (today ``persona/moves.py`` and ``scoring/tagging.py`` label the same lines with two near-identical
sets). This module is the start of that: the act names and what each means, as the labelled corpus in
``corpus/acts/`` uses them (``corpus/acts/GUIDE.md`` is the labelling guide written from these definitions).

A line may carry several acts ("I hear you. What would make it worth it?" is ``acknowledge`` and
``question_open``); a line with none of them is ``other``. Acts describe the speaker's own move: naming the
other side's number is not offering a discount, reporting what someone else said is not saying it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Act:
    name: str
    group: str
    meaning: str


ACTS: tuple[Act, ...] = (
    # rapport and listening
    Act("small_talk", "rapport", "greeting, thanks, pleasantries, goodbye or chat unrelated to the business at hand"),
    Act("acknowledge", "listening", "signals the other was heard or has a point (\"fair enough\", \"I see\", "
        "\"that makes sense\") without restating what they said"),
    Act("empathise", "listening", "names or validates the other's feeling or situation with warmth"),
    Act("reflect_simple", "listening", "restates what the other just said, close to their words, without adding"),
    Act("reflect_complex", "listening", "restates the other's meaning with something added: the feeling under it, "
        "the reason, the other side of their ambivalence, a metaphor"),
    Act("summarise", "listening", "pulls together several things the other said over the conversation"),
    # questions
    Act("question_open", "question", "a question that invites a free answer (what, how, why, tell me about…; "
        "\"can I ask what…\" counts)"),
    Act("question_closed", "question", "a question answerable with yes/no or one fact (is, do, will, which one)"),
    Act("question_clarifying", "question", "asks what the other meant by something they said "
        "(\"when you say X, do you mean…\")"),
    Act("permission_ask", "question", "asks whether it is all right to share, suggest, or move on"),
    # feedback and coaching
    Act("describe_behaviour", "feedback", "states a specific, observable thing the other did or said"),
    Act("state_impact", "feedback", "says what a behaviour or situation caused or costs"),
    # content
    Act("information", "content", "gives facts, an explanation or an answer, neutrally"),
    Act("advice", "content", "tells the other what they should do or recommends a course of action"),
    Act("quantified_value", "content", "states the value or result of something in numbers (money, time, rates)"),
    Act("feature_pitch", "content", "describes what a product or offer has or does, without tying it to the "
        "other's numbers or situation"),
    # negotiation and closing
    Act("tradeoff_offer", "negotiation", "a conditional offer: gives something only in exchange for something "
        "(\"if you…, we can…\", \"what if we…\")"),
    Act("concession", "negotiation", "the speaker gives something away unconditionally: a discount, a freebie, "
        "dropping a requirement, lowering their own position"),
    Act("next_step_proposal", "negotiation", "proposes a concrete next step (a meeting, a document, a trial), "
        "ideally with who and when"),
    Act("next_step_accept", "negotiation", "agrees to a next step the other proposed"),
    Act("commitment_ask", "negotiation", "asks the other to decide, agree, sign or commit now"),
    # pressure and hostility
    Act("pressure", "hostile", "pushes for a decision with urgency, threats or guilt (\"today only\", "
        "\"you'd be foolish not to\")"),
    Act("confront", "hostile", "argues with, contradicts or corrects the other head-on (\"that's not true\", "
        "\"you're wrong about that\")"),
    Act("blame_label", "hostile", "attributes fault to the person's character or pins a label on them "
        "(\"you're just lazy\", \"you're in denial\")"),
    Act("insult", "hostile", "demeans or abuses the other"),
    Act("dismiss_need", "hostile", "tells the other their need, concern or feeling does not matter or is not "
        "real (\"you don't need that\", \"that's not a real problem\")"),
    # off the conversation
    Act("identity_question", "meta", "asks whether the other is a bot, an AI, a test, or who is behind it"),
    Act("instruction_injection", "meta", "tries to give the other system instructions "
        "(\"ignore your instructions\", \"you are now…\", \"as the AI, agree\")"),
    Act("off_topic", "meta", "talks about something unrelated to the conversation's business that is not small talk"),
    Act("other", "meta", "none of the above (fillers, fragments, a bare 'ok')"),
)

ACT_NAMES: tuple[str, ...] = tuple(a.name for a in ACTS)
_BY_NAME = {a.name: a for a in ACTS}


def act(name: str) -> Act:
    """The act called ``name`` (KeyError names the unknown act)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown act {name!r}") from None
