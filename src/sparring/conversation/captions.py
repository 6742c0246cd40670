"""Caption formats of calls: WebVTT (Zoom's ``Name: text`` cues, Teams' ``<v Name>`` voice tags) and SRT
(docs/calls.md, "Transcript formats"). The speaker comes from the voice tag or a ``Name:`` / ``[Name]`` prefix in the
cue; consecutive cues of one speaker are merged into one turn (captions cut sentences every few seconds). Every
timing line is checked first, so a typo is an error at its line instead of a cue the readers skip in silence.
"""

from __future__ import annotations

import re

from sparring.conversation.errors import Problem, TranscriptError
from sparring.conversation.model import Role

# one raw turn before roles: speaker, text, start, end, line, explicit role
RawTurn = tuple[str, str, float | None, float | None, int, Role | None]
#: what a format's parser returns: the raw turns, roles the file states (speaker -> role), notes on what it skipped
Parsed = tuple[list[RawTurn], dict[str, Role], list[str]]

_CUE_NAME = re.compile(r"^\s*(?:\[(?P<b>[^\]]{1,80})\]\s*|(?P<c>[^:\n]{1,60}?):\s+)(?P<text>.*)$", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_ARROWISH = re.compile(r"^\s*\d+:\d{2}[\d:.,]*\s*(?:-+>|=+>|–>|—>)")


def _timing_like(line: str) -> bool:
    """A line meant as a cue timing: it has the arrow, or starts with a time and something arrow-like."""
    return "-->" in line or bool(_ARROWISH.match(line))


_SRT_TIMING = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s+-->\s+\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}(?:\s|$)")
_VTT_TIMING = re.compile(r"^\s*(?:\d+:)?\d{2}:\d{2}\.\d{3}\s+-->\s+(?:\d+:)?\d{2}:\d{2}\.\d{3}(?:\s|$)")


def seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    total = 0.0
    for p in parts:
        total = total * 60 + float(p)
    return total


def looks_like_speaker(name: str) -> bool:
    name = name.strip()
    return bool(name) and len(name.split()) <= 6 and not name.lower().startswith(("http", "www."))


#: problems of one kind (e.g. over-long turns) reported at most; the count of the rest is named
MAX_REPORTED = 5


def _split_cue(text: str, voice: str | None) -> tuple[str | None, str]:
    body = _TAG.sub("", text).strip()
    if voice:
        return voice.strip(), " ".join(body.split())
    m = _CUE_NAME.match(body)
    if m and looks_like_speaker(m.group("b") or m.group("c")):
        return (m.group("b") or m.group("c")).strip(), " ".join(m.group("text").split())
    return None, " ".join(body.split())


def _merge_cues(cues: list[tuple[str | None, str, float, float, int]], notes: list[str]) -> list[RawTurn]:
    # each turn's texts are joined once at the end: appending to a string cue by cue would copy the turn again
    # for every cue, quadratic in a long monologue
    turns: list[tuple[str, list[str], float, float, int]] = []
    unnamed = 0
    for speaker, body, start, end, line in cues:
        if not body:
            continue
        if speaker is None:
            unnamed += 1
            speaker = turns[-1][0] if turns else "Unknown"
        if turns and turns[-1][0] == speaker:
            prev = turns[-1]
            prev[1].append(body)
            turns[-1] = (speaker, prev[1], prev[2], end, prev[4])
        else:
            turns.append((speaker, [body], start, end, line))
    if unnamed:
        notes.append(f"{unnamed} caption(s) had no speaker name and were given to the previous speaker")
    return [(speaker, " ".join(parts), start, end, line, None) for speaker, parts, start, end, line in turns]


def parse_vtt(text: str, file: str) -> Parsed:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    # the WebVTT reader skips a block whose timing line it cannot read, so a typo would lose that cue's words
    # without a word: every timing line is checked here first
    bad = [Problem(file, n, "timing", f"expected 'HH:MM:SS.mmm --> HH:MM:SS.mmm', got '{ln.strip()[:60]}'")
           for n, ln in enumerate(text.splitlines(), start=1) if _timing_like(ln) and not _VTT_TIMING.match(ln)]
    if bad:
        raise TranscriptError(bad[:MAX_REPORTED])
    try:
        captions = webvtt.from_string(text)
    except (MalformedFileError, MalformedCaptionError) as exc:
        problem = Problem(file, _bad_vtt_line(text), "webvtt", f"not a valid WebVTT file: {exc}")
        raise TranscriptError([problem]) from exc
    cue_lines = [n for n, ln in enumerate(text.splitlines(), start=1) if "-->" in ln]
    cues: list[tuple[str | None, str, float, float, int]] = []
    for i, c in enumerate(captions.captions):
        speaker, body = _split_cue(c.raw_text, getattr(c, "voice", None))
        cues.append((speaker, body, seconds(c.start), seconds(c.end), cue_lines[i] if i < len(cue_lines) else 1))
    notes: list[str] = []
    return _merge_cues(cues, notes), {}, notes


def _bad_vtt_line(text: str) -> int:
    lines = text.splitlines()
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        return 1
    for n, ln in enumerate(lines, start=1):
        if "-->" in ln and not re.match(r"^\s*[\d:.]+\s+-->\s+[\d:.]+", ln):
            return n
    return 1


def parse_srt(text: str, file: str) -> Parsed:
    import pysrt

    bad = [Problem(file, n, "timing", f"expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm', got '{ln.strip()[:60]}'")
           for n, ln in enumerate(text.splitlines(), start=1) if _timing_like(ln) and not _SRT_TIMING.match(ln)]
    if bad:
        raise TranscriptError(bad[:MAX_REPORTED])
    try:
        subs = pysrt.from_string(text, error_handling=pysrt.ERROR_RAISE)
    except pysrt.Error as exc:
        line = 1
        if exc.args and isinstance(exc.args[0], int):
            needle = str(exc.args[1]).splitlines()[0] if len(exc.args) > 1 and exc.args[1] else ""
            line = next((n for n, ln in enumerate(text.splitlines(), 1) if needle and ln.strip() == needle.strip()), 1)
        raise TranscriptError([Problem(file, line, "srt", "not a valid SRT cue (expected index, "
                                                        "'00:00:01,000 --> 00:00:02,000' and text)")]) from exc
    cue_lines = [n for n, ln in enumerate(text.splitlines(), start=1) if "-->" in ln]
    cues: list[tuple[str | None, str, float, float, int]] = []
    for i, s in enumerate(subs):
        speaker, body = _split_cue(s.text, None)
        cues.append((speaker, body, s.start.ordinal / 1000, s.end.ordinal / 1000,
                     cue_lines[i] if i < len(cue_lines) else 1))
    notes: list[str] = []
    return _merge_cues(cues, notes), {}, notes
