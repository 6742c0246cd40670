"""Retention (sparring.services.retention; docs/data-ownership.md, "Retention") on SQLite and PostgreSQL: calls and
practice reps older than their settings are deleted whole (with their turns and scorecards), newer ones and running
reps stay, kept recordings and call uploads older than the audio setting go (a transcript stays, an upload still
being imported stays), nothing happens without a setting, and the nightly task is registered."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from sparring.jobs import TaskRegistry
from sparring.services import retention
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import ConversationRow, JobRow, ScorecardRow, TurnRow
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
