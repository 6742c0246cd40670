"""``sparring mcp`` (docs/mcp.md) as an AI assistant meets it: the official MCP SDK's client starts the command over
stdio against a real Sparring server on loopback, lists the tools and calls them with a learner's API token. The
answers are the API's (same shapes, same access rules): the learner's own rep with its scorecard, not another
organisation's rep, not the people list (managers and admins only); a revoked token stops at the next call with a
message that says what to do. Skipped without the ``[mcp]`` extra (a failure when CI=true)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sparring.root import Sparring
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.api_tokens import create_token, revoke_token
from sparring.settings import Settings
from sparring.store.db import Database
from sparring.store.models import User
from sparring.testing.processes import served_web_app

TOOLS = {"list_scenarios", "get_scenario", "list_rubrics", "get_rubric", "list_reps", "get_rep", "list_calls",
         "get_call", "my_progress", "user_progress", "list_users", "list_teams", "list_assignments", "list_programs",
         "program_progress"}


def _need_mcp() -> None:
    if importlib.util.find_spec("mcp") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the [mcp] extra is missing (CI=true: ./dev test installs it)")
        pytest.skip("the [mcp] extra is missing: pip install -e '.[mcp]'")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    _need_mcp()
    data: Path = tmp_path_factory.mktemp("mcp")
    db = Database(f"sqlite:///{data / 'sparring.db'}")
    accounts = Accounts(db)
    admin = accounts.create_user("Acme", "ada@acme.test", None, role="admin", team="East")
    lee = accounts.create_user("Acme", "lee@acme.test", None, role="learner", team="East")
    gus = accounts.create_user("Globex", "gus@globex.test", None, role="learner", team="HQ")
    practice = Sparring(Settings(data_dir=data)).practice()
    reps = {}
    for who in (lee, gus):
        rep = practice.start_rep(who, "cs-renewal-discount", "easy")
        practice.submit_turn(rep.id, "What would change for your team if the price stayed the same?")
        practice.end_rep(rep.id)
        practice.score_rep(rep.id)
        reps[who.email] = rep.id
    with db.session() as s:
        row = s.get(User, admin.id)
        assert row is not None
        made = create_token(s, Viewer.of(row), name="assistant", role="learner", user_id=lee.id)
    db.dispose()
    with served_web_app(data) as base:
        yield {"base": base, "token": made.secret, "token_id": made.info.id, "admin": admin.id, "reps": reps,
               "db": f"sqlite:///{data / 'sparring.db'}"}


def _session(site: dict[str, Any], calls: list[tuple[str, dict[str, Any]]]) -> tuple[set[str], list[Any]]:
    """Start ``sparring mcp`` with the SDK's stdio client, list the tools and make ``calls`` in order."""
    import anyio
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    sparring = str(Path(sys.executable).with_name("sparring"))  # the installed command, as an assistant runs it
    params = StdioServerParameters(command=sparring, args=["mcp", "--url", site["base"]],
                                   env={**os.environ, "SPARRING_MCP_TOKEN": site["token"]})
    out: list[Any] = []
    names: set[str] = set()

    async def run() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            info = await session.initialize()
            assert info.server_info.name == "sparring"
            names.update(t.name for t in (await session.list_tools()).tools)
            for name, args in calls:
                out.append(await session.call_tool(name, args))

    anyio.run(run)
    return names, out


def _json(result: Any) -> Any:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


def test_the_tools_answer_as_the_api_does(site: dict[str, Any]) -> None:
    own, theirs = site["reps"]["lee@acme.test"], site["reps"]["gus@globex.test"]
    names, (scenarios, rep, other, people, progress, rubric) = _session(site, [
        ("list_scenarios", {"domain": "customer-success"}),
        ("get_rep", {"rep_id": own}),
        ("get_rep", {"rep_id": theirs}),
        ("list_users", {}),
        ("my_progress", {"last": 5}),
        ("get_rubric", {"rubric_id": "renewal-value"}),
    ])
    assert names == TOOLS
    listed = _json(scenarios)
    assert "cs-renewal-discount" in {s["id"] for s in listed["items"]}
    assert {s["domain"] for s in listed["items"]} == {"customer-success"}
    shown = _json(rep)
    assert shown["id"] == own and shown["scorecard"]["criteria"], shown.keys()
    assert other.is_error and "404" in other.content[0].text and "Globex" not in other.content[0].text
    assert people.is_error and "403" in people.content[0].text
    assert [r["rep_id"] for r in _json(progress)["reps"]] == [own]
    assert _json(rubric)["id"] == "renewal-value"


def test_a_revoked_token_stops_at_the_next_call(site: dict[str, Any]) -> None:
    db = Database(site["db"])
    with db.session() as s:
        admin = s.get(User, site["admin"])
        assert admin is not None
        revoke_token(s, Viewer.of(admin), site["token_id"])
    db.dispose()
    _, (answer,) = _session(site, [("list_reps", {})])
    text = answer.content[0].text
    assert answer.is_error and "401" in text and "Admin → Integrations → API tokens" in text


def test_the_command_says_what_is_missing(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from sparring.cli import main

    _need_mcp()
    monkeypatch.delenv("SPARRING_MCP_URL", raising=False)
    monkeypatch.delenv("SPARRING_MCP_TOKEN", raising=False)
    assert main(["mcp"]) == 1
    assert "--url or SPARRING_MCP_URL" in capsys.readouterr().err
    assert main(["mcp", "--url", "http://127.0.0.1:9"]) == 1
    assert "--token or SPARRING_MCP_TOKEN" in capsys.readouterr().err
