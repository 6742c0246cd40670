"""The optional ``source`` block of a scenario (docs/content-format.md; written by drills, docs/drills.md): existing
content keeps the version it had before the field existed, a source validates, a bad one is located."""

from __future__ import annotations

import pytest
import yaml

from sparring.content.errors import ContentError
from sparring.content.library import LIBRARY_DIR, get_library
from sparring.content.loader import parse_model
from sparring.content.scenario import Scenario

SOURCE = {"kind": "call_moment", "conversation_id": 42, "start_turn": 7, "end_turn": 9,
          "criterion": "explore-objection", "moment_kind": "objection_price"}


def _pricing() -> dict[str, object]:
    data = yaml.safe_load((LIBRARY_DIR / "scenarios" / "sales-pricing-objection.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_content_without_a_source_keeps_its_version() -> None:
    # the version of this built-in before the fields existed (a rep pins it; it must not move): ``source`` and the
    # persona's ``voice`` are left out of the version when they are not set
    data = _pricing()
    assert isinstance(data["persona"], dict)
    data["persona"].pop("voice")
    assert Scenario.model_validate(data).version == "2f0de0bbec14"
    assert get_library().scenarios["sales-pricing-objection"].source is None


def test_a_source_validates_and_is_part_of_the_version() -> None:
    plain = Scenario.model_validate(_pricing())
    sourced = Scenario.model_validate({**_pricing(), "source": SOURCE})
    assert sourced.source is not None and sourced.source.model_dump() == SOURCE
    assert sourced.version != plain.version
    again = parse_model(yaml.safe_dump(sourced.model_dump(mode="json", exclude_defaults=True)), Scenario, "x.yaml")
    assert again.version == sourced.version


@pytest.mark.parametrize(("patch", "field"), [
    ({"end_turn": 3}, "source.end_turn"),
    ({"kind": "upload"}, "source.kind"),
    ({"conversation_id": 0}, "source.conversation_id"),
    ({"surprise": 1}, "source.surprise"),
])
def test_a_bad_source_is_located(patch: dict[str, object], field: str) -> None:
    text = yaml.safe_dump({**_pricing(), "source": {**SOURCE, **patch}}, sort_keys=False)
    with pytest.raises(ContentError) as exc:
        parse_model(text, Scenario, "x.yaml")
    assert any(field in f"{p.field}: {p.message}" for p in exc.value.problems), exc.value.problems
