"""The rep losing control of the call (docs/moments.md, "Losing control"):

- **monologue**: one stretch of the rep's consecutive turns of at least ``MONOLOGUE_WORDS`` words and
  ``MONOLOGUE_RELATIVE`` times the rep's median stretch, or of ``MONOLOGUE_ALWAYS_WORDS`` words in any case (or,
  timed, at least ``MONOLOGUE_SECONDS`` seconds);
- **talk dominance**: a stretch of ``WINDOW_TURNS`` turns where the rep says at least ``DOMINANCE_SHARE`` of
  ``DOMINANCE_MIN_WORDS`` or more words (overlapping stretches merge; a monologue inside one is reported once);
- timed calls only: **interruptions** (the rep starts at least ``INTERRUPT_OVERLAP`` seconds before the
  counterpart's turn ends; talking over when the overlap is ``TALK_OVER_SECONDS`` or more), **long silences**
  (``SILENCE_SECONDS`` or more before the rep answers the counterpart), **fast pace** (a rep stretch of
  ``PACE_MIN_WORDS`` or more words at over ``FAST_WPM`` words a minute).

The thresholds follow the metric definitions of docs/metrics.md (monologue, interruptions, patience, words per
minute) and the usual coaching targets (a rep monologue over ~2.5 minutes at 150 wpm is ~375 words; coaching
material warns from ~60-90 s).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

from sparring.review.found import Found, first_name, quote
from sparring.review.reading import TurnRead

MONOLOGUE_WORDS = 100
#: ... and at least this many times the rep's median turn (a rep who always speaks at length is not monologuing
#: at 100 words)
MONOLOGUE_RELATIVE = 4.0
#: ... but a stretch this long is a monologue whoever says it
MONOLOGUE_ALWAYS_WORDS = 250
MONOLOGUE_SECONDS = 60.0
WINDOW_TURNS = 8
DOMINANCE_SHARE = 0.8
DOMINANCE_MIN_WORDS = 250
INTERRUPT_OVERLAP = 0.25
TALK_OVER_SECONDS = 1.5
SILENCE_SECONDS = 6.0
PACE_MIN_WORDS = 60
FAST_WPM = 190.0


def _rep_runs(reads: Sequence[TurnRead]) -> list[list[TurnRead]]:
    runs: list[list[TurnRead]] = []
    for _key, group in itertools.groupby(reads, key=lambda r: (r.is_rep, r.speaker)):
        items = list(group)
        if items[0].is_rep:
            runs.append(items)
    return runs


def monologues(reads: Sequence[TurnRead], rep: str) -> list[Found]:
    out: list[Found] = []
    runs = _rep_runs(reads)
    typical = statistics.median([sum(r.words for r in run) for run in runs]) if runs else 0.0
    floor = min(max(MONOLOGUE_WORDS, MONOLOGUE_RELATIVE * typical), MONOLOGUE_ALWAYS_WORDS)
    for run in runs:
        words = sum(r.words for r in run)
        seconds = None
        if all(r.start is not None and r.end is not None for r in run):
            seconds = (run[-1].end or 0.0) - (run[0].start or 0.0)
        if words < floor and (seconds is None or seconds < MONOLOGUE_SECONDS):
            continue
        length = f"{words} words" + (f", {seconds:.0f} s" if seconds is not None else "")
        over = max(words / floor, (seconds or 0.0) / MONOLOGUE_SECONDS)
        base = -min(0.3 + 0.1 * (over - 1.0), 0.5)
        out.append(Found("monologue", "monologue", run[0].index, run[-1].index,
                         f"{first_name(run[0].speaker)} talked without a break for {length} at turn {run[0].index} "
                         f"({quote(run[0].text)}).", base))
    return out


def dominance(reads: Sequence[TurnRead], rep: str, monologue_spans: Sequence[tuple[int, int]]) -> list[Found]:
    spans: list[tuple[int, int, int, int]] = []  # positions lo, hi, rep words, all words
    for lo in range(0, max(len(reads) - WINDOW_TURNS + 1, 0)):
        window = reads[lo:lo + WINDOW_TURNS]
        total = sum(r.words for r in window)
        mine = sum(r.words for r in window if r.is_rep)
        if total >= DOMINANCE_MIN_WORDS and mine >= DOMINANCE_SHARE * total:
            if spans and lo <= spans[-1][1]:
                a = spans[-1][0]
                hi = lo + WINDOW_TURNS - 1
                seen = reads[a:hi + 1]
                spans[-1] = (a, hi, sum(r.words for r in seen if r.is_rep), sum(r.words for r in seen))
            else:
                spans.append((lo, lo + WINDOW_TURNS - 1, mine, total))
    out: list[Found] = []
    for lo, hi, mine, total in spans:
        start, end = reads[lo].index, reads[hi].index
        if any(s >= start and e <= end and (e - s) >= (end - start) // 2 for s, e in monologue_spans):
            continue  # mostly one monologue: reported as that
        share = round(100 * mine / total)
        out.append(Found("talk_dominance", "talk_dominance", start, end,
                         f"From turn {start} to {end} {rep} did {share}% of the talking ({mine} of {total} words).",
                         -0.25))
    return out


def timed(reads: Sequence[TurnRead], rep: str) -> list[Found]:
    """Interruptions, long silences and fast pace (only between turns that have start and end times)."""
    out: list[Found] = []
    for prev, cur in itertools.pairwise(reads):
        if prev.start is None or prev.end is None or cur.start is None or cur.end is None:
            continue
        if not cur.is_rep or prev.is_rep or prev.speaker == cur.speaker:
            continue
        gap = cur.start - prev.end
        who = first_name(prev.speaker)
        if gap <= -INTERRUPT_OVERLAP:
            over = -gap
            kind = "talked over" if over >= TALK_OVER_SECONDS else "cut in on"
            out.append(Found("interruption", "interruption", prev.index, cur.index,
                             f"{first_name(cur.speaker)} {kind} {who} at turn {cur.index} ({over:.1f} s before "
                             f"{who} finished: {quote(prev.text)}).", -0.3 if over >= TALK_OVER_SECONDS else -0.2))
        elif gap >= SILENCE_SECONDS:
            out.append(Found("long_silence", "long_silence", prev.index, cur.index,
                             f"{gap:.0f} s of silence after {who} said {quote(prev.text)} at turn {prev.index} "
                             f"before {first_name(cur.speaker)} answered.", -0.15))
    for run in _rep_runs(reads):
        if any(r.start is None or r.end is None for r in run):
            continue
        words = sum(r.words for r in run)
        seconds = sum((r.end or 0.0) - (r.start or 0.0) for r in run)
        if words >= PACE_MIN_WORDS and seconds > 0 and words / (seconds / 60.0) > FAST_WPM:
            wpm = words / (seconds / 60.0)
            out.append(Found("fast_pace", "fast_pace", run[0].index, run[-1].index,
                             f"{first_name(run[0].speaker)} spoke at {wpm:.0f} words a minute for {words} words "
                             f"at turn {run[0].index} ({quote(run[0].text)}).", -0.15))
    return _merge_interruptions(out)


def _merge_interruptions(found: list[Found]) -> list[Found]:
    """Interruptions within a few turns of each other are one moment (a pattern, with the worse impact)."""
    out: list[Found] = []
    for f in sorted(found, key=lambda f: f.start):
        last = out[-1] if out else None
        if last is not None and f.kind == "interruption" == last.kind and f.start - last.end <= 4:
            last.end = max(last.end, f.end)
            last.base = max(min(last.base, f.base) - 0.1, -0.5)
            if "several times" not in last.summary:
                last.summary = last.summary.rstrip(".") + ", and again soon after (several times)."
            continue
        out.append(f)
    return out
