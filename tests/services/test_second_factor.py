"""The TOTP second factor on both databases: enrolment is off until a code confirms it, codes of the steps
around now are accepted once each, recovery codes are stored hashed and spent once, switching off forgets
everything. An injected clock."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from sparring.services.accounts import Accounts
from sparring.services.errors import Conflict, InvalidInput
from sparring.services.second_factor import SecondFactor, recovery_digest
from sparring.store.db import Database
from sparring.store.models import RecoveryCode, User
from sparring.testing.fakes import FakeClock


def test_enrol_confirm_verify_and_switch_off(db: Database) -> None:
    clock = FakeClock(3_000_000.0)
    user = Accounts(db).create_user("Acme", "ann@acme.test", "s3cret-pass-long", role="admin").id
    factor = SecondFactor(db, clock=clock)
    assert not factor.status(user).enabled and not factor.status(user).pending
    enrolment = factor.begin(user)
    assert enrolment.uri.startswith("otpauth://totp/Sparring:ann%40acme.test?secret=" + enrolment.secret)
    assert factor.status(user).pending and factor.pending(user) == enrolment
    totp = pyotp.TOTP(enrolment.secret)
    with db.session() as s:  # pending is not on: nothing verifies
        assert not factor.verify(s, user, totp.at(clock.now))
    with pytest.raises(InvalidInput, match=r"^code: does not match"):
        factor.confirm(user, "123456" if totp.at(clock.now) != "123456" else "654321")
    codes = factor.confirm(user, totp.at(clock.now))
    assert len(codes) == 10 and len(set(codes)) == 10 and factor.status(user).enabled
    with pytest.raises(Conflict):
        factor.begin(user)
    with db.read() as s:  # only digests are stored
        stored = set(s.scalars(select(RecoveryCode.code_hash)))
        assert stored == {recovery_digest(c) for c in codes} and not stored & set(codes)
    clock.now += 30
    with db.session() as s:
        assert factor.verify(s, user, totp.at(clock.now))  # this step
    with db.session() as s:
        assert not factor.verify(s, user, totp.at(clock.now))  # not twice
    clock.now += 90
    with db.session() as s:
        assert factor.verify(s, user, totp.at(clock.now + 30))  # the next step: a fast phone clock
    with db.session() as s:
        assert not factor.verify(s, user, totp.at(clock.now))  # older than the last accepted step
    clock.now += 300
    with db.session() as s:
        assert not factor.verify(s, user, totp.at(clock.now - 60))  # two steps late
        assert not factor.verify(s, user, "1" * 41) and not factor.verify(s, user, "")
    with db.session() as s:
        assert factor.verify(s, user, " " + codes[2].upper().replace("-", " ") + " ")
    with db.session() as s:
        assert not factor.verify(s, user, codes[2])
    assert factor.status(user).recovery_codes_left == 9
    fresh = factor.regenerate_recovery_codes(user)
    with db.session() as s:
        assert not factor.verify(s, user, codes[3])  # old codes are gone
        assert factor.verify(s, user, fresh[0])
    factor.disable(user)
    with db.read() as s:
        row = s.get(User, user)
        assert row is not None and row.totp_secret is None and row.totp_enabled_at is None
        assert s.scalars(select(RecoveryCode)).all() == []
    assert not factor.status(user).enabled
