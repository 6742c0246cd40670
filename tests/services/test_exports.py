"""The CSV export use case (sparring.services.exports) on SQLite and PostgreSQL, for the program filter: exactly the
conversations that count towards the program in its progress (its learners, its scenarios, its dates, ended reps),
errors that name the program, and the scope rules (a manager only their teams; another organisation's program is
unknown)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import sparring_test_support as support
from sqlalchemy import update

from sparring.reports.exports import write_csv
from sparring.services import exports, programs
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.practice import PracticeService
from sparring.services.program_progress import program_progress
from sparring.services.programs import ScenarioChoice
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import Rep

SCENARIO = support.TEST_SCENARIO
START = date(2026, 3, 2)
END = date(2026, 3, 29)
INSIDE = datetime(2026, 3, 10, 9, tzinfo=UTC)


def _viewer(u: UserRecord) -> Viewer:
    return Viewer(id=u.id, org_id=u.org_id, role=u.role, name=u.name or u.email, email=u.email)


def _rep(db: Database, practice: PracticeService, user: UserRecord, when: datetime, **values: object) -> int:
    rep_id = support.scored_rep(practice, user, "Why?")
    with db.session() as s:
        s.execute(update(Rep).where(Rep.id == rep_id).values(created_at=when, **values))
    return rep_id


def _export(db: Database, kind: str, request: exports.ExportRequest, viewer: Viewer | None = None
            ) -> list[dict[str, str]]:
    out = io.StringIO()
    with db.read() as s:
        scope = exports.viewer_scope(s, viewer) if viewer else exports.operator_scope(s, "acme")
        write_csv(s, kind, scope, exports.parse_filter(s, scope, request, viewer), out)  # type: ignore[arg-type]
    return list(csv.DictReader(io.StringIO(out.getvalue())))


@dataclass(frozen=True)
class World:
    program_id: int
    reps: dict[str, int]
    max: UserRecord
    wes: UserRecord


@pytest.fixture
def world(db: Database, practice: PracticeService, learner: UserRecord) -> World:
    acc = Accounts(db)
    kim = acc.create_user("Acme", "kim@acme.test", None, role="learner", team="East", name="Kim")
    ola = acc.create_user("Acme", "ola@acme.test", None, role="learner", team="West", name="Ola")
    max_ = acc.create_user("Acme", "max@acme.test", None, role="manager", team="East", name="Max")
    wes = acc.create_user("Acme", "wes@acme.test", None, role="manager", team="West", name="Wes")
    with db.session() as s:
        program_id = programs.create_program(
            s, None, lambda org, sid: ContentService(db, org).get_scenario(sid), org_id=learner.org_id,
            name="Sprint", start_on=START, end_on=END, target_min=4, scenarios=[ScenarioChoice(SCENARIO)],
            teams=["East"]).id
    reps = {
        "lee_inside": _rep(db, practice, learner, INSIDE),
        "lee_last_day": _rep(db, practice, learner, datetime(2026, 3, 29, 23, 59, tzinfo=UTC)),
        "kim_inside": _rep(db, practice, kim, datetime(2026, 3, 20, 9, tzinfo=UTC)),
        "lee_before": _rep(db, practice, learner, datetime(2026, 3, 1, 23, 59, tzinfo=UTC)),
        "lee_after": _rep(db, practice, learner, datetime(2026, 3, 30, 0, 0, tzinfo=UTC)),
        "lee_other_scenario": _rep(db, practice, learner, INSIDE, scenario_id="another-scenario"),
        "ola_inside": _rep(db, practice, ola, INSIDE),  # Ola (West) is not enrolled
    }
    unended = practice.start_rep(kim, SCENARIO)  # in progress: does not count
    with db.session() as s:
        s.execute(update(Rep).where(Rep.id == unended.id).values(created_at=INSIDE))
    reps["kim_unended"] = unended.id
    return World(program_id, reps, max_, wes)


def test_a_program_exports_exactly_the_reps_that_count_towards_it(db: Database, world: World) -> None:
    program_id, reps = world.program_id, world.reps
    rows = _export(db, "reps", exports.ExportRequest(program=str(program_id)))
    exported = {int(r["rep_id"]) for r in rows}
    assert exported == {reps["lee_inside"], reps["lee_last_day"], reps["kim_inside"]}
    with db.read() as s:  # the same reps the progress page counts
        progress = program_progress(s, None, program_id, now=datetime(2026, 3, 31, tzinfo=UTC))
    assert progress.total_reps == len(exported) == 3
    # the scorecards and criterion results are those of the same conversations
    conversations = {r["conversation_id"] for r in rows}
    cards = _export(db, "scorecards", exports.ExportRequest(program=f" {program_id} "))
    assert cards and {c["conversation_id"] for c in cards} == conversations
    results = _export(db, "criterion_results", exports.ExportRequest(program=str(program_id)))
    assert results and {r["conversation_id"] for r in results} == conversations
    # with the other filters, all conditions together
    kim_only = _export(db, "reps", exports.ExportRequest(program=str(program_id), user="kim@acme.test"))
    assert [int(r["rep_id"]) for r in kim_only] == [reps["kim_inside"]]
    assert _export(db, "reps", exports.ExportRequest(program=str(program_id), date_to="2026-03-09")) == []
    # without the program, every rep is there
    assert {int(r["rep_id"]) for r in _export(db, "reps", exports.ExportRequest())} >= set(reps.values())


def test_unenrolling_a_team_takes_its_reps_out(db: Database, world: World) -> None:
    program_id = world.program_id
    with db.session() as s:
        programs.enrol(s, None, program_id, user="ola@acme.test")
        programs.unenrol(s, None, program_id, team="East")
    rows = _export(db, "reps", exports.ExportRequest(program=str(program_id)))
    assert [r["user_email"] for r in rows] == ["ola@acme.test"]


def test_a_manager_exports_only_their_teams_learners_of_a_program(db: Database, world: World) -> None:
    program_id, reps = world.program_id, world.reps
    with db.session() as s:
        programs.enrol(s, None, program_id, user="ola@acme.test")
    rows = _export(db, "reps", exports.ExportRequest(program=str(program_id)), _viewer(world.max))
    assert {int(r["rep_id"]) for r in rows} == {reps["lee_inside"], reps["lee_last_day"], reps["kim_inside"]}
    # Wes manages West: Ola is enrolled one by one, so he sees the program with Ola's rep only
    rows = _export(db, "reps", exports.ExportRequest(program=str(program_id)), _viewer(world.wes))
    assert [int(r["rep_id"]) for r in rows] == [reps["ola_inside"]]


@pytest.mark.parametrize(("program", "error", "message"), [
    ("999999", NotFound, "program: no program 999999"),
    ("sprint", InvalidInput, "program: give a program's id, a number (got 'sprint')"),
    ("-3", InvalidInput, "program: give a program's id, a number (got '-3')"),
    ("0", InvalidInput, "program: give a program's id, a number (got '0')"),
])
def test_a_bad_program_is_named(db: Database, world: World, program: str, error: type[Exception],
                                message: str) -> None:
    with db.read() as s, pytest.raises(error) as info:
        exports.parse_filter(s, exports.operator_scope(s, "acme"), exports.ExportRequest(program=program))
    assert str(info.value) == message


def test_a_program_the_exporter_may_not_see_is_unknown(db: Database, world: World) -> None:
    program_id = world.program_id
    bob = Accounts(db).create_user("Globex", "bob@globex.test", None, role="admin", name="Bob")
    for who in (_viewer(world.wes), _viewer(bob)):  # West's manager (nobody of West enrolled); another organisation
        with db.read() as s, pytest.raises(NotFound) as info:
            exports.parse_filter(s, exports.viewer_scope(s, who), exports.ExportRequest(program=str(program_id)),
                                 who)
        assert str(info.value) == f"program: no program {program_id}"
    with db.read() as s, pytest.raises(NotFound):  # the operator exporting Globex
        exports.parse_filter(s, exports.operator_scope(s, "globex"), exports.ExportRequest(program=str(program_id)))
