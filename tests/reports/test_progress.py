"""A learner's progress from stored scorecards (sparring.reports.progress), on SQLite and PostgreSQL, without the
web layer: the series per rep, per skill and per criterion, private reps seen by someone else, the weakest skill."""

from __future__ import annotations

import sparring_test_support as support

from sparring.reports.progress import WEAKEST_WINDOW, learner_progress
from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.store.db import Database


def test_series_follow_the_reps_oldest_first(db: Database, practice: PracticeService) -> None:
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    first = support.scored_rep(practice, lee, "I can send you our price list.")
    second = support.scored_rep(practice, lee, "What slows your team down today?")
    practice.start_rep(lee, support.TEST_SCENARIO)  # not scored: not in the progress
    with db.read() as s:
        progress = learner_progress(s, lee.id, lee.org_id)
    assert [p.rep_id for p in progress.reps] == [first, second]
    assert [p.overall for p in progress.reps] == [0.0, 100.0]
    assert [p.passed for p in progress.reps] == [False, True]
    assert progress.average == 50.0
    # blockers are not a skill; each scored criterion is a series, each skill the mean of its criteria
    assert progress.criteria == {"asks-questions": [0.0, 100.0], "next-step": [0.0, 100.0]}
    assert progress.skills == {"discovery": [0.0, 100.0], "next-steps": [0.0, 100.0]}
    assert progress.skill_averages == {"discovery": 50.0, "next-steps": 50.0}
    assert progress.weakest_skill == "discovery"  # a tie goes to the first name


def test_someone_else_sees_a_private_reps_score_but_not_its_detail(db: Database, practice: PracticeService) -> None:
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    support.scored_rep(practice, lee, "What matters most to you?")
    support.scored_rep(practice, lee, "Here is the discount.", private=True)
    with db.read() as s:
        own = learner_progress(s, lee.id, lee.org_id)
        other = learner_progress(s, lee.id, lee.org_id, include_private=False)
    assert [p.overall for p in own.reps] == [p.overall for p in other.reps] == [100.0, 0.0]
    assert own.skills["discovery"] == [100.0, 0.0]
    assert other.skills["discovery"] == [100.0, None]
    assert other.skill_averages == {"discovery": 100.0, "next-steps": 100.0}


def test_last_keeps_the_newest_reps_and_the_weakest_skill_reads_recent_ones(
    db: Database, practice: PracticeService
) -> None:
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    reps = [support.scored_rep(practice, lee, "No question here.")]
    reps += [support.scored_rep(practice, lee, "Which lanes hurt most?") for _ in range(WEAKEST_WINDOW)]
    with db.read() as s:
        everything = learner_progress(s, lee.id, lee.org_id)
        newest = learner_progress(s, lee.id, lee.org_id, last=2)
    assert [p.rep_id for p in newest.reps] == reps[-2:]
    # the first rep (0) is outside the window of the last WEAKEST_WINDOW reps
    assert everything.skill_averages == {"discovery": 100.0, "next-steps": 100.0}
    assert everything.skills["discovery"][0] == 0.0


def test_other_organisations_and_people_without_reps(db: Database, practice: PracticeService) -> None:
    lee = Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    support.scored_rep(practice, lee, "What slows you down?")
    with db.read() as s:
        wrong_org = learner_progress(s, lee.id, lee.org_id + 1000)
        nobody = learner_progress(s, lee.id + 1000, lee.org_id)
    for empty in (wrong_org, nobody):
        assert empty.reps == [] and empty.skills == {} and empty.weakest_skill is None and empty.average is None
