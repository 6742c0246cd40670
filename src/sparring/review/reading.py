"""Reading a call once for its moments: every turn's sentences, words, timing and acts (docs/moments.md, "Reading").

The acts come from the act model (``sparring.nlp.act_model.read_acts``) in **one batched call** over the lines
not read already:

- the counterpart's (and other speakers') turns: each turn's opening — its first sentence, at most
  ``OPENING_WORDS`` words. What the moment finder needs from them is whether they accept a next step or react
  with hostility, which a turn does at its start; the objection, pain and competitor *topics* come from word cues
  over the whole turn (``sparring.review.cues``).
- the rep's turns: when the scorer's context is given (``EmbeddedScorer.score_with_context``), the acts the
  scorer already read for each whole sentence of the rep's turns are reused and nothing of the rep is read
  again; otherwise the first ``REP_PIECES`` sentences of each rep turn (a very short one joined to the next),
  each cut to ``OPENING_WORDS`` words.

The rep's acts also get the acts that ``rep_acts_by_words`` of review/data/cues.yaml names in so many words (an
invented deadline is ``pressure``, "twenty-five percent off" a ``concession``): the act model misses some of
them in long turns.

The act model reads about 7,000-12,000 tokens per CPU-second on this project's 2-core machine, so reading every
word of a 60-minute call (~9,000 words) costs 2-4 s; openings keep it to a few tenths (bench/moments.py measures
it). Rep acts pass through ``effective_acts`` (speaker, subject and polarity), as the scorer counts them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparring.conversation.model import Conversation, Role
from sparring.review.cues import Cues, load_cues
from sparring.scoring.act_reading import effective_acts, negated
from sparring.scoring.segments import split_sentences

if TYPE_CHECKING:
    from sparring.scoring.embedded import ScoringContext

#: words of a sentence the act model reads (its opening)
OPENING_WORDS = 16
#: pieces of a rep turn read when the scorer's readings are not given: sentences, a short one ("Okay.", "Um.")
#: joined to the next, at most this many pieces of at most ``OPENING_WORDS`` words each
REP_PIECES = 4
SHORT_SENTENCE_WORDS = 4
#: a call whose read lines hold more words than this is read without the previous turn as context (as the
#: scorer does for long calls: context doubles the tokens read)
CONTEXT_WORD_BUDGET = 1000
#: words of the previous turn given as context (its last sentence, cut from the end)
CONTEXT_WORDS = 25

#: an act counts for a moment only when the model gives it at least its own threshold (the decision rule's
#: fallback names the nearest act when none reaches one, e.g. an offer at 0.03 for a bare "Hmm."); without the
#: model's thresholds (a test double), at least ``ACT_FLOOR``
ACT_FLOOR = 0.5
#: hostile acts decide "argued", "pressured" and negative reactions: they need more certainty
HOSTILE_FLOOR = 0.8
HOSTILE = frozenset({"confront", "dismiss_need", "blame_label", "insult", "pressure"})

ReadFn = Callable[..., list[Any]]


def model_thresholds() -> dict[str, float]:
    """The loaded act model's threshold per act (``sparring.nlp.act_model.backend``)."""
    from sparring.nlp.act_model import ACT_NAMES, backend

    return dict(zip(ACT_NAMES, (float(v) for v in backend().thresholds), strict=True))


def confident(reading: Any, acts: frozenset[str], thresholds: dict[str, float] | None = None) -> frozenset[str]:
    """The acts of ``acts`` the reading gives at least their threshold (``ACT_FLOOR`` without ``thresholds``),
    and at least ``HOSTILE_FLOOR`` for hostile acts."""
    def floor(act: str) -> float:
        own = thresholds.get(act, ACT_FLOOR) if thresholds else ACT_FLOOR
        return max(own, HOSTILE_FLOOR) if act in HOSTILE else own

    return frozenset(a for a in acts if a != "other" and reading.p(a) >= floor(a))


def _model_read(readings: list[Any]) -> bool:
    """Whether these readings came from the act model (not the phrase rules or a test double)."""
    from sparring.nlp.act_model import ActReading
    from sparring.scoring.act_reading import RuleReading

    return bool(readings) and all(isinstance(r, ActReading) and not isinstance(r, RuleReading) for r in readings)


@dataclass(frozen=True)
class TurnRead:
    """One turn as the moment finder sees it."""

    index: int
    speaker: str
    role: Role
    text: str
    words: int
    sentences: tuple[str, ...]
    acts: frozenset[str]
    start: float | None = None
    end: float | None = None

    @property
    def is_rep(self) -> bool:
        return self.role == "learner"


def opening(sentence: str, words: int = OPENING_WORDS) -> str:
    parts = sentence.split()
    return sentence if len(parts) <= words else " ".join(parts[:words])


def pieces(sentences: Sequence[str], limit: int = REP_PIECES) -> list[str]:
    """The sentences to read of a rep turn: a sentence of at most ``SHORT_SENTENCE_WORDS`` words is joined to
    the next, and each piece is cut to its opening."""
    out: list[str] = []
    carry = ""
    for s in sentences:
        text = f"{carry} {s}".strip() if carry else s
        if len(text.split()) <= SHORT_SENTENCE_WORDS and s is not sentences[-1]:
            carry = text
            continue
        carry = ""
        out.append(opening(text))
        if len(out) >= limit:
            break
    if carry and len(out) < limit:
        out.append(opening(carry))
    return out


def _context(text: str) -> str:
    spans = split_sentences(text)
    last = text[spans[-1][0]:spans[-1][1]] if spans else text
    parts = last.split()
    return " ".join(parts[-CONTEXT_WORDS:])


def _rep_acts_from_scoring(ctx: ScoringContext, n_turns: int) -> list[frozenset[str] | None]:
    """Per turn: the union of the effective acts the scorer read for the turn's whole sentences (None for turns
    it did not read)."""
    out: list[frozenset[str] | None] = [None] * n_turns
    thresholds = model_thresholds() if _model_read(ctx.readings) else None
    for seg, acts, reading in zip(ctx.segments, ctx.segment_acts, ctx.readings, strict=True):
        if seg.clause or seg.turn >= n_turns:
            continue
        prev = out[seg.turn]
        kept = confident(reading, acts, thresholds)
        out[seg.turn] = kept if prev is None else prev | kept
    return out


def read_call(conversation: Conversation, scoring: ScoringContext | None = None,
              read_fn: ReadFn | None = None, cues: Cues | None = None) -> list[TurnRead]:
    """Every turn of ``conversation`` with its acts, read in one batched ``read_acts`` call (module docstring).
    ``scoring``: the scorer's context for this same conversation, whose rep readings are reused. ``read_fn``
    replaces ``read_acts`` (tests)."""
    turns = conversation.turns
    sentences = [tuple(t.text[s:e] for s, e in split_sentences(t.text)) or ((t.text,) if t.text.strip() else ())
                 for t in turns]
    reused: list[frozenset[str] | None] = [None] * len(turns)
    if scoring is not None and scoring.conversation is conversation:
        reused = _rep_acts_from_scoring(scoring, len(turns))
    lines: list[tuple[int, str]] = []  # (position of the turn, line to read)
    for pos, (t, sents) in enumerate(zip(turns, sentences, strict=True)):
        if not sents:
            continue
        if t.role == "learner":
            if scoring is not None and scoring.conversation is conversation:
                continue  # the scorer read every rep sentence already
            lines.extend((pos, piece) for piece in pieces(sents))
        else:
            lines.append((pos, opening(sents[0])))
    use_context = sum(len(line.split()) for _, line in lines) <= CONTEXT_WORD_BUDGET
    contexts = [_context(turns[i - 1].text) if use_context and i > 0 and turns[i - 1].speaker != turns[i].speaker
                else "" for i, _ in lines]
    if read_fn is None:
        from sparring.nlp.act_model import read_acts

        readings = read_acts([line for _, line in lines], contexts, embed_questions=False) if lines else []
    else:
        readings = read_fn([line for _, line in lines], contexts) if lines else []
    acts: list[frozenset[str]] = [frozenset()] * len(turns)
    thresholds = model_thresholds() if _model_read(readings) else None
    for (i, _line), reading in zip(lines, readings, strict=True):
        got = effective_acts(reading) if turns[i].role == "learner" else frozenset(reading.acts)
        acts[i] = acts[i] | confident(reading, got, thresholds)
    for i, r in enumerate(reused):
        if r is not None:
            acts[i] = r
    words = (cues or load_cues()).rep_words
    for i, (t, sents) in enumerate(zip(turns, sentences, strict=True)):
        if t.role == "learner":
            acts[i] = acts[i] | {act for act, cue in words.items()
                                 if any(cue.search(s) and not negated(s) for s in sents)}
    return [TurnRead(t.index, t.speaker, t.role, t.text, t.words, sents, a, t.start, t.end)
            for t, sents, a in zip(turns, sentences, acts, strict=True)]


def rep_speaker_turns(reads: Sequence[TurnRead]) -> list[TurnRead]:
    return [r for r in reads if r.is_rep]
