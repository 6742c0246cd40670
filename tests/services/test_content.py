"""Imported content: versions in the database, served before the built-ins; pinned versions stay loadable."""

from __future__ import annotations

from pathlib import Path

import pytest
import sparring_test_support as support
from sqlalchemy import func, select

from sparring.content.errors import ContentError, UnknownContentError
from sparring.content.library import get_library
from sparring.services.content import ContentService, visible_to
from sparring.services.errors import NotFound
from sparring.services.practice import PracticeService
from sparring.services.records import UserRecord
from sparring.store.db import Database
from sparring.store.models import ContentVersion
from sparring.testing.fakes import FakePersona, FakeScorer

DATA: Path = support.DATA
EDITED_BUILTIN = support.EDITED_BUILTIN
Tenant = support.Tenant


def _versions(svc: ContentService, kind: str, content_id: str) -> list[tuple[str, bool]]:
    """(version, published) of every stored version the service's scope sees, oldest first."""
    with svc.db.read() as s:
        rows = s.execute(
            select(ContentVersion.version, ContentVersion.published)
            .where(ContentVersion.kind == kind, ContentVersion.content_id == content_id, visible_to(svc.org_id))
            .order_by(ContentVersion.created_at, ContentVersion.id)
        )
        return [(v, p) for v, p in rows]


def _count(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(ContentVersion)) or 0)


def test_import_stores_versions_and_skips_unchanged(db: Database) -> None:
    svc = ContentService.installation(db)
    items = svc.import_paths([DATA])
    assert sorted((i.kind, i.id, i.new) for i in items) == [
        ("rubric", "test-discovery", True),
        ("scenario", "test-guarded-buyer", True),
    ]
    again = svc.import_paths([DATA / "test-scenario.yaml"])
    assert [i.new for i in again] == [False] and _count(db) == 2
    sc = svc.get_scenario("test-guarded-buyer")
    assert sc.version == items[1].version if items[1].kind == "scenario" else items[0].version


def test_invalid_content_never_half_loads(db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((DATA / "test-scenario.yaml").read_text().replace("max_turns: 12", "max_turns: 1"))
    with pytest.raises(ContentError) as err:
        ContentService.installation(db).import_paths([DATA / "test-rubric.yaml", bad])
    assert any(p.field == "max_turns" and p.line > 0 for p in err.value.problems)
    assert _count(db) == 0


def test_scenario_may_use_a_rubric_imported_earlier(db: Database) -> None:
    svc = ContentService.installation(db)
    with pytest.raises(ContentError, match="unknown rubric 'test-discovery'"):
        svc.import_paths([DATA / "test-scenario.yaml"])
    svc.import_paths([DATA / "test-rubric.yaml"])
    assert [i.new for i in svc.import_paths([DATA / "test-scenario.yaml"])] == [True]


def test_edits_make_new_versions_and_old_reps_keep_theirs(
    practice: PracticeService, learner: UserRecord, tmp_path: Path
) -> None:
    svc = practice.content
    old = svc.get_scenario("test-guarded-buyer")
    rep = practice.start_rep(learner, old.id)
    edited = tmp_path / "edited.yaml"
    edited.write_text((DATA / "test-scenario.yaml").read_text().replace("I have ten minutes", "I have five minutes"))
    [item] = svc.import_paths([edited])
    assert item.new and item.version != old.version
    assert svc.get_scenario(old.id).version == item.version
    assert svc.get_scenario(old.id, old.version) == old
    assert [v for v, _ in _versions(svc, "scenario", old.id)] == [old.version, item.version]
    # the running rep keeps the version it started with
    r = practice.submit_turn(rep.id, "What slows you down?")
    assert practice.get_rep(rep.id).scenario_version == old.version and r.reply is not None
    assert "five minutes" in practice.start_rep(learner, old.id).turns[0].text
    with pytest.raises(NotFound, match="has no version nope"):
        svc.get_scenario(old.id, "nope")
    with pytest.raises(UnknownContentError):
        svc.get_rubric("missing-rubric")


def test_drafts_are_not_served_as_current(db: Database, tmp_path: Path) -> None:
    svc = ContentService.installation(db)
    svc.import_paths([DATA])
    current = svc.get_scenario("test-guarded-buyer")
    draft = tmp_path / "draft.yaml"
    draft.write_text((DATA / "test-scenario.yaml").read_text().replace("guarded, busy", "guarded, tired"))
    [item] = svc.import_paths([draft], publish=False)
    assert svc.get_scenario("test-guarded-buyer") == current
    assert svc.get_scenario("test-guarded-buyer", item.version).persona.personality.startswith("guarded, tired")


def test_built_ins_are_served_when_nothing_is_imported(db: Database) -> None:
    lib = get_library()
    if not lib.scenarios:
        pytest.skip("the built-in library is empty in this checkout")
    sid, builtin = next(iter(lib.scenarios.items()))
    svc = ContentService.installation(db)
    assert svc.get_scenario(sid) == builtin
    assert svc.get_scenario(sid, builtin.version) == builtin
    assert sid in svc.ids("scenario")


def test_organisations_see_their_own_and_installation_wide_content_only(
    practice: PracticeService, learner: UserRecord, tmp_path: Path
) -> None:
    from sparring.services.accounts import Accounts

    other = Accounts(practice.db).create_user("Globex", "max@globex.test", None)
    base = practice.content.get_scenario("test-guarded-buyer")  # installation-wide (fixture import)
    acme = practice.content.for_org(learner.org_id)
    globex = practice.content.for_org(other.org_id)
    edited = tmp_path / "acme.yaml"
    edited.write_text((DATA / "test-scenario.yaml").read_text().replace("I have ten minutes", "Acme only"))
    only_acme = tmp_path / "acme-only.yaml"
    only_acme.write_text(
        (DATA / "test-scenario.yaml").read_text().replace("id: test-guarded-buyer", "id: acme-private-scenario")
    )
    [mine, private] = acme.import_paths([edited, only_acme])
    assert private.id == "acme-private-scenario" and private.new
    # Acme's own version wins for Acme, Globex still gets the installation-wide one
    assert acme.get_scenario(base.id).version == mine.version
    assert globex.get_scenario(base.id) == base
    assert "acme-private-scenario" in acme.ids("scenario")
    assert "acme-private-scenario" not in globex.ids("scenario")
    with pytest.raises(UnknownContentError):
        globex.get_scenario("acme-private-scenario")
    with pytest.raises(NotFound):
        globex.get_scenario(base.id, mine.version)  # not even by its pinned version
    assert [v for v, _ in _versions(globex, "scenario", base.id)] == [base.version]
    # reps follow their learner's organisation
    assert "Acme only" in practice.start_rep(learner, base.id).turns[0].text
    assert "ten minutes" in practice.start_rep(other, base.id).turns[0].text
    # the same content may be imported by another organisation as its own row
    [again] = globex.import_paths([edited])
    assert again.new and again.version == mine.version
    assert globex.get_scenario(base.id).version == mine.version


def test_built_in_versions_a_rep_used_survive_a_library_change(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sparring.services.content as content_module
    from sparring.content.library import Library
    from sparring.content.loader import load_rubric_file, load_scenario_file
    from sparring.services.accounts import Accounts

    def library_with(scenario_file: Path) -> Library:
        rubric = load_rubric_file(DATA / "test-rubric.yaml")
        scenario = load_scenario_file(scenario_file)
        return Library(scenarios={scenario.id: scenario}, rubrics={rubric.id: rubric})

    monkeypatch.setattr(content_module, "get_library", lambda: library_with(DATA / "test-scenario.yaml"))
    learner = Accounts(db).create_user("Acme", "lee@acme.test", None)
    practice = PracticeService(db, persona=FakePersona(), scorer=FakeScorer())
    rep = practice.start_rep(learner, "test-guarded-buyer")
    old_version = rep.scenario_version
    assert (
        practice.content.get_scenario("test-guarded-buyer")
        == content_module.get_library().scenarios["test-guarded-buyer"]
    )
    # Sparring is upgraded: the built-in scenario changes
    upgraded = tmp_path / "upgraded.yaml"
    upgraded.write_text((DATA / "test-scenario.yaml").read_text().replace("guarded, busy", "guarded, curt"))
    monkeypatch.setattr(content_module, "get_library", lambda: library_with(upgraded))
    svc = ContentService.installation(db)
    assert svc.get_scenario("test-guarded-buyer").version != old_version  # new reps get the new built-in
    kept = svc.get_scenario("test-guarded-buyer", old_version)  # the old rep still finds its own
    assert kept.version == old_version and kept.persona.personality.startswith("guarded, busy")
    assert practice.submit_turn(rep.id, "What slows you down?").reply is not None
    practice.end_rep(rep.id)
    assert practice.score_rep(rep.id).rubric.version == rep.rubric_version
    assert [p for _, p in _versions(svc, "scenario", "test-guarded-buyer")] == [False]  # kept, never published


def test_every_built_in_round_trips_through_its_kept_copy(db: Database) -> None:
    from sparring.content.loader import parse_model
    from sparring.content.rubric import Rubric
    from sparring.content.scenario import Scenario

    lib = get_library()
    if not lib.scenarios:
        pytest.skip("the built-in library is empty in this checkout")
    svc = ContentService.installation(db)
    with db.session() as s:
        for item in [*lib.scenarios.values(), *lib.rubrics.values()]:
            svc.keep_version(s, item)
            svc.keep_version(s, item)  # idempotent
    with db.read() as s:
        rows = s.scalars(select(ContentVersion)).all()
        assert len(rows) == len(lib.scenarios) + len(lib.rubrics)
        for row in rows:
            model = parse_model(row.yaml_text, Scenario if row.kind == "scenario" else Rubric)
            assert model.version == row.version, f"{row.kind} {row.content_id} changes when kept"


# --- tenancy: each organisation sees the built-ins, installation-wide rows and its own rows, nothing else ---------


def test_each_organisation_resolves_its_own_content_first_and_never_sees_anothers(
    content: ContentService, tenants: tuple[Tenant, Tenant]
) -> None:
    acme, globex = tenants
    builtin = get_library().scenarios[EDITED_BUILTIN]
    for me, them in ((acme, globex), (globex, acme)):
        svc = me.content
        assert svc.get_scenario(EDITED_BUILTIN).title == me.edit_title  # its own edit of the built-in wins
        assert svc.get_scenario(me.scenario_id).rubric == me.rubric_id
        assert svc.get_rubric(me.rubric_id).id == me.rubric_id
        assert svc.get_scenario("test-guarded-buyer").id == "test-guarded-buyer"  # installation-wide
        assert me.scenario_id in svc.ids("scenario") and them.scenario_id not in svc.ids("scenario")
        assert me.rubric_id in svc.ids("rubric") and them.rubric_id not in svc.ids("rubric")
        titles = {s.title for s in svc.list_scenarios()}
        assert me.edit_title in titles and them.edit_title not in titles and builtin.title not in titles
        assert them.rubric_id not in {r.id for r in svc.list_rubrics()}
        with pytest.raises(UnknownContentError) as unknown:
            svc.get_scenario(them.scenario_id)
        assert them.scenario_id not in unknown.value.known and me.scenario_id in unknown.value.known
        with pytest.raises(UnknownContentError):
            svc.get_rubric(them.rubric_id)
        with pytest.raises(NotFound):  # not even by the version a rep of theirs pinned
            svc.get_scenario(EDITED_BUILTIN, them.edit_version)
        assert [v for v, _ in _versions(svc, "scenario", EDITED_BUILTIN)] == [me.edit_version]
        assert _versions(svc, "scenario", them.scenario_id) == []
    # the operators' scope sees the built-ins and installation-wide imports, no organisation's content
    assert content.org_id is None
    assert content.get_scenario(EDITED_BUILTIN) == builtin
    assert not {acme.scenario_id, globex.scenario_id, acme.rubric_id} & set(content.ids("scenario") +
                                                                            content.ids("rubric"))
    with pytest.raises(NotFound):
        content.get_scenario(EDITED_BUILTIN, acme.edit_version)
    assert _versions(content, "scenario", EDITED_BUILTIN) == []


def test_reps_start_and_score_only_on_their_organisations_content(
    practice: PracticeService, tenants: tuple[Tenant, Tenant], tmp_path: Path
) -> None:
    acme, globex = tenants
    with pytest.raises(UnknownContentError):
        practice.start_rep(globex.user, acme.scenario_id)
    rep = practice.start_rep(acme.user, acme.scenario_id)
    assert (rep.rubric_id, rep.rubric_version) == (acme.rubric_id, acme.content.get_rubric(acme.rubric_id).version)
    edited = practice.start_rep(globex.user, EDITED_BUILTIN)
    assert edited.scenario_version == globex.edit_version
    # Acme changes its rubric: the rep is still scored against the version it pinned
    changed = tmp_path / "changed.yaml"
    changed.write_text((DATA / "test-rubric.yaml").read_text().replace("id: test-discovery", f"id: {acme.rubric_id}")
                       .replace("pass_mark: 60", "pass_mark: 61"))
    [newer] = acme.content.import_paths([changed])
    assert newer.new and acme.content.get_rubric(acme.rubric_id).version == newer.version
    practice.submit_turn(rep.id, "What slows you down?")
    practice.end_rep(rep.id)
    card = practice.score_rep(rep.id)
    assert (card.rubric.id, card.rubric.version) == (acme.rubric_id, rep.rubric_version)
    assert practice.get_rep(rep.id).scenario_version == rep.scenario_version
    # starting the reps kept no organisation's content as installation-wide rows
    with practice.db.read() as s:
        shared = set(s.scalars(select(ContentVersion.content_id).where(ContentVersion.org_id.is_(None))))
    assert not shared & {acme.scenario_id, acme.rubric_id, globex.scenario_id, globex.rubric_id}


def test_content_kept_for_a_rep_stays_in_its_organisation(db: Database, tenants: tuple[Tenant, Tenant]) -> None:
    from sparring.content.loader import parse_model
    from sparring.content.scenario import Scenario

    acme, globex = tenants
    # a version no row holds any more (deleted by hand): keeping it must not publish it installation-wide
    gone = parse_model(acme.scenario_yaml.replace("The Acme deal", "The Acme deal, deleted"), Scenario)
    with db.session() as s:
        acme.content.keep_version(s, gone)
    with db.read() as s:
        owner = s.scalar(select(ContentVersion.org_id).where(ContentVersion.version == gone.version))
    assert owner == acme.user.org_id
    assert acme.content.get_scenario(gone.id, gone.version) == gone
    with pytest.raises(NotFound):
        globex.content.get_scenario(gone.id, gone.version)


def test_ids_without_a_published_version_are_not_listed(content: ContentService, tmp_path: Path) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text((DATA / "test-scenario.yaml").read_text().replace("id: test-guarded-buyer", "id: draft-only"))
    [item] = content.import_paths([draft], publish=False)
    assert "draft-only" not in content.ids("scenario")
    assert "draft-only" not in {s.id for s in content.list_scenarios()}  # the library page does not fail on it
    assert content.get_scenario("draft-only", item.version).id == "draft-only"  # found by its version


def test_every_content_service_names_its_scope(db: Database) -> None:
    from sparring.services.access import Viewer

    with pytest.raises(TypeError):
        ContentService(db)  # type: ignore[call-arg]
    viewer = Viewer(id=1, org_id=7, role="learner", name="Lee", email="lee@acme.test")
    assert ContentService.for_viewer(db, viewer).org_id == 7
    assert ContentService.installation(db).org_id is None
