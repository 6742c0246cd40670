"""Operators' commands see installation-wide imported content: ``rubrics list``, ``scenarios list|show``,
``score --rubric ID`` and ``rubric test ID`` resolve ids in the database first, then the built-ins; a stored rubric
runs its own tests. Content imported for one organisation (``--org``) stays out of their view."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sparring_test_support as support

from sparring.cli import main
from sparring.content.library import get_library
from sparring.settings import reset_settings_cache
from sparring.store.db import forget_databases

database_url = support.database_url
LIB = get_library()
DISCOVERY = LIB.rubric_paths["discovery"]


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    yield
    forget_databases()
    reset_settings_cache()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _org_rubric(tmp_path: Path) -> Path:
    """The discovery rubric under another id, in its own folder with its test transcripts beside it."""
    folder = tmp_path / "acme"
    shutil.copytree(DISCOVERY.parent / "tests", folder / "tests")
    path = folder / "acme-discovery.yaml"
    path.write_text(DISCOVERY.read_text().replace("id: discovery", "id: acme-discovery", 1))
    return path


def test_imported_rubric_is_listed_scored_and_tested_by_id(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPARRING_DATABASE_URL", database_url)
    reset_settings_cache()
    source = _org_rubric(tmp_path)
    code, _, err = run(capsys, "score", str(source.parent / "tests" / "discovery-strong.txt"), "--rubric",
                       "acme-discovery")  # fmt: skip
    assert code == 1 and "unknown rubric 'acme-discovery'" in err
    assert run(capsys, "content", "import", str(source))[0] == 0
    shutil.rmtree(source.parent)  # the stored copy must not need the files any more

    code, out, err = run(capsys, "rubrics", "list", "--json")
    assert code == 0, err
    ids = [r["id"] for r in json.loads(out)]
    assert "acme-discovery" in ids and set(LIB.rubrics) <= set(ids)

    code, out, err = run(capsys, "rubric", "test", "acme-discovery")
    assert code == 0, err + out
    assert "2 passed, 0 failed" in out

    transcript = DISCOVERY.parent / "tests" / "discovery-strong.txt"
    code, out, err = run(capsys, "score", str(transcript), "--rubric", "acme-discovery", "--json")
    assert code == 0, err
    card = json.loads(out)
    assert card["rubric"]["id"] == "acme-discovery"
    same = json.loads(run(capsys, "score", str(transcript), "--rubric", "discovery", "--json")[1])
    assert [c["verdict"] for c in card["criteria"]] == [c["verdict"] for c in same["criteria"]]


def test_imported_scenario_is_listed_and_shown(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPARRING_DATABASE_URL", database_url)
    reset_settings_cache()
    assert run(capsys, "content", "import", str(support.DATA))[0] == 0
    code, out, err = run(capsys, "scenarios", "list", "--json")
    assert code == 0, err
    rows = {r["id"]: r for r in json.loads(out)}
    assert "test-guarded-buyer" in rows and set(LIB.scenarios) <= set(rows)
    code, out, err = run(capsys, "scenarios", "show", "test-guarded-buyer", "--json")
    assert code == 0, err
    assert json.loads(out)["id"] == "test-guarded-buyer"


def test_read_only_commands_never_create_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SPARRING_DATABASE_URL", raising=False)
    monkeypatch.setenv("SPARRING_DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    code, out, err = run(capsys, "rubrics", "list", "--json")
    assert code == 0, err
    assert sorted(r["id"] for r in json.loads(out)) == sorted(LIB.rubrics)
    assert run(capsys, "rubric", "test", "discovery")[0] == 0
    assert not (tmp_path / "data" / "sparring.db").exists()


def test_an_organisations_content_stays_out_of_the_operators_view(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``content import --org`` is that organisation's content: its learners practise it, the operators' commands
    (which see the installation-wide scope) do not list, show or score with it."""
    monkeypatch.setenv("SPARRING_DATABASE_URL", database_url)
    reset_settings_cache()
    code, _, err = run(capsys, "users", "create", "--org", "Acme", "--email", "lee@acme.test", "--password",
                       "s3cret-pass-long", "--role", "learner")  # fmt: skip
    assert code == 0, err
    assert run(capsys, "content", "import", "--org", "Acme", str(support.DATA))[0] == 0
    scenarios = [r["id"] for r in json.loads(run(capsys, "scenarios", "list", "--json")[1])]
    rubrics = [r["id"] for r in json.loads(run(capsys, "rubrics", "list", "--json")[1])]
    assert "test-guarded-buyer" not in scenarios and "test-discovery" not in rubrics
    code, _, err = run(capsys, "scenarios", "show", "test-guarded-buyer")
    assert code == 1 and "unknown scenario 'test-guarded-buyer'" in err
    transcript = DISCOVERY.parent / "tests" / "discovery-strong.txt"
    code, _, err = run(capsys, "score", str(transcript), "--rubric", "test-discovery")
    assert code == 1 and "unknown rubric 'test-discovery'" in err
    script = tmp_path / "s.txt"
    script.write_text("What slows your team down?\n")
    code, out, err = run(capsys, "practice", "test-guarded-buyer", "--user", "lee@acme.test", "--script", str(script),
                         "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["scenario"] == "test-guarded-buyer"
    code, _, err = run(capsys, "practice", "test-guarded-buyer", "--script", str(script), "--json")  # local learner
    assert code == 1 and "unknown scenario 'test-guarded-buyer'" in err
