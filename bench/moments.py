"""Benchmark: the call-moment finder (``sparring.review.moments``; docs/moments.md) — how well its signals agree
with labelled data, and how fast it is.

    .venv/bin/python bench/moments.py [--pfg DIR] [--calls corpus/calls/dev] [--limit N] [--no-speed] [--json]

(a) **PersuasionForGood** (``/work/shared/datasets/persuasionforgood``, read in place, never copied): each of the
    300 annotated dialogues becomes a call (persuader = rep, persuadee = counterpart; one turn per speaker per
    ``Turn``). Every persuadee turn gets the disengagement score of ``sparring.review.engagement`` and is labelled
    *refusing* when any of its sentences carries a refusing persuadee act (negative-reaction-to-donation,
    disagree-donation, disagree-donation-more). Reported: ROC AUC of the score against that label
    (Mann-Whitney, ties count half), the AUC of each part alone (shortness, negative cue words, negative acts),
    precision/recall of the turn's ``negative`` flag; the same with negative answers to the persuader's
    questions (negative-to-inquiry) counted too; and per dialogue the AUC of the mean score (and of each part)
    of the persuadee's turns against *no donation* (``B6`` = 0 in 300_info.csv). Dialogues are split by position in id
    order: even = dev (the cue lists may be looked at against it), odd = held out; both are printed.
(b) **Call corpus** (``corpus/calls/dev`` only — never ``test/``): a planted moment is found when a moment of the
    same kind spans the turn that holds its quote (corpus/calls/README.md); precision counts found moments of the
    kinds the keys use. Also: the sign of the impact against the key's "handled" (well > 0, poorly < 0), and
    whether the pivotal moment spans the key's pivotal quote.
(c) **Speed**: a deterministic 60-minute call (``bench/scoring.py``'s generator, WebVTT): import + score +
    summarise with the scorer's readings reused (the context the scorer kept), and summarise a copy of the call
    (an object the scorer never saw) without them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

PFG = Path("/work/shared/datasets/persuasionforgood")
#: the persuadee refusing or reacting against the request (the disengagement signal's target)
REFUSAL_LABELS = {"negative-reaction-to-donation", "disagree-donation", "disagree-donation-more"}
#: ... plus negative answers to the persuader's questions ("No, I haven't."), which are answers, not pushback
NEGATIVE_LABELS = REFUSAL_LABELS | {"negative-to-inquiry"}
#: the kinds the call corpus keys use (corpus/calls/README.md)
KEY_KINDS = {"objection_price", "objection_competitor", "objection_timing", "objection_authority", "objection_need",
             "pain_not_explored", "competitor_not_explored", "disengaging", "monologue", "commitment_won",
             "commitment_lost"}


def auc(scores: list[float], labels: list[bool]) -> float | None:
    """ROC AUC by Mann-Whitney: the chance a positive scores above a negative (ties count half)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    ranked = sorted((s, i) for i, s in enumerate(scores))
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[ranked[k][1]] = (i + j) / 2 + 1
        i = j + 1
    rank_pos = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return round((rank_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)), 4)


def _pr(pred: list[bool], gold: list[bool]) -> dict[str, Any]:
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
    fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
    return {"precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None, "tp": tp, "fp": fp, "fn": fn}


# ---------------------------------------------------------------------------------------------- (a) PfG
def pfg_dialogues(root: Path) -> tuple[dict[str, list[dict[str, str]]], dict[str, float]]:
    units: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (root / "300_dialog.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            units[row["B2"]].append(row)
    donation: dict[str, float] = {}
    with (root / "300_info.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["B4"] == "1":
                try:
                    donation[row["B2"]] = float(row["B6"] or 0)
                except ValueError:
                    continue
    return units, donation


def pfg_call(rows: list[dict[str, str]], labels: set[str] = REFUSAL_LABELS) -> tuple[Any, list[bool]]:
    """The dialogue as a Conversation, and per turn whether it carries one of ``labels`` (persuadee acts)."""
    from sparring.conversation.model import Conversation

    conv = Conversation(source="call")
    negative: list[bool] = []
    key: tuple[str, str] | None = None
    for row in rows:
        this = (row["Turn"], row["B4"])
        text = row["Unit"].strip()
        if not text:
            continue
        neg = bool({row["ee_label_1"], row["ee_label_2"]} & labels)
        if this == key and conv.turns:
            last = conv.turns[-1]
            last.text = f"{last.text} {text}"
            negative[-1] = negative[-1] or neg
            continue
        key = this
        role = "learner" if row["B4"] == "0" else "counterpart"
        conv.add("Persuader" if role == "learner" else "Persuadee", role, text)
        negative.append(neg)
    return conv, negative


def bench_pfg(root: Path, limit: int | None) -> dict[str, Any]:
    from sparring.review.cues import load_cues
    from sparring.review.engagement import score_turns
    from sparring.review.reading import read_call

    cues = load_cues()
    units, donation = pfg_dialogues(root)
    ids = sorted(units)[:limit] if limit else sorted(units)
    split: dict[str, dict[str, list[Any]]] = {s: defaultdict(list) for s in ("dev", "held_out", "all")}
    t0 = time.perf_counter()
    for n, dialogue in enumerate(ids):
        conv, negative = pfg_call(units[dialogue])
        _, any_negative = pfg_call(units[dialogue], NEGATIVE_LABELS)
        reads = read_call(conv)
        scores = score_turns(reads, cues)
        part = "dev" if n % 2 == 0 else "held_out"
        for bucket in (split[part], split["all"]):
            for s in scores:
                r = reads[s.index]
                bucket["score"].append(s.score)
                bucket["short"].append(s.shortness)
                bucket["cue"].append(float(any(cues.negative.search(x) for x in r.sentences)))
                bucket["act"].append(float(bool(r.acts & cues.negative_acts)))
                bucket["flag"].append(s.negative)
                bucket["gold"].append(negative[s.index])
                bucket["gold_any"].append(any_negative[s.index])
            if dialogue in donation and scores:
                bucket["d_score"].append(statistics.fmean(s.score for s in scores))
                bucket["d_short"].append(statistics.fmean(s.shortness for s in scores))
                bucket["d_negative"].append(statistics.fmean(float(s.negative) for s in scores))
                bucket["d_nodonation"].append(donation[dialogue] <= 0)
    seconds = time.perf_counter() - t0
    out: dict[str, Any] = {"dialogues": len(ids), "seconds": round(seconds, 1)}
    for name, b in split.items():
        out[name] = {
            "turns": len(b["gold"]), "refusal_turns": sum(b["gold"]), "negative_turns": sum(b["gold_any"]),
            "turn_auc": auc(b["score"], b["gold"]), "turn_auc_shortness": auc(b["short"], b["gold"]),
            "turn_auc_cue_words": auc(b["cue"], b["gold"]), "turn_auc_negative_acts": auc(b["act"], b["gold"]),
            "negative_flag": _pr(b["flag"], b["gold"]),
            "turn_auc_any_negative": auc(b["score"], b["gold_any"]),
            "negative_flag_any_negative": _pr(b["flag"], b["gold_any"]),
            "dialogues": len(b["d_score"]), "no_donation": sum(b["d_nodonation"]),
            "dialogue_auc_no_donation": auc(b["d_score"], b["d_nodonation"]),
            "dialogue_auc_no_donation_shortness": auc(b["d_short"], b["d_nodonation"]),
            "dialogue_auc_no_donation_negative": auc(b["d_negative"], b["d_nodonation"]),
        }
    return out


# ---------------------------------------------------------------------------------------------- (b) call corpus
def bench_calls(folder: Path, frozen: bool = False) -> dict[str, Any]:
    from sparring.conversation.importers import read_transcript
    from sparring.review.moments import summarise_call

    if folder.name.startswith("test") and not frozen:
        raise SystemExit("bench/moments.py: corpus/calls/test is frozen; measure on dev only (--frozen: the one "
                         "measurement of a build, stated in docs/moments.md)")
    per_call = []
    planted = found_kinds = matched_found = matched_planted = 0
    sign_right = sign_total = pivotal_right = 0
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # planted, found
    for key_file in sorted(folder.glob("*.key.json")):
        key = json.loads(key_file.read_text(encoding="utf-8"))
        call = read_transcript(key_file.parent / key["file"], rep=key["rep"])
        t = time.perf_counter()
        summary = summarise_call(call)
        seconds = time.perf_counter() - t
        turn_of = {m["quote"]: next(i for i, tr in enumerate(call.turns) if m["quote"] in tr.text)
                   for m in [*key["moments"], key["pivotal"]]}
        ours = [m for m in summary.moments if m.kind in KEY_KINDS]
        hits = set()
        for pm in key["moments"]:
            planted += 1
            by_kind[pm["kind"]][0] += 1
            turn = turn_of[pm["quote"]]
            match = next((i for i, m in enumerate(ours) if m.kind == pm["kind"]
                          and m.start_turn <= turn <= m.end_turn), None)
            if match is not None:
                matched_planted += 1
                by_kind[pm["kind"]][1] += 1
                hits.add(match)
                if pm["handled"] in ("well", "poorly"):
                    sign_total += 1
                    sign_right += (ours[match].impact > 0) == (pm["handled"] == "well")
        found_kinds += len(ours)
        matched_found += len(hits)
        pturn = turn_of[key["pivotal"]["quote"]]
        piv_ok = summary.pivotal is not None and summary.pivotal.start_turn <= pturn <= summary.pivotal.end_turn
        pivotal_right += piv_ok
        per_call.append({"call": key["file"], "turns": len(call.turns), "planted": len(key["moments"]),
                         "found": len(ours), "matched": len(hits), "pivotal_right": piv_ok,
                         "seconds": round(seconds, 2),
                         "ours": [f"{m.kind}@{m.start_turn}-{m.end_turn}:{m.impact:+.2f}" for m in summary.moments],
                         "pivotal": (f"{summary.pivotal.kind}@{summary.pivotal.start_turn}" if summary.pivotal
                                     else None), "key_pivotal_turn": pturn,
                         "planted_at": [f"{m['kind']}@{turn_of[m['quote']]}" for m in key["moments"]]})
    return {
        "calls": len(per_call), "planted": planted, "found": found_kinds,
        "recall": round(matched_planted / planted, 3) if planted else None,
        "precision": round(matched_found / found_kinds, 3) if found_kinds else None,
        "handled_sign_agreement": f"{sign_right}/{sign_total}",
        "pivotal_right": f"{pivotal_right}/{len(per_call)}",
        "recall_by_kind": {k: f"{v[1]}/{v[0]}" for k, v in sorted(by_kind.items())},
        "per_call": per_call,
    }


# ---------------------------------------------------------------------------------------------- (c) speed
def bench_speed(repeat: int = 2) -> dict[str, Any]:
    from scoring import _vtt, generate_call  # bench/scoring.py: the same generated 60-minute call
    from sparring.content.library import get_library
    from sparring.conversation.importers import read_transcript
    from sparring.nlp.act_model import read_acts
    from sparring.nlp.embeddings import embed, get_embedder
    from sparring.review.cues import load_cues
    from sparring.review.moments import summarise_call
    from sparring.scoring.embedded import EmbeddedScorer
    from sparring.scoring.tagmodel import production_model

    embed(["warm up"])
    read_acts(["warm up"])
    production_model()
    load_cues()
    rubric = get_library().rubric("discovery")
    scorer = EmbeddedScorer()
    runs = []
    for seed in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "call.vtt"
            path.write_text(_vtt(generate_call(100 + seed)), encoding="utf-8")
            get_embedder().clear_cache()
            t0, c0 = time.perf_counter(), time.process_time()
            conv = read_transcript(path, rep="Sam Rivera")
            t1 = time.perf_counter()
            card, ctx = scorer.score_with_context(conv, rubric)
            t2, c2 = time.perf_counter(), time.process_time()
            summarise_call(conv, card, scoring=ctx)
            t3, c3 = time.perf_counter(), time.process_time()
            alone = conv.model_copy(deep=True)  # another object: the scorer kept no context for it
            t4, c4 = time.perf_counter(), time.process_time()
            summarise_call(alone, card)
            t5, c5 = time.perf_counter(), time.process_time()
        runs.append({"turns": len(conv.turns), "words": sum(t.words for t in conv.turns),
                     "import_s": round(t1 - t0, 3), "score_s": round(t2 - t1, 3), "moments_s": round(t3 - t2, 3),
                     "total_s": round(t3 - t0, 3), "total_cpu_s": round(c3 - c0, 3),
                     "moments_cpu_s": round(c3 - c2, 3), "moments_alone_s": round(t5 - t4, 3),
                     "moments_alone_cpu_s": round(c5 - c4, 3)})
    return {"runs": runs, "best_total_s": min(r["total_s"] for r in runs), "load_average_after": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pfg", type=Path, default=PFG, help="PersuasionForGood folder (default: %(default)s)")
    ap.add_argument("--calls", type=Path, default=ROOT / "corpus" / "calls" / "dev")
    ap.add_argument("--limit", type=int, default=None, help="first N PersuasionForGood dialogues only")
    ap.add_argument("--no-pfg", action="store_true")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="speed runs, each on a fresh call (default 3)")
    ap.add_argument("--frozen", action="store_true",
                    help="allow corpus/calls/test: the frozen split, measured once per build and stated as such")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result: dict[str, Any] = {"load_average": os.getloadavg()[0]}
    if not args.no_pfg:
        result["persuasionforgood"] = bench_pfg(args.pfg, args.limit)
    result["calls"] = bench_calls(args.calls, frozen=args.frozen)
    if not args.no_speed:
        result["speed"] = bench_speed(args.repeat)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    if "persuasionforgood" in result:
        p = result["persuasionforgood"]
        print(f"(a) PersuasionForGood: {p['dialogues']} dialogues in {p['seconds']} s")
        for part in ("dev", "held_out", "all"):
            q = p[part]
            print(f"  {part:9} {q['turns']} persuadee turns, {q['refusal_turns']} refusing: turn AUC "
                  f"{q['turn_auc']} (shortness {q['turn_auc_shortness']}, cue words {q['turn_auc_cue_words']}, acts "
                  f"{q['turn_auc_negative_acts']}); negative flag P {q['negative_flag']['precision']} "
                  f"R {q['negative_flag']['recall']}")
            print(f"  {'':9} with negative answers to inquiries too ({q['negative_turns']} turns): turn AUC "
                  f"{q['turn_auc_any_negative']}, flag P {q['negative_flag_any_negative']['precision']} "
                  f"R {q['negative_flag_any_negative']['recall']}")
            print(f"  {'':9} per dialogue vs no donation ({q['no_donation']}/{q['dialogues']} gave nothing): AUC "
                  f"{q['dialogue_auc_no_donation']} (shortness {q['dialogue_auc_no_donation_shortness']}, "
                  f"negative {q['dialogue_auc_no_donation_negative']})")
    c = result["calls"]
    print(f"(b) calls ({args.calls}): {c['calls']} calls, {c['planted']} planted, {c['found']} found: recall "
          f"{c['recall']}, precision {c['precision']}; handled sign {c['handled_sign_agreement']}; pivotal "
          f"{c['pivotal_right']}")
    print("    recall by kind: " + ", ".join(f"{k} {v}" for k, v in c["recall_by_kind"].items()))
    for pc in c["per_call"]:
        print(f"    {pc['call']}: {pc['matched']}/{pc['planted']} found, {pc['found']} reported, pivotal "
              f"{'right' if pc['pivotal_right'] else 'wrong'} ({pc['pivotal']} vs turn {pc['key_pivotal_turn']}), "
              f"{pc['seconds']} s")
        print(f"      planted: {' '.join(pc['planted_at'])}")
        print(f"      ours:    {' '.join(pc['ours'])}")
    if "speed" in result:
        for r in result["speed"]["runs"]:
            print(f"(c) 60-minute call, {r['turns']} turns, {r['words']} words: import {r['import_s']} s + score "
                  f"{r['score_s']} s + moments {r['moments_s']} s (CPU {r['moments_cpu_s']} s) = {r['total_s']} s "
                  f"(CPU {r['total_cpu_s']} s); moments without the scorer's readings {r['moments_alone_s']} s "
                  f"(CPU {r['moments_alone_cpu_s']} s)")
    print(f"load average at start: {result['load_average']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
