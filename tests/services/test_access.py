"""The one access rule over conversations, on both backends: who sees which conversation and how much."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sparring.conversation.model import Conversation, Turn
from sparring.services.access import (
    Access,
    Viewer,
    conversation_access,
    get_own_rep,
    get_visible_conversation,
    get_visible_rep,
    visible_conversations,
)
from sparring.services.accounts import Accounts
from sparring.services.conversation_store import store_call
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import ConversationRow, User

SCENARIO = "test-guarded-buyer"


def _viewer(db: Database, user: UserRecord) -> Viewer:
    with db.read() as s:
        row = s.get(User, user.id)
        assert row is not None
        return Viewer.of(row)


def _call(db: Database, user: UserRecord, title: str, private: bool = False) -> int:
    turns = [Turn(index=0, speaker="Pat", role="counterpart", text="Hello."),
             Turn(index=1, speaker="Lee", role="learner", text="What matters most to you?")]
    return store_call(db, user.id, Conversation(source="call", title=title, turns=turns), private=private)


@pytest.fixture
def people(db: Database, learner: UserRecord) -> dict[str, UserRecord]:
    """Acme: learners lee (East, the ``learner`` fixture) and ann (West), manager mia (East), admin ada (no team);
    Globex: admin gus."""
    accounts = Accounts(db)
    return {
        "lee": learner,
        "ann": accounts.create_user("Acme", "ann@acme.test", None, role="learner", team="West"),
        "mia": accounts.create_user("Acme", "mia@acme.test", None, role="manager", team="East"),
        "ada": accounts.create_user("Acme", "ada@acme.test", None, role="admin"),
        "gus": accounts.create_user("Globex", "gus@globex.test", None, role="admin"),
    }


#: viewer -> conversation -> the access they get (lee's call, lee's private call, lee's private rep, ann's call)
EXPECTED = {
    "lee": {"lee_call": Access.FULL, "lee_private": Access.FULL, "lee_rep": Access.FULL, "ann_call": Access.NONE},
    "ann": {"lee_call": Access.NONE, "lee_private": Access.NONE, "lee_rep": Access.NONE, "ann_call": Access.FULL},
    "mia": {"lee_call": Access.FULL, "lee_private": Access.SUMMARY, "lee_rep": Access.SUMMARY,
            "ann_call": Access.NONE},
    "ada": {"lee_call": Access.FULL, "lee_private": Access.SUMMARY, "lee_rep": Access.SUMMARY,
            "ann_call": Access.FULL},
    "gus": {"lee_call": Access.NONE, "lee_private": Access.NONE, "lee_rep": Access.NONE, "ann_call": Access.NONE},
}


def test_one_rule_for_calls_and_reps_and_the_list_query_agrees(
    db: Database, practice: PracticeService, people: dict[str, UserRecord]
) -> None:
    rep = practice.start_rep(people["lee"], SCENARIO, private=True)
    ids = {
        "lee_call": _call(db, people["lee"], "Renewal call"),
        "lee_private": _call(db, people["lee"], "Private call", private=True),
        "lee_rep": rep.conversation_id,
        "ann_call": _call(db, people["ann"], "Ann's call"),
    }
    for name, expected in EXPECTED.items():
        viewer = _viewer(db, people[name])
        with db.read() as s:
            got = {key: conversation_access(s, viewer, s.get(ConversationRow, cid)) for key, cid in ids.items()}
            listed = set(s.scalars(visible_conversations(viewer).with_only_columns(ConversationRow.id)))
            assert got == expected, name
            # the list query is the same rule: it lists exactly what the viewer may see at least in summary
            assert listed == {ids[k] for k, a in expected.items() if a is not Access.NONE}, name
            for key, cid in ids.items():
                found = get_visible_conversation(s, viewer, cid)
                assert (found[1] if found else Access.NONE) is expected[key], (name, key)
            # a rep is seen exactly as its conversation; only its owner may act on it
            found_rep = get_visible_rep(s, viewer, rep.id)
            assert (found_rep[1] if found_rep else Access.NONE) is expected["lee_rep"]
            assert (get_own_rep(s, viewer, rep.id) is not None) is (name == "lee")


def test_unknown_and_out_of_range_ids_are_not_found(db: Database, people: dict[str, UserRecord]) -> None:
    viewer = _viewer(db, people["ada"])
    with db.read() as s:
        assert conversation_access(s, viewer, None) is Access.NONE
        for bad in (0, -1, 999_999, 2**70):
            assert get_visible_conversation(s, viewer, bad) is None
            assert get_visible_rep(s, viewer, bad) is None
        assert s.scalar(select(ConversationRow.id)) is None
