"""What the LLM layer uses per task (persona, judge), resolved from settings and the config file.

Order of precedence for each task: environment variables > the task's ``[llm.<task>]`` table > the file's
top-level keys > defaults. The persona and judge models come from ``SPARRING_PERSONA_MODEL`` and
``SPARRING_JUDGE_MODEL``; the drill writer's (a practice scenario made from a moment of a real call,
docs/drills.md) from ``SPARRING_DRILL_MODEL``.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from sparring.configfile import ConfigError, config_path, line_of, read_config
from sparring.kernel.problems import Problem
from sparring.llm.network import is_local_url
from sparring.settings import LLMProviderName, Settings

Task = Literal["persona", "judge", "drill"]
TASKS: tuple[Task, ...] = ("persona", "judge", "drill")
OutputMode = Literal["tool", "native", "prompted"]

#: defaults per task: the persona is allowed some variety, the judge is deterministic
_DEFAULT_TEMPERATURE: dict[Task, float] = {"persona": 0.7, "judge": 0.0, "drill": 0.5}
#: output cap per task: a persona turn is a few sentences plus a small state object; the judge is not capped
_DEFAULT_MAX_TOKENS: dict[Task, int | None] = {"persona": 800, "judge": None, "drill": 2000}
#: how long a whole call may take (retries included): only the judge has one by default;
#: a persona turn has the first-token deadline instead (a reply that started streams up to ``timeout``)
_DEADLINE_TASKS: tuple[Task, ...] = ("judge",)
#: which env var names the model of each task
MODEL_ENV: dict[Task, str] = {
    "persona": "SPARRING_PERSONA_MODEL",
    "judge": "SPARRING_JUDGE_MODEL",
    "drill": "SPARRING_DRILL_MODEL",
}


class TaskConfig(BaseModel):
    """Everything needed to call one model for one task."""

    task: Task
    provider: LLMProviderName = "none"
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    temperature: float = Field(default=0.0, ge=0, le=2)
    timeout: float = Field(default=30.0, gt=0, description="seconds per attempt")
    first_token_timeout: float | None = Field(
        default=None, gt=0, description="streamed calls: seconds from the start of the call (retries included) to "
        "the first token; when it passes the call fails at once, without another attempt"
    )
    deadline: float | None = Field(
        default=None, gt=0, description="seconds for the whole call, retries included; no attempt is started that "
        "cannot finish before it"
    )
    max_retries: int = Field(default=2, ge=0, le=10, description="retries after timeouts, 429 and 5xx")
    backoff: float = Field(default=0.5, ge=0, le=60, description="first retry delay in seconds, doubled each time")
    max_backoff: float = Field(default=8.0, ge=0, le=300)
    output_mode: OutputMode = Field(default="tool", description="how structured output is requested")
    max_tokens: int | None = Field(default=None, gt=0)
    prompt_cache: bool = Field(
        default=True, description="Anthropic: mark the stable prefix for prompt caching (OpenAI caches by itself)"
    )
    #: the endpoint's circuit breaker (sparring.llm.breaker); global settings, not per task
    breaker_failures: int = Field(default=3, ge=0, le=100, description="failures in a row that open it; 0 = off")
    breaker_window: float = Field(default=120.0, gt=0, description="seconds within which those failures count")
    breaker_cooldown: float = Field(default=60.0, gt=0, description="seconds it stays open before a trial call")

    @property
    def enabled(self) -> bool:
        return self.provider != "none" and bool(self.model)

    @property
    def engine_name(self) -> str:
        return f"llm:{self.model}" if self.enabled else "embedded"

    @property
    def endpoint(self) -> str:
        """What the circuit breaker is keyed by: the provider and its URL (tasks on one endpoint share it)."""
        return f"{self.provider} {self.base_url or '(default endpoint)'}"

    @property
    def is_local(self) -> bool:
        """True when requests stay on this machine or a private network."""
        if self.provider in ("openai", "anthropic") and not self.base_url:
            return False
        return bool(self.base_url) and is_local_url(self.base_url or "")


class LLMConfig(BaseModel):
    tasks: dict[str, TaskConfig]
    local_only: bool = False
    redact: bool = True
    redact_names: list[str] = Field(default_factory=list)
    judge_samples: int = Field(default=1, ge=1, le=10)
    #: USD per million tokens, overriding or extending the built-in table: {model: {"input": x, "output": y}}
    prices: dict[str, dict[str, float]] = Field(default_factory=dict)
    config_file: str | None = None

    def task(self, task: Task) -> TaskConfig:
        return self.tasks[task]

    def problem(self, task: Task) -> str | None:
        """Why the task cannot use its LLM (None when it can, or when no LLM is configured)."""
        cfg = self.tasks[task]
        if not cfg.enabled:  # no provider, or no model for this task: the embedded engine, by choice
            return None
        if cfg.provider == "openai-compatible" and not cfg.base_url:
            return "provider openai-compatible needs SPARRING_LLM_BASE_URL"
        if cfg.provider in ("openai", "anthropic") and not cfg.api_key and not cfg.base_url:
            return f"provider {cfg.provider} needs SPARRING_LLM_API_KEY"
        if self.local_only and not cfg.is_local:
            where = cfg.base_url or f"the {cfg.provider} cloud API"
            return f"external providers are forbidden (llm_local_only) and {where} is not a local endpoint"
        return None


def _task_overrides(data: dict[str, Any], task: Task) -> dict[str, Any]:
    llm = data.get("llm", {})
    table = llm.get(task, {}) if isinstance(llm, dict) else {}
    return dict(table) if isinstance(table, dict) else {}


def load_llm_config(settings: Settings) -> LLMConfig:
    """Resolve the per-task configuration. Raises ConfigError (file, line, field) for a bad config file."""
    data = read_config(settings.config) if settings.config else read_config()
    path = settings.config or config_path()
    llm_table = data.get("llm", {}) if isinstance(data.get("llm", {}), dict) else {}
    tasks: dict[str, TaskConfig] = {}
    models: dict[Task, str | None] = {
        "persona": settings.persona_model,
        "judge": settings.judge_model,
        "drill": settings.drill_model,
    }
    for task in TASKS:
        base: dict[str, Any] = {
            "task": task,
            "provider": settings.llm_provider,
            "model": models[task],
            "base_url": settings.llm_base_url,
            "api_key": settings.llm_api_key,
            "temperature": _DEFAULT_TEMPERATURE[task],
            "timeout": settings.llm_timeout,
            "max_retries": settings.llm_max_retries,
            "max_tokens": _DEFAULT_MAX_TOKENS[task],
            "first_token_timeout": settings.llm_first_token_timeout,
            "deadline": settings.judge_deadline if task in _DEADLINE_TASKS else None,
        }
        overrides = _task_overrides(data, task)
        # environment variables win over the file's task table
        env_wins = {
            "provider": "SPARRING_LLM_PROVIDER",
            "base_url": "SPARRING_LLM_BASE_URL",
            "api_key": "SPARRING_LLM_API_KEY",
            "model": MODEL_ENV[task],
        }
        for key, env in env_wins.items():
            if key in overrides and os.environ.get(env):
                overrides.pop(key)
        if "api_key_env" in overrides:
            overrides["api_key"] = os.environ.get(str(overrides.pop("api_key_env")))
        base.update(overrides)
        # one breaker per endpoint, whichever task calls it: its settings are global (never per task)
        base.update(breaker_failures=settings.llm_breaker_failures, breaker_window=settings.llm_breaker_window,
                    breaker_cooldown=settings.llm_breaker_cooldown)  # fmt: skip
        try:
            tasks[task] = TaskConfig.model_validate(base)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"])
                line = line_of(path, field.split(".")[0]) if path else 0
                problems.append(Problem(str(path or "settings"), line, f"llm.{task}.{field}", err["msg"]))
            raise ConfigError(problems) from None
    prices_raw = llm_table.get("prices", {})
    prices: dict[str, dict[str, float]] = {}
    if isinstance(prices_raw, dict):
        for model, entry in prices_raw.items():
            keys = ("input", "output")
            numeric = isinstance(entry, dict) and all(isinstance(entry.get(k), int | float) for k in keys)
            if not numeric:
                line = line_of(path, model) if path else 0
                raise ConfigError(
                    [Problem(str(path), line, f"llm.prices.{model}", "needs numeric 'input' and 'output' (USD per 1M)")]
                )
            prices[model] = {k: float(v) for k, v in entry.items() if isinstance(v, int | float)}
    return LLMConfig(
        tasks=tasks,
        local_only=settings.llm_local_only,
        redact=settings.llm_redact,
        redact_names=list(settings.llm_redact_names),
        judge_samples=settings.judge_samples,
        prices=prices,
        config_file=str(path) if path else None,
    )
