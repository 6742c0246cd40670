"""Sealing (sparring.kernel.sealing): a sealed value opens with the key and purpose it was sealed with, and only
with them; a previous key still opens its values; plaintext reads as it is; every failure names the column and what
to do, never a wrong value."""

from __future__ import annotations

import base64

import pytest

from sparring.kernel.sealing import Keyring, UnsealError, is_sealed, key_id, sealed_kid

TOTP = "users.totp_secret"
SSO = "sso_providers.oidc_client_secret"


def test_a_sealed_value_opens_and_does_not_show_the_secret() -> None:
    ring = Keyring("installation-key")
    sealed = ring.seal("JBSWY3DPEHPK3PXP", TOTP)
    assert sealed.startswith(f"sealed:v1:{key_id('installation-key')}:") and "JBSWY3DPEHPK3PXP" not in sealed
    assert ring.unseal(sealed, TOTP) == "JBSWY3DPEHPK3PXP"
    assert ring.seal("JBSWY3DPEHPK3PXP", TOTP) != sealed  # a fresh nonce each time
    assert ring.unseal(ring.seal("", TOTP), TOTP) == "" and ring.unseal(ring.seal("é" * 600, SSO), SSO) == "é" * 600
    assert is_sealed(sealed) and ring.is_current(sealed) and sealed_kid(sealed) == ring.current_kid


def test_plaintext_reads_as_it_is() -> None:
    ring = Keyring("installation-key")
    assert ring.unseal("JBSWY3DPEHPK3PXP", TOTP) == "JBSWY3DPEHPK3PXP"
    assert not is_sealed("JBSWY3DPEHPK3PXP") and not ring.is_current("JBSWY3DPEHPK3PXP")


def test_a_value_sealed_for_one_column_does_not_open_in_another() -> None:
    ring = Keyring("installation-key")
    with pytest.raises(UnsealError, match=r"^sso_providers\.oidc_client_secret \(row 7\): .* sealed for another col"):
        ring.unseal(ring.seal("s3cret", TOTP), SSO, "row 7")


def test_an_altered_or_damaged_value_is_refused() -> None:
    ring = Keyring("installation-key")
    prefix, data = ring.seal("s3cret", TOTP).rsplit(":", 1)
    raw = bytearray(base64.b64decode(data))
    raw[-1] ^= 1
    with pytest.raises(UnsealError, match="it was altered"):
        ring.unseal(f"{prefix}:{base64.b64encode(bytes(raw)).decode()}", TOTP)
    with pytest.raises(UnsealError, match="damaged"):
        ring.unseal(f"{prefix}:not base64!", TOTP)
    with pytest.raises(UnsealError, match="expected sealed:v1"):
        ring.unseal("sealed:v9:abc:def", TOTP)


def test_rotation_keeps_old_values_readable_and_seals_with_the_new_key() -> None:
    old = Keyring("key-2026-01")
    sealed = old.seal("s3cret", SSO)
    new = Keyring("key-2026-07", ["key-2025-07", "key-2026-01"])
    assert new.unseal(sealed, SSO) == "s3cret" and not new.is_current(sealed)
    again = new.seal(new.unseal(sealed, SSO), SSO)
    assert new.is_current(again) and sealed_kid(again) == key_id("key-2026-07")
    with pytest.raises(UnsealError):  # the old keyring does not know the new key
        old.unseal(again, SSO)


def test_a_missing_key_says_what_to_do() -> None:
    sealed = Keyring("lost-key").seal("JBSWY3DPEHPK3PXP", TOTP)
    with pytest.raises(UnsealError) as caught:
        Keyring("another-key").unseal(sealed, TOTP, "row 3")
    message = str(caught.value)
    assert message.startswith(f"users.totp_secret (row 3): sealed with installation key {key_id('lost-key')},")
    assert "SPARRING_SECRET_KEY" in message and "SPARRING_SECRET_KEYS_PREVIOUS" in message
    with pytest.raises(ValueError, match="non-empty"):
        Keyring("")
