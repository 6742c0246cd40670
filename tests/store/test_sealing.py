"""The sealed columns (sparring.store.sealing) on both backends: what the services write there is sealed (the raw
column does not hold the secret) and reads back; a legacy plaintext value still works and is sealed when next
written; ``sparring db seal-secrets`` seals every plaintext value and re-seals values of a previous key in one
transaction, counts per column, changes nothing the second time, and changes nothing at all when a value does not
open; the key generated in the data directory is used when none is configured."""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
import pytest
import sparring_test_support as support
from sqlalchemy import text

from sparring.integrations.webhooks import AddressPolicy
from sparring.kernel.sealing import UnsealError, is_sealed, key_id
from sparring.services import lti_registrations, sso_config, webhooks
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.errors import Conflict
from sparring.services.second_factor import SecondFactor
from sparring.settings import get_settings, reset_settings_cache
from sparring.store import sealing
from sparring.store.db import Database
from sparring.store.integration_models import WebhookEndpointRow
from sparring.store.lti_models import LtiKeyRow
from sparring.store.models import User
from sparring.store.sso_models import SsoProviderRow

database_url = support.database_url
db = support.db

SSO_SECRET = "oidc-client-secret-0123456789"
FORM = {
    "display_name": "Acme Okta",
    "oidc_issuer": "https://acme.okta.example",
    "oidc_client_id": "sparring-web",
    "oidc_client_secret": SSO_SECRET,
    "enabled": "on",
}
LEGACY_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
POLICY = AddressPolicy.parse("public", "")


@dataclass
class Made:
    """One value in each sealed column, made by the services, and the plain values."""

    user_id: int
    totp: str
    provider_id: int
    endpoint_id: int
    webhook: str
    lti_pem: str


def _make(db: Database) -> Made:
    user = Accounts(db).create_user("Acme", "ada@acme.test", None, role="admin")
    admin = Viewer(id=user.id, org_id=user.org_id, role=user.role, name="Ada", email=user.email)
    totp = SecondFactor(db).begin(user.id).secret
    with db.session() as s:
        provider_id = sso_config.create_provider(s, admin, "oidc", dict(FORM)).id
        endpoint_id = webhooks.create_endpoint(s, admin, POLICY, "https://hooks.example.com/a", ["rep.scored"])
        webhook = webhooks.get_endpoint(s, admin, endpoint_id).secret
        lti_pem = lti_registrations.current_key(s, user.org_id).private_pem
    return Made(user.id, totp, provider_id, endpoint_id, webhook, lti_pem)


def _raw(db: Database) -> dict[str, str]:
    """The stored value of each sealed column (the first row)."""
    out = {}
    with db.engine.connect() as conn:
        for name in sealing.COLUMNS:
            table, column = name.split(".")
            query = f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY id LIMIT 1"
            out[name] = conn.execute(text(query)).scalar_one()
    return out


def _use_key(monkeypatch: pytest.MonkeyPatch, key: str, previous: str = "") -> None:
    monkeypatch.setenv("SPARRING_SECRET_KEY", key)
    monkeypatch.setenv("SPARRING_SECRET_KEYS_PREVIOUS", previous)
    reset_settings_cache()


def test_what_the_services_write_is_sealed_and_reads_back(db: Database) -> None:
    made = _make(db)
    raw = _raw(db)
    assert all(is_sealed(v) for v in raw.values())
    assert made.totp not in raw[sealing.TOTP_SECRET] and SSO_SECRET not in raw[sealing.OIDC_CLIENT_SECRET]
    assert made.webhook not in raw[sealing.WEBHOOK_SECRET] and "PRIVATE KEY" not in raw[sealing.LTI_PRIVATE_KEY]
    assert made.webhook.startswith("whsec_") and "PRIVATE KEY" in made.lti_pem
    factor = SecondFactor(db, clock=lambda: 1_800_000_000.0)
    assert factor.pending(made.user_id).secret == made.totp  # type: ignore[union-attr]
    factor.confirm(made.user_id, pyotp.TOTP(made.totp).at(1_800_000_000))
    with db.session() as s:
        assert factor.verify(s, made.user_id, pyotp.TOTP(made.totp).at(1_800_000_030))
        provider = s.get(SsoProviderRow, made.provider_id)
        assert provider is not None and sso_config.client_secret(provider) == SSO_SECRET
        assert sso_config.secret_hint(provider) == "…6789"
        user = s.get(User, made.user_id)
        assert user is not None and lti_registrations.current_key(s, user.org_id).private_pem == made.lti_pem


def test_plaintext_still_works_and_is_sealed_when_next_written(db: Database) -> None:
    made = _make(db)
    with db.session() as s:  # as a database from before sealing holds them
        s.get(SsoProviderRow, made.provider_id).oidc_client_secret = "plain-old-secret-abcd"  # type: ignore[union-attr]
        s.get(WebhookEndpointRow, made.endpoint_id).secret = "whsec_plain"  # type: ignore[union-attr]
        user = s.get(User, made.user_id)
        assert user is not None
        user.totp_secret = LEGACY_TOTP
        admin = Viewer(id=user.id, org_id=user.org_id, role=user.role, name="Ada", email=user.email)
    assert SecondFactor(db).pending(made.user_id).secret == LEGACY_TOTP  # type: ignore[union-attr]
    with db.session() as s:
        provider = s.get(SsoProviderRow, made.provider_id)
        assert provider is not None and sso_config.client_secret(provider) == "plain-old-secret-abcd"
        assert webhooks.get_endpoint(s, admin, made.endpoint_id).secret == "whsec_plain"
        sso_config.update_provider(s, admin, made.provider_id, {**FORM, "oidc_client_secret": "new-secret-wxyz"})
        rotated = webhooks.rotate_secret(s, admin, made.endpoint_id)
    raw = _raw(db)
    assert is_sealed(raw[sealing.OIDC_CLIENT_SECRET]) and is_sealed(raw[sealing.WEBHOOK_SECRET])
    assert sealing.unseal(raw[sealing.WEBHOOK_SECRET], sealing.WEBHOOK_SECRET) == rotated


def test_seal_secrets_seals_reseals_and_is_idempotent(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _use_key(monkeypatch, "key-2026-01")
    made = _make(db)
    with db.session() as s:
        s.get(User, made.user_id).totp_secret = made.totp  # type: ignore[union-attr]  # legacy plaintext
        s.get(LtiKeyRow, 1).private_pem = made.lti_pem  # type: ignore[union-attr]
    _use_key(monkeypatch, "key-2026-07", "key-2026-01")  # a rotation: two still sealed with the old key
    counts = sealing.seal_secrets(db)
    assert {k: (v.sealed, v.resealed, v.current) for k, v in counts.items()} == {
        sealing.TOTP_SECRET: (1, 0, 0),
        sealing.LTI_PRIVATE_KEY: (1, 0, 0),
        sealing.OIDC_CLIENT_SECRET: (0, 1, 0),
        sealing.WEBHOOK_SECRET: (0, 1, 0),
    }
    raw = _raw(db)
    assert {v.split(":")[2] for v in raw.values()} == {key_id("key-2026-07")}
    monkeypatch.setenv("SPARRING_DATABASE_URL", db.url)
    reset_settings_cache()
    code, out, _ = support.run_cli(capsys, "db", "seal-secrets")
    assert code == 0 and (
        f"users.totp_secret: 0 sealed, 0 re-sealed from a previous key, 1 already sealed with key "
        f"{key_id('key-2026-07')}" in out
    )
    assert _raw(db) == raw  # the second time changes nothing
    _use_key(monkeypatch, "key-2026-07")  # the old key dropped: the values still open (all re-sealed)
    assert SecondFactor(db).pending(made.user_id).secret == made.totp  # type: ignore[union-attr]


def test_a_value_that_does_not_open_stops_everything(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    made = _make(db)
    with db.session() as s:
        s.get(User, made.user_id).totp_secret = made.totp  # type: ignore[union-attr]  # plaintext, to be sealed
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner").id
    SecondFactor(db).begin(lee)  # an enrolment waiting for its code, sealed with the key about to be lost
    before = _raw(db)
    _use_key(monkeypatch, "a-key-that-sealed-nothing")
    assert SecondFactor(db).pending(lee) is None  # not in force: the person enrols afresh
    with pytest.raises(Conflict, match="start again"):
        SecondFactor(db).confirm(lee, "123456")
    with pytest.raises(
        UnsealError,
        match=r"^users\.totp_secret \(row 2\): sealed with installation key .* "
        "SPARRING_SECRET_KEYS_PREVIOUS",
    ):
        sealing.seal_secrets(db)
    assert _raw(db) == before  # one transaction: the plaintext TOTP secret of row 1 was not sealed either
    with pytest.raises(UnsealError, match=r"^webhook_endpoints\.secret \(row 1\): sealed with installation key"):
        sealing.unseal(before[sealing.WEBHOOK_SECRET], sealing.WEBHOOK_SECRET, 1)
    with db.session() as s:  # the admin pages say so instead of failing
        provider = s.get(SsoProviderRow, made.provider_id)
        assert provider is not None and "cannot be read" in sso_config.secret_hint(provider)
    monkeypatch.setenv("SPARRING_DATABASE_URL", db.url)
    reset_settings_cache()
    code, _, err = support.run_cli(capsys, "db", "seal-secrets")
    assert code == 1 and "users.totp_secret (row 2): sealed with installation key" in err
    assert "nothing was changed" in err and "Traceback" not in err


def test_without_a_configured_key_the_data_directory_key_seals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPARRING_SECRET_KEY")
    reset_settings_cache()
    ring = sealing.keyring()
    data_dir = get_settings().data_dir
    assert ring.current_kid == key_id((data_dir / "web-secret.key").read_text().strip())
    assert sealing.unseal(sealing.seal("x", sealing.TOTP_SECRET), sealing.TOTP_SECRET) == "x"
    with pytest.raises(KeyError, match="not a sealed column"):
        sealing.seal("x", "users.email")
