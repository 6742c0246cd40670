"""The webhook wire (sparring.integrations.webhooks): the body, the signature and its verification (Stripe's
scheme: a timestamp in the signed text), which URLs and addresses may be called (server-side request forgery),
and real POSTs to a receiver on loopback that checks the signature."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from datetime import UTC, datetime

import pytest

from sparring.integrations import webhooks as wire
from sparring.testing.webhook_receiver import WebhookReceiver

SECRET = "whsec_" + "ab" * 24
BODY = wire.event_body("evt_1", "rep.scored", datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
                       {"id": 1, "slug": "acme", "name": "Acme"}, {"rep_id": 5, "overall": 72.5})
LOOPBACK = wire.AddressPolicy.parse("public", "127.0.0.1")


def test_the_body_has_the_documented_keys() -> None:
    doc = json.loads(BODY)
    assert list(doc) == ["id", "type", "created_at", "organisation", "data"]
    assert doc["created_at"] == "2026-12-07T09:30:00Z" and doc["data"] == {"rep_id": 5, "overall": 72.5}


def test_the_signature_is_the_hmac_of_the_timestamp_and_the_body() -> None:
    header = wire.sign(SECRET, BODY, timestamp=1_765_000_000)
    expected = hmac.new(SECRET.encode(), b"1765000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1765000000,v1={expected}"
    assert wire.verify(header, SECRET, BODY, now=1_765_000_100)


@pytest.mark.parametrize("case", ["other body", "other secret", "too old", "from the future", "no v1", "garbage",
                                  "not a time"])
def test_verification_refuses_a_changed_body_a_wrong_secret_and_a_replay(case: str) -> None:
    t = 1_765_000_000
    header, secret, body, now = wire.sign(SECRET, BODY, timestamp=t), SECRET, BODY, t + 10
    if case == "other body":
        body = BODY.replace(b"72.5", b"99.0")
    elif case == "other secret":
        secret = "whsec_other"
    elif case == "too old":
        now = t + wire.TOLERANCE_SECONDS + 1
    elif case == "from the future":
        now = t - wire.TOLERANCE_SECONDS - 1
    elif case == "no v1":
        header = f"t={t}"
    elif case == "garbage":
        header = "v1"
    elif case == "not a time":
        header = header.replace(f"t={t}", "t=soon")
    assert not wire.verify(header, secret, body, now=now)


def test_any_of_several_v1_signatures_may_match_and_parse_names_the_problem() -> None:
    good = wire.sign(SECRET, BODY, timestamp=100)
    assert wire.verify(good.replace("v1=", "v1=deadbeef,v1="), SECRET, BODY, now=100)
    with pytest.raises(wire.WebhookError, match="needs t="):
        wire.parse_signature("v1=abc")


def test_secrets_are_fresh_and_long() -> None:
    a, b = wire.new_secret(), wire.new_secret()
    assert a != b and a.startswith("whsec_") and len(a) == 6 + 48


@pytest.mark.parametrize(("url", "problem"), [
    ("ftp://hooks.example.com/x", "only http and https"), ("file:///etc/passwd", "only http and https"),
    ("https://user:pw@hooks.example.com/", "user name or password"), ("http:///path", "no host"),
    ("https://hooks.example.com/a b", "spaces"), ("", "required"), ("https://h.example.com:99999/", "url:"),
    ("https://h.example.com/" + "x" * 2000, "at most 2000"),
])
def test_only_plain_http_and_https_urls_are_accepted(url: str, problem: str) -> None:
    with pytest.raises(wire.WebhookError, match=problem):
        wire.check_url(url)


def test_a_url_is_split_into_what_the_connection_needs() -> None:
    assert wire.check_url("https://hooks.example.com/in?x=1") == ("https", "hooks.example.com", 443, "/in?x=1")
    assert wire.check_url("http://10.0.0.5:8080") == ("http", "10.0.0.5", 8080, "/")


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1",
                                     "::ffff:127.0.0.1", "::ffff:10.0.0.1"])
def test_the_public_policy_refuses_internal_addresses(address: str) -> None:
    policy = wire.AddressPolicy.parse("public", None)
    assert not policy.allows("h", ipaddress.ip_address(address))
    assert wire.AddressPolicy.parse("any", None).allows("h", ipaddress.ip_address(address))


def test_public_addresses_pass_and_the_allow_list_opens_hosts_addresses_and_networks() -> None:
    policy = wire.AddressPolicy.parse("public", " hooks.internal , 10.1.2.3, 192.168.0.0/16,")
    assert policy.allows("x", ipaddress.ip_address("93.184.216.34"))
    assert policy.allows("hooks.internal", ipaddress.ip_address("10.9.9.9"))
    assert policy.allows("x", ipaddress.ip_address("10.1.2.3"))
    assert policy.allows("x", ipaddress.ip_address("192.168.40.2"))
    assert not policy.allows("x", ipaddress.ip_address("10.1.2.4"))


def test_a_name_resolving_to_any_internal_address_is_refused() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(wire.AddressRefused, match=r"resolves to 10\.0\.0\.7"):
        wire.vetted_address("rebind.example", 443, wire.AddressPolicy(), resolve)
    assert wire.vetted_address("ok.example", 443, wire.AddressPolicy(), lambda h, p: ["93.184.216.34"]) == \
        "93.184.216.34"


def test_an_internal_address_literal_is_refused_when_the_endpoint_is_saved() -> None:
    with pytest.raises(wire.AddressRefused, match="not a public address"):
        wire.check_literal("http://169.254.169.254/latest/meta-data", wire.AddressPolicy())
    wire.check_literal("http://127.0.0.1:9/hook", LOOPBACK)
    wire.check_literal("https://hooks.example.com/", wire.AddressPolicy())  # a name: checked when delivered


def _headers(body: bytes) -> dict[str, str]:
    return {wire.SIGNATURE_HEADER: wire.sign(SECRET, body), wire.EVENT_HEADER: "rep.scored",
            wire.DELIVERY_HEADER: "7"}


def test_a_post_reaches_a_real_receiver_that_verifies_the_signature() -> None:
    with WebhookReceiver(secret=SECRET) as receiver:
        attempt = wire.post(receiver.url, BODY, _headers(BODY), policy=LOOPBACK, timeout=5)
    assert attempt == wire.Attempt(200, None) and attempt.delivered
    (got,) = receiver.received
    assert got.signature_ok and got.body == BODY and got.path == "/hook"
    assert got.headers["Sparring-Event"] == "rep.scored" and got.headers["Sparring-Delivery"] == "7"
    assert got.headers["Content-Type"] == "application/json" and got.headers["Host"].startswith("127.0.0.1:")


def test_a_non_2xx_answer_a_dead_port_and_a_slow_receiver_are_attempts_with_their_error() -> None:
    with WebhookReceiver(answers=[500, 302], secret=SECRET) as receiver:
        assert wire.post(receiver.url, BODY, _headers(BODY), policy=LOOPBACK, timeout=5) == \
            wire.Attempt(500, "the receiver answered HTTP 500")
        assert wire.post(receiver.url, BODY, _headers(BODY), policy=LOOPBACK, timeout=5).status_code == 302
        dead = receiver.url
    closed = wire.post(dead, BODY, _headers(BODY), policy=LOOPBACK, timeout=2)
    assert closed.status_code is None and closed.error and "no answer from 127.0.0.1" in closed.error
    assert not closed.refused
    with WebhookReceiver(secret=SECRET, delay=1.5) as slow:
        late = wire.post(slow.url, BODY, _headers(BODY), policy=LOOPBACK, timeout=0.3)
    assert late.error is not None and "timed out" in late.error


def test_loopback_is_refused_under_the_default_policy_without_a_connection() -> None:
    with WebhookReceiver(secret=SECRET) as receiver:
        attempt = wire.post(receiver.url, BODY, _headers(BODY), policy=wire.AddressPolicy(), timeout=5)
    assert attempt.refused and attempt.error is not None and "not a public address" in attempt.error
    assert receiver.received == []


def test_the_verification_snippet_in_the_docs_accepts_a_real_signature_and_refuses_a_forged_one() -> None:
    """docs/integrations.md shows receivers how to verify; its snippet is run here as written."""
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "integrations.md").read_text(encoding="utf-8")
    snippet = doc.split("### Verifying a delivery", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(snippet, "docs/integrations.md", "exec"), namespace)  # our own documentation
    verify_doc = namespace["verify"]
    assert callable(verify_doc)
    assert verify_doc(wire.sign(SECRET, BODY), SECRET, BODY) is True
    assert verify_doc(wire.sign(SECRET, BODY), SECRET, BODY + b" ") is False
    assert verify_doc(wire.sign("whsec_other", BODY), SECRET, BODY) is False
    assert verify_doc(wire.sign(SECRET, BODY, timestamp=1_000), SECRET, BODY) is False
