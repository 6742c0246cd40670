"""The play corpus (``corpus/play/<writer>/*.txt``): scripted practice reps written by people who never saw the
engines, each with the outcome a fair counterpart would reach and a trainer's verdict per rubric criterion.
``run_play`` plays every rep through the practice service (the configured engines: embedded by default) and
measures how often the counterpart reaches the expected outcome, how often scorecards pass, and how well the
scorer's verdicts agree with the writers' (Cohen's kappa). Issue 11 sets the targets; ``corpus/play/README.md``
says how the reps were written and which writer is the frozen test split.

A rep file is a plain ``sparring practice --script`` file: ``# key: value`` headers (scenario, style, writer,
difficulty, expected_outcome, one ``verdict <criterion>: <verdict>`` per judged criterion), then the learner's
lines, one per line.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STYLES = ("skilled", "average", "poor", "terse", "adversarial")
OUTCOMES = ("success", "failure", "any")
DIFFICULTIES = ("easy", "medium", "hard")
#: the frozen test split: reps by these writers are never looked at while tuning (corpus/play/README.md)
TEST_WRITERS = frozenset({"p3"})
_HEADERS = ("scenario", "style", "writer", "difficulty", "expected_outcome", "note")
_VERDICTS = {"check": ("met", "partly", "missed", "n/a"), "scale": ("met", "partly", "missed"),
             "blocker": ("hit", "clear")}


class PlayCorpusError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class PlayRep:
    path: Path
    scenario: str
    style: str
    writer: str
    difficulty: str
    expected_outcome: str
    verdicts: dict[str, str]
    lines: list[str]
    note: str = ""

    @property
    def split(self) -> str:
        return "test" if self.writer in TEST_WRITERS else "train"


def parse_rep(path: Path, criteria: Callable[[str], dict[str, str] | None]) -> tuple[PlayRep | None, list[str]]:
    """One rep file and its problems. ``criteria(scenario_id)`` gives the judged criteria ({id: kind}) of the
    scenario's rubric, or None for an unknown scenario."""
    head: dict[str, tuple[str, int]] = {}
    verdicts: dict[str, tuple[str, int]] = {}
    lines: list[str] = []
    problems: list[str] = []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = raw.strip()
        if not text:
            continue
        if not text.startswith("#"):
            lines.append(text)
            continue
        key, _, value = text[1:].partition(":")
        key, value = key.strip(), value.strip()
        if key.startswith("verdict "):
            verdicts[key[len("verdict "):].strip()] = (value, n)
        elif key in _HEADERS:
            head[key] = (value, n)
        else:
            problems.append(f"{path}:{n}: header: unknown header {key[:40]!r}")
    for key in _HEADERS[:-1]:
        if key not in head:
            problems.append(f"{path}:1: {key}: missing '# {key}: …' header")
    if problems:
        return None, problems
    choices = {"style": STYLES, "difficulty": DIFFICULTIES, "expected_outcome": OUTCOMES}
    for key, allowed in choices.items():
        value, n = head[key]
        if value not in allowed:
            problems.append(f"{path}:{n}: {key}: {value[:40]!r} is not one of {', '.join(allowed)}")
    scenario, n = head["scenario"]
    judged = criteria(scenario)
    if judged is None:
        problems.append(f"{path}:{n}: scenario: unknown scenario {scenario[:60]!r}")
    else:
        for cid, kind in judged.items():
            if cid not in verdicts:
                problems.append(f"{path}:1: verdict {cid}: missing")
            elif verdicts[cid][0] not in _VERDICTS[kind]:
                options = ", ".join(_VERDICTS[kind])
                problems.append(f"{path}:{verdicts[cid][1]}: verdict {cid}: must be one of {options}")
        for cid, (_v, line) in verdicts.items():
            if cid not in judged:
                problems.append(f"{path}:{line}: verdict {cid[:60]}: not a judged criterion of the scenario's rubric")
    if not lines:
        problems.append(f"{path}:1: (lines): no learner lines")
    if problems:
        return None, problems
    return PlayRep(path=path, scenario=scenario, style=head["style"][0], writer=head["writer"][0],
                   difficulty=head["difficulty"][0], expected_outcome=head["expected_outcome"][0],
                   verdicts={k: v for k, (v, _n) in verdicts.items()}, lines=lines,
                   note=head.get("note", ("", 0))[0]), []


def library_criteria(scenario_id: str) -> dict[str, str] | None:
    """The judged (non-metric) criteria of a built-in scenario's rubric, or None."""
    from sparring.content.library import get_library

    lib = get_library()
    scenario = lib.scenarios.get(scenario_id)
    if scenario is None:
        return None
    rubric = lib.rubrics[scenario.rubric]
    return {c.id: c.kind for c in rubric.criteria if c.kind != "metric"}


def load_play(folder: Path) -> list[PlayRep]:
    """Every rep under ``folder`` (``<writer>/*.txt``); PlayCorpusError lists every problem."""
    files = sorted(folder.glob("*/*.txt"))
    if not files:
        raise PlayCorpusError([f"{folder}: no <writer>/*.txt rep files"])
    reps: list[PlayRep] = []
    problems: list[str] = []
    for f in files:
        rep, found = parse_rep(f, library_criteria)
        problems.extend(found)
        if rep is not None:
            reps.append(rep)
    if problems:
        raise PlayCorpusError(problems)
    return reps


def engine_verdict(kind: str, verdict: str, hit: bool) -> str:
    """The scorecard's verdict in the writers' terms (a blocker is 'hit' or 'clear')."""
    if kind == "blocker":
        return "hit" if hit else "clear"
    return verdict


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of (expert, engine) label pairs; None when undefined (no pairs, or one label only)."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    left, right = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(left[k] * right[k] for k in set(left) | set(right)) / (n * n)
    if expected >= 1.0:
        return None
    return round((observed - expected) / (1 - expected), 3)


@dataclass
class RepResult:
    rep: PlayRep
    outcome: str
    passed: bool
    overall: float
    verdicts: dict[str, str] = field(default_factory=dict)
    #: every learner line with the counterpart's line before it and its reply (what reply reviewers judge)
    exchanges: list[dict[str, Any]] = field(default_factory=list)


def play_one(svc: Any, user: Any, rep: PlayRep) -> RepResult:
    """Play ``rep`` through the practice service ``svc`` as ``user``; the finished rep's outcome and scorecard."""
    record = svc.start_rep(user, rep.scenario, rep.difficulty)
    prior = next((t.text for t in reversed(record.turns) if t.role != "learner"), "")
    exchanges: list[dict[str, Any]] = []
    for n, line in enumerate(rep.lines, 1):
        result = svc.submit_turn(record.id, line)
        reply = result.reply.text if result.reply is not None else ""
        situations = (result.state.extra.get("situations") or [[]])[-1] if result.reply is not None else []
        exchanges.append({"turn": n, "prior": prior, "learner": result.learner_turn.text, "reply": reply,
                          "ended": result.ended, "outcome": result.outcome,
                          # for diagnosis only: what the engine read and which situations it spoke from
                          "moves": (result.state.moves or [[]])[-1], "situations": situations})
        prior = reply or prior
        if result.ended:
            break
    final = svc.get_rep(record.id)
    if not final.ended:
        final = svc.end_rep(record.id, "the script ran out of lines")
    card = final.scorecard or svc.score_rep(record.id)
    kinds = {c.id: c.kind for c in card.criteria}
    verdicts = {c.id: engine_verdict(kinds[c.id], c.verdict, bool(getattr(c, "hit", False)))
                for c in card.criteria if c.id in rep.verdicts}
    return RepResult(rep=rep, outcome=final.outcome, passed=card.passed, overall=card.overall, verdicts=verdicts,
                     exchanges=exchanges)


def summarise(results: list[RepResult]) -> dict[str, Any]:
    """The numbers issue 11 asks for, for one set of results."""
    by: dict[tuple[str, str], list[RepResult]] = defaultdict(list)
    for r in results:
        by[(r.rep.style, r.rep.difficulty)].append(r)
    success = {f"{style}/{diff}": round(sum(r.outcome == "success" for r in rs) / len(rs), 3)
               for (style, diff), rs in sorted(by.items())}
    counts = {f"{style}/{diff}": len(rs) for (style, diff), rs in sorted(by.items())}
    styles: dict[str, list[RepResult]] = defaultdict(list)
    for r in results:
        styles[r.rep.style].append(r)
    passed = {s: round(sum(r.passed for r in rs) / len(rs), 3) for s, rs in sorted(styles.items())}
    outcomes = {s: dict(sorted(Counter(r.outcome for r in rs).items())) for s, rs in sorted(styles.items())}
    judged = [r for r in results if r.rep.expected_outcome != "any"]
    outcome_agreement = (round(sum(r.outcome == r.rep.expected_outcome for r in judged) / len(judged), 3)
                         if judged else None)
    pairs = [(r.rep.verdicts[c], v) for r in results for c, v in r.verdicts.items()]
    per_criterion: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in results:
        for c, v in r.verdicts.items():
            per_criterion[f"{r.rep.scenario}:{c}"].append((r.rep.verdicts[c], v))
    return {
        "reps": len(results),
        "success_rate": success,
        "reps_per_cell": counts,
        "scorecard_pass_rate": passed,
        "outcomes_by_style": outcomes,
        "outcome_agreement": outcome_agreement,
        "verdict_agreement": round(sum(a == b for a, b in pairs) / len(pairs), 3) if pairs else None,
        "verdict_kappa": cohen_kappa(pairs),
        "verdict_kappa_by_criterion": {k: cohen_kappa(v) for k, v in sorted(per_criterion.items())},
    }


def exchange_records(results: list[RepResult]) -> list[dict[str, Any]]:
    """One record per learner line played, with where it came from (what ``--replies`` writes)."""
    out = []
    for r in results:
        for x in r.exchanges:
            out.append({"id": f"{r.rep.path.parent.name}/{r.rep.path.stem}#{x['turn']}", "scenario": r.rep.scenario,
                        "difficulty": r.rep.difficulty, "style": r.rep.style, "writer": r.rep.writer, **x})
    return out


def run_play(folder: Path, split: str = "train", progress: Callable[[str], None] | None = None,
             replies: Path | None = None) -> dict[str, Any]:
    """Play every rep of ``split`` ('train', 'test' or 'all') on a throw-away SQLite database. ``replies``: also
    write every exchange (counterpart line before, learner line, reply) there as JSON Lines."""
    from sparring.services.accounts import Accounts
    from sparring.services.practice import PracticeService
    from sparring.store.db import Database

    reps = [r for r in load_play(folder) if split == "all" or r.split == split]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sparring-play-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'play.db'}")
        try:
            # the scripted play measures the embedded engines, whatever the environment configures
            from sparring.persona.embedded import EmbeddedPersonaEngine
            from sparring.scoring.embedded import EmbeddedScorer

            svc = PracticeService(db, persona=EmbeddedPersonaEngine, scorer=EmbeddedScorer)
            user = Accounts(db).local_learner()
            results = []
            for i, rep in enumerate(reps, 1):
                results.append(play_one(svc, user, rep))
                if progress and i % 20 == 0:
                    progress(f"{i}/{len(reps)} reps")
        finally:
            db.dispose()
    out = summarise(results)
    if replies is not None:
        with replies.open("w", encoding="utf-8") as f:
            for record in exchange_records(results):
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        out["replies_file"] = str(replies)
    out["split"] = split
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out
