"""A team's library of winning lines (sparring.services.team_lines) on SQLite and PostgreSQL: managers curate their
teams' libraries (a learner's saved line or their own words), learners read their teams', private reps' lines are
not offered, and nothing crosses teams or organisations."""

from __future__ import annotations

import pytest
import sparring_test_support as support

from sparring.coaching.winning_lines import save_line
from sparring.services import team_lines
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import Team, User


def _viewer(db: Database, who: UserRecord) -> Viewer:
    with db.read() as s:
        user = s.get(User, who.id)
        assert user is not None
        return Viewer.of(user)


def _team(db: Database, org_id: int, name: str) -> int:
    with db.read() as s:
        team_id = s.query(Team.id).filter(Team.org_id == org_id, Team.name == name).scalar()
        assert team_id is not None
        return int(team_id)


def test_managers_curate_and_team_members_read(db: Database, practice: PracticeService) -> None:
    accounts = Accounts(db)
    lee = accounts.create_user("Acme", "lee@acme.test", None, role="learner", team="East", name="Lee")
    ola = accounts.create_user("Acme", "ola@acme.test", None, role="learner", team="West")
    max_ = _viewer(db, accounts.create_user("Acme", "max@acme.test", None, role="manager", team="East"))
    admin = _viewer(db, accounts.create_user("Acme", "ada@acme.test", None, role="admin"))
    bob = _viewer(db, accounts.create_user("Globex", "bob@globex.test", None, role="manager", team="East"))
    east, west = _team(db, lee.org_id, "East"), _team(db, lee.org_id, "West")
    rep = support.scored_rep(practice, lee, "What would a late report cost you?", "Could we trade volume for price?")
    hidden = support.scored_rep(practice, lee, "Is budget the real worry here?", private=True)
    ola_rep = support.scored_rep(practice, ola, "Who else decides on this?")
    with db.session() as s:
        lees = save_line(s, lee, rep, 1, "cost question").id
        private_line = save_line(s, lee, hidden, 1, "budget").id
        olas = save_line(s, ola, ola_rep, 1, "decision makers").id
    with db.read() as s:
        offered = {c.id for c in team_lines.candidate_lines(s, max_)}
        assert offered == {lees}  # not Ola's (another team), not Lee's private rep's line
        assert {c.id for c in team_lines.candidate_lines(s, admin)} == {lees, olas}
        assert team_lines.candidate_lines(s, _viewer(db, lee)) == []
    with db.session() as s:
        from_lee = team_lines.add_line(s, max_, east, situation="discovery", skill="discovery", from_line_id=lees)
        assert (from_lee.text, from_lee.from_user_id) == ("What would a late report cost you?", lee.id)
        written = team_lines.add_line(s, max_, east, situation="price objection",
                                      text="  What would make the price feel fair to you? ")
        assert written.text == "What would make the price feel fair to you?" and written.from_user_id is None
        again = team_lines.add_line(s, max_, east, situation="pain", from_line_id=lees)
        assert again.id == from_lee.id and again.situation == "pain"  # the same words: re-tagged
        team_lines.add_line(s, admin, west, situation="decision", from_line_id=olas)
        for bad, kwargs in [
            (west, {"situation": "x", "text": "Not my team"}),  # Max does not manage West
            (east, {"situation": "x", "from_line_id": private_line}),
            (east, {"situation": "x", "from_line_id": olas}),  # a learner outside Max's teams
            (10**9, {"situation": "x", "text": "No team"}),
        ]:
            with pytest.raises(NotFound):
                team_lines.add_line(s, max_, bad, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(NotFound):
            team_lines.add_line(s, bob, east, situation="x", text="Other org")
        with pytest.raises(NotFound):
            team_lines.add_line(s, _viewer(db, lee), east, situation="x", text="Learners do not curate")
        with pytest.raises(InvalidInput, match="situation"):
            team_lines.add_line(s, max_, east, situation=" ", text="No situation")
        with pytest.raises(InvalidInput, match="text"):
            team_lines.add_line(s, max_, east, situation="x", text="")
    with db.read() as s:
        lee_sees = team_lines.library_for(s, _viewer(db, lee))
        assert [(v.situation, v.text, v.said_by, v.team) for v in lee_sees] == [
            ("pain", "What would a late report cost you?", "Lee", "East"),
            ("price objection", "What would make the price feel fair to you?", "", "East")]
        assert [v.situation for v in team_lines.library_for(s, _viewer(db, lee), "pain")] == ["pain"]
        assert [v.team for v in team_lines.library_for(s, _viewer(db, ola))] == ["West"]
        assert {v.team for v in team_lines.managed_library(s, max_)} == {"East"}
        assert {v.team for v in team_lines.managed_library(s, admin)} == {"East", "West"}
        assert team_lines.library_for(s, bob) == [] and team_lines.managed_library(s, bob) == []
    with db.session() as s:
        with pytest.raises(NotFound):
            team_lines.remove_line(s, bob, written.id)
        with pytest.raises(NotFound):
            team_lines.remove_line(s, _viewer(db, lee), written.id)
        team_lines.remove_line(s, max_, written.id)
        with pytest.raises(NotFound):
            team_lines.remove_line(s, max_, written.id)
    with db.read() as s:
        assert [v.text for v in team_lines.library_for(s, _viewer(db, lee))] == ["What would a late report cost you?"]


def test_members_keep_library_lines_for_review(db: Database, practice: PracticeService) -> None:
    from datetime import UTC, datetime, timedelta

    from sparring.coaching.winning_lines import due_lines, list_lines

    accounts = Accounts(db)
    lee = _viewer(db, accounts.create_user("Acme", "lee@acme.test", None, role="learner", team="East"))
    ola = _viewer(db, accounts.create_user("Acme", "ola@acme.test", None, role="learner", team="West"))
    max_ = _viewer(db, accounts.create_user("Acme", "max@acme.test", None, role="manager", team="East"))
    east = _team(db, lee.org_id, "East")
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with db.session() as s:
        line = team_lines.add_line(s, max_, east, situation="budget", text="What would the budget need to cover?")
        kept = team_lines.keep_line(s, lee, line.id, now)
        assert (kept.text, kept.situation, kept.source_conversation_id) == (line.text, "budget", None)
        assert team_lines.keep_line(s, lee, line.id, now).id == kept.id  # kept once
        with pytest.raises(NotFound):
            team_lines.keep_line(s, ola, line.id, now)  # not her team's library
        with pytest.raises(NotFound):
            team_lines.keep_line(s, lee, 10**9, now)
    with db.read() as s:
        assert [v.text for v in list_lines(s, lee)] == ["What would the budget need to cover?"]
        assert [d.id for d in due_lines(s, lee, now + timedelta(days=1))] == [kept.id]
        assert list_lines(s, ola) == []
