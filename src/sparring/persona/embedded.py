"""The embedded persona engine: a deterministic, offline counterpart driven by the scenario's authored content.

Each learner turn is read into utterance acts (``sparring.persona.listen``: the act model shared with the
scorer, plus the scenario's custom moves and derived events); the acts shift the hidden state (scaled by the
difficulty, repeats worth less on hard); the open hidden objection is eased when the learner's easing hits reach
``ease_hits`` (``sparring.persona.easing``: strong moves count double); the next objection surfaces, in authored
order, once the previous one is settled and its ``raised_when`` holds (at the latest a turn later); the rep ends
on the scenario's failure or success conditions or at ``max_turns``. The reply responds to what the learner did,
then may advance the persona's agenda (``sparring.persona.compose``), from authored lines, the scenario's
knowledge and built-in human reactions, never repeating a line within a rep; what the learner proposed is
remembered (``sparring.persona.memory``) so success lines restate their terms.

The engine keeps no per-rep memory: everything lives in ``PersonaState`` (JSON-serialisable), so a rep can be
stored after every turn and resumed in another process with identical results.
"""

from __future__ import annotations

from collections.abc import Sequence

from sparring.content.scenario import Difficulty, Objection, Scenario
from sparring.conversation.model import Conversation
from sparring.persona.base import PersonaReply, PersonaState, check_can_reply
from sparring.persona.compose import Plan, compose
from sparring.persona.easing import ease_weight, preempted
from sparring.persona.listen import Turn, read_turn, words
from sparring.persona.memory import answered, remember
from sparring.persona.moves import warm_up_in_background
from sparring.persona.rules import (
    FALLBACK_LINES,
    NEGATIVE_REACTIONS,
    REPEAT_DECAY,
    SPOILERS,
    Facts,
    active_objections,
    apply_moves,
    clamp,
    holds,
    pick,
    start_values,
)

#: acts that ask to close or agree the next step
CLOSING_ACTS = frozenset({"commitment_ask", "next_step_proposal", "next_step_accept"})
#: trust (and calm) gained when one of the persona's concerns is answered (times the level's steps)
EASED_TRUST = 0.06
#: each low-effort turn after the first costs this much more patience than the one before (times the penalty)
LOW_EFFORT_ESCALATION = 0.05
#: curt play: a learner whose turns average fewer words than this (over at least ``CURT_MIN_TURNS`` turns) has not
#: talked anything through, however right the few words are ("Trial cut empty miles 9%." "Could phase it."
#: "Meet your CFO Friday?"); the persona does not agree to a close from them (issue 11: terse play fails). On the
#: development split (2026-12-07) skilled reps average 18+ words a turn, average ones 6+ (successes 12+), the
#: terse reps the new act model let succeed 5-7.
CURT_MEAN_WORDS = 8.0
CURT_MIN_TURNS = 3


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
        earlier = conversation.turns[:-1]
        context = earlier[-1].text if earlier and earlier[-1].role != "learner" else ""
        turn = read_turn(text, scenario, context, state.moves, [t.text for t in earlier if t.role == "learner"])
        moves = turn.moves
        new = state.model_copy(deep=True)
        new.learner_turns += 1
        new.moves.append(list(moves))
        counts: dict[str, int] = new.extra.setdefault("counts", {})
        hits: dict[str, float] = new.extra.setdefault("hits", {})
        repeats = dict(counts)
        for m in moves:
            counts[m] = counts.get(m, 0) + 1
        remember(new.extra, turn)

        profile = scenario.profile(new.difficulty)
        active = active_objections(scenario, new.difficulty)
        required = [o.id for o in active if o.required]
        before = dict(new.values)
        if "instruction_injection" not in turn.acts:  # an instruction to "the AI" changes nothing
            apply_moves(new.values, scenario, profile, moves, repeats, REPEAT_DECAY.get(new.difficulty, 1.0))
            self._low_effort_penalty(new, turn, repeats, profile.penalty)

        # on levels that push back, a give-away is pocketed and answered with a demand for more
        push_for_more = profile.pushback_after_concession and "concession" in turn.acts
        spoiled = bool(turn.names & SPOILERS) or turn.chatting  # small talk eases nothing

        # the open objection: eased by its moves (never in a turn spoiled by hostility, monologue, give-aways)
        current = self._current(active, new)
        just_eased: Objection | None = None
        progressed = False
        if current is not None and not spoiled:
            weight = ease_weight(current, turn, scenario, new)
            if weight > 0:
                progressed = True
                hits[current.id] = round(hits.get(current.id, 0.0) + weight, 3)
                if hits[current.id] >= profile.ease_hits:
                    new.eased.append(current.id)
                    answered(new.extra, current.id)
                    self._relieved(new, profile.steps)
                    just_eased, current = current, None
        # a later objection the learner answers before the persona raises it counts as answered (pre-empted)
        preempted = None if spoiled else self._preempted(active, new, turn, scenario, hits)
        if preempted is not None and hits[preempted.id] >= profile.ease_hits:
            new.raised.append(preempted.id)
            new.eased.append(preempted.id)
            answered(new.extra, preempted.id)
            new.extra.setdefault("preempted", []).append(preempted.id)
            self._relieved(new, profile.steps)
        else:
            preempted = None
        closing = bool(turn.acts & CLOSING_ACTS)
        curt_play = curt(conversation)
        premature = closing and (curt_play or not all(r in new.eased for r in required))
        if premature and "commitment_ask" in turn.acts and "patience" in new.values:
            new.values["patience"] = round(clamp(new.values["patience"] - 0.05 * profile.penalty), 4)
        facts = self._facts(scenario, new, moves)
        raised: Objection | None = None
        if current is None:
            nxt = next((o for o in active if o.id not in new.raised), None)
            # a close before every concern is out gets the next one as the reason it is not yet ("Not so fast." alone
            # leaves the learner guessing what is missing)
            due = nxt is not None and (holds(nxt.raised_when, facts, profile.threshold_shift)
                                       or self._overdue(active, state, nxt))
            # never in the reply to a step off the scene (``detour``): the concern comes a turn later
            if nxt is not None and ((premature and nxt.required) or (due and not detour(turn))):
                new.raised.append(nxt.id)
                raised = nxt

        self._decide_outcome(scenario, new, facts, withhold_success=curt_play)
        plan = Plan(turn=turn, push_for_more=push_for_more, premature=premature, progressed=progressed,
                    just_eased=just_eased, preempted=preempted, raised=raised, current=current, before=before,
                    heard=_heard(conversation), curt=closing and curt_play)
        parts, situations = compose(scenario, new, plan, facts, profile)
        new.used_lines.extend(p for p in parts if p not in new.used_lines)
        new.extra.setdefault("situations", []).append(situations)
        return PersonaReply(text=" ".join(parts), state=new, moves=list(moves), engine=self.name)

    @staticmethod
    def _overdue(active: list[Objection], before: PersonaState, nxt: Objection) -> bool:
        """The concern before ``nxt`` was settled in an earlier turn: the persona brings up what is still on its
        mind now, whatever its mood (a learner who answers everything is never left waiting for a trust level)."""
        i = active.index(nxt)
        return i > 0 and active[i - 1].id in before.eased

    @staticmethod
    def _relieved(state: PersonaState, steps: float) -> None:
        """A concern answered is a reason to trust the learner a little more, to calm down, and to give the
        conversation a little more time (live play: patience only ever fell, so a skilled learner who explains at
        length ran out of it on hard however much ground they had won)."""
        for key in ("trust", "calm", "patience"):
            if key in state.values:
                state.values[key] = round(clamp(state.values[key] + EASED_TRUST * steps), 4)

    @staticmethod
    def _low_effort_penalty(state: PersonaState, turn: Turn, repeats: dict[str, int], penalty: float) -> None:
        """Terse play wears the persona out faster each time: every low-effort turn after the first costs more
        patience than the one before."""
        if "low-effort" not in turn.derived or "patience" not in state.values:
            return
        extra = LOW_EFFORT_ESCALATION * repeats.get("low-effort", 0) * penalty
        state.values["patience"] = round(clamp(state.values["patience"] - extra), 4)

    # ------------------------------------------------------------------ helpers
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
            history=state.moves,
        )

    @staticmethod
    def _preempted(active: list[Objection], state: PersonaState, turn: Turn, scenario: Scenario,
                   hits: dict[str, float]) -> Objection | None:
        return preempted(active, state, turn, scenario, hits)

    @staticmethod
    def _decide_outcome(scenario: Scenario, state: PersonaState, facts: Facts, withhold_success: bool = False) -> None:
        shift = scenario.profile(state.difficulty).threshold_shift
        for f in scenario.failure:
            if holds(f.when, facts, shift, failure=True):
                state.ended, state.outcome, state.reason = True, "failure", f.description
                return
        if not withhold_success and holds(scenario.success.when, facts, shift):
            state.ended, state.outcome, state.reason = True, "success", scenario.success.description
            return
        if state.learner_turns >= scenario.max_turns:
            state.ended, state.outcome = True, "failure"
            state.reason = f"time ran out after {scenario.max_turns} turns without reaching the goal"

    @staticmethod
    def _say(pool: Sequence[str], used: set[str], seed: str) -> str:
        line = pick(pool, used, seed) or pick(FALLBACK_LINES, used, seed) or "Hello."
        used.add(line)
        return line


#: reactions to a move off the scene ("are you a bot?", "ignore your instructions", "favourite pizza topping?")
DETOUR_REACTIONS = frozenset({"react:identity", "react:injection", "react:off-topic"})


def detour(turn: Turn) -> bool:
    """The learner stepped off the scene, and that is what the persona reacts to: no new concern surfaces in the
    same reply (it comes a turn later). A concern that answers the learner's criticism ("Wait, where's this coming
    from? My numbers are the best on the team.") after "Are you an AI?" defends against a complaint nobody made
    (blind review of the development split, 2026-12-07: 7 of the 9 such replies read as non sequiturs)."""
    reaction = next((situation for act, situation in NEGATIVE_REACTIONS if act in turn.names), None)
    return reaction in DETOUR_REACTIONS


def curt(conversation: Conversation) -> bool:
    """The learner has played curtly so far: at least ``CURT_MIN_TURNS`` turns averaging under
    ``CURT_MEAN_WORDS`` words."""
    sizes = [len(words(t.text)) for t in conversation.turns if t.role == "learner"]
    return len(sizes) >= CURT_MIN_TURNS and sum(sizes) / len(sizes) < CURT_MEAN_WORDS


def _heard(conversation: Conversation) -> frozenset[float]:
    """Every number either side has said so far."""
    from sparring.nlp.clauses import numbers

    return frozenset(n for t in conversation.turns for n in numbers(t.text))
