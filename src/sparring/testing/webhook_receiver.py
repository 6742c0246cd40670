"""A webhook receiver on loopback for tests (of Sparring and of code that consumes its webhooks): a threaded
``http.server`` that records every POST, checks its ``Sparring-Signature`` with the endpoint's secret, and answers
with the status codes it is told to, in order (then 200).

```python
with WebhookReceiver(answers=[500]) as receiver:
    url = receiver.url                      # http://127.0.0.1:<port>/hook
    ...                                      # create the endpoint, set receiver.secret, run the jobs
    assert [r.status for r in receiver.received] == [500, 200]
    assert all(r.signature_ok for r in receiver.received)
```
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sparring.integrations.webhooks import SIGNATURE_HEADER, verify


@dataclass(frozen=True)
class Received:
    """One POST the receiver got, what it answered and whether the signature was right."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    signature_ok: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Records POSTs to ``url``; ``secret`` checks signatures (set it once the endpoint exists); ``answers`` are the
    status codes of the first requests; ``delay`` seconds before each answer (a slow receiver)."""

    answers: Iterable[int] = ()
    secret: str | None = None
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._answers = list(self.answers)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver._lock:
                    status = receiver._answers.pop(0) if receiver._answers else 200
                    ok = receiver.secret is not None and verify(self.headers.get(SIGNATURE_HEADER, ""),
                                                                receiver.secret, body)
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body, status, ok))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
