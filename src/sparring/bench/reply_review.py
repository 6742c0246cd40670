"""Do the counterpart's replies follow from what the learner just said? Two reviewers judge it independently.

Issue 11 asks that at most 5% of the counterpart's replies do not follow from the learner's line, judged by two
reviewers who work apart, with their agreement reported. The flow:

1. ``sparring bench play --replies exchanges.jsonl`` plays the corpus and writes every exchange (the
   counterpart's line before, the learner's line, the reply).
2. ``sparring bench reply-sheet`` draws a fixed-seed sample of them into a review sheet: one JSON object per line
   with the scene (who the counterpart is, what the learner is there to do) and the three lines.
3. Each reviewer copies the sheet and adds ``"follows": "yes" | "no"`` (and optionally ``"why"``) to every
   record, without seeing the other's file.
4. ``sparring bench reply-agreement SHEET A B`` reports each reviewer's "does not follow" rate, the rate by
   either and by both, the raw agreement and Cohen's kappa, and lists the disagreements.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from sparring.bench.play import cohen_kappa

VERDICTS = ("yes", "no")


class ReviewError(ValueError):
    """A review sheet or a reviewer's file is not what it should be; the message names file and line."""


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    records = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewError(f"{path}: cannot read ({exc.__class__.__name__})") from exc
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ReviewError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise ReviewError(f"{path}:{n}: id: every record needs a string 'id'")
        records.append((n, record))
    return records


def _scene(scenario_id: str) -> dict[str, str]:
    from sparring.content.library import get_library

    scenario = get_library().scenarios.get(scenario_id)
    if scenario is None:
        return {"title": scenario_id}
    p = scenario.persona
    return {"title": scenario.title, "counterpart": f"{p.name}, {p.role}", "learner_role": scenario.learner_role}


def make_sheet(replies: Path, n: int, seed: int = 11) -> list[dict[str, Any]]:
    """A review sheet of ``n`` exchanges drawn from ``replies`` with a fixed seed (all of them if fewer)."""
    records = [r for _n, r in _read_jsonl(replies)]
    for line, r in _read_jsonl(replies):
        for key in ("scenario", "learner", "reply"):
            if not isinstance(r.get(key), str):
                raise ReviewError(f"{replies}:{line}: {key}: missing (is this a --replies file of bench play?)")
    chosen = sorted(random.Random(seed).sample(records, min(n, len(records))), key=lambda r: r["id"])
    scenes: dict[str, dict[str, str]] = {}
    sheet = []
    for r in chosen:
        scene = scenes.setdefault(r["scenario"], _scene(r["scenario"]))
        sheet.append({"id": r["id"], **scene, "counterpart_before": r.get("prior", ""), "learner": r["learner"],
                      "reply": r["reply"]})
    return sheet


def _verdicts(path: Path, ids: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, r in _read_jsonl(path):
        if r["id"] not in ids:
            raise ReviewError(f"{path}:{n}: id: {r['id'][:60]!r} is not on the review sheet")
        if r.get("follows") not in VERDICTS:
            raise ReviewError(f"{path}:{n}: follows: must be \"yes\" or \"no\"")
        if r["id"] in out:
            raise ReviewError(f"{path}:{n}: id: {r['id'][:60]!r} judged twice")
        out[r["id"]] = r["follows"]
    missing = ids - out.keys()
    if missing:
        raise ReviewError(f"{path}: {len(missing)} sheet record(s) not judged, e.g. {sorted(missing)[0]!r}")
    return out


def agreement(sheet: Path, first: Path, second: Path) -> dict[str, Any]:
    """How often each reviewer says a reply does not follow, and how far the two agree."""
    ids = {r["id"] for _n, r in _read_jsonl(sheet)}
    if not ids:
        raise ReviewError(f"{sheet}: the review sheet is empty")
    a, b = _verdicts(first, ids), _verdicts(second, ids)
    order = sorted(ids)
    n = len(order)
    pairs = [(a[i], b[i]) for i in order]
    return {
        "judged": n,
        "not_following_rate": {"first": round(sum(a[i] == "no" for i in order) / n, 3),
                               "second": round(sum(b[i] == "no" for i in order) / n, 3),
                               "either": round(sum("no" in (a[i], b[i]) for i in order) / n, 3),
                               "both": round(sum(a[i] == b[i] == "no" for i in order) / n, 3)},
        "agreement": round(sum(x == y for x, y in pairs) / n, 3),
        "kappa": cohen_kappa(pairs),
        "disagreements": [i for i in order if a[i] != b[i]],
    }
