"""The sponsor report from the program page (sparring.web.routes.program_reports) on TestClient: the button on
``/programs/{id}``, queueing the job, the waiting page, the download once the job ran, and that only the lead who
queued it may fetch it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from sparring.jobs import InProcessRunner
from sparring.services.content import ContentService
from sparring.services.programs import ScenarioChoice, create_program
from sparring.testing.web import SCENARIO, World, login
from sparring.web.app import job_queue


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    return {k: login(world.app, k) for k in ("manager_a", "admin_a", "learner_a1")}


@pytest.fixture(scope="module")
def program_id(world: World) -> int:
    from sparring.services.accounts import Accounts

    org_id = Accounts(world.database).get_user(world.users["learner_a1"]).org_id
    today = datetime.now(UTC).date()
    with world.database.session() as s:
        return create_program(
            s, None, lambda org, sid: ContentService(world.database, org).get_scenario(sid), org_id=org_id,
            name="Report sprint", start_on=today - timedelta(days=3), end_on=today + timedelta(days=10),
            target_min=4, scenarios=[ScenarioChoice(SCENARIO)], teams=["East"]).id


def test_the_lead_queues_the_report_and_downloads_it(world: World, clients: dict[str, TestClient],
                                                    program_id: int) -> None:
    manager = clients["manager_a"]
    page = manager.get(f"/programs/{program_id}")
    assert page.status_code == 200 and f'action="/programs/{program_id}/report"' in page.text
    assert ">Sponsor report</button>" in page.text
    queued = manager.post(f"/programs/{program_id}/report", data={"format": "html"}, follow_redirects=False)
    assert queued.status_code == 303
    location = queued.headers["location"]
    assert re.fullmatch(rf"/programs/{program_id}/report/\d+", location)
    waiting = manager.get(location)
    assert waiting.status_code == 200 and "being written" in waiting.text and 'http-equiv="refresh"' in waiting.text
    assert clients["admin_a"].get(location).status_code == 404  # not theirs
    assert clients["learner_a1"].get(location).status_code == 403
    InProcessRunner(job_queue(world.app), worker_id="test-report", periodic=False).run_until_idle()
    done = manager.get(location)
    assert done.status_code == 200 and done.headers["content-type"].startswith("text/html")
    assert f'filename="sponsor-report-program-{program_id}.html"' in done.headers["content-disposition"]
    assert "<h1>Report sprint</h1>" in done.text and '<section id="method">' in done.text


def test_a_pdf_is_downloaded_as_a_pdf(world: World, clients: dict[str, TestClient], program_id: int) -> None:
    pytest.importorskip("weasyprint")
    admin = clients["admin_a"]
    location = admin.post(f"/programs/{program_id}/report", data={"format": "pdf"},
                          follow_redirects=False).headers["location"]
    InProcessRunner(job_queue(world.app), worker_id="test-report", periodic=False).run_until_idle()
    done = admin.get(location)
    assert done.status_code == 200 and done.headers["content-type"] == "application/pdf"
    assert done.content.startswith(b"%PDF")
