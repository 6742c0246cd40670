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



def test_remembered_clean_texts_never_hide_personal_data() -> None:
    text = "Nadia said the 14 clinics saved $140,000; reach her at 020 7946 0958."
    phone_only = Redactor().redact(text)
    assert "7946" not in phone_only and "Nadia" in phone_only
    clean = "Nadia said the 14 clinics saved $140,000."
    assert Redactor().redact(clean) == clean  # now remembered as clean for a redactor without names
    assert Redactor().redact(clean) == clean
    # the same text is not clean once the name is listed: the memory is per list of names
    named = Redactor(["Nadia"])
    assert named.redact(clean) == "[NAME_1] said the 14 clinics saved $140,000."
    assert named.restore("[NAME_1]") == "Nadia"
    assert Redactor().redact(text) == phone_only  # a text with something to redact is never remembered as clean


def test_a_redacted_prefix_gives_every_fresh_redactor_the_same_placeholders() -> None:
    prefix = "You are Nadia Brooks (nadia@halcyon.example, +1 415 555 0199). Your budget is 120000."
    first = Redactor(["Nadia Brooks"])
    once = first.redact_prefix(prefix)
    assert "nadia@halcyon.example" not in once and "555 0199" not in once and "Nadia Brooks" not in once
    for _ in range(2):  # the second and third time come from memory
        again = Redactor(["Nadia Brooks"])
        assert again.redact_prefix(prefix) == once
        assert again.restore(once) == prefix
        # later texts continue the numbering after the prefix's placeholders, as without memory
        assert again.redact("call a@b.io") == first.redact("call a@b.io") == "call [EMAIL_2]"
    other_names = Redactor(["Marcus"])
    assert "Nadia Brooks" in other_names.redact_prefix(prefix)  # not served another name list's result
    used = Redactor()
    used.redact("x@y.io")
    assert used.redact_prefix("write to q@r.io") == "write to [EMAIL_2]"  # not first: redacted as usual
    assert Redactor(enabled=False).redact_prefix(prefix) == prefix


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
