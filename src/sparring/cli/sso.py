"""``sparring sso``: an organisation's identity providers from the command line, for operators without the web UI
(docs/sso.md, "From the command line"). Registered by ``sparring.cli.accounts.register`` (identity commands sit
together; no entry point of its own).

- ``sparring sso list [--org SLUG] [--json]``
- ``sparring sso add-oidc --org SLUG --name NAME --issuer URL --client-id ID [--client-secret S] ...``
- ``sparring sso add-saml --org SLUG --name NAME (--metadata-file FILE | --entity-id ID --sso-url URL
  --cert-file FILE)``
- ``sparring sso disable ID [--org SLUG]`` / ``sparring sso enable ID [--org SLUG]``

The checks and the audit entries are those of the admin page (``services.sso_config``: the same form, audited under
``(cli)``); a bad value is one line on stderr naming the option, exit 1. The client secret is read from
``SPARRING_SSO_CLIENT_SECRET`` or asked for without echo when not given (a secret on the command line stays in the
shell's history)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer

from sparring.cli.errors import UserError
from sparring.cli.service_errors import service_errors

#: the admin form's fields as this command's options (an error names the option the operator typed)
OPTIONS = {
    "display_name": "--name", "email_domains": "--domains", "role_rules": "--role-rule", "team_rules": "--team-rule",
    "default_role": "--default-role", "claim_email": "--claim-email", "claim_name": "--claim-name",
    "claim_groups": "--claim-groups", "oidc_issuer": "--issuer", "oidc_client_id": "--client-id",
    "oidc_client_secret": "--client-secret", "oidc_scopes": "--scopes", "saml_idp_metadata": "--metadata-file",
    "saml_idp_entity_id": "--entity-id", "saml_sso_url": "--sso-url", "saml_idp_cert": "--cert-file",
    "saml_sp_entity_id": "--sp-entity-id", "kind": "kind", "org": "--org",
}
_FIELD = re.compile(r"^([a-z_]+):")


def _named(message: str) -> str:
    """A service message with the form field at its start replaced by the option's name."""
    return _FIELD.sub(lambda m: f"{OPTIONS.get(m.group(1), m.group(1))}:", message, count=1)


def _read(path: Path | None, option: str) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{option}: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _common(name: str, domains: str, role_rules: list[str], team_rules: list[str], default_role: str,
            disabled: bool, no_jit: bool, claim_email: str, claim_name: str, claim_groups: str) -> dict[str, str]:
    form = {"display_name": name, "email_domains": domains, "role_rules": "\n".join(role_rules),
            "team_rules": "\n".join(team_rules), "default_role": default_role, "claim_email": claim_email,
            "claim_name": claim_name, "claim_groups": claim_groups}
    if not disabled:
        form["enabled"] = "on"
    if not no_jit:
        form["jit"] = "on"
    return form


def _base_url() -> str:
    from sparring.cli.context import root

    return (root().settings.public_url or "").rstrip("/")


def _add(kind: str, org: str | None, form: dict[str, str]) -> None:
    from sparring.cli.context import root
    from sparring.services import exports, sso_config, sso_flow
    from sparring.services.errors import ServiceError

    database = root().database
    with service_errors():
        try:
            with database.session() as s:
                scope = exports.operator_scope(s, org)
                row = sso_config.create_provider(s, None, kind, form, org_id=scope.org_id, via="cli")
                provider_id, name = row.id, row.display_name
        except ServiceError as exc:
            raise UserError(_named(str(exc))) from exc
    base = _base_url()
    print(f"added identity provider {provider_id} ({name}, {kind})")
    where = base or "(SPARRING_PUBLIC_URL is not set: prefix the server's address)"
    if kind == "oidc":
        print(f"redirect URI to register at the IdP: {where}{sso_flow.oidc_redirect_uri('', provider_id)}")
    else:
        print(f"ACS URL: {where}{sso_flow.saml_acs_url('', provider_id)}; metadata: "
              f"{where}{sso_flow.saml_metadata_url('', provider_id)}")


_ORG = typer.Option(None, "--org", help="the organisation's slug (default: the only one)")
_NAME = typer.Option(..., "--name", help="the button's label, e.g. 'Acme Okta'")
_DOMAINS = typer.Option("", "--domains", help="e-mail domains, comma-separated (login-page routing; new accounts)")
_ROLE_RULE = typer.Option([], "--role-rule", help="'group = learner|manager|admin' (repeat it)")
_TEAM_RULE = typer.Option([], "--team-rule", help="'group = Team name' (repeat it)")
_DEFAULT_ROLE = typer.Option("learner", "--default-role", help="the role when no rule matches")
_DISABLED = typer.Option(False, "--disabled", help="add it turned off")
_NO_JIT = typer.Option(False, "--no-jit", help="do not create accounts on first sign-in")
_CLAIM_EMAIL = typer.Option("email", "--claim-email", help="the claim or attribute holding the e-mail")
_CLAIM_NAME = typer.Option("name", "--claim-name", help="the claim or attribute holding the name")
_CLAIM_GROUPS = typer.Option("groups", "--claim-groups", help="the claim or attribute holding the groups")


def _add_oidc(
    org: str | None = _ORG,
    name: str = _NAME,
    issuer: str = typer.Option(..., "--issuer", help="the issuer URL (its /.well-known/openid-configuration)"),
    client_id: str = typer.Option(..., "--client-id", help="the client id Sparring has at the IdP"),
    client_secret: str = typer.Option(..., "--client-secret", envvar="SPARRING_SSO_CLIENT_SECRET", prompt=True,
                                      hide_input=True, help="the client secret (default: $SPARRING_SSO_CLIENT_SECRET, "
                                                            "else asked for)"),
    scopes: str = typer.Option("openid email profile", "--scopes", help="the scopes asked for"),
    trust_email: bool = typer.Option(False, "--trust-email", help="its e-mails are verified even without "
                                                                  "email_verified"),
    domains: str = _DOMAINS, role_rule: list[str] = _ROLE_RULE, team_rule: list[str] = _TEAM_RULE,
    default_role: str = _DEFAULT_ROLE, disabled: bool = _DISABLED, no_jit: bool = _NO_JIT,
    claim_email: str = _CLAIM_EMAIL, claim_name: str = _CLAIM_NAME, claim_groups: str = _CLAIM_GROUPS,
) -> None:
    """Add an OpenID Connect identity provider (Okta, Entra ID, Keycloak, Google) to an organisation."""
    form = _common(name, domains, role_rule, team_rule, default_role, disabled, no_jit, claim_email, claim_name,
                   claim_groups)
    form.update({"oidc_issuer": issuer, "oidc_client_id": client_id, "oidc_client_secret": client_secret,
                 "oidc_scopes": scopes})
    if trust_email:
        form["trust_email"] = "on"
    _add("oidc", org, form)


def _add_saml(
    org: str | None = _ORG,
    name: str = _NAME,
    metadata_file: Path | None = typer.Option(None, "--metadata-file", help="the IdP's metadata XML"),
    entity_id: str = typer.Option("", "--entity-id", help="the IdP's entity id (without metadata)"),
    sso_url: str = typer.Option("", "--sso-url", help="the IdP's sign-in URL (without metadata)"),
    cert_file: Path | None = typer.Option(None, "--cert-file", help="the IdP's signing certificate, PEM"),
    sp_entity_id: str = typer.Option("", "--sp-entity-id", help="Sparring's entity id (default: its metadata URL)"),
    domains: str = _DOMAINS, role_rule: list[str] = _ROLE_RULE, team_rule: list[str] = _TEAM_RULE,
    default_role: str = _DEFAULT_ROLE, disabled: bool = _DISABLED, no_jit: bool = _NO_JIT,
    claim_email: str = _CLAIM_EMAIL, claim_name: str = _CLAIM_NAME, claim_groups: str = _CLAIM_GROUPS,
) -> None:
    """Add a SAML 2.0 identity provider (Entra ID, Okta, Keycloak, ADFS, Shibboleth) to an organisation."""
    form = _common(name, domains, role_rule, team_rule, default_role, disabled, no_jit, claim_email, claim_name,
                   claim_groups)
    form.update({"saml_idp_metadata": _read(metadata_file, "--metadata-file"), "saml_idp_entity_id": entity_id,
                 "saml_sso_url": sso_url, "saml_idp_cert": _read(cert_file, "--cert-file"),
                 "saml_sp_entity_id": sp_entity_id})
    _add("saml", org, form)


def _list(
    org: str | None = _ORG,
    json_out: bool = typer.Option(False, "--json", help='print [{"id", "kind", "name", "enabled", "jit", '
                                                       '"domains", "issuer", "client_id", "secret", "entity_id", '
                                                       '"default_role", "role_rules", "team_rules"}]'),
) -> None:
    """List an organisation's identity providers (the client secret only as its last four characters)."""
    from sparring.cli.context import root
    from sparring.services import exports, sso_config

    with service_errors(), root().database.read() as s:
        scope = exports.operator_scope(s, org)
        rows: list[dict[str, Any]] = [{
            "id": p.id, "kind": p.kind, "name": p.display_name, "enabled": p.enabled, "jit": p.jit,
            "domains": sso_config.domains_of(p), "issuer": p.oidc_issuer, "client_id": p.oidc_client_id,
            "secret": sso_config.secret_hint(p) if p.kind == "oidc" else None, "entity_id": p.saml_idp_entity_id,
            "default_role": p.default_role, "role_rules": p.role_rules or [], "team_rules": p.team_rules or []}
            for p in sso_config.list_providers(s, scope.org_id)]
        password_login = sso_config.password_login(s, scope.org_id)
    if json_out:
        print(json.dumps(rows))
        return
    for r in rows:
        where = r["issuer"] or r["entity_id"] or "(from metadata)"
        print(f"{r['id']}  {r['kind']}  {r['name']}  {'enabled' if r['enabled'] else 'disabled'}  {where}"
              + (f"  domains: {', '.join(r['domains'])}" if r["domains"] else ""))
    if not rows:
        print("no identity providers")
    print(f"password login: {'on' if password_login else 'off'}")


def _switch(provider_id: int, org: str | None, enabled: bool) -> None:
    from sparring.cli.context import root
    from sparring.services import exports, sso_config

    with service_errors(), root().database.session() as s:
        scope = exports.operator_scope(s, org)
        row = sso_config.set_enabled(s, None, provider_id, enabled, org_id=scope.org_id, via="cli")
        name = row.display_name
        others = any(p.enabled for p in sso_config.list_providers(s, scope.org_id))
        password_login = sso_config.password_login(s, scope.org_id)
    print(f"identity provider {provider_id} ({name}) is {'enabled' if enabled else 'disabled'}")
    if not enabled and not others and not password_login:
        print("note: password login is off and no provider is enabled: only admins can sign in, with their password "
              "(SPARRING_SSO_BREAK_GLASS=admins)")


def _disable(provider_id: int = typer.Argument(..., help="the provider's id (sparring sso list)"),
             org: str | None = _ORG) -> None:
    """Turn an identity provider off: its people cannot sign in with it (their accounts and links stay)."""
    _switch(provider_id, org, False)


def _enable(provider_id: int = typer.Argument(..., help="the provider's id (sparring sso list)"),
            org: str | None = _ORG) -> None:
    """Turn an identity provider back on."""
    _switch(provider_id, org, True)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Single sign-on: an organisation's identity providers (docs/sso.md).",
                        no_args_is_help=True)
    group.command("list")(_list)
    group.command("add-oidc")(_add_oidc)
    group.command("add-saml")(_add_saml)
    group.command("disable")(_disable)
    group.command("enable")(_enable)
    app.add_typer(group, name="sso")
