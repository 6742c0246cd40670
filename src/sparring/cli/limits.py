"""The operator flags that lift the transcript size limits (``sparring.limits``) for one command:
``--max-turns N``, ``--max-words N`` and ``--no-limits``. ``sparring score`` and ``sparring practice`` take them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import typer

from sparring.cli.errors import UserError
from sparring.limits import DEFAULT_TRANSCRIPT_LIMITS, MAX_TRANSCRIPT_WORDS, MAX_TURNS, TranscriptLimits

#: how to lift each limit, appended to the error when a transcript is over it
HINTS = {
    "bytes": "an operator can lift the size limits with --no-limits",
    "seconds": "an operator can lift the limits with --no-limits",
    "turn_words": "an operator can lift the size limits with --no-limits",
    "turns": "an operator can raise this with --max-turns N, or lift the limits with --no-limits",
    "words": "an operator can raise this with --max-words N, or lift the limits with --no-limits",
    "audio_bytes": "SPARRING_AUDIO_MAX_BYTES sets this limit; an operator can lift the limits with --no-limits",
    "audio_seconds": "SPARRING_AUDIO_MAX_SECONDS sets this limit; an operator can lift the limits with --no-limits",
}


def max_turns_option() -> Any:
    return typer.Option(None, "--max-turns", min=1, metavar="N",
                        help=f"operators: accept transcripts of up to N turns (default {MAX_TURNS:,})")


def max_words_option() -> Any:
    return typer.Option(None, "--max-words", min=1, metavar="N",
                        help=f"operators: accept transcripts of up to N words (default {MAX_TRANSCRIPT_WORDS:,})")


def no_limits_option() -> Any:
    return typer.Option(False, "--no-limits",
                        help="operators: lift the transcript size limits (file size, turns, words; "
                             "see docs/user-guide.md)")


def transcript_limits(max_turns: int | None, max_words: int | None, no_limits: bool) -> TranscriptLimits:
    """The limits a command applies: the defaults, with ``--max-turns`` / ``--max-words`` raising (or lowering)
    one cap, or none at all with ``--no-limits``."""
    if no_limits and (max_turns is not None or max_words is not None):
        raise UserError("--no-limits lifts every limit: give it without --max-turns / --max-words")
    base = TranscriptLimits.unlimited() if no_limits else DEFAULT_TRANSCRIPT_LIMITS
    if max_turns is not None:
        base = replace(base, max_turns=max_turns)
    if max_words is not None:
        base = replace(base, max_words=max_words)
    return base.with_hints(HINTS)
