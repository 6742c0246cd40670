"""The admin webhook pages (sparring.web.routes.admin_webhooks): an admin adds an endpoint, reads its secret,
presses "Send test event" and sees the signed ping arrive at a real receiver on loopback and in the delivery log;
a rep scored in the app reaches the endpoint; a failed delivery is sent again with its button; other roles and
the other organisation's admin get nothing; bad input is flashed with the field; the pages fit 390 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparring.jobs import InProcessRunner
from sparring.services.accounts import Accounts
from sparring.settings import Settings
from sparring.store.db import forget_databases, get_database
from sparring.store.integration_models import WebhookEndpointRow
from sparring.testing.web import World, build_world, login
from sparring.testing.webhook_receiver import WebhookReceiver
from sparring.web.app import create_app, job_queue


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The test world with loopback allowed for webhooks (the installation setting) and one attempt per delivery."""
    data: Path = tmp_path_factory.mktemp("webhooks-web")
    settings = Settings(data_dir=data, webhooks_allow="127.0.0.1", webhooks_max_attempts=1, webhooks_timeout=5)
    app = create_app(settings)
    yield build_world(app, get_database(settings.resolved_database_url))
    forget_databases()


def _flash(response: object) -> str:
    return unquote(response.headers.get("set-cookie", ""))  # type: ignore[attr-defined]


def _run(world: World) -> None:
    InProcessRunner(job_queue(world.app), worker_id="test", periodic=False).run_until_idle()


def _add(admin: TestClient, url: str, *types: str, name: str = "CRM") -> int:
    form = {"csrf_token": admin.headers["X-CSRF-Token"], "url": url, "description": name}
    form.update({f"event:{t}": "on" for t in types})
    r = admin.post("/admin/webhooks", data=form)
    assert r.status_code == 303, r.text
    found = re.search(r"Endpoint (\d+) added", _flash(r))
    assert found, _flash(r)
    return int(found.group(1))


def _secret(admin: TestClient, endpoint_id: int) -> str:
    page = admin.get(f"/admin/webhooks/{endpoint_id}")
    assert page.status_code == 200
    found = re.search(r'id="wh-secret"[^>]*>(whsec_[0-9a-f]+)<', page.text)
    assert found, "the endpoint page shows its signing secret"
    return found.group(1)


def test_an_admin_adds_an_endpoint_and_sends_a_test_event(world: World) -> None:
    admin = login(world.app, "admin_a")
    listing = admin.get("/admin/webhooks")
    assert listing.status_code == 200
    assert 'href="/admin/integrations" aria-current="page"' in listing.text  # the nav entry it is under
    with WebhookReceiver() as receiver:
        endpoint_id = _add(admin, receiver.url, "loop.closed", name="Ping target")
        receiver.secret = _secret(admin, endpoint_id)
        token = admin.headers["X-CSRF-Token"]
        sent = admin.post(f"/admin/webhooks/{endpoint_id}/test", data={"csrf_token": token})
        assert sent.status_code == 303 and "Test event queued" in _flash(sent)
        _run(world)
    (ping,) = receiver.received
    assert ping.signature_ok and ping.json["type"] == "ping" and ping.headers["Sparring-Event"] == "ping"
    assert ping.json["organisation"]["slug"] == "acme"
    page = admin.get(f"/admin/webhooks/{endpoint_id}").text
    assert ping.json["id"] in page and "delivered" in page and "HTTP 200" in page
    assert "Ping target" in admin.get("/admin/webhooks").text


def test_a_rep_scored_in_the_app_is_delivered_and_a_failed_one_is_sent_again(world: World) -> None:
    admin = login(world.app, "admin_a")
    learner = Accounts(world.database).get_user(world.users["learner_a1"])
    with WebhookReceiver(answers=[500]) as receiver:
        endpoint_id = _add(admin, receiver.url, "rep.scored", name="Scores")
        receiver.secret = _secret(admin, endpoint_id)
        rep = world.practice.start_rep(learner, "sales-pricing-objection")
        world.practice.submit_turn(rep.id, "What are you comparing the price with?")
        world.practice.end_rep(rep.id)
        world.practice.score_rep(rep.id)
        _run(world)  # one attempt (the installation's setting): the 500 fails the delivery
        page = admin.get(f"/admin/webhooks/{endpoint_id}").text
        assert "failed" in page and "HTTP 500" in page and "Send again" in page
        delivery = re.search(rf'/admin/webhooks/{endpoint_id}/deliveries/(\d+)/redeliver', page)
        assert delivery
        again = admin.post(delivery.group(0), data={"csrf_token": admin.headers["X-CSRF-Token"]})
        assert again.status_code == 303 and "queued again" in _flash(again)
        _run(world)
    assert [r.status for r in receiver.received] == [500, 200]
    assert all(r.signature_ok and r.json["data"]["rep_id"] == rep.id for r in receiver.received)
    page = admin.get(f"/admin/webhooks/{endpoint_id}").text
    assert "delivered" in page and "Send again" not in page


def test_other_roles_and_the_other_organisation_get_nothing(world: World) -> None:
    admin = login(world.app, "admin_a")
    endpoint_id = _add(admin, "https://hooks.example.com/acme", "rep.scored", name="Acme only")
    for key in ("learner_a1", "manager_a"):
        client = login(world.app, key)
        assert client.get("/admin/webhooks").status_code == 403
        assert client.get(f"/admin/webhooks/{endpoint_id}").status_code == 403
    other = login(world.app, "admin_b")
    assert other.get(f"/admin/webhooks/{endpoint_id}").status_code == 404
    assert "Acme only" not in other.get("/admin/webhooks").text and "hooks.example.com" not in \
        other.get("/admin/webhooks").text
    token = other.headers["X-CSRF-Token"]
    for action in ("test", "delete", "secret", ""):
        r = other.post(f"/admin/webhooks/{endpoint_id}" + (f"/{action}" if action else ""),
                       data={"csrf_token": token, "url": "https://evil.example/", "event:rep.scored": "on"})
        assert r.status_code == 303 and "no such webhook endpoint" in _flash(r), action
    with world.database.read() as s:
        row = s.scalar(select(WebhookEndpointRow).where(WebhookEndpointRow.id == endpoint_id))
        assert row is not None and row.url == "https://hooks.example.com/acme"
    forged = admin.post(f"/admin/webhooks/{endpoint_id}/delete", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    gone = admin.post(f"/admin/webhooks/{endpoint_id}/delete", data={"csrf_token": admin.headers["X-CSRF-Token"]})
    assert gone.status_code == 303 and "deleted" in _flash(gone)
    assert admin.get(f"/admin/webhooks/{endpoint_id}").status_code == 404


def test_bad_input_is_flashed_with_its_field_and_an_edit_is_saved(world: World) -> None:
    admin = login(world.app, "admin_a")
    token = admin.headers["X-CSRF-Token"]
    for form, problem in [({"url": "ftp://x.example/", "event:rep.scored": "on"}, "url: only http and https"),
                          ({"url": "https://x.example/"}, "events: choose at least one"),
                          ({"url": "http://10.0.0.9/", "event:rep.scored": "on"}, "not a public address")]:
        r = admin.post("/admin/webhooks", data={"csrf_token": token, **form})
        assert r.status_code == 303 and problem in _flash(r)
    endpoint_id = _add(admin, "https://hooks.example.com/edit", "rep.scored")
    secret = _secret(admin, endpoint_id)
    saved = admin.post(f"/admin/webhooks/{endpoint_id}", data={
        "csrf_token": token, "url": "https://hooks.example.com/v2", "description": "CRM v2",
        "event:assignment.submitted": "on", "event:program.completed": "on"})
    assert saved.status_code == 303 and "saved" in _flash(saved)
    page = admin.get(f"/admin/webhooks/{endpoint_id}").text
    assert "https://hooks.example.com/v2" in page and "CRM v2" in page and "(off" not in page
    assert 'name="event:program.completed" checked' in page and 'name="event:rep.scored" checked' not in page
    assert 'name="active">' in page  # saved without "active": turned off
    rotated = admin.post(f"/admin/webhooks/{endpoint_id}/secret", data={"csrf_token": token})
    assert rotated.status_code == 303 and _secret(admin, endpoint_id) != secret
