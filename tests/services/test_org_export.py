"""An organisation exported and imported into a fresh database (each backend) comes back the same: exported again,
every row of every table and every reference between them match the first export (ids aside); the app's services
read the imported organisation as they read the original. The other organisation of the source never leaks into
the export; a file that cannot be imported is refused whole, naming what is wrong, and leaves nothing behind.

The source (the demo organisation, trimmed, played with the fake engines; a call with its loop and drill, and one
row in each other table the demo leaves empty, written directly; a second organisation) is seeded once on SQLite
for the module."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from sparring.services import audit, org_data, org_export, org_import
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.conversations import get_visible, list_visible_reps
from sparring.services.demo import DEMO_USERS, DemoUser, seed_demo
from sparring.services.errors import Conflict, InvalidInput
from sparring.services.practice import PracticeService
from sparring.services.program_progress import program_progress
from sparring.store import ownership, sealing
from sparring.store.certification_models import CertificateRow, CertificationAttemptRow, CertificationRow
from sparring.store.coaching_models import AssigneeRow, AssignmentRow, CoachingLoopRow, TurnCommentRow
from sparring.store.db import Database
from sparring.store.line_models import TeamLine
from sparring.store.lti_models import LtiContextRow, LtiRegistrationRow, LtiUserLinkRow
from sparring.store.models import (
    ContentVersion,
    ConversationRow,
    Organisation,
    ParticipantRow,
    Rep,
    ScorecardRow,
    Team,
    TurnRow,
    UsageRow,
    User,
)
from sparring.store.program_models import ProgramRow
from sparring.store.retention_models import OrgRetentionRow
from sparring.store.review_models import CallSummaryRow
from sparring.store.scim_models import ScimGroupRow, ScimUserRow
from sparring.store.sso_models import SsoIdentityRow, SsoOrgSettingsRow, SsoProviderRow
from sparring.store.voice_models import SpeechTake
from sparring.testing.fakes import FakePersona, FakeScorer

SLUG = "northwind-demo"
TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CLIENT_SECRET = "oidc-client-secret-of-northwind"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
USERS = (DEMO_USERS[0], DEMO_USERS[1],
         DemoUser("ava@northwind.example", "Ava Patel", "learner", ("Enterprise",), reps=2, skill=0.85,
                  program_reps=1),
         DemoUser("ben@northwind.example", "Ben Okafor", "learner", ("Enterprise",), reps=0, program_reps=1),
         DemoUser("chloe@northwind.example", "Chloe Martin", "learner", ("Mid-market",)), DEMO_USERS[5])


def _fill_the_rest(database: Database) -> None:
    """One row in each exported table the trimmed demo leaves empty, with its references set."""
    with database.session() as s:
        org = s.scalar(select(Organisation).where(Organisation.slug == SLUG))
        assert org is not None
        users = {u.email.split("@")[0]: u for u in s.scalars(select(User).where(User.org_id == org.id))}
        program = s.scalar(select(ProgramRow).where(ProgramRow.org_id == org.id))
        reps = list(s.scalars(select(Rep).where(Rep.org_id == org.id).order_by(Rep.id)))
        team = s.scalar(select(Team).where(Team.org_id == org.id).order_by(Team.id))
        assert program is not None and team is not None and len(reps) >= 2
        ava, manager = users["ava"], users["manager"]
        reps[1].parent_rep_id = reps[0].id  # a branch of an earlier rep (a reference within the table)
        reps[1].branched_from_turn = 1
        s.add(CertificationRow(program_id=program.id, scenario_id=reps[0].scenario_id, difficulty="easy",
                               max_attempts=3, bars={"overall": 50}))
        s.add(CertificationAttemptRow(program_id=program.id, user_id=ava.id, rep_id=reps[0].id, passed=True,
                                      recorded_at=NOW))
        s.add(CertificateRow(program_id=program.id, user_id=ava.id, rep_id=reps[0].id, signed_off_by=manager.id))
        s.add(SpeechTake(conversation_id=reps[0].conversation_id, user_id=ava.id, turn_index=0, text="Hello",
                         words=[{"w": "Hello", "s": 0.0, "e": 0.4}], seconds=0.4, delivery={"wpm": 150},
                         audio_path="audio/1/0.webm"))
        s.add(TeamLine(org_id=org.id, team_id=team.id, text="What would a good outcome look like?",
                          situation="opening", from_user_id=ava.id, source_conversation_id=reps[0].conversation_id,
                          source_turn_index=0, added_by=manager.id))
        s.add(TurnCommentRow(conversation_id=reps[0].conversation_id, turn_index=0, author_id=manager.id,
                             text="Good opening."))
        s.add(UsageRow(conversation_id=reps[0].conversation_id, org_id=org.id, purpose="persona", engine="fake",
                       input_tokens=10, output_tokens=5, cost_usd=0.001))
        _a_call_and_its_loop(s, org.id, team.id, ava, manager, reps[0])
        s.add(ContentVersion(org_id=org.id, kind="scenario", content_id="northwind-drill", version="0" * 64,
                             title="A draft of the organisation's own", yaml_text="id: northwind-drill\n",
                             published=False, created_by=manager.id))
        audit.record(s, Viewer.of(manager), "scorecard.viewed", "rep", reps[0].id, {"summary_only": False})
        ava.password_hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"  # a hash, for the credentials option
        ava.totp_secret = sealing.seal(TOTP, sealing.TOTP_SECRET)  # sealed with the source's key (store.sealing)
        provider = SsoProviderRow(org_id=org.id, kind="oidc", display_name="Okta", oidc_issuer="https://idp.example",
                                  oidc_client_id="sparring", oidc_client_secret=sealing.seal(CLIENT_SECRET,
                                                                                             sealing.OIDC_CLIENT_SECRET))
        s.add(provider)
        s.flush()
        s.add(SsoIdentityRow(provider_id=provider.id, user_id=ava.id, subject="okta|ava"))
        s.add(SsoOrgSettingsRow(org_id=org.id, password_login=True))
        s.add(OrgRetentionRow(org_id=org.id, call_days=90, practice_days=None, audio_days=30, keep_audio=False))
        s.add(ScimUserRow(user_id=ava.id, org_id=org.id, external_id="00u-ava", user_name=ava.email,
                          attributes={"userName": ava.email}))
        s.add(ScimGroupRow(team_id=team.id, org_id=org.id, external_id="00g-team", attributes={"displayName": "x"}))
        platform = LtiRegistrationRow(org_id=org.id, name="Moodle", issuer="https://moodle.example", client_id="c1",
                                      deployment_ids=["1"], auth_login_url="https://moodle.example/auth",
                                      auth_token_url="https://moodle.example/token",
                                      jwks_url="https://moodle.example/jwks", created_by=manager.id)
        s.add(platform)
        s.flush()
        s.add(LtiUserLinkRow(registration_id=platform.id, sub="moodle-7", user_id=ava.id))
        s.add(LtiContextRow(registration_id=platform.id, context_id="course-1", title="Sales 101", team_id=team.id))


def _a_call_and_its_loop(s: Session, org_id: int, team_id: int, rep_owner: User, manager: User, rep: Rep) -> None:
    """A real call (rows as a call import writes them, without running the readers: they take seconds), its
    summary, a drill assignment with its assignee who submitted ``rep``, and the coaching loop that ties them."""
    card = s.scalar(select(ScorecardRow).where(ScorecardRow.conversation_id == rep.conversation_id))
    assert card is not None
    call = ConversationRow(source="call", title="Lumen Health discovery", rubric_id=card.rubric_id,
                           rubric_version=card.rubric_version, user_id=rep_owner.id, org_id=org_id, team_id=team_id,
                           private=False, started_at=NOW, ended_at=NOW)
    s.add(call)
    s.flush()
    s.add_all([ParticipantRow(conversation_id=call.id, name="Ava Patel", role="learner", user_id=rep_owner.id,
                              first_turn=0),
               ParticipantRow(conversation_id=call.id, name="Buyer", role="counterpart", first_turn=1),
               TurnRow(conversation_id=call.id, turn_index=0, speaker="Ava Patel", role="learner",
                       text="What matters most to you this quarter?", start_s=0.0, end_s=3.5),
               TurnRow(conversation_id=call.id, turn_index=1, speaker="Buyer", role="counterpart",
                       text="Honestly, the price.", start_s=3.8, end_s=5.0)])
    call_card = ScorecardRow(conversation_id=call.id, rubric_id=card.rubric_id, rubric_version=card.rubric_version,
                             engine=card.engine, overall=card.overall, passed=card.passed, document=card.document)
    s.add(call_card)
    s.flush()
    s.add(CallSummaryRow(conversation_id=call.id, scorecard_id=call_card.id, engine="embedded",
                         pivotal_kind="objection_raised", moment_count=1,
                         document={"moments": [{"kind": "objection_raised", "start_turn": 1, "end_turn": 1}]}))
    drill = AssignmentRow(org_id=org_id, assigned_by=manager.id, scenario_id=rep.scenario_id, title="Drill",
                          difficulty="easy", reps_required=2, due_on=NOW.date(), note="from the call")
    s.add(drill)
    s.flush()
    s.add(AssigneeRow(assignment_id=drill.id, user_id=rep_owner.id, status="submitted", submitted_rep_id=rep.id,
                      submitted_at=NOW))
    s.add(CoachingLoopRow(org_id=org_id, user_id=rep_owner.id, created_by=manager.id, call_conversation_id=call.id,
                          start_turn=1, end_turn=1, moment_kind="objection_raised", criterion_id="acknowledge",
                          rubric_id=card.rubric_id, drill_scenario_id=rep.scenario_id, assignment_id=drill.id,
                          status="open", numbers={"before": 0.4}))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('org-source') / 'source.db'}")
    practice = PracticeService(database, persona=FakePersona(), scorer=FakeScorer())
    seed_demo(database, practice, users=USERS, with_calls=False, with_program=True)
    _fill_the_rest(database)
    other = Accounts(database).create_user("Globex", "gil@globex.test", None, role="learner", team="North")
    practice.end_rep(practice.start_rep(other, "cs-renewal-discount", "easy").id)
    yield database
    database.dispose()


def _export(database: Database, **kw: Any) -> dict[str, Any]:
    out = io.StringIO()
    org_export.export_org(database, SLUG, out, now=NOW, **kw)
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database without any organisation (each test leaves it so)."""
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('org-target') / 'target.db'}")
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def exported(source: Database) -> dict[str, Any]:
    return _export(source)


def _canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """The export with every id replaced by the row's place in its table (references by the place of the row
    they name), and the import's own audit row left out: two exports of the same data compare equal."""
    tables = doc["tables"]
    place: dict[str, dict[Any, int]] = {"organisations": {doc["organisation"]["id"]: 0}}
    for t in org_data.exported_tables():
        key = org_data.surrogate_key(t)
        if key is not None:
            place[t.name] = {row[key.name]: i for i, row in enumerate(tables[t.name])}
    out: dict[str, Any] = {}
    for t in org_data.exported_tables():
        key = org_data.surrogate_key(t)
        refs = {fk.parent.name: fk.column.table.name for fk in t.foreign_keys}
        refs |= {col: target for (name, col), target in org_data.SOFT_REFS.items() if name == t.name}
        rows = []
        for row in tables[t.name]:
            r = dict(row)
            if key is not None:
                r[key.name] = place[t.name][r[key.name]]
            for col, target in refs.items():
                if r[col] is not None:
                    r[col] = place[target].get(r[col], f"missing {target} {r[col]}")
            rows.append(r)
        out[t.name] = [r for r in rows if not (t.name == "audit_log" and r["action"] == "org.imported")]
    org = {k: v for k, v in doc["organisation"].items() if k != "id"}
    return {"organisation": org, "schema_head": doc["schema_head"], "credentials": doc["credentials"], "tables": out}


def _no_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_ids(v) for k, v in value.items() if not (k == "id" or k.endswith("_id"))}
    if isinstance(value, list):
        return [_no_ids(v) for v in value]
    return value


def _services_view(database: Database) -> dict[str, Any]:
    """What the app shows of the organisation: every rep and call as its admin sees it (transcript, scorecard),
    the reps list, and the program's progress."""
    with database.read() as s:
        org_id = s.scalar(select(Organisation.id).where(Organisation.slug == SLUG))
        admin = s.scalar(select(User).where(User.org_id == org_id, User.role == "admin"))
        assert admin is not None
        viewer = Viewer.of(admin)
        ids = s.scalars(select(ConversationRow.id).where(ConversationRow.org_id == org_id).order_by(ConversationRow.id))
        views = [get_visible(s, viewer, i) for i in ids]
        program_id = s.scalar(select(ProgramRow.id).where(ProgramRow.org_id == org_id))
        assert program_id is not None
        progress = program_progress(s, viewer, program_id, now=NOW)
        return _no_ids({
            "conversations": [v.model_dump(mode="json") if v else None for v in views],
            "reps": [r.model_dump(mode="json") for r in list_visible_reps(s, viewer)],
            "progress": json.loads(json.dumps(dataclasses.asdict(progress), default=str)),
        })


def test_every_table_has_rows_and_the_other_organisation_stays_out(source: Database,
                                                                    exported: dict[str, Any]) -> None:
    empty = [t for t, rows in exported["tables"].items() if not rows]
    assert not empty, f"the seeded organisation leaves {empty} empty: the round trip would not cover them"
    assert exported["format"] == "sparring-org-export" and exported["version"] == 1
    assert exported["organisation"]["slug"] == SLUG
    with source.read() as s:
        org_id = s.scalar(select(Organisation.id).where(Organisation.slug == SLUG))
        owned = ownership.cascade_conditions("organisations", org_id)
        for table in org_data.exported_tables():
            count = s.scalar(select(func.count()).select_from(table).where(owned[table.name]))
            after = 1 if table.name == "audit_log" else 0  # the export's own entry, made once it was written
            assert len(exported["tables"][table.name]) == count - after, table.name
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "org-export.schema.json").read_text())
    jsonschema.validate(exported, schema)  # the documented schema describes the file
    text_ = json.dumps(exported)
    assert "globex" not in text_.lower()  # nothing of the other organisation: its people, its rep
    assert all(u["password_hash"] is None and u["totp_secret"] is None for u in exported["tables"]["users"])
    assert [p["oidc_client_secret"] for p in exported["tables"]["sso_providers"]] == [None]  # credentials are asked for
    assert all(t["audio_path"] is None for t in exported["tables"]["speech_takes"])


def test_round_trip_on_a_fresh_database(source: Database, exported: dict[str, Any], db: Database) -> None:
    summary = org_import.import_org(db, copy.deepcopy(exported))
    assert summary.unlinked == {}
    assert summary.rows == {t: len(rows) for t, rows in exported["tables"].items()}
    again, first = _canonical(_export(db)), _canonical(exported)
    for name, rows in first["tables"].items():
        assert len(again["tables"][name]) == len(rows), name
        for i, (theirs, ours) in enumerate(zip(again["tables"][name], rows, strict=True)):
            assert theirs == ours, f"{name}[{i}]"
    assert again == first
    seen = _services_view(source)
    assert len(seen["conversations"]) >= 5 and all(seen["conversations"]) and seen["progress"]["learners"]
    assert any(c["scorecard"] for c in seen["conversations"]) and any(c["turns"] for c in seen["conversations"])
    assert _services_view(db) == seen


def test_credentials_only_when_asked(source: Database, empty: Database) -> None:
    with_credentials = _export(source, credentials=True)
    assert with_credentials["credentials"] is True
    ava = next(u for u in with_credentials["tables"]["users"] if u["email"] == "ava@northwind.example")
    assert ava["password_hash"].startswith("$argon2")
    assert ava["totp_secret"] == TOTP  # the file carries the plain value: the target seals it with its own key
    org_import.import_org(empty, with_credentials)
    try:
        with empty.read() as s:
            assert s.scalar(select(User.password_hash).where(User.email == ava["email"])) == ava["password_hash"]
            stored = s.scalar(select(User.totp_secret).where(User.email == ava["email"]))
            assert stored is not None and TOTP not in stored and sealing.unseal(stored, sealing.TOTP_SECRET) == TOTP
            assert with_credentials["tables"]["sso_providers"][0]["oidc_client_secret"] == CLIENT_SECRET
            stored = s.scalar(select(SsoProviderRow.oidc_client_secret))
            assert stored is not None and CLIENT_SECRET not in stored
            assert sealing.unseal(stored, sealing.OIDC_CLIENT_SECRET) == CLIENT_SECRET
    finally:
        with empty.session() as s:  # the module's empty database again
            s.execute(delete(Organisation))


def _broken(exported: dict[str, Any], change: str) -> dict[str, Any]:
    doc = copy.deepcopy(exported)
    if change == "schema":
        doc["schema_head"] = "0019_something_older"
    elif change == "format":
        doc["format"] = "something-else"
    elif change == "type":
        doc["tables"]["turns"][3]["text"] = 42
    elif change == "missing":
        del doc["tables"]["scorecards"][1]["document"]
    elif change == "unknown":
        doc["tables"]["reps"][0]["colour"] = "blue"
    elif change == "dangling":
        doc["tables"]["turns"][2]["conversation_id"] = 999_999
    elif change == "table":
        doc["tables"]["sessions"] = []
    elif change == "sealed":
        doc["tables"]["users"][2]["totp_secret"] = "sealed:v1:0123abcd:AAAA"
    return doc


@pytest.mark.parametrize(("change", "message"), [
    ("schema", "schema_head: the file was exported at database revision '0019_something_older'"),
    ("format", "format: not an organisation export"),
    ("type", "turns[3].text: must be text"),
    ("missing", "scorecards[1].document: missing"),
    ("unknown", "reps[0].colour: not a column of reps"),
    ("dangling", "turns[2].conversation_id: names conversations 999999, not in the file"),
    ("table", "tables.sessions: not a table this Sparring imports"),
    ("sealed", "users[2].totp_secret: holds a sealed value, which only the source installation's key opens"),
])
def test_a_bad_file_is_refused_whole(exported: dict[str, Any], empty: Database, change: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        org_import.import_org(empty, _broken(exported, change))
    assert message in str(caught.value)
    with empty.read() as s:  # nothing half-imported
        for table in ownership.tables():
            assert s.execute(select(func.count()).select_from(table)).scalar() == 0, table.name


def test_a_taken_slug_or_email_is_refused(source: Database, exported: dict[str, Any], empty: Database) -> None:
    with pytest.raises(Conflict, match=r"organisation\.slug: an organisation 'northwind-demo' already exists"):
        org_import.import_org(source, exported)
    Accounts(empty).create_user("Elsewhere", "ben@northwind.example", None, role="learner")
    try:
        with pytest.raises(Conflict, match=r"users\[3\].email: ben@northwind.example already has an account"):
            org_import.import_org(empty, exported)
        with empty.read() as s:
            assert s.execute(text("SELECT count(*) FROM organisations")).scalar() == 1
            assert s.scalar(select(func.count()).select_from(TurnRow)) == 0
    finally:
        with empty.session() as s:  # the module's empty database again
            s.execute(delete(Organisation))
