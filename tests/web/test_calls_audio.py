"""A recording uploaded in the browser's upload (``POST /api/calls``; docs/calls.md, "Audio"): kept under the audio
cap (larger than a transcript's), transcribed by the import job, its status carrying the progress while it runs,
and stored as a timed call with one speaker per channel. Needs the ``[asr]`` extra and espeak-ng (skipped
without them here; CI installs both and fails instead)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.jobs import InProcessRunner
from sparring.jobs.ledger import JobLedger
from sparring.services import call_uploads
from sparring.testing.speech import CALL_SCRIPT, SynthCall, need_asr, synthesize_call
from sparring.testing.web import World, csrf_of, login
from sparring.web.app import job_queue


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> SynthCall:
    need_asr()
    return synthesize_call(CALL_SCRIPT, tmp_path_factory.mktemp("audio") / "call.wav")


def test_audio_has_its_own_cap() -> None:
    assert call_uploads.file_limit("Call.WAV") == call_uploads.MAX_AUDIO_BYTES > call_uploads.MAX_FILE_BYTES
    assert call_uploads.file_limit("call.m4a") == call_uploads.MAX_AUDIO_BYTES
    assert call_uploads.file_limit("call.vtt") == call_uploads.MAX_FILE_BYTES
    assert call_uploads.MAX_REQUEST_BYTES > call_uploads.MAX_AUDIO_BYTES


def test_a_recording_is_uploaded_transcribed_with_progress_and_reviewed(
        world: World, recording: SynthCall, monkeypatch: pytest.MonkeyPatch) -> None:
    c = login(world.app, "manager_a")
    page = c.get("/calls/upload").text
    assert ".wav" in page and "per recording" in page  # the extra is installed: the page says recordings work
    seen: list[dict[str, object]] = []
    real = JobLedger.set_progress

    def spy(self: JobLedger, job_id: int, worker: str, fraction: float, note: str | None = None) -> bool:
        done = real(self, job_id, worker, fraction, note)
        seen.append(c.get(f"/api/calls/uploads/{job_id}").json())  # what the page polls, mid-transcription
        return done

    monkeypatch.setattr(JobLedger, "set_progress", spy)
    r = c.post("/api/calls", data={"rep": str(world.users["learner_a1"]), "rep_name": "Left"},
               files=[("files", ("call.wav", Path(recording.path).read_bytes(), "audio/wav"))],
               headers={"X-CSRF-Token": csrf_of(page)})
    assert r.status_code == 202, r.text
    job = r.json()["jobs"][0]["job_id"]
    InProcessRunner(job_queue(world.app), worker_id="test-audio-upload").run_until_idle()
    running = [s for s in seen if s["status"] == "importing"]
    assert running and all(isinstance(s["progress"], float) and 0 <= s["progress"] <= 1 for s in running)
    assert any(s["progress_note"] for s in running)
    status = c.get(f"/api/calls/uploads/{job}").json()
    assert status["status"] == "done" and status["ok"] == 1 and status["progress"] is None, status
    doc = c.get(f"/api/calls/{status['results'][0]['conversation_id']}").json()
    conv = doc["conversation"]
    assert conv["timed"] is True and {t["speaker"] for t in conv["turns"]} == {"Left", "Right"}
    assert conv["rep"] == "Left"
