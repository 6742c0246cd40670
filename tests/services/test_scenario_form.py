"""The editor's form view: the common fields read out of a scenario's YAML and written back by splicing, so
comments, unknown fields and every untouched value stay byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.content.library import LIBRARY_DIR, get_library
from sparring.services import authoring
from sparring.services.scenario_form import FIELDS, FormError, apply_fields, read_fields

KNOWN = set(get_library().rubrics)
BUILTINS = sorted((LIBRARY_DIR / "scenarios").glob("*.yaml"))


def _valid(text: str) -> None:
    result = authoring.validate_text(text, KNOWN)
    assert result.ok, [str(p) for p in result.problems]


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_every_field_of_every_builtin_round_trips(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fields = read_fields(text)
    assert apply_fields(text, fields) == text  # nothing changed, nothing rewritten
    edited = {
        **fields,
        "id": "edited-copy", "title": "Edited: a title with a colon", "domain": "other", "rubric": "discovery",
        "summary": "One line #1, with a hash", "skills": "listening, next-steps", "learner_role": "Someone new",
        "brief": fields["brief"] + " One more sentence about the situation.",
        "objectives": fields["objectives"] + "\nA new objective: measured",
        "persona.name": "Zoë O'Neill", "persona.role": "Director", "persona.company": "Acme",
        "persona.personality": "calm; careful", "opening_line": "Yes? What is it?",
        "success": "it works out", "max_turns": "12",
    }
    out = apply_fields(text, edited)
    _valid(out)
    assert read_fields(out) == {k: v for k, v in edited.items()} | {"brief": " ".join(edited["brief"].split())}
    # every top-level section the form does not edit is byte for byte the same
    untouched = {"state", "moves", "custom_moves", "objections", "knowledge", "beats", "difficulty", "failure",
                 "success_lines", "failure_lines", "unknown_lines", "guarded_lines"}
    before, after = _sections(text), _sections(out)
    assert {k: v for k, v in before.items() if k in untouched} == {k: v for k, v in after.items() if k in untouched}
    assert untouched & set(before)


def _sections(text: str) -> dict[str, str]:
    """Top-level key -> its text (key line and everything indented below it)."""
    out: dict[str, str] = {}
    key = ""
    for line in text.splitlines(keepends=True):
        if line[:1].isalpha():
            key = line.split(":", 1)[0]
        out[key] = out.get(key, "") + line
    return out


def test_comments_and_unknown_lines_stay_and_a_missing_optional_field_is_added() -> None:
    text = authoring.template_text("manager-feedback")
    assert text is not None and "company:" not in text
    out = apply_fields(text, {"persona.company": "Corvel Media", "title": "Feedback: the late release"})
    _valid(out)
    assert out.splitlines()[0] == text.splitlines()[0]  # the template's leading comment
    assert "  company: Corvel Media\n" in out and read_fields(out)["persona.company"] == "Corvel Media"
    assert out.index("company:") > out.index("  personality:") and out.index("company:") < out.index("opening_lines")
    assert 'title: "Feedback: the late release"\n' in out
    changed = [a for a, b in zip(text.splitlines(), out.splitlines(), strict=False) if a != b]
    assert len(changed) >= 1 and len(out.splitlines()) == len(text.splitlines()) + 1


def test_a_block_list_stays_a_block_list_and_a_flow_list_a_flow_list() -> None:
    text = authoring.template_text("cs-renewal")
    assert text is not None
    out = apply_fields(text, {"objectives": "Find out what changed\nAgree a plan", "skills": "renewal, listening"})
    assert "objectives:\n  - Find out what changed\n  - Agree a plan\npersona:" in out
    assert "skills: [renewal, listening]\n" in out
    _valid(out)


def test_the_form_refuses_what_it_cannot_write() -> None:
    text = authoring.template_text("cs-renewal")
    assert text is not None
    with pytest.raises(FormError, match="cannot be cleared"):
        apply_fields(text, {"title": "  "})
    with pytest.raises(FormError, match="max_turns: must be a whole number"):
        apply_fields(text, {"max_turns": "lots"})
    with pytest.raises(FormError, match="not a field"):
        apply_fields(text, {"persona.secret": "x"})
    with pytest.raises(FormError) as info:
        read_fields("id: x\ntitle: [oops\n")
    assert info.value.problems and info.value.problems[0].line == 3
    with pytest.raises(FormError, match="mapping"):
        read_fields("- a list\n")


def test_fields_are_the_documented_ones() -> None:
    assert set(FIELDS) == {"id", "title", "domain", "summary", "rubric", "skills", "learner_role", "brief",
                           "objectives", "persona.name", "persona.role", "persona.company", "persona.personality",
                           "opening_line", "success", "max_turns"}
