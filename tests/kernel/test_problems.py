"""Located problems and the errors that carry them: one message line per problem, and each domain's error is a
ProblemError, so the CLI reports any of them the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparring.cli import main
from sparring.configfile import ConfigError, read_config
from sparring.content.errors import ContentError
from sparring.conversation.errors import TranscriptError
from sparring.conversation.importers import parse_transcript
from sparring.kernel import Problem, ProblemError


def test_a_problem_reads_file_line_field_message() -> None:
    assert str(Problem("a.yaml", 3, "criteria[0].kind", "unknown kind")) == "a.yaml:3: criteria[0].kind: unknown kind"


def test_the_error_carries_every_problem_one_per_line() -> None:
    problems = [Problem("a.txt", 1, "turn", "bad"), Problem("a.txt", 4, "turn", "worse")]
    err = ProblemError(problems)
    assert err.problems == problems
    assert str(err) == "a.txt:1: turn: bad\na.txt:4: turn: worse"


@pytest.mark.parametrize("kind", [ContentError, TranscriptError, ConfigError])
def test_each_domain_raises_its_own_kind(kind: type[ProblemError]) -> None:
    assert issubclass(kind, ProblemError)
    others = {ContentError, TranscriptError, ConfigError} - {kind}
    assert not any(issubclass(kind, other) for other in others)


def test_the_transcript_and_config_readers_raise_their_kind(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError) as transcript:
        parse_transcript("no speaker here\n", None, file="call.txt")
    assert str(transcript.value).startswith("call.txt:1: turn: ")
    bad = tmp_path / "sparring.toml"
    bad.write_text("llm_provider = \n")
    with pytest.raises(ConfigError) as config:
        read_config(bad)
    assert str(config.value).startswith(f"{bad}:1: toml: ")


def test_the_cli_prints_a_transcript_problem_as_file_line_field_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call = tmp_path / "call.txt"
    call.write_text("Ava: Hello there\nno speaker on this line\n")
    assert main(["score", str(call), "--rubric", "discovery"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"{call}:2: turn: expected 'Speaker: text', got 'no speaker on this line'"
