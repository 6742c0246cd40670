"""Erasing a person on request (sparring.services.erasure; docs/data-ownership.md) on SQLite and PostgreSQL: every
row of theirs goes — found from the schema, so a table added later is covered —, rows of others that point at them
stay with the reference removed, their files go, nobody else's data changes, the plan says beforehand exactly what
the erasure then does, and an admin cannot erase themselves or the last admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from sparring.services import erasure
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.comments import add_comment
from sparring.services.errors import Conflict, NotFound
from sparring.services.notifications import notify
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.integration_models import IntegrationEventRow
from sparring.store.line_models import TeamLine
from sparring.store.models import Base, ConversationRow, JobRow, Team, User, WinningLine
from sparring.store.voice_models import SpeechTake

SCENARIO = "test-guarded-buyer"


def _rep(practice: PracticeService, who: UserRecord) -> int:
    rep = practice.start_rep(who, SCENARIO)
    practice.submit_turn(rep.id, "What would change for you if the checks ran by themselves?")
    practice.end_rep(rep.id)
    practice.score_rep(rep.id)
    return rep.conversation_id


def _counts(db: Database) -> dict[str, int]:
    with db.read() as s:
        return {t.name: int(s.scalar(select(func.count()).select_from(t)) or 0) for t in Base.metadata.sorted_tables}


def _pointing_at(db: Database, user_id: int, conversations: set[int]) -> list[str]:
    """Every (table, column) that still holds the person's id or one of their conversations' ids."""
    found = []
    with db.read() as s:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                target = fk.column.table.name
                if target == "users":
                    hit = s.scalar(select(func.count()).select_from(table).where(fk.parent == user_id))
                elif target == "conversations" and conversations:
                    hit = s.scalar(select(func.count()).select_from(table).where(fk.parent.in_(conversations)))
                else:
                    continue
                if hit:
                    found.append(f"{table.name}.{fk.parent.name}")
    return found


@pytest.fixture
def people(db: Database) -> dict[str, UserRecord]:
    accounts = Accounts(db)
    return {"admin": accounts.create_user("Acme", "ada@acme.test", None, role="admin", team="East"),
            "manager": accounts.create_user("Acme", "max@acme.test", None, role="manager", team="East"),
            "learner": accounts.create_user("Acme", "lee@acme.test", None, role="learner", team="East"),
            "other": accounts.create_user("Acme", "kim@acme.test", None, role="learner", team="East")}


def _viewer(db: Database, user: UserRecord) -> Viewer:
    with db.read() as s:
        row = s.get(User, user.id)
        assert row is not None
        return Viewer.of(row)


def test_a_person_is_erased_and_nothing_else(db: Database, practice: PracticeService,
                                             people: dict[str, UserRecord], tmp_path: Path) -> None:
    lee, kim, admin = people["learner"], people["other"], people["admin"]
    mine = {_rep(practice, lee), _rep(practice, lee)}
    theirs = _rep(practice, kim)
    recording = tmp_path / "voice" / str(min(mine)) / "1.webm"
    recording.parent.mkdir(parents=True)
    recording.write_bytes(b"audio")
    upload = tmp_path / "uploads" / ("a" * 24)
    upload.mkdir(parents=True)
    (upload / "call.vtt").write_text("WEBVTT", encoding="utf-8")
    with db.session() as s:
        org_id = s.get(User, lee.id).org_id  # type: ignore[union-attr]
        team = s.scalar(select(Team).where(Team.org_id == org_id))
        assert team is not None
        s.add(SpeechTake(conversation_id=min(mine), user_id=lee.id, text="hello", words=[], seconds=1.0, delivery={},
                         audio_path=f"voice/{min(mine)}/1.webm"))
        s.add(WinningLine(user_id=lee.id, org_id=org_id, text="What would change for you?",
                          source_conversation_id=min(mine)))
        s.add(TeamLine(org_id=org_id, team_id=team.id, text="What would change for you?", situation="opening",
                       from_user_id=lee.id, source_conversation_id=min(mine), added_by=people["manager"].id))
        s.add(JobRow(task="import_call", payload={"user_id": lee.id, "upload": f"{'a' * 24}/call.vtt"},
                     run_at=0.0, created_at=0.0, org_id=org_id))
        s.add(JobRow(task="import_call", payload={"user_id": kim.id, "upload": f"{'b' * 24}/call.vtt"},
                     run_at=0.0, created_at=0.0, org_id=org_id))
        notify(s, lee.id, "assigned", "Run the pricing drill")
        add_comment(s, _viewer(db, people["manager"]), min(mine), 1, "Good question here.")
        add_comment(s, _viewer(db, people["manager"]), theirs, 1, "Try a quieter opening.")
    before = _counts(db)
    with db.read() as s:
        planned = erasure.plan(s, org_id, lee.id, admin.id, tmp_path)
    assert _counts(db) == before  # a plan changes nothing
    assert planned.deleted["users"] == 1 and planned.deleted["conversations"] == 2 and planned.deleted["reps"] == 2
    assert planned.deleted["turns"] >= 6 and planned.deleted["scorecards"] == 2
    assert planned.deleted["turn_comments"] == 1
    assert planned.detached == {"team_lines": 1}
    assert planned.files == ["uploads/" + "a" * 24, f"voice/{min(mine)}/1.webm"] and planned.jobs == 1

    done = erasure.erase(db, org_id, lee.id, admin.id, tmp_path)

    after = _counts(db)
    assert done.deleted == planned.deleted
    changed = {t: before[t] - after[t] for t in before if before[t] != after[t]}
    # exactly what the plan said, and the job; the audit log gains the erasure's own row (services.audit)
    assert changed == {**planned.deleted, "jobs": 1, "audit_log": -1}, changed
    assert _pointing_at(db, lee.id, mine) == []
    # the webhooks' outbox: the scoring published rep.scored events naming each learner; Lee's went with Lee
    assert planned.deleted["integration_events"] == 2
    with db.read() as s:
        named = [e.data["user"]["email"] for e in s.scalars(select(IntegrationEventRow)) if "user" in e.data]
    assert "lee@acme.test" not in named and "kim@acme.test" in named
    assert not recording.exists() and not upload.exists()
    with db.read() as s:
        line = s.scalar(select(TeamLine))
        assert line is not None and line.from_user_id is None and line.source_conversation_id is None
        assert s.get(ConversationRow, theirs) is not None  # the other learner's rep and the comment on it stay
        assert s.scalar(select(func.count()).select_from(JobRow)) == 1
    # the address is free again
    assert Accounts(db).create_user("Acme", "lee@acme.test", None, role="learner", team="East").id != lee.id


def test_who_may_be_erased(db: Database, people: dict[str, UserRecord]) -> None:
    admin = people["admin"]
    with db.read() as s:
        org_id = s.get(User, admin.id).org_id  # type: ignore[union-attr]
        with pytest.raises(Conflict, match="cannot erase yourself"):
            erasure.plan(s, org_id, admin.id, admin.id)
        with pytest.raises(NotFound):
            erasure.plan(s, org_id + 1000, people["learner"].id, admin.id)
    stranger = Accounts(db).create_user("Globex", "gus@globex.test", None, role="admin", team="HQ")
    with db.read() as s, pytest.raises(NotFound):  # another organisation's person: as if there were none
        erasure.plan(s, org_id, stranger.id, admin.id)
    second = Accounts(db).create_user("Acme", "bo@acme.test", None, role="admin", team="East")
    erasure.erase(db, org_id, admin.id, second.id)  # another admin remains: allowed
    with db.read() as s, pytest.raises(Conflict, match="last admin"):
        erasure.plan(s, org_id, second.id, people["manager"].id)


def test_a_file_that_cannot_be_deleted_is_named(db: Database, practice: PracticeService,
                                                people: dict[str, UserRecord], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows go in one transaction; a file that then cannot be deleted is not passed over in silence: it is in
    ``problems`` with the reason, for the admin to remove by hand (the page and the CLI say so)."""
    lee, admin = people["learner"], people["admin"]
    rep = _rep(practice, lee)
    recording = tmp_path / "voice" / str(rep) / "1.webm"
    recording.parent.mkdir(parents=True)
    recording.write_bytes(b"audio")
    with db.session() as s:
        org_id = s.get(User, lee.id).org_id  # type: ignore[union-attr]
        s.add(SpeechTake(conversation_id=rep, user_id=lee.id, text="hello", words=[], seconds=1.0, delivery={},
                         audio_path=f"voice/{rep}/1.webm"))

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refuse)
    done = erasure.erase(db, org_id, lee.id, admin.id, tmp_path)
    monkeypatch.undo()
    assert done.problems == [f"voice/{rep}/1.webm: Permission denied"]
    assert recording.exists()
    with db.read() as s:
        assert s.get(User, lee.id) is None  # the rows are gone all the same
