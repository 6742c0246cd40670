"""The demo's practice sprint (sparring.services.demo_program) on both backends: ``seed_demo`` creates a 30-day
program for the demo teams, led by the demo manager, with a weekly plan, a rep target and a pass bar; the demo
learners' reps in it are played and scored by the embedded engines, so the progress page, the team's insights and
the sponsor report have real numbers; a second run changes nothing, and a demo made before the demo had a program
gets it once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from sparring.coaching.programs import utc_day
from sparring.scoring.embedded import ENGINE_NAME
from sparring.services import demo_program
from sparring.services.access import Viewer
from sparring.services.demo import DEMO_USERS, seed_demo
from sparring.services.insights import team_insights
from sparring.services.program_progress import program_progress
from sparring.services.sponsor_report import sponsor_report
from sparring.store.db import Database
from sparring.store.models import Rep, ScorecardRow, User
from sparring.store.program_models import ProgramRow

ADMIN, MANAGER, AVA, BEN, CHLOE, DEV = DEMO_USERS
#: the demo's people without their earlier practice (quicker), and fewer sprint reps than the real demo: six each,
#: the fewest that put a learner in the trends (first three reps against the latest three)
SPRINT_USERS = (ADMIN, MANAGER, replace(AVA, reps=0, program_reps=6), replace(BEN, reps=0, program_reps=6),
                replace(CHLOE, reps=0, program_reps=6), DEV)


def _manager(db: Database) -> Viewer:
    with db.read() as s:
        user = s.scalar(select(User).where(User.email == MANAGER.email))
        assert user is not None
        return Viewer.of(user)


def test_the_demo_runs_a_sprint_with_real_reps_on_every_page(db: Database) -> None:
    first = seed_demo(db, users=SPRINT_USERS, with_calls=False)
    assert first.created and first.program_reps == 18 and first.program_id is not None
    manager = _manager(db)
    with db.read() as s:
        progress = program_progress(s, manager, first.program_id)
        view = progress.program
        assert view.name == demo_program.NAME and view.created_by == MANAGER.name
        assert (view.end_on - view.start_on).days + 1 == demo_program.DAYS
        assert view.start_on == datetime.now(UTC).date() - timedelta(days=demo_program.ELAPSED)
        assert (view.target_min, view.target_max, view.pass_bar) == (
            demo_program.TARGET, demo_program.TARGET_MAX, demo_program.PASS_BAR)
        assert [(p.scenario_id, p.week) for p in view.scenarios] == list(demo_program.PLAN)
        assert view.teams == ("Enterprise", "Mid-market")
        rows = {r.email: r for r in progress.learners}
        assert set(rows) == {AVA.email, BEN.email, CHLOE.email, DEV.email}
        assert [rows[u.email].reps for u in (AVA, BEN, CHLOE, DEV)] == [6, 6, 6, 0]
        assert rows[DEV.email].pace == "behind" and progress.expected > 0
        # every rep of the sprint was played and scored by the embedded engines, within the sprint's days
        reps = s.scalars(select(Rep).where(Rep.org_id == view.org_id)).all()
        assert len(reps) == 18 and all(r.outcome != "in_progress" for r in reps)
        assert all(view.start_on <= utc_day(r.created_at) < progress.today for r in reps)
        engines = s.scalars(select(ScorecardRow.engine).where(
            ScorecardRow.conversation_id.in_([r.conversation_id for r in reps]))).all()
        assert len(engines) == 18 and set(engines) == {ENGINE_NAME}
        # each week's reps are of that week's planned scenario
        for r in reps:
            week = (utc_day(r.created_at) - view.start_on).days // 7 + 1
            assert r.scenario_id == dict((w, sid) for sid, w in demo_program.PLAN).get(week, r.scenario_id)
        # the pass bar separates the demo's scripted learners: some reps pass it, some do not
        passed = [rows[u.email].passed for u in (AVA, BEN, CHLOE)]
        assert 0 < sum(passed) < 18
        # the sponsor report and the insights page have numbers (three learners in the trends)
        report = sponsor_report(s, manager, first.program_id)
        assert report.reps == 18 and report.in_trends == 3 and any(b.enough for b in report.behaviours)
        insights = team_insights(s, manager)
        assert insights.trends is not None and insights.trends.learners == 3 and insights.trends.by_skill
    again = seed_demo(db, users=SPRINT_USERS, with_calls=False)
    assert not again.created and again.program_id is None and again.program_reps == 0
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ProgramRow)) == 1
        assert s.scalar(select(func.count()).select_from(Rep)) == 18


def test_an_older_demo_gets_the_sprint_once(db: Database) -> None:
    users = (ADMIN, MANAGER, replace(AVA, reps=0, program_reps=2), DEV)
    older = seed_demo(db, users=users, with_calls=False, with_program=False)
    assert older.created and older.program_id is None
    added = seed_demo(db, users=users, with_calls=False)
    assert not added.created and added.program_id is not None and added.program_reps == 2
    assert seed_demo(db, users=users, with_calls=False).program_id is None
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ProgramRow)) == 1
        view = program_progress(s, None, added.program_id)
    assert view.program.teams == ("Enterprise", "Mid-market") and {r.email: r.reps for r in view.learners} == {
        AVA.email: 2, DEV.email: 0}
