"""How an engine is wrapped for the settings it is given: the chosen engine alone, or an LLM-backed one over it
when a provider is configured.

The composition root (``sparring.root.Sparring``) calls these once per application with its settings and the
engine it chose from the ``sparring.persona_engines`` / ``sparring.scorers`` entry points; nothing here reads the
environment by itself, so the fallback policy lives in one place. An LLM engine always wraps the chosen one:
when the provider fails (after retries, or past its deadline), its endpoint's circuit breaker is open, or the
configuration cannot be used (e.g. ``llm_local_only`` with a cloud provider), the chosen engine answers and the
reply/scorecard carries ``fallback_reason``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparring.persona.base import PersonaEngine
from sparring.scoring.base import Scorer
from sparring.settings import Settings

if TYPE_CHECKING:
    from sparring.llm.client import LLMClient
    from sparring.llm.config import LLMConfig, Task


def _client(settings: Settings, task: Task) -> tuple[LLMClient | None, str | None, LLMConfig]:
    """(client, why there is none, config) for a task. (None, None, cfg) means no LLM is configured."""
    from sparring.llm.config import load_llm_config

    cfg = load_llm_config(settings)
    tc = cfg.task(task)
    if not tc.enabled:
        return None, None, cfg
    problem = cfg.problem(task)
    if problem:
        return None, problem, cfg
    # the LLM SDK (pydantic-ai, ~0.8 s to import) loads only when a model is configured for this task
    from sparring.llm.client import LLMClient
    from sparring.llm.providers import LLMConfigError, build_model

    try:
        build_model(tc)  # fail early on settings the SDK rejects (e.g. a malformed base URL)
    except (LLMConfigError, ValueError) as exc:
        return None, f"configuration: {exc}", cfg
    from sparring.llm.breaker import shared_breaker

    # one circuit breaker per endpoint for the whole process: services build engines per request, and what one
    # request learned about a failing provider must spare the next ones (docs/llm.md)
    breaker = shared_breaker(tc.endpoint, tc.breaker_failures, tc.breaker_window, tc.breaker_cooldown)
    # a model per thread: SDK connection pools are bound to one event loop
    return LLMClient(tc, lambda: build_model(tc), prices=cfg.prices, breaker=breaker), None, cfg


def llm_client(task: Task, settings: Settings) -> LLMClient | None:
    """The LLM client for a task ("persona", "judge"), or None when the task runs embedded (no model
    configured, or a configuration the task cannot use; ``sparring doctor`` says which)."""
    client, _problem, _cfg = _client(settings, task)
    return client


def persona_engine(settings: Settings, base: PersonaEngine | None = None) -> PersonaEngine:
    """The persona engine for ``settings``: ``base`` (default: the embedded engine), wrapped by the LLM engine when
    a persona model is configured (``base`` then answers whenever the LLM cannot)."""
    if base is None:
        from sparring.persona.embedded import EmbeddedPersonaEngine

        base = EmbeddedPersonaEngine()
    embedded = base
    client, problem, cfg = _client(settings, "persona")
    if client is None and problem is None:
        return embedded
    from sparring.persona.llm import LLMPersonaEngine

    return LLMPersonaEngine(
        client, embedded, redact=cfg.redact, redact_names=cfg.redact_names, unavailable_reason=problem
    )


def scorer(settings: Settings, base: Scorer | None = None) -> Scorer:
    """The scorer for ``settings``: ``base`` (default: the embedded scorer), wrapped by the LLM judge when a judge
    model is configured (``base`` then scores whenever the LLM cannot)."""
    if base is None:
        from sparring.scoring.embedded import EmbeddedScorer

        base = EmbeddedScorer()
    embedded = base
    client, problem, cfg = _client(settings, "judge")
    if client is None and problem is None:
        return embedded
    from sparring.scoring.judge import LLMJudge

    return LLMJudge(
        client,
        embedded,
        samples=cfg.judge_samples,
        redact=cfg.redact,
        redact_names=cfg.redact_names,
        unavailable_reason=problem,
    )
