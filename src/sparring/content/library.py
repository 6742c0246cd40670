"""The built-in content library (``library/scenarios/*.yaml``, ``library/rubrics/*.yaml``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sparring.content.errors import ContentError, UnknownContentError
from sparring.content.loader import load_rubric_file, load_scenario_file
from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario

LIBRARY_DIR = Path(__file__).parent / "library"
#: ids that can name a library file directly (anything else is looked up in the loaded library)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,80}")


@dataclass
class Library:
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    rubrics: dict[str, Rubric] = field(default_factory=dict)
    #: where each rubric was loaded from (rubric tests resolve transcript paths against it)
    rubric_paths: dict[str, Path] = field(default_factory=dict)

    def scenario(self, scenario_id: str) -> Scenario:
        try:
            return self.scenarios[scenario_id]
        except KeyError:
            raise UnknownContentError("scenario", scenario_id, list(self.scenarios)) from None

    def rubric(self, rubric_id: str) -> Rubric:
        try:
            return self.rubrics[rubric_id]
        except KeyError:
            raise UnknownContentError("rubric", rubric_id, list(self.rubrics)) from None


def load_library(root: Path = LIBRARY_DIR) -> Library:
    lib = Library()
    problems = []
    for path in sorted((root / "rubrics").glob("*.yaml")):
        try:
            r = load_rubric_file(path)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        lib.rubrics[r.id] = r
        lib.rubric_paths[r.id] = path
    for path in sorted((root / "scenarios").glob("*.yaml")):
        try:
            s = load_scenario_file(path)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        lib.scenarios[s.id] = s
    if problems:
        raise ContentError(problems)
    return lib


@lru_cache(maxsize=1)
def get_library() -> Library:
    return load_library()


def builtin_scenario(scenario_id: str, library: Callable[[], Library] | None = None) -> Scenario | None:
    """A built-in scenario by id, or None. Until the whole library is loaded, reads only
    ``scenarios/<id>.yaml`` when that file holds the id: a rep needs one scenario, and parsing the whole library
    costs a cold start 0.2-0.6 s. ``library`` replaces ``get_library`` (tests)."""
    item = _direct("scenarios", scenario_id) if library is None else None
    if isinstance(item, Scenario):
        return item
    return (library or get_library)().scenarios.get(scenario_id)


def builtin_rubric(rubric_id: str, library: Callable[[], Library] | None = None) -> Rubric | None:
    """A built-in rubric by id, or None (like ``builtin_scenario``)."""
    item = _direct("rubrics", rubric_id) if library is None else None
    if isinstance(item, Rubric):
        return item
    return (library or get_library)().rubrics.get(rubric_id)


def _direct(folder: str, content_id: str) -> Scenario | Rubric | None:
    if get_library.cache_info().currsize or not SLUG.fullmatch(content_id):
        return None  # the loaded library answers (one object per id, whichever way it is asked for)
    return _load_direct(folder, content_id)


@lru_cache(maxsize=64)
def _load_direct(folder: str, content_id: str) -> Scenario | Rubric | None:
    path = LIBRARY_DIR / folder / f"{content_id}.yaml"
    if not path.is_file():
        return None
    item = load_scenario_file(path) if folder == "scenarios" else load_rubric_file(path)
    return item if item.id == content_id else None


def resolve_rubric(ref: str) -> tuple[Rubric, Path | None]:
    """A rubric from a built-in id or a YAML path. Returns the rubric and the file it came from."""
    p = Path(ref)
    if ref.endswith((".yaml", ".yml")) or p.is_file():
        return load_rubric_file(p), p
    lib = get_library()
    return lib.rubric(ref), lib.rubric_paths.get(ref)
