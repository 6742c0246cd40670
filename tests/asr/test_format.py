"""The ``audio`` format end to end on a call synthesised with espeak-ng (sparring.asr.format): one speaker per
channel, the words close enough, each turn timed where the script put it, consecutive lines of one speaker merged,
progress reported; mp3 and m4a read like wav; the planted interruption and silence found by the timed signals."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sparring.asr.format import AUDIO
from sparring.conversation.importers import BUILTIN_FORMATS, Formats, ImportedConversation, parse_transcript_bytes
from sparring.review.control import timed
from sparring.review.reading import TurnRead
from sparring.testing.speech import SynthCall, encode, heard

FORMATS = Formats([*BUILTIN_FORMATS.by_name.values(), AUDIO])
#: how far a turn's recognised start or end may be from the script's (s): word times of tiny.en on clean speech
TOLERANCE = 0.75


@pytest.fixture(scope="module")
def transcribed(synth_call: SynthCall) -> tuple[ImportedConversation, list[tuple[float, str]]]:
    told: list[tuple[float, str]] = []
    conv = parse_transcript_bytes(synth_call.path.read_bytes(), str(synth_call.path), formats=FORMATS,
                                  progress=lambda f, n: told.append((f, n)))
    return conv, told


def _expected_turns(synth_call: SynthCall) -> list[tuple[str, str, float, float]]:
    """The script as turns: consecutive lines of one channel merged."""
    out: list[tuple[str, str, float, float]] = []
    for line in synth_call.lines:
        who = ("Left", "Right")[line.channel]
        if out and out[-1][0] == who:
            out[-1] = (who, f"{out[-1][1]} {line.text}", out[-1][2], line.end)
        else:
            out.append((who, line.text, line.start, line.end))
    return out


def test_one_speaker_per_channel_words_and_times(synth_call: SynthCall,
                                                  transcribed: tuple[ImportedConversation, list]) -> None:
    conv, _ = transcribed
    expected = _expected_turns(synth_call)
    assert len(expected) == 7  # "Great." and the question are one turn
    assert [t.speaker for t in conv.turns] == [e[0] for e in expected]
    assert conv.timed and conv.source == "call" and conv.title == "call"
    for turn, (_who, text, start, end) in zip(conv.turns, expected, strict=True):
        assert heard(turn.text, text) >= 0.5, (turn.text, text)  # short lines: a misheard word weighs a lot
        assert turn.start == pytest.approx(start, abs=TOLERANCE), turn
        assert turn.end == pytest.approx(end, abs=TOLERANCE), turn
    said = " ".join(t.text for t in conv.turns)
    assert heard(said, " ".join(line.text for line in synth_call.lines)) >= 0.8
    # the rep is guessed as for any transcript (Sam opens and introduces a company), and said so
    assert conv.roles_guessed and conv.speakers("learner") == ["Left"]
    assert any("transcribed offline from 2 channels" in n for n in conv.notes)


def test_progress_goes_up_to_one(transcribed: tuple[ImportedConversation, list[tuple[float, str]]]) -> None:
    _, told = transcribed
    fractions = [f for f, _ in told]
    assert fractions[0] == 0.0 and fractions[-1] == pytest.approx(1.0)
    assert fractions == sorted(fractions) and len(told) >= 3
    assert told[0][1] == "decoding the audio" and told[-1][1] == "transcribed Right"


def test_the_planted_interruption_and_silence_are_found(transcribed: tuple[ImportedConversation, list]) -> None:
    conv, _ = transcribed
    reads = [TurnRead(t.index, t.speaker, t.role, t.text, t.words, (t.text,), frozenset(), t.start, t.end)
             for t in conv.turns]
    kinds = {f.kind: (f.start, f.end) for f in timed(reads, "Left")}
    assert kinds.get("interruption") == (3, 4)  # Sam cut in on the price objection
    assert kinds.get("long_silence") == (5, 6)  # 7 s of silence before Sam answered


def test_rep_option_names_a_channel(synth_call: SynthCall) -> None:
    conv = parse_transcript_bytes(synth_call.path.read_bytes(), "call.wav", formats=FORMATS, rep="Right")
    assert not conv.roles_guessed and conv.speakers("learner") == ["Right"]


@pytest.mark.parametrize("suffix", [".mp3", ".m4a"])
def test_mp3_and_m4a_read_like_wav(synth_call: SynthCall, tmp_path: Path, suffix: str) -> None:
    copy = tmp_path / "call.wav"
    copy.write_bytes(synth_call.path.read_bytes())
    encoded = encode(copy, suffix)
    conv = parse_transcript_bytes(encoded.read_bytes(), str(encoded), formats=FORMATS)
    assert [t.speaker for t in conv.turns] == ["Left", "Right"] * 3 + ["Left"]
    assert heard(" ".join(t.text for t in conv.turns), " ".join(line.text for line in synth_call.lines)) >= 0.7


def test_phone_quality_8khz_keeps_speakers_and_times(synth_call: SynthCall, tmp_path: Path) -> None:
    """Call recorders often write 8 kHz WAV: resampled to 16 kHz, still one speaker per channel and the same times;
    fewer words are recognised (docs/calls.md, "Audio": accuracy)."""
    phone = tmp_path / "phone.wav"
    subprocess.run(["sox", str(synth_call.path), "-r", "8000", str(phone)], check=True, capture_output=True)
    conv = parse_transcript_bytes(phone.read_bytes(), str(phone), formats=FORMATS)
    expected = _expected_turns(synth_call)
    assert [t.speaker for t in conv.turns] == [e[0] for e in expected]
    for turn, (_who, _text, start, end) in zip(conv.turns, expected, strict=True):
        assert turn.start == pytest.approx(start, abs=TOLERANCE) and turn.end == pytest.approx(end, abs=TOLERANCE)
    assert heard(" ".join(t.text for t in conv.turns), " ".join(line.text for line in synth_call.lines)) >= 0.6


def test_more_channels_are_numbered_and_a_silent_one_is_noted(synth_call: SynthCall, tmp_path: Path) -> None:
    three = tmp_path / "three.wav"
    subprocess.run(["sox", str(synth_call.path), str(three), "remix", "1", "2", "1v0"], check=True,
                   capture_output=True)
    conv = parse_transcript_bytes(three.read_bytes(), str(three), formats=FORMATS)
    assert conv.speakers() == ["Channel 1", "Channel 2"]
    assert "no speech recognised on Channel 3" in conv.notes
