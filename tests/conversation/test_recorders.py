"""The call recorders' export shapes (sparring.conversation.recorders): each read from a fixture written for the
purpose in tests/fixtures/calls/, recognised among the files of its suffix, merged per speaker, timed in seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.conversation.errors import TranscriptError
from sparring.conversation.importers import BUILTIN_FORMATS, TXT, Formats, parse_transcript, read_transcript
from sparring.conversation.recorders import OTTER, SEGMENTS_JSON, SENTENCES_JSON, UTTERANCES_JSON, element_lines
from sparring.root import Sparring
from sparring.settings import Settings

CALLS = Path(__file__).parents[1] / "fixtures" / "calls"
FORMATS = Sparring(Settings()).formats


def _read(name: str, **kw: object) -> tuple[str | None, list[tuple[str, str, float | None, float | None]]]:
    path = CALLS / name
    conv = read_transcript(path, formats=FORMATS, **kw)  # type: ignore[arg-type]
    fmt = FORMATS.for_file(path.suffix, path.read_text(encoding="utf-8"))
    return fmt, [(t.speaker, t.text, t.start, t.end) for t in conv.turns]


def test_the_recorder_formats_are_entry_points_of_the_installed_package() -> None:
    assert {"otter", "segments-json", "utterances-json", "sentences-json"} <= set(FORMATS.names())
    assert FORMATS.for_suffix(".json") == "json" and FORMATS.for_suffix(".txt") == "txt"


def test_otter_text_headers_give_speakers_and_starts_without_inventing_ends() -> None:
    fmt, turns = _read("otter-coaching.txt")
    assert fmt == "otter"
    assert turns[0] == ("Dana Okafor", "Thanks for making time for our coaching session. What would you like to "
                                       "work on today?", 2.0, None)
    assert turns[2] == ("Dana Okafor", "What happens in the last five minutes of those calls? Take me through the "
                                       "most recent one.", 15.0, None)
    assert turns[4][2] == 3723.0  # 1:02:03
    conv = read_transcript(CALLS / "otter-coaching.txt", formats=FORMATS)
    assert not conv.timed  # a start without an end: timed metrics stay "not available"


def test_whisperx_segments_merge_consecutive_segments_of_one_speaker() -> None:
    fmt, turns = _read("whisperx-segments.json")
    assert fmt == "segments-json"
    assert [t[0] for t in turns] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00", "SPEAKER_01"]
    assert turns[3] == ("SPEAKER_01", "Our reporting takes a week every month. And the numbers still disagree.",
                        10.6, 18.4)


def test_assemblyai_utterances_are_in_milliseconds_and_deepgram_in_seconds() -> None:
    fmt, turns = _read("assemblyai-utterances.json")
    assert fmt == "utterances-json"
    assert turns[0] == ("Speaker A", "Hi, I'm Sara from Copperleaf.", 0.24, 2.13)
    fmt, turns = _read("deepgram-utterances.json")
    assert fmt == "utterances-json"
    assert turns[2] == ("Speaker 0", "How are you handling renewals today?", 5.5, 9.0)
    assert turns[1][0] == "Speaker 1"


def test_fireflies_sentences_take_the_name_a_speaker_id_has_elsewhere() -> None:
    fmt, turns = _read("fireflies-sentences.json", rep="Rita")
    assert fmt == "sentences-json"
    assert turns[0] == ("Rita Gomez", "Thanks for taking the time, Ben. What does a bad week look like for your "
                                      "team?", 0.9, 5.4)
    # the last sentence has "speaker_name": null and speaker_id 1, which is Ben Ode: one merged turn
    assert turns[1] == ("Ben Ode", "Orders slip because nobody sees stock levels. We lose two or three customers "
                                   "a month.", 5.9, 12.0)


def test_zoom_and_teams_webvtt_variants() -> None:
    fmt, zoom = _read("zoom-discovery.vtt")
    assert fmt == "vtt" and zoom[0][0] == "Maya Chen" and zoom[1] == ("Tom Fischer", "Sure. We've got about twenty "
                                                                                     "minutes.", 6.3, 9.1)
    # Zoom cues 4 and 5 are both Tom's: one turn
    assert zoom[3][1].endswith("the whole plan falls apart.") and zoom[3][2:] == (15.2, 25.4)
    fmt, teams = _read("teams-renewal.vtt")
    assert fmt == "vtt" and [t[0] for t in teams[:2]] == ["Priya Nair", "Alex Romero"]
    assert teams[3][1] == ("Fewer escalations. We had forty last quarter and I can't tell if that's better. Our old "
                           "vendor never reported it.")


def test_a_contract_json_transcript_is_not_taken_for_a_recorder_shape() -> None:
    text = '{"turns": [{"speaker": "A", "text": "Tell me about the segments you sell to?"}, ' \
           '{"speaker": "B", "text": "Mostly utterances and sentences."}]}'
    assert FORMATS.for_file(".json", text) == "json"
    assert FORMATS.sniff(text) == "json"


def test_without_a_suffix_the_content_decides() -> None:
    text = (CALLS / "otter-coaching.txt").read_text(encoding="utf-8")
    assert FORMATS.sniff(text) == "otter"
    assert FORMATS.sniff((CALLS / "deepgram-utterances.json").read_text(encoding="utf-8")) == "utterances-json"


def test_plain_whisper_segments_without_speakers_are_refused_with_the_reason() -> None:
    text = '{"segments": [\n {"start": 0, "end": 1, "text": "hello"},\n {"start": 1, "end": 2, "text": "hi"}\n]}'
    with pytest.raises(TranscriptError) as exc:
        parse_transcript(text, "segments-json", file="w.json", formats=FORMATS)
    (problem,) = exc.value.problems
    assert (problem.file, problem.line, problem.field) == ("w.json", 2, "segments[0].speaker")
    assert "no speaker labels" in problem.message


def test_element_lines_follow_the_path_not_other_arrays() -> None:
    text = '{"speakers": [{"id": 1}],\n "data": {"transcript": {"sentences": [\n  {"a": 1},\n  {"b": [{"c": 2}]}]}}}'
    assert element_lines(text, ("data", "transcript", "sentences")) == [3, 4]
    assert element_lines(text, ("speakers",)) == [1]


def test_a_format_list_without_the_recorders_reads_the_default_of_the_suffix() -> None:
    assert BUILTIN_FORMATS.for_file(".txt", "Dana Okafor  0:02\nHello\n") == "txt"
    only = Formats([OTTER, TXT, SEGMENTS_JSON, UTTERANCES_JSON, SENTENCES_JSON])
    assert only.for_file(".txt", "Dana Okafor  0:02\nHello\n") == "otter"
    assert only.for_file(".json", '{"turns": []}') == "segments-json"  # no plain JSON here: the first claimant
