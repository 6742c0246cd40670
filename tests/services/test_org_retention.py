"""An organisation's own retention (sparring.services.org_retention; docs/data-ownership.md, "Retention") on SQLite
and PostgreSQL: without a row the organisation follows the installation; an admin's change is checked field by
field (a word, zero, a value above the installation's ceiling are refused naming the field and the ceiling, and the
stored values stay), audited as ``org.retention_changed`` with the values before and after, and not audited when
nothing changed; the effective periods are the shorter of the two; only an admin may change it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sparring.services import org_retention
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.errors import NotFound
from sparring.services.records import UserRecord
from sparring.services.retention import RetentionPolicy
from sparring.settings import Settings
from sparring.store.audit_models import AuditRow
from sparring.store.db import Database
from sparring.store.models import User

CEILING = Settings(retention_call_days=90, retention_practice_days=None, retention_audio_days=30,
                   voice_keep_audio=True)
FORM = {"call_days": "60", "practice_days": "", "audio_days": "", "keep_audio": "on"}


def _viewer(db: Database, who: UserRecord) -> Viewer:
    with db.read() as s:
        user = s.get(User, who.id)
        assert user is not None
        return Viewer.of(user)


def _audit(db: Database) -> list[AuditRow]:
    with db.read() as s:
        return list(s.scalars(select(AuditRow).where(AuditRow.action == "org.retention_changed")))


def test_an_admin_sets_the_organisations_own_periods(db: Database, learner: UserRecord) -> None:
    admin = _viewer(db, Accounts(db).create_user("Acme", "ada@acme.test", None, role="admin"))
    with db.read() as s:
        found = org_retention.read(s, admin.org_id, CEILING)
    assert found.own == RetentionPolicy() and found.keep_audio and found.audio_kept
    assert found.effective == RetentionPolicy(call_days=90, audio_days=30)  # the installation's, by default

    with db.session() as s:
        saved = org_retention.update(s, admin, {**FORM, "keep_audio": ""}, CEILING)
    assert saved.effective == RetentionPolicy(call_days=60, audio_days=30, drop_recordings=True)
    assert not saved.audio_kept
    with db.read() as s:
        assert org_retention.read(s, admin.org_id, CEILING).values() == {
            "call_days": 60, "practice_days": None, "audio_days": None, "keep_audio": False}
        assert not org_retention.keeps_audio(s, admin.org_id)
    [entry] = _audit(db)
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "organisation", str(admin.org_id))
    assert entry.detail == {
        "before": {"call_days": None, "practice_days": None, "audio_days": None, "keep_audio": True},
        "after": {"call_days": 60, "practice_days": None, "audio_days": None, "keep_audio": False}}

    with db.session() as s:  # the same values again: nothing to audit
        org_retention.update(s, admin, {**FORM, "keep_audio": ""}, CEILING)
    assert len(_audit(db)) == 1


#: (field, value typed, the start of the error)
REFUSED = [
    ("call_days", "91", "call_days: at most 90 days — this installation keeps imported calls for 90 days at most "
                        "(SPARRING_RETENTION_CALL_DAYS)"),
    ("audio_days", "31", "audio_days: at most 30 days"),
    ("practice_days", "a month", "practice_days: give a whole number of days"),
    ("practice_days", "0", "practice_days: give a number of days from 1 to 36500 (got 0)"),
    ("practice_days", "36501", "practice_days: give a number of days from 1 to 36500"),
]


def test_a_bad_value_is_refused_and_the_stored_ones_stay(db: Database, learner: UserRecord) -> None:
    admin = _viewer(db, Accounts(db).create_user("Acme", "ada@acme.test", None, role="admin"))
    with db.session() as s:
        org_retention.update(s, admin, FORM, CEILING)
    for field, value, message in REFUSED:
        with pytest.raises(org_retention.RetentionError) as refused, db.session() as s:
            org_retention.update(s, admin, {**FORM, "audio_days": "7", field: value}, CEILING)
        assert str(refused.value).startswith(message), (field, value, str(refused.value))
    with db.read() as s:
        assert org_retention.read(s, admin.org_id, CEILING).values() == {
            "call_days": 60, "practice_days": None, "audio_days": None, "keep_audio": True}
    assert len(_audit(db)) == 1


def test_the_shorter_period_applies_and_only_an_admin_may_change_it(db: Database, learner: UserRecord) -> None:
    own = RetentionPolicy(call_days=60, practice_days=10, audio_days=None)
    assert own.within(RetentionPolicy(call_days=20, practice_days=100)) == RetentionPolicy(
        call_days=20, practice_days=10, audio_days=None)
    assert RetentionPolicy().within(RetentionPolicy()) == RetentionPolicy()  # unset on both: kept for ever
    with pytest.raises(NotFound), db.session() as s:
        org_retention.update(s, _viewer(db, learner), FORM, CEILING)
    assert _audit(db) == []
