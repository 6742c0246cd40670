"""The export shapes of common call recorders and transcription services, as transcript formats (docs/calls.md,
"Recorder exports"). Each is a ``TranscriptFormat`` declared as a ``sparring.importers`` entry point like the
built-in ones, with a ``detect`` that recognises it among the files of its suffix:

- ``otter`` (``.txt``): Otter.ai's text export. A turn is a header line ``Speaker Name  M:SS`` (or ``H:MM:SS``;
  the name and the time separated by two or more spaces), then one or more lines of text, then a blank line.
  The header's time is the turn's start; the end is unknown, so the call is not timed.
- ``segments-json`` (``.json``): ``{"segments": [{"speaker", "start", "end", "text"}]}`` in seconds — the output of
  Whisper-based diarisation (WhisperX, faster-whisper with a diariser) and of ElevenLabs' speech-to-text segments.
  Segments without any ``speaker`` (plain Whisper) are refused: a call needs to know who spoke.
- ``utterances-json`` (``.json``): AssemblyAI's transcript with speaker labels, ``{"utterances": [{"speaker": "A",
  "text", "start", "end"}]}`` with times in **milliseconds**; and Deepgram's pre-recorded response with
  ``utterances=true``, ``{"results": {"utterances": [{"speaker": 0, "transcript", "start", "end"}]}}`` in seconds.
  Speaker labels become ``Speaker A`` / ``Speaker 0``.
- ``sentences-json`` (``.json``): Fireflies.ai's GraphQL transcript, ``{"data": {"transcript": {"sentences":
  [{"speaker_name", "text", "start_time", "end_time"}]}}}`` in seconds (also without the ``data`` / ``transcript``
  wrappers); ``raw_text`` when ``text`` is missing, ``Speaker <speaker_id>`` when the name is.

Other fields of these documents (words, confidences, summaries, analytics) are ignored. Consecutive segments of
one speaker are merged into one turn (these services cut turns into sentences). Problems name the file, the line
of the element and its field (``segments[3].start``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from sparring.conversation.captions import Parsed, RawTurn
from sparring.conversation.errors import Problem, TranscriptError
from sparring.conversation.importers import TranscriptFormat
from sparring.limits import MAX_JSON_DEPTH

# ---- Otter text ----------------------------------------------------------------------------------------------
_OTTER_HEADER = re.compile(r"^(?P<speaker>\S.{0,79}?) {2,}(?P<ts>(?:\d{1,2}:)?\d{1,2}:\d{2})\s*$")


def _clock(stamp: str) -> float:
    total = 0.0
    for part in stamp.split(":"):
        total = total * 60 + int(part)
    return total


def _detect_otter(text: str) -> bool:
    for line in text.lstrip("\ufeff \t\r\n")[:2000].splitlines()[:1]:
        if line.strip():
            return bool(_OTTER_HEADER.match(line.rstrip()))
    return False


def _merge(raws: list[RawTurn]) -> list[RawTurn]:
    """Consecutive turns of one speaker as one turn (the first's start and line, the last's end)."""
    out: list[tuple[str, list[str], float | None, float | None, int]] = []
    for speaker, body, start, end, line, _role in raws:
        if out and out[-1][0] == speaker:
            prev = out[-1]
            prev[1].append(body)
            out[-1] = (speaker, prev[1], prev[2], end if end is not None else prev[3], prev[4])
        else:
            out.append((speaker, [body], start, end, line))
    return [(speaker, " ".join(parts), start, end, line, None) for speaker, parts, start, end, line in out]


def parse_otter(text: str, file: str) -> Parsed:
    """Otter.ai's text export (module docstring)."""
    raws: list[RawTurn] = []
    notes: list[str] = []
    problems: list[Problem] = []
    current: tuple[str, float, int] | None = None
    body: list[str] = []

    def close() -> None:
        if current is None:
            return
        if body:
            raws.append((current[0], " ".join(body), current[1], None, current[2], None))
        else:
            notes.append(f"line {current[2]}: {current[0]} has no text; skipped")

    for n, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip().lstrip("\ufeff")
        if not line:
            continue
        m = _OTTER_HEADER.match(line)
        if m:
            close()
            current, body = (m.group("speaker").strip(), _clock(m.group("ts")), n), []
            continue
        if current is None:
            shown = line if len(line) <= 40 else line[:37] + "..."
            problems.append(Problem(file, n, "speaker", f"expected an Otter header 'Speaker Name  0:00' before the "
                                                        f"text, got '{shown}'"))
            continue
        body.append(line)
    close()
    if problems:
        raise TranscriptError(problems[:5])
    for before, after in pairwise(raws):
        if before[2] is not None and after[2] is not None and after[2] < before[2]:
            raise TranscriptError([Problem(file, after[4], "time",
                                           f"{after[0]}'s turn starts before the turn above it")])
    return _merge(raws), {}, notes


# ---- JSON shapes ---------------------------------------------------------------------------------------------
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}\n]')


def element_lines(text: str, path: tuple[str, ...]) -> list[int]:
    """The line of each ``{`` that opens an element of the array at ``path`` (object keys from the top), in one
    pass over the text (strings skipped whole). Run after ``_check_depth``."""
    lines: list[int] = []
    stack: list[tuple[str, str | None]] = []
    key: str | None = None
    line = 1
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok == "\n":
            line += 1
        elif tok[0] == '"':
            line += tok.count("\n")
            rest = text[m.end():m.end() + 64].lstrip()
            if rest.startswith(":") and stack and stack[-1][0] == "{":
                try:
                    key = json.loads(tok)
                except ValueError:
                    key = None
        elif tok in "[{":
            if (tok == "{" and len(stack) == len(path) + 1 and stack[-1][0] == "["
                    and tuple(k for _c, k in stack[1:]) == path):
                lines.append(line)
            stack.append((tok, key if stack and stack[-1][0] == "{" else None))
            key = None
        elif stack:
            stack.pop()
    return lines


@dataclass(frozen=True)
class _Shape:
    """Where a recorder's list of segments is and what its fields are called."""

    recorder: str
    path: tuple[str, ...]
    speaker: tuple[str, ...]
    text: tuple[str, ...]
    start: str
    end: str
    #: seconds per unit of start/end (AssemblyAI: milliseconds)
    scale: float = 1.0
    #: label for a speaker given as a bare id ("A", 0): "Speaker A"
    label_ids: bool = False


SEGMENTS = (_Shape("Whisper/WhisperX segments", ("segments",), ("speaker",), ("text",), "start", "end"),)
UTTERANCES = (
    _Shape("AssemblyAI utterances", ("utterances",), ("speaker",), ("text",), "start", "end", 0.001, True),
    _Shape("Deepgram utterances", ("results", "utterances"), ("speaker",), ("transcript",), "start", "end", 1.0,
           True),
)
SENTENCES = tuple(
    _Shape("Fireflies sentences", path, ("speaker_name", "speaker_id"), ("text", "raw_text"), "start_time",
           "end_time")
    for path in (("data", "transcript", "sentences"), ("transcript", "sentences"), ("sentences",))
)


def _at(doc: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def _id_names(items: list[Any], shape: _Shape) -> dict[str, str]:
    """Speaker id -> name, from the elements that carry both (Fireflies: a sentence without ``speaker_name`` is
    given the name its ``speaker_id`` has elsewhere)."""
    if len(shape.speaker) < 2:
        return {}
    name_key, id_key = shape.speaker[0], shape.speaker[1]
    return {str(t[id_key]): t[name_key].strip() for t in items
            if isinstance(t, dict) and isinstance(t.get(name_key), str) and t[name_key].strip()
            and isinstance(t.get(id_key), int | str) and not isinstance(t.get(id_key), bool)}


def _speaker(t: dict[str, Any], shape: _Shape, names: dict[str, str]) -> str | None:
    for i, key in enumerate(shape.speaker):
        v = t.get(key)
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, int | str) and str(v).strip():
            label = str(v).strip()
            if i > 0 and label in names:
                return names[label]
            bare_id = shape.label_ids or i > 0  # a fallback id field (Fireflies' speaker_id) is a bare id too
            return f"Speaker {label}" if bare_id and len(label) <= 3 else label
    return None


def _parse_shape(text: str, file: str, shapes: tuple[_Shape, ...], what: str) -> Parsed:
    _check_depth(text, file)  # first: json.loads would recurse into a deeply nested document
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError([Problem(file, exc.lineno, "json", exc.msg)]) from exc
    shape = next((s for s in shapes if isinstance(_at(doc, s.path), list)), None)
    if shape is None:
        expected = " or ".join(".".join(s.path) for s in shapes)
        raise TranscriptError([Problem(file, 1, shapes[0].path[-1], f"expected a list at {expected} ({what})")])
    items: list[Any] = _at(doc, shape.path)
    lines = element_lines(text, shape.path)
    where_prefix = ".".join(shape.path)
    problems: list[Problem] = []
    raws: list[RawTurn] = []
    named = 0
    names = _id_names(items, shape)
    for i, t in enumerate(items):
        ln = lines[i] if i < len(lines) else 1
        where = f"{where_prefix}[{i}]"
        if not isinstance(t, dict):
            problems.append(Problem(file, ln, where, "expected an object"))
            continue
        body = next((t[k] for k in shape.text if isinstance(t.get(k), str)), None)
        if body is None:
            problems.append(Problem(file, ln, f"{where}.{shape.text[0]}", "a string is required"))
            continue
        speaker = _speaker(t, shape, names)
        if speaker is None:
            problems.append(Problem(file, ln, f"{where}.{shape.speaker[0]}", "a speaker name or id is required"))
            continue
        named += 1
        times: list[float | None] = []
        for key in (shape.start, shape.end):
            v = t.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or v < 0):
                problems.append(Problem(file, ln, f"{where}.{key}", f"must be a time (a number >= 0), got {v!r}"))
                v = None
            times.append(round(float(v) * shape.scale, 3) if v is not None else None)
        start, end = times
        if start is not None and end is not None and end < start:
            problems.append(Problem(file, ln, f"{where}.{shape.end}", f"end ({end}) is before start ({start})"))
        if body.strip():
            raws.append((speaker, " ".join(body.split()), start, end, ln, None))
    if items and named == 0 and all(isinstance(t, dict) for t in items):
        raise TranscriptError([Problem(file, lines[0] if lines else 1, f"{where_prefix}[0].{shape.speaker[0]}",
                                       f"the {shape.recorder} have no speaker labels: a call needs to know who "
                                       "spoke (export it with speaker labels / diarisation)")])
    if problems:
        raise TranscriptError(problems[:5] + ([Problem(file, problems[5].line, where_prefix,
                                                        f"{len(problems) - 5} more problems")]
                                               if len(problems) > 5 else []))
    return _merge(raws), {}, [f"read as {shape.recorder}"]


def _check_depth(text: str, file: str) -> None:
    depth = 0
    line = 1
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok == "\n":
            line += 1
        elif tok in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise TranscriptError([Problem(file, line, "json", f"nested too deeply: at most {MAX_JSON_DEPTH} "
                                                                    "levels")])
        elif tok in "]}":
            depth -= 1


def _has_key(text: str, *keys: str) -> bool:
    return any(re.search(rf'"{k}"\s*:', text) for k in keys)


def _detect(key: str) -> Any:
    def detect(text: str) -> bool:
        head = text.lstrip("\ufeff \t\r\n")
        return head.startswith("{") and _has_key(text, key) and not _has_key(text, "turns")

    return detect


def parse_segments(text: str, file: str) -> Parsed:
    return _parse_shape(text, file, SEGMENTS, "Whisper/WhisperX segments with speakers")


def parse_utterances(text: str, file: str) -> Parsed:
    return _parse_shape(text, file, UTTERANCES, "AssemblyAI or Deepgram utterances")


def parse_sentences(text: str, file: str) -> Parsed:
    return _parse_shape(text, file, SENTENCES, "Fireflies sentences")


OTTER = TranscriptFormat("otter", (".txt",), parse_otter, _detect_otter)
SEGMENTS_JSON = TranscriptFormat("segments-json", (".json",), parse_segments, _detect("segments"))
UTTERANCES_JSON = TranscriptFormat("utterances-json", (".json",), parse_utterances, _detect("utterances"))
SENTENCES_JSON = TranscriptFormat("sentences-json", (".json",), parse_sentences, _detect("sentences"))
