"""Certification in the browser (sparring.web.routes.certification) on TestClient: the manager sets it up from the
program page (a bad bar named in the flash), the learner takes the certification rep from the This week card (a rep
at the fixed scenario and difficulty, refused once no attempts are left), the manager signs off a passed attempt and
the learner finds the certificate on /progress; a manager revokes a certificate only with a reason and the box ticked,
and the revoked certificate stays listed with its date and reason. The rep is played and scored by the app's own
engines."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from sparring.services import certification
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.services.programs import ScenarioChoice, create_program
from sparring.store.models import Rep
from sparring.testing.web import LINES, SCENARIO, World, login


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, TestClient]:
    return {k: login(world.app, k) for k in ("learner_a1", "learner_a2", "manager_a")}


@pytest.fixture(scope="module")
def program_id(world: World) -> int:
    today = datetime.now(UTC).date()
    org = Accounts(world.database).get_user(world.users["learner_a1"]).org_id
    with world.database.session() as s:
        return create_program(s, None, lambda o, sid: ContentService(world.database, o).get_scenario(sid),
                              org_id=org, name="Cert sprint", start_on=today - timedelta(days=2),
                              end_on=today + timedelta(days=20), target_min=3,
                              scenarios=[ScenarioChoice(SCENARIO)], teams=["East"]).id


def _flash(r: object) -> str:
    return unquote(r.cookies.get("sparring_flash", ""))  # type: ignore[attr-defined]


def test_set_up_take_sign_off_and_show_the_certificate(world: World, clients: dict[str, TestClient],
                                                       program_id: int) -> None:
    manager, lee, kim = clients["manager_a"], clients["learner_a1"], clients["learner_a2"]
    page = manager.get(f"/programs/{program_id}")
    assert page.status_code == 200 and "No certification yet" in page.text
    assert "Take the certification rep" not in lee.get("/").text
    bad = manager.post(f"/programs/{program_id}/certification",
                       data={"scenario": SCENARIO, "difficulty": "hard", "attempts": "1", "bars": "next-step=2"})
    assert bad.status_code == 303 and _flash(bad).startswith("error|bar: next-step: 2 is outside 0..1")
    ok = manager.post(f"/programs/{program_id}/certification",
                      data={"scenario": SCENARIO, "difficulty": "hard", "attempts": "1",
                            "bars": "explore-before-price=met\nacknowledge-pressure=0.9"})
    assert ok.status_code == 303 and _flash(ok) == f"ok|Certification saved: {SCENARIO} (hard), 1 attempts."
    page = manager.get(f"/programs/{program_id}")
    assert "explore-before-price met" in page.text and "acknowledge-pressure ≥ 0.90" in page.text
    assert "not started" in page.text

    home = lee.get("/")
    assert "Take the certification rep (1 attempt left)" in home.text
    assert f'action="/programs/{program_id}/certification/attempt"' in home.text
    started = lee.post(f"/programs/{program_id}/certification/attempt")
    assert started.status_code == 303
    m = re.fullmatch(r"/reps/(\d+)", started.headers["location"])
    assert m, started.headers["location"]
    rep_id = int(m.group(1))
    with world.database.read() as s:
        rep = s.get(Rep, rep_id)
        assert rep is not None and (rep.scenario_id, rep.difficulty) == (SCENARIO, "hard")
    again = lee.post(f"/programs/{program_id}/certification/attempt")
    assert again.status_code == 303 and _flash(again).startswith("error|certification: no attempts left (all 1 used")
    assert "Sign off" not in manager.get(f"/programs/{program_id}").text

    for line in LINES:  # the rep played, ended and scored by the app's engines
        if world.practice.submit_turn(rep_id, line).ended:
            break
    world.practice.end_rep(rep_id)
    world.practice.score_rep(rep_id)
    assert "passed, awaiting sign-off" in lee.get("/").text
    page = manager.get(f"/programs/{program_id}")
    assert "passed, awaiting sign-off" in page.text and 'aria-label="Sign off Learner_A1"' in page.text
    early = manager.post(f"/programs/{program_id}/certification/sign-off",
                         data={"user_id": str(world.users["learner_a2"])})
    assert early.status_code == 303 and "has not passed" in _flash(early)
    signed = manager.post(f"/programs/{program_id}/certification/sign-off",
                          data={"user_id": str(world.users["learner_a1"])})
    assert signed.status_code == 303 and _flash(signed) == "ok|Learner_A1 is certified on Cert sprint."
    progress = lee.get("/progress")
    assert "Certificates" in progress.text and "Cert sprint" in progress.text
    assert "Cert sprint" not in kim.get("/progress").text
    assert kim.post(f"/programs/{program_id}/certification/sign-off", data={"user_id": "1"}).status_code == 403


def test_revoke_asks_for_a_reason_and_a_confirmation_and_keeps_the_certificate_listed(
        world: World, clients: dict[str, TestClient]) -> None:
    manager, kim = clients["manager_a"], clients["learner_a2"]
    today = datetime.now(UTC).date()
    kim_id = world.users["learner_a2"]
    org = Accounts(world.database).get_user(kim_id).org_id
    lookup = lambda o, sid: ContentService(world.database, o).get_scenario(sid)  # noqa: E731
    with world.database.session() as s:
        program = create_program(s, None, lookup, org_id=org, name="Audit sprint", start_on=today - timedelta(days=1),
                                 end_on=today + timedelta(days=20), target_min=3,
                                 scenarios=[ScenarioChoice(SCENARIO)], teams=["East"]).id
        certification.configure(s, None, lookup, program, scenario_id=SCENARIO, difficulty="hard", max_attempts=2,
                                bars={"explore-before-price": "met"})
    rep_id = certification.start_attempt(world.practice, Accounts(world.database).get_user(kim_id), program)
    for line in LINES:
        if world.practice.submit_turn(rep_id, line).ended:
            break
    world.practice.end_rep(rep_id)
    world.practice.score_rep(rep_id)
    assert manager.post(f"/programs/{program}/certification/sign-off", data={"user_id": str(kim_id)}).status_code == 303
    page = manager.get(f"/programs/{program}")
    assert 'aria-label="Revoke Learner_A2\'s certificate"' in page.text and "1 attempt left" in page.text

    url = f"/programs/{program}/certification/revoke"
    unconfirmed = manager.post(url, data={"user_id": str(kim_id), "reason": "scripted answers"})
    assert unconfirmed.status_code == 303 and _flash(unconfirmed).startswith("error|confirm: tick the box")
    no_reason = manager.post(url, data={"user_id": str(kim_id), "reason": " ", "confirm": "yes"})
    assert _flash(no_reason).startswith("error|reason: say why")
    assert kim.post(url, data={"user_id": str(kim_id), "reason": "x", "confirm": "yes"}).status_code == 403
    with world.database.read() as s:
        assert certification.learner_status(s, program, kim_id).status == "certified"  # type: ignore[union-attr]

    done = manager.post(url, data={"user_id": str(kim_id), "reason": "Scripted answers <b>", "confirm": "yes"})
    assert done.status_code == 303 and _flash(done) == "ok|Learner_A2's certificate on Audit sprint is revoked."
    twice = manager.post(url, data={"user_id": str(kim_id), "reason": "again", "confirm": "yes"})
    assert "was already revoked on" in _flash(twice)
    page = manager.get(f"/programs/{program}")
    assert "certificate revoked" in page.text and "may try again" in page.text
    assert "“Scripted answers &lt;b&gt;”" in page.text and "Revoke Learner_A2" not in page.text
    progress = kim.get("/progress").text
    assert "Audit sprint" in progress and "revoked" in progress and "Scripted answers &lt;b&gt;" in progress
    home = kim.get("/").text
    assert "certificate revoked" in home and "Take the certification rep (1 attempt left)" in home
