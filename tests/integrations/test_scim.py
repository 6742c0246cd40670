"""The SCIM protocol layer (sparring.integrations.scim, scim_discovery), without a database: request bodies read
into inputs (Okta's and Entra ID's quirks), PATCH on the current state, the document shown back, filters, and the
published schemas."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sparring.integrations import scim
from sparring.integrations.scim_discovery import schemas, service_provider_config

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BASE = "https://sparring.example.com/scim/v2"
WHEN = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _state(**kw: object) -> scim.UserState:
    fields: dict[str, object] = {"id": 7, "email": "bo@example.com", "name": "Bo Lind", "active": True,
                                 "role": "learner", "external_id": "ext-7", "created": WHEN}
    fields.update(kw)
    return scim.UserState(**fields)  # type: ignore[arg-type]


def test_bodies_become_inputs() -> None:
    got = scim.user_from_body({"schemas": [scim.USER_SCHEMA, "urn:example:custom"], "userName": "upn-bo",
                               "emails": [{"value": "x@example.com"}, {"value": "Bo@Example.com", "primary": True}],
                               "name": {"givenName": "Bo", "familyName": "Lind"}, "roles": [{"value": "Manager"}],
                               "urn:example:custom": {"costCentre": "9"}})
    assert (got.email, got.user_name, got.name, got.role, got.active) == ("bo@example.com", "upn-bo", "Bo Lind",
                                                                          "manager", True)
    with pytest.raises(scim.ScimError) as err:
        scim.user_from_body({"schemas": [scim.USER_SCHEMA], "userName": "a@example.com", "roles": [{"value": "boss"}]})
    assert (err.value.status, err.value.scim_type) == (400, "invalidValue") and "boss" in err.value.detail
    with pytest.raises(scim.ScimError) as err:
        scim.user_from_body({"schemas": [scim.USER_SCHEMA], "userName": "no-address"})
    assert "userName" in err.value.detail
    with pytest.raises(scim.ScimError):
        scim.group_from_body({"schemas": [scim.GROUP_SCHEMA], "members": [{"value": "not-an-id"}], "displayName": "x"})


def test_patches_in_both_providers_forms() -> None:
    entra = scim.patched_user(_state(), {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "bo.lind@example.com"}]})
    # userName is an address, so it stays the account's address; the work e-mail is kept as sent
    assert (entra.active, entra.email) == (False, "bo@example.com")
    assert entra.attributes["emails"][0]["value"] == "bo.lind@example.com"
    okta = scim.patched_user(_state(), {"schemas": [PATCH], "Operations": [
        {"op": "replace", "value": {"active": False, "displayName": "Bo L."}}]})
    assert okta.active is False
    with pytest.raises(scim.ScimError):
        scim.patched_user(_state(), {"schemas": [PATCH], "Operations": []})
    group = scim.GroupState(id=1, name="East", external_id=None, created=WHEN, members=[(1, "a@x.com"), (2, "b@x.com")])
    removed = scim.patched_group(group, {"schemas": [PATCH], "Operations": [
        {"op": "Remove", "path": "members", "value": [{"value": "1"}]}]}, BASE)
    assert removed.member_ids == [2]


def test_the_document_shown_back_follows_the_account() -> None:
    sent = {"userName": "Bo@Example.com", "name": {"givenName": "Bo", "familyName": "Lind"}, "active": True}
    doc = scim.user_doc(_state(attributes=sent), BASE)
    assert doc["userName"] == "Bo@Example.com" and doc["name"] == {"givenName": "Bo", "familyName": "Lind"}
    assert doc["emails"][0]["value"] == "bo@example.com" and doc["externalId"] == "ext-7"
    changed = scim.user_doc(_state(attributes=sent, name="Bo Lindqvist", active=False, role="admin"), BASE)
    assert changed["name"]["formatted"] == "Bo Lindqvist" and changed["active"] is False
    assert changed["roles"] == [{"value": "admin", "primary": True}]
    assert doc["meta"]["location"] == f"{BASE}/Users/7"
    picked = scim.only_attributes(doc, "userName,emails.value", None)
    assert set(picked) == {"schemas", "id", "meta", "userName", "emails"}


def test_filters() -> None:
    flt = scim.parse_filter('UserName eq "Bo@example.com"', "User")
    assert flt is not None and flt.equals == ("username", "Bo@example.com")
    complex_filter = scim.parse_filter('active eq true and emails[value ew "@example.com"]', "User")
    assert complex_filter is not None and complex_filter.equals is None
    assert scim.user_matches(complex_filter, _state())
    assert not scim.user_matches(complex_filter, _state(active=False))
    with pytest.raises(scim.ScimError) as err:
        scim.parse_filter('userName eq', "User")
    assert err.value.scim_type == "invalidFilter"
    assert scim.parse_filter("  ", "User") is None


def test_published_schemas_and_config() -> None:
    user, group = schemas(BASE)
    names = {a["name"]: a for a in user["attributes"]}
    assert set(names) == {"userName", "name", "displayName", "active", "emails", "roles", "groups"}
    assert names["emails"]["required"] is True
    role_value = next(s for s in names["roles"]["subAttributes"] if s["name"] == "value")
    assert role_value["canonicalValues"] == ["learner", "manager", "admin"]
    assert {a["name"] for a in group["attributes"]} == {"displayName", "members"}
    config = service_provider_config(BASE)
    assert config["patch"]["supported"] and not config["bulk"]["supported"]
