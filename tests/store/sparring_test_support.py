"""Shared test support for storage, services and the practice CLI (on pytest's pythonpath, not collected).

- ``database_url`` fixture: SQLite in the test's data dir, and PostgreSQL in a fresh schema per test
  (skipped with a reason when the server is unreachable, a failure when CI=true);
- the repository's own test data (``DATA``), two organisations with their own content, the command line with
  fake engines, scored reps.

The fakes themselves (``FakePersona``, ``FakeScorer``, ``FakeClock``) are public in ``sparring.testing.fakes``
(docs/testing.md); tests import them from there.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

from sparring.store.db import Database, forget_databases
from sparring.testing.fakes import FakePersona, FakeScorer

if TYPE_CHECKING:
    from sparring.services.access import Viewer
    from sparring.services.content import ContentService
    from sparring.services.practice import PracticeService
    from sparring.services.records import UserRecord

DATA = Path(__file__).parent / "data"
PG_BASE = os.environ.get("SPARRING_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_BASE, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL unreachable at {PG_BASE}: {str(exc).splitlines()[0]}"


_PG_PROBLEM: list[str | None] = []


def pg_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_pg_available())
    return _PG_PROBLEM[0]


def require_pg() -> None:
    problem = pg_problem()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{problem} (CI=true: the PostgreSQL storage tests must run)")
        pytest.skip(problem)


def pg_schema_url(schema: str) -> str:
    return f"{PG_BASE}?options=-csearch_path%3D{schema}"


def make_pg_schema() -> tuple[str, str]:
    schema = "t_" + uuid.uuid4().hex[:12]
    eng = create_engine(PG_BASE)
    with eng.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng.dispose()
    return schema, pg_schema_url(schema)


def drop_pg_schema(schema: str) -> None:
    eng = create_engine(PG_BASE)
    with eng.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    eng.dispose()


#: tests under these folders get a truly empty database (they build or walk the schema themselves: migrations,
#: the job queue's own schema); every other test gets one already at the schema head, copied from a template
EMPTY_DATABASE_DIRS = ("store", "jobs")


def _wants_empty(request: pytest.FixtureRequest) -> bool:
    if request.node.get_closest_marker("empty_database") is not None:
        return True
    return Path(str(request.node.path)).parent.name in EMPTY_DATABASE_DIRS


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database at the schema head, made once per test process; tests get a copy (a page copy through
    SQLite's backup API: milliseconds, where running every migration costs about a second per test)."""
    path = tmp_path_factory.mktemp("template") / "sparring.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    forget_databases()
    return path


def _copy_sqlite(template: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(template), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A PostgreSQL database at the schema head, made once per test process (None when PostgreSQL is unreachable);
    tests get ``CREATE DATABASE … TEMPLATE`` copies (about 0.1 s, where migrating a fresh schema costs 1.5 s)."""
    if pg_problem():
        yield None
        return
    name = "tmpl_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(_pg_database_url(name))
    database.upgrade()
    database.dispose()
    forget_databases()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pg_database_url(name: str) -> str:
    return PG_BASE.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database on each backend: at the schema head (a copy of a migrated template), or empty for the tests that
    need it (``EMPTY_DATABASE_DIRS``, or the ``empty_database`` marker)."""
    empty = _wants_empty(request)
    if request.param == "sqlite":
        path = tmp_path / "store" / "sparring.db"
        if not empty:
            _copy_sqlite(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        forget_databases()
        return
    require_pg()
    if empty:
        schema, url = make_pg_schema()
        try:
            yield url
        finally:
            forget_databases()
            drop_pg_schema(schema)
        return
    template = request.getfixturevalue("pg_template")
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY WAL_LOG'))
    try:
        yield _pg_database_url(name)
    finally:
        forget_databases()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


# --- two organisations with their own content (services and web tenancy tests) ---------------------------

EDITED_BUILTIN = "sales-guarded-discovery"


@dataclass(frozen=True)
class Tenant:
    """One organisation's own content, imported into its scope: a rubric, a scenario scored with it, and an edit
    of a built-in scenario (title "<Name> edition")."""

    user: UserRecord
    content: ContentService
    rubric_id: str
    scenario_id: str
    edit_title: str
    scenario_yaml: str  # the exact text stored for its own scenario
    edit_version: str


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def make_tenant(practice: PracticeService, user: UserRecord, name: str, folder: Path) -> Tenant:
    from sparring.content.library import LIBRARY_DIR

    folder.mkdir()
    rubric = (DATA / "test-rubric.yaml").read_text().replace("id: test-discovery", f"id: {name}-rubric")
    rubric = rubric.replace("title: Test discovery rubric", f"title: {name.title()} rubric")
    scenario = (DATA / "test-scenario.yaml").read_text().replace("id: test-guarded-buyer", f"id: {name}-deal")
    scenario = scenario.replace("rubric: test-discovery", f"rubric: {name}-rubric")
    scenario = scenario.replace("title: A guarded buyer (test)", f"title: The {name.title()} deal")
    edit = (LIBRARY_DIR / "scenarios" / f"{EDITED_BUILTIN}.yaml").read_text(encoding="utf-8")
    edit = re.sub(r"^title: .*$", f"title: {name.title()} edition", edit, count=1, flags=re.M)
    content = practice.content_for(user.org_id)
    items = content.import_paths([_write(folder / "r.yaml", rubric), _write(folder / "s.yaml", scenario),
                                  _write(folder / "e.yaml", edit)])
    assert all(i.new for i in items)
    edit_version = next(i.version for i in items if i.id == EDITED_BUILTIN)
    return Tenant(user, content, f"{name}-rubric", f"{name}-deal", f"{name.title()} edition", scenario, edit_version)


# --- the command line with fake engines (tests/cli) ---------------------------------------------------------
# A module that imports these fixtures gets them: ``_fake_engines`` applies to every test of that module.


@pytest.fixture(name="_fake_engines", autouse=True)
def fake_cli_engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's composition root builds ``FakePersona`` / ``FakeScorer`` instead of the configured engines."""
    from sparring.root import Sparring

    monkeypatch.setattr(Sparring, "persona", property(lambda self: FakePersona()))
    monkeypatch.setattr(Sparring, "scorer", property(lambda self: FakeScorer()))
    yield
    forget_databases()


@pytest.fixture(name="url")
def imported_content_url(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A database (each backend) the CLI uses, with the test content in ``DATA`` imported."""
    from sparring.cli import main
    from sparring.settings import reset_settings_cache

    monkeypatch.setenv("SPARRING_DATABASE_URL", database_url)
    reset_settings_cache()
    assert main(["content", "import", str(DATA)]) == 0
    return database_url


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``sparring ARGS`` in-process: (exit code, stdout, stderr)."""
    from sparring.cli import main

    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- scored reps for the report and coaching tests ------------------------------------------------------------
# tests/reports and tests/coaching take ``practice`` from here (``practice = support.practice_with_test_content``).

TEST_SCENARIO = "test-guarded-buyer"


@pytest.fixture(name="practice")
def practice_with_test_content(db: Database) -> PracticeService:
    """The practice service on ``db`` with the fake engines and the test scenario and rubric imported."""
    from sparring.services.content import ContentService
    from sparring.services.practice import PracticeService

    content = ContentService.installation(db)
    content.import_paths([DATA / "test-rubric.yaml", DATA / "test-scenario.yaml"])
    return PracticeService(db, persona=FakePersona(), scorer=FakeScorer(), content=content)


def scored_rep(practice: PracticeService, user: UserRecord, *lines: str, private: bool = False) -> int:
    """Play ``lines`` as the learner, end the rep and score it; the rep's id. With ``FakeScorer`` every non-blocker
    criterion is met (score 100) when a line asks a question ('?'), missed (0) otherwise."""
    rep = practice.start_rep(user, TEST_SCENARIO, private=private)
    for line in lines:
        practice.submit_turn(rep.id, line)
    practice.end_rep(rep.id)
    practice.score_rep(rep.id)
    return rep.id


def configured_scorer(settings: object) -> FakeScorer:
    """A scorer plugin factory that takes the application's settings: it is named by its ``[plugins.tuned]``
    options (tests/test_root.py)."""
    from sparring.settings import Settings

    assert isinstance(settings, Settings)
    scorer = FakeScorer()
    scorer.name = str(settings.plugin_options("tuned").get("label", "tuned"))
    return scorer


# --- a cohort with known scores (tests/reports/test_analytics.py, tests/coaching/test_coaching_needs.py) ------------


class LineScorer(FakeScorer):
    """Every non-blocker criterion scored from a ``criterion-id=share`` word in the learner's turns (0 when absent):
    the learner line ``asks-questions=0.8 next-step=0.2`` scores 0.8 and 0.2 of 1. Verdict met at 1, missed at 0,
    partly in between; overall the mean share × 100, passed at the rubric's pass mark."""

    name = "line"

    def score(self, conversation, rubric):  # type: ignore[no-untyped-def]
        card = super().score(conversation, rubric)
        given: dict[str, float] = {}
        for turn in conversation.by_role("learner"):
            for word in turn.text.split():
                key, sep, value = word.partition("=")
                if sep:
                    given[key] = float(value)
        criteria = []
        for c in card.criteria:
            if c.kind != "blocker":
                share = given.get(c.id, 0.0)
                verdict = "met" if share >= 1 else "partly" if share > 0 else "missed"
                c = c.model_copy(update={"score": share, "verdict": verdict})
            criteria.append(c)
        scored = [c for c in criteria if c.kind != "blocker"]
        overall = 100 * sum(c.score for c in scored) / max(1, len(scored))
        return card.model_copy(update={"criteria": criteria, "overall": overall,
                                       "passed": overall >= rubric.pass_mark and not card.blockers})


def line_practice(db: Database) -> PracticeService:
    """The practice service on ``db`` with ``LineScorer`` and the test scenario and rubric imported."""
    from sparring.services.content import ContentService
    from sparring.services.practice import PracticeService

    content = ContentService.installation(db)
    content.import_paths([DATA / "test-rubric.yaml", DATA / "test-scenario.yaml"])
    return PracticeService(db, persona=FakePersona(), scorer=LineScorer(), content=content)


def rep_with_scores(practice: PracticeService, user: UserRecord, asks: float, step: float,
                    private: bool = False) -> int:
    """A scored rep whose 'asks-questions' (skill discovery) scores ``asks`` and 'next-step' (skill next-steps)
    ``step`` (shares of 1); the rep's id."""
    return scored_rep(practice, user, f"asks-questions={asks} next-step={step}", private=private)


@dataclass
class People:
    """Acme's people across two teams and one learner of another organisation (``make_people``)."""

    lee: UserRecord  # learner, East (the ``learner`` fixture)
    kim: UserRecord  # learner, East
    ola: UserRecord  # learner, West
    max: UserRecord  # manager of East
    wes: UserRecord  # manager of West
    ada: UserRecord  # admin of Acme
    bob: UserRecord  # learner of Globex, team East too


def make_people(db: Database, learner: UserRecord) -> People:
    from sparring.services.accounts import Accounts

    acc = Accounts(db)
    return People(
        lee=learner,
        kim=acc.create_user("Acme", "kim@acme.test", None, role="learner", team="East", name="Kim"),
        ola=acc.create_user("Acme", "ola@acme.test", None, role="learner", team="West", name="Ola"),
        max=acc.create_user("Acme", "max@acme.test", None, role="manager", team="East", name="Max"),
        wes=acc.create_user("Acme", "wes@acme.test", None, role="manager", team="West", name="Wes"),
        ada=acc.create_user("Acme", "ada@acme.test", None, role="admin", name="Ada"),
        bob=acc.create_user("Globex", "bob@globex.test", None, role="learner", team="East", name="Bob"),
    )


def viewer_of(u: UserRecord) -> Viewer:
    from sparring.services.access import Viewer

    return Viewer(id=u.id, org_id=u.org_id, role=u.role, name=u.name or u.email, email=u.email)
