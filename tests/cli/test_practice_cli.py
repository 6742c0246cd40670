"""``sparring practice|history|users|db|content import`` end to end, with fake engines.

The kill -9 test runs the CLI in a subprocess, kills it while the persona engine is answering, and checks
that every committed turn survived and that ``--resume`` continues the rep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sparring_test_support as support
from sparring_test_support import fake_cli_engines, imported_content_url  # noqa: F401  (fixtures)

from sparring.root import Sparring
from sparring.services.practice import PracticeService
from sparring.store.db import Database
from sparring.testing.fakes import FakePersona

database_url = support.database_url
DATA: Path = support.DATA
SCENARIO = "test-guarded-buyer"
REAL_ENGINES = (Sparring.__dict__["persona"], Sparring.__dict__["scorer"])
run = support.run_cli


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_scripted_rep_prints_the_contract_json(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = write(
        tmp_path,
        "s.txt",
        "What slows your team down?\n\n# a comment\nCan we make it a deal for Thursday?\n"
        "this line comes after the end\n",
    )
    code, out, err = run(capsys, "practice", SCENARIO, "--difficulty", "easy", "--script", str(script), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"rep_id", "scenario", "difficulty", "outcome", "turns", "state", "scorecard"}
    assert (doc["scenario"], doc["difficulty"], doc["outcome"]) == (SCENARIO, "easy", "success")
    assert [t["role"] for t in doc["turns"]] == ["counterpart", "learner", "counterpart", "learner", "counterpart"]
    assert all(set(t) == {"index", "speaker", "role", "text"} for t in doc["turns"])
    assert [t["index"] for t in doc["turns"]] == list(range(5))
    assert doc["state"]["learner_turns"] == 2 and doc["state"]["outcome"] == "success"
    card = doc["scorecard"]
    assert {"rubric", "engine", "overall", "passed", "blockers", "criteria", "metrics", "feedback"} <= set(card)
    assert card["rubric"]["id"] == "test-discovery" and card["criteria"][0]["evidence"][0] == {
        "turn": 1,
        "quote": "What slows your team down?",
    }
    # history shows it, for the default local learner
    code, out, _ = run(capsys, "history", "--json")
    assert code == 0 and [(r["rep_id"], r["outcome"], r["turns"]) for r in json.loads(out)] == [
        (doc["rep_id"], "success", 5)
    ]


def test_script_running_out_ends_the_rep_incomplete(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write(tmp_path, "s.txt", "Hello there?\n")
    code, out, err = run(capsys, "practice", SCENARIO, "--script", str(script), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["outcome"] == "incomplete" and doc["state"]["reason"] == "the script ran out of lines"


def test_transcript_scripts_use_the_learner_turns(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    txt = write(
        tmp_path,
        "t.txt",
        "Dana Reyes: What is this about?\nSam: What slows your team down?\n"
        "Dana Reyes: Paperwork.\nSam: Shall we make it a deal for Thursday?\n",
    )
    code, out, err = run(capsys, "practice", SCENARIO, "--script", str(txt), "--json")
    assert code == 0, err
    learner = [t["text"] for t in json.loads(out)["turns"] if t["role"] == "learner"]
    assert learner == ["What slows your team down?", "Shall we make it a deal for Thursday?"]
    js = write(
        tmp_path,
        "t.json",
        json.dumps(
            {
                "turns": [
                    {"speaker": "Dana Reyes", "role": "counterpart", "text": "Yes?"},
                    {"speaker": "Sam", "role": "learner", "text": "Which lanes hurt most?"},
                ]
            }
        ),
    )
    code, out, err = run(capsys, "practice", SCENARIO, "--script", str(js), "--json")
    assert code == 0, err
    assert [t["text"] for t in json.loads(out)["turns"] if t["role"] == "learner"] == ["Which lanes hurt most?"]


def test_users_and_attributed_reps(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "users",
        "create",
        "--org",
        "Acme",
        "--email",
        "Lee@Acme.test",
        "--password",
        "s3cret-pass-long",
        "--role",
        "learner",
        "--team",
        "East",
    )
    assert code == 0 and "created learner lee@acme.test" in out, err
    script = write(tmp_path, "s.txt", "Why now?\n")
    code, out, err = run(capsys, "practice", SCENARIO, "--user", "lee@acme.test", "--script", str(script), "--json")
    assert code == 0, err
    rep_id = json.loads(out)["rep_id"]
    assert f"Rep {rep_id} belongs to " in err and "<lee@acme.test>" in err  # says whose rep it stored, on stderr
    code, out, _ = run(capsys, "history", "--user", "lee@acme.test", "--json")
    assert [r["rep_id"] for r in json.loads(out)] == [rep_id]
    code, out, _ = run(capsys, "history", "--json")
    assert json.loads(out) == []
    code, out, err = run(capsys, "practice", SCENARIO, "--script", str(script), "--json")
    assert code == 0 and "belongs to the local learner" in err and "--user EMAIL" in err, err
    code, _, err = run(capsys, "practice", "--resume", str(rep_id), "--user", "ghost@acme.test", "--json")
    assert code == 1 and err.strip() == "sparring: unknown user ghost@acme.test (create it with: sparring users create)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["practice", "nope", "--script", "{script}", "--json"], "unknown scenario 'nope'"),
        (["practice", SCENARIO, "--difficulty", "brutal"], "unknown difficulty 'brutal'"),
        (["practice", SCENARIO, "--script", "/no/such/file", "--json"], "script file not found: /no/such/file"),
        (["practice", SCENARIO, "--json"], "--json needs --script FILE"),
        (["practice"], "give a SCENARIO_ID"),
        (["practice", "--resume", "424242"], "unknown rep 424242"),
        (["practice", "--resume", "abc"], "Invalid value for '--resume'"),
        (
            ["users", "create", "--org", "A", "--email", "a@b.c", "--password", "s3cret-pass-long", "--role", "boss"],
            "unknown role 'boss'",
        ),
        (["users", "create", "--org", "A", "--email", "a@b.c", "--password", "short"], "password: too short"),
        (["content", "import", "/no/such.yaml"], "/no/such.yaml:0: file: no such file"),
    ],
)
def test_user_errors_are_one_line_without_traceback(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    script = write(tmp_path, "s.txt", "Hello?\n")
    code, out, err = run(capsys, *[a.replace("{script}", str(script)) for a in args])
    assert code != 0 and out == ""
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_content_import_is_all_or_nothing(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, "good.yaml", (DATA / "test-rubric.yaml").read_text().replace("test-discovery", "other-r"))
    bad = write(tmp_path, "bad.yaml", "id: broken\ntitle: Broken rubric\ncriteria: []\n")
    code, out, err = run(capsys, "content", "import", str(good), str(bad))
    assert code == 1 and f"{bad}:3: criteria:" in err and "Traceback" not in err
    code, out, err = run(capsys, "content", "import", str(good))
    assert code == 0 and "imported: rubric other-r" in out
    code, out, err = run(capsys, "content", "import", str(good))
    assert code == 0 and "unchanged: rubric other-r" in out


def test_db_upgrade_and_current(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and "already at revision" in out
    code, out, _ = run(capsys, "db", "current")
    assert code == 0 and "(up to date)" in out


def test_interactive_rep_reads_stdin_until_end(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("What slows you down?\n\n/end\n"))
    code, out, err = run(capsys, "practice", SCENARIO)
    assert code == 0, err
    assert "Dana Reyes" in out and "Reply 1: you said 'What slows you down?'" in out and "Score:" in out
    [rep] = PracticeService(Database(url)).list_reps()
    assert rep.outcome == "incomplete" and rep.turn_count == 3 and rep.overall is not None


CHILD = """
import sys
from sparring.testing.fakes import FakePersona, FakeScorer
import sparring.root
sparring.root.Sparring.persona = property(lambda self: FakePersona())
sparring.root.Sparring.scorer = property(lambda self: FakeScorer())
from sparring.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_kill_9_mid_rep_loses_no_committed_turn_and_resumes(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = write(tmp_path, "child.py", CHILD)
    marker = tmp_path / "engine-is-answering"
    script = write(tmp_path, "s.txt", "First question?\nSecond question?\nThird question?\nFourth?\n")
    env = {
        **os.environ,
        "SPARRING_DATABASE_URL": url,
        "SPARRING_TEST_SLOW_AT": "3",
        "SPARRING_TEST_MARKER": str(marker),
    }
    proc = subprocess.Popen(
        [sys.executable, str(child), "practice", SCENARIO, "--script", str(script), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the child never reached the third reply: {proc.communicate()[1].decode()[-2000:]}")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    svc = PracticeService(Database(url))
    [summary] = svc.list_reps()
    rep = svc.get_rep(summary.id)
    assert [(t.index, t.role) for t in rep.turns] == [
        (0, "counterpart"),
        (1, "learner"),
        (2, "counterpart"),
        (3, "learner"),
        (4, "counterpart"),
        (5, "learner"),
    ]
    assert [t.text for t in rep.turns if t.role == "learner"] == [
        "First question?",
        "Second question?",
        "Third question?",
    ]
    assert rep.awaiting_reply and rep.state.learner_turns == 2

    rest = write(tmp_path, "rest.txt", "Shall we make it a deal?\n")
    env.pop("SPARRING_TEST_SLOW_AT")
    done = subprocess.run(
        [sys.executable, str(child), "practice", "--resume", str(rep.id), "--script", str(rest), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["rep_id"] == rep.id and doc["outcome"] == "success"
    assert [(t["index"], t["role"], t["text"]) for t in doc["turns"][:6]] == [
        (t.index, t.role, t.text) for t in rep.turns
    ]
    assert [t["role"] for t in doc["turns"][6:]] == ["counterpart", "learner", "counterpart"]
    assert doc["turns"][6]["text"].startswith("Reply 3:") and doc["state"]["learner_turns"] == 4


def test_cli_role_list_matches_the_schema() -> None:
    from sparring.cli.accounts import ROLES as CLI_ROLES
    from sparring.store.models import ROLES

    assert CLI_ROLES == ROLES


def test_retry_from_a_turn_branches_a_new_rep(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write(tmp_path, "a.txt", "What slows you down?\nWe are simply the best.\n")
    code, out, err = run(capsys, "practice", SCENARIO, "--script", str(first), "--json")
    assert code == 0, err
    src = json.loads(out)
    retry = write(tmp_path, "b.txt", "What would fixing that be worth to you?\nShall we make it a deal?\n")
    code, out, err = run(
        capsys, "practice", "--resume", str(src["rep_id"]), "--from-turn", "3", "--script", str(retry), "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["rep_id"] != src["rep_id"] and doc["outcome"] == "success"
    assert doc["turns"][:3] == src["turns"][:3]
    assert doc["turns"][3]["text"] == "What would fixing that be worth to you?"
    code, _, err = run(capsys, "practice", SCENARIO, "--from-turn", "3")
    assert code == 1 and "--from-turn needs --resume" in err
    code, _, err = run(capsys, "practice", "--resume", str(src["rep_id"]), "--from-turn", "2", "--json")
    assert code == 1 and "persona's reply" in err


def test_scripted_rep_with_the_real_embedded_engines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sparring.content.library import get_library

    monkeypatch.setattr(Sparring, "persona", REAL_ENGINES[0])  # the real engines, not the fakes
    monkeypatch.setattr(Sparring, "scorer", REAL_ENGINES[1])
    lib = get_library()
    if not lib.scenarios:
        pytest.skip("the built-in library is empty in this checkout")
    scenario_id = "cs-renewal-discount" if "cs-renewal-discount" in lib.scenarios else next(iter(lib.scenarios))
    script = write(
        tmp_path,
        "s.txt",
        "Thanks for making time. What is behind the review?\n"
        "If we agree a longer term, could we walk your COO through the options on Thursday?\n",
    )
    code, out, err = run(capsys, "practice", scenario_id, "--script", str(script), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["scenario"] == scenario_id and doc["outcome"] in ("success", "failure", "incomplete")
    assert doc["scorecard"]["engine"] == "embedded" and 0 <= doc["scorecard"]["overall"] <= 100
    learner = [t for t in doc["turns"] if t["role"] == "learner"]
    assert learner[0]["text"] == "Thanks for making time. What is behind the review?"
    for c in doc["scorecard"]["criteria"]:
        for ev in c["evidence"]:
            assert ev["quote"] in doc["turns"][ev["turn"]]["text"]


def test_content_import_for_one_organisation(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = write(
        tmp_path,
        "mine.yaml",
        (DATA / "test-scenario.yaml").read_text().replace("id: test-guarded-buyer", "id: acme-only"),
    )
    code, _, err = run(capsys, "content", "import", "--org", "Acme", str(mine))
    assert code == 1 and "unknown organisation 'Acme'" in err
    assert (
        run(capsys, "users", "create", "--org", "Acme", "--email", "a@acme.test", "--password", "s3cret-pass-long")[0]
        == 0
    )
    code, out, err = run(capsys, "content", "import", "--org", "Acme", str(mine))
    assert code == 0 and "imported: scenario acme-only" in out, err
    script = write(tmp_path, "s.txt", "Hello?\n")
    code, _, err = run(capsys, "practice", "acme-only", "--script", str(script), "--json")
    assert code == 1 and "unknown scenario 'acme-only'" in err  # the local learner is not in Acme
    code, out, err = run(capsys, "practice", "acme-only", "--user", "a@acme.test", "--script", str(script), "--json")
    assert code == 0 and json.loads(out)["scenario"] == "acme-only", err


class StreamingFake(FakePersona):
    """FakePersona written in two pieces like an LLM; with ``rewrite`` its final text differs from what it
    streamed (as when the guard replaces a sentence)."""

    streams_text = True

    def __init__(self, rewrite: bool = False) -> None:
        super().__init__()
        self.rewrite = rewrite

    def stream_reply(self, scenario: Any, state: Any, conversation: Any) -> Iterator[Any]:
        reply = self.reply(scenario, state, conversation)
        half = len(reply.text) // 2
        yield reply.text[:half]
        yield reply.text[half:] + (" [cut]" if self.rewrite else "")
        yield reply.model_copy(update={"text": "A safer line." if self.rewrite else reply.text})


@pytest.mark.parametrize("rewrite", [False, True])
def test_interactive_rep_prints_a_streaming_persona_as_it_writes(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], rewrite: bool
) -> None:
    import io

    monkeypatch.setattr(Sparring, "persona", property(lambda self: StreamingFake(rewrite)))
    monkeypatch.setattr(sys, "stdin", io.StringIO("What slows you down?\n/end\n"))
    code, out, err = run(capsys, "practice", SCENARIO)
    assert code == 0, err
    assert "Reply 1: you said 'What slows you down?'" in out.replace("\n", "")
    assert ("(corrected)" in out and "A safer line." in out) is rewrite
    [rep] = PracticeService(Database(url)).list_reps()
    stored = PracticeService(Database(url)).get_rep(rep.id).turns[2].text
    assert stored == ("A safer line." if rewrite else "Reply 1: you said 'What slows you down?'")


def test_users_sign_out_ends_every_web_session(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from sparring.services.login_sessions import LoginSessions
    from sparring.store.db import get_database

    for address in ("kim@acme.test", "lou@acme.test"):
        created = run(capsys, "users", "create", "--org", "Acme", "--email", address, "--password", "s3cret-pass-long")
        assert created[0] == 0
    db, sessions = get_database(url), LoginSessions()
    ids = {u["email"]: u["id"] for u in json.loads(run(capsys, "users", "list", "--json")[1])}
    kims = [sessions.start(db, ids["kim@acme.test"]) for _ in range(2)]
    lous = sessions.start(db, ids["lou@acme.test"])
    code, out, err = run(capsys, "users", "sign-out", "--email", "KIM@acme.test")
    assert code == 0 and out.strip() == "ended 2 sessions of kim@acme.test", err
    assert [sessions.check(db, t) for t in kims] == [None, None] and sessions.check(db, lous) is not None
    code, out, _ = run(capsys, "users", "sign-out", "--email", "kim@acme.test")
    assert code == 0 and out.strip() == "ended 0 sessions of kim@acme.test"
    code, _, err = run(capsys, "users", "sign-out", "--email", "ghost@acme.test")
    assert code == 1 and err.strip() == "sparring: unknown user ghost@acme.test (create it with: sparring users create)"
