"""The sponsor report (sparring.reports.sponsor, services.sponsor_report) on SQLite and PostgreSQL: a program over a
seeded cohort with known trends whose numbers are checked exactly (reps and their spread, the change per skill and
criterion with its interval and n, "not enough data" below MIN_N, the gaps); the HTML; the PDF rendered to PNG
and checked as pages (count, margins, the charts drawn); the CLI and the render_report job."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import sparring_test_support as support
from scipy.stats import t as student_t

from sparring.reports import sponsor
from sparring.services import programs
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.programs import ScenarioChoice
from sparring.services.sponsor_report import sponsor_report
from sparring.store.db import Database
from sparring.store.models import utcnow

#: learner → (discovery shares, next-step shares) of their reps in order: discovery improves for the three with six
#: reps (+60, +40, +40), next steps for nobody; "dee" has 4 reps (fewer than 2 × WINDOW: not in the trends)
PLAN = {
    "ann": ([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], [0.5] * 6),
    "bob": ([0.2, 0.2, 0.2, 0.6, 0.6, 0.6], [0.4, 0.6, 0.5, 0.5, 0.4, 0.6]),
    "cat": ([0.4, 0.4, 0.4, 0.8, 0.8, 0.8], [0.6] * 6),
    "dee": ([0.5] * 4, [0.5] * 4),
}


def _program(db: Database, org_id: int, users: list[str], name: str = "Discovery sprint") -> int:
    today = utcnow().date()
    with db.session() as s:
        view = programs.create_program(
            s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), org_id=org_id, name=name,
            start_on=today - timedelta(days=7), end_on=today + timedelta(days=20), target_min=6,
            scenarios=[ScenarioChoice(support.TEST_SCENARIO, 1)], teams=[], users=users)
    return view.id


@pytest.fixture
def program(db: Database) -> int:
    line = support.line_practice(db)
    accounts = Accounts(db)
    users = {name: accounts.create_user("Acme", f"{name}@acme.test", None, role="learner", team="East",
                                        name=name.title()) for name in PLAN}
    for name, (asks, steps) in PLAN.items():
        for a, b in zip(asks, steps, strict=True):
            support.rep_with_scores(line, users[name], a, b)
    return _program(db, users["ann"].org_id, [f"{n}@acme.test" for n in PLAN])


def half_width(sd: float, n: int) -> float:
    return float(student_t.ppf(0.975, n - 1)) * sd / math.sqrt(n)


def test_the_numbers_of_a_seeded_cohort_are_exact(db: Database, program: int) -> None:
    with db.read() as s:
        r = sponsor_report(s, None, program)
    assert (r.program, r.learners, r.reps, r.reached_target) == ("Discovery sprint", 4, 22, 3)
    assert r.reps_by_learner == [("Ann", 6), ("Bob", 6), ("Cat", 6), ("Dee", 4)]
    # 6, 6, 6, 4: mean 5.5, sd sqrt((3 × 0.25 + 2.25) / 3) = 1
    assert r.reps_per_learner.mean == pytest.approx(5.5) and r.reps_per_learner.sd == pytest.approx(1.0)
    assert (r.in_trends, r.too_few) == (3, 1)
    by = {(b.kind, b.key): b for b in r.behaviours}
    assert set(by) == {("skill", "discovery"), ("skill", "next-steps"), ("criterion", "asks-questions"),
                       ("criterion", "next-step")}
    for key in (("skill", "discovery"), ("criterion", "asks-questions")):
        c = by[key].comparison
        assert c.learners == 3 and c.change.n == 3 and by[key].enough and not by[key].gap
        assert c.before.mean == pytest.approx(80 / 3) and c.after.mean == pytest.approx(220 / 3)
        assert c.change.mean == pytest.approx(140 / 3)  # paired changes 60, 40, 40
        sd = math.sqrt(400 / 3)
        assert c.change.low == pytest.approx(140 / 3 - half_width(sd, 3))
        assert c.change.high == pytest.approx(140 / 3 + half_width(sd, 3))
    flat = by[("skill", "next-steps")].comparison
    assert flat.before.mean == pytest.approx(160 / 3) and flat.after.mean == pytest.approx(160 / 3)
    assert flat.change.mean == pytest.approx(0.0) and flat.change.low == pytest.approx(0.0)
    assert [(b.kind, b.key) for b in r.gaps] == [("skill", "next-steps"), ("criterion", "next-step")]
    assert r.transfer.by_criterion == {} and r.transfer.calls_before == 0
    assert json.loads(json.dumps(r.as_json()))["reps"] == 22


def test_fewer_learners_than_min_n_show_not_enough_data(db: Database, program: int) -> None:
    two = _program(db, _org(db), ["ann@acme.test", "bob@acme.test"], name="Pair")
    with db.read() as s:
        r = sponsor_report(s, None, two)
    assert r.learners == 2 and r.in_trends == 2
    assert all(not b.enough and b.comparison.change.n == 2 for b in r.behaviours)
    html = sponsor.render_html(r)
    assert html.count("not enough data (fewer than 3 learners)") == 4


def _org(db: Database) -> int:
    with db.read() as s:
        from sqlalchemy import select

        from sparring.store.models import User

        return int(s.execute(select(User.org_id).where(User.email == "ann@acme.test")).scalar_one())


def test_the_html_is_self_contained_and_shows_every_section(db: Database, program: int) -> None:
    with db.read() as s:
        html = sponsor.render_html(sponsor_report(s, None, program))
    for section in ("practice", "improvement", "gaps", "calls", "method"):
        assert f'<section id="{section}">' in html
    assert '<b id="reps">22</b>' in html and '<b id="reached">3</b>' in html
    assert 'data-key="skill:discovery"' in html and "+46.7" in html and "26.7" in html and "73.3" in html
    assert "discovery: first reps" in html and "<svg" in html  # the charts, from reports.charts
    assert "next-steps (skill): 53.3 on the latest reps" in html
    assert 'id="no-calls"' in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html


def test_an_unknown_suffix_is_refused_and_nothing_is_written(tmp_path: Path, db: Database, program: int) -> None:
    with db.read() as s:
        r = sponsor_report(s, None, program)
    with pytest.raises(sponsor.ReportError, match=r"report.docx: the report is written as .html or .pdf, not .docx"):
        sponsor.write(r, tmp_path / "out" / "report.docx")
    assert not (tmp_path / "out").exists()


def test_a_pdf_without_weasyprint_is_a_clear_error(tmp_path: Path, db: Database, program: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    with db.read() as s:
        r = sponsor_report(s, None, program)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # an import of it fails, as when it is not installed
    with pytest.raises(sponsor.ReportError, match=r"a PDF needs weasyprint: pip install 'sparring\[reports\]'"):
        sponsor.write(r, tmp_path / "out" / "r.pdf")
    assert not (tmp_path / "out").exists()


pdftoppm = shutil.which("pdftoppm")


def need_pdf_tools() -> None:
    """Skip without weasyprint or pdftoppm, saying which; a failure when CI=true (./dev test installs both)."""
    import importlib.util
    import os

    missing = [name for name, ok in (("weasyprint (the [reports] extra)", importlib.util.find_spec("weasyprint")),
                                     ("pdftoppm (poppler-utils)", pdftoppm)) if not ok]
    if not missing:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{', '.join(missing)} missing (CI=true: the PDF test must run; ./dev test installs them)")
    pytest.skip(f"{', '.join(missing)} missing; ./dev test installs them")


def test_the_pdf_has_its_pages_margins_and_charts(tmp_path: Path, db: Database, program: int) -> None:
    need_pdf_tools()
    from PIL import Image

    with db.read() as s:
        out = sponsor.write(sponsor_report(s, None, program), tmp_path / "sponsor.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    subprocess.run([str(pdftoppm), "-r", "40", "-png", str(out), str(tmp_path / "page")], check=True, timeout=60)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2  # practice + improvement on the first page; gaps, calls, method flow on
    first = Image.open(pages[0]).convert("RGB")
    w, h = first.size
    assert (w, h) == (331, 468)  # A4 at 40 dpi
    # 16 mm side and 18 mm top/bottom margins (25 and 28 px at 40 dpi) stay blank

    def blank(box: tuple[int, int, int, int]) -> bool:
        return all(low == 255 for low, _ in first.crop(box).getextrema())
    assert blank((0, 0, w, 26)) and blank((0, h - 26, w, h)) and blank((0, 0, 23, h)) and blank((w - 23, 0, w, h))
    assert not blank((23, 26, w - 23, h - 26))
    # the bar charts are drawn: pixels of the green, amber and red bars of reports.charts
    colours = {rgb for _, rgb in first.getcolors(maxcolors=w * h) or []}

    def near(rgb: tuple[int, int, int]) -> bool:
        return any(sum(abs(a - b) for a, b in zip(px, rgb, strict=True)) < 30 for px in colours)

    assert near((0x13, 0x7A, 0x3A)) and near((0xB4, 0x23, 0x18))


def test_calls_before_and_after_the_practice_are_reported(db: Database, program: int) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from sparring.conversation.model import Conversation
    from sparring.services.conversation_store import store_call
    from sparring.store.models import User

    line = support.line_practice(db)
    org_id = _org(db)
    rubric = line.content_for(org_id).get_rubric("test-discovery")
    scorer = support.LineScorer()
    long_ago, later = datetime(2020, 1, 6, tzinfo=UTC), datetime.now(UTC) + timedelta(days=3)
    with db.read() as s:
        ids = {email: uid for email, uid in s.execute(select(User.email, User.id).where(User.org_id == org_id))}
    for name, before, after in (("ann", 0.2, 0.8), ("bob", 0.0, 0.4), ("cat", 0.4, 0.8)):
        for asks, when in ((before, long_ago), (after, later)):
            conv = Conversation(source="call", title=f"call of {name}")
            conv.add("Rep", "learner", f"asks-questions={asks} next-step=0.5", 0.0, 3.0)
            conv.add("Buyer", "counterpart", "Tell me more.", 3.0, 5.0)
            store_call(db, ids[f"{name}@acme.test"], conv, scored=(rubric, scorer.score(conv, rubric)),
                       started_at=when)
    with db.read() as s:
        r = sponsor_report(s, None, program)
    assert (r.transfer.calls_before, r.transfer.calls_after, r.transfer.learners_with_calls) == (3, 3, 3)
    asks = r.transfer.by_criterion["asks-questions"]
    assert asks.learners == 3 and asks.before.mean == pytest.approx(20) and asks.after.mean == pytest.approx(200 / 3)
    assert asks.change.mean == pytest.approx(140 / 3)  # +60, +40, +40
    html = sponsor.render_html(r)
    assert 'id="no-calls"' not in html and 'class="transfer" data-key="asks-questions"' in html
    assert "3 calls before the learners' first rep" in html and "20.0" in html and "66.7" in html
