"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1, for tests of the real SDK path of an LLM engine
or provider (no network: it answers from a script).

Each request takes the next scripted action (the last one repeats):
``{"args": {...}}`` answers with a tool call to the request's first tool (the structured output);
``{"raw_args": "..."}`` the same with raw (possibly malformed) arguments; ``{"status": 500}`` an error;
``{"sleep": s}`` waits before answering (combine with args). Streaming requests get SSE chunks.
A hanging provider: ``{"hang": true}`` reads the request and never answers; ``{"hang": "after-headers"}`` sends
the response headers (200, and an SSE content type for a stream) and then nothing. Hung requests are let go
when the server stops. ``requests`` counts every request that reached the server, hung ones included.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out hang up mid-answer: that is the point of those tests


class FakeOpenAI:
    def __init__(self, script: list[dict[str, Any]] | None = None):
        self.script: list[dict[str, Any]] = list(script or [{"args": {}}])
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # lets hung handlers go
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def next_action(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.requests.append(body)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                action = fake.next_action(body)
                if action.get("hang"):
                    self._hang(body, action["hang"])
                    return
                if "sleep" in action:
                    time.sleep(action["sleep"])
                if "status" in action:
                    self._send(action["status"], {"error": {"message": f"scripted {action['status']}", "type": "x"}})
                    return
                tools = body.get("tools") or []
                name = tools[0]["function"]["name"] if tools else None
                args = action.get("raw_args")
                if args is None:
                    args = json.dumps(action.get("args", {}))
                if body.get("stream"):
                    self._stream(body, name, args, action)
                    return
                message: dict[str, Any] = {"role": "assistant", "content": None}
                if name:
                    message["tool_calls"] = [
                        {"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}
                    ]
                else:
                    message["content"] = args
                self._send(
                    200,
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "fake"),
                        "choices": [
                            {"index": 0, "message": message, "finish_reason": "tool_calls" if name else "stop"}
                        ],
                        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
                    },
                )

            def _hang(self, body: dict[str, Any], how: object) -> None:
                if how == "after-headers":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream" if body.get("stream") else "application/json")
                    if not body.get("stream"):
                        self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.flush()
                fake._stopping.wait(60)
                self.close_connection = True

            def _stream(self, body: dict[str, Any], name: str | None, args: str, action: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": body.get("model")}

                def emit(delta: dict[str, Any], finish: str | None = None, usage: dict[str, int] | None = None) -> None:
                    chunk = dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish}])
                    if usage is not None:
                        chunk = dict(base, choices=[], usage=usage)
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()

                step = int(action.get("chunk", 12))
                if name:
                    emit({"role": "assistant", "tool_calls": [
                        {"index": 0, "id": "call_1", "type": "function", "function": {"name": name, "arguments": ""}}
                    ]})  # fmt: skip
                    for i in range(0, len(args), step):
                        emit({"tool_calls": [{"index": 0, "function": {"arguments": args[i : i + step]}}]})
                        if action.get("chunk_sleep"):
                            time.sleep(action["chunk_sleep"])
                    emit({}, "tool_calls")
                else:
                    for i in range(0, len(args), step):
                        emit({"role": "assistant", "content": args[i : i + step]})
                    emit({}, "stop")
                emit({}, usage={"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        return Handler
