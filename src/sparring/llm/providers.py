"""Building a pydantic-ai model for a task. Provider SDKs are imported here and nowhere else."""

from __future__ import annotations

from pydantic_ai.models import Model

from sparring.llm.config import TaskConfig


class LLMConfigError(ValueError):
    """The configuration cannot produce a model (the message says what to set)."""


def build_model(cfg: TaskConfig) -> Model:
    """A pydantic-ai model for ``cfg``. SDK-level retries are off: :mod:`sparring.llm.client` owns retrying."""
    if not cfg.enabled or not cfg.model:
        raise LLMConfigError(f"no LLM configured for the {cfg.task} task")
    if cfg.provider == "anthropic":
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        return AnthropicModel(cfg.model, provider=AnthropicProvider(api_key=cfg.api_key, base_url=cfg.base_url))
    if cfg.provider in ("openai", "openai-compatible"):
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        if cfg.provider == "openai-compatible" and not cfg.base_url:
            raise LLMConfigError("provider openai-compatible needs SPARRING_LLM_BASE_URL")
        # local servers (Ollama, llama.cpp, vLLM, LM Studio) accept any key; the SDK insists on one
        key = cfg.api_key or ("not-needed" if cfg.provider == "openai-compatible" else None)
        return OpenAIChatModel(cfg.model, provider=OpenAIProvider(base_url=cfg.base_url, api_key=key))
    raise LLMConfigError(f"unknown provider {cfg.provider!r} (use none, openai, anthropic or openai-compatible)")
