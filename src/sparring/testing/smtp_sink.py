"""A local SMTP sink on loopback for tests of e-mail (docs/programs.md, "E-mail"; docs/testing.md): an aiosmtpd
server on 127.0.0.1 and a free port that keeps every message it receives. aiosmtpd is in the ``test`` extra only;
nothing imports this module at run time.

    with SmtpSink() as sink:
        ... send to sink.host, sink.port ...
        assert sink.messages[0]["To"] == "lee@acme.test"

``SmtpSink(login=("user", "secret"))`` offers AUTH (without TLS, fine on loopback) and accepts only that login;
``refuse`` lists recipients the server rejects with 550.
"""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.message import Message
from types import TracebackType
from typing import Any


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    def __init__(self, login: tuple[str, str] | None = None, refuse: tuple[str, ...] = ()) -> None:
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self._login = login
        self._refuse = {r.lower() for r in refuse}
        self._controller: Any = None

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self._refuse:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword) and self._login is not None and (
                auth_data.login.decode(), auth_data.password.decode()) == self._login:
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def __enter__(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        options: dict[str, Any] = {}
        if self._login is not None:
            # AUTH offered without TLS (loopback only); a client that logs in must get it right
            options = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(self, hostname=self.host, port=self.port, **options)
        self._controller.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._controller is not None:
            self._controller.stop()
