"""Call pages and the calls JSON API (docs/calls.md, "In the browser"): upload (API and plain form), the import jobs
and their progress, the calls list, the review document and page, who sees what, CSRF, limits and bad files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sparring.jobs import InProcessRunner
from sparring.services import call_reviews
from sparring.services.accounts import Accounts
from sparring.store.review_models import CallSummaryRow
from sparring.testing.web import PASSWORD, World, csrf_of, login
from sparring.web.app import job_queue

ROOT = Path(__file__).resolve().parents[2]
OBJECTIONS = ROOT / "corpus/calls/dev/cw1-objections-tallyhawk.srt"  # rep Owen Castellano
DISCOVERY = ROOT / "tests/fixtures/calls/zoom-discovery.vtt"  # rep Maya Chen
CONTRACT_KEYS = {"conversation", "scorecard", "moments", "pivotal"}
MOMENT_KEYS = {"kind", "start_turn", "end_turn", "summary", "impact", "criterion"}
BAD_TXT = b"Ana: hello\nthis line has no speaker at all\nBo: hi\n"


def _run(world: World) -> None:
    InProcessRunner(job_queue(world.app), worker_id="test-calls").run_until_idle()


def _files(*paths: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (p.name, p.read_bytes(), "text/plain")) for p in paths]


@pytest.fixture(scope="module")
def imported(world: World) -> dict[str, int]:
    """Two calls uploaded by manager_a through the API: the objections call for learner_a1, the discovery call for
    learner_a2; the jobs run; the conversation ids by key."""
    c = login(world.app, "manager_a")
    out: dict[str, int] = {}
    for key, path, user, rep in [("a1", OBJECTIONS, "learner_a1", "Owen Castellano"),
                                 ("a2", DISCOVERY, "learner_a2", "Maya Chen")]:
        r = c.post("/api/calls", data={"rep": str(world.users[user]), "rep_name": rep}, files=_files(path))
        assert r.status_code == 202, r.text
        body = r.json()
        assert body["rejected"] == [] and len(body["jobs"]) == 1
        job = body["jobs"][0]
        assert job["file"] == path.name and job["user_id"] == world.users[user]
        assert c.get(f"/api/calls/uploads/{job['job_id']}").json()["status"] == "queued"
        out[f"job_{key}"] = job["job_id"]
    _run(world)
    for key in ("a1", "a2"):
        status = c.get(f"/api/calls/uploads/{out[f'job_{key}']}").json()
        assert status["status"] == "done" and status["ok"] == 1 and status["failed"] == 0, status
        out[key] = status["results"][0]["conversation_id"]
    return out


def test_api_upload_imports_and_caches_the_moments(world: World, imported: dict[str, int]) -> None:
    with world.database.read() as s:
        cached = {r.conversation_id: r for r in s.query(CallSummaryRow)}
    assert imported["a1"] in cached and imported["a2"] in cached  # the job found the moments already
    doc = login(world.app, "learner_a1").get(f"/api/calls/{imported['a1']}").json()
    assert set(doc) == CONTRACT_KEYS
    conv = doc["conversation"]
    assert conv["source"] == "call" and conv["rep"] == "Owen Castellano" and conv["timed"] is True
    assert conv["turns"][0]["speaker"] == "Owen Castellano" and conv["turns"][0]["start"] == pytest.approx(2.78)
    assert doc["scorecard"]["rubric"]["id"] == conv["rubric"] and 0 <= doc["scorecard"]["overall"] <= 100
    assert doc["moments"] and all(set(m) >= MOMENT_KEYS for m in doc["moments"])
    pivotal = doc["pivotal"]
    assert pivotal is not None and pivotal["reason"]
    assert (pivotal["kind"], pivotal["start_turn"]) in {(m["kind"], m["start_turn"]) for m in doc["moments"]}
    assert cached[imported["a1"]].pivotal_kind == doc["pivotal"]["kind"]
    # the same moments as computing them afresh
    fresh, _ = call_reviews.compute_summary(world.database, imported["a1"])
    assert [m["kind"] for m in doc["moments"]] == [m.kind for m in fresh.moments]


def test_the_summary_is_computed_once_and_again_after_a_rescore(world: World, imported: dict[str, int],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> object:
        raise AssertionError("computed again")

    monkeypatch.setattr(call_reviews, "compute_summary", boom)
    assert call_reviews.summary_of(world.database, imported["a2"]).moments is not None
    with world.database.session() as s:
        s.get(CallSummaryRow, imported["a2"]).scorecard_id = -1  # as if a newer scorecard came since
    with pytest.raises(AssertionError, match="computed again"):
        call_reviews.summary_of(world.database, imported["a2"])


@pytest.mark.parametrize("role, sees", [
    ("learner_a1", {"a1"}), ("learner_a2", {"a2"}), ("manager_a", {"a1", "a2"}), ("admin_a", {"a1", "a2"}),
    ("learner_b1", set()), ("manager_b", set()), ("admin_b", set()),
])
def test_who_sees_which_call(world: World, imported: dict[str, int], role: str, sees: set[str]) -> None:
    c = login(world.app, role)
    listed = {item["id"] for item in c.get("/api/calls").json()}
    assert listed == {imported[k] for k in sees}
    page = c.get("/calls")
    assert page.status_code == 200
    for key in ("a1", "a2"):
        api, review = c.get(f"/api/calls/{imported[key]}"), c.get(f"/calls/{imported[key]}")
        status = c.get(f"/api/calls/uploads/{imported[f'job_{key}']}")
        if key in sees:
            assert api.status_code == 200 and review.status_code == 200 and status.status_code == 200
        else:
            assert api.status_code == review.status_code == status.status_code == 404, (role, key)
            assert api.json() == {"detail": "no such call"}
            assert "Castellano" not in api.text + review.text + page.text + status.text


def test_a_practice_rep_is_not_a_call(world: World) -> None:
    c = login(world.app, "learner_a1")
    with world.database.read() as s:
        from sparring.store.models import Rep

        rep = s.get(Rep, world.reps["a1_public"])
        assert rep is not None
        conversation_id = rep.conversation_id
    assert c.get(f"/api/calls/{conversation_id}").status_code == 404
    assert c.get(f"/calls/{conversation_id}").status_code == 404


def test_list_filters_by_rep_and_shows_the_pivotal_kind(world: World, imported: dict[str, int]) -> None:
    c = login(world.app, "manager_a")
    items = c.get("/api/calls", params={"user_id": world.users["learner_a1"]}).json()
    assert [i["id"] for i in items] == [imported["a1"]]
    assert items[0]["rep"] == "Learner_A1" and items[0]["duration_s"] > 60 and items[0]["pivotal_kind"]
    assert c.get("/api/calls", params={"limit": 1}).json()[0]["id"] == imported["a2"]  # newest first
    assert c.get("/api/calls", params={"limit": 1, "offset": 1}).json()[0]["id"] == imported["a1"]
    page = c.get("/calls", params={"rep": world.users["learner_a2"]}).text
    assert f"/calls/{imported['a2']}" in page and f"/calls/{imported['a1']}" not in page
    assert 'href="/calls"' in page  # the nav entry


def test_review_page_shows_the_timeline_moments_and_transcript(world: World, imported: dict[str, int]) -> None:
    c = login(world.app, "manager_a")
    doc = c.get(f"/api/calls/{imported['a1']}").json()
    html = c.get(f"/calls/{imported['a1']}").text
    assert html.count('class="marker ') == len(doc["moments"])
    assert html.count('<li class="moment') == len(doc["moments"])
    assert len(re.findall(r'class="marker [^"]* pivotal"', html)) == 1  # one marker is the pivotal one
    assert doc["pivotal"]["summary"] in html.replace("&#39;", "'").replace("&quot;", '"')
    assert 'id="turn-0"' in html and "Owen Castellano · turn 0" in html
    assert html.count('class="moment-actions"') == len(doc["moments"])  # the include for later actions
    assert "/static/calls.js" in html


def test_plain_form_upload_and_status_page(world: World) -> None:
    c = login(world.app, "learner_a2")
    page = c.get("/calls/upload")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert 'value="renewal-value">Renewal call' in page.text  # call types, routed to their rubrics
    token = csrf_of(page.text)
    r = c.post("/calls/upload", data={"csrf_token": token, "rep": str(world.users["learner_a2"]),
                                      "rep_name": "Maya Chen", "rubric": "renewal-value"}, files=_files(DISCOVERY))
    assert r.status_code == 303 and r.headers["location"].startswith("/calls/uploads?jobs=")
    status = c.get(r.headers["location"])
    assert status.status_code == 200 and 'http-equiv="refresh"' in status.text and "queued" in status.text
    _run(world)
    done = c.get(r.headers["location"]).text
    assert 'http-equiv="refresh"' not in done and "Review" in done and "zoom-discovery.vtt" in done
    cid = int(re.findall(r'href="/calls/(\d+)"', done)[0])
    assert c.get(f"/api/calls/{cid}").json()["conversation"]["rubric"] == "renewal-value"  # the chosen rubric


def test_a_learner_uploads_only_their_own_calls(world: World) -> None:
    c = login(world.app, "learner_a1")
    page = c.get("/calls/upload").text
    assert "Learner_A1" in page and "Learner_A2" not in page
    r = c.post("/api/calls", data={"rep": str(world.users["learner_a2"])}, files=_files(DISCOVERY))
    assert r.status_code == 400 and "rep" in r.json()["detail"]
    manager = login(world.app, "manager_a").get("/calls/upload").text
    assert "Learner_A1" in manager and "Learner_A2" in manager and "Learner_A3" not in manager


def test_csrf_is_required(world: World) -> None:
    c = login(world.app, "manager_a")
    before = len(c.get("/api/calls").json())
    bare = TestClient(world.app, follow_redirects=False)
    bare.cookies = c.cookies
    r = bare.post("/api/calls", data={"rep": str(world.users["learner_a1"])}, files=_files(DISCOVERY))
    assert r.status_code == 403
    r = bare.post("/calls/upload", data={"rep": str(world.users["learner_a1"])}, files=_files(DISCOVERY))
    assert r.status_code == 403
    r = bare.post("/calls/upload", data={"csrf_token": "forged", "rep": "guess"}, files=_files(DISCOVERY))
    assert r.status_code == 403
    _run(world)
    assert len(c.get("/api/calls").json()) == before


def test_bad_files_fail_with_a_reason_and_the_others_go_on(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from sparring.services import call_uploads

    monkeypatch.setattr(call_uploads, "MAX_FILE_BYTES", 1000)
    c = login(world.app, "manager_a")
    user = str(world.users["learner_a1"])
    files = [("files", ("broken.txt", BAD_TXT, "text/plain")), ("files", ("big.txt", b"A: hi\n" * 400, "text/plain")),
             ("files", ("empty.txt", b"", "text/plain")), ("files", ("fake.zip", b"not a zip", "application/zip"))]
    r = c.post("/api/calls", data={"rep": user}, files=files)
    assert r.status_code == 202, r.text
    body = r.json()
    rejected = {x["file"]: x["error"] for x in body["rejected"]}
    assert "too large" in rejected["big.txt"] and "big.txt" in rejected["big.txt"]
    assert "empty" in rejected["empty.txt"] and "zip" in rejected["fake.zip"]
    [job] = body["jobs"]
    _run(world)
    status = c.get(f"/api/calls/uploads/{job['job_id']}").json()
    assert status["status"] == "done" and status["failed"] == 1
    error = status["results"][0]["error"]
    assert status["results"][0]["ok"] is False and error.startswith("broken.txt:2:")  # FILE:LINE: ...
    # nothing at all to upload: the whole request is refused
    r = c.post("/api/calls", data={"rep": user})
    assert r.status_code == 400 and "files" in r.json()["detail"]
    r = c.post("/api/calls", data={"rep": user, "rubric": "no-such-rubric"}, files=_files(DISCOVERY))
    assert r.status_code == 400 and "rubric" in r.json()["detail"]


def test_an_oversized_request_is_refused_before_it_is_read(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from sparring.web.routes import calls

    monkeypatch.setattr(calls, "MAX_REQUEST_BYTES", 500)
    c = login(world.app, "manager_a")
    r = c.post("/api/calls", data={"rep": str(world.users["learner_a1"])}, files=_files(DISCOVERY))
    assert r.status_code == 413 and "larger than" in r.json()["detail"]


def test_too_many_files_or_no_length_are_refused(world: World) -> None:
    c = login(world.app, "manager_a")
    many = [("files", (f"c{i}.txt", b"A: hi\nB: hello\n", "text/plain")) for i in range(51)]
    r = c.post("/api/calls", data={"rep": str(world.users["learner_a1"])}, files=many)
    assert r.status_code == 400 and "files" in r.json()["detail"] and "zip" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:
        yield b"--x\r\nContent-Disposition: form-data; name=\"rep\"\r\n\r\nguess\r\n--x--\r\n"

    r = c.post("/api/calls", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 411 and "Content-Length" in r.json()["detail"]


def test_guess_the_rep_from_the_transcript(world: World) -> None:
    owen = Accounts(world.database).create_user("Acme", "owen@acme.test", PASSWORD, role="learner", team="East",
                                                name="Owen Castellano")
    c = login(world.app, "manager_a")
    r = c.post("/api/calls", data={"rep": "guess"},
               files=[*_files(OBJECTIONS), ("files", ("nobody.txt", b"Zed: hello\nYan: hi there\n", "text/plain"))])
    body = r.json()
    assert [j["user_id"] for j in body["jobs"]] == [owen.id]
    assert body["rejected"][0]["file"] == "nobody.txt" and "choose the rep" in body["rejected"][0]["error"]
    zipped = c.post("/api/calls", data={"rep": "guess"},
                    files=[("files", ("calls.zip", _zip({"a.txt": b"Owen: hi\nAna: hello\n"}), "application/zip"))])
    assert zipped.json()["jobs"] == [] and "zip" in zipped.json()["rejected"][0]["error"]
    _run(world)
    status = c.get(f"/api/calls/uploads/{body['jobs'][0]['job_id']}").json()
    assert status["ok"] == 1
    doc = c.get(f"/api/calls/{status['results'][0]['conversation_id']}").json()
    assert doc["conversation"]["user_id"] == owen.id


def test_a_zip_is_one_upload_with_a_result_per_call(world: World) -> None:
    c = login(world.app, "admin_a")
    data = _zip({"one.vtt": DISCOVERY.read_bytes(), "two.txt": BAD_TXT})
    r = c.post("/api/calls", data={"rep": str(world.users["learner_a3"]), "rep_name": "Maya Chen"},
               files=[("files", ("batch.zip", data, "application/zip"))])
    [job] = r.json()["jobs"]
    _run(world)
    status = c.get(f"/api/calls/uploads/{job['job_id']}").json()
    assert [(x["file"].split(":")[-1], x["ok"]) for x in status["results"]] == [("one.vtt", True), ("two.txt", False)]
    assert login(world.app, "manager_a").get(f"/api/calls/uploads/{job['job_id']}").status_code == 404  # West team


def test_unknown_ids_are_404(world: World) -> None:
    c = login(world.app, "admin_a")
    assert c.get("/api/calls/999999").status_code == 404
    assert c.get("/api/calls/uploads/999999").status_code == 404
    assert c.get("/calls/uploads", params={"jobs": "999999"}).status_code == 404
    assert c.get("/calls/uploads", params={"jobs": "1,abc"}).status_code == 400
    assert "/api/calls/{conversation_id}" in c.get("/api/openapi.json").json()["paths"]


def _zip(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()
