"""Load and validate scenario and rubric YAML files. Invalid content never half-loads: a file either
yields a complete, validated model or a ContentError listing every problem as FILE:LINE: field: message."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from sparring.content.errors import ContentError, Problem
from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario
from sparring.content.yamlsource import LocatedYaml, field_name, parse_yaml
from sparring.limits import MAX_CONTENT_BYTES, TooLargeError, read_text_capped

M = TypeVar("M", bound=BaseModel)


_FIELD_PREFIX = re.compile(r"^([a-z_][\w.\[\]-]*): (.+)$", re.DOTALL)


def _parse_path(text: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", text):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return tuple(parts)


def _problems_from(exc: ValidationError, src: LocatedYaml) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        # pydantic adds the validator's name for unions/tagged models; keep only real keys and indexes
        loc = tuple(p for p in err["loc"] if isinstance(p, int) or not str(p).startswith("function-"))
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see docs/content-format.md)"
        # validators name the offending sub-field as "path.to[0].field: message"
        m = _FIELD_PREFIX.match(msg)
        if m:
            loc = (*loc, *_parse_path(m.group(1)))
            msg = m.group(2)
        problems.append(Problem(src.file, src.line_for(loc), field_name(loc), msg))
    return problems


def detect_kind(data: object) -> str | None:
    """'rubric' or 'scenario' from a document's shape, or None."""
    if not isinstance(data, dict):
        return None
    if "criteria" in data:
        return "rubric"
    if "persona" in data or "brief" in data:
        return "scenario"
    return None


def parse_model(text: str, model: type[M], file: str = "<string>") -> M:
    src = parse_yaml(text, file)
    if not isinstance(src.data, dict):
        raise ContentError([Problem(file, 1, "(document)", "expected a mapping of fields at the top level")])
    try:
        return model.model_validate(src.data)
    except ValidationError as exc:
        raise ContentError(_problems_from(exc, src)) from exc


def _read(path: Path) -> str:
    """A content file's text; a file over ``MAX_CONTENT_BYTES`` is refused before it is read."""
    try:
        return read_text_capped(path, MAX_CONTENT_BYTES)
    except TooLargeError as exc:
        raise ContentError([Problem(str(path), 0, "file", str(exc))]) from exc
    except FileNotFoundError as exc:
        raise ContentError([Problem(str(path), 0, "file", "no such file")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([Problem(str(path), 0, "file", f"cannot read: {exc}")]) from exc


def load_rubric_file(path: str | Path) -> Rubric:
    p = Path(path)
    rubric = parse_model(_read(p), Rubric, str(p))
    problems = [
        Problem(str(p), 0, f"tests[{i}].transcript", f"file not found: {t.transcript}")
        for i, t in enumerate(rubric.tests)
        if t.transcript is not None and not (p.parent / t.transcript).is_file()
    ]
    if problems:
        src = parse_yaml(_read(p), str(p))
        raise ContentError(
            [Problem(pr.file, src.line_for(("tests", int(pr.field[6:].split("]")[0]))), pr.field, pr.message)
             for pr in problems]
        )
    return rubric


def load_scenario_file(path: str | Path) -> Scenario:
    p = Path(path)
    return parse_model(_read(p), Scenario, str(p))


def load_file(path: str | Path) -> Rubric | Scenario:
    """Load a scenario or a rubric, whichever the file holds."""
    p = Path(path)
    text = _read(p)
    src = parse_yaml(text, str(p))
    kind = detect_kind(src.data)
    if kind == "rubric":
        return load_rubric_file(p)
    if kind == "scenario":
        return load_scenario_file(p)
    raise ContentError(
        [Problem(str(p), 1, "(document)", "not a scenario (needs 'persona', 'brief') or a rubric (needs 'criteria')")]
    )


def iter_content_files(paths: list[str | Path]) -> list[Path]:
    """Expand directories into their *.yaml / *.yml files (sorted); keep files as given."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file()))
        else:
            out.append(p)
    return out


def validate_paths(paths: list[str | Path]) -> list[Problem]:
    """Validate every file; return all problems (empty when everything is valid). Scenarios whose rubric
    is neither built in nor among the given files are reported too."""
    from sparring.content.library import get_library

    problems: list[Problem] = []
    rubrics: set[str] = set()
    scenarios: list[tuple[Path, Scenario]] = []
    for path in iter_content_files(paths):
        try:
            item = load_file(path)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        if isinstance(item, Rubric):
            rubrics.add(item.id)
        else:
            scenarios.append((path, item))
    if scenarios:
        known = rubrics | set(get_library().rubrics)
        for path, sc in scenarios:
            if sc.rubric not in known:
                src = parse_yaml(_read(path), str(path))
                line = src.line_for(("rubric",))
                problems.append(Problem(str(path), line, "rubric", f"unknown rubric '{sc.rubric}'"))
    return problems
