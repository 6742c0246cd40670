"""Train the production tag model on all of AnnoMI and write its weights (no dataset text is stored).

    python -m sparring.bench.train_tagger --data ../shared/datasets/annomi [--out PATH]

The benchmark (``sparring bench annomi``) never uses these weights: it retrains per fold.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sparring.bench.annomi import fit_items, load_sessions
from sparring.scoring.sentence_vectors import utterance_vectors
from sparring.scoring.tagmodel import MODEL_PATH, TagModel


def train(data_dir: Path) -> TagModel:
    items = [it for s in load_sessions(data_dir) for it in s.therapist_items()]
    return fit_items(items, utterance_vectors([it.text for it in items]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train the production utterance tag model on AnnoMI.")
    ap.add_argument("--data", type=Path, required=True, help="the AnnoMI directory")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    args = ap.parse_args(argv)
    model = train(args.data)
    model.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
