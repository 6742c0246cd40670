"""Starting a single sign-on (sparring.services.sso_flow) when the provider's OIDC client secret cannot be unsealed
(the installation key changed): a clear SsoFailed for the login page, the cause in the log for the operator,
never the secret."""

from __future__ import annotations

import logging

import pytest

from sparring.services import sso_config, sso_flow
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.settings import reset_settings_cache
from sparring.store.db import Database

SECRET = "oidc-client-secret-0123456789"


def test_an_unreadable_client_secret_fails_the_sign_in_with_the_reason(
        db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    ada = Accounts(db).create_user("Acme", "ada@acme.test", None, role="admin")
    admin = Viewer(id=ada.id, org_id=ada.org_id, role="admin", name="Ada", email=ada.email)
    with db.session() as s:
        provider_id = sso_config.create_provider(s, admin, "oidc", {
            "display_name": "Acme Okta", "enabled": "on", "oidc_issuer": "https://idp.acme.test",
            "oidc_client_id": "sparring", "oidc_client_secret": SECRET}).id
    monkeypatch.setenv("SPARRING_SECRET_KEY", "a key that sealed nothing here")
    reset_settings_cache()
    with caplog.at_level(logging.ERROR, logger="sparring.services.sso_flow"), \
            pytest.raises(sso_flow.SsoFailed, match="Acme Okta: its client secret cannot be read on this server"):
        sso_flow.begin(db, provider_id, "https://sparring.example.com", "/history")
    assert f"provider {provider_id}" in caplog.text and "sso_providers.oidc_client_secret" in caplog.text
    assert SECRET not in caplog.text
    with db.read() as s:  # the admin page says what to do instead of failing
        hint = sso_config.secret_hint(sso_config.get_provider(s, ada.org_id, provider_id))
    assert "type it again" in hint
