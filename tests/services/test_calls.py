"""Importing real calls (sparring.services.calls) on both database backends: every file on its own and
all-or-nothing, routed to a rubric, scored and stored as a conversation of source ``call``; the ``import_call`` job
over a stored upload, repeated safely."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sparring.content.library import get_library
from sparring.content.rubric import Rubric
from sparring.conversation.model import Conversation
from sparring.jobs import InProcessRunner, JobQueue, TaskRegistry
from sparring.root import Sparring
from sparring.services import calls
from sparring.services.calls import CallImporter, save_upload
from sparring.services.errors import NotFound
from sparring.services.records import UserRecord
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.store.models import ConversationRow, ParticipantRow, ScorecardRow, TurnRow
from sparring.testing.fakes import FakeScorer

CALLS = Path(__file__).parents[1] / "fixtures" / "calls"
FORMATS = Sparring(Settings()).formats
BAD_VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAna: Hi.\n\n2\n00:00:03.000 --> 00:0x:04.000\nBob: Hello.\n"


def _importer(db: Database, scorer: object = None) -> CallImporter:
    return CallImporter(db, lambda: scorer or FakeScorer(), formats=FORMATS)  # type: ignore[return-value,arg-type]


def _stored(db: Database) -> list[tuple[str, str, str | None, int]]:
    with db.read() as s:
        rows = s.execute(select(ConversationRow.title, ConversationRow.source, ConversationRow.rubric_id,
                                ConversationRow.user_id).order_by(ConversationRow.id)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _count(db: Database, model: type) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_folder_with_a_bad_file_keeps_the_others(db: Database, learner: UserRecord, tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    for name in ("zoom-discovery.vtt", "teams-renewal.vtt", "pricing-call.srt", "otter-coaching.txt"):
        shutil.copy(CALLS / name, folder / name)
    (folder / "broken.vtt").write_text(BAD_VTT, encoding="utf-8")
    seen: list[str] = []
    results = _importer(db).import_paths([folder], learner.id, on_result=lambda r: seen.append(r.file))
    assert seen == [r.file for r in results]
    by_name = {Path(r.file).name: r for r in results}
    assert sorted(by_name) == ["broken.vtt", "otter-coaching.txt", "pricing-call.srt", "teams-renewal.vtt",
                               "zoom-discovery.vtt"]
    bad = by_name["broken.vtt"]
    assert not bad.ok and bad.conversation_id is None
    assert bad.error == f"{folder / 'broken.vtt'}:8: timing: expected 'HH:MM:SS.mmm --> HH:MM:SS.mmm', got " \
                        "'00:00:03.000 --> 00:0x:04.000'"
    assert all(r.ok and r.conversation_id for n, r in by_name.items() if n != "broken.vtt")
    assert by_name["teams-renewal.vtt"].as_json() == {"file": str(folder / "teams-renewal.vtt"), "ok": True,
                                                      "conversation_id": by_name["teams-renewal.vtt"].conversation_id,
                                                      "error": None}
    stored = _stored(db)
    assert len(stored) == 4 and {s[1] for s in stored} == {"call"} and {s[3] for s in stored} == {learner.id}
    assert dict((t, r) for t, _s, r, _u in stored) == {
        "otter-coaching": "coaching-conversation", "pricing-call": "sales-objection-handling",
        "teams-renewal": "renewal-value", "zoom-discovery": "discovery"}
    assert _count(db, ScorecardRow) == 4
    # the rep's turns are linked to the rep's account; the routed rubric's reason is reported
    with db.read() as s:
        cid = by_name["zoom-discovery.vtt"].conversation_id
        parts = s.execute(select(ParticipantRow.name, ParticipantRow.role, ParticipantRow.user_id)
                          .where(ParticipantRow.conversation_id == cid)).all()
        starts = list(s.scalars(select(TurnRow.start_s).where(TurnRow.conversation_id == cid)
                                .order_by(TurnRow.turn_index)))
    assert sorted(tuple(p) for p in parts) == [("Maya Chen", "learner", learner.id), ("Tom Fischer", "counterpart",
                                                                                        None)]
    assert starts[:3] == [1.2, 6.3, 9.5]
    route = by_name["zoom-discovery.vtt"].route
    assert route is not None and route.call_type == "discovery" and "discovery" in route.reason


def test_a_zip_with_one_bad_member_and_an_unsafe_zip(db: Database, learner: UserRecord, tmp_path: Path) -> None:
    archive = tmp_path / "week.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(CALLS / "whisperx-segments.json", "calls/whisperx-segments.json")
        z.write(CALLS / "fireflies-sentences.json", "calls/fireflies-sentences.json")
        z.writestr("calls/broken.vtt", BAD_VTT)
    results = _importer(db).import_paths([archive], learner.id)
    assert [(r.file, r.ok) for r in results] == [(f"{archive}:calls/broken.vtt", False),
                                                 (f"{archive}:calls/fireflies-sentences.json", True),
                                                 (f"{archive}:calls/whisperx-segments.json", True)]
    assert (results[0].error or "").startswith(f"{archive}:calls/broken.vtt:8: timing:")
    assert [t for t, *_ in _stored(db)] == ["fireflies-sentences", "whisperx-segments"]
    unsafe = tmp_path / "unsafe.zip"
    with zipfile.ZipFile(unsafe, "w") as z:
        z.write(CALLS / "zoom-discovery.vtt", "zoom-discovery.vtt")
        z.writestr("../../escape.vtt", BAD_VTT)
    (result,) = _importer(db).import_paths([unsafe], learner.id)
    assert not result.ok and result.file == str(unsafe) and "unsafe zip archive refused" in (result.error or "")
    assert len(_stored(db)) == 2  # nothing of the unsafe archive


def test_a_failing_scorer_stores_nothing_of_that_file(db: Database, learner: UserRecord) -> None:
    class Exploding:
        name = "boom"

        def score(self, conversation: Conversation, rubric: Rubric) -> object:
            if "Maya Chen" in conversation.speakers():
                raise RuntimeError("the judge timed out")
            return FakeScorer().score(conversation, rubric)

    results = _importer(db, Exploding()).import_paths([CALLS / "zoom-discovery.vtt", CALLS / "pricing-call.srt"],
                                                      learner.id)
    assert [(r.ok, r.error) for r in results] == [(False, "RuntimeError: the judge timed out"), (True, None)]
    assert [t for t, *_ in _stored(db)] == ["pricing-call"]
    assert _count(db, TurnRow) == 5  # the pricing call's turns only


def test_the_rep_option_and_an_unknown_rep(db: Database, learner: UserRecord) -> None:
    (ok,) = _importer(db).import_paths([CALLS / "zoom-discovery.vtt"], learner.id, rep="tom")
    assert ok.ok and ok.rep == "Tom Fischer" and "given with --rep" in ok.notes[0]
    (bad,) = _importer(db).import_paths([CALLS / "pricing-call.srt"], learner.id, rep="Maya")
    assert not bad.ok and "--rep 'Maya' names no speaker" in (bad.error or "")
    assert _count(db, ConversationRow) == 1


def test_a_given_rubric_wins_over_routing(db: Database, learner: UserRecord) -> None:
    (by_id,) = _importer(db).import_paths([CALLS / "teams-renewal.vtt"], learner.id, rubric="discovery")
    assert by_id.ok and by_id.route is not None and by_id.route.call_type == "renewal"
    loaded = get_library().rubric("motivational-interviewing")
    (by_rubric,) = _importer(db).import_paths([CALLS / "teams-renewal.vtt"], learner.id, rubric=loaded)
    assert [r for _t, _s, r, _u in _stored(db)] == ["discovery", "motivational-interviewing"]
    assert by_rubric.ok
    (unknown,) = _importer(db).import_paths([CALLS / "teams-renewal.vtt"], learner.id, rubric="no-such-rubric")
    assert not unknown.ok and "no-such-rubric" in (unknown.error or "")


def test_an_unknown_user_is_refused_before_any_file(db: Database) -> None:
    with pytest.raises(NotFound):
        _importer(db).import_paths([CALLS / "teams-renewal.vtt"], 4242)


# ---- the job task ---------------------------------------------------------------------------------------------
def _queue(db: Database, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> JobQueue:
    monkeypatch.setattr(Sparring, "scorer", property(lambda self: FakeScorer()))
    registry = TaskRegistry()
    calls.register(registry)
    registry.app = Sparring(Settings(database_url=db.url, data_dir=data_dir))
    return JobQueue(db, registry)


def test_the_import_job_imports_an_upload_once(db: Database, learner: UserRecord, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    queue = _queue(db, data_dir, monkeypatch)
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(CALLS / "zoom-discovery.vtt", "a/zoom-discovery.vtt")
        z.writestr("a/broken.vtt", BAD_VTT)
    upload = save_upload(data_dir, "../../Week 12 calls.zip", archive.read_bytes())
    assert upload.endswith("/Week 12 calls.zip") and (data_dir / "uploads" / upload).is_file()
    job = calls.enqueue_import(queue, upload, learner.id, learner.org_id, rep="Maya")
    assert calls.enqueue_import(queue, upload, learner.id, learner.org_id).id == job.id  # one job per upload
    assert [o.status for o in InProcessRunner(queue, worker_id="t").run_until_idle()] == ["done"]
    result = queue.get(job.id).result
    assert result is not None and (result["ok"], result["failed"], result["complete"]) == (1, 1, True)
    assert [(r["file"], r["ok"]) for r in result["results"]] == [("Week 12 calls.zip:a/broken.vtt", False),
                                                                ("Week 12 calls.zip:a/zoom-discovery.vtt", True)]
    # run again (at-least-once delivery): the first run's results, nothing stored twice
    again = calls.import_call_task(_ctx(queue, job.id), job.payload)
    assert again == result and _count(db, ConversationRow) == 1


def test_a_job_cut_short_skips_what_it_stored(db: Database, learner: UserRecord, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    queue = _queue(db, data_dir, monkeypatch)
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(CALLS / "zoom-discovery.vtt", "1.vtt")
        z.write(CALLS / "pricing-call.srt", "2.srt")
    upload = save_upload(data_dir, "two.zip", archive.read_bytes())
    (first,) = _importer(db).import_paths([CALLS / "zoom-discovery.vtt"], learner.id)
    folder = data_dir / "uploads" / upload.split("/")[0]
    earlier = {"file": "two.zip:1.vtt", "ok": True, "conversation_id": first.conversation_id, "error": None}
    (folder / "results.json").write_text(json.dumps({"results": [earlier], "complete": False}), encoding="utf-8")
    result = calls.import_call_task(_ctx(queue, 1), {"upload": upload, "user_id": learner.id})
    assert [(r["file"], r["ok"]) for r in result["results"]] == [("two.zip:1.vtt", True), ("two.zip:2.srt", True)]
    assert result["results"][0]["conversation_id"] == first.conversation_id
    assert _count(db, ConversationRow) == 2


@pytest.mark.parametrize("upload", ["../../etc/passwd", "abc/x.vtt", None, "0" * 24 + "/../x"])
def test_a_bad_upload_id_fails_the_job_at_once(db: Database, learner: UserRecord, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, upload: object) -> None:
    from sparring.jobs import PermanentError

    queue = _queue(db, tmp_path / "data", monkeypatch)
    with pytest.raises(PermanentError):
        calls.import_call_task(_ctx(queue, 1), {"upload": upload, "user_id": learner.id})


def _ctx(queue: JobQueue, job_id: int) -> object:
    from sparring.jobs.registry import TaskContext

    return TaskContext(job_id=job_id, task=calls.TASK, attempt=2, max_attempts=3, database=queue.database, org_id=None,
                       app=queue.registry.app)


def test_the_import_job_refuses_a_user_of_another_organisation(db: Database, learner: UserRecord, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from sparring.jobs import PermanentError
    from sparring.jobs.registry import TaskContext
    from sparring.services.accounts import Accounts

    other = Accounts(db).create_user("Globex", "max@globex.test", None, role="learner")
    queue = _queue(db, tmp_path / "data", monkeypatch)
    upload = save_upload(tmp_path / "data", "call.vtt", (CALLS / "zoom-discovery.vtt").read_bytes())
    ctx = TaskContext(job_id=1, task=calls.TASK, attempt=1, max_attempts=3, database=db, org_id=other.org_id,
                      app=queue.registry.app)
    with pytest.raises(PermanentError, match="is not in organisation"):
        calls.import_call_task(ctx, {"upload": upload, "user_id": learner.id})
    assert _count(db, ConversationRow) == 0
