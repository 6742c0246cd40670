"""Choosing the job backend from settings."""

from __future__ import annotations

import pytest

from sparring.jobs.setup import BackendError, build_queue, build_registry, resolve_backend
from sparring.settings import Settings
from sparring.store.db import Database


def test_backend_follows_the_database(db: Database, tmp_path: object) -> None:
    db.upgrade()
    settings = Settings(data_dir=tmp_path, database_url=db.url)  # type: ignore[arg-type]
    expected = "procrastinate" if db.dialect == "postgresql" else "inprocess"
    assert resolve_backend("auto", db) == expected
    assert resolve_backend("inprocess", db) == "inprocess"
    queue = build_queue(settings, db)
    assert queue.backend == expected
    assert {"purge_finished_jobs", "rescore_rep"} <= set(queue.registry.names())
    if db.dialect == "postgresql":
        job = queue.enqueue("purge_finished_jobs", {})
        assert queue.get(job.id).external_id is not None, "handed to Procrastinate"
        queue.dispatcher.close()  # type: ignore[attr-defined]
    else:
        with pytest.raises(BackendError, match="needs PostgreSQL"):
            resolve_backend("procrastinate", db)
    with pytest.raises(BackendError, match="unknown jobs backend 'redis'"):
        resolve_backend("redis", db)


def test_registry_from_settings_includes_extra_modules(tmp_path: object) -> None:
    settings = Settings(data_dir=tmp_path, jobs_task_modules="sparring.jobs.maintenance:register, ")  # type: ignore[arg-type]
    assert "purge_finished_jobs" in build_registry(settings).names()
