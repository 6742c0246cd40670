"""The scenario ``knowledge`` section: schema, validation errors named by FILE:LINE and field, and the library."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sparring.content.errors import ContentError
from sparring.content.loader import load_scenario_file, parse_model, validate_paths
from sparring.content.scenario import MAX_ANSWER_CHARS, Condition, KnowledgeEntry, Scenario

SCENARIO_DIR = Path(__file__).parents[2] / "src" / "sparring" / "content" / "library" / "scenarios"
BASE = SCENARIO_DIR / "cs-renewal-discount.yaml"
#: words that would break character (as in test_scenarios.py)
META = re.compile(r"\b(learner|rubric|scenario|score|scorecard|role-?play|simulation|as an ai|practice rep)\b", re.I)
GOOD = {"id": "fleet", "about": "how many trucks they run", "answer": "A hundred and forty trucks."}


def _with(knowledge: list[dict[str, object]], **extra: object) -> str:
    data = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    data["knowledge"] = knowledge
    data.update(extra)
    return yaml.safe_dump(data, sort_keys=False, width=200)


def _problems(text: str) -> dict[str, str]:
    with pytest.raises(ContentError) as exc:
        parse_model(text, Scenario, "x.yaml")
    return {p.field: p.message for p in exc.value.problems}


def test_a_minimal_entry_defaults_to_always_shared() -> None:
    sc = parse_model(_with([GOOD]), Scenario, "x.yaml")
    (entry,) = sc.knowledge
    assert entry.share_when == Condition() and entry.guarded == [] and entry.also_answers == []
    assert entry.again is None and sc.unknown_lines == [] and sc.guarded_lines == []


def test_knowledge_changes_the_scenario_version() -> None:
    a = parse_model(_with([GOOD]), Scenario, "x.yaml")
    b = parse_model(_with([{**GOOD, "answer": "A hundred and fifty trucks."}]), Scenario, "x.yaml")
    assert a.version != b.version


@pytest.mark.parametrize(
    ("knowledge", "extra", "field", "words"),
    [
        ([GOOD, {**GOOD, "answer": "Other."}], {}, "knowledge[1].id", "duplicate knowledge id 'fleet'"),
        ([{**GOOD, "answer": "   "}], {}, "knowledge[0].answer", "must not be empty"),
        ([{**GOOD, "about": ""}], {}, "knowledge[0].about", "must not be empty"),
        ([{**GOOD, "answer": "One.\nTwo."}], {}, "knowledge[0].answer", "one line"),
        ([{**GOOD, "answer": "x" * (MAX_ANSWER_CHARS + 1)}], {}, "knowledge[0].answer", "too long"),
        ([{**GOOD, "share_when": {"state_above": {"mood": 0.5}}}], {}, "knowledge[0].share_when.state_above.mood",
         "is not a state variable"),
        ([{**GOOD, "share_when": {"after_objection": "nope"}}], {}, "knowledge[0].share_when.after_objection",
         "unknown objection 'nope'"),
        ([{**GOOD, "share_when": {"learner_move": ["flatters"]}}], {}, "knowledge[0].share_when.learner_move",
         "unknown move 'flatters'"),
        ([{**GOOD, "guarded": ["Not now."]}], {}, "knowledge[0].guarded", "share_when is empty"),
        ([{**GOOD, "share_when": {"state_above": {"trust": 0.6}}, "guarded": [""]}], {}, "knowledge[0].guarded[0]",
         "must not be empty"),
        ([{**GOOD, "also_answers": ["How big is the fleet?", " "]}], {}, "knowledge[0].also_answers[1]",
         "must not be empty"),
        ([{**GOOD, "again": " "}], {}, "knowledge[0].again", "must not be empty"),
        ([GOOD, {"id": "depots", "about": "which depots they run", "answer": "Three.",
                 "also_answers": ["How many trucks they run"]}], {}, "knowledge[1].also_answers[0]",
         "also in knowledge[0]"),
        ([GOOD], {"unknown_lines": ["No idea.", ""]}, "unknown_lines[1]", "must not be empty"),
        ([GOOD], {"guarded_lines": [""]}, "guarded_lines[0]", "must not be empty"),
        ([{**GOOD, "colour": "red"}], {}, "knowledge[0].colour", "unknown field"),
        ([{"id": "fleet", "about": "trucks"}], {}, "knowledge[0].answer", "required"),
        ([{**GOOD, "id": "Fleet Size"}], {}, "knowledge[0].id", "pattern"),
    ],
)
def test_knowledge_problems_name_the_field(
    knowledge: list[dict[str, object]], extra: dict[str, object], field: str, words: str
) -> None:
    problems = _problems(_with(knowledge, **extra))
    assert field in problems, problems
    assert words.lower() in problems[field].lower(), problems[field]


def test_knowledge_problems_are_located_file_and_line(tmp_path: Path) -> None:
    text = _with([GOOD, {"id": "fleet", "about": "the depots", "answer": "Three.",
                         "share_when": {"state_above": {"mood": 0.5}}}])
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    problems = validate_paths([path])
    by_field = {p.field: p for p in problems}
    lines = text.splitlines()
    dup = by_field["knowledge[1].id"]
    assert dup.file == str(path) and "id: fleet" in lines[dup.line - 1] and dup.line > lines.index("knowledge:")
    mood = by_field["knowledge[1].share_when.state_above.mood"]
    assert "mood" in lines[mood.line - 1]
    assert str(dup).startswith(f"{path}:{dup.line}: knowledge[1].id: duplicate knowledge id")


def test_every_problem_is_reported_not_just_the_first() -> None:
    problems = _problems(_with([{**GOOD, "answer": " "}, {**GOOD, "guarded": ["x"]}]))
    assert {"knowledge[0].answer", "knowledge[1].id", "knowledge[1].guarded"} <= set(problems)


def test_entry_checks_on_their_own() -> None:
    entry = KnowledgeEntry(id="a", about="x", answer="y", guarded=["z"])
    assert entry.problems("k") == ["k.guarded: never said, because share_when is empty (always holds); "
                                   "add a share_when or remove guarded"]


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_library_scenario_has_a_valid_knowledge_section(path: Path) -> None:
    sc = load_scenario_file(path)
    assert validate_paths([path]) == []
    assert 8 <= len(sc.knowledge) <= 15, f"{sc.id}: {len(sc.knowledge)} knowledge entries"
    gated = [e for e in sc.knowledge if e.share_when != Condition()]
    assert len(gated) >= 2, f"{sc.id}: hidden-agenda facts should be gated on trust or openness"
    for e in gated:
        assert e.guarded or sc.guarded_lines, f"{sc.id}/{e.id}: a held-back fact needs an in-character deflection"
    for e in sc.knowledge:
        assert e.answer.strip() and len(e.answer) <= MAX_ANSWER_CHARS
        for line in (e.answer, *e.guarded, *([e.again] if e.again else [])):
            assert not META.search(line), f"{sc.id}/{e.id}: out-of-character line: {line}"
        for g in e.guarded:
            assert g != e.answer
