"""Benchmark: score a generated 60-minute call (≈ 9,000 words, ≈ 400 turns) with the embedded scorer.

    .venv/bin/python bench/scoring.py [--rubric discovery] [--repeat 3] [--json]

The call is generated deterministically (seeded) from sentence templates with varied slots, so nearly every turn
is a distinct sentence, and the embedding cache is emptied before each timed step (the example lines' vectors stay
warm, as in a running server) and timing is realistic
(≈ 150 words per minute, short pauses, a few overlaps). It is written as WebVTT and read back with the
importer, as a real call would be.

Prints: the size of the call, then wall times for reading the file, the full score (``EmbeddedScorer.score``,
which embeds learner sentences, tags, computes metrics and judges every criterion), and, on another fresh call,
tagging every turn and metrics on their own (the tag model reads sentence vectors, so tagging alone embeds
both speakers' sentences) — cold (first call in the process, model load excluded and reported apart) and warm (median of
repeats of a *different* call of the same size, so nothing is cached). CPU time of the scoring process is
printed next to wall time: on a shared machine wall time includes waiting for a core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REP_OPENERS = [
    "Thanks for making the time today, {name}.", "Good to see you again, {name}.",
    "I appreciate you walking me through this.", "That's helpful context.",
]
REP_QUESTIONS = [
    "What made the {team} team start looking at this in {month}?",
    "How are you handling {process} today across the {n} sites?",
    "What happens when {process} slips for more than {n} days?",
    "Who else would need to weigh in before {month}?",
    "How do you measure success for {process} this year?",
    "What have you already tried to fix {process}?",
    "If nothing changed by {month}, what would that cost the {team} team?",
    "Do you have budget set aside for {process} this quarter?",
    "Is the {n}-week timeline fixed, or is there room?",
    "How does {name} see the priority compared with the {team} roadmap?",
]
REP_REFLECTIONS = [
    "So the real pressure is on {process}, and it lands on the {team} team first.",
    "It sounds like the {n} sites have each built their own workaround.",
    "You're worried that another rollout in {month} will stall like the last one.",
    "So {name} cares most about predictability, more than the headline price.",
]
REP_VALUE = [
    "Teams like yours cut {process} time by {n} percent in the first quarter, which saves about {m} hours a week.",
    "The {team} dashboard shows every site's backlog, so you can spot a slip {n} days earlier.",
    "We usually start with {n} sites, prove the result, and then roll out the rest by {month}.",
    "If you can commit to a {n}-month term, we can include onboarding for the {team} team.",
]
REP_NEXT = [
    "I'll send a short summary and two options by {day}.",
    "Can we book thirty minutes with {name} on {day} to walk through the numbers?",
]
CUSTOMER = [
    "Honestly, {process} has been a headache since {month}; every one of the {n} sites does it differently, and "
    "the {team} team spends most of Monday reconciling spreadsheets before anyone can plan the week.",
    "We tried a tool two years ago and it never stuck, so people are sceptical, especially on the {team} side.",
    "Budget is tight this year; {name} wants to see a payback inside {n} months before signing anything.",
    "The biggest issue is visibility: by the time we hear about a slip it's usually {n} days late already.",
    "I'd say {process} costs us roughly {m} hours a week, maybe more in {month} when volumes peak.",
    "That makes sense. I'd need {name} on board though, and the {team} lead will have questions about training.",
    "Right.", "Okay, that's fair.", "Yes, that's exactly it.", "Mm-hmm.",
]
SLOTS = {
    "name": ["Dana", "Priya", "Marco", "Helen", "Tomasz", "Aisha", "Luis", "Grace"],
    "team": ["operations", "finance", "scheduling", "field service", "support", "procurement"],
    "process": ["scheduling", "invoicing", "shift planning", "inventory counts", "onboarding", "reporting"],
    "month": ["January", "March", "April", "June", "September", "November"],
    "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
}


def _fill(rng: random.Random, template: str) -> str:
    values = {k: rng.choice(v) for k, v in SLOTS.items()}
    values["n"] = str(rng.randint(2, 40))
    values["m"] = str(rng.randint(5, 120))
    return template.format(**values)


def generate_call(seed: int = 7, minutes: float = 60.0, words_per_minute: float = 160.0) -> list[dict[str, object]]:
    """Turns of a deterministic sales call: about ``minutes`` long at ``words_per_minute``."""
    rng = random.Random(seed)
    turns: list[dict[str, object]] = []
    clock = 2.0
    rep_turn = True
    while clock < minutes * 60:
        if rep_turn:
            kind = rng.random()
            bank = (REP_QUESTIONS if kind < 0.45 else REP_REFLECTIONS if kind < 0.65 else REP_VALUE if kind < 0.9
                    else REP_NEXT)
            parts = [_fill(rng, rng.choice(REP_OPENERS))] if rng.random() < 0.15 else []
            parts.append(_fill(rng, rng.choice(bank)))
            if rng.random() < 0.35:
                parts.append(_fill(rng, rng.choice(REP_QUESTIONS)))
            speaker, text = "Sam Rivera", " ".join(parts)
        else:
            parts = [_fill(rng, rng.choice(CUSTOMER)) for _ in range(rng.choice([1, 1, 2, 3]))]
            speaker, text = "Jordan Lee", " ".join(parts)
        duration = len(text.split()) / words_per_minute * 60
        jitter = rng.uniform(-0.4, 1.2)  # drawn before the overlap coin, as the call has always been generated
        previous_end = float(turns[-1]["end"]) if turns and rng.random() < 0.9 else 0.0  # type: ignore[arg-type]
        start = round(max(clock + jitter, previous_end), 3)
        end = round(start + duration, 3)
        turns.append({"speaker": speaker, "text": text, "start": start, "end": end})
        clock = end
        rep_turn = not rep_turn
    return turns


def _vtt(turns: list[dict[str, object]]) -> str:
    def ts(s: float) -> str:
        h, rem = divmod(s, 3600)
        m, sec = divmod(rem, 60)
        return f"{int(h):02d}:{int(m):02d}:{sec:06.3f}"

    lines = ["WEBVTT", ""]
    for i, t in enumerate(turns, start=1):
        lines += [str(i), f"{ts(float(t['start']))} --> {ts(float(t['end']))}",  # type: ignore[arg-type]
                  f"<v {t['speaker']}>{t['text']}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rubric", default="discovery", help="built-in rubric id (default: discovery)")
    ap.add_argument("--repeat", type=int, default=3, help="warm runs, each on a fresh call (default 3)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from sparring.content.library import get_library
    from sparring.conversation.importers import read_transcript
    from sparring.conversation.model import Conversation
    from sparring.nlp.embeddings import embed, get_embedder
    from sparring.scoring.embedded import EmbeddedScorer
    from sparring.scoring.metrics import compute_metrics
    from sparring.scoring.tagging import tag_turns
    from sparring.scoring.tagmodel import production_model

    t0 = time.perf_counter()
    embed(["warm up the embedding model"])
    production_model()
    rubric = get_library().rubric(args.rubric)
    load_s = time.perf_counter() - t0
    scorer = EmbeddedScorer()

    def read(seed: int) -> tuple[Conversation, float]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "call.vtt"
            path.write_text(_vtt(generate_call(seed)), encoding="utf-8")
            t = time.perf_counter()
            conv = read_transcript(path, rep="Sam Rivera")
            return conv, time.perf_counter() - t

    def one(seed: int) -> dict[str, float]:
        conv, read_s = read(seed)
        # nothing of this call is cached: the generated calls share templates, and once a long call is cut to
        # each sentence's opening words (EMBED_WORD_BUDGET) many of those openings recur from call to call
        get_embedder().clear_cache()
        t, c = time.perf_counter(), time.process_time()
        scorer.score(conv, rubric)
        score_s, score_cpu = time.perf_counter() - t, time.process_time() - c
        # tagging alone embeds the sentences too (the tag model reads them): measured on another fresh call, so
        # neither step finds the other's sentences in the embedding cache
        other, _ = read(seed + 50_000)
        get_embedder().clear_cache()
        t, c = time.perf_counter(), time.process_time()
        tags = tag_turns(other)
        tag_s, tag_cpu = time.perf_counter() - t, time.process_time() - c
        t = time.perf_counter()
        compute_metrics(other, tags=tags)
        metrics_s = time.perf_counter() - t
        return {"turns": len(conv.turns), "words": sum(x.words for x in conv.turns),
                "minutes": round((conv.turns[-1].end or 0) / 60, 1), "read_s": read_s, "tag_s": tag_s,
                "metrics_s": metrics_s, "score_s": score_s, "score_cpu_s": score_cpu, "tag_cpu_s": tag_cpu}

    cold = one(1)
    warm = [one(100 + i) for i in range(max(args.repeat, 1))]
    keys = ("read_s", "tag_s", "tag_cpu_s", "metrics_s", "score_s", "score_cpu_s")
    med = {k: statistics.median(w[k] for w in warm) for k in keys}
    result = {
        "rubric": args.rubric,
        "turns": cold["turns"], "words": cold["words"], "minutes": cold["minutes"],
        "model_load_seconds": round(load_s, 3),
        "cold": {k: round(v, 3) for k, v in cold.items() if k.endswith("_s")},
        "warm_median": {k: round(v, 3) for k, v in med.items()},
        "read_plus_score_seconds": round(med["read_s"] + med["score_s"], 3),
        "target_seconds": 1.0,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"call: {result['turns']} turns, {result['words']} words, {result['minutes']} min ({args.rubric})")
        print(f"model load (once per process): {result['model_load_seconds']} s")
        for label, row in (("cold", result["cold"]), ("warm median", result["warm_median"])):
            print(f"{label:>12}: read {row['read_s']} s, tag {row['tag_s']} s ({row['tag_cpu_s']} s CPU), "
                  f"metrics {row['metrics_s']} s, "
                  f"score (tags+metrics+embeddings+criteria) {row['score_s']} s wall, {row['score_cpu_s']} s CPU")
        print(f"read + score: {result['read_plus_score_seconds']} s (target <= 1.0 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
