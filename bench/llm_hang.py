"""How long a hanging LLM provider holds up a persona turn and a scorecard, with the DEFAULT settings.

    .venv/bin/python bench/llm_hang.py [--mode silent|after-headers] [--without-fail-fast] [--json]

A loopback server stands in for the provider: it accepts each connection, reads the request and never answers
(``silent``), or answers the headers and then nothing (``after-headers``). The engines come from
``sparring.engines`` exactly as the web and CLI build them (a new engine per call, the process-wide circuit
breaker), with every fail-fast setting at its default (the SPARRING_* variables that would change them are
removed from this process's environment first). The sequence:

1. a persona turn (waits for the first-token deadline, then the embedded engine answers);
2. a scorecard (waits for the judge deadline, then the embedded scorer);
3. a second persona turn: the third failure in a row, which opens the endpoint's breaker;
4. a persona turn and a scorecard while the breaker is open: no request reaches the server.

``--without-fail-fast`` measures what the same hang cost before these settings existed (first-token and judge
deadlines far away, no breaker; only ``llm_timeout`` × attempts bounds the wait): steps 1 and 2 only, ~3 minutes.

Each row is the wall time of ``engine.reply`` / ``scorer.score`` (the embedded engines are warmed first, so
their one-off model load is not counted; it is printed apart), the fallback reason, and how many requests the
server received by then.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import threading
import time
from typing import Any

from sparring.content.library import load_library
from sparring.conversation.model import Conversation
from sparring.engines import persona_engine, scorer
from sparring.persona.embedded import EmbeddedPersonaEngine
from sparring.scoring.embedded import EmbeddedScorer
from sparring.settings import Settings, get_settings, reset_settings_cache

#: settings that would change what is measured: removed so the defaults apply
_OVERRIDES = ("SPARRING_CONFIG", "SPARRING_LLM_TIMEOUT", "SPARRING_LLM_MAX_RETRIES", "SPARRING_JUDGE_SAMPLES",
              "SPARRING_LLM_FIRST_TOKEN_TIMEOUT", "SPARRING_JUDGE_DEADLINE", "SPARRING_LLM_BREAKER_FAILURES",
              "SPARRING_LLM_BREAKER_WINDOW", "SPARRING_LLM_BREAKER_COOLDOWN")  # fmt: skip


class HangingServer:
    """Accepts connections on 127.0.0.1, reads each request, and never answers (or only with headers)."""

    def __init__(self, mode: str):
        self.mode = mode
        self.requests = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"

    def start(self) -> HangingServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._hang, args=(conn,), daemon=True).start()

    def _hang(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            conn.settimeout(5)
            try:
                while b"\r\n\r\n" not in data:  # the request line and headers: one request has arrived
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
            except OSError:
                return
            self.requests += 1
            if self.mode == "after-headers":
                stream = b'"stream":true' in data or b'"stream": true' in data
                kind = b"text/event-stream" if stream else b"application/json"
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + kind + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
            self._stop.wait()  # and never a byte more


def _conversation(scenario_opening: str, name: str) -> Conversation:
    conv = Conversation()
    conv.add(name, "counterpart", scenario_opening)
    conv.add("Alex", "learner", "Thanks for the time. What is driving the review on your side?")
    conv.add(name, "counterpart", "The COO wants twelve percent off, or we look at MedSlot.")
    conv.add("Alex", "learner", "That sounds like real pressure. What would a win look like for her?")
    return conv


#: settings that switch failing fast off, for the comparison run
_WITHOUT = {"SPARRING_LLM_FIRST_TOKEN_TIMEOUT": "100000", "SPARRING_JUDGE_DEADLINE": "100000",
            "SPARRING_LLM_BREAKER_FAILURES": "0"}  # fmt: skip


def run(mode: str, without_fail_fast: bool = False) -> dict[str, Any]:
    for var in _OVERRIDES:
        os.environ.pop(var, None)
    if without_fail_fast:
        os.environ.update(_WITHOUT)
    server = HangingServer(mode).start()
    os.environ.update({
        "SPARRING_LLM_PROVIDER": "openai-compatible",
        "SPARRING_LLM_BASE_URL": server.base_url,
        "SPARRING_PERSONA_MODEL": "hanging-persona",
        "SPARRING_JUDGE_MODEL": "hanging-judge",
    })  # fmt: skip
    reset_settings_cache()
    settings = get_settings()
    lib = load_library()
    scenario = lib.scenario("cs-renewal-discount")
    rubric = lib.rubric(scenario.rubric)
    embedded = EmbeddedPersonaEngine()
    opening = embedded.open(scenario, "medium")
    conv = _conversation(opening.text, scenario.persona.name)
    t0 = time.perf_counter()
    embedded.reply(scenario, opening.state, conv)
    EmbeddedScorer().score(conv, rubric)
    warm_up = time.perf_counter() - t0

    rows: list[dict[str, Any]] = []

    def persona(step: str) -> None:
        engine = persona_engine(settings)  # per call, as the services build engines per request
        t = time.perf_counter()
        reply = engine.reply(scenario, opening.state, conv)
        rows.append({"step": step, "seconds": round(time.perf_counter() - t, 3), "engine": reply.engine,
                     "fallback_reason": reply.fallback_reason, "requests_so_far": server.requests})  # fmt: skip

    def scorecard(step: str) -> None:
        judge = scorer(settings)
        t = time.perf_counter()
        card = judge.score(conv, rubric)
        rows.append({"step": step, "seconds": round(time.perf_counter() - t, 3), "engine": card.engine,
                     "fallback_reason": card.fallback_reason, "requests_so_far": server.requests})  # fmt: skip

    try:
        persona("persona turn, provider hangs")
        scorecard("scorecard, provider hangs")
        if not without_fail_fast:
            persona("persona turn, provider hangs (3rd failure: breaker opens)")
            persona("persona turn, breaker open")
            scorecard("scorecard, breaker open")
    finally:
        server.stop()
    return {
        "mode": mode + (", without failing fast" if without_fail_fast else ""),
        "settings": _fail_fast_settings(settings),
        "embedded_warm_up_seconds": round(warm_up, 3),
        "rows": rows,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def _fail_fast_settings(s: Settings) -> dict[str, Any]:
    return {"llm_timeout": s.llm_timeout, "llm_max_retries": s.llm_max_retries,
            "llm_first_token_timeout": s.llm_first_token_timeout, "judge_deadline": s.judge_deadline,
            "llm_breaker_failures": s.llm_breaker_failures, "llm_breaker_window": s.llm_breaker_window,
            "llm_breaker_cooldown": s.llm_breaker_cooldown}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--mode", choices=("silent", "after-headers"), default="silent")
    ap.add_argument("--without-fail-fast", action="store_true", help="the same hang with the old behaviour")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = run(args.mode, args.without_fail_fast)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"mode: {result['mode']}; settings: {result['settings']}")
    print(f"embedded engines' one-off warm-up (not counted below): {result['embedded_warm_up_seconds']} s")
    for row in result["rows"]:
        print(f"  {row['seconds']:7.3f} s  {row['step']:60} requests={row['requests_so_far']}  engine={row['engine']}")
        print(f"            fallback_reason: {row['fallback_reason']}")
    print(f"load average (1 min): {result['load_average_1min']}; cpus: {result['cpus']}")


if __name__ == "__main__":
    main()
