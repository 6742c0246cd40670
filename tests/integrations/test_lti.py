"""The LTI 1.3 protocol pieces (sparring.integrations.lti, lti_http): the id_token checks name the claim that
failed; roles map to manager or learner; the tool's messages are signed with its key and read back by a verifier;
a line item's scores URL keeps its query; the NRPS ``Link`` header's next page is found."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from sparring.integrations import lti
from sparring.integrations.lti_http import next_link, scores_url

ISS, CLIENT = "https://lms.test", "client-1"


@pytest.fixture(scope="module")
def platform_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "p1", "alg": "RS256"})


@pytest.fixture(scope="module")
def tool_key() -> lti.ToolKey:
    return lti.generate_key()


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISS, "aud": CLIENT, "sub": "u1", "iat": now, "exp": now + 60, "nonce": "n1",
        lti.MESSAGE_TYPE: lti.RESOURCE_LINK_REQUEST, lti.VERSION: "1.3.0", lti.DEPLOYMENT_ID: "d1",
        lti.RESOURCE_LINK: {"id": "rl"},
    }
    for k, v in changes.items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    return claims


def _verify(key: RSAKey, claims: dict[str, Any]) -> dict[str, Any]:
    token = jwt.encode({"alg": "RS256", "kid": "p1"}, claims, key)
    return lti.verify_id_token(token, {"keys": [key.as_dict(private=False)]}, issuer=ISS, client_id=CLIENT)


def test_a_good_id_token_passes(platform_key: RSAKey) -> None:
    assert _verify(platform_key, _claims())["sub"] == "u1"
    assert _verify(platform_key, _claims(aud=[CLIENT, "other"], azp=CLIENT))["sub"] == "u1"


@pytest.mark.parametrize(("changes", "reason"), [
    ({"iss": "https://evil.test"}, "iss is"),
    ({"aud": "other"}, "does not name this tool's client id"),
    ({"aud": [CLIENT, "other"]}, "azp is missing"),
    ({"azp": "other"}, "azp is 'other'"),
    # times are made when the test runs, not at collection (a long run would make "the future" the past)
    (lambda: {"exp": int(time.time()) - 600}, "expired"),
    (lambda: {"iat": int(time.time()) + 600}, "iat is in the future"),
    ({lti.VERSION: "1.1"}, "expected '1.3.0'"),
    ({lti.MESSAGE_TYPE: "LtiSubmissionReviewRequest"}, "this tool takes"),
    ({"nonce": None}, "nonce is missing"),
    ({lti.DEPLOYMENT_ID: None}, "deployment_id is missing"),
    ({lti.RESOURCE_LINK: None}, "resource_link with an id is missing"),
    ({"sub": None}, "sub is missing"),
])
def test_each_failed_check_names_its_claim(platform_key: RSAKey, changes: Any, reason: str) -> None:
    changes = changes() if callable(changes) else changes
    with pytest.raises(lti.LtiError, match=reason.replace("(", r"\(")):
        _verify(platform_key, _claims(**changes))


def test_a_signature_by_another_key_and_garbage_are_refused(platform_key: RSAKey) -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "p1", "alg": "RS256"})
    token = jwt.encode({"alg": "RS256", "kid": "p1"}, _claims(), other)
    with pytest.raises(lti.LtiError, match="bad signature"):
        lti.verify_id_token(token, {"keys": [platform_key.as_dict(private=False)]}, issuer=ISS, client_id=CLIENT)
    with pytest.raises(lti.LtiError, match="not in the platform's JWKS"):
        lti.verify_id_token(jwt.encode({"alg": "RS256", "kid": "zz"}, _claims(), platform_key),
                            {"keys": [platform_key.as_dict(private=False)]}, issuer=ISS, client_id=CLIENT)
    with pytest.raises(lti.LtiError, match="not a signed JWT"):
        lti.peek("garbage")
    with pytest.raises(lti.LtiError, match="only RS256"):
        lti.verify_id_token(jwt.encode({"alg": "HS256"}, _claims(), OctKey.import_key("a" * 32)), {"keys": []},
                            issuer=ISS, client_id=CLIENT)


def test_roles() -> None:
    base = "http://purl.imsglobal.org/vocab/lis/v2/"
    assert lti.role_of([base + "membership#Instructor"]) == "manager"
    assert lti.role_of([base + "institution/person#Administrator", base + "membership#Learner"]) == "manager"
    assert lti.role_of([base + "membership#Learner"]) == "learner"
    assert lti.role_of([base + "membership/Instructor#TeachingAssistant"]) == "learner"
    assert lti.role_of([]) == "learner"


def test_the_tools_messages_are_signed_with_its_key(tool_key: lti.ToolKey) -> None:
    keys = KeySet.import_key_set({"keys": [tool_key.public_jwk]})
    assertion = jwt.decode(lti.client_assertion(tool_key, CLIENT, ISS + "/token"), keys, algorithms=["RS256"])
    assert assertion.header["kid"] == tool_key.kid
    c = assertion.claims
    assert c["iss"] == c["sub"] == CLIENT and c["aud"] == ISS + "/token" and c["exp"] > time.time() and c["jti"]
    item = lti.ContentItem("Renewal", "https://sparring.test/lti/launch", {"sparring_scenario": "x"})
    response = lti.deep_linking_response(tool_key, client_id=CLIENT, platform_issuer=ISS, deployment_id="d1",
                                         data="opaque", items=[item])
    claims = jwt.decode(response, keys, algorithms=["RS256"]).claims
    assert claims["iss"] == CLIENT and claims["aud"] == ISS and claims[lti.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert claims[lti.DL_DATA] == "opaque" and claims[lti.DEPLOYMENT_ID] == "d1"
    (sent,) = claims[lti.DL_CONTENT_ITEMS]
    assert sent["lineItem"]["scoreMaximum"] == 100 and sent["custom"] == {"sparring_scenario": "x"}
    assert "d" not in tool_key.public_jwk and "PRIVATE KEY" in tool_key.private_pem


def test_urls_and_links() -> None:
    assert scores_url("https://lms.test/li/7?type_id=1") == "https://lms.test/li/7/scores?type_id=1"
    assert scores_url("https://lms.test/li/7/") == "https://lms.test/li/7/scores"
    link = '<https://lms.test/m?page=1>; rel="prev", <https://lms.test/m?page=3>; rel="next"'
    assert next_link(link) == "https://lms.test/m?page=3"
    assert next_link('<https://lms.test/m?page=1>; rel="prev"') is None and next_link(None) is None


def test_calls_go_to_the_address_that_was_checked() -> None:
    """DNS rebinding: the platform's host is resolved once, checked against the address policy, and the connection
    is made to that address (the host name stays in the Host header); a resolver that would answer a private address
    the second time is never asked again."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from sparring.integrations.lti_http import HttpConfig, LtiHttpError, fetch_jwks
    from sparring.integrations.webhooks import AddressPolicy

    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers["Host"])
            body = json.dumps({"keys": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    answers = iter([["127.0.0.1"], ["10.9.8.7"]])  # the first lookup is checked; a second would be private
    calls: list[str] = []

    def resolve(host: str, p: int) -> list[str]:
        calls.append(host)
        return next(answers)

    try:
        config = HttpConfig(AddressPolicy.parse("public", "127.0.0.1"), 5.0, resolve)
        assert fetch_jwks(f"http://platform.test:{port}/jwks", config) == {"keys": []}
        assert calls == ["platform.test"] and seen == [f"platform.test:{port}"]
        with pytest.raises(LtiHttpError, match="not a public address"):  # the next lookup is private: refused
            fetch_jwks(f"http://platform.test:{port}/jwks", config)
    finally:
        server.shutdown()
