"""The persona's ``voice`` (docs/voice.md, "The counterpart's voice"): optional, validated with the field named, part
of the version when set, and set on every built-in scenario."""

from __future__ import annotations

import pytest
import yaml

from sparring.content.errors import ContentError
from sparring.content.library import LIBRARY_DIR, get_library
from sparring.content.loader import parse_model
from sparring.content.scenario import Scenario


def _pricing() -> dict[str, object]:
    data = yaml.safe_load((LIBRARY_DIR / "scenarios" / "sales-pricing-objection.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _with_voice(voice: object) -> str:
    data = _pricing()
    assert isinstance(data["persona"], dict)
    data["persona"]["voice"] = voice
    return yaml.safe_dump(data, sort_keys=False)


def test_every_builtin_persona_has_a_voice_and_they_differ() -> None:
    voices = {sid: s.persona.voice for sid, s in get_library().scenarios.items()}
    assert all(v is not None for v in voices.values()), [k for k, v in voices.items() if v is None]
    sounds = {(v.lang, v.gender, v.pitch, v.rate) for v in voices.values() if v is not None}
    assert len(sounds) >= len(voices) - 2  # not one voice for everyone
    assert {v.gender for v in voices.values() if v is not None} == {"female", "male"}


def test_a_voice_is_part_of_the_version() -> None:
    low = parse_model(_with_voice({"lang": "en-GB", "gender": "female", "pitch": 0.9}), Scenario, "x.yaml")
    high = parse_model(_with_voice({"lang": "en-GB", "gender": "female", "pitch": 1.1}), Scenario, "x.yaml")
    assert low.persona.voice is not None and low.persona.voice.rate == 1.0  # unset fields take their defaults
    assert low.version != high.version


@pytest.mark.parametrize(("voice", "field"), [
    ({"lang": "English"}, "persona.voice.lang"),
    ({"gender": "robot"}, "persona.voice.gender"),
    ({"pitch": 3}, "persona.voice.pitch"),
    ({"rate": 0.2}, "persona.voice.rate"),
    ({"accent": "Scottish"}, "persona.voice.accent"),
])
def test_a_bad_voice_is_located(voice: dict[str, object], field: str) -> None:
    with pytest.raises(ContentError) as exc:
        parse_model(_with_voice(voice), Scenario, "x.yaml")
    assert any(field in f"{p.field}: {p.message}" for p in exc.value.problems), exc.value.problems
    assert all(p.line is not None for p in exc.value.problems if field in f"{p.field}: {p.message}")
