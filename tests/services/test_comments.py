"""Comments on a turn (sparring.services.comments) on SQLite and PostgreSQL: a manager who sees a rep in full
comments on any of its turns, the learner reads them and is notified, and nobody else comments or reads."""

from __future__ import annotations

import pytest
import sparring_test_support as support
from sqlalchemy import select

from sparring.services.access import Access, Viewer
from sparring.services.accounts import Accounts
from sparring.services.comments import add_comment, comment_count, comments_for, may_comment
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.audit_models import AuditRow
from sparring.store.coaching_models import NotificationRow
from sparring.store.db import Database
from sparring.store.models import Rep


def viewer(u: UserRecord) -> Viewer:
    return Viewer(id=u.id, org_id=u.org_id, role=u.role, name=u.name or u.email, email=u.email)


def _conversation(db: Database, rep_id: int) -> int:
    with db.read() as s:
        cid = s.scalar(select(Rep.conversation_id).where(Rep.id == rep_id))
        assert cid is not None
        return cid


def test_a_manager_comments_on_a_turn_and_the_learner_sees_it(db: Database, practice: PracticeService,
                                                               learner: UserRecord) -> None:
    acc = Accounts(db)
    max_ = acc.create_user("Acme", "max@acme.test", None, role="manager", team="East", name="Max")
    wes = acc.create_user("Acme", "wes@acme.test", None, role="manager", team="West", name="Wes")
    kim = acc.create_user("Acme", "kim@acme.test", None, role="learner", team="East", name="Kim")
    rep = support.scored_rep(practice, learner, "What matters most?", "We can do that.")
    cid = _conversation(db, rep)
    with db.session() as s:
        made = add_comment(s, viewer(max_), cid, 1, "  Good open question.\nKeep it.  ")
    assert (made.turn_index, made.author, made.text) == (1, "Max", "Good open question.\nKeep it.")
    with db.session() as s:
        add_comment(s, viewer(max_), cid, 3, "Ask before you promise.")
    with db.read() as s:
        seen = comments_for(s, viewer(learner), cid)
        assert {k: [c.text for c in v] for k, v in seen.items()} == {1: ["Good open question.\nKeep it."],
                                                                     3: ["Ask before you promise."]}
        assert comments_for(s, viewer(max_), cid).keys() == {1, 3}
        assert comments_for(s, viewer(kim), cid) == {} and comments_for(s, viewer(wes), cid) == {}
        logged = [(r.actor_id, r.target_id, r.detail) for r in s.scalars(
            select(AuditRow).where(AuditRow.action == "comment.added").order_by(AuditRow.id))]
        assert logged == [
            (max_.id, str(cid), {"turn": 1, "owner": learner.email, "comment_id": made.id, "chars": 28}),
            (max_.id, str(cid), {"turn": 3, "owner": learner.email, "comment_id": made.id + 1, "chars": 23})]
        assert comment_count(s, cid) == 2
        notes = list(s.scalars(select(NotificationRow).where(NotificationRow.user_id == learner.id)))
        assert [(n.kind, n.link) for n in notes] == [("comment", f"/reps/{rep}/scorecard#turn-1"),
                                                     ("comment", f"/reps/{rep}/scorecard#turn-3")]
    for who in (wes, kim, learner):  # another team's manager, a colleague, the owner: none may comment
        with pytest.raises(NotFound), db.session() as s:
            add_comment(s, viewer(who), cid, 1, "Hello")
    with pytest.raises(InvalidInput, match="turn: the conversation has no turn 99"), db.session() as s:
        add_comment(s, viewer(max_), cid, 99, "Hello")
    with pytest.raises(InvalidInput, match="comment"), db.session() as s:
        add_comment(s, viewer(max_), cid, 1, "   ")


def test_a_private_rep_cannot_be_commented_on_by_the_manager(db: Database, practice: PracticeService,
                                                             learner: UserRecord) -> None:
    max_ = Accounts(db).create_user("Acme", "max@acme.test", None, role="manager", team="East")
    rep = support.scored_rep(practice, learner, "Just me?", private=True)
    cid = _conversation(db, rep)
    with pytest.raises(NotFound), db.session() as s:
        add_comment(s, viewer(max_), cid, 1, "Hello")
    assert may_comment(viewer(max_), learner.id, Access.SUMMARY) is False
    assert may_comment(viewer(max_), learner.id, Access.FULL) is True
    assert may_comment(viewer(learner), learner.id, Access.FULL) is False
