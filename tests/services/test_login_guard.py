"""The login guard on both databases, with an injected clock (no sleeps): pair backoff, the slow capped account
component, known clients, per-client and global limits, one argon2 verification per attempt whatever the
account, inputs refused before hashing, and the second factor's codes counted like passwords."""

from __future__ import annotations

import logging
from typing import Any

import pyotp
import pytest
from sqlalchemy import event, func, insert, select

from sparring.services.accounts import Accounts
from sparring.services.login_guard import FACTOR_UNREADABLE, GuardLimits, LoginGuard, backoff, network_of
from sparring.services.second_factor import SecondFactor
from sparring.settings import reset_settings_cache
from sparring.store.audit_models import AuditRow
from sparring.store.db import Database
from sparring.store.models import LoginChallenge, LoginFailure, User
from sparring.testing.fakes import FakeClock

PASSWORD = "paper lantern harbour"
ANN = "ann@acme.test"




@pytest.fixture
def guard(clock: FakeClock) -> LoginGuard:
    return LoginGuard(clock=clock)


@pytest.fixture
def ann(db: Database) -> int:
    return Accounts(db).create_user("Acme", ANN, PASSWORD, role="admin", name="Ann").id


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts argon2 verifications (the light test hasher of conftest.py, wrapped)."""
    import sparring.services.accounts as accounts

    hasher = accounts._hasher()
    calls: list[str] = []

    class Counting:
        def verify_and_update(self, password: str, digest: str) -> Any:
            calls.append(digest)
            return hasher.verify_and_update(password, digest)

        def hash(self, password: str) -> str:
            return hasher.hash(password)

    counting = Counting()
    monkeypatch.setattr(accounts, "_hasher", lambda: counting)
    return calls


def _rows(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(LoginFailure)) or 0)


def test_backoff_numbers() -> None:
    assert [backoff(n, 5, 1.0, 900) for n in (0, 4, 5, 6, 7, 14, 15, 40, 10**6)] == [
        0, 0, 1, 2, 4, 512, 900, 900, 900]


def test_pair_backoff_doubles_caps_and_a_success_clears_it(db: Database, ann: int, guard: LoginGuard,
                                                           clock: FakeClock) -> None:
    for _ in range(5):  # five free failures
        assert guard.login(db, ANN, "wrong guess here", "10.0.0.1").outcome == "wrong"
    waits = []
    for _ in range(12):
        refused = guard.login(db, ANN, PASSWORD, "10.0.0.1")  # even the right password waits
        assert refused.outcome == "throttled" and refused.scope == "pair"
        waits.append(refused.retry_after)
        clock.now += refused.retry_after
        assert guard.login(db, ANN, "wrong guess here", "10.0.0.1").outcome == "wrong"
    assert waits[:4] == [1, 2, 4, 8] and waits[-1] == 900 and max(waits) == 900
    # another address is not slowed by this pair (Ann has no known client yet, but the account component allows
    # 10 failures before it waits, and then at most a minute)
    other = guard.login(db, ANN, PASSWORD, "10.0.0.2")
    assert other.outcome == "throttled" and other.scope == "account" and other.retry_after <= 60
    clock.now += 60
    assert guard.login(db, ANN, PASSWORD, "10.0.0.2").outcome == "ok"
    clock.now += 900
    assert guard.login(db, ANN, PASSWORD, "10.0.0.1").outcome == "ok"
    # the pair's failures are gone: five free failures again
    for _ in range(5):
        assert guard.login(db, ANN, "wrong guess here", "10.0.0.1").outcome == "wrong"
    assert guard.login(db, ANN, "wrong guess here", "10.0.0.1").outcome == "throttled"


def test_spellings_of_one_address_share_one_budget_of_guesses(db: Database, ann: int, guard: LoginGuard) -> None:
    """A full-width domain, capitals and spaces are the same account to the password check, so they are the same
    key to the limits: five free failures in all, not five per spelling (found while factoring the guard)."""
    spellings = [ANN, "ANN@ACME.TEST", " ann@acme.test ", "ann@\uff41\uff43\uff4d\uff45.test", "Ann@Acme.Test"]
    for spelling in spellings:
        assert guard.login(db, spelling, "wrong guess here", "10.0.0.1").outcome == "wrong"
    refused = guard.login(db, "ann@\uff41cme.test", "wrong guess here", "10.0.0.1")
    assert refused.outcome == "throttled" and refused.scope == "pair"
    assert guard.wait_for(db, "ANN@acme.TEST", "10.0.0.1")[0] > 0
    # an address email-validator refuses is still counted, as typed
    for _ in range(5):
        assert guard.login(db, "learner@localhost", "wrong guess here", "10.0.0.1").outcome == "wrong"
    assert guard.login(db, "LEARNER@localhost", "wrong guess here", "10.0.0.1").outcome == "throttled"


def test_a_stranger_cannot_keep_the_owner_out(db: Database, ann: int, guard: LoginGuard, clock: FakeClock) -> None:
    assert guard.login(db, ANN, PASSWORD, "192.0.2.10").outcome == "ok"  # the owner's usual address
    clock.now += 3600
    # a distributed attack: 60 addresses, each staying under its own pair's free failures
    tried = 0
    for n in range(60):
        result = guard.login(db, ANN, f"guess number {n}", f"198.51.100.{n}")
        tried += result.outcome == "wrong"
        if result.outcome == "throttled":
            assert result.scope == "account" and result.retry_after <= 60
            clock.now += result.retry_after
    assert tried < 60
    # the owner from their usual address: no wait at all
    assert guard.login(db, ANN, PASSWORD, "192.0.2.10").outcome == "ok"
    # the owner from a new address: waits at most the account cap (a minute), never the pair cap
    fresh = guard.login(db, ANN, PASSWORD, "203.0.113.5")
    assert fresh.outcome in ("ok", "throttled") and fresh.retry_after <= 60
    clock.now += 60
    assert guard.login(db, ANN, PASSWORD, "203.0.113.5").outcome == "ok"


def test_client_and_global_limits(db: Database, ann: int, clock: FakeClock) -> None:
    guard = LoginGuard(GuardLimits(client_limit=4, client_window=600, global_limit=6, global_window=600), clock)
    assert guard.login(db, ANN, PASSWORD, "10.1.1.1").outcome == "ok"  # a known pair of that client
    for n in range(4):  # spraying four accounts from one address
        assert guard.login(db, f"user{n}@acme.test", "wrong guess here", "10.9.9.9").outcome == "wrong"
        clock.now += 10
    sprayed = guard.login(db, "user9@acme.test", "wrong guess here", "10.9.9.9")
    assert sprayed.outcome == "throttled" and sprayed.scope == "client"
    assert sprayed.retry_after == pytest.approx(600 - 40)
    for n in range(2):  # two more failures elsewhere reach the installation's limit
        assert guard.login(db, f"x{n}@acme.test", "wrong guess here", f"10.8.8.{n}").outcome == "wrong"
    blocked = guard.login(db, "someone@acme.test", "wrong guess here", "10.7.7.7")
    assert blocked.outcome == "throttled" and blocked.scope == "global"
    # a known pair is exempt from the shared limits
    assert guard.login(db, ANN, PASSWORD, "10.1.1.1").outcome == "ok"
    clock.now += 600
    assert guard.login(db, "someone@acme.test", "wrong guess here", "10.7.7.7").outcome == "wrong"


def test_failures_are_shared_between_guards_and_old_rows_are_deleted(db: Database, ann: int, clock: FakeClock) -> None:
    first, second = LoginGuard(clock=clock), LoginGuard(clock=clock)  # two workers
    for n in range(5):
        assert (first if n % 2 else second).login(db, ANN, "wrong guess here", "10.0.0.1").outcome == "wrong"
    assert first.login(db, ANN, PASSWORD, "10.0.0.1").outcome == "throttled"
    assert second.wait_for(db, " ANN@acme.test ", "10.0.0.1")[0] == pytest.approx(1)
    assert _rows(db) == 5 * 4  # pair, account, client, installation
    with db.read() as s:  # keys only: no stored addresses
        assert not {k for k in s.scalars(select(LoginFailure.key)) if "acme" in k or "10.0" in k}
    clock.now += 24 * 3600 + 1
    assert first.login(db, "bob@acme.test", "wrong guess here", "10.0.0.3").outcome == "wrong"
    assert _rows(db) == 4  # the day-old failures went


def test_every_attempt_costs_one_verification_whatever_the_account(db: Database, ann: int, guard: LoginGuard,
                                                                    verifications: list[str]) -> None:
    Accounts(db).set_active(Accounts(db).create_user("Acme", "gone@acme.test", PASSWORD).id, False)
    for email in (ANN, "nobody@acme.test", "gone@acme.test", "not an address", "learner@localhost"):
        before = len(verifications)
        assert guard.login(db, email, "wrong guess here", "10.0.0.9").outcome == "wrong"
        assert len(verifications) == before + 1, email
    digests = set(verifications)  # the dummy hash is made by the same hasher, with the same parameters
    assert len(digests) == 2 and all(d.startswith("$argon2id$v=19$m=1024,t=1,p=1$") for d in digests)


def test_failed_sign_ins_are_audited_for_their_account_without_a_second_lookup(db: Database, ann: int,
                                                                                guard: LoginGuard) -> None:
    Accounts(db).set_active(Accounts(db).create_user("Acme", "gone@acme.test", PASSWORD).id, False)
    with db.session() as s:  # the CLI's local learner: an address email-validator refuses, looked up as typed
        s.add(User(org_id=s.scalar(select(User.org_id).where(User.id == ann)), email="learner@localhost", name="",
                   role="learner", password_hash=None, is_active=True))
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert guard.login(db, "Ann@ACME.test", "wrong guess here", "10.0.0.7").outcome == "wrong"
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len([q for q in statements if q.lstrip().upper().startswith("SELECT") and "FROM users" in q]) == 1
    for email in ("gone@acme.test", "learner@localhost", "nobody@acme.test", "not an address"):
        assert guard.login(db, email, "wrong guess here", "10.0.0.7").outcome == "wrong"
    with db.read() as s:
        logged = [(r.detail["email"], r.detail["reason"]) for r in s.scalars(
            select(AuditRow).where(AuditRow.action == "user.sign_in_failed").order_by(AuditRow.id))]
    assert logged == [(ANN, "wrong password"), ("gone@acme.test", "wrong password"),
                      ("learner@localhost", "wrong password")]


@pytest.mark.parametrize(("email", "password", "field"), [
    ("ann\x00@acme.test", PASSWORD, "email"),
    (ANN, "paper\x00lantern harbour", "password"),
    ("ann\ud800@acme.test", PASSWORD, "email"),
    (ANN, "paper lantern \udfff", "password"),
    (ANN, "x" * 257, "password"),
    ("a" * 400 + "@acme.test", PASSWORD, "email"),
])
def test_malformed_input_is_refused_before_hashing(db: Database, ann: int, guard: LoginGuard,
                                                   verifications: list[str], email: str, password: str,
                                                   field: str) -> None:
    result = guard.login(db, email, password, "10.0.0.1")
    assert result.outcome == "invalid" and result.problem and result.problem.startswith(field + ":")
    assert len(result.problem) < 120 and "x" * 20 not in result.problem and "a" * 20 not in result.problem
    assert verifications == [] and _rows(db) == 0


def test_network_of_groups_ipv6_by_64_and_unwraps_mapped_ipv4() -> None:
    assert network_of("2001:db8:1:2:aaaa::1") == network_of("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert network_of("2001:db8:1:3::1") != network_of("2001:db8:1:2::1")
    assert network_of("::ffff:192.0.2.1") == "192.0.2.1" == network_of(" 192.0.2.1 ")
    assert network_of(None) == "unknown" and network_of("testclient") == "testclient"
    assert len(network_of("z" * 5000)) == 100


def _enrol(db: Database, user_id: int, clock: FakeClock) -> tuple[pyotp.TOTP, list[str]]:
    factor = SecondFactor(db, clock=clock)
    enrolment = factor.begin(user_id)
    totp = pyotp.TOTP(enrolment.secret)
    codes = factor.confirm(user_id, totp.at(clock.now))
    return totp, codes


def test_second_factor_codes_are_required_checked_once_and_throttled(db: Database, ann: int, guard: LoginGuard,
                                                                     clock: FakeClock) -> None:
    totp, recovery = _enrol(db, ann, clock)
    clock.now += 30
    assert guard.login(db, ANN, PASSWORD, "10.0.0.1").outcome == "code_required"
    assert guard.login(db, ANN, "wrong guess here", "10.0.0.1", "123456").outcome == "wrong"  # password first
    assert guard.login(db, ANN, PASSWORD, "10.0.0.1", totp.at(clock.now)).outcome == "ok"
    # the same code again (the same 30-second step) is refused: no replay
    assert guard.login(db, ANN, PASSWORD, "10.0.0.1", totp.at(clock.now)).outcome == "wrong_code"
    clock.now += 30
    assert guard.login(db, ANN, PASSWORD, "10.0.0.1", totp.at(clock.now - 30)).outcome == "wrong_code"  # older
    assert guard.login(db, ANN, PASSWORD, "10.0.0.1", recovery[0].upper()).outcome == "ok"
    assert guard.login(db, ANN, PASSWORD, "10.0.0.1", recovery[0]).outcome == "wrong_code"  # spent
    for _ in range(4):  # wrong codes are failures of the pair like wrong passwords
        guard.login(db, ANN, PASSWORD, "10.0.0.1", "000000")
    refused = guard.login(db, ANN, PASSWORD, "10.0.0.1", totp.at(clock.now))
    assert refused.outcome == "throttled" and refused.scope == "pair"


def test_a_second_factor_that_cannot_be_unsealed_refuses_the_code_and_says_why(
        db: Database, ann: int, guard: LoginGuard, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The installation key changed: a TOTP code cannot be checked. No crash, no guess counted; the person is told
    to use a recovery code or ask an admin; the log names the cause (never the secret); a recovery code works."""
    totp, recovery = _enrol(db, ann, clock)
    with db.read() as s:
        stored = s.scalar(select(User.totp_secret).where(User.id == ann))
    monkeypatch.setenv("SPARRING_SECRET_KEY", "a key that sealed nothing here")
    reset_settings_cache()
    clock.now += 30
    with caplog.at_level(logging.ERROR, logger="sparring.services.login_guard"):
        refused = guard.login(db, ANN, PASSWORD, "10.0.0.1", totp.at(clock.now))
    assert refused.outcome == "factor_unreadable" and refused.user is None
    assert refused.problem == FACTOR_UNREADABLE and "recovery code" in refused.problem
    assert f"user {ann}" in caplog.text and "users.totp_secret" in caplog.text
    assert stored and stored not in caplog.text and totp.secret not in caplog.text
    assert _rows(db) == 0  # not a guess: no backoff for the owner
    with db.read() as s:
        failed = s.scalars(select(AuditRow).where(AuditRow.action == "user.sign_in_failed")).one()
    assert "cannot be checked" in (failed.detail or {})["reason"]
    challenge = guard.login(db, ANN, PASSWORD, "10.0.0.1", challenge=True).challenge
    assert challenge and guard.complete(db, challenge, totp.at(clock.now), "10.0.0.1").outcome == "factor_unreadable"
    assert guard.login(db, ANN, PASSWORD, "10.0.0.1", recovery[0]).outcome == "ok"


def test_the_form_challenge_is_bound_to_its_client_expires_and_allows_few_tries(db: Database, ann: int,
                                                                                guard: LoginGuard,
                                                                                clock: FakeClock) -> None:
    totp, _ = _enrol(db, ann, clock)
    clock.now += 60
    first = guard.login(db, ANN, PASSWORD, "10.0.0.1", challenge=True)
    assert first.outcome == "code_required" and first.challenge and first.user is None
    assert guard.complete(db, first.challenge, totp.at(clock.now), "10.0.0.2").outcome == "expired"  # other client
    assert guard.complete(db, "not-a-token", totp.at(clock.now), "10.0.0.1").outcome == "expired"
    assert guard.complete(db, first.challenge, "000000", "10.0.0.1").outcome == "wrong_code"
    done = guard.complete(db, first.challenge, totp.at(clock.now), "10.0.0.1")
    assert done.outcome == "ok" and done.user is not None and done.user.id == ann
    assert guard.complete(db, first.challenge, totp.at(clock.now), "10.0.0.1").outcome == "expired"  # used
    clock.now += 60
    late = guard.login(db, ANN, PASSWORD, "10.0.0.1", challenge=True)
    clock.now += 5 * 60 + 1
    assert late.challenge and guard.complete(db, late.challenge, totp.at(clock.now), "10.0.0.1").outcome == "expired"
    clock.now += 60
    tries = guard.login(db, ANN, PASSWORD, "10.0.0.9", challenge=True)
    assert tries.challenge
    outcomes = [guard.complete(db, tries.challenge, "000000", "10.0.0.9").outcome for _ in range(6)]
    assert outcomes[:5] == ["wrong_code"] * 5 or "throttled" in outcomes
    assert outcomes[-1] == "expired"
    with db.read() as s:  # an expired challenge is deleted by the next one
        guard.login(db, ANN, PASSWORD, "10.0.0.1", challenge=True)
        assert int(s.scalar(select(func.count()).select_from(LoginChallenge)) or 0) <= 2


def test_a_success_racing_another_workers_insert_still_logs_in(db: Database, ann: int, guard: LoginGuard,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers log the same pair in at once: both find no known-client row, one INSERT loses the race."""
    from sparring.store.models import LoginKnownClient

    real = guard._remember
    raced: list[bool] = []

    def racing(db_: Database, keys: Any, now: float) -> None:
        if not raced:  # the other worker's row appears after our UPDATE found none: our INSERT fails for real
            raced.append(True)
            with db_.session() as s:
                s.add(LoginKnownClient(key=keys.pair, at=now - 1))
            with db_.session() as s:
                s.execute(insert(LoginKnownClient).values(key=keys.pair, at=now))
        real(db_, keys, now)

    monkeypatch.setattr(guard, "_remember", racing)
    assert guard.login(db, ANN, PASSWORD, "10.0.0.1").outcome == "ok"
    assert raced == [True]
    with db.read() as s:
        assert [row.at for row in s.scalars(select(LoginKnownClient))] == [guard.clock()]
