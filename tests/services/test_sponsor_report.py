"""The ``render_report`` job (services.sponsor_report) on SQLite and PostgreSQL: it writes the report under the data
directory as the requesting user sees the program, and refuses an unknown format or user."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sparring_test_support as support

from sparring.jobs.registry import TaskContext, TaskRegistry
from sparring.services import programs, sponsor_report
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.errors import NotFound
from sparring.services.programs import ScenarioChoice
from sparring.store.db import Database
from sparring.store.models import utcnow


def _program(db: Database, org_id: int, users: list[str]) -> int:
    today = utcnow().date()
    with db.session() as s:
        return programs.create_program(
            s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), org_id=org_id, name="Sprint",
            start_on=today - timedelta(days=7), end_on=today + timedelta(days=20), target_min=6,
            scenarios=[ScenarioChoice(support.TEST_SCENARIO, 1)], teams=[], users=users).id


@pytest.fixture
def program(db: Database) -> tuple[int, dict[str, int]]:
    line = support.line_practice(db)
    acc = Accounts(db)
    ann = acc.create_user("Acme", "ann@acme.test", None, role="learner", team="East", name="Ann")
    ola = acc.create_user("Acme", "ola@acme.test", None, role="learner", team="West", name="Ola")
    ids = {"ann": ann.id, "ola": ola.id,
           "max": acc.create_user("Acme", "max@acme.test", None, role="manager", team="East").id,
           "ada": acc.create_user("Acme", "ada@acme.test", None, role="admin").id}
    for a in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        support.rep_with_scores(line, ann, a, 0.5)
    support.rep_with_scores(line, ola, 0.5, 0.5)
    return _program(db, ann.org_id, ["ann@acme.test", "ola@acme.test"]), ids


def _ctx(db: Database, data_dir: Path, job_id: int = 7) -> TaskContext:
    return TaskContext(job_id=job_id, task=sponsor_report.TASK, attempt=1, max_attempts=1, database=db,
                       app=SimpleNamespace(settings=SimpleNamespace(data_dir=data_dir)))


def test_the_job_writes_the_report_as_the_requester_sees_it(db: Database, program: tuple[int, dict[str, int]],
                                                            tmp_path: Path) -> None:
    program_id, ids = program
    done = sponsor_report.render_report(_ctx(db, tmp_path), {"program_id": program_id, "format": "html",
                                                             "user_id": ids["ada"]})
    assert done == {"path": f"reports/program-{program_id}-7.html", "format": "html"}
    html = (tmp_path / str(done["path"])).read_text(encoding="utf-8")
    assert '<b id="learners">2</b>' in html and '<b id="reps">7</b>' in html and "Ola" in html
    # the manager of East sees Ann only
    done = sponsor_report.render_report(_ctx(db, tmp_path, 8), {"program_id": program_id, "format": "html",
                                                                "user_id": ids["max"]})
    html = (tmp_path / str(done["path"])).read_text(encoding="utf-8")
    assert '<b id="learners">1</b>' in html and '<b id="reps">6</b>' in html and "Ola" not in html


def test_the_job_refuses_bad_payloads(db: Database, program: tuple[int, dict[str, int]], tmp_path: Path) -> None:
    program_id, ids = program
    with pytest.raises(ValueError, match="format: html or pdf, not 'docx'"):
        sponsor_report.render_report(_ctx(db, tmp_path), {"program_id": program_id, "format": "docx"})
    with pytest.raises(NotFound, match="user_id: no user 9999"):
        sponsor_report.render_report(_ctx(db, tmp_path), {"program_id": program_id, "user_id": 9999})
    with pytest.raises(NotFound):  # a learner may not see the program's report
        sponsor_report.render_report(_ctx(db, tmp_path), {"program_id": program_id, "user_id": ids["ann"]})
    assert not (tmp_path / "reports").exists()


def test_the_task_is_registered() -> None:
    registry = TaskRegistry()
    sponsor_report.register(registry)
    assert sponsor_report.TASK in registry.names()


def test_a_queued_report_runs_and_only_its_requester_may_fetch_it(
        db: Database, program: tuple[int, dict[str, int]], tmp_path: Path) -> None:
    from sparring.jobs.queue import JobQueue
    from sparring.jobs.runner import InProcessRunner
    from sparring.services.access import Viewer

    program_id, ids = program
    registry = TaskRegistry()
    sponsor_report.register(registry)
    registry.app = SimpleNamespace(settings=SimpleNamespace(data_dir=tmp_path))
    queue = JobQueue(db, registry)
    with db.read() as s:
        from sparring.store.models import User

        ada, max_ = Viewer.of(s.get(User, ids["ada"])), Viewer.of(s.get(User, ids["max"]))  # type: ignore[arg-type]
        ann = Viewer.of(s.get(User, ids["ann"]))  # type: ignore[arg-type]
    job = sponsor_report.queue_report(db, queue, ada, program_id, "html")
    assert job.payload == {"program_id": program_id, "format": "html", "user_id": ids["ada"]}
    with pytest.raises(NotFound):
        sponsor_report.queue_report(db, queue, ann, program_id)  # a learner
    with pytest.raises(NotFound, match="format: html or pdf"):
        sponsor_report.queue_report(db, queue, ada, program_id, "docx")
    assert [o.status for o in InProcessRunner(queue, worker_id="t", periodic=False).run_until_idle()] == ["done"]
    done = sponsor_report.report_job(queue, ada, program_id, job.id)
    assert done.result == {"path": f"reports/program-{program_id}-{job.id}.html", "format": "html"}
    assert (tmp_path / str(done.result["path"])).is_file()
    for viewer, pid, jid in ((max_, program_id, job.id), (ada, program_id + 1, job.id), (ada, program_id, 99999)):
        with pytest.raises(NotFound, match="no such report"):
            sponsor_report.report_job(queue, viewer, pid, jid)


def test_a_manager_with_no_enrolled_learner_gets_an_empty_report(db: Database, program: tuple[int, dict[str, int]],
                                                                 tmp_path: Path) -> None:
    program_id, _ = program
    nia = Accounts(db).create_user("Acme", "nia@acme.test", None, role="manager", team="North")
    with db.session() as s:
        programs.enrol(s, None, program_id, team="North")  # the team has no learner: nia may see the program
    done = sponsor_report.render_report(_ctx(db, tmp_path), {"program_id": program_id, "format": "html",
                                                             "user_id": nia.id})
    html = (tmp_path / str(done["path"])).read_text(encoding="utf-8")
    assert '<b id="learners">0</b>' in html and '<b id="reps">0</b>' in html and 'id="no-trends"' in html
