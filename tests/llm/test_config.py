"""Settings per task from env vars and the SPARRING_CONFIG TOML file; engines.py picks engines from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.configfile import ConfigError
from sparring.engines import llm_client, persona_engine, scorer
from sparring.llm.config import load_llm_config
from sparring.persona.embedded import EmbeddedPersonaEngine
from sparring.persona.llm import LLMPersonaEngine
from sparring.scoring.embedded import EmbeddedScorer
from sparring.scoring.judge import LLMJudge
from sparring.settings import Settings, get_settings, reset_settings_cache


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sparring.toml"
    path.write_text(text)
    return path


def test_no_provider_means_embedded_engines() -> None:
    cfg = load_llm_config(Settings())
    assert all(not t.enabled for t in cfg.tasks.values())
    assert isinstance(persona_engine(Settings()), EmbeddedPersonaEngine)
    assert isinstance(scorer(Settings()), EmbeddedScorer)
    assert llm_client("judge", Settings()) is None


def test_env_vars_configure_each_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_LLM_PROVIDER", "openai-compatible")
    monkeypatch.setenv("SPARRING_LLM_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("SPARRING_PERSONA_MODEL", "llama3.1:8b")
    monkeypatch.setenv("SPARRING_JUDGE_MODEL", "qwen2.5:14b")
    reset_settings_cache()
    cfg = load_llm_config(get_settings())
    assert cfg.task("persona").model == "llama3.1:8b" and cfg.task("persona").temperature == 0.7
    assert cfg.task("judge").model == "qwen2.5:14b" and cfg.task("judge").temperature == 0.0
    assert cfg.task("judge").is_local
    engine = persona_engine(get_settings())
    assert isinstance(engine, LLMPersonaEngine) and engine.client is not None
    assert engine.client.engine_name == "llm:llama3.1:8b"
    judge = scorer(get_settings())
    assert isinstance(judge, LLMJudge) and judge.client is not None
    client = llm_client("judge", get_settings())
    assert client is not None and client.cfg.temperature == 0.0 and client.engine_name == "llm:qwen2.5:14b"
    assert set(cfg.tasks) == {"persona", "judge", "drill"}
    assert not cfg.task("drill").enabled and llm_client("drill", get_settings()) is None  # no drill model: template
    monkeypatch.setenv("SPARRING_DRILL_MODEL", "llama3.1:8b")
    reset_settings_cache()
    drill = llm_client("drill", get_settings())
    assert drill is not None and drill.engine_name == "llm:llama3.1:8b" and drill.cfg.temperature == 0.5


def test_config_file_sets_defaults_and_per_task_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(
        tmp_path,
        """
llm_provider = "openai-compatible"
llm_base_url = "http://127.0.0.1:8080/v1"
judge_model = "from-file"
llm_redact_names = ["Nadia Brooks"]
judge_samples = 3

[llm.persona]
model = "persona-model"
temperature = 0.9
timeout = 12

[llm.judge]
provider = "anthropic"
base_url = "http://10.0.0.5:9000"
api_key_env = "MY_JUDGE_KEY"
output_mode = "native"

[llm.prices.persona-model]
input = 0
output = 0
""",
    )
    monkeypatch.setenv("SPARRING_CONFIG", str(path))
    monkeypatch.setenv("MY_JUDGE_KEY", "secret")
    monkeypatch.setenv("SPARRING_JUDGE_MODEL", "from-env")  # the environment wins over the file
    reset_settings_cache()
    cfg = load_llm_config(get_settings())
    persona, judge = cfg.task("persona"), cfg.task("judge")
    assert (persona.provider, persona.model, persona.temperature, persona.timeout) == (
        "openai-compatible", "persona-model", 0.9, 12.0,
    )  # fmt: skip
    assert (judge.provider, judge.model, judge.api_key) == ("anthropic", "from-env", "secret")
    assert judge.output_mode == "native"
    assert cfg.redact_names == ["Nadia Brooks"] and cfg.judge_samples == 3
    assert cfg.prices["persona-model"] == {"input": 0.0, "output": 0.0}
    assert cfg.problem("judge") is None and judge.is_local


def test_bad_config_file_names_file_line_and_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, '[llm.judge]\nmodel = "x"\ntemperature = "hot"\n')
    monkeypatch.setenv("SPARRING_CONFIG", str(path))
    reset_settings_cache()
    with pytest.raises(ConfigError) as err:
        load_llm_config(get_settings())
    assert str(err.value).startswith(f"{path}:3: llm.judge.temperature:")

    broken = _write(tmp_path, 'llm_provider = "openai\n')
    monkeypatch.setenv("SPARRING_CONFIG", str(broken))
    reset_settings_cache()
    with pytest.raises(ConfigError) as err2:
        get_settings()
    assert str(err2.value).startswith(f"{broken}:1: toml:")


def test_missing_config_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_CONFIG", str(tmp_path / "nope.toml"))
    reset_settings_cache()
    with pytest.raises(ConfigError, match="config file not found"):
        get_settings()


def test_local_only_refuses_cloud_providers_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_LLM_PROVIDER", "openai")
    monkeypatch.setenv("SPARRING_LLM_API_KEY", "sk-test")
    monkeypatch.setenv("SPARRING_JUDGE_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("SPARRING_LLM_LOCAL_ONLY", "true")
    reset_settings_cache()
    cfg = load_llm_config(get_settings())
    assert cfg.problem("judge") and "external providers are forbidden" in (cfg.problem("judge") or "")
    judge = scorer(get_settings())
    assert isinstance(judge, LLMJudge) and judge.client is None
    assert judge.unavailable_reason and "forbidden" in judge.unavailable_reason


def test_missing_key_or_base_url_is_reported() -> None:
    cfg = load_llm_config(Settings(llm_provider="anthropic", judge_model="claude-haiku-4-5"))
    assert cfg.problem("judge") == "provider anthropic needs SPARRING_LLM_API_KEY"
    cfg = load_llm_config(Settings(llm_provider="openai-compatible", judge_model="m"))
    assert cfg.problem("judge") == "provider openai-compatible needs SPARRING_LLM_BASE_URL"
    assert cfg.problem("persona") is None  # no persona model: the embedded engine, by choice


def test_the_settings_reach_each_task(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "sparring.toml"
    config.write_text(
        "llm_breaker_cooldown = 90\n\n[llm.persona]\nfirst_token_timeout = 12\nbreaker_cooldown = 5\n\n"
        "[llm.judge]\ndeadline = 40\n"
    )
    monkeypatch.setenv("SPARRING_CONFIG", str(config))
    monkeypatch.setenv("SPARRING_JUDGE_DEADLINE", "20")
    reset_settings_cache()
    cfg = load_llm_config(get_settings())
    persona, judge = cfg.task("persona"), cfg.task("judge")
    assert persona.first_token_timeout == 12 and persona.deadline is None
    assert judge.first_token_timeout == 5 and judge.deadline == 40  # the task's table wins over the setting
    assert {t.breaker_cooldown for t in (persona, judge)} == {90}  # global: a task table cannot change it
    assert {t.breaker_failures for t in (persona, judge)} == {3}
