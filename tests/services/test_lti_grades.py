"""LTI score passback (sparring.services.lti_grades) on SQLite and PostgreSQL, against the platform double: a
launched rep that is scored gets one score row, sent by the job with a token from the platform; a rep without a
launch, or a launch without the score scope, sends nothing; the sweep repeats nothing already made."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import sparring_test_support as support
from sqlalchemy import select

from sparring.integrations.lti_http import HttpConfig
from sparring.integrations.webhooks import AddressPolicy
from sparring.jobs import InProcessRunner, JobQueue, TaskRegistry
from sparring.services import lti_deep_linking, lti_grades, lti_registrations, lti_roster
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.errors import Conflict, InvalidInput
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.settings import reset_settings_cache
from sparring.store.db import Database
from sparring.store.lti_models import LtiContextRow, LtiLaunchRow, LtiScoreRow
from sparring.testing.lti_platform import LtiPlatform

HTTP = HttpConfig(AddressPolicy.parse("public", "127.0.0.1"), 5.0)


@pytest.fixture(scope="module")
def platform() -> Iterator[LtiPlatform]:
    with LtiPlatform() as p:
        yield p


def _queue(db: Database) -> JobQueue:
    registry = TaskRegistry()
    lti_grades.register(registry, http=HTTP)
    queue = JobQueue(db, registry)
    registry.app = SimpleNamespace(jobs=queue)
    return queue


def _launch(db: Database, platform: LtiPlatform, registration_id: int, user: UserRecord, rep_id: int,
            scopes: list[str]) -> int:
    with db.session() as s:
        row = LtiLaunchRow(registration_id=registration_id, user_id=user.id, rep_id=rep_id, sub=f"sub-{user.id}",
                           deployment_id="1", target="scenario:x", lineitem_url=f"{platform.url}/lineitems/li-{rep_id}",
                           ags_scopes=scopes)
        s.add(row)
        s.flush()
        return row.id


def test_a_scored_launched_rep_reaches_the_line_item_once(db: Database, practice: PracticeService,
                                                          learner: UserRecord, platform: LtiPlatform) -> None:
    admin = Accounts(db).create_user("Acme", "admin@acme.test", None, role="admin")
    viewer = Viewer(id=admin.id, org_id=admin.org_id, role="admin", name="Admin", email=admin.email)
    with db.session() as s:
        reg_id = lti_registrations.create_registration(s, viewer, HTTP.policy, {"name": "LMS",
                                                                                  **platform.registration()})
        key = lti_registrations.current_key(s, admin.org_id)
    platform.tool_jwks = lambda: {"keys": [key.public_jwk]}
    platform.scores.clear()  # the module's platform served the other backend's run too
    scored, unscoped, plain = (support.scored_rep(practice, learner) for _ in range(3))
    _launch(db, platform, reg_id, learner, scored, [lti_grades.lti.SCOPE_SCORE])
    _launch(db, platform, reg_id, learner, unscoped, [])
    queue = _queue(db)
    assert lti_grades.sweep(queue) == 1
    assert lti_grades.sweep(queue) == 0
    InProcessRunner(queue, worker_id="t", periodic=False).run_until_idle()
    sent = [x for x in platform.scores if x["lineitem"] in {f"li-{scored}", f"li-{unscoped}", f"li-{plain}"}]
    assert [x["lineitem"] for x in sent] == [f"li-{scored}"]
    assert sent[0]["userId"] == f"sub-{learner.id}" and sent[0]["scoreMaximum"] == 100
    with db.read() as s:
        (row,) = s.scalars(select(LtiScoreRow)).all()
        assert row.status == "sent" and row.tries == 1 and row.sent_at is not None
    practice.score_rep(scored)  # a re-score is a new score
    assert lti_grades.sweep(queue) == 1


def test_a_tool_key_that_cannot_be_unsealed_fails_cleanly_everywhere_it_signs(
        db: Database, practice: PracticeService, learner: UserRecord, platform: LtiPlatform,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The installation key changed, so the organisation's signing key does not open: the score job fails at its
    first attempt with the reason (dead-lettered, no retries), the roster sync and a deep-linking answer are
    refused with a message saying what to do — none of them a crash."""
    admin = Accounts(db).create_user("Acme", "admin@acme.test", None, role="admin")
    viewer = Viewer(id=admin.id, org_id=admin.org_id, role="admin", name="Admin", email=admin.email)
    with db.session() as s:
        reg_id = lti_registrations.create_registration(s, viewer, HTTP.policy, {"name": "LMS",
                                                                                  **platform.registration()})
        lti_registrations.current_key(s, admin.org_id)  # made and sealed with the key about to be lost
        s.add(LtiContextRow(registration_id=reg_id, context_id="course-1", title="Course",
                            memberships_url=f"{platform.url}/memberships"))
    rep_id = support.scored_rep(practice, learner)
    _launch(db, platform, reg_id, learner, rep_id, [lti_grades.lti.SCOPE_SCORE])
    with db.session() as s:
        deep = LtiLaunchRow(registration_id=reg_id, user_id=admin.id, sub="teacher", deployment_id="1",
                            target="deep_link", ags_scopes=[], detail={"return_url": f"{platform.url}/return"})
        s.add(deep)
        s.flush()
        deep_id = deep.id
    monkeypatch.setenv("SPARRING_SECRET_KEY", "a key that sealed nothing here")
    reset_settings_cache()

    queue = _queue(db)
    assert lti_grades.sweep(queue) == 1
    outcome = InProcessRunner(queue, worker_id="t", periodic=False).run_once()
    assert outcome is not None and outcome.status == "failed"
    assert "lti_keys.private_pem" in (outcome.error or "") and "Rotate key" in (outcome.error or "")
    with db.read() as s:
        row = s.scalars(select(LtiScoreRow)).one()
        assert (row.status, row.tries) == ("failed", 1) and "cannot be read" in (row.last_error or "")

    with pytest.raises(InvalidInput, match="roster: the LTI tool's signing key cannot be read"):
        lti_roster.sync_roster(db, HTTP, viewer, reg_id)
    with pytest.raises(Conflict, match="ask your Sparring administrator to rotate the LTI key"):
        lti_deep_linking.answer(db, viewer, deep_id, kind="program", target="1", title="P", difficulty="medium",
                                launch_url="https://sparring.example.com/lti/launch")
    with db.read() as s:  # nothing was marked answered: it can be tried again once the key is fixed
        again = s.get(LtiLaunchRow, deep_id)
        assert again is not None and again.detail == {"return_url": f"{platform.url}/return"}
