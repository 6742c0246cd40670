"""Certification (sparring.services.certification) on SQLite and PostgreSQL: configuring with named errors, attempts
at the fixed scenario and difficulty refused when none are left, results recorded from the newest scorecard, sign-off
by a manager of the learner's team or an admin only, and certificates under the access rules."""

from __future__ import annotations

from datetime import date

import pytest
import sparring_test_support as support

from sparring.services import certification as cert
from sparring.services import programs
from sparring.services.content import ContentService
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.services.practice import PracticeService
from sparring.services.programs import ScenarioChoice
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import Rep

SCENARIO = support.TEST_SCENARIO
viewer = support.viewer_of


@pytest.fixture
def line(db: Database) -> PracticeService:
    return support.line_practice(db)


@pytest.fixture
def setup(db: Database, line: PracticeService, learner: UserRecord) -> tuple[int, support.People]:
    people = support.make_people(db, learner)
    with db.session() as s:
        view = programs.create_program(
            s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), org_id=learner.org_id,
            name="Sprint", start_on=date(2026, 6, 1), end_on=date(2027, 3, 1), target_min=3,
            scenarios=[ScenarioChoice(SCENARIO)], teams=["East"], users=["ola@acme.test"])
    return view.id, people


def _configure(db: Database, program_id: int, attempts: int = 2, **bars: object) -> None:
    with db.session() as s:
        cert.configure(s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), program_id,
                       scenario_id=SCENARIO, difficulty="hard", max_attempts=attempts,
                       bars=bars or {"asks-questions": 0.7, "next-step": "met"})  # type: ignore[arg-type]


def _play(line: PracticeService, rep_id: int, text: str) -> None:
    line.submit_turn(rep_id, text)
    line.end_rep(rep_id)
    line.score_rep(rep_id)


def test_configure_names_each_bad_field_and_stores_nothing(db: Database, setup: tuple[int, support.People]) -> None:
    program_id, p = setup
    lookup = lambda org, sid: ContentService(db, org).get_scenario(sid)  # noqa: E731
    good = {"scenario_id": SCENARIO, "difficulty": "hard", "max_attempts": 2, "bars": {"next-step": "met"}}
    for change, named in [({"scenario_id": "nope"}, "scenario:"), ({"difficulty": "brutal"}, "difficulty:"),
                          ({"max_attempts": 0}, "attempts:"), ({"bars": {}}, "bar:"),
                          ({"bars": {"next-step": 2}}, "bar: next-step")]:
        with db.session() as s, pytest.raises(InvalidInput, match=named):
            cert.configure(s, None, lookup, program_id, **{**good, **change})  # type: ignore[arg-type]
    criteria = lambda org, scenario: ["asks-questions", "next-step"]  # noqa: E731
    with db.session() as s, pytest.raises(InvalidInput, match=r"unknown criterion 'tone'.*asks-questions, next-step"):
        cert.configure(s, None, lookup, program_id, **{**good, "bars": {"tone": 0.5}},  # type: ignore[arg-type]
                       criteria_for=criteria)
    with db.session() as s:
        assert cert.certification_of(s, program_id) is None
        with pytest.raises(NotFound):  # a learner never configures; a manager of another team does not see it
            cert.configure(s, viewer(p.lee), lookup, program_id, **good)  # type: ignore[arg-type]
    _configure(db, program_id)
    _configure(db, program_id, attempts=3, **{"next-step": 0.5})  # configuring again changes it
    with db.session() as s:
        found = cert.certification_of(s, program_id)
    assert found is not None and (found.max_attempts, found.bars, found.difficulty) == (3, {"next-step": 0.5}, "hard")


def test_attempts_pass_on_every_bar_and_run_out(db: Database, line: PracticeService,
                                                setup: tuple[int, support.People]) -> None:
    program_id, p = setup
    with pytest.raises(NotFound, match="no certification"):
        cert.start_attempt(line, p.lee, program_id)
    _configure(db, program_id)
    first = cert.start_attempt(line, p.lee, program_id)
    with db.session() as s:
        rep = s.get(Rep, first)
        assert rep is not None and (rep.scenario_id, rep.difficulty) == (SCENARIO, "hard")
        assert cert.learner_status(s, program_id, p.lee.id).status == "in_progress"  # type: ignore[union-attr]
    _play(line, first, "asks-questions=0.9 next-step=0.5")  # next-step partly: not met
    second = cert.start_attempt(line, p.lee, program_id)
    _play(line, second, "asks-questions=0.6 next-step=1")  # asks below 0.7
    with db.session() as s:
        state = cert.learner_status(s, program_id, p.lee.id)
    assert state is not None and (state.used, state.left, state.status) == (2, 0, "out_of_attempts")
    with pytest.raises(Conflict, match="no attempts left"):
        cert.start_attempt(line, p.lee, program_id)
    with pytest.raises(NotFound):  # Bob (Globex) is not enrolled
        cert.start_attempt(line, p.bob, program_id)

    kim_rep = cert.start_attempt(line, p.kim, program_id)
    _play(line, kim_rep, "asks-questions=0.7 next-step=1")
    with db.session() as s:
        rows = {r.email: r for r in cert.program_status(s, viewer(p.max), program_id)}
        assert set(rows) == {"lee@acme.test", "kim@acme.test"}  # Max sees his team's learners only
        assert (rows["kim@acme.test"].status, rows["kim@acme.test"].passed_rep_id) == ("awaiting_sign_off", kim_rep)
        everyone = {r.email: r.status for r in cert.program_status(s, viewer(p.ada), program_id)}
    assert everyone["ola@acme.test"] == "not_started"
    with pytest.raises(Conflict, match="already passed"):
        cert.start_attempt(line, p.kim, program_id)


def test_sign_off_issues_the_certificate_under_the_access_rules(db: Database, line: PracticeService,
                                                                setup: tuple[int, support.People]) -> None:
    program_id, p = setup
    _configure(db, program_id, attempts=1)
    rep = cert.start_attempt(line, p.kim, program_id)
    _play(line, rep, "asks-questions=1 next-step=1")
    with db.session() as s:
        with pytest.raises(Conflict, match="has not passed"):
            cert.sign_off(s, viewer(p.max), program_id, p.lee.id)
        with pytest.raises(NotFound):  # Wes manages West, not Kim's team
            cert.sign_off(s, viewer(p.wes), program_id, p.kim.id)
        with pytest.raises(NotFound):
            cert.sign_off(s, viewer(p.kim), program_id, p.kim.id)
    with db.session() as s:
        issued = cert.sign_off(s, viewer(p.max), program_id, p.kim.id)
    assert (issued.email, issued.rep_id, issued.signed_off_by, issued.program) == ("kim@acme.test", rep, "Max",
                                                                                   "Sprint")
    with db.session() as s:
        with pytest.raises(Conflict, match="already certified"):
            cert.sign_off(s, viewer(p.ada), program_id, p.kim.id)
        assert cert.learner_status(s, program_id, p.kim.id).status == "certified"  # type: ignore[union-attr]
        assert [c.email for c in cert.list_certificates(s, viewer(p.kim))] == ["kim@acme.test"]
        assert cert.list_certificates(s, viewer(p.lee)) == []
        assert cert.list_certificates(s, viewer(p.wes)) == []
        assert [c.user_id for c in cert.list_certificates(s, viewer(p.ada), program_id=program_id)] == [p.kim.id]
        assert cert.list_certificates(s, viewer(p.bob)) == []
        assert len(cert.list_certificates(s, None, user_id=p.kim.id)) == 1


def _certified(db: Database, line: PracticeService, program_id: int, who: UserRecord, by: UserRecord) -> int:
    rep = cert.start_attempt(line, who, program_id)
    _play(line, rep, "asks-questions=1 next-step=1")
    with db.session() as s:
        return cert.sign_off(s, viewer(by), program_id, who.id).id


def test_revoke_needs_a_reason_and_the_right_person_and_keeps_the_record(
        db: Database, line: PracticeService, setup: tuple[int, support.People]) -> None:
    program_id, p = setup
    _configure(db, program_id, attempts=2)
    with db.session() as s, pytest.raises(Conflict, match=r"kim@acme\.test has no certificate on Sprint to revoke"):
        cert.revoke(s, viewer(p.max), program_id, p.kim.id, "cheated")
    first = _certified(db, line, program_id, p.kim, p.max)
    with db.session() as s:
        for who in (p.wes, p.kim, p.bob):  # another team's manager, the learner, another organisation
            with pytest.raises(NotFound):
                cert.revoke(s, viewer(who), program_id, p.kim.id, "cheated")
        with pytest.raises(InvalidInput, match="reason: say why"):
            cert.revoke(s, viewer(p.max), program_id, p.kim.id, "  \n ")
        with pytest.raises(InvalidInput, match="reason: at most 500"):
            cert.revoke(s, viewer(p.max), program_id, p.kim.id, "x" * 501)
    with db.session() as s:
        revoked = cert.revoke(s, viewer(p.max), program_id, p.kim.id, "  read the   answers\nfrom a script ")
    assert (revoked.id, revoked.revoked, revoked.revoked_by, revoked.revoked_reason) == (
        first, True, "Max", "read the answers from a script")
    with db.session() as s:
        with pytest.raises(Conflict, match=r"kim@acme.test's certificate on Sprint was already revoked on \d{4}-"):
            cert.revoke(s, viewer(p.ada), program_id, p.kim.id, "again")
        [kept] = cert.list_certificates(s, viewer(p.kim))  # on record, shown as revoked
        assert (kept.id, kept.revoked_reason, kept.signed_off_by) == (first, "read the answers from a script", "Max")
        state = cert.learner_status(s, program_id, p.kim.id)
        assert state is not None and (state.status, state.used, state.left, state.passed_rep_id) == (
            "revoked", 1, 1, None)
        assert state.revoked is not None and state.revoked.id == first
        with pytest.raises(Conflict, match="has not passed an attempt since their certificate was revoked"):
            cert.sign_off(s, viewer(p.max), program_id, p.kim.id)


def test_a_revoked_learner_tries_again_with_the_attempts_left_and_is_certified_again(
        db: Database, line: PracticeService, setup: tuple[int, support.People]) -> None:
    program_id, p = setup
    _configure(db, program_id, attempts=2)
    first = _certified(db, line, program_id, p.kim, p.max)
    with db.session() as s:
        cert.revoke(s, None, program_id, p.kim.id, "audit found a scripted rep")
    retry = cert.start_attempt(line, p.kim, program_id)  # one attempt was left
    _play(line, retry, "asks-questions=1 next-step=1")
    with db.session() as s:
        state = cert.learner_status(s, program_id, p.kim.id)
        assert state is not None and (state.status, state.passed_rep_id, state.left) == ("awaiting_sign_off", retry, 0)
        again = cert.sign_off(s, viewer(p.ada), program_id, p.kim.id)
    with db.session() as s:
        found = cert.list_certificates(s, None, user_id=p.kim.id)
        assert [(c.id, c.revoked) for c in found] == [(again.id, False), (first, True)]  # newest first
        assert again.rep_id == retry
        assert next(c for c in found if c.revoked).revoked_by == "operator"
        assert cert.learner_status(s, program_id, p.kim.id).status == "certified"  # type: ignore[union-attr]
        with pytest.raises(Conflict, match="already certified"):
            cert.sign_off(s, viewer(p.max), program_id, p.kim.id)
        cert.revoke(s, viewer(p.max), program_id, p.kim.id, "second audit")
    with pytest.raises(Conflict, match="no attempts left"):  # both attempts used: a revocation gives none back
        cert.start_attempt(line, p.kim, program_id)
    _configure(db, program_id, attempts=3)  # the lead raises the limit: one more attempt for whoever used theirs
    cert.start_attempt(line, p.kim, program_id)
