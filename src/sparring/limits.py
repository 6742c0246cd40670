"""Size limits on what Sparring reads from outside: content YAML and transcripts.

Every limit is a named constant here so that operators find them in one place (docs/content-format.md,
"Limits"; docs/user-guide.md, "Transcript limits"; the reasons in docs/decisions.md). They are generous for
real use and exist so that one file cannot tie up a request, a worker or the machine:

- Content YAML (scenarios and rubrics, from files, the web editor or an import): at most ``MAX_CONTENT_BYTES``
  of UTF-8, ``MAX_YAML_NODES`` values and ``MAX_YAML_DEPTH`` levels of nesting; anchors and aliases are refused
  outright (``sparring.content.yamlsource``). The largest built-in file is ~11 KB with ~510 values, 5 levels deep.
- Transcripts (text, JSON, WebVTT, SRT; ``sparring score``, ``sparring practice --script``, rubric tests): at
  most ``MAX_TRANSCRIPT_BYTES``, ``MAX_TURNS`` turns, ``MAX_TURN_WORDS`` words in one turn and
  ``MAX_TRANSCRIPT_WORDS`` words in all, and no time stamp past ``MAX_TRANSCRIPT_SECONDS``. A 3-hour sales call at
  ~150 words a minute is ~27,000 words in a few thousand turns, and ~0.3-1 MB as WebVTT, so every cap is several
  times what a real call needs. Operators
  lift them per command (``--max-turns``, ``--max-words``, ``--no-limits``) with ``TranscriptLimits``.
- Audio calls (wav, mp3, m4a, transcribed by the optional ``[asr]`` extra): at most ``MAX_AUDIO_BYTES`` and
  ``MAX_AUDIO_SECONDS``; the settings ``SPARRING_AUDIO_MAX_BYTES`` / ``SPARRING_AUDIO_MAX_SECONDS`` change them.
- JSON transcripts are nested at most ``MAX_JSON_DEPTH`` levels (a transcript needs 3); this one is never
  lifted: it protects the parser, not the scorer.

This module is part of the core: it imports nothing from the web layer, the CLI or the services.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

# -- content YAML -------------------------------------------------------------------------------------------------
#: one scenario or rubric document (a file, the editor's text, one stored version): ~90x the largest built-in one
MAX_CONTENT_BYTES = 1_000_000
#: scalars, mappings and sequences in one document: ~100x the largest built-in one
MAX_YAML_NODES = 50_000
#: levels of nesting (mappings and sequences); content needs 5
MAX_YAML_DEPTH = 32

# -- transcripts --------------------------------------------------------------------------------------------------
#: one transcript file: a 3-hour call is ~0.3 MB of text or ~1 MB of WebVTT with timestamps
MAX_TRANSCRIPT_BYTES = 5_000_000
#: turns in one transcript: a 3-hour call has a few thousand (each speaker change is one turn)
MAX_TURNS = 10_000
#: words in one turn: ~65 minutes of uninterrupted speech at 150 words a minute
MAX_TURN_WORDS = 10_000
#: words in one transcript: ~11 hours of speech at 150 words a minute (a 3-hour call is ~27,000)
MAX_TRANSCRIPT_WORDS = 100_000
#: the last time stamp of a transcript: a working day; a call timed past it is a broken export (milliseconds read
#: as seconds) far more often than a real 12-hour call
MAX_TRANSCRIPT_SECONDS = 12 * 3600
# -- audio calls (sparring.asr; docs/calls.md, "Audio") ----------------------------------------------------------
#: one audio file: a 2-hour call is ~115 MB as 64 kbit/s stereo MP3 or M4A and ~230 MB as 8 kHz 16-bit stereo WAV
#: (a call recorder's usual WAV); CD-quality stereo WAV (~10 MB a minute) over ~47 minutes needs converting first
MAX_AUDIO_BYTES = 500_000_000
#: one audio call's duration: transcription holds ~0.5 GB of decoded audio per hour of stereo while it runs
MAX_AUDIO_SECONDS = 2 * 3600
#: nesting of a JSON transcript ({"turns": [{...}]} is 3 levels); never lifted
MAX_JSON_DEPTH = 64


@dataclass(frozen=True)
class TranscriptLimits:
    """The caps one transcript read applies; ``None`` lifts a cap. ``hints`` maps a cap's name (``bytes``,
    ``turns``, ``turn_words``, ``words``, ``seconds``) to how to lift it, appended to the error (the CLI names its
    flags)."""

    max_bytes: int | None = MAX_TRANSCRIPT_BYTES
    max_turns: int | None = MAX_TURNS
    max_turn_words: int | None = MAX_TURN_WORDS
    max_words: int | None = MAX_TRANSCRIPT_WORDS
    max_seconds: float | None = MAX_TRANSCRIPT_SECONDS
    #: an audio file's bytes and duration (``audio_bytes``, ``audio_seconds`` in ``hints``)
    max_audio_bytes: int | None = MAX_AUDIO_BYTES
    max_audio_seconds: float | None = MAX_AUDIO_SECONDS
    hints: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def unlimited(cls) -> TranscriptLimits:
        return cls(max_bytes=None, max_turns=None, max_turn_words=None, max_words=None, max_seconds=None,
                   max_audio_bytes=None, max_audio_seconds=None)

    def with_hints(self, hints: Mapping[str, str]) -> TranscriptLimits:
        return replace(self, hints=dict(hints))

    def hint(self, name: str) -> str:
        text = self.hints.get(name, "")
        return f"; {text}" if text else ""


DEFAULT_TRANSCRIPT_LIMITS = TranscriptLimits()


class TooLargeError(ValueError):
    """A file larger than its cap; ``size`` is its size, or None when only "more than ``limit``" is known."""

    def __init__(self, size: int | None, limit: int):
        told = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
        super().__init__(f"the file is too large ({told}; at most {limit:,})")
        self.size = size
        self.limit = limit


def read_bytes_capped(path: Path, max_bytes: int | None) -> bytes:
    """The bytes of ``path``, reading at most ``max_bytes + 1``: a larger file raises TooLargeError without being
    read into memory (also a pipe or a device, whose size ``stat`` does not tell). FileNotFoundError and OSError
    pass through."""
    with path.open("rb") as f:
        data = f.read() if max_bytes is None else f.read(max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        try:
            size: int | None = path.stat().st_size
        except OSError:
            size = None
        raise TooLargeError(size if size is not None and size > max_bytes else None, max_bytes)
    return data


def read_text_capped(path: Path, max_bytes: int | None, encoding: str = "utf-8") -> str:
    """The text of ``path`` as ``Path.read_text`` gives it (Windows and old Mac line ends made LF), reading at most
    ``max_bytes + 1`` bytes: a larger file raises TooLargeError without being read into memory (also a pipe or a
    device, whose size ``stat`` does not tell). FileNotFoundError, OSError and UnicodeDecodeError pass through."""
    data = read_bytes_capped(path, max_bytes)
    text = data.decode(encoding)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def utf8_size(text: str, limit: int) -> int:
    """The UTF-8 size of ``text`` in bytes; for a text of more than ``4 * limit`` characters, which is over the
    limit whatever its characters, its length in characters (a lower bound), without encoding it."""
    if len(text) > 4 * limit:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


_SPACE = re.compile(r"\s")
_CHUNK = 1 << 16


def count_words(text: str, stop_above: int | None = None) -> int:
    """Whitespace-separated words in ``text`` (as ``len(text.split())``), counted in chunks so that a huge text
    needs no list of all its words; stops early once the count passes ``stop_above``."""
    if len(text) <= _CHUNK:
        return len(text.split())
    n, i, end = 0, 0, len(text)
    while i < end:
        j = i + _CHUNK
        if j < end:
            m = _SPACE.search(text, j)
            j = m.start() if m else end
        n += len(text[i:j].split())
        if stop_above is not None and n > stop_above:
            return n
        i = j
    return n
