"""Decode an audio call into one 16 kHz track per channel (docs/calls.md, "Audio").

The file is read from memory with PyAV (FFmpeg's decoders, bundled in its wheel: WAV, MP3, M4A/AAC and more). One
speaker per channel is the rule, as call recorders write a call (the rep on one side, the other party on the
other), so:

- a **mono** file is refused before it is decoded: one track cannot say who spoke (the error says to export the
  call as stereo or with one track per speaker);
- a stereo file whose two channels are the **same** signal (mono saved as stereo) is refused the same way;
- a file whose channels hold **no sound** at all is refused;
- the **duration** is checked against ``max_seconds`` from the header before decoding, and again while decoding
  (a header may not tell or may lie);
- a file FFmpeg cannot read, or that breaks off while decoding, fails with FFmpeg's reason and the position.

Every error is a ``TranscriptError`` naming the file. PyAV comes with the ``[asr]`` extra: without it,
``AsrUnavailable`` (also a ``TranscriptError``) says how to install it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparring.conversation.errors import Problem, TranscriptError

if TYPE_CHECKING:
    import numpy as np

#: the rate Whisper listens at
RATE = 16_000
#: decoded channels whose difference is below this share of their level are one signal (mono saved as stereo)
SAME_SIGNAL = 0.02
#: a channel quieter than this RMS (16-bit full scale 32768) holds no sound
SILENT_RMS = 8.0
INSTALL = "pip install 'sparring[asr]'"


class AsrUnavailable(TranscriptError):
    """The optional speech-to-text extra is not installed."""

    def __init__(self, file: str, missing: str):
        super().__init__([Problem(file, 0, "asr", f"audio calls need the optional speech-to-text extra, which is not "
                                                  f"installed ({missing} is missing): {INSTALL}")])


@dataclass(frozen=True)
class Audio:
    """A decoded call: 16-bit samples at ``RATE``, one column per channel (2 bytes a sample: ~0.23 GB an hour of
    stereo), and its duration in seconds. ``track(i)`` gives one channel as Whisper takes it (float32)."""

    pcm: np.ndarray
    seconds: float

    @property
    def channels(self) -> int:
        return int(self.pcm.shape[1])

    def track(self, channel: int) -> np.ndarray:
        import numpy as np

        return self.pcm[:, channel].astype(np.float32) / np.float32(32768.0)


def _problem(file: str, field: str, message: str) -> TranscriptError:
    return TranscriptError([Problem(file, 0, field, message)])


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}"


def _too_long(file: str, seconds: float, max_seconds: float, hint: str) -> TranscriptError:
    return _problem(file, "duration", f"the audio is too long ({_clock(seconds)}; at most {_clock(max_seconds)})"
                                      f"{hint}")


def import_av(file: str) -> Any:
    try:
        import av
    except ImportError as exc:
        raise AsrUnavailable(file, "PyAV") from exc
    return av


def decode(data: bytes, file: str, *, max_seconds: float | None = None, hint: str = "", mono: bool = False) -> Audio:
    """The tracks of the audio file ``data`` called ``file`` (module docstring for what is refused). ``hint``
    (how to lift the duration limit) is appended to a too-long error. ``mono``: one speaker, one track (a learner's
    spoken turn, docs/voice.md): any channel count is taken and mixed down to one track."""
    av = import_av(file)
    import numpy as np

    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise _problem(file, "audio", f"not a readable audio file (wav, mp3 or m4a expected): {exc}") from exc
    with container:
        if not container.streams.audio:
            raise _problem(file, "audio", "not an audio file: it has no audio stream (wav, mp3 or m4a expected)")
        stream = container.streams.audio[0]
        channels = int(stream.codec_context.channels or 0)
        if channels == 1 and not mono:
            raise _problem(file, "channels", "the audio is mono: one track cannot tell who spoke. Export the call "
                                             "as stereo with one speaker per channel (what call recorders write), "
                                             "or transcribe it elsewhere and import the transcript")
        if channels < 1:
            raise _problem(file, "channels", "the audio stream does not say how many channels it has")
        declared = _declared_seconds(container, stream)
        if max_seconds is not None and declared is not None and declared > max_seconds:
            raise _too_long(file, declared, max_seconds, hint)
        layout = "mono" if mono else "stereo" if channels == 2 else None
        resampler = av.AudioResampler(format="s16", layout=layout or stream.layout, rate=RATE)
        chunks: list[np.ndarray] = []
        samples = 0
        cap = None if max_seconds is None else int(max_seconds * RATE) + RATE
        try:
            for frame in container.decode(stream):
                frame.pts = None
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    samples += out.samples
                if cap is not None and samples > cap:
                    raise _too_long(file, samples / RATE, float(max_seconds or 0), hint)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            raise _problem(file, "audio", f"the audio is damaged at about {_clock(samples / RATE)}: {exc}") from exc
    if not chunks:
        raise _problem(file, "audio", "the audio stream holds no sound")
    pcm = np.concatenate(chunks).reshape(-1, 1 if mono else channels)
    if pcm.shape[0] < RATE // 4:
        raise _problem(file, "audio", f"the audio is too short to hold speech ({pcm.shape[0] / RATE:.2f} s)")
    _check_channels(pcm, file)
    return Audio(pcm, pcm.shape[0] / RATE)


def _declared_seconds(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    return None


def _check_channels(pcm: np.ndarray, file: str) -> None:
    import numpy as np

    probe = pcm[::8].astype(np.float64)  # every 8th sample (2 kHz) tells the level, in an eighth of the memory
    level = np.sqrt(np.mean(probe ** 2, axis=0))
    if float(level.max()) < SILENT_RMS:
        raise _problem(file, "audio", "the audio is silent: no channel holds any sound")
    if pcm.shape[1] == 2:
        diff = np.sqrt(np.mean((probe[:, 0] - probe[:, 1]) ** 2))
        if diff < SAME_SIGNAL * float(level.max()):
            raise _problem(file, "channels", "both channels carry the same sound (mono saved as stereo), so they "
                                             "cannot tell who spoke. Export the call with one speaker per channel "
                                             "(what call recorders write)")
