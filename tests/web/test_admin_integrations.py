"""The Integrations page (docs/integrations.md): one admin entry for API tokens, webhooks, xAPI delivery and the MCP
server, with each one's state for the admin's own organisation; the pages it leads to are marked as under it."""

from __future__ import annotations

from sparring.testing.web import World, api_token, login


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
