"""SCIM 2.0 discovery (RFC 7643 §5-7; docs/scim.md): the ServiceProviderConfig, ResourceTypes and Schemas documents
``/scim/v2`` serves. The schemas are scim2-models' User and Group cut to the attributes Sparring keeps
(``sparring.integrations.scim``), with ``emails`` required (Sparring needs an address) and the roles listed as
``roles.value``'s canonical values (identity providers offer them in their mapping screens).
"""

from __future__ import annotations

from typing import Any

from scim2_models import Context, Group, ResourceType, User

from sparring.integrations.scim import MAX_RESULTS, ROLE_VALUES, SPC_SCHEMA

#: the User attributes Sparring serves (and publishes in /Schemas); others in a request are ignored
USER_ATTRIBUTES = {"userName": None, "name": {"formatted", "familyName", "givenName"}, "displayName": None,
                   "active": None, "emails": {"value", "type", "primary"},
                   "roles": {"value", "display", "type", "primary"}, "groups": {"value", "$ref", "display", "type"}}
GROUP_ATTRIBUTES = {"displayName": None, "members": {"value", "$ref", "type", "display"}}


def service_provider_config(base_url: str) -> dict[str, Any]:
    """What this server supports (RFC 7643 §5): PATCH and filter yes; bulk, sort, ETags and password change no."""
    return {
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "Bearer token",
            "description": "A SCIM token an admin creates in Sparring (Admin → Integrations → SCIM)",
            "primary": True,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"},
    }


def resource_types(base_url: str) -> list[dict[str, Any]]:
    out = []
    for model in (User, Group):
        doc = ResourceType.from_resource(model).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        doc["meta"] = {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/{doc['id']}"}
        out.append(doc)
    return out


def schemas(base_url: str) -> list[dict[str, Any]]:
    """The User and Group schemas, cut to the attributes Sparring serves; ``roles.value`` lists the roles."""
    out = []
    for model, served in ((User, USER_ATTRIBUTES), (Group, GROUP_ATTRIBUTES)):
        doc = model.to_schema().model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        attributes = []
        for attr in doc["attributes"]:
            if attr["name"] not in served:
                continue
            subs = served[attr["name"]]
            if subs is not None:
                attr["subAttributes"] = [s for s in attr.get("subAttributes", []) if s["name"] in subs]
            if attr["name"] == "emails":  # Sparring needs an address: userName or emails must give one
                attr["required"] = True
                for sub in attr["subAttributes"]:
                    sub["required"] = sub["required"] or sub["name"] == "value"
                attr["description"] = "E-mail addresses; the primary one is the account's address when userName " \
                                      "is not an address."
            if attr["name"] == "roles":
                for sub in attr["subAttributes"]:
                    if sub["name"] == "value":
                        sub["canonicalValues"] = list(ROLE_VALUES)
                        sub["description"] = "The Sparring role: learner, manager or admin."
            attributes.append(attr)
        doc["attributes"] = attributes
        doc["meta"] = {"resourceType": "Schema", "location": f"{base_url}/Schemas/{doc['id']}"}
        out.append(doc)
    return out
