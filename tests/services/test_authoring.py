"""Authoring (the web editor's service) in one organisation's scope: the rubrics a scenario may name, the YAML an
edit starts from, the version history and the "already published" check never involve another organisation."""

from __future__ import annotations

from pathlib import Path

import pytest
import sparring_test_support as support
from sqlalchemy import select

from sparring.content.library import LIBRARY_DIR, get_library
from sparring.services import authoring
from sparring.services.content import ContentService
from sparring.store.db import Database
from sparring.store.models import ContentVersion

Tenant = support.Tenant
EDITED_BUILTIN = support.EDITED_BUILTIN


def _rows(db: Database, content_id: str) -> list[tuple[int | None, str, bool]]:
    with db.read() as s:
        q = (select(ContentVersion.org_id, ContentVersion.version, ContentVersion.published)
             .where(ContentVersion.content_id == content_id).order_by(ContentVersion.id))
        return [(o, v, p) for o, v, p in s.execute(q)]


def test_rubric_ids_sources_and_history_are_per_organisation(
    db: Database, content: ContentService, tenants: tuple[Tenant, Tenant]
) -> None:
    acme, globex = tenants
    shared_text = (support.DATA / "test-scenario.yaml").read_text()
    with db.read() as s:
        for me, them in ((acme, globex), (globex, acme)):
            org = me.user.org_id
            known = authoring.known_rubric_ids(s, org)
            assert me.rubric_id in known and them.rubric_id not in known
            assert "test-discovery" in known and set(get_library().rubrics) <= known
            assert authoring.source_of(s, org, "scenario", me.scenario_id) == me.scenario_yaml
            assert authoring.source_of(s, org, "scenario", them.scenario_id) is None
            assert authoring.source_of(s, org, "rubric", them.rubric_id) is None
            assert me.edit_title in (authoring.source_of(s, org, "scenario", EDITED_BUILTIN) or "")
            assert them.edit_title not in (authoring.source_of(s, org, "scenario", EDITED_BUILTIN) or "")
            # an installation-wide import is a starting point for every organisation
            assert authoring.source_of(s, org, "scenario", "test-guarded-buyer") == shared_text
            assert [r.version for r in authoring.versions(s, org, "scenario", EDITED_BUILTIN)] == [me.edit_version]
            assert authoring.versions(s, org, "scenario", them.scenario_id) == []
            naming_theirs = me.scenario_yaml.replace(f"rubric: {me.rubric_id}", f"rubric: {them.rubric_id}")
            result = authoring.validate_text(naming_theirs, known)
            assert [p.message for p in result.problems] == [f"unknown rubric '{them.rubric_id}'"]
            assert authoring.validate_text(me.scenario_yaml, known).ok
        assert authoring.source_of(s, acme.user.org_id, "scenario", "no-such-scenario") is None
        # a built-in nobody edited still opens from its file
        untouched = sorted(set(get_library().scenarios) - {EDITED_BUILTIN})[0]
        builtin_text = (LIBRARY_DIR / "scenarios" / f"{untouched}.yaml").read_text(encoding="utf-8")
        assert authoring.source_of(s, acme.user.org_id, "scenario", untouched) == builtin_text


def test_publishing_content_another_organisation_holds_stores_the_publishers_own_version(
    db: Database, tenants: tuple[Tenant, Tenant]
) -> None:
    acme, globex = tenants
    theirs = globex.scenario_yaml.replace(f"rubric: {globex.rubric_id}", "rubric: test-discovery")
    with db.session() as s:
        first = authoring.publish(s, globex.user.org_id, globex.user.id, theirs)
    with db.session() as s:  # byte-identical YAML from another organisation
        mine = authoring.publish(s, acme.user.org_id, acme.user.id, theirs)
        assert mine.org_id == acme.user.org_id and mine.version == first.version and mine.id != first.id
    assert acme.content.get_scenario(globex.scenario_id).version == first.version
    with db.session() as s:  # the same organisation publishing it again stores nothing new
        again = authoring.publish(s, acme.user.org_id, acme.user.id, theirs)
        assert again.id == mine.id
    holders = sorted(o for o, v, _ in _rows(db, globex.scenario_id) if v == first.version)
    assert holders == sorted([acme.user.org_id, globex.user.org_id])
    # identical to an installation-wide import: also stored as the organisation's own row
    shared = (support.DATA / "test-scenario.yaml").read_text()
    with db.session() as s:
        row = authoring.publish(s, acme.user.org_id, acme.user.id, shared)
        assert row.org_id == acme.user.org_id
    assert [o for o, _, _ in _rows(db, "test-guarded-buyer")] == [None, acme.user.org_id]
    # a scenario naming another organisation's rubric is refused, with the same message as any unknown rubric
    with db.session() as s, pytest.raises(authoring.PublishError) as refused:
        authoring.publish(s, acme.user.org_id, acme.user.id, globex.scenario_yaml)
    assert refused.value.problems == [f"editor.yaml:6: rubric: unknown rubric '{globex.rubric_id}'"]


def test_publishing_an_older_version_or_a_draft_again_makes_it_current(
    db: Database, tenants: tuple[Tenant, Tenant], tmp_path: Path
) -> None:
    acme, _ = tenants
    org, user = acme.user.org_id, acme.user.id
    v1 = acme.scenario_yaml
    v2 = v1.replace("guarded, busy", "guarded, tired")
    with db.session() as s:
        authoring.publish(s, org, user, v2)
    assert acme.content.get_scenario(acme.scenario_id).persona.personality.startswith("guarded, tired")
    with db.session() as s:
        back = authoring.publish(s, org, user, v1)  # v1 is stored already: it becomes current again
    assert acme.content.get_scenario(acme.scenario_id).version == back.version
    assert len(_rows(db, acme.scenario_id)) == 2
    v3 = v1.replace("guarded, busy", "guarded, curt")
    (tmp_path / "draft.yaml").write_text(v3, encoding="utf-8")
    [draft] = acme.content.import_paths([tmp_path / "draft.yaml"], publish=False)
    assert acme.content.get_scenario(acme.scenario_id).version == back.version
    with db.session() as s:
        published = authoring.publish(s, org, user, v3)
    assert published.version == draft.version and published.published
    assert acme.content.get_scenario(acme.scenario_id).version == draft.version
    assert len(_rows(db, acme.scenario_id)) == 3

