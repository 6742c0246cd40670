"""The admin jobs page: failed jobs of the admin's organisation with error and attempts, retry and re-score actions
behind CSRF and the admin role; and ``sparring serve``'s in-process runner (the app's lifespan)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import unquote

from fastapi.testclient import TestClient

from sparring.jobs import InProcessRunner
from sparring.settings import Settings
from sparring.store.db import forget_databases, get_database
from sparring.testing.web import World, login
from sparring.web.app import create_app, job_queue


def _flash(response: object) -> str:
    return unquote(response.headers.get("set-cookie", ""))  # type: ignore[attr-defined]


def test_admins_see_and_retry_their_failed_jobs_only(world: World) -> None:
    queue = job_queue(world.app)
    acme = world.practice.get_rep(world.reps["a1_public"]).org_id
    globex = world.practice.get_rep(world.reps["b1"]).org_id
    mine = queue.enqueue("rescore_rep", {"rep_id": 987654}, org_id=acme)
    theirs = queue.enqueue("rescore_rep", {"rep_id": 987655}, org_id=globex)
    InProcessRunner(queue, worker_id="test").run_until_idle()

    admin_a, admin_b = login(world.app, "admin_a"), login(world.app, "admin_b")
    page = admin_a.get("/admin/jobs")
    assert page.status_code == 200
    assert "PermanentError: unknown rep 987654" in page.text and "987655" not in page.text
    assert "987654" not in admin_b.get("/admin/jobs").text
    assert login(world.app, "manager_a").get("/admin/jobs").status_code == 403

    forged = admin_a.post("/admin/jobs/retry", data={"job": str(mine.id)}, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    token = admin_a.headers["X-CSRF-Token"]
    other = admin_a.post("/admin/jobs/retry", data={"csrf_token": token, "job": str(theirs.id)})
    assert other.status_code == 303 and f"unknown job {theirs.id}" in _flash(other)
    assert queue.get(theirs.id).status == "failed"
    ok = admin_a.post("/admin/jobs/retry", data={"csrf_token": token, "job": str(mine.id)})
    assert ok.status_code == 303 and "queued again" in _flash(ok)
    assert queue.get(mine.id).status == "queued"
    bad = admin_a.post("/admin/jobs/retry", data={"csrf_token": token, "job": "x"})
    assert bad.status_code == 303 and "job: give an id" in _flash(bad)
    InProcessRunner(queue, worker_id="test").run_until_idle()


def test_an_admin_queues_a_rescore_of_their_organisation_s_rep(world: World) -> None:
    queue = job_queue(world.app)
    admin = login(world.app, "admin_a")
    token = admin.headers["X-CSRF-Token"]
    rep = world.reps["a3_west"]
    before = world.practice.get_rep(rep).scorecard
    r = admin.post("/admin/jobs/rescore", data={"csrf_token": token, "rep": str(rep)})
    assert r.status_code == 303 and f"Re-scoring rep {rep}" in _flash(r)
    foreign = admin.post("/admin/jobs/rescore", data={"csrf_token": token, "rep": str(world.reps["b1"])})
    assert "unknown rep" in _flash(foreign)
    outcomes = InProcessRunner(queue, worker_id="test", periodic=False).run_until_idle()
    assert [o.status for o in outcomes] == ["done"]
    after = world.practice.get_rep(rep).scorecard
    assert before is not None and after is not None and after.overall == before.overall  # deterministic scorer
    assert "rescore_rep" in admin.get("/admin/jobs").text


def test_the_web_server_runs_in_process_jobs_while_it_runs(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", jobs_poll_interval=0.05)
    app = create_app(settings, warm_up=False, run_jobs=True)
    try:
        with TestClient(app):
            queue = job_queue(app)
            job = queue.enqueue("purge_finished_jobs", {"keep_days": 1})
            deadline = time.monotonic() + 30
            while queue.get(job.id).status != "done" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert queue.get(job.id).status == "done"
            assert queue.get(job.id).result == {"deleted": 0, "keep_days": 1}
        quiet = create_app(Settings(data_dir=tmp_path / "data", jobs_in_web=False), warm_up=False, run_jobs=True)
        with TestClient(quiet):
            waiting = job_queue(quiet).enqueue("purge_finished_jobs", {})
            time.sleep(0.3)
            assert job_queue(quiet).get(waiting.id).status == "queued"
    finally:
        get_database(settings.resolved_database_url).dispose()
        forget_databases()


def test_a_running_job_shows_its_progress(world: World) -> None:
    queue = job_queue(world.app)
    acme = world.practice.get_rep(world.reps["a1_public"]).org_id
    job = queue.enqueue("rescore_rep", {"rep_id": 987656}, org_id=acme)
    assert queue.ledger.claim_next("w-test", lease=300) is not None
    assert queue.ledger.set_progress(job.id, "w-test", 0.4, "call.wav: transcribing Left (0:30 of 1:10)")
    page = login(world.app, "admin_a").get("/admin/jobs").text
    assert '<progress max="1" value="0.4"' in page and "40%" in page
    assert "call.wav: transcribing Left (0:30 of 1:10)" in page
