"""A malformed file of every transcript format a call can come in: the error names the file, the line and the
field (CONTRACT.md: ``FILE:LINE: field: message``), through the formats an installed application reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.conversation.errors import TranscriptError
from sparring.conversation.importers import read_transcript
from sparring.root import Sparring
from sparring.settings import Settings
from sparring.testing.speech import need_asr

FORMATS = Sparring(Settings()).formats

CASES = {
    # format: (file name, content, line, field, words in the message)
    "txt": ("call.txt", "Ana: Hello.\nthis line names nobody\nBob: Hi.\n", 2, "turn", "expected 'Speaker: text'"),
    "json": ("call.json", '{"turns": [\n  {"speaker": "Ana", "text": "Hello."},\n  {"speaker": "", "text": "Hi."}\n]}',
             3, "turns[1].speaker", "non-empty string"),
    "srt-cue": ("call.srt", "1\n00:00:01,000 --> 00:00:02,000\nAna: Hello.\n\nxx\nyy\n", 5, "srt",
                "not a valid SRT cue"),
    "vtt-cue": ("call.vtt", "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nAna: Hello.\n\n2\n00:00:03.000 -> "
                "00:00:04.000\nBob: Hi.\n", 8, "timing", "HH:MM:SS.mmm"),
    "vtt": ("call.vtt", "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nAna: Hello.\n\n2\n00:00:03.000 --> 00:00:04.000\n"
            "Bob: Hi.\n\n3\n00:00:05,000 --> 00:00:06.000\nAna: Well?\n", 12, "timing", "HH:MM:SS.mmm"),
    "srt": ("call.srt", "1\n00:00:01,000 --> 00:00:02,000\nAna: Hello.\n\n2\n00:00:03,000 --> later\nBob: Hi.\n", 6,
            "timing", "HH:MM:SS,mmm"),
    "otter": ("call.txt", "Ana Lopez  0:01\nHello there.\n\nBob Stone  0:05\nHi.\n\nBob Stone  0:03\nWait.\n", 7,
              "time", "starts before the turn above"),
    "segments-json": ("call.json", '{"segments": [\n {"speaker": "S0", "start": 0, "end": 1, "text": "Hello."},\n'
                      ' {"speaker": "S1", "start": "soon", "end": 2, "text": "Hi."}\n]}', 3, "segments[1].start",
                      "must be a time"),
    "utterances-json": ("call.json", '{"utterances": [\n {"speaker": "A", "start": 0, "end": 900, "text": "Hi."},\n'
                        ' {"speaker": "B", "start": 2000, "end": 1000, "text": "Hello."}\n]}', 3,
                        "utterances[1].end", "before start"),
    "sentences-json": ("call.json", '{"data": {"transcript": {"sentences": [\n'
                       ' {"speaker_name": "Ana", "text": "Hello.", "start_time": 0, "end_time": 1},\n'
                       ' {"speaker_name": "Bob", "start_time": 1, "end_time": 2}\n]}}}', 3,
                       "data.transcript.sentences[1].text", "a string is required"),
    # a recording (the [asr] extra): the file as a whole, line 0
    "audio": ("call.wav", "RIFF, but not really a recording\n", 0, "audio", "not a readable audio file"),
}


def test_every_format_an_application_reads_has_a_malformed_case() -> None:
    assert set(FORMATS.names()) == {name.split("-cue")[0] for name in CASES}


@pytest.mark.parametrize("fmt", sorted(CASES))
def test_a_malformed_file_names_file_line_and_field(fmt: str, tmp_path: Path) -> None:
    name, content, line, field, words = CASES[fmt]
    if fmt == "audio":
        need_asr()
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert FORMATS.for_file(path.suffix, content) == fmt.split("-cue")[0]
    with pytest.raises(TranscriptError) as exc:
        read_transcript(path, formats=FORMATS)
    problem = exc.value.problems[0]
    assert (problem.file, problem.line, problem.field) == (str(path), line, field), str(problem)
    assert words in problem.message
    assert str(problem).startswith(f"{path}:{line}: {field}: ")


@pytest.mark.parametrize("fmt", ["segments-json", "utterances-json", "sentences-json"])
def test_a_recorder_json_that_is_not_json_names_the_line(fmt: str, tmp_path: Path) -> None:
    key = {"segments-json": "segments", "utterances-json": "utterances", "sentences-json": "sentences"}[fmt]
    path = tmp_path / "broken.json"
    path.write_text(f'{{"{key}": [\n  {{"speaker": "A", "text": "hi"}},\n  oops\n]}}', encoding="utf-8")
    with pytest.raises(TranscriptError) as exc:
        read_transcript(path, formats=FORMATS)
    (problem,) = exc.value.problems
    assert (problem.line, problem.field) == (3, "json")


def test_an_otter_file_with_text_before_the_first_header(tmp_path: Path) -> None:
    path = tmp_path / "otter.txt"
    path.write_text("Ana Lopez  0:01\nHello.\n", encoding="utf-8")
    assert read_transcript(path, formats=FORMATS).turns[0].text == "Hello."
    path.write_text("Meeting notes\nAna Lopez  0:01\nHello.\n", encoding="utf-8")
    # the first line is not a header, so this is not recognised as Otter: the plain reader names line 1
    with pytest.raises(TranscriptError) as exc:
        read_transcript(path, formats=FORMATS)
    assert (exc.value.problems[0].line, exc.value.problems[0].field) == (1, "turn")
    with pytest.raises(TranscriptError) as exc:
        read_transcript(path, formats=FORMATS, fmt="otter")
    assert (exc.value.problems[0].line, exc.value.problems[0].field) == (1, "speaker")


def test_too_deeply_nested_recorder_json_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"segments": ' + "[" * 200 + "]" * 200 + "}", encoding="utf-8")
    with pytest.raises(TranscriptError) as exc:
        read_transcript(path, formats=FORMATS)
    assert exc.value.problems[0].field == "json" and "nested too deeply" in exc.value.problems[0].message


def test_a_call_timed_past_the_longest_call_is_refused_at_its_line(tmp_path: Path) -> None:
    from sparring.limits import TranscriptLimits

    # AssemblyAI writes milliseconds; the same numbers as seconds would put the call's end at 17 hours
    path = tmp_path / "seconds.json"
    path.write_text('{"turns": [\n {"speaker": "Ana", "text": "Hi.", "start": 240, "end": 2130},\n'
                    ' {"speaker": "Bob", "text": "Hello.", "start": 2500, "end": 61200}\n]}', encoding="utf-8")
    with pytest.raises(TranscriptError) as exc:
        read_transcript(path, formats=FORMATS)
    (problem,) = exc.value.problems
    assert (problem.line, problem.field) == (3, "time")
    assert problem.message.startswith("timed at 17:00:00, past the longest call read (12:00:00)")
    assert read_transcript(path, formats=FORMATS, limits=TranscriptLimits.unlimited()).turns[1].end == 61200
