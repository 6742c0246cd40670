"""The web layer's own queries (access scoping, dashboards, progress) on PostgreSQL, the production database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sparring_test_support as support

from sparring.settings import Settings
from sparring.store.db import Database
from sparring.testing.web import World, build_world, login
from sparring.web.app import create_app

pytestmark = pytest.mark.postgres




@pytest.fixture(scope="module")
def pg_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    support.require_pg()
    schema, url = support.make_pg_schema()
    database = Database(url)
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("pg-web"), database_url=url), warm_up=False)
    try:
        yield build_world(app, database)
    finally:
        database.dispose()
        support.drop_pg_schema(schema)


def test_scoping_dashboards_and_progress_on_postgres(pg_world: World) -> None:
    w = pg_world
    manager = login(w.app, "manager_a")
    listed = {r["id"]: r for r in manager.get("/api/reps").json()}
    assert set(listed) == {w.reps["a1_public"], w.reps["a1_private"], w.reps["a2_open"]}
    assert listed[w.reps["a1_private"]]["summary_only"] is True
    assert manager.get(f"/api/reps/{w.reps['b1']}").status_code == 404
    assert manager.get(f"/api/reps/{w.reps['a3_west']}").status_code == 404
    team = manager.get("/team")
    assert team.status_code == 200 and "Learner_A1" in team.text and "Learner_A3" not in team.text
    assert manager.get(f"/team/learners/{w.users['learner_a1']}").status_code == 200
    insights = manager.get("/team/insights", params={"days": 0})
    assert insights.status_code == 200 and "Early coaching needs" in insights.text
    admin_b = login(w.app, "admin_b")
    assert {r["id"] for r in admin_b.get("/api/reps").json()} == {w.reps["b1"]}
    learner = login(w.app, "learner_a1")
    assert learner.get("/progress").status_code == 200
    assert {r["id"] for r in learner.get("/api/reps").json()} == {w.reps["a1_public"], w.reps["a1_private"]}
