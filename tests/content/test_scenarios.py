"""The built-in scenario library: every scenario validates, uses a known rubric, and is written to be played."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sparring.content.errors import ContentError
from sparring.content.loader import load_scenario_file, parse_model, validate_paths
from sparring.content.scenario import OPTIONAL_SITUATIONS, SITUATIONS, Scenario
from sparring.persona.rules import active_objections

SCENARIO_DIR = Path(__file__).parents[2] / "src" / "sparring" / "content" / "library" / "scenarios"
FILES = sorted(SCENARIO_DIR.glob("*.yaml"))
RUBRIC_IDS = {
    "sales-objection-handling",
    "discovery",
    "renewal-value",
    "de-escalation",
    "consulting-pushback",
    "feedback-conversation",
    "coaching-conversation",
    "motivational-interviewing",
}
EXPECTED = {
    "sales-pricing-objection": "sales-objection-handling",
    "sales-competitor-displacement": "sales-objection-handling",
    "sales-guarded-discovery": "discovery",
    "sales-cold-call-gatekeeper": "discovery",
    "cs-renewal-discount": "renewal-value",
    "cs-angry-escalation": "de-escalation",
    "consulting-scope-pushback": "consulting-pushback",
    "consulting-challenge-assumption": "consulting-pushback",
    "mgmt-performance-feedback": "feedback-conversation",
    "mgmt-coaching-1on1": "coaching-conversation",
    "mgmt-defensive-teammate": "feedback-conversation",
    "mgmt-say-no-senior": "consulting-pushback",
    "mi-ambivalent-change": "motivational-interviewing",
}
#: words that would break character: the persona never talks about the exercise itself
META = re.compile(r"\b(learner|rubric|scenario|score|scorecard|role-?play|simulation|as an ai|practice rep)\b", re.I)


def _load(path: Path) -> Scenario:
    return load_scenario_file(path)


def _all_lines(sc: Scenario) -> list[str]:
    lines = [*sc.opening_lines, *sc.success_lines, *sc.failure_lines]
    for o in sc.objections:
        lines += [*o.lines, *o.eased_lines, *o.pressing_lines]
    for b in sc.beats:
        lines += b.lines
    for tells in sc.persona.tells.values():
        lines += tells
    return lines


def test_every_scenario_of_the_brief_exists_with_its_rubric() -> None:
    found = {_load(p).id: _load(p).rubric for p in FILES}
    assert {k: found.get(k) for k in EXPECTED} == EXPECTED
    assert {_load(p).domain for p in FILES} >= {
        "sales", "customer-success", "consulting", "management", "motivational-interviewing"
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_validates_and_is_well_formed(path: Path) -> None:
    sc = _load(path)
    assert sc.id == path.stem
    assert sc.rubric in RUBRIC_IDS
    assert validate_paths([path]) == []
    assert len(sc.objections) >= 3 and sc.persona.hidden_agenda and sc.persona.background and sc.persona.tells
    assert sc.success_lines and sc.failure_lines and sc.failure
    assert len(sc.version) >= 12


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_difficulty_changes_behaviour_not_just_a_label(path: Path) -> None:
    sc = _load(path)
    easy, hard = sc.profile("easy"), sc.profile("hard")
    assert easy.steps > hard.steps and easy.penalty < hard.penalty
    assert hard.ease_hits > easy.ease_hits
    assert hard.pushback_after_concession and not easy.pushback_after_concession
    assert len(active_objections(sc, "hard")) > len(active_objections(sc, "easy"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_persona_stays_in_character_and_has_varied_lines(path: Path) -> None:
    sc = _load(path)
    lines = _all_lines(sc)
    for line in lines:
        assert not META.search(line), f"{sc.id}: out-of-character line: {line}"
    situations = {b.situation for b in sc.beats}
    required = set(SITUATIONS) - OPTIONAL_SITUATIONS  # those have built-in lines
    assert situations >= required, f"{sc.id}: missing beats for {required - situations}"
    distinct = set(lines)
    assert len(distinct) >= 3 * sc.max_turns, f"{sc.id}: too few distinct lines for {sc.max_turns} turns"


def test_bad_scenario_names_the_field_and_line(tmp_path: Path) -> None:
    text = (SCENARIO_DIR / "cs-renewal-discount.yaml").read_text(encoding="utf-8")
    bad = text.replace("    eased_by: [open-question, acknowledge, reflect, quantified_value]",
                       "    eased_by: [open-question, flatters]", 1)
    assert bad != text
    p = tmp_path / "bad.yaml"
    p.write_text(bad, encoding="utf-8")
    with pytest.raises(ContentError) as exc:
        load_scenario_file(p)
    problem = exc.value.problems[0]
    assert problem.field == "objections[0].eased_by" and "unknown move 'flatters'" in problem.message
    assert bad.splitlines()[problem.line - 1].strip().startswith(("- id: budget", "eased_by"))


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"state": {"trust": 1.5}}, "state.trust"),
        ({"beats": [{"situation": "react:flattery", "lines": ["x"]}]}, "beats[0].situation"),
        ({"difficulty": {"hard": {"drift": {"mood": -0.1}}}}, "difficulty.hard.drift.mood"),
        ({"success": {"description": "d", "when": {"state_above": {"mood": 0.5}}}}, "success.when.state_above.mood"),
        ({"persona": {"name": "P", "role": "R", "personality": "p", "tells": {"trust_sad": ["x"]}}},
         "persona.tells.trust_sad"),
        ({"custom_moves": {"reflect": {"examples": ["a", "b"]}}}, "custom_moves.reflect"),
    ],
)
def test_semantic_errors_name_the_sub_field(patch: dict[str, object], field: str) -> None:
    import yaml

    data = yaml.safe_load((SCENARIO_DIR / "cs-renewal-discount.yaml").read_text(encoding="utf-8"))
    data.update(patch)
    with pytest.raises(ContentError) as exc:
        parse_model(yaml.safe_dump(data, sort_keys=False), Scenario, "x.yaml")
    assert field in [p.field for p in exc.value.problems]


def test_the_complete_example_in_the_docs_validates_and_plays() -> None:
    from sparring.persona.embedded import EmbeddedPersonaEngine
    from sparring.persona.scripted import FixedLearner, play

    doc = (Path(__file__).parents[2] / "docs" / "content-format.md").read_text(encoding="utf-8")
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    sc = parse_model(block, Scenario, "docs/content-format.md")
    from sparring.content import scenario as models

    documented = set(re.findall(r"`([a-z_]+)(?:`|:)", doc))
    for model in (models.Scenario, models.Persona, models.Objection, models.DifficultyProfile, models.Condition,
                  models.Beat, models.CustomMove, models.StateEffect, models.Outcome, models.KnowledgeEntry):
        missing = set(model.model_fields) - documented
        assert not missing, f"{model.__name__}: undocumented fields {missing}"
    assert "\n## Rubrics" in doc  # the rubric format is documented in the same file, after the scenario part
    rep = play(EmbeddedPersonaEngine(), sc, "medium", FixedLearner(["I can give you 20% off.", "OK, 30% off then."]))
    assert rep.state.outcome == "failure"


def test_every_semantic_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    text = (SCENARIO_DIR / "cs-renewal-discount.yaml").read_text(encoding="utf-8")
    bad = (text.replace("state: {trust: 0.5, patience: 0.7, openness: 0.4}", "state: {trust: 0.5, patience: 0.7}")
               .replace("extra_objections: [term-lock]", "extra_objections: [term-lock, nonsense]"))
    p = tmp_path / "bad.yaml"
    p.write_text(bad, encoding="utf-8")
    problems = validate_paths([p])
    fields = [pr.field for pr in problems]
    assert "difficulty.hard.extra_objections" in fields
    assert "moves.quantified_value.deltas.openness" in fields and "moves.concession.deltas.openness" in fields
    lines = bad.splitlines()
    for pr in problems:
        assert pr.file == str(p) and 1 <= pr.line <= len(lines)
    hard = next(pr for pr in problems if pr.field == "difficulty.hard.extra_objections")
    assert "extra_objections" in lines[hard.line - 1]
