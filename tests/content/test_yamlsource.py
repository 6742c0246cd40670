"""Safe content YAML (``sparring.content.yamlsource``): anchors and aliases are refused at their line, and size,
value count and nesting are capped, before any document is built."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sparring.content import yamlsource
from sparring.content.errors import ContentError
from sparring.content.library import LIBRARY_DIR
from sparring.content.loader import load_file, validate_paths
from sparring.content.selfcontained import inline_test_transcripts
from sparring.content.yamlsource import check_yaml, parse_yaml
from sparring.limits import MAX_CONTENT_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES


@pytest.fixture(params=["libyaml", "python"], autouse=True)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with the C loader (when installed) and with PyYAML's pure-Python one."""
    if request.param == "python":
        monkeypatch.setattr(yamlsource, "_Loader", yaml.SafeLoader)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("libyaml is not installed")
    return str(request.param)


def _bomb(levels: int) -> str:
    """The "billion laughs": each level repeats the one before ten times, so ``levels`` levels stand for
    10**levels values in a few hundred bytes."""
    lines = ['id: laughs', 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    lines.append(f"persona: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def _problems(text: str, file: str = "x.yaml") -> list[str]:
    with pytest.raises(ContentError) as exc:
        parse_yaml(text, file)
    return [str(p) for p in exc.value.problems]


def test_a_billion_laughs_is_refused_at_its_first_anchors_before_anything_is_built() -> None:
    text = _bomb(9)  # 10**9 values once expanded
    assert len(text) < 700
    problems = _problems(text, "bomb.yaml")
    assert problems == [
        f"bomb.yaml:{n}: l{n - 2}: anchors (&l{n - 2}) are not allowed in content; write the value out in full"
        for n in range(2, 2 + yamlsource.MAX_REPORTED)
    ]


def test_an_alias_alone_is_refused_at_its_line_and_field() -> None:
    text = "id: demo\npersona:\n  name: Dana\n  role: *who\n"  # an undefined alias: refused before composing
    assert _problems(text) == ["x.yaml:4: persona.role: aliases (*who) are not allowed in content; "
                               "write the value out in full"]
    text = "id: demo\nbase: &b {name: Dana}\nobjections:\n  - text: hi\n  - <<: *b\n"
    assert _problems(text) == [
        "x.yaml:2: base: anchors (&b) are not allowed in content; write the value out in full",
        "x.yaml:5: objections[1].<<: aliases (*b) are not allowed in content; write the value out in full",
    ]


def test_deep_nesting_is_refused_at_its_line_without_recursion() -> None:
    flow = "[" * (MAX_YAML_DEPTH + 10) + "]" * (MAX_YAML_DEPTH + 10)
    assert _problems(flow) == [f"x.yaml:1: {'[0]' * MAX_YAML_DEPTH}: nested too deeply: at most {MAX_YAML_DEPTH} "
                               "levels"]
    bomb = "[" * 100_000 + "]" * 100_000  # libyaml's own limit (1,000) may speak first: the same message
    (problem,) = _problems(bomb)
    assert problem.startswith("x.yaml:1: ") and problem.endswith(f"nested too deeply: at most {MAX_YAML_DEPTH} levels")
    block = "".join(f"{'  ' * i}k{i}:\n" for i in range(MAX_YAML_DEPTH + 5)) + f"{'  ' * 40}v: 1\n"
    (problem,) = _problems(block)
    assert problem.startswith(f"x.yaml:{MAX_YAML_DEPTH + 1}: k0.k1.") and "nested too deeply" in problem
    ok = "".join(f"{'  ' * i}k{i}:\n" for i in range(MAX_YAML_DEPTH - 1)) + f"{'  ' * (MAX_YAML_DEPTH - 1)}v: 1\n"
    assert parse_yaml(ok).data is not None  # exactly at the limit


def test_too_many_values_and_too_large_documents_are_refused() -> None:
    many = "items:\n" + "- x\n" * MAX_YAML_NODES
    (problem,) = _problems(many)
    assert problem == f"x.yaml:{MAX_YAML_NODES - 1}: items[{MAX_YAML_NODES - 3}]: too many values: a document holds " \
                      f"at most {MAX_YAML_NODES:,}"
    huge = "note: " + "é" * (MAX_CONTENT_BYTES // 2)  # under the cap in characters, over it in bytes
    (problem,) = _problems(huge)
    assert problem.startswith("x.yaml:1: yaml: the document is too large (") and "at most 1,000,000" in problem


def test_a_content_file_over_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("id: big\nnote: " + "x" * MAX_CONTENT_BYTES + "\n")
    with pytest.raises(ContentError) as exc:
        load_file(big)
    assert [str(p) for p in exc.value.problems] == [
        f"{big}:0: file: the file is too large ({big.stat().st_size:,} bytes; at most {MAX_CONTENT_BYTES:,})"
    ]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_bomb(6))
    assert [p.line for p in validate_paths([big, bomb])] == [0, 2, 3, 4, 5, 6]


def test_syntax_errors_still_name_their_line() -> None:
    assert _problems("id: x\npersona: [unclosed\n")[0].startswith("x.yaml:3: yaml: syntax error:")


def test_every_built_in_file_is_well_inside_the_limits() -> None:
    files = sorted(LIBRARY_DIR.rglob("*.yaml"))
    assert len(files) >= 20
    for f in files:
        check_yaml(f.read_text(encoding="utf-8"), str(f))  # no anchors, no aliases
        assert f.stat().st_size * 20 < MAX_CONTENT_BYTES


def test_inlining_test_transcripts_refuses_aliases_and_over_large_transcripts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rubric = tmp_path / "r.yaml"
    (tmp_path / "t.txt").write_text("Maya: What made you call?\nTom: The close.\n")
    rubric.write_text("id: r\ntests:\n  - transcript: t.txt\n    expect: &e {a: met}\n")
    with pytest.raises(ContentError, match=r"r.yaml:4: tests\[0\].expect: anchors \(&e\)"):
        inline_test_transcripts(rubric.read_text(), rubric)
    rubric.write_text("id: r\ntests:\n  - transcript: t.txt\n    expect: {a: met}\n")
    monkeypatch.setattr("sparring.content.selfcontained.MAX_TRANSCRIPT_BYTES", 10)
    with pytest.raises(ContentError) as exc:
        inline_test_transcripts(rubric.read_text(), rubric)
    assert str(exc.value) == f"{rubric}:3: tests.transcript: t.txt: the file is too large (42 bytes; at most 10)"


def test_a_huge_key_is_cut_in_the_error() -> None:
    key = "k" * 1_000  # an implicit key holds at most 1,024 characters
    (problem,) = _problems(f"id: x\n{key}: &a 1\n")
    assert problem == f"x.yaml:2: {'k' * 40}…: anchors (&a) are not allowed in content; write the value out in full"
