"""The LTI 1.3 tool end to end (docs/lti.md) against a platform double on loopback that signs like Moodle/Canvas
(``sparring.testing.lti_platform``): an admin registers the platform on the admin page; the platform's login
initiation, its auth endpoint's signed id_token and the launch sign a learner in (account made just in time, in
the course's team) and open a rep; the scored rep's score reaches the platform's AGS endpoint through the job layer
with a token got by a signed client assertion; an instructor's deep-linking launch picks a scenario and the
platform verifies the signed answer; the roster comes over by NRPS with paging; bad signature, wrong audience,
replayed state, expired token, unknown deployment and wrong nonce are refused with a page naming the problem and
an audit entry; other organisations and roles get nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from sparring.jobs import InProcessRunner
from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.settings import Settings
from sparring.store.audit_models import AuditRow
from sparring.store.db import Database, forget_databases, get_database
from sparring.store.lti_models import LtiRegistrationRow, LtiScoreRow
from sparring.store.models import Team, TeamMember, User
from sparring.testing.fakes import FakePersona, FakeScorer
from sparring.testing.lti_platform import L, Launch, LtiPlatform, person
from sparring.testing.web import signed_in_client
from sparring.web.app import create_app, job_queue

PASSWORD = "correct horse battery"
BASE = "http://testserver"
SCENARIO = "cs-renewal-discount"


@dataclass
class Env:
    app: FastAPI
    database: Database
    practice: PracticeService
    platform: LtiPlatform
    registration_id: int
    #: the organisation's admin, signed in once (each sign-in costs an argon2 verification)
    admin: TestClient


def _login(app: FastAPI, email: str) -> TestClient:
    return signed_in_client(app, email, PASSWORD)


def _flash(response: Response) -> str:
    return unquote(response.headers.get("set-cookie", ""))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from _env(tmp_path_factory)


def _env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    data = tmp_path_factory.mktemp("lti")
    settings = Settings(data_dir=data, webhooks_allow="127.0.0.1", public_url=BASE)
    app = create_app(settings, warm_up=False)
    database = get_database(settings.resolved_database_url)
    practice = PracticeService(database, persona=FakePersona(), scorer=FakeScorer(), content=app.state.root.content)
    app.state.practice = practice
    accounts = Accounts(database)
    accounts.create_user("Acme", "admin@acme.test", PASSWORD, role="admin")
    accounts.create_user("Globex", "admin@globex.test", PASSWORD, role="admin")
    jwks_client = TestClient(app)
    with LtiPlatform(tool_jwks=lambda: jwks_client.get("/lti/jwks").json()) as platform:
        platform.redirect_uris.add(BASE + "/lti/launch")
        admin = _login(app, "admin@acme.test")
        form = {"csrf_token": admin.headers["X-CSRF-Token"], "name": "Moodle double", **platform.registration()}
        r = admin.post("/admin/lti", data=form)
        assert r.status_code == 303 and "Platform registration" in _flash(r), _flash(r)
        with database.read() as s:
            reg_id = s.scalar(select(LtiRegistrationRow.id).where(LtiRegistrationRow.client_id == platform.client_id))
        assert reg_id is not None
        yield Env(app, database, practice, platform, reg_id, admin)
    forget_databases()


def _launch(env: Env, launch: Launch, *, client: TestClient | None = None, deployment_hint: bool = True
            ) -> tuple[TestClient, Response]:
    """The platform's login initiation → Sparring's redirect → the platform's auth answer → the form post."""
    client = client or TestClient(env.app, follow_redirects=False)
    hint = env.platform.prepare(launch)
    params = env.platform.login_params(hint, BASE + "/lti/launch")
    if not deployment_hint:
        params.pop("lti_deployment_id")
    r = client.post("/lti/login", data=params)
    assert r.status_code == 302, r.text
    assert r.headers["location"].startswith(env.platform.url + "/auth?")
    answer = httpx.get(r.headers["location"])
    assert answer.status_code == 200, answer.text
    action, fields = env.platform.answer(answer.text)
    assert action == BASE + "/lti/launch"
    return client, client.post("/lti/launch", data=fields)


def _run(env: Env) -> None:
    InProcessRunner(job_queue(env.app), worker_id="test", periodic=False).run_until_idle()


def _refusals(env: Env) -> int:
    with env.database.read() as s:
        return int(s.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.action == "lti.refused")) or 0)


def test_the_admin_page_shows_the_values_to_paste_and_is_the_organisations_own(env: Env) -> None:
    admin = env.admin
    page = admin.get("/admin/lti")
    assert page.status_code == 200
    for value in ("/lti/login", "/lti/launch", "/lti/jwks"):
        assert BASE + value in page.text
    assert "Moodle double" in page.text and "sparring-" in page.text  # the registration and the key id
    assert "PRIVATE" not in page.text
    assert 'href="/admin/lti"' in admin.get("/admin/integrations").text
    learner, launched = _launch(env, Launch(person("moodle-user-10", "Lee"), custom={"sparring_scenario": SCENARIO}))
    assert launched.status_code == 303 and learner.get("/admin/lti").status_code == 403
    other = _login(env.app, "admin@globex.test")
    assert "Moodle double" not in other.get("/admin/lti").text
    assert other.get(f"/admin/lti/{env.registration_id}").status_code == 404
    r = other.post(f"/admin/lti/{env.registration_id}/delete", data={"csrf_token": other.headers["X-CSRF-Token"]})
    assert r.status_code == 303 and "no such LTI registration" in _flash(r)
    forged = admin.post(f"/admin/lti/{env.registration_id}/delete", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    bad = admin.post("/admin/lti", data={"csrf_token": admin.headers["X-CSRF-Token"], "name": "x", "issuer": "y",
                                         "client_id": "z", "deployment_ids": "1", "auth_login_url": "ftp://a/",
                                         "auth_token_url": "https://a.example/t", "jwks_url": "https://a.example/k"})
    assert "auth_login_url: only http and https" in _flash(bad)
    keys = TestClient(env.app).get("/lti/jwks").json()["keys"]
    assert keys and all("d" not in k and k["kty"] == "RSA" for k in keys)


def test_a_learner_launch_opens_a_rep_and_its_score_reaches_the_gradebook(env: Env) -> None:
    ada = person("moodle-user-11", "Ada Lovelace", email="ada@school.test")
    client, r = _launch(env, Launch(ada, custom={"sparring_scenario": SCENARIO, "sparring_difficulty": "easy"},
                                    resource_link_id="rl-11"))
    assert r.status_code == 303, r.text
    rep_id = int(r.headers["location"].removeprefix("/reps/"))
    page = client.get(f"/reps/{rep_id}")
    assert page.status_code == 200, page.headers.get("location")  # signed in by the launch
    with env.database.read() as s:
        user = s.scalar(select(User).where(User.email == "ada@school.test"))
        assert user is not None and user.role == "learner" and user.password_hash
        team = s.scalar(select(Team).join(TeamMember, TeamMember.team_id == Team.id)
                        .where(TeamMember.user_id == user.id))
        assert team is not None and team.name == "Sales 101 (LTI)"
    env.practice.submit_turn(rep_id, "What would a good outcome look like for you?")
    env.practice.end_rep(rep_id)
    card = env.practice.score_rep(rep_id)
    env.platform.fail_scores = 1
    _run(env)
    with env.database.read() as s:
        row = s.scalars(select(LtiScoreRow)).one()
        assert row.status == "pending" and row.tries == 1 and "HTTP 503" in (row.last_error or "")
    assert env.platform.scores == []
    assert row.job_id is not None and job_queue(env.app).get(row.job_id).status == "queued"  # retried later
    _due_now(env, row.job_id)
    _run(env)
    (score,) = env.platform.scores
    assert score["userId"] == "moodle-user-11" and score["lineitem"] == "rl-11"
    assert score["scoreGiven"] == round(card.overall, 2) and score["scoreMaximum"] == 100
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    assert env.platform.tokens[-1]["scopes"] == ["https://purl.imsglobal.org/spec/lti-ags/scope/score"]
    page = env.admin.get(f"/admin/lti/{env.registration_id}").text
    assert "moodle-user-11" in page and "sent" in page
    # the same person again: the same account, no second one
    _, again = _launch(env, Launch(ada, custom={"sparring_scenario": SCENARIO}))
    assert again.status_code == 303
    with env.database.read() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.email == "ada@school.test")) == 1


def _due_now(env: Env, job_id: int) -> None:
    """Make a job waiting for its backoff due now (the test does not wait 30 seconds)."""
    import time

    from sparring.store.models import JobRow

    with env.database.session() as s:
        job = s.get(JobRow, job_id)
        assert job is not None
        job.run_at = time.time()


def test_an_instructor_adds_a_scenario_by_deep_linking(env: Env) -> None:
    grace = person("canvas-teacher-1", "Grace Hopper", instructor=True)
    client, r = _launch(env, Launch(grace, message_type="LtiDeepLinkingRequest"))
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/lti/deep-link/")
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and f"scenario:{SCENARIO}" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    answer = client.post(r.headers["location"], data={"csrf_token": csrf.group(1), "choice": f"scenario:{SCENARIO}",
                                                       "difficulty": "hard"})
    assert answer.status_code == 200
    assert f"form-action 'self' {env.platform.url}" in answer.headers["content-security-policy"]
    action, fields = LtiPlatform.answer(answer.text)
    assert action == env.platform.url + "/deep-link-return"
    claims = env.platform.read_deep_link_response(fields["JWT"])
    (item,) = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["type"] == "ltiResourceLink" and item["url"] == BASE + "/lti/launch"
    assert item["custom"] == {"sparring_scenario": SCENARIO, "sparring_difficulty": "hard"}
    assert item["lineItem"]["scoreMaximum"] == 100
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "dl-data-42"
    assert claims[L + "deployment_id"] == "1"
    with env.database.read() as s:
        teacher = s.scalar(select(User).where(User.email == "canvas-teacher-1@school.test"))
        assert teacher is not None and teacher.role == "manager"
    twice = client.post(r.headers["location"], data={"csrf_token": csrf.group(1), "choice": f"scenario:{SCENARIO}"})
    assert twice.status_code == 409
    # a learner may not add activities
    _, refused = _launch(env, Launch(person("moodle-user-12", "Bob"), message_type="LtiDeepLinkingRequest"))
    assert refused.status_code == 400 and "only an Instructor or Administrator" in refused.text


def test_the_roster_comes_over_page_by_page(env: Env) -> None:
    """Sync roster queues a background job (no platform request runs inside the web request); the registration's
    page shows its counts once it has run."""
    people = [person(f"roster-{i}", f"Member {i}", instructor=(i == 0)) for i in range(5)]
    env.platform.members["course-7"] = people
    admin = env.admin
    tokens_before = len(env.platform.tokens)
    r = admin.post(f"/admin/lti/{env.registration_id}/roster", data={"csrf_token": admin.headers["X-CSRF-Token"]})
    assert r.status_code == 303 and "Roster sync queued (job " in _flash(r)
    assert len(env.platform.tokens) == tokens_before  # nothing asked of the platform yet
    page = admin.get(f"/admin/lti/{env.registration_id}")
    assert "waiting" in page.text
    _run(env)
    page = admin.get(f"/admin/lti/{env.registration_id}")
    assert "5 member(s) in 1 course(s), 5 new account(s)" in page.text
    with env.database.read() as s:
        roles = dict(s.execute(select(User.email, User.role).where(User.email.like("roster-%"))).all())
        team = s.scalar(select(Team.id).where(Team.name == "Sales 101 (LTI)"))
        members = s.scalar(select(func.count()).select_from(TeamMember).where(TeamMember.team_id == team))
        audited = s.scalar(select(AuditRow).where(AuditRow.action == "lti.roster_synced").order_by(AuditRow.id.desc()))
    assert roles == {f"roster-{i}@school.test": "manager" if i == 0 else "learner" for i in range(5)}
    assert members is not None and members >= 5
    assert audited is not None and audited.actor_label == "admin@acme.test"  # the admin who asked, not the worker
    assert env.platform.tokens[-1]["scopes"] == [
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]
    admin.post(f"/admin/lti/{env.registration_id}/roster", data={"csrf_token": admin.headers["X-CSRF-Token"]})
    _run(env)
    assert "5 member(s) in 1 course(s), 0 new account(s)" in admin.get(f"/admin/lti/{env.registration_id}").text
    other = _login(env.app, "admin@globex.test")
    refused = other.post(f"/admin/lti/{env.registration_id}/roster", data={"csrf_token": other.headers["X-CSRF-Token"]})
    assert refused.status_code in (303, 404) and "queued" not in _flash(refused)  # another organisation's registration


@pytest.mark.parametrize(("launch", "reason"), [
    (dict(other_key=True), "id_token: bad signature"),
    (dict(override={"aud": "someone-else"}), "does not name this tool's client id"),
    (dict(age=7200), "id_token: expired"),
    (dict(override={"nonce": "made-up"}), "nonce does not match"),
    (dict(override={L + "version": "1.1"}), "expected '1.3.0'"),
    (dict(deployment_id="99"), "deployment id '99' is not registered"),
])
def test_a_bad_launch_is_refused_with_a_page_naming_why(env: Env, launch: dict[str, object], reason: str) -> None:
    before = _refusals(env)
    spec = Launch(person("moodle-user-13", "Eve"), custom={"sparring_scenario": SCENARIO}, **launch)  # type: ignore[arg-type]
    _, r = _launch(env, spec, deployment_hint=False)
    assert r.status_code == 400 and reason in unquote(r.text).replace("&#39;", "'"), r.text[:2000]
    assert "sparring_session" not in r.headers.get("set-cookie", "")
    assert _refusals(env) == before + 1


def test_a_replayed_launch_and_an_unknown_platform_are_refused(env: Env) -> None:
    client = TestClient(env.app, follow_redirects=False)
    hint = env.platform.prepare(Launch(person("moodle-user-14", "Mal"), custom={"sparring_scenario": SCENARIO}))
    r = client.post("/lti/login", data=env.platform.login_params(hint, BASE + "/lti/launch"))
    _, fields = env.platform.answer(httpx.get(r.headers["location"]).text)
    assert client.post("/lti/launch", data=fields).status_code == 303
    replay = TestClient(env.app, follow_redirects=False).post("/lti/launch", data=fields)
    assert replay.status_code == 400 and "already used" in replay.text
    unknown = client.get("/lti/login", params={"iss": "https://nowhere.example", "login_hint": "x",
                                               "target_link_uri": BASE + "/lti/launch"})
    assert unknown.status_code == 400 and "no active LTI registration" in unknown.text
    missing = client.post("/lti/launch", data={"id_token": "not.a.jwt", "state": "nope"})
    assert missing.status_code == 400 and "state: unknown" in missing.text
    nothing = TestClient(env.app, follow_redirects=False).post("/lti/login", data={})
    assert nothing.status_code == 400 and "iss: missing" in nothing.text


def test_a_launch_without_a_target_is_refused_and_a_program_link_opens_the_program(env: Env) -> None:
    _, r = _launch(env, Launch(person("moodle-user-15", "Ann")))
    assert r.status_code == 400 and "sparring_scenario" in r.text
    _, r = _launch(env, Launch(person("moodle-user-15", "Ann"), custom={"sparring_scenario": "no-such-thing"}))
    assert r.status_code == 400 and "sparring_scenario" in r.text
    _, r = _launch(env, Launch(person("moodle-user-15", "Ann"), custom={"sparring_program": "12"}))
    assert r.status_code == 303 and r.headers["location"] == "/"  # a learner: their home page
    _, r = _launch(env, Launch(person("moodle-teacher-15", "Tom", instructor=True),
                               custom={"sparring_program": "12"}))
    assert r.status_code == 303 and r.headers["location"] == "/programs/12"
    _, r = _launch(env, Launch(person("moodle-user-15", "Ann"), custom={"sparring_program": "12x"}))
    assert r.status_code == 400 and "is not a program id" in r.text


def test_a_rotated_key_stays_published_and_signs_from_then_on(env: Env) -> None:
    admin = env.admin
    before = {k["kid"] for k in TestClient(env.app).get("/lti/jwks").json()["keys"]}
    r = admin.post("/admin/lti/keys/rotate", data={"csrf_token": admin.headers["X-CSRF-Token"]})
    assert r.status_code == 303 and "New signing key" in _flash(r)
    after = {k["kid"] for k in TestClient(env.app).get("/lti/jwks").json()["keys"]}
    assert before < after and len(after - before) == 1
    client, launched = _launch(env, Launch(person("canvas-teacher-2", "Kay", instructor=True),
                                           message_type="LtiDeepLinkingRequest"))
    page = client.get(launched.headers["location"])
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    answer = client.post(launched.headers["location"], data={"csrf_token": csrf.group(1),
                                                              "choice": f"scenario:{SCENARIO}"})
    _, fields = LtiPlatform.answer(answer.text)
    header = fields["JWT"].split(".")[0]
    import base64
    import json

    kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    assert kid in after - before
    env.platform.read_deep_link_response(fields["JWT"])


def test_the_sweep_sends_what_a_crash_left_out_and_purges_old_login_states(env: Env) -> None:
    from datetime import timedelta

    from sqlalchemy import delete

    from sparring.services import lti_grades
    from sparring.store.lti_models import LtiLaunchRow, LtiLoginStateRow
    from sparring.store.models import utcnow

    _, r = _launch(env, Launch(person("moodle-user-20", "Cy"), custom={"sparring_scenario": SCENARIO},
                               resource_link_id="rl-20"))
    rep_id = int(r.headers["location"].removeprefix("/reps/"))
    env.practice.submit_turn(rep_id, "Which part matters most to you?")
    env.practice.end_rep(rep_id)
    env.practice.score_rep(rep_id)
    with env.database.session() as s:  # as if the process died between the commit and the fan-out
        launch = s.scalar(select(LtiLaunchRow.id).where(LtiLaunchRow.rep_id == rep_id))
        s.execute(delete(LtiScoreRow).where(LtiScoreRow.launch_id == launch))
    assert lti_grades.sweep(job_queue(env.app)) == 1
    _run(env)
    assert [x["lineitem"] for x in env.platform.scores].count("rl-20") == 1
    assert lti_grades.sweep(job_queue(env.app)) == 0
    assert lti_grades.purge_states(env.database, now=utcnow() + timedelta(days=2)) > 0
    with env.database.read() as s:
        assert s.scalar(select(func.count()).select_from(LtiLoginStateRow)) == 0
