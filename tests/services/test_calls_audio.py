"""Audio calls through ``CallImporter`` and the ``import_call`` job (sparring.services.calls), on both database
backends: an upload holding a recording and a transcript is imported by the job, which reports its progress while
transcribing; audio has its own size cap (larger than a transcript's), lifted or lowered by the limits."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sparring.jobs import InProcessRunner, JobQueue, TaskRegistry
from sparring.jobs.ledger import JobLedger
from sparring.limits import TranscriptLimits
from sparring.root import Sparring
from sparring.services import calls
from sparring.services.calls import CallImporter, save_upload
from sparring.services.records import UserRecord
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.store.models import ConversationRow, TurnRow
from sparring.testing.fakes import FakeScorer
from sparring.testing.speech import CALL_SCRIPT, SynthCall, need_asr, synthesize_call

CALLS = Path(__file__).parents[1] / "fixtures" / "calls"
FORMATS = Sparring(Settings()).formats


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> SynthCall:
    need_asr()
    return synthesize_call(CALL_SCRIPT, tmp_path_factory.mktemp("audio") / "call.wav")


def _turns(db: Database, conversation_id: int) -> list[tuple[str, float | None, float | None]]:
    with db.read() as s:
        rows = s.execute(select(TurnRow.speaker, TurnRow.start_s, TurnRow.end_s)
                         .where(TurnRow.conversation_id == conversation_id).order_by(TurnRow.turn_index)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_the_import_job_transcribes_an_uploaded_recording_with_progress(
    db: Database, learner: UserRecord, tmp_path: Path, recording: SynthCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Sparring, "scorer", property(lambda self: FakeScorer()))
    registry = TaskRegistry()
    calls.register(registry)
    registry.app = Sparring(Settings(database_url=db.url, data_dir=tmp_path / "data"))
    queue = JobQueue(db, registry)
    told: list[tuple[float, str | None]] = []
    real = JobLedger.set_progress

    def spy(self: JobLedger, job_id: int, worker: str, fraction: float, note: str | None = None) -> bool:
        told.append((fraction, note))
        return real(self, job_id, worker, fraction, note)

    monkeypatch.setattr(JobLedger, "set_progress", spy)
    archive = tmp_path / "week.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(recording.path, "calls/call.wav")
        z.write(CALLS / "zoom-discovery.vtt", "calls/zoom.vtt")
    upload = save_upload(tmp_path / "data", "week.zip", archive.read_bytes())
    job = calls.enqueue_import(queue, upload, learner.id, learner.org_id)  # rep guessed per file
    assert [o.status for o in InProcessRunner(queue, worker_id="t").run_until_idle()] == ["done"]
    done = queue.get(job.id)
    assert done.result is not None and (done.result["ok"], done.result["failed"]) == (2, 0), done.result
    first = done.result["results"][0]
    assert first["file"] == "week.zip:calls/call.wav"
    turns = _turns(db, first["conversation_id"])
    assert [t[0] for t in turns] == ["Left", "Right"] * 3 + ["Left"]
    assert all(start is not None and end is not None and end > start for _, start, end in turns)
    # progress: from decoding to 100 %, each note naming the file as uploaded
    assert told[0] == (0.0, "week.zip:calls/call.wav: decoding the audio")
    assert told[-1] == (pytest.approx(1.0), "week.zip:calls/call.wav: transcribed Right")
    assert [f for f, _ in told] == sorted(f for f, _ in told)
    assert (done.progress, done.progress_note) == (pytest.approx(1.0), "week.zip:calls/call.wav: transcribed Right")
    assert done.as_json()["progress"] == pytest.approx(1.0)


def test_audio_has_its_own_size_cap(db: Database, learner: UserRecord, tmp_path: Path, recording: SynthCall) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "call.wav").write_bytes(recording.path.read_bytes())
    size = recording.path.stat().st_size
    tiny = TranscriptLimits(max_audio_bytes=size - 1)
    importer: Any = CallImporter(db, lambda: FakeScorer(), formats=FORMATS, limits=tiny)  # type: ignore[arg-type,return-value]
    (refused,) = importer.import_paths([folder], learner.id)
    assert not refused.ok and refused.error == f"the file is too large ({size:,} bytes; at most {size - 1:,})"
    with db.read() as s:
        assert s.scalar(select(ConversationRow.id)) is None  # nothing half-done
    # the transcript cap (5 MB by default) does not apply to audio, whose own cap is larger
    assert size < 5_000_000 < calls.DEFAULT_TRANSCRIPT_LIMITS.max_audio_bytes  # type: ignore[operator]
