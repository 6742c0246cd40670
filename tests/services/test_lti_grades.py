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
from sparring.services import lti_grades, lti_registrations
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.lti_models import LtiLaunchRow, LtiScoreRow
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
