"""The database's sealed columns (docs/security.md, "Secrets at rest"): which columns hold secrets sealed with the
installation key, the keyring of this process's settings, and ``seal_secrets`` (``sparring db seal-secrets``),
which seals every plaintext value and re-seals every value sealed with a previous key.

Services seal on write (``seal``) and unseal on read (``unseal``); a legacy plaintext value still reads, and is
sealed when next written or by ``seal_secrets``. The keyring comes from the process's settings
(``SPARRING_SECRET_KEY`` or the data directory's ``web-secret.key``, and ``SPARRING_SECRET_KEYS_PREVIOUS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sparring.kernel.sealing import Keyring, UnsealError, is_sealed
from sparring.kernel.secret_key import load_or_create_secret
from sparring.settings import get_settings
from sparring.store.db import Database
from sparring.store.integration_models import WebhookEndpointRow
from sparring.store.lti_models import LtiKeyRow
from sparring.store.models import User
from sparring.store.sso_models import SsoProviderRow

__all__ = [
    "COLUMNS",
    "LTI_PRIVATE_KEY",
    "OIDC_CLIENT_SECRET",
    "TOTP_SECRET",
    "WEBHOOK_SECRET",
    "SealCounts",
    "UnsealError",
    "keyring",
    "seal",
    "seal_optional",
    "seal_secrets",
    "unseal",
    "unseal_optional",
]

TOTP_SECRET = "users.totp_secret"
LTI_PRIVATE_KEY = "lti_keys.private_pem"
OIDC_CLIENT_SECRET = "sso_providers.oidc_client_secret"
WEBHOOK_SECRET = "webhook_endpoints.secret"

#: every sealed column: its name ("table.column", also the sealing purpose) → (model, attribute)
COLUMNS: dict[str, tuple[Any, str]] = {
    TOTP_SECRET: (User, "totp_secret"),
    LTI_PRIVATE_KEY: (LtiKeyRow, "private_pem"),
    OIDC_CLIENT_SECRET: (SsoProviderRow, "oidc_client_secret"),
    WEBHOOK_SECRET: (WebhookEndpointRow, "secret"),
}


@lru_cache(maxsize=8)
def _keyring(data_dir: str, configured: str | None, previous: tuple[str, ...]) -> Keyring:
    return Keyring(load_or_create_secret(Path(data_dir), configured), previous)


def keyring() -> Keyring:
    """The keyring of this process's settings."""
    settings = get_settings()
    return _keyring(str(settings.data_dir), settings.secret_key, tuple(settings.previous_secret_keys))


def seal(value: str, column: str) -> str:
    """``value`` sealed for ``column`` (one of ``COLUMNS``) with the current key."""
    if column not in COLUMNS:
        raise KeyError(f"{column}: not a sealed column")
    return keyring().seal(value, column)


def seal_optional(value: str | None, column: str) -> str | None:
    return None if value is None else seal(value, column)


def unseal(stored: str, column: str, row: object = None) -> str:
    """The value of ``column`` as stored (a legacy plaintext value as it is); ``UnsealError`` naming the column and
    ``row`` (its id) when it does not open."""
    if not is_sealed(stored):
        return stored
    return keyring().unseal(stored, column, f"row {row}" if row is not None else "")


def unseal_optional(stored: str | None, column: str, row: object = None) -> str | None:
    return None if stored is None else unseal(stored, column, row)


@dataclass
class SealCounts:
    """What ``seal_secrets`` did in one column."""

    sealed: int = 0  # plaintext values sealed
    resealed: int = 0  # values sealed with a previous key, sealed again with the current one
    current: int = 0  # already sealed with the current key


def seal_secrets(db: Database) -> dict[str, SealCounts]:
    """Seal every plaintext value and re-seal every value sealed with a previous key, in one transaction (a value
    that does not open stops it with ``UnsealError`` and nothing is changed). Idempotent; counts per column."""
    ring = keyring()
    out: dict[str, SealCounts] = {}
    with db.session() as s:
        for column, (model, attr) in COLUMNS.items():
            counts = out[column] = SealCounts()
            field = getattr(model, attr)
            for row in s.scalars(select(model).where(field.is_not(None)).order_by(model.id)):
                stored = getattr(row, attr)
                if ring.is_current(stored):
                    counts.current += 1
                    continue
                if is_sealed(stored):
                    counts.resealed += 1
                else:
                    counts.sealed += 1
                setattr(row, attr, ring.seal(ring.unseal(stored, column, f"row {row.id}"), column))
    return out
