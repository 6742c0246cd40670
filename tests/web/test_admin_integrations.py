"""The Integrations page (docs/integrations.md): one admin entry for API tokens, webhooks, xAPI delivery and the MCP
server, with each one's state for the admin's own organisation; the pages it leads to are marked as under it; the
organisation export it offers (sparring.web.routes.admin_org_export): the button, queueing the job (CSRF), the
waiting page, the download once the job ran — the admin's own organisation only —, the audit entry, and that only
the admin who queued it may fetch it."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from sparring.jobs import InProcessRunner
from sparring.store.audit_models import AuditRow
from sparring.testing.web import World, api_token, login
from sparring.web.app import job_queue


def test_the_integrations_page(world: World) -> None:
    admin = login(world.app, "admin_a")
    page = admin.get("/admin/integrations")
    assert page.status_code == 200
    for link in ('href="/admin/tokens"', 'href="/admin/webhooks"', 'href="/admin/xapi"'):
        assert link in page.text
    assert "0 active tokens" in page.text and "SPARRING_XAPI_LRS_URL" in page.text
    api_token(world, "learner_a1")
    assert "1 active token<" in admin.get("/admin/integrations").text
    assert "0 active tokens" in login(world.app, "admin_b").get("/admin/integrations").text  # Globex's own count
    nav = admin.get("/admin/webhooks").text
    assert 'href="/admin/integrations" aria-current="page"' in nav
    for key in ("learner_a1", "manager_a"):
        assert login(world.app, key).get("/admin/integrations").status_code == 403


def test_admins_download_a_scorm_package(world: World) -> None:
    import io
    import zipfile

    admin = login(world.app, "admin_a")
    page = admin.get("/admin/integrations").text
    assert 'action="/admin/integrations/scorm"' in page and "SPARRING_SCORM_ORIGINS" in page
    r = admin.get("/admin/integrations/scorm", params={"scenario": "cs-renewal-discount", "difficulty": "hard",
                                                       "version": "2004"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert 'filename="sparring-cs-renewal-discount-hard-scorm2004.zip"' in r.headers["content-disposition"]
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    assert b"2004 4th Edition" in zf.read("imsmanifest.xml")
    launch = zf.read("index.html").decode()
    assert 'data-sparring-base="http://testserver"' in launch and 'data-difficulty="hard"' in launch
    for params, status, message in [
        ({"scenario": "no-such-scenario"}, 404, "scenario: unknown scenario"),
        ({"scenario": "cs-renewal-discount", "version": "3"}, 400, "version: must be one of 1.2, 2004"),
        ({"scenario": "cs-renewal-discount", "difficulty": "extreme"}, 400, "difficulty: "),
        ({}, 400, "scenario: choose"),
    ]:
        r = admin.get("/admin/integrations/scorm", params=params)
        assert r.status_code == status and message in r.text, (params, r.status_code, r.text[:300])
    for key in ("learner_a1", "manager_a"):
        r = login(world.app, key).get("/admin/integrations/scorm", params={"scenario": "cs-renewal-discount"})
        assert r.status_code == 403


def test_an_admin_exports_their_organisation(world: World) -> None:
    admin = login(world.app, "admin_a")
    page = admin.get("/admin/integrations")
    assert 'action="/admin/integrations/org-export"' in page.text and ">Export organisation</button>" in page.text
    assert admin.post("/admin/integrations/org-export", data={"csrf_token": "forged"}).status_code == 403
    queued = admin.post("/admin/integrations/org-export", data={"csrf_token": admin.headers["X-CSRF-Token"]})
    assert queued.status_code == 303
    location = queued.headers["location"]
    assert re.fullmatch(r"/admin/integrations/org-export/\d+", location)
    waiting = admin.get(location)
    assert waiting.status_code == 200 and "being written" in waiting.text and 'http-equiv="refresh"' in waiting.text
    assert login(world.app, "admin_b").get(location).status_code == 404  # another organisation's admin
    assert login(world.app, "manager_a").get(location).status_code == 403
    InProcessRunner(job_queue(world.app), worker_id="test-org-export", periodic=False).run_until_idle()
    done = admin.get(location)
    assert done.status_code == 200 and done.headers["content-type"] == "application/json"
    assert 'filename="sparring-acme-' in done.headers["content-disposition"]
    doc = json.loads(done.content)
    assert doc["format"] == "sparring-org-export" and doc["organisation"]["slug"] == "acme"
    assert doc["credentials"] is False and all(u["password_hash"] is None for u in doc["tables"]["users"])
    emails = {u["email"] for u in doc["tables"]["users"]}
    assert "admin_a@acme.test" in emails and not any("globex" in e for e in emails)
    assert "globex" not in done.text.lower()
    with world.database.read() as s:
        row = s.scalar(select(AuditRow).where(AuditRow.action == "org.exported").order_by(AuditRow.id.desc()))
    assert row is not None and row.actor_label == "admin_a@acme.test" and row.via == "web"
    assert admin.get("/admin/integrations/org-export/999999").status_code == 404
    again = admin.post("/admin/integrations/org-export", data={"csrf_token": admin.headers["X-CSRF-Token"]})
    InProcessRunner(job_queue(world.app), worker_id="test-org-export", periodic=False).run_until_idle()
    assert admin.get(again.headers["location"]).status_code == 200
    assert admin.get(location).status_code == 410  # only the newest export is kept on disk
