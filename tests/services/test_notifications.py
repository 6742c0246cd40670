"""In-app notifications (sparring.services.notifications) on SQLite and PostgreSQL: written once per key, read and
marked only by their user, links kept inside the app."""

from __future__ import annotations

from sparring.services.accounts import Accounts
from sparring.services.notifications import (
    list_notifications,
    mark_all_read,
    notify,
    open_notification,
    unread_count,
)
from sparring.services.records import UserRecord
from sparring.store.db import Database


def test_notifications_are_the_users_own_and_keyed_ones_happen_once(db: Database, learner: UserRecord) -> None:
    kim = Accounts(db).create_user("Acme", "kim@acme.test", None, role="learner")
    with db.session() as s:
        assert notify(s, learner.id, "assigned", "Max assigned you X", "/assignments")
        assert notify(s, learner.id, "due_soon", "Due tomorrow", "/assignments", key="due_soon:1")
        assert not notify(s, learner.id, "due_soon", "Due tomorrow again", "/assignments", key="due_soon:1")
        assert notify(s, learner.id, "comment", "outside", "https://evil.example/")  # the link is dropped
        assert notify(s, kim.id, "assigned", "Kim's", "//evil.example/")
    with db.read() as s:
        mine = list_notifications(s, learner.id)
        assert [(n.kind, n.text, n.link) for n in mine] == [("comment", "outside", ""),
                                                           ("due_soon", "Due tomorrow", "/assignments"),
                                                           ("assigned", "Max assigned you X", "/assignments")]
        assert unread_count(s, learner.id) == 3 and unread_count(s, kim.id) == 1
        assert list_notifications(s, kim.id)[0].link == ""
    kims = list_notifications_id(db, kim.id)
    with db.session() as s:
        assert open_notification(s, learner.id, kims) is None  # not theirs
        assert open_notification(s, learner.id, mine[1].id) == "/assignments"
        assert open_notification(s, learner.id, mine[0].id) == "/notifications"  # no link: the list
    with db.read() as s:
        assert unread_count(s, learner.id) == 1 and unread_count(s, kim.id) == 1
    with db.session() as s:
        assert mark_all_read(s, learner.id) == 1
    with db.read() as s:
        assert unread_count(s, learner.id) == 0 and unread_count(s, kim.id) == 1
        assert all(n.read for n in list_notifications(s, learner.id))


def list_notifications_id(db: Database, user_id: int) -> int:
    with db.read() as s:
        return list_notifications(s, user_id)[0].id
