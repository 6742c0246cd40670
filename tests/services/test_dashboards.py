"""The manager's team dashboard and learner drill-down access (sparring.services.dashboards), as data, on SQLite and
PostgreSQL: which learners a viewer sees, their counts, averages and weakest skill, the weekly trends (private reps
left out), and who may open whose progress."""

from __future__ import annotations

import pytest
import sparring_test_support as support

from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.dashboards import may_view_learner, team_dashboard
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database


def _viewer(user: UserRecord) -> Viewer:
    return Viewer(id=user.id, org_id=user.org_id, role=user.role, name=user.name, email=user.email)


@pytest.fixture
def people(db: Database) -> dict[str, UserRecord]:
    accounts = Accounts(db)
    return {
        "lee": accounts.create_user("Acme", "lee@acme.test", None, role="learner", team="East"),
        "kim": accounts.create_user("Acme", "kim@acme.test", None, role="learner", team="East"),
        "ola": accounts.create_user("Acme", "ola@acme.test", None, role="learner", team="West"),
        "east": accounts.create_user("Acme", "boss@acme.test", None, role="manager", team="East"),
        "admin": accounts.create_user("Acme", "admin@acme.test", None, role="admin"),
        "rival": accounts.create_user("Globex", "boss@globex.test", None, role="manager", team="East"),
    }


def test_a_manager_sees_their_team_with_counts_averages_and_trends(
    db: Database, practice: PracticeService, people: dict[str, UserRecord]
) -> None:
    support.scored_rep(practice, people["lee"], "What slows your team down?")
    support.scored_rep(practice, people["lee"], "I will just send the contract.")
    support.scored_rep(practice, people["lee"], "Shall we talk about a discount?", private=True)
    support.scored_rep(practice, people["ola"], "Which lanes hurt most?")  # another team
    with db.read() as s:
        dash = team_dashboard(s, _viewer(people["east"]))
    assert [t.name for t in dash.teams] == ["East"]
    assert [(r.email, r.reps, r.reps_recent) for r in dash.learners] == [("kim@acme.test", 0, 0),
                                                                        ("lee@acme.test", 3, 3)]
    lee = dash.learners[1]
    assert lee.average == pytest.approx(200 / 3)  # 100, 0 and the private rep's 100: its score counts
    assert lee.weakest_skill == "discovery" and not lee.idle
    assert [r.email for r in dash.idle] == ["kim@acme.test"]  # never practised
    assert dash.reps_completed == 3 and dash.average == pytest.approx(200 / 3)
    # the weekly trends and criterion averages leave the private rep out: 100 and 0 this week
    assert len(dash.weeks) == 8
    assert dash.skill_trend == {"discovery": [None] * 7 + [50.0], "next-steps": [None] * 7 + [50.0]}
    assert dash.criterion_trend["asks-questions"][-1] == 50.0
    assert dash.criterion_averages == [("asks-questions", 50.0), ("next-step", 50.0)]


def test_an_admin_sees_every_team_and_may_pick_one(
    db: Database, practice: PracticeService, people: dict[str, UserRecord]
) -> None:
    support.scored_rep(practice, people["ola"], "Which lanes hurt most?")
    with db.read() as s:
        everyone = team_dashboard(s, _viewer(people["admin"]))
        west_id = next(t.id for t in everyone.teams if t.name == "West")
        west = team_dashboard(s, _viewer(people["admin"]), team_id=west_id)
    assert [t.name for t in everyone.teams] == ["East", "West"]
    assert {r.email for r in everyone.learners} == {"lee@acme.test", "kim@acme.test", "ola@acme.test"}
    assert west.selected_team is not None and west.selected_team.name == "West"
    assert [(r.email, r.reps, r.average) for r in west.learners] == [("ola@acme.test", 1, 100.0)]


def test_nobody_sees_a_team_they_do_not_manage(db: Database, people: dict[str, UserRecord]) -> None:
    with db.read() as s:
        west_id = next(t.id for t in team_dashboard(s, _viewer(people["admin"])).teams if t.name == "West")
        with pytest.raises(PermissionError, match="not one of your teams"):
            team_dashboard(s, _viewer(people["east"]), team_id=west_id)
        with pytest.raises(PermissionError):
            team_dashboard(s, _viewer(people["rival"]), team_id=west_id)  # another organisation's team
        learner_view = team_dashboard(s, _viewer(people["lee"]))
    assert learner_view.teams == [] and learner_view.learners == []


def test_who_may_open_a_learners_progress(db: Database, people: dict[str, UserRecord]) -> None:
    lee, ola = people["lee"].id, people["ola"].id
    with db.read() as s:
        assert may_view_learner(s, _viewer(people["east"]), lee) is not None
        assert may_view_learner(s, _viewer(people["east"]), ola) is None  # not their team
        assert may_view_learner(s, _viewer(people["admin"]), ola) is not None
        assert may_view_learner(s, _viewer(people["lee"]), lee) is not None  # oneself
        assert may_view_learner(s, _viewer(people["lee"]), people["kim"].id) is None  # a learner: nobody else
        assert may_view_learner(s, _viewer(people["rival"]), lee) is None  # another organisation
        assert may_view_learner(s, _viewer(people["admin"]), 10**12) is None  # no such id
