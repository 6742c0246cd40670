"""What the counterpart brings up and how the rep answers it (docs/moments.md, "Signals"):

- **objections** (price, competitor/incumbent, timing, authority, need; word cues of review/data/cues.yaml) and
  how the rep's next turns handled them, read from the rep's acts: explored, quantified, traded, acknowledged
  (good or fair) or conceded, argued, pitched past it, ignored (poor);
- **pain or a competitor mentioned** and not explored: the rep's next turn neither asks about it nor reflects it;
- **commitment won or lost**: the counterpart's answer to the rep's proposal or ask; a call that ends with no
  next step proposed at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from sparring.review.cues import Cues
from sparring.review.engagement import accepting, negative_cue
from sparring.review.found import Found, first_name, next_rep_turns, quote
from sparring.review.reading import TurnRead

#: base impact of an objection by how it was handled (docs/moments.md, "Impact")
HANDLING_IMPACT = {
    "explored": 0.45, "quantified": 0.4, "traded": 0.35, "acknowledged": 0.15,
    "explored_then_conceded": -0.2, "conceded": -0.6, "argued": -0.55, "pressured": -0.5, "pitched": -0.4,
    "ignored": -0.4,
}
HANDLING_WORDS = {
    "explored": "explored it", "quantified": "answered with numbers", "traded": "offered a trade",
    "acknowledged": "acknowledged it but did not explore it",
    "explored_then_conceded": "asked about it but also conceded", "conceded": "conceded at once",
    "argued": "argued back", "pressured": "pushed for a decision", "pitched": "pitched features past it",
    "ignored": "did not take it up",
}
PAIN_NOT_EXPLORED, PAIN_EXPLORED = -0.35, 0.2
COMPETITOR_NOT_EXPLORED, COMPETITOR_EXPLORED = -0.3, 0.2
COMMITMENT_WON, COMMITMENT_LOST, NO_NEXT_STEP = 0.55, -0.5, -0.35
#: an objection of the same topic raised again within this many turns extends the earlier moment
REPEAT_WINDOW = 6


def handling(cues: Cues, replies: Sequence[TurnRead]) -> tuple[str, frozenset[str]]:
    """How the rep's ``replies`` handled an objection: a ``HANDLING_IMPACT`` key and the acts that decided it."""
    if not replies:
        return "ignored", frozenset()
    by_name = {h.name: h for h in cues.handling}
    first = replies[0].acts
    every = frozenset().union(*(r.acts for r in replies))
    poor = [h for h in cues.handling if h.quality == "poor" and first & h.acts]
    explored = by_name.get("explored")
    if poor and poor[0].name in ("conceded", "argued", "pressured"):
        if explored is not None and first & explored.acts:
            return "explored_then_conceded" if poor[0].name == "conceded" else "explored", first & (
                poor[0].acts | explored.acts)
        return poor[0].name, first & poor[0].acts
    for quality in ("good", "fair"):
        for h in cues.handling:
            if h.quality == quality and every & h.acts:
                return h.name, every & h.acts
    for h in cues.handling:
        if h.quality == "poor" and every & h.acts:
            return h.name, every & h.acts
    return "ignored", frozenset()


def _sentence_hit(read: TurnRead, finder: object) -> tuple[str, str] | None:
    for s in read.sentences:
        m = finder.find(s)  # type: ignore[attr-defined]
        if m is not None:
            return s, m.group(0)
    return None


def objections(reads: Sequence[TurnRead], cues: Cues, rep: str) -> list[Found]:
    out: list[Found] = []
    last_by_topic: dict[str, Found] = {}
    for pos, r in enumerate(reads):
        if r.role != "counterpart":
            continue
        hit = next(((s, *t) for s in r.sentences if (t := cues.objection_topic(s)) is not None), None)
        if hit is None:
            continue
        sentence, topic, cue = hit
        replies = next_rep_turns(reads, pos)
        how, acts = handling(cues, replies)
        end = replies[-1].index if replies else r.index
        earlier = last_by_topic.get(topic)
        if earlier is not None and r.index - earlier.end <= REPEAT_WINDOW:
            earlier.end = max(earlier.end, end)
            earlier.notes.append(f"raised again at turn {r.index}")
            if HANDLING_IMPACT[how] < earlier.base:  # the worse handling of the two stands
                earlier.base, earlier.rep_acts = HANDLING_IMPACT[how], acts
                earlier.summary = _objection_summary(cues, r, sentence, cue, topic, how, replies, rep, again=True)
            continue
        found = Found(f"objection_{topic}", "objection", r.index, end,
                      _objection_summary(cues, r, sentence, cue, topic, how, replies, rep),
                      HANDLING_IMPACT[how], acts)
        found.notes.append(f"handling: {how}")
        last_by_topic[topic] = found
        out.append(found)
    return out


def _objection_summary(cues: Cues, r: TurnRead, sentence: str, cue: str, topic: str, how: str,
                       replies: Sequence[TurnRead], rep: str, again: bool = False) -> str:
    who = first_name(r.speaker)
    raised = "raised" + (" again" if again else "")
    said = f"{who} {raised} a {cues.label(topic)} objection ({quote(sentence, cue)}) at turn {r.index}"
    if not replies:
        return f"{said}; {rep} did not answer it."
    return f"{said}; {rep} {HANDLING_WORDS[how]} ({quote(replies[0].text)})."


def mentions(reads: Sequence[TurnRead], cues: Cues, rep: str, objection_turns: set[int]) -> list[Found]:
    """Pain or a competitor mentioned by the counterpart (outside an objection) and whether the rep explored it."""
    out: list[Found] = []
    for pos, r in enumerate(reads):
        if r.role != "counterpart" or r.index in objection_turns:
            continue
        for family, finder, missed, got, what in (
                ("pain_not_explored", cues.pain, PAIN_NOT_EXPLORED, PAIN_EXPLORED, "a pain"),
                ("competitor_not_explored", cues.competitor_mention, COMPETITOR_NOT_EXPLORED, COMPETITOR_EXPLORED,
                 "a competitor or current supplier")):
            hit = _sentence_hit(r, finder)
            if hit is None:
                continue
            sentence, cue = hit
            replies = next_rep_turns(reads, pos, limit=1)
            explored = bool(replies and replies[0].acts & cues.explore_acts)
            who = first_name(r.speaker)
            said = f"{who} mentioned {what} ({quote(sentence, cue)}) at turn {r.index}"
            end = replies[0].index if replies else r.index
            if explored:
                kind = family.replace("_not_", "_")
                out.append(Found(kind, family, r.index, end,
                                 f"{said}; {rep} explored it ({quote(replies[0].text)}).", got,
                                 replies[0].acts & cues.explore_acts))
            else:
                answer = f"{rep} moved on ({quote(replies[0].text)})" if replies else f"{rep} did not take it up"
                out.append(Found(family, family, r.index, end, f"{said}; {answer}.", missed,
                                 replies[0].acts if replies else frozenset()))
            break  # one mention moment per turn: pain first
    return out


def commitments(reads: Sequence[TurnRead], cues: Cues, rep: str) -> list[Found]:
    """The counterpart's answer to each rep proposal or ask (won or lost), and a call with no next step at all."""
    out: list[Found] = []
    asked = False
    for pos, r in enumerate(reads):
        if not r.is_rep or not r.acts & cues.commitment_acts:
            continue
        asked = True
        answer = next((a for a in reads[pos + 1:pos + 3] if a.role == "counterpart" and a.words > 0), None)
        if answer is None:
            continue
        what = quote(r.text)
        if accepting(cues, answer) and negative_cue(cues, answer) is None:
            out.append(Found("commitment_won", "commitment_won", r.index, answer.index,
                             f"{rep} proposed a next step ({what}) at turn {r.index} and {first_name(answer.speaker)} "
                             f"agreed ({quote(answer.text)}).", COMMITMENT_WON, r.acts & cues.commitment_acts,
                             consequence=False))
        elif (cue := negative_cue(cues, answer)) is not None:
            out.append(Found("commitment_lost", "commitment_lost", r.index, answer.index,
                             f"{rep} asked for a commitment ({what}) at turn {r.index} and "
                             f"{first_name(answer.speaker)} declined ({quote(answer.text, cue)}).", COMMITMENT_LOST,
                             r.acts & cues.commitment_acts, consequence=False))
    reps = [r for r in reads if r.is_rep]
    if not asked and len(reps) >= 3:
        tail = reps[-1]
        out.append(Found("no_next_step", "no_next_step", tail.index, reads[-1].index,
                         f"The call ended without {rep} proposing a next step or asking for a decision "
                         f"(last words: {quote(tail.text)}).", NO_NEXT_STEP, consequence=False))
    return out
