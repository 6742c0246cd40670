"""The login guard: one place that decides whether a login attempt may be tried, checks it, and remembers the
outcome. Both web login paths (the form and ``POST /api/auth/login``) call it; the web layer only says which
client is asking (its network address, ``network_of``).

Limits (numbers in ``GuardLimits``; design and reasons in docs/decisions.md, "Login guard"):

- **pair backoff** — one client guessing one account: the first ``pair_free`` failures are free, then each
  further attempt waits ``pair_base * 2^(n - pair_free)`` seconds after the last failure, at most ``pair_cap``.
  A successful login clears the pair's failures.
- **account backoff** — every client together against one account: after ``account_free`` failures in the
  last ``memory`` seconds, attempts wait ``account_base * 2^(n - account_free)`` seconds after the account's last
  failure, at most ``account_cap`` (a minute): slow and capped, so a stranger spraying wrong passwords from many
  addresses cannot keep the owner out for long.
- **client limit** — one address across all accounts: at most ``client_limit`` failures in ``client_window``.
- **global limit** — the whole installation: at most ``global_limit`` failures in ``global_window`` (each one
  cost an argon2 hash).
- A **known client** (an address that logged in to this account in the last ``known_for`` seconds) skips the
  account, client and global limits — the owner logging in from where they usually do is slowed only by their
  own pair — so none of the shared limits is a lever for locking the owner out.

Wrong second-factor codes count as failures of the same pair and account. A TOTP secret that does not open with
this installation's keys (``UnsealError``: the key was changed or lost) refuses the code with ``factor_unreadable``
(``FACTOR_UNREADABLE``: use a recovery code, or an admin resets the factor), logs the cause and audits the failure,
without counting it as a guess. Failures are rows of
``login_failures`` (SHA-256 keys, one per scope), so every web worker shares them; ``clock`` (Unix seconds) is
injectable, so tests need no sleeps. Methods do blocking database work: call them from a worker thread.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from sparring.inputs import InputError, clean_text
from sparring.services import audit
from sparring.services.account_inputs import normalise_email
from sparring.services.accounts import Accounts, KnownAccount
from sparring.services.errors import InvalidInput
from sparring.services.passwords import login_password_problem
from sparring.services.records import UserRecord
from sparring.services.second_factor import SecondFactor
from sparring.services.sso_config import BreakGlass, password_refusal
from sparring.store.db import Database
from sparring.store.models import LoginChallenge, LoginFailure, LoginKnownClient, User
from sparring.store.sealing import UnsealError

Outcome = Literal["ok", "wrong", "throttled", "code_required", "wrong_code", "expired", "invalid", "sso_required",
                  "factor_unreadable"]
Scope = Literal["pair", "account", "client", "global"]
MAX_CODE_CHARS = 40
#: the answer when an account's TOTP secret is sealed with a key this installation no longer has
FACTOR_UNREADABLE = ("your two-factor sign-in cannot be checked: its secret was stored with an installation key "
                     "this server no longer has. Use one of your recovery codes, or ask an administrator to reset "
                     "your two-factor sign-in (sparring users disable-2fa)")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GuardLimits:
    pair_free: int = 5
    pair_base: float = 1.0
    pair_cap: float = 15 * 60
    account_free: int = 10
    account_base: float = 1.0
    account_cap: float = 60.0
    #: how long failures count towards the pair and account backoffs (and how long rows are kept)
    memory: float = 24 * 3600
    client_limit: int = 30
    client_window: float = 10 * 60
    global_limit: int = 600
    global_window: float = 10 * 60
    known_for: float = 30 * 24 * 3600
    #: a login waiting for its second factor: how long, and how many codes it may try
    challenge_ttl: float = 5 * 60
    challenge_tries: int = 5


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    user: UserRecord | None = None
    #: seconds until the next attempt may be made (``throttled``)
    retry_after: float = 0.0
    scope: Scope | None = None
    #: what is wrong with the request (``invalid``): names the field, never repeats the input
    problem: str | None = None
    #: the token the login form carries to the code step (``code_required`` from ``login(challenge=True)``)
    challenge: str | None = None

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


def backoff(failures: int, free: int, base: float, cap: float) -> float:
    """Seconds to wait after the last of ``failures`` failures: 0 for the first ``free``, then doubling."""
    if failures < free:
        return 0.0
    return float(min(cap, base * 2 ** min(failures - free, 62)))


def network_of(address: str | None) -> str:
    """The client identity the limits count: an IPv4 address, or an IPv6 address's /64 network (one host often
    holds a whole /64, so counting single IPv6 addresses would give it billions of fresh identities).
    Anything that is not an IP address (a test client, a Unix socket) counts as itself, bounded."""
    text = (address or "unknown").strip()[:100]
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return text or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def _key(scope: str, *parts: str) -> str:
    return hashlib.sha256("\x00".join((scope, *parts)).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class _Keys:
    pair: str
    account: str
    client: str
    glob: str

    @classmethod
    def of(cls, account: str, client: str) -> _Keys:
        return cls(_key("pair", account, client), _key("account", account), _key("client", client), _key("global"))


class LoginGuard:
    def __init__(self, limits: GuardLimits | None = None, clock: Callable[[], float] = time.time,
                 break_glass: BreakGlass = "admins"):
        """``break_glass``: SPARRING_SSO_BREAK_GLASS — whether admins may still use a password in an organisation
        that turned password login off (docs/sso.md, "Break-glass")."""
        self.limits = limits or GuardLimits()
        self.clock = clock
        self.break_glass = break_glass

    # --- the two login steps ------------------------------------------------------------------------------

    def login(self, db: Database, email: str, password: str, client: str, code: str | None = None,
              *, challenge: bool = False) -> LoginResult:
        """Check one login attempt. ``code`` is the second factor when the account has one (the JSON API sends
        it in the same request); without it such an account answers ``code_required`` — with a ``challenge``
        token for the form's code step when ``challenge`` is set."""
        try:
            account = account_key(email)
        except InputError as exc:
            return LoginResult("invalid", problem=str(exc))
        problem = login_password_problem(password) or _code_problem(code)
        if problem:
            return LoginResult("invalid", problem=problem)
        client = network_of(client)
        keys = _Keys.of(account, client)
        wait, scope = self.wait(db, keys)
        if wait > 0:
            return LoginResult("throttled", retry_after=wait, scope=scope)
        checked = Accounts(db).check_credentials(email, password)
        user = checked.user
        if user is None:
            self._failed(db, keys)
            # the password check looked up the address the limits count: its account (or none) is the one
            if checked.email == account:
                _audit_failure(db, checked.account, "wrong password", client)
            else:  # not a valid address (e.g. learner@localhost), or one stored differently: look it up as typed
                _audit_failure(db, _account_of(db, account), "wrong password", client)
            return LoginResult("wrong")
        refusal = password_refusal(db, user, self.break_glass)
        if refusal:  # the right password, but this organisation signs in with SSO (not a failure: no backoff)
            return LoginResult("sso_required", problem=refusal)
        with db.read() as s:
            needs_code = SecondFactor(db).is_enabled(s, user.id)
        if not needs_code:
            self._succeeded(db, keys)
            return LoginResult("ok", user=user)
        if not code:
            token = self._new_challenge(db, user.id, client) if challenge else None
            return LoginResult("code_required", user=None, challenge=token)
        return self._check_code(db, keys, user, code, client)

    def complete(self, db: Database, token: str, code: str, client: str) -> LoginResult:
        """The form's second step: ``code`` for the login that ``token`` stands for."""
        problem = _code_problem(code) or ("code: give the code" if not code else None)
        if problem:
            return LoginResult("invalid", problem=problem)
        if not isinstance(token, str) or len(token) > 100:
            return LoginResult("expired")
        client = network_of(client)
        now = self.clock()
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        with db.session() as s:
            row = s.get(LoginChallenge, digest)
            if row is None or row.client_key != _key("client", client) \
                    or now - row.created_at > self.limits.challenge_ttl or row.attempts >= self.limits.challenge_tries:
                if row is not None and row.client_key == _key("client", client):
                    s.delete(row)
                return LoginResult("expired")
            row.attempts += 1
            user_id = row.user_id
            email = s.scalar(select(User.email).where(User.id == user_id)) or ""
        keys = _Keys.of(email, client)
        wait, scope = self.wait(db, keys)
        if wait > 0:
            return LoginResult("throttled", retry_after=wait, scope=scope)
        user = Accounts(db).get_user(user_id)
        result = self._check_code(db, keys, user, code, client)
        if result.outcome == "ok":
            with db.session() as s:
                s.execute(delete(LoginChallenge).where(LoginChallenge.token_hash == digest))
        return result

    # --- the limits -------------------------------------------------------------------------------------------

    def wait(self, db: Database, keys: _Keys) -> tuple[float, Scope | None]:
        """Seconds until this pair may try again and the limit that says so (0, None when it may try now)."""
        lim, now = self.limits, self.clock()
        with db.read() as s:
            conn = s.connection()
            stats = {k: (n, last) for k, n, last in conn.execute(_STATS, {"keys": [keys.pair, keys.account],
                                                                          "since": now - lim.memory})}
            known = conn.execute(_KNOWN, {"key": keys.pair, "since": now - lim.known_for}).first() is not None
            waits: list[tuple[float, Scope]] = []
            n, last = stats.get(keys.pair, (0, now))
            waits.append((last + backoff(n, lim.pair_free, lim.pair_base, lim.pair_cap) - now, "pair"))
            if not known:
                n, last = stats.get(keys.account, (0, now))
                waits.append((last + backoff(n, lim.account_free, lim.account_base, lim.account_cap) - now,
                              "account"))
                for key, limit, window, scope in ((keys.client, lim.client_limit, lim.client_window, "client"),
                                                  (keys.glob, lim.global_limit, lim.global_window, "global")):
                    times = conn.execute(_RECENT, {"key": key, "since": now - window, "limit": limit}).scalars().all()
                    if len(times) >= limit:
                        waits.append((window - (now - times[-1]), scope))  # type: ignore[arg-type]
        wait, scope = max(waits, key=lambda w: w[0])
        return (wait, scope) if wait > 0 else (0.0, None)

    def wait_for(self, db: Database, email: str, client: str) -> tuple[float, Scope | None]:
        """``wait`` for an e-mail address as typed and a client address."""
        try:
            account = account_key(email)
        except InputError:
            account = email.strip().lower()
        return self.wait(db, _Keys.of(account, network_of(client)))

    def _failed(self, db: Database, keys: _Keys) -> None:
        now = self.clock()
        with db.session() as s:
            conn = s.connection()
            conn.execute(_FORGET_OLD, {"before": now - max(self.limits.memory, self.limits.client_window,
                                                           self.limits.global_window)})
            conn.execute(insert(LoginFailure), [{"key": k, "at": now}
                                                for k in (keys.pair, keys.account, keys.client, keys.glob)])

    def _succeeded(self, db: Database, keys: _Keys) -> None:
        """Forget the pair's failures and remember the pair as known (the account's, client's and global
        failures stay: they may be someone else's)."""
        now = self.clock()
        try:
            self._remember(db, keys, now)
        except IntegrityError:  # the same pair logged in on another worker at this moment: its row exists now
            self._remember(db, keys, now)

    def _remember(self, db: Database, keys: _Keys, now: float) -> None:
        with db.session() as s:
            conn = s.connection()
            conn.execute(_FORGET_KEY, {"key": keys.pair})
            if conn.execute(update(LoginKnownClient).where(LoginKnownClient.key == keys.pair)
                            .values(at=now)).rowcount == 0:
                conn.execute(delete(LoginKnownClient).where(LoginKnownClient.at <= now - self.limits.known_for))
                conn.execute(insert(LoginKnownClient).values(key=keys.pair, at=now))

    # --- second factor ----------------------------------------------------------------------------------------

    def _check_code(self, db: Database, keys: _Keys, user: UserRecord, code: str, client: str) -> LoginResult:
        try:
            with db.session() as s:
                ok = SecondFactor(db, clock=self.clock).verify(s, user.id, code)
        except UnsealError as exc:
            # not the person's fault and not a guess: no backoff; the operator gets the cause (never the secret)
            log.error("two-factor sign-in of user %s cannot be checked: %s", user.id, exc)
            _audit_failure(db, KnownAccount(user.id, user.email, user.org_id),
                           "the second factor cannot be checked (its secret does not open with this installation's "
                           "keys)", client)
            return LoginResult("factor_unreadable", problem=FACTOR_UNREADABLE)
        if not ok:
            self._failed(db, keys)
            _audit_failure(db, KnownAccount(user.id, user.email, user.org_id), "wrong code", client)
            return LoginResult("wrong_code")
        self._succeeded(db, keys)
        return LoginResult("ok", user=user)

    def _new_challenge(self, db: Database, user_id: int, client: str) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with db.session() as s:
            s.execute(delete(LoginChallenge).where(LoginChallenge.created_at < now - self.limits.challenge_ttl))
            s.add(LoginChallenge(token_hash=hashlib.sha256(token.encode()).hexdigest(), user_id=user_id,
                                 client_key=_key("client", client), created_at=now, attempts=0))
        return token


def account_key(email: str) -> str:
    """The address the limits count: as stored when it is a valid address (email-validator's normal form, so an
    address with a full-width domain and its plain spelling — one account — share one budget of guesses; keyed on the
    typed text, an attacker could spread guesses at one account over many spellings), else as typed, lower-cased
    ("learner@localhost" is no valid address but may still be tried). InputError when it is not text at all."""
    typed = clean_text(email, "email", max_chars=320).lower()
    try:
        return normalise_email(typed)
    except InvalidInput:
        return typed


def _account_of(db: Database, email: str) -> KnownAccount | None:
    with db.read() as s:
        found = s.execute(select(User.id, User.email, User.org_id).where(User.email == email)).first()
    return KnownAccount(*found) if found is not None else None


def _audit_failure(db: Database, account: KnownAccount | None, reason: str, network: str) -> None:
    """A failed sign-in to an existing account goes in its organisation's audit log (``user.sign_in_failed``,
    with the reason and the client's network); one for an address nobody has is only counted by the throttle."""
    if account is not None:
        with db.session() as s:
            audit.record(s, None, "user.sign_in_failed", "user", account.id,
                         {"email": account.email, "reason": reason, "network": network}, org_id=account.org_id)


def _code_problem(code: str | None) -> str | None:
    if code is None:
        return None
    if not isinstance(code, str):
        return "totp: must be text"
    try:
        clean_text(code, "totp", max_chars=MAX_CODE_CHARS)
    except InputError as exc:
        return str(exc)
    return None


_STATS = (
    select(LoginFailure.key, func.count(), func.max(LoginFailure.at))
    .where(LoginFailure.key.in_(bindparam("keys", expanding=True)), LoginFailure.at > bindparam("since"))
    .group_by(LoginFailure.key)
)
_RECENT = (
    select(LoginFailure.at)
    .where(LoginFailure.key == bindparam("key"), LoginFailure.at > bindparam("since"))
    .order_by(LoginFailure.at.desc())
    .limit(bindparam("limit"))
)
_KNOWN = select(LoginKnownClient.key).where(LoginKnownClient.key == bindparam("key"),
                                            LoginKnownClient.at > bindparam("since"))
_FORGET_OLD = delete(LoginFailure).where(LoginFailure.at <= bindparam("before"))
_FORGET_KEY = delete(LoginFailure).where(LoginFailure.key == bindparam("key"))
