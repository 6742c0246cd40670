"""Token and cost accounting: known models are priced, unknown ones are 'unknown', never 0."""

from __future__ import annotations

import pytest

from sparring.llm.usage import add_usage, make_usage, price_for


def test_known_models_are_priced_by_longest_prefix() -> None:
    assert price_for("gpt-4o-mini-2024-07-18") == (0.15, 0.60)
    assert price_for("gpt-4o-2024-08-06") == (2.50, 10.00)
    assert price_for("openai/gpt-4.1-mini") == (0.40, 1.60)  # OpenRouter names
    u = make_usage("claude-sonnet-4-20250514", 1_000_000, 100_000)
    assert u.cost_usd == pytest.approx(3.0 + 1.5)


def test_unknown_models_have_unknown_cost() -> None:
    u = make_usage("llama3.1:8b", 1200, 300)
    assert u.cost_usd is None and u.input_tokens == 1200
    assert make_usage("llama3.1:8b", 1200, 300, overrides={"llama3.1:8b": {"input": 0, "output": 0}}).cost_usd == 0.0


def test_adding_keeps_unknown_unknown() -> None:
    a = make_usage("gpt-4o-mini", 1000, 100)
    b = make_usage("gpt-4o-mini", 1000, 100)
    total = add_usage(a, b)
    assert total is not None and total.requests == 2 and total.cost_usd == pytest.approx(2 * (a.cost_usd or 0))
    mixed = add_usage(a, make_usage("local", 10, 10))
    assert mixed is not None and mixed.cost_usd is None and mixed.model == "gpt-4o-mini, local"
    assert add_usage(None, a) is a
