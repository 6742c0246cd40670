"""Transcript size limits (``sparring.limits``) in every format, and the parsers' linear paths: deep JSON is
refused before ``json.loads`` and a long caption monologue is merged in one pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.conversation.errors import TranscriptError
from sparring.conversation.importers import parse_transcript, read_transcript
from sparring.limits import MAX_JSON_DEPTH, MAX_TURNS, TranscriptLimits

SMALL = TranscriptLimits(max_bytes=10_000, max_turns=3, max_turn_words=5, max_words=12)


def _problems(text: str, fmt: str, limits: TranscriptLimits = SMALL, file: str = "t") -> list[str]:
    with pytest.raises(TranscriptError) as exc:
        parse_transcript(text, fmt, file=file, limits=limits)
    return [str(p) for p in exc.value.problems]


def _ts(seconds: int, sep: str) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{sep}"


def _vtt(cues: list[tuple[str, str]]) -> str:
    out = ["WEBVTT", ""]
    for i, (who, text) in enumerate(cues):
        out += [f"{_ts(i, '.')}000 --> {_ts(i, '.')}900", f"<v {who}>{text}", ""]
    return "\n".join(out)


def _srt(cues: list[tuple[str, str]]) -> str:
    out = []
    for i, (who, text) in enumerate(cues):
        out += [str(i + 1), f"{_ts(i, ',')}000 --> {_ts(i, ',')}900", f"{who}: {text}", ""]
    return "\n".join(out)


def test_too_many_turns_names_the_first_turn_over_the_cap_in_every_format() -> None:
    turns = [("Ana", "Hi."), ("Bob", "Hello."), ("Ana", "How are you?"), ("Bob", "Fine."), ("Ana", "Good.")]
    txt = "# roles: Ana=learner\n\n" + "".join(f"{w}: {t}\n" for w, t in turns)
    assert _problems(txt, "txt") == ["t:6: turns: too many turns: 5; at most 3"]
    js = json.dumps({"turns": [{"speaker": w, "text": t} for w, t in turns]}, indent=1)
    assert _problems(js, "json") == [f"t:{_json_element_line(js, 3)}: turns: too many turns: 5; at most 3"]
    assert _problems(_vtt(turns), "vtt") == ["t:12: turns: too many turns: 5; at most 3"]
    assert _problems(_srt(turns), "srt") == ["t:14: turns: too many turns: 5; at most 3"]


def _json_element_line(text: str, index: int) -> int:
    opening = [n for n, ln in enumerate(text.splitlines(), start=1) if ln.strip() == "{"]
    return opening[index + 1]  # the first "{" opens the document


def test_long_turns_and_too_many_words_are_named_with_their_lines() -> None:
    txt = "Ana: one two three four five six\nBob: ok\nAna: a b c d e f g\n"
    assert _problems(txt, "txt", TranscriptLimits(max_turn_words=5)) == [
        "t:1: turns[0].text: too many words in one turn: more than 5",
        "t:3: turns[2].text: too many words in one turn: more than 5",
    ]
    txt = "Ana: one two three four five\nBob: six seven eight nine ten\nAna: eleven twelve thirteen\n"
    assert _problems(txt, "txt", TranscriptLimits(max_words=12)) == ["t:3: words: too many words: 13; at most 12"]
    many = "".join(f"Ana: {'w ' * 9}\n" for _ in range(9))
    assert _problems(many, "txt", TranscriptLimits(max_turn_words=5)) == [
        *(f"t:{n}: turns[{n - 1}].text: too many words in one turn: more than 5" for n in range(1, 6)),
        "t:6: turns: 4 more turns with too many words",
    ]


def test_hints_name_the_way_to_lift_a_limit() -> None:
    limits = SMALL.with_hints({"turns": "raise it with --max-turns N"})
    text = "".join(f"Ana: hi {i}\n" for i in range(4))
    assert _problems(text, "txt", limits) == ["t:4: turns: too many turns: 4; at most 3; raise it with --max-turns N"]


def test_too_large_text_and_files_are_refused(tmp_path: Path) -> None:
    text = "Ana: " + "word " * 3_000
    assert _problems(text, "txt") == ["t:0: file: the transcript is too large (15,005 bytes; at most 10,000)"]
    p = tmp_path / "big.txt"
    p.write_text(text)
    with pytest.raises(TranscriptError) as exc:
        read_transcript(p, limits=SMALL.with_hints({"bytes": "use --no-limits"}))
    assert str(exc.value) == f"{p}:0: file: the file is too large (15,005 bytes; at most 10,000); use --no-limits"
    conv = read_transcript(p, limits=TranscriptLimits.unlimited())
    assert conv.turns[0].words == 3_000


def test_the_default_limits_apply_when_none_are_given() -> None:
    text = "".join(f"{'Ana' if i % 2 else 'Bob'}: line {i}\n" for i in range(MAX_TURNS + 1))
    problems = _problems(text, "txt", TranscriptLimits())
    assert problems == [f"t:{MAX_TURNS + 1}: turns: too many turns: {MAX_TURNS + 1:,}; at most {MAX_TURNS:,}"]
    with pytest.raises(TranscriptError, match="too many turns"):
        parse_transcript(text, "txt")  # the default argument
    assert len(parse_transcript(text, "txt", limits=TranscriptLimits(max_turns=MAX_TURNS + 1)).turns) == MAX_TURNS + 1


def test_deep_json_is_one_located_error_not_a_recursion_error() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert _problems(deep, "json", TranscriptLimits.unlimited()) == [
        f"t:1: json: nested too deeply: at most {MAX_JSON_DEPTH} levels (a transcript needs 3)"
    ]
    nested = ('{"turns": [\n{"speaker": "Ana", "text": "hi"},\n{"speaker": "Bob", "text": '
              + "[" * 100 + "]" * 100 + "}]}")
    assert _problems(nested, "json")[0] == f"t:3: json: nested too deeply: at most {MAX_JSON_DEPTH} levels " \
                                           "(a transcript needs 3)"
    ok = '{"turns": [{"speaker": "Ana", "text": "hi", "start": 0, "end": 1}], "meta": ' + "[" * 60 + "]" * 60 + "}"
    assert parse_transcript(ok, "json").turns[0].text == "hi"


def test_json_turn_lines_skip_brackets_and_escaped_quotes_inside_strings() -> None:
    text = ('{"turns": [\n  {"speaker": "Ana", "text": "a [bracket] and {brace} and \\"quote [\\" \\\\"},\n'
            '  {"speaker": "Bob", "text": "fine"},\n  {"speaker": "Ana", "role": "boss", "text": "x"}\n]}')
    assert _problems(text, "json", TranscriptLimits()) == [
        "t:4: turns[2].role: must be learner, counterpart or other, got 'boss'"
    ]


def test_a_long_caption_monologue_is_merged_into_one_turn() -> None:
    cues = [("Ana", f"part {i} of the talk.") for i in range(20_000)] + [("Bob", "Thanks.")]
    conv = parse_transcript(_vtt(cues), "vtt", limits=TranscriptLimits.unlimited())
    assert [t.speaker for t in conv.turns] == ["Ana", "Bob"]
    assert conv.turns[0].text.startswith("part 0 of the talk. part 1 of") and conv.turns[0].words == 100_000
    assert (conv.turns[0].start, conv.turns[0].end, conv.turns[1].start) == (0.0, 19_999.9, 20_000.0)
