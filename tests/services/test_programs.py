"""Programs as use cases (sparring.services.programs) on SQLite and PostgreSQL: who may create, enrol and change a
program, the errors that name the field (and store nothing), team enrolment covering later members, and who sees
which program."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sparring_test_support as support
from sqlalchemy import func, select

from sparring.content.scenario import Scenario
from sparring.services import programs
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.services.programs import ScenarioChoice
from sparring.services.records import UserRecord
from sparring.store.coaching_models import NotificationRow
from sparring.store.db import Database
from sparring.store.program_models import ProgramRow

SCENARIO = support.TEST_SCENARIO
BUILTIN = "cs-renewal-discount"
START = date.today() - timedelta(days=7)
END = START + timedelta(days=27)

viewer = support.viewer_of
People = support.People


@pytest.fixture
def people(db: Database, learner: UserRecord) -> People:
    return support.make_people(db, learner)


def lookup(db: Database):  # type: ignore[no-untyped-def]
    def scenario_for(org_id: int, scenario_id: str) -> Scenario:
        return ContentService(db, org_id).get_scenario(scenario_id)

    return scenario_for


def create(db: Database, actor: UserRecord | None, **kw: object) -> programs.ProgramView:
    options: dict[str, object] = {
        "org_id": None if actor else 1, "name": "Renewal sprint", "start_on": START, "end_on": END,
        "target_min": 10, "scenarios": [ScenarioChoice(SCENARIO, 1), ScenarioChoice(BUILTIN, 2, "hard")],
        "teams": ["East"], **kw}
    with db.session() as s:
        return programs.create_program(s, viewer(actor) if actor else None, lookup(db), **options)  # type: ignore[arg-type]


def _count(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(ProgramRow)) or 0)


def test_a_manager_creates_a_program_for_their_team(db: Database, content: ContentService, people: People) -> None:
    view = create(db, people.max, target_max=20, pass_bar=60, description="Thirty days of renewals.")
    assert (view.name, view.start_on, view.end_on, view.target_min, view.target_max, view.pass_bar) == (
        "Renewal sprint", START, END, 10, 20, 60)
    assert [(s.scenario_id, s.position, s.week, s.difficulty) for s in view.scenarios] == [
        (SCENARIO, 0, 1, None), (BUILTIN, 1, 2, "hard")]
    assert (view.teams, view.users, view.created_by, view.status) == (("East",), (), "Max", "active")
    assert view.target_label == "10–20"
    with db.read() as s:
        assert [u.email for u in programs.enrolled_users(s, view.id)] == ["kim@acme.test", "lee@acme.test"]
        told = s.scalars(select(NotificationRow.user_id).where(NotificationRow.kind == "enrolled")).all()
    assert sorted(told) == sorted([people.lee.id, people.kim.id])  # learners only: not Max, the team's manager


@pytest.mark.parametrize(("kw", "message"), [
    ({"name": "  "}, "name:"),
    ({"end_on": START - timedelta(days=1)}, "end: "),
    ({"end_on": START + timedelta(days=400)}, "end: a program lasts at most"),
    ({"target_min": 0}, "target: "),
    ({"target_max": 5}, "target_max: 5 is below the target, 10"),
    ({"pass_bar": 120.0}, "pass_bar: "),
    ({"scenarios": []}, "scenario: give at least one scenario"),
    ({"scenarios": [ScenarioChoice(SCENARIO), ScenarioChoice(SCENARIO)]}, "scenario: 'test-guarded-buyer' is listed"),
    ({"scenarios": [ScenarioChoice(SCENARIO, 9)]}, "week: 'test-guarded-buyer' is planned for week 9, but the "
                                                   "program has 4 weeks"),
    ({"scenarios": [ScenarioChoice(SCENARIO, None, "brutal")]}, "difficulty: "),
    ({"teams": []}, "team: enrol at least one team or learner"),
    ({"users": ["not an e-mail"], "teams": []}, "user: "),
])
def test_bad_requests_name_the_field_and_store_nothing(db: Database, content: ContentService, people: People,
                                                        kw: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=r"^" + message.replace("(", r"\(")):
        create(db, people.ada, **kw)
    assert _count(db) == 0


@pytest.mark.parametrize(("kw", "message"), [
    ({"scenarios": [ScenarioChoice("no-such-scenario")]}, "scenario: unknown scenario"),
    ({"teams": ["North"]}, "team: unknown team 'North'"),
    ({"teams": ["West"]}, "team: unknown team 'West'"),  # another manager's team
    ({"teams": [], "users": ["ola@acme.test"]}, "user: unknown user ola@acme.test"),  # not Max's learner
    ({"teams": [], "users": ["bob@globex.test"]}, "user: unknown user bob@globex.test"),  # another organisation
])
def test_a_manager_only_enrols_what_they_manage(db: Database, content: ContentService, people: People,
                                                kw: dict[str, object], message: str) -> None:
    with pytest.raises(NotFound, match=r"^" + message):
        create(db, people.max, **kw)
    assert _count(db) == 0


def test_learners_do_not_run_programs_admins_and_the_operator_do(db: Database, content: ContentService,
                                                                 people: People) -> None:
    with pytest.raises(NotFound):
        create(db, people.lee)
    by_admin = create(db, people.ada, teams=["East", "West"], users=["ada@acme.test"])
    assert (by_admin.teams, by_admin.users) == (("East", "West"), ("ada@acme.test",))
    by_operator = create(db, None, org_id=people.ada.org_id, teams=["West"])
    assert by_operator.created_by == "operator"
    with pytest.raises(InvalidInput, match=r"^org: "):
        create(db, None, org_id=None)


def test_a_team_covers_its_later_learners_and_enrol_unenrol(db: Database, content: ContentService,
                                                            people: People) -> None:
    view = create(db, people.max)
    neo = Accounts(db).create_user("Acme", "neo@acme.test", None, role="learner", team="East", name="Neo")
    with db.read() as s:
        assert neo.id in [u.id for u in programs.enrolled_users(s, view.id)]
    with db.session() as s:  # Ada enrols Ola (West) one by one; again changes nothing
        for _ in range(2):
            programs.enrol(s, viewer(people.ada), view.id, user="ola@acme.test")
    with db.read() as s:
        assert programs.get_program(s, None, view.id).users == ("ola@acme.test",)
        assert s.scalar(select(func.count()).select_from(NotificationRow).where(
            NotificationRow.user_id == people.ola.id, NotificationRow.kind == "enrolled")) == 1
    with db.session() as s, pytest.raises(NotFound, match=r"^team: unknown team 'West'"):
        programs.enrol(s, viewer(people.max), view.id, team="West")
    with db.session() as s, pytest.raises(InvalidInput, match=r"^team: give either"):
        programs.enrol(s, None, view.id)
    with db.session() as s:
        assert programs.unenrol(s, None, view.id, team="East").teams == ()
    with db.session() as s, pytest.raises(NotFound, match=r"^team: not enrolled"):
        programs.unenrol(s, None, view.id, team="East")
    with db.read() as s:
        assert [u.email for u in programs.enrolled_users(s, view.id)] == ["ola@acme.test"]


def test_who_sees_which_program(db: Database, content: ContentService, people: People) -> None:
    east = create(db, people.max, name="East sprint")
    west = create(db, people.ada, name="West sprint", teams=["West"])
    globex_admin = Accounts(db).create_user("Globex", "gia@globex.test", None, role="admin")
    with db.read() as s:
        def names(u: UserRecord) -> list[str]:
            return [v.name for v in programs.list_programs(s, viewer(u))]

        assert names(people.ada) == ["West sprint", "East sprint"]  # same start: newest first
        assert names(people.max) == ["East sprint"]
        assert names(people.wes) == ["West sprint"]
        assert names(people.lee) == []
        assert names(globex_admin) == []
        assert [v.name for v in programs.list_programs(s, None, people.ada.org_id)] == ["West sprint", "East sprint"]
        for who, program in ((people.max, west), (people.lee, east), (globex_admin, east)):
            with pytest.raises(NotFound):
                programs.get_program(s, viewer(who), program.id)
        with pytest.raises(NotFound):
            programs.get_program(s, None, 10**6)


def _edit(db: Database, actor: UserRecord | None, program_id: int, **kw: object) -> programs.ProgramView:
    with db.session() as s:
        return programs.edit_program(s, viewer(actor) if actor else None, lookup(db), program_id,
                                     programs.ProgramChanges(**kw))  # type: ignore[arg-type]


def test_a_lead_changes_a_program_mid_sprint(db: Database, content: ContentService, people: People) -> None:
    view = create(db, people.max, target_max=20, pass_bar=60, description="Thirty days of renewals.")
    changed = _edit(db, people.max, view.id, name="Renewal sprint, longer", end_on=END + timedelta(days=14),
                    target_min=12, pass_bar=None, scenarios=[ScenarioChoice(BUILTIN, 1, "easy"),
                                                             ScenarioChoice(SCENARIO)])
    assert (changed.name, changed.end_on, changed.target_min, changed.target_max, changed.pass_bar) == (
        "Renewal sprint, longer", END + timedelta(days=14), 12, 20, None)
    assert changed.description == "Thirty days of renewals." and changed.start_on == START  # kept
    assert [(s.scenario_id, s.position, s.week, s.difficulty) for s in changed.scenarios] == [
        (BUILTIN, 0, 1, "easy"), (SCENARIO, 1, None, None)]
    assert changed.teams == ("East",) and changed.created_by == "Max"
    # the plan is kept when only a field changes; the stretch target can be dropped
    again = _edit(db, people.ada, view.id, target_max=None, description="")
    assert again.scenarios == changed.scenarios and again.target_max is None and again.description == ""
    with db.read() as s:
        assert programs.get_program(s, None, view.id) == again


@pytest.mark.parametrize(("kw", "error", "message"), [
    ({"name": "  "}, InvalidInput, "name:"),
    ({"end_on": START - timedelta(days=1)}, InvalidInput, "end: "),
    ({"target_min": 0}, InvalidInput, "target: "),
    ({"target_min": 30}, InvalidInput, "target_max: 20 is below the target, 30"),
    ({"pass_bar": 120.0}, InvalidInput, "pass_bar: "),
    ({"scenarios": []}, InvalidInput, "scenario: give at least one scenario"),
    ({"end_on": START + timedelta(days=6)}, InvalidInput,  # the plan's week 2 no longer exists
     f"week: '{BUILTIN}' is planned for week 2, but the program has 1 week"),
    ({"scenarios": [ScenarioChoice(SCENARIO, None, "brutal")]}, InvalidInput, "difficulty: "),
    ({"scenarios": [ScenarioChoice("no-such-scenario")]}, NotFound, "scenario: unknown scenario"),
    ({}, InvalidInput, "program: nothing to change"),
])
def test_changes_are_validated_as_creating_is_and_store_nothing_when_wrong(
        db: Database, content: ContentService, people: People, kw: dict[str, object], error: type[Exception],
        message: str) -> None:
    view = create(db, people.max, target_max=20)
    with pytest.raises(error, match=r"^" + message.replace("(", r"\(")):
        _edit(db, people.max, view.id, **kw)
    with db.read() as s:
        assert programs.get_program(s, None, view.id) == view


def test_who_may_change_a_program_and_never_an_archived_one(db: Database, content: ContentService,
                                                            people: People) -> None:
    by_ada = create(db, people.ada, name="Ada's sprint")  # East: Max sees it, but did not make it
    with pytest.raises(Conflict, match=r"^program: only the manager who made it or an admin may change it"):
        _edit(db, people.max, by_ada.id, target_min=5)
    for who in (people.wes, people.lee):  # West's manager does not see it; learners never
        with pytest.raises(NotFound):
            _edit(db, who, by_ada.id, target_min=5)
    assert _edit(db, None, by_ada.id, target_min=5).target_min == 5  # the operator
    mine = create(db, people.max)
    with db.session() as s:
        programs.set_archived(s, viewer(people.max), mine.id)
    with pytest.raises(Conflict, match=r"^program: Renewal sprint is archived; make it active again before"):
        _edit(db, people.max, mine.id, target_min=5)
    with db.session() as s:
        programs.set_archived(s, viewer(people.max), mine.id, archived=False)
    assert _edit(db, people.max, mine.id, target_min=5).target_min == 5
