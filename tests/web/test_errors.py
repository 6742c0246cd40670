"""One error format: unexpected exceptions become a logged 500 with an error id (JSON for the API, a page for
browsers), every error response of the API is documented with ErrorBody and answers it, and a body-less
write needs no JSON content type (but still the CSRF header)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import sparring.web.routes.api as api_routes
import sparring.web.routes.practice as practice_routes
from sparring.kernel.sealing import UnsealError
from sparring.testing.web import SCENARIO, World, login
from sparring.web.errors import ErrorBody


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("secret internals: /srv/db password=hunter2")


def test_an_unexpected_error_is_a_logged_500_with_an_error_id(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(api_routes, "rep_view", _boom)
    client = login(world.app, "learner_a1")
    with caplog.at_level(logging.ERROR, logger="sparring.web"):
        r = client.get(f"/api/reps/{world.reps['a1_public']}")
    assert r.status_code == 500 and r.headers["content-type"].startswith("application/json")
    body = ErrorBody.model_validate(r.json())
    assert body.error_id and body.error_id in body.detail
    assert "hunter2" not in r.text and "Traceback" not in r.text
    assert r.headers["X-Content-Type-Options"] == "nosniff"  # the security headers wrap the 500 too
    logged = [rec for rec in caplog.records if body.error_id in rec.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "GET /api/reps/" in logged[0].getMessage()
    assert "hunter2" in caplog.text  # the traceback, with the real cause, is in the server's log only


def test_an_unexpected_error_on_a_page_is_an_html_500(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(practice_routes, "rep_view", _boom)
    client = login(world.app, "learner_a1")
    with caplog.at_level(logging.ERROR, logger="sparring.web"):
        r = client.get(f"/reps/{world.reps['a1_public']}/scorecard", headers={"Accept": "text/html"})
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in r.text and "hunter2" not in r.text
    error_id = next(rec for rec in caplog.records if rec.exc_info).args[0]  # type: ignore[index]
    assert error_id in r.text
    # the same failure asked for by a script (no text/html) answers JSON
    r = client.get(f"/reps/{world.reps['a1_public']}/scorecard")
    assert r.status_code == 500 and r.json()["error_id"]


def _unsealable(*_args: Any, **_kwargs: Any) -> Any:
    raise UnsealError("webhook_endpoints.secret (row 7): sealed with installation key 0a1b2c3d, which this "
                      "installation does not have (its keys: 9f8e7d6c); restore the SPARRING_SECRET_KEY")


def test_a_secret_that_cannot_be_unsealed_is_a_503_saying_what_to_do(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    """The backstop for a sealed value no route mapped itself: not a 500 with an error id, but a 503 naming the
    column and the fix, for the API and for a page; the log has the cause without a traceback."""
    monkeypatch.setattr(api_routes, "rep_view", _unsealable)
    monkeypatch.setattr(practice_routes, "rep_view", _unsealable)
    client = login(world.app, "learner_a1")
    with caplog.at_level(logging.ERROR, logger="sparring.web"):
        r = client.get(f"/api/reps/{world.reps['a1_public']}")
    body = ErrorBody.model_validate(r.json())
    assert r.status_code == 503 and body.error_id is None
    assert "webhook_endpoints.secret (row 7)" in body.detail and "sparring db seal-secrets" in body.detail
    assert [rec.exc_info for rec in caplog.records if "webhook_endpoints.secret" in rec.getMessage()] == [None]
    page = client.get(f"/reps/{world.reps['a1_public']}/scorecard", headers={"Accept": "text/html"})
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "Not available" in page.text and "type the secret again" in page.text


def test_the_500_page_survives_a_failing_template(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import sparring.web.deps as deps

    monkeypatch.setattr(practice_routes, "rep_view", _boom)
    client = login(world.app, "learner_a1")
    monkeypatch.setattr(deps, "render", _boom)  # e.g. the database is down and even the page cannot render
    r = client.get(f"/reps/{world.reps['a1_public']}/scorecard", headers={"Accept": "text/html"})
    assert r.status_code == 500 and "Something went wrong" in r.text and "hunter2" not in r.text


def test_validation_errors_are_one_line_naming_each_problem(world: World) -> None:
    client = login(world.app, "learner_a1")
    r = client.post(f"/api/reps/{world.reps['a1_public']}/turns", json={"txt": "hi"})
    assert r.status_code == 422 and r.json() == {"detail": "text: Field required"}
    r = client.get("/api/reps?limit=0&offset=-1&user_id=x")
    detail = ErrorBody.model_validate(r.json()).detail
    assert r.status_code == 422 and all(f"query.{k}" in detail for k in ("limit", "offset", "user_id"))
    r = client.post("/api/reps", json={f"k{i}": i for i in range(5000)} | {"difficulty": [1] * 5000})
    assert r.status_code == 422 and len(r.text) < 1000
    page = client.get("/?q=%00", headers={"Accept": "text/html"})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "Bad request" in page.text and "Query.q: Value error, contains a NUL" in page.text


def test_a_page_address_with_an_impossible_id_is_not_found_for_a_person(world: World) -> None:
    """The API says 422 with the rule; a browser on /reps/99999999999 gets the plain 'not found' page."""
    client = login(world.app, "learner_a1")
    for path in ("/reps/99999999999999999999", "/reps/0/scorecard", "/team/learners/abc"):
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 404 and "Not found" in page.text and "rep_id" not in page.text, path
    assert client.get("/api/reps/99999999999999999999").status_code == 422


def test_the_openapi_documents_every_error_with_the_shared_model(world: World) -> None:
    schema = login(world.app, "learner_a1").get("/api/openapi.json").json()
    assert "ErrorBody" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    seen: set[str] = set()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            codes = {c for c in op["responses"] if int(c) >= 400}
            assert {"500"} <= codes, (method, path)
            for code in codes:
                seen.add(code)
                ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (method, path, code)
            if "requestBody" in op:
                assert {"415", "422"} <= codes, (method, path)
    assert {"400", "401", "403", "404", "409", "415", "422", "429", "500", "503"} <= seen
    end = schema["paths"]["/api/reps/{rep_id}/end"]["post"]
    assert "requestBody" not in end and {"401", "403", "404", "415", "422"} <= set(end["responses"])
    rep_id = schema["paths"]["/api/reps/{rep_id}"]["get"]["parameters"][0]["schema"]
    assert rep_id["minimum"] == 1 and rep_id["maximum"] == 2**31 - 1


def test_ending_a_rep_needs_no_body_but_the_csrf_header(world: World) -> None:
    client = login(world.app, "learner_a2")
    csrf = client.headers.pop("X-CSRF-Token")
    rep_id = client.post("/api/reps", json={"scenario": SCENARIO}, headers={"X-CSRF-Token": csrf}).json()["id"]
    forged = client.post(f"/api/reps/{rep_id}/end")  # a cross-site request cannot set the header
    assert forged.status_code == 403
    form = client.post(f"/api/reps/{rep_id}/end", content=b"a=1",
                       headers={"X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415 and "application/json" in form.json()["detail"]
    assert client.get(f"/api/reps/{rep_id}").json()["outcome"] == "in_progress"
    ended = client.post(f"/api/reps/{rep_id}/end", headers={"X-CSRF-Token": csrf})
    assert ended.status_code == 200 and ended.json()["outcome"] == "incomplete"
    again = client.post(f"/api/reps/{rep_id}/end", json={}, headers={"X-CSRF-Token": csrf})
    assert again.status_code == 200  # JSON is still accepted, and ending twice changes nothing
    # a write that takes a body still insists on JSON
    text = client.post(f"/api/reps/{rep_id}/turns", content=b'{"text": "hi"}',
                       headers={"X-CSRF-Token": csrf, "Content-Type": "text/plain"})
    assert text.status_code in (415, 422)
