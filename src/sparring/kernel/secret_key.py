"""The installation's secret key: the configured one (``SPARRING_SECRET_KEY``) or one generated once and kept in
the data directory (``web-secret.key``), plus the previous keys still accepted (``SPARRING_SECRET_KEYS_PREVIOUS``).

It signs session cookies and CSRF tokens (``sparring.web.security``) and is the root of the keys that seal secrets
stored in the database (``sparring.kernel.sealing``, docs/security.md). It lives in the kernel so that services and
the store can reach it without importing the web layer.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path

KEY_FILE = "web-secret.key"


def load_or_create_secret(data_dir: Path, configured: str | None) -> str:
    """The configured secret, or one generated once and kept (0600) in the data directory. Several processes
    starting at once on a fresh data directory agree on one secret: it is written to a temporary file and linked
    into place, so a reader never sees a half-written file and the first link wins."""
    if configured:
        return configured
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE
    if not path.is_file():
        tmp = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # fails if another process linked its secret first: then that one is used
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


def signing_keys(current: str, previous: Sequence[str] = ()) -> list[str]:
    """The keys, newest last: the previous ones (without repeats or the current one), then current."""
    older = [k for i, k in enumerate(previous) if k and k != current and k not in previous[:i]]
    return [*older, current]
