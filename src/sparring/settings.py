"""Runtime settings, read from the environment (``SPARRING_*``) and an optional config file.

The names of the environment variables are part of the public contract (see docs/configuration.md).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LLMProviderName = Literal["none", "openai", "anthropic", "openai-compatible"]


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "sparring"


class Settings(BaseSettings):
    """All settings. Environment variables win over the config file (``SPARRING_CONFIG``)."""

    model_config = SettingsConfigDict(env_prefix="SPARRING_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None

    llm_provider: LLMProviderName = "none"
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    persona_model: str | None = None
    judge_model: str | None = None
    drill_model: str | None = None

    secret_key: str | None = None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sparring.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """For tests and the CLI: forget cached settings after the environment changed."""
    get_settings.cache_clear()
