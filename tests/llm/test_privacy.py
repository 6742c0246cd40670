"""Redaction of personal data and the local-endpoint check behind ``llm_local_only``."""

from __future__ import annotations

import pytest

from sparring.llm.network import is_local_url
from sparring.llm.redaction import Redactor, luhn_ok


def test_emails_phones_cards_and_listed_names_are_redacted_and_restored() -> None:
    r = Redactor(["Nadia Brooks", "Marcus"])
    text = (
        "Nadia Brooks here: mail nadia.b@halcyon-health.com, call +44 20 7946 0958 or (415) 555-0199; "
        "card 4111 1111 1111 1111. marcus agreed."
    )
    out = r.redact(text)
    for secret in ("nadia.b@halcyon-health.com", "7946 0958", "555-0199", "4111 1111", "Nadia Brooks", "marcus"):
        assert secret not in out
    assert out.startswith("[NAME_1] here: mail [EMAIL_1], call [PHONE_1] or [PHONE_2]; card [CARD_1]. [NAME_2]")
    assert r.restore(out) == text


def test_the_same_value_keeps_its_placeholder() -> None:
    r = Redactor()
    assert r.redact("a@b.io") == r.redact("write to a@b.io") .split()[-1] == "[EMAIL_1]"
    assert r.redact("c@d.io") == "[EMAIL_2]"


@pytest.mark.parametrize(
    "text",
    [
        "ARR is $62,000 across 14 clinics",
        "no-shows fell from 18% to 11% in 2024",
        "order 1234567890123 is not a card",  # fails the Luhn check
        "we met on 2024-05-01",
        "a three-year term at 120000",
    ],
)
def test_business_numbers_are_left_alone(text: str) -> None:
    assert Redactor().redact(text) == text


def test_disabled_redactor_changes_nothing() -> None:
    assert Redactor(["Nadia"], enabled=False).redact("Nadia a@b.io") == "Nadia a@b.io"


def test_luhn() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:11434/v1", True),
        ("http://localhost:8080/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://10.1.2.3/v1", True),
        ("http://192.168.1.20:1234/v1", True),
        ("http://ollama:11434/v1", True),
        ("http://gpu-box.local:8000/v1", True),
        ("https://api.openai.com/v1", False),
        ("https://openrouter.ai/api/v1", False),
        ("http://8.8.8.8/v1", False),
        ("https://my-vllm.example.com/v1", False),
    ],
)
def test_local_endpoint_check(url: str, local: bool) -> None:
    assert is_local_url(url) is local
