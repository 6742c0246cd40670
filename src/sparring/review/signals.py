"""What the counterpart brings up and how the rep answers it (docs/moments.md, "Signals"):

- **objections** (price, competitor/incumbent, timing, authority, need; word cues of review/data/cues.yaml) and
  how the rep's next turns handled them, read from the rep's acts: explored, quantified, traded, acknowledged
  (good or fair) or conceded, argued, pitched past it, ignored (poor);
- **pain or a competitor mentioned** and not explored: the rep's next turn neither asks about it nor reflects it;
- **commitment won or lost**: the counterpart's answer to the rep's proposal or ask; a call that ends with no
  next step proposed at all.
- **pressure** and an **unasked concession** (a discount named in words) by the rep, outside an objection's
  handling.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sparring.review.cues import Cues, Phrases, normalise
from sparring.review.engagement import accepting, negative_cue
from sparring.review.found import Found, first_name, next_rep_turns, quote, rep_replies
from sparring.review.reading import TurnRead
from sparring.scoring.act_reading import negated

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
#: commitment won; lost with a plain refusal ("No.", "not interested": ``hard_refusal`` cues), a softer brush-off,
#: or an objection in answer (the counterpart has not said no yet)
COMMITMENT_WON, REFUSED, BRUSHED_OFF, OBJECTED = 0.35, -0.4, -0.3, -0.25
NO_NEXT_STEP = -0.25
PRESSURE = -0.35
#: a concession (a discount, a waiver) the rep gives outside an objection's handling: unasked, it sets the floor
CONCESSION = -0.45
#: an objection of the same topic raised again within this many turns extends the earlier moment
REPEAT_WINDOW = 6


def handling(cues: Cues, replies: Sequence[TurnRead]) -> tuple[str, frozenset[str]]:
    """How the rep's ``replies`` (their next turns, in order) handled an objection: a ``HANDLING_IMPACT`` key and
    the acts that decided it. The first reply that does something decisive decides: a good move (explore,
    quantify, trade) is good even beside a hostile-sounding act the model may have over-read; a concession, an
    argument or pressure without a good move is poor; a concession beside a good move is "asked about it but also
    conceded". A reply that only acknowledges defers to the next one; with nothing decisive, an acknowledgement is
    "acknowledged", a pitch "pitched", nothing "ignored"."""
    good = [h for h in cues.handling if h.quality == "good"]
    strong_poor = [h for h in cues.handling if h.quality == "poor" and h.name in ("conceded", "argued", "pressured")]
    seen: set[str] = set()
    for reply in replies:
        acts = reply.acts
        g = next((h for h in good if acts & h.acts), None)
        p = next((h for h in strong_poor if acts & h.acts), None)
        if g is not None and p is not None and p.name == "conceded":
            return "explored_then_conceded", acts & (g.acts | p.acts)
        if g is not None:
            return g.name, acts & g.acts
        if p is not None:
            return p.name, acts & p.acts
        seen.update(h.name for h in cues.handling if acts & h.acts)
    for name in ("acknowledged", "pitched"):
        if name in seen:
            h = next(h for h in cues.handling if h.name == name)
            return name, frozenset().union(*(r.acts & h.acts for r in replies))
    return "ignored", frozenset()


def _sentence_hit(read: TurnRead, finder: Phrases, statements_only: bool = False) -> tuple[str, str] | None:
    """The first sentence of ``read`` with a cue of ``finder`` and the cue (``statements_only``: not in a question:
    "What's this going to cost us?" describes no pain)."""
    for s in read.sentences:
        if statements_only and s.rstrip().endswith("?"):
            continue
        m = finder.find(s)
        if m is not None:
            return s, m.group(0)
    return None


def objections(reads: Sequence[TurnRead], cues: Cues, rep: str,
               by_meaning: Mapping[int, tuple[str, str]] | None = None) -> list[Found]:
    """Each objection the counterpart raises (the first topic of the first sentence with one; else the turn's
    objection by meaning, ``by_meaning``: turn index -> (sentence, topic), ``sparring.review.topics``) with how
    the rep's next turns handled it; the same topic again within ``REPEAT_WINDOW`` turns extends the earlier
    moment."""
    out: list[Found] = []
    last_by_topic: dict[str, Found] = {}
    for pos, r in enumerate(reads):
        if r.role != "counterpart":
            continue
        hit: tuple[str, str, str | None] | None = next(
            ((s, *t) for s in r.sentences if (t := cues.objection_topic(s)) is not None), None)
        if hit is None and by_meaning and r.index in by_meaning:
            hit = (by_meaning[r.index][0], by_meaning[r.index][1], None)
        if hit is None:
            continue
        sentence, topic, cue = hit
        replies = rep_replies(reads, pos)
        how, acts = handling(cues, replies)
        end = _reaction_end(reads, pos, replies[-1].index if replies else r.index)
        earlier = last_by_topic.get(topic)
        if earlier is not None and r.index - earlier.end <= REPEAT_WINDOW:
            earlier.end = max(earlier.end, end)
            if HANDLING_IMPACT[how] < earlier.base:  # the worse handling of the two stands
                earlier.base, earlier.rep_acts = HANDLING_IMPACT[how], acts
                earlier.summary = _objection_summary(cues, r, sentence, cue, topic, how, replies, rep, again=True)
            continue
        if topic == "competitor" and how in ("ignored", "pitched", "acknowledged"):
            # a competitor the rep did not take up is the competitor left unexplored, not an objection handled
            family = "competitor_not_explored"
            said = _mention_summary(r, sentence, cue, "a competitor or current supplier", replies[:1], rep)
            out.append(Found(family, family, r.index, replies[0].index if replies else r.index, said,
                             COMPETITOR_NOT_EXPLORED, acts))
            continue
        found = Found(f"objection_{topic}", "objection", r.index, end,
                      _objection_summary(cues, r, sentence, cue, topic, how, replies, rep),
                      HANDLING_IMPACT[how], acts)
        last_by_topic[topic] = found
        out.append(found)
    return out


def _reaction_end(reads: Sequence[TurnRead], pos: int, end: int) -> int:
    """The end of an objection's span: the rep's last reply, or the counterpart's reaction to it when it
    follows at once (the pushback often goes on in the next turn: "That's a pickup truck and a half.")."""
    after = next((r for r in reads[pos + 1:] if r.index > end), None)
    return after.index if after is not None and after.role == "counterpart" and after.index == end + 1 else end


def _objection_summary(cues: Cues, r: TurnRead, sentence: str, cue: str | None, topic: str, how: str,
                       replies: Sequence[TurnRead], rep: str, again: bool = False) -> str:
    who = first_name(r.speaker)
    label = cues.label(topic)
    article = "an" if label[:1].lower() in "aeiou" else "a"
    again_ = " again" if again else ""
    said = f"{who} raised {article} {label} objection{again_} ({quote(sentence, cue)}) at turn {r.index}"
    if not replies:
        return f"{said}; {rep} did not answer it."
    return f"{said}; {first_name(replies[0].speaker)} {HANDLING_WORDS[how]} ({quote(replies[0].text)})."


def _content(text: str) -> set[str]:
    """Content words of ``text`` as 5-letter stems (words of 4+ letters that are not function words)."""
    return {w[:5] for w in _WORD.findall(normalise(text)) if len(w) >= 4 and w not in _FUNCTION}


_WORD = re.compile(r"[^\W\d_]+")
_FUNCTION_WORDS = (
    "that this with have what when where which there their they them then than will would could should about "
    "just like really know think because been were from your yours into also only some very much more most "
    "does doing done said says okay yeah right sure well maybe thing things kind sort mean here over other "
    "every"
)
_FUNCTION = frozenset(_FUNCTION_WORDS.split())


def explores(cues: Cues, said: TurnRead, reply: TurnRead, known: set[str]) -> bool:
    """Whether the rep's ``reply`` explores what the counterpart ``said``: a reflection or summary of it, or a
    question or reflection that takes up something new in it (a content word of ``said`` not heard before in the
    call, ``known``), or a short follow-up question ("What happened?"); never a reply that changes the subject
    without taking anything up."""
    acts = reply.acts & cues.explore_acts
    if not acts:
        return False
    new = _content(said.text) - known
    takes_up = bool(new & _content(reply.text))
    if takes_up:
        return True
    if any(cues.topic_change.search(s) for s in reply.sentences):
        return False
    short_follow_up = reply.words <= 6 and reply.text.rstrip().endswith("?")
    return short_follow_up or bool(acts & {"reflect_complex", "summarise"})


def _mention_summary(r: TurnRead, sentence: str, cue: str | None, what: str, replies: Sequence[TurnRead], rep: str,
                     explored: bool = False) -> str:
    said = f"{first_name(r.speaker)} mentioned {what} ({quote(sentence, cue)}) at turn {r.index}"
    if explored:
        return f"{said}; {first_name(replies[0].speaker)} explored it ({quote(replies[0].text)})."
    answer = (f"{first_name(replies[0].speaker)} moved on ({quote(replies[0].text)})" if replies
              else f"{rep} did not take it up")
    return f"{said}; {answer}."


def mentions(reads: Sequence[TurnRead], cues: Cues, rep: str, objection_turns: set[int]) -> list[Found]:
    """Pain or a competitor mentioned by the counterpart (outside an objection) and whether the rep explored it
    (``explores``)."""
    out: list[Found] = []
    known: set[str] = set()
    for pos, r in enumerate(reads):
        if r.role != "counterpart" or r.index in objection_turns:
            known |= _content(r.text)
            continue
        for family, finder, missed, got, what in (
                ("pain_not_explored", cues.pain, PAIN_NOT_EXPLORED, PAIN_EXPLORED, "a pain"),
                ("competitor_not_explored", cues.competitor_mention, COMPETITOR_NOT_EXPLORED, COMPETITOR_EXPLORED,
                 "a competitor or current supplier")):
            hit = _sentence_hit(r, finder, statements_only=True)
            if hit is None:
                continue
            sentence, cue = hit
            replies = next_rep_turns(reads, pos, limit=1)
            explored = bool(replies) and explores(cues, r, replies[0], known)
            end = replies[0].index if replies else r.index
            summary = _mention_summary(r, sentence, cue, what, replies, rep, explored)
            if explored:
                out.append(Found(family.replace("_not_", "_"), family, r.index, end, summary, got,
                                 replies[0].acts & cues.explore_acts))
            else:
                out.append(Found(family, family, r.index, end, summary, missed))
            break  # one mention moment per turn: pain first
        known |= _content(r.text)
    return out


def commitments(reads: Sequence[TurnRead], cues: Cues, rep: str) -> list[Found]:
    """Commitment won or lost: the counterpart's answer to each rep proposal or ask (accepting or declining), a
    counterpart committing in so many words (``commitment`` cues) whether asked or not, and a call that ends with
    no next step proposed at all."""
    out: list[Found] = []
    asked = False
    won_at: set[int] = set()

    for pos, r in enumerate(reads):
        if not r.is_rep or not r.acts & cues.commitment_acts or _errand_only(cues, r):
            continue
        asked = True
        answer = next((a for a in reads[pos + 1:pos + 3] if a.role == "counterpart" and a.words > 0), None)
        if answer is None:
            continue
        what = quote(r.text)
        cue = negative_cue(cues, answer, to_a_proposal=True)
        lost = REFUSED if cue is not None and _refuses(cues, answer) else BRUSHED_OFF
        if cue is None:
            objection = next((hit for s in answer.sentences if (hit := cues.objection_topic(s)) is not None), None)
            cue = objection[1] if objection is not None else None
            lost = OBJECTED
        if cue is None and (accepting(cues, answer) or _commits(cues, answer)):
            won_at.add(answer.index)
            out.append(Found("commitment_won", "commitment_won", r.index, answer.index,
                             f"{first_name(r.speaker)} proposed a next step ({what}) at turn {r.index} and "
                             f"{first_name(answer.speaker)} agreed ({quote(answer.text)}).", COMMITMENT_WON,
                             r.acts & cues.commitment_acts, consequence=False))
        elif cue is not None and not _commits(cues, answer):
            out.append(Found("commitment_lost", "commitment_lost", r.index, answer.index,
                             f"{first_name(r.speaker)} asked for a commitment ({what}) at turn {r.index} and "
                             f"{first_name(answer.speaker)} declined ({quote(answer.text, cue)}).",
                             lost, r.acts & cues.commitment_acts, consequence=False))
    for r in reads:
        if r.role == "counterpart" and r.index not in won_at and _commits(cues, r) and negative_cue(cues, r) is None:
            hit = _sentence_hit(r, cues.commitment)
            assert hit is not None
            out.append(Found("commitment_won", "commitment_won", r.index, r.index,
                             f"{first_name(r.speaker)} committed at turn {r.index} ({quote(hit[0], hit[1])}).",
                             COMMITMENT_WON, consequence=False))
    reps = [r for r in reads if r.is_rep]
    if not asked and len(reps) >= 3:
        tail = reps[-1]
        out.append(Found("no_next_step", "no_next_step", tail.index, reads[-1].index,
                         f"The call ended without {rep} proposing a next step or asking for a decision "
                         f"(last words: {quote(tail.text)}).", NO_NEXT_STEP, consequence=False))
    return out


def _errand_only(cues: Cues, read: TurnRead) -> bool:
    """The rep only offers to do something themselves ("I'll send you the sheet"): no question, no ask."""
    return "commitment_ask" not in read.acts and "?" not in read.text \
        and any(cues.own_errand.search(s) for s in read.sentences)


def _refuses(cues: Cues, read: TurnRead) -> bool:
    """A plain refusal: the turn opens with a bare "No." or says a ``hard_refusal`` phrase."""
    return (bool(read.sentences) and cues.hard_refusal.find(read.sentences[0]) is not None) \
        or any(cues.hard_refusal.find(s, whole=False) for s in read.sentences)


def _commits(cues: Cues, read: TurnRead) -> bool:
    return _sentence_hit(read, cues.commitment) is not None


def pressure(reads: Sequence[TurnRead], cues: Cues, rep: str, covered: set[int]) -> list[Found]:
    """The rep pushing for a decision with urgency or guilt (``pressure``: the act model, or the rep's word cues
    for an invented deadline), outside an objection's handling (reported there)."""
    out: list[Found] = []
    for r in reads:
        if r.is_rep and "pressure" in r.acts and r.index not in covered:
            hit = _sentence_hit(r, cues.rep_words["pressure"]) if "pressure" in cues.rep_words else None
            said = quote(hit[0], hit[1]) if hit else quote(r.text)
            out.append(Found("pressure", "pressure", r.index, r.index,
                             f"{first_name(r.speaker)} pushed for a decision at turn {r.index} ({said}).", PRESSURE,
                             frozenset({"pressure"})))
    return out


def concessions(reads: Sequence[TurnRead], cues: Cues, rep: str, covered: set[int]) -> list[Found]:
    """The rep giving a discount or waiver away, named in so many words (the ``concession`` cues of
    ``rep_acts_by_words``: "five percent off"), outside an objection's handling (reported there as "conceded"):
    given before the counterpart asked for it, it sets the floor of the negotiation. The act model's
    ``concession`` alone does not make one: on short rep lines it reads a number repeated back ("Eleven
    percent.") or a fix promised as a concession."""
    out: list[Found] = []
    cue = cues.rep_words.get("concession")
    if cue is None:
        return out
    for r in reads:
        if not r.is_rep or r.index in covered or "concession" not in r.acts:
            continue
        hit = next(((s, m.group(0)) for s in r.sentences if (m := cue.find(s)) is not None and not negated(s)), None)
        if hit is None:
            continue
        out.append(Found("concession", "concession", r.index, r.index,
                         f"{first_name(r.speaker)} gave a concession no objection asked for at turn {r.index} "
                         f"({quote(hit[0], hit[1])}).", CONCESSION, frozenset({"concession"})))
    return out
