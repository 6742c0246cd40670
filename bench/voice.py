"""Benchmark: a spoken practice turn, from the end of the learner's speech to the counterpart's reply being ready
(docs/voice.md; issue 15 target: p95 <= 1.5 s to the first audio of the reply, embedded persona, 2 cores).

    .venv/bin/python bench/voice.py [--turns 12] [--json]

Synthesises learner turns of 3-25 words with espeak-ng (WebM/Opus, as Chromium's MediaRecorder uploads), then for
each, on one running rep of the embedded persona over a throw-away SQLite database, times what the server does
after the recording arrives: hear it (``VoiceService.transcribe``: decode, Whisper tiny.en, delivery, store) and
take the turn (``PracticeService.submit_turn``: store the line, the persona's reply). Printed per stage and in
total, p50/p95, with the page's two waits from static/practice.js: ``EARLY_SILENCE_MS``, the quiet after which the
page already sends the take so far to be heard, and ``END_SILENCE_MS``, the quiet that ends the turn (docs/voice.md,
"Hearing early"). The reply is ready at max(end wait, early wait + hearing) + the turn — the page uses the early
take when the learner said nothing more. When they went on talking after a pause (the early take discarded), the
whole turn is heard after the end wait: end wait + hearing + the turn, reported as ``after_mid_turn_pause_s``.
Each synthesised take ends 0.4 s after the speech, as the early take does.

With ``--server-voice`` it also times the server voice (piper from the ``[tts]`` extra, a separate process, the
packaged en_US-joe-medium voice) speaking each reply, and the total to the reply's audio being ready.

Not measured here: the upload on loopback (~1 ms for ~20 KB), and the browser's speechSynthesis starting to speak
(local; tens of ms in Chromium with a system voice). Needs the ``[voice]``/``[asr]`` extra and espeak-ng.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sparring.testing.speech import encode_webm, missing, synthesize_take

LINES = [
    "Okay, why now?",
    "What would change for your team if the price stayed the same?",
    "Walk me through how the renewal decision gets made on your side.",
    "I hear you. Twenty percent is a big ask for a tool your nurses use every day.",
    "If we locked the price for two years, could you commit to the full clinic rollout by March?",
    "Who else would need to be in the room for that decision?",
    "So the board wants every vendor line justified, and ours is one of the biggest. Did I get that right?",
    "What did the no-show rate cost you last year, roughly?",
    "Could we book thirty minutes with Marcus on Thursday to go through the numbers together?",
    "That makes sense.",
    "Let me be straight with you: a discount without a longer term is not something I can do.",
    "What would a good outcome look like for you by the end of the quarter?",
]


def page_wait_ms(name: str) -> int:
    """A wait of the practice page's recorder (``EARLY_SILENCE_MS``, ``END_SILENCE_MS``), from its script."""
    js = (Path(__file__).resolve().parents[1] / "src/sparring/web/static/practice.js").read_text(encoding="utf-8")
    m = re.search(rf"{name} = (\d+)", js)
    if m is None:
        raise SystemExit(f"static/practice.js has no {name}")
    return int(m.group(1))


def spread(values: list[float]) -> dict[str, float]:
    """p50 and p95 of ``values``, in seconds to the millisecond."""
    return {"p50": round(statistics.median(values), 3), "p95": round(pct(values, 0.95), 3)}


def show(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(out, indent=1))
    else:
        for k, v in out.items():
            print(f"{k:24s} {v}")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--server-voice", action="store_true",
                        help="also time the server voice (piper, the [tts] extra) speaking each reply")
    args = parser.parse_args(argv)
    if missing():
        print(f"needs {missing()} (apt-get install espeak-ng sox)", file=sys.stderr)
        return 2
    from sparring.asr.engine import load_model
    from sparring.persona.embedded import EmbeddedPersonaEngine
    from sparring.scoring.embedded import EmbeddedScorer
    from sparring.services.accounts import Accounts
    from sparring.services.practice import PracticeService
    from sparring.services.voice import VoiceService
    from sparring.store.db import Database

    hear: list[float] = []
    turn: list[float] = []
    speak: list[float] = []
    piper = None
    if args.server_voice:
        from sparring.tts.piper import PiperProcess, packaged_voice, piper_missing

        voice_model = packaged_voice()
        if piper_missing() or voice_model is None:
            print("--server-voice needs the [tts] extra (pip install 'sparring[tts]')", file=sys.stderr)
            return 2
        piper = PiperProcess(voice_model)
        piper.speak("Warming up.")  # the process starts and loads the voice once, before the first reply
    with tempfile.TemporaryDirectory(prefix="sparring-voice-bench-") as tmp:
        takes = [encode_webm(synthesize_take([LINES[i % len(LINES)]], Path(tmp) / f"t{i}.wav")).read_bytes()
                 for i in range(args.turns)]
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        started = time.perf_counter()
        load_model("bench")
        load_s = time.perf_counter() - started
        practice = PracticeService(db, persona=EmbeddedPersonaEngine, scorer=EmbeddedScorer)
        voice = VoiceService(db)
        user = Accounts(db).local_learner()
        rep = practice.start_rep(user, "cs-renewal-discount", "medium")
        practice.submit_turn(rep.id, "Thanks for making the time today.")  # warm the persona and act model
        for data in takes:
            if practice.get_rep(rep.id).ended:
                rep = practice.start_rep(user, "cs-renewal-discount", "medium")
            t0 = time.perf_counter()
            take = voice.transcribe(rep.id, user.id, data, "turn.webm")
            t1 = time.perf_counter()
            result = practice.submit_turn(rep.id, take.text, owner_id=user.id)
            voice.attach(take.id, rep.id, user.id, result.learner_turn.index)
            t2 = time.perf_counter()
            hear.append(t1 - t0)
            turn.append(t2 - t1)
            if piper is not None and result.reply is not None:
                piper.speak(result.reply.text)  # the whole WAV: the page plays it when it has arrived
                speak.append(time.perf_counter() - t2)
        db.dispose()
        if piper is not None:
            piper.close()
    wait = page_wait_ms("END_SILENCE_MS") / 1000
    early = page_wait_ms("EARLY_SILENCE_MS") / 1000
    total = [max(wait, early + h) + t for h, t in zip(hear, turn, strict=True)]
    paused = [wait + h + t for h, t in zip(hear, turn, strict=True)]
    out: dict[str, Any] = {
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "turns": len(hear),
        "model_load_s": round(load_s, 2),
        "end_of_turn_wait_s": wait,
        "early_hearing_wait_s": early,
        "hear_s": {"p50": round(statistics.median(hear), 3), "p95": round(pct(hear, 0.95), 3)},
        "turn_s": {"p50": round(statistics.median(turn), 3), "p95": round(pct(turn, 0.95), 3)},
        "server_s": {"p50": round(statistics.median([h + t for h, t in zip(hear, turn, strict=True)]), 3),
                     "p95": round(pct([h + t for h, t in zip(hear, turn, strict=True)], 0.95), 3)},
        "speech_end_to_reply_s": {"p50": round(statistics.median(total), 3), "p95": round(pct(total, 0.95), 3)},
        "after_mid_turn_pause_s": {"p50": round(statistics.median(paused), 3), "p95": round(pct(paused, 0.95), 3)},
        "target_p95_s": 1.5,
    }
    if speak:  # the server voice: the reply's audio is ready only once piper has spoken all of it
        spoken = [t + v for t, v in zip(total, speak, strict=False)]
        out["server_voice_speak_s"] = {"p50": round(statistics.median(speak), 3), "p95": round(pct(speak, 0.95), 3)}
        out["speech_end_to_server_audio_s"] = {"p50": round(statistics.median(spoken), 3),
                                               "p95": round(pct(spoken, 0.95), 3)}
    show(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
