"""An optional TOTP second factor (RFC 6238 via pyotp: 6 digits, 30-second steps, SHA-1, as every authenticator
app expects), with one-time recovery codes.

Enrolment has two steps: ``begin`` stores a new secret (the factor is still off) and returns it with its
``otpauth://`` URI; ``confirm`` switches the factor on only when a code from that secret checks, and returns ten
recovery codes — shown once, stored as SHA-256 digests. ``verify`` accepts the code of the current step or of
the step before or after (clock drift), never a step at or before the last accepted one (no replay), or an
unused recovery code (spent by that login). How often a code may be tried is the login guard's business
(``services.login_guard``). The secret is stored sealed with the installation key (``store.sealing``,
docs/security.md): a copy of the database without the key does not give the second factors away. A legacy
plaintext secret still works, and is sealed when next written (or by ``sparring db seal-secrets``).

Part of the core: no web imports. ``clock`` (Unix seconds) is injectable for tests.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.store.db import Database
from sparring.store.models import RecoveryCode, User
from sparring.store.sealing import TOTP_SECRET, UnsealError, seal, unseal_optional

ISSUER = "Sparring"
STEP_SECONDS = 30
RECOVERY_CODES = 10
_CODE = re.compile(r"^\d{6}$")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str


@dataclass(frozen=True)
class FactorStatus:
    enabled: bool
    pending: bool
    recovery_codes_left: int


def recovery_digest(code: str) -> str:
    """The stored form of a recovery code: typed with or without dashes and spaces, in any case."""
    canonical = re.sub(r"[\s-]", "", code).lower()
    return hashlib.sha256(b"sparring-recovery:" + canonical.encode("utf-8")).hexdigest()


def new_recovery_code() -> str:
    """16 characters from a 31-letter alphabet (79 random bits), shown as four groups of four."""
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


class SecondFactor:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time):
        self.db = db
        self.clock = clock

    def status(self, user_id: int) -> FactorStatus:
        with self.db.read() as s:
            user = _user(s, user_id)
            left = len(s.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user_id,
                                                              RecoveryCode.used_at.is_(None))).all())
            return FactorStatus(enabled=user.totp_enabled_at is not None,
                                pending=user.totp_secret is not None and user.totp_enabled_at is None,
                                recovery_codes_left=left)

    def is_enabled(self, s: Session, user_id: int) -> bool:
        return s.scalar(select(User.totp_enabled_at).where(User.id == user_id)) is not None

    def begin(self, user_id: int) -> Enrolment:
        """A new secret for ``user_id``, stored but not yet in force (Conflict when the factor is on)."""
        with self.db.session() as s:
            user = _user(s, user_id)
            if user.totp_enabled_at is not None:
                raise Conflict("two-factor sign-in is already on; switch it off first to enrol a new device")
            secret = pyotp.random_base32()
            user.totp_secret = seal(secret, TOTP_SECRET)
            return Enrolment(secret, _uri(secret, user.email))

    def pending(self, user_id: int) -> Enrolment | None:
        """The enrolment waiting for its confirming code, if any."""
        with self.db.read() as s:
            user = _user(s, user_id)
            if user.totp_secret is None or user.totp_enabled_at is not None:
                return None
            try:
                secret = _secret(user) or ""
            except UnsealError:  # sealed with a key this installation lost: not in force, so enrol afresh
                return None
            return Enrolment(secret, _uri(secret, user.email))

    def confirm(self, user_id: int, code: str) -> list[str]:
        """Switch the factor on if ``code`` checks against the pending secret; returns the recovery codes."""
        with self.db.session() as s:
            user = _user(s, user_id)
            if user.totp_secret is None or user.totp_enabled_at is not None:
                raise Conflict("there is no enrolment waiting for a code; start again")
            try:
                secret = _secret(user) or ""
            except UnsealError:
                raise Conflict("the enrolment waiting for a code was sealed with a key this installation no longer "
                               "has; start again") from None
            step = self._matching_step(secret, code, None)
            if step is None:
                raise InvalidInput("code: does not match; check the device's clock and type the current code")
            user.totp_enabled_at = datetime.now(UTC)
            user.totp_last_step = step
            return self._new_recovery_codes(s, user_id)

    def regenerate_recovery_codes(self, user_id: int) -> list[str]:
        with self.db.session() as s:
            if _user(s, user_id).totp_enabled_at is None:
                raise Conflict("two-factor sign-in is off")
            return self._new_recovery_codes(s, user_id)

    def disable(self, user_id: int) -> None:
        with self.db.session() as s:
            user = _user(s, user_id)
            user.totp_secret = None
            user.totp_enabled_at = None
            user.totp_last_step = None
            s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))

    def verify(self, s: Session, user_id: int, code: str) -> bool:
        """Whether ``code`` (a TOTP code or an unused recovery code) proves the factor; records its use in ``s``
        (the caller's write transaction). False when the factor is off."""
        user = s.get(User, user_id)
        if user is None or user.totp_enabled_at is None or user.totp_secret is None:
            return False
        code = (code or "").strip()
        if len(code) > 40:
            return False
        digits = re.sub(r"\s", "", code)
        if _CODE.match(digits):
            step = self._matching_step(_secret(user) or "", digits, user.totp_last_step)
            if step is None:
                return False
            # the WHERE makes two workers accepting the same code at once impossible: only one UPDATE matches
            done = s.execute(update(User).where(User.id == user_id, (User.totp_last_step.is_(None))
                                                | (User.totp_last_step < step)).values(totp_last_step=step))
            return bool(getattr(done, "rowcount", 0))
        spent = s.execute(update(RecoveryCode).where(RecoveryCode.user_id == user_id,
                                                     RecoveryCode.code_hash == recovery_digest(code),
                                                     RecoveryCode.used_at.is_(None))
                          .values(used_at=datetime.now(UTC)))
        return bool(getattr(spent, "rowcount", 0))

    def _matching_step(self, secret: str, code: str, last_step: int | None) -> int | None:
        code = re.sub(r"\s", "", code or "")
        if not _CODE.match(code):
            return None
        totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
        now_step = int(self.clock()) // STEP_SECONDS
        for step in (now_step, now_step - 1, now_step + 1):
            if last_step is not None and step <= last_step:
                continue
            if secrets.compare_digest(totp.generate_otp(step), code):
                return step
        return None

    def _new_recovery_codes(self, s: Session, user_id: int) -> list[str]:
        s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
        s.add_all(RecoveryCode(user_id=user_id, code_hash=recovery_digest(c)) for c in codes)
        s.flush()
        return codes


def _user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(f"unknown user {user_id}")
    return user


def _uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=email, issuer_name=ISSUER)


def _secret(user: User) -> str | None:
    """The user's TOTP secret, unsealed (``UnsealError`` naming the column and user when it does not open)."""
    return unseal_optional(user.totp_secret, TOTP_SECRET, user.id)
