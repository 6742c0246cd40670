"""The audit log on SQLite and PostgreSQL (sparring.services.audit; docs/data-ownership.md "Audit log"): each hooked
service action writes one row with the right actor, target and detail; repeated views within ten minutes are one
row; an erased admin's rows keep the e-mail they acted under; filters, paging and the CSV stay in one organisation."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sparring_test_support as support
from sqlalchemy import delete, select

from sparring.content.scenario import Scenario
from sparring.integrations.webhooks import AddressPolicy
from sparring.services import api_tokens, assignments, audit, authoring, erasure, people, programs, webhooks
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.content import ContentService
from sparring.store.audit_models import AuditRow
from sparring.store.db import Database
from sparring.store.models import User

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
POLICY = AddressPolicy.parse("public", "127.0.0.1")


@pytest.fixture
def org(db: Database) -> dict[str, Viewer]:
    accounts = Accounts(db)
    for org_name, email, role in (("Acme", "ada@acme.test", "admin"), ("Acme", "amy@acme.test", "admin"),
                                  ("Acme", "max@acme.test", "manager"), ("Acme", "lee@acme.test", "learner"),
                                  ("Globex", "gil@globex.test", "admin")):
        accounts.create_user(org_name, email, None, role=role, team="East")
    with db.session() as s:  # the operator's account creations are logged too (a test below): start from a clean log
        s.execute(delete(AuditRow))
    with db.read() as s:
        return {u.email.split("@")[0]: Viewer.of(u) for u in s.scalars(select(User))}


def _rows(db: Database, org_id: int | None = None) -> list[AuditRow]:
    with db.read() as s:
        q = select(AuditRow).order_by(AuditRow.id)
        if org_id is not None:
            q = q.where(AuditRow.org_id == org_id)
        rows = list(s.scalars(q))
        s.expunge_all()
        return rows


def _one(db: Database, action: str) -> AuditRow:
    found = [r for r in _rows(db) if r.action == action]
    assert len(found) == 1, [(r.action, r.target_id) for r in _rows(db)]
    return found[0]


def test_people_changes_are_logged_under_the_acting_admin(db: Database, org: dict[str, Viewer]) -> None:
    ada, acme = org["ada"], org["ada"].org_id
    with db.session() as s:
        new = people.create_user(s, acme, "kim@acme.test", "Kim", "learner", "a long enough secret 42",
                                 acting_admin_id=ada.id)
        people.set_role(s, acme, new.id, "manager", ada.id)
        people.set_role(s, acme, new.id, "manager", ada.id)  # no change, no row
        people.set_active(s, acme, new.id, False, ada.id)
        people.set_active(s, acme, new.id, False, ada.id)  # already inactive: no row
    created, changed, off = (_one(db, a) for a in ("user.created", "user.role_changed", "user.deactivated"))
    for row in (created, changed, off):
        assert (row.org_id, row.actor_id, row.actor_label, row.target_type, row.target_id, row.via) == \
            (acme, ada.id, "ada@acme.test", "user", str(new.id), "web")
    assert created.detail == {"email": "kim@acme.test", "role": "learner"}
    assert changed.detail == {"email": "kim@acme.test", "from": "learner", "to": "manager"}
    assert len(_rows(db)) == 3


def test_passwords_and_team_membership_are_logged(db: Database, org: dict[str, Viewer]) -> None:
    ada, lee, acme = org["ada"], org["lee"], org["ada"].org_id
    with db.session() as s:
        west = people.ensure_team(s, acme, "West")
        people.set_membership(s, acme, lee.id, west.id, True, ada.id)
        people.set_membership(s, acme, lee.id, west.id, True, ada.id)  # already a member: no row
        people.reset_password(s, acme, lee.id, "a long enough secret 42", ada.id)
    Accounts(db).set_password(lee.id, "another long secret 43")  # the operator (sparring users set-password)
    Accounts(db).add_to_team(lee.id, "North")
    logged = [(r.action, r.actor_label, r.via, r.detail) for r in _rows(db)]
    assert logged == [
        ("team.membership_changed", "ada@acme.test", "web", {"email": "lee@acme.test", "team": "West", "member": True}),
        ("user.password_changed", "ada@acme.test", "web", {"email": "lee@acme.test", "by": "an admin"}),
        ("user.password_changed", "(cli)", "cli", {"email": "lee@acme.test", "by": "the operator"}),
        ("team.membership_changed", "(cli)", "cli", {"email": "lee@acme.test", "team": "North", "member": True}),
    ]
    assert all(r.org_id == acme and r.target_id == str(lee.id) for r in _rows(db))


def test_the_operators_account_creation_is_logged_in_the_new_accounts_organisation(db: Database) -> None:
    made = Accounts(db).create_user("Initech", "ivy@initech.test", None, role="manager", team="Ops")
    row = _one(db, "user.created")
    assert (row.org_id, row.actor_id, row.actor_label, row.via, row.target_id) == \
        (made.org_id, None, "(cli)", "cli", str(made.id))
    assert row.detail == {"email": "ivy@initech.test", "role": "manager", "team": "Ops"}


def test_assignments_and_program_changes_are_logged(db: Database, org: dict[str, Viewer],
                                                    content: ContentService) -> None:
    max_ = org["max"]

    def scenario_for(org_id: int, scenario_id: str) -> Scenario:
        return ContentService(db, org_id).get_scenario(scenario_id)

    day = datetime.now(UTC).date()
    with db.session() as s:
        made = assignments.assign(s, max_, scenario_for, support.TEST_SCENARIO, "lee@acme.test", reps=2,
                                  due_on=day + timedelta(days=3))
        program = programs.create_program(s, max_, scenario_for, org_id=None, name="Q1 sprint", start_on=day,
                                          end_on=day + timedelta(days=30), target_min=5,
                                          scenarios=[programs.ScenarioChoice(support.TEST_SCENARIO)], teams=["East"])
        programs.edit_program(s, max_, scenario_for, program.id, programs.ProgramChanges(target_min=8))
        programs.set_archived(s, None, program.id)
    assigned = _one(db, "assignment.created")
    assert (assigned.actor_label, assigned.via, assigned.target_id) == ("max@acme.test", "web", str(made.id))
    assert assigned.detail == {"scenario": support.TEST_SCENARIO, "target": "lee@acme.test", "reps": 2,
                               "due": (day + timedelta(days=3)).isoformat(), "assignees": 1}
    changes = [(r.actor_label, r.via, r.detail) for r in _rows(db) if r.action == "program.changed"]
    assert changes == [
        ("max@acme.test", "web", {"change": "created", "name": "Q1 sprint", "teams": ["East"], "users": []}),
        ("max@acme.test", "web", {"change": "edited", "name": "Q1 sprint", "fields": ["target_min"]}),
        ("(cli)", "cli", {"change": "archived", "name": "Q1 sprint"}),
    ]


def test_tokens_webhooks_and_content_are_logged(db: Database, org: dict[str, Viewer], content: ContentService) -> None:
    ada = org["ada"]
    with db.session() as s:
        new = api_tokens.create_token(s, ada, name="LMS sync", role="learner", user_id=org["lee"].id, now=NOW)
        api_tokens.revoke_token(s, ada, new.info.id, now=NOW)
        api_tokens.revoke_token(s, ada, new.info.id, now=NOW)  # revoked already: no second row
        hook = webhooks.create_endpoint(s, ada, POLICY, "https://crm.example/hook", ["rep.scored"], "CRM")
        webhooks.rotate_secret(s, ada, hook)
        webhooks.delete_endpoint(s, ada, hook)
        row = authoring.publish(s, ada.org_id, ada.id, (support.DATA / "test-scenario.yaml").read_text())
    created, revoked = _one(db, "token.created"), _one(db, "token.revoked")
    assert (created.actor_id, created.target_type, created.target_id) == (ada.id, "token", str(new.info.id))
    assert created.detail is not None and created.detail["acts_as"] == "lee@acme.test"
    assert new.secret not in str(created.detail) and revoked.target_id == str(new.info.id)
    hooks = [r for r in _rows(db) if r.action == "webhook.changed"]
    assert [r.detail["change"] for r in hooks if r.detail] == ["created", "secret rotated", "deleted"]
    assert {r.target_id for r in hooks} == {str(hook)}
    published = _one(db, "content.published")
    assert (published.actor_label, published.target_type, published.target_id) == \
        ("ada@acme.test", "scenario", row.content_id)
    assert all(r.org_id == ada.org_id for r in _rows(db))


def test_erasure_is_logged_under_the_admin_and_the_erased_admins_rows_keep_their_label(
        db: Database, org: dict[str, Viewer]) -> None:
    ada, amy, acme = org["ada"], org["amy"], org["ada"].org_id
    with db.session() as s:  # amy (an admin) changes something, then ada erases amy
        people.set_role(s, acme, org["lee"].id, "manager", amy.id)
    erasure.erase(db, acme, amy.id, ada.id)
    erased = _one(db, "user.erased")
    assert (erased.actor_id, erased.actor_label, erased.target_id) == (ada.id, "ada@acme.test", str(amy.id))
    assert erased.detail is not None and erased.detail["email"] == "amy@acme.test"
    by_amy = _one(db, "user.role_changed")
    assert by_amy.actor_id is None and by_amy.actor_label == "amy@acme.test"  # the account went, the label stays
    erasure.erase(db, acme, org["max"].id, 0, via="cli")
    cli = [r for r in _rows(db) if r.action == "user.erased" and r.via == "cli"]
    assert len(cli) == 1 and cli[0].actor_id is None and cli[0].actor_label == "(cli)"


def test_repeated_views_within_ten_minutes_are_one_row(db: Database, org: dict[str, Viewer]) -> None:
    max_, ada = org["max"], org["ada"]
    for minutes in (0, 3, 9):
        with db.session() as s:
            audit.record(s, max_, "rep.viewed", "rep", 7, now=NOW + timedelta(minutes=minutes))
    with db.session() as s:
        audit.record(s, max_, "rep.viewed", "rep", 8, now=NOW + timedelta(minutes=1))  # another target
        audit.record(s, ada, "rep.viewed", "rep", 7, now=NOW + timedelta(minutes=1))  # another viewer
        audit.record(s, max_, "scorecard.viewed", "rep", 7, now=NOW + timedelta(minutes=1))  # another action
        audit.record(s, max_, "rep.viewed", "rep", 7, now=NOW + timedelta(minutes=11))  # ten minutes after the 0
    seen = [(r.actor_id, r.action, r.target_id, audit.when(r)) for r in _rows(db)]
    assert seen == [(max_.id, "rep.viewed", "7", NOW), (max_.id, "rep.viewed", "8", NOW + timedelta(minutes=1)),
                    (ada.id, "rep.viewed", "7", NOW + timedelta(minutes=1)),
                    (max_.id, "scorecard.viewed", "7", NOW + timedelta(minutes=1)),
                    (max_.id, "rep.viewed", "7", NOW + timedelta(minutes=11))]
    assert audit.record_view(db, max_, "rep.viewed", "rep", 9, owner_id=max_.id) is False  # their own: not logged
    assert len(_rows(db)) == 5


def test_filters_paging_and_csv_stay_in_the_organisation(db: Database, org: dict[str, Viewer]) -> None:
    ada, max_, gil = org["ada"], org["max"], org["gil"]
    with db.session() as s:
        for i in range(7):
            audit.record(s, max_, "rep.viewed", "rep", i, now=NOW - timedelta(days=i))
        audit.record(s, ada, "export.downloaded", "export", "reps", {"team": "East"}, now=NOW)
        audit.record(s, gil, "export.downloaded", "export", "reps", now=NOW)
    acme = ada.org_id
    with db.read() as s:
        everything = audit.page(s, acme, audit.Filters(), 1, size=5)
        assert len(everything.rows) == 5 and everything.has_next
        rest = audit.page(s, acme, audit.Filters(), 2, size=5)
        assert len(rest.rows) == 3 and not rest.has_next
        ordered = [audit.when(r) for r in everything.rows + rest.rows]
        assert ordered == sorted(ordered, reverse=True)
        assert all(r.actor_label != "gil@globex.test" for r in everything.rows + rest.rows)
        only = audit.page(s, acme, audit.Filters.parse(action="export.downloaded"))
        assert [r.actor_label for r in only.rows] == ["ada@acme.test"]
        who = audit.page(s, acme, audit.Filters.parse(actor="MAX@"))
        assert len(who.rows) == 7
        days = audit.Filters.parse(since=(NOW - timedelta(days=3)).date().isoformat(),
                                   until=(NOW - timedelta(days=1)).date().isoformat())
        assert sorted(r.target_id for r in audit.page(s, acme, days).rows) == ["1", "2", "3"]
        text = "".join(audit.csv_lines(s, acme, audit.Filters(), batch=3))
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 8 and list(table[0]) == list(audit.CSV_COLUMNS)
    assert {r["actor"] for r in table} == {"ada@acme.test", "max@acme.test"}
    assert [r["target_id"] for r in table if r["action"] == "rep.viewed"] == [str(i) for i in range(7)]
    assert table[0]["detail"] == "team=East"


@pytest.mark.parametrize(("kw", "field"), [({"action": "rep.deleted"}, "action"), ({"since": "2026-13-01"}, "since"),
                                           ({"since": "2026-12-05", "until": "2026-12-01"}, "until")])
def test_bad_filters_name_the_field(kw: dict[str, str], field: str) -> None:
    with pytest.raises(audit.AuditError, match=f"^{field}:"):
        audit.Filters.parse(**kw)


def test_a_row_needs_an_organisation_and_a_known_door(db: Database, org: dict[str, Viewer]) -> None:
    with db.session() as s, pytest.raises(audit.AuditError, match=r"^org_id:"):
        audit.record(s, None, "user.erased", "user", 1)
    with db.session() as s, pytest.raises(audit.AuditError, match=r"^via:"):
        audit.record(s, org["ada"], "user.erased", "user", 1, via="fax")
    assert _rows(db) == []
