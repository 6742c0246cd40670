from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.conversation.errors import TranscriptError
from sparring.conversation.importers import parse_transcript, read_transcript, sniff_format

TXT = """# a practice transcript
# roles: Ana=learner, Bob=counterpart

Bob: We're thinking of leaving.
Ana: What's driving that?
Bob: Price, mostly: the renewal went up.
"""


def test_plain_text_with_roles_header() -> None:
    conv = parse_transcript(TXT, "txt")
    assert [(t.speaker, t.role) for t in conv.turns] == [("Bob", "counterpart"), ("Ana", "learner"),
                                                        ("Bob", "counterpart")]
    assert conv.turns[2].text == "Price, mostly: the renewal went up."
    assert not conv.roles_guessed
    assert not conv.timed


def test_bad_line_names_the_line() -> None:
    with pytest.raises(TranscriptError) as exc:
        parse_transcript("Ana: hello\nthis line has no speaker\nBob: hi\n", "txt", file="t.txt")
    (problem,) = exc.value.problems
    assert (problem.file, problem.line, problem.field) == ("t.txt", 2, "turn")
    assert "expected 'Speaker: text'" in problem.message


def test_empty_transcript_is_an_error() -> None:
    with pytest.raises(TranscriptError, match="no turns"):
        parse_transcript("# only a comment\n\n", "txt")


def test_bad_roles_header() -> None:
    with pytest.raises(TranscriptError) as exc:
        parse_transcript("# roles: Ana=boss\nAna: hi\n", "txt", file="x.txt")
    assert exc.value.problems[0].line == 1 and exc.value.problems[0].field == "roles"


def test_persona_rule_first_non_persona_speaker_is_learner() -> None:
    conv = parse_transcript("Dana: Hi.\nLee: Hello Dana.\nSam: Me too.\n", "txt", persona_name="Dana",
                            source="practice")
    roles = {t.speaker: t.role for t in conv.turns}
    assert roles == {"Dana": "counterpart", "Lee": "learner", "Sam": "other"}


def test_rep_flag_and_unknown_rep() -> None:
    text = "Kim Lee: Hello.\nJo: Hi, what do you need?\n"
    conv = parse_transcript(text, "txt", rep="kim")
    assert conv.turns[0].role == "learner" and conv.turns[1].role == "counterpart"
    assert "given with --rep" in conv.role_note
    with pytest.raises(TranscriptError) as exc:
        parse_transcript(text, "txt", rep="Zed")
    assert exc.value.problems[0].field == "rep" and "Kim Lee" in exc.value.problems[0].message


def test_heuristic_guess_is_exposed() -> None:
    text = ("Buyer: Hello?\nSeller: Hi, this is Sam from Acme. Do you have a minute?\nBuyer: Sure.\n"
            "Seller: How do you handle scheduling today?\nBuyer: Spreadsheets.\n")
    conv = parse_transcript(text, "txt")
    assert conv.roles_guessed
    assert {t.speaker: t.role for t in conv.turns}["Seller"] == "learner"
    assert "guessed" in conv.role_note and "--rep" in conv.role_note


def test_json_with_timing_and_roles() -> None:
    doc = {"turns": [
        {"speaker": "A", "role": "learner", "text": "Hi there", "start": 0, "end": 1.5},
        {"speaker": "B", "role": "counterpart", "text": "Hello", "start": 2.0, "end": 3.0},
    ]}
    conv = parse_transcript(json.dumps(doc, indent=2), "json")
    assert conv.timed and conv.turns[1].start == 2.0 and conv.turns[0].role == "learner"


def test_json_errors_name_turn_and_line() -> None:
    text = '{"turns": [\n  {"speaker": "A", "text": "hi"},\n  {"speaker": "B", "text": "yo", "role": "boss"}\n]}'
    with pytest.raises(TranscriptError) as exc:
        parse_transcript(text, "json", file="c.json")
    p = exc.value.problems[0]
    assert (p.line, p.field) == (3, "turns[1].role")
    with pytest.raises(TranscriptError) as exc2:
        parse_transcript('{"turns": [', "json", file="c.json")
    assert exc2.value.problems[0].field == "json"
    with pytest.raises(TranscriptError) as exc3:
        parse_transcript('{"turns": [{"speaker": "A", "text": "x", "start": 5, "end": 2}]}', "json")
    assert exc3.value.problems[0].field == "turns[0].end"


VTT = """WEBVTT

1
00:00:01.000 --> 00:00:03.500
<v Alice Smith>Thanks for joining. What made you

2
00:00:03.500 --> 00:00:05.000
<v Alice Smith>look at us this quarter?</v>

3
00:00:05.200 --> 00:00:09.000
<v Bob Jones>Our renewal is up and the price went up.

4
00:00:08.800 --> 00:00:10.000
Alice Smith: Got it.
"""


def test_vtt_voice_tags_and_zoom_style_merge_cues() -> None:
    conv = parse_transcript(VTT, "vtt", rep="Alice Smith")
    assert [t.speaker for t in conv.turns] == ["Alice Smith", "Bob Jones", "Alice Smith"]
    assert conv.turns[0].text == "Thanks for joining. What made you look at us this quarter?"
    assert (conv.turns[0].start, conv.turns[0].end) == (1.0, 5.0)
    assert conv.turns[2].start == 8.8 and conv.timed


def test_vtt_malformed() -> None:
    with pytest.raises(TranscriptError) as exc:
        parse_transcript("not a vtt file", "vtt", file="a.vtt")
    assert exc.value.problems[0].field == "webvtt"


SRT = """1
00:00:01,000 --> 00:00:02,500
Ana: Hello, how is the pilot going?

2
00:00:03,000 --> 00:00:06,000
[Raj] Slowly, to be honest.
"""


def test_srt_names_in_cues() -> None:
    conv = parse_transcript(SRT, "srt")
    assert [(t.speaker, t.text) for t in conv.turns] == [("Ana", "Hello, how is the pilot going?"),
                                                          ("Raj", "Slowly, to be honest.")]
    assert conv.turns[1].end == 6.0 and conv.timed


def test_srt_malformed() -> None:
    with pytest.raises(TranscriptError) as exc:
        parse_transcript("1\nnot a time\nhello\n", "srt", file="a.srt")
    assert exc.value.problems[0].field == "srt"


def test_read_transcript_by_suffix_and_sniff(tmp_path: Path) -> None:
    (tmp_path / "call.vtt").write_text(VTT, encoding="utf-8")
    (tmp_path / "call.srt").write_text(SRT, encoding="utf-8")
    (tmp_path / "noext").write_text(VTT, encoding="utf-8")
    assert len(read_transcript(tmp_path / "call.vtt").turns) == 3
    assert len(read_transcript(tmp_path / "call.srt").turns) == 2
    assert len(read_transcript(tmp_path / "noext").turns) == 3
    assert sniff_format('{"turns": []}') == "json" and sniff_format(SRT) == "srt" and sniff_format(TXT) == "txt"
    with pytest.raises(TranscriptError) as exc:
        read_transcript(tmp_path / "missing.txt")
    assert exc.value.problems[0].message == "no such file"


def test_timestamped_plain_text_sets_start_only() -> None:
    conv = parse_transcript("[00:01:02] Ana: Hi\n[00:01:05] Bo: Hey\n", "txt")
    assert conv.turns[0].start == 62.0 and conv.turns[1].start == 65.0
    assert not conv.timed  # ends unknown: timed metrics must not be invented


def test_turns_pass_the_input_boundary() -> None:
    """Bidi overrides are removed from speakers and text; a NUL or an unpaired surrogate names file and line."""
    conv = parse_transcript("Ava: pay \u202eevil\u202c now\nBo\u2066b: fine\n", "txt", file="call.txt", rep="Ava")
    assert [t.text for t in conv.turns] == ["pay evil now", "fine"]
    assert conv.turns[1].speaker == "Bob"
    with pytest.raises(TranscriptError) as exc:
        parse_transcript("Ava: hello\nBob: bad\x00line\n", "txt", file="call.txt", rep="Ava")
    assert "call.txt:2: text: contains a NUL" in str(exc.value)
    doc = '{"turns": [{"speaker": "Ava", "text": "ok"}, {"speaker": "Bob", "text": "bad \\ud800 one"}]}'
    with pytest.raises(TranscriptError) as exc:
        parse_transcript(doc, "json", file="call.json", rep="Ava")
    assert "call.json:" in str(exc.value) and "surrogate" in str(exc.value)
