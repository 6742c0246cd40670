"""The optional TOML config file named by ``SPARRING_CONFIG``.

Top-level keys are settings without the ``SPARRING_`` prefix (``llm_provider = "openai"``); the ``[llm.persona]``,
``[llm.judge]`` and ``[llm.prices]`` tables are read by :mod:`sparring.llm.config`.
It sits beside :mod:`sparring.settings` (not in ``llm/``) because the settings read it too.
Environment variables always win over the file. A bad file is a user error naming the file and line.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from sparring.kernel.problems import Problem, ProblemError


class ConfigError(ProblemError):
    """The config file cannot be read, or the settings it and the environment give cannot be used (e.g. an LLM
    task's temperature out of range). Problems name the file (or ``settings``), line and key."""


_cache: dict[tuple[str, float], dict[str, Any]] = {}


def config_path() -> Path | None:
    raw = os.environ.get("SPARRING_CONFIG")
    return Path(raw).expanduser() if raw else None


def read_config(path: Path | None = None) -> dict[str, Any]:
    """The parsed config file, or ``{}`` when none is configured. Raises ConfigError for a bad file."""
    path = path or config_path()
    if path is None:
        return {}
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise ConfigError([Problem(str(path), 0, "SPARRING_CONFIG", "config file not found")]) from None
    key = (str(path), mtime)
    if key not in _cache:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"line (\d+)", str(exc))
            raise ConfigError([Problem(str(path), int(m.group(1)) if m else 0, "toml", str(exc))]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([Problem(str(path), 0, "SPARRING_CONFIG", f"cannot read: {exc}")]) from None
        _cache.clear()
        _cache[key] = data
    return _cache[key]


def line_of(path: Path, key: str) -> int:
    """Best-effort line number of ``key =`` in the file (for error messages)."""
    try:
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
                return no
    except OSError:
        pass
    return 0


class _ConfigFileSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        data = read_config()
        return data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        data = read_config()
        fields = self.settings_cls.model_fields
        return {k: v for k, v in data.items() if k in fields and not isinstance(v, dict)}


def config_file_source(settings_cls: type[BaseSettings]) -> PydanticBaseSettingsSource:
    return _ConfigFileSource(settings_cls)
