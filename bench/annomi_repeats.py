"""Repeated cross-validation on AnnoMI: how much do the validity numbers move with the fold split?

One 5-fold split of 133 sessions (23 of them low quality) is a noisy estimate: which low-quality sessions share a
fold moves the session AUC by several points. This runs ``sparring bench annomi`` once per seed, each with the
transcripts shuffled into folds differently (``--seed``), and prints every run and the mean, standard deviation
and range of each measure. The README's unshuffled split (what ``sparring bench annomi`` reports) is included
as "standard".

Run: ``.venv/bin/python bench/annomi_repeats.py --data ../shared/datasets/annomi [--seeds 1 2 3 4 5] [--json]``.
About a minute per split on 2 cores. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from pathlib import Path

MEASURES = ("utterance_macro_f1", "session_auc", "session_auc_length_controlled", "session_auc_length_stratified")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="the AnnoMI directory")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from sparring.bench.annomi import DatasetError, load_sessions, run_annomi

    try:
        load_sessions(args.data, limit=4)  # fail at once, in one line, on a wrong directory
    except DatasetError as exc:
        print(f"annomi_repeats: {exc}", file=sys.stderr)
        return 1
    runs: dict[str, dict[str, float]] = {}
    for seed in [None, *args.seeds]:
        label = "standard" if seed is None else f"seed {seed}"
        result = run_annomi(args.data, seed=seed)
        runs[label] = {m: result[m] for m in MEASURES}
        if not args.json:
            print(label.ljust(10), "  ".join(f"{m}={result[m]}" for m in MEASURES), flush=True)
    shuffled = [r for label, r in runs.items() if label != "standard"]
    summary = {
        m: {
            "mean": round(statistics.mean(r[m] for r in shuffled), 4),
            "sd": round(statistics.stdev(r[m] for r in shuffled), 4) if len(shuffled) > 1 else 0.0,
            "min": min(r[m] for r in shuffled),
            "max": max(r[m] for r in shuffled),
        }
        for m in MEASURES
    }
    machine = f"{platform.machine()}, Python {sys.version.split()[0]}"
    out = {"runs": runs, "shuffled_splits": summary, "machine": machine}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for m, s in summary.items():
            print(f"{m}: mean {s['mean']} sd {s['sd']} range {s['min']}–{s['max']} "
                  f"over {len(shuffled)} shuffled splits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
