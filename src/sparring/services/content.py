"""Content as the product sees it: versions stored in the database first, then the built-in library.

Stored content overrides a built-in scenario or rubric with the same id (the newest published version wins).
Every version stays in the database, so a rep that pinned a version can always load it again, even after the
content was edited or the built-in changed.

Tenancy (docs/decisions.md, "Content tenancy"). Every ``ContentService`` has a scope, chosen explicitly:

- ``ContentService(db, org_id)`` / ``ContentService.for_viewer(db, viewer)``: one organisation. It sees the
  built-in library, installation-wide rows (org_id NULL, from ``sparring content import``) and that
  organisation's own rows, and prefers its own (an organisation's edit of a built-in id wins for it only). It
  never sees another organisation's rows, not even by a pinned version.
- ``ContentService.installation(db)`` (operators' commands): the built-ins and installation-wide rows only. It
  does not see any organisation's rows either, so no scope sees across organisations and an operator's
  ``sparring score --rubric ID`` can never pick up one organisation's edit.

Adapters serving a signed-in user take the user's scope (``sparring.web.content_scope``); the practice service
looks content up in the rep's organisation (``PracticeService.content_for``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from sqlalchemy import ColumnElement, case, or_, select
from sqlalchemy.orm import Session

from sparring.content import library
from sparring.content.errors import ContentError, Problem, UnknownContentError
from sparring.content.library import builtin_rubric, builtin_scenario, get_library
from sparring.content.loader import iter_content_files, load_file, parse_model, validate_paths
from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario
from sparring.content.selfcontained import inline_test_transcripts
from sparring.services.access import Viewer
from sparring.services.errors import NotFound
from sparring.store.db import Database, get_database
from sparring.store.models import ContentVersion

M = TypeVar("M", Scenario, Rubric)

# a version is a content hash, so a parsed version never changes: cache it for the process
_parsed: dict[tuple[str, str, str], Scenario | Rubric] = {}
_parsed_lock = threading.Lock()


@dataclass(frozen=True)
class ImportedItem:
    kind: str
    id: str
    version: str
    file: str
    new: bool


def _kind_of(model: type[Scenario] | type[Rubric]) -> str:
    return "scenario" if model is Scenario else "rubric"


def _parse(row: ContentVersion, model: type[M]) -> M:
    key = (row.kind, row.content_id, row.version)
    with _parsed_lock:
        hit = _parsed.get(key)
    if hit is None:
        hit = parse_model(row.yaml_text, model, f"db:{row.kind}/{row.content_id}@{row.version}")
        with _parsed_lock:
            _parsed[key] = hit
    assert isinstance(hit, model)
    return hit


def visible_to(org_id: int | None) -> ColumnElement[bool]:
    """The rows a scope sees: installation-wide rows, plus the organisation's own when ``org_id`` is given.
    Never another organisation's rows (module docstring)."""
    if org_id is None:
        return ContentVersion.org_id.is_(None)
    return or_(ContentVersion.org_id.is_(None), ContentVersion.org_id == org_id)


def owned_by(org_id: int | None) -> ColumnElement[bool]:
    """The rows a scope owns (writes, identity checks, its own history): the organisation's, or the
    installation-wide ones."""
    return ContentVersion.org_id.is_(None) if org_id is None else ContentVersion.org_id == org_id


def stored_ids(s: Session, kind: str, org_id: int | None) -> set[str]:
    """Ids with a published version the scope sees (drafts and kept built-in copies are not current content)."""
    q = select(ContentVersion.content_id).where(
        ContentVersion.kind == kind, ContentVersion.published.is_(True), visible_to(org_id)
    )
    return set(s.scalars(q.distinct()))


class ContentService:
    """Scenarios and rubrics in one scope: an organisation's (``org_id``) or the installation's (``None``, only
    through ``installation()``, for operators' commands). See the module docstring for what each scope sees."""

    def __init__(self, db: Database, org_id: int | None):
        self.db = db
        self.org_id = org_id

    @classmethod
    def for_viewer(cls, db: Database, viewer: Viewer) -> ContentService:
        """Content as a signed-in user may see it: their organisation's scope."""
        return cls(db, viewer.org_id)

    @classmethod
    def installation(cls, db: Database) -> ContentService:
        """Operators' scope: built-ins and installation-wide rows only, no organisation's content."""
        return cls(db, None)

    def for_org(self, org_id: int | None) -> ContentService:
        """The same database, seen by another organisation (None: the installation scope)."""
        return self if org_id == self.org_id else ContentService(self.db, org_id)

    def _get(self, model: type[M], content_id: str, version: str | None) -> M:
        kind = _kind_of(model)
        with self.db.read() as s:
            q = select(ContentVersion).where(ContentVersion.kind == kind, ContentVersion.content_id == content_id)
            if version is not None:
                q = q.where(ContentVersion.version == version)
            else:
                q = q.where(ContentVersion.published.is_(True))
            q = q.where(visible_to(self.org_id))
            if self.org_id is not None:  # the organisation's own versions win over installation-wide ones
                q = q.order_by(case((ContentVersion.org_id.is_(None), 1), else_=0))
            q = q.order_by(ContentVersion.created_at.desc(), ContentVersion.id.desc())
            row = s.scalars(q.limit(1)).first()
            if row is not None:
                return _parse(row, model)
        builtin = self._builtin(model, content_id)
        if builtin is not None and (version is None or builtin.version == version):
            return builtin
        if version is not None:
            raise NotFound(f"{kind} '{content_id}' has no version {version}")
        raise UnknownContentError(kind, content_id, self.ids(kind))

    @staticmethod
    def _builtin(model: type[M], content_id: str) -> M | None:
        lib = None if get_library is library.get_library else get_library  # tests swap the library
        builtin = builtin_scenario(content_id, lib) if model is Scenario else builtin_rubric(content_id, lib)
        assert builtin is None or isinstance(builtin, model)
        return builtin

    def get_scenario(self, scenario_id: str, version: str | None = None) -> Scenario:
        """The scenario at ``version`` (a content hash), or its current version."""
        return self._get(Scenario, scenario_id, version)

    def get_rubric(self, rubric_id: str, version: str | None = None) -> Rubric:
        return self._get(Rubric, rubric_id, version)

    def ids(self, kind: str) -> list[str]:
        """Ids with a current version in this scope: the built-ins and every published stored id it sees."""
        lib = get_library()
        builtin = set(lib.scenarios if kind == "scenario" else lib.rubrics)
        with self.db.read() as s:
            stored = stored_ids(s, kind, self.org_id)
        return sorted(builtin | stored)

    def list_scenarios(self) -> list[Scenario]:
        """Every scenario in its current version (stored ones override built-ins), sorted by id."""
        return [self.get_scenario(i) for i in self.ids("scenario")]

    def list_rubrics(self) -> list[Rubric]:
        return [self.get_rubric(i) for i in self.ids("rubric")]

    def keep_version(self, s: Session, item: Scenario | Rubric) -> None:
        """Make sure the exact version ``item`` is stored, so a rep that pins it can load it after the built-in
        library changes (an upgrade of Sparring). Built-ins are kept as unpublished installation-wide rows:
        they are found by their pinned version and are never served as the current version."""
        kind = "rubric" if isinstance(item, Rubric) else "scenario"
        q = select(ContentVersion.id).where(
            ContentVersion.kind == kind,
            ContentVersion.content_id == item.id,
            ContentVersion.version == item.version,
            visible_to(self.org_id),
        )
        if s.scalar(q.limit(1)) is not None:
            return
        # a built-in is public: kept installation-wide; anything else stays in this scope (it cannot be missing
        # unless its row was deleted meanwhile, and it must never become visible to other organisations)
        builtin = self._builtin(Rubric, item.id) if isinstance(item, Rubric) else self._builtin(Scenario, item.id)
        owner = None if builtin is not None and builtin.version == item.version else self.org_id
        text = yaml.safe_dump(item.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100)
        s.add(
            ContentVersion(
                org_id=owner,
                kind=kind,
                content_id=item.id,
                version=item.version,
                title=item.title,
                yaml_text="# kept by Sparring: the built-in version a rep was run with\n" + text,
                published=False,
            )
        )
        s.flush()

    def import_paths(
        self, paths: list[str | Path], created_by: int | None = None, publish: bool = True
    ) -> list[ImportedItem]:
        """Validate every file, then store each as a new version, all in one transaction: when any file is
        invalid nothing is stored (ContentError lists every problem). Unchanged content is not duplicated.
        Rows belong to this service's organisation (installation-wide when it has none)."""
        files = iter_content_files(list(paths))
        if not files:
            raise ContentError([Problem(", ".join(str(p) for p in paths), 0, "(paths)", "no YAML files found")])
        stored_rubrics = set(self.ids("rubric"))
        problems = [
            p
            for p in validate_paths(list(files))
            # a scenario may use a rubric imported earlier
            if not (
                p.field == "rubric"
                and p.message.startswith("unknown rubric '")
                and p.message[len("unknown rubric '") : -1] in stored_rubrics
            )
        ]
        if problems:
            raise ContentError(problems)
        loaded = [_self_contained(f, load_file(f)) for f in files]
        out: list[ImportedItem] = []
        with self.db.session() as s:
            for f, item, text in loaded:
                kind = "rubric" if isinstance(item, Rubric) else "scenario"
                exists = s.scalar(
                    select(ContentVersion.id).where(
                        owned_by(self.org_id),
                        ContentVersion.kind == kind,
                        ContentVersion.content_id == item.id,
                        ContentVersion.version == item.version,
                    )
                )
                if exists is None:
                    s.add(
                        ContentVersion(
                            org_id=self.org_id,
                            kind=kind,
                            content_id=item.id,
                            version=item.version,
                            title=item.title,
                            yaml_text=text,
                            published=publish,
                            created_by=created_by,
                        )
                    )
                    s.flush()
                out.append(ImportedItem(kind, item.id, item.version, str(f), exists is None))
        return out


def _self_contained(path: Path, item: Rubric | Scenario) -> tuple[Path, Rubric | Scenario, str]:
    """The text to store for a content file: a rubric's test transcript files are inlined, so the stored
    version can run its own tests wherever it is loaded (its version hash is then that of the stored text)."""
    text = path.read_text(encoding="utf-8")
    if isinstance(item, Rubric) and any(t.transcript is not None for t in item.tests):
        text = inline_test_transcripts(text, path)
        item = parse_model(text, Rubric, str(path))
    return path, item, text


def operator_content(url: str) -> ContentService | None:
    """Content as operators' commands (``sparring score``, ``rubric test``, ``rubrics list``…) see it in the
    database at ``url``: what was imported into it plus the built-ins. None when the database is a SQLite file that
    does not exist yet, so read-only commands never create one (they then see the built-ins only)."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if path in ("", ":memory:") or not Path(path).is_file():
            return None
    return ContentService.installation(get_database(url))


def resolve_rubric_ref(ref: str, database_url: str) -> tuple[Rubric, Path | None]:
    """A rubric from a YAML path, else an id: versions imported into the database at ``database_url`` first (newest
    published), then built-ins. Returns the rubric and the file it came from (None for a stored version)."""
    if ref.endswith((".yaml", ".yml")) or Path(ref).is_file():
        return library.resolve_rubric(ref)
    svc = operator_content(database_url)
    if svc is None:
        return library.resolve_rubric(ref)
    rub = svc.get_rubric(ref)
    # the built-in itself (no newer import): keep its file, so tests given as transcript paths resolve
    builtin_path = get_library().rubric_paths.get(ref) if rub == builtin_rubric(ref) else None
    return rub, builtin_path
