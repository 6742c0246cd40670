"""The audit log in the web app (docs/data-ownership.md, "Audit log"): a manager or admin opening someone else's
scorecard, rep (API) or call (page and API) is logged once per ten minutes, a learner's own is not; a CSV export
is logged; ``/admin/audit`` and ``/admin/audit.csv`` show an admin their organisation's log only, filtered and
paged, and nobody else sees them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from sparring.jobs import InProcessRunner
from sparring.services.accounts import Accounts
from sparring.store.audit_models import AuditRow
from sparring.testing.web import PASSWORD, World, api_token, bearer, csrf_of, email, login
from sparring.web.app import job_queue

CALL = Path(__file__).resolve().parents[2] / "tests/fixtures/calls/zoom-discovery.vtt"  # rep Maya Chen


def _logged(world: World, action: str, target_id: object, actor: str) -> list[AuditRow]:
    with world.database.read() as s:
        rows = list(s.scalars(select(AuditRow).where(AuditRow.action == action, AuditRow.target_id == str(target_id),
                                                     AuditRow.actor_id == world.users[actor])))
        s.expunge_all()
        return rows


def test_views_of_someone_elses_rep_are_logged_once_and_ones_own_not(world: World) -> None:
    rep = world.reps["a1_public"]
    manager = login(world.app, "manager_a")
    for _ in range(3):
        assert manager.get(f"/reps/{rep}/scorecard").status_code == 200
    seen = _logged(world, "scorecard.viewed", rep, "manager_a")
    assert len(seen) == 1 and seen[0].actor_label == email("manager_a") and seen[0].via == "web"
    assert seen[0].target_type == "rep"
    owner = login(world.app, "learner_a1")
    assert owner.get(f"/reps/{rep}/scorecard").status_code == 200
    assert owner.get(f"/api/reps/{rep}").status_code == 200
    assert _logged(world, "scorecard.viewed", rep, "learner_a1") == []
    assert _logged(world, "rep.viewed", rep, "learner_a1") == []
    api = bearer(world.app, api_token(world, "admin_a"))
    assert api.get(f"/api/reps/{rep}").status_code == 200
    assert api.get(f"/api/reps/{rep}").status_code == 200
    by_api = _logged(world, "rep.viewed", rep, "admin_a")
    assert len(by_api) == 1 and by_api[0].via == "api"
    outsider = login(world.app, "admin_b")
    assert outsider.get(f"/api/reps/{rep}").status_code == 404  # not seen: nothing logged
    assert _logged(world, "rep.viewed", rep, "admin_b") == []


def test_call_views_and_exports_are_logged(world: World) -> None:
    manager = login(world.app, "manager_a")
    r = manager.post("/api/calls", data={"rep": str(world.users["learner_a2"]), "rep_name": "Maya Chen"},
                     files=[("files", (CALL.name, CALL.read_bytes(), "text/plain"))])
    assert r.status_code == 202, r.text
    InProcessRunner(job_queue(world.app), worker_id="test-audit").run_until_idle()
    job = r.json()["jobs"][0]["job_id"]
    call = manager.get(f"/api/calls/uploads/{job}").json()["results"][0]["conversation_id"]
    admin = login(world.app, "admin_a")
    assert admin.get(f"/calls/{call}").status_code == 200
    assert admin.get(f"/api/calls/{call}").status_code == 200
    # the page then the API within ten minutes: one view of the call (the dedupe does not care which door)
    assert [r.via for r in _logged(world, "call.viewed", call, "admin_a")] == ["web"]
    assert login(world.app, "learner_a2").get(f"/calls/{call}").status_code == 200
    assert _logged(world, "call.viewed", call, "learner_a2") == []
    before = len(_logged(world, "export.downloaded", "reps", "manager_a"))
    assert manager.get("/exports/reps.csv", params={"source": "call"}).status_code == 200
    rows = _logged(world, "export.downloaded", "reps", "manager_a")
    assert len(rows) == before + 1 and rows[-1].detail == {"source": "call"}


def test_the_admin_page_and_csv_show_only_the_organisations_log(world: World) -> None:
    rep = world.reps["a1_public"]
    assert login(world.app, "manager_a").get(f"/reps/{rep}/scorecard").status_code == 200
    assert login(world.app, "manager_b").get(f"/reps/{world.reps['b1']}/scorecard").status_code == 200
    acme, globex = login(world.app, "admin_a"), login(world.app, "admin_b")
    assert 'href="/admin/audit"' in acme.get("/admin/integrations").text
    page = acme.get("/admin/audit", params={"action": "scorecard.viewed"})
    assert page.status_code == 200 and email("manager_a") in page.text
    assert email("manager_b") not in page.text and 'href="/admin/audit.csv?action=scorecard.viewed"' in page.text
    theirs = globex.get("/admin/audit").text
    assert email("manager_b") in theirs and email("manager_a") not in theirs
    table = list(csv.DictReader(io.StringIO(acme.get("/admin/audit.csv").text)))
    assert table and all(r["actor"].endswith("@acme.test") or r["actor"] in ("(cli)", "(system)") for r in table)
    assert any(r["action"] == "scorecard.viewed" and r["target_id"] == str(rep) for r in table)
    other = list(csv.DictReader(io.StringIO(globex.get("/admin/audit.csv").text)))
    assert other and all(r["actor"].endswith("@globex.test") or r["actor"] in ("(cli)", "(system)") for r in other)
    only = list(csv.DictReader(io.StringIO(acme.get("/admin/audit.csv", params={"actor": "manager_a"}).text)))
    assert only and {r["actor"] for r in only} == {email("manager_a")}


def test_filters_and_paging(world: World) -> None:
    acme = login(world.app, "admin_a")
    bad = acme.get("/admin/audit", params={"since": "2026-02-30"})
    assert bad.status_code == 400 and "since: give a date as YYYY-MM-DD" in bad.text
    assert acme.get("/admin/audit.csv", params={"action": "nope"}).status_code == 400
    none = acme.get("/admin/audit", params={"since": "2001-01-01", "until": "2001-01-02"})
    assert none.status_code == 200 and "Nothing logged for these filters" in none.text
    far = acme.get("/admin/audit", params={"page": 999})
    assert far.status_code == 200 and "Newer" in far.text and "Older" not in far.text


def test_only_admins_see_the_log(world: World) -> None:
    for key in ("learner_a1", "manager_a"):
        c = login(world.app, key)
        assert c.get("/admin/audit").status_code == 403 and c.get("/admin/audit.csv").status_code == 403


def test_sign_ins_and_failed_ones_are_logged_with_the_door(world: World) -> None:
    learner = email("learner_a2")

    def rows(action: str) -> list[AuditRow]:
        with world.database.read() as s:
            found = list(s.scalars(select(AuditRow).where(AuditRow.action == action,
                                                          AuditRow.target_id == str(world.users["learner_a2"]))
                                   .order_by(AuditRow.id)))
            s.expunge_all()
            return found

    before = len(rows("user.signed_in"))
    browser = TestClient(world.app)
    wrong = browser.post("/login", data={"email": learner, "password": "not the password at all",
                                         "csrf_token": csrf_of(browser.get("/login").text)})
    assert wrong.status_code == 401
    right = browser.post("/login", data={"email": learner, "password": PASSWORD,
                                         "csrf_token": csrf_of(browser.get("/login").text)}, follow_redirects=False)
    assert right.status_code == 303
    login(world.app, "learner_a2")  # the JSON API's sign-in
    signed_in = rows("user.signed_in")[before:]
    assert [(r.via, r.detail["method"], r.actor_id) for r in signed_in] == \
        [("web", "password", world.users["learner_a2"]), ("api", "password", world.users["learner_a2"])]
    failed = rows("user.sign_in_failed")
    assert failed and failed[-1].actor_id is None and failed[-1].actor_label == "(system)"
    assert failed[-1].detail["reason"] == "wrong password" and failed[-1].detail["email"] == learner
    # signing out, here and everywhere, from the form and the API
    browser.post("/logout", data={"csrf_token": csrf_of(browser.get("/account/sessions").text)})
    api = login(world.app, "learner_a2")
    assert api.post("/api/auth/logout-all").status_code == 204
    here, everywhere = rows("user.signed_out")[-2:]
    assert (here.via, here.detail, here.actor_id) == ("web", {"everywhere": False}, world.users["learner_a2"])
    assert (everywhere.via, everywhere.detail["everywhere"]) == ("api", True) and everywhere.detail["sessions"] >= 1


def test_reading_the_log_is_logged(world: World) -> None:
    """Reading the log is itself logged (an admin who had not read it in the last ten minutes: a new one)."""
    Accounts(world.database).create_user("Acme", "auditor@acme.test", PASSWORD, role="admin")
    acme = TestClient(world.app, follow_redirects=False)
    signed = acme.post("/api/auth/login", json={"email": "auditor@acme.test", "password": PASSWORD})
    assert signed.status_code == 200

    def reads() -> list[tuple[str, str, dict[str, str] | None]]:
        with world.database.read() as s:
            return [(r.actor_label, r.target_id, r.detail) for r in s.scalars(
                select(AuditRow).where(AuditRow.action == "audit.viewed").order_by(AuditRow.id))]

    before = reads()
    assert acme.get("/admin/audit", params={"action": "user.erased"}).status_code == 200
    assert acme.get("/admin/audit", params={"page": 2}).status_code == 200  # within ten minutes: one row
    assert acme.get("/admin/audit.csv", params={"since": "2026-01-01"}).status_code == 200
    assert reads()[len(before):] == [("auditor@acme.test", "page", {"action": "user.erased"}),
                                     ("auditor@acme.test", "csv", {"since": "2026-01-01"})]
