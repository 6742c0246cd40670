"""How the embedded persona words a reply: first it *responds* to what the learner just did, then it may
*advance* its own agenda. One coherent intent per reply: a reply never stitches a rebuke to a concession ("You're
closing before you've answered me. Okay, that clears twelve months.").

The response is, in order of precedence: the end of the rep; a reaction to a hostile or off-the-scene move
(insult, pressure, give-away, monologue, an instruction to "the AI", "are you a bot?", off-topic, advice); the
eased line of an objection the turn settled (after an answer, when the turn asked about it); when the learner
closes while a required concern is open, an answer about what they offered (``sparring.persona.offers``), or "not
yet" when they offered nothing; a brief answer to small talk; an answer to an open question; a
yes/no answer that follows from the state; a nod to a helpful move. The advance is the next objection surfacing,
the open one pressed again (a pressing line only rebuts a turn that argued; otherwise the concern is restated), or
an invitation to propose the next step once everything is settled.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sparring.content.scenario import DifficultyProfile, Objection, Scenario
from sparring.persona.base import PersonaState
from sparring.persona.easing import about
from sparring.persona.listen import QUESTIONS, Turn
from sparring.persona.memory import neutral_success, restate
from sparring.persona.moves import RELEVANT_SITUATIONS, similarities
from sparring.persona.offers import STILL_SHORT, aside_lines, helps_lines, restated, so_far_lines
from sparring.persona.reply import YesNo, builtin, yes_no_pool
from sparring.persona.rules import (
    FALLBACK_LINES,
    NEGATIVE_REACTIONS,
    POSITIVE_REACTIONS,
    Facts,
    holds,
    pick,
)
from sparring.persona.told import remember_told

#: situations whose line is chosen by fit to the learner's words (see ``Composer.fitting``)
FITTED = ("answer:", "eased:", "preempted:")
#: a question about what the persona wants, hopes or fears: no fact answers it, its open concern does
ABOUT_THEIR_WISHES = re.compile(
    r"\b(?:(?:do|would) you (?:want|like|need|hope)|you(?:'d| would) (?:like|want)|what do you want|for you\b|"
    r"worr(?:y|ies) you|stops? you|matters? (?:most )?to you|you(?:'re)? (?:hoping|afraid|worried))",
    re.IGNORECASE,
)
#: the learner asks what is still in the way ("What's still missing for you?", "what a workable answer looks like
#: from your side"): the open concern is the answer, restated if it was said before (live play: "That I couldn't
#: tell you." to "What's still missing?" with a concern open)
WHATS_MISSING = re.compile(
    r"\b(?:(?:still )?missing|would it take|(?:else )?do you need|need (?:from|to see from) (?:me|us)|"
    r"from your (?:side|end|point of view)|work(?:able)? for you|get (?:this|it|us) over the line)\b",
    re.IGNORECASE,
)
#: a broad question about the persona's own situation or stance ("ok. why?", "What's going on?", "Can I ask what's
#: driving it?", "So what do you say?", "What brings you in?"): a person always has an answer to it — their concern —
#: and "No idea, to be honest." reads as a non sequitur (blind review of the development split, 2026-12-07, fourth
#: session: 10 of 56 replies that did not follow were "I don't know" to such a question or to no question at all).
#: "I don't know" stays for a question after a fact the persona does not have ("How many people are on your team?")
BROAD_QUESTION = re.compile(
    r"^(?:(?:so|and|but|ok|okay|well|right|then|sorry|just|also|honestly|can i ask|may i ask|could i ask|"
    r"i'm curious|i am curious|curious)\W+)*"
    r"(?:why\b|how come\b|"
    r"what(?:'s| is| was) (?:going on|up|happening|behind|driving|the (?:reason|thinking|story|worry|concern|"
    r"problem|issue|hesitation|hold-?up))|"
    r"what (?:brings|brought|drives|is driving|made|makes|worries|concerns|bothers|happened)\b|"
    r"what do you (?:think|say|reckon|make of|mean|feel)\b|how do you (?:feel|see|think)\b|"
    r"how (?:would|will|do|did) you know\b|how (?:you'd|you would) know\b|what would you (?:look at|need|want)\b|"
    r"tell me (?:more|about)\b|talk me through\b|walk me through\b|where (?:are you|do you stand)\b)",
    re.IGNORECASE,
)
#: situations where the persona gives way, restating what was agreed (see ``Composer.heard_terms``)
GIVING_WAY = ("eased:", "preempted:")
BUILTIN_GIVING_WAY = ("Okay. That could work.", "Fair enough. That helps.", "Okay, that makes sense.")
#: ... when the turn put nothing on the table: "That could work." agrees to a proposal nobody made (blind review of the
#: development split, 2026-12-07: after "I should say the price is already very competitive")
BUILTIN_GIVING_WAY_UNOFFERED = ("Okay. Fair enough.", "Hm. Alright.", "Okay. I hear you.")
#: a background line this close to a question passes for an answer to it
ANSWER_MIN_FIT = 0.3  # 0.2 until 2026-12-07: on the development split most background answers under 0.3 were
#                      non sequiturs ("What did you have for lunch?" → "Month end is when it all piles up.")
#: a pressing line is added after a response only when it is this close to the learner's line (it rebuts what they
#: argued; otherwise "I don't pay you to tell me no" answers a proposal nobody made)
PRESS_MIN_FIT = 0.3
#: lines within this cosine of the best fit count as equally good
FIT_MARGIN = 0.03
#: reactions after which the persona goes back to the scene (presses its open concern)
RETURNS_TO_SCENE = frozenset({"react:identity", "react:injection", "react:small-talk", "react:off-topic"})
#: after these the persona restates its concern (its objection lines) rather than a pressing line, which rebuts
#: an argument: there was none ("Not yet. Claims are cheap." after a proposal to test)
RESTATES = RETURNS_TO_SCENE | {"react:not-yet", "react:send-it"}
#: acts that are the point of a turn that also gives advice: the persona answers them, not the advice
PRIMARY_OVER_ADVICE = frozenset({"next_step_proposal", "next_step_accept", "commitment_ask", "tradeoff_offer"})
#: asking acts that make advice a suggestion put to the persona, not a lecture ("test it first?", "Could we try a
#: pilot?"): ``question_closed`` is left out, a tag question ("Just fire him, yeah?") still tells
ASKING_OVER_ADVICE = frozenset({"question_open", "question_clarifying", "permission_ask"})
#: a state variable crossing these values makes the persona show a tell (``<var>_low`` / ``<var>_high``)
LOW_TELL = 0.3
HIGH_TELL = 0.7


@dataclass
class Plan:
    """What the engine decided about this turn, for the wording."""

    turn: Turn
    push_for_more: bool
    premature: bool
    progressed: bool
    just_eased: Objection | None
    preempted: Objection | None
    raised: Objection | None
    current: Objection | None
    before: dict[str, float]
    #: every number said in the conversation so far, by either side (an eased line never invents terms)
    heard: frozenset[float] = frozenset()
    #: a close from a learner who has played curtly (``embedded.curt``): not agreed to, and said why
    curt: bool = False


class Composer:
    def __init__(self, scenario: Scenario, state: PersonaState, facts: Facts, profile: DifficultyProfile) -> None:
        self.scenario, self.state, self.facts, self.profile = scenario, state, facts, profile
        self.used = set(state.used_lines)
        self.parts: list[str] = []
        self.situations: list[str] = []
        self.text = ""
        self.seed = ""
        self.heard: frozenset[float] = frozenset()
        #: the learner's turn put something on the table (a trade, a next step, value, a concession, or one of the
        #: scenario's own moves: "offers-alternative" is an offer the act vocabulary has no name for)
        self.offered = True

    # ---------------------------------------------------------------- lines
    def beats(self, situation: str) -> list[str]:
        shift = self.profile.threshold_shift
        return [line for b in self.scenario.beats if b.situation == situation and holds(b.when, self.facts, shift)
                for line in b.lines]

    def say(self, situation: str, pool: Sequence[str]) -> bool:
        if situation.startswith(GIVING_WAY):
            pool = self.heard_terms(pool)
        if situation.startswith(FITTED) or situation in RELEVANT_SITUATIONS:
            line = self.fitting(pool)
        else:
            line = pick(pool, self.used, self.seed + "|" + situation)
        if line is None:
            return False
        self.parts.append(line)
        self.used.add(line)
        self.situations.append(situation)
        return True

    def only_heard(self, pool: Sequence[str]) -> list[str]:
        """The lines that name no number nobody said: agreeing to "eighty stores" when the learner offered forty
        puts words in their mouth."""
        from sparring.nlp.clauses import numbers

        return [line for line in pool if line not in self.used and set(numbers(line)) <= self.heard]

    def heard_terms(self, pool: Sequence[str]) -> list[str]:
        """``only_heard``; when every fresh authored line names an unheard number, a plain built-in one gives way
        instead."""
        fresh = [line for line in pool if line not in self.used]
        if not fresh or self.only_heard(fresh):
            return self.only_heard(fresh)
        return list(BUILTIN_GIVING_WAY if self.offered else BUILTIN_GIVING_WAY_UNOFFERED)

    def react(self, situation: str) -> bool:
        """Say an authored line for the situation, else a built-in one."""
        return self.say(situation, self.beats(situation)) or self.say(situation, builtin(situation, self.scenario))

    def fitting(self, pool: Sequence[str]) -> str | None:
        """The fresh line that best fits what the learner just said; near-ties keep the authored variety."""
        fresh = [line for line in pool if line not in self.used]
        if len(fresh) <= 1:
            return fresh[0] if fresh else None
        scores = dict(zip(pool, similarities(self.text, tuple(pool)), strict=True))
        best = max(scores[line] for line in fresh)
        return pick([line for line in fresh if scores[line] >= best - FIT_MARGIN], self.used, self.seed)

    def answerable(self, pool: Sequence[str]) -> bool:
        return self.fits(pool, ANSWER_MIN_FIT)

    def fits(self, pool: Sequence[str], bar: float) -> bool:
        """A fresh line of ``pool`` comes at least ``bar`` close to what the learner just said."""
        fresh = [line for line in pool if line not in self.used]
        if not fresh:
            return False
        scores = dict(zip(pool, similarities(self.text, tuple(pool)), strict=True))
        return max(scores[line] for line in fresh) >= bar

    # ---------------------------------------------------------------- pieces
    def end(self) -> None:
        if self.state.outcome == "success":
            pool = [r for r in (restate(line, self.state.extra) for line in self.scenario.success_lines) if r]
            if not self.say("end:success", self.only_heard(pool)):
                self.say("end:success", [neutral_success(self.state.extra)])
        else:
            self.say(f"end:{self.state.outcome}", self.scenario.failure_lines)

    def answer_settled(self, eased: Objection) -> bool:
        """Answer a question that just settled ``eased``: what the persona knows when the question finds it,
        else the concern's own answers (the question was about it: that is why it settled)."""
        return self.share_known() or self.say(f"answer:{eased.id}", eased.answers)

    def share_known(self) -> bool:
        """Say what the persona knows that answers the learner's question, when it will share it (nothing else:
        no "I don't know", no guarded line)."""
        from sparring.persona.knowledge import answer as knowledge_answer
        from sparring.persona.knowledge import asks

        if not self.scenario.knowledge or not asks(self.text):
            return False  # a fact is an answer only to a sentence that asks for one
        told: list[str] = self.state.extra.setdefault("told", [])
        known = knowledge_answer(self.scenario, self.facts, self.text, frozenset(told),
                                 shift=self.profile.threshold_shift)
        if known.kind == "share" and self.say(f"know:{known.entry}", known.lines):
            if known.entry is not None:
                told.append(known.entry)
            return True
        return False

    def answer(self, current: Objection | None) -> bool:
        """Answer an open question: from what the persona knows (the scenario's ``knowledge``, gated by its
        mood; told facts are not news again), else the open objection's answers when the question is about it,
        else a background line that fits. A broad question about the persona's situation or stance ("why?",
        "what's going on?") is answered from its open concern. A question nothing answers gets "I don't know" in
        the persona's words when the scenario has a knowledge section; without one, or when no sentence of the
        turn actually asks, False (the persona goes back to its concern)."""
        from sparring.persona.knowledge import asks

        known = None
        # a fact answers only a sentence that asks for one: "Honestly, asking me what to do is part of why you didn't
        # get promoted." read as a question got the story of the promotion (blind review, 2026-12-07)
        if self.scenario.knowledge and asks(self.text):
            from sparring.persona.knowledge import answer as knowledge_answer

            told: list[str] = self.state.extra.setdefault("told", [])
            known = knowledge_answer(self.scenario, self.facts, self.text, frozenset(told),
                                     shift=self.profile.threshold_shift)
            if known.kind in ("share", "already_told") and self.say(f"know:{known.entry}", known.lines):
                if known.entry is not None and known.entry not in told:
                    told.append(known.entry)
                return True
        if current is not None and about(current, self.text, self.scenario) and self.say(
            f"answer:{current.id}", current.answers
        ):
            return True
        if known is not None and known.kind == "guarded":
            return self.say(f"guarded:{known.entry}", known.lines)
        if not asks(self.text):
            return False  # the act model heard a question where no sentence asks one ("Let me know what she says.")
        if current is not None and (ABOUT_THEIR_WISHES.search(self.text) or WHATS_MISSING.search(self.text)) and (
            self.from_concern(current)
        ):
            return True  # "What would a good outcome look like for you?": what they want is their open concern
        pool = self.beats("react:open-question")
        if self.answerable(pool) and self.say("react:open-question", pool):
            return True  # "Why are you so sure it's price?" → "I talk to ten customers a week. Half mention price."
        if current is not None and broad_question(self.text) and self.from_concern(current):
            return True  # "ok. why?" / "What's going on?" → the concern, never "No idea, to be honest."
        return known is not None and self.say("know:unknown", known.lines)

    def from_concern(self, current: Objection) -> bool:
        """Answer from the open concern: its answers, else its lines, restated when all were said."""
        return (self.say(f"answer:{current.id}", current.answers) or self.say(f"press:{current.id}", current.lines)
                or self.say(f"press:{current.id}", current.pressing_lines)
                or self.say(f"press-again:{current.id}", restated((*current.pressing_lines, *current.lines))))

    def yes_no(self, plan: Plan) -> bool:
        answer: YesNo = "hedge"
        if plan.progressed or plan.just_eased is not None or plan.preempted is not None:
            answer = "yes"
        elif plan.current is not None or plan.raised is not None:
            answer = "no"
        elif all(r in self.state.eased for r in self.facts.required):
            answer = "yes"
        return self.say(f"yes-no:{answer}", yes_no_pool(self.beats("react:closed-question"), answer))

    def positive(self, turn: Turn, neutral: bool = True, skip: frozenset[str] = frozenset()) -> bool:
        """A nod to a helpful move: agreement when the learner restated the persona's view, thanks for
        sympathy, interest in value; nothing for a bare "ok" or for a line that may be a dig."""
        if not _sincere(turn):
            return neutral and self.say("neutral", self.beats("neutral"))
        for act, situation in POSITIVE_REACTIONS:
            if act not in turn.names or act in skip or act in NO_NOD:
                continue
            pool = self.beats(situation)
            if situation == "react:rapport":
                pool = rapport_pool(pool, turn)
            elif situation == "react:open-question" and not self.answerable(pool):
                continue  # a background line that barely fits is a non sequitur, not a nod
            if self.say(situation, pool):
                return True
        return neutral and self.say("neutral", self.beats("neutral"))

    def tell(self, before: dict[str, float]) -> None:
        if any(s.startswith(("press:", "raise:")) for s in self.situations):
            return  # a reply that presses a concern does not also open up (two intents that pull apart)
        after = self.state.values
        for key in sorted(after):
            for mood, crossed in (("low", before.get(key, 0.5) >= LOW_TELL > after[key]),
                                  ("high", before.get(key, 0.5) < HIGH_TELL <= after[key])):
                name = f"{key}_{mood}"
                if crossed and name in self.scenario.persona.tells and len(self.parts) < 3:
                    self.say(f"tell:{name}", self.scenario.persona.tells[name])
                    return


#: acts that earn no nod by themselves: a bare "ok" or "let me know" is not agreement with anything
NO_NOD = frozenset({"acknowledge"})
#: a line whose hostile reading is at least this likely gets no warm reaction (it may be a dig)
DIG_BAR = 0.2
#: the acts a dig hides behind
DIGS = frozenset({"insult", "blame_label", "dismiss_need", "confront", "pressure"})
#: agreement reactions suit a learner who restated the persona's view; thanks suit sympathy
RESTATING = frozenset({"reflect_simple", "reflect_complex", "summarise"})
_THANKS = re.compile(r"\b(?:thanks|thank you|appreciate)\b", re.IGNORECASE)


def _sincere(turn: Turn) -> bool:
    """A turn the persona can take warmly: not low-effort, and no hostile act even near likely."""
    if "low-effort" in turn.derived:
        return False
    return not any(turn.probs.get(a, 0.0) >= DIG_BAR for a in DIGS)


def rapport_pool(lines: Sequence[str], turn: Turn) -> list[str]:
    """The rapport lines that fit what the learner did: agreement ("Yes. Exactly.") after a reflection or
    summary, thanks after sympathy alone ("I know you've got a lot on" is not a restatement to agree with)."""
    if turn.acts & RESTATING:
        return [line for line in lines if not _THANKS.search(line)] or list(lines)
    return [line for line in lines if _THANKS.search(line)]


def suggests(turn: Turn) -> bool:
    """The turn's advice is put as a question: an asking act is among its acts, or at least as likely as the advice
    ("Best way to reach him?": a question 0.39, advice 0.21). "I don't need a lecture" answers a lecture nobody gave
    (blind review of the sixth pass, 2026-12-08: "test it first?", advice 1.0 and asking permission 0.74). Only when
    some sentence of the turn asks: "Great question. Here's the deal: you need to lead something." reads as a question
    too, and tells."""
    from sparring.persona.knowledge import asks

    if not asks(turn.text):
        return False
    if turn.acts & ASKING_OVER_ADVICE:
        return True
    return max(turn.probs.get(a, 0.0) for a in ASKING_OVER_ADVICE) >= turn.probs.get("advice", 1.0) > 0.0


def negative_reaction(plan: Plan) -> str | None:
    if plan.push_for_more:
        return "react:push-for-more"
    names = plan.turn.names
    for act, situation in NEGATIVE_REACTIONS:
        if act == "advice" and names & PRIMARY_OVER_ADVICE:
            continue  # "I'll send the summary by Wednesday; you could loop in the COO" proposes, not lectures
        if act == "advice" and suggests(plan.turn):
            continue  # "test it first?" asks; "I don't need a lecture" answers a lecture nobody gave
        if act in names:
            return situation
    return None


def compose(scenario: Scenario, state: PersonaState, plan: Plan, facts: Facts,
            profile: DifficultyProfile) -> tuple[list[str], list[str]]:
    """The reply's lines and their situation labels."""
    c = Composer(scenario, state, facts, profile)
    turn = plan.turn
    c.text = turn.text
    c.heard = plan.heard
    c.offered = bool(turn.acts & OFFERING_ACTS or turn.custom)
    c.seed = f"{scenario.id}|{state.difficulty}|{state.learner_turns}|{turn.text}"
    if state.ended:
        c.end()
    else:
        _respond_and_advance(c, plan)
        c.tell(plan.before)
    if not c.parts and not c.say("neutral", c.beats("neutral")):
        c.say("fallback", FALLBACK_LINES)
    if not c.parts:  # every authored and fallback line is spent: end the rep rather than repeat a line
        state.ended, state.outcome, state.reason = True, "incomplete", "the persona ran out of lines"
        c.parts.append("I think we should leave it there for today.")
        c.situations.append("end:out-of-lines")
    remember_told(scenario, state, c.parts, c.situations)
    return c.parts, c.situations


#: acts that argue, offer or inform: a question that comes with one of them gets the concession when it settles
#: the concern ("Across 14 clinics that's $880,000 a year — what is a no-show worth to you?")
ARGUING = frozenset({"quantified_value", "tradeoff_offer", "information", "state_impact", "feature_pitch",
                     "next_step_proposal", "concession", "reflect_complex", "summarise", "describe_behaviour"})

#: acts that put a claim, an argument or a proposal to the persona: what a pressing line (a rebuttal) can answer
ARGUED = frozenset({"quantified_value", "tradeoff_offer", "information", "state_impact", "feature_pitch",
                    "next_step_proposal", "concession", "describe_behaviour", "advice", "commitment_ask"})

#: warm reactions after which the persona does not press its concern in the same reply (two intents)
WARM_REACTIONS = frozenset({"react:rapport", "react:value"})

#: the learner is leaving the conversation ("ok. talk later.", "Bye.", "Let me know what she says.")
LEAVING = re.compile(
    r"\b(?:bye|goodbye|talk (?:to you )?(?:later|soon)|speak (?:to you )?soon|catch you later|take care|"
    r"have a good (?:one|day|week|weekend)|let me know (?:what|how|if))\b",
    re.IGNORECASE,
)
_WH = re.compile(r"^\W*(?:(?:and|so|but|ok|okay|well|right|fine|then|um|uh|oh)\W+)*"
                 r"(?:what|how|why|when|where|who|whom|whose|which)\b", re.IGNORECASE)


_QUESTION_WORDS = frozenset({"what", "how", "why", "when", "where", "who", "whom", "whose", "which"})
_AUXILIARIES = frozenset({"is", "are", "was", "were", "do", "does", "did", "can", "could", "would", "will", "should",
                          "shall", "have", "has", "had", "may", "might", "must", "am", "isn't", "aren't", "don't",
                          "doesn't", "didn't", "won't", "wouldn't", "can't", "couldn't", "shouldn't"})


#: acts that put a point to the persona: what "Fair." or "I grant you" can concede to
POINT_MAKING = frozenset({"quantified_value", "tradeoff_offer", "information", "state_impact", "feature_pitch",
                          "describe_behaviour", "concession", "advice"})
_CONCEDING_OPENER = re.compile(
    r"^(?:(?:okay|ok|fine|alright|right|no|well)[,.]?\s+)?(?:fair(?: enough| point)?|point taken|you're right|"
    r"that's fair|true)[,.!]\s*", re.IGNORECASE)
_CONCEDING_TAIL = re.compile(r",\s*(?:I grant you|I'll give you that|fair enough)(?=[.!])", re.IGNORECASE)
_CONCEDING_SENTENCE = re.compile(r"(?:^|(?<=[.!?])\s+)(?:okay\.\s+)?that's hard to argue with\.", re.IGNORECASE)
_GIVE_YOU_THAT = re.compile(r"(?:^|(?<=[.!?]\s))I'll give you that (\w)")


def unconceded(line: str) -> str:
    """An eased line without its concession ("Okay, fair, people write 'too expensive' when they're annoyed about
    anything." → "People write 'too expensive' when they're annoyed about anything."), for a concern eased by
    listening — an acknowledgement, a question, a reflection — where "fair" or "I grant you" concedes a point nobody
    made (blind review of the development split, 2026-12-07: 5 of 45 replies that did not follow). The line itself
    when nothing would be left."""
    text = _CONCEDING_OPENER.sub("", line.strip())
    text = _CONCEDING_TAIL.sub("", text)
    text = _CONCEDING_SENTENCE.sub("", text).strip()
    text = _GIVE_YOU_THAT.sub(lambda m: m.group(1).upper(), text)
    if len(text.split()) < 3:
        return line
    return text[0].upper() + text[1:]


def asks_for_a_fact(turn: Turn) -> bool:
    """The turn asks a question that wants a fact, not a yes or a no ("How many people are on your AP team?"), in
    a sentence that asks (a question mark or a question word first), whatever else it does."""
    from sparring.persona.knowledge import asks

    return bool(turn.acts & QUESTIONS) and asks(turn.text) and not polar(turn.text)


def broad_question(text: str) -> bool:
    """Some asking sentence of the turn is a broad question about the persona's situation (``BROAD_QUESTION``)."""
    from sparring.persona.knowledge import question_parts

    return any(BROAD_QUESTION.match(part.strip()) for part in question_parts(text))


def polar(text: str) -> bool:
    """The turn's last question asks for a yes or a no ("Agreed?", "Is that fair?"), not a fact ("how much?")."""
    questions = [q for q in re.split(r"(?<=[.!?])\s+", text.strip()) if q.rstrip().endswith("?")]
    last = questions[-1] if questions else text
    # a lead-in before a colon is not the question: "The main one is: who actually signs the contract?"
    last = last.rsplit(":", 1)[-1].strip()
    if _WH.search(last) or any(_WH.search(part) for part in last.split(",")[1:]):
        return False  # "And just roughly, what does it cost?"
    # "Roughly how many invoices a month…?", "And just roughly, what…?": a question word among the first three
    # words asks for a fact, unless the question opens like a yes/no one ("Is that what you want?")
    first = re.findall(r"[a-z']+", last.lower())[:3]
    return not (first and first[0] not in _AUXILIARIES and any(w in _QUESTION_WORDS for w in first[1:]))


#: the learner offers to send or share something: a follow-up, not a close
SENDING = re.compile(r"\b(?:send|sending|email|e-mail|mail|forward|share|circulate|drop you)\b", re.IGNORECASE)


#: acts that put something concrete on the table: an early close that carries one is answered "not yet", not with
#: the scenario's "agree to what?" lines (which would deny what the learner just offered)
OFFERING_ACTS = frozenset({"tradeoff_offer", "next_step_proposal", "quantified_value", "concession"})


def _engage_offer(c: Composer, plan: Plan) -> bool:
    """A concrete offer made before the persona is ready: what it does for the persona's concerns, in the
    learner's own terms (``sparring.persona.offers``), never a bare "Not yet.". True when the reply already says
    what is still missing (the open concern need not be pressed again)."""
    turn = plan.turn
    if plan.progressed and plan.current is not None:  # it moved the open concern, not far enough
        c.say("react:offer-helps", helps_lines(turn))
        current = plan.current
        if not (c.say(f"press:{current.id}", current.pressing_lines) or c.say(f"press:{current.id}", current.lines)):
            c.say("react:offer-short", STILL_SHORT)
        return True
    if plan.current is not None:  # beside the open concern: noted, and the concern restated
        c.say("react:offer-aside", aside_lines(turn)) or c.say("react:not-yet", builtin("react:not-yet", c.scenario))
        current = plan.current
        return (c.say(f"press:{current.id}", current.lines) or c.say(f"press:{current.id}", current.pressing_lines)
                or c.say(f"press-again:{current.id}", restated((*current.lines, *current.pressing_lines))))
    if plan.raised is not None:  # everything said so far is settled; one more concern comes up now
        c.say("react:offer-so-far", so_far_lines(turn))
        return False
    c.say("react:not-yet", builtin("react:not-yet", c.scenario))
    return False


def _respond_and_advance(c: Composer, plan: Plan) -> None:
    turn, state = plan.turn, c.state
    reaction = negative_reaction(plan)
    responded_to_current = False
    advance = True
    if reaction is not None:
        said = c.react(reaction) if reaction != "react:push-for-more" else c.say(reaction, c.beats(reaction))
        if not said and reaction == "react:push-for-more":
            c.react("react:concession")
        advance = reaction in RETURNS_TO_SCENE
    elif plan.just_eased is not None or plan.preempted is not None:
        if plan.just_eased is not None:
            answered = False
            if turn.asks and not turn.acts & ARGUING:
                # a question that eased the concern is answered, not met with a concession to an argument
                # nobody made ("What convinced you it's price?" → not "Okay, fair, people write 'too expensive'…")
                answered = c.answer_settled(plan.just_eased)
            elif plan.raised is None and turn.asks and about(plan.just_eased, turn.text, c.scenario):
                c.say(f"answer:{plan.just_eased.id}", plan.just_eased.answers)  # answer, then give way
            elif asks_for_a_fact(turn):
                # "Month-end takes forever, yeah. How many people are on your AP team?": the argument eased the
                # concern, and the question still gets its answer first when the persona knows it (blind review,
                # 2026-12-07: a question met with only the eased line was the commonest "answers something else")
                c.share_known()
            if not answered:
                pool = plan.just_eased.eased_lines
                if not turn.acts & POINT_MAKING:  # eased by listening: the persona opens up, it concedes nothing
                    pool = [unconceded(line) for line in pool]
                c.say(f"eased:{plan.just_eased.id}", pool)
        if plan.preempted is not None:
            c.say(f"preempted:{plan.preempted.id}", plan.preempted.eased_lines)
    elif LEAVING.search(turn.text) and not turn.asks and not plan.premature:
        c.react("react:leaving")  # "ok. talk later." gets a goodbye, not the next argument
        advance = False
    elif (plan.premature and not plan.curt and turn.acts & QUESTIONS and not polar(turn.text)
          and "commitment_ask" not in turn.acts and c.answer(plan.current)):
        # "What would your partners need to see by Friday?" is a question first, whatever date it names: it is
        # answered, and the close it may also hold is simply not agreed to yet
        responded_to_current = True
    elif plan.premature:
        if plan.curt:
            c.say("react:curt", builtin("react:curt", c.scenario))
        elif "commitment_ask" not in turn.acts and SENDING.search(turn.text):
            # "I'll email." / "Let me send you the timeline": a follow-up offered, not a close to resist
            c.react("react:send-it")
        elif turn.acts & OFFERING_ACTS:  # they did put something on the table: engage with it, not "agree to what?"
            responded_to_current = _engage_offer(c, plan)
        else:
            c.react("react:premature-close") or c.react("react:not-yet")
    elif turn.chatting:
        if turn.asks_after_wellbeing:  # "How was the conference?" gets an answer;
            c.react("react:small-talk")  # "Hi Leila, it's Mark." gets the scene
        else:
            c.positive(turn, neutral=False)
    elif turn.asks:
        if c.answer(plan.current):
            responded_to_current = True  # an answered question is the reply; the concern is pressed next time
        elif plan.progressed:
            c.positive(turn, skip=frozenset({"question_open", "question_clarifying"}))
    elif "question_closed" in turn.acts and not polar(turn.text):
        # "ok. how much?" read as a closed question still wants a fact, not a yes or no
        if c.answer(plan.current):
            responded_to_current = True
    elif "question_closed" in turn.acts:
        c.yes_no(plan)  # "No, not as it stands." may be followed by what is still open
    else:  # take in what was just said (a nod to a helpful move), then advance
        c.positive(turn, neutral=plan.current is None and plan.raised is None)
    if not advance:
        return
    if plan.raised is not None:
        c.say(f"raise:{plan.raised.id}", plan.raised.lines)
    elif plan.current is not None:
        warmed = any(s in WARM_REACTIONS for s in c.situations)  # "Yes. Exactly." is not followed by "I still
        if not plan.progressed and not responded_to_current and not warmed:  # think it's price."
            returning = any(s in RESTATES for s in c.situations)
            # back from "are you a bot?" the persona restates its concern; a pressing line ("Don't give me
            # process.") answers an argument, and there was none
            if not (returning and c.say(f"press:{plan.current.id}", plan.current.lines)):
                pressing = plan.current.pressing_lines or plan.current.lines
                argued = bool(turn.acts & ARGUED or turn.custom)
                if returning or (argued and not c.parts) or c.fits(pressing, PRESS_MIN_FIT):
                    # a rebuttal only when the learner argued, or spoke on its ground ("Look, that doesn't change
                    # the gap." is no answer to "ok, shoot")
                    c.say(f"press:{plan.current.id}", pressing)
                elif not c.parts:  # nothing argued: the concern restated, if a line of it is fresh
                    c.say(f"press:{plan.current.id}", plan.current.lines)
    elif not c.parts:
        done = all(r in state.eased for r in c.facts.required)
        asked_last = "closing-soon" in (state.extra.get("situations") or [[]])[-1]
        if not (done and not asked_last and c.say("closing-soon", c.beats("closing-soon"))):
            c.positive(turn)
