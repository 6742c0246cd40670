"""People and teams as a viewer may list them (sparring.services.directory), on SQLite and PostgreSQL: an admin
the organisation, a manager their teams' members and themselves, a learner only themselves; filters, offsets; never
another organisation's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.directory import visible_people, visible_person, visible_team, visible_teams
from sparring.store.db import Database
from sparring.store.models import Team, User

PEOPLE = [("Acme", "ada@acme.test", "admin", None), ("Acme", "max@acme.test", "manager", "East"),
          ("Acme", "lee@acme.test", "learner", "East"), ("Acme", "kim@acme.test", "learner", "East"),
          ("Acme", "wes@acme.test", "learner", "West"), ("Globex", "gil@globex.test", "admin", None),
          ("Globex", "gus@globex.test", "learner", "North")]


@pytest.fixture
def viewers(db: Database) -> dict[str, Viewer]:
    accounts = Accounts(db)
    for org, email, role, team in PEOPLE:
        accounts.create_user(org, email, None, role=role, team=team)
    with db.read() as s:
        return {u.email.split("@")[0]: Viewer.of(u) for u in s.scalars(select(User))}


def _emails(db: Database, viewer: Viewer, **kw: object) -> list[str]:
    with db.read() as s:
        return [p.email for p in visible_people(s, viewer, **kw)]  # type: ignore[arg-type]


def test_who_sees_whom(db: Database, viewers: dict[str, Viewer]) -> None:
    assert _emails(db, viewers["ada"]) == sorted(e for o, e, _, _ in PEOPLE if o == "Acme")
    assert _emails(db, viewers["max"]) == ["kim@acme.test", "lee@acme.test", "max@acme.test"]
    assert _emails(db, viewers["lee"]) == ["lee@acme.test"]
    assert _emails(db, viewers["gil"]) == ["gil@globex.test", "gus@globex.test"]
    with db.read() as s:
        assert visible_person(s, viewers["max"], viewers["wes"].id) is None
        assert visible_person(s, viewers["gil"], viewers["lee"].id) is None
        found = visible_person(s, viewers["max"], viewers["lee"].id)
        assert found is not None and [t.name for t in found.teams] == ["East"]


def test_filters_and_offsets(db: Database, viewers: dict[str, Viewer]) -> None:
    with db.read() as s:
        west = s.scalars(select(Team.id).where(Team.name == "West")).one()
        north = s.scalars(select(Team.id).where(Team.name == "North")).one()
    assert _emails(db, viewers["ada"], role="learner") == ["kim@acme.test", "lee@acme.test", "wes@acme.test"]
    assert _emails(db, viewers["ada"], team_id=west) == ["wes@acme.test"]
    assert _emails(db, viewers["ada"], team_id=north) == []
    assert _emails(db, viewers["max"], team_id=west) == []
    assert _emails(db, viewers["ada"], limit=2, offset=1) == ["kim@acme.test", "lee@acme.test"]


def test_teams(db: Database, viewers: dict[str, Viewer]) -> None:
    with db.read() as s:
        assert [(t.name, t.members) for t in visible_teams(s, viewers["ada"])] == [("East", 3), ("West", 1)]
        assert [t.name for t in visible_teams(s, viewers["max"])] == ["East"]
        assert visible_teams(s, viewers["lee"]) == []
        west = s.scalars(select(Team.id).where(Team.name == "West")).one()
        east = s.scalars(select(Team.id).where(Team.name == "East")).one()
        assert visible_team(s, viewers["max"], west) is None
        assert visible_team(s, viewers["gil"], east) is None
        team = visible_team(s, viewers["max"], east)
        assert team is not None and set(team.member_ids) == {viewers[k].id for k in ("max", "lee", "kim")}
