"""``sparring report program PROGRAM_ID --out FILE.html|FILE.pdf`` in-process on both database backends
(CONTRACT.md): the suffix picks the format; an unknown suffix or program is one line on stderr and no file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sparring_test_support as support

from sparring.services import programs
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.programs import ScenarioChoice
from sparring.settings import reset_settings_cache
from sparring.store.db import Database
from sparring.store.models import utcnow

run = support.run_cli
database_url = support.database_url
db = support.db


@pytest.fixture
def program(db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    line = support.line_practice(db)
    ann = Accounts(db).create_user("Acme", "ann@acme.test", None, role="learner", team="East", name="Ann")
    for a in (0.0, 0.5, 1.0):
        support.rep_with_scores(line, ann, a, 0.5)
    today = utcnow().date()
    with db.session() as s:
        program_id = programs.create_program(
            s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), org_id=ann.org_id, name="Sprint",
            start_on=today - timedelta(days=7), end_on=today + timedelta(days=20), target_min=6,
            scenarios=[ScenarioChoice(support.TEST_SCENARIO, 1)], teams=["East"]).id
    monkeypatch.setenv("SPARRING_DATABASE_URL", database_url)
    reset_settings_cache()
    return program_id


def test_report_program_writes_html_or_pdf(program: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sprint.html"
    code, stdout, err = run(capsys, "report", "program", str(program), "--out", str(out))
    assert code == 0, err
    assert stdout.strip() == f"{out}: sponsor report of 'Sprint' (1 learner, 3 reps)"
    html = out.read_text(encoding="utf-8")
    assert '<b id="reps">3</b>' in html and 'id="no-trends"' in html  # 3 reps: fewer than 2 × WINDOW
    pytest.importorskip("weasyprint")
    pdf = tmp_path / "sprint.pdf"
    code, _, err = run(capsys, "report", "program", str(program), "--out", str(pdf))
    assert code == 0, err
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "r.docx"], "sparring: r.docx: the report is written as .html or .pdf, not .docx"),
    (["--out", "r"], "sparring: r: the report is written as .html or .pdf, not a file without suffix"),
])
def test_a_bad_suffix_is_one_line_and_no_file(program: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str], args: list[str],
                                              message: str) -> None:
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path / "out")
    code, _, err = run(capsys, "report", "program", str(program), *args)
    assert code != 0 and err.strip() == message
    assert list((tmp_path / "out").iterdir()) == []


def test_an_unknown_program_is_one_line(program: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", "program", "999", "--out", str(tmp_path / "r.html"))
    assert code != 0 and err.startswith("sparring: ") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()
