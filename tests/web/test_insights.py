"""The team insights page (/team/insights): a team with known trends and one learner trailing on discovery; the
page shows the flag with the reps behind it, the trend per skill with its interval, outcomes and the chart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sparring_test_support as support
from fastapi.testclient import TestClient

from sparring.services.accounts import Accounts
from sparring.settings import Settings
from sparring.store.db import forget_databases, get_database
from sparring.testing.web import PASSWORD
from sparring.web.app import create_app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, list[int]]]:
    settings = Settings(data_dir=tmp_path / "data")
    database = get_database(settings.resolved_database_url)
    app = create_app(settings)
    line = support.line_practice(database)
    accounts = Accounts(database)
    accounts.create_user("Acme", "boss@acme.test", PASSWORD, role="manager", team="East", name="Boss")
    orders = [[0.6, 0.8, 1.0, 0.8, 1.0, 1.0], [1.0, 0.8, 0.6, 1.0, 1.0, 0.8], [0.8, 0.6, 1.0, 1.0, 0.8, 1.0],
              [0.8, 1.0, 0.6, 1.0, 1.0, 1.0], [0.6, 1.0, 0.8, 0.8, 1.0, 1.0]]
    for i, asks in enumerate(orders):
        learner = accounts.create_user("Acme", f"l{i}@acme.test", None, role="learner", team="East", name=f"Lee {i}")
        for a in asks:
            support.rep_with_scores(line, learner, a, 0.5)
    tia = accounts.create_user("Acme", "tia@acme.test", None, role="learner", team="East", name="Tia Trailing")
    reps = [support.rep_with_scores(line, tia, 0.0, 0.5) for _ in range(3)]
    c = TestClient(app, follow_redirects=False)
    assert c.post("/api/auth/login", json={"email": "boss@acme.test", "password": PASSWORD}).status_code == 200
    yield c, reps
    forget_databases()


def test_the_page_flags_the_trailing_learner_with_links_to_the_reps(client: tuple[TestClient, list[int]]) -> None:
    c, reps = client
    page = c.get("/team/insights")
    assert page.status_code == 200
    html = page.text
    needs = html.split('id="needs"')[1].split("</section>")[0]
    assert "Tia Trailing" in needs and "Discovery" in needs and "Lee 0" not in needs
    for rep in reps:
        assert f'href="/reps/{rep}/scorecard"' in needs
    assert "6 learners tested" in needs
    # five learners with 6 reps are in the trends; Tia (3 reps) is not
    assert "5 learners with at least 6 reps; 1 with fewer" in html
    assert "<svg" in html and "Team score per skill by rep number" in html
    assert c.get("/team").text.count('href="/team/insights') == 1


def test_an_empty_period_says_so(client: tuple[TestClient, list[int]]) -> None:
    c, _ = client
    assert c.get("/team/insights", params={"days": 30}).status_code == 200
    assert c.get("/team/insights", params={"days": 5}).status_code == 400


def test_a_single_learner_with_a_single_rep_is_shown_honestly(tmp_path: Path) -> None:
    from sqlalchemy import update

    from sparring.store import rep_rollup
    from sparring.store.models import ConversationRow, Rep

    settings = Settings(data_dir=tmp_path / "data")
    database = get_database(settings.resolved_database_url)
    try:
        app = create_app(settings)
        line = support.line_practice(database)
        accounts = Accounts(database)
        accounts.create_user("Acme", "sol@acme.test", PASSWORD, role="manager", team="Solo", name="Sol")
        uma = accounts.create_user("Acme", "uma@acme.test", None, role="learner", team="Solo", name="Uma")
        first = support.rep_with_scores(line, uma, 0.0, 0.0)
        c = TestClient(app, follow_redirects=False)
        assert c.post("/api/auth/login", json={"email": "sol@acme.test", "password": PASSWORD}).status_code == 200

        def kpi(html: str, name: str) -> str:
            return html.split(f'id="kpi-{name}"')[1].split("</div></div>")[0]

        html = c.get("/team/insights").text
        assert "0 min" not in html
        assert "under 1 min" in kpi(html, "time") and "measured on the one rep" in kpi(html, "time")
        assert ">—<" in kpi(html, "needs") and "nobody could be tested yet" in kpi(html, "needs")
        assert "No flags: nobody could be tested yet — too few reps so far (the rule needs 3 on a skill)" in html
        with database.session() as s:  # the rep's end time unknown: no time is claimed
            conv = s.get(Rep, first).conversation_id  # type: ignore[union-attr]
            s.execute(update(ConversationRow).where(ConversationRow.id == conv).values(ended_at=None))
            rep_rollup.refresh(s, [conv])  # written directly: the roll-up is told, as the services do
        html = c.get("/team/insights").text
        assert ">—<" in kpi(html, "time") and "not measured: the rep has no end time" in kpi(html, "time")

        for asks in (0.2, 0.4, 1.0, 0.8, 0.6):  # six reps: a trend of one learner, over reps, with an interval
            support.rep_with_scores(line, uma, asks, 0.5)
        html = c.get("/team/insights").text
        assert "One learner: their first 3 reps against their latest 3" in html and "Welch" in html
        assert "no-interval" not in html.split("First reps against the latest")[1].split("</section>")[0]
        assert "fewer than 5 other learners to compare with" in html  # enough reps, nobody to compare with

        tom = accounts.create_user("Acme", "tom@acme.test", None, role="learner", team="Solo", name="Tom")
        support.rep_with_scores(line, tom, 0.5, 0.5)  # two learners, one in the trend: no interval, and why
        html = c.get("/team/insights").text
        trend = html.split("First reps against the latest")[1].split("</section>")[0]
        assert "not enough learners for an interval (n=1)" in trend
        assert "with one learner in the trend there is no interval" in trend
    finally:
        forget_databases()
