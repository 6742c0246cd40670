"""The admin Data tab (sparring.web.routes.admin_data; docs/data-ownership.md, "Retention"): an admin sees the
organisation's retention beside the installation's ceiling, saves its own periods (CSRF-checked, audited), a value
above the ceiling is refused on the page naming the field and the ceiling with the stored values untouched; another
organisation's admin sees only their own; a learner gets 403; the page links the export and erasure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparring.services import org_retention
from sparring.services.accounts import Accounts
from sparring.settings import Settings
from sparring.store.audit_models import AuditRow
from sparring.store.db import Database, forget_databases, get_database
from sparring.testing.web import signed_in_client
from sparring.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def app_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, Database, Settings]]:
    data: Path = tmp_path_factory.mktemp("data-admin")
    settings = Settings(data_dir=data, retention_call_days=90, voice_keep_audio=True)
    app = create_app(settings, warm_up=False)
    db = get_database(settings.resolved_database_url)
    accounts = Accounts(db)
    accounts.create_user("Acme", "ada@acme.test", PASSWORD, role="admin")
    accounts.create_user("Acme", "lee@acme.test", PASSWORD, role="learner")
    accounts.create_user("Globex", "gus@globex.test", PASSWORD, role="admin")
    yield app, db, settings
    forget_databases()


def _login(app: FastAPI, email: str) -> TestClient:
    return signed_in_client(app, email, PASSWORD)


def test_an_admin_sees_and_edits_the_organisations_retention(app_db: tuple[FastAPI, Database, Settings]) -> None:
    app, db, settings = app_db
    admin = _login(app, "ada@acme.test")
    token = admin.headers["X-CSRF-Token"]
    page = admin.get("/admin/data")
    assert page.status_code == 200
    assert 'href="/admin/data" aria-current="page">Data</a>' in page.text
    assert "90 days" in page.text and "SPARRING_RETENTION_CALL_DAYS" in page.text
    assert 'action="/admin/integrations/org-export"' in page.text and 'href="/admin/users"' in page.text

    form = {"call_days": "30", "practice_days": "", "audio_days": "14", "keep_audio": "on"}
    saved = admin.post("/admin/data/retention", data={**form, "csrf_token": token})
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/data"
    shown = admin.get("/admin/data").text
    assert 'value="30"' in shown and 'value="14"' in shown

    refused = admin.post("/admin/data/retention", data={**form, "call_days": "120", "csrf_token": token})
    assert refused.status_code == 400
    assert "call_days: at most 90 days" in refused.text and 'value="120"' in refused.text  # as typed, to correct
    assert admin.post("/admin/data/retention", data=form, headers={"X-CSRF-Token": ""}).status_code == 403
    with db.read() as s:
        org_id = s.scalar(select(AuditRow.org_id).where(AuditRow.action == "org.retention_changed"))
        assert org_id is not None
        assert org_retention.read(s, org_id, settings).values() == {
            "call_days": 30, "practice_days": None, "audio_days": 14, "keep_audio": True}  # the refused one: no
        details = list(s.scalars(select(AuditRow.detail).where(AuditRow.action == "org.retention_changed")))
    assert details == [{"before": {"call_days": None, "practice_days": None, "audio_days": None, "keep_audio": True},
                        "after": {"call_days": 30, "practice_days": None, "audio_days": 14, "keep_audio": True}}]

    other = _login(app, "gus@globex.test").get("/admin/data")
    assert other.status_code == 200 and 'value="30"' not in other.text
    assert _login(app, "lee@acme.test").get("/admin/data").status_code == 403
