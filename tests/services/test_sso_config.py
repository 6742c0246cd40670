"""The SSO set-up's parsing rules (sparring.services.sso_config): group rules one per line with the line named in
errors, e-mail domains, and which role a set of groups maps to (sparring.services.sso_login.mapped_role)."""

from __future__ import annotations

import pytest

from sparring.services.sso_config import SsoConfigError, parse_domains, parse_rules, rules_text
from sparring.services.sso_login import mapped_role
from sparring.store.sso_models import SsoProviderRow


def test_rules_parse_and_print_back() -> None:
    text = "# comment\nsales-managers = manager\n\nCN=Admins,OU=Groups = admin\n"
    rules = parse_rules(text, "role_rules", "role")
    assert rules == [{"group": "sales-managers", "role": "manager"}, {"group": "CN=Admins,OU=Groups", "role": "admin"}]
    assert parse_rules(rules_text(rules, "role"), "role_rules", "role") == rules
    assert parse_rules("east = East Coast", "team_rules", "team") == [{"group": "east", "team": "East Coast"}]


@pytest.mark.parametrize(("text", "message"), [
    ("sales manager", "role_rules: line 1: write 'group = role'"),
    ("ok = learner\n = admin", "role_rules: line 2: write 'group = role'"),
    ("sales = boss", "role_rules: line 1: unknown role 'boss'"),
])
def test_bad_rules_name_the_line(text: str, message: str) -> None:
    with pytest.raises(SsoConfigError, match=message):
        parse_rules(text, "role_rules", "role")


def test_domains() -> None:
    assert parse_domains(" Acme.com, @acme.co.uk acme.com") == "acme.com,acme.co.uk"
    with pytest.raises(SsoConfigError, match="email_domains: not a domain name"):
        parse_domains("acme")


def test_the_highest_matching_role_wins() -> None:
    provider = SsoProviderRow(role_rules=[{"group": "a", "role": "admin"}, {"group": "m", "role": "manager"},
                                          {"group": "l", "role": "learner"}])
    assert mapped_role(provider, ["l", "m"]) == "manager"
    assert mapped_role(provider, ["m", "a"]) == "admin"
    assert mapped_role(provider, ["x"]) is None
