"""``sparring call import`` and ``sparring call review`` on a recording (the [asr] extra), in-process with the fake
scorer: progress on stderr while the JSON lines stay alone on stdout; the review of an audio call finds the timed
moments (the planted interruption and silence); a mono recording fails naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sparring_test_support as support
from sparring_test_support import fake_cli_engines  # noqa: F401  (fixture)

from sparring.settings import reset_settings_cache
from sparring.testing.speech import CALL_SCRIPT, SynthCall, mono, need_asr, synthesize_call

run = support.run_cli


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> SynthCall:
    need_asr()
    return synthesize_call(CALL_SCRIPT, tmp_path_factory.mktemp("audio") / "call.wav")


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    db_url = f"sqlite:///{tmp_path / 'calls.db'}"
    monkeypatch.setenv("SPARRING_DATABASE_URL", db_url)
    reset_settings_cache()
    return db_url


@pytest.mark.usefixtures("url")
def test_import_a_recording_with_progress_on_stderr(recording: SynthCall, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    flat = mono(recording.path, tmp_path / "flat.wav")
    code, out, err = run(capsys, "call", "import", str(recording.path), str(flat), "--json")
    assert code == 1, err  # the mono file failed; the stereo one is stored
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["ok"] and first["file"] == str(recording.path) and first["conversation_id"] == 1
    assert not second["ok"] and second["error"].startswith(f"{flat}:0: channels: the audio is mono")
    assert f"{recording.path}:   0% decoding the audio" in err
    assert f"{recording.path}: 100% transcribed Right" in err


@pytest.mark.usefixtures("url")
def test_review_of_a_recording_finds_the_timed_moments(recording: SynthCall,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "call", "review", str(recording.path), "--rep", "Left", "--json")
    assert code == 0, err
    doc = json.loads(out)
    turns = doc["conversation"]["turns"]
    assert [t["speaker"] for t in turns] == ["Left", "Right"] * 3 + ["Left"]
    assert all(t["start"] is not None and t["end"] is not None for t in turns)
    kinds = {m["kind"] for m in doc["moments"]}
    assert {"interruption", "long_silence"} <= kinds, kinds
