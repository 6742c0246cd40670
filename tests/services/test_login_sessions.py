"""Server-side login sessions on SQLite and PostgreSQL: only a hash of the token is stored, idle and absolute
timeouts (an injected clock, no sleeps), throttled last-seen writes, clean-up on sign-in, and every way a
session ends (logout, sign out everywhere, password reset, role change, deactivation)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from sparring.services import people
from sparring.services.accounts import Accounts
from sparring.services.login_sessions import (
    LoginSessions,
    SessionPolicy,
    agent_summary,
    end_user_sessions,
    token_hash,
)
from sparring.store.audit_models import AuditRow
from sparring.store.db import Database
from sparring.store.models import LoginSession
from sparring.testing.fakes import FakeClock

PASSWORD = "s3cret-pass-long"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"




@pytest.fixture
def sessions(clock: FakeClock) -> LoginSessions:
    return LoginSessions(SessionPolicy(idle_seconds=30 * 60, max_seconds=8 * 3600), clock=clock)


def _rows(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(LoginSession)) or 0)


def _user(db: Database, email: str = "ann@acme.test", role: str = "learner") -> int:
    return Accounts(db).create_user("Acme", email, PASSWORD, role=role, name=email.split("@")[0]).id


def test_a_session_stores_only_a_hash_and_checks_its_user(db: Database, sessions: LoginSessions) -> None:
    uid = _user(db, role="manager")
    token = sessions.start(db, uid, FIREFOX)
    assert len(token) >= 40  # 32 random bytes
    with db.read() as s:
        row = s.scalars(select(LoginSession)).one()
    assert row.token_hash == token_hash(token) != token and token not in (row.token_hash, row.user_agent)
    assert row.user_agent == "Firefox on Linux" and row.expires_at == row.created_at + 8 * 3600
    found = sessions.check(db, token)
    assert found is not None
    assert (found.user_id, found.role, found.email, found.name, found.session_id) == (
        uid, "manager", "ann@acme.test", "ann", row.id)
    assert sessions.check(db, token + "x") is None and sessions.check(db, "") is None
    other = sessions.start(db, uid)
    assert other != token and _rows(db) == 2


def test_logout_and_sign_out_everywhere(db: Database, sessions: LoginSessions) -> None:
    ann, bob = _user(db), _user(db, "bob@acme.test")
    first, second, third = sessions.start(db, ann), sessions.start(db, ann), sessions.start(db, ann)
    bobs = sessions.start(db, bob)
    sessions.end(db, first)
    assert sessions.check(db, first) is None and sessions.check(db, second) is not None
    sessions.end(db, first)  # ending it again is harmless
    assert sessions.end_all(db, ann) == 2
    assert sessions.check(db, second) is None and sessions.check(db, third) is None
    assert sessions.check(db, bobs) is not None and _rows(db) == 1  # other people keep theirs
    assert sessions.end_all(db, bob, via="cli") == 1
    with db.read() as s:  # each sign-out is audited once (ending an ended session is not a sign-out)
        rows = [(r.actor_id, r.target_id, r.via, r.detail) for r in s.scalars(
            select(AuditRow).where(AuditRow.action == "user.signed_out").order_by(AuditRow.id))]
    assert rows == [(ann, str(ann), "web", {"everywhere": False}),
                    (ann, str(ann), "web", {"everywhere": True, "sessions": 2}),
                    (None, str(bob), "cli", {"everywhere": True, "sessions": 1, "by": "the operator"})]


def test_idle_timeout_and_throttled_last_seen(db: Database, sessions: LoginSessions, clock: FakeClock) -> None:
    uid = _user(db)
    token = sessions.start(db, uid)
    writes: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(10):  # ten requests within a minute: no write
            clock.now += 5
            assert sessions.check(db, token) is not None
        assert writes == []
        clock.now += 11  # a minute since the last write: one write, then none again for a minute
        assert sessions.check(db, token) is not None and len(writes) == 1
        assert sessions.check(db, token) is not None and len(writes) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # the session stays alive while used, then ends 30 minutes after the last recorded use
    for _ in range(6):
        clock.now += 29 * 60
        assert sessions.check(db, token) is not None
    clock.now += 30 * 60 - 1
    assert sessions.check(db, token) is not None
    clock.now += 30 * 60
    assert sessions.check(db, token) is None


def test_absolute_timeout_even_when_used(db: Database, sessions: LoginSessions, clock: FakeClock) -> None:
    uid = _user(db)
    started = clock.now
    token = sessions.start(db, uid)
    for _ in range(16):  # used every 30 minutes (less a second) for 8 hours
        clock.now += 30 * 60 - 1
        assert sessions.check(db, token) is not None
    clock.now = started + 8 * 3600 - 1
    assert sessions.check(db, token) is not None  # one second before the absolute timeout
    clock.now += 1
    assert sessions.check(db, token) is None
    # a shortened absolute timeout applies to sessions that began under the longer one
    longer = LoginSessions(SessionPolicy(idle_seconds=3 * 3600, max_seconds=8 * 3600), clock=clock)
    shorter = LoginSessions(SessionPolicy(idle_seconds=3 * 3600, max_seconds=3600), clock=clock)
    token = longer.start(db, uid)
    clock.now += 2 * 3600
    assert shorter.check(db, token) is None and longer.check(db, token) is not None


def test_signing_in_deletes_timed_out_sessions(db: Database, sessions: LoginSessions, clock: FakeClock) -> None:
    ann, bob = _user(db), _user(db, "bob@acme.test")
    idle = sessions.start(db, ann)
    clock.now += 20 * 60
    busy = sessions.start(db, bob)
    clock.now += 15 * 60  # `idle` is 35 minutes old and unused; `busy` 15 minutes
    assert sessions.check(db, idle) is None and _rows(db) == 2  # a check only reads
    fresh = sessions.start(db, bob)
    assert _rows(db) == 2 and sessions.check(db, busy) is not None and sessions.check(db, fresh) is not None
    with db.read() as s:
        assert set(s.scalars(select(LoginSession.user_id))) == {bob}
    clock.now += 9 * 3600  # both past the absolute timeout
    sessions.start(db, ann)
    assert _rows(db) == 1


def test_a_new_sign_in_replaces_the_browsers_previous_session(db: Database, sessions: LoginSessions) -> None:
    ann, bob = _user(db), _user(db, "bob@acme.test")
    before = sessions.start(db, ann)
    after = sessions.start(db, bob, replaces=before)
    assert sessions.check(db, before) is None and sessions.check(db, after) is not None and _rows(db) == 1


def test_the_list_of_a_users_sessions(db: Database, sessions: LoginSessions, clock: FakeClock) -> None:
    ann, bob = _user(db), _user(db, "bob@acme.test")
    old = sessions.start(db, ann, FIREFOX)
    clock.now += 60
    sessions.start(db, ann, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Safari/605.1")
    sessions.start(db, bob)
    clock.now += 60
    assert sessions.check(db, old) is not None  # touched: now the most recently used
    listed = sessions.list_for(db, ann)
    assert [i.agent for i in listed] == ["Firefox on Linux", "Safari on iOS"]
    assert listed[0].last_seen_at == clock.now and listed[0].expires_at == listed[0].created_at + 8 * 3600
    clock.now += 31 * 60
    assert sessions.list_for(db, ann) == []  # timed out sessions are not listed


def test_password_reset_role_change_and_deactivation_end_sessions(db: Database, sessions: LoginSessions) -> None:
    admin = _user(db, "boss@acme.test", role="admin")
    uid = _user(db)
    org_id = Accounts(db).get_user(uid).org_id
    admin_token = sessions.start(db, admin)

    token = sessions.start(db, uid)
    with db.session() as s:
        people.reset_password(s, org_id, uid, "a new password")
    assert sessions.check(db, token) is None

    token = sessions.start(db, uid)
    with db.session() as s:  # the same role again is no change: the session stays
        people.set_role(s, org_id, uid, "learner", admin)
    assert sessions.check(db, token) is not None
    with db.session() as s:
        people.set_role(s, org_id, uid, "manager", admin)
    assert sessions.check(db, token) is None
    token = sessions.start(db, uid)
    found = sessions.check(db, token)
    assert found is not None and found.role == "manager"  # a new session sees the new role

    with db.session() as s:  # activating is no reason to end anything
        people.set_active(s, org_id, uid, True, admin)
    assert sessions.check(db, token) is not None
    with db.session() as s:
        people.set_active(s, org_id, uid, False, admin)
    assert sessions.check(db, token) is None

    Accounts(db).set_active(uid, True)
    token = sessions.start(db, uid)
    Accounts(db).set_password(uid, "yet another password")  # `sparring users set-password`
    assert sessions.check(db, token) is None
    token = sessions.start(db, uid)
    Accounts(db).set_active(uid, False)
    assert sessions.check(db, token) is None
    assert sessions.check(db, admin_token) is not None  # nobody else's session ended
    with db.session() as s:
        assert end_user_sessions(s, admin) == 1


def test_a_deactivated_users_session_is_refused_even_if_its_row_remains(
    db: Database, sessions: LoginSessions
) -> None:
    """Defence in depth: the check joins the user, so a row left behind by a direct database edit does not
    outlive the account."""
    from sparring.store.models import User

    uid = _user(db)
    token = sessions.start(db, uid)
    with db.session() as s:
        user = s.get(User, uid)
        assert user is not None
        user.is_active = False
    assert _rows(db) == 1 and sessions.check(db, token) is None


@pytest.mark.parametrize(("header", "summary"), [
    (FIREFOX, "Firefox on Linux"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0",
     "Edge on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15",
     "Safari on macOS"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36", "Chrome on Android"),
    ("curl/8.5.0", "curl"),
    ("", "Unknown browser"),
    (None, "Unknown browser"),
    ("x" * 10_000 + "\x00<script>", "Other client"),
])
def test_user_agent_summary_is_short_and_never_the_raw_header(header: str | None, summary: str) -> None:
    assert agent_summary(header) == summary


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SessionPolicy(idle_seconds=0)
    policy = SessionPolicy.of_minutes(2, 1)
    assert (policy.idle_seconds, policy.max_seconds, policy.touch_every) == (120, 3600, 30)
    assert SessionPolicy().touch_every == 60
