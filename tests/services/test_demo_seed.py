"""The demo organisation: seeded once through the real engines, idempotent, and visible on the dashboard."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.dashboards import team_dashboard
from sparring.services.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo
from sparring.services.practice import PracticeService
from sparring.store.db import Database


def test_demo_seeds_once_with_scored_reps_and_a_learner_who_never_practised(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    # the admin, the manager, Ava (fewer reps than the real demo and no sprint, to keep the test quick) and Dev who
    # never practised (the sprint: tests/services/test_demo_program.py)
    users = (DEMO_USERS[0], DEMO_USERS[1], replace(DEMO_USERS[2], reps=2, program_reps=0), DEMO_USERS[5])
    first = seed_demo(database, users=users)
    assert first.created and first.reps == 2
    again = seed_demo(database, users=users)
    assert not again.created and again.reps == 0
    accounts = Accounts(database)
    for role, email, password in first.logins:
        user = accounts.authenticate(email, password)
        assert user is not None and user.role == role and password == DEMO_PASSWORD
    reps = PracticeService(database).list_reps(limit=500)
    assert len(reps) == first.reps and all(r.overall is not None and r.ended for r in reps)
    manager = accounts.find_user("manager@northwind.example")
    with database.read() as s:
        dash = team_dashboard(s, Viewer(manager.id, manager.org_id, "manager", manager.name, manager.email))
    names = {row.name: row for row in dash.learners}
    assert names["Dev Sharma"].reps == 0 and names["Dev Sharma"] in dash.idle
    assert names["Ava Patel"].reps == 2 and names["Ava Patel"].weakest_skill
    assert dash.reps_completed == first.reps and dash.criterion_averages
    database.dispose()


def test_demo_learner_has_winning_lines(tmp_path: Path) -> None:
    from sparring.coaching.winning_lines import list_lines

    database = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    seed_demo(database, users=(DEMO_USERS[0], replace(DEMO_USERS[2], reps=1, program_reps=0)))
    ava = Accounts(database).find_user("ava@northwind.example")
    with database.read() as s:
        lines = list_lines(s, Viewer(ava.id, ava.org_id, "learner", ava.name, ava.email))
    assert lines and all(line.situation and line.rep_id for line in lines)
    database.dispose()
