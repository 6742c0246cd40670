"""The embedded persona engine: a deterministic, offline counterpart driven by the scenario's authored content.

Each learner turn is classified into moves (``sparring.persona.moves``); the moves shift the hidden state
(scaled by the difficulty); the open hidden objection is eased when the learner makes one of its easing moves
often enough (``ease_hits`` per difficulty); the next objection surfaces, in authored order, once the previous
one is settled and its ``raised_when`` holds; the rep ends on the scenario's failure or success conditions or
at ``max_turns``. The reply is assembled from authored lines (reaction beat, eased line, objection line,
pressing line, tell), never repeating a line within a rep.

The engine keeps no per-rep memory: everything lives in ``PersonaState`` (JSON-serialisable), so a rep can be
stored after every turn and resumed in another process with identical results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sparring.content.scenario import Difficulty, DifficultyProfile, Objection, Scenario
from sparring.conversation.model import Conversation
from sparring.persona.base import PersonaReply, PersonaState, check_can_reply
from sparring.persona.moves import (
    RELEVANT_QUESTION,
    RELEVANT_SITUATIONS,
    classify,
    is_follow_up,
    objection_text,
    relevance,
    similarities,
    warm_up_in_background,
)
from sparring.persona.rules import (
    FALLBACK_LINES,
    NEGATIVE_REACTIONS,
    POSITIVE_REACTIONS,
    SPOILERS,
    Facts,
    active_objections,
    apply_moves,
    clamp,
    holds,
    pick,
    start_values,
)

#: a turn at least this close to a not-yet-raised objection, making one of its easing moves, answers it early
PREEMPT_RELEVANCE = 0.55
#: situations whose line is chosen by fit to the learner's words (see ``_fitting``)
FITTED = ("answer:", "eased:", "preempted:")
#: a background line this close to a question passes for an answer to it (see ``_answerable``)
ANSWER_MIN_FIT = 0.2
#: lines within this cosine of the best fit count as equally good
FIT_MARGIN = 0.03
#: a question about another objection that is this much closer than to the open one is about that other one
OTHER_CONCERN_MARGIN = 0.05
#: moves that ask to close or agree the next step
CLOSING_MOVES = frozenset({"ask-commitment", "next-step"})
#: a state variable crossing these values makes the persona show a tell (``<var>_low`` / ``<var>_high``)
LOW_TELL = 0.3
HIGH_TELL = 0.7


class EmbeddedPersonaEngine:
    name = "embedded"

    # ------------------------------------------------------------------ open
    def open(self, scenario: Scenario, difficulty: Difficulty) -> PersonaReply:
        warm_up_in_background(scenario)  # the model loads while the learner reads the opening line
        state = PersonaState(scenario_id=scenario.id, difficulty=difficulty, values=start_values(scenario, difficulty))
        state.extra = {"counts": {}, "hits": {}, "situations": [["opening"]]}
        used: set[str] = set()
        seed = f"{scenario.id}|{difficulty}|open"
        parts = [self._say(scenario.opening_lines, used, seed)]
        active = active_objections(scenario, difficulty)
        if active:
            first = active[0]
            facts = self._facts(scenario, state, [])
            if holds(first.raised_when, facts, scenario.profile(difficulty).threshold_shift):
                state.raised.append(first.id)
                parts.append(self._say(first.lines, used, seed + "|raise"))
                state.extra["situations"][0].append(f"raise:{first.id}")
        state.used_lines = list(parts)
        return PersonaReply(text=" ".join(parts), state=state, moves=[], engine=self.name)

    # ------------------------------------------------------------------ reply
    def reply(self, scenario: Scenario, state: PersonaState, conversation: Conversation) -> PersonaReply:
        check_can_reply(scenario, state, conversation)
        text = conversation.turns[-1].text
        moves = classify(text, scenario)
        new = state.model_copy(deep=True)
        new.learner_turns += 1
        new.moves.append(list(moves))
        counts: dict[str, int] = new.extra.setdefault("counts", {})
        hits: dict[str, int] = new.extra.setdefault("hits", {})
        for m in moves:
            counts[m] = counts.get(m, 0) + 1

        profile = scenario.profile(new.difficulty)
        active = active_objections(scenario, new.difficulty)
        required = [o.id for o in active if o.required]
        before = dict(new.values)
        apply_moves(new.values, scenario, profile, moves)

        # on levels that push back, a give-away is pocketed and answered with a demand for more
        push_for_more = profile.pushback_after_concession and "concession" in moves
        premature = ("ask-commitment" in moves) and not all(r in new.eased for r in required)
        # "Can we walk the COO through it on Thursday?": a yes/no ask for the next step, not a closed question
        closing_ask = "closed-question" in moves and bool(set(moves) & CLOSING_MOVES)
        if premature and "patience" in new.values:
            new.values["patience"] = round(clamp(new.values["patience"] - 0.05 * profile.penalty), 4)

        # the open objection: eased by its moves (never in a turn spoiled by pressure, monologue, give-aways)
        current = self._current(active, new)
        just_eased: Objection | None = None
        progressed = False
        if current is not None and not set(moves) & SPOILERS and self._eases(current, moves, text, scenario):
            progressed = True
            hits[current.id] = hits.get(current.id, 0) + 1
            if hits[current.id] >= profile.ease_hits:
                new.eased.append(current.id)
                just_eased, current = current, None
        # a later objection the learner answers before the persona raises it counts as answered (pre-empted)
        preempted = None if set(moves) & SPOILERS else self._preempted(active, new, moves, text, hits)
        if preempted is not None and hits[preempted.id] >= profile.ease_hits:
            new.raised.append(preempted.id)
            new.eased.append(preempted.id)
            new.extra.setdefault("preempted", []).append(preempted.id)
        else:
            preempted = None
        facts = self._facts(scenario, new, moves)
        raised: Objection | None = None
        if current is None:
            nxt = next((o for o in active if o.id not in new.raised), None)
            if nxt is not None and holds(nxt.raised_when, facts, profile.threshold_shift):
                new.raised.append(nxt.id)
                raised = nxt

        self._decide_outcome(scenario, new, facts)

        used = set(new.used_lines)
        seed = f"{scenario.id}|{new.difficulty}|{new.learner_turns}|{text}"
        parts: list[str] = []
        situations: list[str] = []

        def say(situation: str, pool: Sequence[str]) -> bool:
            if situation.startswith(FITTED) or situation in RELEVANT_SITUATIONS:
                line = self._fitting(pool, used, text, seed + "|" + situation)
            else:
                line = pick(pool, used, seed + "|" + situation)
            if line is None:
                return False
            parts.append(line)
            used.add(line)
            situations.append(situation)
            return True

        if new.ended:
            pool = scenario.success_lines if new.outcome == "success" else scenario.failure_lines
            say(f"end:{new.outcome}", pool)
        else:
            reaction = self._negative_reaction(moves, push_for_more, premature or closing_ask, progressed)
            reacted = reaction is not None and say(reaction, self._beats(scenario, reaction, facts, profile))
            if just_eased is not None:
                if raised is None and "open-question" in moves and self._about(just_eased, text, scenario):
                    say(f"answer:{just_eased.id}", just_eased.answers)  # answer the question, then give way
                say(f"eased:{just_eased.id}", just_eased.eased_lines)
            if preempted is not None:
                say(f"preempted:{preempted.id}", preempted.eased_lines)
            if raised is not None:
                if not parts and "open-question" in moves:  # answer the question before bringing up the next thing
                    say("react:open-question", self._beats(scenario, "react:open-question", facts, profile))
                say(f"raise:{raised.id}", raised.lines)
            elif current is not None and (not reacted or reaction == "react:closed-question"):
                if progressed:  # a step forward that does not settle it yet (harder levels need more hits)
                    if not (
                        "open-question" in moves
                        and self._about(current, text, scenario)
                        and say(f"answer:{current.id}", current.answers)
                    ):
                        self._say_positive(scenario, moves, facts, profile, say)
                elif not (
                    "open-question" in moves and self._answer(scenario, current, text, used, facts, profile, say)
                ):
                    if not reacted and preempted is None:  # take in what was just said, then back to the open point
                        self._say_positive(scenario, moves, facts, profile, say, neutral=False, skip={"open-question"})
                    say(f"press:{current.id}", current.pressing_lines or current.lines)
            elif not parts:
                done = all(r in new.eased for r in required) and len(new.raised) == len(active)
                asked_last = "closing-soon" in (new.extra.get("situations") or [[]])[-1]
                if "open-question" in moves and say(
                    "react:open-question", self._beats(scenario, "react:open-question", facts, profile)
                ):
                    pass  # a question is answered, even when everything is settled
                elif (
                    done
                    and not asked_last
                    and say("closing-soon", self._beats(scenario, "closing-soon", facts, profile))
                ):
                    pass  # the persona asks for the next step once, then lets the learner lead
                else:
                    self._say_positive(scenario, moves, facts, profile, say)
            tell = self._tell(scenario, before, new.values)
            if tell is not None and len(parts) < 3:
                say(f"tell:{tell}", scenario.persona.tells[tell])
        if not parts and not say("neutral", self._beats(scenario, "neutral", facts, profile)):
            say("fallback", FALLBACK_LINES)
        if not parts:  # every authored and fallback line is spent: end the rep rather than repeat a line
            new.ended, new.outcome, new.reason = True, "incomplete", "the persona ran out of lines"
            parts.append("I think we should leave it there for today.")
            situations.append("end:out-of-lines")
        new.used_lines.extend(p for p in parts if p not in new.used_lines)
        new.extra.setdefault("situations", []).append(situations)
        return PersonaReply(text=" ".join(parts), state=new, moves=list(moves), engine=self.name)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _eases(objection: Objection, moves: list[str], text: str, scenario: Scenario) -> bool:
        """The turn makes one of the objection's easing moves. An open question alone counts only when it is
        about the objection (a question about something else is answered, and the objection stays)."""
        easing = set(objection.eased_by) & set(moves)
        if easing == {"open-question"}:
            return EmbeddedPersonaEngine._about(objection, text, scenario)
        return bool(easing)

    @staticmethod
    def _preempted(
        active: list[Objection], state: PersonaState, moves: list[str], text: str, hits: dict[str, int]
    ) -> Objection | None:
        """The not-yet-raised objection this turn answers ahead of time, if any (its hit is counted): the turn
        makes one of its easing moves (a question alone does not answer anything) and is about it."""
        best: tuple[float, Objection] | None = None
        for o in active:
            if o.id in state.raised or not (set(o.eased_by) & set(moves)) - {"open-question", "closed-question"}:
                continue
            score = relevance(text, objection_text(o))
            if score >= PREEMPT_RELEVANCE and (best is None or score > best[0]):
                best = (score, o)
        if best is None:
            return None
        hits[best[1].id] = hits.get(best[1].id, 0) + 1
        return best[1]

    @staticmethod
    def _fitting(pool: Sequence[str], used: set[str], text: str, seed: str) -> str | None:
        """The fresh line that best fits what the learner just said (answers, eased lines, reactions to a
        question); ties and near-ties keep the authored variety."""
        fresh = [line for line in pool if line not in used]
        if len(fresh) <= 1:
            return fresh[0] if fresh else None
        scores = dict(zip(pool, similarities(text, tuple(pool)), strict=True))  # the whole pool: cached once
        best = max(scores[line] for line in fresh)
        return pick([line for line in fresh if scores[line] >= best - FIT_MARGIN], used, seed)

    def _answer(
        self,
        scenario: Scenario,
        current: Objection,
        text: str,
        used: set[str],
        facts: Facts,
        profile: DifficultyProfile,
        say: Callable[[str, Sequence[str]], bool],
    ) -> bool:
        """Answer an open question while an objection is open: with the objection's own answers when the question
        is about it, else with a background line that fits the question. False when nothing fits."""
        if self._about(current, text, scenario) and say(f"answer:{current.id}", current.answers):
            return True
        pool = self._beats(scenario, "react:open-question", facts, profile)
        return self._answerable(pool, used, text) and say("react:open-question", pool)

    @staticmethod
    def _answerable(pool: Sequence[str], used: set[str], text: str) -> bool:
        """Some fresh background line comes close enough to the question to pass for an answer. If none does
        ("How was the conference?"), the persona goes back to its open concern instead of answering at random."""
        fresh = [line for line in pool if line not in used]
        if not fresh:
            return False
        scores = dict(zip(pool, similarities(text, tuple(pool)), strict=True))
        return max(scores[line] for line in fresh) >= ANSWER_MIN_FIT

    @staticmethod
    def _about(objection: Objection, text: str, scenario: Scenario) -> bool:
        """The learner's question is about this objection: a short follow-up on what was just said, or close
        enough to it and not clearly about another of the persona's concerns ("How does finance judge payback?"
        is not about the drivers, however close its words)."""
        if is_follow_up(text):
            return True
        own = relevance(text, objection_text(objection))
        if own < RELEVANT_QUESTION:
            return False
        others = [relevance(text, objection_text(o)) for o in scenario.objections if o.id != objection.id]
        return own >= max(others, default=0.0) - OTHER_CONCERN_MARGIN

    @staticmethod
    def _current(active: list[Objection], state: PersonaState) -> Objection | None:
        return next((o for o in active if o.id in state.raised and o.id not in state.eased), None)

    @staticmethod
    def _facts(scenario: Scenario, state: PersonaState, moves: list[str]) -> Facts:
        required = [o.id for o in active_objections(scenario, state.difficulty) if o.required]
        return Facts(
            values=state.values,
            turn=state.learner_turns,
            moves=moves,
            eased=state.eased,
            counts=state.extra.get("counts", {}),
            required=required,
        )

    @staticmethod
    def _decide_outcome(scenario: Scenario, state: PersonaState, facts: Facts) -> None:
        shift = scenario.profile(state.difficulty).threshold_shift
        for f in scenario.failure:
            if holds(f.when, facts, shift, failure=True):
                state.ended, state.outcome, state.reason = True, "failure", f.description
                return
        if holds(scenario.success.when, facts, shift):
            state.ended, state.outcome, state.reason = True, "success", scenario.success.description
            return
        if state.learner_turns >= scenario.max_turns:
            state.ended, state.outcome = True, "failure"
            state.reason = f"time ran out after {scenario.max_turns} turns without reaching the goal"

    @staticmethod
    def _negative_reaction(moves: list[str], push_for_more: bool, premature: bool, progressed: bool) -> str | None:
        if push_for_more:
            return "react:push-for-more"
        for move, situation in NEGATIVE_REACTIONS:
            if move == "closed-question":
                continue
            if move in moves:
                return situation
        if premature:
            return "react:premature-close"
        positive = {m for m, _ in POSITIVE_REACTIONS} | CLOSING_MOVES
        if "closed-question" in moves and not progressed and not positive & set(moves):
            return "react:closed-question"
        return None

    @staticmethod
    def _beats(scenario: Scenario, situation: str, facts: Facts, profile: DifficultyProfile) -> list[str]:
        shift = profile.threshold_shift
        return [line for b in scenario.beats if b.situation == situation and holds(b.when, facts, shift)
                for line in b.lines]

    def _say_positive(
        self,
        scenario: Scenario,
        moves: list[str],
        facts: Facts,
        profile: DifficultyProfile,
        say: Callable[[str, Sequence[str]], bool],
        neutral: bool = True,
        skip: frozenset[str] | set[str] = frozenset(),
    ) -> None:
        for move, situation in POSITIVE_REACTIONS:
            if move in moves and move not in skip and say(situation, self._beats(scenario, situation, facts, profile)):
                return
        if neutral:
            say("neutral", self._beats(scenario, "neutral", facts, profile))

    @staticmethod
    def _tell(scenario: Scenario, before: dict[str, float], after: dict[str, float]) -> str | None:
        for key in sorted(after):
            if before.get(key, 0.5) >= LOW_TELL > after[key] and f"{key}_low" in scenario.persona.tells:
                return f"{key}_low"
            if before.get(key, 0.5) < HIGH_TELL <= after[key] and f"{key}_high" in scenario.persona.tells:
                return f"{key}_high"
        return None

    @staticmethod
    def _say(pool: Sequence[str], used: set[str], seed: str) -> str:
        line = pick(pool, used, seed) or pick(FALLBACK_LINES, used, seed) or "Hello."
        used.add(line)
        return line
