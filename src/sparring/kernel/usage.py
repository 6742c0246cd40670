"""Tokens and cost of the LLM calls behind one reply or one scorecard (prices: ``sparring.llm.usage``)."""

from __future__ import annotations

from pydantic import BaseModel


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    #: estimated from sparring.llm.usage.PRICES; None when the model's price is unknown (never a made-up 0)
    cost_usd: float | None = None
    model: str | None = None
    requests: int = 0
