"""Token and cost accounting.

Prices are USD per million tokens, as listed publicly by the providers when this table was written
(docs/llm.md says how to override them in the config file). A model that is not in the table has an
*unknown* cost (``cost_usd = None``), never 0: a local model is free only when you say so with a price
entry of 0. Cached input tokens are priced like other input tokens (an upper bound).
"""

from __future__ import annotations

from collections.abc import Mapping

from sparring.kernel.usage import Usage

#: model name prefix -> (input, output) USD per 1M tokens. The longest matching prefix wins.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "o4-mini": (1.10, 4.40),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
}


Prices = Mapping[str, Mapping[str, float]]


def price_for(model: str | None, overrides: Prices | None = None) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens, or None when unknown."""
    if not model:
        return None
    if overrides and model in overrides:
        entry = overrides[model]
        return float(entry["input"]), float(entry["output"])
    name = model.split("/")[-1].lower()  # "openai/gpt-4o-mini" on OpenRouter
    best = ""
    for prefix in PRICES:
        if name.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return PRICES[best] if best else None


def make_usage(
    model: str | None,
    input_tokens: int,
    output_tokens: int,
    requests: int = 1,
    overrides: Mapping[str, Mapping[str, float]] | None = None,
) -> Usage:
    price = price_for(model, overrides)
    cost = None if price is None else round((input_tokens * price[0] + output_tokens * price[1]) / 1_000_000, 6)
    return Usage(model=model, input_tokens=input_tokens, output_tokens=output_tokens, requests=requests, cost_usd=cost)


def add_usage(a: Usage | None, b: Usage | None) -> Usage | None:
    """Sum two usages. The cost stays unknown if either side's cost is unknown."""
    if a is None:
        return b
    if b is None:
        return a
    cost = None if a.cost_usd is None or b.cost_usd is None else round(a.cost_usd + b.cost_usd, 6)
    model = a.model if a.model == b.model else ", ".join(m for m in (a.model, b.model) if m)
    return Usage(
        model=model or None,
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        requests=a.requests + b.requests,
        cost_usd=cost,
    )
