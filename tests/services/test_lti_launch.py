"""LTI launches as services (sparring.services.lti_launch), on SQLite and PostgreSQL, against the platform double:
login initiation stores a state and redirects to the platform; the verified launch uses the state up (a second
verification of the same post is refused); the person is linked to an existing account of the organisation with
their e-mail, keeps its role, and is never linked to another organisation's account; a new person gets an
account with the role of their LTI roles; login initiation names what is missing or unknown."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from sparring.integrations.lti_http import HttpConfig
from sparring.integrations.webhooks import AddressPolicy
from sparring.services import lti_launch, lti_registrations
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.store.db import Database
from sparring.store.models import User
from sparring.testing.lti_platform import Launch, LtiPlatform, person

LAUNCH_URL = "https://sparring.test/lti/launch"
HTTP = HttpConfig(AddressPolicy.parse("public", "127.0.0.1"), 5.0)


@pytest.fixture(scope="module")
def platform() -> Iterator[LtiPlatform]:
    with LtiPlatform() as p:
        yield p


def _register(db: Database, platform: LtiPlatform) -> Viewer:
    accounts = Accounts(db)
    admin = accounts.create_user("Acme", "admin@acme.test", None, role="admin")
    accounts.create_user("Globex", "kim@globex.test", None, role="learner")
    accounts.create_user("Acme", "max@acme.test", None, role="learner")
    viewer = Viewer(id=admin.id, org_id=admin.org_id, role="admin", name="Admin", email=admin.email)
    with db.session() as s:
        lti_registrations.create_registration(s, viewer, HTTP.policy, {"name": "LMS", **platform.registration()})
    return viewer


def _post(db: Database, platform: LtiPlatform, launch: Launch) -> dict[str, str]:
    hint = platform.prepare(launch)
    url = lti_launch.login_initiation(db, platform.login_params(hint, LAUNCH_URL), LAUNCH_URL)
    assert url.startswith(platform.url + "/auth?") and "prompt=none" in url
    action, fields = platform.answer(httpx.get(url).text)
    assert action == LAUNCH_URL
    return fields


def test_a_launch_links_people_within_the_organisation_only(db: Database, platform: LtiPlatform) -> None:
    _register(db, platform)
    # an Acme learner with the platform's e-mail is linked, and keeps their role although the course says Instructor
    fields = _post(db, platform, Launch(person("t-1", "Max", instructor=True, email="MAX@acme.test"),
                                        custom={"sparring_scenario": "x"}))
    verified = lti_launch.verify_launch(db, HTTP, fields["id_token"], fields["state"])
    record = lti_launch.record_launch(db, verified, "scenario:x")
    with db.read() as s:
        user = s.get(User, record.user_id)
        assert user is not None and user.email == "max@acme.test" and user.role == "learner"
    assert not record.created_user
    with pytest.raises(lti_launch.LaunchRefused, match="already used"):
        lti_launch.verify_launch(db, HTTP, fields["id_token"], fields["state"])
    # Globex's Kim has the e-mail the platform sends: a new Acme account with an address of its own
    fields = _post(db, platform, Launch(person("s-2", "Kim", email="kim@globex.test"),
                                        custom={"sparring_scenario": "x"}))
    record = lti_launch.record_launch(db, lti_launch.verify_launch(db, HTTP, fields["id_token"], fields["state"]),
                                      "scenario:x")
    with db.read() as s:
        user = s.get(User, record.user_id)
        assert user is not None and user.email.endswith("@lti.invalid") and user.org_id != s.scalar(
            select(User.org_id).where(User.email == "kim@globex.test"))
        assert user.role == "learner" and record.created_user
    # the same platform person again: the same account
    fields = _post(db, platform, Launch(person("s-2", "Kim", email="kim@globex.test"),
                                        custom={"sparring_scenario": "x"}))
    again = lti_launch.record_launch(db, lti_launch.verify_launch(db, HTTP, fields["id_token"], fields["state"]),
                                     "scenario:x")
    assert again.user_id == record.user_id and not again.created_user
    # login initiation names what is missing or unknown
    with pytest.raises(lti_launch.LaunchRefused, match="login_hint: missing"):
        lti_launch.login_initiation(db, {"iss": platform.issuer, "target_link_uri": LAUNCH_URL}, LAUNCH_URL)
    with pytest.raises(lti_launch.LaunchRefused, match="with client id 'other'"):
        lti_launch.login_initiation(db, {"iss": platform.issuer, "login_hint": "x", "target_link_uri": LAUNCH_URL,
                                         "client_id": "other"}, LAUNCH_URL)
    with pytest.raises(lti_launch.LaunchRefused, match="lti_deployment_id: '9' is not registered"):
        lti_launch.login_initiation(db, {"iss": platform.issuer, "login_hint": "x", "target_link_uri": LAUNCH_URL,
                                         "lti_deployment_id": "9"}, LAUNCH_URL)
