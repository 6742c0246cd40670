"""Scenario and rubric authoring for admins: validate YAML with every problem located, preview it, and
publish it as a new content version of the organisation.

A rubric is published only when its rubric tests pass (``sparring.scoring.rubric_tests``). Publishing never
rewrites an old version: reps pin the scenario and rubric versions they ran against, so old scorecards stay
explainable. The newest published version of an id is what the organisation's new reps use
(``services.content.ContentService``); installation-wide imports, then the built-ins, are the fallback.

Everything here is scoped to one organisation (``org_id``): the rubric ids a scenario may name, the YAML an edit
starts from, the version history and the "already published" check see that organisation's rows and the
installation-wide ones, never another organisation's (``services.content.visible_to``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.content.errors import ContentError, Problem
from sparring.content.library import LIBRARY_DIR, get_library
from sparring.content.loader import detect_kind, parse_model
from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario
from sparring.content.yamlsource import parse_yaml
from sparring.services import audit
from sparring.services.content import owned_by, stored_ids
from sparring.store.models import ContentVersion

EDITOR_FILE = "editor.yaml"


@dataclass
class Validation:
    kind: str | None
    model: Rubric | Scenario | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.model is not None and not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "kind": self.kind,
            "id": getattr(self.model, "id", None),
            "version": self.model.version if self.model is not None else None,
            "problems": [{"line": p.line, "column": p.column, "field": p.field, "message": p.message, "text": str(p)}
                         for p in self.problems],
            "preview": preview(self.model) if self.model is not None else None,
        }


class PublishError(ValueError):
    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


def known_rubric_ids(db: Session, org_id: int) -> set[str]:
    """Rubric ids a scenario of this organisation may name: the built-ins, installation-wide rubrics and the
    organisation's own published ones."""
    return set(get_library().rubrics) | stored_ids(db, "rubric", org_id)


def versions(db: Session, org_id: int, kind: str, content_id: str) -> list[ContentVersion]:
    """The organisation's own stored versions of an id (its edit history), newest first."""
    return list(
        db.scalars(
            select(ContentVersion)
            .where(owned_by(org_id), ContentVersion.kind == kind, ContentVersion.content_id == content_id)
            .order_by(ContentVersion.created_at.desc(), ContentVersion.id.desc())
        )
    )


def source_of(db: Session, org_id: int, kind: str, content_id: str) -> str | None:
    """The YAML to start editing from: the organisation's newest version (a draft too), else the newest
    published installation-wide version, else the built-in file. None when the organisation cannot see the id
    (another organisation's content is as unknown as content that does not exist)."""
    rows = versions(db, org_id, kind, content_id)
    if rows:
        return rows[0].yaml_text
    shared = db.scalar(
        select(ContentVersion.yaml_text)
        .where(owned_by(None), ContentVersion.published.is_(True), ContentVersion.kind == kind,
               ContentVersion.content_id == content_id)
        .order_by(ContentVersion.created_at.desc(), ContentVersion.id.desc())
        .limit(1)
    )
    if shared is not None:
        return shared
    lib = get_library()
    if kind == "rubric" and content_id in lib.rubrics:
        path = lib.rubric_paths.get(content_id)
        return path.read_text(encoding="utf-8") if path else None
    if kind == "scenario" and content_id in lib.scenarios:
        for path in sorted((LIBRARY_DIR / "scenarios").glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            if f"id: {content_id}\n" in text:
                return text
    return None


def validate_text(text: str, known_rubrics: set[str] | None = None) -> Validation:
    """Validate YAML from the editor. Every problem is located as editor.yaml:LINE: field: message."""
    try:
        src = parse_yaml(text, EDITOR_FILE)
    except ContentError as exc:
        return Validation(None, None, exc.problems)
    kind = detect_kind(src.data)
    if kind is None:
        return Validation(None, None, [Problem(EDITOR_FILE, 1, "(document)",
                                               "not a scenario (needs 'persona', 'brief') or a rubric "
                                               "(needs 'criteria')")])
    model_type: type[Rubric] | type[Scenario] = Rubric if kind == "rubric" else Scenario
    try:
        model = parse_model(text, model_type, EDITOR_FILE)
    except ContentError as exc:
        return Validation(kind, None, exc.problems)
    problems: list[Problem] = []
    if isinstance(model, Rubric):
        for i, t in enumerate(model.tests):
            if t.transcript is not None and _test_file(t.transcript) is None:
                problems.append(Problem(EDITOR_FILE, src.line_for(("tests", i, "transcript")), f"tests[{i}].transcript",
                                        f"no such test transcript in the library: {t.transcript} "
                                        "(or give the transcript inline with 'text:')"))
    if isinstance(model, Scenario) and known_rubrics is not None and model.rubric not in known_rubrics:
        problems.append(Problem(EDITOR_FILE, src.line_for(("rubric",)), "rubric", f"unknown rubric '{model.rubric}'"))
    return Validation(kind, model, problems)


def preview(model: Rubric | Scenario) -> dict[str, Any]:
    """What the editor shows beside the YAML: the parts a learner or a scorer will meet."""
    if isinstance(model, Rubric):
        return {
            "kind": "rubric",
            "title": model.title,
            "pass_mark": model.pass_mark,
            "criteria": [{"id": c.id, "name": c.name, "kind": c.kind, "weight": c.weight, "skill": c.skill,
                          "description": c.description} for c in model.criteria],
            "tests": len(model.tests),
        }
    return {
        "kind": "scenario",
        "title": model.title,
        "domain": model.domain,
        "skills": model.skills,
        "rubric": model.rubric,
        "brief": model.brief,
        "persona": f"{model.persona.name}, {model.persona.role}"
        + (f" at {model.persona.company}" if model.persona.company else ""),
        "opening": model.opening_lines[0],
        "objectives": model.objectives,
        "objections": [o.id for o in model.objections],
        "max_turns": model.max_turns,
    }


def _test_file(name: str) -> Path | None:
    """A rubric test transcript shipped with the built-in library (never a path outside it)."""
    base = (LIBRARY_DIR / "rubrics").resolve()
    path = (base / name).resolve()
    return path if path.is_file() and base in path.parents else None


def run_rubric_tests(rubric: Rubric) -> list[str]:
    """Failures of the rubric's own tests (empty when all pass). Test transcripts given as files resolve
    against the built-in library's rubric folder."""
    try:
        runner: Any = importlib.import_module("sparring.scoring.rubric_tests")
    except ImportError as exc:  # the scoring package ships it; never publish untested
        return [f"rubric tests cannot run: {exc}"]
    report = runner.run_rubric_tests(rubric, LIBRARY_DIR / "rubrics" / EDITOR_FILE)
    failures: list[str] = []
    for outcome in report.failures:
        detail = outcome.error or "; ".join(str(m) for m in outcome.mismatches)
        failures.append(f"{outcome.name}: {detail}")
    return failures


def publish(db: Session, org_id: int, user_id: int | None, text: str) -> ContentVersion:
    """Validate, test (rubrics) and store a new published version of the organisation. Publishing content the
    organisation already stored returns its existing version (published, if it was a draft) instead of
    duplicating it; identical content held by another organisation or installation-wide is stored again as the
    organisation's own row, so an organisation's edits never depend on, or reveal, anyone else's."""
    known = known_rubric_ids(db, org_id)
    result = validate_text(text, known)
    if not result.ok or result.model is None:
        raise PublishError("fix the problems before publishing", [str(p) for p in result.problems])
    model = result.model
    kind = "rubric" if isinstance(model, Rubric) else "scenario"
    if isinstance(model, Rubric):
        if not model.tests:
            raise PublishError("a rubric needs at least one rubric test before it can be published")
        failures = run_rubric_tests(model)
        if failures:
            raise PublishError("rubric tests failed; nothing was published", failures)
    existing = db.scalar(
        select(ContentVersion).where(owned_by(org_id), ContentVersion.kind == kind,
                                     ContentVersion.content_id == model.id, ContentVersion.version == model.version)
    )
    if existing is not None:
        current = db.scalar(
            select(ContentVersion.id)
            .where(owned_by(org_id), ContentVersion.kind == kind, ContentVersion.content_id == model.id,
                   ContentVersion.published.is_(True))
            .order_by(ContentVersion.created_at.desc(), ContentVersion.id.desc())
            .limit(1)
        )
        if current != existing.id:  # a draft, or an older version published again: it becomes the current one
            existing.published = True
            existing.created_at = datetime.now(UTC)
            _audit_publish(db, org_id, user_id, existing)
        return existing
    row = ContentVersion(org_id=org_id, kind=kind, content_id=model.id, version=model.version, title=model.title,
                         yaml_text=text, published=True, created_by=user_id)
    db.add(row)
    db.flush()
    _audit_publish(db, org_id, user_id, row)
    return row


def _audit_publish(db: Session, org_id: int | None, user_id: int | None, row: ContentVersion) -> None:
    if org_id is not None:  # installation-wide content has no organisation's log to go in
        audit.record(db, audit.actor_of(db, user_id), "content.published", row.kind, row.content_id,
                     {"version": row.version, "title": row.title}, org_id=org_id)


#: the starting points "New scenario" offers: valid, publishable scenarios, one file per template
TEMPLATES_DIR = LIBRARY_DIR.parent / "templates"


@dataclass(frozen=True)
class Template:
    key: str  # the file name without .yaml
    title: str
    domain: str
    rubric: str


@lru_cache(maxsize=1)
def scenario_templates() -> tuple[Template, ...]:
    """The scenario templates, by domain then title (each file a complete scenario with an ``id: new-…``)."""
    out: list[Template] = []
    for path in sorted(TEMPLATES_DIR.glob("*.yaml")):
        model = parse_model(path.read_text(encoding="utf-8"), Scenario, path.name)
        out.append(Template(path.stem, model.title, model.domain, model.rubric))
    return tuple(sorted(out, key=lambda t: (t.domain, t.title)))


def template_text(key: str) -> str | None:
    """A template's YAML by key; None for a key that names no template (never a path outside the folder)."""
    path = TEMPLATES_DIR / f"{key}.yaml"
    return path.read_text(encoding="utf-8") if key.replace("-", "").isalnum() and path.is_file() else None
