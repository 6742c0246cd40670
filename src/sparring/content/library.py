"""The built-in content library (``library/scenarios/*.yaml``, ``library/rubrics/*.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sparring.content.errors import ContentError, UnknownContentError
from sparring.content.loader import load_rubric_file, load_scenario_file
from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario

LIBRARY_DIR = Path(__file__).parent / "library"


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


def resolve_rubric(ref: str) -> tuple[Rubric, Path | None]:
    """A rubric from a built-in id or a YAML path. Returns the rubric and the file it came from."""
    p = Path(ref)
    if ref.endswith((".yaml", ".yml")) or p.is_file():
        return load_rubric_file(p), p
    lib = get_library()
    return lib.rubric(ref), lib.rubric_paths.get(ref)
