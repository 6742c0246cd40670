"""Uploading calls (sparring.services.call_uploads) on both database backends: who may upload for whom, the checks
before anything is kept, the rep guessed from the transcript, one job per kept file, and the progress of each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.jobs import JobQueue, TaskRegistry
from sparring.root import Sparring
from sparring.services import call_uploads, calls
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.call_uploads import GUESS, UploadFile
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.records import UserRecord
from sparring.settings import Settings
from sparring.store.db import Database

CALLS = Path(__file__).parents[1] / "fixtures" / "calls"
FORMATS = Sparring(Settings()).formats


def _viewer(user: UserRecord) -> Viewer:
    return Viewer(id=user.id, org_id=user.org_id, role=user.role, name=user.name or user.email, email=user.email)


def _queue(db: Database) -> JobQueue:
    registry = TaskRegistry()
    calls.register(registry)
    return JobQueue(db, registry)


def _file(name: str) -> UploadFile:
    return UploadFile(name, (CALLS / name).read_bytes())


def test_who_may_upload_for_whom_and_the_rep_guessed(db: Database, learner: UserRecord, tmp_path: Path) -> None:
    accounts = Accounts(db)
    maya = accounts.create_user("Acme", "maya@acme.test", None, role="learner", team="East", name="Maya Chen")
    west = accounts.create_user("Acme", "wes@acme.test", None, role="learner", team="West", name="Jordan West")
    manager = accounts.create_user("Acme", "max@acme.test", None, role="manager", team="East", name="Max")
    queue = _queue(db)
    with db.read() as s:
        people = {p.id for p in call_uploads.uploaders_people(s, _viewer(manager))}
        assert people == {learner.id, maya.id, manager.id}
        assert {p.id for p in call_uploads.uploaders_people(s, _viewer(maya))} == {maya.id}
        with pytest.raises(InvalidInput, match="rep"):
            call_uploads.upload_calls(s, queue, tmp_path, _viewer(manager), [_file("zoom-discovery.vtt")],
                                      rep_user=west.id, formats=FORMATS)
        out = call_uploads.upload_calls(s, queue, tmp_path, _viewer(manager),
                                        [_file("zoom-discovery.vtt"), _file("pricing-call.srt")], rep_user=GUESS,
                                        formats=FORMATS)
    # Maya Chen speaks in the Zoom call; nobody of the manager's teams in the pricing call (Jordan is in West)
    assert [(j["file"], j["user_id"]) for j in out.jobs] == [("zoom-discovery.vtt", maya.id)]
    assert out.rejected[0]["file"] == "pricing-call.srt" and "choose the rep" in out.rejected[0]["error"]
    job = queue.get(out.jobs[0]["job_id"])
    assert job.payload["user_id"] == maya.id and job.payload["rep"] == "Maya Chen" and job.org_id == maya.org_id
    assert (tmp_path / "uploads" / job.payload["upload"]).read_bytes() == _file("zoom-discovery.vtt").data


def test_checks_before_anything_is_kept(db: Database, learner: UserRecord, tmp_path: Path) -> None:
    queue = _queue(db)
    big = UploadFile("big.vtt", b"x" * 10, too_large=True)
    with db.read() as s:
        with pytest.raises(InvalidInput, match="files"):
            call_uploads.upload_calls(s, queue, tmp_path, _viewer(learner), [], rep_user=learner.id)
        with pytest.raises(InvalidInput, match="at most"):
            call_uploads.upload_calls(s, queue, tmp_path, _viewer(learner), [big] * (call_uploads.MAX_FILES + 1),
                                      rep_user=learner.id)
        out = call_uploads.upload_calls(s, queue, tmp_path, _viewer(learner),
                                        [big, UploadFile("a.zip", b"PK nope"), UploadFile("../../etc/e.txt", b"")],
                                        rep_user=learner.id)
    assert out.jobs == [] and [r["file"] for r in out.rejected] == ["big.vtt", "a.zip", "e.txt"]
    assert "too large" in out.rejected[0]["error"] and not (tmp_path / "uploads").exists()


def test_progress_reads_the_results_written_so_far(db: Database, learner: UserRecord, tmp_path: Path) -> None:
    queue = _queue(db)
    stranger = Accounts(db).create_user("Globex", "gus@globex.test", None, role="admin")
    with db.read() as s:
        out = call_uploads.upload_calls(s, queue, tmp_path, _viewer(learner), [_file("teams-renewal.vtt")],
                                        rep_user=learner.id)
        job_id = out.jobs[0]["job_id"]
        status = call_uploads.upload_status(s, queue, tmp_path, _viewer(learner), job_id)
        assert (status["status"], status["results"], status["file"]) == ("queued", [], "teams-renewal.vtt")
        upload = queue.get(job_id).payload["upload"]
        partial = {"results": [{"file": "teams-renewal.vtt", "ok": False, "conversation_id": None,
                                "error": "teams-renewal.vtt:3: x"}], "complete": False}
        (tmp_path / "uploads" / upload).with_name("results.json").write_text(json.dumps(partial))
        assert call_uploads.upload_status(s, queue, tmp_path, _viewer(learner), job_id)["failed"] == 1
        with pytest.raises(NotFound):
            call_uploads.upload_status(s, queue, tmp_path, _viewer(stranger), job_id)
        with pytest.raises(NotFound):
            call_uploads.upload_status(s, queue, tmp_path, _viewer(learner), 10**12)
