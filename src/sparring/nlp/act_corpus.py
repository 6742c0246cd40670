"""The labelled utterance-act corpus (``corpus/acts/*.jsonl``): reading, checking and the frozen split.

Each file is one writer's lines (``corpus/acts/README.md`` says how they were written); the test split is
chosen by author and frozen (``TEST_AUTHORS``). Problems are reported as ``FILE:LINE: field: message``.

    python -m sparring.nlp.act_corpus corpus/acts/w1.jsonl ...   # check files; exit 1 on any problem
    python -m sparring.nlp.act_corpus agreement corpus/acts       # the second annotation's agreement (act_agreement)
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sparring.nlp.acts import ACT_NAMES

#: the frozen test split: every line by these authors, never used for tuning (corpus/acts/README.md)
TEST_AUTHORS = frozenset({"w5", "w7"})
VOICES = ("terse", "formal", "rambling", "non-native", "blunt", "warm", "hedging", "jargon-heavy")
DOMAINS = ("sales", "customer-success", "consulting", "management", "motivational-interviewing")
MAX_TEXT_CHARS = 1200


@dataclass(frozen=True)
class ActLine:
    id: str
    author: str
    voice: str
    domain: str
    context: str
    text: str
    acts: tuple[str, ...]
    near_miss: bool = False

    @property
    def split(self) -> str:
        return "test" if self.author in TEST_AUTHORS else "train"


class CorpusError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _check(record: object, where: str) -> tuple[ActLine | None, list[str]]:
    if not isinstance(record, dict):
        return None, [f"{where}: (record): not a JSON object"]
    problems = []
    fields = {"id": str, "author": str, "voice": str, "domain": str, "context": str, "text": str, "acts": list}
    for name, kind in fields.items():
        if not isinstance(record.get(name), kind):
            problems.append(f"{where}: {name}: missing or not a {kind.__name__}")
    if problems:
        return None, problems
    if record["voice"] not in VOICES:
        problems.append(f"{where}: voice: unknown voice {record['voice'][:40]!r} (use one of: {', '.join(VOICES)})")
    if record["domain"] not in DOMAINS:
        problems.append(f"{where}: domain: unknown domain {record['domain'][:40]!r}")
    text = record["text"].strip()
    if not text or len(text) > MAX_TEXT_CHARS:
        problems.append(f"{where}: text: empty or longer than {MAX_TEXT_CHARS} characters")
    acts = record["acts"]
    problems.extend(act_list_problems(acts, where))
    if not record["id"].startswith(record["author"] + "-"):
        problems.append(f"{where}: id: must start with the author id and a dash")
    if problems:
        return None, problems
    line = ActLine(id=record["id"], author=record["author"], voice=record["voice"], domain=record["domain"],
                   context=record["context"].strip(), text=text, acts=tuple(acts),
                   near_miss=bool(record.get("near_miss", False)))
    return line, []


def act_list_problems(acts: object, where: str) -> list[str]:
    """What is wrong with a record's ``acts`` (``FILE:LINE: acts: ...``); empty when it is a valid act list."""
    if not isinstance(acts, list) or not acts or not all(isinstance(a, str) for a in acts):
        return [f"{where}: acts: must be a non-empty list of act names"]
    problems: list[str] = []
    unknown = [a for a in acts if a not in ACT_NAMES]
    if unknown:
        problems.append(f"{where}: acts: unknown act(s) {', '.join(repr(a[:40]) for a in unknown)}")
    if "other" in acts and len(acts) > 1:
        problems.append(f"{where}: acts: 'other' stands alone")
    if len(set(acts)) != len(acts):
        problems.append(f"{where}: acts: an act is listed twice")
    return problems


def json_records(path: Path, problems: list[str]) -> Iterator[tuple[str, object]]:
    """Each non-blank line of a JSON Lines file as (``FILE:LINE``, parsed value); a line that is not JSON is noted
    in ``problems`` and skipped."""
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        where = f"{path}:{n}"
        try:
            yield where, json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: (json): {exc.msg}")


def read_file(path: Path) -> tuple[list[ActLine], list[str]]:
    """The lines of one file and the problems found (a line with a problem is left out)."""
    lines: list[ActLine] = []
    problems: list[str] = []
    for where, record in json_records(path, problems):
        line, found = _check(record, where)
        problems.extend(found)
        if line is not None:
            lines.append(line)
    seen = Counter(line.id for line in lines)
    problems.extend(f"{path}: id: {i!r} is used {k} times" for i, k in seen.items() if k > 1)
    return lines, problems


def load_corpus(folder: Path) -> list[ActLine]:
    """Every line of every ``*.jsonl`` in ``folder``; CorpusError lists every problem."""
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise CorpusError([f"{folder}: no *.jsonl files"])
    lines: list[ActLine] = []
    problems: list[str] = []
    for f in files:
        found, bad = read_file(f)
        lines.extend(found)
        problems.extend(bad)
    if problems:
        raise CorpusError(problems)
    return lines


def training_files(folder: Path) -> list[Path]:
    """The writer files of the training split: every ``*.jsonl`` in ``folder`` except a test author's
    (``w5.jsonl``), which is not even opened."""
    return [f for f in sorted(folder.glob("*.jsonl")) if f.stem not in TEST_AUTHORS]


def load_training(folder: Path) -> list[ActLine]:
    """The training split: the lines of ``training_files``. Each file must hold only its own writer's lines
    (``w6.jsonl``: author ``w6``), so a test author's line cannot enter training through another file."""
    if not folder.is_dir():
        raise CorpusError([f"{folder}: not a folder"])
    files = training_files(folder)
    if not files:
        frozen = ", ".join(sorted(TEST_AUTHORS))
        raise CorpusError([f"{folder}: no training writer files (*.jsonl other than {frozen}'s)"])
    lines: list[ActLine] = []
    problems: list[str] = []
    for f in files:
        found, bad = read_file(f)
        problems.extend(bad)
        problems.extend(f"{f}: {line.id}: author {line.author!r} is not the file's writer {f.stem!r}"
                        for line in found if line.author != f.stem)
        lines.extend(found)
    if problems:
        raise CorpusError(problems)
    return lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "agreement":
        from sparring.nlp.act_agreement import main as agreement_main

        return agreement_main(args[1:])
    if not args:
        print("usage: python -m sparring.nlp.act_corpus FILE.jsonl|FOLDER ...", file=sys.stderr)
        return 2
    status = 0
    files: list[Path] = []
    for name in args:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                print(f"{path}: no *.jsonl files", file=sys.stderr)
                status = 1
            files.extend(found)
        else:
            files.append(path)
    for path in files:
        name = str(path)
        lines, problems = read_file(path)
        for p in problems:
            print(p, file=sys.stderr)
        status = 1 if problems else status
        acts = Counter(a for line in lines for a in line.acts)
        missing = [a for a in ACT_NAMES if acts[a] == 0]
        print(f"{name}: {len(lines)} lines, {len({line.voice for line in lines})} voices, "
              f"{len({line.domain for line in lines})} domains, {sum(line.near_miss for line in lines)} near misses"
              + (f"; acts never used: {', '.join(missing)}" if missing else ""))
        rare = sorted((k, a) for a, k in acts.items() if k < 15)
        if rare:
            print("  acts used fewer than 15 times: " + ", ".join(f"{a} ({k})" for k, a in rare))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
