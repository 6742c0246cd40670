"""Shared test support for storage, services and the practice CLI (on pytest's pythonpath, not collected).

- ``database_url`` fixture: SQLite in the test's data dir, and PostgreSQL in a fresh schema per test
  (skipped with a reason when the server is unreachable, a failure when CI=true);
- ``FakePersona`` / ``FakeScorer``: tiny deterministic engines, so these tests do not depend on the real
  embedded engines (written in parallel) and can inject failures and delays.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario
from sparring.conversation.model import Conversation
from sparring.persona.base import PersonaReply, PersonaState
from sparring.scoring.scorecard import CriterionResult, Evidence, Feedback, RubricRef, Scorecard
from sparring.store.db import Database, forget_databases

if TYPE_CHECKING:
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


class FakeClock:
    """A clock a test moves by hand (``clock.now += 61``), for code that takes ``clock=`` (Unix seconds)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'sparring.db'}"
        forget_databases()
        return
    require_pg()
    schema, url = make_pg_schema()
    try:
        yield url
    finally:
        forget_databases()
        drop_pg_schema(schema)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


class FakePersona:
    """Deterministic persona: answers 'Reply N: ...'; 'deal' ends in success, 'bye' in failure, 'crash' raises.
    With SPARRING_TEST_SLOW_AT=N and SPARRING_TEST_MARKER=FILE it writes FILE and sleeps on learner turn N."""

    name = "fake"

    def __init__(self) -> None:
        self.calls = 0

    def open(self, scenario: Scenario, difficulty: str) -> PersonaReply:
        state = PersonaState(scenario_id=scenario.id, difficulty=difficulty, values=dict(scenario.state))  # type: ignore[arg-type]
        return PersonaReply(text=scenario.opening_lines[0], state=state, engine="fake")

    def reply(self, scenario: Scenario, state: PersonaState, conversation: Conversation) -> PersonaReply:
        self.calls += 1
        last = conversation.turns[-1]
        assert last.role == "learner", "the engine must be asked to answer a learner turn"
        new = state.model_copy(deep=True)
        new.learner_turns += 1
        slow_at = os.environ.get("SPARRING_TEST_SLOW_AT")
        if slow_at and new.learner_turns == int(slow_at):
            Path(os.environ["SPARRING_TEST_MARKER"]).write_text(str(new.learner_turns))
            time.sleep(120)
        if "crash" in last.text.lower():
            raise RuntimeError("engine exploded")
        moves = ["question"] if "?" in last.text else ["statement"]
        new.moves.append(moves)
        new.values["trust"] = round(min(1.0, new.values.get("trust", 0.5) + (0.1 if "?" in last.text else -0.05)), 3)
        text_out = f"Reply {new.learner_turns}: you said '{last.text[:30]}'"
        if "deal" in last.text.lower():
            new.ended, new.outcome, new.reason = True, "success", "next step agreed"
            text_out = "Fine, send me the invite for Thursday."
        elif "bye" in last.text.lower():
            new.ended, new.outcome, new.reason = True, "failure", "buyer hung up"
            text_out = "I have to go."
        elif new.learner_turns >= scenario.max_turns // 2:
            new.ended, new.outcome, new.reason = True, "failure", "max turns reached"
        new.used_lines.append(text_out)
        return PersonaReply(text=text_out, state=new, moves=moves, engine="fake")


class FakeScorer:
    """Scores 'asks-questions' met when a learner turn has '?', blockers hit on 'discount'."""

    name = "fake"

    def score(self, conversation: Conversation, rubric: Rubric) -> Scorecard:
        learner = conversation.by_role("learner")
        results = []
        for c in rubric.criteria:
            hits = [t for t in learner if ("?" in t.text if c.kind != "blocker" else "discount" in t.text.lower())]
            if c.kind == "blocker":
                results.append(
                    CriterionResult(
                        id=c.id,
                        kind=c.kind,
                        score=0,
                        max=0,
                        verdict="missed" if hits else "met",
                        hit=bool(hits),
                        evidence=[Evidence(turn=t.index, quote=t.text) for t in hits],
                    )
                )
            else:
                results.append(
                    CriterionResult(
                        id=c.id,
                        kind=c.kind,
                        score=1.0 if hits else 0.0,
                        max=1.0,
                        verdict="met" if hits else "missed",
                        evidence=[Evidence(turn=t.index, quote=t.text) for t in hits[:1]],
                    )
                )
        scored = [r for r in results if r.kind != "blocker"]
        overall = 100 * sum(r.score for r in scored) / max(1, len(scored))
        blockers = [r.id for r in results if r.hit]
        return Scorecard(
            rubric=RubricRef(id=rubric.id, version=rubric.version),
            engine="fake",
            overall=overall,
            passed=overall >= rubric.pass_mark and not blockers,
            blockers=blockers,
            criteria=results,
            metrics={"question_count": sum("?" in t.text for t in learner)},
            feedback=Feedback(),
        )


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
