"""Read transcripts into a ``Conversation``: plain text, JSON, WebVTT and SRT (docs/scoring.md, "Transcript files";
docs/calls.md). The caption formats' parsers are in ``sparring.conversation.captions``, the call recorders' export
shapes in ``sparring.conversation.recorders``; the encoding of a file is detected (``sparring.conversation.encoding``).

- Plain text: one turn per line, ``Speaker Name: text``; blank lines and ``#`` comments are ignored; an optional
  header ``# roles: Alice=learner, Bob=counterpart`` gives roles. A line may start with a timestamp
  (``[00:01:02] Alice: ...``), which sets the turn's start (the end stays unknown, so the conversation is not timed).
- JSON: ``{"turns": [{"speaker", "role"?, "text", "start"?, "end"?}]}`` (a bare list of turns is accepted too).
- WebVTT (``.vtt``): voice tags ``<v Name>`` (Teams) or ``Name: text`` inside cues (Zoom).
- SRT (``.srt``): ``Name: text`` or ``[Name] text`` inside cues.
  Consecutive cues by the same speaker are merged into one turn (captions split sentences every few seconds).

Roles follow ``sparring.conversation.roles`` (explicit roles, ``--rep``, the persona, else a stated guess).
Errors raise ``TranscriptError`` naming the file, line and field; an empty transcript is an error.

Size limits (``sparring.limits``, docs/user-guide.md "Transcript limits"): the file's bytes, the number of turns,
the words of one turn and of the whole transcript are capped by a ``TranscriptLimits`` (the defaults unless the
caller lifts them); a JSON transcript nested deeper than ``MAX_JSON_DEPTH`` is refused before it is decoded, so
``json`` never recurses that deep.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Literal

from pydantic import Field

from sparring.conversation.captions import (
    MAX_REPORTED,
    Parsed,
    RawTurn,
    looks_like_speaker,
    parse_srt,
    parse_vtt,
    seconds,
)
from sparring.conversation.encoding import decode_transcript
from sparring.conversation.errors import Problem, TranscriptError
from sparring.conversation.model import Conversation, Role, Source
from sparring.conversation.roles import ROLE_ALIASES, RoleAssignment, assign_roles
from sparring.inputs import InputError, clean_text
from sparring.limits import (
    DEFAULT_TRANSCRIPT_LIMITS,
    MAX_JSON_DEPTH,
    TooLargeError,
    TranscriptLimits,
    count_words,
    read_bytes_capped,
    utf8_size,
)

__all__ = ["BUILTIN_FORMATS", "JSON", "MAX_REPORTED", "SRT", "TXT", "VTT", "Formats", "ImportedConversation", "Parsed",
           "Progress", "RawTurn", "ReadOptions", "TranscriptFormat", "check_limits", "check_size", "parse_transcript",
           "parse_transcript_bytes", "read_transcript", "sniff_format"]
# ``Parsed`` and ``RawTurn`` (sparring.conversation.captions) are re-exported: a plugin's parser returns them
# (docs/architecture.md, "Extension points")

Format = Literal["txt", "json", "vtt", "srt"]
FORMATS: tuple[str, ...] = ("txt", "json", "vtt", "srt")


class ImportedConversation(Conversation):
    """A ``Conversation`` read from a file, with how its roles were decided."""

    roles_guessed: bool = False
    role_note: str = ""
    notes: list[str] = Field(default_factory=list, description="things the reader skipped or assumed")


_Raw = RawTurn

_LINE = re.compile(
    r"^(?:[\[(](?P<ts>\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?)[\])]\s*)?(?P<speaker>[^:]{1,80}?):\s*(?P<text>.*)$"
)
_ROLES = re.compile(r"^#\s*roles?\s*:\s*(?P<spec>.*)$", re.IGNORECASE)



def _parse_roles(spec: str, file: str, line: int) -> dict[str, Role]:
    out: dict[str, Role] = {}
    for item in filter(None, (x.strip() for x in spec.split(","))):
        name, sep, role = item.partition("=")
        role_key = role.strip().lower()
        if not sep or not name.strip() or role_key not in ROLE_ALIASES:
            raise TranscriptError([Problem(file, line, "roles",
                                        f"expected 'Name=learner|counterpart|other', got '{item}'")])
        out[name.strip()] = ROLE_ALIASES[role_key]
    if not out:
        raise TranscriptError([Problem(file, line, "roles", "the roles header names nobody")])
    return out


def _parse_txt(text: str, file: str) -> tuple[list[_Raw], dict[str, Role], list[str]]:
    raws: list[_Raw] = []
    roles: dict[str, Role] = {}
    notes: list[str] = []
    problems: list[Problem] = []
    for n, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip().lstrip("\ufeff")
        if not line:
            continue
        if line.startswith("#"):
            m = _ROLES.match(line)
            if m:
                roles.update(_parse_roles(m.group("spec"), file, n))
            continue
        m = _LINE.match(line)
        if not m or not looks_like_speaker(m.group("speaker")):
            shown = line if len(line) <= 40 else line[:37] + "..."
            problems.append(Problem(file, n, "turn", f"expected 'Speaker: text', got '{shown}'"))
            continue
        body = m.group("text").strip()
        if not body:
            notes.append(f"line {n}: empty turn skipped")
            continue
        start = seconds(m.group("ts")) if m.group("ts") else None
        raws.append((m.group("speaker").strip(), body, start, None, n, None))
    if problems:
        raise TranscriptError(problems)
    return raws, roles, notes


_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}\n]')


def _json_turn_lines(text: str, file: str) -> list[int]:
    """Line of each '{' that opens an element of the turns array (top-level list or ``{"turns": [...]}``).
    One pass over the structure (strings are skipped whole); nesting deeper than ``MAX_JSON_DEPTH`` raises
    TranscriptError at its line, before ``json.loads`` would recurse into it."""
    lines: list[int] = []
    stack: list[str] = []
    line = 1
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok == "\n":
            line += 1
        elif tok[0] == '"':
            line += tok.count("\n")  # only in invalid JSON, which json.loads then reports
        elif tok in "[{":
            if tok == "{" and (stack == ["{", "["] or stack == ["["]):
                lines.append(line)
            stack.append(tok)
            if len(stack) > MAX_JSON_DEPTH:
                raise TranscriptError([Problem(file, line, "json", f"nested too deeply: at most {MAX_JSON_DEPTH} "
                                                                "levels (a transcript needs 3)")])
        elif stack:
            stack.pop()
    return lines


def _parse_json(text: str, file: str) -> tuple[list[_Raw], dict[str, Role], list[str]]:
    lines = _json_turn_lines(text, file)  # first: it refuses nesting json.loads could not handle
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError([Problem(file, exc.lineno, "json", exc.msg)]) from exc
    if isinstance(doc, dict):
        if "turns" not in doc:
            raise TranscriptError([Problem(file, 1, "turns", 'expected {"turns": [...]}')])
        turns = doc["turns"]
        prefix = "turns"
    else:
        turns, prefix = doc, ""
    if not isinstance(turns, list):
        raise TranscriptError([Problem(file, 1, prefix or "(document)", "expected a list of turns")])
    problems: list[Problem] = []
    raws: list[_Raw] = []
    roles: dict[str, Role] = {}
    for i, t in enumerate(turns):
        ln = lines[i] if i < len(lines) else 1
        where = f"{prefix}[{i}]"
        if not isinstance(t, dict):
            problems.append(Problem(file, ln, where, "expected an object with 'speaker' and 'text'"))
            continue
        unknown = sorted(set(t) - {"speaker", "role", "text", "start", "end", "index"})
        if unknown:
            problems.append(Problem(file, ln, f"{where}.{unknown[0]}", "unknown field (known: speaker, role, text, "
                                                                    "start, end)"))
        speaker, body = t.get("speaker"), t.get("text")
        if not isinstance(speaker, str) or not speaker.strip():
            problems.append(Problem(file, ln, f"{where}.speaker", "a non-empty string is required"))
            continue
        if not isinstance(body, str):
            problems.append(Problem(file, ln, f"{where}.text", "a string is required"))
            continue
        role_val = t.get("role")
        role: Role | None = None
        if role_val is not None:
            if not isinstance(role_val, str) or role_val.lower() not in ROLE_ALIASES:
                problems.append(Problem(file, ln, f"{where}.role", f"must be learner, counterpart or other, got "
                                                                    f"{role_val!r}"))
                continue
            role = ROLE_ALIASES[role_val.lower()]
            if roles.setdefault(speaker.strip(), role) != role:
                problems.append(Problem(file, ln, f"{where}.role", f"{speaker} already has role {roles[speaker]}"))
        times: list[float | None] = []
        for key in ("start", "end"):
            v = t.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or v < 0):
                problems.append(Problem(file, ln, f"{where}.{key}", f"must be seconds (a number >= 0), got {v!r}"))
                v = None
            times.append(float(v) if v is not None else None)
        start, end = times
        if start is not None and end is not None and end < start:
            problems.append(Problem(file, ln, f"{where}.end", f"end ({end}) is before start ({start})"))
        if not body.strip():
            continue
        raws.append((speaker.strip(), body.strip(), start, end, ln, role))
    if problems:
        raise TranscriptError(problems)
    return raws, roles, []


def check_limits(turns: Sequence[tuple[str, int]], file: str, limits: TranscriptLimits) -> None:
    """Raise TranscriptError when ``turns`` ((text, line) in order) break ``limits``: too many turns, a turn with
    too many words (each such turn named, up to ``MAX_REPORTED``), or too many words in all."""
    problems: list[Problem] = []
    if limits.max_turns is not None and len(turns) > limits.max_turns:
        problems.append(Problem(file, turns[limits.max_turns][1], "turns",
                                f"too many turns: {len(turns):,}; at most {limits.max_turns:,}{limits.hint('turns')}"))
    long_turns: list[Problem] = []
    total = 0
    total_line = 0
    for i, (text, line) in enumerate(turns):
        cap = limits.max_turn_words
        n = count_words(text, stop_above=cap)
        if cap is not None and n > cap:
            long_turns.append(Problem(file, line, f"turns[{i}].text", f"too many words in one turn: more than "
                                                                      f"{cap:,}{limits.hint('turn_words')}"))
        total += n
        if not total_line and limits.max_words is not None and total > limits.max_words:
            total_line = line
    problems.extend(long_turns[:MAX_REPORTED])
    if len(long_turns) > MAX_REPORTED:
        problems.append(Problem(file, long_turns[MAX_REPORTED].line, "turns",
                                f"{len(long_turns) - MAX_REPORTED:,} more turns with too many words"))
    if limits.max_words is not None and total > limits.max_words:
        told = f"more than {limits.max_words:,}" if long_turns else f"{total:,}; at most {limits.max_words:,}"
        problems.append(Problem(file, total_line, "words", f"too many words: {told}{limits.hint('words')}"))
    if problems:
        raise TranscriptError(problems)


def check_duration(raws: Sequence[RawTurn], file: str, limits: TranscriptLimits) -> None:
    """Raise TranscriptError at the first turn timed past ``limits.max_seconds`` (its start or its end)."""
    if limits.max_seconds is None:
        return
    for _speaker, _text, start, end, line, _role in raws:
        last = max((t for t in (start, end) if t is not None), default=None)
        if last is not None and last > limits.max_seconds:
            raise TranscriptError([Problem(file, line, "time", f"timed at {_clock(last)}, past the longest call "
                                                               f"read ({_clock(limits.max_seconds)}); are "
                                                               f"milliseconds written as seconds?"
                                                               f"{limits.hint('seconds')}")])


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}"


def check_size(text: str, file: str, limits: TranscriptLimits) -> None:
    """Raise TranscriptError when ``text`` is larger than ``limits.max_bytes`` of UTF-8."""
    if limits.max_bytes is not None:
        size = utf8_size(text, limits.max_bytes)
        if size > limits.max_bytes:
            raise TranscriptError([Problem(file, 0, "file", f"the transcript is too large ({size:,} bytes; at most "
                                                         f"{limits.max_bytes:,}){limits.hint('bytes')}")])


def sniff_format(text: str) -> Format:
    """Guess a built-in format from content when the file name does not say."""
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith(("{", "[")) and not re.match(r"^\[\d", head):
        return "json"
    if re.match(r"^\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s+-->", head):
        return "srt"
    return "txt"


@dataclass(frozen=True)
class TranscriptFormat:
    """A transcript format: its name (``--format``), the file suffixes it claims, and its parser
    ``parse(text, file) -> (raw turns, stated roles, notes)`` raising TranscriptError for a bad file. Declared as
    an entry point of the ``sparring.importers`` group (the built-ins in Sparring's pyproject.toml)."""

    name: str
    suffixes: tuple[str, ...]
    parse: Callable[[str, str], Parsed]
    #: for formats that share a suffix (``.json``, ``.txt``): True when ``text`` is in this format. Cheap (it runs
    #: on every file of the suffix); formats without one are the suffix's default.
    detect: Callable[[str], bool] | None = None
    #: for binary formats (audio, ``sparring.asr``): ``read(data, file, options) -> Parsed`` reads the file's bytes
    #: instead (no text decoding; ``parse`` is then never called); ``options.limits.max_audio_bytes`` caps the file
    read: Callable[[bytes, str, ReadOptions], Parsed] | None = None


#: ``progress(fraction, note)``: how far a long read (transcribing audio) is, ``fraction`` from 0 to 1
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ReadOptions:
    """What a binary format's ``read`` gets besides the bytes: the limits in force and where to report progress."""

    limits: TranscriptLimits = DEFAULT_TRANSCRIPT_LIMITS
    progress: Progress | None = None


TXT = TranscriptFormat("txt", (".txt", ".text", ".md"), _parse_txt)
JSON = TranscriptFormat("json", (".json",), _parse_json)
VTT = TranscriptFormat("vtt", (".vtt", ".webvtt"), parse_vtt)
SRT = TranscriptFormat("srt", (".srt",), parse_srt)


class Formats:
    """The transcript formats an application reads, by name and by suffix (the first format to claim a suffix
    keeps it). Built by the composition root from the ``sparring.importers`` entry points."""

    def __init__(self, formats: Iterable[TranscriptFormat]):
        self.by_name: dict[str, TranscriptFormat] = {}
        self.by_suffix: dict[str, TranscriptFormat] = {}
        #: every format that claims a suffix, in order (the ones with ``detect`` are asked first)
        self.claimants: dict[str, list[TranscriptFormat]] = {}
        for f in formats:
            if not isinstance(f, TranscriptFormat):
                raise TypeError(f"not a TranscriptFormat: {f!r}")
            if f.name.lower() in self.by_name:
                continue
            self.by_name[f.name.lower()] = f
            for suffix in f.suffixes:
                self.claimants.setdefault(suffix.lower(), []).append(f)
        for suffix, claimants in self.claimants.items():
            # a suffix's default is its first claimant that needs no recognising (the built-in JSON for .json)
            self.by_suffix[suffix] = next((f for f in claimants if f.detect is None), claimants[0])

    def names(self) -> list[str]:
        return list(self.by_name)

    @property
    def binary_suffixes(self) -> set[str]:
        """Suffixes whose default format reads bytes (audio): read from folders and zips up to the audio cap."""
        return {suffix for suffix, f in self.by_suffix.items() if f.read is not None}

    def for_suffix(self, suffix: str) -> str | None:
        found = self.by_suffix.get(suffix.lower())
        return None if found is None else found.name

    def for_file(self, suffix: str, text: str) -> str | None:
        """The format of a file with ``suffix`` and content ``text``: the first claimant of the suffix whose
        ``detect`` recognises the text (a recorder's export shape), else the suffix's default claimant (one without
        ``detect``, e.g. the built-in JSON), else None (unknown suffix: the caller sniffs)."""
        claimants = self.claimants.get(suffix.lower(), [])
        for f in claimants:
            if f.detect is not None and f.detect(text):
                return f.name
        plain = next((f for f in claimants if f.detect is None), None)
        return plain.name if plain is not None else (claimants[0].name if claimants else None)

    def sniff(self, text: str) -> str:
        """The format of ``text`` without a suffix: a format whose ``detect`` recognises it, else the built-in
        guess (``sniff_format``)."""
        for f in self.by_name.values():
            if f.detect is not None and f.detect(text):
                return f.name
        return sniff_format(text)


#: the built-in formats, for callers that read transcripts without an application (rubric tests, tests)
BUILTIN_FORMATS = Formats([TXT, JSON, VTT, SRT])


def parse_transcript(
    text: str,
    fmt: str | None = None,
    *,
    file: str = "<string>",
    rep: str | None = None,
    persona_name: str | None = None,
    source: Source = "call",
    title: str | None = None,
    limits: TranscriptLimits = DEFAULT_TRANSCRIPT_LIMITS,
    formats: Formats = BUILTIN_FORMATS,
) -> ImportedConversation:
    """Parse transcript ``text`` in ``fmt`` (a name in ``formats``: txt, json, vtt, srt and any plugin's;
    None = sniff the built-ins) into a conversation, within ``limits`` (TranscriptError naming the file, and the
    line where one is known, when it is over one)."""
    check_size(text, file, limits)
    fmt_key = (fmt or formats.sniff(text)).lower().lstrip(".")
    if fmt_key not in formats.by_name:
        raise TranscriptError([Problem(file, 0, "format", f"unknown transcript format '{fmt}' (known: "
                                                       f"{', '.join(formats.names())})")])
    raws, explicit, notes = formats.by_name[fmt_key].parse(text, file)
    return _conversation(raws, explicit, notes, file=file, rep=rep, persona_name=persona_name, source=source,
                         title=title, limits=limits)


def _conversation(raws: list[RawTurn], explicit: dict[str, Role], notes: list[str], *, file: str, rep: str | None,
                  persona_name: str | None, source: Source, title: str | None,
                  limits: TranscriptLimits) -> ImportedConversation:
    """The conversation of a parsed file: its limits checked, its text cleaned, its roles decided."""
    if not raws:
        raise TranscriptError([Problem(file, 1, "turns", "the transcript has no turns")])
    check_limits([(r[1], r[4]) for r in raws], file, limits)
    check_duration(raws, file, limits)
    raws = [_cleaned(r, file) for r in raws]
    for name in explicit:
        if name not in {r[0] for r in raws}:
            notes.append(f"roles header names '{name}', who never speaks")
    try:
        assignment: RoleAssignment = assign_roles(
            [(r[0], r[1]) for r in raws],
            explicit={**explicit, **{r[0]: r[5] for r in raws if r[5] is not None}},
            rep=rep,
            persona_name=persona_name,
        )
    except LookupError as exc:
        raise TranscriptError([Problem(file, 0, "rep" if rep else "roles", str(exc.args[0]))]) from exc
    conv = ImportedConversation(source=source, title=title, roles_guessed=assignment.guessed,
                                role_note=assignment.note, notes=notes)
    for speaker, body, start, end, _line, _role in raws:
        conv.add(speaker, assignment.roles[speaker], body, start=start, end=end)
    return conv


def _cleaned(raw: _Raw, file: str) -> _Raw:
    """A turn as the input boundary (``sparring.inputs``) would store it: no NUL or unpaired surrogate (a
    TranscriptError naming the file and line), bidirectional override controls removed, NFC. Caps were checked
    before, so the text length is not limited again here."""
    speaker, body, start, end, line, role = raw
    try:
        speaker = clean_text(speaker, "speaker", max_chars=len(speaker) + 1)
        body = clean_text(body, "text", max_chars=len(body) + 1, multiline=True)
    except InputError as exc:
        raise TranscriptError([Problem(file, line, exc.field, exc.message)]) from None
    return speaker, body, start, end, line, role


def read_transcript(
    path: str | Path,
    *,
    rep: str | None = None,
    persona_name: str | None = None,
    source: Source = "call",
    fmt: str | None = None,
    limits: TranscriptLimits = DEFAULT_TRANSCRIPT_LIMITS,
    formats: Formats = BUILTIN_FORMATS,
) -> ImportedConversation:
    """Read a transcript file; the format comes from ``fmt``, else the suffix (as ``formats`` claim them, a
    recorder's export shape recognised by its content), else the content. The encoding is detected
    (``sparring.conversation.encoding``). A file over ``limits.max_bytes`` is refused before it is read."""
    p = Path(path)
    binary = p.suffix.lower() in formats.binary_suffixes and fmt is None
    try:
        data = read_bytes_capped(p, limits.max_audio_bytes if binary else limits.max_bytes)
    except TooLargeError as exc:
        hint = limits.hint("audio_bytes" if binary else "bytes")
        raise TranscriptError([Problem(str(p), 0, "file", f"{exc}{hint}")]) from exc
    except FileNotFoundError as exc:
        raise TranscriptError([Problem(str(p), 0, "file", "no such file")]) from exc
    except OSError as exc:
        raise TranscriptError([Problem(str(p), 0, "file", f"cannot read: {exc}")]) from exc
    return parse_transcript_bytes(data, str(p), rep=rep, persona_name=persona_name, source=source, fmt=fmt,
                                  limits=limits, formats=formats)


def parse_transcript_bytes(
    data: bytes,
    name: str,
    *,
    rep: str | None = None,
    persona_name: str | None = None,
    source: Source = "call",
    fmt: str | None = None,
    limits: TranscriptLimits = DEFAULT_TRANSCRIPT_LIMITS,
    formats: Formats = BUILTIN_FORMATS,
    title: str | None = None,
    progress: Progress | None = None,
) -> ImportedConversation:
    """A transcript from the bytes of a file called ``name`` (a path, or ``archive.zip:member``): its encoding
    detected, its format chosen as ``read_transcript`` does, its title ``title`` or the file's stem (a zip member's
    own). A fallback encoding is named in the conversation's notes. A binary format (audio: its suffix's default
    format, or ``fmt``, has ``read``) gets the bytes as they are, within ``limits.max_audio_bytes``, and reports
    how far it is to ``progress``."""
    own = PurePath(name.rsplit(".zip:", 1)[-1])
    binary = formats.by_name.get((fmt or "").lower().lstrip(".")) if fmt else formats.by_suffix.get(own.suffix.lower())
    if binary is not None and binary.read is not None:
        if limits.max_audio_bytes is not None and len(data) > limits.max_audio_bytes:
            raise TranscriptError([Problem(name, 0, "file", f"{TooLargeError(len(data), limits.max_audio_bytes)}"
                                                            f"{limits.hint('audio_bytes')}")])
        raws, explicit, notes = binary.read(data, name, ReadOptions(limits=limits, progress=progress))
        return _conversation(list(raws), explicit, notes, file=name, rep=rep, persona_name=persona_name,
                             source=source, title=title or own.stem, limits=limits)
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        raise TranscriptError([Problem(name, 0, "file", f"{TooLargeError(len(data), limits.max_bytes)}"
                                                        f"{limits.hint('bytes')}")])
    decoded = decode_transcript(data)
    chosen = fmt or formats.for_file(own.suffix, decoded.text)
    conv = parse_transcript(decoded.text, chosen, file=name, rep=rep, persona_name=persona_name, source=source,
                            title=title or own.stem, limits=limits, formats=formats)
    if decoded.note:
        conv.notes.insert(0, decoded.note)
    return conv
