"""The ``audio`` transcript format: wav, mp3 and m4a files transcribed offline (docs/calls.md, "Audio").

Declared as a ``sparring.importers`` entry point like any format, so ``sparring call import call.wav``, folders and
zips holding audio, and uploads imported by the ``import_call`` job all go through ``CallImporter``. It is a binary
format (``TranscriptFormat.read``): it gets the file's bytes, decodes them (``sparring.asr.audio``), transcribes
each channel as one speaker (``sparring.asr.engine``) and merges the timed pieces into turns
(``sparring.asr.turns``). Speakers are named by channel: ``Left`` and ``Right`` for stereo (``Channel N`` beyond
two); the rep is chosen with ``--rep Left`` (or ``Right``), or guessed as for any transcript, and said so.

Progress (``ReadOptions.progress``): decoding is 5 %, each channel an equal share of the rest, by how far into
the channel the recogniser is.
"""

from __future__ import annotations

import time

from sparring.asr import engine
from sparring.asr.audio import decode
from sparring.asr.turns import Piece, merge
from sparring.conversation.errors import Problem, TranscriptError
from sparring.conversation.importers import Parsed, ReadOptions, TranscriptFormat

SUFFIXES = (".wav", ".mp3", ".m4a")
#: what decoding counts for in the progress of one file
DECODE_SHARE = 0.05
#: progress is reported at most this often (seconds); the last report of each channel always goes out
REPORT_EVERY = 1.0


def speaker_name(channel: int, channels: int) -> str:
    if channels == 2:
        return ("Left", "Right")[channel]
    return f"Channel {channel + 1}"


def _not_text(_text: str, file: str) -> Parsed:
    raise TranscriptError([Problem(file, 0, "format", "audio is read from the file's bytes, not from text")])


def read_audio(data: bytes, file: str, options: ReadOptions) -> Parsed:
    """The timed turns of the audio file ``data`` (module docstring). TranscriptError naming the file for a file
    that cannot be used, or when the ``[asr]`` extra is missing."""
    limits = options.limits
    report = options.progress
    model = engine.load_model(file)  # first: a missing extra is said before anything else
    if report is not None:
        report(0.0, "decoding the audio")
    audio = decode(data, file, max_seconds=limits.max_audio_seconds, hint=limits.hint("audio_seconds"))
    pieces: list[Piece] = []
    share = (1.0 - DECODE_SHARE) / audio.channels
    for channel in range(audio.channels):
        speaker = speaker_name(channel, audio.channels)
        base = DECODE_SHARE + channel * share
        last = [0.0]

        def on_time(seconds: float, base: float = base, speaker: str = speaker, last: list[float] = last) -> None:
            now = time.monotonic()
            if report is not None and now - last[0] >= REPORT_EVERY:
                last[0] = now
                done = min(1.0, seconds / audio.seconds) if audio.seconds else 1.0
                report(base + share * done, f"transcribing {speaker} ({_clock(seconds)} of {_clock(audio.seconds)})")

        pieces.extend(engine.transcribe_track(model, audio.track(channel), speaker, on_time))
        if report is not None:
            report(base + share, f"transcribed {speaker}")
    turns = merge(pieces)
    if not turns:
        raise TranscriptError([Problem(file, 0, "audio", "no speech was recognised in the audio")])
    speakers = {t[0] for t in turns}
    notes = [f"transcribed offline from {audio.channels} channels ({_clock(audio.seconds)}) with "
             f"{engine.MODEL_NAME}; words may be misheard"]
    silent = [speaker_name(c, audio.channels) for c in range(audio.channels)
              if speaker_name(c, audio.channels) not in speakers]
    if silent:
        notes.append(f"no speech recognised on {', '.join(silent)}")
    return turns, {}, notes


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}" if m < 60 else f"{m // 60}:{m % 60:02d}:{s:02d}"


AUDIO = TranscriptFormat("audio", SUFFIXES, _not_text, read=read_audio)
