"""A second, blind annotation of the training writers' lines: reading it, the training mask it gives, and how well
the two annotators agree.

``corpus/acts/second/wN.jsonl`` holds, for writer ``wN``'s lines, another annotator's acts: one ``{"id", "acts"}``
record per line (the same act rules as the writer files: known names, no act twice, ``other`` alone). A writer
without such a file, or a line without a record, keeps the writer's labels alone. Where the two annotators
disagree on an act of a line (one lists it, the other does not), training masks that act out of the loss for
that line (the partial-label mechanism of the AnnoMI rows, ``act_finetune``); acts both agree on (present or
absent) are trained as before. The test writers' files are never read here, and no second file may exist for them.

    python -m sparring.nlp.act_corpus agreement corpus/acts   # per-act Cohen's kappa, overall, identical act sets
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sparring.nlp.act_corpus import TEST_AUTHORS, ActLine, CorpusError, act_list_problems, json_records, load_training
from sparring.nlp.acts import ACT_NAMES

SECOND = "second"


def read_second(path: Path) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """The records of one second-annotation file by line id, and the problems found (``FILE:LINE: field: ...``)."""
    out: dict[str, tuple[str, ...]] = {}
    problems: list[str] = []
    for where, record in json_records(path, problems):
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            problems.append(f"{where}: id: missing or not a str")
            continue
        acts = record.get("acts")
        found = act_list_problems(acts, where)
        if found or not isinstance(acts, list):
            problems.extend(found)
        elif not record["id"].startswith(path.stem + "-"):
            problems.append(f"{where}: id: {record['id'][:40]!r} is not a line of writer {path.stem!r}")
        elif record["id"] in out:
            problems.append(f"{where}: id: {record['id']!r} is annotated twice")
        else:
            out[record["id"]] = tuple(acts)
    return out, problems


def load_second(folder: Path, lines: Sequence[ActLine]) -> dict[str, frozenset[str]]:
    """The second annotation of ``lines`` (some or all of ``folder``'s training lines) from
    ``folder/second/<writer>.jsonl`` where present (empty when there is none); CorpusError lists every problem,
    including records of lines that are not in the writer's file."""
    base = folder / SECOND
    if not base.is_dir():
        return {}
    frozen = sorted(f.name for f in base.glob("*.jsonl") if f.stem in TEST_AUTHORS)
    if frozen:
        raise CorpusError([f"{base}: a second annotation of a frozen test writer ({', '.join(frozen)}) may not exist"])
    wanted = {line.id for line in lines}
    ids = {line.id for line in load_training(folder)}
    out: dict[str, frozenset[str]] = {}
    problems: list[str] = []
    for author in sorted({line.author for line in lines} - TEST_AUTHORS):
        path = base / f"{author}.jsonl"
        if not path.is_file():
            continue
        found, bad = read_second(path)
        problems.extend(bad)
        problems.extend(f"{path}: id: {i!r} is not a line of {folder}" for i in found if i not in ids)
        out.update((i, frozenset(a)) for i, a in found.items() if i in wanted)
    if problems:
        raise CorpusError(problems)
    return out


def agreement_masks(lines: Sequence[ActLine], second: dict[str, frozenset[str]]) -> np.ndarray:
    """(N, A) float32: 0 where the two annotators disagree on an act of a line, 1 elsewhere."""
    mask = np.ones((len(lines), len(ACT_NAMES)), dtype=np.float32)
    for r, line in enumerate(lines):
        other = second.get(line.id)
        if other is None:
            continue
        for name in other.symmetric_difference(line.acts):
            mask[r, ACT_NAMES.index(name)] = 0.0
    return mask


def kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two binary label vectors (nan when both annotators use one value only and agree on it)."""
    a, b = a.astype(bool).ravel(), b.astype(bool).ravel()
    if not len(a):
        return float("nan")
    po = float((a == b).mean())
    pa, pb = float(a.mean()), float(b.mean())
    pe = pa * pb + (1 - pa) * (1 - pb)
    return float("nan") if pe >= 1.0 else (po - pe) / (1 - pe)


def agreement(lines: Sequence[ActLine], second: dict[str, frozenset[str]]) -> dict[str, Any]:
    """The two annotators' agreement over the lines both annotated: per act (support of each, kappa), the kappa of
    every (line, act) decision pooled, the mean of the per-act kappas, and the share of identical act sets."""
    both = [line for line in lines if line.id in second]
    first = np.array([[n in line.acts for n in ACT_NAMES] for line in both], dtype=bool).reshape(-1, len(ACT_NAMES))
    other = np.array([[n in second[line.id] for n in ACT_NAMES] for line in both],
                     dtype=bool).reshape(-1, len(ACT_NAMES))
    per_act = {n: {"first": int(first[:, j].sum()), "second": int(other[:, j].sum()),
                   "both": int((first[:, j] & other[:, j]).sum()), "kappa": kappa(first[:, j], other[:, j])}
               for j, n in enumerate(ACT_NAMES)}
    same = [frozenset(line.acts) == second[line.id] for line in both]
    by_writer = {a: float(np.mean([s for s, line in zip(same, both, strict=True) if line.author == a]))
                 for a in sorted({line.author for line in both})}
    kappas = [v["kappa"] for v in per_act.values() if not np.isnan(v["kappa"])]
    return {"lines": len(both), "lines_without_second": len(lines) - len(both), "per_act": per_act,
            "pooled_kappa": kappa(first, other), "mean_kappa": float(np.mean(kappas)) if kappas else float("nan"),
            "identical_sets": float(np.mean(same)) if same else float("nan"), "identical_by_writer": by_writer,
            "masked_entries": int((first != other).sum())}


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m sparring.nlp.act_corpus agreement FOLDER   (e.g. corpus/acts)", file=sys.stderr)
        return 2
    folder = Path(argv[0])
    try:
        lines = load_training(folder)
        second = load_second(folder, lines)
    except (CorpusError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 1
    if not second:
        print(f"{folder / SECOND}: no second annotation of the training writers", file=sys.stderr)
        return 1
    r = agreement(lines, second)
    print(f"{r['lines']} lines annotated twice ({r['lines_without_second']} training lines once only); "
          f"identical act sets {r['identical_sets']:.1%} "
          f"({', '.join(f'{a} {s:.1%}' for a, s in r['identical_by_writer'].items())})")
    print(f"Cohen's kappa over every (line, act) decision {r['pooled_kappa']:.3f}; mean of the per-act kappas "
          f"{r['mean_kappa']:.3f}; {r['masked_entries']} (line, act) disagreements masked out of training")
    print(f"{'act':<24}{'first':>7}{'second':>8}{'both':>6}{'kappa':>8}")
    for name, v in sorted(r["per_act"].items(), key=lambda kv: (np.nan_to_num(kv[1]["kappa"], nan=2.0), kv[0])):
        print(f"{name:<24}{v['first']:>7}{v['second']:>8}{v['both']:>6}{v['kappa']:>8.3f}")
    return 0
