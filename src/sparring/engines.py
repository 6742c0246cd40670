"""Which engines run: the embedded ones by default, LLM-backed ones when a provider is configured.

Adapters (CLI, web, services) get their engines here and nowhere else, so the choice and the fallback
policy live in one place.
"""

from __future__ import annotations

from sparring.persona.base import PersonaEngine
from sparring.scoring.base import Scorer
from sparring.settings import Settings, get_settings


def persona_engine(settings: Settings | None = None) -> PersonaEngine:
    """The persona engine for the current settings."""
    settings = settings or get_settings()
    from sparring.persona.embedded import EmbeddedPersonaEngine

    return EmbeddedPersonaEngine()


def scorer(settings: Settings | None = None) -> Scorer:
    """The scorer for the current settings."""
    settings = settings or get_settings()
    from sparring.scoring.embedded import EmbeddedScorer

    return EmbeddedScorer()
