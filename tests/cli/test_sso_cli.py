"""``sparring sso`` (docs/sso.md, "From the command line"): an operator lists, adds (OIDC and SAML) and turns off an
organisation's identity providers through the admin page's service — the same checks (an error is one line naming
the option, nothing saved), the secret sealed and never printed, every change audited under ``(cli)``, and one
organisation's providers out of another's reach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.cli import main

SECRET = "oidc-client-secret-0123456789"
CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCARygAwIBAgIJAKZ\n-----END CERTIFICATE-----\n"


@pytest.fixture(autouse=True)
def _orgs() -> None:
    from sparring.cli.context import root
    from sparring.services.accounts import Accounts

    accounts = Accounts(root().database)
    accounts.create_user("Acme", "ada@acme.test", None, role="admin")
    accounts.create_user("Globex", "gil@globex.test", None, role="admin")


def _listed(capsys: pytest.CaptureFixture[str], org: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main(["sso", "list", "--org", org, "--json"]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def _error(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_add_list_and_disable(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                              tmp_path: Path) -> None:
    assert main(["sso", "list", "--org", "acme"]) == 0
    assert capsys.readouterr().out.splitlines() == ["no identity providers", "password login: on"]
    monkeypatch.setenv("SPARRING_SSO_CLIENT_SECRET", SECRET)
    assert main(["sso", "add-oidc", "--org", "acme", "--name", "Acme Okta", "--issuer", "https://acme.okta.example",
                 "--client-id", "sparring", "--domains", "acme.test", "--role-rule", "sparring-admins = admin",
                 "--role-rule", "sales-leads = manager", "--team-rule", "east = East"]) == 0
    out = capsys.readouterr().out
    assert "added identity provider" in out and "(Acme Okta, oidc)" in out and SECRET not in out
    assert "redirect URI to register at the IdP: (SPARRING_PUBLIC_URL is not set" in out
    (oidc,) = _listed(capsys, "acme")
    assert {k: oidc[k] for k in ("kind", "name", "enabled", "jit", "domains", "issuer", "client_id", "secret")} == {
        "kind": "oidc", "name": "Acme Okta", "enabled": True, "jit": True, "domains": ["acme.test"],
        "issuer": "https://acme.okta.example", "client_id": "sparring", "secret": "…6789"}
    assert oidc["role_rules"] == [{"group": "sparring-admins", "role": "admin"},
                                  {"group": "sales-leads", "role": "manager"}]

    metadata = tmp_path / "idp.xml"
    metadata.write_text('<EntityDescriptor entityID="https://idp.acme.test"/>', encoding="utf-8")
    assert main(["sso", "add-saml", "--org", "acme", "--name", "Acme ADFS", "--metadata-file", str(metadata),
                 "--disabled", "--no-jit"]) == 0
    assert "ACS URL: " in capsys.readouterr().out
    cert = tmp_path / "idp.pem"
    cert.write_text(CERT, encoding="utf-8")
    assert main(["sso", "add-saml", "--org", "globex", "--name", "Globex Keycloak", "--entity-id",
                 "https://kc.globex.test/realms/g", "--sso-url", "https://kc.globex.test/realms/g/protocol/saml",
                 "--cert-file", str(cert)]) == 0
    acme = _listed(capsys, "acme")
    assert [(p["kind"], p["enabled"], p["jit"]) for p in acme] == [("oidc", True, True), ("saml", False, False)]
    (theirs,) = _listed(capsys, "globex")

    assert main(["sso", "disable", str(oidc["id"]), "--org", "acme"]) == 0
    assert capsys.readouterr().out.strip() == f"identity provider {oidc['id']} (Acme Okta) is disabled"
    assert [p["enabled"] for p in _listed(capsys, "acme")] == [False, False]
    assert _error(capsys, ["sso", "disable", str(theirs["id"]), "--org", "acme"]) == \
        f"sparring: no identity provider {theirs['id']} in this organisation"
    assert main(["sso", "enable", str(oidc["id"]), "--org", "acme"]) == 0
    assert "(Acme Okta) is enabled" in capsys.readouterr().out

    assert main(["audit", "list", "--org", "acme", "--action", "sso.provider_changed", "--json"]) == 0
    logged = json.loads(capsys.readouterr().out)
    assert [(r["actor"], r["via"], r["detail"]["change"]) for r in logged] == [
        ("(cli)", "cli", "enabled"), ("(cli)", "cli", "disabled"), ("(cli)", "cli", "created"),
        ("(cli)", "cli", "created")]


@pytest.mark.parametrize(("args", "message"), [
    (["add-oidc", "--name", "X", "--issuer", "ftp://x", "--client-id", "c", "--client-secret", "s" * 20],
     "--issuer: not an http(s) URL"),
    (["add-oidc", "--name", "X", "--issuer", "https://x.test", "--client-id", "c", "--client-secret", "s" * 20,
      "--role-rule", "a = admin", "--role-rule", "b = boss"], "--role-rule: line 2: unknown role 'boss'"),
    (["add-oidc", "--name", "X", "--issuer", "https://x.test", "--client-id", "c", "--client-secret", "s" * 20,
      "--domains", "acme"], "--domains: not a domain name: 'acme'"),
    (["add-saml", "--name", "X", "--entity-id", "https://idp.test"],
     "--metadata-file: give the IdP's metadata XML, or its entity id, SSO URL and signing certificate"),
    (["add-saml", "--name", "X", "--metadata-file", "/nonexistent/idp.xml"], "--metadata-file: cannot read"),
    (["list", "--org", "nowhere"], "org: no organisation 'nowhere'"),
    (["disable", "999999", "--org", "acme"], "no identity provider 999999 in this organisation"),
])
def test_refusals_are_one_line_and_save_nothing(capsys: pytest.CaptureFixture[str], args: list[str],
                                                message: str) -> None:
    org = [] if args[0] in ("list", "disable") else ["--org", "acme"]
    assert message in _error(capsys, ["sso", *args, *org])
    assert _listed(capsys, "acme") == []
