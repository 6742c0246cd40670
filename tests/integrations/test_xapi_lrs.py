"""xAPI end to end against a real learning record store on loopback: Ralph (``ralph-malph``), file-system backend in
a temporary folder, HTTP basic authentication (docs/integrations.md, "xAPI").

Ralph's pinned dependencies (FastAPI, Starlette, httpx, uvicorn at older versions) conflict with Sparring's, so it
is installed into its own venv, ``.venv-ralph`` at the repository root (``./dev test`` makes it; another place:
``SPARRING_RALPH_VENV``), and run as a subprocess (tests/integrations/ralph_lrs.py). Without that venv these tests
are skipped with the reason; under CI (``CI=true``) they fail instead, so a green CI always ran them.

- Export → POST every statement to Ralph → all stored, each valid under Ralph's *strict* statement model
  (tests/integrations/ralph_validate.py; Ralph's API itself accepts a lax model); sending again stores nothing
  twice.
- The delivery jobs with the LRS down: nothing lost, retried with backoff, the batch dead after the last try and
  shown to admins; the LRS back: new attempts delivered by the next sweep, the dead batch by the admin's retry;
  every statement of every attempt in the LRS exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import sparring_test_support as support

from sparring.integrations.xapi import StatementBuilder
from sparring.integrations.xapi_lrs import LrsConfig, LrsError, send
from sparring.jobs import JobQueue, TaskRegistry
from sparring.jobs.runner import InProcessRunner
from sparring.reports.exports import ExportScope
from sparring.services import xapi_delivery, xapi_export
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.store.xapi_models import XapiBatchRow, XapiOutboxRow
from sparring.testing.fakes import FakePersona, FakeScorer
from sparring.testing.processes import free_port, wait_until

database_url = support.database_url
db = support.db

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
USER, PASSWORD = "sparring", "lrs-secret-1"


def _ralph_python() -> Path | None:
    venv = Path(os.environ.get("SPARRING_RALPH_VENV") or ROOT / ".venv-ralph")
    python = venv / "bin" / "python"
    return python if python.exists() else None


class Ralph:
    """Ralph's LRS as a subprocess on 127.0.0.1 (stop and start it again on the same port and data)."""

    def __init__(self, python: Path, folder: Path):
        self.python, self.folder = python, folder
        self.port = free_port()
        self.data = folder / "data"
        self.data.mkdir(parents=True)
        self.env = {**os.environ, "RALPH_APP_DIR": str(folder / "app"), "RALPH_AUTH_FILE": str(folder / "auth.json"),
                    "RALPH_RUNSERVER_BACKEND": "fs", "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.data)}
        subprocess.run([str(python.parent / "ralph"), "auth", "-u", USER, "-p", PASSWORD, "-s", "all",
                        "-M", "mailto:sparring@example.com", "-w"], env=self.env, check=True, capture_output=True,
                       timeout=120)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder / "ralph.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI"

    def start(self) -> None:
        handle = self.log.open("ab")
        self.proc = subprocess.Popen([str(self.python), str(HERE / "ralph_lrs.py"), "127.0.0.1", str(self.port)],
                                     env=self.env, stdout=handle, stderr=subprocess.STDOUT)

        def up() -> bool:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text(errors="replace")[-3000:]
            try:
                return httpx.get(f"http://127.0.0.1:{self.port}/__heartbeat__", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until("Ralph's LRS to answer", up, timeout=90, interval=0.3)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    def stored(self) -> list[dict[str, Any]]:
        path = self.data / "fs_lrs.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def validate(self, path: Path) -> dict[str, Any]:
        done = subprocess.run([str(self.python), str(HERE / "ralph_validate.py"), str(path)], capture_output=True,
                              text=True, timeout=120, check=True)
        result: dict[str, Any] = json.loads(done.stdout)
        return result


@pytest.fixture(scope="module")
def ralph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ralph]:
    python = _ralph_python()
    if python is None:
        message = "Ralph's LRS is not installed: ./dev test puts it into .venv-ralph (or set SPARRING_RALPH_VENV)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    lrs = Ralph(python, tmp_path_factory.mktemp("ralph"))
    lrs.start()
    yield lrs
    lrs.stop()


@pytest.fixture
def practice(db: Database) -> PracticeService:
    content = ContentService.installation(db)
    content.import_paths([support.DATA / "test-rubric.yaml", support.DATA / "test-scenario.yaml"])
    return PracticeService(db, persona=FakePersona(), scorer=FakeScorer(), content=content)


@pytest.fixture
def learner(db: Database) -> UserRecord:
    return Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")


@pytest.fixture
def home() -> str:
    """A public address of this test's own, so that statement ids never meet another test's in the shared LRS."""
    return f"https://sparring-{uuid.uuid4().hex[:10]}.acme.test"


def _ours(ralph: Ralph, home: str) -> list[dict[str, Any]]:
    return [s for s in ralph.stored() if s["actor"].get("account", {}).get("homePage") == home]


def _all_statements(db: Database, org_id: int, home: str) -> list[dict[str, Any]]:
    with db.read() as s:
        return list(StatementBuilder(home).all_statements(xapi_export.attempts(s, ExportScope(org_id=org_id))))


def test_every_exported_statement_is_accepted_and_valid_and_sending_again_stores_none_twice(
        db: Database, practice: PracticeService, learner: UserRecord, ralph: Ralph, home: str,
        tmp_path: Path) -> None:
    support.scored_rep(practice, learner, "What matters most to you?", "Why now?")
    support.scored_rep(practice, learner, "We have a great product.")
    support.scored_rep(practice, learner, "Why?", private=True)
    out = tmp_path / "statements.json"
    with db.read() as s:
        attempts, count = xapi_export.export_file(s, ExportScope(org_id=learner.org_id), home, out)
    statements = json.loads(out.read_text(encoding="utf-8"))
    assert attempts == 3 and count == len(statements) > 3
    assert ralph.validate(out) == {"valid": count, "errors": []}

    config = LrsConfig(ralph.url, USER, PASSWORD)
    sent = send(config, statements)
    assert (sent.accepted, sent.already) == (count, 0)
    stored = _ours(ralph, home)
    assert sorted(s["id"] for s in stored) == sorted(s["id"] for s in statements)
    assert all(s["authority"]["mbox"] == "mailto:sparring@example.com" for s in stored)  # Ralph's own record
    lines = tmp_path / "stored.jsonl"
    lines.write_text("\n".join(json.dumps(s) for s in stored), encoding="utf-8")
    assert ralph.validate(lines) == {"valid": count, "errors": []}

    again = send(config, statements)  # the same statements: taken, not stored twice
    assert (again.accepted, again.already) == (count, 0)
    assert len(_ours(ralph, home)) == count
    # a statement whose id the LRS holds in another version (the rep joined a program since): the chunk gets 409,
    # then one by one the new statement is stored and the changed one left as the LRS has it
    changed = dict(statements[0], context=dict(statements[0]["context"], platform="Sparring (changed)"))
    new = dict(statements[1], id=str(uuid.uuid4()))
    mixed = send(config, [changed, new])
    assert (mixed.accepted, mixed.already) == (1, 1)
    stored = {s["id"]: s for s in _ours(ralph, home)}
    assert len(stored) == count + 1 and stored[changed["id"]]["context"]["platform"] == "Sparring"

    with pytest.raises(LrsError, match="answered 401"):
        send(LrsConfig(ralph.url, USER, "wrong password"), statements[:1])
    bad = dict(statements[0], id=str(uuid.uuid4()), verb={"display": {"en-US": "no id"}})
    with pytest.raises(LrsError, match="answered 4"):
        send(config, [bad])


class Clock:
    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_with_the_lrs_down_nothing_is_lost_retries_end_in_a_dead_letter_and_all_is_delivered_when_it_is_back(
        db: Database, practice: PracticeService, learner: UserRecord, ralph: Ralph, home: str) -> None:
    clock = Clock()
    registry = TaskRegistry()
    xapi_delivery.register(registry)
    queue = JobQueue(db, registry, clock=clock)
    settings = Settings(xapi_lrs_url=ralph.url, xapi_lrs_username=USER, xapi_lrs_password=PASSWORD,
                        public_url=home)
    registry.app = SimpleNamespace(settings=settings, jobs=queue)
    runner = InProcessRunner(queue, periodic=False, rng=lambda: 1.0)
    admin = Accounts(db).create_user("Acme", "ada@acme.test", None, role="admin")

    def sweep() -> None:
        queue.enqueue(xapi_delivery.SWEEP, {})
        runner.run_until_idle()

    def batches() -> list[XapiBatchRow]:
        with db.read() as s:
            return list(s.query(XapiBatchRow).order_by(XapiBatchRow.id))

    support.scored_rep(practice, learner, "What matters most to you?")
    support.scored_rep(practice, learner, "We have a great product.")
    ralph.stop()
    try:
        sweep()
        [batch] = batches()
        assert (batch.status, batch.tries, batch.attempts_count) == ("queued", 1, 2)
        assert "unreachable" in (batch.last_error or "")
        job = queue.get(batch.job_id or 0)
        assert job.status == "queued" and job.attempts == 1 and job.run_at > clock.now  # a retry, with backoff
        sweep()  # a sweep while it waits queues nothing twice
        assert len(batches()) == 1 and queue.ledger.list(["queued"], task=xapi_delivery.DELIVER) == [queue.get(job.id)]
        for _ in range(xapi_delivery.MAX_ATTEMPTS):
            clock.now += xapi_delivery.RETRY_CAP + 1
            runner.run_until_idle()
        [batch] = batches()
        assert (batch.status, batch.tries) == ("dead", xapi_delivery.MAX_ATTEMPTS)
        assert queue.get(batch.job_id or 0).status == "failed"
        with db.read() as s:
            assert s.query(XapiOutboxRow).filter_by(batch_id=batch.id).count() == 2  # nothing lost
            view = xapi_delivery.overview(s, settings, support.viewer_of(admin))
        assert [b.id for b in view.dead] == [batch.id] and "unreachable" in (view.dead[0].last_error or "")
        assert view.configured and view.lrs_url == ralph.url + "/statements"
        assert _ours(ralph, home) == []
        support.scored_rep(practice, learner, "Why now?")  # scored while the LRS is still down
    finally:
        ralph.start()

    sweep()  # the LRS is back: the new attempt goes out in a batch of its own
    dead, fresh = batches()
    assert (dead.status, fresh.status, fresh.attempts_count) == ("dead", "sent", 1)
    job = xapi_delivery.retry(db, queue, support.viewer_of(admin), dead.id)
    runner.run_until_idle()
    dead, fresh = batches()
    assert dead.status == "sent" and dead.retries == 1 and dead.job_id == job.id and dead.last_error is None
    expected = _all_statements(db, learner.org_id, home)
    stored = _ours(ralph, home)
    assert sorted(s["id"] for s in stored) == sorted(s["id"] for s in expected)  # all of them, each once
    assert dead.statements + fresh.statements == len(expected)
    sweep()
    assert len(batches()) == 2 and len(_ours(ralph, home)) == len(expected)  # nothing sent twice
