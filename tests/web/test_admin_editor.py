"""The content editor's pages and JSON helpers: templates for a new scenario, the page keeping its kind after a
failed publish, the form view writing fields into the YAML, and the preview playing a draft (nothing stored)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sparring.services import authoring
from sparring.store.models import ContentVersion, Rep
from sparring.testing.web import World, login


def _yaml_of(page: str) -> str:
    m = re.search(r'<textarea id="yaml"[^>]*>(.*?)</textarea>', page, re.S)
    assert m, "no YAML textarea on the page"
    return html.unescape(m.group(1))


def test_new_scenario_offers_every_template_and_none_is_a_copy_of_a_library_scenario(world: World) -> None:
    admin = login(world.app, "admin_a")
    page = admin.get("/admin/content/edit", params={"kind": "scenario"})
    assert page.status_code == 200 and "Start from a template" in page.text and "Valid scenario" in page.text
    assert "my-scenario" not in page.text
    keys = [t.key for t in authoring.scenario_templates()]
    assert {"sales-pricing-pushback", "cs-renewal", "consulting-challenge", "manager-feedback"} <= set(keys)
    domains = {t.domain for t in authoring.scenario_templates()}
    assert {"sales", "customer-success", "consulting", "management"} <= domains
    from sparring.content.library import get_library

    library_ids = set(get_library().scenarios)
    for key in keys:
        r = admin.get("/admin/content/edit", params={"kind": "scenario", "template": key})
        assert r.status_code == 200 and "Valid scenario" in r.text, key
        text = _yaml_of(r.text)
        assert re.search(r"^id: new-", text, re.M) and not any(f"id: {i}\n" in text for i in library_ids)
    assert admin.get("/admin/content/edit", params={"kind": "scenario", "template": "../rubrics/x"}).status_code == 404


def test_a_failed_scenario_publish_keeps_the_page_a_scenario(world: World) -> None:
    admin = login(world.app, "admin_a")
    token = admin.headers["X-CSRF-Token"]
    r = admin.post("/admin/content/publish", data={"csrf_token": token, "kind": "scenario", "content_id": "",
                                                   "yaml": "id: x\ntitle: [unclosed\n"})
    assert r.status_code == 400
    assert "<h1>New scenario</h1>" in r.text and "New rubric" not in r.text
    assert 'id="tab-form"' in r.text  # the scenario's form view is still offered


def test_a_template_publishes_after_its_title_is_edited_in_the_form_view(world: World) -> None:
    admin = login(world.app, "admin_a")
    token = admin.headers["X-CSRF-Token"]
    text = authoring.template_text("cs-renewal")
    assert text is not None
    read = admin.post("/admin/content/form", json={"text": text})
    assert read.status_code == 200
    fields = read.json()["fields"]
    assert fields["id"] == "new-renewal-conversation" and fields["persona.name"] == "James Okoro"
    assert "renewal-value" in read.json()["rubrics"]
    edited = admin.post("/admin/content/form", json={"text": text, "fields": {
        **fields, "id": "acme-renewal", "title": "Acme renewal: the usage dip"}}).json()["text"]
    assert "id: acme-renewal\n" in edited and "title: \"Acme renewal: the usage dip\"\n" in edited
    assert edited.splitlines()[0].startswith("# Template")  # the comment stays
    r = admin.post("/admin/content/publish", data={"csrf_token": token, "kind": "scenario", "yaml": edited})
    assert r.status_code == 303 and r.headers["location"].endswith("id=acme-renewal")
    with world.database.read() as s:
        assert s.scalar(select(func.count()).select_from(ContentVersion)
                        .where(ContentVersion.content_id == "acme-renewal")) == 1


def test_the_form_view_answers_problems_with_their_line(world: World) -> None:
    admin = login(world.app, "admin_a")
    r = admin.post("/admin/content/form", json={"text": "id: x\ntitle: [oops\n"})
    assert r.status_code == 400 and r.json()["problems"][0]["line"] == 3
    bad = admin.post("/admin/content/form", json={"text": authoring.template_text("cs-renewal"),
                                                  "fields": {"no_such": "x"}})
    assert bad.status_code == 400 and "no_such" in bad.json()["error"]
    assert admin.post("/admin/content/form", content=b"not json").status_code == 400
    from sparring.web.routes.admin_editor import MAX_BODY_BYTES

    huge = admin.post("/admin/content/form", content=b"x" * (MAX_BODY_BYTES + 1))
    assert huge.status_code == 413 and "too large" in huge.json()["error"]
    no_csrf = TestClient(world.app)
    no_csrf.cookies.update(admin.cookies)
    assert no_csrf.post("/admin/content/form", json={"text": "x"}).status_code == 403
    learner = login(world.app, "learner_a1")
    assert learner.post("/admin/content/form", json={"text": "x"}).status_code == 403


def test_preview_plays_the_draft_with_the_practice_engine_and_stores_nothing(world: World) -> None:
    admin = login(world.app, "admin_a")
    text = authoring.template_text("sales-pricing-pushback")
    assert text is not None
    with world.database.read() as s:
        reps_before = s.scalar(select(func.count()).select_from(Rep))
    opened = admin.post("/admin/content/preview", json={"text": text, "lines": []})
    assert opened.status_code == 200
    assert opened.json()["turns"][0]["text"].startswith("Thanks for making the time.")
    draft = text.replace("Thanks for making the time.", "Good to see you again.")
    r = admin.post("/admin/content/preview", json={"text": draft, "difficulty": "easy",
                                                   "lines": ["What is the forty-five thousand based on?"]})
    body = r.json()
    assert r.status_code == 200 and body["turns"][0]["text"].startswith("Good to see you again.")
    assert [t["role"] for t in body["turns"]] == ["counterpart", "learner", "counterpart"]
    assert "old tool" in body["turns"][2]["text"]  # the draft's knowledge answers the question
    with world.database.read() as s:
        assert s.scalar(select(func.count()).select_from(Rep)) == reps_before
    broken = admin.post("/admin/content/preview", json={"text": text.replace("rubric: sales-objection-handling",
                                                                             "rubric: no-such-rubric"), "lines": []})
    assert broken.status_code == 400 and any("unknown rubric" in p for p in broken.json()["problems"])
    rubric = admin.post("/admin/content/preview", json={"text": "id: r\ntitle: Rubric\ncriteria: []\n"})
    assert rubric.status_code == 400 and "rubric has no persona" in rubric.json()["error"]
    too_many = admin.post("/admin/content/preview", json={"text": text, "lines": ["Hello there."] * 7})
    assert too_many.status_code == 400
    assert login(world.app, "manager_a").post("/admin/content/preview", json={"text": text}).status_code == 403
