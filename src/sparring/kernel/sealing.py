"""Sealing: authenticated encryption of secrets stored in the database (docs/security.md, "Secrets at rest").

A sealed value is text, ``sealed:v1:<kid>:<base64>``: ``kid`` names the installation key it was sealed with (the
first 8 hex digits of a SHA-256 of that key, so it says which key without giving it away) and the base64 holds a
random 12-byte nonce followed by the AES-256-GCM ciphertext and tag. The AES key is derived from the installation
key by HKDF-SHA256 with the *purpose* (the column, e.g. ``users.totp_secret``) as its info, and the purpose and kid
are the associated data too: a value sealed for one column does not open in another.

A :class:`Keyring` holds the current key (it seals) and the previous ones (they still open what they sealed, so a
key rotation keeps old values readable until they are sealed again). A value without the prefix is a legacy
plaintext value and is returned as it is. A value that does not open raises :class:`UnsealError`, whose message
names the purpose and what to do; never a wrong value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "sealed:"
VERSION = "v1"
_NONCE = 12
_SALT = b"sparring-sealing-v1"
_HINT = (
    "restore the SPARRING_SECRET_KEY (or the data directory's web-secret.key) it was sealed with, or add "
    "that key to SPARRING_SECRET_KEYS_PREVIOUS"
)


class UnsealError(ValueError):
    """A sealed value that cannot be opened: the key it was sealed with is missing, or it was altered or made for
    another column. The message names the column (and row, when known) and what to do."""


def key_id(secret: str) -> str:
    """The kid of an installation key: 8 hex digits, the same on every installation with that key."""
    return hashlib.sha256(b"sparring-sealing-kid\0" + secret.encode("utf-8")).hexdigest()[:8]


def is_sealed(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX)


def sealed_kid(value: str) -> str | None:
    """The kid of a sealed value, None for a plaintext one."""
    if not is_sealed(value):
        return None
    parts = value.split(":", 3)
    return parts[2] if len(parts) == 4 else ""


def _aes_key(secret: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose.encode("utf-8"))
    return hkdf.derive(secret.encode("utf-8"))


class Keyring:
    """The current installation key and the previous ones (``signing_keys`` order or any: current wins)."""

    def __init__(self, current: str, previous: Sequence[str] = ()):
        if not current:
            raise ValueError("sealing needs a non-empty installation key")
        self.current_kid = key_id(current)
        self._keys = {key_id(k): k for k in previous if k}
        self._keys[self.current_kid] = current
        self._aes: dict[tuple[str, str], AESGCM] = {}

    @property
    def kids(self) -> list[str]:
        return list(self._keys)

    def _cipher(self, kid: str, purpose: str) -> AESGCM:
        found = self._aes.get((kid, purpose))
        if found is None:
            found = self._aes[(kid, purpose)] = AESGCM(_aes_key(self._keys[kid], purpose))
        return found

    def seal(self, value: str, purpose: str) -> str:
        """``value`` sealed for ``purpose`` with the current key."""
        nonce = os.urandom(_NONCE)
        aad = f"{VERSION}:{self.current_kid}:{purpose}".encode()
        body = self._cipher(self.current_kid, purpose).encrypt(nonce, value.encode("utf-8"), aad)
        return f"{PREFIX}{VERSION}:{self.current_kid}:{base64.b64encode(nonce + body).decode('ascii')}"

    def unseal(self, stored: str, purpose: str, where: str = "") -> str:
        """The value of ``stored`` (a legacy plaintext value as it is). ``where`` (e.g. ``row 5``) goes into the
        error message next to the purpose."""
        if not is_sealed(stored):
            return stored
        label = f"{purpose} ({where})" if where else purpose
        parts = stored.split(":", 3)
        if len(parts) != 4 or parts[1] != VERSION:
            raise UnsealError(
                f"{label}: not a sealed value this version of Sparring reads (expected sealed:{VERSION}:<kid>:<data>)"
            )
        kid, data = parts[2], parts[3]
        if kid not in self._keys:
            raise UnsealError(
                f"{label}: sealed with installation key {kid}, which this installation does not "
                f"have (its keys: {', '.join(self.kids)}); {_HINT}"
            )
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise UnsealError(f"{label}: the sealed value is damaged (not base64)") from None
        aad = f"{VERSION}:{kid}:{purpose}".encode()
        try:
            return self._cipher(kid, purpose).decrypt(raw[:_NONCE], raw[_NONCE:], aad).decode("utf-8")
        except (InvalidTag, ValueError):
            raise UnsealError(
                f"{label}: the sealed value does not open with key {kid}: it was altered, or sealed for another column"
            ) from None

    def is_current(self, stored: str | None) -> bool:
        """Whether ``stored`` is sealed with the current key (nothing to do for it)."""
        return stored is not None and sealed_kid(stored) == self.current_kid
