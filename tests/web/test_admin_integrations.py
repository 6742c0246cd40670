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
