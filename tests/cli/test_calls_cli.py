"""``sparring call import`` and ``sparring call review`` end to end in-process, with the fake scorer, on both
database backends: the contract's JSON lines, exit codes, the readable output, and one-line errors."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
import sparring_test_support as support
from sparring_test_support import fake_cli_engines  # noqa: F401  (fixture)
from sqlalchemy import select

from sparring.settings import reset_settings_cache
from sparring.store.db import Database
from sparring.store.models import ConversationRow, User

database_url = support.database_url
run = support.run_cli
CALLS = Path(__file__).parents[1] / "fixtures" / "calls"
BAD_SRT = "1\n00:00:01,000 --> 00:00:02,000\nAna: Hi.\n\n2\n00:00:03,000 --> soon\nBob: Hello.\n"


@pytest.fixture
def url(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SPARRING_DATABASE_URL", database_url)
    reset_settings_cache()
    return database_url


def _calls(url: str) -> list[tuple[str, str, str | None, str]]:
    db = Database(url)
    try:
        with db.read() as s:
            rows = s.execute(select(ConversationRow.title, ConversationRow.source, ConversationRow.rubric_id,
                                    User.email).join(User, User.id == ConversationRow.user_id)
                             .order_by(ConversationRow.id)).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        db.dispose()


def test_import_json_lines_for_a_zip_with_one_bad_file(url: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "calls.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(CALLS / "zoom-discovery.vtt", "zoom-discovery.vtt")
        z.write(CALLS / "teams-renewal.vtt", "teams-renewal.vtt")
        z.writestr("broken.srt", BAD_SRT)
    code, out, err = run(capsys, "call", "import", str(archive), "--json")
    assert code == 1, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [set(doc) for doc in lines] == [{"file", "ok", "conversation_id", "error"}] * 3
    assert [(d["file"], d["ok"]) for d in lines] == [(f"{archive}:broken.srt", False),
                                                     (f"{archive}:teams-renewal.vtt", True),
                                                     (f"{archive}:zoom-discovery.vtt", True)]
    assert lines[0]["conversation_id"] is None
    assert lines[0]["error"] == (f"{archive}:broken.srt:6: timing: expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm', got "
                                 "'00:00:03,000 --> soon'")
    assert all(isinstance(d["conversation_id"], int) and d["error"] is None for d in lines[1:])
    # the others are kept, in the local default learner's history (no --user), routed by type
    assert _calls(url) == [("teams-renewal", "call", "renewal-value", "learner@localhost"),
                           ("zoom-discovery", "call", "discovery", "learner@localhost")]


def test_import_readable_output_and_exit_0(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "week"
    folder.mkdir()
    shutil.copy(CALLS / "pricing-call.srt", folder)
    shutil.copy(CALLS / "otter-coaching.txt", folder)
    code, out, err = run(capsys, "call", "import", str(folder), "--rep", "Jordan")
    # --rep Jordan is not on the coaching call: that file fails, the pricing call is stored
    assert code == 1, err
    assert f"FAIL {folder / 'otter-coaching.txt'}:0: rep: --rep 'Jordan' names no speaker" in out
    assert "objection-heavy, rubric sales-objection-handling" in out and "Jordan is the rep (given with --rep)" in out
    assert out.rstrip().endswith("1 imported, 1 failed")
    code, out, _ = run(capsys, "call", "import", str(folder / "otter-coaching.txt"))
    assert code == 0 and out.rstrip().endswith("1 imported, 0 failed") and "guessed: Dana Okafor" in out


def test_import_for_a_user_and_with_a_rubric(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "users", "create", "--org", "Acme", "--email", "rep@acme.test", "--password",
                       "correct horse battery staple 42", "--role", "learner", "--team", "East")
    assert code == 0, err
    code, out, err = run(capsys, "call", "import", str(CALLS / "teams-renewal.vtt"), "--user", "rep@acme.test",
                         "--rubric", "discovery", "--json")
    assert code == 0, err
    assert json.loads(out)["ok"] is True
    assert _calls(url) == [("teams-renewal", "call", "discovery", "rep@acme.test")]


@pytest.mark.parametrize(("args", "message"), [
    (("--user", "nobody@acme.test"), "sparring: unknown user nobody@acme.test"),
    (("--rubric", "no-such-rubric"), "sparring: unknown rubric 'no-such-rubric'"),
])
def test_import_command_errors_are_one_line(url: str, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                                            message: str) -> None:
    code, out, err = run(capsys, "call", "import", str(CALLS / "teams-renewal.vtt"), *args, "--json")
    assert code == 1 and out == ""
    assert err.splitlines()[-1].startswith(message) and "Traceback" not in err
    assert _calls(url) == []


def test_import_of_nothing_fails(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "call", "import", str(tmp_path))
    assert code == 1 and "0 imported, 0 failed (no transcript found)" in out


def test_an_unsafe_zip_is_refused(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(CALLS / "zoom-discovery.vtt", "zoom-discovery.vtt")
        z.writestr("../outside.vtt", "WEBVTT\n")
    code, out, _ = run(capsys, "call", "import", str(archive), "--json")
    (line,) = [json.loads(x) for x in out.splitlines()]
    assert code == 1 and line["file"] == str(archive) and line["ok"] is False
    assert "unsafe zip archive refused: member '../outside.vtt' points outside the archive" in line["error"]
    assert _calls(url) == []


def test_review_errors_are_one_line(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.srt"
    bad.write_text(BAD_SRT, encoding="utf-8")
    code, out, err = run(capsys, "call", "review", str(bad), "--json")
    assert code == 1 and out == "" and err.strip() == f"{bad}:6: timing: expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm', " \
                                                      "got '00:00:03,000 --> soon'"
    code, out, err = run(capsys, "call", "review", str(tmp_path / "missing.vtt"))
    assert code == 1 and err.strip() == f"sparring: file not found: {tmp_path / 'missing.vtt'}"


# ---- review: the moments come from sparring.review.moments.summarise_call ---------------------------------------
def test_review_json_has_the_contract_shape(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "call", "review", str(CALLS / "teams-renewal.vtt"), "--rep", "Priya", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"conversation", "scorecard", "moments", "pivotal"}
    conv = doc["conversation"]
    assert conv["source"] == "call" and conv["title"] == "teams-renewal" and conv["rep"] == "Priya Nair"
    assert conv["rep_guessed"] is False and "given with --rep" in conv["rep_note"]
    assert (conv["call_type"], conv["rubric"]) == ("renewal", "renewal-value") and "renewal" in conv["route_reason"]
    assert [set(t) for t in conv["turns"]] == [{"index", "speaker", "role", "text", "start", "end"}] * 6
    assert conv["turns"][0]["start"] == 2.04 and conv["turns"][0]["role"] == "learner"
    assert doc["scorecard"]["rubric"]["id"] == "renewal-value"
    spans = [(m["kind"], m["start_turn"], m["end_turn"]) for m in doc["moments"]]
    pivotal = doc["pivotal"]
    assert (pivotal["kind"], pivotal["start_turn"], pivotal["end_turn"]) in spans and pivotal["reason"]
    for m in doc["moments"]:
        assert {"kind", "start_turn", "end_turn", "summary", "impact", "criterion"} <= set(m)
        assert 0 <= m["start_turn"] <= m["end_turn"] < len(conv["turns"])
    assert _calls(url) == []  # review stores nothing


def test_review_readable_output(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "call", "review", str(CALLS / "pricing-call.srt"), "--rubric", "discovery")
    assert code == 0, err
    assert "Call type: objection-heavy; rubric: discovery" in " ".join(out.split())
    assert "Score:" in out and "Rep: Jordan (guessed: Jordan is the rep" in " ".join(out.split())
    assert "Pivotal moment:" in out or "No key moments found." in out
    code, out, err = run(capsys, "call", "review", str(CALLS / "pricing-call.srt"), "--json")
    assert code == 0 and json.loads(out)["conversation"]["rep_guessed"] is True
    assert err.startswith("note: guessed: Jordan is the rep")


def test_review_says_why_there_is_no_pivotal_moment(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    call = tmp_path / "short.txt"  # a greeting and nothing else: no moment, so no pivotal one, and the page says why
    call.write_text("Sam: Hi Alex, thanks for making the time.\nAlex: Sure, happy to.\n", encoding="utf-8")
    code, out, err = run(capsys, "call", "review", str(call), "--rep", "Sam", "--rubric", "discovery")
    assert code == 0, err
    assert "No pivotal moment:" in out and "Pivotal moment:" not in out.replace("No pivotal moment:", "")
