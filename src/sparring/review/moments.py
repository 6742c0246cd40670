"""The scored summary of a call: its key moments on a timeline and the pivotal one (issue 13 item 3;
docs/moments.md).

    from sparring.review.moments import summarise_call
    summary = summarise_call(conversation, scorecard)          # CallSummary(moments=[...], pivotal=..., note=...)
    card, ctx = EmbeddedScorer().score_with_context(conversation, rubric)
    summary = summarise_call(conversation, card, scoring=ctx)   # reuses the acts the scorer read (faster)

Deterministic and offline: the same conversation (and scorecard) always gives the same summary. Every turn is read
once, in one batched act-model call (``sparring.review.reading``); the signals are in ``signals`` (objections,
pain/competitor, commitment), ``control`` (monologue, talk share, interruptions, silence, pace) and
``engagement`` (the counterpart disengaging).

**Impact** (signed, -1..1; negative hurt the call): each signal's base value (documented beside it) plus, for
moments the counterpart reacts to, ``CONSEQUENCE_WEIGHT`` × how much more engaged the counterpart was in their
next ``CONSEQUENCE_TURNS`` turns than in their ``CONSEQUENCE_TURNS`` turns before the moment (the mean of their
disengagement scores, ``engagement``, before minus after): an objection explored and followed by longer,
warmer replies scores higher than one explored and followed by silence, and a moment after which the call
turned weighs more than one after which nothing changed.

**Pivotal**: the moment with the largest |impact| (on an exact tie, one that hurt before one that helped).
Earlier moments of the same sign within ``TIE_MARGIN`` of it that end at most ``TIE_WINDOW`` turns before it
starts count as a tie (the impact is a rough measure: a difference that small says nothing), and the earliest of
them is chosen — what came right after followed from it — saying so;
below ``CLEAR_IMPACT`` there is no clear pivotal moment and ``pivotal`` is None, with ``note`` saying why.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sparring.content.rubric import Rubric
from sparring.conversation.model import Conversation
from sparring.review.control import dominance, monologues, timed
from sparring.review.criteria import criterion_for
from sparring.review.cues import Cues, load_cues
from sparring.review.engagement import TurnEngagement, disengaging_runs, score_turns
from sparring.review.found import Found, first_name, quote
from sparring.review.moment import CallSummary, Moment
from sparring.review.reading import ReadFn, TurnRead, read_call
from sparring.review.signals import commitments, concessions, mentions, objections, pressure
from sparring.review.topics import EmbedFn, objections_by_meaning
from sparring.scoring.scorecard import Scorecard

if TYPE_CHECKING:
    from sparring.scoring.embedded import ScoringContext

MAX_MOMENTS = 10
#: ... and for a long call (more than ``LONG_CALL_TURNS`` turns: about 25 minutes and up)
MAX_MOMENTS_LONG = 14
LONG_CALL_TURNS = 100
#: moments that moved the call less than this are left out (a pain explored in passing)
MIN_IMPACT = 0.1
#: at most this many moments of one kind (the largest |impact| of them): six "commitment lost" say no more than two
MAX_PER_KIND = 2
MAX_PER_KIND_LONG = 3
CLEAR_IMPACT = 0.3
TIE_MARGIN = 0.15
#: ... and counts only when the larger one starts within this many turns of its end (the rep's next replies and
#: the reaction to them, as an objection's handling is read): a moment far earlier did not lead to it
TIE_WINDOW = 4
CONSEQUENCE_TURNS = 3
CONSEQUENCE_WEIGHT = 0.5

KIND_WORDS = {
    "objection_price": "the price objection", "objection_competitor": "the competitor objection",
    "objection_timing": "the timing objection", "objection_authority": "the authority objection",
    "objection_need": "the need objection", "pain_not_explored": "the pain left unexplored",
    "pain_explored": "the pain explored", "competitor_not_explored": "the competitor mention left unexplored",
    "competitor_explored": "the competitor mention explored", "disengaging": "the counterpart disengaging",
    "monologue": "the monologue", "talk_dominance": "the stretch the rep dominated",
    "interruption": "the interruption", "long_silence": "the long silence", "fast_pace": "the fast stretch",
    "commitment_won": "the commitment won", "commitment_lost": "the commitment lost",
    "no_next_step": "the missing next step", "pressure": "the rep's pressure",
    "concession": "the rep's unasked concession",
}


def summarise_call(conversation: Conversation, scorecard: Scorecard | None = None, *, rubric: Rubric | None = None,
                   scoring: ScoringContext | None = None, read_fn: ReadFn | None = None,
                   cues: Cues | None = None, embed_fn: EmbedFn | None = None,
                   meaning: bool = False) -> CallSummary:
    """The key moments of ``conversation`` in turn order (at most ``MAX_MOMENTS``) and the pivotal one.

    ``scorecard``: the call's scorecard; with it (and its rubric: ``rubric``, the scorer context's, or the built-in
    one of that id and version) each moment names the criterion it bears on. ``scoring``: the scorer's context for
    this conversation (``EmbeddedScorer.score_with_context``), whose rep readings are reused; when not given, the
    context the embedded scorer kept for this very conversation object (``sparring.scoring.recent``) is used if
    there is one. ``read_fn`` replaces the act model (tests; it also turns the kept context off); ``cues`` the
    cue file; ``embed_fn`` the sentence embedder of the objections by meaning (``sparring.review.topics``), which
    ``meaning=True`` turns on (off by default: docs/moments.md, "Leave-one-writer-out")."""
    cues = cues or load_cues()
    if not conversation.turns:
        return CallSummary(note="The call has no turns, so there are no moments.")
    if scoring is None and read_fn is None:
        from sparring.scoring.recent import recent_context

        scoring = recent_context(conversation)  # the embedded scorer just read this call: reuse its reading
    reads = read_call(conversation, scoring, read_fn, cues)
    reps = conversation.speakers("learner")
    if not reps:
        return CallSummary(note="No speaker is marked as the rep, so the rep's moments cannot be found.")
    rep = first_name(reps[0])
    engagement = score_turns(reads, cues)
    by_meaning = objections_by_meaning(reads, cues, embed_fn) if meaning else {}
    found = find_moments(reads, cues, rep, engagement, by_meaning)
    add_impact(found, reads, engagement)
    kept = _cap(_dedupe(found), long_call=len(conversation.turns) > LONG_CALL_TURNS)
    rubric = rubric or _rubric_of(scorecard, scoring)
    moments = [_moment(f, reads, cues, rubric, scorecard) for f in kept]
    pivotal, note = choose_pivotal(moments, [f.why for f in kept])
    return CallSummary(moments=moments, pivotal=pivotal, note=note)


def find_moments(reads: Sequence[TurnRead], cues: Cues, rep: str, engagement: Sequence[TurnEngagement],
                 by_meaning: Mapping[int, tuple[str, str]] | None = None) -> list[Found]:
    """Every candidate moment of every signal, before de-duplication and the cap (``by_meaning``: the
    counterpart's objections by meaning, ``sparring.review.topics.objections_by_meaning``)."""
    found = objections(reads, cues, rep, by_meaning)
    found += mentions(reads, cues, rep, {f.start for f in found})
    found += commitments(reads, cues, rep)
    handled = {i for f in found if f.family == "objection" for i in range(f.start, f.end + 1)}
    found += pressure(reads, cues, rep, handled)
    found += concessions(reads, cues, rep, handled)
    mono = monologues(reads, rep)
    found += mono + dominance(reads, rep, [(f.start, f.end) for f in mono]) + timed(reads, rep)
    found += disengaging(engagement, reads, {f.start for f in found if f.family == "objection"})
    return found


def disengaging(engagement: Sequence[TurnEngagement], reads: Sequence[TurnRead], skip: set[int]) -> list[Found]:
    out = []
    for run in disengaging_runs(engagement, reads, skip):
        who = first_name(run[0].speaker)
        words = statistics.fmean(t.words for t in run)
        by_index = {r.index: r for r in reads}
        pushed = next((quote(by_index[t.index].text, t.negative_cue) for t in run
                       if t.negative_cue and not t.negative_cue.startswith("[") and t.index in by_index), None)
        span = f"from turn {run[0].index} to {run[-1].index}" if len(run) > 1 else f"at turn {run[0].index}"
        text = by_index[run[0].index].text if run[0].index in by_index else ""
        if words < run[0].baseline * 0.75:
            what = "replies shrank to about" if len(run) > 1 else "reply shrank to"
            unit = "word" if round(words) == 1 else "words"
            summary = f"{who}'s {what} {words:.0f} {unit} (their usual: {run[0].baseline:.0f}) {span}"
            summary += f", with pushback ({pushed})." if pushed else "."
        else:
            summary = f"{who} pulled back {span} ({quote(text)})."
        base = -min(0.25 + 0.05 * (len(run) - 1), 0.45) - (0.1 if any(t.negative for t in run) else 0.0)
        out.append(Found("disengaging", "disengaging", run[0].index, run[-1].index, summary, base,
                         consequence=False))
    return out


def add_impact(found: Sequence[Found], reads: Sequence[TurnRead], engagement: Sequence[TurnEngagement]) -> None:
    """Set each moment's ``impact``: its base plus, for moments the counterpart reacts to, the change in the
    counterpart's engagement across it (module docstring)."""
    for f in found:
        f.impact = f.base
        if not f.consequence:
            continue
        before = [e.score for e in engagement if e.index < f.start and e.words > 0][-CONSEQUENCE_TURNS:]
        after = [e for e in engagement if e.index > f.end and e.words > 0][:CONSEQUENCE_TURNS]
        if not after:
            continue
        baseline = statistics.fmean(before) if before else statistics.fmean(e.score for e in engagement)
        shift = baseline - statistics.fmean(e.score for e in after)  # > 0: more engaged after than before
        f.impact = f.base + CONSEQUENCE_WEIGHT * shift
        who = first_name(after[0].speaker)
        if shift >= 0.15:
            f.why = f"{who} engaged more right after it"
        elif shift <= -0.15:
            f.why = f"{who} pulled back right after it (shorter or negative replies)"
    for f in found:
        f.impact = round(max(-1.0, min(1.0, f.impact)), 2)


def _dedupe(found: Sequence[Found]) -> list[Found]:
    """One moment per kind per stretch: of moments of the same kind whose spans overlap (or touch), the one with
    the larger |impact| stays, its span widened to cover both."""
    out: list[Found] = []
    for f in sorted(found, key=lambda f: (f.start, f.end, f.kind)):
        twin = next((o for o in out if o.kind == f.kind and f.start <= o.end + 1 and o.start <= f.end + 1), None)
        if twin is None:
            out.append(f)
            continue
        keep, drop = (twin, f) if abs(twin.impact) >= abs(f.impact) else (f, twin)
        keep.start, keep.end = min(keep.start, drop.start), max(keep.end, drop.end)
        if keep is f:
            out[out.index(twin)] = f
    return sorted(out, key=lambda f: (f.start, f.end, f.kind))


def _cap(found: Sequence[Found], long_call: bool = False) -> list[Found]:
    """At most ``MAX_PER_KIND`` of a kind and ``MAX_MOMENTS`` in all (``MAX_PER_KIND_LONG`` and
    ``MAX_MOMENTS_LONG`` for a long call), none under ``MIN_IMPACT``: the largest |impact| first (earlier on
    ties), then back in turn order."""
    most, per = (MAX_MOMENTS_LONG, MAX_PER_KIND_LONG) if long_call else (MAX_MOMENTS, MAX_PER_KIND)
    per_kind: dict[str, int] = {}
    ranked = []
    for f in sorted(found, key=lambda f: (-abs(f.impact), f.start, f.kind)):
        if abs(f.impact) < MIN_IMPACT:
            continue
        if per_kind.get(f.kind, 0) < per:
            per_kind[f.kind] = per_kind.get(f.kind, 0) + 1
            ranked.append(f)
    ranked = ranked[:most]
    return sorted(ranked, key=lambda f: (f.start, f.end, f.kind))


def _rubric_of(scorecard: Scorecard | None, scoring: ScoringContext | None) -> Rubric | None:
    """The scorer context's rubric when it is the scorecard's, else the built-in rubric of the scorecard's id and
    version, else None."""
    held = scoring.rubric if scoring is not None else None
    if held is not None and (scorecard is None or (held.id, held.version) == (scorecard.rubric.id,
                                                                                 scorecard.rubric.version)):
        return held
    if scorecard is None:
        return None
    from sparring.content.library import builtin_rubric

    found = builtin_rubric(scorecard.rubric.id)
    return found if found is not None and found.version == scorecard.rubric.version else None


def _moment(f: Found, reads: Sequence[TurnRead], cues: Cues, rubric: Rubric | None,
            scorecard: Scorecard | None) -> Moment:
    by_index = {r.index: r for r in reads}
    first, last = by_index.get(f.start), by_index.get(f.end)
    return Moment(
        kind=f.kind, start_turn=f.start, end_turn=f.end, summary=f.summary, impact=f.impact,
        criterion=criterion_for(f, rubric, cues, scorecard) if rubric is not None else None,
        start_s=first.start if first is not None else None,
        end_s=last.end if last is not None else None,
    )


def _words(m: Moment) -> str:
    return f"{KIND_WORDS.get(m.kind, m.kind.replace('_', ' '))} at turn {m.start_turn} ({m.impact:+.2f})"


def choose_pivotal(moments: Sequence[Moment], after: Sequence[str] | None = None) -> tuple[Moment | None, str]:
    """The pivotal moment (with its ``reason``) and a note; (None, why) when there is no clear one. ``after[i]``
    says in words how the counterpart reacted to ``moments[i]`` ("" when unremarkable)."""
    if not moments:
        return None, "No key moments were found in this call."
    # on an exact tie of |impact| the moment that hurt comes first: it is the one a drill can work on
    ranked = sorted(moments, key=lambda m: (-abs(m.impact), m.impact > 0, m.start_turn))
    top = ranked[0]
    if abs(top.impact) < CLEAR_IMPACT:
        return None, (f"No clear pivotal moment: the largest was {_words(top)}, and nothing moved the call by "
                      f"{CLEAR_IMPACT} or more.")
    # an earlier moment of the same sign that mattered about as much, and that the largest followed within
    # ``TIE_WINDOW`` turns (the same exchange): the later one followed from it
    close = [m for m in ranked[1:]
             if abs(top.impact) - abs(m.impact) <= TIE_MARGIN and (m.impact > 0) == (top.impact > 0)
             and m.start_turn < top.start_turn and top.start_turn - m.end_turn <= TIE_WINDOW]
    chosen = min([top, *close], key=lambda m: (m.start_turn, -abs(m.impact)))
    effect = "helped the call most" if chosen.impact > 0 else "hurt the call most"
    reason = f"Chosen because it {effect} (impact {chosen.impact:+.2f}, the largest of {len(moments)} moments)"
    if close:
        others = [m for m in [top, *close] if m is not chosen]
        reason = (f"Chosen as the earliest of {len(others) + 1} moments that mattered about as much, a few turns "
                  f"apart ({_words(chosen)}; also {', '.join(_words(m) for m in others)}): what came right after "
                  f"followed from it")
    elif len(ranked) > 1:
        reason += f"; the next largest was {_words(ranked[1])}"
    reaction = after[list(moments).index(chosen)] if after else ""
    if reaction:
        reason += f"; {reaction}"
    pivotal = chosen.model_copy(update={"reason": reason + "."})
    return pivotal, ""
