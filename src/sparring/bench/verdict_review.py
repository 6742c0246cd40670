"""A second trainer's verdicts on the play corpus: how far two people who judge the same reps agree.

The play corpus's verdicts are one writer's judgement. A second reviewer judged the frozen split again, blind
(the learner's lines, the scene and the rubric as a trainer reads it; not the writer's verdicts or expected
outcome): ``corpus/play-review/<reviewer>/<writer>/<rep file>`` holds their ``# expected_outcome:`` and
``# verdict <criterion>: <verdict>`` lines. Their agreement with the writer is the ceiling to read the engine's
agreement against (a scorer cannot be expected to agree with one trainer more than two trainers agree).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from sparring.bench.play import _VERDICTS, OUTCOMES, PlayCorpusError, PlayRep, cohen_kappa, library_criteria, load_play


def read_review(path: Path, rep: PlayRep) -> tuple[str, dict[str, str]]:
    """The reviewer's expected outcome and verdicts for ``rep``; PlayCorpusError names file and line."""
    judged = library_criteria(rep.scenario) or {}
    outcome = ""
    verdicts: dict[str, str] = {}
    problems: list[str] = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = raw.strip()
        if not text:
            continue
        key, _, value = text.lstrip("#").partition(":")
        key, value = key.strip(), value.strip()
        if key == "expected_outcome":
            if value not in OUTCOMES:
                problems.append(f"{path}:{n}: expected_outcome: {value[:20]!r} is not one of {', '.join(OUTCOMES)}")
            outcome = value
        elif key.startswith("verdict "):
            cid = key[len("verdict "):].strip()
            if cid not in judged:
                problems.append(f"{path}:{n}: verdict {cid[:60]}: not a judged criterion of {rep.scenario}")
            elif value not in _VERDICTS[judged[cid]]:
                problems.append(f"{path}:{n}: verdict {cid}: must be one of {', '.join(_VERDICTS[judged[cid]])}")
            verdicts[cid] = value
        elif key not in ("scenario", "style", "difficulty"):
            problems.append(f"{path}:{n}: unexpected line {text[:40]!r}")
    if not outcome:
        problems.append(f"{path}:1: expected_outcome: missing")
    problems += [f"{path}:1: verdict {cid}: missing" for cid in judged if cid not in verdicts]
    if problems:
        raise PlayCorpusError(problems)
    return outcome, verdicts


def review_agreement(corpus: Path, review: Path) -> dict[str, Any]:
    """Writer vs second reviewer on every rep the reviewer judged (``review/<writer>/<rep file>``)."""
    reps = {(r.path.parent.name, r.path.name): r for r in load_play(corpus)}
    files = sorted(review.glob("*/*.txt"))
    if not files:
        raise PlayCorpusError([f"{review}: no reviewed rep files (<writer>/*.txt)"])
    pairs: list[tuple[str, str]] = []
    by_kind: dict[str, list[tuple[str, str]]] = defaultdict(list)
    outcomes: list[tuple[str, str]] = []
    problems: list[str] = []
    for f in files:
        rep = reps.get((f.parent.name, f.name))
        if rep is None:
            problems.append(f"{f}:1: no rep of that name in {corpus}")
            continue
        try:
            outcome, verdicts = read_review(f, rep)
        except PlayCorpusError as exc:
            problems += exc.problems
            continue
        kinds = library_criteria(rep.scenario) or {}
        for cid, v in verdicts.items():
            pairs.append((rep.verdicts[cid], v))
            by_kind[kinds[cid]].append((rep.verdicts[cid], v))
        outcomes.append((rep.expected_outcome, outcome))
    if problems:
        raise PlayCorpusError(problems)
    return {
        "reps": len(outcomes),
        "verdicts": len(pairs),
        "verdict_agreement": round(sum(a == b for a, b in pairs) / len(pairs), 3) if pairs else None,
        "verdict_kappa": cohen_kappa(pairs),
        "verdict_kappa_by_kind": {k: cohen_kappa(v) for k, v in sorted(by_kind.items())},
        "outcome_agreement": round(sum(a == b for a, b in outcomes) / len(outcomes), 3) if outcomes else None,
        "outcome_kappa": cohen_kappa(outcomes),
    }
