"""The admin page of xAPI delivery (/admin/xapi): an organisation's failed deliveries with their last error and a
Retry button behind CSRF and the admin role, never another organisation's; the retry queues a delivery job that
records its own outcome; and the page says when no LRS is configured."""

from __future__ import annotations

from urllib.parse import unquote

from fastapi.testclient import TestClient

from sparring.jobs import InProcessRunner
from sparring.store.models import utcnow
from sparring.store.xapi_models import XapiBatchRow
from sparring.testing.web import World, login
from sparring.web.app import job_queue


def _flash(response: object) -> str:
    return unquote(response.headers.get("set-cookie", ""))  # type: ignore[attr-defined]


def _batch(world: World, org_id: int, status: str, error: str) -> int:
    with world.database.session() as s:
        row = XapiBatchRow(org_id=org_id, status=status, attempts_count=3, statements=0, tries=8, retries=0,
                           last_error=error, created_at=utcnow(), updated_at=utcnow())
        s.add(row)
        s.flush()
        return row.id


def test_admins_see_and_retry_their_organisation_s_failed_deliveries_only(world: World) -> None:
    acme = world.practice.get_rep(world.reps["a1_public"]).org_id
    globex = world.practice.get_rep(world.reps["b1"]).org_id
    mine = _batch(world, acme, "dead", "LRS at http://127.0.0.1:9/xAPI/statements unreachable: ConnectError")
    waiting = _batch(world, acme, "queued", "answered 503: try later")
    theirs = _batch(world, globex, "dead", "LRS answered 401: globex-secret-error")

    admin_a, admin_b = login(world.app, "admin_a"), login(world.app, "admin_b")
    page = admin_a.get("/admin/xapi")
    assert page.status_code == 200
    assert "unreachable: ConnectError" in page.text and "globex-secret-error" not in page.text
    assert f'name="batch" value="{mine}"' in page.text and f'name="batch" value="{waiting}"' not in page.text
    assert "No learning record store is configured" in page.text
    assert "globex-secret-error" in admin_b.get("/admin/xapi").text
    assert "unreachable" not in admin_b.get("/admin/xapi").text
    assert login(world.app, "manager_a").get("/admin/xapi").status_code == 403
    assert 'href="/admin/xapi"' in admin_a.get("/admin/jobs").text

    forged = admin_a.post("/admin/xapi/retry", data={"batch": str(mine)}, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    token = admin_a.headers["X-CSRF-Token"]
    other = admin_a.post("/admin/xapi/retry", data={"csrf_token": token, "batch": str(theirs)})
    assert other.status_code == 303 and f"unknown xAPI delivery {theirs}" in _flash(other)
    not_failed = admin_a.post("/admin/xapi/retry", data={"csrf_token": token, "batch": str(waiting)})
    assert f"xAPI delivery {waiting} is queued, not failed" in _flash(not_failed)
    bad = admin_a.post("/admin/xapi/retry", data={"csrf_token": token, "batch": "x"})
    assert "batch: give an id" in _flash(bad)
    ok = admin_a.post("/admin/xapi/retry", data={"csrf_token": token, "batch": str(mine)})
    assert ok.status_code == 303 and f"xAPI delivery {mine} is queued again" in _flash(ok)
    with world.database.read() as s:
        row = s.get(XapiBatchRow, mine)
        assert row is not None and (row.status, row.retries, row.tries) == ("queued", 1, 0)
        job_id = row.job_id
        assert s.get(XapiBatchRow, theirs).status == "dead"  # type: ignore[union-attr]
    queue = job_queue(world.app)
    assert job_id is not None and queue.get(job_id).task == "xapi_deliver"
    assert queue.get(job_id).org_id == acme
    # this installation has no LRS: the job says so and the delivery is failed again, with that reason
    InProcessRunner(queue, worker_id="test", periodic=False).run_until_idle()
    assert queue.get(job_id).status == "failed"
    page = admin_a.get("/admin/xapi")
    assert "no LRS is configured (SPARRING_XAPI_LRS_URL)" in page.text
    with world.database.session() as s:  # leave the shared world as it was
        for batch_id in (mine, waiting, theirs):
            s.delete(s.get(XapiBatchRow, batch_id))


def test_the_page_works_for_an_admin_without_any_delivery(world: World) -> None:
    admin: TestClient = login(world.app, "admin_b")
    page = admin.get("/admin/xapi")
    assert page.status_code == 200 and "No failed deliveries." in page.text and "Nothing delivered yet." in page.text
