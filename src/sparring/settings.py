"""Runtime settings, read from the environment (``SPARRING_*``) and an optional config file.

The names of the environment variables are part of the public contract (docs/user-guide.md, "Settings";
docs/llm.md for the LLM ones).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from sparring.limits import MAX_AUDIO_BYTES, MAX_AUDIO_SECONDS

LLMProviderName = Literal["none", "openai", "anthropic", "openai-compatible"]
JobsBackendName = Literal["auto", "inprocess", "procrastinate"]


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
    #: the model that writes drills from a call moment (docs/drills.md); none: the offline template
    drill_model: str | None = None
    #: LLM behaviour (docs/llm.md); per-task overrides live in the config file's [llm.*] tables
    llm_local_only: bool = False
    llm_redact: bool = True
    llm_redact_names: list[str] = Field(default_factory=list)
    llm_timeout: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    #: failing fast (docs/llm.md, "Deadlines and the circuit breaker"): a persona turn falls back when no token
    #: arrived within this many seconds; a scorecard's LLM call (retries included) gets ``judge_deadline`` seconds
    llm_first_token_timeout: float = Field(default=5.0, gt=0)
    judge_deadline: float = Field(default=25.0, gt=0)
    #: an endpoint is skipped for ``cooldown`` seconds after ``failures`` failures in a row within ``window`` seconds
    llm_breaker_failures: int = Field(default=3, ge=0, le=100)
    llm_breaker_window: float = Field(default=120.0, gt=0)
    llm_breaker_cooldown: float = Field(default=60.0, gt=0)
    judge_samples: int = Field(default=1, ge=1, le=10)
    config: Path | None = Field(default=None, description="TOML config file (SPARRING_CONFIG)")

    #: the key that signs session cookies and CSRF tokens (docs/web.md, "Key rotation"); unset: one generated
    #: into the data directory on first start
    secret_key: str | None = None
    #: how many reverse proxies in front of the web app append to X-Forwarded-For; the login guard counts the
    #: address that many entries from the right. 0 (the default) ignores the header and counts the peer address
    #: (docs/web.md, "Accounts and logging in")
    trusted_proxies: int = Field(default=0, ge=0, le=10)
    #: the address people reach the web app at (e.g. https://sparring.example.com): https turns on Secure
    #: cookies and HSTS (docs/security.md)
    public_url: str | None = None
    #: who receives vulnerability reports for this installation (a mailto: or https: URI), published in
    #: /.well-known/security.txt; without it that file is not served
    security_contact: str | None = None
    #: earlier signing keys, comma-separated: cookies and CSRF tokens they signed keep working until they expire
    secret_keys_previous: str | None = None
    #: a session ends after this many minutes without a request, and this many hours after sign-in
    session_idle_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=90 * 24)
    #: SQLite durability (docs/storage.md): "normal" (WAL: a commit survives a crash of the process, the last
    #: commits may be lost on a crash of the machine) or "full" (an fsync per commit survives that too)
    sqlite_synchronous: Literal["normal", "full"] = "normal"
    #: background jobs (docs/jobs.md): "auto" runs them in-process on SQLite and on Procrastinate on PostgreSQL
    jobs_backend: JobsBackendName = "auto"
    #: in-process runner: seconds between looks at the jobs table when nothing woke it
    jobs_poll_interval: float = Field(default=1.0, gt=0, le=60)
    #: seconds a running job's claim lasts without a heartbeat (in-process lease; Procrastinate's stalled-worker
    #: timeout); a job whose worker died is run again once this has passed. Heartbeats come every third of it.
    jobs_lease_seconds: float = Field(default=30.0, ge=1, le=3600)
    #: whether ``sparring serve`` / ``demo`` run the in-process runner in a background thread (in-process backend)
    jobs_in_web: bool = True
    #: extra task modules, comma-separated ``module:function`` (called with the task registry), besides the
    #: ``sparring.tasks`` entry points of installed packages
    jobs_task_modules: str | None = None
    #: which persona engine and scorer run (docs/architecture.md, "Extension points"): the name of an entry point in
    #: the ``sparring.persona_engines`` / ``sparring.scorers`` group; an LLM provider, when configured, wraps it
    persona_engine: str = "embedded"
    scorer: str = "embedded"
    #: audio calls (docs/calls.md, "Audio"; the optional ``[asr]`` extra): the largest file (bytes) and the longest
    #: call (seconds) that are transcribed; ``--no-limits`` lifts them for one ``sparring call`` command
    audio_max_bytes: int = Field(default=MAX_AUDIO_BYTES, ge=1)
    audio_max_seconds: int = Field(default=MAX_AUDIO_SECONDS, ge=1)
    #: spoken practice turns (docs/voice.md; the optional ``[voice]`` extra): keep each recording in the data folder
    #: (``voice/<conversation>/<take>``) beside its transcript, or (default) discard it once it is transcribed
    voice_keep_audio: bool = False
    #: retention (docs/data-ownership.md, "Retention"), in days, enforced every night by the ``retention_sweep``
    #: task; unset keeps for ever: imported calls (from the call), practice reps and drills (from their end), and
    #: audio files (kept recordings of spoken turns, call uploads)
    retention_call_days: int | None = Field(default=None, ge=1, le=36_500)
    retention_practice_days: int | None = Field(default=None, ge=1, le=36_500)
    retention_audio_days: int | None = Field(default=None, ge=1, le=36_500)
    #: who reads the counterpart's replies aloud (docs/voice.md, "A server voice"): ``browser`` (default: the
    #: browser's own speechSynthesis, in the persona's voice) or ``piper`` (the server, offline, through piper run
    #: as a separate process: the optional ``[tts]`` extra)
    tts: Literal["browser", "piper"] = "browser"
    #: piper voice models by the persona voice's gender hint, e.g. ``{"female": "/voices/amy.onnx"}``; ``any`` is
    #: the fallback (default: the ``[tts]`` extra's en_US-joe-medium)
    tts_voices: dict[Literal["female", "male", "any"], str] = Field(default_factory=dict)
    #: the command that runs piper (default: ``python -m piper`` in Sparring's environment), e.g.
    #: ``/opt/piper/bin/python -m piper`` for a piper kept in an environment of its own
    tts_command: str | None = None
    #: which rubric scores an imported call of each type (docs/calls.md, "Routing"), e.g.
    #: ``SPARRING_CALL_RUBRICS='{"renewal": "acme-renewal"}'``; wins over the config file's ``[calls.rubrics]``
    call_rubrics: dict[str, str] = Field(default_factory=dict)
    #: the call type of a call no routing rule matches (default: the config file's, else ``discovery``)
    call_default_type: str | None = None
    #: e-mail (docs/programs.md, "E-mail"): program reminders are also e-mailed through this SMTP server; without a
    #: host (or a From address) no e-mail is sent. ``smtp_starttls`` upgrades a plain connection with STARTTLS;
    #: ``smtp_user``/``smtp_password`` log in when both are set
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str | None = None
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = Field(default=10.0, gt=0, le=300)
    #: outgoing webhooks (docs/integrations.md, "Webhooks"): ``public`` delivers only to public internet addresses
    #: (every address the host resolves to), ``any`` to any address; ``webhooks_allow`` names hosts, addresses or
    #: networks (comma-separated: ``hooks.internal, 10.1.2.3, 192.168.0.0/16``) allowed even when not public
    webhooks_addresses: Literal["public", "any"] = "public"
    webhooks_allow: str | None = None
    #: attempts per delivery (the first and the retries, backing off 10 s, 20 s, 40 s … up to 10 minutes apart)
    webhooks_max_attempts: int = Field(default=8, ge=1, le=100)
    #: seconds to connect and to wait for the receiver's answer
    webhooks_timeout: float = Field(default=10.0, gt=0, le=60)
    #: xAPI delivery (docs/integrations.md, "xAPI"): scored attempts and their criterion results are sent to this
    #: learning record store (its xAPI endpoint, e.g. https://lrs.example.com/xAPI; statements are POSTed to
    #: ``<url>/statements``) with HTTP basic authentication; without a URL nothing is sent
    xapi_lrs_url: str | None = None
    xapi_lrs_username: str | None = None
    xapi_lrs_password: str | None = None
    xapi_lrs_timeout: float = Field(default=30.0, gt=0, le=300)
    #: SCORM packages (docs/integrations.md, "SCORM"): comma-separated origins of the LMSs whose launch pages may
    #: receive a rep's score (e.g. ``https://moodle.example.com``); a start from any other origin is refused
    scorm_origins: str | None = None
    #: single sign-on (docs/sso.md, "Break-glass"): in an organisation that turned password login off, ``admins``
    #: lets its active admins still log in with their password (and second factor), audited as ``sso.break_glass``;
    #: ``off`` refuses every password there (a lost IdP then needs ``sparring`` on the server to get back in)
    sso_break_glass: Literal["admins", "off"] = "admins"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # top-level keys of the SPARRING_CONFIG file, e.g. ``llm_provider = "openai"``; the environment wins
        from sparring.configfile import config_file_source

        return (init_settings, env_settings, config_file_source(settings_cls), file_secret_settings)

    @property
    def previous_secret_keys(self) -> list[str]:
        """``secret_keys_previous`` as a list (commas or whitespace separate the keys)."""
        return [k for k in re.split(r"[,\s]+", self.secret_keys_previous or "") if k]

    def plugin_options(self, name: str) -> dict[str, Any]:
        """The ``[plugins.<name>]`` table of the config file (``{}`` when there is none): how a plugin engine,
        importer or integration is configured (docs/architecture.md, "Extension points"). ConfigError (file, line)
        when the file is bad or the entry is not a table."""
        from sparring.configfile import ConfigError, config_path, line_of, read_config
        from sparring.kernel.problems import Problem

        path = self.config or config_path()
        data = read_config(path) if path else {}
        plugins = data.get("plugins", {})
        options = plugins.get(name, {}) if isinstance(plugins, dict) else None
        if not isinstance(options, dict):
            where = str(path) if path else "settings"
            line = line_of(path, "plugins") if path else 0
            raise ConfigError([Problem(where, line, f"plugins.{name}", "must be a table of options")])
        return dict(options)

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
