"""Retention (sparring.services.retention; docs/data-ownership.md, "Retention") on SQLite and PostgreSQL: calls and
practice reps older than their settings are deleted whole (with their turns and scorecards), newer ones and running
reps stay, kept recordings and call uploads older than the audio setting go (a transcript stays, an upload still
being imported stays), nothing happens without a setting, and the nightly task is registered.

Per organisation: an organisation's own periods apply to its data only, the installation's setting is the ceiling
(the shorter wins) and the default of an organisation without its own, an organisation that turned recordings off
loses the kept ones, an upload goes by its organisation's audio period, and the nightly task runs when only an
organisation has a setting, counting per organisation."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from sparring.jobs import TaskContext, TaskRegistry
from sparring.services import retention
from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.store.models import ConversationRow, JobRow, Organisation, ScorecardRow, TurnRow
from sparring.store.retention_models import OrgRetentionRow
from sparring.store.voice_models import SpeechTake

SCENARIO = "test-guarded-buyer"
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def _rep(practice: PracticeService, who: UserRecord, ended_days_ago: int | None) -> int:
    rep = practice.start_rep(who, SCENARIO)
    practice.submit_turn(rep.id, "What would change for you if the checks ran by themselves?")
    if ended_days_ago is not None:
        practice.end_rep(rep.id)
        practice.score_rep(rep.id)
    with practice.db.session() as s:
        if ended_days_ago is not None:
            s.execute(update(ConversationRow).where(ConversationRow.id == rep.conversation_id).values(
                ended_at=NOW - timedelta(days=ended_days_ago)))
    return rep.conversation_id


def _call(db: Database, who: UserRecord, days_ago: int) -> int:
    with db.session() as s:
        ended = NOW - timedelta(days=days_ago)
        row = ConversationRow(source="call", title="Call", user_id=who.id, org_id=who.org_id,
                              started_at=ended - timedelta(hours=1), ended_at=ended)
        s.add(row)
        s.flush()
        s.add(TurnRow(conversation_id=row.id, turn_index=0, speaker="Buyer", role="counterpart", text="Hello"))
        return row.id


def _ids(db: Database) -> set[int]:
    with db.read() as s:
        return set(s.scalars(select(ConversationRow.id)))


def test_old_conversations_go_whole_and_the_rest_stay(db: Database, practice: PracticeService,
                                                      learner: UserRecord, tmp_path: Path) -> None:
    old_rep, new_rep, running = _rep(practice, learner, 40), _rep(practice, learner, 5), _rep(practice, learner, None)
    old_call, new_call = _call(db, learner, 100), _call(db, learner, 10)
    everything = _ids(db)
    assert retention.sweep(db, tmp_path, retention.RetentionPolicy(), NOW).as_dict()["practice"] == 0
    assert _ids(db) == everything  # no setting: nothing goes

    report = retention.sweep(db, tmp_path, retention.RetentionPolicy(call_days=90, practice_days=30), NOW)

    assert (report.calls, report.practice) == (1, 1)
    assert _ids(db) == everything - {old_rep, old_call}
    assert {new_rep, running, new_call} <= _ids(db)
    with db.read() as s:  # nothing of the deleted ones is left behind
        for table, column in ((TurnRow, TurnRow.conversation_id), (ScorecardRow, ScorecardRow.conversation_id)):
            assert s.scalar(select(func.count()).select_from(table).where(column.in_((old_rep, old_call)))) == 0


def test_old_audio_goes_and_the_transcript_stays(db: Database, practice: PracticeService, learner: UserRecord,
                                                 tmp_path: Path) -> None:
    conversation = _rep(practice, learner, 1)
    files = {}
    with db.session() as s:
        for name, age in (("old", 20), ("new", 2)):
            rel = f"voice/{conversation}/{name}.webm"
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_bytes(b"audio")
            take = SpeechTake(conversation_id=conversation, user_id=learner.id, text=f"{name} take", words=[],
                              seconds=1.0, delivery={}, audio_path=rel, created_at=NOW - timedelta(days=age))
            s.add(take)
            files[name] = tmp_path / rel
        s.add(JobRow(task="import_call", payload={"upload": f"{'b' * 24}/call.vtt"}, status="queued", run_at=0.0,
                     created_at=0.0))
    uploads = {}
    for name in ("a" * 24, "b" * 24, "c" * 24):
        folder = tmp_path / "uploads" / name
        folder.mkdir(parents=True)
        (folder / "call.vtt").write_text("WEBVTT", encoding="utf-8")
        uploads[name] = folder
    month_ago = (NOW - timedelta(days=30)).timestamp()
    for name in ("a" * 24, "b" * 24):  # a: imported long ago; b: as old, but its import is still queued
        os.utime(uploads[name], (month_ago, month_ago))

    report = retention.sweep(db, tmp_path, retention.RetentionPolicy(audio_days=7), NOW)

    assert (report.recordings, report.uploads) == (1, 1)
    assert not files["old"].exists() and files["new"].exists()
    assert not uploads["a" * 24].exists() and uploads["b" * 24].exists() and uploads["c" * 24].exists()
    with db.read() as s:
        takes = {t.text: t.audio_path for t in s.scalars(select(SpeechTake))}
    assert takes == {"old take": None, "new take": f"voice/{conversation}/new.webm"}  # the transcript stays


def test_the_nightly_task_is_registered() -> None:
    registry = TaskRegistry()
    retention.register(registry)
    schedule = registry.get("retention_sweep").schedule
    assert schedule is not None and schedule.cron == "40 2 * * *"


# ---- per organisation: each organisation's own periods under the installation's ceiling ----------------------


def _other(db: Database) -> UserRecord:
    return Accounts(db).create_user("Globex", "max@globex.test", None, role="learner", team="North")


def _own(db: Database, who: UserRecord, **values: object) -> str:
    """Give ``who``'s organisation its own retention; return its slug."""
    with db.session() as s:
        s.add(OrgRetentionRow(org_id=who.org_id, **values))
        return str(s.scalar(select(Organisation.slug).where(Organisation.id == who.org_id)))


def _take(db: Database, tmp_path: Path, conversation: int, who: UserRecord, name: str, age_days: int) -> Path:
    rel = f"voice/{conversation}/{name}.webm"
    (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / rel).write_bytes(b"audio")
    with db.session() as s:
        s.add(SpeechTake(conversation_id=conversation, user_id=who.id, text=f"{name} take", words=[], seconds=1.0,
                         delivery={}, audio_path=rel, created_at=NOW - timedelta(days=age_days)))
    return tmp_path / rel


def test_an_organisation_is_swept_by_its_own_periods_and_no_other(db: Database, practice: PracticeService,
                                                                 learner: UserRecord, tmp_path: Path) -> None:
    other = _other(db)
    acme = _own(db, learner, call_days=30)
    old_call, new_call, old_rep = _call(db, learner, 40), _call(db, learner, 10), _rep(practice, learner, 400)
    theirs = {_call(db, other, 40), _call(db, other, 400)}
    everything = _ids(db)

    report = retention.sweep_orgs(db, tmp_path, retention.RetentionPolicy(), NOW)  # no installation setting

    assert _ids(db) == everything - {old_call}
    assert {new_call, old_rep} | theirs <= _ids(db)  # no practice period of its own; Globex set nothing
    assert report.as_dict()["organisations"] == {acme: {"calls": 1, "practice": 0, "recordings": 0, "uploads": 0}}


def test_the_installation_ceiling_wins_when_it_is_shorter(db: Database, practice: PracticeService,
                                                          learner: UserRecord, tmp_path: Path) -> None:
    other = _other(db)
    acme = _own(db, learner, call_days=60, practice_days=10)
    ceiling = retention.RetentionPolicy(call_days=20, practice_days=100)
    acme_call, acme_recent = _call(db, learner, 30), _call(db, learner, 15)
    acme_rep = _rep(practice, learner, 20)  # its own 10 days, shorter than the ceiling's 100
    globex_call, globex_rep = _call(db, other, 30), _rep(practice, other, 20)  # the ceiling is its default

    report = retention.sweep_orgs(db, tmp_path, ceiling, NOW)

    assert {acme_call, acme_rep, globex_call}.isdisjoint(_ids(db))
    assert {acme_recent, globex_rep} <= _ids(db)
    globex = next(slug for slug in report.organisations if slug != acme)
    assert report.organisations[acme]["calls"] == 1 and report.organisations[acme]["practice"] == 1
    assert report.organisations[globex] == {"calls": 1, "practice": 0, "recordings": 0, "uploads": 0}
    assert (report.calls, report.practice) == (2, 1)


def test_an_organisation_that_turned_recordings_off_loses_them_all(db: Database, practice: PracticeService,
                                                                   learner: UserRecord, tmp_path: Path) -> None:
    other = _other(db)
    _own(db, learner, keep_audio=False)
    mine, theirs = _rep(practice, learner, 1), _rep(practice, other, 1)
    fresh = _take(db, tmp_path, mine, learner, "fresh", 0)
    kept = _take(db, tmp_path, theirs, other, "kept", 300)

    report = retention.sweep_orgs(db, tmp_path, retention.RetentionPolicy(), NOW)

    assert report.recordings == 1 and not fresh.exists() and kept.exists()
    with db.read() as s:
        assert {t.text: t.audio_path for t in s.scalars(select(SpeechTake))} == {
            "fresh take": None, "kept take": f"voice/{theirs}/kept.webm"}  # the transcript stays


def test_an_upload_goes_by_its_organisations_audio_period(db: Database, learner: UserRecord, tmp_path: Path) -> None:
    other = _other(db)
    _own(db, learner, audio_days=7)
    month_ago = (NOW - timedelta(days=30)).timestamp()
    folders = {}
    for name, who in (("a" * 24, learner), ("b" * 24, other), ("c" * 24, None)):
        folder = tmp_path / "uploads" / name
        folder.mkdir(parents=True)
        (folder / "call.vtt").write_text("WEBVTT", encoding="utf-8")
        os.utime(folder, (month_ago, month_ago))
        folders[name] = folder
        if who is not None:  # the import that read it (done) names its organisation
            with db.session() as s:
                s.add(JobRow(task="import_call", payload={"upload": f"{name}/call.vtt"}, status="done",
                             org_id=who.org_id, run_at=0.0, created_at=0.0))

    report = retention.sweep_orgs(db, tmp_path, retention.RetentionPolicy(), NOW)

    assert report.uploads == 1 and not folders["a" * 24].exists()
    assert folders["b" * 24].exists() and folders["c" * 24].exists()  # Globex, and nobody's: no period applies


def test_the_nightly_task_runs_for_an_organisations_setting_alone(db: Database, practice: PracticeService,
                                                                  learner: UserRecord, tmp_path: Path) -> None:
    ctx = TaskContext(job_id=1, task="retention_sweep", attempt=1, max_attempts=3, database=db,
                      app=SimpleNamespace(settings=Settings(data_dir=tmp_path)))
    assert retention.retention_sweep(ctx, {}) == {"skipped": "no retention setting"}
    acme = _own(db, learner, practice_days=5)
    old = _rep(practice, learner, None)
    with db.session() as s:  # the task counts from now
        s.execute(update(ConversationRow).where(ConversationRow.id == old).values(
            ended_at=datetime.now(UTC) - timedelta(days=6)))

    result = retention.retention_sweep(ctx, {})

    assert result["practice"] == 1 and result["organisations"][acme]["practice"] == 1
    assert old not in _ids(db)


def test_a_file_that_cannot_be_deleted_is_named_and_tried_again(db: Database, practice: PracticeService,
                                                                 learner: UserRecord, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A permissions error on one recording or upload folder does not stop the sweep nor count as deleted: the
    take keeps its path (the next sweep tries again) and the report and log name the file."""
    conversation = _rep(practice, learner, 1)
    stuck, gone = f"voice/{conversation}/stuck.webm", f"voice/{conversation}/gone.webm"
    with db.session() as s:
        for rel in (stuck, gone):
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_bytes(b"audio")
            s.add(SpeechTake(conversation_id=conversation, user_id=learner.id, text=rel, words=[], seconds=1.0,
                             delivery={}, audio_path=rel, created_at=NOW - timedelta(days=20)))
    folder = tmp_path / "uploads" / ("d" * 24)
    folder.mkdir(parents=True)
    month_ago = (NOW - timedelta(days=30)).timestamp()
    os.utime(folder, (month_ago, month_ago))
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name == "stuck.webm":
            raise PermissionError(13, "Permission denied")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    monkeypatch.setattr(retention.shutil, "rmtree", lambda path, ignore_errors=False: None)

    report = retention.sweep(db, tmp_path, retention.RetentionPolicy(audio_days=7), NOW)

    assert (report.recordings, report.uploads) == (1, 0)
    assert len(report.problems) == 2
    assert "stuck.webm" in report.problems[0] and "Permission denied" in report.problems[0]
    assert "d" * 24 in report.problems[1]
    with db.read() as s:
        paths = {t.text: t.audio_path for t in s.scalars(select(SpeechTake))}
    assert paths == {stuck: stuck, gone: None}
